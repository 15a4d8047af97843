import numpy as np
import pytest

from tinybert_tf import BertClassifier, BertEncoder, BertMaskedLMHead
from tinybert_tf.backend import keras, tf
from tests.helpers import tiny_config


def test_outputs_and_dynamic_sequence_length(config, tokenizer):
    encoder = BertEncoder(config)
    for length in (8, 20):
        out = encoder(tokenizer(["great snack", "stale tea"], max_length=length))
        assert out["sequence_output"].shape == (2, length, 32)
        assert out["pooled_output"].shape == (2, 32)
    assert set(out) == {"sequence_output", "pooled_output"}


def test_distillation_outputs_share_weights_with_inference_model(config, batch):
    encoder = BertEncoder(config)
    distill = encoder.as_distillation_model()
    out = distill(batch)
    assert len(out["hidden_states"]) == config.num_hidden_layers + 1
    assert len(out["attention_scores"]) == config.num_hidden_layers
    assert out["attention_scores"][0].shape == (3, 2, 12, 12)
    np.testing.assert_array_equal(out["sequence_output"], encoder(batch)["sequence_output"])
    np.testing.assert_array_equal(out["hidden_states"][-1], out["sequence_output"])
    back = distill.as_inference_model()
    assert set(back.output_names) == set(encoder.output_names)
    np.testing.assert_array_equal(back(batch)["pooled_output"], encoder(batch)["pooled_output"])


def test_attention_scores_are_pre_softmax_scaled_dot_products(config, batch):
    encoder = BertEncoder(config, distillation_outputs=True)
    out = encoder(batch)
    attention = encoder.get_layer("layer_0_attention")
    x = out["hidden_states"][0]
    q = attention._query_dense(x) / np.sqrt(config.head_size)
    k = attention._key_dense(x)
    expected = np.einsum("bqhd,bkhd->bhqk", q.numpy(), k.numpy())
    np.testing.assert_allclose(out["attention_scores"][0], expected, atol=1e-5)
    # Not probabilities: rows do not sum to one.
    assert not np.allclose(out["attention_scores"][0].numpy().sum(-1), 1.0)


def test_padding_does_not_change_real_tokens(config, tokenizer):
    encoder = BertEncoder(config)
    short = encoder(tokenizer(["the snack is great"], max_length=6))["sequence_output"].numpy()
    padded = encoder(tokenizer(["the snack is great"], max_length=16))["sequence_output"].numpy()
    np.testing.assert_allclose(short[0], padded[0, :6], atol=1e-5)


def test_new_layers_get_different_random_weights(config):
    encoder = BertEncoder(config)
    a = encoder.get_layer("layer_0_output").kernel.numpy()
    b = encoder.get_layer("layer_1_output").kernel.numpy()
    assert not np.allclose(a, b)
    assert abs(a.std() - config.initializer_range) < 0.01


def test_get_config_round_trip(config, batch):
    encoder = BertEncoder(config)
    clone = BertEncoder.from_config(encoder.get_config())
    clone.set_weights(encoder.get_weights())
    np.testing.assert_array_equal(clone(batch)["pooled_output"], encoder(batch)["pooled_output"])
    classifier = BertClassifier(encoder, num_labels=3)
    again = BertClassifier.from_config(classifier.get_config())
    assert again.num_labels == 3 and again.count_params() == classifier.count_params()


def test_classifier_heads(config, batch):
    classifier = BertClassifier(BertEncoder(config), num_labels=2)
    assert classifier(batch).shape == (3, 2)
    regression = BertClassifier(BertEncoder(config), num_labels=1)
    assert regression.is_regression and regression(batch).shape == (3, 1)
    distill = classifier.as_distillation_model()
    out = distill(batch)
    np.testing.assert_allclose(out["logits"], classifier(batch), atol=1e-6)
    with pytest.raises(ValueError, match="num_labels"):
        BertClassifier(BertEncoder(config), num_labels=0)


def test_masked_lm_head_is_tied_to_word_embeddings(config, batch):
    encoder = BertEncoder(config)
    head = BertMaskedLMHead(config, encoder.get_layer("word_embeddings"))
    logits = head(encoder(batch)["sequence_output"])
    assert logits.shape == (3, 12, config.vocab_size)
    # Tied: changing the encoder's embedding matrix changes the head's scores.
    embeddings = encoder.get_layer("word_embeddings").embeddings
    embeddings.assign(embeddings * 2.0)
    assert not np.allclose(head(encoder(batch)["sequence_output"]), logits)


def test_gelu_variants(tokenizer, batch):
    for act in ("gelu", "gelu_new", "relu"):
        encoder = BertEncoder(tiny_config(tokenizer.vocab_size, hidden_act=act))
        assert np.isfinite(encoder(batch)["pooled_output"].numpy()).all()


def test_converts_to_tflite_with_builtin_ops_only_and_dynamic_length(config, tokenizer):
    from ai_edge_litert.interpreter import Interpreter

    classifier = BertClassifier(BertEncoder(config), num_labels=2)
    spec = {name: tf.TensorSpec((None, None), tf.int32, name=name) for name in classifier.input_names}
    fn = tf.function(lambda inputs: classifier(inputs, training=False)).get_concrete_function(spec)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn], classifier)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # no Flex
    flatbuffer = converter.convert()

    interpreter = Interpreter(model_content=flatbuffer)
    runner = interpreter.get_signature_runner()
    for length in (10, 24):
        batch = tokenizer(["this snack is great!", "stale"], max_length=length)
        tflite_logits = list(runner(**batch).values())[0]
        np.testing.assert_allclose(tflite_logits, classifier(batch), atol=1e-4)


def test_whole_model_is_accepted_by_tfmot_pruning(config, batch):
    import tensorflow_model_optimization as tfmot

    classifier = BertClassifier(BertEncoder(config), num_labels=2)
    pruned = tfmot.sparsity.keras.prune_low_magnitude(
        classifier, pruning_schedule=tfmot.sparsity.keras.ConstantSparsity(0.5, 0, frequency=1))
    pruned.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    pruned.fit(batch, np.array([1, 0, 1]), epochs=1, batch_size=1, verbose=0,
               callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    stripped = tfmot.sparsity.keras.strip_pruning(pruned)
    kernels = {w.name: w.numpy() for w in stripped.weights if "kernel" in w.name}
    # Dense layers and the attention subclass's four kernels per layer, all found.
    assert len(kernels) == 2 * 6 + 2
    assert all(abs((k == 0).mean() - 0.5) < 0.01 for k in kernels.values()), kernels.keys()
