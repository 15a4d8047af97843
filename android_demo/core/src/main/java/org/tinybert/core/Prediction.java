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

    /**
     * A prediction from an engine that tokenizes itself (MediaPipe): per-label scores in
     * {@code labels} order; token count unknown (-1); all time counted as inference.
     */
    public static Prediction fromScores(java.util.List<String> labels, float[] scores, double millis) {
        if (scores.length != labels.size() || scores.length == 0) {
            throw new IllegalStateException(scores.length + " scores for " + labels.size() + " labels: the model and "
                    + "labels.txt come from different exports.");
        }
        int best = 0;
        for (int k = 1; k < scores.length; k++) {
            if (scores[k] > scores[best]) {
                best = k;
            }
        }
        return new Prediction(labels.get(best), scores[best], scores, scores, -1, false, 0, millis);
    }
}
