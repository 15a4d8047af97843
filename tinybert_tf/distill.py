"""Distillation stages: general distillation on unlabelled text, then task distillation
(step 1: intermediate layers, step 2: prediction layer, best dev checkpoint kept).

Each stage is a config dataclass (the CLI's flags) and a function. Each can be
interrupted and resumed: `keras.callbacks.BackupAndRestore` writes the model, the
optimizer and the position in the epoch to `<output_dir>/backup_<step>` every
`backup_every_steps` steps; running the same command again continues from there and
ends where an uninterrupted run ends. A finished run is reused; other settings in the
same folder are refused (`outputs.prepare_output_dir`).
"""

import dataclasses
import json
import logging
import math
import os
import shutil
import time
from typing import List, Optional

from tinybert_tf import data as data_lib
from tinybert_tf import outputs, progress, stage
from tinybert_tf.backend import keras
from tinybert_tf.callbacks import KeepBest
from tinybert_tf.checkpoint import load_pretrained, save_pretrained
from tinybert_tf.distiller import Distiller
from tinybert_tf.layer_mapping import parse_layer_mapping
from tinybert_tf.student import build_student
from tinybert_tf.pruning import magnitude as prune
from tinybert_tf.settings import (CLIPPINGS, PROJECTION_INITS, PROJECTIONS, REGRESSION_TARGETS, STEP1_OPTIMIZERS,
                                  DistributedRunSettings, choice)
from tinybert_tf.training import (
    distribution,
    precision,
    worker_output_dir,
    make_optimizer,
    read_metrics,
    resumable_fit,
    save_fine_tuned,
    write_json,
)
from tinybert_tf.task_kinds import best_dev_monitor, configure_task, kind_of, task_inputs, validation_dataset

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class GeneralDistillConfig(DistributedRunSettings):
    """General distillation: a student learns the pretrained teacher's attention and hidden
    states on unlabelled text (no prediction loss).

    Args:
        teacher: the pretrained (not fine-tuned) teacher: directory or short name.
        student: a preset (`tinybert4`, `tinybert6`, `tinybert2-128`, `teacher-l<M>`).
        init: `random` or `teacher` (copy teacher layers; needs the teacher's widths);
            default: `teacher` when possible.
        corpus: a .txt/.txt.gz file, one segment a line; default the shipped Brown+Austen.
        max_segments: use only the first N corpus lines (short runs).
        output_dir: where the student encoder is saved (HF layout), with the trained
            projections beside it (`distill_projections.safetensors`), which task
            distillation carries on with.
        projection / projection_init: the learned W mapping student states to the
            teacher's width (`shared`, `per_layer`, `none`) and its start (`auto`: identity
            when the widths are equal, else random; `identity`; `glorot`).

    The run settings (`max_length`, `batch_size`, `padding`, `group_by_length`, `seed`,
    `log_dir`, `backup_every_steps`, `mixed_precision`, `distribution`) are
    `settings.DistributedRunSettings`'.
    """

    teacher: str = "minilm-l6"
    student: str = "tinybert4"
    init: Optional[str] = None
    corpus: Optional[str] = None
    max_segments: Optional[int] = None
    epochs: int = 1
    learning_rate: float = 1e-4
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    layer_mapping: str = "uniform"
    projection: str = choice("shared", PROJECTIONS)
    projection_init: str = choice("auto", PROJECTION_INITS)
    output_dir: str = "runs/general"


