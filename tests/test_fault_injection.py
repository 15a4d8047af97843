"""Kill each resumable stage at chosen points, rerun it, and compare with an uninterrupted run.

A killed run is a real process (`python -m tinybert_tf ...`) that kills itself with
SIGKILL (or interrupts itself with SIGINT, as Ctrl-C does) when it reaches a named point
(`TINYBERT_FAULT`, see `tinybert_tf.outputs.fault_point`): after an optimizer step,
after an epoch's validation and best-keeping, after an augmented example, after an
exported variant, or between writing a file and renaming it into place. The same command
run again must end with the files an uninterrupted run writes: equal names, weights
within 1e-6, equal metrics (timings aside), equal augmented rows and TFLite bytes.
Tiny models (hidden 48, 4 layers); no wall-clock thresholds.
"""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file

from tinybert_tf import BertEncoder, cli, save_pretrained
from tinybert_tf import teacher as teacher_lib
from tests.helpers import tiny_config

pytestmark = pytest.mark.slow  # make test-fast leaves these out

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def assets(tokenizer, tmp_path_factory):
    d = tmp_path_factory.mktemp("fault")
    config = tiny_config(tokenizer.vocab_size, num_hidden_layers=4, hidden_size=48, num_attention_heads=4,
                         intermediate_size=96)
    pretrained = save_pretrained(BertEncoder(config), str(d / "pretrained"), tokenizer=tokenizer)
    rng = np.random.default_rng(0)
    good, bad, filler = ["great", "good", "love", "sweet"], ["stale", "bad", "not"], ["the", "tea", "snack", "is"]
    task = d / "task"
    task.mkdir()
    for split, n in (("train", 96), ("dev", 32), ("test", 32)):
        with open(task / f"{split}.jsonl", "w") as f:
            for i in range(n):
                words = list(rng.choice(filler, 4)) + [rng.choice(good if i % 2 else bad)]
                rng.shuffle(words)
                f.write(json.dumps({"text": " ".join(words), "label": "great" if i % 2 else "other"}) + "\n")
    corpus = d / "corpus.txt"
    corpus.write_text("\n".join(["the tea is sweet .", "this snack is great !", "it is not good , bad coffee ."] * 20))
    teacher = str(d / "teacher")
    teacher_lib.fine_tune(teacher_lib.FineTuneConfig(model=pretrained, task=str(task), output_dir=teacher,
                                                     max_length=16, batch_size=16, epochs=4, learning_rate=3e-3))
    return {"pretrained": pretrained, "task": str(task), "corpus": str(corpus), "teacher": teacher, "dir": d}


def command(stage, a):
    """The CLI arguments of a small run of `stage` (output path added by the caller)."""
    common = ["--task", a["task"], "--max-length", "16"]
    return {
        # 96 examples / 16 = 6 steps an epoch; backups every 2 steps.
        "finetune": ["finetune", "--model", a["pretrained"], *common, "--batch-size", "16", "--epochs", "3",
                     "--learning-rate", "3e-3", "--backup-every-steps", "2"],
        # 30 windows / 8 = 4 steps an epoch.
        "distill-general": ["distill-general", "--teacher", a["pretrained"], "--student", "teacher-l2",
                            "--corpus", a["corpus"], "--max-length", "16", "--batch-size", "8", "--epochs", "2",
                            "--learning-rate", "1e-3", "--backup-every-steps", "2"],
        # Step 1: 2 epochs (12 steps), step 2: 4 epochs (24 steps), dropout on.
        "distill-task": ["distill-task", "--teacher", a["teacher"], "--student", "teacher-l2", *common,
                         "--batch-size", "16", "--intermediate-epochs", "2", "--prediction-epochs", "4",
                         "--intermediate-learning-rate", "1e-3", "--prediction-learning-rate", "1e-3",
                         "--backup-every-steps", "2"],
        "augment": ["augment", "--teacher", a["teacher"], "--task", a["task"], "--num-augmented", "3",
                    "--top-k", "4"],
        "export": ["export", "--model", a["teacher"], *common, "--variants", "float32,dynamic_int8",
                   "--bundle-variant", "dynamic_int8", "--parity-examples", "8"],
    }[stage]


def run_to_end(stage, a, out):
    flag = "--output-file" if stage == "augment" else "--output-dir"
    assert cli.main(command(stage, a) + [flag, out]) == 0


