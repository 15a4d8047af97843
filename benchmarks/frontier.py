"""The compression frontier: accuracy vs LiteRT latency vs file size, one table and one plot.

Each model (a saved classifier directory: the teacher, students, pruned students) is
exported to TFLite (`tinybert-tf export`, every variant validated; reused when already
exported with the same settings), then every file is timed in one `bench` session (so
ratios compare like with like on a noisy machine). The first model is the reference: its
float32 file gives the speedups and size ratios, its float32 test score the accuracy
budget. Scores are the TFLite files' own test scores (accuracy, or Spearman for
regression) with their standard errors.

Goal region (the compression-frontier issue): >= 10x faster at the longest sequence,
>= 20x smaller, <= 1 point below the reference.

    .venv/bin/python benchmarks/frontier.py --task fine_foods \\
        --models teacher=runs/demo/teacher,student=runs/demo/student,pruned=runs/pruned \\
        --output-dir runs/frontier

Writes `<output-dir>/frontier.md`, `frontier.json`, `frontier.png` (and `exports/`, `bench/`).
"""

import argparse
import json
import os

GOAL_SPEEDUP, GOAL_SMALLER, GOAL_POINTS = 10.0, 20.0, 1.0


def export_all(models, task, variants, reference_variants, output_dir, max_length, data_dir):
    from tinybert_tf import export

    exports = []
    for i, (name, model_dir) in enumerate(models):
        out = os.path.join(output_dir, "exports", name)
        wanted = reference_variants if i == 0 else variants
        # force: a variant that fails its accuracy check is still a point on the frontier.
        export.export_model(export.ExportConfig(model=model_dir, task=task, output_dir=out, variants=wanted,
                                                bundle_variant=wanted.split(",")[0], max_length=max_length,
                                                force=True, data_dir=data_dir))
        exports.append((name, out))
    return exports


def frontier_rows(bench_data, exports):
    """One row per (model, variant): size, score ± SE, p50 per length, ratios, goal."""
    reports = {}
    for name, directory in exports:
        with open(os.path.join(directory, "export_report.json"), encoding="utf-8") as f:
            reports[name] = json.load(f)
    results = bench_data["results"]
    seqs = sorted({r["seq_len"] for r in results})
    ref_name = exports[0][0]
    ref_variant = "float32" if "float32" in reports[ref_name]["variants"] else next(iter(reports[ref_name]["variants"]))
    metric = "spearman" if "spearman" in reports[ref_name]["variants"][ref_variant]["test"] else "accuracy"
    timing = {(r["model"], r["variant"], r["seq_len"]): r for r in results}
    ref_score = reports[ref_name]["variants"][ref_variant]["test"][metric]
    ref_size = timing[(ref_name, ref_variant, seqs[-1])]["size_mb"]
    rows = []
    for name, _ in exports:
        for variant, entry in reports[name]["variants"].items():
            if (name, variant, seqs[-1]) not in timing:
                continue
            test = entry["test"]
            size = timing[(name, variant, seqs[-1])]["size_mb"]
            p50 = {s: timing[(name, variant, s)]["p50_ms"] for s in seqs}
            speedup = timing[(ref_name, ref_variant, seqs[-1])]["p50_ms"] / p50[seqs[-1]]
            points = 100 * (test[metric] - ref_score)
            rows.append({
                "model": name, "variant": variant, "size_mb": size, "metric": metric, "score": test[metric],
                "score_se": test.get(metric + "_se"), "points_vs_reference": points,
                "p50_ms": p50, "speedup": speedup, "smaller": ref_size / size, "passed_export_check": entry["passed"],
                "goal": speedup >= GOAL_SPEEDUP and ref_size / size >= GOAL_SMALLER and points >= -GOAL_POINTS})
    return rows, seqs, (ref_name, ref_variant)


def table(rows, seqs, reference):
    metric = rows[0]["metric"]
    head = (f"| model | variant | MB | test {metric} | points vs {reference[0]} {reference[1]} | "
            + " | ".join(f"p50 ms @{s}" for s in seqs) + f" | faster @{seqs[-1]} | smaller | goal |")
    lines = [head, "|" + "---|" * (8 + len(seqs))]
    for r in rows:
        se = "" if r["score_se"] is None else f" ± {r['score_se']:.4f}"
        lines.append(f"| {r['model']} | {r['variant']} | {r['size_mb']:.1f} | {r['score']:.4f}{se} | "
                     f"{r['points_vs_reference']:+.1f} | " + " | ".join(f"{r['p50_ms'][s]:.2f}" for s in seqs)
                     + f" | {r['speedup']:.1f}x | {r['smaller']:.1f}x | {'yes' if r['goal'] else 'no'} |")
    return "\n".join(lines)


