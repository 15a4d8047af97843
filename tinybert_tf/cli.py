"""`tinybert-tf` command line. Each command's flags are the fields of the config object it
passes to the library, so CLI and Python API cannot drift apart.

Only the chosen command's module is imported (TensorFlow comes with most of them), so
`tinybert-tf --help`, `--version` and `predict` on a .tflite file or bundle start fast."""

import argparse
import dataclasses
import importlib
import inspect
import json
import logging
import os
import re
import sys
import typing

from tinybert_tf import progress, settings
from tinybert_tf.errors import TinyBertError


def _lib(name):
    """A stage module, imported when a command needs it."""
    return importlib.import_module(f"tinybert_tf.{name}")


def _field_docs(doc: str) -> dict:
    """{field: text} from the "Args:" section of a config class docstring."""
    docs, name, indent = {}, None, None
    lines = inspect.cleandoc(doc or "").splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if line.strip() == "Args:"), len(lines))
    for line in lines[start:]:
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        indent = depth if indent is None else indent
        # "a: ..", "a, b: ..", "a / b: ..", or "a, b:" with the text on the next lines
        entry = re.match(r"^(\w+(?:\s*[,/]\s*`?\w+`?)*):(?: (.*))?$", line.strip())
        if depth == indent and entry:
            name = [n.strip(" `") for n in re.split(r"[,/]", entry.group(1))]
            for n in name:
                docs[n] = (entry.group(2) or "").strip()
        elif depth > indent and name:
            for n in name:
                docs[n] = (docs[n] + " " + line.strip()).strip()
        else:
            break
    return docs


# Help for fields many configs share, or that a docstring describes in a group ("batch_size,
# epochs, learning_rate: AdamW ..."): a field's own docstring entry wins, else this text.
_GLOSSARY = {
    "max_length": "tokens per example (longer text is truncated, shorter padded)",
    "batch_size": "examples per training step",
    "epochs": "passes over the training data",
    "learning_rate": "peak learning rate",
    "weight_decay": "AdamW weight decay (not applied to biases and LayerNorm)",
    "warmup_ratio": "share of the steps over which the learning rate rises linearly from 0, then decays to 0",
    "seed": "seeds Python, NumPy, TensorFlow and the data order",
    "data_dir": "TFDS data directory (GLUE tasks)",
    "output_dir": "the folder this command writes (a rerun with the same settings reuses or resumes it)",
    "backup_every_steps": "steps between the backups an interrupted run resumes from",
    "layer_mapping": "which teacher layer each student layer learns from: uniform, top or bottom",
    "temperature": "softmax temperature of the prediction loss (both sides)",
    "max_train_examples": "use only the first N training examples (quick runs)",
    "task": "fine_foods, stsb, brown_pos (POS tagging), squad (QA), glue/<task>, or a folder of train/dev/test "
            "CSV/TSV/JSONL, CoNLL (.conll) or SQuAD (.json) files",
    "intermediate_epochs": "epochs of step 1 (embedding, attention and hidden-state losses)",
    "intermediate_learning_rate": "step 1's learning rate (constant)",
    "prediction_epochs": "epochs of step 2 (prediction-layer loss)",
    "prediction_learning_rate": "step 2's peak learning rate (warm-up, then linear decay)",
    "heads_fraction": "share of attention heads removed in every layer",
    "ffn_fraction": "share of FFN neurons removed in every layer",
    "projection": "how student states are mapped to the teacher's width: shared, per_layer or none",
    "projection_init": "the projection's start: auto (carried from general distillation when there, else the "
                       "identity for equal widths, else random), identity or glorot; task distillation also "
                       "takes carried",
    "threads": "LiteRT interpreter threads",
    "warmup": "untimed runs before timing",
    "runs": "timed runs per variant and length",
    "seq_lens": "comma-separated sequence lengths to time",
    "block_2_4": "2:4 structured sparsity during recovery instead of the --sparsity target",
    "general_epochs": "epochs of general distillation",
    "replace_prob": "augmentation: probability of replacing each word (p_t)",
    "top_k": "augmentation: candidates per word (K)",
    "intermediate_optimizer": "step 1's optimizer: adam or bert_adam",
    "prediction_clipping": "step 2's gradient clipping at 1.0: global, per_tensor or none",
    "regression_target": "regression step 2 learns from: teacher, labels or mix",
    "export_variants": "TFLite variants exported for student and teacher (empty: no export)",
    "bench_runs": "timed LiteRT runs per variant and length (0: no benchmark)",
    "log_dir": "TensorBoard logs (every loss term, learning rate, dev metrics) and a plain log "
               "(tinybert-tf.log) of the run go here",
}


