"""android_demo: the app's JUnit tests, the tokenizer golden both sides share, the bundle
contract, and the APK hand-built with Debian's tools (android_demo/scripts/)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tinybert_tf import BertClassifier, BertEncoder, bench, export, save_pretrained

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "android_demo")
RESOURCES = os.path.join(DEMO, "core", "src", "test", "resources")
TOOLS_HINT = "run `bash android_demo/scripts/install_tools.sh` (make test does)"


def _require(*paths_or_tools):
    for item in paths_or_tools:
        if not (os.path.exists(item) if os.sep in item else shutil.which(item)):
            pytest.skip(f"{item} is missing: {TOOLS_HINT}")


def test_tokenizer_golden_is_what_the_python_side_produces_now():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        import make_tokenizer_golden as golden
    finally:
        sys.path.pop(0)
    from tinybert_tf import BertTokenizer
    from tinybert_tf import data as data_lib
    from tinybert_tf.checkpoint import resolve_model_dir

    fresh = golden.dump(golden.build(BertTokenizer, data_lib, resolve_model_dir))
    with open(os.path.join(RESOURCES, "tokenizer_golden.json"), encoding="utf-8") as f:
        committed = f.read()
    assert fresh == committed, "rerun scripts/make_tokenizer_golden.py and commit the result"
    assert len(json.loads(committed)["cases"]) > 800


def test_task_golden_is_what_the_python_side_produces_now():
    """The span search and tag decoding goldens the JUnit TaskGoldenTest reads."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        import make_task_golden
    finally:
        sys.path.pop(0)
    with open(os.path.join(RESOURCES, "task_golden.json"), encoding="utf-8") as f:
        committed = f.read()
    assert make_task_golden.fresh() == committed, "rerun scripts/make_task_golden.py and commit the result"
    golden = json.loads(committed)
    assert len(golden["qa"]) == 24 and any(len(q["windows"]) > 1 for q in golden["qa"])
    assert any("O" in case["tags"] for case in golden["tagging"])  # words cut off by max_length


def test_jvm_test_models_are_what_the_metadata_writer_writes():
    """The engine-choice JUnit tests read these two files; Python must read them the same way."""
    pytest.importorskip("mediapipe.tasks.metadata.metadata_schema_py_generated",
                        reason="mediapipe is not installed: the metadata files cannot be read back here")
    from tinybert_tf import tflite_metadata

    sys.path.insert(0, os.path.join(DEMO, "scripts"))
    import make_test_models

    with open(os.path.join(RESOURCES, "metadata_model.tflite"), "rb") as f:
        meta = tflite_metadata.read_metadata(f.read())
    assert meta["name"] == "test classifier" and sorted(meta["inputs"]) == sorted(tflite_metadata.BERT_INPUTS)
    assert meta["files"]["vocab.txt"].splitlines() == make_test_models.VOCAB
    assert meta["files"]["labels.txt"].splitlines() == make_test_models.LABELS
    with open(os.path.join(RESOURCES, "plain_model.tflite"), "rb") as f:
        assert tflite_metadata.read_metadata(f.read()) == {}
    # Rebuilt now, the files have the same layout (weights are random; sizes match to the byte).
    plain, with_metadata = make_test_models.build()
    assert len(with_metadata) - len(plain) == os.path.getsize(os.path.join(RESOURCES, "metadata_model.tflite")) \
        - os.path.getsize(os.path.join(RESOURCES, "plain_model.tflite"))


@pytest.mark.slow
def test_junit_suite_passes_and_its_bench_json_merges_with_the_hosts(tmp_path):
    _require("javac", "java", "/usr/share/java/junit4.jar")
    out = tmp_path / "device_bench.json"
    proc = subprocess.run(["bash", os.path.join(DEMO, "scripts", "run_junit.sh"), f"-Dtinybert.benchOut={out}"],
                          capture_output=True, text=True)
    summary = proc.stdout.strip().splitlines()[-1]
    print(summary)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert summary.startswith("junit: ") and summary.endswith(" passed, 0 failed")
    assert "golden tokenizer parity: " in proc.stdout
    parity = proc.stdout.split("golden tokenizer parity: ")[1].split()[0]
    assert parity.split("/")[0] == parity.split("/")[1], parity
    # What the app's benchmark mode writes is what the host harness merges and tables.
    device = json.loads(out.read_text())
    host = {"schema": bench.SCHEMA, "device": {"kind": "host"}, "protocol": device["protocol"],
            "results": [dict(r, model="student") for r in device["results"]]}
    merged = bench.merge(host, device)
    assert {r["model"] for r in merged["results"]} == {"student@host", "student@android"}
    assert "student@android" in bench.table(merged)


@pytest.mark.slow
def test_exported_bundle_has_the_keys_the_app_reads_and_packs_into_a_verified_apk(
        config, tokenizer, toy_task_dir, tmp_path):
    model = save_pretrained(BertClassifier(BertEncoder(config), num_labels=2), str(tmp_path / "clf"),
                            tokenizer=tokenizer, labels=["great", "other"])
    report = export.export_model(export.ExportConfig(
        model=model, task=toy_task_dir, output_dir=str(tmp_path / "export"), variants="dynamic_int8",
        bundle_variant="dynamic_int8", max_length=16, max_accuracy_drop=1.0))
    with open(os.path.join(report["bundle"], "bundle.json"), encoding="utf-8") as f:
        written = json.load(f)
    with open(os.path.join(RESOURCES, "bundle_sample.json"), encoding="utf-8") as f:
        sample = json.load(f)  # what BundleSpecTest reads
    assert set(written) == set(sample), "update android_demo/core/src/test/resources/bundle_sample.json and BundleSpec"
    assert set(written["input_names"]) == set(sample["input_names"])

    _require("aapt", "apksigner", "zipalign", "keytool", os.path.join(DEMO, ".tools", "android.jar"))
    proc = subprocess.run(["bash", os.path.join(DEMO, "scripts", "build_apk.sh"), report["bundle"]],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for line in ("Verified using v1 scheme (JAR signing): true", "Verified using v2 scheme (APK Signature Scheme v2): true",
                 "package: name='org.tinybert.demo'", "launchable-activity: name='org.tinybert.demo.MainActivity'",
                 "assets/bundle/model.tflite: Stored, 4-byte aligned",
                 "activities packaged: MainActivity QaActivity TagActivity BenchmarkActivity"):
        assert line in proc.stdout, proc.stdout
