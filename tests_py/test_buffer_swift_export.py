"""The Swift export API (Sources/SwiftBufferExtension/SwiftExport.swift), driven through the
private `swiftbuf._swiftbuf._swift_*` functions: Swift arrays and raw pointers become
swiftbuf.Buffer objects without a copy, and Swift reads and writes them under a held export."""
import gc
import struct
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import reference_ndarray
from swiftbuf import _swiftbuf as S
from test_buffer_requests import request

# Every PyBUF_* constant CPython defines, composites included.
NAMED_REQUESTS = [0x0, 0x1, 0x4, 0x8, 0x18, 0x38, 0x58, 0x98, 0x118, 0x9, 0x19, 0x1c, 0x1d, 0x11c, 0x11d,
                  0x3c, 0x5c, 0x9c, 0x3d, 0x5d, 0x9d, 0xc, 0x5]

# Every element type the issue names, and the dtype NumPy reads its format code as.
SWIFT_TYPES = {
    "b": np.int8, "B": np.uint8, "h": np.int16, "H": np.uint16, "i": np.int32, "I": np.uint32,
    "q": np.int64, "Q": np.uint64, "l": np.int_, "L": np.uint, "f": np.float32, "d": np.float64,
    "?": np.bool_, "e": np.float16,
}


def test_every_element_type_is_exportable():
    assert sorted(S._swift_array_formats()) == sorted(SWIFT_TYPES)


@pytest.mark.parametrize("code", sorted(SWIFT_TYPES))
@pytest.mark.parametrize("n", [0, 1, 7])
def test_array_export_is_zero_copy_with_its_format(code, n):
    b, address = S._swift_array(code, n, address=True)
    a = np.asarray(b)
    expected = np.arange(n) % 2 == 1 if code == "?" else np.arange(n).astype(SWIFT_TYPES[code])
    assert a.dtype == np.dtype(SWIFT_TYPES[code]) and a.shape == (n,)
    assert np.array_equal(a, expected)
    if n:
        assert a.ctypes.data == address  # NumPy reads the very memory the Swift array had
    assert (b.format, b.itemsize, b.readonly) == (code, struct.calcsize(code), False)
    if code != "e":  # 3.11's memoryview has no 'e'
        assert memoryview(b).tolist() == expected.tolist()


def test_array_export_with_shape_and_strides():
    b, address = S._swift_array("i", 12, [3, 2], [16, 4], address=True)
    a = np.asarray(b)
    assert a.ctypes.data == address and a.strides == (16, 4)
    assert a.tolist() == [[0, 1], [4, 5], [8, 9]]
    assert (b.c_contiguous, b.f_contiguous) == (False, False)
    ro = S._swift_array("h", 6, (2, 3), readonly=True)
    assert ro.readonly and not np.asarray(ro).flags.writeable
    with pytest.raises(TypeError, match="cannot modify read-only memory"):
        memoryview(ro)[0, 0] = 1


@pytest.mark.parametrize("shape, strides, message", [
    ([7], None, "shape (7,) needs 7 elements, the array has 6"),
    ([2, 2], None, "shape (2, 2) needs 4 elements, the array has 6"),
    ([4], [8], "invalid combination of buffer, shape and strides"),
    ([2], [-4], "strides of exported Swift memory must not be negative"),
    ([-1], None, "swiftbuf.Buffer: negative dimensions are not allowed: shape (-1,), format 'i'"),
    ([2**62, 4], [4, 4], "swiftbuf.Buffer: shape (4611686018427387904, 4) of format 'i' is too large: "
                         "product(shape) * itemsize is more than 9223372036854775807 bytes"),
    ([1] * 65, None, "swiftbuf.Buffer: a shape has at most 64 dimensions, this one has 65"),
])
def test_array_export_refuses_layouts_outside_the_array(shape, strides, message):
    with pytest.raises(ValueError) as info:
        S._swift_array("i", 6, shape, strides)
    assert str(info.value) == message


