"""TFLite with metadata for MediaPipe Tasks' TextClassifier (`export --format mediapipe`).

Runs where PyPI `mediapipe` is installed (`make setup` installs it with --no-deps), and is
visibly skipped elsewhere.
"""

import json
import os

import numpy as np
import pytest

from tinybert_tf import BertClassifier, BertEncoder, cli, export, load_pretrained, save_pretrained
from tests.helpers import tiny_config

pytest.importorskip("mediapipe.tasks.metadata.metadata_schema_py_generated",
                    reason="mediapipe is not installed (pip install --no-deps mediapipe==1.2.2 "
                           "opencv-contrib-python-headless): the MediaPipe export is not tested here")

from tinybert_tf import tflite_metadata  # noqa: E402

LABELS = ["great", "other"]  # the toy task's label order (sorted)


@pytest.fixture
def model_dir(tokenizer, tmp_path):
    model = BertClassifier(BertEncoder(tiny_config(tokenizer.vocab_size)), num_labels=2)
    # Weights away from zero: scores far from uniform, so a wrong input order or tokenizer shows.
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    return save_pretrained(model, str(tmp_path / "clf"), tokenizer=tokenizer, labels=LABELS)


def test_mediapipe_runs_the_exported_model_as_the_project_does(model_dir, tokenizer, toy_task_dir, tmp_path,
                                                               capsys):
    out = str(tmp_path / "mp")
    assert cli.main(["export", "--format", "mediapipe", "--model", model_dir, "--task", toy_task_dir,
                     "--output-dir", out, "--max-length", "16", "--bundle-variant", "float32", "--force"]) == 0
    assert "MediaPipe TextClassifier model:" in capsys.readouterr().out
    report = json.load(open(f"{out}/export_report.json"))
    path = report["path"]
    model = open(path, "rb").read()
    # The metadata and packed files read back as written.
    meta = tflite_metadata.read_metadata(model)
    assert sorted(meta["inputs"]) == sorted(tflite_metadata.BERT_INPUTS) and meta["min_parser_version"] == "1.1.0"
    assert meta["tokenizer_vocab"] == ["vocab.txt"] and meta["output_labels"] == ["labels.txt"]
    vocab = [t for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]
    assert meta["files"]["vocab.txt"].splitlines() == vocab
    assert meta["files"]["labels.txt"].splitlines() == LABELS
    # The export ran MediaPipe itself on the dev examples: same labels, same scores.
    check = report["mediapipe_check"]
    assert check["checked"] and check["label_agreement"] == 1.0 and check["max_abs_prob_diff"] < 1e-4, check
    # MediaPipe (its own tokenizer) vs the file fed this project's tokenization, and vs Keras.
    texts = ["this snack is great !", "stale , bad coffee", "I LOVE the tea; not bad at all."]
    with tflite_metadata.mediapipe_classifier(path) as classifier:
        theirs = np.array([tflite_metadata.mediapipe_scores(classifier, t, LABELS) for t in texts])
    x = tokenizer(texts, max_length=16, padding="max_length")
    file_scores = export.tflite_logits(export.to_tflite(load_pretrained(model_dir).classifier, "float32", 16,
                                                        "task_library", output="probabilities"), x)
    np.testing.assert_allclose(theirs, file_scores, atol=1e-5)
    keras = load_pretrained(model_dir).classifier(x).numpy()
    keras = np.exp(keras) / np.exp(keras).sum(-1, keepdims=True)
    np.testing.assert_allclose(theirs, keras, atol=1e-4)
    assert np.abs(theirs - 0.5).max() > 0.05  # not uniform: the check can fail
    # The same file as an app bundle (probabilities, fixed length): predict gives MediaPipe's scores.
    from tinybert_tf.bundle import read_bundle
    from tinybert_tf.inference import TextClassifier
    meta = read_bundle(report["bundle"])
    assert meta["output_kind"] == "probabilities" and meta["fixed_seq_len"] == 16
    assert open(meta["model_file_path"], "rb").read() == model
    predicted = TextClassifier.from_pretrained(report["bundle"]).predict(texts)
    np.testing.assert_allclose([[p.probabilities[label] for label in LABELS] for p in predicted], theirs,
                               atol=1e-5)


def test_mediapipe_export_refuses_regression_cased_models_and_wrong_inputs(model_dir, vocab_dir, toy_task_dir,
                                                                          tmp_path):
    d = tmp_path / "reg"
    d.mkdir()
    for split in ("train", "dev", "test"):
        (d / f"{split}.jsonl").write_text("".join(json.dumps({"text": f"tea {i}", "label": i / 10}) + "\n"
                                                  for i in range(10)))
    (d / "task.json").write_text(json.dumps({"regression": True}))
    with pytest.raises(export.ExportError, match="regression task: MediaPipe's TextClassifier"):
        export.export_model(export.ExportConfig(model=model_dir, task=str(d), format="mediapipe",
                                                output_dir=str(tmp_path / "x"), max_length=16))
    # A cased model: MediaPipe's WordPiece lowercases, so it would feed wrong ids.
    from tinybert_tf.tokenizer import BertTokenizer
    cased = BertTokenizer.from_vocab_file(os.path.join(vocab_dir, "vocab.txt"), do_lower_case=False)
    cased_dir = save_pretrained(load_pretrained(model_dir).classifier, str(tmp_path / "cased"), tokenizer=cased,
                                labels=LABELS)
    with pytest.raises(export.ExportError, match="cased vocabulary; MediaPipe's BERT tokenizer lowercases"):
        export.export_model(export.ExportConfig(model=cased_dir, task=toy_task_dir, format="mediapipe",
                                                output_dir=str(tmp_path / "y"), max_length=16))
    assert not os.path.exists(tmp_path / "y")
    # A file with Keras input names is not one MediaPipe's BERT preprocessor can feed.
    keras_named = export.to_tflite(load_pretrained(model_dir).classifier, "float32", 16, "keras")
    with pytest.raises(export.ExportError, match="input_names='task_library'"):
        tflite_metadata.add_metadata(keras_named, ["[PAD]"], ["a", "b"])
