"""Training helpers every stage shares (teacher fine-tuning, distillation, pruning, QAT):
the BERT optimizer, compiling a classifier, predicting and scoring, and saving a trained
model with what produced it."""

import contextlib
import dataclasses
import json
import logging
import os
import shutil
from typing import Dict, Optional

import numpy as np

from tinybert_tf import data as data_lib
from tinybert_tf import outputs, progress
from tinybert_tf.backend import keras
from tinybert_tf.callbacks import EpochSafeBackupAndRestore, KeepBest, fault_injection
from tinybert_tf.checkpoint import save_pretrained
from tinybert_tf.errors import TrainingError
from tinybert_tf.layers import dropout_rng_states
from tinybert_tf.metrics import compute_metrics
from tinybert_tf.schedules import WarmUpLinearDecay
from tinybert_tf.settings import CLIPPINGS, DISTRIBUTIONS, MIXED_PRECISION  # noqa: F401  (re-exported)

logger = logging.getLogger(__name__)



@contextlib.contextmanager
def distribution(name: str):
    """A stage's models, optimizers and `fit` under a `tf.distribute` strategy: `mirrored`
    = `MirroredStrategy` over this host's GPUs (or its one CPU); `multi_worker` =
    `MultiWorkerMirroredStrategy` over the workers `TF_CONFIG` names (every worker runs the
    same command; see `worker_output_dir` for who writes what); `tpu` = `TPUStrategy` over
    the TPU named by `TPU_NAME` (default `local`: a Cloud TPU VM's own chips; not tested
    here, no TPU); `none` = the default strategy. Batches are split across all replicas:
    `batch_size` stays the global batch."""
    from tinybert_tf.backend import tf

    if name not in DISTRIBUTIONS:
        raise ValueError(f"distribution={name!r}; use one of {', '.join(DISTRIBUTIONS)}.")
    if name == "none":
        yield None
        return
    if name == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError("distribution='multi_worker' needs TF_CONFIG (the cluster's workers and this one's "
                             "index), set on every worker before it starts.")
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    elif name == "tpu":
        strategy = _tpu_strategy(tf)
    else:
        strategy = tf.distribute.MirroredStrategy()
    label = {"multi_worker": "MultiWorkerMirroredStrategy", "tpu": "TPUStrategy"}.get(name, "MirroredStrategy")
    logger.info(f"Distribution: {label}, {strategy.num_replicas_in_sync} replica(s) "
                f"({', '.join(strategy.extended.worker_devices)}); batch_size is the global batch.")
    with strategy.scope():
        yield strategy


def _tpu_strategy(tf):
    """`TPUStrategy` for the TPU `TPU_NAME` names (`local` on a TPU VM), or a clear error."""
    tpu = os.environ.get("TPU_NAME", "local")
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        if tpu != "local":
            tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise ValueError(f"distribution='tpu' found no TPU (TPU_NAME={tpu!r}: {str(error).splitlines()[0]}). Run on "
                         "a Cloud TPU VM (TPU_NAME unset or 'local') or set TPU_NAME to the TPU's name; "
                         "elsewhere use 'mirrored' or 'none'.") from None
    return tf.distribute.TPUStrategy(resolver)


def is_chief() -> bool:
    """Whether this process writes a stage's outputs (always, without multi-worker)."""
    from tinybert_tf.backend import tf

    return bool(tf.distribute.get_strategy().extended.should_checkpoint)


def wait_for_all_workers() -> None:
    """Returns once every worker has reached this call (a one-number all-reduce, which each
    must join); at once without multi-worker. Used before the chief deletes a folder the
    others may still be writing into: their own last backup finishes after `fit` returns
    on the chief, and deleting under it crashed that worker (SaveV2: no such file)."""
    from tinybert_tf.backend import tf

    strategy = tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)


def worker_output_dir(output_dir: str) -> str:
    """Where this process writes a stage's own files: `output_dir` on the chief (and without
    multi-worker); `<output_dir>/.worker_<index>` on the other workers, kept across restarts
    (their step markers and best-epoch records) and removed when the stage finishes. The
    backups stay in `output_dir` for every worker: `BackupAndRestore` writes them from the
    chief only and restores every worker from them (the folder must be shared)."""
    if is_chief():
        return output_dir
    from tinybert_tf.backend import tf

    return os.path.join(output_dir, f".worker_{tf.distribute.get_strategy().cluster_resolver.task_id}")


