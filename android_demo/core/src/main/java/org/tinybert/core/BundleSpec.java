package org.tinybert.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The app bundle's {@code bundle.json} (written by {@code tinybert-tf export}): the one
 * contract between the Python side and the app. Unknown keys are ignored; missing or
 * wrong ones fail here with the fix.
 */
public final class BundleSpec {
    public static final int FORMAT_VERSION = 1;

    public final String modelFile;
    public final String vocabFile;
    public final String labelsFile;
    public final String variant;
    public final int maxLength;
    /** Non-null when the model was exported with a fixed sequence length. */
    public final Integer fixedSeqLen;
    public final boolean doLowerCase;
    public final boolean stripAccents;
    /** Keras input name (input_ids, attention_mask, token_type_ids) -> the model's input name. */
    public final Map<String, String> inputNames;
    public final String outputName;
    /** "logits" (softmax over labels), "probabilities" (already softmaxed: the MediaPipe model) or "regression";
     *  "token_logits" (a tagger) or "span_logits" (a question answerer). */
    public final String outputKind;
    /** What the model predicts: "sequence" (a label or score per text), "token" (a tag per word) or "span"
     *  (an answer span in a context). Bundles from before task_kind are "sequence". */
    public final String taskKind;
    /** The model's output names: one for sequence and token models; start_logits, end_logits for span models. */
    public final List<String> outputNames;
    /** Span models: context tokens two windows share, question pieces kept, longest answer in pieces (else 0). */
    public final int docStride;
    public final int maxQueryLength;
    public final int maxAnswerLength;
    public final List<String> labels;
    /** Test accuracy measured at export, or null. */
    public final Double testAccuracy;
    /** The model's {[UNK], [CLS], [SEP]} ids from special_tokens (a pruned vocabulary renumbers them), or null. */
    public final int[] specialIds;

    @SuppressWarnings("unchecked")
    private BundleSpec(Map<String, Object> json) {
        Object version = json.get("format_version");
        if (!(version instanceof Long) || ((Long) version) != FORMAT_VERSION) {
            throw new IllegalArgumentException("bundle.json has format_version " + version + "; this app reads "
                    + FORMAT_VERSION + ". Re-export the bundle with a matching tinybert-tf (tinybert-tf export).");
        }
        modelFile = string(json, "model_file");
        vocabFile = string(json, "vocab_file");
        labelsFile = string(json, "labels_file");
        variant = string(json, "variant");
        maxLength = (int) number(json, "max_length");
        Object fixed = json.get("fixed_seq_len");
        fixedSeqLen = fixed == null ? null : Integer.valueOf((int) ((Number) fixed).longValue());
        doLowerCase = bool(json, "do_lower_case");
        stripAccents = json.containsKey("strip_accents") ? bool(json, "strip_accents") : doLowerCase;
        Map<String, String> names = new LinkedHashMap<String, String>();
        Object rawNames = json.get("input_names");
        if (!(rawNames instanceof Map)) {
            throw missing("input_names");
        }
        for (String key : new String[] {"input_ids", "attention_mask", "token_type_ids"}) {
            Object name = ((Map<String, Object>) rawNames).get(key);
            if (!(name instanceof String)) {
                throw missing("input_names." + key);
            }
            names.put(key, (String) name);
        }
        inputNames = Collections.unmodifiableMap(names);
        taskKind = json.containsKey("task_kind") ? string(json, "task_kind") : "sequence";
        outputName = string(json, "output_name");
        outputKind = string(json, "output_kind");
        String expected = "token".equals(taskKind) ? "token_logits" : "span".equals(taskKind) ? "span_logits" : null;
        if (expected == null && !"sequence".equals(taskKind)) {
            throw new IllegalArgumentException("bundle.json task_kind=" + taskKind + " is none of sequence, token, "
                    + "span; re-export the bundle with a matching tinybert-tf.");
        }
        if (expected == null ? !"logits".equals(outputKind) && !"probabilities".equals(outputKind)
                && !"regression".equals(outputKind) : !expected.equals(outputKind)) {
            throw new IllegalArgumentException("bundle.json output_kind=" + outputKind + " does not fit task_kind="
                    + taskKind + " (" + (expected == null ? "logits, probabilities or regression" : expected)
                    + "); re-export the bundle with a matching tinybert-tf.");
        }
        List<String> outputs = new ArrayList<String>();
        Object rawOutputs = json.get("output_names");
        if (rawOutputs instanceof List) {
            for (Object name : (List<Object>) rawOutputs) {
                outputs.add(String.valueOf(name));
            }
        } else {
            outputs.add(outputName);  // bundles from before output_names
        }
        outputNames = Collections.unmodifiableList(outputs);
        boolean span = "span".equals(taskKind);
        docStride = span ? (int) number(json, "doc_stride") : 0;
        maxQueryLength = span ? (int) number(json, "max_query_length") : 0;
        maxAnswerLength = span ? (int) number(json, "max_answer_length") : 0;
        if (span && !outputNames.equals(java.util.Arrays.asList("start_logits", "end_logits"))) {
            throw missing("output_names");
        }
        List<String> labelList = new ArrayList<String>();
        Object rawLabels = json.get("labels");
        if (!(rawLabels instanceof List) || (((List<Object>) rawLabels).isEmpty() && !span)) {
            throw missing("labels");
        }
        for (Object label : (List<Object>) rawLabels) {
            labelList.add(String.valueOf(label));
        }
        labels = Collections.unmodifiableList(labelList);
        Object accuracy = json.get("test_accuracy");
        testAccuracy = accuracy instanceof Number ? ((Number) accuracy).doubleValue() : null;
        specialIds = specialIds(json.get("special_tokens"));
        if (maxLength < 2) {
            throw new IllegalArgumentException("bundle.json max_length=" + maxLength + " is below 2; re-export.");
        }
        if (fixedSeqLen != null && fixedSeqLen != maxLength) {
            throw new IllegalArgumentException("bundle.json fixed_seq_len=" + fixedSeqLen + " differs from max_length="
                    + maxLength + "; re-export.");
        }
    }

    @SuppressWarnings("unchecked")
    private static int[] specialIds(Object raw) {
        if (!(raw instanceof Map)) {
            return null;  // bundles from before special_tokens: BERT-base's ids apply
        }
        Map<String, Object> tokens = (Map<String, Object>) raw;
        String[] names = {"[UNK]", "[CLS]", "[SEP]"};
        int[] ids = new int[names.length];
        for (int k = 0; k < names.length; k++) {
            Object id = tokens.get(names[k]);
            if (!(id instanceof Long)) {
                throw missing("special_tokens." + names[k]);
            }
            ids[k] = (int) (long) (Long) id;
        }
        return ids;
    }

    public static BundleSpec parse(String json) {
        return new BundleSpec(Json.parseObject(json));
    }

    private static IllegalArgumentException missing(String key) {
        return new IllegalArgumentException("bundle.json lacks a valid \"" + key
                + "\"; it was not written by tinybert-tf export (re-export the bundle).");
    }

    private static String string(Map<String, Object> json, String key) {
        Object v = json.get(key);
        if (!(v instanceof String)) {
            throw missing(key);
        }
        return (String) v;
    }

    private static long number(Map<String, Object> json, String key) {
        Object v = json.get(key);
        if (!(v instanceof Long)) {
            throw missing(key);
        }
        return (Long) v;
    }

    private static boolean bool(Map<String, Object> json, String key) {
        Object v = json.get(key);
        if (!(v instanceof Boolean)) {
            throw missing(key);
        }
        return (Boolean) v;
    }
}
