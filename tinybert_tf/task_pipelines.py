"""`pipeline("question-answering")` and `pipeline("token-classification")`: a trained QA
model or tagger (its Keras directory or its app bundle) on raw text, as Hugging Face's
pipelines are called. The windows, offsets and span search are `data.squad`'s and the tag
reading `data.tagging`'s, so answers and tags are what `evaluate` and `export` score.
"""

import os
from typing import Callable, Dict, List, Sequence, Union

import numpy as np

from tinybert_tf import data as data_lib
from tinybert_tf.data.squad import softmax
from tinybert_tf.data.tagging import first_pieces, word_spans
from tinybert_tf.errors import DataError


def _load(path: str, kind: str, threads: int):
    """(run, tokenizer, labels, settings): `run` maps int32 features to the model's
    outputs by name; settings are what the model was trained or exported with."""
    from tinybert_tf.tokenizer import BertTokenizer

    if os.path.isfile(os.path.join(path, "bundle.json")):
        from ai_edge_litert.interpreter import Interpreter

        from tinybert_tf.bundle import read_bundle
        from tinybert_tf.litert_protocol import signature_inputs

        meta = read_bundle(path)
        if meta.get("task_kind", "sequence") != kind:
            raise DataError(f"{path} holds a {meta.get('task_kind', 'sequence')} model; this pipeline needs a {kind} "
                            "model's bundle.")
        runner = Interpreter(model_path=meta["model_file_path"], num_threads=threads).get_signature_runner()
        tokenizer = BertTokenizer.from_vocab_file(meta["vocab_file_path"], do_lower_case=meta["do_lower_case"])
        fixed = meta.get("fixed_seq_len")

        def run(features):
            if fixed:  # a fixed-shape export takes exactly that many tokens
                features = {k: np.pad(v, ((0, 0), (0, fixed - v.shape[1]))) for k, v in features.items()}
            outputs = [runner(**signature_inputs(runner, {k: v[i:i + 1] for k, v in features.items()}))
                       for i in range(len(features["input_ids"]))]
            return {name: np.concatenate([o[name] for o in outputs]) for name in outputs[0]}

        return run, tokenizer, meta["labels"], meta
    from tinybert_tf.checkpoint import load_pretrained
    from tinybert_tf.outputs import trained_setting

    loaded = load_pretrained(path)
    model = loaded.task_model
    if getattr(model, "task_kind", None) != kind:
        raise DataError(f"{path} holds a {type(model).__name__ if model is not None else 'bare encoder'}; this "
                        f"pipeline needs a {kind} model (tinybert-tf finetune / distill-task on such a task).")

    def run(features):
        out = model(features, training=False)
        return {k: np.asarray(v) for k, v in out.items()} if isinstance(out, dict) else {"logits": np.asarray(out)}

    settings = {name: trained_setting(path, name) for name in ("max_length", "doc_stride", "max_query_length")}
    return run, loaded.tokenizer, loaded.labels or [], {k: v for k, v in settings.items() if v is not None}


