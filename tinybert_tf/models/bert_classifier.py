"""`BertClassifier`: encoder + dropout + dense head, HF's `BertForSequenceClassification`."""

from tinybert_tf.backend import keras
from tinybert_tf.models.bert_encoder import BertEncoder
from tinybert_tf.models.output_views import DistillationOutputsMixin, dropout_dense_head, with_distillation_outputs


@keras.saving.register_keras_serializable(package="tinybert_tf")
class BertClassifier(DistillationOutputsMixin, keras.Model):
    """Sequence classification (or regression, `num_labels=1`) on BERT's pooled output.

    Outputs logits of shape (batch, num_labels). When the encoder was built with
    `distillation_outputs=True` the output is a dict: `logits`, `hidden_states`,
    `attention_scores` (see `BertEncoder`).

    Args:
        encoder: a `BertEncoder`.
        num_labels: number of classes; 1 for a regression task.
        dropout: dropout before the head (defaults to the encoder's hidden dropout).

    Example:
    ```python
    model = BertClassifier(BertEncoder(config), num_labels=2)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(train_ds, validation_data=dev_ds)
    ```
    """

    task_kind = "sequence"  # one label (or score) per text or pair: what distillation and evaluation compare

    def __init__(self, encoder, num_labels, dropout=None, **kwargs):
        if isinstance(encoder, dict):
            encoder = keras.saving.deserialize_keras_object(encoder)
        if num_labels < 1:
            raise ValueError(f"num_labels must be >= 1 (1 means regression), got {num_labels}.")
        inputs, encoded, logits, dropout = dropout_dense_head(encoder, "pooled_output", num_labels, dropout)
        super().__init__(inputs=inputs, outputs=with_distillation_outputs(encoder, encoded, logits), **kwargs)
        self.encoder = encoder
        self.num_labels = int(num_labels)
        self.dropout = float(dropout)

    @property
    def is_regression(self):
        return self.num_labels == 1

    def get_config(self):
        return {
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "num_labels": self.num_labels,
            "dropout": self.dropout,
            "name": self.name,
        }

    @property
    def has_distillation_outputs(self):
        return self.encoder.distillation_outputs

    def _build_variant(self, distillation_outputs):
        encoder = BertEncoder(self.encoder.config, distillation_outputs=distillation_outputs, name=self.encoder.name)
        return BertClassifier(encoder, self.num_labels, dropout=self.dropout, name=self.name)
