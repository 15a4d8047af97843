"""The whole TinyBERT recipe in one call: fine-tune the teacher, general distillation
(short), data augmentation, task distillation, a teacher-vs-student table, then TFLite
export of both (validated variants, the student's app bundle) and a LiteRT benchmark.

Every stage writes to its own folder under `output_dir` and is skipped when its output
is already there (and resumes when it was interrupted), so running the same command
again after a crash continues instead of starting over.
"""

import dataclasses
import json
import logging
import os
from typing import Dict, List, Optional

from tinybert_tf import augment as augment_lib
from tinybert_tf import bench as bench_lib
from tinybert_tf import data as data_lib
from tinybert_tf import distill as distill_lib
from tinybert_tf import export as export_lib
from tinybert_tf import outputs, settings
from tinybert_tf import teacher as teacher_lib
from tinybert_tf.pruning.pipeline import PruneConfig
from tinybert_tf.task_kinds import kind_of
from tinybert_tf.training import read_metrics

logger = logging.getLogger(__name__)

# What the recipe sets in each stage's section itself: the paths between stages, the task
# and its QA windows, and (in `run`) the run settings every training stage shares.
_WINDOWS = ("max_eval_examples", "doc_stride", "max_query_length")
_FINETUNE_SET = ("model", "task", "output_dir", "data_dir") + _WINDOWS + settings.run_fields(teacher_lib.FineTuneConfig)
_GENERAL_SET = ("teacher", "student", "output_dir") + settings.run_fields(distill_lib.GeneralDistillConfig)
_AUGMENT_SET = ("teacher", "task", "output_file", "seed", "data_dir")
_DISTILL_SET = (("teacher", "student", "task", "augmented_file", "output_dir", "data_dir") + _WINDOWS
                + settings.run_fields(distill_lib.TaskDistillConfig))
# A cut's recovery is the recipe's task distillation (every knob of it), with its own epochs.
_PRUNE_SET = ("model", "output_dir", "hidden_size", "recovery")
_EXPORT_SET = ("model", "task", "output_dir", "bundle_variant", "max_length", "force", "data_dir",
               "max_eval_examples", "format")
_BENCH_SET = ("exports", "seq_lens", "output_dir")


