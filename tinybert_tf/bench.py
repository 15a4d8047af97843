"""Benchmark harness: LiteRT latency, memory and size of exported variants, on this host
(`run_host_benchmark`, CLI `tinybert-tf bench`) or on an Android device through adb
(`tinybert_tf.device`). Both write the same versioned JSON schema (`SCHEMA`).

Protocol per (model, variant, sequence length): a fresh interpreter with `threads`
threads, batch 1, `warmup` untimed runs, then `runs` timed runs; p50/p90/p99/mean in ms.
Each variant is measured in its own subprocess (LiteRT and NumPy only, no TensorFlow) so
its peak RSS (VmHWM) is its own: the interpreter, the model and the Python runtime. All rows of
one call run in one session, one after another, so ratios between them compare like with
like on a noisy shared machine (absolute numbers still move between runs).
"""

import dataclasses
import json
import logging
import os
import platform
import subprocess
import sys
from typing import Dict, List, Optional

logger = logging.getLogger(__name__)

SCHEMA = "tinybert_tf.bench/1"

# Run by path, not imported: the child loads LiteRT and NumPy only, no TensorFlow.
_CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "litert_protocol.py")


@dataclasses.dataclass
class BenchConfig:
    """Args:
        exports: comma-separated `name=dir` of `tinybert-tf export` output directories
            (each has `export_report.json` and `<variant>/model.tflite`); the first
            model's float32 (or first) variant is the reference for speedups.
        variants: which variants to time (default: every one the export wrote).
        seq_lens: comma-separated sequence lengths.
        threads, warmup, runs: the protocol.
        output_dir: `bench.json`, `bench.md`, `bench.png`.
    """

    exports: str = "teacher=runs/demo/export_teacher,student=runs/demo/export"
    variants: Optional[str] = None
    seq_lens: str = "64,128"
    threads: int = 1
    warmup: int = 5
    runs: int = 50
    output_dir: str = "runs/bench"


def host_info() -> Dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {"kind": "host", "platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(),
            "python": platform.python_version()}


def _parse_exports(text: str) -> List[tuple]:
    pairs = []
    for item in [x.strip() for x in text.split(",") if x.strip()]:
        if "=" not in item:
            raise ValueError(f"--exports item {item!r}: write name=directory (e.g. student=runs/demo/export).")
        name, directory = item.split("=", 1)
        report = os.path.join(directory, "export_report.json")
        if not os.path.isfile(report):
            raise FileNotFoundError(f"{report} not found: run `tinybert-tf export --output-dir {directory}` first.")
        pairs.append((name, directory))
    if not pairs:
        raise ValueError("No exports to benchmark.")
    return pairs


