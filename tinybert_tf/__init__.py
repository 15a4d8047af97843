"""tinybert_tf: TinyBERT distillation for TensorFlow/Keras, from a Hugging Face teacher to TFLite.

Importing this package selects Keras 2 (`tf_keras`) for TensorFlow: tfmot prunes only
Keras 2 models, so every model here is a `tf_keras` model. Import `tinybert_tf`
before TensorFlow, or set `TF_USE_LEGACY_KERAS=1` yourself.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
if os.environ["TF_USE_LEGACY_KERAS"] != "1":
    raise ImportError(
        "tinybert_tf needs Keras 2 (tf_keras) because tfmot cannot prune Keras 3 models, "
        f"but TF_USE_LEGACY_KERAS={os.environ['TF_USE_LEGACY_KERAS']!r}. Unset it or set it to 1."
    )
# TensorFlow's C++ INFO/WARNING lines (CUDA probing, oneDNN notes) drown the progress bar;
# errors still show. Set TF_CPP_MIN_LOG_LEVEL=0 to see everything.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# transformers is used without torch (tokenizers and configs only); its "PyTorch was not
# found" advisory is noise here.
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

__version__ = "0.1.0"

# Public names, imported on first use (PEP 562) so that `import tinybert_tf` and the CLI's
# `--help` do not pay for TensorFlow until a model is needed.
_EXPORTS = {
    "BertConfig": "tinybert_tf.config",
    "BertEncoder": "tinybert_tf.models.bert_encoder",
    "BertClassifier": "tinybert_tf.models.bert_classifier",
    "BertMaskedLMHead": "tinybert_tf.models.bert_masked_lm_head",
    "BertQuestionAnswerer": "tinybert_tf.models.bert_question_answerer",
    "BertTokenClassifier": "tinybert_tf.models.bert_token_classifier",
    "BertTokenizer": "tinybert_tf.tokenizer",
    "CheckpointError": "tinybert_tf.checkpoint",
    "load_pretrained": "tinybert_tf.checkpoint",
    "resolve_model_dir": "tinybert_tf.checkpoint",
    "save_pretrained": "tinybert_tf.checkpoint",
    "TextClassifier": "tinybert_tf.inference",
    "pipeline": "tinybert_tf.inference",
    "log_to_console": "tinybert_tf.progress",
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tinybert_tf' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