@dataclasses.dataclass
class RecipeConfig:
    """The whole recipe: the settings of its own, then one section per stage, each that
    stage's own config (`teacher.FineTuneConfig`, `distill_lib.GeneralDistillConfig`,
    `augment.AugmentConfig`, `distill_lib.TaskDistillConfig`, `prune.PruneConfig`,
    `export_lib.ExportConfig`, `bench.BenchConfig`). The recipe sets the paths between stages,
    the task and the shared run settings (`run`) in every section; a value given there is
    refused, so nothing set is silently replaced. A pruning cut's recovery is the `distill`
    section itself with `prune_epochs` epochs per step: every task-distillation setting
    reaches it. Flags: a section's fields under its prefix (`--teacher-epochs` is
    `finetune.epochs`, `--general-max-segments`, `--prune-heads-fraction`,
    `--export-variants`, `--bench-runs`); `distill`, `augment` and `run` fields under
    their own names (`--temperature`, `--num-augmented`, `--max-length`). A `--config`
    YAML/JSON file takes the same names, or sections as mappings (`distill: {temperature:
    2}`); `recipe_config.json` in the run folder is one, and replays the run.

    Args:
        teacher: the pretrained teacher (directory or short name); fine-tuned first.
        task: `fine_foods`, `stsb`, `brown_pos`, `squad`, `glue/<task>` or a directory of
            files. Tagging and QA tasks run without augmentation (the paper distils SQuAD
            without it), pruning or the MediaPipe model.
        student: student preset (`teacher-l4`: the teacher's widths, 4 layers, copied from
            teacher layers; `tinybert4`: 4 layers, hidden 312, random init, which needs far
            more general distillation than a CPU run gives it).
        output_dir: `teacher/`, `general/`, `augmented/`, `student/`, `comparison.md`,
            `export/` (with `bundle/`), `export_teacher/`, `bench/` go here.
        preset: the budget of augmentation and task distillation (see `PRESETS`):
            `demo` (make demo: about 30 min on 2 cores), `full` (4 augmented copies,
            2 + 2 epochs, dev evaluation every 100 steps: 47 min for STS-B at length 64
            on 2 cores), `paper` (the paper's: 20 copies, 10 + 3 epochs; ~14x `full`'s
            work, meant for a GPU). Fields left unset (None) take the preset's value; set
            ones win.
        augment_model: the model whose MLM head (single-piece words) and word embeddings
            (the rest) propose replacements, e.g. `tinybert-tf mlm-head` output; default:
            the fine-tuned teacher (embedding neighbours only: MiniLM has no MLM head).
        prune_hidden_size: > 0 adds a pruning stage after task distillation (`pruned/`,
            `tinybert-tf prune`): the student narrowed to this hidden size with the
            `prune` section's cuts (`--prune-heads-fraction`, `--prune-ffn-fraction`,
            `--prune-vocabulary`), recovered by the task distillation (`prune_epochs`
            epochs of each step, on the augmented data). The pruned student is then the
            one exported (its bundle is the app's).
        prune_schedule: gradual pruning instead of one cut: comma-separated hidden sizes
            (e.g. `288,192`), each cut pruning the previous one's student and recovering it
            as above (`pruned_h288/`, then `pruned/`); the vocabulary is pruned at the last
            cut only. Replaces `prune_hidden_size` (set one of the two).
        prune_epochs: recovery epochs of each task-distillation step after each cut.
        data_dir: the task's data folder (TFDS data for GLUE, STS-B files).
        max_eval_examples: score on only the first N dev and test examples (SQuAD's test
            split has 10,570 questions); None: all.
        doc_stride: QA tasks: tokens two consecutive context windows share.
        max_query_length: QA tasks: a question's WordPieces kept.
        run: the run settings of every training stage (`settings.DistributedRunSettings`;
            teacher fine-tuning takes all but mixed precision and distribution, and stays
            float32); `log_dir` is the root of one TensorBoard tree (`teacher/`,
            `general/`, `student/step1`, ...) and of the CLI's plain log.
        finetune: the teacher's fine-tuning (flags `--teacher-<field>`).
        general: general distillation (`--general-<field>`); `max_segments` 0 skips it
            (the student then starts from the fine-tuned teacher's layers).
        augment: data augmentation (`--num-augmented`, `--replace-prob`, `--top-k`, ...);
            `num_augmented` 0: none.
        distill: task distillation (`--intermediate-epochs`, `--temperature`, ...), and
            every pruning cut's recovery.
        prune: the cuts every pruning step makes (`--prune-<field>`).
        export: the TFLite export of student and teacher (`--export-<field>`; empty
            `variants`: stop after the table); the student's `dynamic_int8` becomes the app
            bundle.
        bench: the LiteRT benchmark (`--bench-<field>`; `runs` 0: none).
    """

    teacher: str = "minilm-l6"
    task: str = "fine_foods"
    student: str = "teacher-l4"
    output_dir: str = "runs/demo"
    preset: str = "demo"
    augment_model: Optional[str] = None
    prune_hidden_size: int = 0
    prune_schedule: str = ""
    prune_epochs: int = 1
    data_dir: Optional[str] = None
    max_eval_examples: Optional[int] = None
    doc_stride: int = 128
    max_query_length: int = 64
    run: settings.DistributedRunSettings = settings.section(settings.DistributedRunSettings)
    finetune: teacher_lib.FineTuneConfig = settings.section(
        lambda: teacher_lib.FineTuneConfig(epochs=1), prefix="teacher", derived=_FINETUNE_SET)
    general: distill_lib.GeneralDistillConfig = settings.section(
        lambda: distill_lib.GeneralDistillConfig(max_segments=20000, learning_rate=5e-5), prefix="general",
        derived=_GENERAL_SET)
    augment: augment_lib.AugmentConfig = settings.section(
        lambda: augment_lib.AugmentConfig(num_augmented=None), derived=_AUGMENT_SET)
    distill: distill_lib.TaskDistillConfig = settings.section(
        lambda: distill_lib.TaskDistillConfig(intermediate_epochs=None, prediction_epochs=None, eval_steps=None),
        derived=_DISTILL_SET)
    prune: PruneConfig = settings.section(PruneConfig, prefix="prune", derived=_PRUNE_SET)
    export: export_lib.ExportConfig = settings.section(export_lib.ExportConfig, prefix="export", derived=_EXPORT_SET)
    bench: bench_lib.BenchConfig = settings.section(lambda: bench_lib.BenchConfig(runs=30), prefix="bench",
                                                    derived=_BENCH_SET)

    def __post_init__(self):
        settings.check_sections(self)
        self.prune_cuts()  # refuse a bad schedule before anything runs
        if self.preset not in PRESETS:
            raise ValueError(f"preset={self.preset!r}; use one of {', '.join(PRESETS)}.")
        for path, value in PRESETS[self.preset].items():
            name, field = path.split(".")
            if getattr(getattr(self, name), field) is None:
                setattr(self, name, dataclasses.replace(getattr(self, name), **{field: value}))

    def prune_cuts(self) -> List[int]:
        """The hidden size of each pruning cut, in order (none: no pruning stage)."""
        try:
            cuts = [int(h) for h in self.prune_schedule.split(",") if h.strip()]
        except ValueError:
            raise ValueError(f"prune_schedule={self.prune_schedule!r}: give hidden sizes separated by commas, "
                             "e.g. 288,192.") from None
        if cuts and self.prune_hidden_size > 0:
            raise ValueError("Set prune_schedule (gradual cuts) or prune_hidden_size (one cut), not both.")
        if any(h <= 0 for h in cuts) or any(b >= a for a, b in zip(cuts, cuts[1:])):
            raise ValueError(f"prune_schedule={self.prune_schedule!r}: each cut must be narrower than the one "
                             "before, e.g. 288,192.")
        return cuts or ([self.prune_hidden_size] if self.prune_hidden_size > 0 else [])

    def to_dict(self) -> dict:
        """The settings as plain data (`recipe_config.json`); `from_dict` gives them back."""
        return settings.to_dict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "RecipeConfig":
        return settings.from_dict(cls, values)

    # --- the stage configs the recipe runs, each its section plus what the recipe sets -------------
    def _dir(self, name: str) -> str:
        return os.path.join(self.output_dir, name)

    def _log(self, name: str) -> Optional[str]:
        return os.path.join(self.run.log_dir, name) if self.run.log_dir else None

    def _run(self, section, name: Optional[str] = None) -> dict:
        """The run settings `section` has, from `run` (its log folder: `<log_dir>/<name>`)."""
        values = {k: getattr(self.run, k) for k in settings.run_fields(section)}
        return {**values, "log_dir": self._log(name)} if name else values

    def _windows(self) -> dict:
        return {k: getattr(self, k) for k in _WINDOWS}

    def finetune_config(self) -> teacher_lib.FineTuneConfig:
        return dataclasses.replace(self.finetune, model=self.teacher, task=self.task, output_dir=self._dir("teacher"),
                                   data_dir=self.data_dir, **self._windows(), **self._run(self.finetune, "teacher"))

    def general_config(self) -> Optional[distill_lib.GeneralDistillConfig]:
        """None when `general.max_segments` is 0 (no general distillation)."""
        if self.general.max_segments == 0:
            return None
        return dataclasses.replace(self.general, teacher=self.teacher, student=self.student,
                                   output_dir=self._dir("general"), **self._run(self.general, "general"))

    def augment_config(self) -> augment_lib.AugmentConfig:
        return dataclasses.replace(self.augment, teacher=self.augment_model or self._dir("teacher"), task=self.task,
                                   output_file=os.path.join(self._dir("augmented"), "train.jsonl"),
                                   seed=self.run.seed, data_dir=self.data_dir)

    def distill_config(self, augmented: Optional[str]) -> distill_lib.TaskDistillConfig:
        student = self._dir("general") if self.general_config() is not None else self.student
        return dataclasses.replace(self.distill, teacher=self._dir("teacher"), student=student, task=self.task,
                                   augmented_file=augmented, output_dir=self._dir("student"), data_dir=self.data_dir,
                                   **self._windows(), **self._run(self.distill, "student"))

    def prune_configs(self, augmented: Optional[str]) -> List[PruneConfig]:
        """One per cut, each from the one before; the recovery is `distill_config` with
        `prune_epochs` epochs of each step (its student and folder are the cut's)."""
        configs, source = [], self._dir("student")
        cuts = self.prune_cuts()
        for i, hidden in enumerate(cuts):
            last = i == len(cuts) - 1
            name = "pruned" if last else f"pruned_h{hidden}"
            recovery = settings.with_derived_defaults(PruneConfig, "recovery", dataclasses.replace(
                self.distill_config(augmented), intermediate_epochs=self.prune_epochs,
                prediction_epochs=self.prune_epochs, log_dir=self._log(name)))
            configs.append(dataclasses.replace(self.prune, model=source, output_dir=self._dir(name), hidden_size=hidden,
                                               vocabulary=self.prune.vocabulary and last, recovery=recovery))
            source = self._dir(name)
        return configs

    def export_configs(self, shipped: str) -> List[export_lib.ExportConfig]:
        """The shipped student's export (its bundle is the app's), then the teacher's: its
        variants are references, kept even when quantization hurts (`force`)."""
        variants = self.export.variants
        bundle = "dynamic_int8" if "dynamic_int8" in variants else variants.split(",")[0].strip()
        return [dataclasses.replace(self.export, model=model, task=self.task, output_dir=self._dir(folder),
                                    bundle_variant=bundle, max_length=self.run.max_length, force=force,
                                    data_dir=self.data_dir, max_eval_examples=self.max_eval_examples)
                for model, folder, force in ((shipped, "export", False), (self._dir("teacher"), "export_teacher", True))]

    def mediapipe_config(self, shipped: str) -> export_lib.ExportConfig:
        student = self.export_configs(shipped)[0]
        return dataclasses.replace(student, output_dir=self._dir("export_mediapipe"), format="mediapipe",
                                   max_eval_examples=None)

    def bench_config(self) -> bench_lib.BenchConfig:
        lengths = [n for n in (64, 128) if n <= self.run.max_length] or [self.run.max_length]
        return dataclasses.replace(
            self.bench, exports=f"teacher={self._dir('export_teacher')},student={self._dir('export')}",
            seq_lens=",".join(map(str, lengths)), output_dir=self._dir("bench"))


