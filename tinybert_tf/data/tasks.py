"""`load_task`: a task by name: the embedded default, a GLUE task, or a folder of files."""

import json
import os
from typing import Optional

from tinybert_tf.data.brown_pos import load_brown_pos
from tinybert_tf.data.examples import DataError, TaskData
from tinybert_tf.data.files import _header, load_files
from tinybert_tf.data.fine_foods import load_fine_foods
from tinybert_tf.data.glue import load_glue
from tinybert_tf.data.squad import load_qa_task, load_squad_v1
from tinybert_tf.data.stsb import load_stsb
from tinybert_tf.data.tagging import load_conll_task


def load_task(name: str = "fine_foods", data_dir: Optional[str] = None, dev_fraction: float = 0.1,
              seed: int = 0) -> TaskData:
    """`fine_foods` (embedded), `stsb` (STS Benchmark, fetched by `make setup`; pairs,
    regression), `brown_pos` (Brown corpus POS tags, universal tagset; token
    classification), `squad` (SQuAD v1.1, fetched by `make squad`; extractive QA),
    `glue/<task>` (TFDS), or a directory with train/dev/test files: `.conll` (word TAB
    tag: a tagging task), SQuAD-format `.json` (a QA task), or `.csv`, `.tsv` or `.jsonl`
    (columns text[, text_pair], label, or as the folder's `task.json` says:
    {"text_column", "text_pair_column", "label_column", "labels": [...],
    "regression": true|false}, read by every stage alike)."""
    if name == "fine_foods":
        return load_fine_foods(dev_fraction, seed)
    if name == "stsb":
        return load_stsb(data_dir)
    if name == "brown_pos":
        return load_brown_pos(data_dir)
    if name == "squad":
        return load_squad_v1(data_dir)
    if name.startswith("glue/"):
        return load_glue(name, data_dir=data_dir)
    if os.path.isdir(name) and os.path.isfile(os.path.join(name, "train.conll")):
        return load_conll_task(name, dev_fraction, seed)
    if os.path.isdir(name) and os.path.isfile(os.path.join(name, "train.json")):
        return load_qa_task(name, dev_fraction)
    if os.path.isdir(name):
        found = {}
        for split in ("train", "dev", "test"):
            for ext in (".jsonl", ".csv", ".tsv"):
                if os.path.isfile(os.path.join(name, split + ext)):
                    found[split] = os.path.join(name, split + ext)
                    break
        if "train" not in found:
            raise DataError(f"{name} has no train.jsonl/.csv/.tsv (or train.conll, SQuAD train.json); a task "
                            "directory needs at least a train file.")
        spec = _task_spec(name)
        if "text_pair_column" not in spec and "text_pair" in _header(found["train"]):
            spec["text_pair_column"] = "text_pair"
        labels = spec.pop("labels", None)
        return load_files(found["train"], found.get("dev"), found.get("test"), dev_fraction, seed,
                          label_names=labels, **spec)
    raise DataError(f"Unknown task {name!r}: use 'fine_foods', 'stsb', 'brown_pos', 'squad', 'glue/<task>' or a "
                    "directory of train/dev/test files.")


TASK_SPEC = "task.json"
_SPEC_KEYS = {"text_column", "text_pair_column", "label_column", "labels", "regression"}


def _task_spec(folder: str) -> dict:
    """The folder's `task.json` (its columns, label list, regression), or {}."""
    path = os.path.join(folder, TASK_SPEC)
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
    except (OSError, ValueError) as e:
        raise DataError(f"{path} is not valid JSON ({e}); fix it or delete it.") from None
    if not isinstance(spec, dict) or set(spec) - _SPEC_KEYS:
        raise DataError(f"{path}: use only the keys {', '.join(sorted(_SPEC_KEYS))} "
                        f"(found {', '.join(sorted(spec)) if isinstance(spec, dict) else type(spec).__name__}).")
    labels = spec.get("labels")
    if labels is not None and (not isinstance(labels, list) or len(labels) < 2 or spec.get("regression")):
        raise DataError(f"{path}: \"labels\" must list at least two label names, in id order (none for "
                        "regression).")
    if labels is not None:
        spec["labels"] = [str(label) for label in labels]
    return spec
