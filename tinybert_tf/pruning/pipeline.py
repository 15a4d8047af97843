"""The prune stage (CLI `tinybert-tf prune`): `PruneConfig` and `prune_student`, which chain
structured pruning, recovery distillation from the teacher, vocabulary pruning,
evaluation and saving. The only pruning module that imports distillation."""

import dataclasses
import json
import logging
import os
import time
from typing import Dict, Optional

import numpy as np

from tinybert_tf import data as data_lib
from tinybert_tf import distill, outputs, stage
from tinybert_tf.checkpoint import load_pretrained, save_pretrained
from tinybert_tf.pruning.hidden import hidden_importance, prune_hidden, selection_projection
from tinybert_tf.pruning.magnitude import sparsity_report
from tinybert_tf.pruning.rebuild import count_parameters, layer_sizes
from tinybert_tf.pruning.structured import importance_scores, prune_heads_and_neurons, top_heads
from tinybert_tf.pruning.vocabulary import prune_vocabulary
from tinybert_tf.settings import check_sections, section
from tinybert_tf.training import read_metrics, save_fine_tuned

logger = logging.getLogger(__name__)


def _default_recovery():
    """The recovery's task distillation as `tinybert-tf prune` runs it by default: one epoch
    of each step, from the demo's teacher."""
    return distill.TaskDistillConfig(teacher="runs/demo/teacher", intermediate_epochs=1, prediction_epochs=1)


@dataclasses.dataclass
class PruneConfig:
    """Prune a task-distilled student, recover it by distillation, save it.

    Order: structured pruning (heads, FFN neurons, hidden units; importance on the dev
    split) -> recovery by task distillation from the teacher (intermediate layers, then
    prediction; optionally on augmented data and with tfmot magnitude pruning to
    `recovery.pruning_sparsity`) -> vocabulary pruning (after training: teacher and student
    must share ids while distilling) -> evaluation -> save (HF layout, like any student).

    Args:
        model: the student directory to prune.
        output_dir: where the pruned student is saved (`structured/` and `recovered/`
            under it hold the steps).
        heads_fraction / ffn_fraction: share of heads / FFN neurons removed in every layer.
        hidden_size: the narrower hidden size to keep (a multiple of the head size; the
            least important units go from embeddings, every layer and the pooler, and
            heads beyond hidden_size / head_size per layer with them). Recovery then
            compares with the teacher through the projection that puts each kept unit
            back at its index (`distill_projections.safetensors` beside the pruned model).
        vocabulary: prune the vocabulary to the training text (+ single characters).
        importance_examples: dev examples used for importance (default all).
        recovery: the task distillation that recovers the pruned student (a whole
            `distill.TaskDistillConfig`: its teacher, task, run settings, both steps' epochs
            and learning rates, temperature, augmented file, `pruning_sparsity` /
            `pruning_2_4` for tfmot magnitude pruning during recovery, ...; 0 and 0 epochs:
            no recovery). Its `student`, `init` and `output_dir` are the stage's (the pruned
            model, `<output_dir>/recovered`). The stage's task, teacher, run settings and data
            are the recovery's: importance and scoring use them too.
    """

    model: str = "runs/demo/student"
    output_dir: str = "runs/pruned"
    heads_fraction: float = 0.0
    ffn_fraction: float = 0.0
    hidden_size: Optional[int] = None
    vocabulary: bool = False
    importance_examples: Optional[int] = None
    recovery: distill.TaskDistillConfig = section(_default_recovery, derived=("student", "init", "output_dir"))

    # The flags these recovery settings had before the recovery was a whole TaskDistillConfig.
    FLAG_ALIASES = {"recovery.prediction_learning_rate": ("learning-rate",),
                    "recovery.pruning_sparsity": ("sparsity",), "recovery.pruning_2_4": ("block-2-4",)}

    def __post_init__(self):
        check_sections(self)

    # What the stage shares with its recovery, read from it (one value, not two).
    task = property(lambda self: self.recovery.task)
    teacher = property(lambda self: self.recovery.teacher)
    max_length = property(lambda self: self.recovery.max_length)
    seed = property(lambda self: self.recovery.seed)
    data_dir = property(lambda self: self.recovery.data_dir)

    @property
    def recovers(self) -> bool:
        return self.recovery.intermediate_epochs > 0 or self.recovery.prediction_epochs > 0


