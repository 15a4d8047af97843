import numpy as np
import pytest

from tinybert_tf import BertTokenizer
from tinybert_tf.tokenizer import TokenizerError


def test_single_texts_and_pairs(tokenizer):
    out = tokenizer(["great snack", "stale"], max_length=8)
    assert set(out) == {"input_ids", "attention_mask", "token_type_ids"}
    assert all(v.dtype == np.int32 and v.shape == (2, 8) for v in out.values())
    assert tokenizer.convert_ids_to_tokens(out["input_ids"][0][:4]) == ["[CLS]", "great", "snack", "[SEP]"]
    assert out["attention_mask"][1].tolist() == [1, 1, 1, 0, 0, 0, 0, 0]
    pair = tokenizer("great snack", "stale tea", max_length=10)
    assert pair["token_type_ids"][0].tolist() == [0, 0, 0, 0, 1, 1, 1, 0, 0, 0]


def test_unknown_characters_become_unk_never_crash(tokenizer):
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("coffee 🤖 你好 zebra", max_length=10)["input_ids"][0])
    assert tokens[:2] == ["[CLS]", "coffee"] and tokens.count("[UNK]") >= 3


def test_lowercases_and_strips_accents(tokenizer):
    a = tokenizer("GREAT Tëa", max_length=6)["input_ids"]
    b = tokenizer("great tea", max_length=6)["input_ids"]
    np.testing.assert_array_equal(a, b)


def test_truncation_of_long_text_and_pairs(tokenizer):
    long = " ".join(["great"] * 500)
    out = tokenizer(long, max_length=16)
    assert out["input_ids"].shape == (1, 16) and out["input_ids"][0, -1] == 102  # ends with [SEP]
    pair = tokenizer(long, "stale tea", max_length=16)
    ids = pair["input_ids"][0].tolist()
    assert ids.count(102) == 2 and pair["token_type_ids"][0].sum() == 3  # "stale tea [SEP]" kept whole


def test_empty_string_is_cls_sep_and_empty_list_is_an_error(tokenizer):
    out = tokenizer("", max_length=4)
    assert out["input_ids"][0].tolist() == [101, 102, 0, 0]
    with pytest.raises(TokenizerError, match="empty list"):
        tokenizer([])
    with pytest.raises(TokenizerError, match=r"text\[1\] is NoneType"):
        tokenizer(["ok", None])


def test_bad_arguments(tokenizer):
    with pytest.raises(TokenizerError, match="max_length=600"):
        tokenizer("a", max_length=600)
    with pytest.raises(TokenizerError, match="pair them"):
        tokenizer(["a", "b"], ["c"])
    with pytest.raises(TokenizerError, match="padding"):
        tokenizer("a", padding="do_not")


def test_longest_padding_and_tf_tensors(tokenizer):
    out = tokenizer(["great", "this snack is great"], max_length=64, padding="longest", return_tensors="tf")
    assert out["input_ids"].shape == (2, 6)


def test_save_and_reload(tokenizer, tmp_path):
    tokenizer.save_pretrained(str(tmp_path))
    again = BertTokenizer.from_pretrained(str(tmp_path))
    assert again.vocab_size == tokenizer.vocab_size
    np.testing.assert_array_equal(again("great snack")["input_ids"], tokenizer("great snack")["input_ids"])


def test_directory_without_vocab_is_a_clear_error(tmp_path):
    with pytest.raises(TokenizerError, match="neither vocab.txt nor tokenizer.json"):
        BertTokenizer.from_pretrained(str(tmp_path))
