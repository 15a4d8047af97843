package org.tinybert.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Text in, a tag per word out, as {@code tinybert_tf.pipeline("token-classification")} does
 * it: words are the runs of non-whitespace characters (Python's {@code \S+}), each word
 * tokenized on its own ({@link TagDecoder#encodeWords}), the model run once, and each word's
 * tag read at its first WordPiece with its softmax probability; a word cut off by
 * max_length gets no tag ({@code null}, score 0). Offsets are UTF-16 indices into the text
 * (what Android's text widgets take). Pure Java, tested on the host against Python.
 */
public final class TextTagger {
    /** One word, where it sits in the text, and its tag. */
    public static final class Word {
        public final String text;
        public final int start;
        public final int end;
        /** null: the word was cut off by max_length. */
        public final String tag;
        public final float score;

        Word(String text, int start, int end, String tag, float score) {
            this.text = text;
            this.start = start;
            this.end = end;
            this.tag = tag;
            this.score = score;
        }
    }

    /** The words and the time spent. */
    public static final class Result {
        public final List<Word> words;
        public final int numTokens;
        public final boolean truncated;
        public final double tokenizeMs;
        public final double inferenceMs;

        Result(List<Word> words, int numTokens, boolean truncated, double tokenizeMs, double inferenceMs) {
            this.words = Collections.unmodifiableList(words);
            this.numTokens = numTokens;
            this.truncated = truncated;
            this.tokenizeMs = tokenizeMs;
            this.inferenceMs = inferenceMs;
        }
    }

    private final List<String> tags;
    private final int maxLength;
    private final BertTokenizer tokenizer;
    private final TokenEngine engine;

    public TextTagger(BundleSpec spec, BertTokenizer tokenizer, TokenEngine engine) {
        this(checkTagger(spec).labels, spec.maxLength, tokenizer, engine);
    }

    public TextTagger(List<String> tags, int maxLength, BertTokenizer tokenizer, TokenEngine engine) {
        this.tags = tags;
        this.maxLength = maxLength;
        this.tokenizer = tokenizer;
        this.engine = engine;
    }

    private static BundleSpec checkTagger(BundleSpec spec) {
        if (!"token".equals(spec.taskKind)) {
            throw new IllegalArgumentException("The bundle holds a " + spec.taskKind + " model, not a tagger: export "
                    + "a model trained on a tagging task (tinybert-tf finetune --task brown_pos ...).");
        }
        return spec;
    }

    /** [start, end) of each run of non-whitespace characters, as Python's {@code re.finditer(r"\S+")}. */
    public static List<int[]> wordSpans(String text) {
        List<int[]> spans = new ArrayList<int[]>();
        int start = -1;
        for (int i = 0; i < text.length(); i++) {
            if (isPythonSpace(text.charAt(i))) {
                if (start >= 0) {
                    spans.add(new int[] {start, i});
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
        }
        if (start >= 0) {
            spans.add(new int[] {start, text.length()});
        }
        return spans;
    }

    /**
     * Python's str.isspace(): Java's whitespace (which leaves out no-break spaces), the
     * space separators (which leave out tabs and line breaks), and NEL. Surrogates never are.
     */
    static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    public Result tag(String text) {
        List<int[]> spans = wordSpans(text == null ? "" : text);
        if (spans.isEmpty()) {
            throw new IllegalArgumentException("The text is empty: give some words to tag.");
        }
        long t0 = System.nanoTime();
        List<String> words = new ArrayList<String>();
        for (int[] s : spans) {
            words.add(text.substring(s[0], s[1]));
        }
        TagDecoder.WordEncoding encoded = TagDecoder.encodeWords(tokenizer, words, maxLength);
        Encoding e = encoded.encoding;
        long t1 = System.nanoTime();
        float[][] logits = engine.runTokens(e.inputIds, e.attentionMask, e.tokenTypeIds);
        long t2 = System.nanoTime();
        if (logits.length != e.length()) {
            throw new IllegalStateException("The model returned " + logits.length + " score rows for " + e.length()
                    + " tokens; a tagger gives one row of tag scores per token.");
        }
        int[] first = TagDecoder.firstPieces(encoded.wordIds, words.size());
        List<Word> out = new ArrayList<Word>();
        for (int w = 0; w < words.size(); w++) {
            String tag = null;
            float score = 0;
            int position = first[w];
            if (position >= 0) {
                float[] row = logits[position];
                if (row.length != tags.size()) {
                    throw new IllegalStateException("Position " + position + " has " + row.length + " scores for "
                            + tags.size() + " tags.");
                }
                int best = TagDecoder.argmax(row);
                tag = tags.get(best);
                score = TextClassifier.softmax(row)[best];
            }
            out.add(new Word(words.get(w), spans.get(w)[0], spans.get(w)[1], tag, score));
        }
        return new Result(out, e.length(), e.truncated, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    }
}
