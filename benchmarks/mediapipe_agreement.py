"""MediaPipe Tasks' TextClassifier on the exported metadata model vs this project's pipeline.

Runs every test text of a task through MediaPipe's `TextClassifier` (its own native
tokenizer, the file from `tinybert-tf export --format mediapipe`) and compares the scores
with (a) the same file fed this project's tokenization (so only the tokenizers differ) and
(b) the Keras model through `TextClassifier` (the project's own prediction path).
Prints the agreement, the largest probability differences, every disagreement with its
probabilities, and the p50 time per text of each path.

    .venv/bin/python benchmarks/mediapipe_agreement.py --model runs/demo/student \\
        --export-dir runs/demo/export_mediapipe --task fine_foods --output runs/mediapipe_agreement.md
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="the Keras/HF classifier directory that was exported")
    parser.add_argument("--export-dir", required=True, help="output dir of `tinybert-tf export --format mediapipe`")
    parser.add_argument("--task", default="fine_foods")
    parser.add_argument("--limit", type=int, default=0, help="first N test texts (0: all)")
    parser.add_argument("--output", default="", help="also write the table here (markdown)")
    args = parser.parse_args(argv)

    from tinybert_tf import data as data_lib
    from tinybert_tf import export, outputs, tflite_metadata
    from tinybert_tf.checkpoint import load_pretrained
    from tinybert_tf.inference import TextClassifier

    path = os.path.join(args.export_dir, "mediapipe", "model.tflite")
    task = data_lib.load_task(args.task)
    test = task.test.head(args.limit or None)
    loaded = load_pretrained(args.model)
    labels = loaded.labels
    flatbuffer = open(path, "rb").read()
    max_length = tflite_metadata.read_metadata(flatbuffer) and export.interpreter(flatbuffer).get_input_details()[0][
        "shape"][1]

    times = {"mediapipe": [], "file, our tokenizer": [], "keras pipeline": []}
    with tflite_metadata.mediapipe_classifier(path) as classifier:
        mp = []
        for text in test.texts:
            start = time.perf_counter()
            mp.append(tflite_metadata.mediapipe_scores(classifier, text, labels))
            times["mediapipe"].append(time.perf_counter() - start)
    mp = np.array(mp)
    features = data_lib.encode(test, loaded.tokenizer, int(max_length))
    runner = export.interpreter(flatbuffer).get_signature_runner()
    ours = []
    for i in range(len(test)):
        start = time.perf_counter()
        one = {k: v[i:i + 1] for k, v in features.items()}
        ours.append(np.asarray(list(runner(**export.signature_inputs(runner, one)).values())[0])[0])
        times["file, our tokenizer"].append(time.perf_counter() - start)
    ours = np.array(ours)
    classifier = TextClassifier.from_pretrained(args.model, max_length=int(max_length))
    keras = []
    for text in test.texts:
        start = time.perf_counter()
        scores = classifier.predict([text])[0].probabilities
        keras.append([scores[label] for label in labels])
        times["keras pipeline"].append(time.perf_counter() - start)
    keras = np.array(keras)

    lines = [f"MediaPipe TextClassifier (`{path}`, {os.path.getsize(path) / 1e6:.1f} MB) on {len(test)} "
             f"{task.name} test texts.", "",
             "| compared with | same label | max \\|prob diff\\| | identical to 1e-4 |", "|---|---|---|---|"]
    for name, other in (("the same file, this project's tokenization", ours), ("the Keras model (TextClassifier)", keras)):
        diff = np.abs(mp - other).max(axis=1)
        lines.append(f"| {name} | {np.mean(mp.argmax(1) == other.argmax(1)):.1%} | {diff.max():.4f} | "
                     f"{int(np.sum(diff <= 1e-4))} / {len(diff)} |")
    lines += ["", "| path | p50 ms per text |", "|---|---|"]
    lines += [f"| {name} | {np.percentile(t, 50) * 1e3:.2f} |" for name, t in times.items()]
    disagree = np.nonzero(mp.argmax(1) != keras.argmax(1))[0]
    lines += ["", f"Disagreements with the Keras pipeline: {len(disagree)}."]
    for i in disagree:
        show = lambda p: ", ".join(f"{label} {q:.4f}" for label, q in zip(labels, p))  # noqa: E731
        lines.append(f"- #{i}: MediaPipe ({show(mp[i])}), Keras ({show(keras[i])}): "
                     f"{test.texts[i][:160]!r}")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.output:
        outputs.write_text(args.output, table)


if __name__ == "__main__":
    main()
