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

from tinybert_tf.config import BertConfig  # noqa: E402
from tinybert_tf.models.bert_encoder import BertEncoder  # noqa: E402
from tinybert_tf.models.bert_classifier import BertClassifier  # noqa: E402
from tinybert_tf.models.bert_masked_lm_head import BertMaskedLMHead  # noqa: E402
from tinybert_tf.tokenizer import BertTokenizer  # noqa: E402
from tinybert_tf.checkpoint import (  # noqa: E402
    CheckpointError,
    load_pretrained,
    resolve_model_dir,
    save_pretrained,
)

__version__ = "0.1.0"

__all__ = [
    "BertConfig",
    "BertEncoder",
    "BertClassifier",
    "BertMaskedLMHead",
    "BertTokenizer",
    "CheckpointError",
    "load_pretrained",
    "resolve_model_dir",
    "save_pretrained",
]
