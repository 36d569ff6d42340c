"""The public Swift export API (Sources/SwiftBufferPython: `PythonBuffer.export`, read and
written back through `PythonBufferView`), driven through swiftbuf_testext, a Swift developer's
extension module (tests_py/swift_ext, the `testext` fixture): Swift arrays and raw pointers
become swiftbuf.Buffer objects without a copy, and Swift reads and writes them under a held
export. tests_py/test_swift_package.py covers the rest of that API."""
import gc
import re
import struct
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import reference_ndarray
import swiftbuf as S
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


def test_every_element_type_is_exportable(testext):
    assert sorted(testext.formats()) == sorted(SWIFT_TYPES)


@pytest.mark.parametrize("code", sorted(SWIFT_TYPES))
@pytest.mark.parametrize("n", [0, 1, 7])
def test_array_export_is_zero_copy_with_its_format(testext, code, n):
    b, address = testext.array(code, n)
    a = np.asarray(b)
    expected = np.arange(n) % 2 == 1 if code == "?" else np.arange(n).astype(SWIFT_TYPES[code])
    assert a.dtype == np.dtype(SWIFT_TYPES[code]) and a.shape == (n,)
    assert np.array_equal(a, expected)
    if n:
        assert a.ctypes.data == address  # NumPy reads the very memory the Swift array had
    assert (b.format, b.itemsize, b.readonly) == (code, struct.calcsize(code), False)
    if code != "e":  # 3.11's memoryview has no 'e'
        assert memoryview(b).tolist() == expected.tolist()


def test_array_export_with_shape_and_strides(testext):
    b, address = testext.array("i", 12, False, [3, 2], [16, 4])
    a = np.asarray(b)
    assert a.ctypes.data == address and a.strides == (16, 4)
    assert a.tolist() == [[0, 1], [4, 5], [8, 9]]
    assert (b.c_contiguous, b.f_contiguous) == (False, False)
    ro, _ = testext.array("h", 6, True, (2, 3))
    assert ro.readonly and not np.asarray(ro).flags.writeable
    with pytest.raises(TypeError, match="cannot modify read-only memory"):
        memoryview(ro)[0, 0] = 1


@pytest.mark.parametrize("n, shape, strides, message", [
    (6, [7], None, "shape (7,) holds 7 elements, the array 6"),
    (6, [2, 2], None, "shape (2, 2) holds 4 elements, the array 6"),
    (6, [4], [8], "invalid combination of buffer, shape and strides"),
    (6, [2], [-4], "strides of exported Swift memory must not be negative"),
    (6, [-1], None, "negative dimensions are not allowed: shape (-1,)"),
    (6, [2**62, 4], [4, 4], "swiftbuf.Buffer: shape (4611686018427387904, 4) of format 'i' is too large: "
                            "product(shape) * itemsize is more than 9223372036854775807 bytes"),
    (1, [1] * 65, None, "number of dimensions must not exceed 64, not 65"),
    (1, [1] * 65, [4] * 65, "number of dimensions must not exceed 64, not 65"),
])
def test_array_export_refuses_layouts_outside_the_array(testext, n, shape, strides, message):
    with pytest.raises(ValueError) as info:
        testext.array("i", n, False, shape, strides)
    assert str(info.value) == message


@pytest.mark.parametrize("order", ["C", "F"])
def test_matrix(testext, order):
    m = testext.matrix(3, 4, order)
    a = np.asarray(m)
    assert a.tolist() == np.arange(12.0).reshape(3, 4).tolist()
    assert a.strides == ((32, 8) if order == "C" else (8, 24))
    assert np.shares_memory(a, np.asarray(m))
    assert memoryview(m).obj is m


def test_writes_go_both_ways(testext):
    m = testext.matrix(3, 4)
    a = np.asarray(m)
    a[2, 3] = 100.0                                   # NumPy writes, Swift reads
    assert testext.span_sum(m) == testext.sum(m) == sum(range(11)) + 100.0
    testext.span_scale(m, 0.5)                        # Swift writes, every view sees it
    assert a[2, 3] == 50.0 and memoryview(m)[1, 1] == 2.5
    testext.scale(m, 2.0)
    assert a[2, 3] == 100.0 and memoryview(m)[1, 1] == 5.0
    assert m.exports == 1                             # only `a`: Swift's accesses were released


