"""Pruning a student: tfmot magnitude pruning during distillation, structured pruning of
attention heads and FFN neurons, and vocabulary pruning.

- Unstructured (`magnitude_pruning`, `UpdatePruningStep`, `strip_pruning`,
  `sparsity_report`): tensorflow-model-optimization's `prune_low_magnitude` around the
  whole student, trained inside the `Distiller`. It zeroes weights but keeps every shape,
  so on its own it barely changes TFLite size or speed (the embeddings dominate the file
  and dense kernels stay dense).
- Structured (`importance_scores`, `prune_heads_and_neurons`): removes whole attention
  heads and FFN neurons, ranked by the first-order importance of Michel et al. (2019),
  "Are Sixteen Heads Really Better than One?": I = |sum over dev batches of dL/dxi| for a
  gate xi on each head's (or neuron's) output. That gradient equals the sum of W * dL/dW
  over the head's (neuron's) slice of the following output kernel, so no gates are
  inserted. The result is an ordinary smaller BERT: `intermediate_size` shrinks, removed
  heads are written to `config.pruned_heads` as Hugging Face records them.
- Vocabulary (`prune_vocabulary`): keeps the WordPiece rows the task text uses, the
  special tokens and (by default) every single-character piece, so unseen words still
  split into kept pieces rather than [UNK]; ids are renumbered in the original order and
  the tokenizer is rebuilt from the new `vocab.txt`, so tokenizer, model and app bundle
  agree.
"""

import collections
import dataclasses
import math
import os
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

from tinybert_tf.backend import keras, tf
from tinybert_tf.config import BertConfig
from tinybert_tf.models import BertClassifier, BertEncoder

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


# --- unstructured: tfmot ---------------------------------------------------------------
def _tfmot():
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


# --- structured: heads and FFN neurons --------------------------------------------------
def importance_scores(classifier: BertClassifier, features: Dict[str, np.ndarray], labels: np.ndarray,
                      batch_size: int = 8):
    """Michel et al. (2019) importance of every head and FFN neuron on labelled data.

    Returns (heads, neurons): lists over layers of arrays, one score per head / neuron."""
    encoder = classifier.encoder
    config = encoder.config
    out_kernels, ffn_kernels = [], []
    for i in range(config.num_hidden_layers):
        out_kernels.append(encoder.get_layer(f"layer_{i}_attention")._output_dense.kernel)
        ffn_kernels.append(encoder.get_layer(f"layer_{i}_output").kernel)
    heads = [np.zeros(k.shape[0]) for k in out_kernels]
    neurons = [np.zeros(k.shape[0]) for k in ffn_kernels]
    regression = classifier.num_labels == 1
    n = len(labels)
    for start in range(0, n, batch_size):
        x = {k: v[start:start + batch_size] for k, v in features.items()}
        y = labels[start:start + batch_size]
        with tf.GradientTape() as tape:
            logits = classifier(x, training=False)
            if regression:
                loss = tf.reduce_mean(tf.square(logits[:, 0] - y))
            else:
                loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        grads = tape.gradient(loss, out_kernels + ffn_kernels)
        for i, (k, g) in enumerate(zip(out_kernels, grads[:len(out_kernels)])):
            heads[i] += np.abs((k * g).numpy().sum(axis=(1, 2)))       # (heads, head_size, hidden)
        for i, (k, g) in enumerate(zip(ffn_kernels, grads[len(out_kernels):])):
            neurons[i] += np.abs((k * g).numpy().sum(axis=1))           # (intermediate, hidden)
    return heads, neurons


def _rebuilt(classifier: BertClassifier, config: BertConfig, reshape) -> BertClassifier:
    """A classifier built from `config` holding `classifier`'s weights; each encoder layer's
    weights pass through `reshape(layer_name, weights)` (the slicing a pruning does)."""
    encoder = classifier.encoder
    new_encoder = BertEncoder(config, name=encoder.name)
    new = BertClassifier(new_encoder, classifier.num_labels, dropout=classifier.dropout, name=classifier.name)
    for layer in encoder.layers:
        if layer.weights:
            new_encoder.get_layer(layer.name).set_weights(reshape(layer.name, layer.get_weights()))
    new.get_layer("classifier").set_weights(classifier.get_layer("classifier").get_weights())
    return new