# The budget knobs each preset sets (fields left None). `demo` is what `make demo` runs;
# `full` is the largest budget measured on 2 CPU cores (docs/results.md); `paper` is
# the paper's task-distillation budget (N_a=20, 10 + 3 epochs, dev every 100 steps).
PRESETS = {
    "demo": {"augment.num_augmented": 1, "distill.intermediate_epochs": 1, "distill.prediction_epochs": 1,
             "distill.eval_steps": 0},
    "full": {"augment.num_augmented": 4, "distill.intermediate_epochs": 2, "distill.prediction_epochs": 2,
             "distill.eval_steps": 100},
    "paper": {"augment.num_augmented": 20, "distill.intermediate_epochs": 10, "distill.prediction_epochs": 3,
              "distill.eval_steps": 100},
}


# Settings a finished training stage does not depend on: changing them reuses the stages
# (the export and benchmark guard their own folders). The preset counts through the
# values it set.
_FREE = {"export", "bench", "preset"}


def _check_same_settings(config: RecipeConfig) -> None:
    """Stages are reused by folder; refuse to mix in a run made with other settings (the
    shared guard, `outputs.prepare_output_dir`). `recipe_config.json` records the whole
    configuration of the latest run (`RecipeConfig.from_dict` or `--config` replays it)."""
    outputs.prepare_output_dir(config.output_dir, "recipe", config, free=_FREE, hint="make demo RUN_DIR=...")
    outputs.write_json(os.path.join(config.output_dir, "recipe_config.json"), config.to_dict())


