"""swiftbuf.Buffer and NumPy: no copies, writes both ways, and layouts identical to what NumPy
builds for the same shape, dtype and order; checked over generated shapes, formats and orders."""
import struct

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import swiftbuf
from swiftbuf import Buffer

# struct codes NumPy reads natively, and the dtype it reads them as.
DTYPES = {
    "b": "i1", "B": "u1", "h": "i2", "H": "u2", "i": "i4", "I": "u4", "l": "i8", "L": "u8",
    "q": "i8", "Q": "u8", "f": "f4", "d": "f8", "?": "?", "e": "f2",
    "<i": "<i4", ">i": ">i4", "<d": "<f8", ">d": ">f8", "=h": "=i2", "!H": ">u2",
}

shapes = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)
formats = st.sampled_from(sorted(DTYPES))
orders = st.sampled_from(["C", "F"])


def random_bytes(draw, n, fmt):
    data = draw(st.binary(min_size=n, max_size=n))
    if fmt.endswith("?"):  # NumPy and struct store booleans as 0/1
        data = bytes(b & 1 for b in data)
    return data


@settings(max_examples=300, deadline=None)
@given(shape=shapes, fmt=formats, order=orders, readonly=st.booleans())
def test_zero_filled_buffer_is_numpy_zeros(shape, fmt, order, readonly):
    b = Buffer(shape, fmt, order=order, readonly=readonly)
    a = np.asarray(b)
    expected = np.zeros(shape, DTYPES[fmt], order=order)
    assert a.shape == expected.shape and a.dtype == expected.dtype
    if a.size:  # NumPy gives empty arrays its own strides; CPython's rule gives C/F strides anyway
        assert a.strides == expected.strides
    assert not a.any()
    assert a.flags.writeable == (not readonly)
    assert (b.c_contiguous, b.f_contiguous) == (expected.flags.c_contiguous, expected.flags.f_contiguous)
    assert np.shares_memory(a, np.asarray(b)) or a.size == 0


@settings(max_examples=300, deadline=None)
@given(data=st.data(), shape=shapes, fmt=formats, order=orders)
def test_frombytes_is_numpy_frombuffer_reshaped(data, shape, fmt, order):
    """`order` says how the data lies in memory, exactly as numpy.frombuffer(...).reshape(order=)."""
    itemsize = struct.calcsize(fmt)
    n = int(np.prod(shape, dtype=np.int64)) * itemsize
    raw = random_bytes(data.draw, n, fmt)
    b = Buffer.frombytes(raw, fmt, list(shape), order=order)
    expected = np.frombuffer(raw, DTYPES[fmt]).reshape(shape, order=order)
    a = np.asarray(b)
    if a.size:
        assert a.strides == expected.strides
    assert a.tobytes(order="A") == expected.tobytes(order="A") == raw
    for out in "CFA":
        assert b.tobytes(out) == expected.tobytes(order=out), out
    assert np.array_equal(a, expected, equal_nan=a.dtype.kind == "f")


@settings(max_examples=100, deadline=None)
@given(data=st.data(), fmt=formats)
def test_frombytes_without_shape_is_one_dimensional(data, fmt):
    itemsize = struct.calcsize(fmt)
    raw = random_bytes(data.draw, itemsize * data.draw(st.integers(0, 9)), fmt)
    b = Buffer.frombytes(raw, fmt)
    assert b.shape == (len(raw) // itemsize,) and b.tobytes() == raw
    assert np.asarray(b).tobytes() == np.frombuffer(raw, DTYPES[fmt]).tobytes()


def test_the_issue_example():
    b = Buffer((3, 4), "d")
    a = np.asarray(b)
    assert np.shares_memory(a, np.asarray(b))
    m = memoryview(b)
    assert (m.format, m.itemsize, m.shape, m.strides, m.obj) == ("d", 8, (3, 4), (32, 8), b)
    raw = struct.pack("<6i", *range(6))
    r = Buffer.frombytes(raw, "<i", [2, 3], order="F", readonly=True)
    assert np.asarray(r).tolist() == [[0, 2, 4], [1, 3, 5]]
    assert r.readonly and not np.asarray(r).flags.writeable
    assert b.exports == 2  # `a` and `m`
    m.release()
    del a
    assert b.exports == 0


@pytest.mark.parametrize("order", ["C", "F"])
def test_writes_go_both_ways(order):
    b = Buffer((3, 4), "d", order=order)
    a = np.asarray(b)
    a[1, 2] = 7.5
    m = memoryview(b)
    assert m[1, 2] == 7.5 and b.tolist()[1][2] == 7.5
    m[2, 3] = -1.0
    assert a[2, 3] == -1.0
    a2 = np.asarray(memoryview(b))  # a second NumPy view, through a memoryview
    a2[...] = np.arange(12.0).reshape(3, 4)
    assert np.array_equal(a, np.arange(12.0).reshape(3, 4))
    assert np.shares_memory(a, a2)
    if order == "C":
        flat = np.frombuffer(b, dtype="d")  # NumPy asks for a C-contiguous export here
        assert np.shares_memory(a, flat) and flat[5] == 5.0
    else:
        with pytest.raises(BufferError, match="not C-contiguous"):
            np.frombuffer(b, dtype="d")


def test_numpy_derived_views_keep_the_owner():
    b = Buffer((4, 4), "i")
    view = np.asarray(b)[1:3, ::2].T
    assert b.exports == 1
    view[:] = 5
    assert np.asarray(b)[1, 0] == 5 and np.asarray(b)[1, 1] == 0
    del view
    assert b.exports == 0


def test_numpy_refuses_writes_to_readonly_buffers():
    r = Buffer(3, "d", readonly=True)
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(r)[0] = 1
    a = np.frombuffer(r, dtype="d")
    assert not a.flags.writeable


def test_resize_refused_while_numpy_holds_a_view():
    b = Buffer(4, "i")
    a = np.asarray(b)
    with pytest.raises(BufferError, match="^Existing exports of data: object cannot be re-sized$"):
        b.resize(8)
    del a
    b.resize((2, 4))
    assert np.asarray(b).shape == (2, 4)
