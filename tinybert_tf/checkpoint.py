"""Hugging Face checkpoints <-> Keras models: safetensors in, safetensors out, no pickle.

A checkpoint directory is HF's layout: `config.json`, `model.safetensors` (or a sharded
`model.safetensors.index.json`), and `vocab.txt`/`tokenizer.json`. Tensor names may carry
the `bert.` prefix (`BertFor*` models) or not (`BertModel`). Recognised heads: the
pooler, a sequence classifier (`classifier.*`) and the MLM head (`cls.predictions.*`).
`save_pretrained` writes the same layout, so PyTorch `transformers` loads what we save.
"""

import dataclasses
import json
import logging
import os
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from tinybert_tf.config import BertConfig
from tinybert_tf.errors import CheckpointError
from tinybert_tf.hub import KNOWN_MODELS, resolve_model_dir  # noqa: F401  (re-exported)
from tinybert_tf.models import (TASK_MODELS, BertClassifier, BertEncoder, BertMaskedLMHead, BertQuestionAnswerer,
                                BertTokenClassifier, encoder_of)
from tinybert_tf.outputs import atomic_path
from tinybert_tf.tokenizer import BertTokenizer

logger = logging.getLogger(__name__)

# Tensors HF checkpoints carry that a BERT encoder does not use: NSP head, buffers.
_IGNORED_SUFFIXES = ("embeddings.position_ids",)
_IGNORED_PREFIXES = ("cls.seq_relationship.",)


# --- reading tensors -------------------------------------------------------------------
def read_state_dict(directory: str, allow_pickle: bool = False) -> Dict[str, np.ndarray]:
    """All tensors of a checkpoint directory as float32 NumPy arrays, keyed by HF name."""
    single = os.path.join(directory, "model.safetensors")
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.isfile(single):
        return _read_safetensors(single)
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        tensors = {}
        for shard in shards:
            tensors.update(_read_safetensors(os.path.join(directory, shard)))
        return tensors
    pickled = [f for f in ("pytorch_model.bin", "model.bin") if os.path.isfile(os.path.join(directory, f))]
    if pickled:
        if not allow_pickle:
            raise CheckpointError(
                f"{directory} has only {pickled[0]}, a pickle file: loading it can run arbitrary code. "
                "Convert it to safetensors (transformers: model.save_pretrained(dir, safe_serialization=True)), "
                "or, if you trust its source, pass allow_pickle=True (CLI: --allow-pickle; needs torch)."
            )
        return _read_torch_pickle(os.path.join(directory, pickled[0]))
    if os.path.isfile(os.path.join(directory, "tf_model.h5")):
        raise CheckpointError(
            f"{directory} has only tf_model.h5 (transformers' TF format); convert it to model.safetensors first."
        )
    raise CheckpointError(f"{directory} has no model.safetensors; a checkpoint directory needs its weights file.")


def _read_safetensors(path: str) -> Dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    if not os.path.isfile(path):
        raise CheckpointError(f"Missing weights shard {path}; copy the whole checkpoint directory again.")
    try:
        tensors = load_file(path)
    except (SafetensorError, OSError, ValueError, TypeError) as e:
        raise CheckpointError(
            f"{path} is not a readable safetensors file ({e}); it is corrupt or truncated: download or copy it again."
        ) from e
    return {k: v.astype(np.float32) if v.dtype != np.float32 else v for k, v in tensors.items()}


def _read_torch_pickle(path: str) -> Dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise CheckpointError(f"Reading {path} (pickle) needs torch: pip install torch, or convert it to safetensors.") from None
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v.float().numpy() for k, v in state.items()}


# --- the name map ------------------------------------------------------------------------
@dataclasses.dataclass
class _Entry:
    hf_name: str
    variable: object  # a tf.Variable
    to_keras: Callable[[np.ndarray], np.ndarray]
    to_hf: Callable[[np.ndarray], np.ndarray]


def _identity(x):
    return x


def _transpose(x):
    return x.T


