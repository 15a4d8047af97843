"""Token classification and extractive QA through the training stages (fine-tuning, task
distillation, evaluation) on tiny models, from the CLI as a user runs them."""

import json
import os

import numpy as np
import pytest

from tinybert_tf import cli, data, load_pretrained
from tinybert_tf import teacher as teacher_lib
from tinybert_tf.data import DataError

TAGS = {"the": "DET", "a": "DET", "this": "DET", "great": "ADJ", "stale": "ADJ", "good": "ADJ", "bad": "ADJ",
        "sweet": "ADJ", "snack": "NOUN", "coffee": "NOUN", "tea": "NOUN", "tastes": "VERB", "is": "VERB",
        "love": "VERB", "not": "ADV", "it": "PRON", ".": ".", "!": "."}


def _sentences(rng, n):
    for _ in range(n):
        yield ([str(rng.choice(["the", "a", "this"])), str(rng.choice(["snack", "coffee", "tea", "snacks"])),
                str(rng.choice(["is", "tastes"]))] + (["not"] if rng.random() < 0.5 else [])
               + [str(rng.choice(["great", "stale", "good", "bad", "sweet"])), str(rng.choice([".", "!"]))])


@pytest.fixture
def conll_dir(tmp_path):
    """A tagging task a tiny model learns: each word's tag follows from the word ("snacks"
    is two WordPieces, snack ##s: its tag sits on the first)."""
    rng = np.random.default_rng(0)
    d = tmp_path / "pos"
    d.mkdir()
    for split, n in (("train", 96), ("dev", 24), ("test", 24)):
        with open(d / f"{split}.conll", "w", encoding="utf-8") as f:
            for words in _sentences(rng, n):
                f.write("".join(f"{w}\t{TAGS.get(w, 'NOUN')}\n" for w in words) + "\n")
    return str(d)


@pytest.fixture
def squad_dir(tmp_path):
    """SQuAD-format train/dev/test files on the tiny vocabulary: "what is great ?" is
    answered by the noun before "is great"."""
    rng = np.random.default_rng(1)
    d = tmp_path / "qa"
    d.mkdir()
    for split, n in (("train", 64), ("dev", 16), ("test", 16)):
        paragraphs = []
        for i in range(n):
            noun, other = rng.choice(["snack", "coffee", "tea"], 2, replace=False)
            context = f"the {other} is stale . this {noun} is great ! a {other} tastes bad ."
            start = context.index(f"this {noun}") + len("this ")
            paragraphs.append({"context": context, "qas": [{"id": f"{split}{i}", "question": "what is great ?",
                                                           "answers": [{"text": str(noun), "answer_start": start}]}]})
        (d / f"{split}.json").write_text(json.dumps({"data": [{"title": "t", "paragraphs": paragraphs}]}),
                                         encoding="utf-8")
    return str(d)


def _run(args):
    assert cli.main(args) == 0


@pytest.mark.slow
def test_tagging_task_from_teacher_to_distilled_student(pretrained_2layer_dir, conll_dir, tmp_path):
    task = data.load_task(conll_dir)
    assert task.kind == "token" and task.label_names[:2] == [".", "ADJ"] and "O" not in task.label_names
    teacher_dir, student_dir = str(tmp_path / "teacher"), str(tmp_path / "student")
    _run(["finetune", "--model", pretrained_2layer_dir, "--task", conll_dir, "--output-dir", teacher_dir,
          "--max-length", "16", "--batch-size", "16", "--epochs", "8", "--learning-rate", "3e-3", "--quiet"])
    teacher_metrics = json.load(open(os.path.join(teacher_dir, "metrics.json")))
    assert teacher_metrics["test"]["accuracy"] > 0.9 and teacher_metrics["test"]["truncated_words"] == 0
    teacher = load_pretrained(teacher_dir)
    assert teacher.token_classifier is not None and teacher.labels == task.label_names
    # TFLite: every variant validated on word accuracy and tag agreement; the bundle says what it holds.
    export_dir = str(tmp_path / "export")
    _run(["export", "--model", teacher_dir, "--task", conll_dir, "--output-dir", export_dir, "--max-length", "16",
          "--variants", "float32,dynamic_int8", "--quiet"])
    report = json.load(open(os.path.join(export_dir, "export_report.json")))
    assert report["variants"]["float32"]["parity_max_abs_logit_diff"] < 1e-4
    assert report["variants"]["float32"]["token_agreement"] == 1.0
    assert report["variants"]["dynamic_int8"]["test"]["accuracy"] > 0.9
    bundle = json.load(open(os.path.join(export_dir, "bundle", "bundle.json")))
    assert (bundle["task_kind"], bundle["output_kind"], bundle["labels"]) == ("token", "token_logits", task.label_names)
    assert cli.main(["predict", "--model", os.path.join(export_dir, "bundle"), "this tea is great", "--quiet"]) == 2
    # The tagging pipeline, on the Keras directory and on the app bundle (LiteRT): the same tags.
    import tinybert_tf

    text = "the  snacks is not great !"
    keras_tags = tinybert_tf.pipeline("token-classification", model=teacher_dir)(text)
    bundle_tags = tinybert_tf.pipeline("token-classification", model=os.path.join(export_dir, "bundle"))(text)
    assert [t["tag"] for t in keras_tags] == ["DET", "NOUN", "VERB", "ADV", "ADJ", "."]
    assert [t["tag"] for t in bundle_tags] == [t["tag"] for t in keras_tags]
    assert (keras_tags[1]["word"], keras_tags[1]["start"], keras_tags[1]["end"]) == ("snacks", 5, 11)
    _run(["distill-task", "--teacher", teacher_dir, "--student", "teacher-l1", "--task", conll_dir,
          "--output-dir", student_dir, "--max-length", "16", "--batch-size", "16", "--intermediate-epochs", "2",
          "--prediction-epochs", "8", "--intermediate-learning-rate", "1e-3", "--prediction-learning-rate", "3e-3",
          "--padding", "longest", "--eval-steps", "6", "--quiet"])
    metrics = json.load(open(os.path.join(student_dir, "metrics.json")))
    assert {"accuracy", "macro_f1", "n_words"} <= set(metrics["test"])
    assert metrics["test"]["accuracy"] > 0.8
    student = load_pretrained(student_dir)
    assert student.token_classifier.encoder.config.num_hidden_layers == 1
    # The stage's numbers are what `evaluate` gives for the saved student.
    assert teacher_lib.evaluate(student_dir, conll_dir, "test") == pytest.approx(metrics["test"])


