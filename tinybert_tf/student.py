"""Student models: named size presets, built from the teacher's config, random or teacher-initialised."""

import dataclasses
import re
from typing import Optional, Sequence, Union

from tinybert_tf.config import BertConfig
from tinybert_tf.layer_mapping import layer_mapping as make_layer_mapping
from tinybert_tf.models import (BertClassifier, BertEncoder, BertQuestionAnswerer, BertTokenClassifier, TASK_MODELS,
                               encoder_of)

# Sizes only; vocabulary, positions, token types, activation and LayerNorm eps always come
# from the teacher, so the teacher's tokenizer serves the student.
PRESETS = {
    "tinybert4": dict(num_hidden_layers=4, hidden_size=312, num_attention_heads=12, intermediate_size=1200),
    "tinybert6": dict(num_hidden_layers=6, hidden_size=768, num_attention_heads=12, intermediate_size=3072),
    "tinybert2-128": dict(num_hidden_layers=2, hidden_size=128, num_attention_heads=2, intermediate_size=512),
}
# "teacher-l<M>": the teacher's widths with M layers, initialised from teacher layers.
_TEACHER_DEPTH = re.compile(r"^teacher-l(\d+)$")


def student_config(teacher_config: BertConfig, preset: Union[str, dict] = "tinybert4") -> BertConfig:
    """The student's `BertConfig`: a preset name (`tinybert4`, `tinybert6`,
    `tinybert2-128`, `teacher-l<M>`) or a dict of size fields, on top of the teacher's."""
    if isinstance(preset, str):
        match = _TEACHER_DEPTH.match(preset)
        if match:
            sizes = {"num_hidden_layers": int(match.group(1))}
        elif preset in PRESETS:
            sizes = PRESETS[preset]
        else:
            raise ValueError(f"Unknown student preset {preset!r}; use one of {sorted(PRESETS)} or 'teacher-l<M>' "
                             "(the teacher's widths with M layers).")
    else:
        sizes = dict(preset)
    unknown = set(sizes) - {"num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size"}
    if unknown:
        raise ValueError(f"Student sizes may set num_hidden_layers, hidden_size, num_attention_heads, "
                         f"intermediate_size; not {sorted(unknown)}.")
    extra = {k: v for k, v in teacher_config.extra.items() if k not in ("architectures", "_name_or_path")}
    # A student starts with whole layers even if the teacher had heads pruned.
    return dataclasses.replace(teacher_config, extra=extra, pruned_heads={}, **sizes)


def can_init_from_teacher(student: BertConfig, teacher: BertConfig) -> bool:
    return not teacher.pruned_heads and (student.hidden_size, student.num_attention_heads,
                                         student.intermediate_size) == (
        teacher.hidden_size, teacher.num_attention_heads, teacher.intermediate_size)


def build_student(teacher, preset: Union[str, dict] = "tinybert4", init: Optional[str] = None,
                  layer_mapping: Union[str, Sequence[int]] = "uniform"):
    """A student of the same kind as `teacher` (a task model of `models.TASK_MODELS`, or a
    `BertEncoder`).

    Args:
        teacher: the teacher model.
        preset: see `student_config`.
        init: `random` (truncated normal, as BERT), or `teacher`: copy the embeddings,
            pooler, classifier head and the teacher layers `layer_mapping` picks (needs the
            teacher's widths). Default: `teacher` when the shapes allow, else `random`.
        layer_mapping: which teacher layers to copy with `init="teacher"`.
    """
    t_encoder = encoder_of(teacher)
    config = student_config(t_encoder.config, preset)
    possible = can_init_from_teacher(config, t_encoder.config)
    init = init or ("teacher" if possible else "random")
    if init not in ("random", "teacher"):
        raise ValueError(f"init={init!r}; use 'random' or 'teacher'.")
    if init == "teacher" and not possible:
        raise ValueError(
            "init='teacher' copies teacher layers, which needs the teacher's hidden_size, num_attention_heads and "
            f"intermediate_size ({t_encoder.config.hidden_size}, {t_encoder.config.num_attention_heads}, "
            f"{t_encoder.config.intermediate_size}); this student has ({config.hidden_size}, "
            f"{config.num_attention_heads}, {config.intermediate_size}). Use init='random'.")
    encoder = BertEncoder(config, name="student_bert")
    if isinstance(teacher, (BertClassifier, BertTokenClassifier)):
        student = type(teacher)(encoder, teacher.num_labels, name="student")
    elif isinstance(teacher, BertQuestionAnswerer):
        student = BertQuestionAnswerer(encoder, name="student")
    else:
        student = encoder
    if init == "teacher":
        _copy_from_teacher(student, teacher, make_layer_mapping(config.num_hidden_layers,
                                                                t_encoder.config.num_hidden_layers, layer_mapping))
    return student


def _copy_from_teacher(student, teacher, mapping):
    s_enc, t_enc = encoder_of(student), encoder_of(teacher)
    names = ["word_embeddings", "position_embeddings", "token_type_embeddings", "embeddings_layer_norm", "pooler_dense"]
    pairs = [(n, n) for n in names]
    for m, g in enumerate(mapping):
        for part in ("attention", "attention_layer_norm", "intermediate", "output", "output_layer_norm"):
            pairs.append((f"layer_{m}_{part}", f"layer_{g - 1}_{part}"))
    for s_name, t_name in pairs:
        s_enc.get_layer(s_name).set_weights(t_enc.get_layer(t_name).get_weights())
    head = "qa_outputs" if isinstance(student, BertQuestionAnswerer) else "classifier"
    if isinstance(student, TASK_MODELS):
        student.get_layer(head).set_weights(teacher.get_layer(head).get_weights())
