"""The one place that imports TensorFlow and Keras 2.

Python runs `tinybert_tf/__init__.py` before this module, and it sets
TF_USE_LEGACY_KERAS=1 before anything imports TensorFlow, so `tf.keras` is Keras 2 here.

TensorFlow's C++ start-up lines (oneDNN notes, CUDA probing) are written before its
logging reads TF_CPP_MIN_LOG_LEVEL, so that variable cannot hide them; the import runs with
the process's stderr (file descriptor 2) pointed at /dev/null instead, unless
TF_CPP_MIN_LOG_LEVEL is 0 (show everything). A failing import still raises as usual.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def _quiet_stderr():
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _quiet_stderr():
    import tensorflow as tf
    import tf_keras as keras

    # CUDA is probed on the first device query; do it here, quietly (CPU-only machines
    # otherwise print "failed call to cuInit").
    tf.config.list_physical_devices()

__all__ = ["tf", "keras"]
