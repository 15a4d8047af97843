package org.tinybert.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host harness's latency protocol ({@code tinybert_tf/litert_protocol.py}) and its
 * result schema ({@code tinybert_tf.bench.SCHEMA}), for the app's benchmark mode: batch 1,
 * inputs [CLS] [UNK]... [SEP] all attended, {@code warmup} untimed runs then {@code runs}
 * timed ones per sequence length.
 */
public final class BenchmarkProtocol {
    public static final String SCHEMA = "tinybert_tf.bench/1";

    /** Wall clock in nanoseconds; tests pass a fake. */
    public interface Clock {
        long nanoTime();
    }

    public static final Clock SYSTEM_CLOCK = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }
    };

    private BenchmarkProtocol() {
    }

    /** [UNK], [CLS], [SEP] in BERT-base's layout (and MiniLM's); a pruned vocabulary has others. */
    public static final int[] BERT_SPECIAL_IDS = {100, 101, 102};

    /** The host's default_inputs with BERT-base's ids: [CLS] [UNK]... [SEP]. */
    public static int[][] defaultInputs(int seqLen) {
        return defaultInputs(seqLen, BERT_SPECIAL_IDS);
    }

    /**
     * The host's default_inputs: [CLS] [UNK]... [SEP], all attended, with the model's own
     * {unk, cls, sep} ids (the bundle's {@link BundleSpec#specialIds}); timing does not depend
     * on the ids, but they must exist in the model's vocabulary.
     */
    public static int[][] defaultInputs(int seqLen, int[] specialIds) {
        if (seqLen < 2) {
            throw new IllegalArgumentException("seq_len=" + seqLen + ": use at least 2 ([CLS] and [SEP]).");
        }
        int[] special = specialIds == null ? BERT_SPECIAL_IDS : specialIds;
        int[] ids = new int[seqLen];
        Arrays.fill(ids, special[0]);
        ids[0] = special[1];
        ids[seqLen - 1] = special[2];
        int[] mask = new int[seqLen];
        Arrays.fill(mask, 1);
        return new int[][] {ids, mask, new int[seqLen]};
    }

    /** Times the engine at one length; the fields of the host's time_model. */
    public static Map<String, Object> time(InferenceEngine engine, int seqLen, int threads, int warmup, int runs,
                                           Clock clock) {
        return time(engine, seqLen, threads, warmup, runs, clock, null);
    }

    /** {@link #time} with the model's own special ids (null: BERT-base's). */
    public static Map<String, Object> time(InferenceEngine engine, int seqLen, int threads, int warmup, int runs,
                                           Clock clock, int[] specialIds) {
        if (runs < 1 || warmup < 0) {
            throw new IllegalArgumentException("runs=" + runs + ", warmup=" + warmup + ": use runs >= 1, warmup >= 0.");
        }
        int[][] in = defaultInputs(seqLen, specialIds);
        for (int k = 0; k < warmup; k++) {
            engine.run(in[0], in[1], in[2]);
        }
        double[] ms = new double[runs];
        for (int k = 0; k < runs; k++) {
            long start = clock.nanoTime();
            engine.run(in[0], in[1], in[2]);
            ms[k] = (clock.nanoTime() - start) / 1e6;
        }
        LatencyStats stats = new LatencyStats(ms);
        Map<String, Object> out = new LinkedHashMap<String, Object>();
        out.put("p50_ms", stats.p50Ms);
        out.put("p90_ms", stats.p90Ms);
        out.put("p99_ms", stats.p99Ms);
        out.put("mean_ms", stats.meanMs);
        out.put("runs", (long) runs);
        out.put("warmup", (long) warmup);
        out.put("threads", (long) threads);
        out.put("seq_len", (long) seqLen);
        return out;
    }

    /**
     * The whole benchmark document: one result row per sequence length, in the host's row
     * format, so {@code tinybert-tf bench-device} merges it with host results.
     */
    public static Map<String, Object> run(InferenceEngine engine, Map<String, Object> device, String model,
                                          String variant, String file, double sizeMb, Double testAccuracy,
                                          int[] seqLens, int threads, int warmup, int runs, Clock clock,
                                          Double peakRssMb) {
        return run(engine, device, model, variant, file, sizeMb, testAccuracy, seqLens, threads, warmup, runs, clock,
                peakRssMb, null);
    }

    /** {@link #run} timing with the model's own [UNK]/[CLS]/[SEP] ids (null: BERT-base's). */
    public static Map<String, Object> run(InferenceEngine engine, Map<String, Object> device, String model,
                                          String variant, String file, double sizeMb, Double testAccuracy,
                                          int[] seqLens, int threads, int warmup, int runs, Clock clock,
                                          Double peakRssMb, int[] specialIds) {
        List<Object> results = new ArrayList<Object>();
        for (int seqLen : seqLens) {
            Map<String, Object> lat = time(engine, seqLen, threads, warmup, runs, clock, specialIds);
            Map<String, Object> row = new LinkedHashMap<String, Object>();
            row.put("model", model);
            row.put("variant", variant);
            row.put("file", file);
            row.put("size_mb", sizeMb);
            row.put("test_accuracy", testAccuracy);
            row.putAll(lat);
            row.put("peak_rss_mb", peakRssMb);
            results.add(row);
        }
        Map<String, Object> protocol = new LinkedHashMap<String, Object>();
        protocol.put("batch", 1L);
        protocol.put("threads", (long) threads);
        protocol.put("warmup", (long) warmup);
        protocol.put("runs", (long) runs);
        Map<String, Object> doc = new LinkedHashMap<String, Object>();
        doc.put("schema", SCHEMA);
        doc.put("device", device);
        doc.put("protocol", protocol);
        doc.put("results", results);
        return doc;
    }

    /** "64,128" -> {64, 128}, with the fix in the message for bad input. */
    public static int[] parseSeqLens(String text) {
        if (text == null || text.trim().isEmpty()) {
            throw new IllegalArgumentException("seq_lens is empty: pass e.g. --es seq_lens 64,128.");
        }
        String[] parts = text.split(",");
        int[] out = new int[parts.length];
        for (int k = 0; k < parts.length; k++) {
            try {
                out[k] = Integer.parseInt(parts[k].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("seq_lens item '" + parts[k] + "' is not a number: pass e.g. 64,128.");
            }
        }
        return out;
    }
}
