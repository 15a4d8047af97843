"""Token classification and extractive QA models: shapes, distillation views, Keras
serialization, and the checkpoint rules for their heads (tiny models)."""

import numpy as np
import pytest

from tinybert_tf import (BertEncoder, BertQuestionAnswerer, BertTokenClassifier, CheckpointError, data,
                         load_pretrained, save_pretrained)
from tinybert_tf.backend import keras


def test_token_classifier_and_question_answerer_outputs(config, tokenizer):
    batch = tokenizer(["the tea is great", "stale"], ["is it good ?", "no"], max_length=12)
    tagger = BertTokenClassifier(BertEncoder(config), num_labels=3)
    assert tagger(batch).shape == (2, 12, 3)
    view = tagger.as_distillation_model()
    out = view(batch, training=False)
    assert set(out) == {"logits", "hidden_states", "attention_scores"}
    np.testing.assert_allclose(out["logits"].numpy(), tagger(batch, training=False).numpy(), atol=1e-6)
    again = BertTokenClassifier.from_config(tagger.get_config())
    assert again.num_labels == 3 and again(batch).shape == (2, 12, 3)
    with pytest.raises(ValueError, match="num_labels >= 2"):
        BertTokenClassifier(BertEncoder(config), num_labels=1)

    qa = BertQuestionAnswerer(BertEncoder(config))
    spans = qa(batch)
    assert set(spans) == {"start_logits", "end_logits"} and spans["start_logits"].shape == (2, 12)
    kernel, bias = qa.get_layer("qa_outputs").get_weights()  # start = row 0 of HF's qa_outputs.weight
    sequence = qa.encoder(batch, training=False)["sequence_output"].numpy()
    np.testing.assert_allclose(spans["end_logits"].numpy(), sequence @ kernel[:, 1] + bias[1], atol=1e-5)
    out = qa.as_distillation_model()(batch, training=False)
    assert {"start_logits", "end_logits", "hidden_states", "attention_scores"} == set(out)


def test_checkpoint_heads_are_found_or_refused(config, tokenizer, tmp_path):
    base = save_pretrained(BertEncoder(config), str(tmp_path / "base"), tokenizer=tokenizer)
    with pytest.raises(CheckpointError, match="pass num_labels"):
        load_pretrained(base, head="token-classification")
    with pytest.raises(ValueError, match="head='ner'; use one of text-classification"):
        load_pretrained(base, head="ner")
    tagger = load_pretrained(base, head="token-classification", num_labels=4).token_classifier
    saved = save_pretrained(tagger, str(tmp_path / "tagger"), tokenizer=tokenizer, labels=["O", "B-X", "I-X", "B-Y"])
    loaded = load_pretrained(saved)
    assert loaded.classifier is None and loaded.token_classifier.num_labels == 4
    assert loaded.labels == ["O", "B-X", "I-X", "B-Y"]
    # A new tag set on the same encoder: a new head, the encoder's weights kept.
    other = load_pretrained(saved, num_labels=2).token_classifier
    assert other.num_labels == 2
    np.testing.assert_array_equal(other.encoder.get_weights()[0], tagger.encoder.get_weights()[0])
    qa_dir = save_pretrained(BertQuestionAnswerer(load_pretrained(base).encoder), str(tmp_path / "qa"),
                             tokenizer=tokenizer)
    assert load_pretrained(qa_dir).question_answerer is not None


def test_token_and_span_prediction_losses_read_only_the_marked_positions():
    from tinybert_tf import losses
    from tinybert_tf.backend import tf

    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(2, 5, 3)).astype("float32"), rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[0, 1, 1, 0, 0], [0, 1, 0, 0, 0]])
    loss = float(losses.token_soft_cross_entropy(s, t, mask))
    expected = np.mean([-(tf.nn.softmax(t[i, j]) * tf.nn.log_softmax(s[i, j])).numpy().sum()
                        for i, j in zip(*np.nonzero(mask))])
    assert loss == pytest.approx(expected, rel=1e-5)
    t2 = t.copy()
    t2[mask == 0] += 100.0  # unmarked positions (later pieces, specials, padding) are not read
    assert float(losses.token_soft_cross_entropy(s, t2, mask)) == pytest.approx(loss, rel=1e-6)

    attention = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    student = {k: rng.normal(size=(2, 5)).astype("float32") for k in ("start_logits", "end_logits")}
    teacher = {k: rng.normal(size=(2, 5)).astype("float32") for k in ("start_logits", "end_logits")}
    span = float(losses.span_soft_cross_entropy(student, teacher, attention))
    for side in (student, teacher):
        side["start_logits"][0, 3:] = 50.0  # padding: outside both softmaxes
    assert float(losses.span_soft_cross_entropy(student, teacher, attention)) == pytest.approx(span, rel=1e-5)


