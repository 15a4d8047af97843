"""The skeleton every training stage shares (fine-tuning, general and task distillation,
pruning, the MLM head), so each stage keeps only what is its own:

1. `begin`: seed everything from the config, refuse an output path that is a file;
2. (the stage loads and checks its inputs: nothing is written before they pass)
3. `reuse`: the settings guard (`outputs.prepare_output_dir`), and whether the folder
   already holds this very run, finished (then the stage returns what it saved);
4. `discard_on_failure`: the training itself; a NaN loss (`TrainingError`) removes the
   partial outputs and the settings record, so the folder can take other settings;
5. `score`: the dev and test metrics of the trained model, by the task's kind;
6. (the stage saves; `metrics.json` last marks it finished).

Example:
```python
stage.begin(config)
task, model = ...                       # load and check the inputs
if stage.reuse(config, "finetune", "fine-tuning"):
    return read_metrics(config.output_dir)
with stage.discard_on_failure(config.output_dir, ["backup"]):
    resumable_fit(...)
metrics = {"train_seconds": ..., **stage.score(model, tokenizer, task, config.max_length)}
```
"""

import contextlib
import logging
from typing import Iterable

from tinybert_tf import outputs
from tinybert_tf.errors import TrainingError
from tinybert_tf.task_kinds import evaluate_task

logger = logging.getLogger(__name__)


def begin(config) -> None:
    """Seed Python, NumPy and TensorFlow from `config.seed`; refuse an `output_dir` that is a file."""
    from tinybert_tf.backend import keras

    keras.utils.set_random_seed(config.seed)
    outputs.check_not_a_file(config.output_dir)


def reuse(config, stage: str, what: str, free: Iterable[str] = (), again: str = "train again") -> bool:
    """Guard `config.output_dir` with `config`'s settings (another run's settings there are
    refused) and say whether it holds this run finished: the stage then reuses it."""
    outputs.prepare_output_dir(config.output_dir, stage, config, free=free)
    if outputs.is_finished(config.output_dir):
        logger.info(f"{config.output_dir} holds this {what}, finished; reusing it (delete it to {again}).")
        return True
    return False


@contextlib.contextmanager
def discard_on_failure(output_dir: str, partials: Iterable[str]):
    """Around training: a `TrainingError` (NaN loss) removes `partials` under `output_dir`
    and the settings record before it propagates."""
    try:
        yield
    except TrainingError:
        outputs.discard(output_dir, list(partials))
        raise


def score(model, tokenizer, task, max_length) -> dict:
    """{"dev": metrics, "test": metrics} for the splits the task has, by its kind."""
    return {split: evaluate_task(model, tokenizer, task, examples, max_length)
            for split, examples in (("dev", task.dev), ("test", task.test)) if examples is not None}
