"""swiftbuf for Swift developers: a separate Swift package (tests_py/swift_ext, copied to a fresh
folder and depending on this checkout by path, built by swiftbuf.build) whose extension module
uses the public SwiftBufferPython library. Its exports must be the one swiftbuf.Buffer type of
the process, shared with NumPy without a copy; its typed views must read every layout NumPy
and _testbuffer make; its errors must be the exceptions and messages Python users expect."""
import gc
import re
import sys
import textwrap

import _testbuffer as tb
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import swiftbuf
import swift_package
from support import run_python


# MARK: - One Buffer type, zero copies

def test_exports_are_the_swiftbuf_buffer_type(testext):
    for made in (testext.matrix(2, 3), testext.array("d", 4)[0], testext.raw("<i", (4,)), testext.typed_pointer(3)):
        assert type(made) is swiftbuf.Buffer
        assert isinstance(made, swiftbuf.Buffer)


def test_matrix_is_shared_with_numpy_both_ways(testext):
    m = testext.matrix(3, 4)
    a = np.asarray(m)
    assert a.shape == (3, 4) and a.dtype == np.float64
    assert a.tolist() == [[i * 4 + j for j in range(4)] for i in range(3)]
    assert np.shares_memory(a, np.asarray(m))
    assert memoryview(m).obj is m
    a[1, 2] = 100.0                       # NumPy writes, Swift reads
    assert testext.sum(m) == a.sum()
    testext.scale(m, 2.0)                 # Swift writes, NumPy reads
    assert a[1, 2] == 200.0 and a[0, 1] == 2.0


def test_fortran_matrix(testext):
    m = testext.matrix(2, 3, "F")
    a = np.asarray(m)
    assert a.flags.f_contiguous and not a.flags.c_contiguous
    assert a.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert m.f_contiguous


def test_readonly_export(testext):
    m = testext.matrix(2, 2, "C", True)
    assert m.readonly
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(m)[0, 0] = 1


@pytest.mark.parametrize("code", list("bBhHiIqQfd?e"))
def test_arrays_are_exported_without_a_copy(testext, code):
    buffer, address = testext.array(code, 7)
    assert np.asarray(buffer).ctypes.data == address
    expected = [i % 2 == 1 for i in range(7)] if code == "?" else list(range(7))
    assert memoryview(buffer).tolist() == expected if code != "e" else np.asarray(buffer).tolist() == expected


def test_shared_array_is_copied_only_when_writable(testext):
    # A global [Double] is still referenced by the global after the export: a writable export
    # must copy it (Python's writes may not change the Swift value), a read-only one need not.
    shared, address = testext.shared_global(True)
    assert np.asarray(shared).ctypes.data == address
    private, address = testext.shared_global(False)
    assert np.asarray(private).ctypes.data != address
    np.asarray(private)[0] = -1
    again, _ = testext.shared_global(True)
    assert np.asarray(again).tolist() == [1, 2, 3, 4]


def test_exports_are_counted_and_resize_refused(testext):
    m = testext.matrix(2, 2)
    assert m.exports == 0
    a = np.asarray(m)
    assert m.exports == 1
    with pytest.raises(BufferError, match="Existing exports of data: object cannot be re-sized"):
        m.resize((4,))
    testext.hold(m)
    assert m.exports == 2
    assert testext.release_held() == 1
    assert m.exports == 1
    del a
    gc.collect()
    assert m.exports == 0


def test_deallocator_runs_exactly_once(testext):
    gc.collect()   # exports earlier tests left in cycles are not this test's
    before = testext.deallocations()
    r = testext.raw("<i", (4,))
    a = np.asarray(r)
    v = memoryview(r)[1:]
    del r
    gc.collect()
    assert testext.deallocations() == before        # views keep the memory alive
    assert a.tolist() == np.frombuffer(bytes(range(16)), "<i").tolist()
    del a, v
    gc.collect()
    assert testext.deallocations() == before + 1
    t = testext.typed_pointer(5)
    assert t.tolist() == [0, 1, 2, 3, 4] and t.format == "i"
    del t
    assert testext.deallocations() == before + 2


@pytest.mark.parametrize("args, message", [
    (("<i", (4,), None, 15), "invalid combination of buffer, shape and strides"),   # past the bytes
    (("Z", (1,)), "invalid format 'Z': bad char in struct format"),
    (("d", (2, 2), (8, -16)), "strides of exported Swift memory must not be negative"),
])
def test_failed_export_still_deallocates(testext, args, message):
    gc.collect()   # exports earlier tests left in cycles are not this test's
    before = testext.deallocations()
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        testext.raw(*args)
    assert testext.deallocations() == before + 1


def test_array_shapes(testext):
    buffer, _ = testext.array("d", 6, False, (2, 3))
    assert np.asarray(buffer).tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match=r"^shape \(2, 3\) holds 6 elements, the array 5$"):
        testext.array("d", 5, False, (2, 3))
    with pytest.raises(ValueError, match=r"^negative dimensions are not allowed: shape \(-1,\)$"):
        testext.array("d", 5, False, (-1,))
    with pytest.raises(ValueError, match=r"^shape \(4611686018427387904, 4\) holds too many elements, the array 5$"):
        testext.array("d", 5, False, (2**62, 4))
    with pytest.raises(ValueError, match="number of dimensions must not exceed 64, not 65"):
        testext.array("d", 1, False, (1,) * 65)


