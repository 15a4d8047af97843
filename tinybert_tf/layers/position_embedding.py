"""Learned absolute position embeddings for a dynamic sequence length."""

from tinybert_tf.backend import keras, tf


@keras.saving.register_keras_serializable(package="tinybert_tf")
class PositionEmbedding(keras.layers.Layer):
    """Adds nothing; returns the first `seq_len` rows of a learned position table,
    broadcast to the shape of `inputs` (batch, seq_len, hidden).

    Args:
        sequence_length: number of rows (HF `max_position_embeddings`).
        initializer: initializer of the table.

    Example:
    ```python
    x = keras.layers.Embedding(30522, 312)(input_ids)
    x = x + PositionEmbedding(512)(x)
    ```
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.sequence_length, int(input_shape[-1])),
            initializer=self.initializer,
            trainable=True,
        )
        super().build(input_shape)

    def call(self, inputs):
        seq_len = tf.shape(inputs)[1]
        # tf.slice keeps the TFLite graph to builtin ops (no strided slice on bools).
        table = tf.slice(self.embeddings, [0, 0], tf.stack([seq_len, -1]))
        return tf.broadcast_to(tf.expand_dims(table, 0), tf.shape(inputs))

    def get_prunable_weights(self):
        return []  # positions are few and dense; pruning them saves nothing

    def get_config(self):
        config = super().get_config()
        config.update({
            "sequence_length": self.sequence_length,
            "initializer": keras.initializers.serialize(self.initializer),
        })
        return config