@dataclasses.dataclass
class TaskDistillConfig(DistributedRunSettings):
    """Task distillation from a fine-tuned teacher.

    Args:
        teacher: the fine-tuned teacher directory (`tinybert-tf finetune` output).
        student: a general-distilled student directory, or a preset for a student without
            general distillation (see `GeneralDistillConfig.student`).
        init: with a preset: `random` or `teacher`.
        task: `fine_foods`, `stsb`, `brown_pos`, `squad`, `glue/<task>` or a directory of
            files; tagging and QA tasks distil per token / per answer position.
        augmented_file: JSONL of augmented training examples (`tinybert-tf augment`);
            step 1 trains on it, step 2 on it too, as the paper does (sequence tasks only:
            the paper distils SQuAD without augmentation).
        intermediate_epochs / intermediate_learning_rate: step 1 (embedding, attention,
            hidden losses; constant learning rate). 0 epochs skips step 1.
        prediction_epochs / prediction_learning_rate: step 2 (soft cross-entropy at
            `temperature`, warm-up then linear decay); the best dev epoch is kept.
        pruning_sparsity: > 0 distils with tfmot magnitude pruning (`tinybert_tf.prune`):
            sparsity ramps from 0 to this target (PolynomialDecay) over the first
            `pruning_end_fraction` of all distillation steps (steps 1 and 2 counted
            together; at the latest by the end of step 2's first epoch, so the best dev
            epoch step 2 keeps is at the target), then holds; the saved student is
            stripped of the wrappers.
        pruning_2_4: 2:4 sparsity on the Dense kernels instead (the target is ignored).
        pruning_log_dir: per-layer sparsity for TensorBoard (tfmot `PruningSummaries`).
        projection: `shared` (one W for embeddings and all layers, the official code's),
            `per_layer`, or `none` (equal widths only).
        projection_init: `auto` (the projections general distillation trained, when the
            student directory has them, as the official code carries `fit_dense`; else
            identity when the widths are equal; else random), `carried` (those, or an
            error), `identity`, `glorot` (random).
        intermediate_optimizer: step 1's optimizer: `adam` (plain Adam, constant rate) or
            `bert_adam` (as the official code: AdamW, weight decay 0.01 except biases and
            LayerNorm, per-tensor clipping at 1.0, constant rate).
        prediction_clipping: step 2's gradient clipping at 1.0: `global` (over all
            tensors), `per_tensor` (the official code's), or `none`.
        eval_steps: step 2 also evaluates on dev every N steps and keeps the best (the
            official code: 100); 0 = at each epoch's end only.
        max_eval_examples: score (and pick the best step-2 weights) on only the first N
            dev and test examples; None: all.
        doc_stride: QA tasks: tokens two consecutive context windows share (use the
            teacher's fine-tuning setting).
        max_query_length: QA tasks: a question's WordPieces kept (use the teacher's).
        regression_target: regression step 2 pulls the student towards `teacher` (its
            outputs), `labels` (the gold scores, as the official code), or `mix`.
        cache_teacher_logits: step 2 computes the teacher's logits for every training
            example once, before its first step, instead of a teacher forward pass at every
            step (the teacher runs in inference mode either way; the numbers differ only by
            batching round-off). The cached pass runs the teacher over every row at the full
            `max_length`, so with `padding="longest"` it can cost more than one epoch's in-batch
            teacher passes: it pays from two step-2 epochs up. Off by default: runs recorded
            without it stay exact to resume.

    The run settings (`max_length`, `batch_size`, `padding`, `group_by_length`, `seed`,
    `log_dir`, `backup_every_steps`, `mixed_precision`, `distribution`) are
    `settings.DistributedRunSettings`'; with mixed precision the saved student is float32
    and its metrics are computed in float32.
    """

    teacher: str = "runs/teacher"
    student: str = "runs/general"
    init: Optional[str] = None
    task: str = "fine_foods"
    augmented_file: Optional[str] = None
    intermediate_epochs: int = 2
    intermediate_learning_rate: float = 5e-5
    prediction_epochs: int = 2
    prediction_learning_rate: float = 3e-5
    temperature: float = 1.0
    warmup_ratio: float = 0.1
    layer_mapping: str = "uniform"
    projection: str = choice("shared", PROJECTIONS)
    projection_init: str = choice("auto", PROJECTION_INITS + ("carried",))
    intermediate_optimizer: str = choice("adam", STEP1_OPTIMIZERS)
    prediction_clipping: str = choice("global", CLIPPINGS)
    eval_steps: int = 0
    regression_target: str = choice("teacher", REGRESSION_TARGETS)
    max_train_examples: Optional[int] = None
    max_eval_examples: Optional[int] = None
    doc_stride: int = 128
    max_query_length: int = 64
    output_dir: str = "runs/student"
    data_dir: Optional[str] = None
    pruning_sparsity: float = 0.0
    pruning_2_4: bool = False
    pruning_end_fraction: float = 0.7
    pruning_frequency: int = 10
    pruning_log_dir: Optional[str] = None
    cache_teacher_logits: bool = False


