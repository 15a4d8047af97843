"""Pruning a student, one module a job:

- `magnitude`: tfmot magnitude pruning (unstructured or 2:4) inside the `Distiller`.
- `structured`: attention heads and FFN neurons by importance (Michel et al., 2019).
- `hidden`: hidden units (the residual stream's width) by the same rule, and the
  projection that compares the narrower student with its teacher.
- `vocabulary`: WordPiece rows the task does not use.
- `rebuild`: the smaller classifier a structured pruning leaves, parameter counts.
- `pipeline`: the prune stage (`PruneConfig`, `prune_student`); it runs distillation, so it
  is not imported here (the `Distiller` imports `magnitude`): `tinybert_tf.prune` gathers
  everything, the stage included.
"""

from tinybert_tf.pruning.hidden import hidden_importance, prune_hidden, selection_projection
from tinybert_tf.pruning.magnitude import (
    magnitude_pruning,
    pruning_callbacks,
    pruning_schedule,
    sparsity_report,
    strip_pruning,
)
from tinybert_tf.pruning.rebuild import count_parameters, layer_sizes, rebuilt_classifier
from tinybert_tf.pruning.structured import importance_scores, prune_heads_and_neurons
from tinybert_tf.pruning.vocabulary import SPECIAL_TOKENS, prune_vocabulary

__all__ = [
    "magnitude_pruning", "pruning_callbacks", "pruning_schedule", "sparsity_report", "strip_pruning",
    "count_parameters", "layer_sizes", "rebuilt_classifier",
    "importance_scores", "prune_heads_and_neurons",
    "hidden_importance", "prune_hidden", "selection_projection",
    "SPECIAL_TOKENS", "prune_vocabulary",
]