@pytest.mark.parametrize("order", ["C", "F"])
def test_matrix(order):
    m = S._swift_matrix(3, 4, order=order)
    a = np.asarray(m)
    assert a.tolist() == np.arange(12.0).reshape(3, 4).tolist()
    assert a.strides == ((32, 8) if order == "C" else (8, 24))
    assert np.shares_memory(a, np.asarray(m))
    assert memoryview(m).obj is m


def test_writes_go_both_ways():
    m = S._swift_matrix(3, 4)
    a = np.asarray(m)
    a[2, 3] = 100.0                                   # NumPy writes, Swift reads
    assert S._swift_sum(m) == sum(range(11)) + 100.0
    S._swift_scale(m, 0.5)                            # Swift writes, every view sees it
    assert a[2, 3] == 50.0 and memoryview(m)[1, 1] == 2.5
    assert m.exports == 1                             # only `a`: Swift's accesses were released


def test_swift_access_works_on_any_contiguous_exporter():
    assert S._swift_sum(np.arange(10.0)) == 45.0
    assert S._swift_sum(np.arange(10.0).reshape(2, 5).T) == 45.0      # Fortran-contiguous
    raw = bytearray(struct.pack("@3d", 1.5, 2.5, 3.5))
    assert S._swift_sum(memoryview(raw).cast("d")) == 7.5
    # An explicit byte order that is this machine's, with the native size, is the same Double.
    assert S._swift_sum(S.Buffer.frombytes(struct.pack("<3d", 1, 2, 3), "<d")) == 6.0
    assert S._swift_sum(S.Buffer.frombytes(struct.pack("=3d", 1, 2, 3), "=d")) == 6.0
    with pytest.raises(TypeError, match="^buffer format '>d' is not Double's format 'd'$"):
        S._swift_sum(S.Buffer.frombytes(struct.pack(">3d", 1, 2, 3), ">d"))
    with pytest.raises(TypeError, match="^buffer format '2d' is not Double's format 'd'$"):
        S._swift_sum(S.Buffer.frombytes(struct.pack("4d", 1, 2, 3, 4), "2d"))
    x = np.ones(4)
    S._swift_scale(x, 3)
    assert x.tolist() == [3.0] * 4


@pytest.mark.parametrize("obj, exc, message", [
    (lambda: np.arange(10.0)[::2], ValueError, "ndarray is not contiguous"),
    (lambda: S._swift_raw_export("d", [2], [16]), BufferError, "swiftbuf.Buffer is not contiguous"),
    (lambda: np.arange(4, dtype=np.int32), TypeError, "buffer format 'i' is not Double's format 'd'"),
    (lambda: bytearray(16), TypeError, "buffer format 'B' is not Double's format 'd'"),
    (lambda: np.frombuffer(bytearray(17), dtype=np.float64, offset=1, count=2), ValueError,
     "buffer memory is not aligned for Double"),
    (lambda: "not a buffer", TypeError, "a bytes-like object is required, not 'str'"),
])
def test_swift_access_refusals(obj, exc, message):
    with pytest.raises(exc) as info:
        S._swift_sum(obj())
    assert str(info.value) == message


def frozen(a):
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("obj, exc, message", [
    (lambda: S._swift_matrix(2, 2, readonly=True), BufferError, "swiftbuf.Buffer is not writable"),
    (lambda: bytes(16), BufferError, "Object is not writable."),
    (lambda: frozen(np.zeros(2)), ValueError, "buffer source array is read-only"),
])
def test_swift_writes_respect_readonly(obj, exc, message):
    target = obj()
    with pytest.raises(exc) as info:
        S._swift_scale(target, 2.0)
    assert str(info.value) == message
    if not isinstance(target, bytes):
        assert S._swift_sum(target) == (6.0 if isinstance(target, S.Buffer) else 0.0)


