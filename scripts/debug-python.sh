#!/usr/bin/env bash
# The debug-interpreter lane: the extension built against Debian's python3.11-dbg (Py_DEBUG:
# CPython's assertions, reference-count bookkeeping, sys.gettotalrefcount) in its own scratch
# folder, .build-dbg, and pytest run under that interpreter, test_refcounts.py included (total
# reference count flat over repeated rounds of every public operation, error paths included).
#
#   bash scripts/debug-python.sh                    # the whole suite
#   bash scripts/debug-python.sh tests_py/test_x.py # pytest arguments: a subset
#   bash scripts/debug-python.sh --ci               # the part .ci/run runs (CI_TESTS below)
#
# The interpreter's packages live in a venv inside the scratch folder (.build-dbg/venv).
# NumPy's manylinux wheels import and work under the debug interpreter (since 3.8 a debug
# build loads release extensions; pip accepts cp311 wheels for it), so nothing is skipped.
# Comparisons that call a CPython reference known to assert under Py_DEBUG run in child
# processes (tests_py/support.py: run_isolated, run_forked), so CPython's own abort fails only that
# case, which then compares swiftbuf with "the reference crashed" and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
DEBUG_PYTHON=${DEBUG_PYTHON:-/usr/bin/python3.11d}
INCLUDE=/usr/include/python3.11d
SCRATCH=.build-dbg
VENV=$SCRATCH/venv
# The CI part: the reference-count check, tests whose CPython references abort under Py_DEBUG
# (isolated: the allocation failures, iter() of a released view, the format sweep's pad-only
# formats), threads, CPython's test_buffer with both of swiftbuf's modules, and a Swift
# developer's extension module built against the debug headers. The lifetime tests run under
# ASan and in the plain lane instead, and test_examples.py (two more package builds) only in the
# whole suite, to keep CI under 15 minutes. A new test file goes here too.
CI_TESTS=(
    tests_py/test_refcounts.py tests_py/test_adversarial_oom.py tests_py/test_memoryview_api.py
    tests_py/test_threads.py
    "tests_py/test_cpython_buffer.py::test_test_buffer_with_swiftbuf_testing_and_memoryview"
    tests_py/test_swift_package.py "tests_py/test_testing_differential.py::test_format_sweep"
)

if [ ! -x "$DEBUG_PYTHON" ] || [ ! -f "$INCLUDE/Python.h" ] || ! "$DEBUG_PYTHON" -c 'import test.test_buffer' 2>/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3.11-dbg python3.11-dev libpython3.11-testsuite python3.11-venv
fi
if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p "$SCRATCH"
    "$DEBUG_PYTHON" -m venv "$VENV"
fi
# wheel: test_examples.py pip-installs the python-extension example without build isolation.
"$VENV/bin/python" -c 'import numpy, pytest, hypothesis, wheel' 2>/dev/null ||
    "$VENV/bin/python" -m pip install -q numpy pytest hypothesis wheel

echo "== debug-python: building the extension against $INCLUDE"
swift build -c release --scratch-path "$SCRATCH" --product _swiftbuf -Xcc "-I$INCLUDE" -Xswiftc -static-stdlib
LIB=$PWD/$SCRATCH/release/lib_swiftbuf.so

export SWIFTBUF_EXTENSION=$LIB
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
"$VENV/bin/python" -c '
import sys, swiftbuf._swiftbuf as m
assert hasattr(sys, "gettotalrefcount"), "not a Py_DEBUG interpreter"
assert m.__file__ == sys.argv[1], m.__file__' "$LIB"

if [ $# -eq 0 ]; then set -- tests_py; fi
if [ "$1" = "--ci" ]; then set -- "${CI_TESTS[@]}"; fi
# A Swift developer's extension module (tests_py/swift_package.py) built against the debug
# headers, as a user's pip build under this interpreter would be, for test_swift_package.py.
# test_examples.py builds the Examples/ packages with this interpreter too (the embedding
# example links libpython3.11d.so, as its run.sh reads LDVERSION 3.11d from this interpreter).
if [[ " $* " =~ " tests_py "|test_swift_package ]] && [ -z "${SWIFTBUF_TESTEXT:-}" ]; then
    echo "== debug-python: building the test extension (tests_py/swift_ext) against $INCLUDE"
    SWIFTBUF_TESTEXT_SCRATCH=$PWD/$SCRATCH/testext-scratch "$VENV/bin/python" tests_py/swift_package.py "$SCRATCH/testext"
    export SWIFTBUF_TESTEXT=$PWD/$SCRATCH/testext/lib
fi

# The whole suite also checks what setup.py builds for this interpreter (test_packaging.py: the
# in-place swiftbuf/_swiftbuf.cpython-311d-*.so, its exports and paths; built here with the same
# helper, in a scratch folder of its own so neither this lane's build nor the plain one's is
# undone) and runs mypy (test_typing.py), which the 'test' extra names.
if [[ " $* " =~ " tests_py "|test_packaging|test_typing ]]; then
    echo "== debug-python: the in-place module setup.py would build, and the test extra's mypy"
    "$VENV/bin/python" -c 'import mypy' 2>/dev/null || "$VENV/bin/python" -m pip install -q mypy types-setuptools
    "$VENV/bin/python" -c '
import sysconfig
from swiftbuf.build import build_swift_extension
build_swift_extension(".", "_swiftbuf", "swiftbuf._swiftbuf", "swiftbuf/_swiftbuf" + sysconfig.get_config_var("EXT_SUFFIX"),
                      scratch_path="'"$SCRATCH"'/inplace")'
fi

echo "== debug-python: pytest under $("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])') (Py_DEBUG)"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
