"""The official TinyBERT code's task-distillation step timed on this machine (a benchmark).

The reference for `distill_throughput.py`'s "faster than the official code" claims. It
runs the step that huawei-noah/Pretrained-Language-Model's `TinyBERT/task_distill.py`
runs in its intermediate stage (student forward with `fit_dense`, teacher forward under
`no_grad`, attention MSE with entries <= -1e2 zeroed, hidden-state MSE, backward,
BertAdam step), with that repository's own `TinyBertForSequenceClassification` and
`BertAdam`, on the shapes `distill_throughput.py --student-layers 3 --stage intermediate`
uses: teacher 6 layers / hidden 384 / 12 heads / FFN 1536 (MiniLM-L6's shape), student 3
layers / 312 / 12 / 1200 (the official layer mapping needs the teacher's layer count to be
a multiple of the student's), vocabulary 30522, batch 32, every sequence padded to
`max_seq_length` (as the official data pipeline pads; random ids, random weights: speed
only). Nothing of that repository is copied here or committed: pass a checkout.

Needs PyTorch and the official code's imports, in a venv of its own (not the project's):

    git clone https://github.com/huawei-noah/Pretrained-Language-Model /tmp/plm
    python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch==2.13.0 numpy boto3 requests tqdm
    /tmp/torch-venv/bin/python benchmarks/official_throughput.py --official-repo /tmp/plm [--threads 2]
"""

import argparse
import json
import os
import resource
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official-repo", required=True, help="a checkout of huawei-noah/Pretrained-Language-Model")
    parser.add_argument("--seqs", default="64,128")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (this machine has 2 cores)")
    args = parser.parse_args()
    code = os.path.join(args.official_repo, "TinyBERT")
    if not os.path.isfile(os.path.join(code, "transformer", "modeling.py")):
        sys.exit(f"{args.official_repo} has no TinyBERT/transformer/modeling.py: pass a checkout of "
                 "huawei-noah/Pretrained-Language-Model.")
    sys.path.insert(0, code)
    import torch
    from torch.nn import MSELoss
    from transformer.modeling import BertConfig, TinyBertForSequenceClassification
    from transformer.optimization import BertAdam

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    teacher = TinyBertForSequenceClassification(BertConfig(30522, hidden_size=384, num_hidden_layers=6,
                                                           num_attention_heads=12, intermediate_size=1536), 2)
    student = TinyBertForSequenceClassification(BertConfig(30522, hidden_size=312, num_hidden_layers=3,
                                                           num_attention_heads=12, intermediate_size=1200), 2,
                                                fit_size=384)
    teacher.eval()
    student.train()
    optimizer = BertAdam(student.parameters(), lr=5e-5, schedule="none")
    mse, batch = MSELoss(), 32

    def step(ids, mask, segments):
        # The intermediate stage of the official task_distill.py, as it computes it.
        _, student_atts, student_reps = student(ids, segments, mask, is_student=True)
        with torch.no_grad():
            _, teacher_atts, teacher_reps = teacher(ids, segments, mask)
        per_block = len(teacher_atts) // len(student_atts)
        loss = 0.0
        for i, s_att in enumerate(student_atts):
            t_att = teacher_atts[i * per_block + per_block - 1]
            s_att = torch.where(s_att <= -1e2, torch.zeros_like(s_att), s_att)
            t_att = torch.where(t_att <= -1e2, torch.zeros_like(t_att), t_att)
            loss = loss + mse(s_att, t_att)
        for i, s_rep in enumerate(student_reps):
            loss = loss + mse(s_rep, teacher_reps[i * per_block])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return float(loss.item())

    rows = []
    for seq in (int(s) for s in args.seqs.split(",")):
        ids = torch.randint(1000, 30000, (batch, seq))
        mask, segments = torch.ones(batch, seq, dtype=torch.long), torch.zeros(batch, seq, dtype=torch.long)
        for _ in range(args.warmup):
            step(ids, mask, segments)
        cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])  # user + system, all threads
        start, cpu_start = time.perf_counter(), cpu()
        for _ in range(args.steps):
            step(ids, mask, segments)
        seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
        rows.append({"seq": seq, "examples_per_s": args.steps * batch / seconds, "s_per_step": seconds / args.steps,
                     "examples_per_cpu_s": args.steps * batch / cpu_seconds,
                     "torch": torch.__version__, "threads": args.threads,
                     "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
        print("RESULT " + json.dumps(rows[-1]), flush=True)
    print("\n| seq | official code examples/s | s/step | examples per CPU-second | peak RSS MB (cumulative) |\n"
          "|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['seq']} | {r['examples_per_s']:.1f} | {r['s_per_step']:.2f} | {r['examples_per_cpu_s']:.1f} | "
              f"{r['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
