"""Ablation in the TinyBERT paper's style (a benchmark, not a test).

Starts from a finished recipe run (`tinybert-tf recipe`, i.e. `make demo`): its teacher,
general-distilled student, augmented data and task-distilled student ("full"). Then
trains, with the recipe's own task-distillation settings and one part removed each time:

- no augmentation: task distillation on the original training set only;
- no general distillation: the student starts from the fine-tuned teacher's layers
  (the recipe's preset) instead of the general-distilled student;
- no intermediate losses: task distillation step 2 only (prediction layer);

and the distillation-fidelity choices, one at a time against the recipe's defaults:

- projection_identity / projection_glorot: W starts as the identity / at random instead
  of carried from general distillation;
- eval_every_100: step 2 also evaluates on dev every 100 steps (best kept);
- bert_adam: step 1 with the official BertAdam-like optimizer instead of Adam;
- per_tensor_clipping: step 2 clips each gradient tensor at 1.0 instead of globally;
- regression_labels / regression_mix (regression tasks): step 2 pulls towards the gold
  scores (the official code) / half gold, half teacher;
- mlm_augmentation (with `--mlm-model`, e.g. `tinybert-tf mlm-head` output): the
  training set augmented with MLM candidates for single-piece words, same settings.

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
    parser.add_argument("--only", nargs="*", default=None, help="variants to run (default: all)")
    parser.add_argument("--mlm-model", default=None,
                        help="a model with an MLM head for the mlm_augmentation variant (`tinybert-tf mlm-head`)")
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
        "projection_identity": dict(projection_init="identity"),
        "projection_glorot": dict(projection_init="glorot"),
        "eval_every_100": dict(eval_steps=100),
        "bert_adam": dict(intermediate_optimizer="bert_adam"),
        "per_tensor_clipping": dict(prediction_clipping="per_tensor"),
    }
    with open(os.path.join(full_dir, "metrics.json"), encoding="utf-8") as f:
        regression = "spearman" in json.load(f)["test"]
    if regression:
        variants.update(regression_labels=dict(regression_target="labels"), regression_mix=dict(regression_target="mix"))
    if args.mlm_model:
        variants["mlm_augmentation"] = dict(augmented_file=os.path.join(args.run_dir, "ablation", "mlm_augmented",
                                                                        "train.jsonl"))
    rows = [("teacher", os.path.join(args.run_dir, "teacher")), ("recipe student", full_dir)]
    for name, change in variants.items():
        out = os.path.join(args.run_dir, "ablation", name)
        if args.only is None or name in args.only:
            if not os.path.isfile(os.path.join(out, "metrics.json")):
                print(f"[ablation] {name}: {change}")
                start = time.time()
                if name == "mlm_augmentation":
                    _augment_with(args.mlm_model, args.run_dir, change["augmented_file"])
                distill.task_distill(dataclasses.replace(full, output_dir=out, **change))
                print(f"[ablation] {name} took {time.time() - start:.0f} s")
        if os.path.isfile(os.path.join(out, "metrics.json")):
            rows.append((name, out))

    # Dev chose nothing here (every variant keeps its best dev checkpoint the same way);
    # the test table is the comparison, the dev one shows the gap.
    tables = {split: recipe.comparison_table(rows, split=split) for split in ("dev", "test")}
    with open(os.path.join(args.run_dir, "ablation.md"), "w", encoding="utf-8") as f:
        for split, table in tables.items():
            f.write(f"### {split}\n\n{table}\n\n")
    print(tables["dev"] + "\n\n" + tables["test"])


def _augment_with(mlm_model: str, run_dir: str, output_file: str) -> None:
    """The recipe's augmentation settings, candidates from `mlm_model`'s MLM head."""
    from tinybert_tf import augment, recipe

    with open(os.path.join(run_dir, "recipe_config.json"), encoding="utf-8") as f:
        used = recipe.RecipeConfig.from_dict(json.load(f))
    augment.augment_task(dataclasses.replace(used.augment_config(), teacher=mlm_model, output_file=output_file))


if __name__ == "__main__":
    main()
