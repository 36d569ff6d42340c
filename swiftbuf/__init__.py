"""Swift-owned buffers for CPython and NumPy, and a Swift implementation of memoryview."""
import os as _os

if _os.environ.get("SWIFTBUF_EXTENSION"):
    # Development: load a freshly built library (e.g. .build/debug/libswiftbuf.so) without
    # installing it, so several build folders can be tried side by side.
    import importlib.util as _util
    import sys as _sys

    _spec = _util.spec_from_file_location("swiftbuf._swiftbuf", _os.environ["SWIFTBUF_EXTENSION"])
    _swiftbuf = _util.module_from_spec(_spec)
    _sys.modules["swiftbuf._swiftbuf"] = _swiftbuf
    _spec.loader.exec_module(_swiftbuf)

from ._swiftbuf import Buffer  # noqa: E402

__all__ = ["Buffer"]
