"""Export: a trained student to validated TFLite variants and an app bundle.

`to_tflite` converts with `TFLITE_BUILTINS` only: a graph that would need Flex (select
TF) ops fails with the list of offending ops rather than producing a model the mobile
runtime cannot run. Inputs are int32 (batch, sequence); by default they carry the
TFLite Task Library's BERT names (`ids`, `mask`, `segment_ids`), or the Keras names
(`input_ids`, `attention_mask`, `token_type_ids`) with `input_names="keras"`. The
sequence dimension is dynamic unless `seq_len` fixes it.

`export_model` (CLI `tinybert-tf export`) writes every requested variant only after it
passed validation: logits parity against Keras on dev examples and accuracy on the test
split, refused when accuracy drops more than `max_accuracy_drop` unless `force`. Then it
writes the bundle the Android app reads: `model.tflite`, `vocab.txt`, `labels.txt`,
`bundle.json`.
"""

import contextlib
import dataclasses
import json
import logging
import os
import re
import shutil
import time
from typing import Dict, Optional

import numpy as np

from tinybert_tf import data as data_lib
from tinybert_tf import outputs, progress
from tinybert_tf import qat
from tinybert_tf.backend import tf
from tinybert_tf.bundle import BUNDLE_FORMAT_VERSION, read_bundle  # noqa: F401  (read_bundle: re-exported)
from tinybert_tf.checkpoint import load_pretrained
from tinybert_tf.errors import ExportError
from tinybert_tf.layers.bert_self_attention import QUANTIZATION_MASK_ADDER, mask_adder
# TASK_LIBRARY_INPUTS: the names the TFLite Task Library's BertNLClassifier looks inputs up by.
from tinybert_tf.litert_protocol import TASK_LIBRARY_INPUTS, signature_inputs, time_model
from tinybert_tf.metrics import compute_metrics
from tinybert_tf.settings import choice, validate
from tinybert_tf.task_kinds import headline_metric, kind_of, split_scorer, task_as_trained, task_inputs

logger = logging.getLogger(__name__)

VARIANTS = ("float32", "float16", "dynamic_int8", "full_int8")
QUANTIZATIONS = VARIANTS
KERAS_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _input_names(style: str) -> Dict[str, str]:
    if style == "task_library":
        return dict(TASK_LIBRARY_INPUTS)
    if style == "keras":
        return {k: k for k in KERAS_INPUTS}
    raise ExportError(f"input_names={style!r}; use 'task_library' or 'keras'.")


