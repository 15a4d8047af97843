"""The embedded default task: Amazon fine-food reviews (`small_fine_foods`, MIT)."""

import os

from tinybert_tf.data.examples import TaskData, carve_dev_split
from tinybert_tf.data.files import load_text_file

FINE_FOODS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "datasets", "fine_foods")
# Positive class second, so binary F1 is about "great".
FINE_FOODS_LABELS = ("other", "great")


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
