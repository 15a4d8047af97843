"""Inference: `TextClassifier` / `pipeline` / `tinybert-tf predict` on a Keras directory, an
exported .tflite file and a bundle give the same labels; bad input is one clear error."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tinybert_tf import BertClassifier, BertEncoder, cli, export, inference, save_pretrained
from tests.helpers import write_toy_task

TEXTS = ["this snack is great!", "stale , bad coffee", "the tea is sweet", "not good"]


@pytest.fixture(scope="module")
def exported(config, tokenizer, tmp_path_factory):
    d = tmp_path_factory.mktemp("inference")
    toy_task_dir = write_toy_task(d)
    model_dir = save_pretrained(BertClassifier(BertEncoder(config), num_labels=2), str(d / "clf"),
                                tokenizer=tokenizer, labels=["great", "other"])  # the toy task's order
    export.export_model(export.ExportConfig(model=model_dir, task=toy_task_dir, output_dir=str(d / "export"),
                                            variants="float32", bundle_variant="float32", max_length=16,
                                            parity_examples=4, max_accuracy_drop=1.0))
    return model_dir, str(d / "export" / "float32" / "model.tflite"), str(d / "export" / "bundle")


def test_keras_tflite_and_bundle_agree(exported):
    results = [inference.TextClassifier.from_pretrained(path, max_length=16).predict(TEXTS, batch_size=3)
               for path in exported]
    keras_probs = np.array([[p.probabilities["other"], p.probabilities["great"]] for p in results[0]])
    for other in results[1:]:
        assert [p.label for p in other] == [p.label for p in results[0]]
        np.testing.assert_allclose([[p.probabilities["other"], p.probabilities["great"]] for p in other],
                                   keras_probs, atol=1e-5)
    first = results[0][0]
    assert first.label in ("other", "great") and first.score == max(first.probabilities.values())
    assert first.tokens == 7 and not first.truncated  # [CLS] this snack is great ! [SEP]

    long = inference.pipeline("text-classification", model=exported[0], max_length=4)
    out = long.predict(["the tea is sweet and great"])[0]
    assert out.truncated and out.tokens == 8
    assert long("the tea")[0].keys() == {"label", "score"}


def test_predict_cli_file_in_jsonl_out(exported, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"review": t}) + "\n" for t in TEXTS))
    out = tmp_path / "out.jsonl"
    assert cli.main(["predict", "--model", exported[2], "--input-file", str(src), "--text-column", "review",
                     "--output-file", str(out), "--quiet"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["text"] for r in rows] == TEXTS and {"label", "score", "probabilities", "tokens"} <= set(rows[0])
    assert cli.main(["predict", "--model", exported[0], TEXTS[0]]) == 0
    assert json.loads(capsys.readouterr().out.strip())["label"] == rows[0]["label"]


@pytest.mark.parametrize("args,words", [
    (["predict", "--model", "{keras}", ""], "text 1 is empty"),
    (["predict", "--model", "{keras}"], "Nothing to predict"),
    (["predict", "--model", "{keras}", "a", "b", "c"], "3 texts given"),
    (["predict", "--model", "{bare}", "a"], "is not inside a `tinybert-tf export` folder"),
    (["predict", "--model", "{keras}", "--input-file", "{tmp}/in.csv", "--text-column", "body"], "no column 'body'"),
])
def test_predict_bad_input_is_one_line(exported, tmp_path, capsys, args, words):
    import shutil

    shutil.copy(exported[1], tmp_path / "bare.tflite")
    (tmp_path / "in.csv").write_text("text\nhello\n")
    fill = {"keras": exported[0], "bare": str(tmp_path / "bare.tflite"), "tmp": str(tmp_path)}
    assert cli.main([a.format(**fill) for a in args]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "Traceback" not in err, err


def test_help_and_version_do_not_import_tensorflow():
    code = ("import sys\nfrom tinybert_tf import cli\n"
            "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'\nprint('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=os.getcwd())
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]
    assert "predict" in proc.stdout and "recipe" in proc.stdout


def test_fixed_length_bundle_predicts_one_example_at_a_time(exported, tmp_path):
    task = write_toy_task(tmp_path)
    export.export_model(export.ExportConfig(model=exported[0], task=task, output_dir=str(tmp_path / "fixed"),
                                            variants="float32", bundle_variant="float32", max_length=16, seq_len=16,
                                            parity_examples=4, max_accuracy_drop=1.0))
    fixed = inference.TextClassifier.from_pretrained(str(tmp_path / "fixed" / "bundle")).predict(TEXTS, batch_size=4)
    keras = inference.TextClassifier.from_pretrained(exported[0], max_length=16).predict(TEXTS)
    np.testing.assert_allclose([p.score for p in fixed], [p.score for p in keras], atol=1e-5)
