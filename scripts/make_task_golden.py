"""Writes the golden the Android app's span search and tag decoding must reproduce.

    .venv/bin/python scripts/make_task_golden.py   # rewrites android_demo/core/src/test/resources/task_golden.json

QA: fine_foods reviews as contexts with a question each, cut into overlapping windows by
`data.prepare_qa_features` (the MiniLM tokenizer, max_length 48, stride 16: several windows
a context), seeded random start/end scores with a few planted peaks, and the answer
`data.best_spans` picks. Tagging: the reviews' words with seeded random tag scores and the
tags `data.word_predictions` reads. Scores are float32, stored with 6 decimals and read
back before either side runs, so both see the same numbers. The JUnit `TaskGoldenTest`
checks the Java side (`SpanSearch`, `TagDecoder`); `tests/test_android_demo.py` checks the
committed file is what this script writes now.
"""

import json
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "android_demo", "core", "src", "test", "resources")
QUESTIONS = ["What does the reviewer think?", "How does it taste?", "Would they buy it again?", "What is it?"]


def build(data_lib, tokenizer):
    rng = np.random.default_rng(7)
    reviews = data_lib.load_task("fine_foods").test.texts[:24]
    contexts = [" ".join(text.split()[:60]) for text in reviews]
    examples = data_lib.QAExamples([f"q{i}" for i in range(len(contexts))],
                                   [QUESTIONS[i % len(QUESTIONS)] for i in range(len(contexts))], contexts,
                                   [[] for _ in contexts])
    windows = data_lib.prepare_qa_features(examples, tokenizer, max_length=48, doc_stride=16, max_query_length=12)
    n, length = windows.features["input_ids"].shape
    start = np.round(rng.normal(size=(n, length)), 6).astype(np.float32)
    end = np.round(rng.normal(size=(n, length)), 6).astype(np.float32)
    for f in range(n):  # a few confident peaks, some of them invalid (end before start, too long)
        for _ in range(2):
            i, j = sorted(rng.integers(1, length, 2))
            start[f, i] += 4
            end[f, j if rng.random() < 0.7 else max(1, i - 1)] += 4
    answers = data_lib.best_spans(start, end, windows, examples, n_best=5, max_answer_length=8)
    qa = []
    for e, context in enumerate(contexts):
        qa.append({"id": examples.ids[e], "context": context, "answer": answers[examples.ids[e]], "windows": [
            {"start_logits": start[f].tolist(), "end_logits": end[f].tolist(),
             "char_start": [o[0] if o else -1 for o in windows.offsets[f]],
             "char_end": [o[1] if o else -1 for o in windows.offsets[f]]}
            for f in np.flatnonzero(windows.example_index == e)]})
    tags = list(data_lib.UNIVERSAL_TAGS)
    sentences = [text.split()[:20] for text in reviews]
    aligned = data_lib.align_tags(data_lib.TaggedExamples(sentences, [["X"] * len(s) for s in sentences]),
                                  tokenizer, tags, max_length=24)  # short: some words are cut off
    logits = np.round(rng.normal(size=(len(sentences), 24, len(tags))), 6).astype(np.float32)
    predicted = data_lib.word_predictions(logits, aligned.word_ids, tags, [len(s) for s in sentences])
    tagging = [{"words": words, "logits": logits[i].tolist(),
                "word_ids": [-1 if w is None else w for w in aligned.word_ids[i]], "tags": predicted[i]}
               for i, words in enumerate(sentences)]
    return {"source": "scripts/make_task_golden.py", "n_best": 5, "max_answer_length": 8, "fill": "O",
            "tag_names": tags, "qa": qa, "tagging": tagging}


def dump(golden):
    """One example a line (reviewable diffs), ASCII escapes."""
    head = {k: v for k, v in golden.items() if k not in ("qa", "tagging")}
    body = ", ".join(f'"{key}": [\n' + ",\n".join(json.dumps(x, ensure_ascii=True) for x in golden[key]) + "\n]"
                     for key in ("qa", "tagging"))
    return json.dumps(head, ensure_ascii=True)[:-1] + ", " + body + "}\n"


def fresh():
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from tinybert_tf import BertTokenizer
    from tinybert_tf import data as data_lib

    return dump(build(data_lib, BertTokenizer.from_pretrained("minilm-l6")))


def main():
    with open(os.path.join(OUT, "task_golden.json"), "w", encoding="utf-8") as f:
        f.write(fresh())
    print(f"-> {os.path.abspath(os.path.join(OUT, 'task_golden.json'))}")


if __name__ == "__main__":
    main()
