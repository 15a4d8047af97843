"""The whole TinyBERT recipe in one call: fine-tune the teacher, general distillation
(short), data augmentation, task distillation, a teacher-vs-student table, then TFLite
export of both (validated variants, the student's app bundle) and a LiteRT benchmark.

Every stage writes to its own folder under `output_dir` and is skipped when its output
is already there (and resumes when it was interrupted), so running the same command
again after a crash continues instead of starting over.
"""

import dataclasses
import json
import os
from typing import Dict, List, Optional

from tinybert_tf import augment as augment_lib
from tinybert_tf import data as data_lib
from tinybert_tf import bench, export
from tinybert_tf import distill, outputs
from tinybert_tf import teacher as teacher_lib
from tinybert_tf.training import read_metrics

# The task-distillation and augmentation knobs default to what those stages default to, so
# the recipe and `distill-task` / `augment` cannot drift apart.
_TASK = distill.TaskDistillConfig


@dataclasses.dataclass
class RecipeConfig:
    """Args:
        teacher: the pretrained teacher (directory or short name); fine-tuned first.
        task: `fine_foods`, `stsb`, `brown_pos`, `squad`, `glue/<task>` or a directory of
            files. Tagging and QA tasks run without augmentation (the paper distils SQuAD
            without it), pruning or the MediaPipe model.
        student: student preset (`teacher-l4`: the teacher's widths, 4 layers, copied from
            teacher layers; `tinybert4`: 4 layers, hidden 312, random init, which needs far
            more general distillation than a CPU run gives it).
        output_dir: `teacher/`, `general/`, `augmented/`, `student/`, `comparison.md`,
            `export/` (with `bundle/`), `export_teacher/`, `bench/` go here.
        teacher_epochs: fine-tuning epochs of the teacher.
        general_max_segments: corpus lines for general distillation (0 skips the stage;
            the student then starts from the fine-tuned teacher's layers).
        general_learning_rate: general distillation peak learning rate.
        preset: the budget of augmentation and task distillation (see `PRESETS`):
            `demo` (make demo: about 30 min on 2 cores), `full` (4 augmented copies,
            2 + 2 epochs, dev evaluation every 100 steps: 47 min for STS-B at length 64
            on 2 cores), `paper` (the paper's: 20 copies, 10 + 3 epochs; ~14x `full`'s
            work, meant for a GPU). Fields left unset (None) take the preset's value; set
            ones win.
        num_augmented: N_a augmented copies per training example (0: no augmentation).
        augment_model: the model whose MLM head (single-piece words) and word embeddings
            (the rest) propose replacements, e.g. `tinybert-tf mlm-head` output; default:
            the fine-tuned teacher (embedding neighbours only: MiniLM has no MLM head).
        intermediate_epochs, prediction_epochs: task distillation steps 1 and 2.
        intermediate_learning_rate, prediction_learning_rate: their learning rates (the
            paper's 5e-5 and 3e-5; a randomly initialised student such as `tinybert4`
            learns faster in step 1 at 1e-4).
        eval_steps: step 2 also evaluates on dev every N steps and keeps the best (0: at
            epoch ends only).
        intermediate_optimizer, prediction_clipping, regression_target, projection_init:
            passed to task distillation (see `tinybert-tf distill-task --help`).
        prune_hidden_size: > 0 adds a pruning stage after task distillation (`pruned/`,
            `tinybert-tf prune`): the student narrowed to this hidden size, with
            `prune_heads_fraction` of its heads and `prune_ffn_fraction` of its FFN
            neurons removed, recovered by task distillation (`prune_epochs` epochs of each
            step, on the augmented data), vocabulary pruned with `prune_vocabulary`. The
            pruned student is then the one exported (its bundle is the app's).
        prune_schedule: gradual pruning instead of one cut: comma-separated hidden sizes
            (e.g. `288,192`), each cut pruning the previous one's student with
            `prune_heads_fraction` and `prune_ffn_fraction` and recovering it as above
            (`pruned_h288/`, then `pruned/`); the vocabulary is pruned at the last cut only.
            Replaces `prune_hidden_size` (set one of the two).
        prune_heads_fraction: share of heads removed in every layer by the pruning stage.
        prune_ffn_fraction: share of FFN neurons removed in every layer by the pruning stage.
        prune_vocabulary: the pruning stage also keeps only the WordPieces the task uses.
        prune_epochs: recovery epochs of each task-distillation step in the pruning stage.
        export_variants: TFLite variants exported (and validated) for student and teacher
            (empty: stop after the table); the student's `dynamic_int8` becomes the app bundle.
        bench_runs: timed LiteRT runs per variant and sequence length (0: no benchmark).
        log_dir: one TensorBoard tree for the run: `teacher/`, `general/`, `student/step1`,
            `student/step2` (and the CLI's plain log, `tinybert-tf.log`).
        mixed_precision: `bfloat16` or `float16` for general and task distillation (float32 weights;
            teacher fine-tuning stays float32); `none`: float32.
        cache_teacher_logits: step 2 of task distillation and of the pruning recovery
            computes the teacher's logits once (`TaskDistillConfig.cache_teacher_logits`).
        distribution: `mirrored` or `multi_worker` for general and task distillation
            (`TaskDistillConfig.distribution`; `batch_size` is the global batch).
        padding: `longest` cuts every training stage's batches to their longest example
            (`TaskDistillConfig.padding`); default `max_length`.
        group_by_length: every training stage batches examples of similar length together.
        max_eval_examples: score on only the first N dev and test examples (SQuAD's test
            split has 10,570 questions); None: all.
        doc_stride: QA tasks: tokens two consecutive context windows share.
        max_query_length: QA tasks: a question's WordPieces kept.
    """

    teacher: str = "minilm-l6"
    task: str = "fine_foods"
    student: str = "teacher-l4"
    output_dir: str = "runs/demo"
    max_length: int = 128
    batch_size: int = 32
    teacher_epochs: int = 1
    general_max_segments: int = 20000
    general_epochs: int = 1
    general_learning_rate: float = 5e-5
    preset: str = "demo"
    num_augmented: Optional[int] = None
    augment_model: Optional[str] = None
    replace_prob: float = augment_lib.AugmentConfig.replace_prob
    top_k: int = augment_lib.AugmentConfig.top_k
    intermediate_epochs: Optional[int] = None
    prediction_epochs: Optional[int] = None
    intermediate_learning_rate: float = _TASK.intermediate_learning_rate
    prediction_learning_rate: float = _TASK.prediction_learning_rate
    eval_steps: Optional[int] = None
    temperature: float = _TASK.temperature
    intermediate_optimizer: str = _TASK.intermediate_optimizer
    prediction_clipping: str = _TASK.prediction_clipping
    regression_target: str = _TASK.regression_target
    projection_init: str = _TASK.projection_init
    prune_hidden_size: int = 0
    prune_schedule: str = ""
    prune_heads_fraction: float = 0.0
    prune_ffn_fraction: float = 0.0
    prune_vocabulary: bool = False
    prune_epochs: int = 1
    export_variants: str = "float32,float16,dynamic_int8,full_int8"
    bench_runs: int = 30
    seed: int = 0
    data_dir: Optional[str] = None
    log_dir: Optional[str] = None
    mixed_precision: str = "none"
    cache_teacher_logits: bool = False
    distribution: str = "none"
    padding: str = "max_length"
    group_by_length: bool = False
    max_eval_examples: Optional[int] = None
    doc_stride: int = 128
    max_query_length: int = 64

    def __post_init__(self):
        data_lib.check_padding(self.padding)
        self.prune_cuts()  # refuse a bad schedule before anything runs
        if self.preset not in PRESETS:
            raise ValueError(f"preset={self.preset!r}; use one of {', '.join(PRESETS)}.")
        for name, value in PRESETS[self.preset].items():
            if getattr(self, name) is None:
                setattr(self, name, value)


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


