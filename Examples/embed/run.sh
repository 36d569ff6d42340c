#!/usr/bin/env bash
# Builds the embedding example against the interpreter PYTHON names (python3 by default) and
# runs it with that interpreter's packages (NumPy, swiftbuf) on its path. Arguments go to the
# program (--before-init shows the error an API call before Py_Initialize gives).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
SCRATCH=${SCRATCH:-.build}
{ read -r INCLUDE; read -r LIBDIR; read -r LIBRARY; read -r PATHS; } < <("$PYTHON" - <<'PY'
import os, sys, sysconfig
import numpy, swiftbuf
v = sysconfig.get_config_var
# The embedded interpreter is the same libpython, but it does not know a venv or an editable
# install: give it the folders $PYTHON imports NumPy and swiftbuf from, then its own path.
found = [os.path.dirname(os.path.dirname(m.__file__)) for m in (swiftbuf, numpy)]
print(sysconfig.get_paths()["include"], v("LIBDIR"), "python" + v("LDVERSION"),
      os.pathsep.join(found + [p for p in sys.path[1:] if p]), sep="\n")
PY
)
swift build -c release --scratch-path "$SCRATCH" -Xcc "-I$INCLUDE" \
    -Xlinker "-L$LIBDIR" -Xlinker "-l$LIBRARY" -Xlinker -rpath -Xlinker "$LIBDIR" >&2
PYTHONPATH="$PATHS" "$SCRATCH/release/EmbedNumPy" "$@"