def _run_step(distiller, batches, output_dir, name, every, label, validation_data=None, keep_best=None,
              callbacks=(), log_dir=None, backup_root=None):
    """One distillation step with exact resume (`training.resumable_fit`). When it ends,
    the student's state goes to `<output_dir>/<name>.done.npz`: a rerun after a crash in a
    later step loads it instead of repeating this one. The stage removes these markers
    once its outputs are saved."""
    done = os.path.join(output_dir, f"{name}.done.npz")
    if os.path.isfile(done):
        logger.info(f"{label}: finished before ({done}); continuing from it.")
        distiller.load_student_state(done)
        return None
    # backup_root: the chief's folder, which every multi-worker worker restores from.
    history = resumable_fit(distiller, batches, os.path.join(backup_root or output_dir, f"backup_{name}"), every, label,
                            validation_data=validation_data, keep_best=keep_best,
                            # general distillation has one step: its logs go straight into log_dir
                            callbacks=list(callbacks) + progress.tensorboard(log_dir, "" if name == "general" else name))
    if keep_best is not None:
        keep_best.restore_into(distiller.student)
    distiller.save_student_state(done)
    if keep_best is not None:
        keep_best.remove_files()
    return history


# General distillation reports its final losses on this many windows.
_PROBE_WINDOWS = 256

# Beside a general-distilled student: the projections W its training ended with.
PROJECTIONS_FILE = "distill_projections.safetensors"
# Beside a head-pruned student: the teacher head each of its heads learns from.
HEADS_FILE = "distill_heads.json"

# A failed (NaN) run leaves none of these behind, so the folder can take other settings.
_PARTIAL = ("backup_general", "backup_step1", "backup_step2", "general.done.npz", "step1.done.npz",
            "step2.done.npz", "best_step2.weights.h5", "best_step2.weights.h5.json")


def _finish(output_dir: str) -> None:
    """Outputs saved (metrics.json last): step markers, backups and best-epoch files are
    no longer needed (a kill between a step's marker and its clean-up can leave some)."""
    outputs.discard(output_dir, _PARTIAL, settings=False)


def general_distill(config: GeneralDistillConfig, callbacks: Optional[List] = None):
    """Run general distillation; saves the student encoder to `config.output_dir`.
    Returns (student encoder, history); history is None when a finished run was reused."""
    with precision(config.mixed_precision), distribution(config.distribution):
        return _on_this_worker(_general_distill, config, callbacks)


def _on_this_worker(run_stage, config, *args):
    """Run `run_stage` with this process's output folder (`training.worker_output_dir`): the
    chief's is `config.output_dir`; another worker's is private and removed at the end."""
    own = worker_output_dir(config.output_dir)
    # The chief; or any worker once the chief's outputs are finished: the stage then only
    # checks the settings record and reuses them (reads, writes nothing), as the chief does.
    if own == config.output_dir or outputs.is_finished(config.output_dir):
        return run_stage(config, *args)
    result = run_stage(dataclasses.replace(config, output_dir=own), *args, backup_root=config.output_dir)
    shutil.rmtree(own, ignore_errors=True)
    return result