def _say(text: str) -> None:
    logger.info("[recipe] %s", text)


def run_recipe(config: RecipeConfig) -> Dict[str, dict]:
    """Run every stage (skipping finished ones); returns {"teacher": metrics, "student":
    metrics, ...} and writes `comparison.md`."""
    kind = kind_of(data_lib.load_task(config.task, data_dir=config.data_dir, seed=config.run.seed))
    if not kind.prunes and config.prune_cuts():
        raise ValueError(f"Task {config.task!r} is a {kind.name}-level task: the pruning stage prunes sequence "
                         "classifiers only; drop prune_hidden_size.")
    _check_same_settings(config)
    finetune = config.finetune_config()
    if outputs.is_finished(finetune.output_dir):
        _say(f"teacher: {finetune.output_dir} is fine-tuned already; reusing it.")
    else:
        _say("1/6 fine-tuning the teacher")
        teacher_lib.fine_tune(finetune)

    general = config.general_config()
    if general is not None and outputs.is_finished(general.output_dir):
        _say(f"general distillation: {general.output_dir} is done already; reusing it.")
    elif general is not None:
        _say("2/6 general distillation")
        distill_lib.general_distill(general)

    augmented = _augment(config, kind)
    task_distill = config.distill_config(augmented)
    if outputs.is_finished(task_distill.output_dir):
        _say(f"task distillation: {task_distill.output_dir} is done already; reusing it.")
    else:
        _say("4/6 task distillation")
        distill_lib.task_distill(task_distill)

    rows = [("teacher", finetune.output_dir), ("student", task_distill.output_dir)]
    shipped = task_distill.output_dir
    prunes = config.prune_configs(augmented)
    for i, prune in enumerate(prunes):
        if outputs.is_finished(prune.output_dir):
            _say(f"pruning: {prune.output_dir} is done already; reusing it.")
        else:
            _say(f"4b/6 pruning cut {i + 1} of {len(prunes)}: hidden {prune.hidden_size}, heads "
                 f"-{prune.heads_fraction:.0%}, FFN -{prune.ffn_fraction:.0%}"
                 f"{', vocabulary' if prune.vocabulary else ''}; then recovering it")
            from tinybert_tf.pruning.pipeline import prune_student

            prune_student(prune)
        rows.append((os.path.basename(prune.output_dir), prune.output_dir))
        shipped = prune.output_dir
    table = comparison_table(rows)
    outputs.write_text(os.path.join(config.output_dir, "comparison.md"), table + "\n")

    if config.export.variants:
        for name, exporting in zip(("student", "teacher"), config.export_configs(shipped)):
            _say(f"5/6 exporting the {name} to TFLite ({exporting.variants}), each variant validated")
            export_lib.export_model(exporting)
        _export_mediapipe(config, shipped)
        if config.bench.runs > 0:
            _say("6/6 LiteRT benchmark (1 thread, batch 1)")
            bench_lib.run_host_benchmark(config.bench_config())
        _say(f"app bundle: {os.path.join(config.output_dir, 'export', 'bundle')}")
    logger.info("%s", table)
    return {name: read_metrics(d) for name, d in rows}


