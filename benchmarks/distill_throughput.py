"""Distillation training throughput and peak memory (a benchmark, not a test).

TinyBERT4 student (4 layers, or `--student-layers`; hidden 312, 12 heads, FFN 1200) from
the MiniLM teacher,
`Distiller` stage `all` (every loss term), batch 32, at sequence 64 and 128, with and
without `jit_compile`, in float32 and (`--precisions none,bfloat16`) Keras' mixed
bfloat16 policy. Each configuration runs in its own process so that peak RSS is its own;
the table prints ratios against the first row of each sequence length, measured side by
side in this one run. Wall time on this machine comes in steps of about 0.1 s (a CPU
quota: a process that spends its share waits for the next period), so it also prints
examples per CPU-second (user + system time of all threads), which that does not distort.

Batches: random ids at full length (`--data random`, the default), or real training
batches of a task (`--data fine_foods` or `stsb`, the first `--steps` batches of epoch 1 in
`ResumableBatches` order) with `--padding max_length,longest` (each batch cut to its
longest example) and `--group 0,1` (`group_by_length`; timed over at least one whole
mega-batch of 50 batches, since a mega-batch runs longest first). Real-data rows train a
2-label head on zero labels: only the speed is measured here (STS-B's regression head
costs the same).

    .venv/bin/python benchmarks/distill_throughput.py [--steps 10] [--warmup 3] \
        [--jit 0,1] [--precisions none,bfloat16] [--stage prediction --cache 0,1] \
        [--data fine_foods --padding max_length,longest --group 0,1]
"""

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np
import tinybert_tf as tb
from tinybert_tf import data as data_lib
from tinybert_tf.backend import keras, tf
from tinybert_tf.distiller import Distiller
from tinybert_tf.student import PRESETS, build_student
from tinybert_tf.training import precision
seq, jit, steps, warmup, batch = int(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4]), 32
mixed, stage, cache = sys.argv[5], sys.argv[6], sys.argv[7] == "1"
data, padding, group = sys.argv[8], sys.argv[9], sys.argv[10] == "1"
layers = int(sys.argv[11])
keras.utils.set_random_seed(0)
precision(mixed).__enter__()  # this process only: every model below is built under the policy
teacher = tb.load_pretrained("minilm-l6", num_labels=2)
student = build_student(teacher.classifier, dict(PRESETS["tinybert4"], num_hidden_layers=layers))
distiller = Distiller(student, teacher.classifier)
distiller.compile(optimizer=keras.optimizers.Adam(5e-5), stage=stage, jit_compile=jit)
rng = np.random.default_rng(0)
if data == "random":
    x = {"input_ids": rng.integers(1000, 30000, (batch, seq)).astype("int32"),
         "attention_mask": np.ones((batch, seq), "int32"), "token_type_ids": np.zeros((batch, seq), "int32")}
else:
    task = data_lib.load_task(data)
    x = data_lib.encode(task.train, teacher.tokenizer, seq)
if cache:  # step 2 with the teacher's logits computed once (TaskDistillConfig.cache_teacher_logits)
    x["teacher_logits"] = teacher.classifier.predict(x, batch_size=64, verbose=0).astype("float32")
if data == "random":
    ds = warm = tf.data.Dataset.from_tensors((x, np.zeros(batch, "int64"))).repeat()
    tokens = steps * batch * seq
else:
    if group:
        steps = max(steps, 50)
    inputs = (x, np.zeros(len(x["input_ids"]), "int64"))
    make = lambda: data_lib.ResumableBatches(inputs, batch, 1, seed=0, padding=padding, group_by_length=group).dataset()
    ds, warm = make().take(steps), make().skip(steps).take(warmup)
    tokens = sum(int(np.prod(b[0]["input_ids"].shape)) for b in ds)  # positions computed, padding included
distiller.fit(warm, steps_per_epoch=warmup, epochs=1, verbose=0)   # tracing / XLA compile
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])  # user + system seconds, all threads
start, cpu_start = time.perf_counter(), cpu()
distiller.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
print("RESULT " + json.dumps({"seq": seq, "jit_compile": jit, "precision": mixed, "stage": stage, "cache": cache,
                              "data": data, "padding": padding, "group_by_length": group,
                              "mean_batch_length": tokens / steps / batch,
                              "examples_per_s": steps * batch / seconds,
                              "s_per_step": seconds / steps,
                              "examples_per_cpu_s": steps * batch / cpu_seconds,
                              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seqs", default="64,128")
    parser.add_argument("--jit", default="0,1", help="jit_compile settings to run: 0, 1 or 0,1")
    parser.add_argument("--precisions", default="none", help="mixed_precision settings: none, bfloat16")
    parser.add_argument("--stage", default="all", help="Distiller stage: all, intermediate, prediction")
    parser.add_argument("--cache", default="0", help="prediction stage: cached teacher logits 0, 1 or 0,1")
    parser.add_argument("--student-layers", type=int, default=4,
                        help="TinyBERT4's widths with this many layers (3: the official code's layer mapping "
                             "needs teacher layers divisible by student layers; see official_throughput.py)")
    parser.add_argument("--data", default="random", help="random, or a task's training batches: fine_foods, stsb")
    parser.add_argument("--padding", default="max_length", help="real data: max_length, longest or both")
    parser.add_argument("--group", default="0", help="real data: group_by_length 0, 1 or 0,1")
    args = parser.parse_args()
    rows = []
    configs = [(mixed, jit == "1", cache == "1", padding, group)
               for mixed in args.precisions.split(",") for jit in args.jit.split(",")
               for cache in args.cache.split(",") for padding in args.padding.split(",")
               for group in args.group.split(",")
               # grouping without cutting to the longest changes nothing measurable
               if (args.data != "random" or padding == "max_length") and not (padding == "max_length" and group == "1")]
    for seq in (int(s) for s in args.seqs.split(",")):
        for mixed, jit, cache, padding, group in configs:
            out = subprocess.run([sys.executable, "-c", CHILD, str(seq), "1" if jit else "0", str(args.steps),
                                  str(args.warmup), mixed, args.stage, "1" if cache else "0", args.data, padding,
                                  group, str(args.student_layers)], capture_output=True, text=True)
            line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
            if line is None:
                print(f"seq {seq} jit {jit} {mixed} cache {cache}: failed\n{out.stderr[-2000:]}")
                continue
            rows.append(json.loads(line[len("RESULT "):]))
            print(rows[-1], flush=True)
    print(f"\nstage {args.stage}, data {args.data}\n\n| seq | precision | jit_compile | cached teacher logits | "
          "padding | group_by_length | mean batch length | examples/s | s/step | examples per CPU-second | "
          "peak RSS MB | speed vs the first row of its seq (wall; CPU) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    base, base_cpu = {}, {}
    for r in rows:
        base.setdefault(r["seq"], r["examples_per_s"])
        base_cpu.setdefault(r["seq"], r["examples_per_cpu_s"])
        print(f"| {r['seq']} | {'float32' if r['precision'] == 'none' else r['precision']} | {r['jit_compile']} | "
              f"{r['cache']} | {r['padding']} | {r['group_by_length']} | {r['mean_batch_length']:.0f} | "
              f"{r['examples_per_s']:.1f} | {r['s_per_step']:.2f} | {r['examples_per_cpu_s']:.1f} | "
              f"{r['peak_rss_mb']:.0f} | {r['examples_per_s'] / base[r['seq']]:.2f}x; "
              f"{r['examples_per_cpu_s'] / base_cpu[r['seq']]:.2f}x |")


if __name__ == "__main__":
    main()