def _teacher_heads(config: PruneConfig, model):
    """Per layer, the teacher head each of the student's heads corresponds to, or None.

    Known when the student's heads are the teacher's one to one (a `teacher-l<M>` student or
    any student trained with per-head attention losses: same head count as the teacher),
    possibly after earlier head pruning (`config.pruned_heads`, original numbering)."""
    from tinybert_tf.config import BertConfig
    from tinybert_tf.hub import resolve_model_dir

    student = model.encoder.config
    teacher = BertConfig.from_json_file(os.path.join(resolve_model_dir(config.teacher), "config.json"))
    if student.num_attention_heads != teacher.num_attention_heads or teacher.pruned_heads:
        return None
    return [[h for h in range(student.num_attention_heads) if h not in student.pruned_heads.get(i, [])]
            for i in range(student.num_hidden_layers)]


def _source_links(model_dir: str) -> Dict:
    """What a source student carries beside it towards the teacher: its projections
    (a narrowed or general student) and its head map (a head-pruned one), or None."""
    from tinybert_tf.hub import resolve_model_dir

    directory = resolve_model_dir(model_dir)
    links = {"projections": None, "heads": None}
    path = os.path.join(directory, distill.PROJECTIONS_FILE)
    if os.path.isfile(path):
        from safetensors.numpy import load_file

        links["projections"] = dict(load_file(path))
    path = os.path.join(directory, distill.HEADS_FILE)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            links["heads"] = json.load(f)["heads"]
    return links


def _cuts_anything(config: PruneConfig, model) -> bool:
    return config.heads_fraction > 0 or config.ffn_fraction > 0 or _narrower(config, model)


def _narrower(config: PruneConfig, model) -> bool:
    return config.hidden_size is not None and config.hidden_size != model.encoder.config.hidden_size


def _structured_pruning(config: PruneConfig, model, tokenizer, task, report: Dict):
    """Heads, FFN neurons and hidden units removed by importance on the dev split; the
    result saved under `<output_dir>/structured` with its links to the teacher (the
    projection back to the teacher's width, the teacher head of each kept head). Returns
    (pruned model, its folder); importance goes into `report`."""
    narrower = _narrower(config, model)
    dev = task.dev.head(config.importance_examples)
    features, labels = data_lib.encode(dev, tokenizer, config.max_length), np.asarray(dev.labels)
    heads, neurons = importance_scores(model, features, labels)
    hidden = hidden_importance(model, features, labels) if narrower else None
    source = _source_links(config.model)
    head_map = source["heads"] if source["heads"] is not None else _teacher_heads(config, model)
    model = prune_heads_and_neurons(model, heads, neurons, config.heads_fraction, config.ffn_fraction)
    # The heads each layer kept (the rule prune_heads_and_neurons applies), in their order.
    kept = [top_heads(h, model.encoder.config.heads_in_layer(i)) for i, h in enumerate(heads)]
    current = os.path.join(config.output_dir, "structured")
    projections = source["projections"]  # a narrowed source keeps its way back to the teacher
    if narrower:
        wide = model.encoder.config.hidden_size
        model, kept_units, kept_again = prune_hidden(model, hidden, config.hidden_size,
                                                     head_scores=[h[k] for h, k in zip(heads, kept)])
        kept = [k[again] for k, again in zip(kept, kept_again)]
        if projections is None:
            projections = selection_projection(kept_units, wide)
        else:  # pruned again: the source's projection restricted to the units kept
            projections = {k: v[:, kept_units] if v.ndim == 2 else v for k, v in projections.items()}
        report["hidden_importance"] = hidden.round(6).tolist()
    save_pretrained(model, current, tokenizer=tokenizer, labels=task.label_names or None)
    if projections is not None:
        from safetensors.numpy import save_file

        with outputs.atomic_path(os.path.join(current, distill.PROJECTIONS_FILE)) as tmp:
            # ascontiguousarray: safetensors writes a strided view's raw buffer (wrong values).
            save_file({k: np.ascontiguousarray(v, np.float32) for k, v in projections.items()}, tmp)
    if head_map is not None:
        # Recovery compares each kept head with the teacher head it started as.
        head_map = [[head_map[i][h] for h in k] for i, k in enumerate(kept)]
        outputs.write_json(os.path.join(current, distill.HEADS_FILE), {"heads": head_map})
    report["head_importance"] = [h.round(6).tolist() for h in heads]
    logger.info(f"Structured pruning: hidden size {model.encoder.config.hidden_size}, heads per layer "
                f"{layer_sizes(model.encoder.config)}, intermediate_size {model.encoder.config.intermediate_size}.")
    return model, current


