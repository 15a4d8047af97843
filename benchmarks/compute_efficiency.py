"""How close int8 students come to this CPU's int8 matrix-multiply peak, and their peak RSS.

For each model: its multiply-adds per inference at `--seq` (counted from its weights: every
encoder dense layer on every token, the attention score and context products, pooler and
classifier on [CLS]; embedding lookups, LayerNorm, softmax and GELU are not multiply-adds),
its LiteRT p50 and peak RSS (batch 1, `--threads`, in a process of its own, as `bench`),
and the achieved G multiply-adds/s. The peak it is compared with is measured in the same run
with the same interpreter: single FULLY_CONNECTED layers of M=`--seq` tokens (the student's
own FFN shape and a large square one) converted dynamic-range int8 (what the students use:
int8 weights, activations quantized on the fly) and full int8, p50 over `--runs`.

    .venv/bin/python benchmarks/compute_efficiency.py \\
        --models student=runs/demo/student=runs/demo/export/dynamic_int8/model.tflite \\
        --output-dir runs/compute_efficiency

Writes `<output-dir>/compute_efficiency.md` and `.json`. The converter may drop work the
classifier does not read (rows other than [CLS] after the last attention), so the count is an
upper bound on the work done and the achieved rate a (slight) overestimate.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def multiply_adds(model_dir, seq):
    """Multiply-adds of one batch-1 forward pass at `seq` tokens, from the checkpoint's shapes."""
    from safetensors.numpy import safe_open

    total = 0
    with safe_open(os.path.join(model_dir, "model.safetensors"), framework="numpy") as f:
        for name in f.keys():
            if not name.endswith(".weight") or len(f.get_slice(name).get_shape()) != 2 or "embeddings" in name:
                continue
            out_dim, in_dim = f.get_slice(name).get_shape()
            tokens = 1 if ("pooler" in name or name.startswith("classifier")) else seq
            total += tokens * in_dim * out_dim
            if name.endswith("attention.self.query.weight"):  # Q K^T and softmax(.) V, all heads
                total += 2 * seq * seq * out_dim
    return total


def _gemm_tflite(m, k, n, full_int8):
    import tensorflow as tf

    from tinybert_tf.backend import keras

    inputs = keras.Input((m, k), batch_size=1)
    model = keras.Model(inputs, keras.layers.Dense(n, use_bias=False)(inputs))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if full_int8:
        rng = np.random.default_rng(0)
        converter.representative_dataset = lambda: ([rng.standard_normal((1, m, k)).astype(np.float32)]
                                                    for _ in range(8))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter.convert()


def time_gemm(flatbuffer, m, k, threads, warmup, runs):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer, num_threads=threads)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    x = np.random.default_rng(0).standard_normal((1, m, k)).astype(np.float32)
    if detail["dtype"] == np.int8:
        scale, zero = detail["quantization"]
        x = np.clip(np.round(x / scale + zero), -128, 127).astype(np.int8)
    interpreter.set_tensor(detail["index"], x)
    for _ in range(warmup):
        interpreter.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interpreter.invoke()
        times.append((time.perf_counter() - start) * 1e3)
    return float(np.percentile(times, 50))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", required=True,
                        help="comma-separated name=model_dir=tflite_file (the Keras/HF directory gives the shapes)")
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--gemm", default="384x1536,2048x2048", help="K x N shapes of the peak FULLY_CONNECTED")
    parser.add_argument("--output-dir", required=True)
    args = parser.parse_args(argv)

    from tinybert_tf import bench, outputs

    rows = []
    for spec in args.models.split(","):
        name, model_dir, path = spec.split("=")
        report_path = os.path.join(os.path.dirname(os.path.dirname(path)), "export_report.json")
        special = None
        if os.path.isfile(report_path):
            with open(report_path, encoding="utf-8") as f:
                special = bench._special_ids(json.load(f))
        measured = bench.measure(path, [args.seq], args.threads, args.warmup, args.runs, special_ids=special)
        p50 = measured["latency"][0]["p50_ms"]
        macs = multiply_adds(model_dir, args.seq)
        rows.append({"kind": "model", "name": name, "file": path, "size_mb": os.path.getsize(path) / 1e6,
                     "multiply_adds": macs, "p50_ms": p50, "gmacs": macs / p50 / 1e6,
                     "peak_rss_mb": measured["peak_rss_mb"]})
        print(rows[-1], flush=True)
    for shape in args.gemm.split(","):
        k, n = (int(v) for v in shape.split("x"))
        for full in (False, True):
            p50 = time_gemm(_gemm_tflite(args.seq, k, n, full), args.seq, k, args.threads, args.warmup, args.runs)
            macs = args.seq * k * n
            rows.append({"kind": "gemm", "name": f"FULLY_CONNECTED {args.seq}x{k}x{n} "
                         + ("full int8" if full else "dynamic int8"), "multiply_adds": macs, "p50_ms": p50,
                         "gmacs": macs / p50 / 1e6})
            print(rows[-1], flush=True)
    peak = max(r["gmacs"] for r in rows if r["kind"] == "gemm")
    lines = [f"LiteRT, batch 1, {args.threads} thread(s), seq {args.seq}, p50 of {args.runs} runs; "
             f"peak = best single int8 FULLY_CONNECTED = {peak:.1f} G multiply-adds/s.", "",
             "| what | M multiply-adds | p50 ms | G multiply-adds/s | of peak | MB | peak RSS MB |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['multiply_adds'] / 1e6:.1f} | {r['p50_ms']:.3f} | {r['gmacs']:.1f} | "
                     f"{r['gmacs'] / peak:.0%} | {r.get('size_mb', 0):.1f} | "
                     + (f"{r['peak_rss_mb']:.0f} |" if r.get("peak_rss_mb") else "- |"))
    table = "\n".join(lines) + "\n"
    os.makedirs(args.output_dir, exist_ok=True)
    outputs.write_text(os.path.join(args.output_dir, "compute_efficiency.md"), table)
    outputs.write_json(os.path.join(args.output_dir, "compute_efficiency.json"),
                       {"device": bench.host_info(), "seq": args.seq, "threads": args.threads, "runs": args.runs,
                        "peak_gmacs": peak, "rows": rows})
    print(table)


if __name__ == "__main__":
    main()
