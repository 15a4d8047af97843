package org.tinybert.core;

/**
 * The one seam between the app's logic and the TFLite (LiteRT) runtime: batch 1, int32
 * inputs of one length, the output row back. The app's {@code LiteRtEngine} implements it
 * with {@code org.tensorflow.lite.Interpreter}; tests use fakes.
 */
public interface InferenceEngine {
    /** Runs the model on one example; returns the output row (logits, or one score). */
    float[] run(int[] inputIds, int[] attentionMask, int[] tokenTypeIds);

    /** A short description for logs and results ("LiteRT 1.0.1, 1 thread, XNNPACK"). */
    String describe();

    void close();
}
