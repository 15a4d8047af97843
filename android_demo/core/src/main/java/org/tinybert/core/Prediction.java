package org.tinybert.core;

/** One classified text: the top label, its probability, all probabilities, and timings. */
public final class Prediction {
    public final String label;
    public final float confidence;
    public final float[] probabilities;
    public final float[] logits;
    public final int numTokens;
    public final boolean truncated;
    public final double tokenizeMs;
    public final double inferenceMs;

    Prediction(String label, float confidence, float[] probabilities, float[] logits, int numTokens,
               boolean truncated, double tokenizeMs, double inferenceMs) {
        this.label = label;
        this.confidence = confidence;
        this.probabilities = probabilities;
        this.logits = logits;
        this.numTokens = numTokens;
        this.truncated = truncated;
        this.tokenizeMs = tokenizeMs;
        this.inferenceMs = inferenceMs;
    }
}