def to_tflite(model, quantization: str = "float32", seq_len: Optional[int] = None, input_names: str = "keras",
              representative: Optional[Dict[str, np.ndarray]] = None, output: str = "logits") -> bytes:
    """The TFLite flatbuffer of a Keras classifier (or any model taking the three int32 inputs).

    Args:
        quantization: `float32`; `float16` (weights); `dynamic_int8` (int8 weights,
            activations quantized on the fly); `full_int8` (weights and activations int8,
            calibrated on `representative`; ops without an int8 kernel stay float; masked
            attention scores use `QUANTIZATION_MASK_ADDER` instead of -1e4).
        seq_len: fix the sequence length (shape (batch, seq_len)); None keeps it dynamic.
        input_names: `keras` or `task_library` (`ids`, `mask`, `segment_ids`).
        representative: features (dict of (N, S) int32 arrays, Keras names) for `full_int8`.
        output: `logits`, or `probabilities` (softmax in the graph: MediaPipe's and the Task
            Library's classifiers report the output as scores as it is).
    """
    if output not in ("logits", "probabilities"):
        raise ExportError(f"output={output!r}; use logits or probabilities.")
    if quantization not in VARIANTS:
        raise ExportError(f"quantization={quantization!r}; use one of {VARIANTS}.")
    if quantization == "full_int8" and representative is None:
        raise ExportError("full_int8 needs representative examples (features) to calibrate activations.")
    names = _input_names(input_names)
    # A dict input: the signature's input names are its keys.
    spec = {names[k]: tf.TensorSpec((None, seq_len), tf.int32, name=names[k]) for k in KERAS_INPUTS}

    def serve(inputs):
        logits = model({k: inputs[names[k]] for k in KERAS_INPUTS}, training=False)
        if isinstance(logits, dict):  # a question answerer: `start_logits` and `end_logits`
            return dict(logits)
        return {"logits": logits} if output == "logits" else {"probabilities": tf.nn.softmax(logits, axis=-1)}

    # Full int8: a masked-score adder the int8 scale can live with (see QUANTIZATION_MASK_ADDER).
    adder = mask_adder(QUANTIZATION_MASK_ADDER) if quantization == "full_int8" else contextlib.nullcontext()
    with adder:
        fn = tf.function(serve).get_concrete_function(spec)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn], model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "dynamic_int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif quantization == "full_int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]

        def samples():
            n = len(representative["input_ids"])
            for i in range(n):
                yield {names[k]: representative[k][i:i + 1].astype(np.int32) for k in KERAS_INPUTS}

        converter.representative_dataset = samples
    try:
        return converter.convert()
    except Exception as e:  # ConverterError: the text names the ops it could not lower
        ops = sorted(set(re.findall(r"\b(tf\.[A-Z][A-Za-z0-9_]*)", str(e))))  # op names are CamelCase
        raise ExportError(
            "The model needs TensorFlow ops that TFLite's builtin set lacks"
            + (f": {', '.join(ops)}" if ops else f" ({str(e).strip().splitlines()[-1][:300]})")
            + ". Flex (select TF) ops are not allowed: the app ships the builtin runtime only; "
            "replace those ops in the model.") from e


def interpreter(flatbuffer: bytes, threads: int = 1):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_content=flatbuffer, num_threads=threads)


def tflite_outputs(flatbuffer: bytes, features: Dict[str, np.ndarray], batch_size: int = 1,
                   desc: Optional[str] = None) -> Dict[str, np.ndarray]:
    """Run a TFLite model over int32 features (dict of (N, S) arrays, Keras names): each
    output by name (`logits`; a question answerer's `start_logits` and `end_logits`); with
    `desc`, a progress bar of that name."""
    runner = interpreter(flatbuffer).get_signature_runner()
    n = len(next(iter(features.values())))
    shown = progress.bar(n, desc, unit="example") if desc else None
    out = {}
    for start in range(0, n, batch_size):
        batch = signature_inputs(runner, {k: v[start:start + batch_size] for k, v in features.items()})
        for name, value in runner(**batch).items():
            out.setdefault(name, []).append(np.asarray(value))
        if shown:
            shown.update(min(batch_size, n - start))
    if shown:
        shown.close()
    return {name: np.concatenate(parts) for name, parts in out.items()}


def tflite_logits(flatbuffer: bytes, features: Dict[str, np.ndarray], batch_size: int = 1,
                  desc: Optional[str] = None):
    """A TFLite model's output for `features` as its Keras model gives it: the one output
    (logits or probabilities) as an array, or a dict of several (`tflite_outputs`)."""
    outputs_ = tflite_outputs(flatbuffer, features, batch_size, desc)
    return next(iter(outputs_.values())) if len(outputs_) == 1 else outputs_


def _max_abs_diff(a, b) -> float:
    """Largest |a - b| over arrays or dicts of arrays (a question answerer's two outputs)."""
    if isinstance(a, dict):
        return max(_max_abs_diff(a[k], b[k]) for k in a)
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def litert_latency(flatbuffer: bytes, seq_len: int, runs: int = 50, warmup: int = 5, threads: int = 1,
                   features: Optional[Dict[str, np.ndarray]] = None) -> Dict[str, float]:
    """Latency of one example (batch 1) at `seq_len` in milliseconds (p50/p90/p99/mean),
    by the protocol in `litert_protocol` (default inputs: [CLS] [UNK]... [SEP])."""
    return time_model(flatbuffer, seq_len, runs=runs, warmup=warmup, threads=threads, features=features)


