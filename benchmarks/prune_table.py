"""Pruned students side by side (a benchmark, not a test): parameters, dynamic-range int8
TFLite size, test accuracy (Keras and the int8 TFLite model), LiteRT latency (1 thread,
batch 1, seq 64 and 128). Writes a Markdown table, JSON and a matplotlib plot.

    .venv/bin/python benchmarks/prune_table.py --out runs/prune/table \
        base=runs/demo/student sparse50=runs/prune/sparse50 structured=runs/prune/structured ...

Every row is measured in this one process, one after another, so the latency ratios
compare like with like on a noisy shared machine.
"""

import argparse
import json
import os

import numpy as np

from tinybert_tf import data as data_lib
from tinybert_tf import export, load_pretrained, prune
from tinybert_tf.metrics import compute_metrics


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="*", help="name=model_dir; the first row is the baseline for ratios")
    parser.add_argument("--task", default="fine_foods")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", default="runs/prune/table")
    parser.add_argument("--replot", action="store_true", help="redraw pruning.png from <out>/results.json")
    args = parser.parse_args()
    if args.replot:
        with open(os.path.join(args.out, "results.json"), encoding="utf-8") as f:
            plot(json.load(f)["results"], os.path.join(args.out, "pruning.png"))
        return

    task = data_lib.load_task(args.task)
    results = []
    for row in args.rows:
        name, directory = row.split("=", 1)
        loaded = load_pretrained(directory)
        model, tokenizer = loaded.classifier, loaded.tokenizer
        flatbuffer = export.to_tflite(model, "dynamic_int8")
        features = data_lib.encode(task.test, tokenizer, args.max_length)
        logits = export.tflite_logits(flatbuffer, features, batch_size=50)
        with open(os.path.join(directory, "metrics.json"), encoding="utf-8") as f:
            keras_test = json.load(f).get("test", {})
        latency = {seq: export.litert_latency(flatbuffer, seq, runs=args.runs) for seq in (64, 128)}
        config = model.encoder.config
        results.append({
            "name": name, "dir": directory, "parameters": prune.count_parameters(model),
            "heads_per_layer": prune.layer_sizes(config), "intermediate_size": config.intermediate_size,
            "vocab_size": config.vocab_size, "kernel_sparsity": prune.sparsity_report(model)[-1]["sparsity"],
            "tflite_int8_mb": len(flatbuffer) / 1e6,
            "keras_test_accuracy": keras_test.get("accuracy"),
            "tflite_int8_test_accuracy": compute_metrics(logits, task.test.labels, task.is_regression)["accuracy"],
            "p50_ms_seq64": latency[64]["p50_ms"], "p50_ms_seq128": latency[128]["p50_ms"],
        })
        print(f"{name}: {results[-1]}", flush=True)

    base = results[0]
    lines = ["| variant | parameters | heads/layer | FFN | vocab | kernel sparsity | int8 TFLite MB | "
             "test acc (Keras) | test acc (int8 TFLite) | p50 ms seq64 | p50 ms seq128 | speedup @128 vs first |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        acc = r["keras_test_accuracy"]
        lines.append(
            f"| {r['name']} | {r['parameters'] / 1e6:.2f}M | {'/'.join(map(str, r['heads_per_layer']))} | "
            f"{r['intermediate_size']} | {r['vocab_size']} | {100 * r['kernel_sparsity']:.0f}% | "
            f"{r['tflite_int8_mb']:.1f} | {'n/a' if acc is None else f'{100 * acc:.1f}%'} | "
            f"{100 * r['tflite_int8_test_accuracy']:.1f}% | {r['p50_ms_seq64']:.2f} | {r['p50_ms_seq128']:.2f} | "
            f"{base['p50_ms_seq128'] / r['p50_ms_seq128']:.2f}x |")
    table = "\n".join(lines)
    print(table)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "table.md"), "w", encoding="utf-8") as f:
        f.write(table + "\n")
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"schema": "tinybert_tf.prune_table/1", "results": results}, f, indent=2)

    plot(results, os.path.join(args.out, "pruning.png"))
    print(f"wrote {args.out}/table.md, results.json, pruning.png")


def plot(results, path):
    """Two panels sharing the accuracy axis: int8 latency (seq 128) and int8 file size; one
    colour and marker per variant, named in the legend (labels beside points overlapped)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    markers = "osD^v<>pPX*h"
    for i, r in enumerate(results):
        style = dict(marker=markers[i % len(markers)], s=60, color=plt.cm.tab20(i % 20), label=r["name"])
        acc = 100 * r["tflite_int8_test_accuracy"]
        left.scatter(r["p50_ms_seq128"], acc, **style)
        right.scatter(r["tflite_int8_mb"], acc, **style)
    left.set_xlabel("LiteRT p50 latency, seq 128, 1 thread (ms)")
    right.set_xlabel("dynamic-range int8 TFLite file (MB)")
    left.set_ylabel("test accuracy, int8 TFLite (%)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    right.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    fig.suptitle("Pruned fine_foods students: accuracy vs latency and size (up and left is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
