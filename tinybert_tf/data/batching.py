"""Tokenized batches: `encode`, `make_dataset` (tf.data for `fit`), and `ResumableBatches`
(an order fixed by seed and epoch, so a resumed run sees exactly the batches it would have)."""

import logging
import math
from typing import Dict

import numpy as np

from tinybert_tf.settings import PADDINGS  # noqa: F401  (re-exported)
from tinybert_tf.data.examples import DataError, Examples

logger = logging.getLogger(__name__)


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


SEQUENCE_FEATURES = ("input_ids", "token_type_ids", "attention_mask")
_MEGA_BATCHES = 50  # HF's LengthGroupedSampler groups 50 batches at a time


def check_padding(padding: str) -> None:
    """Refuse an unknown `padding` setting (configs call this when they are made)."""
    if padding not in PADDINGS:
        raise ValueError(f"padding={padding!r}; use one of {', '.join(PADDINGS)}.")


def _sequence_features(inputs):
    """The features dict of `inputs` (the dict itself, or the first item of a tuple)."""
    features = inputs if isinstance(inputs, dict) else inputs[0]
    if not isinstance(features, dict) or "attention_mask" not in features:
        raise ValueError("padding='longest' and group_by_length need a features dict with an attention_mask.")
    return features


def _grouped(order, lengths, mega_batch):
    """`order` cut into mega-batches, each sorted by length, longest first (stable, so
    the seed alone fixes the result)."""
    return np.concatenate([chunk[np.argsort(-lengths[chunk], kind="stable")]
                           for chunk in np.split(order, range(mega_batch, len(order), mega_batch))])


def cut_to_longest(batch, multiple: int = 8):
    """`batch` (a features dict, or a (features, labels...) tuple) with its sequence
    features cut to the longest example, rounded up to `multiple`, as HF's
    `DataCollatorWithPadding(padding="longest")` pads; labels with one value per position
    (token classification) are cut with them."""
    from tinybert_tf.backend import tf

    features = batch if isinstance(batch, dict) else batch[0]
    full = features["input_ids"].shape[1]
    longest = tf.reduce_max(tf.reduce_sum(tf.cast(features["attention_mask"], tf.int32), axis=1))
    length = tf.minimum((longest + multiple - 1) // multiple * multiple, full)
    features = {k: v[:, :length] if k in SEQUENCE_FEATURES else v for k, v in features.items()}
    if isinstance(batch, dict):
        return features
    return (features,) + tf.nest.map_structure(
        lambda t: t[:, :length] if len(t.shape) == 2 and t.shape[1] == full else t, tuple(batch[1:]))


def evaluation_batches(inputs, batch_size: int, padding: str = "max_length", pad_to_multiple_of: int = 8):
    """A split's (features, labels) as batches for `fit`'s validation, in file order; with
    `padding="longest"` each batch is cut to its longest example, so dev checks skip the
    padding as training does. Not sorted by length: which examples share a batch would
    change the mean of a per-token loss (the tagging loss averages within a batch)."""
    from tinybert_tf.backend import tf

    check_padding(padding)
    ds = tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size)
    if padding == "longest":
        _sequence_features(inputs)
        ds = ds.map(lambda *batch: cut_to_longest(batch[0] if len(batch) == 1 else batch, pad_to_multiple_of))
    return ds.prefetch(tf.data.AUTOTUNE)


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
        padding: `"max_length"` keeps the tokenizer's fixed length; `"longest"` cuts each
            batch to its longest example (rounded up to `pad_to_multiple_of`), as HF's
            `DataCollatorWithPadding(padding="longest")` does: the same batches, less
            work on padding. The sequence features are `input_ids`, `token_type_ids` and
            `attention_mask` of the features dict (right-padded, as BERT's tokenizer pads),
            and labels with one value per position (token classification).
        group_by_length: batches of examples of similar length, as HF's
            `group_by_length`: each epoch's permutation is cut into mega-batches of 50
            batches, each sorted by length (longest first); with `padding="longest"`
            the batches then carry little padding. Changes which examples share a batch.

    Example:
    ```python
    batches = ResumableBatches((features, labels), batch_size=32, epochs=3, seed=0)
    model.fit(batches.dataset(), epochs=3, steps_per_epoch=batches.steps_per_epoch,
              callbacks=[keras.callbacks.BackupAndRestore(d, save_freq=50), batches.resume_callback()])
    ```
    """

    def __init__(self, inputs, batch_size: int, epochs: int, seed: int = 0, shuffle: bool = True,
                 padding: str = "max_length", pad_to_multiple_of: int = 8, group_by_length: bool = False):
        from tinybert_tf.backend import tf

        check_padding(padding)
        features = _sequence_features(inputs) if padding == "longest" or group_by_length else None
        self.inputs = inputs
        self.num_examples = len(tf.nest.flatten(inputs)[0])
        if self.num_examples == 0:
            raise DataError("No training examples: the dataset is empty.")
        self.batch_size, self.epochs = int(batch_size), int(epochs)
        self.padding, self.pad_to_multiple_of = padding, max(1, int(pad_to_multiple_of))
        self.steps_per_epoch = math.ceil(self.num_examples / self.batch_size)
        orders = [np.random.default_rng(seed + epoch).permutation(self.num_examples) if shuffle
                  else np.arange(self.num_examples) for epoch in range(self.epochs)]
        if group_by_length:
            lengths = np.asarray(features["attention_mask"]).sum(axis=1)
            orders = [_grouped(order, lengths, self.batch_size * _MEGA_BATCHES) for order in orders]
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
        multiple = self.pad_to_multiple_of

        def gather(step, bounds):
            index = order[bounds[0]:bounds[1]]
            batch = tf.nest.map_structure(lambda t: tf.gather(t, index), tensors)
            return cut_to_longest(batch, multiple) if self.padding == "longest" else batch

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
                    logger.info(f"Resuming {label} from its backup at step {step} of {total} "
                                f"(epoch {step // batches.steps_per_epoch + 1} of {batches.epochs}).")

        return SkipToResumedStep()
