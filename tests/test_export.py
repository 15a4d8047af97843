"""TFLite export (builtin ops only) and LiteRT measurement on a tiny classifier."""

import numpy as np
import pytest

from tinybert_tf import BertClassifier, BertEncoder, export
from tinybert_tf.backend import keras, tf


@pytest.mark.parametrize("quantization", export.QUANTIZATIONS)
def test_variants_convert_and_match_keras(config, tokenizer, quantization):
    classifier = BertClassifier(BertEncoder(config), num_labels=2)
    flatbuffer = export.to_tflite(classifier, quantization)
    features = tokenizer(["this snack is great!", "stale", "not good , bad coffee"], max_length=16)
    got = export.tflite_logits(flatbuffer, features, batch_size=2)
    tolerance = {"float32": 1e-4, "float16": 1e-2, "dynamic_int8": 0.1}[quantization]
    np.testing.assert_allclose(got, classifier(features), atol=tolerance)
    latency = export.litert_latency(flatbuffer, seq_len=16, runs=3, warmup=1)
    assert latency["p50_ms"] > 0 and latency["threads"] == 1


def test_flex_ops_are_refused_with_their_names(config):
    inputs = {n: keras.Input((None,), dtype="int32", name=n) for n in ("input_ids", "attention_mask", "token_type_ids")}
    # tf.strings ops exist only as Flex (select TF) ops in TFLite.
    x = keras.layers.Lambda(lambda t: tf.strings.to_number(tf.strings.as_string(t)))(inputs["input_ids"])
    model = keras.Model(inputs, x)
    with pytest.raises(export.ExportError, match="builtin set lacks"):
        export.to_tflite(model)


def test_unknown_quantization(config):
    with pytest.raises(export.ExportError, match="quantization"):
        export.to_tflite(BertClassifier(BertEncoder(config), 2), "int4")
