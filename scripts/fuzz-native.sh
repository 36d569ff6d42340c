#!/usr/bin/env bash
# Runs the native coverage-guided fuzz target fuzz/native (libFuzzer, in Swift) on the pure-Swift
# core for MINUTES minutes: struct formats, element codecs, the _testbuffer layout engine,
# requests, memoryview views, slicing, indexing, tobytes/hex, comparison, assignment, casts and
# Swift-owned memory, each checked against invariants and a reference walk written in the
# harness (fuzz/native/Sources/FuzzCore). Unlike scripts/fuzz.sh (atheris: Python coverage),
# the coverage here is of the core's own branches: the package builds with
# `-sanitize=fuzzer,address`, which instruments the core too.
#
#   bash scripts/fuzz-native.sh 10           # ten minutes, one job
#   bash scripts/fuzz-native.sh 10 -jobs=2   # extra arguments go to libFuzzer
#
# Seeds: fuzz/native/make_corpus.py (CPython's test_buffer formats, fuzz/formats.py); the
# corpus grows in .build-fuzz-native/corpus. A crash or broken invariant is saved as
# fuzz/native/findings/crash-* (not fuzz/findings/, which the atheris target replays); reproduce
# it with `.build-fuzz-native/release/FuzzCore fuzz/native/findings/crash-...`, and turn it into a
# fix plus a regression test in Tests/ (and tests_py/test_fuzz_findings.py if Python sees it).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
MINUTES=${1:?usage: scripts/fuzz-native.sh MINUTES [libFuzzer options]}
shift
# One -sanitize=fuzzer,address for every compile: SwiftPM's `--sanitize=fuzzer --sanitize=address`
# hands swiftc two -sanitize options in an order that varies between builds, and swiftc keeps
# only the last, so a build could lose its coverage instrumentation (libFuzzer then says "no
# interesting inputs"). `--sanitize=fuzzer` stays for the link, where SwiftPM then lets
# libFuzzer's main stand.
swift build -c release --package-path fuzz/native --scratch-path .build-fuzz-native \
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -v "Cannot export local symbol" || true
BIN=.build-fuzz-native/release/FuzzCore
[ -x "$BIN" ] || { echo "fuzz-native: the build failed" >&2; exit 1; }
mkdir -p .build-fuzz-native/corpus .build-fuzz-native/seeds fuzz/native/findings
"$PYTHON" fuzz/native/make_corpus.py .build-fuzz-native/seeds
# allocator_may_return_null: an allocation the core is asked for and refuses is not a finding.
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1} \
    "$BIN" -max_total_time=$((MINUTES * 60)) -artifact_prefix=fuzz/native/findings/ -print_final_stats=1 \
    -max_len=512 "$@" .build-fuzz-native/corpus .build-fuzz-native/seeds
