"""keras-hub preset export (optional: runs where keras-hub is installed, visibly skipped elsewhere)."""

import numpy as np
import pytest

from tinybert_tf import BertClassifier, BertConfig, BertEncoder, cli, export, load_pretrained, save_pretrained

keras_hub = pytest.importorskip("keras_hub", reason="keras-hub is not installed (pip install keras-hub): "
                                "the keras-hub export is not tested here")


def _saved(tokenizer, tmp_path, **overrides):
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64, **overrides)
    model = BertClassifier(BertEncoder(config), num_labels=2)
    # Weights well away from zero, so a wrong layout or activation shows in the logits.
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    return save_pretrained(model, str(tmp_path / "clf"), tokenizer=tokenizer, labels=["great", "other"])  # the toy task's order


def test_preset_reloads_offline_with_the_models_logits(tokenizer, toy_task_dir, tmp_path, capsys):
    model_dir = _saved(tokenizer, tmp_path)
    out = str(tmp_path / "hub")
    assert cli.main(["export", "--format", "keras-hub", "--model", model_dir, "--task", toy_task_dir,
                     "--output-dir", out, "--max-length", "16"]) == 0
    assert "keras-hub preset:" in capsys.readouterr().out
    hub = keras_hub.models.BertTextClassifier.from_preset(f"{out}/preset")
    assert type(hub.backbone).__name__ == "ExactGeluBertBackbone"  # HF "gelu" is the erf form
    x = tokenizer(["this snack is great !", "stale , bad coffee"], max_length=16)
    ours = load_pretrained(model_dir).classifier(x).numpy()
    theirs = np.asarray(hub({"token_ids": x["input_ids"], "padding_mask": x["attention_mask"],
                             "segment_ids": x["token_type_ids"]}))
    np.testing.assert_allclose(theirs, ours, atol=1e-5)
    # Its own preprocessor tokenizes raw text with the model's vocabulary.
    assert hub.predict(["this snack is great !"], verbose=0).shape == (1, 2)


def test_tanh_gelu_models_use_the_stock_backbone_and_head_pruned_ones_are_refused(tokenizer, tmp_path):
    from tinybert_tf.keras_hub_export import to_keras_hub

    out = to_keras_hub(_saved(tokenizer, tmp_path, hidden_act="gelu_new"), str(tmp_path / "tanh"))
    assert type(keras_hub.models.BertTextClassifier.from_preset(out).backbone).__name__ == "BertBackbone"
    pruned = _saved(tokenizer, tmp_path / "p", pruned_heads={0: [1]})
    with pytest.raises(export.ExportError, match="head-pruned"):
        to_keras_hub(pruned, str(tmp_path / "pruned"))
