"""Tokenized batches: `encode`, `make_dataset` (tf.data for `fit`), and `ResumableBatches`
(an order fixed by seed and epoch, so a resumed run sees exactly the batches it would have)."""

import math
from typing import Dict

import numpy as np

from tinybert_tf.data.examples import DataError, Examples


def encode(examples: Examples, tokenizer, max_length: int) -> Dict[str, np.ndarray]:
    return tokenizer(examples.texts, examples.text_pairs, max_length=max_length)


def make_dataset(examples: Examples, tokenizer, max_length: int = 128, batch_size: int = 32,
                 shuffle: bool = False, seed: int = 0, with_labels: bool = True):
    """A batched `tf.data.Dataset` of (features, label): features are the three int32
    inputs of `BertEncoder`, tokenized once up front (the Rust tokenizer is fast)."""
    from tinybert_tf.backend import tf

    features = encode(examples, tokenizer, max_length)
    ds = tf.data.Dataset.from_tensor_slices((features, examples.labels) if with_labels else features)
    if shuffle:
        ds = ds.shuffle(len(examples), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


class ResumableBatches:
    """Training batches in an order fixed by (seed, epoch), able to start at any step.

    `keras.callbacks.BackupAndRestore` restores the model, the optimizer and the epoch
    and step counters, but `fit` then reads the dataset from its beginning (with a fresh
    shuffle). Here every epoch's permutation is drawn up front from `seed + epoch`, one
    iterator serves all epochs (`fit(..., steps_per_epoch=batches.steps_per_epoch)`), and
    batches before `start_step` are dropped before they are gathered. The
    `resume_callback()` sets `start_step` to the restored optimizer step when training
    begins, so a resumed run sees exactly the batches an uninterrupted run would.

    Args:
        inputs: a structure (dict/tuple) of equally long NumPy arrays, e.g.
            `(features, labels)`.
        batch_size, epochs, seed: as for `fit`; the last batch of an epoch may be smaller.
        shuffle: permute each epoch (otherwise the file order every epoch).

    Example:
    ```python
    batches = ResumableBatches((features, labels), batch_size=32, epochs=3, seed=0)
    model.fit(batches.dataset(), epochs=3, steps_per_epoch=batches.steps_per_epoch,
              callbacks=[keras.callbacks.BackupAndRestore(d, save_freq=50), batches.resume_callback()])
    ```
    """

    def __init__(self, inputs, batch_size: int, epochs: int, seed: int = 0, shuffle: bool = True):
        from tinybert_tf.backend import tf

        self.inputs = inputs
        self.num_examples = len(tf.nest.flatten(inputs)[0])
        if self.num_examples == 0:
            raise DataError("No training examples: the dataset is empty.")
        self.batch_size, self.epochs = int(batch_size), int(epochs)
        self.steps_per_epoch = math.ceil(self.num_examples / self.batch_size)
        orders = [np.random.default_rng(seed + epoch).permutation(self.num_examples) if shuffle
                  else np.arange(self.num_examples) for epoch in range(self.epochs)]
        # Global step -> example indices, as (start, end) into one concatenated index array.
        self._order = np.concatenate(orders).astype(np.int64)
        bounds = []
        for epoch in range(self.epochs):
            base = epoch * self.num_examples
            for start in range(0, self.num_examples, self.batch_size):
                bounds.append((base + start, base + min(start + self.batch_size, self.num_examples)))
        self._bounds = np.array(bounds, dtype=np.int64)
        self.start_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="resume_start_step")

    def dataset(self):
        from tinybert_tf.backend import tf

        order = tf.constant(self._order)
        tensors = tf.nest.map_structure(tf.constant, self.inputs)
        start_step = self.start_step

        def gather(step, bounds):
            index = order[bounds[0]:bounds[1]]
            return tf.nest.map_structure(lambda t: tf.gather(t, index), tensors)

        return (tf.data.Dataset.from_tensor_slices(self._bounds).enumerate()
                # Read when the iterator runs, i.e. after the resume callback set it.
                .filter(lambda step, _: step >= start_step)
                .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
                .prefetch(tf.data.AUTOTUNE))

    def resume_callback(self, label: str = "training"):
        """A callback that sets `start_step` to the optimizer's step when `fit` begins, and
        says so when that is a resumption. Put it after `BackupAndRestore` in the callback
        list (that one restores first)."""
        from tinybert_tf.backend import keras

        batches = self

        class SkipToResumedStep(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                step = int(self.model.optimizer.iterations.numpy())
                batches.start_step.assign(step)
                if step:
                    total = batches.steps_per_epoch * batches.epochs
                    print(f"Resuming {label} from its backup at step {step} of {total} "
                          f"(epoch {step // batches.steps_per_epoch + 1} of {batches.epochs}).", flush=True)

        return SkipToResumedStep()
