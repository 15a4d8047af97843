"""How a stage runs, kept apart from what it learns (TextBrewer's `TrainingConfig` /
`DistillationConfig` split), and the rules every config dataclass shares.

- `RunSettings`: the settings every training stage has (seed, logs, backups, batch size,
  max length, padding, grouping); `DistributedRunSettings` adds mixed precision and the
  distribution strategy, for the distillation stages. A stage's config subclasses one of
  them and adds its own knobs, so `FineTuneConfig(max_length=64)` reads as before.
- `choice`: a field whose value must be one of a set. `validate` checks every such field
  of a config (its nested sections included) where the config is built, so a bad value
  fails before anything is loaded or written, with one message shape.
- `section` / composed configs: a config may hold other stages' configs as fields (the
  recipe holds every stage's; the prune stage holds its recovery's task distillation).
  `derived` names the fields of a section the composing stage sets itself (paths, the
  model to start from); `check_derived` refuses a value given there, instead of silently
  replacing it. `to_dict` / `from_dict` write and read a (nested) config as plain data:
  a run's recorded config replays to an equal one.

Nothing here imports TensorFlow: the CLI builds its flags from these classes.
"""

import dataclasses
import typing
from typing import Dict, Iterable, Optional, Tuple

# The values each choice field takes (the modules that act on them import these).
PADDINGS = ("max_length", "longest")
MIXED_PRECISION = ("none", "bfloat16", "float16")
DISTRIBUTIONS = ("none", "mirrored", "multi_worker", "tpu")
CLIPPINGS = ("global", "per_tensor", "none")
STEP1_OPTIMIZERS = ("adam", "bert_adam")
PROJECTIONS = ("shared", "per_layer", "none")
PROJECTION_INITS = ("auto", "identity", "glorot")
REGRESSION_TARGETS = ("teacher", "labels", "mix")


def choice(default: str, choices: Tuple[str, ...]):
    """A dataclass field that must be one of `choices` (checked by `validate` when the
    config is built; the CLI lists them in `--help`)."""
    return dataclasses.field(default=default, metadata={"choices": tuple(choices)})


def section(factory, prefix: str = "", derived: Iterable[str] = ()):
    """A field holding another stage's config (made by `factory`). `prefix`: the CLI flags
    of its fields are `--<prefix>-<field>` (none: `--<field>`). `derived`: its fields that
    the composing stage sets (no flag; a value given there is refused)."""
    return dataclasses.field(default_factory=factory, metadata={"prefix": prefix, "derived": tuple(derived)})


def sections(config_or_class) -> Dict[str, dataclasses.Field]:
    """{name: field} of the fields that hold a nested config."""
    return {f.name: f for f in dataclasses.fields(config_or_class) if "derived" in f.metadata}


def validate(config) -> None:
    """Every `choice` field of `config` holds one of its values (nested sections check
    themselves when they are built)."""
    for field in dataclasses.fields(config):
        allowed = field.metadata.get("choices")
        value = getattr(config, field.name)
        if allowed and value not in allowed:
            raise ValueError(f"{field.name}={value!r}; use one of {', '.join(allowed)}.")


def check_sections(config) -> None:
    """For each nested section of `config`: the fields it names as derived must be left as
    the section's default has them (the composing stage sets them itself)."""
    for name, field in sections(config).items():
        given, default = getattr(config, name), field.default_factory()
        for sub in field.metadata["derived"]:
            if getattr(given, sub) != getattr(default, sub):
                raise ValueError(f"{type(config).__name__}.{name}.{sub}={getattr(given, sub)!r}: "
                                 f"{type(config).__name__} sets {name}.{sub} itself; leave it unset.")


def with_derived_defaults(owner_class, name: str, value):
    """`value` (a config for section `name` of `owner_class`) with the fields the owner
    derives reset to the section's defaults: what the owner accepts as that section."""
    field = sections(owner_class)[name]
    default = field.default_factory()
    return dataclasses.replace(value, **{sub: getattr(default, sub) for sub in field.metadata["derived"]})


