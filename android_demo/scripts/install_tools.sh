#!/usr/bin/env bash
# Installs what the host-side Android checks need, and nothing into the system that Debian
# bookworm does not package itself:
#   - apt (bookworm): a JDK, junit4 (+hamcrest), aapt, apksigner, zipalign;
#   - android.jar (API 23) and dx from Debian bullseye, which bookworm no longer has:
#     fetched with a private apt configuration (own sources.list, lists, cache, status)
#     and unpacked with dpkg -x into android_demo/.tools/, so the system stays untouched.
# Idempotent; reruns take a second.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$HERE/.tools"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

need=()
command -v javac >/dev/null || need+=(default-jdk-headless)
[ -f /usr/share/java/junit4.jar ] || need+=(junit4)
for tool in aapt apksigner zipalign; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -f "$TOOLS/android.jar" ] || [ ! -x "$TOOLS/dx" ]; then
  apt_dir="$TOOLS/apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
  : > "$apt_dir/status"
  echo "deb http://deb.debian.org/debian bullseye main" > "$apt_dir/sources.list"
  opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$apt_dir/lists" -o Dir::State::Status="$apt_dir/status"
        -o Dir::Cache="$apt_dir/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq
  (cd "$apt_dir/debs" && apt-get "${opts[@]}" download libandroid-23-java dalvik-exchange \
     libandroid-23-java >/dev/null)
  rm -rf "$TOOLS/root" && mkdir -p "$TOOLS/root"
  for deb in "$apt_dir"/debs/*.deb; do dpkg -x "$deb" "$TOOLS/root"; done
  jar=$(find "$TOOLS/root" -path '*platforms/android-23*' -name android.jar | head -1)
  [ -n "$jar" ] || { echo "android.jar not found in libandroid-23-java" >&2; exit 1; }
  cp "$jar" "$TOOLS/android.jar"
  dxjar=$(find "$TOOLS/root" -path '*build-tools*' -name dx.jar | head -1)
  [ -n "$dxjar" ] || { echo "dx.jar not found in dalvik-exchange" >&2; exit 1; }
  printf '#!/bin/sh\nexec java -jar "%s" "$@"\n' "$dxjar" > "$TOOLS/dx"
  chmod +x "$TOOLS/dx"
fi
echo "android tools ready: $TOOLS (android.jar API 23, dx), $(javac -version 2>&1), junit4, aapt, apksigner, zipalign"
