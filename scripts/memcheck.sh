#!/usr/bin/env bash
# Runs CPython's own test_buffer with swiftbuf on both sides (swiftbuf.testing producing every
# layout, swiftbuf.MemoryView consuming it) under valgrind's memcheck: any invalid read or write,
# or use of uninitialised memory in swiftbuf, fails the run. Takes about five minutes.
# Needs the extension built in place (scripts/test.sh does that).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# valgrind must run the interpreter itself, not a launcher script (pyenv's shims are bash).
REAL_PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)')
REAL_PYTHON=$(readlink -f "$REAL_PYTHON")
[ -x "$REAL_PYTHON" ] || { echo "no interpreter binary found for $PYTHON"; exit 1; }
echo "== memcheck: test_buffer with swiftbuf.testing and swiftbuf.MemoryView, under valgrind"
PYTHONMALLOC=malloc valgrind --tool=memcheck --error-exitcode=99 --leak-check=no \
    --suppressions=scripts/valgrind-python.supp -q \
    "$REAL_PYTHON" -m pytest -q -p no:cacheprovider tests_py/test_cpython_buffer.py \
    -k test_test_buffer_with_swiftbuf_testing_and_memoryview
