"""Shared fixtures, named for what they build: tiny BERT configs (2 layers, hidden 32) on a
small uncased WordPiece vocabulary, checkpoints saved like pretrained HF ones, a toy task.
Plain helpers (tiny_config, write_toy_task, the vocabulary) are in tests/helpers.py.

Size markers (pyproject.toml): `slow` for notebooks, fault injection, parity, Android, web,
distribution strategies, mixed precision and whole chains; `make test-fast` leaves them out."""

import logging
import os

import numpy as np
import pytest

import tinybert_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from tinybert_tf import BertTokenizer, progress
from tinybert_tf.checkpoint import save_pretrained
from tinybert_tf.models import BertEncoder
from tests.helpers import SPECIAL, WORDS, tiny_config, write_toy_task

# The library's messages as the CLI shows them (stdout, plain lines), so tests read them.
progress.log_to_console(logging.INFO)


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
def pretrained_2layer_dir(config, tokenizer, tmp_path):
    """A randomly initialised 2-layer, hidden-32 BERT saved like a pretrained HF checkpoint
    (BertModel, no head)."""
    return save_pretrained(BertEncoder(config), str(tmp_path / "pretrained"), tokenizer=tokenizer)


@pytest.fixture
def pretrained_4layer_dir(tokenizer, tmp_path):
    """A 4-layer, hidden-48, 4-head BERT saved like a pretrained checkpoint: a teacher a
    2-layer student can be mapped and pruned from."""
    config = tiny_config(tokenizer.vocab_size, num_hidden_layers=4, hidden_size=48, num_attention_heads=4,
                         intermediate_size=96)
    return save_pretrained(BertEncoder(config), str(tmp_path / "pretrained"), tokenizer=tokenizer)


@pytest.fixture
def toy_task_dir(tmp_path):
    """Sentiment a tiny model can learn in a few epochs: the label follows the words."""
    return write_toy_task(tmp_path)


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