@dataclasses.dataclass
class RunSettings:
    """How a training stage runs; every training stage's config has these.

    Args:
        max_length: tokens per example (longer text is truncated, shorter padded).
        batch_size: examples per training step (with a distribution strategy: the global
            batch).
        padding: `longest` cuts each training and dev batch to its longest example
            (rounded up to a multiple of 8) instead of padding it to `max_length` (the
            default).
        group_by_length: batches examples of similar length together (HF's
            `group_by_length`; `data.ResumableBatches`). Off by default.
        seed: seeds Python, NumPy, TensorFlow and the data order.
        log_dir: TensorBoard logs (every loss term, learning rate, dev metrics) go here.
        backup_every_steps: steps between the backups an interrupted run resumes from.
    """

    max_length: int = 128
    batch_size: int = 32
    padding: str = choice("max_length", PADDINGS)
    group_by_length: bool = False
    seed: int = 0
    log_dir: Optional[str] = None
    backup_every_steps: int = 50

    def __post_init__(self):
        validate(self)

    def run_settings(self) -> "RunSettings":
        """This config's run settings alone (its own class's share of `RunSettings`)."""
        cls = DistributedRunSettings if isinstance(self, DistributedRunSettings) else RunSettings
        return cls(**{f.name: getattr(self, f.name) for f in dataclasses.fields(cls)})


@dataclasses.dataclass
class DistributedRunSettings(RunSettings):
    """`RunSettings` plus the numeric type and the devices (distillation stages).

    Args:
        mixed_precision: `bfloat16` (or `float16`, with dynamic loss scaling; for GPUs)
            runs teacher and student in that type with float32 weights (losses, softmax
            and LayerNorm in float32); `none`: float32.
        distribution: `mirrored` trains under `tf.distribute.MirroredStrategy` (this
            host's GPUs), `multi_worker` under `MultiWorkerMirroredStrategy` (the workers
            in `TF_CONFIG`, a shared output folder; see `training.worker_output_dir`),
            `tpu` under `TPUStrategy` (the TPU `TPU_NAME` names, `local` on a TPU VM;
            untested here); `batch_size` is the global batch. `none`: no strategy.
    """

    mixed_precision: str = choice("none", MIXED_PRECISION)
    distribution: str = choice("none", DISTRIBUTIONS)


def run_fields(config_or_class) -> Tuple[str, ...]:
    """The names of the run settings a config (or class) has."""
    cls = config_or_class if isinstance(config_or_class, type) else type(config_or_class)
    base = DistributedRunSettings if issubclass(cls, DistributedRunSettings) else RunSettings \
        if issubclass(cls, RunSettings) else None
    return tuple(f.name for f in dataclasses.fields(base)) if base else ()


# --- plain data ------------------------------------------------------------------------------------
def to_dict(config) -> dict:
    """A config as plain data, its sections as nested mappings; a section's derived fields
    are left out (the composing config sets them), so the result replays anywhere."""
    out = {}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if "derived" in field.metadata:
            value = {k: v for k, v in to_dict(value).items() if k not in field.metadata["derived"]}
        out[field.name] = value
    return out


def from_dict(cls, values: dict):
    """The config of class `cls` from `to_dict`'s mapping (absent fields take defaults;
    sections start from their defaults)."""
    return cls(**_nested(cls, values))


def _nested(cls, values: dict) -> dict:
    """`values` as `cls`'s keyword arguments, its sections read recursively."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{cls.__name__} has no field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}.")
    hints = typing.get_type_hints(cls)
    out = {}
    for name, value in values.items():
        if "derived" in fields[name].metadata and isinstance(value, dict):
            value = dataclasses.replace(fields[name].default_factory(), **_nested(hints[name], value))
        out[name] = value
    return out


def flatten(mapping: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1}} -> {"a.b": 1}."""
    out = {}
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out
