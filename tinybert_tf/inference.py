"""Inference on text: one `TextClassifier` for a saved classifier directory (Keras), an
exported `.tflite` file or an app bundle, with the model's own tokenizer and labels, so
the three give the same labels; `pipeline("text-classification", model=...)` is the
Hugging Face-style entry (`tinybert-tf predict` on the command line).

The TFLite and bundle paths need LiteRT and the tokenizer only (no TensorFlow).
"""

import dataclasses
import json
import os
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from tinybert_tf.errors import DataError


@dataclasses.dataclass
class Prediction:
    """One example's result. `label` is the top class (None for regression); `score` its
    probability (regression: the predicted value); `probabilities` maps every label to its
    probability (None for regression); `tokens` counts WordPieces with [CLS]/[SEP] before
    truncation; `truncated` says whether the model saw only the first `max_length`."""

    label: Optional[str]
    score: float
    probabilities: Optional[Dict[str, float]]
    tokens: int
    truncated: bool

    def to_dict(self) -> Dict:
        return dataclasses.asdict(self)


class TextClassifier:
    """Classify (or score) texts and text pairs with a saved model.

    Args:
        run: maps a dict of int32 (batch, length) arrays to logits (batch, labels).
        tokenizer: the model's `BertTokenizer`.
        labels: label names in id order ([] for regression).
        max_length: tokens per example the model sees (longer inputs are truncated).
        source: where the model came from (for messages).

    Example:
    ```python
    classifier = TextClassifier.from_pretrained("runs/demo/student")  # or .tflite / bundle dir
    classifier.predict(["Great coffee, fast delivery."])[0].label  # 'great'
    ```
    """

    def __init__(self, run: Callable, tokenizer, labels: Sequence[str], max_length: int, source: str):
        self.run, self.tokenizer, self.labels = run, tokenizer, list(labels)
        self.max_length, self.source = max_length, source

    @classmethod
    def from_pretrained(cls, path: str, max_length: Optional[int] = None, threads: int = 1) -> "TextClassifier":
        """`path`: a classifier directory (`finetune`/`distill-task`/`prune` output), a
        `.tflite` file from `tinybert-tf export` (its folder's `export_report.json` names
        the model whose tokenizer and labels it uses), or a bundle directory (`bundle.json`)."""
        if os.path.isdir(path) and os.path.isfile(os.path.join(path, "bundle.json")):
            return _from_bundle(path, max_length, threads)
        if path.endswith(".tflite"):
            return _from_tflite_file(path, max_length, threads)
        return _from_keras_dir(path, max_length)

    def predict(self, texts: Sequence[str], text_pairs: Optional[Sequence[str]] = None,
                batch_size: int = 32, progress: Optional[Callable[[int], None]] = None) -> List[Prediction]:
        """Predictions for `texts` (and `text_pairs`, one per text), in order, `batch_size`
        at a time, each batch padded to its longest example."""
        texts = list(texts)
        pairs = None if text_pairs is None else list(text_pairs)
        for i, text in enumerate(texts + (pairs or [])):
            if not isinstance(text, str) or not text.strip():
                which = f"text {i + 1}" if i < len(texts) else f"text pair {i - len(texts) + 1}"
                raise DataError(f"{which} is empty (or not a string); give every example some text.")
        if pairs is not None and len(pairs) != len(texts):
            raise DataError(f"{len(texts)} texts but {len(pairs)} text pairs; give one pair per text.")
        results = []
        for start in range(0, len(texts), batch_size):
            batch = texts[start:start + batch_size]
            batch_pairs = None if pairs is None else pairs[start:start + batch_size]
            full = self.tokenizer.hf_tokenizer(batch, batch_pairs, truncation=False)["input_ids"]
            features = self.tokenizer(batch, batch_pairs, max_length=self.max_length, padding="longest")
            logits = np.asarray(self.run(features), dtype=np.float64)
            results.extend(self._predictions(logits, [len(ids) for ids in full]))
            if progress:
                progress(len(batch))
        return results

    def _predictions(self, logits: np.ndarray, lengths: List[int]) -> List[Prediction]:
        out = []
        for row, n in zip(logits, lengths):
            truncated = n > self.max_length
            if not self.labels:  # regression: one output
                out.append(Prediction(None, float(row[0]), None, n, truncated))
                continue
            p = np.exp(row - row.max())
            p /= p.sum()
            top = int(p.argmax())
            out.append(Prediction(self.labels[top], float(p[top]),
                                  {label: float(q) for label, q in zip(self.labels, p)}, n, truncated))
        return out

    def __call__(self, texts: Union[str, Sequence[str]], text_pair=None, **kwargs) -> List[Dict]:
        """Hugging Face pipeline style: `[{"label": ..., "score": ...}]` per text."""
        single = isinstance(texts, str)
        texts = [texts] if single else texts
        pairs = [text_pair] if single and text_pair is not None else text_pair
        return [{"label": p.label, "score": p.score} for p in self.predict(texts, pairs, **kwargs)]


def pipeline(task: str = "text-classification", model: str = "runs/demo/student", **kwargs):
    """`transformers.pipeline`-style constructor: `text-classification` (also for
    regression models, whose `score` is the predicted value), `question-answering` or
    `token-classification` (`task_pipelines`), on a model directory or an app bundle."""
    if task in ("question-answering", "token-classification", "ner"):
        from tinybert_tf.task_pipelines import task_pipeline

        return task_pipeline(task, model, **kwargs)
    if task not in ("text-classification", "sentiment-analysis"):
        raise ValueError(f"task={task!r}: tinybert_tf pipelines do 'text-classification', 'question-answering' and "
                         "'token-classification'.")
    return TextClassifier.from_pretrained(model, **kwargs)


