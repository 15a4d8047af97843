"""The recipe chains every stage and writes the teacher-vs-student table (tiny models)."""

import json
import os

import pytest

from tinybert_tf import cli, recipe
from tests.test_distill_stages import pretrained_dir  # noqa: F401  (fixture)
from tests.test_teacher import toy_task_dir  # noqa: F401  (fixture)


def test_recipe_runs_every_stage_then_reuses_them(pretrained_dir, toy_task_dir, tmp_path, capsys):  # noqa: F811
    out = str(tmp_path / "run")
    args = ["recipe", "--teacher", pretrained_dir, "--task", toy_task_dir, "--student", "teacher-l2",
            "--output-dir", out, "--max-length", "16", "--batch-size", "16", "--teacher-epochs", "3",
            "--general-max-segments", "40", "--num-augmented", "1", "--intermediate-epochs", "1",
            "--prediction-epochs", "2", "--prune-schedule", "36,24", "--prune-heads-fraction", "0.5",
            "--prune-ffn-fraction", "0.5", "--prune-vocabulary", "--export-variants", "float32,dynamic_int8",
            "--bench-runs", "2"]
    assert cli.main(args) == 0
    for part in ("teacher", "general", "student"):
        assert os.path.isfile(os.path.join(out, part, "metrics.json")), part
    assert os.path.isfile(os.path.join(out, "augmented", "train.jsonl"))
    table = open(os.path.join(out, "comparison.md")).read().splitlines()
    assert table[0].startswith("| model | layers | hidden | parameters | test accuracy | test F1")
    teacher_row, student_row, first_cut, pruned_row = (table[i].split("|") for i in (2, 3, 4, 5))
    assert teacher_row[2].strip() == "4" and student_row[2].strip() == "2"  # layers
    # Gradual pruning: 48 -> 36 (full vocabulary) -> 24 (vocabulary pruned at the last cut).
    assert first_cut[1].strip() == "pruned_h36" and first_cut[3].strip() == "36"
    assert json.load(open(os.path.join(out, "pruned_h36", "config.json")))["vocab_size"] == 126
    assert pruned_row[1].strip() == "pruned" and pruned_row[3].strip() == "24"  # hidden size
    assert teacher_row[-2].strip() == "100.0%"
    # Parameters are read from the saved safetensors: the 2-layer student is smaller.
    assert recipe.count_parameters(os.path.join(out, "student")) < recipe.count_parameters(os.path.join(out, "teacher"))

    # Export and benchmark: the pruned student's bundle (its pruned vocabulary), both models timed.
    assert os.path.isfile(os.path.join(out, "export", "bundle", "bundle.json"))
    bundle_vocab = open(os.path.join(out, "export", "bundle", "vocab.txt")).read().splitlines()
    assert len(bundle_vocab) == json.load(open(os.path.join(out, "pruned", "config.json")))["vocab_size"] < 126
    bench = open(os.path.join(out, "bench", "bench.md")).read()
    assert "| teacher | float32 |" in bench and "| student | dynamic_int8 |" in bench
    # The shipped (pruned) student for MediaPipe too, where MediaPipe is installed (make setup does it).
    import importlib.util
    if importlib.util.find_spec("mediapipe") is not None:
        mp = json.load(open(os.path.join(out, "export_mediapipe", "export_report.json")))
        assert mp["model"] == os.path.join(out, "pruned") and mp["mediapipe_check"]["checked"]
    else:
        assert "no MediaPipe model: mediapipe is not installed" in capsys.readouterr().out

    capsys.readouterr()
    assert cli.main(args) == 0  # finished stages are reused, not repeated
    printed = capsys.readouterr().out
    assert printed.count("reusing") >= 8, printed

    with pytest.raises(ValueError, match="narrower than the one before"):
        recipe.RecipeConfig(prune_schedule="192,288")
    # Other settings in the same folder would silently reuse stages made differently: refused.
    assert cli.main(args[:-2] + ["--bench-runs", "0", "--student", "teacher-l1"]) == 2
    assert "other settings (student: 'teacher-l2' -> 'teacher-l1')" in capsys.readouterr().err


