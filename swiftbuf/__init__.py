"""Swift-owned buffers for CPython and NumPy, and a Swift implementation of memoryview."""
import os as _os

# The one place the version is written: pyproject.toml reads it from here without importing.
__version__ = "0.1.0"

if _os.environ.get("SWIFTBUF_EXTENSION"):
    # Development: load a freshly built library (e.g. .build/debug/lib_swiftbuf.so) without
    # installing it, so several build folders can be tried side by side.
    import importlib.util as _util
    import sys as _sys

    _spec = _util.spec_from_file_location("swiftbuf._swiftbuf", _os.environ["SWIFTBUF_EXTENSION"])
    _swiftbuf = _util.module_from_spec(_spec)
    _sys.modules["swiftbuf._swiftbuf"] = _swiftbuf
    _spec.loader.exec_module(_swiftbuf)

from ._swiftbuf import Buffer  # noqa: E402
# CPython's memoryview in Swift. Its type is named `memoryview` (as the builtin, so every
# message that names the type reads the same); `swiftbuf.memoryview` is the same class, under
# the name its __module__ and __qualname__ give for pickling it by reference.
from ._swiftbuf import memoryview as MemoryView  # noqa: E402

memoryview = MemoryView

# A sequence as the builtin is (_collections_abc registers memoryview): the module is loaded at
# interpreter start-up, so this costs no import.
from _collections_abc import Sequence as _Sequence  # noqa: E402

_Sequence.register(MemoryView)

__all__ = ["Buffer", "MemoryView"]
