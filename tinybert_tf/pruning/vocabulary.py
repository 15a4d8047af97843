"""Vocabulary pruning: keep the WordPiece rows the task text uses, the special tokens and
(by default) every single-character piece, so unseen words still split into kept pieces
rather than [UNK]; ids are renumbered in the original order and the tokenizer is rebuilt
from the new `vocab.txt`, so tokenizer, model and app bundle agree.
"""

import collections
import dataclasses
import os
import tempfile
from typing import Sequence

import numpy as np

from tinybert_tf.models import BertClassifier
from tinybert_tf.pruning.rebuild import rebuilt_classifier
from tinybert_tf.tokenizer import BertTokenizer

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def prune_vocabulary(classifier: BertClassifier, tokenizer, texts: Sequence[str], keep_characters: bool = True,
                     min_count: int = 1):
    """Keep the WordPiece rows `texts` use (at least `min_count` times), the special tokens
    and, with `keep_characters`, every single-character piece (`a`, `##a`, ...).

    Returns (classifier, tokenizer, kept_ids): a new classifier whose word embeddings hold
    the kept rows in their original order, and a tokenizer built from the matching
    vocabulary; `kept_ids[new_id]` is the old id."""
    vocab = tokenizer.get_vocab()
    by_id = sorted(vocab.items(), key=lambda item: item[1])
    if [i for _, i in by_id] != list(range(len(by_id))):
        raise ValueError("The tokenizer's vocabulary ids are not 0..N-1; cannot prune it.")
    counts = collections.Counter()
    for ids in tokenizer.hf_tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
        counts.update(ids)
    keep = {vocab[t] for t in SPECIAL_TOKENS if t in vocab}
    keep |= {i for i, c in counts.items() if c >= min_count}
    if keep_characters:
        keep |= {i for t, i in by_id if len(t) == 1 or (t.startswith("##") and len(t) == 3)}
    kept_ids = np.array(sorted(keep))
    tokens = [by_id[i][0] for i in kept_ids]

    config = classifier.encoder.config
    new_config = dataclasses.replace(config, vocab_size=len(kept_ids),
                                     pad_token_id=tokens.index("[PAD]") if "[PAD]" in tokens else 0)
    new = rebuilt_classifier(classifier, new_config,
                   lambda name, w: [w[0][kept_ids]] if name == "word_embeddings" else w)

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "vocab.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(t + "\n" for t in tokens))
        new_tokenizer = BertTokenizer.from_vocab_file(path, do_lower_case=tokenizer.do_lower_case,
                                                      model_max_length=config.max_position_embeddings)
    return new, new_tokenizer, kept_ids
