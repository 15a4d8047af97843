"""General and task distillation stages end to end on tiny models (CLI and API)."""

import json
import os

import pytest

from tinybert_tf import BertEncoder, cli, load_pretrained, save_pretrained
from tinybert_tf import distill, teacher as teacher_lib
from tests.helpers import tiny_config


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(["the tea is sweet .", "this snack is great !", "it is not good , bad coffee ."] * 20))
    return str(path)


@pytest.mark.slow  # a whole chain: general, then task distillation
def test_general_then_task_distillation(pretrained_4layer_dir, corpus, toy_task_dir, tmp_path):
    general = distill.GeneralDistillConfig(
        teacher=pretrained_4layer_dir, student="tinybert2-128", corpus=corpus, max_length=16, batch_size=8,
        epochs=1, learning_rate=1e-3, output_dir=str(tmp_path / "general"))
    student, history = distill.general_distill(general)
    assert {"loss", "attention_loss", "hidden_loss", "embedding_loss"} <= set(history.history)
    assert load_pretrained(general.output_dir).config.hidden_size == 128
    assert not os.path.exists(os.path.join(general.output_dir, "backup_general"))  # cleaned after a finished run
    # The trained projection W (128 -> 48) sits beside the student, not inside it.
    assert os.path.isfile(os.path.join(general.output_dir, distill.PROJECTIONS_FILE))

    teacher_dir = str(tmp_path / "teacher")
    teacher_lib.fine_tune(teacher_lib.FineTuneConfig(model=pretrained_4layer_dir, task=toy_task_dir, output_dir=teacher_dir,
                                                     max_length=16, batch_size=16, epochs=6, learning_rate=3e-3))
    task = distill.TaskDistillConfig(teacher=teacher_dir, student=general.output_dir, task=toy_task_dir,
                                     max_length=16, batch_size=16, intermediate_epochs=3, prediction_epochs=6,
                                     intermediate_learning_rate=1e-3, prediction_learning_rate=3e-3,
                                     eval_steps=4, output_dir=str(tmp_path / "student"))
    student, metrics = distill.task_distill(task)
    assert set(metrics["dev"]) == {"accuracy", "f1", "mcc", "n", "accuracy_se"}
    assert metrics["projection_init"] == "carried"  # general distillation's W, as the official code
    saved = load_pretrained(task.output_dir)
    assert saved.classifier.encoder.config.num_hidden_layers == 2 and saved.labels == ["great", "other"]
    # The saved student is the plain classifier: evaluate() works on it like on a teacher.
    assert teacher_lib.evaluate(task.output_dir, toy_task_dir, "test") == pytest.approx(metrics["test"])


def test_finished_stage_is_not_repeated(pretrained_4layer_dir, toy_task_dir, tmp_path, capsys):
    teacher_dir = str(tmp_path / "teacher")
    teacher_lib.fine_tune(teacher_lib.FineTuneConfig(model=pretrained_4layer_dir, task=toy_task_dir, output_dir=teacher_dir,
                                                     max_length=16, batch_size=16, epochs=6, learning_rate=3e-3))
    args = ["distill-task", "--teacher", teacher_dir, "--student", "teacher-l2", "--task", toy_task_dir,
            "--max-length", "16", "--batch-size", "16", "--intermediate-epochs", "1", "--prediction-epochs", "4",
            "--intermediate-learning-rate", "1e-3", "--prediction-learning-rate", "3e-3",
            "--output-dir", str(tmp_path / "s")]
    assert cli.main(args) == 0
    first = json.loads(open(tmp_path / "s" / "metrics.json").read())
    assert first["dev"]["accuracy"] >= 0.8, first  # a teacher-initialised student learns the task
    # Only the outputs stay: no backups, step markers or best-epoch files.
    left = os.listdir(tmp_path / "s")
    assert {"model.safetensors", "metrics.json", "run_settings.json"} <= set(left)
    assert not [f for f in left if "backup" in f or f.endswith((".npz", ".h5", ".json.json")) or "partial" in f], left
    weights = open(tmp_path / "s" / "model.safetensors", "rb").read()
    capsys.readouterr()
    assert cli.main(args) == 0  # the finished run is reused, not repeated
    assert "finished; reusing it" in capsys.readouterr().out
    assert json.loads(open(tmp_path / "s" / "metrics.json").read()) == first
    assert open(tmp_path / "s" / "model.safetensors", "rb").read() == weights
    # Other settings in the same folder: refused, nothing touched.
    assert cli.main(args[:-2] + ["--intermediate-learning-rate", "1e6", "--output-dir", str(tmp_path / "s")]) == 2
    assert "intermediate_learning_rate: 0.001 -> 1000000.0" in capsys.readouterr().err
    assert open(tmp_path / "s" / "model.safetensors", "rb").read() == weights


