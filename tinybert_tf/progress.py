"""What a run shows while it works: progress bars (tqdm) for the long loops, Keras's
per-step bar in training, TensorBoard logs when asked, and the library's log messages.
`set_quiet(True)` (the CLI's `--quiet`) turns the bars off and training to one line per
epoch; results never change.

The library logs through `logging` (loggers under `tinybert_tf`) and installs no handler:
a Python user decides where messages go (`logging.basicConfig(level=logging.INFO)`, or
`log_to_console()` for the CLI's plain lines). The CLI calls `log_to_console`."""

import logging
import os
import sys
from typing import List, Optional

_QUIET = False


def set_quiet(quiet: bool) -> None:
    global _QUIET
    _QUIET = bool(quiet)


def quiet() -> bool:
    return _QUIET


class _Console(logging.Handler):
    """Each message as a plain line on the *current* `sys.stdout` (warnings and errors:
    `sys.stderr`), so whatever replaced the stream (the CLI's plain log, a test's capture)
    sees it."""

    def emit(self, record):
        try:
            stream = sys.stderr if record.levelno >= logging.WARNING else sys.stdout
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # logging's own rule: a handler never raises
            self.handleError(record)


def log_to_console(level=logging.INFO) -> None:
    """Show the library's messages at `level` and above as plain lines (once; calling it
    again only changes the level). They then stop propagating to the root logger, so a
    handler TensorFlow or absl put there does not print them twice."""
    package = logging.getLogger("tinybert_tf")
    if not any(isinstance(h, _Console) for h in package.handlers):
        package.addHandler(_Console())
    package.setLevel(level)
    package.propagate = False


def keras_verbose():
    """`fit`'s verbose: the per-step bar, or one line per epoch when quiet."""
    return 2 if _QUIET else "auto"


def bar(total: int, desc: str, unit: str = "it", initial: int = 0):
    """A tqdm bar on stderr (a no-op bar when quiet)."""
    import sys

    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, initial=initial, disable=_QUIET, file=sys.stderr,
                dynamic_ncols=True, mininterval=1.0)


def tensorboard(log_dir: Optional[str], name: str, every: int = 50) -> List:
    """A Keras TensorBoard callback writing to `log_dir/name` (every loss term the model
    logs, the learning rate, dev metrics; per epoch and every `every` steps), or [] when
    `log_dir` is None."""
    if not log_dir:
        return []
    from tinybert_tf.backend import keras

    return [keras.callbacks.TensorBoard(os.path.join(log_dir, name), update_freq=every, profile_batch=0)]


def keras_predict_bar(total_batches: int, desc: str):
    """A Keras callback showing `predict`'s progress on stderr (Keras's own bar writes to
    stdout, where commands print their results)."""
    from tinybert_tf.backend import keras

    class _Bar(keras.callbacks.Callback):
        def on_predict_begin(self, logs=None):
            self.bar = bar(total_batches, desc, unit="batch")

        def on_predict_batch_end(self, batch, logs=None):
            self.bar.update(1)

        def on_predict_end(self, logs=None):
            self.bar.close()

    return _Bar()
