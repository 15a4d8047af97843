"""Which teacher layer each student layer learns from (TinyBERT's g(m))."""

import math
from typing import List, Sequence, Union

STRATEGIES = ("uniform", "top", "bottom")


def layer_mapping(student_layers: int, teacher_layers: int,
                  strategy: Union[str, Sequence[int]] = "uniform") -> List[int]:
    """Teacher layer (1-based; 0 is the embedding output) for student layers 1..M.

    Args:
        student_layers: M.
        teacher_layers: N >= M.
        strategy: `uniform` (the paper's default, g(m) = ceil(m N / M): every N/M-th
            layer, ending at N), `top` (the last M), `bottom` (the first M), or an
            explicit increasing list of M teacher layers in 1..N.

    Example:
    ```python
    layer_mapping(4, 12)             # [3, 6, 9, 12]
    layer_mapping(4, 6)              # [2, 3, 5, 6]
    layer_mapping(2, 6, [2, 6])      # [2, 6]
    ```
    """
    if student_layers < 1 or teacher_layers < 1:
        raise ValueError(f"Layer counts must be positive (student {student_layers}, teacher {teacher_layers}).")
    if isinstance(strategy, str):
        if student_layers > teacher_layers:
            raise ValueError(
                f"The student has {student_layers} layers but the teacher only {teacher_layers}; "
                "pass an explicit mapping (teacher layers may repeat) or use a shallower student."
            )
        if strategy == "uniform":
            return [math.ceil(m * teacher_layers / student_layers) for m in range(1, student_layers + 1)]
        if strategy == "top":
            return list(range(teacher_layers - student_layers + 1, teacher_layers + 1))
        if strategy == "bottom":
            return list(range(1, student_layers + 1))
        raise ValueError(f"Unknown layer mapping {strategy!r}; use one of {STRATEGIES} or a list of layers.")
    mapping = [int(x) for x in strategy]
    if len(mapping) != student_layers:
        raise ValueError(f"The layer mapping {mapping} has {len(mapping)} entries; the student has "
                         f"{student_layers} layers, so give one teacher layer for each.")
    bad = [x for x in mapping if not 1 <= x <= teacher_layers]
    if bad:
        raise ValueError(f"Teacher layers {bad} in mapping {mapping} are outside 1..{teacher_layers}.")
    if any(b < a for a, b in zip(mapping, mapping[1:])):
        raise ValueError(f"The layer mapping {mapping} must not decrease: deeper student layers learn "
                         "from deeper (or equal) teacher layers.")
    return mapping


def parse_layer_mapping(value: str):
    """CLI form: a strategy name, or comma-separated teacher layers ("2,4,6")."""
    return value if value in STRATEGIES else [int(x) for x in value.split(",")]