# --- the stage: validated variants + bundle --------------------------------------------
FORMATS = ("tflite", "keras-hub", "mediapipe")


@dataclasses.dataclass
class ExportConfig:
    """Args:
        model: a saved task model directory (student or teacher): a classifier, a token
            classifier or a question answerer (`tflite` format; the others take classifiers).
        task: the task for parity (dev) and accuracy (test) checks, and calibration (train);
            taggers are judged by word accuracy, question answerers by SQuAD F1 (points).
        output_dir: `<variant>/model.tflite` + `export_report.json`, and `bundle/`.
        variants: comma-separated subset of float32,float16,dynamic_int8,full_int8.
        bundle_variant: the variant the app bundle carries.
        max_length: tokens per example in validation and in the bundle contract.
        seq_len: fix the model's sequence length (0: dynamic).
        input_names: `task_library` (ids, mask, segment_ids) or `keras`.
        parity_examples: dev examples whose logits are compared with Keras.
        max_accuracy_drop: refuse a variant whose test accuracy is lower than Keras' by more.
        force: write refused variants anyway (the report still says they failed).
        representative_examples: training examples that calibrate full_int8.
        qat_epochs: quantization-aware training (tfmot, `tinybert_tf.qat`) before the
            full_int8 conversion, in epochs over the train split (0: none). The accuracy
            drop is still measured against the model as given.
        qat_learning_rate: its learning rate.
        format: `tflite` (the variants above and the app bundle) or `keras-hub`: a
            keras-hub `BertTextClassifier` preset (`tinybert_tf.keras_hub_export`; needs
            `pip install keras-hub`), checked against the model on `parity_examples` dev
            examples; or `mediapipe`: `mediapipe/model.tflite`, the `bundle_variant`
            at a fixed length of `max_length` with softmax scores, TFLite metadata and
            vocab/labels packed in (`tinybert_tf.tflite_metadata`), which MediaPipe Tasks'
            `TextClassifier` loads as is; validated like a variant, then (where MediaPipe
            is installed) run through MediaPipe on the parity examples.
        max_eval_examples: validate on only the first N test examples (SQuAD's 10,570
            questions take minutes a variant); None: all.
    """

    model: str = "runs/demo/student"
    task: str = "fine_foods"
    output_dir: str = "runs/export"
    variants: str = "float32,float16,dynamic_int8,full_int8"
    bundle_variant: str = "dynamic_int8"
    max_length: int = 128
    seq_len: int = 0
    input_names: str = "task_library"
    parity_examples: int = 64
    max_accuracy_drop: float = 0.01
    force: bool = False
    representative_examples: int = 100
    qat_epochs: int = 0
    qat_learning_rate: float = 1e-5
    data_dir: Optional[str] = None
    format: str = choice("tflite", FORMATS)
    max_eval_examples: Optional[int] = None

    def __post_init__(self):
        validate(self)


# A keras-hub preset must give the model's logits to within this (float32, same graph).
KERAS_HUB_TOLERANCE = 1e-4
# MediaPipe tokenizes natively; below this label agreement with our own run of the same file
# on the parity examples, the export is refused (measured: 100% on fine_foods).
MEDIAPIPE_AGREEMENT = 0.99


@dataclasses.dataclass
class _Reference:
    """What every exported file is checked against: the Keras model's outputs on the parity
    (dev) examples, and its score on the test split by the task's `score` (`split_scorer`),
    judged on the headline metric `key` (times `scale`: SQuAD's F1 is in percent)."""

    dev_x: dict
    dev_outputs: object
    test_x: dict
    score: object
    keras_test: dict
    key: str
    scale: float = 1.0


