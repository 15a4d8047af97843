"""Task containers (`Examples`, `TaskData`), `DataError`, and the deterministic dev split.

Every loader returns a `TaskData` with train/dev/test `Examples` whose labels are integer
ids into `label_names` (float targets for regression).
"""

import collections
import dataclasses
import random
import re
from typing import List, Optional

import numpy as np

from tinybert_tf.errors import DataError


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

    def head(self, n: Optional[int]) -> "Examples":
        """The first `n` examples (all of them when `n` is None or larger than the split)."""
        return self if n is None else self.take(range(min(n, len(self))))


@dataclasses.dataclass
class TaskData:
    """A task's splits. `label_names` is empty for regression.

    `kind` says what a model predicts: `sequence` (one label or score per text or pair;
    splits are `Examples`), `token` (a tag per word: `tagging.TaggingTask`) or `span`
    (an answer span in a context: `squad.QATask`); every training stage reads it."""

    name: str
    train: Examples
    dev: Examples
    test: Optional[Examples]
    label_names: List[str]

    kind = "sequence"
    head = "text-classification"  # `checkpoint.load_pretrained(head=...)` for this kind

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

    def limit_evaluation(self, n: Optional[int]) -> "TaskData":
        """This task with only the first `n` dev and test examples (all when None): quick
        runs on big evaluation sets (SQuAD's 10,570 dev questions)."""
        if n is None:
            return self
        return dataclasses.replace(self, dev=self.dev.head(n), test=None if self.test is None else self.test.head(n))

    def split(self, name: str) -> Examples:
        split = {"train": self.train, "dev": self.dev, "validation": self.dev, "test": self.test}.get(name)
        if split is None:
            raise DataError(f"Task {self.name!r} has no {name!r} split; use one of train, dev"
                            + (", test." if self.test is not None else "."))
        return split

    def check_model(self, pretrained, role: str = "model") -> None:
        """Refuse a loaded classifier (`PretrainedBert`) trained for other labels: a count
        mismatch fails late, an order mismatch never fails — it silently distils, prunes or
        scores against swapped classes. Generic `LABEL_<i>` names (Hugging Face's default
        id2label) carry no order to compare."""
        classifier = getattr(pretrained, "task_model", None)
        if classifier is None:
            return
        where = f"The {role} {pretrained.directory}"
        if getattr(classifier, "task_kind", "sequence") != self.kind:
            raise DataError(f"{where} is a {type(classifier).__name__}; task {self.name!r} needs a {self.head} "
                            f"model ({self.kind} task). Use a {role} trained on this task.")
        if self.kind == "span":
            return  # a start and an end score: nothing task-specific to compare
        if classifier.num_labels != self.num_labels:
            raise DataError(f"{where} predicts {classifier.num_labels} labels, task {self.name!r} has "
                            f"{self.num_labels}; use a {role} trained on this task.")
        labels = list(pretrained.labels or [])
        if (labels and self.label_names and labels != list(self.label_names)
                and not all(re.fullmatch(r"LABEL_\d+", str(label)) for label in labels)):
            raise DataError(f"{where} was trained with labels {labels} (in id order), task {self.name!r} has "
                            f"{list(self.label_names)}; give the task the {role}'s label order "
                            '(task.json {"labels": [...]}) or retrain the ' + role + ".")


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
