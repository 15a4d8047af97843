from tinybert_tf.models.bert_classifier import BertClassifier
from tinybert_tf.models.bert_encoder import BertEncoder
from tinybert_tf.models.bert_masked_lm_head import BertMaskedLMHead

__all__ = ["BertEncoder", "BertClassifier", "BertMaskedLMHead"]
