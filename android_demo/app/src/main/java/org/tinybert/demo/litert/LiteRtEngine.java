package org.tinybert.demo.litert;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.tensorflow.lite.Interpreter;
import org.tinybert.core.InferenceEngine;
import org.tinybert.core.SpanEngine;
import org.tinybert.core.TokenEngine;

/**
 * The only class that touches LiteRT (org.tensorflow.lite): the bundle's model through the
 * Interpreter's signature runner, inputs by the bundle's names (ids / mask / segment_ids),
 * resized per call to the example's length (the exported models have a dynamic sequence axis).
 * A question answerer's bundle is run through {@link #runSpan} (its start_logits and
 * end_logits outputs), a tagger's through {@link #runTokens} (logits per position, one row of
 * {@code numOutputs} tag scores each). Not part of the hand-built check APK (LiteRT is only on Google's Maven).
 */
public final class LiteRtEngine implements InferenceEngine, SpanEngine, TokenEngine {
    private final Interpreter interpreter;
    private final Map<String, String> inputNames;
    private final String outputName;
    private final int numOutputs;
    private final int threads;

    public LiteRtEngine(ByteBuffer model, Map<String, String> inputNames, String outputName, int numOutputs,
                        int threads) {
        Interpreter.Options options = new Interpreter.Options();
        options.setNumThreads(threads);
        this.interpreter = new Interpreter(model, options);
        this.inputNames = inputNames;
        this.outputName = outputName;
        this.numOutputs = numOutputs;
        this.threads = threads;
    }

    /** Batch-1 inputs by the bundle's names. */
    private Map<String, Object> inputs(int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {
        Map<String, Object> inputs = new HashMap<String, Object>();
        inputs.put(inputNames.get("input_ids"), new int[][] {inputIds});
        inputs.put(inputNames.get("attention_mask"), new int[][] {attentionMask});
        inputs.put(inputNames.get("token_type_ids"), new int[][] {tokenTypeIds});
        return inputs;
    }

    @Override
    public float[] run(int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {
        Map<String, Object> inputs = inputs(inputIds, attentionMask, tokenTypeIds);
        float[][] output = new float[1][numOutputs];
        Map<String, Object> outputs = new HashMap<String, Object>();
        outputs.put(outputName, output);
        interpreter.runSignature(inputs, outputs);
        return output[0];
    }

    @Override
    public float[][] runSpan(int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {
        Map<String, Object> inputs = inputs(inputIds, attentionMask, tokenTypeIds);
        float[][] start = new float[1][inputIds.length];
        float[][] end = new float[1][inputIds.length];
        Map<String, Object> outputs = new HashMap<String, Object>();
        outputs.put("start_logits", start);
        outputs.put("end_logits", end);
        interpreter.runSignature(inputs, outputs);
        return new float[][] {start[0], end[0]};
    }

    @Override
    public float[][] runTokens(int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {
        Map<String, Object> inputs = inputs(inputIds, attentionMask, tokenTypeIds);
        float[][][] logits = new float[1][inputIds.length][numOutputs];
        Map<String, Object> outputs = new HashMap<String, Object>();
        outputs.put(outputName, logits);
        interpreter.runSignature(inputs, outputs);
        return logits[0];
    }

    @Override
    public String describe() {
        return "LiteRT Interpreter, " + threads + " thread(s)";
    }

    @Override
    public void close() {
        interpreter.close();
    }
}
