"""The prune stage (CLI `tinybert-tf prune`): `PruneConfig` and `prune_student`, which chain
structured pruning, recovery distillation from the teacher, vocabulary pruning,
evaluation and saving. The only pruning module that imports distillation."""

import dataclasses
import os
import time
from typing import Dict, Optional

import numpy as np

from tinybert_tf import data as data_lib
from tinybert_tf import distill, outputs
from tinybert_tf.backend import keras
from tinybert_tf.checkpoint import load_pretrained, save_pretrained
from tinybert_tf.pruning.magnitude import sparsity_report
from tinybert_tf.pruning.rebuild import count_parameters, layer_sizes
from tinybert_tf.pruning.structured import importance_scores, prune_heads_and_neurons
from tinybert_tf.pruning.vocabulary import prune_vocabulary
from tinybert_tf.training import evaluate_model, read_metrics, save_fine_tuned


@dataclasses.dataclass
class PruneConfig:
    """Prune a task-distilled student, recover it by distillation, save it.

    Order: structured pruning (heads, FFN neurons; importance on the dev split) ->
    recovery distillation from the teacher (optionally with tfmot magnitude pruning to
    `sparsity`) -> vocabulary pruning (after training: teacher and student must share ids
    while distilling) -> evaluation -> save (HF layout, like any student).

    Args:
        model: the student directory to prune.
        teacher: the fine-tuned teacher it was distilled from (for recovery).
        heads_fraction / ffn_fraction: share of heads / FFN neurons removed in every layer.
        sparsity: unstructured target during recovery (0: none); `block_2_4` for 2:4.
        vocabulary: prune the vocabulary to the training text (+ single characters).
        intermediate_epochs / prediction_epochs: recovery distillation (0 and 0: none).
        importance_examples: dev examples used for importance (default all).
    """

    model: str = "runs/demo/student"
    teacher: str = "runs/demo/teacher"
    task: str = "fine_foods"
    output_dir: str = "runs/pruned"
    heads_fraction: float = 0.0
    ffn_fraction: float = 0.0
    sparsity: float = 0.0
    block_2_4: bool = False
    vocabulary: bool = False
    intermediate_epochs: int = 0
    prediction_epochs: int = 1
    learning_rate: float = 3e-5
    max_length: int = 128
    batch_size: int = 32
    importance_examples: Optional[int] = None
    seed: int = 0
    data_dir: Optional[str] = None


def prune_student(config: PruneConfig) -> Dict:
    """Run `PruneConfig`'s stages; returns the metrics written to `output_dir/metrics.json`."""
    keras.utils.set_random_seed(config.seed)
    outputs.check_not_a_file(config.output_dir)
    task = data_lib.load_task(config.task, data_dir=config.data_dir, seed=config.seed)
    loaded = load_pretrained(config.model)
    if loaded.classifier is None:
        raise ValueError(f"{config.model} has no classifier head: prune a task-distilled (or fine-tuned) student.")
    outputs.prepare_output_dir(config.output_dir, "prune", config)
    if outputs.is_finished(config.output_dir):
        print(f"{config.output_dir} holds this pruning, finished; reusing it (delete it to prune again).")
        return read_metrics(config.output_dir)
    model, tokenizer = loaded.classifier, loaded.tokenizer
    report = {"source": config.model, "parameters_before": count_parameters(model)}
    start = time.time()
    current = config.model

    if config.heads_fraction > 0 or config.ffn_fraction > 0:
        dev = task.dev.head(config.importance_examples)
        heads, neurons = importance_scores(model, data_lib.encode(dev, tokenizer, config.max_length),
                                           np.asarray(dev.labels))
        model = prune_heads_and_neurons(model, heads, neurons, config.heads_fraction, config.ffn_fraction)
        current = os.path.join(config.output_dir, "structured")
        save_pretrained(model, current, tokenizer=tokenizer, labels=task.label_names or None)
        report["head_importance"] = [h.round(6).tolist() for h in heads]
        print(f"Structured pruning: heads per layer {layer_sizes(model.encoder.config)}, "
              f"intermediate_size {model.encoder.config.intermediate_size}.")

    if config.intermediate_epochs > 0 or config.prediction_epochs > 0:
        recovered_dir = os.path.join(config.output_dir, "recovered")
        model, distill_metrics = distill.task_distill(distill.TaskDistillConfig(
            teacher=config.teacher, student=current, task=config.task, max_length=config.max_length,
            batch_size=config.batch_size, intermediate_epochs=config.intermediate_epochs,
            prediction_epochs=config.prediction_epochs, prediction_learning_rate=config.learning_rate,
            pruning_sparsity=config.sparsity, pruning_2_4=config.block_2_4, output_dir=recovered_dir,
            seed=config.seed, data_dir=config.data_dir), task=task)
        report["recovery_seconds"] = distill_metrics["train_seconds"]

    if config.vocabulary:
        texts = list(task.train.texts) + [t for t in (task.train.text_pairs or []) if t]
        before = tokenizer.vocab_size
        model, tokenizer, _ = prune_vocabulary(model, tokenizer, texts)
        print(f"Vocabulary pruning: {before} -> {tokenizer.vocab_size} WordPieces.")

    report.update({
        "seconds": round(time.time() - start, 1),
        "parameters": count_parameters(model),
        "heads_per_layer": layer_sizes(model.encoder.config),
        "intermediate_size": model.encoder.config.intermediate_size,
        "vocab_size": model.encoder.config.vocab_size,
        "sparsity": sparsity_report(model)[-1]["sparsity"],
    })
    for split, examples in (("dev", task.dev), ("test", task.test)):
        if examples is not None:
            report[split] = evaluate_model(model, tokenizer, examples, config.max_length, task)
    save_fine_tuned(model, tokenizer, task, config, report)
    return report
