package org.tinybert.core;

import java.util.List;

/**
 * Text in, label out: the bundle's tokenizer settings, the engine, softmax over the
 * bundle's label order. Used by the app's MainActivity; pure Java, so tested on the host.
 */
public final class TextClassifier implements TextEngine {
    private final BundleSpec spec;
    private final BertTokenizer tokenizer;
    private final InferenceEngine engine;

    public TextClassifier(BundleSpec spec, BertTokenizer tokenizer, InferenceEngine engine) {
        if (!"sequence".equals(spec.taskKind)) {
            throw new IllegalArgumentException("The bundle holds a " + spec.taskKind + " model (" + spec.outputKind
                    + "), not a text classifier: " + ("span".equals(spec.taskKind)
                    ? "answer questions with QuestionAnswerer (the app's QA screen)."
                    : "read its tags with TagDecoder."));
        }
        this.spec = spec;
        this.tokenizer = tokenizer;
        this.engine = engine;
    }

    public BundleSpec spec() {
        return spec;
    }

    public Encoding encode(String text, String pair) {
        Encoding encoding = tokenizer.encode(text, pair, spec.maxLength);
        return spec.fixedSeqLen == null ? encoding : encoding.padded(spec.fixedSeqLen);
    }

    /** Classifies one text (or a pair: {@code pair} non-null). Empty text is refused. */
    @Override
    public Prediction classify(String text, String pair) {
        if (text == null || text.trim().isEmpty()) {
            throw new IllegalArgumentException("The text is empty: type or pick a sentence to classify.");
        }
        long t0 = System.nanoTime();
        Encoding encoding = encode(text, pair);
        long t1 = System.nanoTime();
        float[] output = engine.run(encoding.inputIds, encoding.attentionMask, encoding.tokenTypeIds);
        long t2 = System.nanoTime();
        List<String> labels = spec.labels;
        if ("regression".equals(spec.outputKind)) {
            return new Prediction(String.valueOf(output[0]), 1f, new float[] {1f}, output, encoding.length(),
                    encoding.truncated, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }
        if (output.length != labels.size()) {
            throw new IllegalStateException("The model returned " + output.length + " logits but the bundle has "
                    + labels.size() + " labels: model.tflite and labels.txt come from different exports.");
        }
        // A MediaPipe bundle's model ends in softmax already; a second one would flatten the scores.
        float[] probs = "probabilities".equals(spec.outputKind) ? output : softmax(output);
        int best = 0;
        for (int k = 1; k < probs.length; k++) {
            if (probs[k] > probs[best]) {
                best = k;
            }
        }
        return new Prediction(labels.get(best), probs[best], probs, output, encoding.length(), encoding.truncated,
                (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    }

    @Override
    public String describe() {
        return engine.describe();
    }

    @Override
    public void close() {
        engine.close();
    }

    /** Numerically stable softmax (max subtracted first). */
    public static float[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int k = 0; k < logits.length; k++) {
            e[k] = Math.exp(logits[k] - max);
            sum += e[k];
        }
        float[] out = new float[logits.length];
        for (int k = 0; k < logits.length; k++) {
            out[k] = (float) (e[k] / sum);
        }
        return out;
    }
}
