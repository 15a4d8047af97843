"""Unstructured pruning with tensorflow-model-optimization: `prune_low_magnitude` around the
whole student (or 2:4 on its Dense kernels), trained inside the `Distiller`; the schedule,
the callbacks `fit` needs, stripping the wrappers, and a sparsity report.

It zeroes weights but keeps every shape, so on its own it barely changes TFLite size or
speed (the embeddings dominate the file and dense kernels stay dense).
"""

from typing import Dict, List, Optional

from tinybert_tf.backend import keras


def _tfmot():
    # Imported on first use: tfmot takes seconds to import and most runs never prune.
    import tensorflow_model_optimization as tfmot

    return tfmot


def pruning_schedule(target_sparsity: float, end_step: int, begin_step: int = 0, frequency: int = 10,
                     kind: str = "polynomial"):
    """A tfmot schedule reaching exactly `target_sparsity` by `end_step`: the end is moved
    back onto the last pruning turn (begin + k * frequency), where tfmot applies the final
    sparsity, and the frequency shortened if the span is shorter than one turn."""
    tfmot = _tfmot()
    if not 0.0 <= target_sparsity < 1.0:
        raise ValueError(f"target sparsity must be in [0, 1), got {target_sparsity}.")
    if kind == "constant":
        return tfmot.sparsity.keras.ConstantSparsity(target_sparsity, begin_step=begin_step, frequency=frequency)
    if kind != "polynomial":
        raise ValueError(f"pruning schedule {kind!r}: use 'polynomial' or 'constant'.")
    span = max(1, end_step - begin_step)
    frequency = min(frequency, span)  # a short run still gets its final turn by end_step
    turns = span // frequency
    return tfmot.sparsity.keras.PolynomialDecay(0.0, target_sparsity, begin_step=begin_step,
                                                end_step=begin_step + turns * frequency, frequency=frequency)


def magnitude_pruning(schedule, block_2_4: bool = False):
    """A function that wraps a student with `tfmot.sparsity.keras.prune_low_magnitude`
    (for `Distiller.apply_pruning`, or your own model). With `block_2_4`, only the Dense
    kernels are pruned, 2 of every 4 weights (tfmot's m-by-n sparsity supports Dense, not
    the rank-3 attention kernels); the schedule then only sets when the masks update."""
    tfmot = _tfmot()

    def wrap(model):
        if not block_2_4:
            return tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=schedule)

        def clone(layer):
            if isinstance(layer, keras.Model):
                return keras.models.clone_model(layer, clone_function=clone)
            if isinstance(layer, keras.layers.Dense):
                return tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedule,
                                                                sparsity_m_by_n=(2, 4))
            return layer  # reused, with its trained weights (as tfmot does for unprunable layers)

        return keras.models.clone_model(model, clone_function=clone)

    return wrap


def pruning_callbacks(log_dir: Optional[str] = None) -> List:
    """The callbacks a `fit` of a tfmot-wrapped model needs: `UpdatePruningStep`, and
    `PruningSummaries` (per-layer sparsity in TensorBoard) when `log_dir` is set.

    The pruning step lives in each wrapper's own variable and advances with every
    training batch, so one schedule spans several `fit` calls (task distillation steps
    1 and 2) and is checkpointed with the model (resume continues it)."""
    tfmot = _tfmot()
    callbacks = [tfmot.sparsity.keras.UpdatePruningStep()]
    if log_dir:
        callbacks.append(tfmot.sparsity.keras.PruningSummaries(log_dir=log_dir))
    return callbacks


def strip_pruning(pruned, template):
    """The weights of a tfmot-wrapped model (masks applied) copied into `template`, a model
    of the original structure; returns `template`."""
    stripped = _tfmot().sparsity.keras.strip_pruning(pruned)
    values = stripped.get_weights()
    if [v.shape for v in values] != [tuple(w.shape) for w in template.weights]:
        raise ValueError("The pruned model's weights do not line up with the original student's.")
    template.set_weights(values)
    return template


def sparsity_report(model) -> List[Dict]:
    """Fraction of zeros in every kernel and embedding matrix of `model` (nested layers
    included), plus an `all kernels` total."""
    rows, zeros, total = [], 0, 0
    for w in model.weights:
        if "kernel" not in w.name and "embeddings" not in w.name:
            continue
        value = w.numpy()
        z = int((value == 0).sum())
        rows.append({"weight": w.name, "shape": list(value.shape), "sparsity": z / value.size})
        if "kernel" in w.name:
            zeros, total = zeros + z, total + value.size
    rows.append({"weight": "all kernels", "shape": [total], "sparsity": zeros / max(total, 1)})
    return rows
