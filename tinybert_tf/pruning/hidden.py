"""Structured pruning of the hidden size: the same residual-stream units removed from the
embeddings, every layer's inputs and outputs, every LayerNorm and the pooler (as CoFi's
hidden mask does, Xia et al. 2022), leaving an ordinary narrower BERT.

Importance: every LayerNorm ends in `gamma_j * x_hat_j + beta_j`, so a gate z_j on unit j
of the residual stream (shared by all LayerNorms) has dL/dz_j = sum over LayerNorms of
gamma_j dL/dgamma_j + beta_j dL/dbeta_j; the score is its absolute value summed over
batches, the same first-order rule (Michel et al., 2019) `structured` uses for heads.

Heads keep their size (HF: head size = hidden_size / num_attention_heads), so a hidden
size of H' allows at most H' / head_size heads a layer: `prune_hidden` drops the least
important heads beyond that. The kept units' positions give the projection a distiller
needs to compare the narrow student with the wide teacher: `selection_projection`, the
0/1 matrix that puts unit j back at its original index (exact at the start).
"""

import dataclasses
from typing import Dict, List, Optional

import numpy as np

from tinybert_tf.models import BertClassifier
from tinybert_tf.pruning.rebuild import rebuilt_classifier
from tinybert_tf.pruning.structured import task_loss_gradients, top_heads


def _layer_norms(encoder) -> List:
    names = ["embeddings_layer_norm"] + [f"layer_{i}_{part}_layer_norm" for i in range(encoder.config.num_hidden_layers)
                                         for part in ("attention", "output")]
    return [encoder.get_layer(n) for n in names]


def hidden_importance(classifier: BertClassifier, features: Dict[str, np.ndarray], labels: np.ndarray,
                      batch_size: int = 8) -> np.ndarray:
    """One score per hidden unit (see the module doc); higher = more important."""
    norms = _layer_norms(classifier.encoder)
    variables = [v for n in norms for v in (n.gamma, n.beta)]
    scores = np.zeros(classifier.encoder.config.hidden_size)
    for grads in task_loss_gradients(classifier, features, labels, variables, batch_size):
        scores += np.abs(sum((v * g).numpy() for v, g in zip(variables, grads)))
    return scores


def prune_hidden(classifier: BertClassifier, hidden_scores: np.ndarray, hidden_size: int,
                 head_scores: Optional[List[np.ndarray]] = None):
    """A narrower `BertClassifier` keeping the `hidden_size` most important hidden units.

    Layers with more than `hidden_size / head_size` heads keep the most important ones
    (`head_scores`, from `structured.importance_scores`; required then).

    Returns (classifier, kept_units, kept_heads): `kept_units[j]` is unit j's index in the
    original; `kept_heads[i]` the indices of layer i's heads that stayed."""
    config = classifier.encoder.config
    head_size = config.head_size
    if not 0 < hidden_size <= config.hidden_size or hidden_size % head_size:
        raise ValueError(f"hidden_size={hidden_size}: use a multiple of the head size {head_size} between "
                         f"{head_size} and {config.hidden_size} (heads keep their size).")
    num_heads = hidden_size // head_size
    kept = np.sort(np.argsort(-np.asarray(hidden_scores), kind="stable")[:hidden_size])
    kept_heads, pruned_heads = [], {}
    for i in range(config.num_hidden_layers):
        n = config.heads_in_layer(i)
        if n > num_heads:
            if head_scores is None:
                raise ValueError(f"Layer {i} has {n} heads; hidden size {hidden_size} leaves room for {num_heads}: "
                                 "pass head_scores so the least important ones go.")
            heads = top_heads(head_scores[i], num_heads)
        else:
            heads = np.arange(n)
        kept_heads.append(heads)
        if len(heads) < num_heads:  # HF records a count of removed heads in the new numbering
            pruned_heads[i] = list(range(len(heads), num_heads))

    def reshape(name, weights):
        if name in ("word_embeddings", "position_embeddings", "token_type_embeddings"):
            return [weights[0][:, kept]]
        if name.endswith("layer_norm"):
            return [w[kept] for w in weights]
        if name == "pooler_dense":
            return [weights[0][kept][:, kept], weights[1][kept]]
        if name.endswith("_attention"):
            h = kept_heads[int(name.split("_")[1])]
            q, qb, k, kb, v, vb, o, ob = weights
            return [q[kept][:, h], qb[h], k[kept][:, h], kb[h], v[kept][:, h], vb[h], o[h][..., kept], ob[kept]]
        if name.endswith("_intermediate"):
            return [weights[0][kept], weights[1]]
        if name.endswith("_output"):
            return [weights[0][:, kept], weights[1][kept]]
        return weights

    new_config = dataclasses.replace(config, hidden_size=hidden_size, num_attention_heads=num_heads,
                                     pruned_heads=pruned_heads)
    head = classifier.get_layer("classifier").get_weights()
    new = rebuilt_classifier(classifier, new_config, reshape, head=[head[0][kept], head[1]])
    return new, kept, kept_heads


def selection_projection(kept_units: np.ndarray, teacher_hidden: int) -> Dict[str, np.ndarray]:
    """The shared projection (`fit_dense`, PyTorch layout: weight (teacher, student)) that
    puts each kept unit back at its original index: W x = x scattered into the wide space."""
    weight = np.zeros((teacher_hidden, len(kept_units)), np.float32)
    weight[np.asarray(kept_units), np.arange(len(kept_units))] = 1.0
    return {"fit_dense.weight": weight, "fit_dense.bias": np.zeros(teacher_hidden, np.float32)}
