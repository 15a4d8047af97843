"""Switching a model between its inference and distillation outputs."""


class DistillationOutputsMixin:
    """`as_inference_model()` / `as_distillation_model()` for a model whose two variants
    have the same layers: the other variant is built by `_build_variant(flag)` and gets
    an exact copy of the weights."""

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # get_config returns exactly the constructor's arguments.
        return cls(**config)

    @property
    def has_distillation_outputs(self) -> bool:
        raise NotImplementedError

    def _build_variant(self, distillation_outputs: bool):
        raise NotImplementedError

    def _variant(self, distillation_outputs: bool):
        if distillation_outputs == self.has_distillation_outputs:
            return self
        other = self._build_variant(distillation_outputs)
        other.set_weights(self.get_weights())
        return other

    def as_inference_model(self):
        """This model without the distillation outputs (weights copied exactly)."""
        return self._variant(False)

    def as_distillation_model(self):
        """This model also outputting every hidden state and pre-softmax attention score."""
        return self._variant(True)


def dropout_dense_head(encoder, source, num_labels, dropout=None):
    """The classifier pattern both heads of HF's BERT classifiers share: the functional
    inputs, the encoder called on them, then dropout (the encoder's hidden dropout by
    default) and a `classifier` Dense on `source` (`pooled_output` for sequences,
    `sequence_output` for tokens). Returns (inputs, encoded, logits, dropout rate)."""
    from tinybert_tf.backend import keras
    from tinybert_tf.layers import stateful_dropout

    config = encoder.config
    dropout = config.hidden_dropout_prob if dropout is None else dropout
    inputs = {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in encoder.input_names}
    encoded = encoder(inputs)
    x = stateful_dropout(dropout, "classifier_dropout")(encoded[source])
    logits = keras.layers.Dense(
        num_labels, kernel_initializer=keras.initializers.TruncatedNormal(stddev=config.initializer_range),
        name="classifier")(x)
    return inputs, encoded, logits, dropout


def with_distillation_outputs(encoder, encoded, head_outputs):
    """A task model's outputs: the head's alone, or (an encoder built with
    `distillation_outputs=True`) a dict of the head's outputs (`logits` for a single
    tensor) with `hidden_states` and `attention_scores` beside them."""
    if not encoder.distillation_outputs:
        return head_outputs
    outputs = dict(head_outputs) if isinstance(head_outputs, dict) else {"logits": head_outputs}
    outputs.update(hidden_states=encoded["hidden_states"], attention_scores=encoded["attention_scores"])
    return outputs
