"""What every stage does with its output folder, in one place.

- `atomic_path` / `write_json`: a file appears whole or not at all (written beside its
  final name, then renamed), so a run killed mid-write never leaves a truncated file that
  a rerun would trust.
- `prepare_output_dir`: the one settings guard. A stage records the settings that shape
  its results, and digests of the files and folders they name (teacher, student, task
  files), in `<output_dir>/run_settings.json`; a rerun into the same folder with other
  settings, or after an input changed, stops with the differing fields named, instead of
  reusing (or resuming) work made with them. `is_finished` tells a finished stage by its `metrics.json`, written last.
- `fault_point`: deterministic fault injection for the resume tests. With the environment
  variable `TINYBERT_FAULT=<point>[@INT]` the process kills itself (SIGKILL, or SIGINT as
  Ctrl-C would) when it reaches that named point; unset (always, outside tests) it costs
  one dictionary lookup.
"""

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import signal
from typing import Iterable, Optional

from tinybert_tf.errors import TinyBertError
from tinybert_tf.settings import flatten, to_dict

SETTINGS_FILE = "run_settings.json"
FINISHED_FILE = "metrics.json"
# Fields that never change a stage's results: where logs go, how often it backs up.
FREE_FIELDS = frozenset({"output_dir", "output_file", "backup_every_steps", "log_dir", "pruning_log_dir"})


class OutputError(TinyBertError, ValueError):
    """An output path that cannot be used as asked (a file where a folder should be, a
    folder made with other settings)."""


# --- fault injection (tests) -------------------------------------------------------------------
def fault_point(name: str) -> None:
    """Kill this process here when `TINYBERT_FAULT` names this point (tests only)."""
    wanted = os.environ.get("TINYBERT_FAULT")
    if not wanted:
        return
    point, _, sig = wanted.partition("@")
    if point == name:
        os.kill(os.getpid(), signal.SIGINT if sig.upper() == "INT" else signal.SIGKILL)


