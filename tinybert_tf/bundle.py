"""The app bundle's contract (`model.tflite`, `vocab.txt`, `labels.txt`, `bundle.json`),
read without TensorFlow: the Android app, `tinybert-tf predict` and the device benchmark
read it; `export.write_bundle` writes it."""

import json
import os
from typing import Dict

from tinybert_tf.errors import ExportError

BUNDLE_FORMAT_VERSION = 1


def read_bundle(directory: str) -> Dict:
    """Load and check a bundle directory; returns its `bundle.json` with absolute file paths."""
    path = os.path.join(directory, "bundle.json")
    if not os.path.isfile(path):
        raise ExportError(f"No bundle.json in {directory}: create one with `tinybert-tf export`.")
    with open(path, encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("format_version") != BUNDLE_FORMAT_VERSION:
        raise ExportError(f"{path} has format_version {meta.get('format_version')}; this tinybert_tf reads "
                          f"{BUNDLE_FORMAT_VERSION}. Re-export the bundle.")
    for key in ("model_file", "vocab_file", "labels_file"):
        full = os.path.join(directory, meta[key])
        if not os.path.isfile(full):
            raise ExportError(f"The bundle lacks {meta[key]} ({full}).")
        meta[key + "_path"] = full
    return meta
