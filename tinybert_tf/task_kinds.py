"""What each kind of task feeds a model, how it is scored, distilled and exported: one
object per kind, `SequenceKind` (a label or score per text or pair), `TokenKind` (a tag
per word) and `SpanKind` (an answer in a context), looked up once with `kind_of`. The
stages (`teacher`, `distill`, `export`, `recipe`), the `Distiller` and `evaluate` ask
the kind object instead of testing the kind's name; a new kind is a new class here.

The module-level functions (`task_inputs`, `split_scorer`, `evaluate_task`, ...) are
the kind's methods for a task, kept as the stages' vocabulary.
"""

import dataclasses
from typing import Dict, Optional

from tinybert_tf import data as data_lib
from tinybert_tf import losses, outputs
from tinybert_tf.metrics import compute_metrics, squad_metrics, token_classification_metrics
from tinybert_tf.training import TaggedAccuracy, compile_classifier, compile_task_model, evaluate_model


class TaskKind:
    """One kind of task. Args (class attributes): `name` (the model classes' `task_kind`,
    the bundle's `task_kind`), `headline` (metric, scale) a quantized export may lose at
    most `max_accuracy_drop` (times scale) of, `output_kind` (the bundle's), and what the
    recipe and export may do with it: `augments` (TinyBERT's word replacement; also what
    caching the teacher's logits needs), `prunes` (the pruning stage), `quantization_aware`
    (QAT before full int8), `mediapipe` (MediaPipe's TextClassifier can run its model: a
    one-text classifier of this kind)."""

    name = ""
    headline = ("accuracy", 1.0)
    output_kind: Optional[str] = None
    augments = False
    prunes = False
    quantization_aware = False
    mediapipe = False

    # --- data and scoring -------------------------------------------------------------------------
    def inputs(self, task, examples, tokenizer, max_length):
        """(features, labels) of a split for `fit` and the `Distiller`."""
        raise NotImplementedError

    def scorer(self, task, tokenizer, examples, max_length):
        """(features, score): `score(outputs)` turns any runtime's raw outputs for
        `features` (Keras `predict`, a TFLite file) into the task's metrics."""
        raise NotImplementedError

    def evaluate(self, model, tokenizer, task, examples, max_length, desc=None, batch_size=64) -> Dict[str, float]:
        features, score = self.scorer(task, tokenizer, examples, max_length)
        return score(model.predict(features, batch_size=batch_size, verbose=0))

    def best_dev_monitor(self, task, distilling: bool = False):
        """(logged metric, mode) that picks a stage's best dev weights."""
        return "val_accuracy", "max"

    def headline_metric(self, task):
        return self.headline

    # --- settings a stage or a trained model carries ----------------------------------------------
    def configure(self, task, config):
        """`task` as a stage's `config` asks (only `max_eval_examples` dev/test examples)."""
        return task.limit_evaluation(getattr(config, "max_eval_examples", None))

    def as_trained(self, task, model_dir: str):
        """`task` with the settings `model_dir` was trained with, where the kind has any."""
        return task

    def num_labels(self, task) -> Optional[int]:
        """The head size to build for `task` (None: the kind's head has a fixed size)."""
        return task.num_labels

    def is_regression(self, num_labels) -> bool:
        """Whether a model of this kind with `num_labels` outputs scores instead of classifying."""
        return False

    def compile(self, model, optimizer, jit_compile=False):
        """Compile a (wrapped) task model of this kind for fine-tuning with `fit`."""
        compile_task_model(model, optimizer, jit_compile)

    # --- distillation -----------------------------------------------------------------------------
    def new_head(self, encoder, num_labels):
        """A fresh task head on a general-distilled `encoder` (as `load_pretrained(head=...)`)."""
        raise NotImplementedError

    def accuracy_metric(self, num_labels):
        """The accuracy the `Distiller` tracks in training (None: none)."""
        return None

    def distiller_outputs(self, out):
        """What the `Distiller` returns from a student's distillation outputs."""
        return out["logits"]

    def prediction_loss(self, distiller, student, teacher, inputs, labels):
        """TinyBERT's prediction-layer loss for this kind's outputs."""
        raise NotImplementedError

    # --- export -----------------------------------------------------------------------------------
    def bundle_outputs(self, output: str, num_labels: int) -> dict:
        """The bundle's output fields for a model whose (first) output is `output`."""
        return {"output_name": output, "output_names": [output], "output_kind": self.output_kind}

    def bundle_extras(self, task) -> dict:
        """Settings the app needs to read this kind's inputs the way the model was trained."""
        return {}

    def variant_checks(self, file_outputs, keras_outputs, features) -> dict:
        """Extra agreement figures of an exported file against Keras (none by default)."""
        return {}