def _class_docs(cls) -> dict:
    """{field: help} of a config class, its run-settings base classes' entries included."""
    docs = {}
    for klass in reversed(cls.__mro__):
        if dataclasses.is_dataclass(klass):
            docs.update(_field_docs(klass.__doc__))
    shared = {text for text in docs.values() if list(docs.values()).count(text) > 1}
    docs = {name: (_GLOSSARY[name] if name in _GLOSSARY and (text in shared or not text) else text)
            for name, text in docs.items()}
    docs.update({name: text for name, text in _GLOSSARY.items() if name not in docs})
    return docs


def _flag_fields(cls, default=None, prefix="", dest="", derived=()):
    """(flag, dest, type, default, help) for every field a user sets: the config's own
    fields, then its sections' (`settings.section`) under their prefix, less the fields
    the config derives for them. `dest` is the dotted path (`distill.temperature`)."""
    hints, docs = typing.get_type_hints(cls), _class_docs(cls)
    nested = settings.sections(cls)
    for field in dataclasses.fields(cls):
        if field.name in derived:
            continue
        value = _field_value(field, default)
        if field.name in nested:
            sub_prefix = "-".join(p for p in (prefix, field.metadata["prefix"]) if p)
            yield from _flag_fields(hints[field.name], value, sub_prefix, f"{dest}{field.name}.",
                                    field.metadata["derived"])
            continue
        kind = hints[field.name]
        if typing.get_origin(kind) is typing.Union and type(None) in typing.get_args(kind):
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
        text = docs.get(field.name, "")
        if field.metadata.get("choices"):
            text += f" ({', '.join(field.metadata['choices'])})"
        if dest:
            text += f" [{dest}{field.name}]"
        flag = "--" + "-".join(p for p in (prefix, field.name.replace("_", "-")) if p)
        yield flag, dest + field.name, kind, value, text


def _add_dataclass_args(parser, cls):
    aliases = getattr(cls, "FLAG_ALIASES", {})
    for flag, dest, kind, default, text in _flag_fields(cls):
        names = [flag] + ["--" + a for a in aliases.get(dest, ())]
        text = f"{text} (default: {default})".strip().replace("%", "%%")
        if kind is bool:
            parser.add_argument(*names, dest=dest, action=argparse.BooleanOptionalAction, default=default, help=text)
        else:
            parser.add_argument(*names, dest=dest, type=kind, default=default, help=text,
                                metavar=dest.rsplit(".", 1)[-1].upper())
    parser.epilog = "Flags are the fields of " + cls.__name__ + " (Python API: the same names)."


def _config_from_args(cls, args, dest="", base=None, derived=()):
    """The config `_add_dataclass_args` made flags for, from the parsed flags, starting
    from `base` (default: the fields' defaults); a section's derived fields keep `base`'s
    values."""
    nested = settings.sections(cls)
    hints = typing.get_type_hints(cls) if nested else {}
    kwargs = {}
    for field in dataclasses.fields(cls):
        if field.name in derived:
            continue
        if field.name in nested:
            kwargs[field.name] = _config_from_args(hints[field.name], args, f"{dest}{field.name}.",
                                                   _field_value(field, base), nested[field.name].metadata["derived"])
        elif hasattr(args, dest + field.name):
            kwargs[field.name] = getattr(args, dest + field.name)
    return cls(**kwargs) if base is None else dataclasses.replace(base, **kwargs)


