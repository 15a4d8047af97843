"""Augmentation candidates compared: teacher-MLM words vs embedding neighbours.

For the first N training reviews, one augmented copy each (p = 0.4, K = 15, the same
random streams) from each source. Reported per source: the share of words changed, and
how often the fine-tuned teacher still gives the copy the label it gives the original
(agreement; a proxy for "the copy is still an example of its class"), with the mean
absolute change of the teacher's probability of the positive class.

    .venv/bin/tinybert-tf mlm-head --model minilm-l6 --output-dir runs/mlm_minilm
    .venv/bin/python benchmarks/augment_quality.py --teacher runs/demo/teacher \
        --sources neighbours=runs/demo/teacher,mlm=runs/mlm_minilm --examples 500
"""

import argparse
import random

import numpy as np

import tinybert_tf  # noqa: F401  (Keras 2 before TensorFlow)
from tinybert_tf import data, load_pretrained
from tinybert_tf.augment import Augmenter


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", default="runs/demo/teacher")
    parser.add_argument("--sources", default="neighbours=runs/demo/teacher,mlm=runs/mlm_minilm")
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument("--replace-prob", type=float, default=0.4)
    parser.add_argument("--top-k", type=int, default=15)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()

    teacher = load_pretrained(args.teacher)
    texts = data.load_task("fine_foods").train.texts[:args.examples]

    def positive_probability(batch_texts):
        logits = teacher.classifier.predict(teacher.tokenizer(batch_texts, max_length=args.max_length),
                                            batch_size=32, verbose=0)
        e = np.exp(logits - logits.max(1, keepdims=True))
        return (e / e.sum(1, keepdims=True))[:, 1]

    base = positive_probability(texts)
    rows = []
    for item in args.sources.split(","):
        name, directory = item.split("=", 1)
        augmenter = Augmenter(load_pretrained(directory), top_k=args.top_k, seed=0)
        copies, changed, total = [], 0, 0
        for i, text in enumerate(texts):
            augmenter.rng = random.Random(i)
            copy = augmenter.augment(text, 1, args.replace_prob)[0]
            words, new = augmenter.words(text), copy.split()
            changed += sum(a != b for a, b in zip(words, new))
            total += len(words)
            copies.append(copy)
        p = positive_probability(copies)
        agreement = float(np.mean((p > 0.5) == (base > 0.5)))
        se = float(np.sqrt(agreement * (1 - agreement) / len(texts)))
        rows.append((name, directory, augmenter.mlm_head is not None, changed / total, agreement, se,
                     float(np.mean(np.abs(p - base)))))
        print(rows[-1], flush=True)
    print(f"\n{len(texts)} fine_foods training reviews, one copy each, p={args.replace_prob}, K={args.top_k}; "
          f"judge: {args.teacher}\n")
    print("| source | MLM head | words changed | teacher label agreement (± s.e.) | mean abs. change of P(great) |")
    print("|---|---|---|---|---|")
    for name, directory, mlm, rate, agree, se, delta in rows:
        print(f"| {name} (`{directory}`) | {'yes' if mlm else 'no'} | {100 * rate:.1f}% | "
              f"{100 * agree:.1f}% ± {100 * se:.1f} | {delta:.3f} |")


if __name__ == "__main__":
    main()