@contextlib.contextmanager
def precision(mixed_precision: str):
    """Models built inside compute in bfloat16 or float16 with float32 variables (Keras'
    `mixed_bfloat16` / `mixed_float16` policies; losses, softmax and LayerNorm stay
    float32), or as the global policy says for `none`; the previous policy comes back on
    exit. Under float16, `compile` wraps the optimizer in Keras' `LossScaleOptimizer`
    (dynamic loss scaling), which the Distiller's `train_step` applies; bfloat16 has
    float32's range and needs none. float16 is for GPUs: CPUs without float16 arithmetic
    run it slower than float32."""
    if mixed_precision not in MIXED_PRECISION + ("float32",):
        raise ValueError(f"mixed_precision={mixed_precision!r}; use one of {', '.join(MIXED_PRECISION)}.")
    if mixed_precision == "none":
        yield
        return
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy({"bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}.get(
        mixed_precision, "float32"))
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def make_optimizer(learning_rate, total_steps=None, warmup_ratio=0.1, weight_decay=0.01, clipping="global"):
    """AdamW with BERT's warm-up/linear-decay schedule (a constant rate when `total_steps`
    is None); no decay on biases and LayerNorm. `clipping`: the gradient norm is clipped
    at 1.0 over all tensors together (`global`), per tensor (`per_tensor`, as the
    official TinyBERT code's BertAdam), or not at all. Unlike BertAdam, Keras's AdamW
    applies Adam's bias correction (no option turns it off)."""
    if clipping not in CLIPPINGS:
        raise ValueError(f"clipping={clipping!r}; use one of {CLIPPINGS}.")
    schedule = (learning_rate if total_steps is None
                else WarmUpLinearDecay(learning_rate, total_steps, int(warmup_ratio * total_steps)))
    clip = {"global": {"global_clipnorm": 1.0}, "per_tensor": {"clipnorm": 1.0}, "none": {}}[clipping]
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=weight_decay, epsilon=1e-6, **clip)
    optimizer.exclude_from_weight_decay(var_names=["bias", "layer_norm", "beta", "gamma"])
    return optimizer


def compile_classifier(model, optimizer, jit_compile=False):
    """Compile a `BertClassifier` with the loss and metric its task needs."""
    if model.is_regression:
        loss, metrics = keras.losses.MeanSquaredError(), [keras.metrics.MeanSquaredError(name="mse")]
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=jit_compile)


class TaggedAccuracy(keras.metrics.Mean):
    """Token accuracy over the positions that carry a tag (labels >= 0; `data.align_tags`
    puts -100 on later WordPieces, special tokens and padding)."""

    def __init__(self, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        from tinybert_tf.backend import tf

        y_true = tf.cast(y_true, tf.int64)
        hits = tf.cast(tf.equal(tf.argmax(y_pred, axis=-1), y_true), tf.float32)
        return super().update_state(hits, sample_weight=tf.cast(y_true >= 0, tf.float32))


class _UnusedPoolerFilter(logging.Filter):
    """Taggers and question answerers read the sequence output, never the pooler (HF builds
    them without one); the encoder keeps it for checkpoint parity, and Keras would warn at
    every `fit` that it gets no gradient. Only that warning is dropped."""

    def filter(self, record):
        message = record.getMessage()
        return not (message.startswith("Gradients do not exist for variables") and "pooler" in message
                    and "classifier" not in message)


_POOLER_FILTER = _UnusedPoolerFilter()


def compile_task_model(model, optimizer, jit_compile=False):
    """Compile a `BertTokenClassifier` (cross-entropy over tagged positions, labels -100
    elsewhere; `TaggedAccuracy`) or a `BertQuestionAnswerer` (labels
    `{"start_logits": start positions, "end_logits": end positions}`; the mean of the two
    cross-entropies, as HF's `BertForQuestionAnswering`) for `fit`."""
    from tinybert_tf.models import BertQuestionAnswerer, BertTokenClassifier

    inner = getattr(model, "inner", model)  # a WithDropoutState wrapper
    logging.getLogger("tensorflow").addFilter(_POOLER_FILTER)  # once: filters are a set
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if isinstance(inner, BertTokenClassifier):
        model.compile(optimizer=optimizer, jit_compile=jit_compile, metrics=[TaggedAccuracy()],
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100))
    elif isinstance(inner, BertQuestionAnswerer):
        model.compile(optimizer=optimizer, jit_compile=jit_compile, loss={"start_logits": ce, "end_logits": ce},
                      loss_weights={"start_logits": 0.5, "end_logits": 0.5})
    else:
        raise ValueError(f"compile_task_model takes a BertTokenClassifier or BertQuestionAnswerer, not "
                         f"{type(inner).__name__} (compile_classifier compiles a BertClassifier).")


