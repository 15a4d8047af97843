"""Device benchmark harness: run the Android demo app's benchmark mode through adb.

Pushes an app bundle (`tinybert-tf export`) to the device, starts the app's
`BenchmarkActivity` with the protocol as intent extras, waits for the JSON it writes (the
host harness's schema, `tinybert_tf.bench.SCHEMA`), pulls it, and merges it with host
results. With no adb or no device attached it fails within seconds and says what to do.

The intent (what the app implements; `android_demo/README.md`):

    adb shell am start -n org.tinybert.demo/.BenchmarkActivity \\
        --es model_path /data/local/tmp/tinybert/model.tflite --es seq_lens 64,128 \\
        --ei threads 1 --ei warmup 5 --ei runs 50 --es output_path <app files dir>/bench.json
"""

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
import time
from typing import Dict, List, Optional

from tinybert_tf import bench
from tinybert_tf.errors import DeviceError
from tinybert_tf.export import read_bundle

PACKAGE = "org.tinybert.demo"
ACTIVITY = ".BenchmarkActivity"
DEVICE_DIR = "/data/local/tmp/tinybert"


@dataclasses.dataclass
class DeviceBenchConfig:
    """Args:
        bundle: an app bundle directory (`<export dir>/bundle`).
        name: the model's name in the results.
        seq_lens, threads, warmup, runs: the protocol (as the host harness).
        host_results: a host `bench.json` to merge with.
        serial: adb serial when several devices are attached.
        timeout_s: how long to wait for the app's results.
    """

    bundle: str = "runs/demo/export/bundle"
    name: str = "student"
    seq_lens: str = "64,128"
    threads: int = 1
    warmup: int = 5
    runs: int = 50
    output_dir: str = "runs/bench_device"
    host_results: Optional[str] = None
    serial: Optional[str] = None
    timeout_s: int = 300


def _adb(config: DeviceBenchConfig, *args: str, timeout: float = 60) -> str:
    adb = shutil.which("adb")
    if adb is None:
        raise DeviceError("adb is not installed: `sudo apt-get install adb` (Debian/Ubuntu) or install Android "
                          "platform-tools, then connect a device with USB debugging on.")
    cmd = [adb] + (["-s", config.serial] if config.serial else []) + list(args)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise DeviceError(f"`{' '.join(cmd)}` did not answer in {timeout} s; check the device connection.") from e
    if proc.returncode != 0:
        raise DeviceError(f"`{' '.join(cmd)}` failed: {(proc.stderr or proc.stdout).strip()[-500:]}")
    return proc.stdout


def attached_devices(config: DeviceBenchConfig) -> List[str]:
    lines = _adb(dataclasses.replace(config, serial=None), "devices", timeout=10).splitlines()[1:]
    return [line.split()[0] for line in lines if line.strip().endswith("device")]


def run_device_benchmark(config: DeviceBenchConfig) -> Dict:
    meta = read_bundle(config.bundle)
    devices = attached_devices(config)
    if not devices:
        raise DeviceError("No Android device attached (`adb devices` lists none). Connect a phone with USB "
                          "debugging enabled (or start an emulator), install the demo app "
                          "(android_demo/README.md), then run this again.")
    if config.serial is None and len(devices) > 1:
        raise DeviceError(f"{len(devices)} devices attached ({', '.join(devices)}); pick one with --serial.")
    _adb(config, "shell", "mkdir", "-p", DEVICE_DIR)
    for key in ("model_file", "vocab_file", "labels_file"):
        _adb(config, "push", meta[key + "_path"], f"{DEVICE_DIR}/{meta[key]}", timeout=300)
    _adb(config, "push", os.path.join(config.bundle, "bundle.json"), f"{DEVICE_DIR}/bundle.json")
    output = f"/sdcard/Android/data/{PACKAGE}/files/bench.json"
    _adb(config, "shell", "rm", "-f", output)
    _adb(config, "shell", "am", "start", "-W", "-n", f"{PACKAGE}/{ACTIVITY}",
         "--es", "model_path", f"{DEVICE_DIR}/{meta['model_file']}", "--es", "model_name", config.name,
         "--es", "variant", meta["variant"], "--es", "seq_lens", config.seq_lens,
         "--ei", "threads", str(config.threads), "--ei", "warmup", str(config.warmup),
         "--ei", "runs", str(config.runs), "--es", "output_path", output)
    deadline = time.time() + config.timeout_s
    while True:
        listing = _adb(config, "shell", "ls", output, "2>/dev/null", "||", "true")
        if output in listing:
            break
        if time.time() > deadline:
            raise DeviceError(f"The app wrote no results to {output} within {config.timeout_s} s; check "
                              f"`adb logcat -s TinyBertBenchmark` for its error.")
        time.sleep(2)
    with tempfile.TemporaryDirectory() as d:
        local = os.path.join(d, "bench.json")
        _adb(config, "pull", output, local)
        with open(local, encoding="utf-8") as f:
            data = json.load(f)
    if "error" in data:  # BenchmarkActivity writes {"schema", "error"} when it could not run
        raise DeviceError(f"The app's benchmark failed on the device: {data['error']} "
                          "(details: `adb logcat -s TinyBertBenchmark`).")
    if data.get("schema") != bench.SCHEMA:
        raise DeviceError(f"The app wrote schema {data.get('schema')!r}, expected {bench.SCHEMA!r}: update the app.")
    if config.host_results:
        with open(config.host_results, encoding="utf-8") as f:
            data = bench.merge(json.load(f), data)
    bench.write_outputs(data, config.output_dir)
    return data
