#!/usr/bin/env bash
# Builds and verifies an APK of the demo with Debian's hand tools (no Gradle, no Google Maven):
#   aapt package -> javac --release 8 -> dx -> aapt add -> zipalign -> apksigner,
# then `apksigner verify`, `aapt dump badging`, and checks the model is stored uncompressed.
#
#   android_demo/scripts/build_apk.sh [BUNDLE_DIR]   (default: runs/demo/export/bundle)
#
# What this APK is: a packaging and compilation check of the real app code, manifest,
# resources and bundle. What it is NOT: the runnable app. LiteRT (org.tensorflow.lite) and
# MediaPipe Tasks are only on Google's Maven, so litert/ and mediapipe/ are left out and
# EngineChoice reports the missing runtime when a model would run. Build the real app with Gradle.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
BUNDLE="${1:-$HERE/../runs/demo/export/bundle}"
TOOLS="$HERE/.tools"
OUT="$HERE/build/apk"
[ -f "$TOOLS/android.jar" ] && [ -x "$TOOLS/dx" ] || { echo "Run android_demo/scripts/install_tools.sh first." >&2; exit 2; }
for f in bundle.json model.tflite vocab.txt labels.txt; do
  [ -f "$BUNDLE/$f" ] || { echo "$BUNDLE/$f missing: pass a bundle written by \`tinybert-tf export\`." >&2; exit 2; }
done
rm -rf "$OUT" && mkdir -p "$OUT/gen" "$OUT/classes" "$OUT/assets/bundle"
cp "$BUNDLE"/{bundle.json,model.tflite,vocab.txt,labels.txt} "$OUT/assets/bundle/"

# AGP 8 takes the package and SDK levels from app/build.gradle; aapt wants them in the manifest / flags.
sed 's#<manifest xmlns:android="http://schemas.android.com/apk/res/android">#<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="org.tinybert.demo">#' \
  "$HERE/app/src/main/AndroidManifest.xml" > "$OUT/AndroidManifest.xml"
aapt package -f -m -J "$OUT/gen" -M "$OUT/AndroidManifest.xml" -S "$HERE/app/src/main/res" \
  -A "$OUT/assets" -I "$TOOLS/android.jar" -0 tflite \
  --min-sdk-version 23 --target-sdk-version 23 --version-code 1 --version-name 0.1-handbuilt \
  -F "$OUT/unaligned.apk"

sources=$(find "$HERE/core/src/main/java" "$HERE/app/src/main/java" -name '*.java' -not -path '*/litert/*' -not -path '*/mediapipe/*')
javac --release 8 -Xlint:-options -cp "$TOOLS/android.jar" -d "$OUT/classes" "$OUT/gen/org/tinybert/demo/R.java" $sources
"$TOOLS/dx" --dex --min-sdk-version=23 --output="$OUT/classes.dex" "$OUT/classes"
(cd "$OUT" && aapt add unaligned.apk classes.dex >/dev/null)
zipalign -f -p 4 "$OUT/unaligned.apk" "$OUT/aligned.apk"

if [ ! -f "$OUT/../debug.keystore" ]; then
  keytool -genkeypair -keystore "$OUT/../debug.keystore" -storepass android -keypass android \
    -alias androiddebugkey -keyalg RSA -keysize 2048 -validity 10000 -dname "CN=Android Debug,O=Android,C=US" 2>/dev/null
fi
APK="$OUT/tinybert-demo-handbuilt.apk"
apksigner sign --ks "$OUT/../debug.keystore" --ks-pass pass:android --key-pass pass:android --out "$APK" "$OUT/aligned.apk"

echo "== apksigner verify"; apksigner verify --verbose "$APK" | grep -E "^Verifies|Verified using v[123]"
echo "== aapt dump badging"; aapt dump badging "$APK" | grep -E "^package:|^sdkVersion|^targetSdkVersion|launchable-activity"
echo "== model stored uncompressed"
method=$(unzip -v "$APK" assets/bundle/model.tflite | awk '$NF=="assets/bundle/model.tflite"{print $2}')
[ "$method" = "Stored" ] || { echo "assets/bundle/model.tflite is $method, not Stored" >&2; exit 1; }
zipalign -c -p 4 "$APK" && echo "assets/bundle/model.tflite: Stored, 4-byte aligned"
echo "== every activity the manifest declares is a class in classes.dex"
activities=$(aapt dump xmltree "$APK" AndroidManifest.xml | grep -A2 "E: activity" | sed -n 's/.*android:name([^)]*)="\.\([A-Za-z]*\)".*/\1/p')
for a in $activities; do  # (grep the dex file built above: a pipe into grep -q fails under pipefail)
  grep -aq "Lorg/tinybert/demo/$a;" "$OUT/classes.dex" || { echo "$a is declared but not in classes.dex" >&2; exit 1; }
done
echo "activities packaged:" $activities
unzip -l "$APK" | grep -E "classes.dex|assets/|AndroidManifest" 
echo "built $APK ($(stat -c %s "$APK") bytes): a packaging check without LiteRT, not the runnable app"
