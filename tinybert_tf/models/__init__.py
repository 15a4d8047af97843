from tinybert_tf.models.bert_classifier import BertClassifier
from tinybert_tf.models.bert_encoder import BertEncoder
from tinybert_tf.models.bert_masked_lm_head import BertMaskedLMHead
from tinybert_tf.models.bert_question_answerer import BertQuestionAnswerer
from tinybert_tf.models.bert_token_classifier import BertTokenClassifier

__all__ = ["BertEncoder", "BertClassifier", "BertMaskedLMHead", "BertQuestionAnswerer", "BertTokenClassifier"]
