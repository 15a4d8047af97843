"""`BertQuestionAnswerer`: encoder + a 2-unit dense head giving each token a start and
an end score, HF's `BertForQuestionAnswering` (extractive QA, SQuAD)."""

from tinybert_tf.backend import keras
from tinybert_tf.models.bert_encoder import BertEncoder
from tinybert_tf.models.output_views import DistillationOutputsMixin, with_distillation_outputs


@keras.saving.register_keras_serializable(package="tinybert_tf")
class BertQuestionAnswerer(DistillationOutputsMixin, keras.Model):
    """Span scores for extractive question answering.

    Input: `[CLS] question [SEP] context [SEP]` (a tokenizer pair). Outputs a dict
    `start_logits`, `end_logits`, each (batch, seq), as HF's `BertForQuestionAnswering`
    (no dropout before the head; its weights are `qa_outputs.*`, start row first); with an
    encoder built with `distillation_outputs=True`, also `hidden_states` and
    `attention_scores`.

    Args:
        encoder: a `BertEncoder`.

    Example:
    ```python
    qa = BertQuestionAnswerer(BertEncoder(config))
    out = qa(tokenizer(["Who?"], ["Ada wrote it."], max_length=32))
    start, end = out["start_logits"].numpy().argmax(-1), out["end_logits"].numpy().argmax(-1)
    ```
    """

    task_kind = "span"  # a start and an end score per token: what distillation and evaluation compare

    def __init__(self, encoder, **kwargs):
        if isinstance(encoder, dict):
            encoder = keras.saving.deserialize_keras_object(encoder)
        config = encoder.config
        inputs = {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in encoder.input_names}
        encoded = encoder(inputs)
        scores = keras.layers.Dense(
            2, kernel_initializer=keras.initializers.TruncatedNormal(stddev=config.initializer_range),
            name="qa_outputs")(encoded["sequence_output"])
        outputs = with_distillation_outputs(encoder, encoded,
                                            {"start_logits": scores[..., 0], "end_logits": scores[..., 1]})
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.encoder = encoder

    def get_config(self):
        return {"encoder": keras.saving.serialize_keras_object(self.encoder), "name": self.name}

    @property
    def has_distillation_outputs(self):
        return self.encoder.distillation_outputs

    def _build_variant(self, distillation_outputs):
        encoder = BertEncoder(self.encoder.config, distillation_outputs=distillation_outputs, name=self.encoder.name)
        return BertQuestionAnswerer(encoder, name=self.name)
