"""Custom layers of the BERT encoder. Each defines `get_prunable_weights` so that tfmot's
`prune_low_magnitude` accepts it when it wraps a whole model."""

from tinybert_tf.layers.bert_self_attention import BertSelfAttention
from tinybert_tf.layers.cls_token import ClsToken
from tinybert_tf.layers.dropout import dropout_rng_states, stateful_dropout
from tinybert_tf.layers.position_embedding import PositionEmbedding

__all__ = ["BertSelfAttention", "ClsToken", "PositionEmbedding", "dropout_rng_states", "stateful_dropout"]