# --- the three kinds of model ----------------------------------------------------------------
def _length(wanted: Optional[int], trained: Optional[int], limit: int) -> int:
    length = wanted or trained or min(128, limit)
    if length > limit:
        raise DataError(f"max_length={length} exceeds the model's limit {limit}; use {limit} or less.")
    return length


def _from_keras_dir(path: str, max_length: Optional[int]) -> TextClassifier:
    from tinybert_tf.checkpoint import load_pretrained

    loaded = load_pretrained(path)
    if loaded.classifier is None:
        raise DataError(f"{path} has no classifier head: predict needs a fine-tuned or distilled classifier "
                        "(tinybert-tf finetune / distill-task output).")
    from tinybert_tf.outputs import trained_max_length

    trained = trained_max_length(loaded.directory)
    classifier = loaded.classifier
    labels = (loaded.labels or [str(i) for i in range(classifier.num_labels)]) if classifier.num_labels > 1 else []
    length = _length(max_length, trained, loaded.config.max_position_embeddings)
    return TextClassifier(lambda x: classifier(x, training=False).numpy(), loaded.tokenizer, labels, length, path)


def _tflite_runner(model_path: str, threads: int) -> Callable:
    from ai_edge_litert.interpreter import Interpreter

    from tinybert_tf.litert_protocol import signature_inputs

    runner = Interpreter(model_path=model_path, num_threads=threads).get_signature_runner()

    def run(features):
        return np.asarray(list(runner(**signature_inputs(runner, features)).values())[0])
    return run


def _from_bundle(directory: str, max_length: Optional[int], threads: int) -> TextClassifier:
    from tinybert_tf.bundle import read_bundle
    from tinybert_tf.tokenizer import BertTokenizer

    meta = read_bundle(directory)
    if meta.get("task_kind", "sequence") != "sequence":
        raise DataError(f"{directory} holds a {meta['task_kind']} model ({meta['output_kind']}); predict classifies "
                        "texts. Run it with tinybert_tf.pipeline('question-answering' or 'token-classification', "
                        "model=...).")
    tokenizer = BertTokenizer.from_vocab_file(meta["vocab_file_path"], do_lower_case=meta["do_lower_case"])
    length = _length(max_length, meta["max_length"], meta["fixed_seq_len"] or 512)
    labels = meta["labels"] if meta["output_kind"] in ("logits", "probabilities") else []
    run = _tflite_runner(meta["model_file_path"], threads)
    if meta["output_kind"] == "probabilities":  # the MediaPipe model: softmax(log p) = p, so no double softmax
        scores = run

        def run(features):
            return np.log(np.maximum(scores(features), 1e-30))
    if meta["fixed_seq_len"]:
        inner = run

        def run(features):  # a fixed-shape export takes one example of exactly that many tokens
            pad = meta["fixed_seq_len"] - features["input_ids"].shape[1]
            padded = {k: np.pad(v, ((0, 0), (0, pad))) for k, v in features.items()}
            return np.concatenate([inner({k: v[i:i + 1] for k, v in padded.items()})
                                   for i in range(len(padded["input_ids"]))])
    return TextClassifier(run, tokenizer, labels, length, directory)


def _from_tflite_file(path: str, max_length: Optional[int], threads: int) -> TextClassifier:
    report_file = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(path))), "export_report.json")
    if not os.path.isfile(path):
        raise DataError(f"{path} does not exist.")
    if not os.path.isfile(report_file):
        raise DataError(f"{path} is not inside a `tinybert-tf export` folder (no {report_file}), so its tokenizer "
                        "and labels are unknown: pass the export's bundle/ directory, or the model directory.")
    with open(report_file, encoding="utf-8") as f:
        report = json.load(f)
    if report.get("seq_len"):
        raise DataError(f"{path} was exported with a fixed length {report['seq_len']}; predict with its bundle "
                        "directory instead.")
    from tinybert_tf.tokenizer import BertTokenizer

    source = report["model"]  # the model this file was exported from: its tokenizer and labels
    if not os.path.isfile(os.path.join(source, "config.json")):
        raise DataError(f"{report_file} names the model {source!r}, which is not there from this folder; run from "
                        "where the export was made, or pass the export's bundle/ directory.")
    tokenizer = BertTokenizer.from_pretrained(source)
    with open(os.path.join(source, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    id2label = config.get("id2label") or {}
    num_labels = config.get("num_labels") or len(id2label) or 2
    regression = config.get("problem_type") == "regression" or num_labels == 1
    labels = [] if regression else [id2label.get(str(i), str(i)) for i in range(num_labels)]
    length = _length(max_length, report.get("max_length"), report.get("max_position_embeddings") or 512)
    return TextClassifier(_tflite_runner(path, threads), tokenizer, labels, length, path)


# --- files -------------------------------------------------------------------------------------
def read_inputs(path: str, text_column: str = "text", text_pair_column: Optional[str] = None):
    """(texts, text_pairs or None) from a `.txt` file (one text a line, blank lines skipped)
    or a CSV/TSV/JSONL file (the named columns)."""
    if path.endswith(".txt"):
        if not os.path.isfile(path):
            raise DataError(f"No input file at {path!r}; check the path.")
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f if line.strip()], None
    from tinybert_tf.data.files import read_rows

    rows = read_rows(path)
    if not rows:
        raise DataError(f"{path} has no rows.")
    for column in (text_column, text_pair_column):
        if column and column not in rows[0]:
            raise DataError(f"{path} has no column {column!r} (it has {', '.join(rows[0])}); pass "
                            f"--text-column / --text-pair-column.")
    texts = [str(r.get(text_column) or "") for r in rows]
    return texts, ([str(r.get(text_pair_column) or "") for r in rows] if text_pair_column else None)
