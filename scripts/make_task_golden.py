"""Writes the golden the Android app's span search and tag decoding must reproduce.

    .venv/bin/python scripts/make_task_golden.py   # rewrites android_demo/core/src/test/resources/task_golden.json

Offsets: HF's pieces and character spans (UTF-16 units, as Java counts) of the tokenizer
golden's hand-written texts (accents, unicode case rules, CJK, emoji, control characters,
over-long words). QA: fine_foods reviews (and two unicode texts) as contexts with a
question each (one longer than max_query_length), cut into overlapping windows by
`data.prepare_qa_features` (the MiniLM tokenizer, max_length 48, stride 16: several windows
a context), seeded random start/end scores with a few planted peaks, and the answer
`data.best_spans` picks. Tagging: the reviews' words with seeded random tag scores and the
tags `data.word_predictions` reads; raw texts (words between assorted whitespace, unicode)
through `pipeline("token-classification")` with replayed scores: words, offsets, tags.
Scores are float32, stored with 6 decimals and read back before either side runs, so both
see the same numbers. The JUnit `TaskGoldenTest` checks the Java side (`SpanSearch`,
`TagDecoder`, `TextTagger`); `tests/test_android_demo.py` checks the committed file is what
this script writes now.
"""

import json
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "android_demo", "core", "src", "test", "resources")
QUESTIONS = ["What does the reviewer think?", "How does it taste?", "Would they buy it again?", "What is it?",
             "Which of the unaffable reconsiderations of this supercalifragilistic review would a careful reader "
             "remember first?"]  # over max_query_length: the question is cut
UNICODE_CONTEXTS = ["Café résumé: naïve coöperation at the İstanbul façade cost €20 (½ price) — 😀👍🏽 great!",
                    "中文 text, ΟΔΥΣΣΕΥΣ σοφός and ﬁnance ﬀ; zero\u200bwidth and soft\u00adhyphen, tabs\tand\nlines."]


def utf16(text):
    """Code-point index -> UTF-16 index (Java strings count surrogate pairs as two)."""
    out = [0]
    for ch in text:
        out.append(out[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return out


def offsets_case(tokenizer, text):
    """HF's pieces and their character spans (UTF-16 units) of one text."""
    encoded = tokenizer.hf_tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    at = utf16(text)
    return {"text": text, "tokens": encoded.tokens(),
            "start": [at[s] for s, _ in encoded["offset_mapping"]], "end": [at[e] for _, e in encoded["offset_mapping"]]}


def build(data_lib, tokenizer, texts=()):
    rng = np.random.default_rng(7)
    reviews = data_lib.load_task("fine_foods").test.texts[:24]
    contexts = [" ".join(text.split()[:60]) for text in reviews[:22]] + UNICODE_CONTEXTS
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
    answers = data_lib.best_spans(start, end, windows, examples, max_answer_length=8)  # n_best 20, as the app
    qa = []
    for e, context in enumerate(contexts):
        at = utf16(context)
        qa.append({"id": examples.ids[e], "question": examples.questions[e], "context": context,
                   "answer": answers[examples.ids[e]], "windows": [
                       {"input_ids": windows.features["input_ids"][f].tolist(),
                        "token_type_ids": windows.features["token_type_ids"][f].tolist(),
                        "start_logits": start[f].tolist(), "end_logits": end[f].tolist(),
                        "char_start": [at[o[0]] if o else -1 for o in windows.offsets[f]],
                        "char_end": [at[o[1]] if o else -1 for o in windows.offsets[f]]}
                       for f in np.flatnonzero(windows.example_index == e)]})
    tags = list(data_lib.UNIVERSAL_TAGS)
    sentences = [text.split()[:20] for text in reviews]
    aligned = data_lib.align_tags(data_lib.TaggedExamples(sentences, [["X"] * len(s) for s in sentences]),
                                  tokenizer, tags, max_length=24)  # short: some words are cut off
    logits = np.round(rng.normal(size=(len(sentences), 24, len(tags))), 6).astype(np.float32)
    predicted = data_lib.word_predictions(logits, aligned.word_ids, tags, [len(s) for s in sentences])
    tagging = [{"words": words, "input_ids": aligned.features["input_ids"][i].tolist(), "logits": logits[i].tolist(),
                "word_ids": [-1 if w is None else w for w in aligned.word_ids[i]], "tags": predicted[i]}
               for i, words in enumerate(sentences)]
    # Raw text through the Python pipeline (words split at any whitespace, replayed scores):
    # what the app's TextTagger must reproduce, offsets in UTF-16 units.
    from tinybert_tf.task_pipelines import TokenClassificationPipeline

    separators = [" ", "  ", "\t", "\u00a0", "\n ", "\u3000", " \u2003"]
    texts = ["".join(w + separators[(i + k) % len(separators)] for k, w in enumerate(words)).rstrip(" ")
             for i, words in enumerate(sentences)] + UNICODE_CONTEXTS + ["  \u0085 Ends\u00a0with a space "]
    text_tagging = []
    for text in texts:
        replay = np.round(rng.normal(size=(1, 24, len(tags))), 6).astype(np.float32)
        tagger = TokenClassificationPipeline(lambda features, replay=replay: {"logits": replay}, tokenizer, tags,
                                             max_length=24)
        at = utf16(text)
        text_tagging.append({"text": text, "logits": replay[0].tolist(), "words": [
            {"word": w["word"], "start": at[w["start"]], "end": at[w["end"]], "tag": w["tag"],
             "score": round(w["score"], 6)} for w in tagger(text)]})
    return {"source": "scripts/make_task_golden.py", "max_length": 48, "doc_stride": 16, "max_query_length": 12,
            "n_best": 20, "max_answer_length": 8, "fill": "O", "tag_names": tags, "qa": qa, "tagging": tagging,
            "text_tagging": text_tagging,
            "offsets": [offsets_case(tokenizer, text) for text in list(texts) + UNICODE_CONTEXTS]}


BODY = ("qa", "tagging", "text_tagging", "offsets")


def dump(golden):
    """One example a line (reviewable diffs), ASCII escapes."""
    head = {k: v for k, v in golden.items() if k not in BODY}
    body = ", ".join(f'"{key}": [\n' + ",\n".join(json.dumps(x, ensure_ascii=True) for x in golden[key]) + "\n]"
                     for key in BODY)
    return json.dumps(head, ensure_ascii=True)[:-1] + ", " + body + "}\n"


def fresh():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, ".."))
    sys.path.insert(0, here)
    from make_tokenizer_golden import HANDWRITTEN
    from tinybert_tf import BertTokenizer
    from tinybert_tf import data as data_lib

    return dump(build(data_lib, BertTokenizer.from_pretrained("minilm-l6"), HANDWRITTEN))


def main():
    with open(os.path.join(OUT, "task_golden.json"), "w", encoding="utf-8") as f:
        f.write(fresh())
    print(f"-> {os.path.abspath(os.path.join(OUT, 'task_golden.json'))}")


if __name__ == "__main__":
    main()
