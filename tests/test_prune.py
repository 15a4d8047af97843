"""Pruning: tfmot inside distillation, structured head/neuron removal, vocabulary pruning."""

import os

import numpy as np
import pytest

from tinybert_tf import BertClassifier, BertEncoder, BertTokenizer, load_pretrained, prune, save_pretrained
from tinybert_tf.backend import keras
from tinybert_tf.distiller import Distiller
from tinybert_tf.student import build_student
from tests.helpers import SPECIAL, WORDS, tiny_config

TEXTS = ["the tea is great", "this snack is stale", "not good , bad coffee", "love it !", "sweet tea ."] * 4


def _classifier(tokenizer, **overrides):
    config = tiny_config(tokenizer.vocab_size, num_attention_heads=4, **overrides)
    return BertClassifier(BertEncoder(config), num_labels=2)


def _data(tokenizer):
    features = tokenizer(TEXTS, max_length=12)
    labels = np.array([i % 2 for i in range(len(TEXTS))])
    return features, labels


@pytest.mark.parametrize("block_2_4", [False, True])
def test_magnitude_pruning_during_distillation_reaches_the_target(tokenizer, block_2_4, tmp_path):
    teacher = _classifier(tokenizer, num_hidden_layers=4)
    student = build_student(teacher, "teacher-l2")
    distiller = Distiller(student, teacher)
    features, labels = _data(tokenizer)
    before = distiller.predict(features, verbose=0)
    schedule = prune.pruning_schedule(0.7, end_step=7, frequency=2)   # moved onto the turn at step 6
    distiller.apply_pruning(prune.magnitude_pruning(schedule, block_2_4=block_2_4))
    # Wrapping keeps every trained weight: before any pruning step the outputs are the same.
    np.testing.assert_allclose(distiller.predict(features, verbose=0), before, atol=1e-6)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3), stage="all")
    distiller.fit(features, labels, batch_size=4, epochs=2, verbose=0, callbacks=prune.pruning_callbacks(str(tmp_path / "tb")))
    exported = distiller.export_student()
    assert type(exported) is BertClassifier and not exported.encoder.distillation_outputs
    report = {r["weight"]: r["sparsity"] for r in prune.sparsity_report(exported)}
    kernels = {k: v for k, v in report.items() if "kernel" in k and k != "all kernels"}
    if block_2_4:
        dense = [w.numpy() for w in exported.weights if "kernel" in w.name and w.shape.rank == 2]
        for k in dense:  # every group of 4 along the input axis has at least 2 zeros
            groups = k.T.reshape(-1, 4) if k.shape[0] % 4 == 0 else None
            if groups is not None:
                assert ((groups == 0).sum(axis=1) >= 2).all()
    else:
        assert len(kernels) == 2 * 6 + 2  # every attention and Dense kernel, pooler and head included
        for name, value in kernels.items():
            assert value == pytest.approx(0.7, abs=0.02), (name, value)
    # The exported student predicts with the pruned weights (no wrapper left).
    np.testing.assert_allclose(exported(features), distiller.predict(features, verbose=0), atol=1e-5)


def _zeroed_reference(model, heads_kept, neurons_kept):
    """The unpruned model with removed heads/neurons silenced: must equal the pruned one."""
    ref = keras.models.clone_model(model)
    ref.set_weights(model.get_weights())
    enc = ref.encoder if hasattr(ref, "encoder") else ref.get_layer(model.encoder.name)
    for i, (h, j) in enumerate(zip(heads_kept, neurons_kept)):
        attention = enc.get_layer(f"layer_{i}_attention")
        kernel = attention._output_dense.kernel.numpy()
        kernel[[x for x in range(kernel.shape[0]) if x not in h]] = 0
        attention._output_dense.kernel.assign(kernel)
        output = enc.get_layer(f"layer_{i}_output")
        kernel = output.kernel.numpy()
        kernel[[x for x in range(kernel.shape[0]) if x not in j]] = 0
        output.kernel.assign(kernel)
    return ref


def test_structured_pruning_removes_the_least_important_and_changes_nothing_else(tokenizer, tmp_path):
    model = _classifier(tokenizer)
    features, labels = _data(tokenizer)
    heads, neurons = prune.importance_scores(model, features, labels, batch_size=4)
    assert [h.shape for h in heads] == [(4,), (4,)] and [n.shape for n in neurons] == [(64,), (64,)]
    assert all(np.all(h > 0) for h in heads)

    small = prune.prune_heads_and_neurons(model, heads, neurons, heads_fraction=0.5, ffn_fraction=0.25)
    config = small.encoder.config
    assert config.intermediate_size == 48 and [config.heads_in_layer(i) for i in range(2)] == [2, 2]
    kept_heads = [np.sort(np.argsort(-h)[:2]) for h in heads]
    kept_neurons = [np.sort(np.argsort(-n)[:48]) for n in neurons]
    for i in range(2):  # HF's pruned_heads: the removed ones, original numbering
        assert config.pruned_heads[i] == sorted(set(range(4)) - set(kept_heads[i].tolist()))
    reference = _zeroed_reference(model, kept_heads, kept_neurons)
    np.testing.assert_allclose(small(features), reference(features), atol=1e-5)
    assert prune.count_parameters(small) < prune.count_parameters(model)

    # An ordinary checkpoint: config.json carries pruned_heads, and it reloads exactly.
    save_pretrained(small, str(tmp_path / "small"), tokenizer=tokenizer)
    again = load_pretrained(str(tmp_path / "small"))
    assert again.config.pruned_heads == config.pruned_heads
    np.testing.assert_allclose(again.classifier(features), small(features), atol=1e-6)

    # Pruning again counts heads in the original numbering.
    heads2, neurons2 = prune.importance_scores(small, features, labels, batch_size=4)
    smaller = prune.prune_heads_and_neurons(small, heads2, neurons2, heads_fraction=0.5)
    assert all(len(v) == 3 for v in smaller.encoder.config.pruned_heads.values())