def _augment(config: RecipeConfig, kind) -> Optional[str]:
    """The augmented training file, or None (no augmentation, or a task kind without it)."""
    if config.augment.num_augmented <= 0:
        return None
    if not kind.augments:
        _say(f"3/6 no data augmentation: it replaces words of sequence-task examples; this is a {kind.name}-level "
             "task (the paper distils SQuAD without augmentation).")
        return None
    _say("3/6 data augmentation")
    return augment_lib.augment_task(config.augment_config())


def _export_mediapipe(config: RecipeConfig, shipped: str) -> None:
    """The student as MediaPipe's TextClassifier model (web demo, app), where it applies:
    a one-text classification task, a float or dynamic-int8 variant, MediaPipe installed."""
    import importlib.util

    exporting = config.mediapipe_config(shipped)
    variant = exporting.bundle_variant
    task = data_lib.load_task(config.task, data_dir=config.data_dir)
    why = (f"the task is {task.head}" if not kind_of(task).mediapipe else "the task is regression"
           if task.is_regression else "the task has text pairs"
           if task.train.text_pairs is not None else "the bundle variant is full_int8" if variant == "full_int8"
           else "mediapipe is not installed" if importlib.util.find_spec("mediapipe") is None else "")
    if why:
        _say(f"no MediaPipe model: {why} (MediaPipe's TextClassifier takes one text into labels).")
        return
    _say("5/6 exporting the student for MediaPipe (TFLite with metadata; web demo, app)")
    export_lib.export_model(exporting)


