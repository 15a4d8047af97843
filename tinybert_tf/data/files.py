"""The user's own labelled files: CSV, TSV or JSONL (one JSON object a line)."""

import csv
import io
import json
import os
from typing import Dict, List, Optional, Sequence

import numpy as np

from tinybert_tf.data.examples import DataError, Examples, TaskData, carve_dev_split


def read_rows(path: str) -> List[Dict[str, str]]:
    """The rows of a CSV, TSV or JSONL file as dicts (UTF-8 checked; no column checks)."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".csv", ".tsv", ".jsonl", ".json"):
        raise DataError(f"{path}: unknown format {ext!r}; use .csv, .tsv or .jsonl (one JSON object a line).")
    if not os.path.isfile(path):
        raise DataError(f"No data file at {path!r}; check the path.")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        # Decoded whole, so the error's offset is the byte's position in the file.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(
            f"{path} is not UTF-8 (byte {e.start}, line {line}: {e.reason}). Re-save it as UTF-8, e.g. "
            f"`iconv -f latin1 -t utf-8 {os.path.basename(path)} > fixed{ext}`."
        ) from None
    if ext in (".jsonl", ".json"):
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise DataError(f"{path}:{n}: not a JSON object ({e.msg}); JSONL needs one object a line.") from None
                if not isinstance(row, dict):
                    raise DataError(f"{path}:{n}: a JSON {type(row).__name__}, not an object; JSONL needs one "
                                    '{"text": ..., "label": ...} object a line.')
                rows.append(row)
        return rows
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if ext == ".tsv" else ","))


def _header(path: str) -> List[str]:
    """The column names of a data file (the keys of its first row), or a DataError if it has no rows."""
    rows = read_rows(path)
    if not rows:
        raise DataError(f"{path} has no rows (only a header, or nothing); a data file needs at least one example.")
    return list(rows[0])


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
    rows = read_rows(path)
    if not rows:
        raise DataError(f"{path} has no rows (only a header, or nothing); a data file needs at least one example.")
    wanted = [c for c in (text_column, text_pair_column, label_column) if c]
    missing = [c for c in wanted if c not in rows[0]]
    if missing:
        raise DataError(f"{path} has no column(s) {missing}; it has {sorted(rows[0])}. "
                        "Name the right ones in the task folder's task.json (text_column, text_pair_column, "
                        "label_column; Python API: the same arguments).")
    texts, pairs, raw_labels, empty, unlabelled = [], [] if text_pair_column else None, [], [], []
    for n, row in enumerate(rows, 1):
        text = row.get(text_column)
        if text is None or not str(text).strip():
            empty.append(n)
        texts.append("" if text is None else str(text))
        if pairs is not None:
            pairs.append(str(row.get(text_pair_column) or ""))
        label = row.get(label_column)
        if label is None or not str(label).strip():
            unlabelled.append(n)
        raw_labels.append(label)
    for problem, where in ((f"empty {text_column!r}", empty), (f"no {label_column!r}", unlabelled)):
        if where:
            raise DataError(f"{path}: {problem} in row(s) {_rows(where)} (counting data rows from 1); "
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
                        "fix those rows, or list every label in the task folder's task.json "
                        '({"labels": [...]}; Python API: label_names=[...]).')
    return Examples(texts, np.asarray([index[v] for v in raw_labels], np.int64), pairs)


def load_files(train_file, dev_file=None, test_file=None, dev_fraction=0.1, seed=0, label_names=None,
               **columns) -> TaskData:
    """A task from the user's own files. Without `dev_file`, dev is carved from train;
    the label list is inferred from train unless given."""
    regression = columns.get("regression", False)
    if label_names is None and not regression:
        column = columns.get("label_column", "label")
        found = {str(r.get(column)) for r in read_rows(train_file) if str(r.get(column) or "").strip()}
        label_names = sorted(found)
        if len(label_names) == 1:
            raise DataError(f"{train_file}: every example has the label {label_names[0]!r}; a classifier needs at "
                            "least two classes. Add examples of the other class(es).")
    train = load_text_file(train_file, label_names=label_names, **columns)
    if dev_file:
        dev = load_text_file(dev_file, label_names=label_names, **columns)
    else:
        train, dev = carve_dev_split(train, dev_fraction, seed)
    test = load_text_file(test_file, label_names=label_names, **columns) if test_file else None
    name = os.path.splitext(os.path.basename(train_file))[0]
    return TaskData(name, train, dev, test, [] if regression else list(label_names))


def _rows(numbers: List[int]) -> str:
    return f"{numbers[:10]}{' ...' if len(numbers) > 10 else ''}"