class SequenceKind(TaskKind):
    name = "sequence"
    augments = True
    prunes = True
    quantization_aware = True
    mediapipe = True

    def inputs(self, task, examples, tokenizer, max_length):
        return data_lib.encode(examples, tokenizer, max_length), examples.labels

    def scorer(self, task, tokenizer, examples, max_length):
        return (data_lib.encode(examples, tokenizer, max_length),
                lambda logits: compute_metrics(logits, examples.labels, task.is_regression))

    def evaluate(self, model, tokenizer, task, examples, max_length, desc=None, batch_size=64):
        return evaluate_model(model, tokenizer, examples, max_length, task, desc=desc)

    def compile(self, model, optimizer, jit_compile=False):
        compile_classifier(model, optimizer, jit_compile)

    def is_regression(self, num_labels):
        return num_labels == 1

    def best_dev_monitor(self, task, distilling=False):
        if task.is_regression:
            return ("val_prediction_loss" if distilling else "val_mse"), "min"
        return "val_accuracy", "max"

    def headline_metric(self, task):
        return ("pearson" if task.is_regression else "accuracy"), 1.0

    def new_head(self, encoder, num_labels):
        from tinybert_tf.models import BertClassifier

        return BertClassifier(encoder, num_labels=num_labels, name="bert_classifier")

    def accuracy_metric(self, num_labels):
        from tinybert_tf.backend import keras

        return None if num_labels == 1 else keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def prediction_loss(self, distiller, student, teacher, inputs, labels):
        return distiller.sequence_prediction_loss(student["logits"], teacher["logits"], labels)

    def bundle_outputs(self, output, num_labels):
        return {"output_name": output, "output_names": [output],
                "output_kind": output if num_labels > 1 else "regression"}


class TokenKind(TaskKind):
    name = "token"
    output_kind = "token_logits"

    def inputs(self, task, examples, tokenizer, max_length):
        """Tag ids on each word's first WordPiece, -100 elsewhere."""
        aligned = data_lib.align_tags(examples, tokenizer, task.label_names, max_length)
        return aligned.features, aligned.labels

    def scorer(self, task, tokenizer, examples, max_length):
        """Word accuracy / macro F1 / entity F1 with `truncated_words` (each word's tag read
        at its first WordPiece)."""
        aligned = data_lib.align_tags(examples, tokenizer, task.label_names, max_length)

        def score(logits):
            predicted = data_lib.word_predictions(logits, aligned.word_ids, task.label_names,
                                                  [len(words) for words in examples.words])
            return {**token_classification_metrics(predicted, examples.tags),
                    "truncated_words": aligned.truncated_words}

        return aligned.features, score

    def new_head(self, encoder, num_labels):
        from tinybert_tf.models import BertTokenClassifier

        return BertTokenClassifier(encoder, num_labels=num_labels, name="bert_token_classifier")

    def accuracy_metric(self, num_labels):
        return TaggedAccuracy()  # over the tagged positions only (labels >= 0)

    def prediction_loss(self, distiller, student, teacher, inputs, labels):
        if labels is None:
            raise ValueError("Token-classification distillation needs the aligned labels (-100 where no "
                             "tag is read) to know which positions to compare; see data.align_tags.")
        return losses.token_soft_cross_entropy(student["logits"], teacher["logits"], labels >= 0,
                                               distiller.temperature)

    def variant_checks(self, file_outputs, keras_outputs, features):
        """The tag argmax at every real token, the file's vs Keras'."""
        import numpy as np

        real = features["attention_mask"] > 0
        return {"token_agreement": float(np.mean((file_outputs.argmax(-1) == keras_outputs.argmax(-1))[real]))}


