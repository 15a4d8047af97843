"""`Distiller`: a keras.Model that trains a student BERT on TinyBERT's losses against a frozen teacher."""

from typing import Optional, Sequence, Union

import numpy as np

from tinybert_tf.settings import PROJECTION_INITS, PROJECTIONS, REGRESSION_TARGETS  # noqa: F401  (re-exported)
from tinybert_tf import losses
from tinybert_tf.backend import keras, tf
from tinybert_tf.layer_mapping import layer_mapping as make_layer_mapping
from tinybert_tf.layers import dropout_rng_states
from tinybert_tf.models import TASK_MODELS, encoder_of
from tinybert_tf.outputs import atomic_path
from tinybert_tf.pruning.magnitude import strip_pruning
from tinybert_tf.task_kinds import kind_of

# Which loss terms each stage trains (TinyBERT sec. 3.3 / official code).
STAGES = {
    "general": ("embedding", "attention", "hidden"),        # general distillation, unlabelled text
    "intermediate": ("embedding", "attention", "hidden"),   # task distillation step 1
    "prediction": ("prediction",),                          # task distillation step 2
    "all": ("embedding", "attention", "hidden", "prediction"),
}


@keras.saving.register_keras_serializable(package="tinybert_tf")
class Distiller(keras.Model):
    """TinyBERT distillation as a Keras model: `compile` it, then `fit`.

    Holds a frozen teacher and a trainable student (both `BertClassifier`, both
    `BertTokenClassifier`, both `BertQuestionAnswerer`, or both `BertEncoder` for general
    distillation), each in its distillation view (every hidden
    state and pre-softmax attention score), plus the learned projections W_e/W_h that map
    student widths to the teacher's. `train_step` computes the active loss terms; each
    shows as its own metric (`embedding_loss`, `attention_loss`, `hidden_loss`,
    `prediction_loss`, and `loss`, their weighted sum), and with labels, the student's
    `accuracy`. `call` returns the student's logits (or sequence output for encoders),
    so `predict`/`evaluate` work as for the student.

    Losses (see `tinybert_tf.losses`): embedding MSE(E_S W_e, E_T); attention MSE on
    pre-softmax scores with padded keys zeroed, per head (the heads `head_map` names, for
    a head-pruned student), or head groups averaged when the counts differ
    (`losses.match_heads`); hidden MSE(H_S^m W_h, H_T^g(m)) summed over the
    student's layers; prediction soft cross-entropy at `temperature` (MSE on logits for
    regression; per tagged token for token classification, `labels` >= 0 marking them;
    over positions for QA's start and end scores, padding left out).

    Args:
        student: the model to train (a task model or a `BertEncoder`).
        teacher: the frozen teacher, of the same kind.
        layer_mapping: `uniform`, `top`, `bottom`, or a list of teacher layers (1-based),
            one per student layer (`tinybert_tf.layer_mapping`).
        projection: `shared` (one W_h for the embeddings and all layers, as the official
            code), `per_layer` (one per mapped layer, W_e separate), or `none` (needs
            equal hidden sizes).
        projection_init: `identity` (W = I, b = 0: the student's states are compared as
            they are until W learns; needs equal hidden sizes), `glorot` (random), or
            `auto`: identity when the widths are equal, else glorot. Projections trained
            in general distillation are carried over with `save_projections` /
            `load_projections` (the task stage does this by itself).
        head_map: per student layer, the teacher head each student head learns from (a
            head-pruned student keeps a subset of its teacher's heads: `tinybert-tf prune`
            writes `distill_heads.json` beside it, and task distillation passes it here).

    Example:
    ```python
    distiller = Distiller(student, teacher, layer_mapping="uniform")
    distiller.compile(optimizer=keras.optimizers.Adam(5e-5), stage="intermediate")
    distiller.fit(train_ds, validation_data=dev_ds, epochs=10)
    distiller.compile(optimizer=keras.optimizers.Adam(3e-5), stage="prediction", temperature=1.0)
    distiller.fit(train_ds, validation_data=dev_ds, epochs=3)
    student = distiller.export_student()   # plain BertClassifier, no projections
    ```
    """

    def __init__(self, student, teacher, layer_mapping: Union[str, Sequence[int]] = "uniform",
                 projection: str = "shared", projection_init: str = "auto",
                 head_map: Optional[Sequence[Sequence[int]]] = None, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        if type(student) is not type(teacher):
            raise ValueError(f"Student ({type(student).__name__}) and teacher ({type(teacher).__name__}) must be "
                             "the same kind: both BertClassifier, BertTokenClassifier or BertQuestionAnswerer "
                             "(task distillation) or both BertEncoder (general).")
        # What the prediction loss compares (`task_kinds`: sequence logits, per-token logits,
        # span scores); None for encoders (general distillation).
        name = getattr(type(student), "task_kind", None)
        self.kind = kind_of(name) if name is not None else None
        self.is_classifier = self.kind is not None  # a task model: it has a prediction layer
        labels = getattr(student, "num_labels", None)
        if labels is not None and labels != teacher.num_labels:
            raise ValueError(f"The student has {student.num_labels} outputs, the teacher {teacher.num_labels}; "
                             "build the student for the teacher's labels.")
        self.num_labels = labels
        self.student = student.as_distillation_model()
        self._student_template = None  # the unwrapped view, once pruning wraps the student
        # Checkpointed with the Distiller (Keras leaves dropout RNG state out of weights),
        # so BackupAndRestore resumes the same dropout masks.
        self.dropout_rng_states = dropout_rng_states(self.student)
        self.teacher = teacher.as_distillation_model()
        self.teacher.trainable = False
        s_config, t_config = self._encoder(self.student).config, self._encoder(self.teacher).config
        self.layer_mapping = make_layer_mapping(s_config.num_hidden_layers, t_config.num_hidden_layers, layer_mapping)
        self.head_map = _check_head_map(head_map, s_config, t_config, self.layer_mapping)
        if projection not in PROJECTIONS:
            raise ValueError(f"projection={projection!r}; use one of {PROJECTIONS}.")
        if projection == "none" and s_config.hidden_size != t_config.hidden_size:
            raise ValueError(f"projection='none' needs equal hidden sizes; student {s_config.hidden_size}, teacher "
                             f"{t_config.hidden_size}. Use 'shared' or 'per_layer'.")
        self.projection = projection
        if projection_init not in PROJECTION_INITS:
            raise ValueError(f"projection_init={projection_init!r}; use one of {PROJECTION_INITS}.")
        equal = s_config.hidden_size == t_config.hidden_size
        if projection_init == "identity" and not equal:
            raise ValueError(f"projection_init='identity' needs equal hidden sizes; student {s_config.hidden_size}, "
                             f"teacher {t_config.hidden_size}. Use 'glorot'.")
        self.projection_init = ("identity" if equal else "glorot") if projection_init == "auto" else projection_init
        width = t_config.hidden_size
        kernel = "identity" if self.projection_init == "identity" else "glorot_uniform"
        names = (["fit_dense"] if projection == "shared" else
                 [f"fit_dense_{i}" for i in range(s_config.num_hidden_layers + 1)] if projection == "per_layer" else [])
        self.projections = [keras.layers.Dense(width, kernel_initializer=kernel, name=n) for n in names]
        for p in self.projections:
            p.build((None, None, s_config.hidden_size))
        self.stage = None

    @staticmethod
    def _encoder(model):
        return encoder_of(model)

    def _projection(self, index):
        """W for hidden state `index` (0 = embeddings), or None without projections."""
        if not self.projections:
            return None
        return self.projections[0 if self.projection == "shared" else index]

    # --- Keras API ---------------------------------------------------------------------
    def compile(self, optimizer="adam", stage="intermediate", embedding_weight=1.0, attention_weight=1.0,
                hidden_weight=1.0, prediction_weight=1.0, temperature=1.0, regression_target="teacher", **kwargs):
        """Args:
            optimizer: any Keras optimizer.
            stage: `general`, `intermediate` (task step 1), `prediction` (task step 2) or
                `all`; selects the loss terms (`STAGES`).
            embedding_weight, attention_weight, hidden_weight, prediction_weight: loss weights.
            temperature: softmax temperature of the prediction loss.
            regression_target: for regression students, what the prediction loss (MSE)
                pulls the output towards: `teacher` (its output), `labels` (the gold
                scores, as the official code's step 2), or `mix` (the mean of both losses).
        """
        if stage not in STAGES:
            raise ValueError(f"stage={stage!r}; use one of {sorted(STAGES)}.")
        if "prediction" in STAGES[stage] and not self.is_classifier:
            raise ValueError(f"stage={stage!r} needs a prediction layer: distil task models "
                             f"({', '.join(m.__name__ for m in TASK_MODELS)}), not encoders.")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}.")
        if regression_target not in REGRESSION_TARGETS:
            raise ValueError(f"regression_target={regression_target!r}; use one of {REGRESSION_TARGETS}.")
        self.regression_target = regression_target
        super().compile(optimizer=optimizer, **kwargs)
        self.stage = stage
        self.temperature = float(temperature)
        self.loss_weights = {"embedding": float(embedding_weight), "attention": float(attention_weight),
                             "hidden": float(hidden_weight), "prediction": float(prediction_weight)}
        self.terms = STAGES[stage]
        self.trackers = {"total": keras.metrics.Mean(name="loss")}
        self.trackers.update({name: keras.metrics.Mean(name=f"{name}_loss") for name in self.terms})
        self.accuracy = self.kind.accuracy_metric(self.num_labels) if self.kind is not None else None

    @property
    def _is_regression(self):
        return self.kind is not None and self.kind.is_regression(self.num_labels)

    @property
    def metrics(self):
        if self.stage is None:
            return []
        return list(self.trackers.values()) + ([self.accuracy] if self.accuracy is not None else [])

    def call(self, inputs, training=False):
        out = self.student(inputs, training=training)
        return self.kind.distiller_outputs(out) if self.is_classifier else out["sequence_output"]

    def compute_losses(self, inputs, training=False, labels=None):
        """Each active loss term (unweighted) for a batch; also returns the student outputs.
        `labels` are needed only for a regression prediction loss on the gold scores and,
        for token classification, to mark the positions that carry a tag (labels >= 0:
        each word's first WordPiece; `data.align_tags` gives -100 elsewhere)."""
        cached = inputs.get("teacher_logits") if isinstance(inputs, dict) else None
        if cached is not None:  # step 2 with the teacher's logits computed once (TaskDistillConfig)
            inputs = {k: v for k, v in inputs.items() if k != "teacher_logits"}
        if cached is not None and set(self.terms) == {"prediction"}:
            teacher = {"logits": cached}
        else:
            teacher = self.teacher(inputs, training=False)
        student = self.student(inputs, training=training)
        terms = {}
        if "embedding" in self.terms:
            terms["embedding"] = losses.hidden_loss(student["hidden_states"][0], teacher["hidden_states"][0],
                                                    self._projection(0))
        if "attention" in self.terms:
            mask = inputs["attention_mask"]
            terms["attention"] = tf.add_n([
                losses.attention_loss(student["attention_scores"][m], self._teacher_heads(teacher, m, g), mask)
                for m, g in enumerate(self.layer_mapping)])
        if "hidden" in self.terms:
            terms["hidden"] = tf.add_n([
                losses.hidden_loss(student["hidden_states"][m + 1], teacher["hidden_states"][g], self._projection(m + 1))
                for m, g in enumerate(self.layer_mapping)])
        if "prediction" in self.terms:
            terms["prediction"] = self.kind.prediction_loss(self, student, teacher, inputs, labels)
        return terms, student

    def _teacher_heads(self, teacher, m, g):
        """Teacher layer g's attention scores for student layer m: the heads `head_map`
        names (a head-pruned student keeps a subset of the teacher's), else all."""
        scores = teacher["attention_scores"][g - 1]
        return scores if self.head_map is None else tf.gather(scores, self.head_map[m], axis=1)

    def sequence_prediction_loss(self, student_logits, teacher_logits, labels):
        """Soft cross-entropy towards the teacher (classification), or for regression MSE
        towards the teacher, the gold scores or both (`regression_target`)."""
        teacher_term = losses.prediction_loss(student_logits, teacher_logits, self.temperature,
                                              regression=self._is_regression)
        if not self._is_regression or self.regression_target == "teacher":
            return teacher_term
        if labels is None:
            raise ValueError(f"regression_target={self.regression_target!r} needs labels in the dataset.")
        gold = losses.mse(student_logits, tf.reshape(tf.cast(labels, tf.float32), (-1, 1)))
        return gold if self.regression_target == "labels" else 0.5 * (gold + teacher_term)

    def _total(self, terms):
        return tf.add_n([self.loss_weights[name] * value for name, value in terms.items()])

    def _update_metrics(self, terms, total, labels, student):
        self.trackers["total"].update_state(total)
        for name, value in terms.items():
            self.trackers[name].update_state(value)
        if labels is not None and self.accuracy is not None:
            self.accuracy.update_state(labels, student["logits"])
        return {m.name: m.result() for m in self.metrics}

    @staticmethod
    def _unpack(data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return x, y

    def train_step(self, data):
        if self.stage is None:
            raise RuntimeError("Compile the Distiller (optimizer, stage, loss weights) before fit().")
        x, y = self._unpack(data)
        loss_scaling = isinstance(self.optimizer, keras.mixed_precision.LossScaleOptimizer)  # mixed float16
        with tf.GradientTape() as tape:
            terms, student = self.compute_losses(x, training=True, labels=y)
            total = self._total(terms)
            # Gradients are summed across replicas; scale so the step equals the global mean.
            scaled = total / tf.distribute.get_strategy().num_replicas_in_sync
            if loss_scaling:  # float16 gradients would underflow: scale up, then back down below
                scaled = self.optimizer.get_scaled_loss(scaled)
        variables = self.student.trainable_variables + [w for p in self.projections for w in p.trainable_variables]
        # Each stage leaves some variables out of its losses (the head in step 1, the
        # projections in step 2): they get no gradient and stay as they are.
        grads = tape.gradient(scaled, variables)
        if loss_scaling:
            grads = self.optimizer.get_unscaled_gradients(grads)
        self.optimizer.apply_gradients([(g, v) for g, v in zip(grads, variables) if g is not None])
        return self._update_metrics(terms, total, y, student)

    def test_step(self, data):
        x, y = self._unpack(data)
        terms, student = self.compute_losses(x, training=False, labels=y)
        return self._update_metrics(terms, self._total(terms), y, student)

    def get_config(self):
        # The teacher and student are models with their own configs; a Distiller is
        # rebuilt from them, not deserialized. Checkpoints use save_weights().
        return {"layer_mapping": self.layer_mapping, "projection": self.projection,
                "projection_init": self.projection_init, "head_map": self.head_map, "name": self.name}

    def apply_pruning(self, wrap):
        """Replace the student by `wrap(student)`: a tfmot-wrapped copy (see
        `tinybert_tf.pruning.magnitude_pruning`). Call before `fit`, with
        `prune.pruning_callbacks()` among the callbacks; `export_student` strips it."""
        if self._student_template is None:
            self._student_template = self.student
        self.student = wrap(self.student)
        self.dropout_rng_states = dropout_rng_states(self.student)  # the wrapped copy has its own dropouts
        self._reset_compile_cache()  # traced fit/predict functions still call the old student

    # --- projections: carried from general into task distillation ----------------------------
    def projection_tensors(self):
        """{name: array} of the projections in PyTorch `nn.Linear` layout (`fit_dense.weight`
        is (out, in)), the names the official TinyBERT code gives them."""
        tensors = {}
        for p in self.projections:
            kernel, bias = p.get_weights()
            tensors[f"{p.name}.weight"], tensors[f"{p.name}.bias"] = kernel.T.copy(), bias
        return tensors

    def save_projections(self, path: str) -> None:
        """Write the projections to a safetensors file, atomically (beside a general
        student, never inside it: the exported student has no projections)."""
        from safetensors.numpy import save_file

        with atomic_path(path) as tmp:
            save_file({k: np.ascontiguousarray(v, np.float32) for k, v in self.projection_tensors().items()}, tmp)

    def load_projections(self, path: str) -> None:
        """Load projections saved by `save_projections`; they must be of this projection
        kind and these widths."""
        from safetensors.numpy import load_file

        saved, expected = load_file(path), self.projection_tensors()
        if {k: v.shape for k, v in saved.items()} != {k: v.shape for k, v in expected.items()}:
            raise ValueError(f"{path} holds projections {sorted((k, v.shape) for k, v in saved.items())}, this "
                             f"Distiller needs {sorted((k, v.shape) for k, v in expected.items())} "
                             f"(projection={self.projection!r}); use projection_init 'identity' or 'glorot'.")
        for p in self.projections:
            p.set_weights([saved[f"{p.name}.weight"].T, saved[f"{p.name}.bias"]])

    def _student_state(self):
        """Everything a later stage continues from: the (possibly pruning-wrapped) student,
        the projections and the dropout streams; not the frozen teacher, not the optimizer."""
        return (list(self.student.weights) + [w for p in self.projections for w in p.weights]
                + list(self.dropout_rng_states))

    def save_student_state(self, path: str) -> None:
        """Write `_student_state` to an `.npz` file, atomically (a step's "done" marker)."""
        arrays = {f"v{i:04d}": v.numpy() for i, v in enumerate(self._student_state())}
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)

    def load_student_state(self, path: str) -> None:
        variables = self._student_state()
        with np.load(path) as saved:
            values = [saved[f"v{i:04d}"] for i in range(len(saved.files))]
        if [tuple(v.shape) for v in variables] != [x.shape for x in values]:
            raise ValueError(f"{path} was saved from another student; delete it to train this one.")
        for variable, value in zip(variables, values):
            variable.assign(value)

    def export_student(self):
        """The student as a plain inference model (weights copied; no projections, no
        distillation outputs, pruning wrappers stripped): what gets saved and exported."""
        student = self.student
        if self._student_template is not None:
            student = strip_pruning(self.student, self._student_template)
        return student.as_inference_model()


def _check_head_map(head_map, s_config, t_config, layer_mapping):
    """`head_map[m]`: for each head of student layer m, the teacher head (0-based, in teacher
    layer g(m)) whose attention it learns; None: `losses.match_heads` decides."""
    if head_map is None:
        return None
    head_map = [[int(h) for h in layer] for layer in head_map]
    if len(head_map) != s_config.num_hidden_layers:
        raise ValueError(f"head_map has {len(head_map)} layers; the student has {s_config.num_hidden_layers}.")
    for m, (heads, g) in enumerate(zip(head_map, layer_mapping)):
        if len(heads) != s_config.heads_in_layer(m):
            raise ValueError(f"head_map[{m}] names {len(heads)} heads; student layer {m} has "
                             f"{s_config.heads_in_layer(m)}.")
        if heads and not 0 <= min(heads) <= max(heads) < t_config.heads_in_layer(g - 1):
            raise ValueError(f"head_map[{m}] = {heads}: teacher layer {g} has heads 0.."
                             f"{t_config.heads_in_layer(g - 1) - 1}.")
    return head_map
