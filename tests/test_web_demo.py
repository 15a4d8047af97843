"""The web demo in a real headless Chromium (MediaPipe Tasks TextClassifier in WebAssembly).

Needs Debian's Chromium, node and the page's npm packages (`make test` installs them with
web_demo/scripts/install.sh) and PyPI mediapipe; visibly skipped where one is missing.
"""

import importlib.util
import os
import sys

import numpy as np
import pytest

from tinybert_tf import BertClassifier, BertEncoder, export, load_pretrained, save_pretrained
from tests.helpers import tiny_config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web_demo"))
import run_e2e  # noqa: E402

pytestmark = [
    pytest.mark.slow,  # make test-fast leaves these out
    pytest.mark.skipif(bool(run_e2e.missing()), reason=f"web demo not testable here: {run_e2e.missing()}"),
    pytest.mark.skipif(importlib.util.find_spec("mediapipe") is None,
                       reason="mediapipe is not installed: no metadata model to serve"),
]

LABELS = ["great", "other"]  # the toy task's label order (sorted)
TEXTS = ["this snack is great !", "stale , bad coffee , not good", "I LOVE the tea; sweet and good."]


def test_the_page_classifies_typed_text_as_python_does(tokenizer, toy_task_dir, tmp_path):
    from tinybert_tf import tflite_metadata

    model = BertClassifier(BertEncoder(tiny_config(tokenizer.vocab_size)), num_labels=2)
    rng = np.random.default_rng(1)  # weights away from zero: scores far from uniform
    model.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    model_dir = save_pretrained(model, str(tmp_path / "clf"), tokenizer=tokenizer, labels=LABELS)
    report = export.export_model(export.ExportConfig(model=model_dir, task=toy_task_dir, format="mediapipe",
                                                     output_dir=str(tmp_path / "mp"), max_length=16,
                                                     bundle_variant="float32", force=True))
    shot = str(tmp_path / "page.png")
    out = run_e2e.run(report["path"], TEXTS, shot)

    # What the page shows = MediaPipe in Python = this project's own run of the file.
    x = tokenizer(TEXTS, max_length=16, padding="max_length")
    ours = export.tflite_logits(export.to_tflite(load_pretrained(model_dir).classifier, "float32", 16,
                                                 "task_library", output="probabilities"), x)
    with tflite_metadata.mediapipe_classifier(report["path"]) as classifier:
        python = np.array([tflite_metadata.mediapipe_scores(classifier, t, LABELS) for t in TEXTS])
    page = np.array([[r["scores"][label] for label in LABELS] for r in out["results"]])
    np.testing.assert_allclose(page, python, atol=1e-5)
    np.testing.assert_allclose(page, ours, atol=1e-5)
    assert [r["label"] for r in out["results"]] == [LABELS[i] for i in ours.argmax(1)]
    assert [r["shown_label"] for r in out["results"]] == [r["label"] for r in out["results"]]
    assert all(r["ms"] > 0 for r in out["results"])
    assert np.abs(page - 0.5).max() > 0.05  # not uniform: a wrong model or tokenizer would show
    with open(shot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
