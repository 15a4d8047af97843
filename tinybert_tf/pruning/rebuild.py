"""Shared by the structured prunings: rebuild a smaller classifier from a config with sliced
weights, and count what a model holds."""

import math
from typing import List, Optional

from tinybert_tf.config import BertConfig
from tinybert_tf.models import BertClassifier, BertEncoder


def rebuilt_classifier(classifier: BertClassifier, config: BertConfig, reshape, head=None) -> BertClassifier:
    """A classifier built from `config` holding `classifier`'s weights; each encoder layer's
    weights pass through `reshape(layer_name, weights)` (the slicing a pruning does);
    `head`: the classification layer's new weights (default: copied as they are)."""
    encoder = classifier.encoder
    new_encoder = BertEncoder(config, name=encoder.name)
    new = BertClassifier(new_encoder, classifier.num_labels, dropout=classifier.dropout, name=classifier.name)
    for layer in encoder.layers:
        if layer.weights:
            new_encoder.get_layer(layer.name).set_weights(reshape(layer.name, layer.get_weights()))
    new.get_layer("classifier").set_weights(head if head is not None else classifier.get_layer("classifier").get_weights())
    return new


def count_parameters(model) -> int:
    return int(sum(math.prod(w.shape) for w in model.weights))


def layer_sizes(config: BertConfig) -> List[Optional[int]]:
    return [config.heads_in_layer(i) for i in range(config.num_hidden_layers)]
