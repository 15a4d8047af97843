"""The recipe chains every stage and writes the teacher-vs-student table (tiny models)."""

import json
import os

import pytest

import dataclasses

from tinybert_tf import augment, cli, distill, prune, recipe, settings


@pytest.mark.slow
def test_recipe_runs_every_stage_then_reuses_them(pretrained_4layer_dir, toy_task_dir, tmp_path, capsys):
    out = str(tmp_path / "run")
    args = ["recipe", "--teacher", pretrained_4layer_dir, "--task", toy_task_dir, "--student", "teacher-l2",
            "--output-dir", out, "--max-length", "16", "--batch-size", "16", "--teacher-epochs", "3",
            "--general-max-segments", "40", "--num-augmented", "1", "--intermediate-epochs", "1",
            "--prediction-epochs", "2", "--prune-schedule", "36,24", "--prune-heads-fraction", "0.5",
            "--prune-ffn-fraction", "0.5", "--prune-vocabulary", "--temperature", "2",
            "--prediction-clipping", "per_tensor", "--export-variants", "float32,dynamic_int8", "--bench-runs", "2"]
    assert cli.main(args) == 0
    # The drift fix, on a real run: task distillation's knobs reach every cut's recovery, as recorded.
    for folder in ("student", "pruned_h36", "pruned"):
        recorded = json.load(open(os.path.join(out, folder, "run_settings.json")))["settings"]
        prefix = "" if folder == "student" else "recovery."
        assert (recorded[prefix + "temperature"], recorded[prefix + "prediction_clipping"]) == (2.0, "per_tensor")
        if prefix:
            assert recorded["recovery.intermediate_epochs"] == recorded["recovery.prediction_epochs"] == 1
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


