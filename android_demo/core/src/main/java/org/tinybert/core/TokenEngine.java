package org.tinybert.core;

/**
 * The runtime seam of a tagger: one sentence (batch 1, int32 inputs) in, one row of tag
 * scores per position out. The app's {@code LiteRtEngine} implements it with the bundle's
 * {@code logits} output; tests use fakes.
 */
public interface TokenEngine {
    /** Returns the logits, [position][tag]. */
    float[][] runTokens(int[] inputIds, int[] attentionMask, int[] tokenTypeIds);
}
