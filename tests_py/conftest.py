"""Exporters for the swiftbuf.Buffer tests, each paired with the CPython reference exporter
(`_testbuffer.ndarray`) that has the same layout, format, contents and writability."""
import os
import struct
from dataclasses import dataclass

import _testbuffer as tb
import pytest

import swiftbuf

# Every value the nine PyBUF_* bits can spell: each flag and every combination, including
# meaningless ones (STRIDES without ND), which exporters must still answer like CPython.
ALL_FLAGS = range(0x200)


@dataclass
class Exporter:
    """A swiftbuf.Buffer and a `_testbuffer.ndarray` with the same layout and contents."""
    name: str
    buffer: object
    reference: object

    def __repr__(self):
        return self.name


def reference_ndarray(raw, fmt, shape, strides=None, *, fortran=False, readonly=False):
    """A `_testbuffer.ndarray` over a copy of `raw` (the whole underlying memory), seen as
    `shape`/`strides` items of `fmt`."""
    items = [v[0] if len(v) == 1 else v for v in struct.iter_unpack(fmt, raw)]
    flags = (0 if readonly else tb.ND_WRITABLE) | (tb.ND_FORTRAN if fortran else 0)
    if not shape:
        return tb.ndarray(items[0], shape=[], format=fmt, flags=flags)
    if strides is None:
        return tb.ndarray(items, shape=list(shape), format=fmt, flags=flags)
    return tb.ndarray(items, shape=list(shape), strides=list(strides), format=fmt, flags=flags)


def numbered_bytes(n):
    return bytes(k % 251 for k in range(n))


def buffer_exporter(shape, fmt, order="C", readonly=False):
    """frombytes over distinct bytes, and the reference built from the same bytes."""
    itemsize = struct.calcsize(fmt)
    count = 1
    for n in shape:
        count *= n
    # Round trip through struct so every byte pattern is a valid value ('?' holds only 0 or 1).
    raw = b"".join(struct.pack(fmt, *v) for v in struct.iter_unpack(fmt, numbered_bytes(count * itemsize)))
    b = swiftbuf.Buffer.frombytes(raw, fmt, list(shape), order=order, readonly=readonly)
    ref = reference_ndarray(raw, fmt, shape, fortran=(order == "F"), readonly=readonly)
    return Exporter(f"Buffer({shape}, {fmt!r}, order={order!r}, readonly={readonly})", b, ref)


def raw_exporter(fmt, shape, strides, readonly=False):
    """Foreign memory with explicit strides (non-contiguous layouts): a swiftbuf.Buffer made by
    `Buffer.from_dlpack` over a NumPy array of those bytes (the same raw-memory export a Swift
    extension's `PythonBuffer.export(unsafeBytes:)` makes, tests_py/test_buffer_swift_export.py),
    and the reference."""
    import numpy as np
    raw = numbered_bytes(_span(shape, strides, struct.calcsize(fmt)))
    a = np.ndarray(shape, dtype=fmt, buffer=bytearray(raw), strides=strides)
    a.flags.writeable = not readonly
    b = swiftbuf.Buffer.from_dlpack(a)
    assert (b.format, b.shape, b.strides, b.readonly) == (fmt, tuple(shape), tuple(strides), readonly)
    ref = reference_ndarray(raw, fmt, shape, strides, readonly=readonly)
    return Exporter(f"raw({fmt!r}, {shape}, strides={strides}, readonly={readonly})", b, ref)


def _span(shape, strides, itemsize):
    return itemsize + sum(s * (n - 1) for n, s in zip(shape, strides) if s > 0)


# _testbuffer.ndarray cannot hold zero elements ("initializer list or tuple must not be empty"),
# so zero-size layouts are checked against memoryview/NumPy elsewhere, not here.
LAYOUTS = [
    ((), "d", "C"),
    ((1,), "B", "C"),
    ((12,), "i", "C"),
    ((3, 4), "d", "C"),
    ((3, 4), "d", "F"),
    ((2, 3, 4), "h", "C"),
    ((2, 3, 4), "h", "F"),
    ((1, 5), "<q", "F"),
    ((4, 1), "f", "F"),
    ((2, 1, 3), "?", "C"),
    ((2, 3), "3s", "C"),
    ((2, 2), "<ih", "F"),
]
STRIDED = [
    ("i", (3, 4), (32, 4)),       # every other row
    ("i", (3, 4), (16, 8)),       # every other column, rows overlapping
    ("d", (4,), (16,)),
    ("B", (2, 3), (1, 2)),        # Fortran order by strides
    ("h", (3, 1), (2, 100)),      # a length-1 dimension with an odd stride: still C-contiguous
]


def every_exporter():
    exporters = []
    for readonly in (False, True):
        for shape, fmt, order in LAYOUTS:
            exporters.append(buffer_exporter(shape, fmt, order, readonly))
        for fmt, shape, strides in STRIDED:
            exporters.append(raw_exporter(fmt, shape, strides, readonly))
    return exporters


@pytest.fixture(params=every_exporter(), ids=repr)
def exporter(request):
    return request.param


@pytest.fixture(params=["C", "F"])
def order(request):
    return request.param


@pytest.fixture(scope="session")
def swift_testext_dir():
    """The directory of swiftbuf_testext, a Swift developer's extension module built from a
    fresh package that depends on this checkout (tests_py/swift_package.py)."""
    import swift_package
    directory = swift_package.built_module_directory()
    # Child processes (the adversarial suites' isolated cases) load the same build.
    os.environ[swift_package.DIRECTORY_VARIABLE] = str(directory)
    return directory


@pytest.fixture(scope="session")
def testext(swift_testext_dir):
    import swift_package
    return swift_package.load(swift_testext_dir)