# The budget knobs each preset sets (fields left None). `demo` is what `make demo` runs;
# `full` is the largest budget measured on 2 CPU cores (README "Measured"); `paper` is
# the paper's task-distillation budget (N_a=20, 10 + 3 epochs, dev every 100 steps).
PRESETS = {
    "demo": dict(num_augmented=1, intermediate_epochs=1, prediction_epochs=1, eval_steps=0),
    "full": dict(num_augmented=4, intermediate_epochs=2, prediction_epochs=2, eval_steps=100),
    "paper": dict(num_augmented=20, intermediate_epochs=10, prediction_epochs=3, eval_steps=100),
}


# Settings a finished stage does not depend on: changing them reuses the stages.
_FREE = {"export_variants", "bench_runs", "preset"}  # the preset counts through the values it set


def _check_same_settings(config: RecipeConfig) -> None:
    """Stages are reused by folder; refuse to mix in a run made with other settings (the
    shared guard, `outputs.prepare_output_dir`). `recipe_config.json` records the whole
    configuration of the latest run."""
    outputs.prepare_output_dir(config.output_dir, "recipe", config, free=_FREE, hint="make demo RUN_DIR=...")
    outputs.write_json(os.path.join(config.output_dir, "recipe_config.json"), dataclasses.asdict(config))


