package org.tinybert.core;

import java.util.Arrays;

/** The three int32 model inputs of one example (batch 1), as the Python side names them. */
public final class Encoding {
    public final int[] inputIds;
    public final int[] attentionMask;
    public final int[] tokenTypeIds;
    /** True when the text (or pair) was cut to fit max_length. */
    public final boolean truncated;
    private final int padId;

    Encoding(int[] inputIds, int[] attentionMask, int[] tokenTypeIds, boolean truncated, int padId) {
        this.inputIds = inputIds;
        this.attentionMask = attentionMask;
        this.tokenTypeIds = tokenTypeIds;
        this.truncated = truncated;
        this.padId = padId;
    }

    public int length() {
        return inputIds.length;
    }

    /** Padded with [PAD] / mask 0 / type 0 to {@code length} (a model with a fixed sequence length). */
    public Encoding padded(int length) {
        if (length < inputIds.length) {
            throw new IllegalArgumentException("Cannot pad " + inputIds.length + " tokens to " + length
                    + "; encode with maxLength <= " + length + ".");
        }
        int[] ids = Arrays.copyOf(inputIds, length);
        Arrays.fill(ids, inputIds.length, length, padId);
        return new Encoding(ids, Arrays.copyOf(attentionMask, length), Arrays.copyOf(tokenTypeIds, length),
                truncated, padId);
    }
}
