"""Shared fixtures: tiny BERT configs (2 layers, hidden 32) on the real MiniLM vocabulary."""

import os

import numpy as np
import pytest

import tinybert_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from tinybert_tf import BertConfig, BertTokenizer

SPECIAL = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "a", "great", "snack", "stale", "tastes", "good", "bad", "is", "this", "not", "love", "it",
         "coffee", "tea", "sweet", ",", ".", "!", "?", "##s", "##y"]


def tiny_config(vocab_size, **overrides):
    kwargs = dict(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=64, max_position_embeddings=64)
    kwargs.update(overrides)
    return BertConfig(**kwargs)


@pytest.fixture(scope="session")
def vocab_dir(tmp_path_factory):
    """A directory with a small uncased WordPiece vocab.txt (126 tokens)."""
    d = tmp_path_factory.mktemp("vocab")
    (d / "vocab.txt").write_text("\n".join(SPECIAL + WORDS) + "\n", encoding="utf-8")
    return str(d)


@pytest.fixture(scope="session")
def tokenizer(vocab_dir):
    return BertTokenizer.from_vocab_file(os.path.join(vocab_dir, "vocab.txt"))


@pytest.fixture(scope="session")
def config(tokenizer):
    return tiny_config(tokenizer.vocab_size)


@pytest.fixture
def batch(tokenizer):
    return tokenizer(["this snack is great!", "stale", "the tea tastes sweet , not bad"], max_length=12)


@pytest.fixture(autouse=True)
def _seed():
    from tinybert_tf.backend import keras

    keras.utils.set_random_seed(1234)
    np.random.seed(1234)


def pytest_terminal_summary(terminalreporter):
    """For the record: each notebook's execution time (tests/test_notebooks.py), the
    fault-injection matrix (tests/test_fault_injection.py) and the bad-input messages
    (tests/test_bad_input.py)."""
    times, matrix, bad = [], [], []
    for reports in terminalreporter.stats.values():
        # Setup and teardown reports carry the same properties; the call's is the one to print.
        for report in (r for r in reports if getattr(r, "when", None) == "call"):
            for key, value in report.user_properties:
                if key == "notebook_seconds":
                    times.append(f"{value[0]} {value[1]:.0f} s")
                elif key == "fault_matrix":
                    matrix.append(value)
                elif key == "bad_input":
                    bad.append(value)
    if times:
        terminalreporter.write_line("notebook execution times: " + ", ".join(times))
    if matrix:
        terminalreporter.write_line("fault injection (stage | killed at | signal | max |weight diff| after rerun):")
        for stage, point, signal_name, worst in sorted(matrix):
            terminalreporter.write_line(f"  {stage} | {point} | {signal_name} | {worst:.1e}")
    if bad:
        terminalreporter.write_line("bad input (case | what the user sees):")
        for name, line in bad:
            terminalreporter.write_line(f"  {name} | {line}")
