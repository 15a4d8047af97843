"""Token classification and extractive QA models: shapes, distillation views, Keras
serialization, and the checkpoint rules for their heads (tiny models)."""

import numpy as np
import pytest

from tinybert_tf import (BertEncoder, BertQuestionAnswerer, BertTokenClassifier, CheckpointError, load_pretrained,
                         save_pretrained)


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
