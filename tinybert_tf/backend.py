"""The one place that imports TensorFlow and Keras 2.

Python runs `tinybert_tf/__init__.py` before this module, and it sets
TF_USE_LEGACY_KERAS=1 before anything imports TensorFlow, so `tf.keras` is Keras 2 here.
"""

import tensorflow as tf
import tf_keras as keras

__all__ = ["tf", "keras"]
