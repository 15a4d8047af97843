import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tinybert_tf import BertClassifier, BertEncoder, losses
from tinybert_tf.backend import keras, tf
from tinybert_tf.distiller import Distiller
from tinybert_tf.student import build_student, student_config
from tests.helpers import tiny_config


@pytest.fixture
def teacher(tokenizer):
    # 4 layers, 4 heads, hidden 48: a different shape from the 2-layer students.
    return BertClassifier(BertEncoder(tiny_config(tokenizer.vocab_size, num_hidden_layers=4, hidden_size=48,
                                                  num_attention_heads=4, intermediate_size=96)), 2)


@pytest.fixture
def dataset(tokenizer):
    texts = ["this snack is great", "stale tea", "love it", "not good , bad"] * 4
    x = tokenizer(texts, max_length=10)
    return tf.data.Dataset.from_tensor_slices((x, np.array([1, 0, 1, 0] * 4))).batch(8)


def test_losses_match_a_direct_computation(teacher, config, dataset):
    student = BertClassifier(BertEncoder(config), 2)
    distiller = Distiller(student, teacher, layer_mapping=[2, 4])
    distiller.compile(optimizer="adam", stage="all", temperature=2.0)
    x, _ = next(iter(dataset))
    terms, _ = distiller.compute_losses(x)
    s, t = distiller.student(x), distiller.teacher(x)
    w = distiller.projections[0]
    np.testing.assert_allclose(terms["embedding"], np.mean((w(s["hidden_states"][0]) - t["hidden_states"][0]) ** 2),
                               rtol=1e-5)
    hidden = sum(np.mean((w(s["hidden_states"][m]) - t["hidden_states"][g]) ** 2) for m, g in ((1, 2), (2, 4)))
    np.testing.assert_allclose(terms["hidden"], hidden, rtol=1e-5)
    # Student has 2 heads, teacher 4: pairs of teacher heads are averaged.
    mask = x["attention_mask"].numpy()[:, None, None, :]
    attention = 0.0
    for m, g in ((0, 1), (1, 3)):
        ts = t["attention_scores"][g].numpy()
        ts = ts.reshape(ts.shape[0], 2, 2, *ts.shape[2:]).mean(2)
        attention += np.mean((s["attention_scores"][m].numpy() * mask - ts * mask) ** 2)
    np.testing.assert_allclose(terms["attention"], attention, rtol=1e-5)
    np.testing.assert_allclose(terms["prediction"], losses.soft_cross_entropy(s["logits"], t["logits"], 2.0), rtol=1e-6)


def test_head_map_compares_each_student_head_with_its_teacher_head(teacher, config, dataset):
    student = BertClassifier(BertEncoder(config), 2)  # 2 heads a layer; the teacher has 4
    x, _ = next(iter(dataset))
    mapped = Distiller(student, teacher, layer_mapping=[2, 4], head_map=[[1, 3], [0, 2]])
    mapped.compile(optimizer="adam", stage="intermediate")
    terms, _ = mapped.compute_losses(x)
    s, t = mapped.student(x), mapped.teacher(x)
    keep = np.asarray(x["attention_mask"], np.float32)[:, None, None, :]
    expected = sum(np.mean((s["attention_scores"][m] * keep - tf.gather(t["attention_scores"][g - 1], heads, axis=1)
                            * keep) ** 2) for m, g, heads in ((0, 2, [1, 3]), (1, 4, [0, 2])))
    np.testing.assert_allclose(terms["attention"], expected, rtol=1e-5)
    grouped = Distiller(student, teacher, layer_mapping=[2, 4])  # no map: teacher head pairs averaged
    grouped.compile(optimizer="adam", stage="intermediate")
    assert abs(float(grouped.compute_losses(x)[0]["attention"]) - float(terms["attention"])) > 1e-6
    with pytest.raises(ValueError, match="head_map\\[0\\] names 3 heads; student layer 0 has 2"):
        Distiller(student, teacher, head_map=[[0, 1, 2], [0, 1]])
    with pytest.raises(ValueError, match="teacher layer 2 has heads 0..3"):
        Distiller(student, teacher, layer_mapping=[2, 4], head_map=[[0, 4], [0, 1]])


def test_fit_reports_each_loss_and_trains_only_the_student(teacher, config, dataset):
    student = BertClassifier(BertEncoder(config), 2)
    distiller = Distiller(student, teacher)
    teacher_before = [w.copy() for w in distiller.teacher.get_weights()]
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3), stage="intermediate")
    history = distiller.fit(dataset, validation_data=dataset, epochs=3, verbose=0)
    h = history.history
    assert {"loss", "embedding_loss", "attention_loss", "hidden_loss", "accuracy", "val_loss",
            "val_hidden_loss"} <= set(h)
    assert "prediction_loss" not in h
    assert h["loss"][-1] < h["loss"][0]
    for a, b in zip(teacher_before, distiller.teacher.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Step 2 on the same distiller: prediction loss only.
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3), stage="prediction")
    h2 = distiller.fit(dataset, epochs=2, verbose=0).history
    assert set(h2) == {"loss", "prediction_loss", "accuracy"}
    exported = distiller.export_student()
    x, _ = next(iter(dataset))
    np.testing.assert_allclose(exported(x), distiller.predict(x, verbose=0), atol=1e-6)
    assert len(exported.weights) == len(student.weights)  # no projections