def _general_distill(config: GeneralDistillConfig, callbacks: Optional[List] = None, backup_root=None):
    stage.begin(config)
    teacher = load_pretrained(config.teacher)
    mapping = parse_layer_mapping(config.layer_mapping)
    student = build_student(teacher.encoder, config.student, config.init, mapping)
    if stage.reuse(config, "distill-general", "general distillation"):
        return load_pretrained(config.output_dir).encoder, None
    lines = data_lib.load_general_corpus(config.corpus, config.max_segments)
    texts = data_lib.pack_segments(lines, teacher.tokenizer, config.max_length)
    features = teacher.tokenizer(texts, max_length=config.max_length)
    batches = data_lib.ResumableBatches(features, config.batch_size, config.epochs, seed=config.seed,
                                        padding=config.padding, group_by_length=config.group_by_length)
    steps = batches.steps_per_epoch * config.epochs
    logger.info(f"General distillation: {len(lines)} corpus lines -> {len(texts)} windows of <= {config.max_length} "
                f"tokens; {steps} steps.")

    distiller = Distiller(student, teacher.encoder, mapping, config.projection, config.projection_init)
    distiller.compile(optimizer=make_optimizer(config.learning_rate, steps, config.warmup_ratio,
                                               config.weight_decay), stage="general")
    start = time.time()
    with stage.discard_on_failure(config.output_dir, _PARTIAL):
        history = _run_step(distiller, batches, config.output_dir, "general", config.backup_every_steps,
                            "general distillation", callbacks=callbacks or [], log_dir=config.log_dir,
                            backup_root=backup_root)
    student = distiller.export_student()
    save_pretrained(student, config.output_dir, tokenizer=teacher.tokenizer)
    if distiller.projections:
        distiller.save_projections(os.path.join(config.output_dir, PROJECTIONS_FILE))
    write_json(os.path.join(config.output_dir, "distill_config.json"), dataclasses.asdict(config))
    # The finished student's losses on the first windows, in inference mode: the same
    # numbers whether or not the run was interrupted (a resumed fit's epoch means cover
    # only the steps after the restart).
    probe = {k: v[:_PROBE_WINDOWS] for k, v in features.items()}
    final = distiller.evaluate(probe, batch_size=config.batch_size, verbose=0, return_dict=True)
    write_json(os.path.join(config.output_dir, "metrics.json"), {
        "train_seconds": round(time.time() - start, 1), "windows": len(texts),
        "final": {k: float(v) for k, v in final.items()}, "final_on_windows": len(probe["input_ids"])})
    _finish(config.output_dir)
    return student, history


def _float32_copy(classifier, tokenizer):
    """The classifier rebuilt under the float32 policy (through its own checkpoint format,
    which also covers pruned students' per-layer shapes)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, precision("float32"):
        save_pretrained(classifier, tmp, tokenizer=tokenizer)
        return load_pretrained(tmp).task_model


def check_same_vocabulary(student_tokenizer, teacher_tokenizer, student_name: str) -> None:
    """Teacher and student read the same ids while distilling: a student with another
    vocabulary (e.g. vocabulary-pruned) is refused before anything is written."""
    if student_tokenizer is not None and student_tokenizer.get_vocab() != teacher_tokenizer.get_vocab():
        raise ValueError(f"{student_name} has a vocabulary of {student_tokenizer.vocab_size} WordPieces that "
                         f"differs from the teacher's ({teacher_tokenizer.vocab_size}), e.g. a vocabulary-pruned "
                         "student; distil the student from before vocabulary pruning (prune the vocabulary "
                         "last: `prune --vocabulary` in the final pruning step only).")


def _task_student(config, teacher, mapping, task):
    if os.path.isdir(config.student):
        loaded = load_pretrained(config.student)
        check_same_vocabulary(loaded.tokenizer, teacher.tokenizer, config.student)
        if loaded.task_model is not None:  # a trained head (a pruned student's) must fit the task
            task.check_model(loaded, role="student")
            return loaded.task_model
        # A general student: a new head of the teacher's kind, as `load_pretrained(head=...)` builds it.
        return kind_of(task).new_head(loaded.encoder, getattr(teacher.task_model, "num_labels", None))
    return build_student(teacher.task_model, config.student, config.init, mapping)


def _step1_optimizer(config):
    """Plain Adam, or the official code's BertAdam settings (`task_distill` validated the name)."""
    if config.intermediate_optimizer == "bert_adam":
        return make_optimizer(config.intermediate_learning_rate, None, weight_decay=0.01, clipping="per_tensor")
    return keras.optimizers.Adam(config.intermediate_learning_rate)


