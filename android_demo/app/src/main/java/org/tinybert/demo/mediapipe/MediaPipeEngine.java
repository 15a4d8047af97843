package org.tinybert.demo.mediapipe;

import android.content.Context;
import com.google.mediapipe.tasks.components.containers.Category;
import com.google.mediapipe.tasks.core.BaseOptions;
import com.google.mediapipe.tasks.text.textclassifier.TextClassifier;
import com.google.mediapipe.tasks.text.textclassifier.TextClassifierResult;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tinybert.core.Prediction;
import org.tinybert.core.TextEngine;

/**
 * The only class that touches MediaPipe Tasks: its TextClassifier runs a model exported with
 * `tinybert-tf export --format mediapipe`, tokenizing with the vocabulary packed in the
 * model's metadata. Scores come back per label name and are put in the bundle's label order.
 * Like LiteRtEngine, not part of the hand-built check APK (MediaPipe is only on Google's Maven).
 */
public final class MediaPipeEngine implements TextEngine {
    private final TextClassifier classifier;
    private final List<String> labels;

    public MediaPipeEngine(Context context, ByteBuffer model, List<String> labels) {
        TextClassifier.TextClassifierOptions options = TextClassifier.TextClassifierOptions.builder()
                .setBaseOptions(BaseOptions.builder().setModelAssetBuffer(model).build())
                .setMaxResults(-1)
                .build();
        this.classifier = TextClassifier.createFromOptions(context, options);
        this.labels = labels;
    }

    @Override
    public Prediction classify(String text, String pair) {
        if (text == null || text.trim().isEmpty()) {
            throw new IllegalArgumentException("The text is empty: type or pick a sentence to classify.");
        }
        if (pair != null) {
            throw new IllegalArgumentException("MediaPipe's TextClassifier takes one text, not a pair.");
        }
        long t0 = System.nanoTime();
        TextClassifierResult result = classifier.classify(text);
        double millis = (System.nanoTime() - t0) / 1e6;
        Map<String, Float> byName = new HashMap<String, Float>();
        for (Category c : result.classificationResult().classifications().get(0).categories()) {
            byName.put(c.categoryName(), c.score());
        }
        float[] scores = new float[labels.size()];
        for (int k = 0; k < scores.length; k++) {
            Float score = byName.get(labels.get(k));
            if (score == null) {
                throw new IllegalStateException("MediaPipe returned no score for label " + labels.get(k)
                        + ": the model's labels.txt and the bundle's labels differ; re-export.");
            }
            scores[k] = score;
        }
        return Prediction.fromScores(labels, scores, millis);
    }

    @Override
    public String describe() {
        return "MediaPipe Tasks TextClassifier";
    }

    @Override
    public void close() {
        classifier.close();
    }
}
