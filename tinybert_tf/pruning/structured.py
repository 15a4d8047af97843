"""Structured pruning of attention heads and FFN neurons.

Ranked by the first-order importance of Michel et al. (2019), "Are Sixteen Heads Really
Better than One?": I = |sum over dev batches of dL/dxi| for a gate xi on each head's (or
neuron's) output. That gradient equals the sum of W * dL/dW over the head's (neuron's)
slice of the following output kernel, so no gates are inserted. The result is an
ordinary smaller BERT: `intermediate_size` shrinks, removed heads are written to
`config.pruned_heads` as Hugging Face records them.
"""

import dataclasses
from typing import Dict

import numpy as np

from tinybert_tf.backend import keras, tf
from tinybert_tf.models import BertClassifier
from tinybert_tf.pruning.rebuild import rebuilt_classifier


def task_loss_gradients(classifier: BertClassifier, features: Dict[str, np.ndarray], labels: np.ndarray,
                        variables, batch_size: int = 8):
    """Per batch of labelled data, the gradients of the task loss (cross-entropy; MSE for
    regression) with respect to `variables`: what the first-order importances sum."""
    regression = classifier.num_labels == 1
    for start in range(0, len(labels), batch_size):
        x = {k: v[start:start + batch_size] for k, v in features.items()}
        y = labels[start:start + batch_size]
        with tf.GradientTape() as tape:
            logits = classifier(x, training=False)
            if regression:
                loss = tf.reduce_mean(tf.square(logits[:, 0] - y))
            else:
                loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        yield tape.gradient(loss, variables)


def importance_scores(classifier: BertClassifier, features: Dict[str, np.ndarray], labels: np.ndarray,
                      batch_size: int = 8):
    """Michel et al. (2019) importance of every head and FFN neuron on labelled data.

    Returns (heads, neurons): lists over layers of arrays, one score per head / neuron."""
    encoder = classifier.encoder
    config = encoder.config
    out_kernels, ffn_kernels = [], []
    for i in range(config.num_hidden_layers):
        out_kernels.append(encoder.get_layer(f"layer_{i}_attention")._output_dense.kernel)
        ffn_kernels.append(encoder.get_layer(f"layer_{i}_output").kernel)
    heads = [np.zeros(k.shape[0]) for k in out_kernels]
    neurons = [np.zeros(k.shape[0]) for k in ffn_kernels]
    for grads in task_loss_gradients(classifier, features, labels, out_kernels + ffn_kernels, batch_size):
        for i, (k, g) in enumerate(zip(out_kernels, grads[:len(out_kernels)])):
            heads[i] += np.abs((k * g).numpy().sum(axis=(1, 2)))       # (heads, head_size, hidden)
        for i, (k, g) in enumerate(zip(ffn_kernels, grads[len(out_kernels):])):
            neurons[i] += np.abs((k * g).numpy().sum(axis=1))           # (intermediate, hidden)
    return heads, neurons


def top_heads(scores, keep: int) -> np.ndarray:
    """Indices of the `keep` highest scores, in their original order (the heads a layer keeps)."""
    return np.sort(np.argsort(-np.asarray(scores), kind="stable")[:keep])


def prune_heads_and_neurons(classifier: BertClassifier, head_scores, neuron_scores, heads_fraction: float = 0.0,
                            ffn_fraction: float = 0.0) -> BertClassifier:
    """A smaller `BertClassifier`: in every layer the `heads_fraction` least important
    heads and `ffn_fraction` least important FFN neurons removed (at least one head and one
    neuron stay; the same count in every layer, so `intermediate_size` stays one number)."""
    for name, value in (("heads_fraction", heads_fraction), ("ffn_fraction", ffn_fraction)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {value}.")
    config = classifier.encoder.config
    keep_ffn = max(1, int(round(config.intermediate_size * (1.0 - ffn_fraction))))
    kept_heads, kept_neurons, pruned_heads = [], [], {}
    for i in range(config.num_hidden_layers):
        n = config.heads_in_layer(i)
        keep = max(1, int(round(n * (1.0 - heads_fraction))))
        kept = top_heads(head_scores[i], keep)
        kept_heads.append(kept)
        # Head indices in the original (unpruned) numbering, as HF's pruned_heads holds them.
        original = [h for h in range(config.num_attention_heads) if h not in config.pruned_heads.get(i, [])]
        removed = sorted(set(config.pruned_heads.get(i, [])) | {original[j] for j in range(n) if j not in kept})
        if removed:
            pruned_heads[i] = removed
        kept_neurons.append(np.sort(np.argsort(-neuron_scores[i], kind="stable")[:keep_ffn]))

    def reshape(name, weights):
        if not name.startswith("layer_"):
            return weights
        i = int(name.split("_")[1])
        if name.endswith("_attention"):
            h = kept_heads[i]
            # q, k, v kernels (hidden, heads, d) and biases (heads, d); output (heads, d, hidden), bias.
            q, qb, k, kb, v, vb, o, ob = weights
            return [q[:, h], qb[h], k[:, h], kb[h], v[:, h], vb[h], o[h], ob]
        if name.endswith("_intermediate"):
            return [weights[0][:, kept_neurons[i]], weights[1][kept_neurons[i]]]
        if name.endswith("_output"):
            return [weights[0][kept_neurons[i]], weights[1]]
        return weights

    new_config = dataclasses.replace(config, intermediate_size=keep_ffn, pruned_heads=pruned_heads)
    return rebuilt_classifier(classifier, new_config, reshape)
