"""`load_task`: a task by name: the embedded default, a GLUE task, or a folder of files."""

import os
from typing import Optional

from tinybert_tf.data.examples import DataError, TaskData
from tinybert_tf.data.files import _header, load_files
from tinybert_tf.data.fine_foods import load_fine_foods
from tinybert_tf.data.glue import load_glue
from tinybert_tf.data.stsb import load_stsb


def load_task(name: str = "fine_foods", data_dir: Optional[str] = None, dev_fraction: float = 0.1,
              seed: int = 0) -> TaskData:
    """`fine_foods` (embedded), `stsb` (STS Benchmark, fetched by `make setup`; pairs,
    regression), `glue/<task>` (TFDS), or a directory with train/dev/test files (`.csv`,
    `.tsv` or `.jsonl`; columns text[, text_pair], label)."""
    if name == "fine_foods":
        return load_fine_foods(dev_fraction, seed)
    if name == "stsb":
        return load_stsb(data_dir)
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
        pair = "text_pair" if "text_pair" in _header(found["train"]) else None
        return load_files(found["train"], found.get("dev"), found.get("test"), dev_fraction, seed,
                          text_pair_column=pair)
    raise DataError(f"Unknown task {name!r}: use 'fine_foods', 'stsb', 'glue/<task>' or a directory of "
                    "train/dev/test files.")
