"""ARM correctness check of exported TFLite models (optional; not in the test run).

    android_demo/scripts/arm_check.sh [EXPORT_DIR] [N]

x86 side (`prepare`, the project venv): encodes N fine_foods test reviews with the bundle's
tokenizer and runs every `<variant>/model.tflite` under EXPORT_DIR with the host LiteRT.
aarch64 side (`run`, under qemu-aarch64-static with a Debian arm64 Python and the aarch64
ai-edge-litert 1.4.0 wheel): runs the same models on the same inputs. `compare` prints the
largest logit difference and label agreement per variant and fails on a disagreement.
Correctness only: timings under qemu mean nothing.
"""

import glob
import json
import os
import sys

import numpy as np


def prepare(export_dir, n, out):
    from ai_edge_litert.interpreter import Interpreter

    from tinybert_tf import data as data_lib
    from tinybert_tf.export import read_bundle
    from tinybert_tf.tokenizer import BertTokenizer

    meta = read_bundle(os.path.join(export_dir, "bundle"))
    tokenizer = BertTokenizer.from_vocab_file(meta["vocab_file_path"], do_lower_case=meta["do_lower_case"])
    task = data_lib.load_task("fine_foods")
    features = tokenizer(task.test.texts[:n], max_length=meta["max_length"], padding="longest")
    models = sorted(p for p in glob.glob(os.path.join(export_dir, "*", "model.tflite"))
                    if _variant(p) != "bundle")  # bundle/ holds a copy of one variant
    names = meta["input_names"]
    arrays = {f"in_{k}": v for k, v in features.items()}
    for path in models:
        arrays[f"x86_{_variant(path)}"] = _run(Interpreter, path, features, names)
    np.savez(out, **arrays)
    with open(out + ".json", "w") as f:
        json.dump({"models": models, "input_names": names}, f)
    print(f"x86: {len(models)} models, {n} examples -> {out}")


def _variant(path):
    return os.path.basename(os.path.dirname(path))


def _run(Interpreter, path, features, names):
    runner = Interpreter(model_path=path, num_threads=1).get_signature_runner()
    rows = []
    for i in range(len(features["input_ids"])):
        rows.append(runner(**{names[k]: features[k][i:i + 1] for k in names})["logits"][0])
    return np.stack(rows)


def run(prepared, out):
    import platform

    from ai_edge_litert.interpreter import Interpreter

    data = np.load(prepared)
    with open(prepared + ".json") as f:
        meta = json.load(f)
    features = {k[3:]: data[k] for k in data.files if k.startswith("in_")}
    results = {f"arm_{_variant(p)}": _run(Interpreter, p, features, meta["input_names"]) for p in meta["models"]}
    np.savez(out, **results)
    print(f"{platform.machine()}: ran {len(results)} models")


def compare(prepared, arm):
    x86, a = np.load(prepared), np.load(arm)
    ok = True
    for key in sorted(k for k in x86.files if k.startswith("x86_")):
        variant = key[4:]
        diff = float(np.max(np.abs(x86[key] - a[f"arm_{variant}"])))
        agree = float(np.mean(np.argmax(x86[key], -1) == np.argmax(a[f"arm_{variant}"], -1)))
        ok &= agree == 1.0
        print(f"{variant}: max |logit diff| x86 vs aarch64 {diff:.2e}, same label {100 * agree:.1f}% "
              f"of {len(x86[key])}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "prepare":
        prepare(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif mode == "run":
        run(sys.argv[2], sys.argv[3])
    else:
        compare(sys.argv[2], sys.argv[3])