def test_general_distillation_on_encoders(tokenizer, dataset):
    teacher = BertEncoder(tiny_config(tokenizer.vocab_size, num_hidden_layers=4, hidden_size=48,
                                      num_attention_heads=4, intermediate_size=96))
    student = build_student(teacher, "tinybert2-128")
    distiller = Distiller(student, teacher, projection="per_layer")
    assert len(distiller.projections) == 3
    distiller.compile(optimizer="adam", stage="general")
    h = distiller.fit(dataset.map(lambda x, y: x), epochs=1, verbose=0).history
    assert "accuracy" not in h and np.isfinite(h["loss"][0])
    with pytest.raises(ValueError, match="needs a prediction layer"):
        distiller.compile(optimizer="adam", stage="prediction")


def test_bad_arguments(teacher, config, tokenizer):
    student = BertClassifier(BertEncoder(config), 2)
    with pytest.raises(ValueError, match="same kind"):
        Distiller(student.encoder, teacher)
    with pytest.raises(ValueError, match="3 outputs"):
        Distiller(BertClassifier(BertEncoder(config), 3), teacher)
    with pytest.raises(ValueError, match="equal hidden sizes"):
        Distiller(student, teacher, projection="none")
    with pytest.raises(ValueError, match="outside 1..4"):
        Distiller(student, teacher, layer_mapping=[1, 5])
    d = Distiller(student, teacher)
    with pytest.raises(ValueError, match="stage="):
        d.compile(stage="warmup")


def test_student_presets_and_teacher_init(teacher, dataset):
    config = student_config(teacher.encoder.config, "tinybert4")
    assert (config.num_hidden_layers, config.hidden_size, config.intermediate_size) == (4, 312, 1200)
    assert config.vocab_size == teacher.encoder.config.vocab_size
    student = build_student(teacher, "teacher-l2", layer_mapping="uniform")  # layers 2 and 4
    x, _ = next(iter(dataset))
    t_enc, s_enc = teacher.encoder, student.encoder
    np.testing.assert_array_equal(s_enc.get_layer("layer_1_intermediate").kernel,
                                  t_enc.get_layer("layer_3_intermediate").kernel)
    np.testing.assert_array_equal(s_enc.get_layer("word_embeddings").embeddings,
                                  t_enc.get_layer("word_embeddings").embeddings)
    with pytest.raises(ValueError, match="Use init='random'"):
        build_student(teacher, "tinybert2-128", init="teacher")
    with pytest.raises(ValueError, match="Unknown student preset"):
        build_student(teacher, "huge")


def test_callbacks_checkpoint_and_early_stopping(teacher, config, dataset, tmp_path):
    distiller = Distiller(BertClassifier(BertEncoder(config), 2), teacher)
    distiller.compile(optimizer="adam", stage="all")
    path = str(tmp_path / "best.weights.h5")
    distiller.fit(dataset, validation_data=dataset, epochs=3, verbose=0, callbacks=[
        keras.callbacks.ModelCheckpoint(path, monitor="val_accuracy", mode="max", save_best_only=True,
                                        save_weights_only=True),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=1),
        keras.callbacks.TensorBoard(str(tmp_path / "tb")),
    ])
    assert os.path.isfile(path)
    distiller.load_weights(path)


MIRRORED = r"""
import tinybert_tf, numpy as np
from tinybert_tf.backend import tf, keras
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from tinybert_tf import BertClassifier, BertEncoder, BertConfig
from tinybert_tf.distiller import Distiller
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
small = dict(vocab_size=50, hidden_size=16, num_attention_heads=2, intermediate_size=32, max_position_embeddings=16)
with strategy.scope():
    teacher = BertClassifier(BertEncoder(BertConfig(num_hidden_layers=2, **small)), 2)
    distiller = Distiller(BertClassifier(BertEncoder(BertConfig(num_hidden_layers=1, **small)), 2), teacher)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3), stage="all")
rng = np.random.default_rng(0)
x = {"input_ids": rng.integers(1, 50, (16, 8)).astype("int32"), "attention_mask": np.ones((16, 8), "int32"),
     "token_type_ids": np.zeros((16, 8), "int32")}
h = distiller.fit(x, rng.integers(0, 2, 16), batch_size=8, epochs=3, verbose=0).history
print("REPLICAS", strategy.num_replicas_in_sync, "LOSS", h["loss"][0], h["loss"][-1])
assert strategy.num_replicas_in_sync == 2 and h["loss"][-1] < h["loss"][0]
"""


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpus():
    # Logical devices must be set before TensorFlow starts, hence a fresh process.
    result = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "REPLICAS 2" in result.stdout


