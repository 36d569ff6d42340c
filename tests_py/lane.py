"""Which lane the suite runs in, for the few tests whose measurements depend on it.

The suite runs as it is in three lanes (`.ci/run`): the plain build, AddressSanitizer
(`scripts/asan.sh`) and CPython's debug interpreter (`scripts/debug-python.sh`). Both facts are
read from the running process, not from a variable a script sets, so running the suite by hand
under either gives the same answers.
"""
import ctypes
import sys


try:
    _process = ctypes.CDLL(None)
except OSError:
    _process = None


def _asan_runtime_loaded():
    return _process is not None and hasattr(_process, "__asan_init")


# The AddressSanitizer runtime is in the process (scripts/asan.sh preloads it). Then the
# interpreter runs with PYTHONMALLOC=malloc, so pymalloc's block count reads 0, and ASan's
# allocator keeps freed memory in quarantine and adds redzones, so the resident set and glibc's
# mallinfo2 no longer describe what the program holds.
ASAN = _asan_runtime_loaded()

# A Py_DEBUG interpreter (Debian's python3.11-dbg): sys.gettotalrefcount exists, and CPython's
# own assertions are compiled in, so a few reference behaviours abort instead of misbehaving.
PY_DEBUG = hasattr(sys, "gettotalrefcount")

# pymalloc serves Python's small objects (sys.getallocatedblocks counts its blocks); with
# PYTHONMALLOC=malloc, as under ASan, the count is always 0 and cannot show a leak.
PYMALLOC = sys.getallocatedblocks() > 0


def asan_allocated_bytes():
    """Bytes ASan's allocator has handed out and not taken back, freed memory waiting in its
    quarantine not included: under ASan, what the resident set and mallinfo2 measure without
    it (both grow with the quarantine, and ASan's malloc does not feed mallinfo2)."""
    get = _process.__sanitizer_get_current_allocated_bytes
    get.restype = ctypes.c_size_t
    return get()