class QuestionAnsweringPipeline:
    """Extractive QA on raw text: `qa(question=..., context=...)` ->
    `{"answer", "start", "end", "score"}` (character offsets in the context; `score`: the
    probability of that start and end in their window).

    Example:
    ```python
    qa = tinybert_tf.pipeline("question-answering", model="runs/squad_student")  # or its bundle
    qa(question="Where does the tea grow?", context="Darjeeling tea grows in the Himalayas.")
    ```
    """

    def __init__(self, run: Callable, tokenizer, max_length: int = 384, doc_stride: int = 128,
                 max_query_length: int = 64, max_answer_length: int = data_lib.squad.MAX_ANSWER_LENGTH,
                 source: str = ""):
        self.run, self.tokenizer, self.source = run, tokenizer, source
        self.max_length, self.doc_stride, self.max_query_length = max_length, doc_stride, max_query_length
        self.max_answer_length = max_answer_length

    @classmethod
    def from_pretrained(cls, path: str, threads: int = 1) -> "QuestionAnsweringPipeline":
        run, tokenizer, _, settings = _load(path, "span", threads)
        known = {k: int(settings[k]) for k in ("max_length", "doc_stride", "max_query_length", "max_answer_length")
                 if settings.get(k) is not None}
        return cls(run, tokenizer, source=path, **known)

    def __call__(self, question: Union[str, Sequence[str]], context: Union[str, Sequence[str]], batch_size: int = 16):
        single = isinstance(question, str)
        questions = [question] if single else list(question)
        contexts = [context] * len(questions) if isinstance(context, str) else list(context)
        if len(questions) != len(contexts) or any(not (q or "").strip() or not (c or "").strip()
                                                  for q, c in zip(questions, contexts)):
            raise DataError("Give one non-empty context for each non-empty question.")
        examples = data_lib.QAExamples([str(i) for i in range(len(questions))], questions, contexts,
                                       [[] for _ in questions])
        windows = data_lib.prepare_qa_features(examples, self.tokenizer, self.max_length, self.doc_stride,
                                               self.max_query_length)
        outputs = [self.run({k: v[i:i + batch_size] for k, v in windows.features.items()})
                   for i in range(0, len(windows.example_index), batch_size)]
        start = np.concatenate([o["start_logits"] for o in outputs])
        end = np.concatenate([o["end_logits"] for o in outputs])
        details = data_lib.squad.best_span_details(start, end, windows, examples,
                                                   max_answer_length=self.max_answer_length)
        answers = [{k: details[str(i)][k] for k in ("answer", "start", "end", "score")} for i in range(len(questions))]
        return answers[0] if single else answers


class TokenClassificationPipeline:
    """Tags each whitespace-separated word of raw text: `tagger(text)` -> a list of
    `{"word", "tag", "score", "start", "end"}` (the tag at the word's first WordPiece;
    `score` its probability). Words past `max_length` pieces get no tag (`None`).

    Example:
    ```python
    tagger = tinybert_tf.pipeline("token-classification", model="runs/pos_student")
    tagger("The jury praised the city .")   # [{'word': 'The', 'tag': 'DET', ...}, ...]
    ```
    """

    def __init__(self, run: Callable, tokenizer, tags: Sequence[str], max_length: int = 128, source: str = ""):
        self.run, self.tokenizer, self.tags, self.max_length, self.source = run, tokenizer, list(tags), max_length, source

    @classmethod
    def from_pretrained(cls, path: str, threads: int = 1) -> "TokenClassificationPipeline":
        run, tokenizer, tags, settings = _load(path, "token", threads)
        return cls(run, tokenizer, tags, int(settings.get("max_length") or 128), source=path)

    def __call__(self, text: Union[str, Sequence[str]]) -> Union[List[Dict], List[List[Dict]]]:
        single = isinstance(text, str)
        results = [self._tag(t) for t in ([text] if single else text)]
        return results[0] if single else results

    def _tag(self, text: str) -> List[Dict]:
        spans = word_spans(text)
        if not spans:
            raise DataError("The text is empty: give some words to tag.")
        words = [w for w, _, _ in spans]
        aligned = data_lib.align_tags(data_lib.TaggedExamples([words], [[self.tags[0]] * len(words)]),
                                      self.tokenizer, self.tags, self.max_length)
        probabilities = softmax(self.run(aligned.features)["logits"][0])
        result = [{"word": w, "tag": None, "score": 0.0, "start": s, "end": e} for w, s, e in spans]
        for position, word in first_pieces(aligned.word_ids[0]):  # the rule word_predictions reads tags by
            best = int(probabilities[position].argmax())
            result[word].update(tag=self.tags[best], score=float(probabilities[position, best]))
        return result


def task_pipeline(task: str, model: str, threads: int = 1):
    """The pipeline for `task` ("question-answering" or "token-classification"/"ner"), or None."""
    if task == "question-answering":
        return QuestionAnsweringPipeline.from_pretrained(model, threads=threads)
    if task in ("token-classification", "ner"):
        return TokenClassificationPipeline.from_pretrained(model, threads=threads)
    return None