def prune_heads_and_neurons(classifier: BertClassifier, head_scores, neuron_scores, heads_fraction: float = 0.0,
                            ffn_fraction: float = 0.0) -> BertClassifier:
    """A smaller `BertClassifier`: in every layer the `heads_fraction` least important
    heads and `ffn_fraction` least important FFN neurons removed (at least one head and one
    neuron stay; the same count in every layer, so `intermediate_size` stays one number)."""
    for name, value in (("heads_fraction", heads_fraction), ("ffn_fraction", ffn_fraction)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {value}.")
    config = classifier.encoder.config
    keep_ffn = max(1, int(round(config.intermediate_size * (1.0 - ffn_fraction))))
    kept_heads, kept_neurons, pruned_heads = [], [], {}
    for i in range(config.num_hidden_layers):
        n = config.heads_in_layer(i)
        keep = max(1, int(round(n * (1.0 - heads_fraction))))
        order = np.argsort(-head_scores[i], kind="stable")
        kept = np.sort(order[:keep])
        kept_heads.append(kept)
        # Head indices in the original (unpruned) numbering, as HF's pruned_heads holds them.
        original = [h for h in range(config.num_attention_heads) if h not in config.pruned_heads.get(i, [])]
        removed = sorted(set(config.pruned_heads.get(i, [])) | {original[j] for j in range(n) if j not in kept})
        if removed:
            pruned_heads[i] = removed
        kept_neurons.append(np.sort(np.argsort(-neuron_scores[i], kind="stable")[:keep_ffn]))

    def reshape(name, weights):
        if not name.startswith("layer_"):
            return weights
        i = int(name.split("_")[1])
        if name.endswith("_attention"):
            h = kept_heads[i]
            # q, k, v kernels (hidden, heads, d) and biases (heads, d); output (heads, d, hidden), bias.
            q, qb, k, kb, v, vb, o, ob = weights
            return [q[:, h], qb[h], k[:, h], kb[h], v[:, h], vb[h], o[h], ob]
        if name.endswith("_intermediate"):
            return [weights[0][:, kept_neurons[i]], weights[1][kept_neurons[i]]]
        if name.endswith("_output"):
            return [weights[0][kept_neurons[i]], weights[1]]
        return weights

    new_config = dataclasses.replace(config, intermediate_size=keep_ffn, pruned_heads=pruned_heads)
    return _rebuilt(classifier, new_config, reshape)


# --- vocabulary ---------------------------------------------------------------------------
def prune_vocabulary(classifier: BertClassifier, tokenizer, texts: Sequence[str], keep_characters: bool = True,
                     min_count: int = 1):
    """Keep the WordPiece rows `texts` use (at least `min_count` times), the special tokens
    and, with `keep_characters`, every single-character piece (`a`, `##a`, ...).

    Returns (classifier, tokenizer, kept_ids): a new classifier whose word embeddings hold
    the kept rows in their original order, and a tokenizer built from the matching
    vocabulary; `kept_ids[new_id]` is the old id."""
    from tinybert_tf.tokenizer import BertTokenizer

    vocab = tokenizer.get_vocab()
    by_id = sorted(vocab.items(), key=lambda item: item[1])
    if [i for _, i in by_id] != list(range(len(by_id))):
        raise ValueError("The tokenizer's vocabulary ids are not 0..N-1; cannot prune it.")
    counts = collections.Counter()
    for ids in tokenizer.hf_tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
        counts.update(ids)
    keep = {vocab[t] for t in SPECIAL_TOKENS if t in vocab}
    keep |= {i for i, c in counts.items() if c >= min_count}
    if keep_characters:
        keep |= {i for t, i in by_id if len(t) == 1 or (t.startswith("##") and len(t) == 3)}
    kept_ids = np.array(sorted(keep))
    tokens = [by_id[i][0] for i in kept_ids]

    config = classifier.encoder.config
    new_config = dataclasses.replace(config, vocab_size=len(kept_ids),
                                     pad_token_id=tokens.index("[PAD]") if "[PAD]" in tokens else 0)
    new = _rebuilt(classifier, new_config,
                   lambda name, w: [w[0][kept_ids]] if name == "word_embeddings" else w)

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "vocab.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(t + "\n" for t in tokens))
        new_tokenizer = BertTokenizer.from_vocab_file(path, do_lower_case=tokenizer.do_lower_case,
                                                      model_max_length=config.max_position_embeddings)
    return new, new_tokenizer, kept_ids


def count_parameters(model) -> int:
    return int(sum(math.prod(w.shape) for w in model.weights))


def layer_sizes(config: BertConfig) -> List[Optional[int]]:
    return [config.heads_in_layer(i) for i in range(config.num_hidden_layers)]


# --- the stage: config + one call (CLI `tinybert-tf prune`) ------------------------------
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
    from tinybert_tf import data as data_lib
    from tinybert_tf import distill
    from tinybert_tf.checkpoint import load_pretrained, save_pretrained
    from tinybert_tf.teacher import evaluate_model, save_fine_tuned

    keras.utils.set_random_seed(config.seed)
    task = data_lib.load_task(config.task, data_dir=config.data_dir, seed=config.seed)
    loaded = load_pretrained(config.model)
    if loaded.classifier is None:
        raise ValueError(f"{config.model} has no classifier head: prune a task-distilled (or fine-tuned) student.")
    model, tokenizer = loaded.classifier, loaded.tokenizer
    report = {"source": config.model, "parameters_before": count_parameters(model)}
    start = time.time()
    current = config.model

    if config.heads_fraction > 0 or config.ffn_fraction > 0:
        dev = task.dev if config.importance_examples is None else task.dev.take(
            range(min(config.importance_examples, len(task.dev))))
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