def _task_distiller(config, student, teacher, mapping) -> Distiller:
    """The Distiller, its projections carried from general distillation when asked/found."""
    carried = os.path.join(config.student, PROJECTIONS_FILE) if os.path.isdir(config.student) else None
    found = carried is not None and os.path.isfile(carried) and config.projection != "none"
    if config.projection_init == "carried" and not found:
        raise ValueError(f"projection_init='carried' but {config.student} has no {PROJECTIONS_FILE} (general "
                         "distillation writes it); use 'auto', 'identity' or 'glorot'.")
    init = "auto" if config.projection_init in ("auto", "carried") else config.projection_init
    heads_file = os.path.join(config.student, HEADS_FILE) if os.path.isdir(config.student) else None
    head_map = None
    if heads_file and os.path.isfile(heads_file):
        with open(heads_file, encoding="utf-8") as f:
            head_map = json.load(f)["heads"]
        logger.info(f"Attention: each student head learns from the teacher head it was pruned from ({HEADS_FILE}).")
    distiller = Distiller(student, teacher.task_model, mapping, config.projection, init, head_map=head_map)
    if found and config.projection_init in ("auto", "carried"):
        distiller.load_projections(carried)
        distiller.projection_init = "carried"
    logger.info(f"Projections: {config.projection}, starting from {distiller.projection_init}.")
    return distiller


def task_distill(config: TaskDistillConfig, callbacks: Optional[List] = None,
                 task: Optional[data_lib.TaskData] = None):
    """Task distillation (step 1 then step 2). Saves the student classifier to
    `config.output_dir` with its metrics. Returns (student classifier, metrics).
    Resumes an interrupted run exactly and reuses a finished one (see the module doc)."""
    with precision(config.mixed_precision), distribution(config.distribution):
        return _on_this_worker(_task_distill, config, callbacks, task)


def _training_set(config: TaskDistillConfig, task):
    """The examples task distillation trains on: the augmented file's or the task's training
    split, cut to `max_train_examples`."""
    train = task.train
    if config.augmented_file:
        train = data_lib.load_text_file(config.augmented_file, label_names=task.label_names or None,
                                        text_pair_column="text_pair" if task.train.text_pairs else None,
                                        regression=task.is_regression)
    return train.head(config.max_train_examples) if config.max_train_examples else train


def _apply_magnitude_pruning(config: TaskDistillConfig, distiller, steps_per_epoch: int) -> bool:
    """tfmot magnitude pruning around the student when asked (`pruning_sparsity`,
    `pruning_2_4`); returns whether it is on."""
    if not (config.pruning_sparsity > 0 or config.pruning_2_4):
        return False
    step1_steps = steps_per_epoch * config.intermediate_epochs
    end = int((step1_steps + steps_per_epoch * config.prediction_epochs) * config.pruning_end_fraction)
    if config.prediction_epochs > 0:
        # Step 2 keeps its best dev epoch: every epoch it can pick must be at the target.
        end = min(end, step1_steps + steps_per_epoch)
    schedule = prune.pruning_schedule(config.pruning_sparsity, end, frequency=config.pruning_frequency)
    distiller.apply_pruning(prune.magnitude_pruning(schedule, block_2_4=config.pruning_2_4))
    return True


def _step2_inputs(config: TaskDistillConfig, teacher, train_inputs):
    """Step 2's training inputs, with the teacher's logits computed once when
    `cache_teacher_logits` (recomputed on every (re)start, never stored: a resumed run sees
    the same numbers; not needed once step 2 is done)."""
    if not config.cache_teacher_logits or os.path.isfile(os.path.join(config.output_dir, "step2.done.npz")):
        return train_inputs
    logits = teacher.task_model.predict(train_inputs[0], batch_size=64, verbose=0)
    return {**train_inputs[0], "teacher_logits": logits.astype("float32")}, train_inputs[1]


