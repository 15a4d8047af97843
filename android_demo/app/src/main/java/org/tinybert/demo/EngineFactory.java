package org.tinybert.demo;

import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.tinybert.core.InferenceEngine;

/**
 * Creates the LiteRT engine by class name, so that everything else compiles without the
 * LiteRT library: the Gradle build has it (Google's Maven); the APK hand-built on a machine
 * without Google's Maven does not, and says so here instead of crashing.
 */
final class EngineFactory {
    static final String LITERT_ENGINE = "org.tinybert.demo.litert.LiteRtEngine";
    static final String NO_RUNTIME = "This APK was built without the LiteRT runtime (the hand-built check APK); "
            + "build the app with Gradle / Android Studio (android_demo/README.md) to run models.";

    private EngineFactory() {
    }

    static InferenceEngine create(ByteBuffer model, Map<String, String> inputNames, String outputName,
                                  int numOutputs, int threads) {
        Class<?> engineClass;
        try {
            engineClass = Class.forName(LITERT_ENGINE);
        } catch (ClassNotFoundException e) {
            throw new UnsupportedOperationException(NO_RUNTIME, e);
        }
        try {
            return (InferenceEngine) engineClass
                    .getConstructor(ByteBuffer.class, Map.class, String.class, int.class, int.class)
                    .newInstance(model, inputNames, outputName, numOutputs, threads);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new IllegalStateException("LiteRT could not load the model: " + cause, cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("LiteRtEngine does not match EngineFactory: " + e, e);
        }
    }
}
