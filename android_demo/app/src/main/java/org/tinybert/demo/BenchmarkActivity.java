package org.tinybert.demo;

import android.app.Activity;
import android.content.Intent;
import android.os.Build;
import android.os.Bundle;
import android.util.Log;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tinybert.core.BenchmarkProtocol;
import org.tinybert.core.InferenceEngine;
import org.tinybert.core.Json;
import org.tinybert.core.ProcessMemory;

/**
 * Benchmark mode for `tinybert-tf bench-device`: the host harness's protocol on the phone.
 *
 * <pre>
 * adb shell am start -W -n org.tinybert.demo/.BenchmarkActivity \
 *     --es model_path /data/local/tmp/tinybert/model.tflite --es model_name student \
 *     --es variant dynamic_int8 --es seq_lens 64,128 --ei threads 1 --ei warmup 5 --ei runs 50 \
 *     --es output_path /sdcard/Android/data/org.tinybert.demo/files/bench.json
 * </pre>
 * Writes the results (schema tinybert_tf.bench/1) to output_path, or on failure a JSON with
 * "error"; logs under the tag TinyBertBenchmark; then finishes.
 */
public class BenchmarkActivity extends Activity {
    private static final String TAG = "TinyBertBenchmark";

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        final Intent intent = getIntent();
        final File defaultOut = new File(getExternalFilesDir(null), "bench.json");
        new Thread(new Runnable() {
            @Override
            public void run() {
                String output = intent.getStringExtra("output_path");
                File out = output == null ? defaultOut : new File(output);
                String json;
                try {
                    json = Json.write(benchmark(intent));
                    Log.i(TAG, "Results: " + json);
                } catch (Exception e) {
                    Log.e(TAG, "Benchmark failed", e);
                    Map<String, Object> error = new LinkedHashMap<String, Object>();
                    error.put("schema", BenchmarkProtocol.SCHEMA);
                    error.put("error", String.valueOf(e.getMessage()));
                    json = Json.write(error);
                }
                try {
                    write(out, json);
                } catch (IOException e) {
                    Log.e(TAG, "Could not write " + out, e);
                }
                finish();
            }
        }, "benchmark").start();
    }

    private Map<String, Object> benchmark(Intent intent) throws IOException {
        String modelPath = intent.getStringExtra("model_path");
        if (modelPath == null) {
            throw new IllegalArgumentException("model_path extra missing: pass --es model_path /data/local/tmp/tinybert/model.tflite");
        }
        int[] seqLens = BenchmarkProtocol.parseSeqLens(intent.getStringExtra("seq_lens") == null
                ? "64,128" : intent.getStringExtra("seq_lens"));
        int threads = intent.getIntExtra("threads", 1);
        int warmup = intent.getIntExtra("warmup", 5);
        int runs = intent.getIntExtra("runs", 50);
        File model = new File(modelPath);
        BundleFiles files = BundleFiles.fromDirectory(model.getParentFile(), model);
        Map<String, String> names = files.spec != null ? files.spec.inputNames : taskLibraryNames();
        int outputs = files.spec == null ? 2 : ("regression".equals(files.spec.outputKind) ? 1 : files.spec.labels.size());
        InferenceEngine engine = EngineFactory.create(files.model, names,
                files.spec != null ? files.spec.outputName : "logits", outputs, threads);
        Map<String, Object> device = new LinkedHashMap<String, Object>();
        device.put("kind", "android");
        device.put("manufacturer", Build.MANUFACTURER);
        device.put("model", Build.MODEL);
        device.put("sdk", (long) Build.VERSION.SDK_INT);
        device.put("abis", Arrays.toString(Build.SUPPORTED_ABIS));
        device.put("engine", engine.describe());
        try {
            String name = intent.getStringExtra("model_name");
            String variant = intent.getStringExtra("variant");
            return BenchmarkProtocol.run(engine, device, name == null ? "model" : name,
                    variant == null ? (files.spec == null ? "unknown" : files.spec.variant) : variant, modelPath,
                    files.modelBytes / 1e6, files.spec == null ? null : files.spec.testAccuracy, seqLens, threads,
                    warmup, runs, BenchmarkProtocol.SYSTEM_CLOCK, ProcessMemory.peakRssMb(),
                    files.spec == null ? null : files.spec.specialIds);
        } finally {
            engine.close();
        }
    }

    private static Map<String, String> taskLibraryNames() {
        Map<String, String> names = new LinkedHashMap<String, String>();
        names.put("input_ids", "ids");
        names.put("attention_mask", "mask");
        names.put("token_type_ids", "segment_ids");
        return names;
    }

    private static void write(File out, String json) throws IOException {
        File parent = out.getParentFile();
        if (parent != null && !parent.isDirectory() && !parent.mkdirs()) {
            throw new IOException("Cannot create " + parent);
        }
        File tmp = new File(out.getPath() + ".tmp");  // the host polls for the file: write, then rename
        FileOutputStream f = new FileOutputStream(tmp);
        try {
            f.write(json.getBytes(StandardCharsets.UTF_8));
        } finally {
            f.close();
        }
        if (!tmp.renameTo(out)) {
            throw new IOException("Cannot rename " + tmp + " to " + out);
        }
    }
}