class SpanKind(TaskKind):
    name = "span"
    headline = ("f1", 100.0)
    output_kind = "span_logits"

    def inputs(self, task, examples, tokenizer, max_length):
        """`{"start_logits": ..., "end_logits": ...}` answer positions of every context window
        (an example can give several windows)."""
        windows = data_lib.prepare_qa_features(examples, tokenizer, max_length, task.doc_stride, task.max_query_length)
        return windows.features, {"start_logits": windows.start_positions, "end_logits": windows.end_positions}

    def scorer(self, task, tokenizer, examples, max_length):
        """SQuAD EM/F1 over the best span of each question's windows."""
        windows = data_lib.prepare_qa_features(examples, tokenizer, max_length, task.doc_stride,
                                               task.max_query_length)

        def score(outputs):
            answers = data_lib.best_spans(outputs["start_logits"], outputs["end_logits"], windows, examples)
            return {**squad_metrics(answers, examples), "windows": len(windows.example_index)}

        return windows.features, score

    def best_dev_monitor(self, task, distilling=False):
        """The loss: EM/F1 need the span search over whole examples; the loss is what `fit`
        logs (for a distilling student, its prediction loss towards the teacher)."""
        return ("val_prediction_loss" if distilling else "val_loss"), "min"

    def configure(self, task, config):
        """Also the window settings (`doc_stride`, `max_query_length`) of the stage."""
        task = super().configure(task, config)
        return dataclasses.replace(task, doc_stride=config.doc_stride, max_query_length=config.max_query_length)

    def as_trained(self, task, model_dir):
        """The window settings `model_dir` was trained with (its training_config.json; the
        task's defaults when it has none)."""
        found = {name: outputs.trained_setting(model_dir, name) for name in ("doc_stride", "max_query_length")}
        return dataclasses.replace(task, **{k: int(v) for k, v in found.items() if v is not None})

    def num_labels(self, task):
        return None

    def new_head(self, encoder, num_labels):
        from tinybert_tf.models import BertQuestionAnswerer

        return BertQuestionAnswerer(encoder, name="bert_question_answerer")

    def distiller_outputs(self, out):
        return {"start_logits": out["start_logits"], "end_logits": out["end_logits"]}

    def prediction_loss(self, distiller, student, teacher, inputs, labels):
        return losses.span_soft_cross_entropy(student, teacher, inputs["attention_mask"], distiller.temperature)

    def bundle_outputs(self, output, num_labels):
        return {"output_name": "start_logits", "output_names": ["start_logits", "end_logits"],
                "output_kind": self.output_kind}

    def bundle_extras(self, task):
        return {"doc_stride": task.doc_stride, "max_query_length": task.max_query_length,
                "max_answer_length": data_lib.squad.MAX_ANSWER_LENGTH}


KINDS = {kind.name: kind for kind in (SequenceKind(), TokenKind(), SpanKind())}


def kind_of(task_or_name) -> TaskKind:
    """The kind object of a task (`TaskData`), a model (its `task_kind`) or a kind's name."""
    name = task_or_name if isinstance(task_or_name, str) else (
        getattr(task_or_name, "kind", None) or getattr(task_or_name, "task_kind", None) or "sequence")
    if name not in KINDS:
        raise ValueError(f"task kind {name!r}; use one of {', '.join(KINDS)}.")
    return KINDS[name]


# --- the stages' vocabulary: a task's kind, asked ------------------------------------------------
def best_dev_monitor(task, distilling: bool = False):
    return kind_of(task).best_dev_monitor(task, distilling)


def configure_task(task, config):
    return kind_of(task).configure(task, config)


def task_as_trained(task, model_dir: str):
    return kind_of(task).as_trained(task, model_dir)


def task_inputs(task, examples, tokenizer, max_length):
    return kind_of(task).inputs(task, examples, tokenizer, max_length)


def validation_dataset(task, examples, tokenizer, max_length, batch_size, padding="max_length"):
    """A split as batched (features, labels) for `fit`'s validation and `KeepBest`;
    `padding="longest"` (a stage's `padding`) cuts each batch to its longest example."""
    return data_lib.evaluation_batches(task_inputs(task, examples, tokenizer, max_length), batch_size, padding)


def split_scorer(task, tokenizer, examples, max_length):
    return kind_of(task).scorer(task, tokenizer, examples, max_length)


def headline_metric(task):
    return kind_of(task).headline_metric(task)


def evaluate_task(model, tokenizer, task, examples, max_length, desc=None, batch_size=64) -> Dict[str, float]:
    """A split's task metrics (see `TaskKind.scorer`)."""
    return kind_of(task).evaluate(model, tokenizer, task, examples, max_length, desc=desc, batch_size=batch_size)