def test_task_distillation_needs_a_fine_tuned_teacher(pretrained_4layer_dir, toy_task_dir, tmp_path):
    with pytest.raises(ValueError, match="no task head"):
        distill.task_distill(distill.TaskDistillConfig(teacher=pretrained_4layer_dir, task=toy_task_dir,
                                                       output_dir=str(tmp_path / "x")))


def test_a_teacher_or_student_with_another_label_order_is_refused(pretrained_4layer_dir, toy_task_dir, tmp_path):
    """Same label count, swapped order: without the check every stage would run and silently
    distil, prune and score against swapped classes."""
    from tinybert_tf.models.bert_classifier import BertClassifier
    from tinybert_tf.pruning.pipeline import PruneConfig, prune_student

    encoder = load_pretrained(pretrained_4layer_dir).encoder
    swapped = save_pretrained(BertClassifier(encoder, num_labels=2), str(tmp_path / "swapped"),
                              tokenizer=load_pretrained(pretrained_4layer_dir).tokenizer, labels=["other", "great"])
    out = str(tmp_path / "out")
    for run in (lambda: distill.task_distill(distill.TaskDistillConfig(teacher=swapped, task=toy_task_dir,
                                                                      output_dir=out)),
                lambda: teacher_lib.evaluate(swapped, toy_task_dir, "dev"),
                lambda: prune_student(PruneConfig(model=swapped, output_dir=out, recovery=distill.TaskDistillConfig(
                    teacher=swapped, task=toy_task_dir)))):
        with pytest.raises(ValueError, match=r"trained with labels \['other', 'great'\].*has \['great', 'other'\]"):
            run()
        assert not os.path.exists(out)  # refused before anything is written
    # A student with the swapped head, under a teacher in the task's order: refused too.
    right = save_pretrained(BertClassifier(encoder, num_labels=2), str(tmp_path / "right"),
                            tokenizer=load_pretrained(pretrained_4layer_dir).tokenizer, labels=["great", "other"])
    with pytest.raises(ValueError, match="The student .* trained with labels"):
        distill.task_distill(distill.TaskDistillConfig(teacher=right, student=swapped, task=toy_task_dir,
                                                       output_dir=out))
    assert not os.path.exists(out)


