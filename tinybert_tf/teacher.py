"""Teacher stage: fine-tune a pretrained BERT on a task with `model.fit`, save, evaluate."""

import dataclasses
import logging
import os
import time
from typing import Dict, List, Optional

from tinybert_tf import data as data_lib
from tinybert_tf import outputs, progress, stage
from tinybert_tf.callbacks import KeepBest
from tinybert_tf.checkpoint import load_pretrained
from tinybert_tf.settings import RunSettings
# The shared training helpers are re-exported: `teacher.make_optimizer` etc. predate `training`.
from tinybert_tf.training import (  # noqa: F401
    TrainingError,
    WithDropoutState,
    compile_classifier,
    evaluate_model,
    make_optimizer,
    predict_logits,
    read_metrics,
    resumable_fit,
    save_fine_tuned,
    write_json,
)
from tinybert_tf.task_kinds import (best_dev_monitor, configure_task, evaluate_task, kind_of, task_as_trained,
                                    task_inputs, validation_dataset)

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class FineTuneConfig(RunSettings):
    """Everything `fine_tune` needs; the CLI's flags are these fields.

    Args:
        model: checkpoint directory, short name (`minilm-l6`) or HF hub id.
        task: `fine_foods`, `stsb`, `brown_pos` (tagging), `squad` (QA), `glue/<task>`, or
            a directory of train/dev/test files (`data.load_task`); the task's kind picks
            the model (`BertClassifier`, `BertTokenClassifier`, `BertQuestionAnswerer`).
        output_dir: where the fine-tuned model is saved (HF layout + labels).
        epochs, learning_rate, weight_decay, warmup_ratio: AdamW with linear warm-up and
            decay, as BERT fine-tuning.
        max_train_examples: use only the first N training examples (quick runs).
        max_eval_examples: score (and pick the best epoch) on only the first N dev and
            test examples; None: all (`TaskData.limit_evaluation`).
        doc_stride: QA tasks: tokens two consecutive windows of a long context share
            (HF's `stride`, as its SQuAD examples use it: 128).
        max_query_length: QA tasks: a question's WordPieces kept (BERT's SQuAD code: 64).
        data_dir: TFDS data directory (GLUE).
        allow_pickle: accept a `pytorch_model.bin` checkpoint (runs pickle).
        jit_compile: compile train steps with XLA.

    The run settings (`max_length`, `batch_size`, `padding`, `group_by_length`, `seed`,
    `log_dir`, `backup_every_steps`) are `settings.RunSettings`'.
    """

    model: str = "minilm-l6"
    task: str = "fine_foods"
    output_dir: str = "runs/teacher"
    epochs: int = 3
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_train_examples: Optional[int] = None
    max_eval_examples: Optional[int] = None
    doc_stride: int = 128
    max_query_length: int = 64
    data_dir: Optional[str] = None
    allow_pickle: bool = False
    jit_compile: bool = False


def fine_tune(config: FineTuneConfig, callbacks: Optional[List] = None, task: Optional[data_lib.TaskData] = None):
    """Fine-tune `config.model` on `config.task` and save it to `config.output_dir`.

    Keeps the weights of the epoch with the best dev score (accuracy, or MSE for
    regression). Extra Keras `callbacks` (TensorBoard, ModelCheckpoint, ...) go to `fit`.
    Interrupted, the same call resumes from the last backup (every
    `backup_every_steps`) and ends where an uninterrupted run ends; finished, it reuses
    the saved model. Another configuration in the same `output_dir` is refused.

    Returns:
        (model, history, metrics) where metrics has the dev (and test) scores; history is
        None when a finished run was reused.

    Raises:
        TrainingError: the loss became NaN (the partial outputs are removed).
        OutputError: `output_dir` is a file, or holds a run made with other settings.
    """
    stage.begin(config)
    task = configure_task(task or data_lib.load_task(config.task, data_dir=config.data_dir, seed=config.seed), config)
    pretrained = load_pretrained(config.model, num_labels=kind_of(task).num_labels(task),
                                 allow_pickle=config.allow_pickle, head=task.head)
    model, tokenizer = pretrained.task_model, pretrained.tokenizer
    if config.max_length > pretrained.config.max_position_embeddings:
        raise ValueError(f"max_length={config.max_length} exceeds the model's max_position_embeddings="
                         f"{pretrained.config.max_position_embeddings}; use --max-length "
                         f"{pretrained.config.max_position_embeddings} or less.")
    if stage.reuse(config, "finetune", "fine-tuning", free={"jit_compile"}):
        return load_pretrained(config.output_dir).task_model, None, read_metrics(config.output_dir)

    train = task.train.head(config.max_train_examples or None)
    batches = data_lib.ResumableBatches(task_inputs(task, train, tokenizer, config.max_length),
                                        config.batch_size, config.epochs, seed=config.seed,
                                        padding=config.padding, group_by_length=config.group_by_length)
    dev_ds = validation_dataset(task, task.dev, tokenizer, config.max_length, config.batch_size, config.padding)
    total_steps = batches.steps_per_epoch * config.epochs
    trainable = WithDropoutState(model)
    kind_of(task).compile(trainable, make_optimizer(config.learning_rate, total_steps, config.warmup_ratio,
                                               config.weight_decay), config.jit_compile)

    monitor, mode = best_dev_monitor(task)
    best = KeepBest(os.path.join(config.output_dir, "best.weights.h5"), monitor, mode, model=model)
    backup = os.path.join(config.output_dir, "backup")
    extra = progress.tensorboard(config.log_dir, "")
    start = time.time()
    with stage.discard_on_failure(config.output_dir, ["backup", best.path, best.record_path]):
        history = resumable_fit(trainable, batches, backup, config.backup_every_steps, "fine-tuning",
                                validation_data=dev_ds, keep_best=best, callbacks=extra + list(callbacks or []))
    train_seconds = time.time() - start
    best.restore_into(model)

    metrics = {"train_seconds": round(train_seconds, 1), **stage.score(model, tokenizer, task, config.max_length)}
    save_fine_tuned(model, tokenizer, task, config, metrics)
    best.remove_files()
    return model, history, metrics


def evaluate(model_dir: str, task: str = "fine_foods", split: str = "test", max_length: Optional[int] = None,
             data_dir: Optional[str] = None) -> Dict[str, float]:
    """Evaluate a saved task model directory (classifier, tagger or QA) on a task split. `max_length` defaults to
    the one it was trained with."""
    pretrained = load_pretrained(model_dir)
    if pretrained.task_model is None:
        raise ValueError(f"{model_dir} has no task head; fine-tune it first (tinybert-tf finetune).")
    if max_length is None:
        max_length = _trained_max_length(model_dir)
    task_data = task_as_trained(data_lib.load_task(task, data_dir=data_dir), model_dir)
    task_data.check_model(pretrained, role="model")
    return evaluate_task(pretrained.task_model, pretrained.tokenizer, task_data, task_data.split(split), max_length,
                         desc=f"evaluate {split}")


def _trained_max_length(model_dir, default=128):
    return int(outputs.trained_max_length(model_dir) or default)