def _field_value(field, config=None):
    """`field`'s value in `config`, or its default (a section: as its factory makes it, before
    the composing config fills anything in, such as a preset's values)."""
    if config is not None:
        return getattr(config, field.name)
    return field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default


def _cmd_finetune(args):
    teacher = _lib("teacher")
    config = _config_from_args(teacher.FineTuneConfig, args)
    _, _, metrics = teacher.fine_tune(config)
    print(json.dumps({"output_dir": config.output_dir, **metrics}, indent=2))
    for split in ("dev", "test"):  # the headline numbers of whichever kind of task
        shown = [f"{k}: {metrics[split][k]:.4f}" for k in ("accuracy", "f1", "macro_f1", "exact_match", "spearman")
                 if k in metrics.get(split, {})]
        if shown:
            print(f"{split} " + "  ".join(shown))


def _cmd_predict(args):
    from tinybert_tf import inference, progress
    from tinybert_tf.outputs import write_text

    if args.input_file:
        if args.texts:
            raise ValueError("Give texts on the command line or --input-file, not both.")
        texts, pairs = inference.read_inputs(args.input_file, args.text_column, args.text_pair_column)
    elif args.texts:
        if len(args.texts) > 2:
            raise ValueError(f"{len(args.texts)} texts given: predict takes one text (and an optional pair) on the "
                             "command line; put more in a file (--input-file).")
        texts, pairs = args.texts[:1], (args.texts[1:] or None)
    else:
        raise ValueError("Nothing to predict: give a text (tinybert-tf predict --model DIR \"some text\") or "
                         "--input-file.")
    classifier = inference.TextClassifier.from_pretrained(args.model, max_length=args.max_length)
    bar = progress.bar(len(texts), "predict", unit="text") if args.input_file else None
    predictions = classifier.predict(texts, pairs, batch_size=args.batch_size, progress=bar.update if bar else None)
    if bar:
        bar.close()
    lines = [json.dumps({"text": t, **({"text_pair": pairs[i]} if pairs else {}), **p.to_dict()})
             for i, (t, p) in enumerate(zip(texts, predictions))]
    if args.output_file:
        write_text(args.output_file, "".join(line + "\n" for line in lines))
        truncated = sum(p.truncated for p in predictions)
        print(f"{len(lines)} predictions written to {args.output_file}"
              + (f" ({truncated} truncated to {classifier.max_length} tokens)" if truncated else ""), file=sys.stderr)
    else:
        print("\n".join(lines))


def _cmd_evaluate(args):
    teacher = _lib("teacher")
    metrics = teacher.evaluate(args.model, args.task, args.split, args.max_length, args.data_dir)
    print(json.dumps({"model": args.model, "task": args.task, "split": args.split, **metrics}, indent=2))


def _cmd_distill_general(args):
    distill = _lib("distill")
    config = _config_from_args(distill.GeneralDistillConfig, args)
    distill.general_distill(config)
    print(f"general-distilled student saved to {config.output_dir}")


def _cmd_distill_task(args):
    distill = _lib("distill")
    config = _config_from_args(distill.TaskDistillConfig, args)
    _, metrics = distill.task_distill(config)
    print(json.dumps({"output_dir": config.output_dir, **metrics}, indent=2))


def _cmd_augment(args):
    augment = _lib("augment")
    path = augment.augment_task(_config_from_args(augment.AugmentConfig, args))
    print(f"augmented training set: {path}")


def _cmd_recipe(args):
    recipe = _lib("recipe")
    recipe.run_recipe(_config_from_args(recipe.RecipeConfig, args))


