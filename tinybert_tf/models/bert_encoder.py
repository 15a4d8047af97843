"""`BertEncoder`: a BERT encoder as a functional tf_keras model of built-in layers."""

from tinybert_tf.backend import keras, tf
from tinybert_tf.config import BertConfig
from tinybert_tf.layers import BertSelfAttention, ClsToken, PositionEmbedding, stateful_dropout
from tinybert_tf.models.output_views import DistillationOutputsMixin

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


@keras.saving.register_keras_serializable(package="tinybert_tf")
def gelu_approximate(x):
    """tanh-approximated GELU (HF `gelu_new` / `gelu_pytorch_tanh`)."""
    return tf.nn.gelu(x, approximate=True)


def _activation(config):
    return gelu_approximate if config.keras_activation == "gelu_approximate" else config.keras_activation


@keras.saving.register_keras_serializable(package="tinybert_tf")
class BertEncoder(DistillationOutputsMixin, keras.Model):
    """BERT encoder with the architecture of HF's `BertModel`, as a functional tf_keras model.

    Inputs: a dict of int32 tensors of shape (batch, seq_len), any seq_len up to
    `config.max_position_embeddings`: `input_ids`, `attention_mask` (1 = real token),
    `token_type_ids`.

    Outputs: a dict with `sequence_output` (batch, seq_len, hidden) and `pooled_output`
    (batch, hidden: tanh(Dense([CLS])), HF's pooler). With `distillation_outputs=True` it
    also has `hidden_states`, a list of num_layers + 1 tensors (embedding output first),
    and `attention_scores`, a list of num_layers tensors (batch, heads, seq, seq) of
    PRE-softmax scores, unmasked. The inference model leaves those out; both variants
    have the same layers and weights, so `as_inference_model()` /
    `as_distillation_model()` convert with an exact weight copy.

    Every layer is a built-in Keras layer or a small custom layer with
    `get_prunable_weights`, so tfmot can wrap the whole model. The graph converts to
    TFLite with builtin ops only.

    Args:
        config: a `BertConfig`.
        distillation_outputs: also output every hidden state and attention score.

    Example:
    ```python
    encoder = BertEncoder(BertConfig(num_hidden_layers=2, hidden_size=32,
                                     num_attention_heads=2, intermediate_size=64))
    outputs = encoder({"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    outputs["pooled_output"]  # (batch, 32)
    ```
    """

    def __init__(self, config, distillation_outputs=False, **kwargs):
        if isinstance(config, dict):
            config = BertConfig.from_config(config)
        # A new initializer per layer: one shared instance gives same-shaped layers equal weights.
        def init():
            return keras.initializers.TruncatedNormal(stddev=config.initializer_range)

        inputs = {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in INPUT_NAMES}

        word = keras.layers.Embedding(
            config.vocab_size, config.hidden_size, embeddings_initializer=init(), name="word_embeddings"
        )(inputs["input_ids"])
        position = PositionEmbedding(
            config.max_position_embeddings, initializer=init(), name="position_embeddings"
        )(word)
        token_type = keras.layers.Embedding(
            config.type_vocab_size, config.hidden_size, embeddings_initializer=init(),
            name="token_type_embeddings",
        )(inputs["token_type_ids"])
        x = keras.layers.Add(name="embeddings_add")([word, position, token_type])
        x = keras.layers.LayerNormalization(epsilon=config.layer_norm_eps, name="embeddings_layer_norm")(x)
        x = stateful_dropout(config.hidden_dropout_prob, "embeddings_dropout")(x)

        hidden_states, attention_scores = [x], []
        for i in range(config.num_hidden_layers):
            x, scores = self._transformer_layer(x, inputs["attention_mask"], config, init, i)
            hidden_states.append(x)
            attention_scores.append(scores)

        pooled = keras.layers.Dense(
            config.hidden_size, activation="tanh", kernel_initializer=init(), name="pooler_dense"
        )(ClsToken(name="cls_token")(x))

        outputs = {"sequence_output": x, "pooled_output": pooled}
        if distillation_outputs:
            outputs["hidden_states"] = hidden_states
            outputs["attention_scores"] = attention_scores
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        self.config = config
        self.distillation_outputs = bool(distillation_outputs)

    @staticmethod
    def _transformer_layer(x, attention_mask, config, init, index):
        prefix = f"layer_{index}"
        attention, scores = BertSelfAttention(
            num_heads=config.heads_in_layer(index),
            key_dim=config.head_size,
            dropout=config.attention_probs_dropout_prob,
            kernel_initializer=init(),
            name=f"{prefix}_attention",
        )(x, value=x, attention_mask=attention_mask, return_attention_scores=True)
        attention = stateful_dropout(config.hidden_dropout_prob, f"{prefix}_attention_dropout")(attention)
        x = keras.layers.Add(name=f"{prefix}_attention_add")([x, attention])
        x = keras.layers.LayerNormalization(
            epsilon=config.layer_norm_eps, name=f"{prefix}_attention_layer_norm"
        )(x)
        h = keras.layers.Dense(
            config.intermediate_size, activation=_activation(config), kernel_initializer=init(),
            name=f"{prefix}_intermediate",
        )(x)
        h = keras.layers.Dense(config.hidden_size, kernel_initializer=init(), name=f"{prefix}_output")(h)
        h = stateful_dropout(config.hidden_dropout_prob, f"{prefix}_output_dropout")(h)
        x = keras.layers.Add(name=f"{prefix}_output_add")([x, h])
        x = keras.layers.LayerNormalization(epsilon=config.layer_norm_eps, name=f"{prefix}_output_layer_norm")(x)
        return x, scores

    def get_config(self):
        return {
            "config": self.config.get_config(),
            "distillation_outputs": self.distillation_outputs,
            "name": self.name,
        }

    @property
    def has_distillation_outputs(self):
        return self.distillation_outputs

    def _build_variant(self, distillation_outputs):
        return BertEncoder(self.config, distillation_outputs=distillation_outputs, name=self.name)