def save_fine_tuned(model, tokenizer, task, config, metrics=None):
    """One directory: config.json (+ id2label), model.safetensors, tokenizer files,
    labels.txt, and what produced it (training_config.json, metrics.json). metrics.json
    is written last: its presence marks the stage finished (`outputs.is_finished`)."""
    save_pretrained(model, config.output_dir, tokenizer=tokenizer, labels=task.label_names or None)
    outputs.write_text(os.path.join(config.output_dir, "labels.txt"), "".join(f"{label}\n" for label in task.label_names))
    write_json(os.path.join(config.output_dir, "training_config.json"),
               {**dataclasses.asdict(config), "task_name": task.name})
    if metrics is not None:
        write_json(os.path.join(config.output_dir, "metrics.json"), metrics)


def read_metrics(directory: str) -> dict:
    with open(os.path.join(directory, "metrics.json"), encoding="utf-8") as f:
        return json.load(f)


write_json = outputs.write_json  # atomic


class WithDropoutState(keras.Model):
    """Wraps a model so that `BackupAndRestore` also checkpoints its dropout random streams
    (Keras keeps them out of weights and checkpoints): a resumed `fit` draws the masks an
    uninterrupted one would. Compile and fit the wrapper; the wrapped model is `.inner`.
    (The `Distiller` tracks the same states itself.)"""

    def __init__(self, model, **kwargs):
        super().__init__(name=f"{model.name}_with_dropout_state", **kwargs)
        self.inner = model
        self.dropout_rng_states = dropout_rng_states(model)

    def call(self, inputs, training=False):
        return self.inner(inputs, training=training)

    @property
    def is_regression(self):  # what `compile_classifier` asks a wrapped classifier
        return self.inner.is_regression


def resumable_fit(model, batches, backup_dir: str, every: int, label: str, validation_data=None,
                  keep_best: Optional[KeepBest] = None, callbacks=()):
    """`model.fit` over `batches` (`data.ResumableBatches`) that an interrupted process
    continues exactly when run again, and that raises on a NaN/inf loss.

    `BackupAndRestore` writes the model, the optimizer, the epoch and the step to
    `backup_dir` every `every` steps and at every epoch's end (dropout streams too, when
    the model tracks them: `WithDropoutState`, the `Distiller`); `batches` then restarts
    at the restored step with the same order; `keep_best` (a `KeepBest`) remembers the best dev epoch across
    the restart. `label` names the run in messages (and fault-injection points)."""
    train_ds = batches.dataset()
    sample = next(iter(train_ds))
    model(sample[0] if isinstance(sample, tuple) else sample)  # BackupAndRestore needs a built model
    history = model.fit(
        train_ds, validation_data=validation_data, epochs=batches.epochs, steps_per_epoch=batches.steps_per_epoch,
        verbose=progress.keras_verbose(),
        # Order matters: the best epoch is recorded before the epoch's backup; the resume
        # callback reads the step the backup restored.
        callbacks=[keras.callbacks.TerminateOnNaN()] + ([keep_best] if keep_best else [])
        + [EpochSafeBackupAndRestore(backup_dir, every, batches.steps_per_epoch), batches.resume_callback(label)]
        + list(callbacks) + fault_injection(label))
    # No epochs logged: a rerun of a run killed after its last epoch's backup; nothing left to train.
    losses = history.history.get("loss", [])
    if not np.all(np.isfinite(losses)):
        raise TrainingError(f"The {label} loss became NaN/inf ({[round(float(x), 4) for x in losses]}); the partial "
                            "outputs were removed. Lower the learning rate and run again.")
    wait_for_all_workers()  # the others may still be writing their last backup under backup_dir
    if is_chief():
        shutil.rmtree(backup_dir, ignore_errors=True)  # BackupAndRestore leaves the empty folder
    return history


def predict_logits(model, tokenizer, examples, max_length=128, batch_size=64, desc=None) -> np.ndarray:
    """The model's logits for `examples`; with `desc`, a progress bar of that name (stderr)."""
    ds = data_lib.make_dataset(examples, tokenizer, max_length, batch_size, with_labels=False)
    shown = [progress.keras_predict_bar(-(-len(examples) // batch_size), desc)] if desc else []
    return model.predict(ds, verbose=0, callbacks=shown)


def evaluate_model(model, tokenizer, examples, max_length, task, desc=None) -> Dict[str, float]:
    logits = predict_logits(model, tokenizer, examples, max_length, desc=desc)
    return compute_metrics(logits, examples.labels, task.is_regression)
