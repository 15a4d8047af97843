"""Ordinary mistakes through the CLI: one clear line on stderr, exit code 2, no traceback,
and nothing half-written left in the output folder. Table-driven: each row builds its
bad input, names the command, and the words the message must contain."""

import json
import os

import pytest

from tinybert_tf import BertEncoder, cli, save_pretrained
from tests.helpers import tiny_config

GOOD_ROWS = [{"text": f"the tea is {w}", "label": lab} for w, lab in
             [("great", "great"), ("bad", "other"), ("sweet", "great"), ("stale", "other")] * 6]


def _write(path, rows=None, text=None, raw=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if raw is not None:
        with open(path, "wb") as f:
            f.write(raw)
    elif text is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(json.dumps(r) + "\n" for r in rows))
    return os.path.dirname(path)


def _csv(rows):
    return "text,label\n" + "".join(f"{r['text']},{r['label']}\n" for r in rows)


# (id, how to build the task folder (or None: a good one), extra args / overrides, expected words)
CASES = [
    ("empty-csv", lambda d: _write(f"{d}/task/train.csv", text=""), "finetune", "has no rows"),
    ("header-only-csv", lambda d: _write(f"{d}/task/train.csv", text="text,label\n"), "finetune", "has no rows"),
    ("jsonl-array-line", lambda d: _write(f"{d}/task/train.jsonl", text=json.dumps(["a", "b"]) + "\n"), "finetune",
     "train.jsonl:1: a JSON list, not an object"),
    ("jsonl-broken-line", lambda d: _write(f"{d}/task/train.jsonl", text='{"text": "a", "label": \n'), "finetune",
     "train.jsonl:1: not a JSON object"),
    ("not-utf8", lambda d: _write(f"{d}/task/train.csv", raw=_csv(GOOD_ROWS).encode() + b"caf\xe9 ok,great\n"),
     "finetune", f"byte {len(_csv(GOOD_ROWS).encode()) + 3}, line 26"),
    ("row-without-label", lambda d: _write(f"{d}/task/train.csv", text=_csv(GOOD_ROWS) + "no label here\n"),
     "finetune", "no 'label' in row(s) [25]"),
    ("one-class", lambda d: _write(f"{d}/task/train.jsonl", [dict(r, label="great") for r in GOOD_ROWS]), "finetune",
     "a classifier needs at least two classes"),
    ("empty-text", lambda d: _write(f"{d}/task/train.jsonl", GOOD_ROWS + [{"text": " ", "label": "great"}]),
     "finetune", "empty 'text' in row(s) [25]"),
    ("no-label-column", lambda d: _write(f"{d}/task/train.jsonl", [{"text": "a", "y": 1}]), "finetune",
     "has no column(s) ['label']"),
    ("unknown-task", None, "finetune --task glue_sst2", "Unknown task 'glue_sst2'"),
    ("missing-model", None, "finetune --model {d}/nope", "is not a directory"),
    ("output-is-a-file", None, "finetune --output-dir {d}/file.txt", "is an existing file"),
    ("distill-output-is-a-file", None, "distill-task --output-dir {d}/file.txt", "is an existing file"),
    ("export-output-is-a-file", None, "export --output-dir {d}/file.txt", "is an existing file"),
    ("bad-choice", None, "distill-task --intermediate-optimizer sgd",
     "intermediate_optimizer='sgd'; use one of adam, bert_adam"),
    ("max-length-too-long", None, "finetune --max-length 100", "exceeds the model's max_position_embeddings=64"),
    ("nan-loss", None, "finetune --learning-rate 1e30 --warmup-ratio 0", "loss became NaN/inf"),
    ("bench-missing-tflite", None, "bench", "is missing though"),
    ("other-settings", None, "finetune --epochs 2", "holds a finetune run made with other settings (epochs: 1 -> 2)"),
    ("input-changed", None, "finetune", "holds a finetune run made from other inputs: the contents of task"),
    ("unknown-preset", None, "recipe --preset huge", "preset='huge'; use one of demo, full, paper."),
]

BASE = {
    "finetune": "finetune --model {model} --task {task} --output-dir {d}/out --max-length 16 --batch-size 8 "
                "--epochs 1",
    "distill-task": "distill-task --teacher {model} --task {task} --output-dir {d}/out --max-length 16",
    "export": "export --model {model} --task {task} --output-dir {d}/out --max-length 16",
    "bench": "bench --exports s={d}/export --output-dir {d}/out",
    "recipe": "recipe --teacher {model} --task {task} --output-dir {d}/out --max-length 16",
}


def _args(spec, d, model, task):
    command, *extra = spec.split(" ", 1)
    base = BASE[command].format(d=d, model=model, task=task).split()
    overrides = extra[0].format(d=d).split() if extra else []
    for i in range(0, len(overrides), 2):  # a flag given again replaces the base one
        if overrides[i] in base:
            base[base.index(overrides[i]) + 1] = overrides[i + 1]
        else:
            base += overrides[i:i + 2]
    return base


@pytest.fixture(scope="module")
def model_dir(tokenizer, tmp_path_factory):
    return save_pretrained(BertEncoder(tiny_config(tokenizer.vocab_size)), str(tmp_path_factory.mktemp("m") / "m"),
                           tokenizer=tokenizer)


def _snapshot(d):
    return sorted((os.path.relpath(os.path.join(r, f), d), os.path.getsize(os.path.join(r, f)))
                  for r, _, fs in os.walk(d) for f in fs) if os.path.isdir(d) else None


@pytest.mark.parametrize("name,build,spec,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line_and_writes_nothing(name, build, spec, words, model_dir, tmp_path, capsys,
                                                        record_property):
    d = str(tmp_path)
    task = build(d) if build else _write(f"{d}/task/train.jsonl", GOOD_ROWS)
    (tmp_path / "file.txt").write_text("mine")
    if name == "bench-missing-tflite":
        os.makedirs(f"{d}/export")
        (tmp_path / "export" / "export_report.json").write_text(json.dumps(
            {"variants": {"float32": {"path": f"{d}/export/float32/model.tflite", "test": {"accuracy": 1.0}}}}))
    if name in ("other-settings", "input-changed"):
        assert cli.main(_args("finetune", d, model_dir, task)) == 0
    if name == "input-changed":  # the same command, but the training file was edited since
        with open(os.path.join(task, "train.jsonl"), "a") as f:
            f.write(json.dumps({"text": "the snack is stale", "label": "other"}) + "\n")
    out = os.path.join(d, "out")
    before = _snapshot(out)
    capsys.readouterr()

    rc = cli.main(_args(spec, d, model_dir, task))
    err = capsys.readouterr().err.strip()
    record_property("bad_input", (name, err))
    assert rc == 2, err
    assert words in err and err.count("\n") == 0 and "Traceback" not in err, err
    assert (tmp_path / "file.txt").read_text() == "mine"
    # Nothing half-written: the output folder is as it was (absent, or the finished run untouched).
    assert _snapshot(out) == before, _snapshot(out)
