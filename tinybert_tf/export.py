"""TFLite export of a classifier and LiteRT measurement (builtin ops only).

`to_tflite` converts with `TFLITE_BUILTINS` only: a graph that would need Flex (select
TF) ops fails with the list of offending ops rather than producing a model the mobile
runtime cannot run. Inputs keep the Keras names (`input_ids`, `attention_mask`,
`token_type_ids`), int32, shape (batch, sequence) with both dimensions dynamic.
"""

import re
import time
from typing import Dict, Optional

import numpy as np

from tinybert_tf.backend import tf

QUANTIZATIONS = ("float32", "float16", "dynamic_int8")


class ExportError(RuntimeError):
    """A model that cannot be exported as asked (Flex ops, unknown quantization)."""


def to_tflite(model, quantization: str = "float32") -> bytes:
    """The TFLite flatbuffer of a Keras classifier/encoder.

    Args:
        model: a `BertClassifier` (or any model taking the three int32 inputs).
        quantization: `float32`, `float16` (weights), or `dynamic_int8` (int8 weights,
            activations quantized on the fly: the fastest variant on ARM/x86 CPUs).
    """
    if quantization not in QUANTIZATIONS:
        raise ExportError(f"quantization={quantization!r}; use one of {QUANTIZATIONS}.")
    spec = {name: tf.TensorSpec((None, None), tf.int32, name=name) for name in model.input_names}
    fn = tf.function(lambda inputs: model(inputs, training=False)).get_concrete_function(spec)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn], model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "dynamic_int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    try:
        return converter.convert()
    except Exception as e:  # the converter raises ConverterError with the op list in its text
        ops = sorted(set(re.findall(r"'?(tf\.[A-Za-z0-9_]+)'?", str(e))))
        raise ExportError(
            "The model needs TensorFlow ops that TFLite's builtin set lacks"
            + (f": {', '.join(ops)}" if ops else "") + ". Flex ops are not allowed (the app ships the "
            "builtin runtime only); replace those ops in the model.") from e


def interpreter(flatbuffer: bytes, threads: int = 1):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_content=flatbuffer, num_threads=threads)


def tflite_logits(flatbuffer: bytes, features: Dict[str, np.ndarray], batch_size: int = 1) -> np.ndarray:
    """Run a TFLite classifier over int32 features (dict of (N, S) arrays)."""
    runner = interpreter(flatbuffer).get_signature_runner()
    n = len(next(iter(features.values())))
    out = []
    for start in range(0, n, batch_size):
        batch = {k: np.ascontiguousarray(v[start:start + batch_size], dtype=np.int32) for k, v in features.items()}
        out.append(np.asarray(list(runner(**batch).values())[0]))
    return np.concatenate(out)


def litert_latency(flatbuffer: bytes, seq_len: int, runs: int = 50, warmup: int = 5, threads: int = 1,
                   features: Optional[Dict[str, np.ndarray]] = None) -> Dict[str, float]:
    """Latency of one example (batch 1) at `seq_len`, in milliseconds: p50/p90/p99/mean.
    Inputs are [CLS] [UNK]... [SEP] with every position attended (BERT-base ids, valid in
    any vocabulary of that layout; the timing does not depend on the ids) unless
    `features` (batch 1) is given."""
    runner = interpreter(flatbuffer, threads).get_signature_runner()
    if features is None:
        ids = np.full((1, seq_len), 100, dtype=np.int32)
        ids[0, 0], ids[0, -1] = 101, 102
        features = {"input_ids": ids, "attention_mask": np.ones((1, seq_len), np.int32),
                    "token_type_ids": np.zeros((1, seq_len), np.int32)}
    for _ in range(warmup):
        runner(**features)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        runner(**features)
        times.append((time.perf_counter() - start) * 1e3)
    p50, p90, p99 = np.percentile(times, [50, 90, 99])
    return {"p50_ms": float(p50), "p90_ms": float(p90), "p99_ms": float(p99), "mean_ms": float(np.mean(times)),
            "runs": runs, "threads": threads, "seq_len": seq_len}
