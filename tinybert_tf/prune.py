"""The prune stage's public API in one place: everything in `tinybert_tf.pruning` plus the
stage itself (`PruneConfig`, `prune_student`). See `tinybert_tf/pruning/` for the
modules: `magnitude` (tfmot), `structured` (heads, FFN neurons), `vocabulary`,
`pipeline` (the stage)."""

from tinybert_tf.pruning import *  # noqa: F401,F403
from tinybert_tf.pruning import __all__ as _pruning_all
from tinybert_tf.pruning.pipeline import PruneConfig, prune_student

__all__ = list(_pruning_all) + ["PruneConfig", "prune_student"]
