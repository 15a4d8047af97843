package org.tinybert.core;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Extractive QA post-processing: the best answer span over a question's context windows,
 * by the rule {@code tinybert_tf.data.best_spans} uses (BERT's SQuAD code): among each
 * window's {@code nBest} highest start and end scores, the pair with the highest start +
 * end score whose tokens both lie in the context, with start <= end and at most
 * {@code maxAnswerLength} tokens; the answer is the context's characters from the start
 * token's first to the end token's last.
 */
public final class SpanSearch {
    /** One window's scores and, per token, the context characters it covers (-1: not context). */
    public static final class Window {
        final float[] startLogits;
        final float[] endLogits;
        final int[] charStart;
        final int[] charEnd;

        public Window(float[] startLogits, float[] endLogits, int[] charStart, int[] charEnd) {
            if (startLogits.length != endLogits.length || charStart.length != startLogits.length
                    || charEnd.length != startLogits.length) {
                throw new IllegalArgumentException("A window's scores and offsets must all have one entry per token ("
                        + startLogits.length + ", " + endLogits.length + ", " + charStart.length + ", "
                        + charEnd.length + ").");
            }
            this.startLogits = startLogits;
            this.endLogits = endLogits;
            this.charStart = charStart;
            this.charEnd = charEnd;
        }
    }

    /** The chosen span: its context characters [start, end) and its score; no span found: start = -1. */
    public static final class Answer {
        public final int start;
        public final int end;
        public final double score;

        Answer(int start, int end, double score) {
            this.start = start;
            this.end = end;
            this.score = score;
        }

        public String text(String context) {
            return start < 0 ? "" : context.substring(start, end);
        }
    }

    private SpanSearch() {
    }

    public static Answer best(List<Window> windows, int nBest, int maxAnswerLength) {
        int bestStart = -1;
        int bestEnd = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (Window w : windows) {
            Integer[] starts = topIndices(w.startLogits, nBest);
            Integer[] ends = topIndices(w.endLogits, nBest);
            for (int s : starts) {
                for (int e : ends) {
                    if (w.charStart[s] < 0 || w.charStart[e] < 0 || e < s || e - s + 1 > maxAnswerLength) {
                        continue;
                    }
                    // float sums as the Python side adds numpy float32 scores, then compares in double
                    double score = (double) (w.startLogits[s] + w.endLogits[e]);
                    if (score > bestScore) {
                        bestScore = score;
                        bestStart = w.charStart[s];
                        bestEnd = w.charEnd[e];
                    }
                }
            }
        }
        return new Answer(bestStart, bestEnd, bestScore);
    }

    /** Indices of the {@code n} largest values, largest first. */
    static Integer[] topIndices(final float[] values, int n) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, new Comparator<Integer>() {
            @Override
            public int compare(Integer a, Integer b) {
                return Float.compare(values[b], values[a]);
            }
        });
        return Arrays.copyOf(order, Math.min(n, order.length));
    }
}
