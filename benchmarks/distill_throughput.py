"""Distillation training throughput and peak memory (a benchmark, not a test).

TinyBERT4 student (4 layers, hidden 312, 12 heads, FFN 1200) from the MiniLM teacher,
`Distiller` stage `all` (every loss term), batch 32, at sequence 64 and 128, with and
without `jit_compile`, in float32 and (`--precisions none,bfloat16`) Keras' mixed
bfloat16 policy. Each configuration runs in its own process so that peak RSS is its own;
the table prints ratios against float32 without jit, measured side by side in this one run.

    .venv/bin/python benchmarks/distill_throughput.py [--steps 10] [--warmup 3] \
        [--jit 0,1] [--precisions none,bfloat16]
"""

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np
import tinybert_tf as tb
from tinybert_tf.backend import keras, tf
from tinybert_tf.distiller import Distiller
from tinybert_tf.student import build_student
from tinybert_tf.training import precision
seq, jit, steps, warmup, batch = int(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4]), 32
mixed = sys.argv[5]
keras.utils.set_random_seed(0)
precision(mixed).__enter__()  # this process only: every model below is built under the policy
teacher = tb.load_pretrained("minilm-l6", num_labels=2)
student = build_student(teacher.classifier, "tinybert4")
distiller = Distiller(student, teacher.classifier)
distiller.compile(optimizer=keras.optimizers.Adam(5e-5), stage="all", jit_compile=jit)
rng = np.random.default_rng(0)
x = {"input_ids": rng.integers(1000, 30000, (batch, seq)).astype("int32"),
     "attention_mask": np.ones((batch, seq), "int32"), "token_type_ids": np.zeros((batch, seq), "int32")}
ds = tf.data.Dataset.from_tensors((x, np.zeros(batch, "int64"))).repeat()
distiller.fit(ds, steps_per_epoch=warmup, epochs=1, verbose=0)   # tracing / XLA compile
start = time.perf_counter()
distiller.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
seconds = time.perf_counter() - start
print("RESULT " + json.dumps({"seq": seq, "jit_compile": jit, "precision": mixed,
                              "examples_per_s": steps * batch / seconds,
                              "s_per_step": seconds / steps,
                              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seqs", default="64,128")
    parser.add_argument("--jit", default="0,1", help="jit_compile settings to run: 0, 1 or 0,1")
    parser.add_argument("--precisions", default="none", help="mixed_precision settings: none, bfloat16")
    args = parser.parse_args()
    rows = []
    for seq in (int(s) for s in args.seqs.split(",")):
        for mixed in args.precisions.split(","):
            for jit in (j == "1" for j in args.jit.split(",")):
                out = subprocess.run([sys.executable, "-c", CHILD, str(seq), "1" if jit else "0", str(args.steps),
                                      str(args.warmup), mixed], capture_output=True, text=True)
                line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
                if line is None:
                    print(f"seq {seq} jit {jit} {mixed}: failed\n{out.stderr[-2000:]}")
                    continue
                rows.append(json.loads(line[len("RESULT "):]))
                print(rows[-1], flush=True)
    print("\n| seq | precision | jit_compile | examples/s | s/step | peak RSS MB | speed vs float32, no jit |")
    print("|---|---|---|---|---|---|---|")
    base = {r["seq"]: r["examples_per_s"] for r in rows if not r["jit_compile"] and r["precision"] == "none"}
    for r in rows:
        ratio = r["examples_per_s"] / base[r["seq"]] if r["seq"] in base else float("nan")
        print(f"| {r['seq']} | {'float32' if r['precision'] == 'none' else r['precision']} | {r['jit_compile']} | "
              f"{r['examples_per_s']:.1f} | {r['s_per_step']:.2f} | {r['peak_rss_mb']:.0f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