# MARK: raw pointers

def test_raw_export_layout_and_contents():
    b = S._swift_raw_export("<i", [3, 2], [12, 4])
    raw = bytes(k % 251 for k in range(4 + 12 * 2 + 4 * 1))
    expected = np.ndarray((3, 2), dtype="<i4", buffer=raw, strides=(12, 4))
    assert np.array_equal(np.asarray(b), expected)
    assert (b.format, b.shape, b.strides, b.nbytes) == ("<i", (3, 2), (12, 4), 24)


def test_raw_deallocator_runs_once_after_the_last_view():
    before = S._swift_raw_deallocations()
    b = S._swift_raw_export("d", [4, 4])
    owner = weakref.ref(b)
    view = memoryview(b)[1:3]
    arr = np.asarray(b)
    del b
    gc.collect()
    assert owner() is not None and S._swift_raw_deallocations() == before
    del view
    assert S._swift_raw_deallocations() == before
    del arr
    assert owner() is None
    assert S._swift_raw_deallocations() == before + 1
    gc.collect()
    assert S._swift_raw_deallocations() == before + 1


@pytest.mark.parametrize("args, kwargs, message", [
    (("d", [2]), {"strides": [-8]}, "strides of exported Swift memory must not be negative"),
    (("d", [2, 3]), {"byte_count": 40}, "invalid combination of buffer, shape and strides"),
    (("d", [2**62]), {"strides": [8], "byte_count": 16},
     "swiftbuf.Buffer: shape (4611686018427387904,) of format 'd' is too large: "
     "product(shape) * itemsize is more than 9223372036854775807 bytes"),
    (("B", [2**61]), {"strides": [8], "byte_count": 16}, "invalid combination of buffer, shape and strides"),
    (("d", [3]), {"strides": [2**62], "byte_count": 16}, "invalid combination of buffer, shape and strides"),
])
def test_failed_raw_export_still_frees_the_memory(args, kwargs, message):
    before = S._swift_raw_deallocations()
    with pytest.raises(ValueError) as info:
        S._swift_raw_export(*args, **kwargs)
    assert str(info.value) == message
    assert S._swift_raw_deallocations() == before + 1   # ownership passed even though it failed


def test_raw_export_formats_are_checked_before_allocating():
    before = S._swift_raw_deallocations()
    with pytest.raises(ValueError, match="^invalid format 'z': bad char in struct format$"):
        S._swift_raw_export("z", [1])
    assert S._swift_raw_deallocations() == before


@settings(max_examples=200, deadline=None)
@given(data=st.data(), fmt=st.sampled_from(["B", "h", "<i", "d", "q"]),
       shape=st.lists(st.integers(0, 4), min_size=1, max_size=3))
def test_raw_export_of_any_layout_matches_numpy(data, fmt, shape):
    """Any non-negative strides (overlapping, gapped, Fortran-like): the export is exactly the
    NumPy array with that shape and those strides over the same bytes, and answers requests
    as a _testbuffer.ndarray with that layout does."""
    itemsize = struct.calcsize(fmt)
    strides = [itemsize * data.draw(st.integers(0, 6)) for _ in shape]
    b = S._swift_raw_export(fmt, shape, strides)
    a = np.asarray(b)
    assert a.shape == tuple(shape)
    if all(shape):
        raw = bytes(k % 251 for k in range(itemsize + sum(s * (n - 1) for n, s in zip(shape, strides))))
        expected = np.ndarray(shape, dtype=np.dtype(fmt), buffer=raw, strides=strides)
        assert a.strides == tuple(strides)
        assert np.array_equal(a, expected)
        assert b.tobytes() == expected.tobytes()
        ref = reference_ndarray(raw, fmt, shape, strides)
        for flags in NAMED_REQUESTS:
            assert request(b, flags) == request(ref, flags), (strides, hex(flags))
    assert b.exports == 1
    del a
    assert b.exports == 0
