"""The public Swift consumer API (`PythonBufferView<Element>`, Sources/SwiftBufferPython),
driven through swiftbuf_testext (a Swift developer's extension module, the `testext` fixture)
and checked against the builtin memoryview on the same exporters: typed reads in C order over
any layout (strided, negative, Fortran, PIL-style, zero-size, 0-d), the contiguous fast path
and its refusals, element reads and writes, reads of views sliced and cast in Python, and
release exactly once."""
import array
import math
import struct
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import swiftbuf
from test_memoryview_differential import SETTINGS, describe, exporters, ndarrays, numpy_arrays, outcome

SWIFT_CODES = "bBhHiIqQlLfd?"   # and "e", which 3.11's memoryview cannot read


def flat(x):
    if isinstance(x, list):
        return [v for item in x for v in flat(item)]
    return [x]


def same_numbers(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert type(u) is type(v) and (u == v or (isinstance(u, float) and math.isnan(u) and math.isnan(v)))


KIND = {**{c: "signed" for c in "bhilqn"}, **{c: "unsigned" for c in "BHILQN"}, "f": "float", "d": "float", "e": "float",
        "?": "bool", "c": "char", "P": "pointer"}


def readable(fmt, code):
    """The documented rule (ElementCodec.Code.format(_:holds:)): same kind of number and same
    size, natively ('d', '@d') or in this machine's explicit byte order with the standard size
    ('<d', '=d' here); 'c' reads as either 8-bit integer."""
    if len(fmt) == 2 and fmt[0] in "<>=!":
        little = {"<": True, ">": False, "!": False, "=": sys.byteorder == "little"}[fmt[0]]
        native = fmt[1]
        if little != (sys.byteorder == "little") or native not in KIND or native in "nNP":
            return False
        if struct.calcsize(fmt) != struct.calcsize(code):
            return False
    else:
        native = fmt[1:] if fmt.startswith("@") else fmt
        if len(native) != 1 or native not in KIND or struct.calcsize(native) != struct.calcsize(code):
            return False
    if KIND[native] == "char":
        return KIND[code] in ("signed", "unsigned")
    return KIND[native] == KIND[code]


def code_of(fmt):
    """The Swift element code for a view's format, or None when no Swift type reads it."""
    native = fmt[1:] if fmt.startswith("@") else fmt
    if native in ("n", "N"):
        native = {"n": "q", "N": "Q"}[native]
    return native if len(native) == 1 and native in SWIFT_CODES else None


def memory_order(values, m):
    """`values` (C order) in the order a contiguous view holds them in memory."""
    if m.c_contiguous or m.ndim < 2:
        return values
    grid = np.empty(len(values), dtype=object)
    grid[:] = values
    return grid.reshape(m.shape).ravel(order="F").tolist()


def aligned(m, code):
    """Whether a contiguous view's first byte is aligned for the Swift type of `code`."""
    return m.nbytes == 0 or np.asarray(m).__array_interface__["data"][0] % struct.calcsize(code) == 0


@SETTINGS
@given(st.one_of(ndarrays(), numpy_arrays()), st.sampled_from(SWIFT_CODES))
def test_typed_reads_match_tolist(testext, x, code):
    m = memoryview(x)
    if not readable(m.format, code):
        with pytest.raises(TypeError, match="does not hold"):
            testext.read(x, code)
        return
    visited, gathered, contiguous = testext.read(x, code)
    # memoryview.tolist has no explicit byte orders ('<d'); the exporter's own tolist has.
    expected = flat(x.tolist() if m.format[0] in "<>=!" else m.tolist())
    if m.format.endswith("c"):
        expected = [int.from_bytes(b, "little", signed=(code == "b")) for b in expected]
    same_numbers(visited, expected)
    same_numbers(gathered, expected)
    if not (m.c_contiguous or m.f_contiguous):
        assert contiguous[0] == "BufferError" and contiguous[1].startswith("the buffer is not contiguous (shape ")
    elif not aligned(m, code):
        assert contiguous[0] == "BufferError" and contiguous[1].startswith("buffer memory is not aligned for ")
    elif code == "?" and any(v > 1 for v in m.tobytes()):
        # A Swift Bool must be 0 or 1: the typed fast path refuses other bytes (NumPy's raw bools).
        assert contiguous[0] == "ValueError", contiguous
    else:
        same_numbers(contiguous, memory_order(expected, m))


@SETTINGS
@given(st.one_of(ndarrays(writable=True), numpy_arrays()), st.data())
def test_element_reads_and_writes(testext, x, data):
    m = memoryview(x)
    code = code_of(m.format)
    if code is None or 0 in m.shape:
        return
    # An index out of range is a precondition failure of PythonBufferView (as of a Swift
    # array): only valid indices, 0 ..< extent, are Swift's to handle.
    indices = tuple(data.draw(st.integers(0, n - 1)) for n in m.shape)
    value = None
    if not m.readonly and data.draw(st.booleans()):
        value = data.draw(st.booleans() if code == "?" else st.floats(-1e6, 1e6) if code in "fd"
                          else st.integers(-100, 100) if code.islower() else st.integers(0, 200))
    if value is None:
        assert outcome(lambda: testext.element(x, code, indices)) == outcome(lambda: m[indices] if indices else m[()])
    else:
        got = outcome(lambda: testext.element(x, code, indices, value))
        assert got[0] == "ok"
        m[indices if indices else ()] = value
        assert got == outcome(lambda: m[indices] if indices else m[()])


@SETTINGS
@given(exporters, st.none() | st.integers(-6, 6), st.none() | st.integers(-6, 6), st.sampled_from([None, 1, 2, -1, -3]),
       st.sampled_from([None, "B", "c", "b", "d", "@i"]), st.none() | st.lists(st.integers(1, 4), max_size=2))
def test_reads_of_sliced_and_cast_views(testext, x, start, stop, step, fmt, shape):
    """Views sliced and cast in Python (swiftbuf.MemoryView and the builtin), read from Swift
    as the typed elements their tolist() gives. (Slicing and casting from Swift itself was an
    API of the old in-extension consumer, PythonMemoryView; PythonBufferView has none: Swift
    code slices and casts by calling the view's Python methods.)"""
    for MV in (memoryview, swiftbuf.MemoryView):
        def python():
            m = MV(x)
            if (start, stop, step) != (None, None, None):
                m = m[start:stop:step]
            if fmt is not None:
                m = m.cast(fmt) if shape is None else m.cast(fmt, shape)
            return m
        made = outcome(python)
        if made[0] != "ok":
            continue
        m = python()
        code = code_of(m.format)
        if code is None or m.format == "c":
            continue
        same_numbers(testext.elements(m, code), flat(m.tolist()))


def test_views_held_in_swift_pin_the_export(testext):
    a = array.array("d", range(4))
    assert testext.hold(a) == 1
    with pytest.raises(BufferError):
        a.append(0)                               # the held PythonBufferView pins the memory
    testext.element(a, "d", (2,), 9.0)            # another view writes, the held one sees it
    assert a[2] == 9.0 and testext.element(a, "d", (2,)) == 9.0
    assert testext.release_held() == 1
    a.append(0)


def test_release_happens_exactly_once(testext):
    ba = bytearray(4)
    testext.release(ba)                           # consuming release()
    ba.append(1)                                  # the export was given back
    testext.refusal(ba, "B")                      # and given back when the value ended
    ba.append(2)
    a = array.array("d", [1.0])
    testext.acquire_release(a, 100)
    a.append(2.0)
    assert ba == bytearray([0, 0, 0, 0, 1, 2]) and a.tolist() == [1.0, 2.0]


def test_refusals(testext):
    with pytest.raises(TypeError, match="^a bytes-like object is required, not 'int'$"):
        testext.read(1, "B")
    with pytest.raises(TypeError, match=r"^buffer format 'B' \(itemsize 1\) does not hold Double \(format 'd', size 8\)$"):
        testext.read(b"12345678", "d")
    # Fortran order: typed iteration in C order, the contiguous fast path in memory order.
    a = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    visited, gathered, contiguous = testext.read(a, "d")
    assert visited == gathered == a.ravel(order="C").tolist()
    assert contiguous == a.ravel(order="F").tolist()
    # Strided: the fast path refuses, with the layout in the message.
    visited, _, contiguous = testext.read(a[:, ::2], "d")
    assert visited == [0.0, 2.0, 3.0, 5.0]
    assert contiguous == ("BufferError", "the buffer is not contiguous (shape (2, 2), strides (8, 32))")
    with pytest.raises(BufferError, match=r"^Object is not writable\.$"):
        testext.element(b"ab", "B", (0,), 1)     # a writable view of read-only memory