# MARK: - Reading any buffer from Swift

layouts = st.sampled_from([
    lambda a: a, lambda a: a[::-1], lambda a: a[::2], lambda a: a.T, lambda a: np.asfortranarray(a),
    lambda a: a[..., ::-2], lambda a: a[1:][..., :1], lambda a: a[:0],
])


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), layout=layouts)
def test_sum_and_elements_over_numpy_layouts(testext, shape, layout):
    a = layout(np.arange(float(np.prod(shape))).reshape(shape))
    assert testext.sum(a) == a.sum()
    assert testext.elements(a, "d") == a.ravel(order="C").tolist()
    info = testext.info(a, "d")
    m = memoryview(a)        # what the buffer protocol says (NumPy tidies strides of extent-1 axes there)
    assert info == (m.shape, m.strides, "d", m.readonly, m.c_contiguous, m.f_contiguous, a.size, m.ndim)
    if a.size:
        index = tuple(s - 1 for s in a.shape)
        assert testext.element(a, "d", index) == a[index]


def test_pil_suboffsets(testext):
    nd = tb.ndarray(list(range(12)), shape=[3, 4], format="d", flags=tb.ND_PIL | tb.ND_WRITABLE)
    assert testext.sum(nd) == sum(range(12))
    assert testext.elements(nd, "d") == list(range(12))
    assert testext.element(nd, "d", (2, 1)) == 9
    testext.scale(nd, 3)
    assert nd.tolist() == [[3 * (i * 4 + j) for j in range(4)] for i in range(3)]
    assert testext.refusal(nd, "d", False, "span") == (
        "BufferError", f"the buffer is not contiguous (shape (3, 4), strides {nd.strides})")


def test_scale_strided_in_place(testext):
    a = np.arange(24.0).reshape(4, 6)
    view = a[::-2, 1::2]
    expected = a.copy()
    expected[::-2, 1::2] *= 1.5
    testext.scale(view, 1.5)
    assert np.array_equal(a, expected)


def test_span_paths(testext):
    a = np.arange(10.0)
    assert testext.span_sum(a) == testext.c_sum(a) == 45.0
    f = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    assert testext.span_sum(f) == 15.0            # Fortran memory, in memory order
    testext.span_scale(f, 2.0)
    assert f.tolist() == [[0, 2, 4], [6, 8, 10]]
    assert testext.bytes_count(bytearray(b"abc")) == 3


@pytest.mark.parametrize("dtype, code", [
    ("<f8", "d"), ("=f8", "d"), ("<i8", "q"), ("i8", "q"), ("<u2", "H"), ("?", "?"), ("<f2", "e"), ("f4", "f"),
])
def test_accepted_formats(testext, dtype, code):
    a = np.arange(3).astype(dtype)
    assert testext.refusal(a, code) is None
    assert testext.elements(a, code) == a.tolist()


@pytest.mark.parametrize("fmt", ["1d", "@1d", "=d", "<d" if sys.byteorder == "little" else ">d", "d "])
def test_accepted_spellings_of_one_value(testext, fmt):
    # Any format struct reads as one double in this machine's byte order holds a Double (the
    # rule DLPack's data types follow too); two values or the other byte order do not.
    nd = tb.ndarray([0.5, 1.5, 2.5], shape=[3], format=fmt)
    assert testext.refusal(nd, "d") is None
    assert testext.elements(nd, "d") == [0.5, 1.5, 2.5]
    assert testext.refusal(tb.ndarray([(0.5, 1.5)], shape=[1], format="2d"), "d")[0] == "TypeError"


@pytest.mark.parametrize("obj, code, writable, access, expected", [
    (np.arange(3, dtype="i4"), "d", False, "init",
     ("TypeError", "buffer format 'i' (itemsize 4) does not hold Double (format 'd', size 8)")),
    (np.arange(3, dtype=">f8"), "d", False, "init",
     ("TypeError", "buffer format '>d' (itemsize 8) does not hold Double (format 'd', size 8)")),
    (np.arange(3, dtype="i4"), "q", False, "init",
     ("TypeError", "buffer format 'i' (itemsize 4) does not hold Int64 (format 'q', size 8)")),
    (np.arange(6.0)[::2], "d", False, "span",
     ("BufferError", "the buffer is not contiguous (shape (3,), strides (16,))")),
    (np.arange(6.0)[::2], "d", False, "pointer",
     ("BufferError", "the buffer is not contiguous (shape (3,), strides (16,))")),
    (bytes(8), "d", True, "init", ("BufferError", "Object is not writable.")),
    (np.frombuffer(bytes(8)), "d", True, "init", ("ValueError", "buffer source array is read-only")),
    (3, "d", False, "init", ("TypeError", "a bytes-like object is required, not 'int'")),
    (np.frombuffer(b"\x00\x02\x01", dtype="?"), "?", False, "span",
     ("ValueError", "bool memory holds byte 2 at offset 1: a Swift Bool must be 0 or 1")),
])
def test_refusals(testext, obj, code, writable, access, expected):
    assert testext.refusal(obj, code, writable, access) == expected


