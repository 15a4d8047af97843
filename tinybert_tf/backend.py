"""The one place that imports TensorFlow and Keras 2, after `tinybert_tf` set the env."""

import tinybert_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import tensorflow as tf
import tf_keras as keras

__all__ = ["tf", "keras"]
