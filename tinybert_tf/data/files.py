"""The user's own labelled files: CSV, TSV or JSONL (one JSON object a line)."""

import csv
import json
import os
from typing import Dict, List, Optional, Sequence

import numpy as np

from tinybert_tf.data.examples import DataError, Examples, TaskData, carve_dev_split


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
