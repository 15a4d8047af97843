import json
import os

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from tinybert_tf import BertEncoder, cli, load_pretrained, save_pretrained
from tinybert_tf.augment import AugmentConfig, Augmenter, augment_task
from tests.helpers import tiny_config


@pytest.fixture
def teacher_dir(tokenizer, tmp_path):
    return save_pretrained(BertEncoder(tiny_config(tokenizer.vocab_size)), str(tmp_path / "t"), tokenizer=tokenizer)


def test_embedding_neighbours_replace_words(teacher_dir):
    augmenter = Augmenter(load_pretrained(teacher_dir), top_k=3, seed=0)
    assert augmenter.words("This TEA, great!") == ["this", "tea", ",", "great", "!"]
    copies = augmenter.augment("this tea is great !", copies=5, replace_prob=1.0)
    assert len(copies) == 5
    for text in copies:
        words = text.split()
        assert words[-1] == "!" and len(words) == 5  # punctuation kept, one word per word
        assert words[0] == "this" and words[2] == "is"  # stop words are never replaced (official code)
        assert words[1] != "tea" and words[3] != "great"  # p=1: every other word replaced
        assert all(w.isalpha() and not w.startswith("##") for w in words[:4])
    assert augmenter.augment("this tea is great", 2, 0.0) == ["this tea is great"] * 2


def test_mlm_head_proposes_single_piece_words(teacher_dir, config):
    h, v = config.hidden_size, config.vocab_size
    path = os.path.join(teacher_dir, "model.safetensors")
    tensors = dict(load_file(path))
    tensors = {"bert." + k: t for k, t in tensors.items()}
    bias = np.full(v, -10.0, np.float32)
    great = load_pretrained(teacher_dir).tokenizer.get_vocab()["great"]
    bias[great] = 50.0  # the MLM always proposes "great"
    tensors.update({
        "cls.predictions.transform.dense.weight": np.eye(h, dtype=np.float32),
        "cls.predictions.transform.dense.bias": np.zeros(h, np.float32),
        "cls.predictions.transform.LayerNorm.weight": np.ones(h, np.float32),
        "cls.predictions.transform.LayerNorm.bias": np.zeros(h, np.float32),
        "cls.predictions.bias": bias,
    })
    save_file(tensors, path)
    pretrained = load_pretrained(teacher_dir)
    assert pretrained.mlm_head is not None
    augmenter = Augmenter(pretrained, top_k=1, seed=0)
    # Stop words stay; the MLM's candidate replaces the rest, and may be the word itself.
    assert augmenter.augment("the tea is sweet", 1, 1.0) == ["the great is great"]
    assert augmenter.augment("great tea", 1, 1.0) == ["great great"]


def test_mlm_candidates_equal_the_full_sequence_head(teacher_dir, config):
    """The head runs only at [MASK] positions; the candidates are those of the full output."""
    h, v = config.hidden_size, config.vocab_size
    path = os.path.join(teacher_dir, "model.safetensors")
    tensors = {"bert." + k: t for k, t in load_file(path).items()}
    rng = np.random.default_rng(0)
    tensors.update({
        "cls.predictions.transform.dense.weight": rng.normal(0, 0.3, (h, h)).astype(np.float32),
        "cls.predictions.transform.dense.bias": np.zeros(h, np.float32),
        "cls.predictions.transform.LayerNorm.weight": np.ones(h, np.float32),
        "cls.predictions.transform.LayerNorm.bias": np.zeros(h, np.float32),
        "cls.predictions.bias": rng.normal(0, 1.0, v).astype(np.float32),
    })
    save_file(tensors, path)
    pretrained = load_pretrained(teacher_dir)
    augmenter = Augmenter(pretrained, top_k=5, seed=0)
    words = "the tea is sweet and the snack is great".split()
    got = augmenter._mlm_candidates(words, [1, 3, 8])
    tok = pretrained.tokenizer
    masked = [" ".join(words[:p] + ["[MASK]"] + words[p + 1:]) for p in (1, 3, 8)]
    batch = tok(masked, [" ".join(words)] * 3, max_length=64, padding="longest")
    full = pretrained.mlm_head(pretrained.encoder(batch)["sequence_output"]).numpy()
    for row, p in enumerate((1, 3, 8)):
        at = int(np.where(batch["input_ids"][row] == tok.hf_tokenizer.mask_token_id)[0][0])
        top = [augmenter.id_to_token[int(t)] for t in np.argsort(-full[row, at])[:6]]
        assert got[p] == [t for t in top if t.isalpha()][:5]


