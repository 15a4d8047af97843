package org.tinybert.core;

/**
 * The runtime seam of a question answerer: one window (batch 1, int32 inputs) in, its
 * start and end scores out. The app's {@code LiteRtEngine} implements it with the
 * bundle's {@code start_logits} / {@code end_logits} outputs; tests use fakes.
 */
public interface SpanEngine {
    /** Returns {startLogits, endLogits}, one score per position. */
    float[][] runSpan(int[] inputIds, int[] attentionMask, int[] tokenTypeIds);
}
