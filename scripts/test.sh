#!/usr/bin/env bash
# Runs every test: the Swift core under `swift test`, then the extension under pytest
# (differential tests against CPython and NumPy, and CPython's own buffer suites).
# The extension and the Swift tests use the same .build/release folder (see SWIFT_FLAGS).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
INCLUDE=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
# The extension's build (swiftbuf/build.py) passes -Xswiftc -static-stdlib, which reaches every
# compile, and `swift test` cannot take it (swift-testing has no static build): so the tests get
# a scratch folder of their own, and neither build undoes the other's on the next run.
SWIFT_FLAGS=(-c release -Xcc "-I$INCLUDE" --scratch-path .build-test)
# Strict memory safety (Package.swift enables it for the core, SwiftBufferPython and the
# bridge; `swift test` builds every target): every unsafe operation marked `unsafe`, every type
# holding unsafe storage marked `@safe` or `@unsafe`. Its diagnostics are warnings, which would
# scroll past; here they fail the run.
SWIFT_FLAGS+=(-Xswiftc -Werror -Xswiftc StrictMemorySafety)

echo "== swift test (the pure-Swift core, no Python)"
swift test "${SWIFT_FLAGS[@]}" --disable-testable-imports

echo "== installing what the build and the tests need (the 'test' extra), building the extension in place"
# --no-build-isolation builds with this environment's setuptools, which needs `wheel` before 70.1
# (a 3.11 venv has setuptools 65 and no wheel); the 'test' extra of pyproject.toml names the rest.
"$PYTHON" -c 'import setuptools, wheel, sys; sys.exit(int(setuptools.__version__.split(".")[0]) < 61)' 2>/dev/null \
    || "$PYTHON" -m pip install -q "setuptools>=61" wheel
"$PYTHON" -m pip install --no-build-isolation -q -e ".[test]"

echo "== pytest"
"$PYTHON" -m pytest tests_py -q -p no:cacheprovider "$@"
