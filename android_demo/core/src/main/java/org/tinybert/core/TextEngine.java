package org.tinybert.core;

/**
 * Text in, prediction out: what the app's screens call. {@link TextClassifier} implements it
 * with this app's tokenizer and an {@link InferenceEngine} (LiteRT); the app's MediaPipe
 * engine implements it with MediaPipe Tasks' TextClassifier, which tokenizes from the
 * model's metadata. {@link EngineChoice} picks one.
 */
public interface TextEngine {
    /** Classifies one text (or a pair, where the engine supports pairs). Empty text is refused. */
    Prediction classify(String text, String pair);

    String describe();

    void close();
}