def _cmd_prune(args):
    prune = _lib("prune")
    config = _config_from_args(prune.PruneConfig, args)
    report = prune.prune_student(config)
    print(json.dumps({"output_dir": config.output_dir, **{k: v for k, v in report.items()
                                                         if k != "head_importance"}}, indent=2))


def _cmd_export(args):
    export = _lib("export")
    config = _config_from_args(export.ExportConfig, args)
    report = export.export_model(config)
    if report.get("format") == "keras-hub":
        print(f"keras-hub preset: {report['preset']}")
    elif report.get("format") == "mediapipe":
        print(f"MediaPipe TextClassifier model: {report['path']}\nbundle (app): {report['bundle']}")
    else:
        print(f"bundle: {report['bundle']}")


def _cmd_mlm_head(args):
    mlm_head = _lib("mlm_head")
    config = _config_from_args(mlm_head.MlmHeadConfig, args)
    print(json.dumps({"output_dir": config.output_dir, **mlm_head.train_mlm_head(config)}, indent=2))


def _cmd_bench(args):
    bench = _lib("bench")
    bench.run_host_benchmark(_config_from_args(bench.BenchConfig, args))


def _cmd_bench_device(args):
    device = _lib("device")
    device.run_device_benchmark(_config_from_args(device.DeviceBenchConfig, args))


# Commands whose flags are the fields of one config dataclass, in pipeline order:
# (name, help, module, config class, handler).
_CONFIG_COMMANDS = (
    ("finetune", "fine-tune a teacher (or any BERT) on a task and save it", "teacher", "FineTuneConfig",
     _cmd_finetune),
    ("distill-general", "general distillation of a student on unlabelled text", "distill", "GeneralDistillConfig",
     _cmd_distill_general),
    ("mlm-head", "train a masked-LM head for a frozen encoder (MLM candidates for augmentation)", "mlm_head",
     "MlmHeadConfig", _cmd_mlm_head),
    ("augment", "TinyBERT data augmentation of a task's training set", "augment", "AugmentConfig", _cmd_augment),
    ("distill-task", "task distillation (intermediate layers, then prediction layer)", "distill",
     "TaskDistillConfig", _cmd_distill_task),
    ("prune", "structured / unstructured / vocabulary pruning of a student, with recovery distillation", "prune",
     "PruneConfig", _cmd_prune),
    ("export", "TFLite variants, each validated (parity, accuracy), and the app bundle", "export", "ExportConfig",
     _cmd_export),
    ("bench", "LiteRT latency/size/memory of exported variants on this host", "bench", "BenchConfig", _cmd_bench),
    ("bench-device", "the same benchmark on an Android device through adb (demo app's benchmark mode)", "device",
     "DeviceBenchConfig", _cmd_bench_device),
    ("recipe", "the whole recipe: teacher, general distillation, augmentation, task distillation, table",
     "recipe", "RecipeConfig", _cmd_recipe),
)


