"""Host benchmark harness and the adb device harness (with a stand-in adb)."""

import json
import os
import stat

import pytest

from tinybert_tf import BertClassifier, BertEncoder, bench, cli, device, export, save_pretrained


@pytest.fixture
def exported(config, tokenizer, toy_task_dir, tmp_path):
    model_dir = save_pretrained(BertClassifier(BertEncoder(config), num_labels=2), str(tmp_path / "clf"),
                                tokenizer=tokenizer, labels=["great", "other"])
    out = str(tmp_path / "export")
    export.export_model(export.ExportConfig(model=model_dir, task=toy_task_dir, output_dir=out,
                                            variants="float32,dynamic_int8", bundle_variant="dynamic_int8",
                                            max_length=16, parity_examples=4, max_accuracy_drop=0.5))
    return out


def test_host_benchmark_cli_writes_schema_table_and_plot(exported, tmp_path):
    out = str(tmp_path / "bench")
    assert cli.main(["bench", "--exports", f"tiny={exported},again={exported}", "--seq-lens", "8,16",
                     "--runs", "3", "--warmup", "1", "--output-dir", out]) == 0
    data = json.load(open(os.path.join(out, "bench.json")))
    assert data["schema"] == bench.SCHEMA and data["device"]["kind"] == "host"
    assert len(data["results"]) == 2 * 2 * 2  # models x variants x lengths
    row = data["results"][0]
    assert row["p50_ms"] <= row["p90_ms"] <= row["p99_ms"] and row["runs"] == 3
    assert 0 < row["peak_rss_mb"] < 500  # LiteRT only: importing tinybert_tf (TensorFlow) alone is ~620 MB
    table = open(os.path.join(out, "bench.md")).read()
    assert "| tiny | float32 |" in table and "1.0x" in table
    assert os.path.getsize(os.path.join(out, "bench.png")) > 1000


def test_bench_reports_missing_exports_and_too_long_sequences(exported, tmp_path, capsys):
    assert cli.main(["bench", "--exports", f"x={tmp_path}"]) == 2
    assert "run `tinybert-tf export" in capsys.readouterr().err
    assert cli.main(["bench", "--exports", f"x={exported}", "--seq-lens", "128"]) == 2  # tiny model: 64 positions
    assert "accepts sequences up to 64 tokens" in capsys.readouterr().err


def _fake_adb(tmp_path, devices, result=None):
    """An `adb` on PATH that lists `devices` and, on pull, hands back `result`."""
    script = tmp_path / "bin" / "adb"
    script.parent.mkdir()
    log = tmp_path / "adb.log"
    result_file = tmp_path / "device_result.json"
    if result is not None:
        result_file.write_text(json.dumps(result))
    script.write_text(f"""#!/bin/sh
echo "$@" >> {log}
case "$1" in
  devices) printf 'List of devices attached\\n'; for d in {' '.join(devices)}; do printf '%s\\tdevice\\n' $d; done ;;
  pull) cp {result_file} "$3" ;;
  shell) if [ "$2" = ls ]; then echo "$3"; fi ;;
esac
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script.parent), log


def test_device_benchmark_without_adb_or_device_fails_fast(exported, tmp_path, monkeypatch):
    config = device.DeviceBenchConfig(bundle=os.path.join(exported, "bundle"), output_dir=str(tmp_path / "d"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(device.DeviceError, match="adb is not installed"):
        device.run_device_benchmark(config)
    path, _ = _fake_adb(tmp_path, devices=[])
    monkeypatch.setenv("PATH", path)
    with pytest.raises(device.DeviceError, match="No Android device attached"):
        device.run_device_benchmark(config)


def test_device_benchmark_pushes_starts_pulls_and_merges(exported, tmp_path, monkeypatch):
    result = {"schema": bench.SCHEMA, "device": {"kind": "android", "model": "Pixel"},
              "protocol": {"batch": 1, "threads": 1, "warmup": 1, "runs": 3},
              "results": [{"model": "student", "variant": "dynamic_int8", "file": "model.tflite", "size_mb": 1.0,
                           "test_accuracy": 0.5, "seq_len": 16, "threads": 1, "warmup": 1, "runs": 3,
                           "p50_ms": 2.0, "p90_ms": 2.5, "p99_ms": 3.0, "mean_ms": 2.1, "peak_rss_mb": 50.0}]}
    path, log = _fake_adb(tmp_path, devices=["emulator-5554"], result=result)
    monkeypatch.setenv("PATH", path + os.pathsep + os.environ["PATH"])
    host = str(tmp_path / "host")
    bench.run_host_benchmark(bench.BenchConfig(exports=f"student={exported}", seq_lens="16", runs=2, warmup=1,
                                               output_dir=host))
    data = device.run_device_benchmark(device.DeviceBenchConfig(
        bundle=os.path.join(exported, "bundle"), seq_lens="16", runs=3, warmup=1,
        host_results=os.path.join(host, "bench.json"), output_dir=str(tmp_path / "merged"), timeout_s=5))
    models = {r["model"] for r in data["results"]}
    assert models == {"student@host", "student@android"}
    calls = log.read_text()
    assert "push" in calls and "org.tinybert.demo/.BenchmarkActivity" in calls and "--ei runs 3" in calls


def test_device_benchmark_reports_the_apps_error(exported, tmp_path, monkeypatch):
    error = {"schema": bench.SCHEMA, "error": "This APK was built without the LiteRT runtime"}
    path, _ = _fake_adb(tmp_path, devices=["emulator-5554"], result=error)
    monkeypatch.setenv("PATH", path + os.pathsep + os.environ["PATH"])
    with pytest.raises(device.DeviceError, match="benchmark failed on the device: This APK was built without"):
        device.run_device_benchmark(device.DeviceBenchConfig(
            bundle=os.path.join(exported, "bundle"), seq_lens="16", output_dir=str(tmp_path / "d"), timeout_s=5))


def test_the_table_shows_each_kind_of_exports_own_test_score():
    assert bench.test_score({"accuracy": 0.8204, "f1": 0.86}) == "82.0%"  # classifiers and taggers
    assert bench.test_score({"exact_match": 50.2, "f1": 59.43}) == "F1 59.4"  # QA, in points
    assert bench.test_score({"pearson": 0.74, "spearman": 0.7379, "mse": 1.2}) == "Spearman 0.738"
    assert bench.test_score({}) is None
    row = {"model": "qa", "variant": "dynamic_int8", "size_mb": 19.9, "test_accuracy": None, "test_score": "F1 59.4",
           "seq_len": 256, "p50_ms": 9.0, "peak_rss_mb": 80.0}
    assert "| qa | dynamic_int8 | 19.9 | F1 59.4 | 9.00 |" in bench.table({"results": [row]})
