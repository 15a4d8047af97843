import json

import pytest

from tinybert_tf import BertConfig


def test_json_round_trip_keeps_unknown_keys(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "bert", "hidden_size": 64, "num_attention_heads": 4,
                                "num_hidden_layers": 2, "intermediate_size": 128, "vocab_size": 100,
                                "architectures": ["BertModel"], "gradient_checkpointing": False}))
    config = BertConfig.from_json_file(str(path))
    assert config.hidden_size == 64 and config.head_size == 16
    assert config.extra["architectures"] == ["BertModel"]
    config.to_json_file(str(tmp_path / "out.json"))
    again = json.loads((tmp_path / "out.json").read_text())
    assert again["gradient_checkpointing"] is False and again["hidden_size"] == 64


def test_get_config_from_config_round_trip():
    config = BertConfig(vocab_size=99, hidden_size=48, num_attention_heads=3, hidden_act="gelu_new")
    assert BertConfig.from_config(config.get_config()) == config


@pytest.mark.parametrize("kwargs, message", [
    ({"hidden_size": 30, "num_attention_heads": 4}, "not divisible"),
    ({"hidden_act": "mish"}, "not supported"),
    ({"num_hidden_layers": 0}, "positive integer"),
    ({"hidden_dropout_prob": 1.5}, r"\[0, 1\)"),
])
def test_invalid_configs_name_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BertConfig(**kwargs)


def test_non_bert_and_relative_positions_are_refused():
    with pytest.raises(ValueError, match="model_type"):
        BertConfig.from_dict({"model_type": "roberta"})
    with pytest.raises(ValueError, match="absolute"):
        BertConfig.from_dict({"position_embedding_type": "relative_key"})


def test_bad_json_is_a_clear_error(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b"\xff\xfe not json")
    with pytest.raises(ValueError, match="not valid UTF-8 JSON"):
        BertConfig.from_json_file(str(path))
    with pytest.raises(FileNotFoundError, match="config.json"):
        BertConfig.from_json_file(str(tmp_path / "missing.json"))


def test_labels_go_to_id2label():
    config = BertConfig().with_labels(["other", "great"])
    assert config.id2label == {0: "other", 1: "great"}
    assert config.to_dict()["label2id"] == {"other": 0, "great": 1}