def measure(path: str, seq_lens: List[int], threads: int, warmup: int, runs: int,
            special_ids: Optional[tuple] = None) -> Dict:
    """Time one .tflite file in a subprocess; returns {"latency": [...], "peak_rss_mb": x}.
    `special_ids`: the model's ([UNK], [CLS], [SEP]) ids (default BERT-base's)."""
    extra = [",".join(map(str, special_ids))] if special_ids else []
    proc = subprocess.run([sys.executable, _CHILD, path, ",".join(map(str, seq_lens)), str(threads),
                           str(warmup), str(runs)] + extra, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"Benchmarking {path} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_host_benchmark(config: BenchConfig) -> Dict:
    seq_lens = [int(s) for s in config.seq_lens.split(",") if s.strip()]
    wanted = [v.strip() for v in config.variants.split(",")] if config.variants else None
    results = []
    for name, directory in _parse_exports(config.exports):
        with open(os.path.join(directory, "export_report.json"), encoding="utf-8") as f:
            report = json.load(f)
        limit = report.get("max_position_embeddings")
        if limit and max(seq_lens) > limit:
            raise ValueError(f"{name} ({directory}) accepts sequences up to {limit} tokens; --seq-lens asks for "
                             f"{max(seq_lens)}. Use lengths <= {limit}.")
        if report.get("seq_len") and any(s != report["seq_len"] for s in seq_lens):
            raise ValueError(f"{name} was exported with a fixed length {report['seq_len']}; bench it at that length.")
        for variant, entry in report["variants"].items():
            if "path" not in entry or (wanted and variant not in wanted):
                continue
            path = os.path.join(directory, variant, "model.tflite")
            if not os.path.isfile(path):
                raise FileNotFoundError(f"{path} is missing though {directory}/export_report.json lists it: the "
                                        f"export was moved or cut short. Export again into a new folder "
                                        f"(tinybert-tf export --output-dir ...) and bench that.")
            measured = measure(path, seq_lens, config.threads, config.warmup, config.runs, _special_ids(report))
            for lat in measured["latency"]:
                results.append({
                    "model": name, "variant": variant, "file": path, "size_mb": os.path.getsize(path) / 1e6,
                    "test_accuracy": entry["test"].get("accuracy"), "test_score": test_score(entry["test"]),
                    "seq_len": lat["seq_len"],
                    "threads": lat["threads"], "warmup": lat["warmup"], "runs": lat["runs"],
                    "p50_ms": lat["p50_ms"], "p90_ms": lat["p90_ms"], "p99_ms": lat["p99_ms"],
                    "mean_ms": lat["mean_ms"], "peak_rss_mb": measured["peak_rss_mb"]})
            logger.info(f"{name}/{variant}: " + ", ".join(f"seq {r['seq_len']} p50 {r['p50_ms']:.2f} ms"
                                                          for r in results[-len(seq_lens):]))
    data = {"schema": SCHEMA, "device": host_info(), "protocol": {
        "batch": 1, "threads": config.threads, "warmup": config.warmup, "runs": config.runs}, "results": results}
    write_outputs(data, config.output_dir)
    return data


# The headline of each kind of export's test metrics (export.py's validation): accuracy for
# classifiers and taggers, F1 (in points) for QA, Spearman for regression.
_SCORES = (("accuracy", "{:.1%}"), ("f1", "F1 {:.1f}"), ("spearman", "Spearman {:.3f}"), ("pearson", "Pearson {:.3f}"))


def test_score(test: Dict) -> Optional[str]:
    """The file's test score as the table shows it, e.g. '82.0%', 'F1 59.4', 'Spearman 0.738'."""
    for key, form in _SCORES:
        if test.get(key) is not None:
            return form.format(test[key])
    return None


def _special_ids(report: Dict) -> Optional[tuple]:
    """([UNK], [CLS], [SEP]) ids of an exported model (a pruned vocabulary renumbers them)."""
    tokens = report.get("special_tokens") or {}
    if all(t in tokens for t in ("[UNK]", "[CLS]", "[SEP]")):
        return tokens["[UNK]"], tokens["[CLS]"], tokens["[SEP]"]
    return None


def _reference(results: List[Dict]) -> Dict:
    """The first model's float32 rows (or its first variant), per sequence length."""
    first = results[0]["model"]
    rows = [r for r in results if r["model"] == first]
    variant = "float32" if any(r["variant"] == "float32" for r in rows) else rows[0]["variant"]
    return {r["seq_len"]: r for r in rows if r["variant"] == variant}


def table(data: Dict) -> str:
    results = data["results"]
    if not results:
        return "(no results)"
    ref = _reference(results)
    seqs = sorted({r["seq_len"] for r in results})
    head = "| model | variant | MB | test score | " + " | ".join(f"p50 ms @{s}" for s in seqs) + " | " + \
        " | ".join(f"speedup @{s}" for s in seqs) + " | size ratio | peak RSS MB |"
    lines = [head, "|" + "---|" * (6 + 2 * len(seqs))]
    keys = []
    for r in results:
        if (r["model"], r["variant"]) not in keys:
            keys.append((r["model"], r["variant"]))
    for model, variant in keys:
        rows = {r["seq_len"]: r for r in results if (r["model"], r["variant"]) == (model, variant)}
        any_row = next(iter(rows.values()))
        acc = any_row["test_accuracy"]
        score = any_row.get("test_score") or ("n/a" if acc is None else f"{100 * acc:.1f}%")  # older JSON: accuracy
        ref_size = next(iter(ref.values()))["size_mb"]
        lines.append(
            f"| {model} | {variant} | {any_row['size_mb']:.1f} | {score} | "
            + " | ".join(f"{rows[s]['p50_ms']:.2f}" if s in rows else "n/a" for s in seqs) + " | "
            + " | ".join(f"{ref[s]['p50_ms'] / rows[s]['p50_ms']:.1f}x" if s in rows and s in ref else "n/a"
                         for s in seqs)
            + f" | {ref_size / any_row['size_mb']:.1f}x | {any_row['peak_rss_mb']:.0f} |")
    return "\n".join(lines)


def write_outputs(data: Dict, output_dir: str) -> None:
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, "bench.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
    text = table(data)
    with open(os.path.join(output_dir, "bench.md"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    logger.info(text)
    plot(data, os.path.join(output_dir, "bench.png"))


def plot(data: Dict, path: str) -> None:
    """Accuracy vs p50 latency at the longest sequence; marker area ~ file size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    results = data["results"]
    if not results:
        return
    seq = max(r["seq_len"] for r in results)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    shown = [r for r in results if r["seq_len"] == seq and r["test_accuracy"] is not None]
    # A legend, not labels beside the markers: float32/float16 pairs sit on top of each other.
    for i, r in enumerate(shown):
        ax.scatter(r["p50_ms"], 100 * r["test_accuracy"], s=20 + 3 * r["size_mb"], alpha=0.7,
                   marker="osD^v<>p"[i // 10 % 8], label=f"{r['model']} {r['variant']} ({r['size_mb']:.1f} MB)")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ticker.ScalarFormatter())  # 3, 5, 10 rather than 3x10^0
    ax.xaxis.set_minor_formatter(ticker.LogFormatter(labelOnlyBase=False))  # thins itself out
    ax.set_xlabel(f"p50 latency, seq {seq}, batch 1, {data['protocol']['threads']} thread(s) (ms, log)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"Accuracy vs latency vs size ({data['device'].get('kind', 'host')})")
    ax.grid(alpha=0.3)
    if shown:
        # At least 2 points of accuracy on the axis, so 0.1 points does not look like a gap.
        accuracies = [100 * r["test_accuracy"] for r in shown]
        middle, half = (max(accuracies) + min(accuracies)) / 2, max(1.0, (max(accuracies) - min(accuracies)) / 2 + 0.5)
        ax.set_ylim(middle - half, middle + half)
        ax.legend(fontsize=7, markerscale=0.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def merge(*datasets: Dict) -> Dict:
    """Host and device results in one document (rows tagged with their device)."""
    merged = {"schema": SCHEMA, "device": {"kind": "merged"}, "protocol": datasets[0]["protocol"], "results": []}
    for data in datasets:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"Result schema {data.get('schema')!r} is not {SCHEMA!r}; re-run that benchmark.")
        for r in data["results"]:
            merged["results"].append({**r, "model": f"{r['model']}@{data['device'].get('kind', '?')}"})
    return merged
