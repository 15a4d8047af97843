"""Training helpers every stage shares (teacher fine-tuning, distillation, pruning, QAT):
the BERT optimizer, compiling a classifier, predicting and scoring, and saving a trained
model with what produced it."""

import dataclasses
import json
import os
from typing import Dict

import numpy as np

from tinybert_tf import data as data_lib
from tinybert_tf.backend import keras
from tinybert_tf.checkpoint import save_pretrained
from tinybert_tf.errors import TrainingError  # noqa: F401  (re-exported)
from tinybert_tf.metrics import compute_metrics
from tinybert_tf.schedules import WarmUpLinearDecay


def make_optimizer(learning_rate, total_steps, warmup_ratio=0.1, weight_decay=0.01):
    """AdamW with BERT's warm-up/linear-decay schedule; no decay on biases and LayerNorm."""
    schedule = WarmUpLinearDecay(learning_rate, total_steps, int(warmup_ratio * total_steps))
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=weight_decay, epsilon=1e-6,
                                       global_clipnorm=1.0)
    optimizer.exclude_from_weight_decay(var_names=["bias", "layer_norm", "beta", "gamma"])
    return optimizer


def compile_classifier(model, optimizer, jit_compile=False):
    """Compile a `BertClassifier` with the loss and metric its task needs."""
    if model.is_regression:
        loss, metrics = keras.losses.MeanSquaredError(), [keras.metrics.MeanSquaredError(name="mse")]
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=jit_compile)


def save_fine_tuned(model, tokenizer, task, config, metrics=None):
    """One directory: config.json (+ id2label), model.safetensors, tokenizer files,
    labels.txt, and what produced it (training_config.json, metrics.json)."""
    save_pretrained(model, config.output_dir, tokenizer=tokenizer, labels=task.label_names or None)
    with open(os.path.join(config.output_dir, "labels.txt"), "w", encoding="utf-8") as f:
        f.write("".join(f"{label}\n" for label in task.label_names))
    write_json(os.path.join(config.output_dir, "training_config.json"),
               {**dataclasses.asdict(config), "task_name": task.name})
    if metrics is not None:
        write_json(os.path.join(config.output_dir, "metrics.json"), metrics)


def write_json(path, payload):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2)


def predict_logits(model, tokenizer, examples, max_length=128, batch_size=64) -> np.ndarray:
    ds = data_lib.make_dataset(examples, tokenizer, max_length, batch_size, with_labels=False)
    return model.predict(ds, verbose=0)


def evaluate_model(model, tokenizer, examples, max_length, task) -> Dict[str, float]:
    logits = predict_logits(model, tokenizer, examples, max_length)
    return compute_metrics(logits, examples.labels, task.is_regression)
