import json
import os

import numpy as np
import pytest

from tinybert_tf import BertClassifier, BertEncoder, load_pretrained, save_pretrained
from tinybert_tf import cli, teacher
from tinybert_tf.backend import keras
from tinybert_tf.metrics import compute_metrics
from tinybert_tf.schedules import WarmUpLinearDecay


def test_fine_tune_learns_saves_and_reloads_identically(pretrained_2layer_dir, toy_task_dir, tmp_path):
    config = teacher.FineTuneConfig(model=pretrained_2layer_dir, task=toy_task_dir, output_dir=str(tmp_path / "ft"),
                                    max_length=16, batch_size=16, epochs=10, learning_rate=3e-3, warmup_ratio=0.1,
                                    log_dir=str(tmp_path / "tb"))
    user_checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "user.weights.h5"), save_weights_only=True)
    model, history, metrics = teacher.fine_tune(config, callbacks=[user_checkpoint])
    assert os.path.isfile(tmp_path / "user.weights.h5")  # user callbacks run
    assert any(f.startswith("events.out.tfevents") for _, _, fs in os.walk(tmp_path / "tb") for f in fs)
    assert metrics["dev"]["accuracy"] >= 0.9, history.history
    assert metrics["test"]["accuracy"] >= 0.85
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    out = config.output_dir
    assert {"config.json", "model.safetensors", "vocab.txt", "labels.txt", "metrics.json"} <= set(os.listdir(out))
    assert open(os.path.join(out, "labels.txt")).read() == "great\nother\n"
    loaded = load_pretrained(out)
    assert loaded.labels == ["great", "other"]
    batch = loaded.tokenizer(["good tea", "stale snack"], max_length=16)
    np.testing.assert_array_equal(loaded.classifier(batch), model(batch))
    # evaluate() on the saved directory reproduces the test metrics.
    again = teacher.evaluate(out, toy_task_dir, "test")
    assert again == pytest.approx(metrics["test"])


def test_nan_loss_is_an_error_and_saves_nothing(pretrained_2layer_dir, toy_task_dir, tmp_path):
    config = teacher.FineTuneConfig(model=pretrained_2layer_dir, task=toy_task_dir, output_dir=str(tmp_path / "nan"),
                                    max_length=16, batch_size=16, epochs=2, learning_rate=1e30, warmup_ratio=0.0)
    with pytest.raises(teacher.TrainingError, match="NaN"):
        teacher.fine_tune(config)
    assert not os.path.exists(os.path.join(config.output_dir, "model.safetensors"))


def test_cli_finetune_and_evaluate(pretrained_2layer_dir, toy_task_dir, tmp_path, capsys):
    out = str(tmp_path / "cli")
    rc = cli.main(["finetune", "--model", pretrained_2layer_dir, "--task", toy_task_dir, "--output-dir", out,
                   "--max-length", "16", "--epochs", "1", "--batch-size", "32"])
    assert rc == 0 and "test accuracy:" in capsys.readouterr().out
    rc = cli.main(["evaluate", "--model", out, "--task", toy_task_dir, "--split", "dev"])
    result = json.loads(capsys.readouterr().out)
    assert rc == 0 and result["split"] == "dev" and 0.0 <= result["accuracy"] <= 1.0


def test_cli_errors_are_one_clear_line(tmp_path, capsys):
    rc = cli.main(["finetune", "--model", str(tmp_path / "nope"), "--output-dir", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "error:" in err and "not a directory" in err


def test_evaluate_refuses_a_model_without_head(pretrained_2layer_dir):
    with pytest.raises(ValueError, match="no task head"):
        teacher.evaluate(pretrained_2layer_dir, "fine_foods")


def test_warmup_linear_decay():
    schedule = WarmUpLinearDecay(1e-3, total_steps=100, warmup_steps=10)
    values = [float(schedule(s)) for s in (0, 5, 10, 55, 100, 120)]
    np.testing.assert_allclose(values, [0.0, 5e-4, 1e-3, 5e-4, 0.0, 0.0], atol=1e-9)
    assert WarmUpLinearDecay(**schedule.get_config()).get_config() == schedule.get_config()
    with pytest.raises(ValueError):
        WarmUpLinearDecay(1e-3, total_steps=10, warmup_steps=20)


def test_optimizer_excludes_bias_and_layer_norm_from_weight_decay(config, batch):
    model = BertClassifier(BertEncoder(config), 2)
    optimizer = teacher.make_optimizer(1e-3, 10)
    optimizer.build(model.trainable_variables)
    decayed = {v.name for v in model.trainable_variables if optimizer._use_weight_decay(v)}
    assert any("kernel" in n for n in decayed)
    assert not any("bias" in n or "gamma" in n or "beta" in n for n in decayed)


def test_metrics():
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    m = compute_metrics(logits, np.array([0, 1, 0, 0]))
    assert m["accuracy"] == 0.75 and m["f1"] == pytest.approx(2 / 3) and -1 <= m["mcc"] <= 1
    assert m["n"] == 4 and m["accuracy_se"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    r = compute_metrics(np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 2.5, 2.9]), is_regression=True)
    assert r["spearman"] == pytest.approx(1.0) and r["pearson"] > 0.9
    with pytest.raises(ValueError, match="predictions"):
        compute_metrics(logits, np.array([0, 1]))


def test_optimizer_clipping_and_constant_rate():
    assert teacher.make_optimizer(1e-3, 10).global_clipnorm == 1.0
    per_tensor = teacher.make_optimizer(1e-3, None, clipping="per_tensor")  # BertAdam-like, constant rate
    assert per_tensor.clipnorm == 1.0 and per_tensor.global_clipnorm is None
    assert float(per_tensor.learning_rate) == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="clipping"):
        teacher.make_optimizer(1e-3, 10, clipping="sometimes")