def _default_sigint():
    # A suite started in the background of a non-interactive shell (`make test &`, nohup)
    # inherits SIGINT ignored, and so would the child: Ctrl-C could not be simulated.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_killed(stage, a, out, point, signal_name):
    flag = "--output-file" if stage == "augment" else "--output-dir"
    env = dict(os.environ, TINYBERT_FAULT=point + ("@INT" if signal_name == "SIGINT" else ""))
    proc = subprocess.run([sys.executable, "-m", "tinybert_tf", *command(stage, a), flag, out], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900, preexec_fn=_default_sigint)
    if signal_name == "SIGKILL":
        assert proc.returncode == -9, f"the run did not reach {point!r}: rc {proc.returncode}\n{proc.stderr[-3000:]}"
    else:
        assert proc.returncode == 130, f"rc {proc.returncode}\n{proc.stderr[-3000:]}"
        assert "interrupted. Run the same command again to continue" in proc.stderr
        assert "Traceback" not in proc.stderr
    return proc


_REFERENCES = {}


def reference(stage, a):
    if stage not in _REFERENCES:
        out = str(a["dir"] / f"ref_{stage}" / ("train.jsonl" if stage == "augment" else "out"))
        run_to_end(stage, a, out)
        _REFERENCES[stage] = out
    return _REFERENCES[stage]


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items()
                if not k.endswith("seconds") and k not in ("output_dir", "path", "bundle")}
    return value


def compare(stage, ref, got) -> float:
    """Max |difference| of the saved weights (0 for files compared byte by byte); asserts
    everything else is equal."""
    if stage == "augment":
        assert open(got, "rb").read() == open(ref, "rb").read()
        assert sorted(os.listdir(os.path.dirname(got))) == sorted(os.listdir(os.path.dirname(ref)))
        return 0.0
    files = lambda d: sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)  # noqa: E731
    assert files(got) == files(ref)
    worst = 0.0
    for name in files(ref):
        a, b = os.path.join(ref, name), os.path.join(got, name)
        if name.endswith(".safetensors"):
            x, y = load_file(a), load_file(b)
            assert sorted(x) == sorted(y)
            worst = max([worst] + [float(np.max(np.abs(x[k] - y[k]))) if x[k].size else 0.0 for k in x])
        elif name.endswith(".json"):
            assert _without_timings(json.load(open(a))) == _without_timings(json.load(open(b))), name
        else:
            assert open(a, "rb").read() == open(b, "rb").read(), name
    return worst


CASES = [
    # stage, fault point, signal
    ("finetune", "fit:fine-tuning:step:9", "SIGKILL"),              # mid epoch 2 (last backup: step 8)
    ("finetune", "fit:fine-tuning:epoch:2", "SIGINT"),              # after epoch 2's validation and best
    ("distill-general", "fit:general distillation:step:5", "SIGKILL"),
    ("distill-task", "fit:task distillation step 1:step:9", "SIGKILL"),
    ("distill-task", "fit:task distillation step 2:step:15", "SIGKILL"),   # step 2, third epoch
    ("distill-task", "fit:task distillation step 2:step:24", "SIGKILL"),   # last batch, before the last validation
    ("distill-task", "fit:task distillation step 2:epoch:2", "SIGKILL"),   # right after a best-epoch write
    ("distill-task", "fit:task distillation step 2:epoch:4", "SIGKILL"),   # after the last epoch's backup
    ("distill-task", "write:best_step2.weights.h5", "SIGKILL"),            # during the best-epoch write
    ("distill-task", "fit:task distillation step 2:step:9", "SIGINT"),
    ("augment", "augment:example:60", "SIGKILL"),                           # 10 rows past the last commit
    ("augment", "write:train.jsonl.progress.json", "SIGKILL"),             # during a progress commit
    ("export", "export:variant:float32", "SIGKILL"),                        # between two variants
    ("export", "write:export_report.json", "SIGKILL"),                      # during the last write
]


@pytest.mark.parametrize("stage,point,signal_name", CASES, ids=[f"{s}-{p}-{g}" for s, p, g in CASES])
def test_killed_and_rerun_ends_where_an_uninterrupted_run_ends(assets, stage, point, signal_name, tmp_path,
                                                             record_property):
    ref = reference(stage, assets)
    out = str(tmp_path / ("train.jsonl" if stage == "augment" else "out"))
    run_killed(stage, assets, out, point, signal_name)
    assert not os.path.isfile(os.path.join(out, "metrics.json"))  # it really stopped before the end
    run_to_end(stage, assets, out)
    worst = compare(stage, ref, out)
    record_property("fault_matrix", (stage, point, signal_name, worst))
    assert worst <= 1e-6
