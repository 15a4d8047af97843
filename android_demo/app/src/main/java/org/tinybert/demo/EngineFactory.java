package org.tinybert.demo;

import android.content.Context;
import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.tinybert.core.BertTokenizer;
import org.tinybert.core.BundleSpec;
import org.tinybert.core.EngineChoice;
import org.tinybert.core.InferenceEngine;
import org.tinybert.core.SpanEngine;
import org.tinybert.core.TextClassifier;
import org.tinybert.core.TextEngine;
import org.tinybert.core.TfliteModelInfo;
import org.tinybert.core.TokenEngine;

/**
 * Creates the LiteRT engine by class name, so that everything else compiles without the
 * LiteRT library: the Gradle build has it (Google's Maven); the APK hand-built on a machine
 * without Google's Maven does not, and says so here instead of crashing.
 */
final class EngineFactory {
    static final String LITERT_ENGINE = "org.tinybert.demo.litert.LiteRtEngine";
    static final String MEDIAPIPE_ENGINE = "org.tinybert.demo.mediapipe.MediaPipeEngine";
    static final String MEDIAPIPE_RUNTIME = "com.google.mediapipe.tasks.text.textclassifier.TextClassifier";
    static final String NO_RUNTIME = "This APK was built without the LiteRT runtime (the hand-built check APK); "
            + "build the app with Gradle / Android Studio (android_demo/README.md) to run models.";

    private EngineFactory() {
    }

    /**
     * The text engine for a bundle: MediaPipe when the model carries TextClassifier metadata
     * and MediaPipe is in the APK (or {@code preference} says so), else LiteRT with this app's
     * tokenizer. {@code choice[0]} receives the decision (for the status line).
     */
    static TextEngine createText(Context context, ByteBuffer model, BundleSpec spec, BertTokenizer tokenizer,
                                 String preference, int threads, EngineChoice[] choice) {
        EngineChoice chosen = EngineChoice.choose(preference, TfliteModelInfo.read(model),
                available(MEDIAPIPE_ENGINE) && available(MEDIAPIPE_RUNTIME), available(LITERT_ENGINE));
        if (choice != null) {
            choice[0] = chosen;
        }
        if (chosen.engine == EngineChoice.Engine.MEDIAPIPE) {
            try {
                return (TextEngine) Class.forName(MEDIAPIPE_ENGINE)
                        .getConstructor(Context.class, ByteBuffer.class, List.class)
                        .newInstance(context, model, spec.labels);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                throw new IllegalStateException("MediaPipe could not load the model: " + cause, cause);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("MediaPipeEngine does not match EngineFactory: " + e, e);
            }
        }
        int outputs = "regression".equals(spec.outputKind) ? 1 : spec.labels.size();
        return new TextClassifier(spec, tokenizer, create(model, spec.inputNames, spec.outputName, outputs, threads));
    }

    private static boolean available(String className) {
        try {
            Class.forName(className);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** The LiteRT engine of a question answerer's bundle (its start_logits and end_logits outputs). */
    static SpanEngine createSpan(ByteBuffer model, BundleSpec spec, int threads) {
        return (SpanEngine) create(model, spec.inputNames, spec.outputName, spec.maxLength, threads);
    }

    /** The LiteRT engine of a tagger's bundle (its per-position logits output). */
    static TokenEngine createToken(ByteBuffer model, BundleSpec spec, int threads) {
        return (TokenEngine) create(model, spec.inputNames, spec.outputName, spec.labels.size(), threads);
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
