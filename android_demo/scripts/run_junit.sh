#!/usr/bin/env bash
# Compiles android_demo/core (the app's pure-Java logic) for Java 8 and runs its JUnit 4
# tests on the host JVM. Prints "junit: N passed, N failed"; exits non-zero on a failure.
#   android_demo/scripts/run_junit.sh [-Dtinybert.benchOut=FILE]
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$HERE/build/junit"
CP_JUNIT=/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar
for jar in ${CP_JUNIT//:/ }; do
  [ -f "$jar" ] || { echo "$jar missing: run android_demo/scripts/install_tools.sh" >&2; exit 2; }
done
rm -rf "$BUILD" && mkdir -p "$BUILD/main" "$BUILD/test"
# --release 8: the classes must also dex with dx for the hand-built APK.
javac --release 8 -Xlint:all -Werror -d "$BUILD/main" $(find "$HERE/core/src/main/java" -name '*.java')
javac --release 8 -d "$BUILD/test" -cp "$BUILD/main:$CP_JUNIT" $(find "$HERE/core/src/test/java" -name '*.java')
classes=$(cd "$HERE/core/src/test/java" && find . -name '*Test.java' | sed 's#^\./##; s#\.java$##; s#/#.#g' | sort)
set +e
java "$@" -cp "$BUILD/main:$BUILD/test:$HERE/core/src/test/resources:$CP_JUNIT" org.junit.runner.JUnitCore $classes \
  > "$BUILD/output.txt" 2>&1
rc=$?
set -e
cat "$BUILD/output.txt"
if grep -q '^OK (' "$BUILD/output.txt"; then
  total=$(sed -n 's/^OK (\([0-9]*\) tests\?).*/\1/p' "$BUILD/output.txt"); failed=0
else
  total=$(sed -n 's/^Tests run: \([0-9]*\),.*/\1/p' "$BUILD/output.txt"); failed=$(sed -n 's/.*Failures: \([0-9]*\).*/\1/p' "$BUILD/output.txt")
fi
echo "junit: $(( ${total:-0} - ${failed:-0} )) passed, ${failed:-0} failed"
exit $rc
