"""The Swift consumer API (`PythonMemoryView`), driven through private module functions
(Sources/SwiftBufferExtension/MemoryViewConsumerHooks.swift) and checked against the builtin
memoryview on the same exporters: typed reads in C order over any layout (strided, negative,
Fortran, PIL-style, zero-size, 0-d), the contiguous fast path and its refusals, element reads
and writes, slicing and casting from Swift, and release exactly once."""
import math
import struct
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from swiftbuf import _swiftbuf
from test_memoryview_differential import SETTINGS, describe, exporters, ndarrays, numpy_arrays, outcome

SWIFT_CODES = "bBhHiIqQlLfd?"


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


@SETTINGS
@given(st.one_of(ndarrays(), numpy_arrays()), st.sampled_from(SWIFT_CODES))
def test_typed_reads_match_tolist(x, code):
    m = memoryview(x)
    if not readable(m.format, code):
        with pytest.raises(TypeError, match="cannot be read as"):
            _swiftbuf._swift_memoryview_read(x, code)
        return
    visited, gathered, contiguous = _swiftbuf._swift_memoryview_read(x, code)
    # memoryview.tolist has no explicit byte orders ('<d'); the exporter's own tolist has.
    expected = flat(x.tolist() if m.format[0] in "<>=!" else m.tolist())
    if m.format.endswith("c"):
        expected = [int.from_bytes(b, "little", signed=(code == "b")) for b in expected]
    same_numbers(visited, expected)
    same_numbers(gathered, expected)
    aligned = m.nbytes == 0 or np.frombuffer(m, dtype="u1").ctypes.data % m.itemsize == 0 if m.c_contiguous else False
    if m.c_contiguous and aligned and m.format.endswith("?") and code == "?" and any(v > 1 for v in m.tobytes()):
        # A Swift Bool must be 0 or 1: the typed fast path refuses other bytes (NumPy's raw bools).
        assert contiguous == ("memoryview: '?' data holds bytes other than 0 and 1; "
                              "read it element by element or as UInt8")
    elif m.c_contiguous and aligned:
        same_numbers(contiguous, expected)
    elif not m.c_contiguous:
        assert contiguous == "memoryview: underlying buffer is not C-contiguous"


@SETTINGS
@given(st.one_of(ndarrays(writable=True), numpy_arrays()), st.data())
def test_element_reads_and_writes(x, data):
    m = memoryview(x)
    code = code_of(m.format)
    if code is None:
        return
    indices = tuple(data.draw(st.integers(-4, 4)) for _ in range(m.ndim))
    value = None
    if not m.readonly and data.draw(st.booleans()):
        value = data.draw(st.booleans() if code == "?" else st.floats(-1e6, 1e6) if code in "fd"
                          else st.integers(-100, 100) if code.islower() else st.integers(0, 200))
    expected = outcome(lambda: m[indices] if indices else m[()])
    got = outcome(lambda: _swiftbuf._swift_memoryview_element(x, code, indices, value))
    if expected[0] == "error":
        assert got == expected           # IndexError "index out of bounds on dimension N"
        return
    if value is None:
        assert got == expected
    else:
        assert got[0] == "ok"
        m[indices if indices else ()] = value
        assert got == outcome(lambda: m[indices] if indices else m[()])


@SETTINGS
@given(exporters, st.none() | st.integers(-6, 6), st.none() | st.integers(-6, 6), st.sampled_from([None, 1, 2, -1, -3]),
       st.sampled_from([None, "B", "c", "b", "d", "@i"]), st.none() | st.lists(st.integers(1, 4), max_size=2))
def test_slice_and_cast_from_swift_match_python(x, start, stop, step, fmt, shape):
    def python():
        m = memoryview(x)
        if (start, stop, step) != (None, None, None):
            m = m[start:stop:step]
        if fmt is not None:
            m = m.cast(fmt) if shape is None else m.cast(fmt, shape)
        return m
    expected = outcome(python)
    got = outcome(lambda: _swiftbuf._swift_memoryview_view(x, start, stop, step, fmt, shape))
    assert got == expected


def test_views_made_in_swift_share_the_export():
    ba = bytearray(range(10))
    v = _swiftbuf._swift_memoryview_view(ba, 2, None, 2, None, None)
    assert v.obj is ba and v.tolist() == [2, 4, 6, 8]
    with pytest.raises(BufferError):
        ba.append(0)
    v[0] = 99
    assert ba[2] == 99
    v.release()
    ba.append(0)


def test_release_happens_exactly_once():
    ba = bytearray(4)
    _swiftbuf._swift_memoryview_release(ba)
    ba.append(1)                                  # the export was given back
    with pytest.raises(BufferError, match="^memoryview has 1 exported buffer$"):
        _swiftbuf._swift_memoryview_release(ba, True)
    ba.append(2)                                  # and given back when the value was dropped
    assert ba == bytearray([0, 0, 0, 0, 1, 2])


def test_refusals():
    with pytest.raises(TypeError, match="a bytes-like object is required, not 'int'"):
        _swiftbuf._swift_memoryview_read(1, "B")
    with pytest.raises(TypeError, match="format 'B' cannot be read as Double"):
        _swiftbuf._swift_memoryview_read(b"12345678", "d")
    # Fortran order: typed iteration works, the contiguous fast path refuses.
    a = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    visited, gathered, contiguous = _swiftbuf._swift_memoryview_read(a, "d")
    assert visited == gathered == a.ravel(order="C").tolist()
    assert contiguous == "memoryview: underlying buffer is not C-contiguous"
    with pytest.raises(TypeError, match="^cannot modify read-only memory$"):
        _swiftbuf._swift_memoryview_element(b"ab", "B", (0,), 1)
