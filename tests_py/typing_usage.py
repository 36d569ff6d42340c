"""Uses swiftbuf's public API the way a typed program would. tests_py/test_typing.py checks it
with `mypy --strict` (every assert_type must hold for the stubs) and then runs it (every
isinstance below must hold at runtime), so the stubs and the objects cannot drift apart.
Not a test module itself (pytest collects test_*.py only)."""
from __future__ import annotations

import array
import sys
from collections.abc import Iterator
from typing import Any, assert_type

import swiftbuf
import swiftbuf.testing as tb
from swiftbuf import Buffer, MemoryView


def buffer_api() -> None:
    b = Buffer((2, 3), "d")
    assert_type(b, Buffer)
    assert_type(Buffer(4), Buffer)
    assert_type(Buffer([2, 2], "i", order="F", readonly=True), Buffer)
    c = Buffer.frombytes(b"abcd", "B", (2, 2), order="C", readonly=True)
    assert_type(c, Buffer)
    assert_type(Buffer.frombytes(bytearray(4)), Buffer)
    assert_type(b.shape, tuple[int, ...])
    assert_type(b.strides, tuple[int, ...])
    assert isinstance(b.shape, tuple) and b.shape == (2, 3) and b.strides == (24, 8)
    assert_type(b.format, str)
    assert_type(b.itemsize, int)
    assert_type(b.ndim, int)
    assert_type(b.nbytes, int)
    assert_type(b.readonly, bool)
    assert_type(b.exports, int)
    assert_type(b.c_contiguous, bool)
    assert_type(b.f_contiguous, bool)
    assert isinstance(b.readonly, bool) and isinstance(b.c_contiguous, bool) and b.exports == 0
    data = b.tobytes("F")
    assert_type(data, bytes)
    assert isinstance(data, bytes) and len(data) == 48
    rows = b.tolist()
    assert_type(rows, list[Any])
    assert rows == [[0.0] * 3] * 2
    assert_type(len(b), int)
    b.resize((3, 3))
    assert b.shape == (3, 3)
    # A Buffer is a buffer wherever one is expected.
    with memoryview(c) as view, MemoryView(c) as sview:
        assert view.tobytes() == sview.tobytes() == b"abcd"
    assert bytes(c) == b"abcd"
    assert_type(swiftbuf.__version__, str)


def buffer_container_api(b: Buffer) -> None:
    """Item access, slicing, iteration, comparison, pickling and DLPack (typed; run once the
    branch that implements them is merged)."""
    assert_type(b[0], Any)
    assert_type(b[0:2], "MemoryView[Any]")
    b[0] = 1
    b[0:1] = b"\x02"
    assert b[0] == 2
    assert [x for x in b][:1] == [2]
    assert_type(b == b, bool)
    capsule = b.__dlpack__(max_version=(1, 0))
    assert type(capsule).__name__ == "PyCapsule"
    assert_type(b.__dlpack_device__(), tuple[int, int])
    assert Buffer.from_dlpack(b).shape == b.shape
    assert_type(sys.getsizeof(b), int)


def memoryview_api() -> None:
    m = MemoryView(b"abcdefgh")
    assert_type(m, "MemoryView[int]")
    assert isinstance(m, swiftbuf.memoryview)
    assert_type(m[0], int)
    assert m[0] == 97
    assert_type(m[1:3], "MemoryView[int]")
    assert isinstance(m[1:3], MemoryView)
    doubles = m.cast("d")
    assert_type(doubles, "MemoryView[float]")
    assert isinstance(doubles[0], float)
    chars = m.cast("c", [2, 4])
    assert_type(chars, "MemoryView[bytes]")
    assert chars.shape == (2, 4)
    assert_type(m.cast("?"), "MemoryView[bool]")
    assert_type(m.cast("I"), "MemoryView[int]")
    assert_type(m.shape, tuple[int, ...])
    assert_type(m.strides, tuple[int, ...])
    assert_type(m.suboffsets, tuple[int, ...])
    assert m.suboffsets == ()
    assert_type(m.tolist(), list[Any])
    assert_type(m.tobytes(), bytes)
    assert_type(m.tobytes(None), bytes)
    assert_type(m.hex(), str)
    assert m.hex(":", 2) == "6162:6364:6566:6768"
    assert m.hex(sep=b"-", bytes_per_sep=-4) == "61626364-65666768"
    assert_type(m.count(97), int)
    assert m.index(98, 0, 8) == 1
    assert_type(m.toreadonly(), "MemoryView[int]")
    assert_type(m.readonly, bool)
    assert m.obj == b"abcdefgh"
    writable = MemoryView(bytearray(4))
    writable[0] = 255
    writable[1:3] = b"\x01\x02"
    writable.cast("B", (2, 2))[1, 1] = 9
    assert writable.tolist() == [255, 1, 2, 9]
    assert_type(iter(writable), Iterator[int])
    assert 9 in writable
    assert_type(len(writable), int)
    assert_type(hash(m), int)
    with MemoryView(array.array("d", [1.5])) as d:
        assert d.format == "d"
    m.release()


def testing_api() -> None:
    nd = tb.ndarray([1, 2, 3, 4, 5, 6], shape=[2, 3], format="i", flags=tb.ND_WRITABLE | tb.ND_FORTRAN)
    assert_type(nd, tb.ndarray)
    assert_type(nd.shape, tuple[int, ...])
    assert nd.f_contiguous and nd.shape == (2, 3)
    assert_type(nd.tobytes(), bytes)
    assert_type(nd.tolist(), Any)
    nd.push([1, 2], shape=[2], format="B")
    nd.pop()
    view = nd.memoryview_from_buffer()
    assert_type(view, memoryview)
    assert isinstance(view, memoryview)
    limit: int = tb.ND_MAX_NDIM
    assert limit == 128
    assert tb.PyBUF_FULL_RO == 0x11C
    assert_type(tb.is_contiguous(nd, "F"), bool)
    assert_type(tb.py_buffer_to_contiguous(nd, "C", tb.PyBUF_FULL_RO), bytes)
    assert_type(tb.get_contiguous(nd, tb.PyBUF_READ, "C"), memoryview)
    assert_type(tb.slice_indices(slice(1, 3), 5), tuple[int, int, int, int])
    assert tb.slice_indices(slice(1, 3), 5) == (1, 3, 1, 2)
    assert_type(tb.cmp_contig(nd, nd), bool)
    assert_type(tb.get_sizeof_void_p(), int)
    assert isinstance(tb.staticarray(legacy_mode=True), tb.staticarray)


if __name__ == "__main__":
    buffer_api()
    if hasattr(Buffer, "__dlpack__"):
        buffer_container_api(Buffer.frombytes(b"\x00\x01\x02"))
    memoryview_api()
    testing_api()
    print("ok")