def test_augment_task_writes_once_and_reuses(teacher_dir, toy_task_dir, tmp_path, capsys):
    out = str(tmp_path / "aug.jsonl")
    config = AugmentConfig(teacher=teacher_dir, task=toy_task_dir, output_file=out, num_augmented=3, top_k=4,
                           max_examples=10)
    augment_task(config)
    rows = [json.loads(line) for line in open(out)]
    assert len(rows) == 10 * 4 and {r["label"] for r in rows} == {"great", "other"}
    assert "expected" in capsys.readouterr().out
    first = open(out).read()
    augment_task(config)
    assert "reusing" in capsys.readouterr().out and open(out).read() == first
    # Same seed, fresh file: identical output.
    os.remove(out)
    assert cli.main(["augment", "--teacher", teacher_dir, "--task", toy_task_dir, "--output-file", out,
                     "--num-augmented", "3", "--top-k", "4", "--max-examples", "10"]) == 0
    assert open(out).read() == first
    with pytest.raises(ValueError, match="replace_prob"):
        augment_task(AugmentConfig(teacher=teacher_dir, task=toy_task_dir, replace_prob=2.0))


def test_pair_tasks_augment_both_sentences(teacher_dir, tmp_path):
    task = tmp_path / "pairs"
    task.mkdir()
    rows = [{"text": "the tea is sweet", "text_pair": "this snack is great", "label": "yes"},
            {"text": "the coffee is bad", "text_pair": "it tastes stale", "label": "no"}] * 3
    (task / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = str(tmp_path / "aug.jsonl")
    augment_task(AugmentConfig(teacher=teacher_dir, task=str(task), output_file=out, num_augmented=2, top_k=3,
                               replace_prob=1.0))
    written = [json.loads(line) for line in open(out)]
    assert len(written) == 6 * 3
    original, copy = written[0], written[1]
    assert (original["text"], original["text_pair"]) == ("the tea is sweet", "this snack is great")
    assert copy["text"] != original["text"] and copy["text_pair"] != original["text_pair"]
    assert copy["text_pair"].split()[0] == "this" and copy["label"] == original["label"]


def test_mlm_head_trains_on_a_frozen_encoder_and_feeds_augmentation(teacher_dir, tmp_path, capsys):
    from tinybert_tf.mlm_head import MlmHeadConfig, train_mlm_head

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["the tea is sweet .", "this snack is great !", "the coffee is bad ."] * 40))
    encoder_before = load_pretrained(teacher_dir).encoder.get_weights()
    out = str(tmp_path / "mlm")
    config = MlmHeadConfig(model=teacher_dir, corpus=str(corpus), max_length=16, epochs=30, batch_size=64,
                           learning_rate=1e-2, mask_prob=0.3, holdout_fraction=0.2, output_dir=out)
    metrics = train_mlm_head(config)
    # A tiny random encoder still learns which words fill these slots.
    assert metrics["holdout_top15"] >= 0.5 and metrics["masked_holdout"] > 0, metrics
    loaded = load_pretrained(out)
    assert loaded.mlm_head is not None  # saved as BertForMaskedLM: encoder + cls.predictions
    for a, b in zip(encoder_before, loaded.encoder.get_weights()):
        np.testing.assert_array_equal(a, b)  # the encoder was frozen
    copies = Augmenter(loaded, top_k=3, seed=0).augment("the tea is sweet", 3, 1.0)
    assert all(len(c.split()) == 4 and c.split()[0] == "the" for c in copies)
    assert train_mlm_head(config) == metrics and "reusing" in capsys.readouterr().out
