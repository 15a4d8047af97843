"""TFLite export (builtin ops only), validation, the app bundle, LiteRT measurement (tiny models)."""

import json
import os

import numpy as np
import pytest

from tinybert_tf import BertClassifier, BertEncoder, export, save_pretrained
from tinybert_tf.backend import keras, tf

TOLERANCE = {"float32": 1e-4, "float16": 1e-2, "dynamic_int8": 0.1, "full_int8": 0.3}


@pytest.mark.parametrize("quantization", export.VARIANTS)
def test_variants_convert_and_match_keras(config, tokenizer, quantization):
    classifier = BertClassifier(BertEncoder(config), num_labels=2)
    features = tokenizer(["this snack is great!", "stale", "not good , bad coffee"], max_length=16)
    flatbuffer = export.to_tflite(classifier, quantization, representative=features)
    got = export.tflite_logits(flatbuffer, features, batch_size=2)
    np.testing.assert_allclose(got, classifier(features), atol=TOLERANCE[quantization])
    latency = export.litert_latency(flatbuffer, seq_len=16, runs=3, warmup=1)
    assert latency["p50_ms"] > 0 and latency["threads"] == 1


def test_task_library_names_and_fixed_length(config, tokenizer):
    classifier = BertClassifier(BertEncoder(config), num_labels=2)
    flatbuffer = export.to_tflite(classifier, seq_len=16, input_names="task_library")
    runner = export.interpreter(flatbuffer).get_signature_runner()
    details = runner.get_input_details()
    assert set(details) == {"ids", "mask", "segment_ids"}
    assert list(details["ids"]["shape"]) == [1, 16] and details["ids"]["dtype"] == np.int32
    features = tokenizer(["this snack is great!"], max_length=16)
    np.testing.assert_allclose(export.tflite_logits(flatbuffer, features), classifier(features), atol=1e-4)


def test_flex_ops_are_refused_with_their_names():
    inputs = {n: keras.Input((None,), dtype="int32", name=n) for n in export.KERAS_INPUTS}
    # tf.strings ops exist only as Flex (select TF) ops in TFLite.
    x = keras.layers.Lambda(lambda t: tf.strings.to_number(tf.strings.as_string(t)))(inputs["input_ids"])
    model = keras.Model(inputs, x)
    with pytest.raises(export.ExportError, match="builtin set lacks: tf.AsString, tf.StringToNumber\\. Flex"):
        export.to_tflite(model)


def test_unknown_quantization(config):
    with pytest.raises(export.ExportError, match="quantization"):
        export.to_tflite(BertClassifier(BertEncoder(config), 2), "int4")


@pytest.fixture
def saved_classifier(config, tokenizer, tmp_path):
    return save_pretrained(BertClassifier(BertEncoder(config), num_labels=2), str(tmp_path / "clf"),
                           tokenizer=tokenizer, labels=["great", "other"])


def test_export_validates_writes_variants_and_the_bundle(saved_classifier, toy_task_dir, tmp_path):
    out = str(tmp_path / "export")
    report = export.export_model(export.ExportConfig(
        model=saved_classifier, task=toy_task_dir, output_dir=out, variants="float32,dynamic_int8,full_int8",
        bundle_variant="float32", max_length=16, parity_examples=8, max_accuracy_drop=0.5,
        representative_examples=8))
    for variant in ("float32", "dynamic_int8", "full_int8"):
        entry = report["variants"][variant]
        assert entry["passed"] and os.path.isfile(entry["path"]), variant
    assert report["variants"]["float32"]["parity_max_abs_logit_diff"] < 1e-4
    bundle = export.read_bundle(os.path.join(out, "bundle"))
    assert bundle["labels"] == ["great", "other"] and bundle["max_length"] == 16
    assert bundle["input_names"] == {"input_ids": "ids", "attention_mask": "mask", "token_type_ids": "segment_ids"}
    assert bundle["special_tokens"]["[CLS]"] == 101 and bundle["variant"] == "float32"
    assert open(bundle["labels_file_path"]).read() == "great\nother\n"
    vocab = open(bundle["vocab_file_path"], encoding="utf-8").read().splitlines()
    assert vocab[101] == "[CLS]" and len(vocab) == 126
    saved = json.load(open(os.path.join(out, "export_report.json")))
    assert set(saved["variants"]) == {"float32", "dynamic_int8", "full_int8"}