def run_recipe(config: RecipeConfig) -> Dict[str, dict]:
    """Run every stage (skipping finished ones); returns {"teacher": metrics, "student":
    metrics} and writes `comparison.md`."""
    out = config.output_dir
    kind = data_lib.load_task(config.task, data_dir=config.data_dir, seed=config.seed).kind
    if kind != "sequence" and config.prune_cuts():
        raise ValueError(f"Task {config.task!r} is a {kind}-level task: the pruning stage prunes sequence "
                         "classifiers only; drop prune_hidden_size.")
    _check_same_settings(config)
    windows = dict(max_eval_examples=config.max_eval_examples, doc_stride=config.doc_stride,
                   max_query_length=config.max_query_length)
    teacher_dir = os.path.join(out, "teacher")
    if outputs.is_finished(teacher_dir):
        print(f"[recipe] teacher: {teacher_dir} is fine-tuned already; reusing it.")
    else:
        print("[recipe] 1/6 fine-tuning the teacher")
        teacher_lib.fine_tune(teacher_lib.FineTuneConfig(
            model=config.teacher, task=config.task, output_dir=teacher_dir, max_length=config.max_length,
            batch_size=config.batch_size, epochs=config.teacher_epochs, seed=config.seed, data_dir=config.data_dir,
            log_dir=_sub(config.log_dir, "teacher"), padding=config.padding, group_by_length=config.group_by_length,
            **windows))

    student_start = config.student
    if config.general_max_segments > 0:
        general_dir = os.path.join(out, "general")
        if outputs.is_finished(general_dir):
            print(f"[recipe] general distillation: {general_dir} is done already; reusing it.")
        else:
            print("[recipe] 2/6 general distillation")
            distill.general_distill(distill.GeneralDistillConfig(
                teacher=config.teacher, student=config.student, max_segments=config.general_max_segments,
                max_length=config.max_length, batch_size=config.batch_size, epochs=config.general_epochs,
                learning_rate=config.general_learning_rate, output_dir=general_dir, seed=config.seed,
                log_dir=_sub(config.log_dir, "general"), mixed_precision=config.mixed_precision,
                distribution=config.distribution, padding=config.padding, group_by_length=config.group_by_length))
        student_start = general_dir

    augmented = None
    if config.num_augmented > 0 and kind != "sequence":
        print(f"[recipe] 3/6 no data augmentation: it replaces words of sequence-task examples; this is a {kind}-"
              "level task (the paper distils SQuAD without augmentation).")
    elif config.num_augmented > 0:
        print("[recipe] 3/6 data augmentation")
        augmented = augment_lib.augment_task(augment_lib.AugmentConfig(
            teacher=config.augment_model or teacher_dir, task=config.task,
            output_file=os.path.join(out, "augmented", "train.jsonl"),
            replace_prob=config.replace_prob, num_augmented=config.num_augmented, top_k=config.top_k,
            seed=config.seed, data_dir=config.data_dir))

    student_dir = os.path.join(out, "student")
    if outputs.is_finished(student_dir):
        print(f"[recipe] task distillation: {student_dir} is done already; reusing it.")
    else:
        print("[recipe] 4/6 task distillation")
        distill.task_distill(distill.TaskDistillConfig(
            teacher=teacher_dir, student=student_start, task=config.task, augmented_file=augmented,
            max_length=config.max_length, batch_size=config.batch_size,
            intermediate_epochs=config.intermediate_epochs, prediction_epochs=config.prediction_epochs,
            intermediate_learning_rate=config.intermediate_learning_rate,
            prediction_learning_rate=config.prediction_learning_rate,
            eval_steps=config.eval_steps, intermediate_optimizer=config.intermediate_optimizer,
            prediction_clipping=config.prediction_clipping, regression_target=config.regression_target,
            projection_init=config.projection_init,
            temperature=config.temperature, output_dir=student_dir, seed=config.seed, data_dir=config.data_dir,
            log_dir=_sub(config.log_dir, "student"), mixed_precision=config.mixed_precision,
            cache_teacher_logits=config.cache_teacher_logits, distribution=config.distribution,
            padding=config.padding, group_by_length=config.group_by_length, **windows))

    rows = [("teacher", teacher_dir), ("student", student_dir)]
    shipped = student_dir
    cuts = config.prune_cuts()
    for i, hidden in enumerate(cuts):
        last = i == len(cuts) - 1
        name = "pruned" if last else f"pruned_h{hidden}"
        pruned_dir = os.path.join(out, name)
        if outputs.is_finished(pruned_dir):
            print(f"[recipe] pruning: {pruned_dir} is done already; reusing it.")
        else:
            print(f"[recipe] 4b/6 pruning cut {i + 1} of {len(cuts)}: hidden {hidden}, heads "
                  f"-{config.prune_heads_fraction:.0%}, FFN -{config.prune_ffn_fraction:.0%}"
                  f"{', vocabulary' if config.prune_vocabulary and last else ''}; then recovering it")
            from tinybert_tf import prune

            prune.prune_student(prune.PruneConfig(
                model=shipped, teacher=teacher_dir, task=config.task, output_dir=pruned_dir,
                heads_fraction=config.prune_heads_fraction, ffn_fraction=config.prune_ffn_fraction,
                hidden_size=hidden, vocabulary=config.prune_vocabulary and last,
                intermediate_epochs=config.prune_epochs, prediction_epochs=config.prune_epochs,
                augmented_file=augmented, eval_steps=config.eval_steps, max_length=config.max_length,
                batch_size=config.batch_size, seed=config.seed, data_dir=config.data_dir,
                cache_teacher_logits=config.cache_teacher_logits, padding=config.padding,
                group_by_length=config.group_by_length, log_dir=_sub(config.log_dir, name)))
        rows.append((name, pruned_dir))
        shipped = pruned_dir
    table = comparison_table(rows)
    with open(os.path.join(out, "comparison.md"), "w", encoding="utf-8") as f:
        f.write(table + "\n")

    if config.export_variants:
        variants = config.export_variants
        bundle = "dynamic_int8" if "dynamic_int8" in variants else variants.split(",")[0].strip()
        for name, model_dir, export_dir in (("student", shipped, os.path.join(out, "export")),
                                            ("teacher", teacher_dir, os.path.join(out, "export_teacher"))):
            if os.path.isfile(os.path.join(export_dir, "export_report.json")):
                print(f"[recipe] export: {export_dir} exists; reusing it.")
                continue
            print(f"[recipe] 5/6 exporting the {name} to TFLite ({variants}), each variant validated")
            # The teacher's variants are references: keep them even when quantization hurts.
            export.export_model(export.ExportConfig(
                model=model_dir, task=config.task, output_dir=export_dir, variants=variants, bundle_variant=bundle,
                max_length=config.max_length, force=name == "teacher", data_dir=config.data_dir,
                max_eval_examples=config.max_eval_examples))
        _export_mediapipe(config, shipped, os.path.join(out, "export_mediapipe"), bundle)
        if config.bench_runs > 0:
            print("[recipe] 6/6 LiteRT benchmark (1 thread, batch 1)")
            lengths = [n for n in (64, 128) if n <= config.max_length] or [config.max_length]
            bench.run_host_benchmark(bench.BenchConfig(
                exports=f"teacher={os.path.join(out, 'export_teacher')},student={os.path.join(out, 'export')}",
                seq_lens=",".join(map(str, lengths)), runs=config.bench_runs, output_dir=os.path.join(out, "bench")))
        print(f"[recipe] app bundle: {os.path.join(out, 'export', 'bundle')}")
    print(table)
    return {name: read_metrics(d) for name, d in rows}


