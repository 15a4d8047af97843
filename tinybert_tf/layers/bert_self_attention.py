"""BERT self-attention that also returns the PRE-softmax scores TinyBERT distils."""

import contextlib
import math

from tinybert_tf.backend import keras, tf
from tinybert_tf.layers.dropout import stateful_dropout

# Added to masked scores before the softmax. -1e4 as in the original BERT: large enough
# that exp() underflows to exactly 0 in float32, small enough to survive float16 export.
MASK_ADDER = -10000.0
# For full-integer TFLite export. The masked scores are one int8 tensor with one scale over
# its whole range: with -1e4 in it a step is ~40, every real score (|s| < ~20) rounds to the
# same value and attention turns uniform (the student lost 8 points). With -20 a masked key
# still gets at most exp(-20) ~ 2e-9 of the weight of an unmasked one of equal score.
QUANTIZATION_MASK_ADDER = -20.0


@contextlib.contextmanager
def mask_adder(value):
    """Trace attention with another masked-score adder inside this block (export only)."""
    global MASK_ADDER
    previous, MASK_ADDER = MASK_ADDER, float(value)
    try:
        yield
    finally:
        MASK_ADDER = previous


@keras.saving.register_keras_serializable(package="tinybert_tf")
class BertSelfAttention(keras.layers.MultiHeadAttention):
    """`keras.layers.MultiHeadAttention` with BERT's masking and pre-softmax scores.

    Differences from the parent, all in `_compute_attention`:
    - `attention_mask` may be a padding mask of shape (batch, seq_len), 1 for real
      tokens, as HF passes it; (batch, T, S) masks work as in the parent.
    - masked scores get `MASK_ADDER` and go through one `tf.nn.softmax` on the last
      axis (a single builtin SOFTMAX op in TFLite).
    - with `return_attention_scores=True` the second output is the scaled dot product
      q.k/sqrt(d) BEFORE masking and softmax, shape (batch, heads, T, S): the
      attention matrix TinyBERT's attention loss compares. Padded key positions hold
      unmasked values; the loss must neutralise them (see `attention_mask`).

    Weights keep the parent's layout (query/key/value kernels (hidden, heads,
    head_size), output kernel (heads, head_size, hidden)), so head pruning slices one
    axis.

    Example:
    ```python
    attention = BertSelfAttention(num_heads=12, key_dim=32)
    out, scores = attention(x, value=x, attention_mask=mask, return_attention_scores=True)
    ```
    """

    def _build_attention(self, rank):
        super()._build_attention(rank)
        # The parent's attention dropout uses legacy stateful ops; see `stateful_dropout`.
        self._dropout_layer = stateful_dropout(self._dropout)
        # `_compute_attention` uses tf.nn.softmax, never the parent's Softmax layer; mark
        # that weightless layer built so SavedModel/TFLite tracing does not warn about it.
        self._softmax.built = True

    def _compute_attention(self, query, key, value, attention_mask=None, training=None):
        query = tf.multiply(query, 1.0 / math.sqrt(float(self._key_dim)))
        scores = tf.einsum(self._dot_product_equation, key, query)  # (B, N, T, S)
        logits = scores
        if attention_mask is not None:
            mask = tf.cast(attention_mask, scores.dtype)
            # (B, S) -> (B, 1, 1, S); (B, T, S) -> (B, 1, T, S). expand_dims, not
            # [:, None], keeps the exported graph free of Flex ops.
            for _ in range(len(scores.shape) - len(mask.shape)):
                mask = tf.expand_dims(mask, axis=1)
            logits = scores + (1.0 - mask) * MASK_ADDER
        if logits.dtype == tf.float32:
            probs = tf.nn.softmax(logits, axis=-1)
        else:  # mixed precision: the softmax in float32 (bfloat16 exp/sum loses the small probabilities)
            probs = tf.cast(tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1), logits.dtype)
        probs = self._dropout_layer(probs, training=training)
        output = tf.einsum(self._combine_equation, probs, value)
        return output, scores

    def get_prunable_weights(self):
        return [
            self._query_dense.kernel,
            self._key_dense.kernel,
            self._value_dense.kernel,
            self._output_dense.kernel,
        ]
