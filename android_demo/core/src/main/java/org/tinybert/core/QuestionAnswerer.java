package org.tinybert.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Question + context in, answer span out, as {@code tinybert-tf} scores SQuAD: the context
 * cut into the bundle's windows ({@link QaEncoder}: doc_stride, max_query_length), each
 * window through the model, then the best span over all windows ({@link SpanSearch}: the
 * 20 best starts and ends, at most max_answer_length pieces). Pure Java, tested on the host.
 */
public final class QuestionAnswerer {
    public static final int N_BEST = 20;  // data.best_spans' default

    /** The answer, where it sits in the context, and the time spent. */
    public static final class Result {
        public final String text;
        /** [start, end) in the context; -1 when no valid span was found. */
        public final int start;
        public final int end;
        public final double score;
        public final int windows;
        public final double tokenizeMs;
        public final double inferenceMs;

        Result(SpanSearch.Answer answer, String context, int windows, double tokenizeMs, double inferenceMs) {
            this.text = answer.text(context);
            this.start = answer.start;
            this.end = answer.end;
            this.score = answer.score;
            this.windows = windows;
            this.tokenizeMs = tokenizeMs;
            this.inferenceMs = inferenceMs;
        }
    }

    private final BundleSpec spec;
    private final BertTokenizer tokenizer;
    private final SpanEngine engine;

    public QuestionAnswerer(BundleSpec spec, BertTokenizer tokenizer, SpanEngine engine) {
        if (!"span".equals(spec.taskKind)) {
            throw new IllegalArgumentException("The bundle holds a " + spec.taskKind + " model, not a question "
                    + "answerer: export a model trained on a QA task (tinybert-tf finetune --task squad ...).");
        }
        this.spec = spec;
        this.tokenizer = tokenizer;
        this.engine = engine;
    }

    public Result answer(String question, String context) {
        if (question == null || question.trim().isEmpty() || context == null || context.trim().isEmpty()) {
            throw new IllegalArgumentException("Type a question and the text to find its answer in.");
        }
        long t0 = System.nanoTime();
        List<QaEncoder.QaWindow> windows = QaEncoder.encode(tokenizer, question, context, spec.maxLength,
                spec.docStride, spec.maxQueryLength);
        long t1 = System.nanoTime();
        List<SpanSearch.Window> scored = new ArrayList<SpanSearch.Window>();
        for (QaEncoder.QaWindow w : windows) {
            Encoding e = w.encoding;
            float[][] scores = engine.runSpan(e.inputIds, e.attentionMask, e.tokenTypeIds);
            if (scores.length != 2 || scores[0].length != e.length() || scores[1].length != e.length()) {
                throw new IllegalStateException("The model returned " + scores.length + " score rows for a window of "
                        + e.length() + " tokens; a question answerer gives start and end scores per token.");
            }
            scored.add(w.withScores(scores[0], scores[1]));
        }
        long t2 = System.nanoTime();
        SpanSearch.Answer best = SpanSearch.best(scored, N_BEST, spec.maxAnswerLength);
        return new Result(best, context, windows.size(), (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    }
}
