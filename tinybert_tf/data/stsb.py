"""The STS Benchmark (sentence pairs, similarity 0-5): a regression task on text pairs.

`scripts/fetch_stsb.py` (run by `make setup`) puts the release files in
`tinybert_tf/datasets/stsb/` (see its PROVENANCE.md); `load_stsb` reads them.
"""

import os
from typing import Optional

import numpy as np

from tinybert_tf.data.examples import DataError, Examples, TaskData

STSB_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "datasets", "stsb")


def _read_split(path: str) -> Examples:
    texts, pairs, scores = [], [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 7:
                raise DataError(f"{path}:{n}: {len(fields)} tab-separated fields; STS-B rows have genre, source, "
                                "year, id, score, sentence1, sentence2 (and sometimes two more).")
            try:
                scores.append(float(fields[4]))
            except ValueError:
                raise DataError(f"{path}:{n}: score {fields[4]!r} is not a number.") from None
            texts.append(fields[5])
            pairs.append(fields[6])
    return Examples(texts, np.asarray(scores, np.float32), pairs)


def load_stsb(data_dir: Optional[str] = None) -> TaskData:
    """STS-B's train, dev and test splits (regression; Pearson/Spearman). `data_dir`: a
    folder with `sts-{train,dev,test}.csv` (default: the fetched copy)."""
    directory = data_dir or STSB_DIR
    paths = {split: os.path.join(directory, f"sts-{split}.csv") for split in ("train", "dev", "test")}
    missing = [p for p in paths.values() if not os.path.isfile(p)]
    if missing:
        raise DataError(f"STS-B files missing ({', '.join(os.path.basename(p) for p in missing)} in {directory}). "
                        "Fetch them with `python scripts/fetch_stsb.py` (make setup does), or pass --data-dir "
                        "with your copy of the release.")
    return TaskData("stsb", _read_split(paths["train"]), _read_split(paths["dev"]), _read_split(paths["test"]), [])
