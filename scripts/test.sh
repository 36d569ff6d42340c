#!/usr/bin/env bash
# Runs every test: the Swift core under `swift test`, then the extension under pytest
# (differential tests against CPython and NumPy, and CPython's own buffer suites).
# One release build serves both: the extension and the Swift tests share .build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
INCLUDE=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
SWIFT_FLAGS=(-c release -Xcc "-I$INCLUDE")

echo "== building the extension (swiftbuf/_swiftbuf) in place"
"$PYTHON" -m pip install --no-build-isolation -q -e .

echo "== swift test (the pure-Swift core, no Python)"
# Tests use public API only, so the release objects are reused as they are (no -enable-testing rebuild).
swift test "${SWIFT_FLAGS[@]}" --disable-testable-imports

echo "== pytest"
"$PYTHON" -m pytest tests_py -q -p no:cacheprovider "$@"
