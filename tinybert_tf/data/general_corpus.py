"""Unlabelled text for general distillation: the shipped Brown + Austen corpus or the user's."""

import gzip
import os
from typing import List, Optional, Sequence

from tinybert_tf.data.examples import DataError

GENERAL_CORPUS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "datasets", "general_corpus",
                              "corpus.txt.gz")


def load_general_corpus(path: Optional[str] = None, max_segments: Optional[int] = None) -> List[str]:
    """Lines of unlabelled text: the shipped Brown + Austen corpus (see
    datasets/general_corpus/PROVENANCE.md), or a user's `.txt` / `.txt.gz` file, one
    segment (sentence, paragraph or document) a line."""
    path = path or GENERAL_CORPUS
    if not os.path.isfile(path):
        raise DataError(f"No corpus file at {path!r}; give a .txt or .txt.gz file with one text segment a line.")
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not UTF-8 ({e.reason}); re-save it as UTF-8.") from None
    if not lines:
        raise DataError(f"{path} has no text.")
    return lines[:max_segments] if max_segments else lines


def pack_segments(lines: Sequence[str], tokenizer, max_length: int = 128) -> List[str]:
    """Join consecutive lines into texts of at most `max_length` tokens (with [CLS] and
    [SEP]), so short sentences do not waste a padded 128-token row each. A single line
    longer than that is kept alone and truncated at tokenization."""
    budget = max_length - 2
    lengths = [len(ids) for ids in tokenizer.hf_tokenizer(list(lines), add_special_tokens=False)["input_ids"]]
    packed, current, used = [], [], 0
    for line, n in zip(lines, lengths):
        if current and used + n > budget:
            packed.append(" ".join(current))
            current, used = [], 0
        current.append(line)
        used += n
    if current:
        packed.append(" ".join(current))
    return packed
