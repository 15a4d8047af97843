"""Data stage: tasks (embedded fine_foods, user CSV/TSV/JSONL, GLUE via TFDS) -> tf.data.

Every loader returns a `TaskData` with train/dev/test `Examples` whose labels are integer
ids into `label_names` (float targets for regression). `make_dataset` tokenizes them once
and batches them for `model.fit`.
"""

import collections
import csv
import dataclasses
import json
import math
import os
import random
import socket
from typing import Dict, List, Optional, Sequence

import numpy as np

FINE_FOODS_DIR = os.path.join(os.path.dirname(__file__), "datasets", "fine_foods")
GENERAL_CORPUS = os.path.join(os.path.dirname(__file__), "datasets", "general_corpus", "corpus.txt.gz")
# Positive class second, so binary F1 is about "great".
FINE_FOODS_LABELS = ("other", "great")

GLUE_TASKS = {
    # name: (text key, pair key or None, number of labels (1 = regression), dev split)
    "cola": ("sentence", None, 2, "validation"),
    "sst2": ("sentence", None, 2, "validation"),
    "mrpc": ("sentence1", "sentence2", 2, "validation"),
    "qqp": ("question1", "question2", 2, "validation"),
    "stsb": ("sentence1", "sentence2", 1, "validation"),
    "mnli": ("premise", "hypothesis", 3, "validation_matched"),
    "qnli": ("question", "sentence", 2, "validation"),
    "rte": ("sentence1", "sentence2", 2, "validation"),
    "wnli": ("sentence1", "sentence2", 2, "validation"),
}


class DataError(ValueError):
    """Bad data files or arguments; the message names the problem and the fix."""


@dataclasses.dataclass
class Examples:
    """Parallel lists: `texts`, optional `text_pairs`, and `labels` (int ids or floats)."""

    texts: List[str]
    labels: np.ndarray
    text_pairs: Optional[List[str]] = None

    def __len__(self):
        return len(self.texts)

    def take(self, indices) -> "Examples":
        indices = list(indices)
        return Examples(
            [self.texts[i] for i in indices],
            self.labels[indices],
            [self.text_pairs[i] for i in indices] if self.text_pairs is not None else None,
        )


@dataclasses.dataclass
class TaskData:
    """A task's splits. `label_names` is empty for regression."""

    name: str
    train: Examples
    dev: Examples
    test: Optional[Examples]
    label_names: List[str]

    @property
    def is_regression(self) -> bool:
        return not self.label_names

    @property
    def num_labels(self) -> int:
        return 1 if self.is_regression else len(self.label_names)

    @property
    def metric_names(self) -> List[str]:
        if self.is_regression:
            return ["pearson", "spearman"]
        return ["accuracy", "f1", "mcc"] if self.name in ("cola", "glue/cola") else ["accuracy", "f1"]

    def split(self, name: str) -> Examples:
        split = {"train": self.train, "dev": self.dev, "validation": self.dev, "test": self.test}.get(name)
        if split is None:
            raise DataError(f"Task {self.name!r} has no {name!r} split; use one of train, dev"
                            + (", test." if self.test is not None else "."))
        return split


# --- splitting -----------------------------------------------------------------------------
def carve_dev_split(examples: Examples, fraction: float = 0.1, seed: int = 0):
    """Deterministic, label-stratified dev split. Identical texts stay on one side, so a
    duplicated review never sits in both train and dev. Returns (train, dev)."""
    if not 0.0 < fraction < 1.0:
        raise DataError(f"dev fraction must be in (0, 1), got {fraction}.")
    groups = collections.OrderedDict()
    for i, text in enumerate(examples.texts):
        key = (text, examples.text_pairs[i] if examples.text_pairs is not None else None)
        groups.setdefault(key, []).append(i)
    by_label = collections.defaultdict(list)
    for members in groups.values():
        by_label[_group_key(examples.labels[members[0]])].append(members)
    rng = random.Random(seed)
    dev = []
    for label in sorted(by_label):
        label_groups = by_label[label]
        rng.shuffle(label_groups)
        target = round(fraction * sum(len(g) for g in label_groups))
        taken = 0
        for members in label_groups:
            if taken >= target:
                break
            dev.extend(members)
            taken += len(members)
    dev_set = set(dev)
    train = [i for i in range(len(examples)) if i not in dev_set]
    return examples.take(train), examples.take(sorted(dev))


