"""Keras callbacks the training stages share: keep the best dev checkpoint across restarts,
and the fault-injection hook the resume tests use."""

import json
import math
import os
from typing import Optional

from tinybert_tf import outputs
from tinybert_tf.backend import keras
from tinybert_tf.errors import TrainingError


class KeepBest(keras.callbacks.Callback):
    """Keeps the weights of the best `monitor` value seen at epoch ends (and, with
    `every_steps`, every that many steps) in `path`.

    Unlike `keras.callbacks.ModelCheckpoint(save_best_only=True)`, the best value lives in
    a record beside the weights (`path + ".json"`), so a run interrupted and resumed
    (`BackupAndRestore`) compares with the best seen before the interruption instead of
    starting over: a resumed run keeps the same epoch an uninterrupted run keeps. Both
    files are written atomically, weights first; ties keep the earlier epoch.

    Args:
        path: `.weights.h5` file for the best weights.
        monitor: a key of the epoch logs, e.g. `val_accuracy`.
        mode: `max` or `min`.
        model: the model whose weights are kept (default: the model being fitted).
        every_steps: also evaluate on `validation_data` every this many optimizer steps
            (the official TinyBERT code: 100); 0 = at epoch ends only. A mid-epoch
            evaluation resets the running training metrics, so the epoch's logged
            training loss covers the steps since it.
        validation_data: what `every_steps` evaluates on (the `fit` validation data).

    Example:
    ```python
    best = KeepBest("out/best.weights.h5", "val_accuracy", "max")
    model.fit(train, validation_data=dev, epochs=3, callbacks=[backup, best])
    best.restore_into(model)
    ```
    """

    def __init__(self, path: str, monitor: str, mode: str = "max", model: Optional[keras.Model] = None,
                 every_steps: int = 0, validation_data=None):
        super().__init__()
        if mode not in ("max", "min"):
            raise ValueError(f"mode={mode!r}; use 'max' or 'min'.")
        if every_steps and validation_data is None:
            raise ValueError("every_steps needs validation_data.")
        self.path, self.monitor, self.mode, self.target = path, monitor, mode, model
        self.every_steps, self.validation_data = int(every_steps or 0), validation_data
        self._epoch = 0
        self.record_path = path + ".json"
        self.best: Optional[float] = None
        self.best_epoch: Optional[int] = None

    def _load_record(self):
        self.best = self.best_epoch = None
        if os.path.isfile(self.record_path) and os.path.isfile(self.path):
            with open(self.record_path, encoding="utf-8") as f:
                record = json.load(f)
            if record.get("monitor") == self.monitor:
                self.best, self.best_epoch = record["best"], record["epoch"]

    def on_train_begin(self, logs=None):
        self._load_record()

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        return value > self.best if self.mode == "max" else value < self.best

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if not self.every_steps:
            return
        step = int(self.model.optimizer.iterations.numpy())
        if step % self.every_steps == 0:
            results = self.model.evaluate(self.validation_data, verbose=0, return_dict=True)
            self._consider({f"val_{k}": v for k, v in results.items()}, self._epoch, step)

    def on_epoch_end(self, epoch, logs=None):
        self._consider(logs or {}, epoch, int(self.model.optimizer.iterations.numpy()))

    def _consider(self, logs, epoch, step):
        if self.monitor not in logs:
            raise TrainingError(f"Keeping the best epoch needs {self.monitor!r} in the epoch logs, which have "
                                f"{sorted(logs)}: the task needs a dev split with both classes' labels.")
        value = float(logs[self.monitor])
        if math.isnan(value) or not self._improved(value):
            return
        model = self.target or self.model
        with outputs.atomic_path(self.path) as tmp:
            model.save_weights(tmp)
        self.best, self.best_epoch = value, epoch + 1
        outputs.write_json(self.record_path, {"monitor": self.monitor, "mode": self.mode, "best": value,
                                              "epoch": epoch + 1, "step": step})

    def restore_into(self, model=None) -> None:
        """Load the kept weights into `model` (default: the kept model)."""
        if not os.path.isfile(self.path):
            raise TrainingError(f"No best checkpoint at {self.path}: no epoch produced a finite {self.monitor}.")
        (model or self.target or self.model).load_weights(self.path)

    def remove_files(self) -> None:
        for p in (self.path, self.record_path):
            if os.path.exists(p):
                os.remove(p)


class EpochSafeBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` (every `save_freq` steps) that backs up at the end of every
    epoch instead of at its last batch.

    tf_keras resumes a backup taken at an epoch's last batch in the next epoch, so a run
    killed between that backup and the epoch's validation would skip the validation (and
    the best-epoch choice) of that epoch. Backing up in `on_epoch_end` instead, after the
    callbacks listed before this one (put `KeepBest` there), closes that gap.

    Args:
        backup_dir: where the backup lives.
        save_freq: steps between backups.
        steps_per_epoch: as given to `fit`.
    """

    def __init__(self, backup_dir: str, save_freq: int, steps_per_epoch: int):
        super().__init__(backup_dir, save_freq=save_freq)
        self.steps_per_epoch = int(steps_per_epoch)

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.steps_per_epoch - 1:
            return  # on_epoch_end backs up, after validation
        super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._backup(epoch=epoch, batch=self.steps_per_epoch - 1)  # resumes at the next epoch


class FaultInjection(keras.callbacks.Callback):
    """Calls `outputs.fault_point` at `fit:<label>:step:<optimizer step>` after each batch
    and `fit:<label>:epoch:<n>` after each epoch (validation and best-keeping done). Put it
    last among the callbacks. Used by the resume tests; `fit_callbacks` adds it only when
    `TINYBERT_FAULT` is set."""

    def __init__(self, label: str):
        super().__init__()
        self.label = label

    def on_train_batch_end(self, batch, logs=None):
        outputs.fault_point(f"fit:{self.label}:step:{int(self.model.optimizer.iterations.numpy())}")

    def on_epoch_end(self, epoch, logs=None):
        outputs.fault_point(f"fit:{self.label}:epoch:{epoch + 1}")


def fault_injection(label: str) -> list:
    """`[FaultInjection(label)]` when `TINYBERT_FAULT` is set, else `[]`."""
    return [FaultInjection(label)] if os.environ.get("TINYBERT_FAULT") else []
