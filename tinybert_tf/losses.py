"""TinyBERT's distillation losses (Jiao et al. 2020, eqs. 7-12), as plain TF functions.

Shapes: hidden states (batch, seq, hidden); attention scores (batch, heads, seq, seq),
PRE-softmax, unmasked (as `BertEncoder` returns them); `attention_mask` (batch, seq),
1 for real tokens. Every loss is a mean over its elements, as the official code's
`MSELoss()` is. Under a mixed-precision policy the models compute in bfloat16; every loss
computes in float32 (its inputs are cast first), as Keras' mixed-precision guide asks.
"""

from tinybert_tf.backend import tf


def _f32(x):
    return x if x.dtype == tf.float32 else tf.cast(x, tf.float32)


def mse(a, b):
    return tf.reduce_mean(tf.math.squared_difference(_f32(a), _f32(b)))


def hidden_loss(student_hidden, teacher_hidden, projection=None):
    """MSE(H_S W_h, H_T): `projection` maps the student width to the teacher's (eq. 8);
    it also serves the embedding loss (eq. 9), with the embedding outputs as inputs."""
    if projection is not None:
        student_hidden = projection(student_hidden)
    return mse(student_hidden, teacher_hidden)


def match_heads(student_scores, teacher_scores):
    """Bring teacher attention scores to the student's head count.

    Equal counts: unchanged (per-head MSE, as the paper). Teacher heads a multiple of the
    student's: consecutive groups of teacher heads are averaged, so each student head
    learns the mean map of its group. Otherwise both sides are averaged over all heads.
    Returns (student, teacher) of equal shape.
    """
    s_heads, t_heads = student_scores.shape[1], teacher_scores.shape[1]
    if s_heads == t_heads:
        return student_scores, teacher_scores
    if t_heads % s_heads == 0:
        shape = tf.shape(teacher_scores)
        grouped = tf.reshape(teacher_scores, [shape[0], s_heads, t_heads // s_heads, shape[2], shape[3]])
        return student_scores, tf.reduce_mean(grouped, axis=2)
    return (tf.reduce_mean(student_scores, axis=1, keepdims=True),
            tf.reduce_mean(teacher_scores, axis=1, keepdims=True))


def attention_loss(student_scores, teacher_scores, attention_mask):
    """MSE between pre-softmax attention matrices (eq. 7), heads matched by
    `match_heads`. Scores at padded KEY positions are set to 0 on both sides, as the
    official code does (it zeroes entries <= -1e2 after adding the -1e4 mask)."""
    student_scores, teacher_scores = match_heads(_f32(student_scores), _f32(teacher_scores))
    keep = tf.cast(attention_mask, tf.float32)[:, None, None, :]
    return mse(student_scores * keep, teacher_scores * keep)


def _soft_cross_entropies(student_logits, teacher_logits, temperature=1.0, additive_mask=0.0):
    """-sum softmax(z_T/t + m) * log_softmax(z_S/t + m) over the last axis, one value per
    row (`m`: 0, or -1e9 where a position must stay out of both softmaxes)."""
    targets = tf.nn.softmax(_f32(teacher_logits) / temperature + additive_mask, axis=-1)
    log_probs = tf.nn.log_softmax(_f32(student_logits) / temperature + additive_mask, axis=-1)
    return -tf.reduce_sum(targets * log_probs, axis=-1)


def soft_cross_entropy(student_logits, teacher_logits, temperature=1.0):
    """Prediction-layer loss (eq. 10): -sum softmax(z_T/t) * log_softmax(z_S/t), batch mean."""
    return tf.reduce_mean(_soft_cross_entropies(student_logits, teacher_logits, temperature))


def token_soft_cross_entropy(student_logits, teacher_logits, mask, temperature=1.0):
    """Per-token prediction loss (token classification): soft cross-entropy over the tags
    at each position where `mask` is 1 (a word's first WordPiece), mean over those."""
    per_token = _soft_cross_entropies(student_logits, teacher_logits, temperature)
    mask = tf.cast(mask, tf.float32)
    return tf.reduce_sum(per_token * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def span_soft_cross_entropy(student, teacher, attention_mask, temperature=1.0):
    """Extractive QA's prediction loss: soft cross-entropy between the teacher's and the
    student's distributions over positions, for the start and for the end (mean of the
    two); padded positions are left out of both softmaxes."""
    pad = (1.0 - tf.cast(attention_mask, tf.float32)) * -1e9
    return 0.5 * sum(tf.reduce_mean(_soft_cross_entropies(student[name], teacher[name], temperature, pad))
                     for name in ("start_logits", "end_logits"))


def prediction_loss(student_logits, teacher_logits, temperature=1.0, regression=False):
    """Soft cross-entropy for classification; MSE on logits for regression tasks."""
    if regression:
        return mse(student_logits, teacher_logits)
    return soft_cross_entropy(student_logits, teacher_logits, temperature)