def test_swift_access_works_on_any_contiguous_exporter(testext):
    assert testext.span_sum(np.arange(10.0)) == 45.0
    assert testext.span_sum(np.arange(10.0).reshape(2, 5).T) == 45.0      # Fortran-contiguous
    raw = bytearray(struct.pack("@3d", 1.5, 2.5, 3.5))
    assert testext.span_sum(memoryview(raw).cast("d")) == 7.5
    # An explicit byte order that is this machine's, with the native size, is the same Double.
    assert testext.span_sum(S.Buffer.frombytes(struct.pack("<3d", 1, 2, 3), "<d")) == 6.0
    assert testext.span_sum(S.Buffer.frombytes(struct.pack("=3d", 1, 2, 3), "=d")) == 6.0
    with pytest.raises(TypeError, match=r"^buffer format '>d' \(itemsize 8\) does not hold Double \(format 'd', size 8\)$"):
        testext.span_sum(S.Buffer.frombytes(struct.pack(">3d", 1, 2, 3), ">d"))
    with pytest.raises(TypeError, match=r"^buffer format '2d' \(itemsize 16\) does not hold Double \(format 'd', size 8\)$"):
        testext.span_sum(S.Buffer.frombytes(struct.pack("4d", 1, 2, 3, 4), "2d"))
    x = np.ones(4)
    testext.span_scale(x, 3)
    assert x.tolist() == [3.0] * 4


@pytest.mark.parametrize("obj, exc, message", [
    (lambda T: np.arange(10.0)[::2], BufferError, "the buffer is not contiguous (shape (5,), strides (16,))"),
    (lambda T: T.raw("d", [2], [16]), BufferError, "the buffer is not contiguous (shape (2,), strides (16,))"),
    (lambda T: np.arange(4, dtype=np.int32), TypeError, "buffer format 'i' (itemsize 4) does not hold Double (format 'd', size 8)"),
    (lambda T: bytearray(16), TypeError, "buffer format 'B' (itemsize 1) does not hold Double (format 'd', size 8)"),
    (lambda T: np.frombuffer(bytearray(17), dtype=np.float64, offset=1, count=2), BufferError,
     "buffer memory is not aligned for Double"),
    (lambda T: "not a buffer", TypeError, "a bytes-like object is required, not 'str'"),
])
def test_swift_access_refusals(testext, obj, exc, message):
    """The contiguous accessors refuse what they cannot give; element access (`sum`, forEach)
    reads the strided and misaligned ones, and refuses the rest alike."""
    x = obj(testext)
    with pytest.raises(exc) as info:
        testext.span_sum(x)
    assert str(info.value) == message
    if exc is BufferError:
        assert testext.sum(x) == np.asarray(x).sum()
    else:
        with pytest.raises(exc, match=re.escape(message)):
            testext.sum(x)
    if isinstance(x, S.Buffer):
        assert x.exports == 0


def frozen(a):
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("obj, exc, message", [
    (lambda T: T.matrix(2, 2, "C", True), BufferError, "swiftbuf.Buffer is not writable"),
    (lambda T: bytes(16), BufferError, "Object is not writable."),
    (lambda T: frozen(np.zeros(2)), ValueError, "buffer source array is read-only"),
])
def test_swift_writes_respect_readonly(testext, obj, exc, message):
    target = obj(testext)
    for scale in (testext.span_scale, testext.scale):
        with pytest.raises(exc) as info:
            scale(target, 2.0)
        assert str(info.value) == message
    if not isinstance(target, bytes):
        assert testext.span_sum(target) == (6.0 if isinstance(target, S.Buffer) else 0.0)


def test_c_code_exports_through_the_same_table(testext):
    """C code calls the capsule's export_memory itself (the benchmarks' reference): the same
    Buffer type, and its release callback runs once the last view is gone."""
    b = testext.c_doubles(5)
    assert type(b) is S.Buffer and b.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    a = np.asarray(b)
    del b
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0] and testext.span_sum(a) == 10.0


