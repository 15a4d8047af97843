package org.tinybert.core;

/**
 * Which engine runs a bundle: MediaPipe Tasks' TextClassifier (text in: its own tokenizer
 * from the model's metadata) or LiteRT behind {@link InferenceEngine} (this app's tokenizer).
 * {@code auto} takes MediaPipe when the model carries TextClassifier metadata and the
 * MediaPipe runtime is in the APK, else LiteRT; a forced choice that cannot work fails with
 * the fix. Pure logic, so the host JVM tests every case.
 */
public final class EngineChoice {
    public enum Engine { MEDIAPIPE, LITERT }

    public final Engine engine;
    /** Why this engine, for the status line and logs. */
    public final String reason;

    private EngineChoice(Engine engine, String reason) {
        this.engine = engine;
        this.reason = reason;
    }

    /**
     * @param preference {@code auto}, {@code mediapipe} or {@code litert}
     * @param model what the model file carries ({@link TfliteModelInfo#read})
     * @param mediaPipeInApk whether the MediaPipe text runtime's classes are in the APK
     * @param liteRtInApk whether the LiteRT runtime's classes are in the APK
     */
    public static EngineChoice choose(String preference, TfliteModelInfo model, boolean mediaPipeInApk,
                                      boolean liteRtInApk) {
        boolean metadata = model.carriesTextClassifierMetadata();
        if ("mediapipe".equals(preference)) {
            if (!metadata) {
                throw new IllegalArgumentException("MediaPipe was asked for, but the model has no TextClassifier "
                        + "metadata (vocab and labels packed in): export it with `tinybert-tf export --format "
                        + "mediapipe` and use its bundle/.");
            }
            if (!mediaPipeInApk) {
                throw new IllegalArgumentException("MediaPipe was asked for, but this APK has no MediaPipe "
                        + "runtime: build the app with Gradle (android_demo/README.md).");
            }
            return new EngineChoice(Engine.MEDIAPIPE, "MediaPipe TextClassifier (asked for)");
        }
        if (!"auto".equals(preference) && !"litert".equals(preference)) {
            throw new IllegalArgumentException("engine=" + preference + "; use auto, mediapipe or litert.");
        }
        if ("auto".equals(preference) && metadata && mediaPipeInApk) {
            return new EngineChoice(Engine.MEDIAPIPE, "MediaPipe TextClassifier (the model carries metadata)");
        }
        if (!liteRtInApk) {
            throw new IllegalArgumentException(metadata
                    ? "This APK has neither runtime: build the app with Gradle (android_demo/README.md)."
                    : "This APK has no LiteRT runtime and the model no MediaPipe metadata: build the app with "
                      + "Gradle (android_demo/README.md).");
        }
        String why = "litert".equals(preference) ? "asked for"
                : metadata ? "no MediaPipe runtime in this APK" : "the model carries no TextClassifier metadata";
        return new EngineChoice(Engine.LITERT, "LiteRT (" + why + ")");
    }
}
