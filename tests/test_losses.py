"""TinyBERT losses against direct NumPy computations."""

import numpy as np
import pytest

from tinybert_tf import losses
from tinybert_tf.backend import keras
from tinybert_tf.layer_mapping import layer_mapping, parse_layer_mapping

rng = np.random.default_rng(0)


def test_hidden_loss_with_projection():
    hs, ht = rng.normal(size=(2, 5, 4)).astype("f4"), rng.normal(size=(2, 5, 6)).astype("f4")
    dense = keras.layers.Dense(6)
    dense.build((None, None, 4))
    w, b = (v.numpy() for v in dense.weights)
    expected = np.mean((hs @ w + b - ht) ** 2)
    np.testing.assert_allclose(losses.hidden_loss(hs, ht, dense), expected, rtol=1e-5)
    np.testing.assert_allclose(losses.hidden_loss(ht, ht), 0.0)


def test_attention_loss_zeroes_padded_keys_and_averages():
    s, t = rng.normal(size=(2, 3, 4, 4)).astype("f4"), rng.normal(size=(2, 3, 4, 4)).astype("f4")
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], "f4")
    keep = mask[:, None, None, :]
    expected = np.mean((s * keep - t * keep) ** 2)  # mean over batch, heads, queries and keys
    np.testing.assert_allclose(losses.attention_loss(s, t, mask), expected, rtol=1e-5)
    # Values at padded keys do not matter.
    t2 = t.copy()
    t2[1, :, :, 2:] = 1e4
    np.testing.assert_allclose(losses.attention_loss(s, t2, mask), expected, rtol=1e-5)


def test_head_count_mismatch():
    s, t = rng.normal(size=(1, 2, 3, 3)).astype("f4"), rng.normal(size=(1, 6, 3, 3)).astype("f4")
    mask = np.ones((1, 3), "f4")
    grouped = t.reshape(1, 2, 3, 3, 3).mean(axis=2)  # heads (0,1,2) -> 0, (3,4,5) -> 1
    np.testing.assert_allclose(losses.attention_loss(s, t, mask), np.mean((s - grouped) ** 2), rtol=1e-5)
    s4 = rng.normal(size=(1, 4, 3, 3)).astype("f4")  # 6 % 4 != 0: compare head means
    expected = np.mean((s4.mean(1, keepdims=True) - t.mean(1, keepdims=True)) ** 2)
    np.testing.assert_allclose(losses.attention_loss(s4, t, mask), expected, rtol=1e-5)


@pytest.mark.parametrize("temperature", [1.0, 2.5])
def test_soft_cross_entropy(temperature):
    zs, zt = rng.normal(size=(4, 3)).astype("f4"), rng.normal(size=(4, 3)).astype("f4")

    def softmax(z):
        e = np.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    expected = np.mean(-np.sum(softmax(zt / temperature) * np.log(softmax(zs / temperature)), -1))
    np.testing.assert_allclose(losses.prediction_loss(zs, zt, temperature), expected, rtol=1e-5)
    np.testing.assert_allclose(losses.prediction_loss(zs[:, :1], zt[:, :1], regression=True),
                               np.mean((zs[:, :1] - zt[:, :1]) ** 2), rtol=1e-5)


def test_layer_mapping():
    assert layer_mapping(4, 12) == [3, 6, 9, 12]
    assert layer_mapping(4, 6) == [2, 3, 5, 6]
    assert layer_mapping(2, 6, "top") == [5, 6] and layer_mapping(2, 6, "bottom") == [1, 2]
    assert layer_mapping(3, 6, [2, 4, 6]) == [2, 4, 6]
    assert parse_layer_mapping("1,3") == [1, 3] and parse_layer_mapping("top") == "top"
    for args, message in [((3, 6, [1, 2]), "has 2 entries"), ((2, 6, [0, 7]), "outside 1..6"),
                          ((2, 6, [4, 2]), "must not decrease"), ((8, 6), "only 6"),
                          ((2, 6, "middle"), "Unknown layer mapping")]:
        with pytest.raises(ValueError, match=message):
            layer_mapping(*args)


def test_losses_compute_in_float32_from_bfloat16_outputs():
    """Mixed precision: the models hand bfloat16 tensors to the losses, which upcast first."""
    import numpy as np
    from tinybert_tf import losses
    from tinybert_tf.backend import tf

    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(2, 4, 8, 8)).astype(np.float32), rng.normal(size=(2, 4, 8, 8)).astype(np.float32)
    mask = np.ones((2, 8), np.int32)
    full = losses.attention_loss(tf.constant(s), tf.constant(t), mask)
    half = losses.attention_loss(tf.cast(s, tf.bfloat16), tf.cast(t, tf.bfloat16), mask)
    assert half.dtype == tf.float32 and abs(float(half) - float(full)) < 1e-2 * float(full)
    logits = tf.cast(rng.normal(size=(4, 3)).astype(np.float32), tf.bfloat16)
    assert losses.soft_cross_entropy(logits, logits).dtype == tf.float32
