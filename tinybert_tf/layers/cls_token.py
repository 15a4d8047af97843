"""Selects the first ([CLS]) token of a sequence."""

from tinybert_tf.backend import keras


@keras.saving.register_keras_serializable(package="tinybert_tf")
class ClsToken(keras.layers.Layer):
    """(batch, seq_len, hidden) -> (batch, hidden): the [CLS] position, BERT's pooler input.

    A layer rather than `x[:, 0]` in the functional graph so that the model has no
    `TFOpLambda` layers, which tfmot's whole-model pruning refuses.
    """

    def call(self, inputs):
        return inputs[:, 0, :]

    def get_prunable_weights(self):
        return []