def test_misaligned_memory(testext):
    raw = np.zeros(17, dtype=np.uint8)
    a = raw[1:].view("<f8")
    assert testext.sum(a) == 0.0                          # element access loads unaligned
    assert testext.refusal(a, "d", False, "span") == ("BufferError", "buffer memory is not aligned for Double")


def test_views_are_released(testext):
    b = bytearray(16)
    for _ in range(3):
        testext.hold(memoryview(b).cast("d"))
    with pytest.raises(BufferError):
        b.append(0)
    assert testext.release_held() == 3
    b.append(0)                                           # every export was given back
    a = np.arange(8.0)
    refs = sys.getrefcount(a)
    testext.acquire_release(a, 1000)
    testext.sum(a)
    with pytest.raises(TypeError):
        testext.sum(np.arange(3, dtype="i4"))
    assert sys.getrefcount(a) == refs


def test_python_errors_keep_type_and_message(testext):
    for kind in ("BufferError", "ValueError", "TypeError", "IndexError", "ImportError"):
        with pytest.raises(getattr(__builtins__, kind, None) or eval(kind), match="^boom$"):
            testext.raise_error(kind, "boom")
    with pytest.raises(TypeError, match=r"matrix\(\) takes from 2 to 4 arguments \(5 given\)"):
        testext.matrix(1, 2, "C", False, 5)
    with pytest.raises(TypeError, match="'str' object cannot be interpreted as an integer"):
        testext.matrix("x", 2)


# MARK: - Errors at import: swiftbuf missing, C API too old

def run_child(directory, code):
    """Runs `code` in a new interpreter that can import the test extension from `directory`."""
    return run_python(f"import sys; sys.path.insert(0, {str(directory)!r})\n" + textwrap.dedent(code))


def test_missing_swiftbuf_is_an_import_error(swift_testext_dir):
    result = run_child(swift_testext_dir, """
        sys.modules["swiftbuf"] = None          # as if swiftbuf were not installed
        try:
            import swiftbuf_testext
        except ImportError as e:
            print(type(e).__name__, e)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ImportError swiftbuf is not installed for this interpreter"), result.stdout
    assert "pip install swiftbuf" in result.stdout


def test_older_c_api_is_an_import_error(swift_testext_dir):
    result = run_child(swift_testext_dir, """
        import ctypes, swiftbuf
        table = (ctypes.c_uint * 8)(0, 8)        # version 0: older than any client
        new = ctypes.pythonapi.PyCapsule_New
        new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        name = ctypes.c_char_p(b"swiftbuf._swiftbuf._C_API")
        swiftbuf._swiftbuf._C_API = new(ctypes.addressof(table), name, None)
        try:
            import swiftbuf_testext
        except ImportError as e:
            print(type(e).__name__, e)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"ImportError the installed swiftbuf's C API is version 0, older than version "
        f"{swift_package.CAPI_VERSION} that this module was built against: upgrade swiftbuf")


def test_absent_c_api_is_an_import_error(swift_testext_dir):
    result = run_child(swift_testext_dir, """
        import swiftbuf
        del swiftbuf._swiftbuf._C_API
        try:
            import swiftbuf_testext
        except ImportError as e:
            print(type(e).__name__, e)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ImportError the installed swiftbuf has no C API"), result.stdout


def test_import_binds_the_running_swiftbuf(swift_testext_dir):
    # Importing the extension first imports swiftbuf itself; the exports are its Buffer type.
    result = run_child(swift_testext_dir, """
        import swiftbuf_testext
        assert "swiftbuf" in sys.modules
        import swiftbuf
        assert type(swiftbuf_testext.matrix(1, 1)) is swiftbuf.Buffer
        print("ok")
    """)
    assert result.stdout.strip() == "ok", result.stderr


def test_precondition_traps_instead_of_writing_readonly_memory(swift_testext_dir):
    # Misuse by Swift code (writing through a view not made writable) traps at once.
    result = run_child(swift_testext_dir, """
        import swiftbuf_testext, numpy
        swiftbuf_testext.write_readonly_view(numpy.zeros(2))
    """)
    # A release build keeps the trap and drops the message: SIGILL (ud2) on x86-64, SIGTRAP on arm64.
    assert result.returncode in (-4, -5), (result.returncode, result.stderr)


@pytest.mark.parametrize("indices", ["(2,)", "(-1,)", "(0, 0)", "()"])
def test_precondition_traps_on_indices_outside_the_view(swift_testext_dir, indices):
    # An index out of range, or the wrong number of indices, is a precondition failure (as for
    # a Swift array), not an exception: the consumer tests draw only indices in range.
    result = run_child(swift_testext_dir, f"""
        import swiftbuf_testext, numpy
        swiftbuf_testext.element(numpy.zeros(2), "d", {indices})
    """)
    assert result.returncode in (-4, -5), (result.returncode, result.stderr)