def _encoder_entries(encoder) -> List[_Entry]:
    c = encoder.config
    d, h = c.head_size, c.hidden_size
    get = encoder.get_layer
    e = [
        _Entry("embeddings.word_embeddings.weight", get("word_embeddings").embeddings, _identity, _identity),
        _Entry("embeddings.position_embeddings.weight", get("position_embeddings").embeddings, _identity, _identity),
        _Entry("embeddings.token_type_embeddings.weight", get("token_type_embeddings").embeddings, _identity, _identity),
    ]
    e += _layer_norm_entries("embeddings.LayerNorm", get("embeddings_layer_norm"))
    for i in range(c.num_hidden_layers):
        p, k = f"encoder.layer.{i}.", f"layer_{i}_"
        attention = get(k + "attention")
        n = c.heads_in_layer(i)  # fewer after structured head pruning
        for hf, dense in (("query", attention._query_dense), ("key", attention._key_dense),
                          ("value", attention._value_dense)):
            # HF Linear weight (out, in) -> EinsumDense kernel (in, heads, head_size).
            e.append(_Entry(f"{p}attention.self.{hf}.weight", dense.kernel,
                            lambda w, n=n: w.T.reshape(h, n, d), lambda k_, n=n: k_.reshape(h, n * d).T))
            e.append(_Entry(f"{p}attention.self.{hf}.bias", dense.bias,
                            lambda b, n=n: b.reshape(n, d), lambda b, n=n: b.reshape(n * d)))
        out = attention._output_dense
        e.append(_Entry(f"{p}attention.output.dense.weight", out.kernel,
                        lambda w, n=n: w.T.reshape(n, d, h), lambda k_, n=n: k_.reshape(n * d, h).T))
        e.append(_Entry(f"{p}attention.output.dense.bias", out.bias, _identity, _identity))
        e += _layer_norm_entries(f"{p}attention.output.LayerNorm", get(k + "attention_layer_norm"))
        e += _dense_entries(f"{p}intermediate.dense", get(k + "intermediate"))
        e += _dense_entries(f"{p}output.dense", get(k + "output"))
        e += _layer_norm_entries(f"{p}output.LayerNorm", get(k + "output_layer_norm"))
    e += _dense_entries("pooler.dense", get("pooler_dense"))
    return e


def _dense_entries(hf_prefix, layer) -> List[_Entry]:
    return [
        _Entry(f"{hf_prefix}.weight", layer.kernel, _transpose, _transpose),
        _Entry(f"{hf_prefix}.bias", layer.bias, _identity, _identity),
    ]


def _layer_norm_entries(hf_prefix, layer) -> List[_Entry]:
    return [
        _Entry(f"{hf_prefix}.weight", layer.gamma, _identity, _identity),
        _Entry(f"{hf_prefix}.bias", layer.beta, _identity, _identity),
    ]


def _mlm_entries(head) -> List[_Entry]:
    e = _dense_entries("cls.predictions.transform.dense", head.transform_dense)
    e += _layer_norm_entries("cls.predictions.transform.LayerNorm", head.transform_layer_norm)
    e.append(_Entry("cls.predictions.bias", head.bias, _identity, _identity))
    return e