def _version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tinybert_tf")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser(only="all"):
    """The parser. `only`: whose flags to add: "all" commands (tests, docs), one command's
    name (what `main` does: only that module is imported), or None (top-level help)."""
    parser = argparse.ArgumentParser(prog="tinybert-tf", description="TinyBERT distillation with TensorFlow/Keras.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    for name, help_text, module, config_name, handler in _CONFIG_COMMANDS:
        command = sub.add_parser(name, help=help_text)
        command.set_defaults(func=handler)
        if only in ("all", name):
            _add_dataclass_args(command, getattr(_lib(module), config_name))
            command.add_argument("--config", help="a JSON or YAML file of these settings (e.g. a run's "
                                 "recipe_config.json); flags given here override it")
            command.add_argument("--quiet", action="store_true",
                                 help="no progress bars; training prints one line per epoch")
            command.add_argument("--log-level", default="info", choices=_LOG_LEVELS,
                                 help="the least severe library message shown (default: info)")

    pr = sub.add_parser("predict", help="run a trained classifier (directory, .tflite or bundle) on text",
                        description="Prints one JSON line per text: label, score (probability; regression: "
                                    "the value), probabilities, tokens, truncated.")
    pr.add_argument("texts", nargs="*", help="a text, and optionally its pair (sentence-pair tasks)")
    pr.add_argument("--model", required=True,
                    help="a classifier directory, an exported model.tflite, or a bundle directory")
    pr.add_argument("--input-file", help="one text a line (.txt), or CSV/TSV/JSONL with --text-column")
    pr.add_argument("--text-column", default="text", help="the text column of a CSV/TSV/JSONL input file")
    pr.add_argument("--text-pair-column", default=None, help="the second-sentence column (pair tasks)")
    pr.add_argument("--output-file", help="write JSON lines here instead of stdout")
    pr.add_argument("--max-length", type=int, default=None,
                    help="tokens per example (default: the length the model was trained or exported with)")
    pr.add_argument("--batch-size", type=int, default=32, help="examples per model call")
    pr.add_argument("--quiet", action="store_true", help="no progress bar")
    pr.set_defaults(func=_cmd_predict)

    ev = sub.add_parser("evaluate", help="evaluate a saved classifier on a task split")
    ev.add_argument("--model", required=True, help="a saved classifier directory")
    ev.add_argument("--task", default="fine_foods", help="fine_foods, glue/<task>, or a directory of files")
    ev.add_argument("--split", default="test", choices=["train", "dev", "test"])
    ev.add_argument("--max-length", type=int, default=None, help="default: the length it was trained with")
    ev.add_argument("--data-dir", default=None, help="TFDS data directory (GLUE)")
    ev.add_argument("--quiet", action="store_true", help="no progress bar")
    ev.set_defaults(func=_cmd_evaluate)
    return parser


_LOG_LEVELS = ("debug", "info", "warning", "error")

# Commands whose interrupted work a rerun continues (training resumes from its last backup).
_RESUMABLE = {"finetune", "distill-general", "distill-task", "augment", "prune", "export", "recipe"}
# (mlm-head takes minutes and restarts from the beginning.)


def main(argv=None):
    """Run one command. The one error boundary: a mistake the user can fix (bad input,
    files, settings; `TinyBertError`, `ValueError`, `OSError`) prints one line naming it
    and exits with 2; Ctrl-C says whether rerunning resumes and exits with 130. Set
    TINYBERT_TRACEBACK=1 to see the full traceback instead."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    log_file = None
    try:
        parser = build_parser(only=command)
        _defaults_from_config_file(parser, command, argv)
        args = parser.parse_args(argv)  # usage errors exit here with argparse's own message
        progress.set_quiet(getattr(args, "quiet", False))
        progress.log_to_console(getattr(logging, getattr(args, "log_level", "info").upper()))
        log_file = _plain_log(args, argv)
        args.func(args)
    except KeyboardInterrupt:
        if os.environ.get("TINYBERT_TRACEBACK") == "1":
            raise
        hint = (" Run the same command again to continue: training resumes from its last backup, finished "
                "stages are reused." if command in _RESUMABLE else "")
        print(f"\ntinybert-tf {command}: interrupted.{hint}", file=sys.stderr)
        return 130
    except (TinyBertError, ValueError, OSError) as e:
        if os.environ.get("TINYBERT_TRACEBACK") == "1":
            raise
        print(f"tinybert-tf {command}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    finally:
        if log_file is not None:
            log_file.close()
    return 0


class _Tee:
    """Writes to the terminal and to a log file; in the file, a line rewritten with "\r"
    (a progress bar) keeps only its final state."""

    def __init__(self, stream, log):
        self.stream, self.log, self.partial = stream, log, ""

    def write(self, text):
        self.stream.write(text)
        self.partial += text
        *lines, self.partial = self.partial.split("\n")
        for line in lines:
            self.log.write(line.rsplit("\r", 1)[-1] + "\n")
        self.log.flush()
        return len(text)

    def flush(self):
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


class _PlainLog:
    def __init__(self, path, argv):
        import datetime

        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.file = open(path, "a", encoding="utf-8")
        self.file.write(f"\n=== {datetime.datetime.now().isoformat(timespec='seconds')} tinybert-tf {' '.join(argv)}\n")
        self.saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(sys.stdout, self.file), _Tee(sys.stderr, self.file)

    def close(self):
        sys.stdout, sys.stderr = self.saved
        self.file.close()


def _plain_log(args, argv):
    """With --log-dir, everything the command prints also goes to `<log_dir>/tinybert-tf.log`."""
    # The command's log folder: `log_dir`, or a section's (`run.log_dir`, `recovery.log_dir`).
    log_dir = next((v for k, v in sorted(vars(args).items(), key=lambda kv: kv[0].count("."))
                    if k.rsplit(".", 1)[-1] == "log_dir"), None)
    return _PlainLog(os.path.join(log_dir, "tinybert-tf.log"), argv) if log_dir else None


def load_config_file(path: str) -> dict:
    """A command's settings from a JSON or YAML file (keys: field names, `-` or `_`)."""
    if not os.path.isfile(path):
        raise ValueError(f"--config {path}: no such file.")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith((".yaml", ".yml")):
        import yaml

        try:
            values = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ValueError(f"--config {path} is not valid YAML: {' '.join(str(e).split())}") from None
    else:
        try:
            values = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"--config {path} is not valid JSON ({e}); YAML files must end in .yaml or .yml.") from None
    if not isinstance(values, dict):
        raise ValueError(f"--config {path} must hold a mapping of field names to values.")
    return _underscored(values)


