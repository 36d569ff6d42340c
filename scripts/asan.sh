#!/usr/bin/env bash
# The AddressSanitizer lane: the extension built with ASan (Swift: -sanitize=address; the C
# shim: -fsanitize=address,undefined) in its own scratch folder, .build-asan, and pytest run
# with it loaded. Any invalid read or write, use after free or double free in swiftbuf, and any
# undefined behaviour in the C shim, ends the run with a report and a failure.
#
#   bash scripts/asan.sh                    # the whole suite, CPython's suites included
#   bash scripts/asan.sh tests_py/test_x.py # pytest arguments: a subset (.ci/run passes one)
#   bash scripts/asan.sh --ci               # the part .ci/run runs (CI_TESTS below)
#   bash scripts/asan.sh --run CMD ARGS...  # any command in the ASan environment (scripts/fuzz.sh)
#
# - UBSan covers the C shim only: swiftc refuses it on Linux ("error: unsupported option
#   '-sanitize=undefined' for target 'x86_64-unknown-linux-gnu'"); Swift traps on overflow and
#   out-of-bounds access by itself, and the core is compiled with strict memory safety.
# - The library does not link the ASan runtime (a shared library never does): the interpreter
#   is started with the toolchain's libclang_rt.asan preloaded, which also carries UBSan's
#   handlers. Child processes inherit it, so the adversarial tests' children run under ASan too.
# - PYTHONMALLOC=malloc: pymalloc's arenas would hide Python objects from ASan.
# - detect_leaks=0: the interpreter never frees some memory by design (interned strings, static
#   types); leaks are measured by tests_py/test_adversarial_leaks.py and the debug lane instead.
# - allocator_may_return_null=1: tests ask for terabytes and expect MemoryError, as malloc
#   returning NULL gives; ASan's default is to abort.
# - Tests that measure memory (resident set, pymalloc blocks, mallinfo) read tests_py/lane.py's
#   ASAN and check what still holds under it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
INCLUDE=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
SCRATCH=.build-asan
# This checkout's `swiftbuf` package, for the test extension's build (swiftbuf.build) and every
# Python this lane starts; the library itself comes from SWIFTBUF_EXTENSION below. Nothing needs
# installing (the debug lane does the same).
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
# The CI part: the tests where memory errors would show (CPython's suites with both of
# swiftbuf's modules, lifetimes, re-entrancy, threads, the fuzz findings, DLPack's capsules and
# deleters with its leak checks (64 tests, 11 s), a Swift developer's extension module built with
# the same sanitizers). The whole suite took 17 min under ASan on 2 cores at a load of ~5 (2961
# passed, 20 skipped: the Py_DEBUG-only refcount test and CPython's own skips), ~40 min at ~8;
# the differential sweeps and test_examples.py (two more package builds) stay out of CI. A new
# test file goes here to run under ASan.
CI_TESTS=(
    "tests_py/test_cpython_buffer.py::test_test_buffer_with_swiftbuf_testing_and_memoryview"
    "tests_py/test_cpython_buffer.py::test_test_memoryview_with_swiftbuf_testing_and_memoryview"
    tests_py/test_adversarial_harness.py tests_py/test_adversarial_reentrancy.py
    tests_py/test_buffer_lifetime.py tests_py/test_memoryview_lifetime.py tests_py/test_testing_lifetime.py
    tests_py/test_buffer_swift_export.py tests_py/test_buffer_dlpack.py tests_py/test_threads.py tests_py/test_fuzz_findings.py
    tests_py/test_swift_package.py
)
SANITIZE=(--sanitize=address -Xcc -fsanitize=address,undefined -Xcc -fno-sanitize-recover=undefined)

echo "== asan: building the extension with -sanitize=address (Swift), -fsanitize=address,undefined (C)"
swift build -c release --scratch-path "$SCRATCH" --product _swiftbuf "${SANITIZE[@]}" \
    -Xcc "-I$INCLUDE" -Xswiftc -static-stdlib
LIB=$PWD/$SCRATCH/release/lib_swiftbuf.so

if [ $# -eq 0 ]; then set -- tests_py; fi
if [ "$1" = "--ci" ]; then set -- "${CI_TESTS[@]}"; fi
# A Swift developer's extension module (tests_py/swift_package.py), built with the same
# sanitizers before the runtime is preloaded (swift build is not meant to run under it), for
# test_swift_package.py. The Examples/ packages that test_examples.py builds are built by the
# test with the runtime taken out of the builder's environment, and run with it.
if [ "$1" != "--run" ] && [[ " $* " =~ " tests_py "|test_swift_package ]] && [ -z "${SWIFTBUF_TESTEXT:-}" ]; then
    echo "== asan: building the test extension (tests_py/swift_ext) with the same sanitizers"
    SWIFTBUF_TESTEXT_SCRATCH=$PWD/$SCRATCH/testext-scratch "$PYTHON" tests_py/swift_package.py "$SCRATCH/testext" "${SANITIZE[@]}"
    export SWIFTBUF_TESTEXT=$PWD/$SCRATCH/testext/lib
fi

# The whole suite runs mypy (test_typing.py), which the 'test' extra names: installed if missing,
# before the runtime is preloaded (the test runs it under ASan, as a child of pytest).
if [ "$1" != "--run" ] && [[ " $* " =~ " tests_py "|test_typing ]]; then
    "$PYTHON" -c 'import mypy' 2>/dev/null || "$PYTHON" -m pip install -q mypy types-setuptools
fi

# The runtime of the compiler that instrumented the library (clang's resource directory).
RESOURCE=$(swift -print-target-info 2>/dev/null | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["paths"]["runtimeResourcePath"])')
RUNTIME=$RESOURCE/clang/lib/linux/libclang_rt.asan-$(uname -m).so
[ -f "$RUNTIME" ] || { echo "no $RUNTIME in the Swift toolchain"; exit 1; }

export SWIFTBUF_EXTENSION=$LIB
export LD_PRELOAD=$RUNTIME
export PYTHONMALLOC=malloc
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:abort_on_error=0:print_summary=1:${ASAN_OPTIONS:-}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}
"$PYTHON" -c 'import swiftbuf._swiftbuf as m, sys; assert m.__file__ == sys.argv[1], m.__file__' "$LIB"

if [ "${1:-}" = "--run" ]; then
    shift
    exec "$@"
fi
echo "== asan: pytest with $LIB"
"$PYTHON" -m pytest -q -p no:cacheprovider "$@"
