"""What tests build by hand, importable (fixtures that wrap these live in conftest.py):
tiny BERT configs (2 layers, hidden 32) on a small slice of the real uncased WordPiece
layout, and a toy sentiment task a tiny model learns in a few epochs."""

import json

import numpy as np

from tinybert_tf import BertConfig

SPECIAL = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "a", "great", "snack", "stale", "tastes", "good", "bad", "is", "this", "not", "love", "it",
         "coffee", "tea", "sweet", ",", ".", "!", "?", "##s", "##y"]


def tiny_config(vocab_size, **overrides):
    kwargs = dict(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=64, max_position_embeddings=64)
    kwargs.update(overrides)
    return BertConfig(**kwargs)


def write_toy_task(tmp_path):
    """train/dev/test JSONL under `tmp_path/task`: the label follows the words (96/32/32 rows)."""
    rng = np.random.default_rng(0)
    good, bad, filler = ["great", "good", "love", "sweet"], ["stale", "bad", "not"], ["the", "tea", "coffee", "snack", "is", "this", "it"]
    d = tmp_path / "task"
    d.mkdir()
    for split, n in (("train", 96), ("dev", 32), ("test", 32)):
        with open(d / f"{split}.jsonl", "w") as f:
            for i in range(n):
                label = "great" if i % 2 else "other"
                words = list(rng.choice(filler, 4)) + [rng.choice(good if i % 2 else bad)]
                rng.shuffle(words)
                f.write(json.dumps({"text": " ".join(words), "label": label}) + "\n")
    return str(d)
