#!/usr/bin/env bash
# Runs the coverage-guided fuzz target fuzz/fuzz_memoryview.py (atheris; swiftbuf against the
# builtin memoryview and struct) for MINUTES minutes, from the seed corpus (every format
# CPython's test_buffer uses, made by fuzz/make_corpus.py) and the corpus earlier runs grew in
# .build-fuzz/corpus. A disagreement or crash is saved in fuzz/findings/, which
# tests_py/test_fuzz_findings.py replays in every test run: commit it with the fix.
#
#   bash scripts/fuzz.sh 10          # ten minutes with the installed (release) extension
#   bash scripts/fuzz.sh 10 --asan   # with the ASan build of scripts/asan.sh (slower, sees more)
#
# Coverage is of the Python driver's bytecode: atheris's wheel has no hook into the Swift
# library's branches (that would need the library built with -sanitize-coverage and a libFuzzer
# shared runtime atheris can use, which the wheel does not ship).
# scripts/fuzz-native.sh is the target with native coverage: libFuzzer on the Swift core itself.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
MINUTES=${1:?usage: scripts/fuzz.sh MINUTES [--asan]}
"$PYTHON" -c 'import atheris' 2>/dev/null || "$PYTHON" -m pip install -q atheris
mkdir -p .build-fuzz/corpus .build-fuzz/seeds fuzz/findings
"$PYTHON" fuzz/make_corpus.py .build-fuzz/seeds
FUZZ=("$PYTHON" fuzz/fuzz_memoryview.py -max_total_time=$((MINUTES * 60)) -artifact_prefix=fuzz/findings/
      -print_final_stats=1 .build-fuzz/corpus .build-fuzz/seeds)
if [ "${2:-}" = "--asan" ]; then
    bash scripts/asan.sh --run "${FUZZ[@]}"
else
    "$PYTHON" -c 'import swiftbuf._swiftbuf'    # built and importable (pip install -e .)
    "${FUZZ[@]}"
fi