def _group_key(label):
    # Regression targets are stratified by rounded value.
    return int(label) if float(label).is_integer() else round(float(label))


# --- the embedded default: Amazon fine-food reviews ----------------------------------------------
def load_fine_foods(dev_fraction: float = 0.1, seed: int = 0) -> TaskData:
    """`small_fine_foods` (MIT, from R's modeldata; see datasets/fine_foods/PROVENANCE.md):
    the held-out 1000-review test split, and 4000 train reviews less the 7 that also
    appear verbatim in test, from which `dev_fraction` is carved as dev.
    Labels: `other` (0), `great` (1, five stars)."""
    train = load_text_file(os.path.join(FINE_FOODS_DIR, "train.jsonl"), label_names=FINE_FOODS_LABELS)
    test = load_text_file(os.path.join(FINE_FOODS_DIR, "test.jsonl"), label_names=FINE_FOODS_LABELS)
    held_out = set(test.texts)
    train = train.take(i for i, text in enumerate(train.texts) if text not in held_out)
    train, dev = carve_dev_split(train, dev_fraction, seed)
    return TaskData("fine_foods", train, dev, test, list(FINE_FOODS_LABELS))


# --- user files -----------------------------------------------------------------------------
def _read_rows(path: str) -> List[Dict[str, str]]:
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".csv", ".tsv", ".jsonl", ".json"):
        raise DataError(f"{path}: unknown format {ext!r}; use .csv, .tsv or .jsonl (one JSON object a line).")
    if not os.path.isfile(path):
        raise DataError(f"No data file at {path!r}; check the path.")
    try:
        with open(path, encoding="utf-8", newline="") as f:
            if ext == ".jsonl" or ext == ".json":
                rows = []
                for n, line in enumerate(f, 1):
                    if line.strip():
                        try:
                            rows.append(json.loads(line))
                        except json.JSONDecodeError as e:
                            raise DataError(f"{path}:{n}: not a JSON object ({e.msg}); JSONL needs one object a line.") from None
                return rows
            return list(csv.DictReader(f, delimiter="\t" if ext == ".tsv" else ","))
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path} is not UTF-8 (byte {e.start}: {e.reason}). Re-save it as UTF-8, e.g. "
            f"`iconv -f latin1 -t utf-8 {os.path.basename(path)} > fixed{ext}`."
        ) from None


