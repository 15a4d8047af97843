"""Extract `small_fine_foods` from Debian's r-cran-modeldata into JSONL files.

Provenance script for `tinybert_tf/datasets/fine_foods/`: run it to re-create
the shipped files (they are committed, so users never need to). No R needed
(see `rdata_lazy.py`; needs `pip install rdata`).

Usage:
    python scripts/extract_fine_foods.py OUT_DIR
"""

import glob
import json
import os
import subprocess
import sys
import tempfile

from rdata_lazy import read_lazy_db


def main(out_dir):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", "r-cran-modeldata"], cwd=tmp, check=True)
        deb = glob.glob(os.path.join(tmp, "r-cran-modeldata_*.deb"))[0]
        subprocess.run(["dpkg", "-x", deb, os.path.join(tmp, "x")], check=True)
        data_dir = glob.glob(os.path.join(tmp, "x/usr/lib/R/site-library/modeldata/data"))[0]
        version = os.path.basename(deb).split("_")[1]
        load = read_lazy_db(data_dir)
        # `data(small_fine_foods)` defines two data frames, stored under their own names.
        frames = {name: load(name) for name in ("training_data", "testing_data")}
    os.makedirs(out_dir, exist_ok=True)
    for split in ("training_data", "testing_data"):
        frame = frames[split]
        name = "train" if split == "training_data" else "test"
        path = os.path.join(out_dir, f"{name}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for product, review, score in zip(frame["product"], frame["review"], frame["score"]):
                f.write(json.dumps({"product": str(product), "text": str(review), "label": str(score)},
                                   ensure_ascii=False) + "\n")
        print(f"{path}: {len(frame)} rows, columns {list(frame.columns)}")
    print(f"source: Debian r-cran-modeldata {version}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tinybert_tf/datasets/fine_foods")
