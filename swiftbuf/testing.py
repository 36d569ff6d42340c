"""A drop-in for CPython's ``_testbuffer`` test module, with Swift behind it.

``ndarray`` produces every layout the buffer protocol allows (any shape, strides of any sign,
offsets, Fortran order, PIL-style suboffsets, zero-size dimensions, 0-d scalars, record
formats) and re-exports other exporters' buffers with a chosen request; ``staticarray`` is a
deliberately non-compliant exporter. The module functions and the ``ND_*``/``PyBUF_*``
constants are ``_testbuffer``'s. ``from swiftbuf.testing import *`` gives exactly what
``from _testbuffer import *`` gives, so CPython's ``test.test_buffer`` runs against it
unchanged.
"""
from ._swiftbuf import testing as _native

__all__ = sorted(name for name in vars(_native) if not name.startswith("_"))
globals().update({name: getattr(_native, name) for name in __all__})