def load_text_file(
    path: str,
    text_column: str = "text",
    text_pair_column: Optional[str] = None,
    label_column: str = "label",
    label_names: Optional[Sequence[str]] = None,
    regression: bool = False,
) -> Examples:
    """Load a CSV, TSV or JSONL file of labelled text.

    Args:
        path: the file; the format follows the extension.
        text_column, text_pair_column, label_column: column (key) names.
        label_names: the label list, in id order. When omitted it is inferred: the sorted
            distinct labels (pass it for every split so ids agree across splits).
        regression: labels are numbers; no label list.

    Raises:
        DataError: missing file or column, non-UTF-8 bytes, empty text, labels outside
            `label_names`, non-numeric regression targets.
    """
    rows = _read_rows(path)
    if not rows:
        raise DataError(f"{path} has no rows.")
    wanted = [c for c in (text_column, text_pair_column, label_column) if c]
    missing = [c for c in wanted if c not in rows[0]]
    if missing:
        raise DataError(f"{path} has no column(s) {missing}; it has {sorted(rows[0])}. "
                        "Name the right ones with text_column/text_pair_column/label_column.")
    texts, pairs, raw_labels, empty = [], [] if text_pair_column else None, [], []
    for n, row in enumerate(rows, 1):
        text = row.get(text_column)
        if text is None or not str(text).strip():
            empty.append(n)
        texts.append("" if text is None else str(text))
        if pairs is not None:
            pairs.append(str(row.get(text_pair_column) or ""))
        raw_labels.append(row.get(label_column))
    if empty:
        raise DataError(f"{path}: empty {text_column!r} in row(s) {empty[:10]}{' ...' if len(empty) > 10 else ''}; "
                        "remove those rows or fill them in.")
    if regression:
        try:
            labels = np.asarray([float(v) for v in raw_labels], np.float32)
        except (TypeError, ValueError):
            raise DataError(f"{path}: column {label_column!r} has non-numeric values; regression needs numbers.") from None
        return Examples(texts, labels, pairs)
    raw_labels = ["" if v is None else str(v) for v in raw_labels]
    if label_names is None:
        label_names = sorted(set(raw_labels))
    index = {str(name): i for i, name in enumerate(label_names)}
    unknown = sorted(set(raw_labels) - set(index))
    if unknown:
        raise DataError(f"{path}: labels {unknown[:10]} are not in the label list {list(label_names)}; "
                        "fix the rows or pass the full label list (label_names / --labels).")
    return Examples(texts, np.asarray([index[v] for v in raw_labels], np.int64), pairs)


def load_files(train_file, dev_file=None, test_file=None, dev_fraction=0.1, seed=0, label_names=None,
               **columns) -> TaskData:
    """A task from the user's own files. Without `dev_file`, dev is carved from train;
    the label list is inferred from train unless given."""
    regression = columns.get("regression", False)
    if label_names is None and not regression:
        text_column = columns.get("label_column", "label")
        label_names = sorted({str(r.get(text_column)) for r in _read_rows(train_file)})
    train = load_text_file(train_file, label_names=label_names, **columns)
    if dev_file:
        dev = load_text_file(dev_file, label_names=label_names, **columns)
    else:
        train, dev = carve_dev_split(train, dev_fraction, seed)
    test = load_text_file(test_file, label_names=label_names, **columns) if test_file else None
    name = os.path.splitext(os.path.basename(train_file))[0]
    return TaskData(name, train, dev, test, [] if regression else list(label_names))


# --- GLUE through TFDS (online) ---------------------------------------------------------------
def load_glue(task: str, data_dir: Optional[str] = None, probe_timeout: float = 3.0) -> TaskData:
    """A GLUE task through TFDS (`glue/<task>`). Prepared data in `data_dir` works offline;
    otherwise TFDS downloads it, and without network this fails within `probe_timeout`
    seconds instead of TFDS's minutes of retries. GLUE test labels are hidden, so `test`
    is None; evaluate on dev."""
    import tensorflow_datasets as tfds

    task = task.lower().replace("glue/", "")
    if task not in GLUE_TASKS:
        raise DataError(f"Unknown GLUE task {task!r}; choose one of {sorted(GLUE_TASKS)}.")
    text_key, pair_key, num_labels, dev_split = GLUE_TASKS[task]
    builder = tfds.builder(f"glue/{task}", data_dir=data_dir)
    if not _is_prepared(builder):
        host = "dl.fbaipublicfiles.com"
        try:
            socket.create_connection((host, 443), timeout=probe_timeout).close()
        except OSError:
            raise DataError(
                f"GLUE/{task} is not prepared in {builder.data_dir} and its download server is unreachable "
                "(offline?). Run once on a connected machine: "
                f"python -c \"import tensorflow_datasets as tfds; tfds.load('glue/{task}', data_dir='DIR')\" "
                "and pass --data-dir DIR, or use the embedded task fine_foods."
            ) from None
        builder.download_and_prepare()
    label_names = [] if num_labels == 1 else list(builder.info.features["label"].names)

    def split(name):
        texts, pairs, labels = [], [] if pair_key else None, []
        for ex in tfds.as_numpy(builder.as_dataset(split=name)):
            texts.append(ex[text_key].decode("utf-8"))
            if pairs is not None:
                pairs.append(ex[pair_key].decode("utf-8"))
            labels.append(ex["label"])
        dtype = np.float32 if num_labels == 1 else np.int64
        return Examples(texts, np.asarray(labels, dtype), pairs)

    return TaskData(f"glue/{task}", split("train"), split(dev_split), None, label_names)