def _underscored(values: dict) -> dict:
    return {str(k).replace("-", "_"): _underscored(v) if isinstance(v, dict) else v for k, v in values.items()}


def _defaults_from_config_file(parser, command, argv):
    """`--config FILE`: the file's values become the command's defaults, so flags given on
    the command line still override them (argparse converts string values as it does
    flags)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    known, _ = pre.parse_known_args(argv)
    if not known.config:
        return
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if command not in subparsers.choices or command not in {c[0] for c in _CONFIG_COMMANDS}:
        raise ValueError(f"--config works with {', '.join(c[0] for c in _CONFIG_COMMANDS)}.")
    command_parser = subparsers.choices[command]
    dests = {a.dest for a in command_parser._actions} - {"help", "config"}
    # A key is a field's dotted path (`distill.temperature`, or a section written as a
    # mapping), or a flag's name (`temperature`, `teacher_epochs`).
    by_flag = {o[2:].replace("-", "_"): a.dest for a in command_parser._actions for o in a.option_strings
               if o.startswith("--")}
    values, unknown = {}, []
    for key, value in settings.flatten(load_config_file(known.config)).items():
        dest = key if key in dests else by_flag.get(key)
        if dest is None or dest not in dests:
            unknown.append(key)
        else:
            values[dest] = value
    if unknown:
        raise ValueError(f"--config {known.config}: {', '.join(sorted(unknown))} "
                         f"{'is not a' if len(unknown) == 1 else 'are not'} {command} setting"
                         f"{'s' if len(unknown) > 1 else ''}; `tinybert-tf {command} --help` lists them.")
    command_parser.set_defaults(**values)


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename and not isinstance(error, TinyBertError):
        # e.g. FileExistsError from makedirs: say which path and what to do.
        what = {FileExistsError: "exists and is not a folder", IsADirectoryError: "is a folder",
                NotADirectoryError: "has a file where a folder should be", PermissionError: "is not writable",
                FileNotFoundError: "does not exist"}.get(type(error), error.strerror or str(error))
        return f"{error.filename}: {what}. Check the path (use a new output folder name)."
    return str(error)


if __name__ == "__main__":
    sys.exit(main())