def plot(rows, seqs, reference, path):
    """Score vs latency (longest sequence) and score vs size, log x; the goal region shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401  (used as matplotlib.ticker)

    ref = next(r for r in rows if (r["model"], r["variant"]) == reference)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, key, goal, label in ((axes[0], "latency", GOAL_SPEEDUP, f"p50 latency @{seqs[-1]} (ms, log)"),
                                 (axes[1], "size_mb", GOAL_SMALLER, "file size (MB, log)")):
        xs = [r["p50_ms"][seqs[-1]] if key == "latency" else r["size_mb"] for r in rows]
        ref_x = ref["p50_ms"][seqs[-1]] if key == "latency" else ref["size_mb"]
        floor = 100 * ref["score"] - GOAL_POINTS
        ax.axhline(floor, color="tab:green", lw=0.8, ls="--")
        ax.axvline(ref_x / goal, color="tab:green", lw=0.8, ls="--")
        for i, (r, x) in enumerate(zip(rows, xs)):
            se = 100 * (r["score_se"] or 0)
            ax.errorbar(x, 100 * r["score"], yerr=se, fmt="osD^v<>p"[i % 8], capsize=3, alpha=0.8,
                        label=f"{r['model']} {r['variant']}")
        ax.set_xscale("log")
        # Plain numbers on the log axis; minor-tick labels would overlap (2x10^0 3x10^0 ...).
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        # The goal region: left of the x threshold AND above the accuracy floor.
        bottom, top = ax.get_ylim()
        ax.fill_between([min(xs + [ref_x / goal]) / 1.5, ref_x / goal], floor, max(top, floor + 0.5),
                        color="tab:green", alpha=0.12, label="goal region" if key == "latency" else None)
        ax.set_ylim(bottom, max(top, floor + 0.5))
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
        ax.set_title(f"goal: >= {goal:.0f}x below {reference[0]} {reference[1]}, <= {GOAL_POINTS:.0f} point lower")
    axes[0].set_ylabel(f"test {rows[0]['metric']} (x100, ± SE)")
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", required=True, help="name=dir,...; the first is the reference (the teacher)")
    parser.add_argument("--task", default="fine_foods")
    parser.add_argument("--variants", default="dynamic_int8", help="variants exported for every model but the first")
    parser.add_argument("--reference-variants", default="float32,dynamic_int8")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--seq-lens", default="64,128")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--output-dir", default="runs/frontier")
    parser.add_argument("--replot", action="store_true", help="redraw frontier.png from frontier.json only")
    args = parser.parse_args()
    if args.replot:
        import json

        with open(os.path.join(args.output_dir, "frontier.json"), encoding="utf-8") as f:
            saved = json.load(f)
        rows = saved["rows"]
        seqs = sorted(int(s) for s in rows[0]["p50_ms"])
        for r in rows:
            r["p50_ms"] = {int(k): v for k, v in r["p50_ms"].items()}
        plot(rows, seqs, tuple(saved["reference"]), os.path.join(args.output_dir, "frontier.png"))
        return

    from tinybert_tf import bench
    from tinybert_tf.outputs import write_json, write_text

    models = [tuple(item.split("=", 1)) for item in args.models.split(",") if item.strip()]
    if any(len(m) != 2 for m in models):
        raise SystemExit("--models: write name=directory,... (the first is the reference).")
    exports = export_all(models, args.task, args.variants, args.reference_variants, args.output_dir,
                         args.max_length, args.data_dir)
    data = bench.run_host_benchmark(bench.BenchConfig(
        exports=",".join(f"{n}={d}" for n, d in exports), seq_lens=args.seq_lens, runs=args.runs,
        output_dir=os.path.join(args.output_dir, "bench")))
    rows, seqs, reference = frontier_rows(data, exports)
    text = table(rows, seqs, reference)
    write_text(os.path.join(args.output_dir, "frontier.md"), text + "\n")
    write_json(os.path.join(args.output_dir, "frontier.json"), {"device": data["device"], "protocol": data["protocol"],
                                                                 "reference": reference, "rows": rows})
    plot(rows, seqs, reference, os.path.join(args.output_dir, "frontier.png"))
    print(text)


if __name__ == "__main__":
    main()