@pytest.mark.slow
@pytest.mark.parametrize("mixed", ["bfloat16", "float16"])
def test_mixed_precision_trains_and_saves_a_float32_student(mixed, pretrained_4layer_dir, toy_task_dir,
                                                            tmp_path):
    from tinybert_tf.backend import keras
    from tinybert_tf.distiller import Distiller

    optimizers = []
    original = Distiller.compile

    def spy(self, optimizer=None, **kwargs):  # record the optimizer compile made
        original(self, optimizer=optimizer, **kwargs)
        optimizers.append(type(self.optimizer).__name__)

    Distiller.compile = spy

    teacher_dir = str(tmp_path / "teacher")
    teacher_lib.fine_tune(teacher_lib.FineTuneConfig(model=pretrained_4layer_dir, task=toy_task_dir, output_dir=teacher_dir,
                                                     max_length=16, batch_size=16, epochs=6, learning_rate=3e-3))
    config = distill.TaskDistillConfig(teacher=teacher_dir, student="teacher-l2", task=toy_task_dir, max_length=16,
                                       batch_size=16, intermediate_epochs=1, prediction_epochs=4,
                                       intermediate_learning_rate=1e-3, prediction_learning_rate=3e-3,
                                       mixed_precision=mixed, output_dir=str(tmp_path / mixed))
    try:
        student, metrics = distill.task_distill(config)
    finally:
        Distiller.compile = original
    # float16 steps go through Keras' dynamic loss scaling; bfloat16 needs none.
    assert optimizers and all(("LossScale" in name) == (mixed == "float16") for name in optimizers), optimizers
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after the stage
    assert student.compute_dtype == "float32"  # the returned (and scored) model computes in float32
    assert metrics["dev"]["accuracy"] >= 0.8, metrics  # it learns the task in bfloat16 / float16
    # The metrics are the saved float32 model's: evaluate() on the folder gives them again.
    assert teacher_lib.evaluate(config.output_dir, toy_task_dir, "test") == pytest.approx(metrics["test"])
    with pytest.raises(ValueError, match="mixed_precision='float8'"):
        distill.task_distill(distill.TaskDistillConfig(teacher=teacher_dir, task=toy_task_dir,
                                                       mixed_precision="float8", output_dir=str(tmp_path / "x")))
    assert not os.path.exists(tmp_path / "x")


def test_cached_teacher_logits_give_step_2_the_same_targets(pretrained_4layer_dir, toy_task_dir, tmp_path):
    """Step 2 with the teacher's logits computed once ends where the per-step teacher pass
    ends, to batching round-off; the teacher is not called during step 2."""
    import numpy as np

    from tinybert_tf import BertClassifier

    # Any classifier gives targets to compare; an untrained one saves the fine-tuning.
    loaded = load_pretrained(pretrained_4layer_dir)
    teacher_dir = save_pretrained(BertClassifier(loaded.encoder, 2), str(tmp_path / "teacher"),
                                  tokenizer=loaded.tokenizer, labels=["great", "other"])
    weights = {}
    for cache in (False, True):
        config = distill.TaskDistillConfig(teacher=teacher_dir, student="teacher-l2", task=toy_task_dir, max_length=16,
                                           batch_size=16, intermediate_epochs=0, prediction_epochs=2,
                                           prediction_learning_rate=3e-3, cache_teacher_logits=cache,
                                           output_dir=str(tmp_path / f"cache_{cache}"))
        student, metrics = distill.task_distill(config)
        weights[cache] = student.get_weights()
    for a, b in zip(weights[False], weights[True]):
        np.testing.assert_allclose(a, b, atol=2e-4)
    assert any(np.abs(a).max() > 0 for a in weights[True])


