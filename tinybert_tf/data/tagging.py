"""Token classification data: word-level tags (CoNLL-style files) aligned to WordPieces.

Tags belong to words; BERT sees WordPieces. As Hugging Face's token-classification
examples do, a word's first piece carries its tag and every other position (the word's
later pieces, [CLS], [SEP], padding) gets `IGNORE_INDEX` (-100), which the loss, the
distillation loss and the metrics skip. A word cut off by `max_length` loses its tag:
`TaggingFeatures.truncated_words` counts them so nothing is dropped silently.
"""

import dataclasses
import os
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from tinybert_tf.data.examples import DataError, TaskData

IGNORE_INDEX = -100


@dataclasses.dataclass
class TaggedExamples:
    """Sentences as words with one tag each."""

    words: List[List[str]]
    tags: List[List[str]]

    def __post_init__(self):
        if len(self.words) != len(self.tags):
            raise DataError(f"{len(self.words)} sentences but {len(self.tags)} tag sequences.")
        for i, (w, t) in enumerate(zip(self.words, self.tags)):
            if len(w) != len(t):
                raise DataError(f"Sentence {i} has {len(w)} words but {len(t)} tags.")

    def __len__(self):
        return len(self.words)

    def tag_names(self) -> List[str]:
        """Every tag seen, sorted, "O" first when present (the usual id 0)."""
        names = sorted({t for tags in self.tags for t in tags})
        return (["O"] + [n for n in names if n != "O"]) if "O" in names else names

    def head(self, n: Optional[int]) -> "TaggedExamples":
        return self if n is None else TaggedExamples(self.words[:n], self.tags[:n])


@dataclasses.dataclass
class TaggingTask(TaskData):
    """A token-classification task: splits are `TaggedExamples`, `label_names` the tag
    set in id order."""

    kind = "token"
    head = "token-classification"

    @property
    def metric_names(self):
        tags = self.label_names
        return ["accuracy", "macro_f1"] + (["entity_f1"] if any(t[:2] in ("B-", "I-") for t in tags) else [])


def carve_dev_sentences(examples: TaggedExamples, fraction: float = 0.1, seed: int = 0):
    """A deterministic dev split of tagged sentences (no test of labels: tags are per
    word). Returns (train, dev)."""
    import random

    if not 0.0 < fraction < 1.0:
        raise DataError(f"dev fraction must be in (0, 1), got {fraction}.")
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    dev = set(order[:max(1, round(fraction * len(order)))])

    def pick(keep):
        rows = [i for i in range(len(examples)) if (i in dev) == keep]
        return TaggedExamples([examples.words[i] for i in rows], [examples.tags[i] for i in rows])

    return pick(False), pick(True)


def load_conll_task(directory: str, dev_fraction: float = 0.1, seed: int = 0) -> TaggingTask:
    """A folder with `train.conll` (and optionally `dev.conll`, `test.conll`): a tagging
    task; without a dev file, `dev_fraction` of train is carved as dev. The tag set is
    every tag in the three files, "O" first."""
    paths = {split: os.path.join(directory, f"{split}.conll") for split in ("train", "dev", "test")}
    train = load_conll(paths["train"])
    if os.path.isfile(paths["dev"]):
        dev = load_conll(paths["dev"])
    else:
        train, dev = carve_dev_sentences(train, dev_fraction, seed)
    test = load_conll(paths["test"]) if os.path.isfile(paths["test"]) else None
    every = TaggedExamples(train.words + dev.words + (test.words if test else []),
                           train.tags + dev.tags + (test.tags if test else []))
    return TaggingTask(os.path.basename(os.path.normpath(directory)), train, dev, test, every.tag_names())