def test_structured_pruning_rejects_bad_fractions(tokenizer):
    model = _classifier(tokenizer)
    with pytest.raises(ValueError, match="heads_fraction"):
        prune.prune_heads_and_neurons(model, [np.ones(4)] * 2, [np.ones(64)] * 2, heads_fraction=1.0)


def test_hidden_pruning_removes_the_same_units_everywhere(tokenizer, tmp_path):
    from tinybert_tf.pruning.hidden import hidden_importance, prune_hidden, selection_projection

    model = _classifier(tokenizer)  # hidden 32, 4 heads of 8
    features, labels = _data(tokenizer)
    # Unit 5 is dead (every LayerNorm zeroes it): nothing downstream can depend on it.
    for layer in model.encoder.layers:
        if layer.name.endswith("layer_norm"):
            gamma, beta = layer.get_weights()
            gamma[5], beta[5] = 0.0, 0.0
            layer.set_weights([gamma, beta])
    scores = hidden_importance(model, features, labels, batch_size=4)
    assert scores.shape == (32,) and scores[5] == 0 and np.all(np.delete(scores, 5) > 0)

    # Keeping every unit changes nothing (every slicing path runs, as the identity).
    same, kept_all, _ = prune_hidden(model, scores, 32)
    np.testing.assert_array_equal(kept_all, np.arange(32))
    np.testing.assert_allclose(same(features), model(features), atol=1e-6)

    heads, _ = prune.importance_scores(model, features, labels, batch_size=4)
    narrow, kept, kept_heads = prune_hidden(model, scores, 16, head_scores=heads)
    config = narrow.encoder.config
    assert 5 not in kept and len(kept) == 16 and list(kept) == sorted(kept)
    assert (config.hidden_size, config.num_attention_heads, config.head_size) == (16, 2, 8)
    top_heads = np.sort(np.argsort(-heads[0])[:2])
    np.testing.assert_array_equal(kept_heads[0], top_heads)
    q_old = model.encoder.get_layer("layer_0_attention").get_weights()[0]
    np.testing.assert_array_equal(narrow.encoder.get_layer("layer_0_attention").get_weights()[0],
                                  q_old[kept][:, top_heads])
    np.testing.assert_array_equal(narrow.get_layer("classifier").get_weights()[0],
                                  model.get_layer("classifier").get_weights()[0][kept])
    assert narrow(features).shape == (len(TEXTS), 2)
    with pytest.raises(ValueError, match="pass head_scores"):
        prune_hidden(model, scores, 16)
    with pytest.raises(ValueError, match="multiple of the head size 8"):
        prune_hidden(model, scores, 12, head_scores=heads)

    # A valid HF checkpoint (hidden = heads x head size) that reloads exactly.
    save_pretrained(narrow, str(tmp_path / "narrow"), tokenizer=tokenizer)
    np.testing.assert_allclose(load_pretrained(str(tmp_path / "narrow")).classifier(features), narrow(features),
                               atol=1e-6)
    # The projection puts each kept unit back where it was.
    w = selection_projection(kept, 32)["fit_dense.weight"]
    x = np.random.default_rng(0).normal(size=16).astype(np.float32)
    np.testing.assert_array_equal((w @ x)[kept], x)
    assert np.count_nonzero(w @ x) == 16


