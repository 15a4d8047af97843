"""What each kind of task feeds a model and how it is scored: `sequence` (a label or
score per text or pair), `token` (a tag per word) and `span` (an answer in a context). The
training stages (`teacher`, `distill`), `export` and `evaluate` ask here instead of
testing the kind themselves."""

import dataclasses
from typing import Dict

from tinybert_tf import data as data_lib
from tinybert_tf import outputs
from tinybert_tf.metrics import compute_metrics, squad_metrics, token_classification_metrics
from tinybert_tf.training import evaluate_model


def best_dev_monitor(task, distilling: bool = False):
    """(logged metric, mode) that picks a stage's best dev weights for `task`: accuracy
    (classification, tagging), MSE (regression), or the loss for QA (EM/F1 need the
    span search over whole examples; the loss is what `fit` logs) — for a distilling
    student, its prediction loss towards the teacher."""
    if task.kind == "span" or task.is_regression:
        return ("val_prediction_loss" if distilling else "val_loss" if task.kind == "span" else "val_mse"), "min"
    return "val_accuracy", "max"


def configure_task(task, config):
    """`task` as a stage's `config` asks: only `max_eval_examples` dev/test examples, and
    for QA its window settings (`doc_stride`, `max_query_length`)."""
    task = task.limit_evaluation(getattr(config, "max_eval_examples", None))
    if task.kind == "span":
        task = dataclasses.replace(task, doc_stride=config.doc_stride, max_query_length=config.max_query_length)
    return task


def task_as_trained(task, model_dir: str):
    """A QA task with the window settings `model_dir` was trained with (its
    training_config.json; the task's defaults when it has none); other tasks as they are."""
    if task.kind != "span":
        return task
    found = {name: outputs.trained_setting(model_dir, name) for name in ("doc_stride", "max_query_length")}
    return dataclasses.replace(task, **{k: int(v) for k, v in found.items() if v is not None})


def task_inputs(task, examples, tokenizer, max_length):
    """(features, labels) of a split for `fit` and the `Distiller`, as the task's kind
    needs: label ids (sequence), tag ids on each word's first WordPiece and -100 elsewhere
    (token), or `{"start_logits": ..., "end_logits": ...}` answer positions of every
    context window (span; an example can give several windows)."""
    if task.kind == "token":
        aligned = data_lib.align_tags(examples, tokenizer, task.label_names, max_length)
        return aligned.features, aligned.labels
    if task.kind == "span":
        windows = data_lib.prepare_qa_features(examples, tokenizer, max_length, task.doc_stride, task.max_query_length)
        return windows.features, {"start_logits": windows.start_positions, "end_logits": windows.end_positions}
    return data_lib.encode(examples, tokenizer, max_length), examples.labels


def validation_dataset(task, examples, tokenizer, max_length, batch_size, padding="max_length"):
    """A split as batched (features, labels) for `fit`'s validation and `KeepBest`;
    `padding="longest"` (a stage's `padding`) cuts each batch to its longest example."""
    return data_lib.evaluation_batches(task_inputs(task, examples, tokenizer, max_length), batch_size, padding)


def split_scorer(task, tokenizer, examples, max_length):
    """(features, score) for a split: `score(outputs)` turns any runtime's raw outputs for
    `features` (a Keras model's `predict`, a TFLite file's) into the task's metrics:
    GLUE-style (sequence); word accuracy / macro F1 / entity F1 with `truncated_words`
    (token: each word's tag read at its first WordPiece); SQuAD EM/F1 over the best span
    of each question's windows (span)."""
    if task.kind == "token":
        aligned = data_lib.align_tags(examples, tokenizer, task.label_names, max_length)

        def score(logits):
            predicted = data_lib.word_predictions(logits, aligned.word_ids, task.label_names,
                                                  [len(words) for words in examples.words])
            return {**token_classification_metrics(predicted, examples.tags),
                    "truncated_words": aligned.truncated_words}

        return aligned.features, score
    if task.kind == "span":
        windows = data_lib.prepare_qa_features(examples, tokenizer, max_length, task.doc_stride,
                                               task.max_query_length)

        def score(outputs):
            answers = data_lib.best_spans(outputs["start_logits"], outputs["end_logits"], windows, examples)
            return {**squad_metrics(answers, examples), "windows": len(windows.example_index)}

        return windows.features, score
    return (data_lib.encode(examples, tokenizer, max_length),
            lambda logits: compute_metrics(logits, examples.labels, task.is_regression))


# The number each kind of task is judged by (export's drop check), and its scale.
HEADLINE = {"token": ("accuracy", 1.0), "span": ("f1", 100.0)}


def headline_metric(task):
    """(metric, scale): the metric a quantized export may lose at most `max_accuracy_drop`
    (times `scale`: SQuAD's F1 is in percent) of."""
    if task.kind == "sequence":
        return ("pearson" if task.is_regression else "accuracy"), 1.0
    return HEADLINE[task.kind]


def evaluate_task(model, tokenizer, task, examples, max_length, desc=None, batch_size=64) -> Dict[str, float]:
    """A split's task metrics (see `split_scorer`)."""
    if task.kind == "sequence":
        return evaluate_model(model, tokenizer, examples, max_length, task, desc=desc)
    features, score = split_scorer(task, tokenizer, examples, max_length)
    return score(model.predict(features, batch_size=batch_size, verbose=0))