@pytest.mark.parametrize("strides, expected", [(None, (24, 8)), ([8, 16], (8, 16)), ([24, 8], (24, 8))])
def test_c_export_with_and_without_strides(testext, strides, expected):
    """export_memory reads the caller's shape and strides in place; NULL strides mean C order."""
    b = testext.c_matrix(2, 3, strides)
    a = np.arange(6.0)
    assert (b.shape, b.strides, b.format) == ((2, 3), expected, "d")
    assert np.array_equal(np.asarray(b), np.lib.stride_tricks.as_strided(a, (2, 3), expected))


@pytest.mark.parametrize("strides, message", [([8, -8], "strides of exported Swift memory must not be negative"),
                                              ([24, 16], "invalid combination of buffer, shape and strides"),
                                              ([24, 4], "strides must be a multiple of itemsize")])
def test_c_export_refuses_layouts_outside_the_memory(testext, strides, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        testext.c_matrix(2, 3, strides)


# MARK: raw pointers

def test_raw_export_layout_and_contents(testext):
    b = testext.raw("<i", [3, 2], [12, 4])
    raw = bytes(k % 251 for k in range(4 + 12 * 2 + 4 * 1))
    expected = np.ndarray((3, 2), dtype="<i4", buffer=raw, strides=(12, 4))
    assert np.array_equal(np.asarray(b), expected)
    assert (b.format, b.shape, b.strides, b.nbytes) == ("<i", (3, 2), (12, 4), 24)


def test_raw_deallocator_runs_once_after_the_last_view(testext):
    gc.collect()   # exports earlier tests left in cycles are not this test's
    before = testext.deallocations()
    b = testext.raw("d", [4, 4])
    owner = weakref.ref(b)
    view = memoryview(b)[1:3]
    arr = np.asarray(b)
    del b
    gc.collect()
    assert owner() is not None and testext.deallocations() == before
    del view
    assert testext.deallocations() == before
    del arr
    assert owner() is None
    assert testext.deallocations() == before + 1
    gc.collect()
    assert testext.deallocations() == before + 1


@pytest.mark.parametrize("args, kwargs, message", [
    (("d", [2]), {"strides": [-8]}, "strides of exported Swift memory must not be negative"),
    (("d", [2, 3]), {"byte_count": 40}, "invalid combination of buffer, shape and strides"),
    (("d", [2**62]), {"strides": [8], "byte_count": 16},
     "swiftbuf.Buffer: shape (4611686018427387904,) of format 'd' is too large: "
     "product(shape) * itemsize is more than 9223372036854775807 bytes"),
    (("B", [2**61]), {"strides": [8], "byte_count": 16}, "invalid combination of buffer, shape and strides"),
    (("d", [3]), {"strides": [2**62], "byte_count": 16}, "invalid combination of buffer, shape and strides"),
])
def test_failed_raw_export_still_frees_the_memory(testext, args, kwargs, message):
    gc.collect()   # exports earlier tests left in cycles are not this test's
    before = testext.deallocations()
    with pytest.raises(ValueError) as info:
        testext.raw(*args, kwargs.get("strides"), kwargs.get("byte_count"))
    assert str(info.value) == message
    assert testext.deallocations() == before + 1   # ownership passed even though it failed


def test_raw_export_with_a_bad_format_still_frees_the_memory(testext):
    gc.collect()   # exports earlier tests left in cycles are not this test's
    before = testext.deallocations()
    with pytest.raises(ValueError, match="^invalid format 'z': bad char in struct format$"):
        testext.raw("z", [1])
    assert testext.deallocations() == before + 1


@settings(max_examples=200, deadline=None)
@given(data=st.data(), fmt=st.sampled_from(["B", "h", "<i", "d", "q"]),
       shape=st.lists(st.integers(0, 4), min_size=1, max_size=3))
def test_raw_export_of_any_layout_matches_numpy(testext, data, fmt, shape):
    """Any non-negative strides (overlapping, gapped, Fortran-like): the export is exactly the
    NumPy array with that shape and those strides over the same bytes, and answers requests
    as a _testbuffer.ndarray with that layout does."""
    itemsize = struct.calcsize(fmt)
    strides = [itemsize * data.draw(st.integers(0, 6)) for _ in shape]
    b = testext.raw(fmt, shape, strides)
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
