"""How the projection W's start affects task-distillation step 1 (issue: the projection).

One student (the general-distilled one of a recipe run), four starts of W, the same
batches: `glorot` (a fresh random W, what every Distiller used before), `identity`
(W = I), `none` (no projection), `carried` (the W general distillation trained). After N
step-1 steps it reports, on dev reviews, the student's real distance to the teacher,
the hidden MSE *without* W (mean over the mapped layers and the embeddings), and the
training hidden loss (with W, mean of the last 10 steps).

    .venv/bin/python benchmarks/projection_ablation.py --run-dir runs/demo --steps 100

Writes `<run-dir>/projection_ablation.md`.
"""

import argparse
import os
import time

import numpy as np

import tinybert_tf  # noqa: F401  (Keras 2 before TensorFlow)
from tinybert_tf import data, load_pretrained
from tinybert_tf.backend import keras, tf
from tinybert_tf.distill import PROJECTIONS_FILE
from tinybert_tf.distiller import Distiller


def real_distance(distiller, features, batch_size=32):
    """Mean over batches of mean_l MSE(H_S^l, H_T^g(l)) with no projection (l = 0 embeddings)."""
    totals = []
    n = len(features["input_ids"])
    for start in range(0, n, batch_size):
        x = {k: v[start:start + batch_size] for k, v in features.items()}
        s, t = distiller.student(x, training=False), distiller.teacher(x, training=False)
        pairs = [(0, 0)] + [(m + 1, g) for m, g in enumerate(distiller.layer_mapping)]
        totals.append(np.mean([float(tf.reduce_mean((s["hidden_states"][a] - t["hidden_states"][b]) ** 2))
                               for a, b in pairs]))
    return float(np.mean(totals))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", default="runs/demo")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--dev-examples", type=int, default=200)
    parser.add_argument("--variants", default="glorot,identity,none,carried")
    args = parser.parse_args()

    teacher = load_pretrained(os.path.join(args.run_dir, "teacher"))
    general = os.path.join(args.run_dir, "general")
    task = data.load_task("fine_foods")
    tok = teacher.tokenizer
    train = data.encode(task.train, tok, args.max_length)
    dev = data.encode(task.dev.head(args.dev_examples), tok, args.max_length)
    rows = []
    for variant in args.variants.split(","):
        keras.utils.set_random_seed(0)
        student = load_pretrained(general, num_labels=teacher.classifier.num_labels).classifier
        projection = "none" if variant == "none" else "shared"
        init = {"glorot": "glorot", "identity": "identity"}.get(variant, "auto")
        distiller = Distiller(student, teacher.classifier, "uniform", projection, init)
        if variant == "carried":
            distiller.load_projections(os.path.join(general, PROJECTIONS_FILE))
        distiller.compile(optimizer=keras.optimizers.Adam(args.learning_rate), stage="intermediate")
        before = real_distance(distiller, dev)
        batches = data.ResumableBatches((train, task.train.labels), args.batch_size, epochs=1, seed=0)
        start = time.time()
        losses = _StepLosses()
        distiller.fit(batches.dataset(), epochs=1, steps_per_epoch=min(args.steps, batches.steps_per_epoch),
                      verbose=0, callbacks=[losses])
        seconds = time.time() - start
        after = real_distance(distiller, dev)
        last = float(np.mean(losses.values[-10:]))  # mean of the last 10 steps' hidden loss
        rows.append((variant, before, after, last, seconds))
        print(f"{variant}: real distance {before:.4f} -> {after:.4f}, training hidden loss (last 10) {last:.4f}, "
              f"{seconds:.0f} s", flush=True)

    lines = [f"Step 1 from `{general}`: {args.steps} steps, batch {args.batch_size}, length {args.max_length}, "
             f"Adam {args.learning_rate}; dev = first {args.dev_examples} dev reviews.", "",
             "| W start | real distance before (MSE without W) | after | training hidden loss, last 10 steps | s |",
             "|---|---|---|---|---|"]
    lines += [f"| {v} | {b:.4f} | {a:.4f} | {h:.4f} | {s:.0f} |" for v, b, a, h, s in rows]
    path = os.path.join(args.run_dir, "projection_ablation.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"written: {path}")


class _StepLosses(keras.callbacks.Callback):
    """Each step's own hidden loss, recovered from the running mean Keras logs."""

    def on_train_begin(self, logs=None):
        self.values = []

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["hidden_loss"])
        n = len(self.values) + 1
        self.values.append(mean * n - sum(self.values))


if __name__ == "__main__":
    main()