@pytest.mark.slow
def test_qa_task_from_teacher_to_distilled_student(pretrained_2layer_dir, squad_dir, tmp_path):
    teacher_dir, student_dir = str(tmp_path / "teacher"), str(tmp_path / "student")
    _run(["finetune", "--model", pretrained_2layer_dir, "--task", squad_dir, "--output-dir", teacher_dir,
          "--max-length", "32", "--max-query-length", "8", "--doc-stride", "8", "--batch-size", "16", "--epochs", "10", "--learning-rate", "3e-3", "--quiet"])
    teacher_metrics = json.load(open(os.path.join(teacher_dir, "metrics.json")))
    assert teacher_metrics["test"]["exact_match"] > 90  # the answer is always the noun before "is great"
    assert load_pretrained(teacher_dir).question_answerer is not None
    export_dir = str(tmp_path / "export")
    _run(["export", "--model", teacher_dir, "--task", squad_dir, "--output-dir", export_dir, "--max-length", "32",
          "--variants", "float32,dynamic_int8", "--quiet"])
    report = json.load(open(os.path.join(export_dir, "export_report.json")))
    assert report["variants"]["float32"]["parity_max_abs_logit_diff"] < 1e-4
    assert report["variants"]["float32"]["test"]["exact_match"] == report["keras_test"]["exact_match"]
    bundle = json.load(open(os.path.join(export_dir, "bundle", "bundle.json")))
    # The windows the model was trained with travel to the app (training_config.json -> bundle).
    assert (bundle["task_kind"], bundle["output_names"], bundle["max_query_length"], bundle["doc_stride"]) == (
        "span", ["start_logits", "end_logits"], 8, 8)
    # The QA pipeline (HF's call), on the Keras directory and on the bundle: the same answer, where it is.
    import tinybert_tf

    context = "the tea is stale . this coffee is great ! a tea tastes bad ."
    for model in (teacher_dir, os.path.join(export_dir, "bundle")):
        answer = tinybert_tf.pipeline("question-answering", model=model)(question="what is great ?", context=context)
        assert (answer["answer"], answer["start"], answer["end"]) == ("coffee", 24, 30) and 0 < answer["score"] <= 1
    with pytest.raises(DataError, match="needs a token model"):
        tinybert_tf.pipeline("token-classification", model=teacher_dir)
    _run(["distill-task", "--teacher", teacher_dir, "--student", "teacher-l1", "--task", squad_dir,
          "--output-dir", student_dir, "--max-length", "32", "--max-query-length", "8", "--doc-stride", "8", "--batch-size", "16", "--intermediate-epochs", "2",
          "--prediction-epochs", "10", "--intermediate-learning-rate", "1e-3", "--prediction-learning-rate", "3e-3",
          "--padding", "longest", "--max-eval-examples", "12", "--quiet"])
    metrics = json.load(open(os.path.join(student_dir, "metrics.json")))
    assert metrics["test"]["n"] == 12 and {"exact_match", "f1", "windows"} <= set(metrics["test"])
    assert metrics["test"]["f1"] > 50
    assert load_pretrained(student_dir).question_answerer.encoder.config.num_hidden_layers == 1