def _task_distill(config: TaskDistillConfig, callbacks: Optional[List] = None,
                  task: Optional[data_lib.TaskData] = None, backup_root=None):
    stage.begin(config)
    teacher = load_pretrained(config.teacher)
    if teacher.task_model is None:
        raise ValueError(f"The teacher {config.teacher} has no task head; fine-tune it first "
                         "(tinybert-tf finetune) — task distillation needs its predictions.")
    task = configure_task(task or data_lib.load_task(config.task, data_dir=config.data_dir, seed=config.seed), config)
    task.check_model(teacher, role="teacher")
    if not kind_of(task).augments and (config.augmented_file or config.cache_teacher_logits):
        raise ValueError(f"Task {task.name!r} is a {task.head} task: augmented_file and cache_teacher_logits are "
                         "for sequence tasks only (the paper distils SQuAD without augmentation); drop them.")
    tokenizer = teacher.tokenizer
    train = _training_set(config, task)
    mapping = parse_layer_mapping(config.layer_mapping)
    student = _task_student(config, teacher, mapping, task)
    if stage.reuse(config, "distill-task", "task distillation"):
        return load_pretrained(config.output_dir).task_model, read_metrics(config.output_dir)
    train_inputs = task_inputs(task, train, tokenizer, config.max_length)
    dev_ds = validation_dataset(task, task.dev, tokenizer, config.max_length, config.batch_size, config.padding)
    distiller = _task_distiller(config, student, teacher, mapping)
    start = time.time()
    num_inputs = len(train_inputs[0]["input_ids"])  # QA: context windows, more than questions
    steps_per_epoch = math.ceil(num_inputs / config.batch_size)
    pruning = _apply_magnitude_pruning(config, distiller, steps_per_epoch)

    def stage_callbacks():
        return (prune.pruning_callbacks(config.pruning_log_dir) if pruning else []) + list(callbacks or [])

    def batches(epochs, inputs=train_inputs):
        return data_lib.ResumableBatches(inputs, config.batch_size, epochs, seed=config.seed,
                                         padding=config.padding, group_by_length=config.group_by_length)

    logger.info(f"Task distillation on {num_inputs} examples ({steps_per_epoch} steps an epoch): "
                f"step 1 {config.intermediate_epochs} epochs, step 2 {config.prediction_epochs} epochs.")
    with stage.discard_on_failure(config.output_dir, _PARTIAL):
        if config.intermediate_epochs > 0:
            distiller.compile(optimizer=_step1_optimizer(config), stage="intermediate")
            _run_step(distiller, batches(config.intermediate_epochs), config.output_dir, "step1",
                      config.backup_every_steps, "task distillation step 1", callbacks=stage_callbacks(),
                      log_dir=config.log_dir, backup_root=backup_root)

        if config.prediction_epochs > 0:
            distiller.compile(optimizer=make_optimizer(config.prediction_learning_rate,
                                                       steps_per_epoch * config.prediction_epochs,
                                                       config.warmup_ratio, weight_decay=0.01,
                                                       clipping=config.prediction_clipping),
                              stage="prediction", temperature=config.temperature,
                              regression_target=config.regression_target)
            monitor, mode = best_dev_monitor(task, distilling=True)
            keep_best = KeepBest(os.path.join(config.output_dir, "best_step2.weights.h5"), monitor, mode,
                                 model=distiller.student, every_steps=config.eval_steps, validation_data=dev_ds)
            _run_step(distiller, batches(config.prediction_epochs, _step2_inputs(config, teacher, train_inputs)), config.output_dir, "step2",
                      config.backup_every_steps, "task distillation step 2", validation_data=dev_ds,
                      keep_best=keep_best, callbacks=stage_callbacks(), log_dir=config.log_dir,
                      backup_root=backup_root)

    student = distiller.export_student()
    if config.mixed_precision != "none":  # score what is saved: float32 weights, computed in float32
        student = _float32_copy(student, tokenizer)
    metrics = {"train_seconds": round(time.time() - start, 1), "projection_init": distiller.projection_init}
    if pruning:
        metrics["sparsity"] = prune.sparsity_report(student)[-1]["sparsity"]
    metrics.update(stage.score(student, tokenizer, task, config.max_length))
    # Beside the student (not in it), as after general distillation: the projections its
    # training ended with and the head map it learnt with, so it can be pruned or
    # distilled again towards the same teacher. Written before metrics.json (finished).
    if distiller.projections:
        distiller.save_projections(os.path.join(config.output_dir, PROJECTIONS_FILE))
    if distiller.head_map is not None:
        write_json(os.path.join(config.output_dir, HEADS_FILE), {"heads": distiller.head_map})
    save_fine_tuned(student, tokenizer, task, config, metrics)
    _finish(config.output_dir)
    return student, metrics