def _normalise_names(tensors: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Strip the `bert.` prefix of `BertFor*` checkpoints; drop tensors no BERT encoder uses."""
    out = {}
    for name, value in tensors.items():
        if name.endswith(_IGNORED_SUFFIXES) or name.startswith(_IGNORED_PREFIXES):
            continue
        out[name[len("bert."):] if name.startswith("bert.") else name] = value
    return out


def _assign(entries: Sequence[_Entry], tensors: Dict[str, np.ndarray], directory: str,
            optional: Sequence[str] = ()) -> List[str]:
    """Assign tensors to variables; one CheckpointError listing every problem. Returns the
    optional names that were absent (left at their initial values)."""
    missing, misshaped, absent_optional = [], [], []
    for entry in entries:
        if entry.hf_name not in tensors:
            (absent_optional if entry.hf_name in optional else missing).append(entry.hf_name)
            continue
        value = entry.to_keras(tensors[entry.hf_name]) if _can_map(entry, tensors[entry.hf_name]) else None
        if value is None or tuple(value.shape) != tuple(entry.variable.shape):
            misshaped.append(f"{entry.hf_name}: checkpoint {tuple(tensors[entry.hf_name].shape)}, "
                             f"model expects {tuple(entry.to_hf(np.zeros(entry.variable.shape)).shape)}")
    if missing or misshaped:
        lines = []
        if missing:
            lines.append(f"missing tensors ({len(missing)}): " + ", ".join(missing[:20])
                         + (" ..." if len(missing) > 20 else ""))
        if misshaped:
            lines.append(f"mis-shaped tensors ({len(misshaped)}): " + "; ".join(misshaped[:20])
                         + (" ..." if len(misshaped) > 20 else ""))
        raise CheckpointError(
            f"The weights in {directory} do not match its config.json:\n  " + "\n  ".join(lines)
            + "\nCheck that config.json belongs to these weights (hidden_size, num_hidden_layers, "
            "num_attention_heads, intermediate_size, vocab_size)."
        )
    for entry in entries:
        if entry.hf_name in tensors:
            entry.variable.assign(entry.to_keras(tensors[entry.hf_name]))
    return absent_optional


def _can_map(entry, value):
    try:
        entry.to_keras(value)
        return True
    except ValueError:
        return False


# --- public API --------------------------------------------------------------------------
@dataclasses.dataclass
class PretrainedBert:
    """What `load_pretrained` found in a checkpoint directory."""

    directory: str
    config: BertConfig
    encoder: object  # BertEncoder
    tokenizer: object  # BertTokenizer
    classifier: Optional[object] = None  # BertClassifier, when the checkpoint has one or num_labels was given
    mlm_head: Optional[object] = None  # BertMaskedLMHead, when the checkpoint has cls.predictions.*
    labels: Optional[List[str]] = None  # from config.json id2label
    token_classifier: Optional[object] = None  # BertTokenClassifier (BertForTokenClassification)
    question_answerer: Optional[object] = None  # BertQuestionAnswerer (BertForQuestionAnswering)

    @property
    def task_model(self):
        """The task model the checkpoint was loaded as (classifier, token classifier or
        question answerer), or None for a bare encoder."""
        return next((m for m in (self.classifier, self.token_classifier, self.question_answerer) if m is not None),
                    None)


HEADS = ("text-classification", "token-classification", "question-answering")


def load_pretrained(
    name_or_path: str,
    num_labels: Optional[int] = None,
    allow_pickle: bool = False,
    distillation_outputs: bool = False,
    head: Optional[str] = None,
) -> PretrainedBert:
    """Load a Hugging Face BERT checkpoint into Keras, exactly.

    Args:
        name_or_path: a checkpoint directory, a short name (`minilm-l6`) or an HF hub id.
        num_labels: build a `BertClassifier` with this many labels: its weights come from
            the checkpoint when it has a matching `classifier.*`, else a new head is
            initialised (as for fine-tuning). `None`: use the checkpoint's classifier, if any.
        allow_pickle: accept a `pytorch_model.bin` when no safetensors exist (runs pickle).
        distillation_outputs: build the encoder with hidden states and attention scores.
        head: the task model to build, named as HF pipelines name tasks:
            `text-classification` (`classifier`, a `BertClassifier`),
            `token-classification` (`token_classifier`, a `BertTokenClassifier`; needs
            `num_labels` unless the checkpoint has the head) or `question-answering`
            (`question_answerer`, a `BertQuestionAnswerer`). `None`: what the checkpoint
            holds (`architectures` in config.json, else the head tensors present).

    Raises:
        CheckpointError: missing/corrupt files, pickle without opt-in, missing, unexpected
            or mis-shaped tensors (all listed at once), or a vocabulary whose size differs
            from the embedding matrix.

    Example:
    ```python
    teacher = load_pretrained("minilm-l6", num_labels=2)
    logits = teacher.classifier(teacher.tokenizer(["tasty!"], max_length=32))
    ```
    """
    directory = resolve_model_dir(name_or_path)
    config = BertConfig.from_json_file(os.path.join(directory, "config.json"))
    tensors = _normalise_names(read_state_dict(directory, allow_pickle=allow_pickle))

    tokenizer = BertTokenizer.from_pretrained(directory)
    if tokenizer.vocab_size != config.vocab_size:
        raise CheckpointError(
            f"The vocabulary in {directory} has {tokenizer.vocab_size} tokens but config.json says "
            f"vocab_size={config.vocab_size} (the word-embedding matrix has "
            f"{tensors.get('embeddings.word_embeddings.weight', np.zeros((0,))).shape[0]} rows): the "
            "vocab.txt/tokenizer.json belongs to another model. Copy the tokenizer files of this checkpoint."
        )

    encoder = BertEncoder(config, distillation_outputs=distillation_outputs, name="bert")
    entries = _encoder_entries(encoder)
    pooler = ("pooler.dense.weight", "pooler.dense.bias")
    absent = _assign(entries, tensors, directory, optional=pooler)
    if absent:  # e.g. a BertForMaskedLM checkpoint; HF also initialises the pooler anew then
        logger.warning("%s has no pooler weights; the pooler is newly initialised.", directory)
    used = {entry.hf_name for entry in entries}

    labels = None
    if config.id2label:
        labels = [config.id2label[i] for i in sorted(config.id2label)]
    architecture = (config.extra.get("architectures") or [None])[0]
    if head is None:
        head = ("token-classification" if architecture == "BertForTokenClassification" else
                "question-answering" if "qa_outputs.weight" in tensors else "text-classification")
    if head not in HEADS:
        raise ValueError(f"head={head!r}; use one of {', '.join(HEADS)}.")
    token_classifier = question_answerer = None
    if head == "token-classification":
        token_classifier, labels = _token_classifier(encoder, tensors, directory, num_labels, labels, used)
    elif head == "question-answering":
        question_answerer = BertQuestionAnswerer(encoder, name="bert_question_answerer")
        qa_entries = _dense_entries("qa_outputs", question_answerer.get_layer("qa_outputs"))
        if "qa_outputs.weight" in tensors:
            _assign(qa_entries, tensors, directory)
        used.update(x.hf_name for x in qa_entries)
    classifier = None
    has_head = head == "text-classification" and "classifier.weight" in tensors
    if head != "text-classification":
        num_labels = None
    if num_labels is None and has_head:
        num_labels = tensors["classifier.weight"].shape[0]
    if num_labels is not None:
        classifier = BertClassifier(encoder, num_labels=num_labels, name="bert_classifier")
        head = classifier.get_layer("classifier")
        head_entries = _dense_entries("classifier", head)
        if has_head and tensors["classifier.weight"].shape[0] == num_labels:
            _assign(head_entries, tensors, directory)
        elif has_head:
            logger.warning("The checkpoint's classifier has %d labels, not %d: a new head is initialised.",
                           tensors["classifier.weight"].shape[0], num_labels)
        used.update(x.hf_name for x in head_entries)
        if labels is not None and len(labels) != num_labels:
            labels = None

    mlm_head = None
    if "cls.predictions.transform.dense.weight" in tensors:
        mlm_head = BertMaskedLMHead(config, encoder.get_layer("word_embeddings"), name="mlm_head")
        mlm_head.build((None, None, config.hidden_size))
        mlm_entries = _mlm_entries(mlm_head)
        _assign(mlm_entries, tensors, directory)
        used.update(x.hf_name for x in mlm_entries)
        # The decoder is tied to the word embeddings; checkpoints may still store copies.
        used.update({"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"})

    unexpected = sorted(set(tensors) - used)
    if unexpected:
        raise CheckpointError(
            f"{directory} has {len(unexpected)} tensors a BERT encoder/classifier/MLM head does not use: "
            + ", ".join(unexpected[:20]) + (" ..." if len(unexpected) > 20 else "")
            + ". Is it a BERT checkpoint (model_type 'bert')? Strip the extra tensors if they are yours."
        )
    return PretrainedBert(directory, config, encoder, tokenizer, classifier, mlm_head, labels,
                          token_classifier, question_answerer)


def _token_classifier(encoder, tensors, directory, num_labels, labels, used):
    """A `BertTokenClassifier` with the checkpoint's `classifier.*` when it fits."""
    saved = tensors["classifier.weight"].shape[0] if "classifier.weight" in tensors else None
    num_labels = num_labels or saved
    if num_labels is None:
        raise CheckpointError(f"{directory} has no token-classification head: pass num_labels (the number of tags).")
    model = BertTokenClassifier(encoder, num_labels=num_labels, name="bert_token_classifier")
    entries = _dense_entries("classifier", model.get_layer("classifier"))
    if saved == num_labels:
        _assign(entries, tensors, directory)
    elif saved is not None:
        logger.warning("The checkpoint's token classifier has %d labels, not %d: a new head is initialised.",
                       saved, num_labels)
    used.update(x.hf_name for x in entries)
    return model, (labels if labels is not None and len(labels) == num_labels else None)


def save_pretrained(model, directory: str, tokenizer=None, labels: Optional[Sequence[str]] = None,
                    mlm_head=None) -> str:
    """Write `model` (a `BertEncoder`, `BertClassifier`, `BertTokenClassifier` or
    `BertQuestionAnswerer`) as an HF checkpoint directory:
    config.json (with id2label when `labels` are given), model.safetensors with HF tensor
    names, and the tokenizer files. PyTorch `transformers` can load the result."""
    from safetensors.numpy import save_file

    classifier = model if isinstance(model, (BertClassifier, BertTokenClassifier)) else None
    encoder = encoder_of(model)
    config = encoder.config
    prefix = "bert." if (isinstance(model, TASK_MODELS) or mlm_head is not None) else ""
    tensors = {prefix + e.hf_name: e.to_hf(e.variable.numpy()) for e in _encoder_entries(encoder)}
    if isinstance(model, BertQuestionAnswerer):
        tensors.update({e.hf_name: e.to_hf(e.variable.numpy())
                        for e in _dense_entries("qa_outputs", model.get_layer("qa_outputs"))})
        architecture = "BertForQuestionAnswering"
    elif classifier is not None:
        tensors.update({e.hf_name: e.to_hf(e.variable.numpy())
                        for e in _dense_entries("classifier", classifier.get_layer("classifier"))})
        if labels is not None:
            if len(labels) != classifier.num_labels:
                raise ValueError(f"{len(labels)} labels given for a classifier with {classifier.num_labels} outputs.")
            config = config.with_labels(labels)
        architecture = ("BertForTokenClassification" if isinstance(model, BertTokenClassifier)
                        else "BertForSequenceClassification")
    else:
        architecture = "BertForMaskedLM" if mlm_head is not None else "BertModel"
    if mlm_head is not None:
        tensors.update({e.hf_name: e.to_hf(e.variable.numpy()) for e in _mlm_entries(mlm_head)})
    extra = dict(config.extra)
    extra["architectures"] = [architecture]
    if classifier is not None:
        extra["num_labels"] = classifier.num_labels
        if isinstance(classifier, BertClassifier) and classifier.is_regression:
            extra["problem_type"] = "regression"
    config = dataclasses.replace(config, extra=extra)

    os.makedirs(directory, exist_ok=True)
    config.to_json_file(os.path.join(directory, "config.json"))
    with atomic_path(os.path.join(directory, "model.safetensors")) as tmp:  # never a truncated checkpoint
        save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, tmp,
                  metadata={"format": "pt"})
    if tokenizer is not None:
        tokenizer.save_pretrained(directory)
    return directory