def _is_prepared(builder) -> bool:
    try:
        return builder.is_prepared()
    except Exception:
        return False


def load_task(name: str = "fine_foods", data_dir: Optional[str] = None, dev_fraction: float = 0.1,
              seed: int = 0) -> TaskData:
    """`fine_foods` (embedded), `glue/<task>` (TFDS), or a directory with train/dev/test
    files (`.csv`, `.tsv` or `.jsonl`; columns text[, text_pair], label)."""
    if name == "fine_foods":
        return load_fine_foods(dev_fraction, seed)
    if name.startswith("glue/"):
        return load_glue(name, data_dir=data_dir)
    if os.path.isdir(name):
        found = {}
        for split in ("train", "dev", "test"):
            for ext in (".jsonl", ".csv", ".tsv"):
                if os.path.isfile(os.path.join(name, split + ext)):
                    found[split] = os.path.join(name, split + ext)
                    break
        if "train" not in found:
            raise DataError(f"{name} has no train.jsonl/.csv/.tsv; a task directory needs at least a train file.")
        pair = "text_pair" if "text_pair" in _read_rows(found["train"])[0] else None
        return load_files(found["train"], found.get("dev"), found.get("test"), dev_fraction, seed,
                          text_pair_column=pair)
    raise DataError(f"Unknown task {name!r}: use 'fine_foods', 'glue/<task>' or a directory of train/dev/test files.")


# --- unlabelled text for general distillation ---------------------------------------------------
def load_general_corpus(path: Optional[str] = None, max_segments: Optional[int] = None) -> List[str]:
    """Lines of unlabelled text: the shipped Brown + Austen corpus (see
    datasets/general_corpus/PROVENANCE.md), or a user's `.txt` / `.txt.gz` file, one
    segment (sentence, paragraph or document) a line."""
    import gzip

    path = path or GENERAL_CORPUS
    if not os.path.isfile(path):
        raise DataError(f"No corpus file at {path!r}; give a .txt or .txt.gz file with one text segment a line.")
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not UTF-8 ({e.reason}); re-save it as UTF-8.") from None
    if not lines:
        raise DataError(f"{path} has no text.")
    return lines[:max_segments] if max_segments else lines


def pack_segments(lines: Sequence[str], tokenizer, max_length: int = 128) -> List[str]:
    """Join consecutive lines into texts of at most `max_length` tokens (with [CLS] and
    [SEP]), so short sentences do not waste a padded 128-token row each. A single line
    longer than that is kept alone and truncated at tokenization."""
    budget = max_length - 2
    lengths = [len(ids) for ids in tokenizer.hf_tokenizer(list(lines), add_special_tokens=False)["input_ids"]]
    packed, current, used = [], [], 0
    for line, n in zip(lines, lengths):
        if current and used + n > budget:
            packed.append(" ".join(current))
            current, used = [], 0
        current.append(line)
        used += n
    if current:
        packed.append(" ".join(current))
    return packed


# --- tf.data ------------------------------------------------------------------------------------
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

    def resume_callback(self):
        """A callback that sets `start_step` to the optimizer's step when `fit` begins.
        Put it after `BackupAndRestore` in the callback list (that one restores first)."""
        from tinybert_tf.backend import keras

        batches = self

        class SkipToResumedStep(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                batches.start_step.assign(int(self.model.optimizer.iterations.numpy()))

        return SkipToResumedStep()