def test_a_variant_that_loses_accuracy_is_refused_unless_forced(saved_classifier, toy_task_dir, tmp_path):
    # A negative allowed drop refuses every variant, whatever its accuracy.
    config = export.ExportConfig(model=saved_classifier, task=toy_task_dir, output_dir=str(tmp_path / "e"),
                                 variants="float32", bundle_variant="float32", max_length=16, parity_examples=4,
                                 max_accuracy_drop=-1.0)
    with pytest.raises(export.ExportError, match="failed validation"):
        export.export_model(config)
    assert not os.path.exists(tmp_path / "e" / "float32" / "model.tflite")
    config.force = True
    report = export.export_model(config)
    assert not report["variants"]["float32"]["passed"] and os.path.isfile(report["variants"]["float32"]["path"])


def test_read_bundle_errors(tmp_path):
    with pytest.raises(export.ExportError, match="No bundle.json"):
        export.read_bundle(str(tmp_path))
    (tmp_path / "bundle.json").write_text(json.dumps({"format_version": 99}))
    with pytest.raises(export.ExportError, match="format_version"):
        export.read_bundle(str(tmp_path))


def test_full_int8_keeps_attention_with_padding(tokenizer, monkeypatch):
    """With BERT's -1e4 mask in the int8 score tensor every real score rounds to one
    value (uniform attention); export traces full int8 with a smaller adder instead."""
    from tinybert_tf.layers import BertSelfAttention

    inputs = {n: keras.Input((None,), dtype="int32", name=n) for n in export.KERAS_INPUTS}
    x = keras.layers.Embedding(tokenizer.vocab_size, 32)(inputs["input_ids"])
    attention = BertSelfAttention(num_heads=2, key_dim=16)
    model = keras.Model(inputs, attention(x, value=x, attention_mask=inputs["attention_mask"]))
    for dense in (attention._query_dense, attention._key_dense):  # peaked attention, so uniform attention shows
        dense.kernel.assign(dense.kernel * 8.0)
    texts = ["this snack is great!", "stale", "not good , bad coffee", "great", "the best tea ever"] * 4
    features = tokenizer(texts, max_length=16)  # short texts: most positions are padding
    expected = model(features).numpy()

    def error():
        flatbuffer = export.to_tflite(model, "full_int8", representative=features)
        return float(np.max(np.abs(export.tflite_logits(flatbuffer, features) - expected)))

    fixed = error()
    monkeypatch.setattr(export, "QUANTIZATION_MASK_ADDER", -10000.0)
    assert fixed < 0.1 * error()  # measured: 1.5e-4 vs 1.8e-2


def test_quantization_aware_model_wraps_every_encoder_dense_and_exports_full_int8(
        saved_classifier, toy_task_dir, tmp_path):
    from tinybert_tf import load_pretrained, qat

    classifier = load_pretrained(saved_classifier).classifier
    qat_model = qat.quantization_aware_model(classifier)
    (encoder,) = [layer for layer in qat_model.layers if isinstance(layer, keras.Model)]
    wrapped = [layer for layer in encoder.layers if type(layer).__name__.startswith("QuantizeWrapper")]
    dense = [layer for layer in classifier.encoder.layers if type(layer) is keras.layers.Dense]
    assert len(wrapped) == len(dense) > 0
    report = export.export_model(export.ExportConfig(
        model=saved_classifier, task=toy_task_dir, output_dir=str(tmp_path / "qat"), variants="dynamic_int8,full_int8",
        bundle_variant="dynamic_int8", max_length=16, max_accuracy_drop=1.0, qat_epochs=1, qat_learning_rate=1e-4))
    assert report["qat"]["epochs"] == 1 and "accuracy" in report["qat"]["keras_test"]
    assert report["variants"]["full_int8"]["parity_max_abs_logit_diff"] < 0.3
    assert os.path.isfile(report["variants"]["full_int8"]["path"])