def load_conll(path: str, word_column: int = 0, tag_column: int = -1) -> TaggedExamples:
    """A CoNLL-style file: one token a line, columns split by tabs (or spaces), the word in
    `word_column` and its tag in `tag_column`; a blank line ends a sentence; `-DOCSTART-`
    lines are skipped (CoNLL-2003)."""
    if not os.path.isfile(path):
        raise DataError(f"No tagging file at {path!r}.")
    words, tags, sentence_words, sentence_tags = [], [], [], []

    def end_sentence():
        if sentence_words:
            words.append(list(sentence_words))
            tags.append(list(sentence_tags))
        sentence_words.clear()
        sentence_tags.clear()

    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                end_sentence()
                continue
            columns = line.split("\t") if "\t" in line else line.split()
            if columns[0] == "-DOCSTART-":
                continue
            if len(columns) < 2:
                raise DataError(f"{path}:{number}: {line!r} has no tag column (expected `word<TAB>tag`).")
            sentence_words.append(columns[word_column])
            sentence_tags.append(columns[tag_column])
    end_sentence()
    if not words:
        raise DataError(f"{path} holds no tagged sentences.")
    return TaggedExamples(words, tags)


@dataclasses.dataclass
class TaggingFeatures:
    """Model inputs and aligned label ids for `TaggedExamples`."""

    features: Dict[str, np.ndarray]  # input_ids, token_type_ids, attention_mask: (n, max_length) int32
    labels: np.ndarray  # (n, max_length) int32, IGNORE_INDEX where no tag is read
    word_ids: List[List[Optional[int]]]  # per position, the word it came from (None: special/padding)
    truncated_words: int  # words whose first piece fell beyond max_length


def word_spans(text: str) -> List[Tuple[str, int, int]]:
    """(word, start, end) of each run of non-whitespace characters: how raw text is split
    into words for tagging (the app's `TextTagger.wordSpans` splits the same way)."""
    return [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", text or "")]


def first_pieces(word_ids):
    """(position, word) of each word's first WordPiece, from a row of `word_ids`."""
    previous = None
    for position, word in enumerate(word_ids):
        if word is not None and word != previous:
            yield position, word
        previous = word


def align_tags(examples: TaggedExamples, tokenizer, tag_names: Sequence[str], max_length: int = 128
               ) -> TaggingFeatures:
    """Tokenize pre-split words and put each word's tag id on its first WordPiece."""
    index = {name: i for i, name in enumerate(tag_names)}
    unknown = sorted({t for tags in examples.tags for t in tags} - set(index))
    if unknown:
        raise DataError(f"Tags {unknown[:10]} are not in the model's tag set {list(tag_names)[:20]}; "
                        "use the tag names the model was trained with.")
    hf = tokenizer.hf_tokenizer if hasattr(tokenizer, "hf_tokenizer") else tokenizer
    encoded = hf(examples.words, is_split_into_words=True, truncation=True, max_length=max_length,
                 padding="max_length", return_token_type_ids=True, return_attention_mask=True)
    labels = np.full((len(examples), max_length), IGNORE_INDEX, np.int32)
    word_ids, truncated = [], 0
    for i, tags in enumerate(examples.tags):
        ids = encoded.word_ids(i)
        word_ids.append(ids)
        for position, word in first_pieces(ids):
            labels[i, position] = index[tags[word]]
        truncated += len(tags) - len({w for w in ids if w is not None})
    features = {k: np.asarray(encoded[k], np.int32) for k in ("input_ids", "token_type_ids", "attention_mask")}
    return TaggingFeatures(features, labels, word_ids, truncated)


def word_predictions(logits: np.ndarray, word_ids: List[List[Optional[int]]], tag_names: Sequence[str],
                     num_words: Sequence[int], fill: str = "O") -> List[List[str]]:
    """Each word's tag: the argmax at its first WordPiece; words cut off by `max_length`
    get `fill` (so predictions and gold tags stay the same length, and count as errors
    when the gold tag differs)."""
    predictions = []
    for row, ids, n in zip(np.asarray(logits).argmax(-1), word_ids, num_words):
        tags = [fill] * n
        for position, word in first_pieces(ids):
            tags[word] = tag_names[row[position]]
        predictions.append(tags)
    return predictions
