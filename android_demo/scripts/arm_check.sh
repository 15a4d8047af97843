#!/usr/bin/env bash
# Optional ARM check (not in `make test`): runs exported TFLite models on aarch64 under
# qemu-aarch64-static and compares their outputs with the x86 run. Correctness only.
#   android_demo/scripts/arm_check.sh [EXPORT_DIR (default runs/demo/export)] [N (default 64)]
# Installs qemu-user-static (apt); a Debian bookworm arm64 Python (private apt root, dpkg -x)
# and the aarch64 wheels of ai-edge-litert 1.4.0 + numpy (pip download) go to android_demo/.tools/arm64.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
ROOT_DIR="$(cd "$HERE/.." && pwd)"
EXPORT="${1:-$ROOT_DIR/runs/demo/export}"
N="${2:-64}"
ARM="$HERE/.tools/arm64"
PY="$ROOT_DIR/.venv/bin/python"
command -v qemu-aarch64-static >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null; }
if [ ! -x "$ARM/root/usr/bin/python3.11" ]; then
  apt_dir="$ARM/apt"; mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"; : > "$apt_dir/status"
  echo "deb [arch=arm64] http://deb.debian.org/debian bookworm main" > "$apt_dir/sources.list"
  opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$apt_dir/lists" -o Dir::State::Status="$apt_dir/status" -o Dir::Cache="$apt_dir/cache"
        -o Debug::NoLocking=1 -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq
  apt-get "${opts[@]}" install -y -qq --download-only python3.11-minimal libpython3.11-stdlib >/dev/null
  rm -rf "$ARM/root" && mkdir -p "$ARM/root"
  for deb in "$apt_dir"/cache/archives/*.deb; do dpkg -x "$deb" "$ARM/root"; done
fi
if [ ! -d "$ARM/site/ai_edge_litert" ]; then
  # 1.4.0: tflite-runtime 2.14 lacks the op versions TF 2.21 writes; ai-edge-litert 2.3.0 segfaults under qemu.
  "$PY" -m pip install --quiet --no-deps --target "$ARM/site" --platform manylinux_2_17_aarch64 \
    --python-version 3.11 --implementation cp --only-binary=:all: "ai-edge-litert==1.4.0" "numpy<2"
fi
work="$(mktemp -d)"
"$PY" "$HERE/scripts/arm_check.py" prepare "$EXPORT" "$N" "$work/x86.npz" 2>&1 | grep -v -E "^I0000|^W0000|^E0000|WARNING|oneDNN|cuda"
PYTHONPATH="$ARM/site" qemu-aarch64-static -L "$ARM/root" "$ARM/root/usr/bin/python3.11" \
  "$HERE/scripts/arm_check.py" run "$work/x86.npz" "$work/arm.npz" 2>&1 | grep -v "XNNPACK"
"$PY" "$HERE/scripts/arm_check.py" compare "$work/x86.npz" "$work/arm.npz"
