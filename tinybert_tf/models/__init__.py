from tinybert_tf.models.bert_classifier import BertClassifier
from tinybert_tf.models.bert_encoder import BertEncoder
from tinybert_tf.models.bert_masked_lm_head import BertMaskedLMHead
from tinybert_tf.models.bert_question_answerer import BertQuestionAnswerer
from tinybert_tf.models.bert_token_classifier import BertTokenClassifier

# Models with a task head on a BertEncoder (`.encoder`): what task distillation trains.
TASK_MODELS = (BertClassifier, BertTokenClassifier, BertQuestionAnswerer)


def encoder_of(model):
    """The `BertEncoder` of a task model, or `model` itself when it is an encoder."""
    return model.encoder if isinstance(model, TASK_MODELS) else model


__all__ = ["BertEncoder", "BertClassifier", "BertMaskedLMHead", "BertQuestionAnswerer", "BertTokenClassifier",
           "TASK_MODELS", "encoder_of"]