def test_padding_to_the_longest_takes_the_same_prediction_steps(tokenizer, toy_task_dir, tmp_path):
    """`padding="longest"` only removes padding: without dropout, step 2 (whose loss reads
    the [CLS] logits) ends where `max_length` ends, to round-off; step 1 trains on the
    shorter batches too (its mean-squared losses then average over fewer positions)."""
    import numpy as np

    from tinybert_tf import BertClassifier

    config = tiny_config(tokenizer.vocab_size, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    teacher_dir = save_pretrained(BertClassifier(BertEncoder(config), 2), str(tmp_path / "teacher"),
                                  tokenizer=tokenizer, labels=["great", "other"])
    weights = {}
    for padding in ("max_length", "longest"):
        student, metrics = distill.task_distill(distill.TaskDistillConfig(
            teacher=teacher_dir, student="teacher-l1", task=toy_task_dir, max_length=32, batch_size=16,
            intermediate_epochs=0, prediction_epochs=2, prediction_learning_rate=3e-3, padding=padding,
            output_dir=str(tmp_path / padding)))
        weights[padding] = student.get_weights()
    for a, b in zip(weights["max_length"], weights["longest"]):
        np.testing.assert_allclose(a, b, atol=1e-4)
    student, metrics = distill.task_distill(distill.TaskDistillConfig(
        teacher=teacher_dir, student="teacher-l1", task=toy_task_dir, max_length=32, batch_size=16,
        intermediate_epochs=1, prediction_epochs=1, padding="longest", group_by_length=True,
        output_dir=str(tmp_path / "grouped")))
    assert 0 <= metrics["dev"]["accuracy"] <= 1
    with pytest.raises(ValueError, match="padding='dynamic'"):
        distill.TaskDistillConfig(padding="dynamic")


MIRRORED_STAGE = r"""
import json, os, sys
import numpy as np
from tinybert_tf.backend import tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from tinybert_tf import BertClassifier, BertEncoder, BertTokenizer, distill, progress, save_pretrained
progress.log_to_console()  # the library's messages on stdout, as the CLI shows them
from tests.helpers import SPECIAL, WORDS, tiny_config
from tests.helpers import write_toy_task
import pathlib
root = pathlib.Path(sys.argv[1])
(root / "vocab.txt").write_text("\n".join(SPECIAL + WORDS) + "\n")
tokenizer = BertTokenizer.from_vocab_file(str(root / "vocab.txt"))
# No dropout: one replica or two must then take the same steps, to reduction order.
config = tiny_config(tokenizer.vocab_size, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
teacher = save_pretrained(BertClassifier(BertEncoder(config), 2), str(root / "teacher"), tokenizer=tokenizer,
                          labels=["great", "other"])
task = write_toy_task(root)
weights = {}
for name in ("none", "mirrored"):
    student, metrics = distill.task_distill(distill.TaskDistillConfig(
        teacher=teacher, student="teacher-l1", task=task, max_length=16, batch_size=16, intermediate_epochs=1,
        prediction_epochs=1, intermediate_learning_rate=1e-3, prediction_learning_rate=1e-3, distribution=name,
        output_dir=str(root / name)))
    weights[name] = student.get_weights()
diff = max(float(np.abs(a - b).max()) for a, b in zip(weights["none"], weights["mirrored"]))
moved = max(float(np.abs(a).max()) for a in weights["mirrored"])
print("RESULT", json.dumps({"max_weight_diff": diff, "moved": moved}))
"""


@pytest.mark.slow
def test_mirrored_distribution_on_two_logical_cpus_takes_the_single_device_steps(tmp_path):
    """`distribution="mirrored"` splits each global batch over 2 replicas (logical CPUs,
    set before TensorFlow starts: a fresh process) and ends at the single-device weights."""
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-c", MIRRORED_STAGE, str(tmp_path)], capture_output=True, text=True,
                            timeout=600, cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "MirroredStrategy, 2 replica(s)" in result.stdout, result.stdout[-2000:]
    line = next(l for l in result.stdout.splitlines() if l.startswith("RESULT "))
    numbers = json.loads(line[len("RESULT "):])
    assert numbers["max_weight_diff"] < 1e-4 and numbers["moved"] > 0, numbers
    print(numbers)


MULTI_WORKER_STAGE = r"""
import json, sys
from tinybert_tf import distill, progress
progress.log_to_console()  # the library's messages on stdout, as the CLI shows them
teacher, task, out = sys.argv[1:4]
student, metrics = distill.task_distill(distill.TaskDistillConfig(
    teacher=teacher, student="teacher-l1", task=task, max_length=16, batch_size=16, intermediate_epochs=1,
    prediction_epochs=1, intermediate_learning_rate=1e-3, prediction_learning_rate=1e-3, backup_every_steps=2,
    distribution="multi_worker", output_dir=out))
print("FINISHED")
"""


def _free_ports(n):
    import socket

    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_workers_killed_and_restarted_end_at_the_single_process_weights(tokenizer, toy_task_dir,
                                                                            tmp_path):
    """MultiWorkerMirroredStrategy across 2 processes on localhost (TF_CONFIG), global batch 16:
    worker 1 is killed at step 4 (after the step-4 backup), worker 0 then waits in a collective
    and is killed too; both restarted finish where one process with batch 16 finishes."""
    import signal
    import subprocess
    import sys

    import numpy as np

    from tinybert_tf import BertClassifier, BertEncoder

    config = tiny_config(tokenizer.vocab_size, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    teacher = save_pretrained(BertClassifier(BertEncoder(config), 2), str(tmp_path / "teacher"), tokenizer=tokenizer,
                              labels=["great", "other"])
    reference, _ = distill.task_distill(distill.TaskDistillConfig(
        teacher=teacher, student="teacher-l1", task=toy_task_dir, max_length=16, batch_size=16, intermediate_epochs=1,
        prediction_epochs=1, intermediate_learning_rate=1e-3, prediction_learning_rate=1e-3,
        output_dir=str(tmp_path / "single")))
    out = str(tmp_path / "two_workers")
    ports = _free_ports(2)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def start(index, fault=None):
        env = dict(os.environ, TF_CONFIG=json.dumps({"cluster": {"worker": [f"localhost:{p}" for p in ports]},
                                                     "task": {"type": "worker", "index": index}}))
        env.pop("TINYBERT_FAULT", None)
        if fault:
            env["TINYBERT_FAULT"] = fault
        return subprocess.Popen([sys.executable, "-c", MULTI_WORKER_STAGE, teacher, toy_task_dir, out], env=env,
                                cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    chief, worker = start(0), start(1, fault="fit:task distillation step 1:step:4@KILL")
    assert worker.wait(timeout=300) == -signal.SIGKILL  # killed at its fault point
    chief.kill()  # blocked in the next step's all-reduce
    chief.wait(timeout=60)
    assert os.path.isdir(os.path.join(out, "backup_step1")) and not os.path.exists(os.path.join(out, "metrics.json"))
    chief, worker = start(0), start(1)
    logs = [p.communicate(timeout=300)[0] for p in (chief, worker)]
    assert [p.returncode for p in (chief, worker)] == [0, 0], logs[0][-3000:] + logs[1][-3000:]
    assert not [name for name in os.listdir(out) if name.startswith("backup")], os.listdir(out)
    assert "MultiWorkerMirroredStrategy, 2 replica(s)" in logs[0]
    assert "Resuming task distillation step 1 from its backup at step 4" in logs[0], logs[0][-3000:]
    # The chief wrote the outputs; worker 1's private folder is gone.
    assert os.path.isfile(os.path.join(out, "metrics.json")) and not os.path.exists(os.path.join(out, ".worker_1"))
    saved = load_pretrained(out).classifier.get_weights()
    diff = max(float(np.abs(a - b).max()) for a, b in zip(saved, reference.get_weights()))
    print("two workers, killed and restarted, vs one process: max |weight diff|", diff)
    assert diff < 1e-4
    # Run again, finished: every worker reuses the chief's outputs (none starts training alone and waits).
    chief, worker = start(0), start(1)
    logs = [p.communicate(timeout=300)[0] for p in (chief, worker)]
    assert [p.returncode for p in (chief, worker)] == [0, 0] and all("reusing it" in log for log in logs), logs


def test_tpu_distribution_without_a_tpu_says_what_to_do(monkeypatch):
    """`distribution="tpu"` is not testable here (no TPU): a machine without one gets a
    clear error naming TPU_NAME, not a hang or a TensorFlow traceback."""
    from tinybert_tf import training

    monkeypatch.delenv("TPU_NAME", raising=False)
    with pytest.raises(ValueError, match="found no TPU.*TPU_NAME"):
        with training.distribution("tpu"):
            pass
    with pytest.raises(ValueError, match="distribution='tpus'; use one of none, mirrored, multi_worker, tpu"):
        with training.distribution("tpus"):
            pass