def _export_mediapipe(config: RecipeConfig, model_dir: str, export_dir: str, variant: str) -> None:
    """The student as MediaPipe's TextClassifier model (web demo, app), where it applies:
    a one-text classification task, a float or dynamic-int8 variant, MediaPipe installed."""
    import importlib.util

    task = data_lib.load_task(config.task, data_dir=config.data_dir)
    why = (f"the task is {task.head}" if task.kind != "sequence" else "the task is regression"
           if task.is_regression else "the task has text pairs"
           if task.train.text_pairs is not None else "the bundle variant is full_int8" if variant == "full_int8"
           else "mediapipe is not installed" if importlib.util.find_spec("mediapipe") is None else "")
    if why:
        print(f"[recipe] no MediaPipe model: {why} (MediaPipe's TextClassifier takes one text into labels).")
        return
    print("[recipe] 5/6 exporting the student for MediaPipe (TFLite with metadata; web demo, app)")
    export.export_model(export.ExportConfig(model=model_dir, task=config.task, output_dir=export_dir,
                                            format="mediapipe", bundle_variant=variant,
                                            max_length=config.max_length, data_dir=config.data_dir))


def _sub(log_dir: Optional[str], name: str) -> Optional[str]:
    return os.path.join(log_dir, name) if log_dir else None


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
