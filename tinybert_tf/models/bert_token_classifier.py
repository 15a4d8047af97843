"""`BertTokenClassifier`: encoder + dropout + dense head on every token, HF's
`BertForTokenClassification` (tagging: named entities, parts of speech)."""

from tinybert_tf.backend import keras
from tinybert_tf.models.bert_encoder import BertEncoder
from tinybert_tf.models.output_views import DistillationOutputsMixin, dropout_dense_head, with_distillation_outputs


@keras.saving.register_keras_serializable(package="tinybert_tf")
class BertTokenClassifier(DistillationOutputsMixin, keras.Model):
    """One label per WordPiece, on the encoder's last hidden states.

    Outputs logits of shape (batch, seq, num_labels); with an encoder built with
    `distillation_outputs=True`, a dict: `logits`, `hidden_states`, `attention_scores`.
    The head's weights are HF's `classifier.*`, as in `BertForTokenClassification`.

    Args:
        encoder: a `BertEncoder`.
        num_labels: number of tags.
        dropout: dropout before the head (defaults to the encoder's hidden dropout).

    Example:
    ```python
    tagger = BertTokenClassifier(BertEncoder(config), num_labels=9)
    logits = tagger(tokenizer(["John lives in Paris"], max_length=16))   # (1, 16, 9)
    ```
    """

    task_kind = "token"  # a tag per token: what distillation and evaluation compare

    def __init__(self, encoder, num_labels, dropout=None, **kwargs):
        if isinstance(encoder, dict):
            encoder = keras.saving.deserialize_keras_object(encoder)
        if num_labels < 2:
            raise ValueError(f"A token classifier needs num_labels >= 2, got {num_labels}.")
        inputs, encoded, logits, dropout = dropout_dense_head(encoder, "sequence_output", num_labels, dropout)
        super().__init__(inputs=inputs, outputs=with_distillation_outputs(encoder, encoded, logits), **kwargs)
        self.encoder = encoder
        self.num_labels = int(num_labels)
        self.dropout = float(dropout)

    def get_config(self):
        return {"encoder": keras.saving.serialize_keras_object(self.encoder), "num_labels": self.num_labels,
                "dropout": self.dropout, "name": self.name}

    @property
    def has_distillation_outputs(self):
        return self.encoder.distillation_outputs

    def _build_variant(self, distillation_outputs):
        encoder = BertEncoder(self.encoder.config, distillation_outputs=distillation_outputs, name=self.encoder.name)
        return BertTokenClassifier(encoder, self.num_labels, dropout=self.dropout, name=self.name)
