"""The latency protocol, shared by `export.litert_latency` and the benchmark child process.

Imports only NumPy and LiteRT: `tinybert_tf.bench` runs this file as a script (by path,
so the package, and TensorFlow with it, is not imported) to measure each model's peak
memory in a process of its own. The Android app implements the same protocol.
"""

import json
import sys
import time

import numpy as np


# [UNK], [CLS], [SEP] in BERT-base's layout (and MiniLM's); a pruned vocabulary has others.
BERT_SPECIAL_IDS = (100, 101, 102)


def default_inputs(seq_len, special_ids=BERT_SPECIAL_IDS):
    """[CLS] [UNK]... [SEP], every position attended; `special_ids` = the model's (unk, cls,
    sep) ids. The timing does not depend on the ids, but they must exist in its vocabulary."""
    unk, cls, sep = special_ids
    ids = np.full((1, seq_len), unk, dtype=np.int32)
    ids[0, 0], ids[0, -1] = cls, sep
    return {"input_ids": ids, "attention_mask": np.ones((1, seq_len), np.int32),
            "token_type_ids": np.zeros((1, seq_len), np.int32)}


# Keras input names -> the TFLite Task Library's BertNLClassifier names (export uses these too).
TASK_LIBRARY_INPUTS = {"input_ids": "ids", "attention_mask": "mask", "token_type_ids": "segment_ids"}


def signature_inputs(runner, features):
    wanted = set(runner.get_input_details())
    return {(k if k in wanted else TASK_LIBRARY_INPUTS.get(k, k)): np.ascontiguousarray(v, dtype=np.int32)
            for k, v in features.items()}


def time_model(flatbuffer, seq_len, runs=50, warmup=5, threads=1, features=None, special_ids=BERT_SPECIAL_IDS):
    """Batch 1 at `seq_len`: `warmup` untimed runs, then `runs` timed; milliseconds."""
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_content=flatbuffer, num_threads=threads).get_signature_runner()
    inputs = signature_inputs(runner, features if features is not None else default_inputs(seq_len, special_ids))
    for _ in range(warmup):
        runner(**inputs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        runner(**inputs)
        times.append((time.perf_counter() - start) * 1e3)
    p50, p90, p99 = np.percentile(times, [50, 90, 99])
    return {"p50_ms": float(p50), "p90_ms": float(p90), "p99_ms": float(p99), "mean_ms": float(np.mean(times)),
            "runs": runs, "warmup": warmup, "threads": threads, "seq_len": seq_len}


def peak_rss_mb():
    """This process's resident-set high-water mark (VmHWM; reset at exec, unlike ru_maxrss)."""
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


if __name__ == "__main__":  # python litert_protocol.py MODEL SEQ_LENS THREADS WARMUP RUNS [UNK,CLS,SEP]
    path, seqs, threads, warmup, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    special = tuple(int(i) for i in sys.argv[6].split(",")) if len(sys.argv) > 6 else BERT_SPECIAL_IDS
    with open(path, "rb") as f:
        model = f.read()
    latency = [time_model(model, int(s), runs=runs, warmup=warmup, threads=threads, special_ids=special)
               for s in seqs.split(",")]
    print(json.dumps({"latency": latency, "peak_rss_mb": peak_rss_mb()}))