def test_vocabulary_pruning_keeps_predictions_and_still_tokenizes_unseen_words(tmp_path):
    chars = ["c", "h", "i", "p", "##c", "##h", "##i", "##p"]
    (tmp_path / "vocab.txt").write_text("\n".join(SPECIAL + WORDS + chars) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer.from_vocab_file(str(tmp_path / "vocab.txt"))
    model = _classifier(tokenizer)
    small, small_tokenizer, kept = prune.prune_vocabulary(model, tokenizer, TEXTS)
    vocab = small_tokenizer.get_vocab()
    assert small.encoder.config.vocab_size == len(kept) == len(vocab) < tokenizer.vocab_size
    assert "[unused5]" not in vocab and "coffee" in vocab and "##p" in vocab
    assert vocab["[PAD]"] == 0 and small.encoder.config.pad_token_id == 0

    old = tokenizer(TEXTS, max_length=12)
    new = small_tokenizer(TEXTS, max_length=12)
    np.testing.assert_array_equal(kept[new["input_ids"]], old["input_ids"])  # consistent remapping
    np.testing.assert_allclose(small(new), model(old), atol=1e-6)

    # Unseen words split into kept pieces; an unknown character is [UNK].
    pieces = small_tokenizer.hf_tokenizer.tokenize("chip tea")
    assert pieces == ["c", "##h", "##i", "##p", "tea"]
    assert small_tokenizer.hf_tokenizer.tokenize("é") == ["[UNK]"]


@pytest.mark.slow
def test_cli_prune_structured_unstructured_and_vocabulary(pretrained_4layer_dir, toy_task_dir, tmp_path):
    import json

    from tinybert_tf import cli, teacher as teacher_lib

    teacher_dir = str(tmp_path / "teacher")
    teacher_lib.fine_tune(teacher_lib.FineTuneConfig(model=pretrained_4layer_dir, task=toy_task_dir, output_dir=teacher_dir,
                                                     max_length=16, batch_size=16, epochs=2, learning_rate=3e-3))
    out = str(tmp_path / "pruned")
    assert cli.main(["prune", "--model", teacher_dir, "--teacher", teacher_dir, "--task", toy_task_dir,
                     "--output-dir", out, "--heads-fraction", "0.5", "--ffn-fraction", "0.5", "--hidden-size", "24",
                     "--sparsity", "0.5",
                     "--vocabulary", "--prediction-epochs", "2", "--max-length", "16", "--batch-size", "16",
                     "--learning-rate", "1e-3"]) == 0
    report = json.load(open(f"{out}/metrics.json"))
    assert report["heads_per_layer"] == [2, 2, 2, 2] and report["intermediate_size"] == 48
    assert report["hidden_size"] == 24 and len(report["hidden_importance"]) == 48
    # Recovery compared the 24-wide student with the 48-wide teacher through the kept units' projection.
    assert os.path.isfile(f"{out}/structured/distill_projections.safetensors")
    assert json.load(open(f"{out}/recovered/metrics.json"))["projection_init"] == "carried"
    # ... and each kept head with the teacher head it was (the teacher was the model pruned here).
    head_map = json.load(open(f"{out}/structured/distill_heads.json"))["heads"]
    kept = [[h for h in range(4) if h not in removed] for removed in
            [sorted(set(range(4)) - set(np.sort(np.argsort(-np.array(s))[:2]).tolist()))
             for s in report["head_importance"]]]
    assert head_map == kept
    assert report["parameters"] < report["parameters_before"]
    assert report["sparsity"] == pytest.approx(0.5, abs=0.02)
    assert report["vocab_size"] < 126
    saved = load_pretrained(out)
    assert saved.tokenizer.vocab_size == report["vocab_size"] == saved.config.vocab_size
    assert teacher_lib.evaluate(out, toy_task_dir, "test") == pytest.approx(report["test"])

    # Gradual pruning: the pruned student keeps its (recovery-trained) projection and head map
    # beside it, and pruning it again restricts that projection to the units kept, so the second
    # recovery still compares with the 48-wide teacher (not with the 24-wide source).
    from safetensors.numpy import load_file

    first = load_file(f"{out}/distill_projections.safetensors")["fit_dense.weight"]
    assert first.shape == (48, 24) and json.load(open(f"{out}/distill_heads.json"))["heads"] == head_map
    again = str(tmp_path / "pruned_again")
    # The vocabulary-pruned student reads other ids than the teacher: refused, naming the fix.
    assert cli.main(["prune", "--model", out, "--teacher", teacher_dir, "--task", toy_task_dir,
                     "--output-dir", again, "--hidden-size", "12", "--max-length", "16"]) != 0
    assert not os.path.exists(again)
    out = str(tmp_path / "pruned_keeps_vocabulary")
    assert cli.main(["prune", "--model", teacher_dir, "--teacher", teacher_dir, "--task", toy_task_dir,
                     "--output-dir", out, "--heads-fraction", "0.5", "--hidden-size", "24", "--intermediate-epochs",
                     "1", "--prediction-epochs", "0", "--max-length", "16", "--batch-size", "16"]) == 0
    head_map = json.load(open(f"{out}/structured/distill_heads.json"))["heads"]
    first = load_file(f"{out}/distill_projections.safetensors")["fit_dense.weight"]
    assert json.load(open(f"{out}/distill_heads.json"))["heads"] == head_map
    assert cli.main(["prune", "--model", out, "--teacher", teacher_dir, "--task", toy_task_dir,
                     "--output-dir", again, "--hidden-size", "12", "--intermediate-epochs", "1",
                     "--prediction-epochs", "1", "--max-length", "16", "--batch-size", "16"]) == 0
    narrowed = load_file(f"{again}/structured/distill_projections.safetensors")["fit_dense.weight"]
    assert narrowed.shape == (48, 12)
    assert all(any(np.array_equal(column, kept) for kept in first.T) for column in narrowed.T)
    assert json.load(open(f"{again}/recovered/metrics.json"))["projection_init"] == "carried"
    assert json.load(open(f"{again}/metrics.json"))["hidden_size"] == 12