@pytest.mark.slow
def test_recipe_runs_a_qa_task_without_augmentation(pretrained_2layer_dir, squad_dir, tmp_path, capsys):
    out = str(tmp_path / "recipe")
    _run(["recipe", "--teacher", pretrained_2layer_dir, "--task", squad_dir, "--student", "teacher-l1",
          "--output-dir", out, "--max-length", "32", "--max-query-length", "8", "--doc-stride", "8",
          "--batch-size", "16", "--teacher-epochs", "2", "--general-max-segments", "0", "--export-variants", "",
          "--quiet"])
    printed = capsys.readouterr().out
    assert "no data augmentation" in printed and not os.path.exists(os.path.join(out, "augmented"))
    table = open(os.path.join(out, "comparison.md")).read()
    assert "test EM" in table and "F1 vs teacher" in table
    # The stages' windows are the recipe's (recorded, so a rerun with others is refused).
    assert json.load(open(os.path.join(out, "student", "training_config.json")))["max_query_length"] == 8
    with pytest.raises(ValueError, match="prunes sequence classifiers only"):
        from tinybert_tf import recipe

        recipe.run_recipe(recipe.RecipeConfig(teacher=pretrained_2layer_dir, task=squad_dir, output_dir=str(tmp_path / "r2"),
                                              prune_hidden_size=16))
    assert not os.path.exists(tmp_path / "r2")


def test_task_kinds_refuse_what_they_cannot_use(pretrained_2layer_dir, conll_dir, squad_dir, tmp_path):
    teacher_dir = str(tmp_path / "teacher")
    _run(["finetune", "--model", pretrained_2layer_dir, "--task", conll_dir, "--output-dir", teacher_dir,
          "--max-length", "16", "--epochs", "1", "--quiet"])
    # A tagger is not a QA teacher; augmentation is for sequence tasks.
    assert cli.main(["distill-task", "--teacher", teacher_dir, "--task", squad_dir, "--student", "teacher-l1",
                     "--output-dir", str(tmp_path / "s1"), "--quiet"]) != 0
    with pytest.raises(ValueError, match="sequence tasks only"):
        from tinybert_tf import distill

        distill.task_distill(distill.TaskDistillConfig(teacher=teacher_dir, student="teacher-l1", task=conll_dir,
                                                       augmented_file="x.jsonl", output_dir=str(tmp_path / "s2")))
    assert not os.path.exists(tmp_path / "s2")
    with pytest.raises(DataError, match="SQuAD v1.1 files missing"):
        data.load_task("squad", data_dir=str(tmp_path))
    with pytest.raises(DataError, match="Brown corpus files are missing"):
        data.load_task("brown_pos", data_dir=str(tmp_path))


def test_brown_tags_map_to_the_universal_tagset(tmp_path):
    cases = {"at": "DET", "np-tl": "NOUN", "pps+bez": "PRON", "bez*": "VERB", "fw-nn": "X", "nn$": "NOUN",
             "*": "ADV", "cs": "ADP", "od": "ADJ", "``": ".", "to": "PRT", "jj-hl": "ADJ", "pp$$": "PRON"}
    assert {tag: data.brown_to_universal(tag) for tag in cases} == cases
    with pytest.raises(DataError, match="no universal tag"):
        data.brown_to_universal("zz")
    if os.path.isfile(os.path.join(data.BROWN_POS_DIR, ".fetched")):
        task = data.load_task("brown_pos")
        assert (len(task.train), len(task.dev), len(task.test)) == (45917, 5861, 5562)
        assert set(t for tags in task.test.tags for t in tags) <= set(data.UNIVERSAL_TAGS)
        import tensorflow_datasets as tfds
        import tinybert_tf.datasets.brown_pos_tfds  # noqa: F401  (registers the builder)

        ds, info = tfds.load("brown_pos", split="dev", data_dir=str(tmp_path), with_info=True)
        assert info.splits["train"].num_examples == 45917
        # TFDS stores examples in its own order: the same sentences with the same tags.
        got = sorted((" ".join(w.decode() for w in x["words"].numpy()), tuple(x["tags"].numpy().tolist()))
                     for x in ds)
        index = {tag: i for i, tag in enumerate(data.UNIVERSAL_TAGS)}
        assert got == sorted((" ".join(w), tuple(index[t] for t in tags)) for w, tags in zip(task.dev.words,
                                                                                           task.dev.tags))
    else:
        pytest.skip("Brown corpus not fetched (make setup fetches it): its split sizes are unchecked.")