def _validate(flatbuffer: bytes, reference: _Reference, max_drop: float, desc: str, dev_batch: int = 16,
              test_batch: int = 50, dev_reference=None):
    """The one check of an exported file: its largest output difference from Keras on the
    parity examples (against `dev_reference`, default the reference's), its test score, and
    whether it loses at most `max_drop` (times the scale) of the headline metric. Returns
    (check, the file's test outputs, the file's dev outputs); `check["passed"]` decides
    whether it is kept (or refused unless `force`)."""
    file_dev = tflite_logits(flatbuffer, reference.dev_x, batch_size=dev_batch)
    parity = _max_abs_diff(file_dev, reference.dev_outputs if dev_reference is None else dev_reference)
    file_test = tflite_logits(flatbuffer, reference.test_x, batch_size=test_batch, desc=desc)
    test = reference.score(file_test)
    drop = reference.keras_test[reference.key] - test[reference.key]
    check = {"parity": parity, "test": test, "drop": drop, "passed": drop <= max_drop * reference.scale}
    return check, file_test, file_dev


def export_model(config: ExportConfig) -> Dict:
    """Convert, validate and write each variant, then the bundle, then
    `export_report.json` (last: it marks the export finished); returns the report. A
    finished export with the same settings is reused; other settings in the same folder
    are refused. Every file is written atomically, so an interrupted export rerun gives
    the files an uninterrupted one writes."""
    outputs.check_not_a_file(config.output_dir)
    if config.format == "keras-hub":
        return _export_keras_hub(config)
    if config.format == "mediapipe":
        return _export_mediapipe(config)
    variants = [v.strip() for v in config.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise ExportError(f"variants {unknown or config.variants!r}: choose from {', '.join(VARIANTS)}.")
    if config.bundle_variant not in variants:
        raise ExportError(f"bundle_variant {config.bundle_variant!r} is not among the variants {variants}.")
    loaded = load_pretrained(config.model)
    if loaded.task_model is None:
        raise ExportError(f"{config.model} has no task head; export a fine-tuned or distilled model.")
    model, tokenizer = loaded.task_model, loaded.tokenizer
    task = task_as_trained(data_lib.load_task(config.task, data_dir=config.data_dir), config.model
                           ).limit_evaluation(config.max_eval_examples)
    task.check_model(loaded, role="model")  # validation scores against the task's labels
    if not kind_of(task).quantization_aware and config.qat_epochs > 0:
        raise ExportError(f"qat_epochs applies to sequence classifiers; task {task.name!r} is a {task.head} task "
                          "(export its full_int8 without QAT, or dynamic_int8).")
    length = config.seq_len or config.max_length
    if config.seq_len and config.seq_len != config.max_length:
        raise ExportError(f"seq_len={config.seq_len} differs from max_length={config.max_length}: a fixed-length "
                          "model needs inputs padded to exactly that length.")
    report_path = os.path.join(config.output_dir, "export_report.json")
    report = _finished_report(config)
    if report is not None:
        _check_bundle_variant(report, config)
        report["bundle"] = os.path.join(config.output_dir, "bundle")
        return report
    if task.test is None:
        raise ExportError(f"Task {task.name!r} has no test split to validate the export on.")
    dev_x, _ = split_scorer(task, tokenizer, task.dev.head(config.parity_examples), length)
    test_x, score_test = split_scorer(task, tokenizer, task.test, length)
    keras_test_outputs = model.predict(test_x, batch_size=32, verbose=0)
    key, scale = headline_metric(task)
    reference = _Reference(dev_x, model.predict(dev_x, batch_size=32, verbose=0), test_x, score_test,
                           score_test(keras_test_outputs), key, scale)
    keras_test = reference.keras_test
    representative = task_inputs(task, task.train.head(config.representative_examples), tokenizer, length)[0]

    report = {"model": config.model, "task_kind": task.kind, "keras_test": keras_test, "max_length": config.max_length,
              "max_position_embeddings": loaded.config.max_position_embeddings,
              "seq_len": config.seq_len or None, "input_names": config.input_names,
              "special_tokens": _special_tokens(tokenizer), "variants": {}}
    written = {}
    for variant in variants:
        start = time.time()
        source, qat_reference = model, None
        if variant == "full_int8" and config.qat_epochs > 0:
            source, qat_reference, report["qat"] = _quantization_aware(model, task, tokenizer, length, dev_x, test_x,
                                                                       config)
        flatbuffer = to_tflite(source, variant, config.seq_len or None, config.input_names,
                               representative if variant == "full_int8" else None)
        check, file_test, _ = _validate(flatbuffer, reference, config.max_accuracy_drop, f"validate {variant}",
                                        dev_reference=qat_reference)
        parity, test, drop, ok = check["parity"], check["test"], check["drop"], check["passed"]
        entry = {"size_mb": len(flatbuffer) / 1e6, "parity_max_abs_logit_diff": parity, "test": test,
                 f"{key}_drop": drop, "passed": ok, "convert_and_validate_seconds": round(time.time() - start, 1)}
        entry.update(kind_of(task).variant_checks(file_test, keras_test_outputs, test_x))
        if ok or config.force:
            path = os.path.join(config.output_dir, variant, "model.tflite")
            outputs.write_bytes(path, flatbuffer)
            entry["path"] = path
            written[variant] = path
        report["variants"][variant] = entry
        verdict = ("written" if ok else
                   f"FAILED its {key} check (drop {drop:.4f} > {config.max_accuracy_drop * scale:g}), written anyway "
                   "(--force)"
                   if variant in written else f"REFUSED ({key} drop; --force writes it)")
        logger.info(f"{variant}: {entry['size_mb']:.1f} MB, max |logit diff| {parity:.2e}, test {key} "
                    f"{test[key]:.4f} (Keras {keras_test[key]:.4f}) -> {verdict}")
        outputs.fault_point(f"export:variant:{variant}")
    if config.bundle_variant in written:
        write_bundle(os.path.join(config.output_dir, "bundle"), written[config.bundle_variant], loaded, config,
                     report["variants"][config.bundle_variant], task=task)
    outputs.write_json(report_path, report)
    if config.bundle_variant not in written:
        # The report stays for reading; without the settings record a rerun (e.g. --force) starts afresh.
        outputs.discard(config.output_dir, [])
    _check_bundle_variant(report, config)
    report["bundle"] = os.path.join(config.output_dir, "bundle")
    return report


def _export_keras_hub(config: ExportConfig) -> Dict:
    """The keras-hub preset, its parity with the model checked, then `export_report.json`."""
    from tinybert_tf import keras_hub_export

    report = _finished_report(config)
    if report is not None:
        return report
    loaded = _load_classifier(config.model)
    preset = os.path.join(config.output_dir, "preset")
    keras_hub_export.to_keras_hub(config.model, preset, sequence_length=config.max_length)
    import keras_hub

    task = data_lib.load_task(config.task, data_dir=config.data_dir)
    dev_x = data_lib.encode(task.dev.head(config.parity_examples), loaded.tokenizer, config.max_length)
    hub = keras_hub.models.BertTextClassifier.from_preset(preset)
    theirs = np.asarray(hub({"token_ids": dev_x["input_ids"], "padding_mask": dev_x["attention_mask"],
                             "segment_ids": dev_x["token_type_ids"]}, training=False))
    diff = float(np.max(np.abs(theirs - loaded.classifier.predict(dev_x, batch_size=32, verbose=0))))
    logger.info(f"keras-hub preset {preset}: max |logit diff| {diff:.2e} on {len(dev_x['input_ids'])} dev examples "
                f"(reloaded with BertTextClassifier.from_preset)")
    if diff > KERAS_HUB_TOLERANCE:
        outputs.discard(config.output_dir, ["preset"])
        raise ExportError(f"The keras-hub preset differs from the model by {diff:.2e} (> {KERAS_HUB_TOLERANCE}); "
                          "nothing was kept. Report it with the model's config.json.")
    report = {"model": config.model, "format": "keras-hub", "preset": preset, "max_length": config.max_length,
              "parity_max_abs_logit_diff": diff, "parity_examples": len(dev_x["input_ids"])}
    outputs.write_json(os.path.join(config.output_dir, "export_report.json"), report)
    return report


def _export_mediapipe(config: ExportConfig) -> Dict:
    """`mediapipe/model.tflite` (see `ExportConfig.format`), validated, then `export_report.json`.
    What MediaPipe cannot run is refused before anything is written."""
    from tinybert_tf import tflite_metadata

    if config.bundle_variant not in VARIANTS or config.bundle_variant == "full_int8":
        raise ExportError(f"bundle_variant={config.bundle_variant!r}: the MediaPipe model is one of float32, "
                          "float16, dynamic_int8 (full_int8 needs calibration: export it as tflite).")
    loaded = _load_classifier(config.model)
    task = data_lib.load_task(config.task, data_dir=config.data_dir)
    if task.is_regression or task.train.text_pairs is not None:
        raise ExportError(f"Task {task.name!r} is a {'regression' if task.is_regression else 'sentence-pair'} task: "
                          "MediaPipe's TextClassifier classifies one text into labels. Export it as tflite "
                          "(the app bundle) instead.")
    task.check_model(loaded, role="model")
    model, tokenizer, length = loaded.classifier, loaded.tokenizer, config.max_length
    if not tokenizer.do_lower_case:
        # MediaPipe's BertTokenizerOptions have no casing switch: its WordPiece lowercases.
        raise ExportError(f"{config.model} uses a cased vocabulary; MediaPipe's BERT tokenizer lowercases, so it "
                          "would feed this model wrong ids. Export it as tflite (the app bundle) instead.")
    report = _finished_report(config)
    if report is not None:
        return report
    dev = task.dev.head(config.parity_examples)
    dev_x, _ = split_scorer(task, tokenizer, dev, length)
    test_x, score_test = split_scorer(task, tokenizer, task.test, length)
    softmax = lambda x: tf.nn.softmax(x, axis=-1).numpy()  # noqa: E731
    # The file returns probabilities: its parity is against Keras' softmax, its score the same.
    reference = _Reference(dev_x, softmax(model.predict(dev_x, batch_size=32, verbose=0)), test_x, score_test,
                           score_test(model.predict(test_x, batch_size=32, verbose=0)), "accuracy")
    keras_test = reference.keras_test
    flatbuffer = to_tflite(model, config.bundle_variant, length, "task_library", output="probabilities")
    # Fixed length: the parity examples one at a time, as MediaPipe runs it.
    check, _, file_dev = _validate(flatbuffer, reference, config.max_accuracy_drop, "validate mediapipe",
                                   dev_batch=1, test_batch=1)
    parity, test, drop = check["parity"], check["test"], check["drop"]
    labels = _labels(loaded)
    with_metadata = tflite_metadata.add_metadata(
        flatbuffer, _vocab(tokenizer), labels, name=f"{task.name} classifier",
        description=f"{task.name} text classifier distilled with tinybert_tf from {loaded.directory}.")
    path = os.path.join(config.output_dir, "mediapipe", "model.tflite")
    report = {"model": config.model, "format": "mediapipe", "path": path, "variant": config.bundle_variant,
              "max_length": length, "size_mb": len(with_metadata) / 1e6, "labels": labels,
              "parity_max_abs_prob_diff": parity, "keras_test": keras_test, "test": test,
              "accuracy_drop": drop, "passed": check["passed"],
              "metadata": {k: v for k, v in tflite_metadata.read_metadata(with_metadata).items() if k != "files"}}
    logger.info(f"mediapipe ({config.bundle_variant}, fixed length {length}): {report['size_mb']:.1f} MB, max |prob diff| "
                f"{parity:.2e} vs Keras, test accuracy {test['accuracy']:.4f} (Keras {keras_test['accuracy']:.4f})")
    if not report["passed"] and not config.force:
        outputs.discard(config.output_dir, [])
        raise ExportError(f"The MediaPipe model loses {drop:.4f} test accuracy (> {config.max_accuracy_drop}); "
                          "nothing was kept. Pick another --bundle-variant or pass --force.")
    outputs.write_bytes(path, with_metadata)
    report["mediapipe_check"] = check = _mediapipe_check(path, dev, file_dev, labels)
    if check["checked"] and check["label_agreement"] < MEDIAPIPE_AGREEMENT and not config.force:
        outputs.discard(config.output_dir, ["mediapipe"])
        raise ExportError(f"MediaPipe's TextClassifier agrees with this model on only {check['label_agreement']:.1%} "
                          f"of {check['examples']} dev examples (< {MEDIAPIPE_AGREEMENT:.0%}): its tokenizer reads the "
                          "text differently; nothing was kept (--force keeps it).")
    # The same file as an app bundle: the app runs it with MediaPipe or, without it, LiteRT.
    fixed = dataclasses.replace(config, seq_len=length, input_names="task_library")
    report["bundle"] = write_bundle(os.path.join(config.output_dir, "bundle"), path, loaded, fixed, report,
                                    output="probabilities")
    outputs.write_json(os.path.join(config.output_dir, "export_report.json"), report)
    return report


def _mediapipe_check(path, dev, file_dev, labels) -> Dict:
    """MediaPipe's TextClassifier (its own tokenizer) on the parity examples vs this file run
    on this project's tokenization; a visible note where MediaPipe is not installed."""
    from tinybert_tf import tflite_metadata

    try:
        classifier = tflite_metadata.mediapipe_classifier(path)
    except (ImportError, OSError):  # the schema code imports, the native text runtime does not
        logger.warning("MediaPipe is not installed: the metadata was written and read back, but not run through MediaPipe "
                       "(" + tflite_metadata.INSTALL_HINT + ")")
        return {"checked": False, "why": "mediapipe not installed"}
    with classifier:
        scores = np.array([tflite_metadata.mediapipe_scores(classifier, text, labels) for text in dev.texts])
    diff = np.abs(scores - file_dev).max(axis=1)
    check = {"checked": True, "examples": len(dev), "label_agreement": float(np.mean(
        scores.argmax(1) == file_dev.argmax(1))), "max_abs_prob_diff": float(diff.max()),
        "identical_to_1e-4": int(np.sum(diff <= 1e-4))}
    logger.info(f"MediaPipe TextClassifier on {len(dev)} dev examples: same label on {check['label_agreement']:.1%}, "
                f"max |prob diff| {check['max_abs_prob_diff']:.2e} (its tokenizer keeps accents; this project strips them)")
    return check


def _load_classifier(model_dir: str):
    """The saved classifier (`PretrainedBert`) every export format starts from."""
    loaded = load_pretrained(model_dir)
    if loaded.classifier is None:
        raise ExportError(f"{model_dir} has no sequence-classifier head; this format exports text classifiers "
                          "(export taggers and question answerers with --format tflite).")
    return loaded


def _finished_report(config: ExportConfig) -> Optional[Dict]:
    """The settings guard, then the report of a finished export with these settings (None
    when there is none yet)."""
    report_path = os.path.join(config.output_dir, "export_report.json")
    if outputs.prepare_output_dir(config.output_dir, "export", config) and os.path.isfile(report_path):
        logger.info(f"{config.output_dir} holds this export, finished; reusing it (delete it to export again).")
        with open(report_path, encoding="utf-8") as f:
            return json.load(f)
    return None


def _vocab(tokenizer) -> list:
    """WordPieces in id order (vocab.txt, the metadata's packed vocabulary)."""
    return [t for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]


def _labels(loaded) -> list:
    """Label (or tag) names in id order; none for a question answerer."""
    if loaded.question_answerer is not None:
        return []
    return loaded.labels or [str(i) for i in range(loaded.task_model.num_labels)]


def _check_bundle_variant(report: Dict, config: ExportConfig) -> None:
    if "path" not in report["variants"].get(config.bundle_variant, {}):
        raise ExportError(f"The bundle variant {config.bundle_variant} failed validation "
                          f"(see {config.output_dir}/export_report.json); pick another or pass --force.")


def _quantization_aware(model, task, tokenizer, length, dev_x, test_x, config: ExportConfig):
    """QAT-fine-tuned copy of `model` for full_int8: (model, its dev logits, report entry)."""
    start = time.time()
    qat_model = qat.quantization_aware_model(model)
    qat.fine_tune(qat_model, data_lib.encode(task.train, tokenizer, length), task.train.labels,
                  epochs=config.qat_epochs, learning_rate=config.qat_learning_rate, regression=task.is_regression)
    with mask_adder(QUANTIZATION_MASK_ADDER):
        dev = qat_model.predict(dev_x, batch_size=32, verbose=0)
        test = compute_metrics(qat_model.predict(test_x, batch_size=32, verbose=0), task.test.labels,
                               task.is_regression)
    logger.info(f"quantization-aware training: {config.qat_epochs} epoch(s), {time.time() - start:.0f} s, "
                f"fake-quantized Keras test {test}")
    return qat_model, dev, {"epochs": config.qat_epochs, "learning_rate": config.qat_learning_rate,
                            "keras_test": test, "seconds": round(time.time() - start, 1)}


def _special_tokens(tokenizer) -> Dict[str, int]:
    ids = tokenizer.get_vocab()
    return {t: ids[t] for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]") if t in ids}


def write_bundle(directory: str, tflite_path: str, loaded, config: ExportConfig, validation: Dict,
                 output: str = "logits", task=None) -> str:
    """`model.tflite` + `vocab.txt` + `labels.txt` + `bundle.json`: the app's one contract.
    `output`: what the model returns, `logits` or `probabilities` (the MediaPipe model: the
    app must not apply softmax again). `task_kind` says how to read it: `sequence`
    (`output_kind` logits, probabilities or regression), `token` (`token_logits`: a tag
    per WordPiece, read at each word's first piece; labels are the tags) or `span`
    (`span_logits`: outputs `start_logits` and `end_logits`; the app tokenizes
    `[CLS] question [SEP] context [SEP]` with the question cut to `max_query_length`
    pieces and searches spans of at most `max_answer_length` tokens)."""
    # bundle.json last: a bundle with it is complete (`read_bundle` checks the rest).
    with outputs.atomic_path(os.path.join(directory, "model.tflite")) as tmp:
        shutil.copyfile(tflite_path, tmp)
    tokenizer = loaded.tokenizer
    outputs.write_text(os.path.join(directory, "vocab.txt"), "".join(t + "\n" for t in _vocab(tokenizer)))
    labels = _labels(loaded)
    outputs.write_text(os.path.join(directory, "labels.txt"), "".join(label + "\n" for label in labels))
    names = _input_names(config.input_names)
    kind = kind_of(loaded.task_model)
    meta = {
        "format_version": BUNDLE_FORMAT_VERSION,
        "model_file": "model.tflite", "vocab_file": "vocab.txt", "labels_file": "labels.txt",
        "variant": os.path.basename(os.path.dirname(tflite_path)),
        "max_length": config.max_length, "fixed_seq_len": config.seq_len or None,
        "do_lower_case": tokenizer.do_lower_case, "strip_accents": tokenizer.do_lower_case,
        "input_names": {"input_ids": names["input_ids"], "attention_mask": names["attention_mask"],
                        "token_type_ids": names["token_type_ids"]},
        "task_kind": kind.name,
        **kind.bundle_outputs(output, getattr(loaded.task_model, "num_labels", 0)),
        "labels": labels,
        "special_tokens": _special_tokens(tokenizer),
        "test_accuracy": validation["test"].get("accuracy"),
        "test_metrics": {k: v for k, v in validation["test"].items() if isinstance(v, (int, float))},
        "parity_max_abs_logit_diff": validation.get("parity_max_abs_logit_diff",
                                                    validation.get("parity_max_abs_prob_diff")),
        "source_model": loaded.directory,
    }
    meta.update(kind.bundle_extras(task))
    outputs.write_json(os.path.join(directory, "bundle.json"), meta)
    return directory