def test_projection_init_identity_glorot_and_carried(teacher, config, tokenizer, tmp_path):
    same_width = BertClassifier(BertEncoder(tiny_config(tokenizer.vocab_size, hidden_size=48, num_attention_heads=4)), 2)
    auto = Distiller(same_width, teacher)  # equal widths: W = I, b = 0 until it learns
    np.testing.assert_array_equal(auto.projections[0].kernel.numpy(), np.eye(48))
    assert auto.projection_init == "identity" and not auto.projections[0].bias.numpy().any()
    narrow = Distiller(BertClassifier(BertEncoder(config), 2), teacher)  # 32 -> 48: random
    assert narrow.projection_init == "glorot" and narrow.projections[0].kernel.numpy().std() > 0
    with pytest.raises(ValueError, match="equal hidden sizes"):
        Distiller(BertClassifier(BertEncoder(config), 2), teacher, projection_init="identity")
    # Saved in PyTorch nn.Linear layout under the official code's name, loaded back exactly.
    path = str(tmp_path / "p.safetensors")
    narrow.save_projections(path)
    from safetensors.numpy import load_file
    saved = load_file(path)
    assert saved["fit_dense.weight"].shape == (48, 32) and saved["fit_dense.bias"].shape == (48,)
    other = Distiller(BertClassifier(BertEncoder(config), 2), teacher)
    other.load_projections(path)
    np.testing.assert_array_equal(other.projections[0].kernel.numpy(), narrow.projections[0].kernel.numpy())
    with pytest.raises(ValueError, match="projection='per_layer'"):
        Distiller(BertClassifier(BertEncoder(config), 2), teacher, projection="per_layer").load_projections(path)


def test_regression_prediction_target(tokenizer, config):
    t = BertClassifier(BertEncoder(config), 1)
    s = BertClassifier(BertEncoder(config), 1)
    x = tokenizer(["great tea", "stale snack"], max_length=8)
    y = np.array([4.5, 0.5], np.float32)
    distiller = Distiller(s, t)
    zs, zt = s(x).numpy()[:, 0], t(x).numpy()[:, 0]
    for target, expected in (("teacher", np.mean((zs - zt) ** 2)), ("labels", np.mean((zs - y) ** 2)),
                             ("mix", 0.5 * (np.mean((zs - zt) ** 2) + np.mean((zs - y) ** 2)))):
        distiller.compile(stage="prediction", regression_target=target)
        terms, _ = distiller.compute_losses(x, labels=y)
        np.testing.assert_allclose(terms["prediction"], expected, rtol=1e-5)
    with pytest.raises(ValueError, match="regression_target"):
        distiller.compile(stage="prediction", regression_target="gold")


def test_keep_best_evaluates_every_n_steps_and_remembers_across_fits(teacher, config, dataset, tmp_path):
    from tinybert_tf.callbacks import KeepBest

    seen = []

    class Recording(KeepBest):
        def _consider(self, logs, epoch, step):
            seen.append(step)
            super()._consider(logs, epoch, step)

    distiller = Distiller(BertClassifier(BertEncoder(config), 2), teacher)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3), stage="prediction")
    best = Recording(str(tmp_path / "best.weights.h5"), "val_accuracy", "max", model=distiller.student,
                     every_steps=1, validation_data=dataset)
    distiller.fit(dataset, validation_data=dataset, epochs=2, callbacks=[best], verbose=0)
    assert seen == [1, 2, 2, 3, 4, 4]  # 2 steps an epoch: every step, and each epoch's end
    record = json.load(open(best.record_path))
    assert record["best"] == best.best and os.path.isfile(best.path)
    # A new fit (a resumed run) starts from the recorded best, not from scratch.
    again = KeepBest(best.path, "val_accuracy", "max", model=distiller.student)
    again.set_model(distiller)
    again.on_train_begin()
    assert again.best == record["best"] and again.best_epoch == record["epoch"]


def test_cached_teacher_logits_replace_the_teacher_pass_in_step_2_only(teacher, config, dataset):
    student = BertClassifier(BertEncoder(config), 2)
    distiller = Distiller(student, teacher, layer_mapping=[2, 4])
    distiller.compile(optimizer="adam", stage="prediction", temperature=2.0)
    x, _ = next(iter(dataset))
    cached = {**x, "teacher_logits": tf.constant(np.array([[3.0, -1.0]] * 8, np.float32))}
    terms, _ = distiller.compute_losses(cached)
    expected = losses.soft_cross_entropy(distiller.student(x)["logits"], cached["teacher_logits"], 2.0)
    np.testing.assert_allclose(terms["prediction"], expected, rtol=1e-6)  # the cached targets, not the teacher's
    distiller.compile(optimizer="adam", stage="all")  # other terms need the teacher's states: it still runs
    terms, _ = distiller.compute_losses(cached)
    assert {"attention", "hidden", "prediction"} <= set(terms)
