"""How sure is a retention number? The students' test score as a fraction of the
teacher's, with a paired bootstrap confidence interval.

Student and teacher are scored on the same test examples, so their errors are
correlated: the interval of the ratio is far narrower than the two standard errors
added. Each resample draws the test examples (questions, sentences, pairs) with
replacement, once for all models, and recomputes every model's headline metric on it:
accuracy (classification), Spearman (regression), word accuracy (tagging, over
sentences) or F1 (SQuAD, over questions).

    .venv/bin/python benchmarks/retention.py --task squad --data-dir tinybert_tf/datasets/squad \\
        --max-eval-examples 1000 --teacher runs/squad_teacher \\
        --students l4=runs/squad_student_l4_more,l4_40k=runs/squad_student_l4_40k --goal 0.97

Prints a Markdown table (and writes it to `--output` when given): the ratio, its 95%
percentile interval and the share of resamples at or above `--goal`.
"""

import argparse
import sys

import numpy as np
from scipy import stats


def per_example(model_dir, task, split):
    """(kind of statistic, per-example arrays) for a saved task model on `split`:
    ("mean", correct) for classification and SQuAD F1, ("ratio", (correct words, words))
    for tagging, ("spearman", (predictions, labels)) for regression."""
    from tinybert_tf import data as data_lib
    from tinybert_tf import load_pretrained, outputs
    from tinybert_tf.metrics import squad_scores
    from tinybert_tf.task_kinds import task_as_trained
    from tinybert_tf.training import predict_logits

    pretrained = load_pretrained(model_dir)
    task = task_as_trained(task, model_dir)
    task.check_model(pretrained, role="model")
    model, tokenizer = pretrained.task_model, pretrained.tokenizer
    max_length = int(outputs.trained_max_length(model_dir) or 128)
    examples = task.split(split)
    if task.kind == "span":
        windows = data_lib.prepare_qa_features(examples, tokenizer, max_length, task.doc_stride, task.max_query_length)
        out = model.predict(windows.features, batch_size=64, verbose=0)
        answers = data_lib.best_spans(out["start_logits"], out["end_logits"], windows, examples)
        return "mean", squad_scores(answers, examples)[1]
    if task.kind == "token":
        aligned = data_lib.align_tags(examples, tokenizer, task.label_names, max_length)
        predicted = data_lib.word_predictions(model.predict(aligned.features, batch_size=64, verbose=0),
                                              aligned.word_ids, task.label_names,
                                              [len(words) for words in examples.words])
        correct = np.array([sum(p == g for p, g in zip(pred, gold)) for pred, gold in zip(predicted, examples.tags)])
        return "ratio", (correct, np.array([len(gold) for gold in examples.tags]))
    logits = predict_logits(model, tokenizer, examples, max_length)
    if task.is_regression:
        return "spearman", (np.asarray(logits).reshape(-1), np.asarray(examples.labels, dtype=float))
    return "mean", (np.asarray(logits).argmax(-1) == np.asarray(examples.labels)).astype(float)


def statistic(kind, values, index):
    if kind == "mean":
        return float(values[index].mean())
    if kind == "ratio":
        return float(values[0][index].sum() / values[1][index].sum())
    return float(stats.spearmanr(values[0][index], values[1][index])[0])


def retention_rows(teacher, students, resamples=2000, goal=0.97, seed=0):
    """One row per student: its score, the teacher's, score / teacher's, the 2.5 and 97.5
    percentiles of that ratio over paired bootstrap resamples, and P(ratio >= goal)."""
    kind, teacher_values = teacher
    n = len(teacher_values if kind == "mean" else teacher_values[0])
    everything = np.arange(n)
    draws = np.random.default_rng(seed).integers(0, n, (resamples, n))
    teacher_boot = np.array([statistic(kind, teacher_values, d) for d in draws])
    teacher_score = statistic(kind, teacher_values, everything)
    rows = []
    for name, (_, values) in students:
        score = statistic(kind, values, everything)
        ratios = np.array([statistic(kind, values, d) for d in draws]) / teacher_boot
        rows.append({"model": name, "score": score, "teacher": teacher_score, "ratio": score / teacher_score,
                     "low": float(np.percentile(ratios, 2.5)), "high": float(np.percentile(ratios, 97.5)),
                     "p_goal": float((ratios >= goal).mean()), "n": n})
    return rows


def table(rows, metric, goal):
    lines = [f"| student | test {metric} | teacher | student / teacher | 95% interval (paired bootstrap) "
             f"| resamples >= {goal:.0%} |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['score']:.4f} | {r['teacher']:.4f} | {r['ratio']:.1%} | "
                     f"{r['low']:.1%} – {r['high']:.1%} | {r['p_goal']:.0%} |")
    return "\n".join(lines) + f"\n\n{rows[0]['n']} test examples.\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", required=True, help="task name or folder, as for `tinybert-tf evaluate`")
    parser.add_argument("--teacher", required=True, help="the teacher's saved task model directory")
    parser.add_argument("--students", required=True, help="name=directory,... of the students to compare")
    parser.add_argument("--split", default="test", help="the split scored (test: the final numbers)")
    parser.add_argument("--max-eval-examples", type=int, default=None, help="score only the first N examples")
    parser.add_argument("--data-dir", default=None, help="the task's data directory (squad, brown_pos, stsb)")
    parser.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples")
    parser.add_argument("--goal", type=float, default=0.97, help="the retention goal whose odds are reported")
    parser.add_argument("--output", default=None, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)

    from tinybert_tf import data as data_lib
    from tinybert_tf.outputs import write_text

    task = data_lib.load_task(args.task, data_dir=args.data_dir).limit_evaluation(args.max_eval_examples)
    teacher = per_example(args.teacher, task, args.split)
    students = [(name, per_example(path, task, args.split))
                for name, path in (item.split("=", 1) for item in args.students.split(","))]
    metric = {"mean": "F1" if task.kind == "span" else "accuracy", "ratio": "word accuracy",
              "spearman": "Spearman"}[teacher[0]]
    text = table(retention_rows(teacher, students, args.resamples, args.goal), metric, args.goal)
    print(text)
    if args.output:
        command = " ".join(["benchmarks/retention.py"] + (argv or sys.argv[1:]))
        write_text(args.output, f"Command: `{command}`\n\n{text}")


if __name__ == "__main__":
    main()
