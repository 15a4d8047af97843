"""Ablation in the TinyBERT paper's style (a benchmark, not a test).

Starts from a finished recipe run (`tinybert-tf recipe`, i.e. `make demo`): its teacher,
general-distilled student, augmented data and task-distilled student ("full"). Then
trains, with the recipe's own task-distillation settings and one part removed each time:

- no augmentation: task distillation on the original training set only;
- no general distillation: the student starts from the fine-tuned teacher's layers
  (the recipe's preset) instead of the general-distilled student;
- no intermediate losses: task distillation step 2 only (prediction layer).

Each variant goes to `<run-dir>/ablation/<name>/` (skipped when already there); the table
goes to stdout and `<run-dir>/ablation.md`.

    .venv/bin/python benchmarks/distill_ablation.py --run-dir runs/demo
"""

import argparse
import dataclasses
import json
import os
import time

from tinybert_tf import distill, recipe


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default="runs/demo", help="a finished `tinybert-tf recipe` output directory")
    parser.add_argument("--only", nargs="*", default=None,
                        help="variants to run: no_augmentation no_general no_intermediate")
    args = parser.parse_args()

    full_dir = os.path.join(args.run_dir, "student")
    for part in ("teacher", "general", "student"):
        if not os.path.isfile(os.path.join(args.run_dir, part, "metrics.json")):
            raise SystemExit(f"{args.run_dir}/{part} is missing: run `tinybert-tf recipe --output-dir {args.run_dir}` "
                             "(or `make demo`) first.")
    with open(os.path.join(full_dir, "training_config.json"), encoding="utf-8") as f:
        saved = json.load(f)
    full = distill.TaskDistillConfig(**{k: v for k, v in saved.items()
                                        if k in {f.name for f in dataclasses.fields(distill.TaskDistillConfig)}})
    with open(os.path.join(args.run_dir, "general", "distill_config.json"), encoding="utf-8") as f:
        preset = json.load(f)["student"]

    variants = {
        "no_augmentation": dict(augmented_file=None),
        "no_general": dict(student=preset),
        "no_intermediate": dict(intermediate_epochs=0),
    }
    rows = [("teacher", os.path.join(args.run_dir, "teacher")), ("full", full_dir)]
    for name, change in variants.items():
        out = os.path.join(args.run_dir, "ablation", name)
        if args.only is None or name in args.only:
            if not os.path.isfile(os.path.join(out, "metrics.json")):
                print(f"[ablation] {name}: {change}")
                start = time.time()
                distill.task_distill(dataclasses.replace(full, output_dir=out, **change))
                print(f"[ablation] {name} took {time.time() - start:.0f} s")
        if os.path.isfile(os.path.join(out, "metrics.json")):
            rows.append((name, out))

    table = recipe.comparison_table(rows)
    with open(os.path.join(args.run_dir, "ablation.md"), "w", encoding="utf-8") as f:
        f.write(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