# --- atomic writes ---------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_path(path: str):
    """Yields a temporary path beside `path`; when the block ends without error, the file
    written there replaces `path` in one rename. On any error (Ctrl-C included) the
    temporary file is removed and `path` is left as it was.

    Example:
    ```python
    with atomic_path("out/model.safetensors") as tmp:
        save_file(tensors, tmp)
    ```
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    # The marker goes in front: writers choose the format by the whole suffix
    # (Keras: `.weights.h5` differs from `.h5`).
    tmp = os.path.join(directory, f".partial-{os.getpid()}-{os.path.basename(path)}")
    try:
        yield tmp
        fault_point("write:" + os.path.basename(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def write_bytes(path: str, payload: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(payload)


def write_text(path: str, text: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def write_json(path: str, payload) -> None:
    write_text(path, json.dumps(payload, indent=2) + "\n")


# --- the settings guard ---------------------------------------------------------------------------
def settings_of(config, free: Iterable[str] = ()) -> dict:
    """The fields of a config dataclass (or dict) that shape a stage's results, nested
    sections flattened to dotted names (`recovery.temperature`). Left out: the
    `FREE_FIELDS` at any depth, the fields a composing config sets in its sections
    (`settings.to_dict`), and the names or sections in `free`."""
    fields = to_dict(config) if dataclasses.is_dataclass(config) else dict(config)
    skip = set(free)
    return {k: v for k, v in flatten(fields).items()
            if k.rsplit(".", 1)[-1] not in FREE_FIELDS and not any(k == s or k.startswith(s + ".") for s in skip)}


def check_not_a_file(path: str, what: str = "output folder") -> None:
    if os.path.exists(path) and not os.path.isdir(path):
        raise OutputError(f"The {what} {path!r} is an existing file; pass a folder path (a new name, or an "
                          "existing folder this command wrote).")


# Files that define a model or a data set; run records, metrics and timings are left out,
# so an identical re-made input still matches.
_INPUT_SUFFIXES = (".safetensors", ".txt", ".jsonl", ".csv", ".tsv", ".gz", ".tflite", ".conll")
_INPUT_NAMES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "task.json",
                "distill_heads.json",  # which teacher head each student head learns from
                # SQuAD-format task folders and the SQuAD release
                "train.json", "dev.json", "test.json", "train-v1.1.json", "dev-v1.1.json")
_BROWN_SAMPLE = re.compile(r"c[a-r]\d\d")  # the Brown corpus's sample files (brown_pos --data-dir)


def fingerprint(path: str) -> str:
    """A digest of the contents of an input file, or of the model/data files in a folder."""
    if os.path.isfile(path):
        files = [path]
    else:
        files = sorted(os.path.join(path, f) for f in os.listdir(path)
                       if not f.startswith(".") and (f.endswith(_INPUT_SUFFIXES) or f in _INPUT_NAMES
                                                     or _BROWN_SAMPLE.fullmatch(f))
                       and os.path.isfile(os.path.join(path, f)))
    digest = hashlib.sha256()
    for name in files:
        digest.update(os.path.basename(name).encode() + b"\0")
        with open(name, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def input_fingerprints(settings: dict) -> dict:
    """{field: fingerprint} of every setting that names an existing file or folder (a
    teacher, a student to start from, a task folder, an augmented file)."""
    return {k: fingerprint(v) for k, v in sorted(settings.items())
            if isinstance(v, str) and v and os.path.exists(v)}


def guard_settings(settings_path: str, stage: str, settings: dict, where: str, hint: str = "",
                   defaults: Optional[dict] = None) -> bool:
    """Record `settings` (and the fingerprints of the files and folders they name) at
    `settings_path`, or check them against the ones recorded there. Returns True when a
    record with the same settings and inputs existed (a rerun: resume or reuse).

    Raises:
        OutputError: the record holds other settings, or an input's contents changed
            since (the message names each field).
    """
    inputs = input_fingerprints(settings)
    if os.path.isfile(settings_path):
        try:
            with open(settings_path, encoding="utf-8") as f:
                before = json.load(f)
        except (OSError, ValueError):
            before = None  # unreadable: cannot vouch for what is there
        if not isinstance(before, dict) or before.get("stage") != stage:
            raise OutputError(f"{where} holds output of another command or an unreadable {settings_path}; pass "
                              "another output path, or delete it to start over.")
        def refuse(what):
            raise OutputError(f"{where} holds a {stage} run made {what}; reusing or resuming it would mix the two. "
                              f"Pass another output path{f' ({hint})' if hint else ''}, or delete it to start over.")

        old = before.get("settings", {})
        # A setting added in a later version matches a record that predates it when it
        # has its default (the behaviour the older code had).
        changed = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k)
                         and not (k not in old and defaults is not None and k in defaults
                                  and settings.get(k) == defaults[k]))
        if changed:
            refuse("with other settings (" + ", ".join(f"{k}: {old.get(k)!r} -> {settings.get(k)!r}"
                                                         for k in changed) + ")")
        recorded = before.get("inputs")
        moved = sorted(k for k in inputs if recorded is not None and recorded.get(k) != inputs[k])
        if moved:
            refuse("from other inputs: the contents of " + ", ".join(f"{k} ({settings[k]})" for k in moved)
                   + " changed since")
        return True
    write_json(settings_path, {"stage": stage, "settings": settings, "inputs": inputs})
    return False


def prepare_output_dir(output_dir: str, stage: str, config, free: Iterable[str] = (), hint: str = "") -> bool:
    """Create `output_dir` if needed and guard it with `config`'s settings (see
    `guard_settings`). Returns True when the folder already holds this very run (finished
    or interrupted): the stage then reuses or resumes it."""
    check_not_a_file(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    remove_stale_partials(output_dir)
    defaults = None
    if dataclasses.is_dataclass(config):
        try:
            defaults = settings_of(type(config)(), free)
        except (TypeError, ValueError):  # a config with required fields
            defaults = None
    return guard_settings(os.path.join(output_dir, SETTINGS_FILE), stage, settings_of(config, free),
                          output_dir, hint, defaults)


def remove_stale_partials(directory: str, suffix: str = "") -> None:
    """Delete the temporary files a killed process left under `directory` (`atomic_path`'s
    `.partial-<pid>-<name>`; with `suffix`, only those for names ending in it)."""
    for root, _, files in os.walk(directory):
        for name in files:
            if name.startswith(".partial-") and name.endswith(suffix):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(root, name))


def trained_setting(model_dir: str, name: str):
    """A setting a saved model was trained with (its `training_config.json`; a pruned
    model's training settings are its recovery's), or None."""
    path = os.path.join(model_dir, "training_config.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        recorded = json.load(f)
    if name not in recorded and isinstance(recorded.get("recovery"), dict):
        return recorded["recovery"].get(name)
    return recorded.get(name)


def trained_max_length(model_dir: str) -> Optional[int]:
    """The `max_length` a saved model was trained with, or None."""
    return trained_setting(model_dir, "max_length")


def is_finished(output_dir: str) -> bool:
    """A stage writes `metrics.json` last: its presence means every other output is complete."""
    return os.path.isfile(os.path.join(output_dir, FINISHED_FILE))


def discard(output_dir: str, names: Iterable[str], settings: bool = True) -> None:
    """Remove a failed run's partial outputs (`names` under `output_dir`, and with
    `settings` the settings record), so a rerun with other settings may use the folder;
    the folder itself goes too when that leaves it empty."""
    for name in list(names) + ([SETTINGS_FILE] if settings else []):
        path = os.path.join(output_dir, name)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.remove(path)
    with contextlib.suppress(OSError):
        os.rmdir(output_dir)  # only if empty