def test_recipe_on_a_pair_regression_task(pretrained_dir, tmp_path):  # noqa: F811
    """STS-B's format (sentence pairs, a 0-5 score) end to end: teacher, general and task
    distillation with pair augmentation, the table in Spearman, export validated by Pearson."""
    import numpy as np

    rng = np.random.default_rng(0)
    words = ["the", "tea", "coffee", "snack", "is", "great", "good", "bad", "stale", "sweet"]
    stsb = tmp_path / "stsb"
    stsb.mkdir()
    for split, n in (("train", 48), ("dev", 16), ("test", 16)):
        lines = []
        for i in range(n):
            a = list(rng.choice(words, 4))
            b = a[:2] + list(rng.choice(words, 2)) if i % 2 else list(rng.choice(words, 4))
            score = 5.0 * len(set(a) & set(b)) / len(set(a) | set(b))
            lines.append(f"main-captions\tMSRvid\t2012test\t{i:04d}\t{score:.3f}\t{' '.join(a)}\t{' '.join(b)}")
        (stsb / f"sts-{split}.csv").write_text("\n".join(lines) + "\n")
    out = str(tmp_path / "run")
    assert cli.main(["recipe", "--teacher", pretrained_dir, "--task", "stsb", "--data-dir", str(stsb),
                     "--student", "teacher-l2", "--output-dir", out, "--max-length", "24", "--batch-size", "16",
                     "--teacher-epochs", "2", "--general-max-segments", "40", "--preset", "full",
                     "--num-augmented", "1", "--intermediate-epochs", "1", "--prediction-epochs", "1",
                     "--regression-target", "mix", "--intermediate-learning-rate", "2e-4",
                     "--export-variants", "float32", "--bench-runs", "0",
                     "--log-dir", str(tmp_path / "logs"), "--quiet"]) == 0
    # One TensorBoard tree for the run, every loss term in it, and the plain log of what was printed.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def tags(sub):
        acc = EventAccumulator(str(tmp_path / "logs" / sub))
        acc.Reload()
        return set(acc.Tags()["scalars"]) | set(acc.Tags()["tensors"])
    assert {"epoch_attention_loss", "epoch_hidden_loss", "epoch_embedding_loss"} <= tags("student/step1/train")
    assert "epoch_prediction_loss" in tags("student/step2/validation")
    assert "epoch_learning_rate" in tags("student/step2/train") and "epoch_loss" in tags("teacher/train")
    assert "epoch_attention_loss" in tags("general/train")
    log = (tmp_path / "logs" / "tinybert-tf.log").read_text()
    assert "tinybert-tf recipe" in log and "[recipe] 4/6 task distillation" in log and "\r" not in log
    # The preset filled what the flags left unset; the recipe's task-distillation knobs reach the stage.
    used = json.load(open(os.path.join(out, "student", "training_config.json")))
    assert (used["eval_steps"], used["intermediate_epochs"], used["regression_target"]) == (100, 1, "mix")
    assert (used["intermediate_learning_rate"], used["prediction_learning_rate"]) == (2e-4, 3e-5)
    rows = [json.loads(line) for line in open(os.path.join(out, "augmented", "train.jsonl"))]
    assert "text_pair" in rows[1] and isinstance(rows[1]["label"], float)
    table = open(os.path.join(out, "comparison.md")).read().splitlines()
    assert table[0].startswith("| model | layers | hidden | parameters | test Pearson | test Spearman | Spearman vs")
    assert table[3].count(" ± ") == 2  # each score with its standard error
    assert "pearson" in json.load(open(os.path.join(out, "export", "export_report.json")))["keras_test"]


def test_presets_fill_only_unset_fields():
    full = recipe.RecipeConfig(preset="full")
    assert (full.num_augmented, full.intermediate_epochs, full.prediction_epochs, full.eval_steps) == (4, 2, 2, 100)
    assert recipe.RecipeConfig(preset="full", num_augmented=0).num_augmented == 0  # set fields win, 0 included
    demo = recipe.RecipeConfig()
    assert (demo.num_augmented, demo.intermediate_epochs, demo.eval_steps) == (1, 1, 0)  # what make demo ran
    try:
        recipe.RecipeConfig(preset="huge")
    except ValueError as e:
        assert "use one of demo, full, paper" in str(e)
    else:
        raise AssertionError("an unknown preset was accepted")
    args = cli.build_parser().parse_args(["recipe", "--preset", "paper", "--prediction-epochs", "1"])
    config = cli._config_from_args(recipe.RecipeConfig, args)
    assert (config.num_augmented, config.intermediate_epochs, config.prediction_epochs) == (20, 10, 1)


def test_recipe_defaults_are_the_stages_defaults():
    """A knob the recipe passes on to a stage defaults to that stage's default, so `recipe`
    and `distill-task` / `augment` run the same thing unless told otherwise. Only the budget
    (a preset's fields) and the paths are the recipe's own."""
    import dataclasses
    from tinybert_tf import augment, distill
    own = {"teacher", "student", "output_dir", "num_augmented", "intermediate_epochs", "prediction_epochs",
           "eval_steps"}
    config = recipe.RecipeConfig()
    checked = 0
    for stage in (distill.TaskDistillConfig, augment.AugmentConfig):
        for field in dataclasses.fields(stage):
            if hasattr(config, field.name) and field.name not in own:
                assert getattr(config, field.name) == field.default, (stage.__name__, field.name)
                checked += 1
    assert checked >= 20


@pytest.mark.parametrize("variables, expect", [
    ([], {"prune_schedule": "288,192", "prune_ffn_fraction": 0.5, "prune_epochs": 2, "num_augmented": 2,
          "padding": "longest", "group_by_length": True, "cache_teacher_logits": True, "eval_steps": 100}),
    (["PRUNE_SCHEDULE="], {"prune_schedule": "", "prune_hidden_size": 0}),
    (["PRUNE_HIDDEN=192", "PRUNE_HEADS=0.5"], {"prune_schedule": "", "prune_hidden_size": 192,
                                              "prune_heads_fraction": 0.5}),
])
def test_make_demo_passes_flags_the_recipe_accepts(variables, expect):
    """`make demo`'s command line (printed by make -n) parses into the RecipeConfig it means."""
    import shlex
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # -o setup: take the venv and datasets as made, so make prints only the recipe line.
    printed = subprocess.run(["make", "-n", "-C", root, "--no-print-directory", "-o", "setup", "demo"] + variables,
                             capture_output=True, text=True, check=True).stdout
    words = shlex.split(printed.replace("\\\n", " "))
    args = words[words.index("recipe"):]
    parsed = cli.build_parser(only="recipe").parse_args(args)
    config = cli._config_from_args(recipe.RecipeConfig, parsed)
    assert config.task == "fine_foods" and config.output_dir == "runs/demo"
    for name, value in expect.items():
        assert getattr(config, name) == value, name
