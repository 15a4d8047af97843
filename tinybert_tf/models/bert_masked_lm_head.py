"""`BertMaskedLMHead`: HF's `cls.predictions`, used to propose words for data augmentation."""

from tinybert_tf.backend import keras, tf
from tinybert_tf.models.bert_encoder import _activation


@keras.saving.register_keras_serializable(package="tinybert_tf")
class BertMaskedLMHead(keras.layers.Layer):
    """Masked-LM head: Dense + activation + LayerNorm, then scores against the word
    embeddings (tied, as in BERT) plus a bias. (batch, seq, hidden) -> (batch, seq, vocab).

    Args:
        config: the encoder's `BertConfig`.
        word_embeddings: the encoder's word `Embedding` layer, whose matrix is the decoder.

    Example:
    ```python
    head = BertMaskedLMHead(encoder.config, encoder.get_layer("word_embeddings"))
    logits = head(encoder(inputs)["sequence_output"])
    ```
    """

    def __init__(self, config, word_embeddings, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.word_embeddings = word_embeddings
        # A new initializer per layer: one shared instance gives same-shaped layers equal weights.
        def init():
            return keras.initializers.TruncatedNormal(stddev=config.initializer_range)

        self.transform_dense = keras.layers.Dense(
            config.hidden_size, activation=_activation(config), kernel_initializer=init(), name="transform_dense"
        )
        self.transform_layer_norm = keras.layers.LayerNormalization(
            epsilon=config.layer_norm_eps, name="transform_layer_norm"
        )

    def build(self, input_shape):
        self.transform_dense.build(input_shape)
        self.transform_layer_norm.build(input_shape[:-1] + (self.config.hidden_size,))
        self.bias = self.add_weight(name="bias", shape=(self.config.vocab_size,), initializer="zeros")
        super().build(input_shape)

    def call(self, sequence_output):
        x = self.transform_layer_norm(self.transform_dense(sequence_output))
        return tf.matmul(x, self.word_embeddings.embeddings, transpose_b=True) + self.bias

    def get_prunable_weights(self):
        return [self.transform_dense.kernel]