def count_parameters(directory: str) -> int:
    """Parameters of a saved model, from its safetensors headers (no model build)."""
    from safetensors import safe_open

    total = 0
    for name in sorted(os.listdir(directory)):
        if name.endswith(".safetensors"):
            with safe_open(os.path.join(directory, name), framework="numpy") as f:
                for key in f.keys():
                    shape = f.get_slice(key).get_shape()
                    size = 1
                    for dim in shape:
                        size *= dim
                    total += size
    return total


def comparison_table(rows: List[tuple], split: str = "test", reference: Optional[str] = None) -> str:
    """A Markdown table of saved models (name, directory): layers, hidden size,
    parameters, the `split` scores (accuracy and F1; Pearson and Spearman for
    regression; word accuracy and macro F1 for tagging; EM and F1 for QA; ± their
    standard error where recorded), and the headline score (accuracy; Spearman; F1 for
    QA) as a fraction of the first row's (or `reference`'s)."""
    metrics = {name: read_metrics(d).get(split, {}) for name, d in rows}
    base_metrics = metrics[reference or rows[0][0]]
    regression = "spearman" in base_metrics and "accuracy" not in base_metrics
    first, second = (("exact_match", "f1") if "exact_match" in base_metrics else ("accuracy", "macro_f1")
                     if "macro_f1" in base_metrics else ("pearson", "spearman") if regression else ("accuracy", "f1"))
    label = {"accuracy": "accuracy", "f1": "F1", "pearson": "Pearson", "spearman": "Spearman", "exact_match": "EM",
             "macro_f1": "macro F1"}
    headline = second if regression or first == "exact_match" else first
    lines = [f"| model | layers | hidden | parameters | {split} {label[first]} | {split} {label[second]} | "
             f"{label[headline]} vs teacher |", "|---|---|---|---|---|---|---|"]
    base = base_metrics.get(headline)
    for name, directory in rows:
        with open(os.path.join(directory, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        m = metrics[name]
        ratio = f"{100 * m[headline] / base:.1f}%" if m.get(headline) is not None and base else "n/a"
        lines.append(f"| {name} | {config['num_hidden_layers']} | {config['hidden_size']} | "
                     f"{count_parameters(directory) / 1e6:.1f}M | {_score(m, first)} | {_score(m, second)} | {ratio} |")
    return "\n".join(lines)


def _score(metrics: dict, key: str) -> str:
    """`0.8210 ± 0.0121` (the standard error where the metrics carry one)."""
    value, se = metrics.get(key), metrics.get(key + "_se")
    if value is None:
        return "n/a"
    return f"{value:.4f}" + ("" if se is None else f" ± {se:.4f}")