def prune_student(config: PruneConfig) -> Dict:
    """Run `PruneConfig`'s stages; returns the metrics written to `output_dir/metrics.json`."""
    stage.begin(config)
    task = data_lib.load_task(config.task, data_dir=config.data_dir, seed=config.seed)
    loaded = load_pretrained(config.model)
    if loaded.classifier is None:
        raise ValueError(f"{config.model} has no classifier head: prune a task-distilled (or fine-tuned) student.")
    task.check_model(loaded, role="model")
    if config.recovers:
        from tinybert_tf.tokenizer import BertTokenizer

        distill.check_same_vocabulary(loaded.tokenizer, BertTokenizer.from_pretrained(config.teacher), config.model)
    if stage.reuse(config, "prune", "pruning", again="prune again"):
        return read_metrics(config.output_dir)
    model, tokenizer = loaded.classifier, loaded.tokenizer
    report = {"source": config.model, "parameters_before": count_parameters(model)}
    start = time.time()
    current = config.model

    if _cuts_anything(config, model):
        model, current = _structured_pruning(config, model, tokenizer, task, report)

    if config.recovers:
        recovered_dir = os.path.join(config.output_dir, "recovered")
        model, distill_metrics = distill.task_distill(
            dataclasses.replace(config.recovery, student=current, output_dir=recovered_dir), task=task)
        report["recovery_seconds"] = distill_metrics["train_seconds"]

    # The pruned student keeps its links to the teacher (projection, head map) beside it, as
    # a general student does, so it can be pruned again or distilled further (gradually).
    links = recovered_dir if config.recovers else current
    for name in (distill.PROJECTIONS_FILE, distill.HEADS_FILE):
        if links != config.model and os.path.isfile(os.path.join(links, name)):
            with open(os.path.join(links, name), "rb") as f:
                outputs.write_bytes(os.path.join(config.output_dir, name), f.read())

    if config.vocabulary:
        texts = list(task.train.texts) + [t for t in (task.train.text_pairs or []) if t]
        before = tokenizer.vocab_size
        model, tokenizer, _ = prune_vocabulary(model, tokenizer, texts)
        logger.info(f"Vocabulary pruning: {before} -> {tokenizer.vocab_size} WordPieces.")

    report.update({
        "seconds": round(time.time() - start, 1),
        "parameters": count_parameters(model),
        "heads_per_layer": layer_sizes(model.encoder.config),
        "intermediate_size": model.encoder.config.intermediate_size,
        "hidden_size": model.encoder.config.hidden_size,
        "vocab_size": model.encoder.config.vocab_size,
        "sparsity": sparsity_report(model)[-1]["sparsity"],
    })
    report.update(stage.score(model, tokenizer, task, config.max_length))
    save_fine_tuned(model, tokenizer, task, config, report)
    return report