@pytest.mark.slow
def test_recipe_on_a_pair_regression_task(pretrained_4layer_dir, tmp_path):
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
    assert cli.main(["recipe", "--teacher", pretrained_4layer_dir, "--task", "stsb", "--data-dir", str(stsb),
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
    assert (full.augment.num_augmented, full.distill.intermediate_epochs, full.distill.prediction_epochs,
            full.distill.eval_steps) == (4, 2, 2, 100)
    zero = recipe.RecipeConfig(preset="full", augment=augment.AugmentConfig(num_augmented=0))
    assert zero.augment.num_augmented == 0  # set fields win, 0 included
    demo = recipe.RecipeConfig()
    assert (demo.augment.num_augmented, demo.distill.intermediate_epochs, demo.distill.eval_steps) == (1, 1, 0)
    try:
        recipe.RecipeConfig(preset="huge")
    except ValueError as e:
        assert "use one of demo, full, paper" in str(e)
    else:
        raise AssertionError("an unknown preset was accepted")
    args = cli.build_parser().parse_args(["recipe", "--preset", "paper", "--prediction-epochs", "1"])
    config = cli._config_from_args(recipe.RecipeConfig, args)
    assert (config.augment.num_augmented, config.distill.intermediate_epochs,
            config.distill.prediction_epochs) == (20, 10, 1)


def test_recipe_defaults_are_the_stages_defaults():
    """A section the recipe runs is the stage's own config: every knob the recipe does not
    set itself defaults to that stage's default, so `recipe` and `distill-task` / `augment`
    / `prune` / ... run the same thing unless told otherwise. Only the budget (a preset's
    fields, the demo's teacher epochs and corpus size) differs, on purpose."""
    own = {("finetune", "epochs"), ("general", "max_segments"), ("general", "learning_rate"),
           ("augment", "num_augmented"), ("distill", "intermediate_epochs"), ("distill", "prediction_epochs"),
           ("distill", "eval_steps"), ("bench", "runs")}
    config = recipe.RecipeConfig()
    checked = 0
    for name, field in settings.sections(recipe.RecipeConfig).items():
        section, stage_default = getattr(config, name), type(getattr(config, name))()
        for sub in dataclasses.fields(section):
            if sub.name in field.metadata["derived"] or (name, sub.name) in own or "derived" in sub.metadata:
                continue
            assert getattr(section, sub.name) == getattr(stage_default, sub.name), (name, sub.name)
            checked += 1
    assert checked >= 55


def _every_setting_changed(config_class, config):
    """(path, value) for each user-settable leaf of a composed config, each with a value
    other than its default (numbers moved, booleans flipped, choices rotated, paths named)."""
    for flag, dest, kind, default, _ in cli._flag_fields(config_class):
        field = _field_at(config_class, dest)
        if field.metadata.get("choices"):
            choices = field.metadata["choices"]
            value = choices[(choices.index(default) + 1) % len(choices)]
        elif kind is bool:
            value = not default
        elif kind is int:
            value = (default or 0) + 3
        elif kind is float:
            value = (default or 0.0) + 0.25
        else:
            value = f"some/{dest}"
        yield dest, value


def _field_at(cls, dest):
    import typing
    *path, leaf = dest.split(".")
    for name in path:
        cls = typing.get_type_hints(cls)[name]
    return next(f for f in dataclasses.fields(cls) if f.name == leaf)


def _set(config, dest, value):
    head, _, rest = dest.partition(".")
    if not rest:
        return dataclasses.replace(config, **{head: value})
    return dataclasses.replace(config, **{head: _set(getattr(config, head), rest, value)})


def test_every_recipe_setting_reaches_every_stage_that_has_it():
    """The drift test: each setting the recipe takes, changed alone from its default, shows
    up in every stage config the recipe runs that has it: a run setting (or the recipe's
    task windows) in every stage with that field, a task-distillation knob in task
    distillation *and in every pruning cut's recovery*, any other section's knob in its
    stage (the vocabulary cut: the last cut)."""
    base = recipe.RecipeConfig(prune_schedule="36,24", augment_model="some/augmenter")
    recipe_own = {"preset", "prune_schedule", "prune_hidden_size", "output_dir", "teacher", "student", "task",
                  "augment_model", "general.max_segments"}  # paths and cuts (below); 0 segments skips a stage
    checked = 0
    for dest, value in _every_setting_changed(recipe.RecipeConfig, base):
        if dest in recipe_own:
            continue
        stages = _stages(_set(base, dest, value))
        section, _, leaf = dest.rpartition(".")
        if section in ("", "run"):  # shared: every stage that has the field
            targets = [s for s in _flat(stages) if leaf in {f.name for f in dataclasses.fields(s)}]
        elif section == "distill":  # and every recovery, but for what a cut sets itself (its student, epochs)
            recovery_own = settings.sections(prune.PruneConfig)["recovery"].metadata["derived"] + (
                "intermediate_epochs", "prediction_epochs")
            targets = [stages["distill"]] + [p.recovery for p in stages["prune"] if leaf not in recovery_own]
        elif section == "prune" and leaf == "vocabulary":
            targets = stages["prune"][-1:]
        else:
            targets = stages[section] if isinstance(stages[section], list) else [stages[section]]
        if leaf == "prune_epochs":
            targets, leaf = [p.recovery for p in stages["prune"]] * 2, "intermediate_epochs"
        assert targets, dest
        for target in targets:
            got = getattr(target, leaf)
            if leaf == "log_dir":  # each stage logs into its own folder under the run's
                assert got.startswith(value + os.sep), (dest, type(target).__name__, got)
            else:
                assert got == value, (dest, type(target).__name__, got, value)
            checked += 1
    assert checked >= 150, checked
    # Paths: each stage reads the one before it.
    stages = _stages(base)
    assert stages["distill"].teacher == stages["finetune"].output_dir == stages["prune"][0].recovery.teacher
    assert stages["distill"].student == stages["general"].output_dir
    assert stages["prune"][0].model == stages["distill"].output_dir
    assert stages["prune"][1].model == stages["prune"][0].output_dir
    assert stages["augment"].teacher == "some/augmenter"
    assert [p.hidden_size for p in stages["prune"]] == [36, 24]
    assert all(p.recovery.prediction_epochs == base.prune_epochs for p in stages["prune"])


def _stages(config):
    return {"finetune": config.finetune_config(), "general": config.general_config(),
            "augment": config.augment_config(), "distill": config.distill_config("aug.jsonl"),
            "prune": config.prune_configs("aug.jsonl"), "export": config.export_configs("student"),
            "bench": config.bench_config()}


def _flat(stages):
    """Every config the recipe runs, the pruning recoveries included."""
    out = []
    for value in stages.values():
        out += value if isinstance(value, list) else [value]
    return out + [p.recovery for p in stages["prune"]]


def test_recipe_refuses_a_setting_it_makes_itself():
    """A section's path fields are the recipe's: a value there would be silently replaced."""
    with pytest.raises(ValueError, match="RecipeConfig.distill.teacher='elsewhere'.*sets distill.teacher itself"):
        recipe.RecipeConfig(distill=distill.TaskDistillConfig(teacher="elsewhere"))
    with pytest.raises(ValueError, match="prune.recovery"):
        recipe.RecipeConfig(prune=prune.PruneConfig(recovery=distill.TaskDistillConfig(temperature=3.0)))


def test_recipe_config_replays_to_an_equal_config():
    config = recipe.RecipeConfig(preset="full", prune_schedule="288,192", prune_epochs=2,
                                 distill=distill.TaskDistillConfig(temperature=2.0, prediction_clipping="per_tensor"),
                                 run=settings.DistributedRunSettings(padding="longest", max_length=64))
    data = json.loads(json.dumps(config.to_dict()))
    assert recipe.RecipeConfig.from_dict(data) == config
    assert "teacher" not in data["distill"] and "recovery" not in data["prune"]  # what the recipe sets


@pytest.mark.parametrize("variables, expect", [
    ([], {"prune_schedule": "288,192", "prune.ffn_fraction": 0.5, "prune_epochs": 2, "augment.num_augmented": 2,
          "run.padding": "longest", "run.group_by_length": True, "distill.cache_teacher_logits": True,
          "distill.eval_steps": 100, "prune.vocabulary": True}),
    (["PRUNE_SCHEDULE="], {"prune_schedule": "", "prune_hidden_size": 0}),
    (["PRUNE_HIDDEN=192", "PRUNE_HEADS=0.5"], {"prune_schedule": "", "prune_hidden_size": 192,
                                              "prune.heads_fraction": 0.5}),
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
        section, _, leaf = name.rpartition(".")
        assert getattr(getattr(config, section) if section else config, leaf) == value, name