@pytest.mark.parametrize("kind", ["token", "span"])
def test_distiller_trains_token_and_span_students(config, tokenizer, kind):
    from tinybert_tf.distiller import Distiller
    from tinybert_tf.student import build_student

    keras.utils.set_random_seed(0)
    teacher = (BertTokenClassifier(BertEncoder(config), num_labels=3) if kind == "token"
               else BertQuestionAnswerer(BertEncoder(config)))
    head = teacher.get_layer("classifier" if kind == "token" else "qa_outputs")
    head.set_weights([w * 30 for w in head.get_weights()])  # a confident teacher: targets far from uniform
    copied = build_student(teacher, "teacher-l1")  # init from the teacher copies its head too
    np.testing.assert_array_equal(copied.get_layer(head.name).get_weights()[0], head.get_weights()[0])
    student = build_student(teacher, "teacher-l1", init="random")
    assert type(student) is type(teacher)
    x = tokenizer(["the tea is great", "this snack is stale", "not good , bad coffee", "love it !"] * 4,
                  ["is it good ?"] * 16 if kind == "span" else None, max_length=12)
    labels = np.where(x["attention_mask"] == 1, np.arange(12) % 3, -100).astype("int32")
    labels[:, 0] = -100  # [CLS] carries no tag
    distiller = Distiller(student, teacher)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-2), stage="prediction")
    before = distiller.evaluate(x, labels, batch_size=8, verbose=0, return_dict=True)["prediction_loss"]
    history = distiller.fit(x, labels, batch_size=8, epochs=15, verbose=0)
    after = distiller.evaluate(x, labels, batch_size=8, verbose=0, return_dict=True)["prediction_loss"]
    assert after < before, (before, after, history.history["prediction_loss"])
    exported = distiller.export_student()
    assert type(exported) is type(teacher) and not exported.has_distillation_outputs
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3), stage="all")
    terms = distiller.evaluate(x, labels, batch_size=8, verbose=0, return_dict=True)
    assert all(np.isfinite(terms[k]) for k in ("attention_loss", "hidden_loss", "prediction_loss"))


def test_fit_fine_tunes_a_tagger_and_a_question_answerer(config, tokenizer):
    """`training.compile_task_model`: Keras `fit` learns a toy tagging rule (tag = which word),
    loss and accuracy reading only tagged positions; QA trains on start/end labels."""
    from tinybert_tf.training import compile_task_model

    keras.utils.set_random_seed(0)
    words = ["tea", "great", "stale", "coffee"]
    rng = np.random.default_rng(0)
    sentences = [list(rng.choice(words, 4)) for _ in range(64)]
    examples = data.TaggedExamples(sentences, [[f"T{words.index(w) % 3}" for w in s] for s in sentences])
    aligned = data.align_tags(examples, tokenizer, ["T0", "T1", "T2"], max_length=8)
    tagger = BertTokenClassifier(BertEncoder(config), num_labels=3)
    compile_task_model(tagger, keras.optimizers.Adam(3e-3))
    history = tagger.fit(aligned.features, aligned.labels, batch_size=16, epochs=8, verbose=0)
    assert history.history["accuracy"][-1] > 0.95, history.history

    qa = BertQuestionAnswerer(BertEncoder(config))
    compile_task_model(qa, keras.optimizers.Adam(3e-3))
    positions = {"start_logits": np.full(64, 2, "int32"), "end_logits": np.full(64, 3, "int32")}
    history = qa.fit(aligned.features, positions, batch_size=16, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    with pytest.raises(ValueError, match="compile_classifier compiles a BertClassifier"):
        compile_task_model(BertEncoder(config), "adam")
