"""Bad input to swiftbuf.Buffer raises the exception a Python user expects, with a clear
message, and never crashes the interpreter."""
import itertools
import sys

import pytest

import swiftbuf
from swiftbuf import Buffer
from support import run_python

MAX = sys.maxsize


def raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert str(info.value) == message
    assert type(info.value) is exc


# (call, exception, exact message)
CONSTRUCTOR_ERRORS = [
    (lambda: Buffer(), TypeError, "Buffer() missing required argument 'shape' (pos 1)"),
    (lambda: Buffer((1,), "B", "C"), TypeError, "Buffer() takes at most 2 positional arguments (3 given)"),
    (lambda: Buffer(1, bogus=2), TypeError, "'bogus' is an invalid keyword argument for Buffer()"),
    (lambda: Buffer(1, "B", shape=2), TypeError, "argument for Buffer() given by name ('shape') and position (1)"),
    (lambda: Buffer("abc"), TypeError, "shape must be an int or a sequence of ints"),
    (lambda: Buffer(3.5), TypeError, "shape must be an int or a sequence of ints"),
    (lambda: Buffer([1.5]), TypeError, "shape must be an int or a sequence of ints"),
    (lambda: Buffer([1, None]), TypeError, "shape must be an int or a sequence of ints"),
    (lambda: Buffer(None), TypeError, "shape must be an int or a sequence of ints"),
    (lambda: Buffer(1, 5), TypeError, "format must be a str, not int"),
    (lambda: Buffer(1, b"B"), TypeError, "format must be a str, not bytes"),
    (lambda: Buffer(1, order=1), TypeError, "order must be a str, not int"),
    (lambda: Buffer(1, order="A"), ValueError, "order must be 'C' or 'F', not 'A'"),
    (lambda: Buffer(1, order="X"), ValueError, "order must be 'C' or 'F', not 'X'"),
    (lambda: Buffer(1, order="CF"), ValueError, "order must be 'C' or 'F', not 'CF'"),
    (lambda: Buffer(1, order=""), ValueError, "order must be 'C' or 'F', not ''"),
    (lambda: Buffer(1, ""), ValueError, "format '' has itemsize 0"),
    (lambda: Buffer(1, "0i"), ValueError, "format '0i' has itemsize 0"),
    (lambda: Buffer(1, "z"), ValueError, "invalid format 'z': bad char in struct format"),
    (lambda: Buffer(1, "3"), ValueError, "invalid format '3': repeat count given without format specifier"),
    (lambda: Buffer(1, "<P"), ValueError, "invalid format '<P': bad char in struct format"),
    (lambda: Buffer(1, f"{MAX}q"), ValueError, f"invalid format '{MAX}q': total struct size too long"),
    (lambda: Buffer(1, f"{MAX - 2}xq"), ValueError, f"invalid format '{MAX - 2}xq': total struct size too long"),
]


@pytest.mark.parametrize("call, exc, message", CONSTRUCTOR_ERRORS)
def test_constructor_errors(call, exc, message):
    raises(exc, message, call)


def _outcome(fn):
    try:
        b = fn()
    except Exception as e:  # noqa: BLE001 (every outcome is compared)
        return (type(e), str(e))
    return ("Buffer", b.shape, b.format, b.strides, b.readonly, b.tobytes())


@pytest.mark.parametrize("args, kwargs", [
    ((), {}), ((4,), {}), (((2, 3), "d"), {}), ((2,), {"format": "i"}), ((), {"shape": (2, 2), "order": "F"}),
    ((3,), {"readonly": True}), ((3,), {"readonly": 0, "format": "h", "order": "C"}), ((1, "B", "C"), {}),
    ((1,), {"bogus": 2}), ((1, "B"), {"shape": 2}), ((1,), {"order": "A"}), (([2, 2],), {"format": "x"}),
])
def test_the_type_call_and_new_agree(args, kwargs):
    """Buffer(...) is a vectorcall of the type; Buffer.__new__ goes through tp_new with an
    argument tuple and dict: the same parser behind both, the same outcomes."""
    assert _outcome(lambda: Buffer(*args, **kwargs)) == _outcome(lambda: Buffer.__new__(Buffer, *args, **kwargs))


# Shapes: negative anywhere, too large for Py_ssize_t, products that overflow: every one a
# ValueError naming the shape and the format (NumPy's rules; the zero extents are left out of
# the overflow check, as NumPy leaves them out).
NEGATIVE = [-1, [-1], [3, -1], [0, -1], [-1, 0], [2**62, 2**62, -1], [-MAX - 1]]
TOO_LARGE_FOR_SSIZE_T = [MAX + 1, [MAX + 1], [1, 2**64], [-MAX - 2], [0, 2**64]]
PRODUCT_OVERFLOWS = [[2**62, 2**62], [MAX, 2], [2**32, 2**32], [3, 3, MAX // 8], [2**62, 2**62, 0], [0, 2**32, 2**32]]


def shape_text(shape):
    return repr(tuple(shape) if isinstance(shape, list) else (shape,))


@pytest.mark.parametrize("shape", NEGATIVE)
@pytest.mark.parametrize("fmt", ["B", "d", "<ih"])
def test_negative_shapes(shape, fmt):
    message = f"swiftbuf.Buffer: negative dimensions are not allowed: shape {shape_text(shape)}, format {fmt!r}"
    raises(ValueError, message, Buffer, shape, fmt)
    raises(ValueError, message, Buffer.frombytes, b"", fmt, shape)


@pytest.mark.parametrize("shape", TOO_LARGE_FOR_SSIZE_T)
def test_shapes_beyond_ssize_t(shape):
    raises(ValueError, f"swiftbuf.Buffer: shape {shape_text(shape)} of format 'B' is too large: "
                       "an extent does not fit in Py_ssize_t", Buffer, shape)


@pytest.mark.parametrize("shape", PRODUCT_OVERFLOWS)
@pytest.mark.parametrize("fmt", ["B", "d"])
def test_overflowing_products(shape, fmt):
    raises(ValueError, f"swiftbuf.Buffer: shape {shape_text(shape)} of format {fmt!r} is too large: "
                       f"product(shape) * itemsize is more than {MAX} bytes", Buffer, shape, fmt)


def test_overflow_checks_agree_with_numpy():
    """The same shapes are too large for NumPy (ValueError as well), and the same are fine."""
    np = pytest.importorskip("numpy")
    for shape in PRODUCT_OVERFLOWS + [[0, MAX], [MAX, 0], [2**31, 2**31, 0]]:
        for fmt in ("B", "d"):
            try:
                np.empty(shape, fmt)
                numpy_ok = True
            except ValueError:
                numpy_ok = False
            except MemoryError:
                numpy_ok = True
            try:
                Buffer(shape, fmt)
                ours_ok = True
            except ValueError:
                ours_ok = False
            except MemoryError:
                ours_ok = True
            assert ours_ok == numpy_ok, (shape, fmt)


def test_every_zero_size_shape_is_accepted():
    """A 0 extent makes the product 0 when the other extents fit (but not negative ones)."""
    for shape in [[0], [0, MAX // 8], [MAX // 8, 0], [2**20, 2**20, 0]]:
        b = Buffer(shape, "d")
        assert (b.nbytes, b.shape, len(b.tobytes())) == (0, tuple(shape), 0)


# frombytes: data that does not fit the shape, or is not bytes-like.
FROMBYTES_ERRORS = [
    (lambda: Buffer.frombytes("abc"), TypeError, "a bytes-like object is required, not 'str'"),
    (lambda: Buffer.frombytes(None), TypeError, "a bytes-like object is required, not 'NoneType'"),
    (lambda: Buffer.frombytes(), TypeError, "frombytes() missing required argument 'data' (pos 1)"),
    (lambda: Buffer.frombytes(b"abc", "i"), ValueError, "data length 3 is not a multiple of itemsize 4"),
    (lambda: Buffer.frombytes(b"abcd", "i", [2]), ValueError, "data length 4 does not match shape (2,) × itemsize 4 = 8 bytes"),
    (lambda: Buffer.frombytes(b"abcd", "B", [2, 3]), ValueError, "data length 4 does not match shape (2, 3) × itemsize 1 = 6 bytes"),
    (lambda: Buffer.frombytes(b"abcd", "B", []), ValueError, "data length 4 does not match shape () × itemsize 1 = 1 bytes"),
    (lambda: Buffer.frombytes(b"abcd", "i", 1, order="X"), ValueError, "order must be 'C' or 'F', not 'X'"),
    (lambda: Buffer.frombytes(b"abcd", "i", 1, "C"), TypeError, "frombytes() takes at most 3 positional arguments (4 given)"),
    (lambda: Buffer.frombytes(memoryview(b"abcd")[::2]), BufferError, "memoryview: underlying buffer is not C-contiguous"),
]


@pytest.mark.parametrize("call, exc, message", FROMBYTES_ERRORS)
def test_frombytes_errors(call, exc, message):
    raises(exc, message, call)


def test_frombytes_data_length_sweep():
    """Every data length against every small shape: accepted exactly when it matches."""
    for fmt in ("B", "h", "d", "3s"):
        itemsize = {"B": 1, "h": 2, "d": 8, "3s": 3}[fmt]
        for shape in [[], [0], [1], [3], [2, 2], [2, 0, 3]]:
            need = itemsize
            for n in shape:
                need *= n
            for length in range(0, 3 * itemsize + 5):
                data = bytes(range(length))
                if length == need:
                    assert Buffer.frombytes(data, fmt, shape).tobytes() == data
                else:
                    with pytest.raises(ValueError, match=f"^data length {length} does not match shape"):
                        Buffer.frombytes(data, fmt, shape)


def test_method_errors():
    b = Buffer((2, 3), "i")
    # Argument clinic's rules (_PyArg_UnpackKeywords), as for every keyword-taking method:
    # `shape` is positional-only, so a missing one and one given by name read alike.
    raises(TypeError, "resize() takes exactly 1 positional argument (0 given)", b.resize)
    raises(TypeError, "shape must be an int or a sequence of ints", b.resize, "x")
    raises(ValueError, "swiftbuf.Buffer: negative dimensions are not allowed: shape (2, -3), format 'i'", b.resize, [2, -3])
    raises(ValueError, f"swiftbuf.Buffer: shape (4611686018427387904, 2) of format 'i' is too large: "
                       f"product(shape) * itemsize is more than {MAX} bytes", b.resize, [2**62, 2])
    raises(TypeError, "resize() takes exactly 1 positional argument (0 given)", b.resize, shape=2)
    raises(TypeError, "resize() takes at most 1 argument (2 given)", b.resize, 1, 2)
    raises(ValueError, "order must be 'C', 'F' or 'A'", b.tobytes, "X")
    raises(ValueError, "order must be 'C', 'F' or 'A'", b.tobytes, "CF")
    raises(TypeError, "tobytes() argument 'order' must be str or None, not int", b.tobytes, 5)
    # memoryview.tobytes's own message for the same signature.
    raises(TypeError, "tobytes() takes at most 1 argument (2 given)", b.tobytes, "C", "F")
    assert b.shape == (2, 3) and b.exports == 0  # failed calls change nothing


def test_failing_truth_value_propagates():
    class Bad:
        def __bool__(self):
            raise ZeroDivisionError("no truth here")
    raises(ZeroDivisionError, "no truth here", Buffer, 1, readonly=Bad())


def test_struct_grammar_sweep_matches_struct_module():
    """Short formats over the grammar's alphabet: Buffer accepts exactly what struct accepts
    (with a non-zero itemsize), with the same itemsize, and otherwise says what struct says."""
    import struct
    alphabet = "@=<>!0123 bBiqdsPxz?e"
    for n in (1, 2, 3):
        for chars in itertools.product(alphabet, repeat=n):
            fmt = "".join(chars)
            try:
                size = struct.calcsize(fmt)
            except struct.error as e:
                raises(ValueError, f'invalid format {fmt!r}: {e}', Buffer, 1, fmt)
                continue
            if size == 0:
                raises(ValueError, f'format {fmt!r} has itemsize 0', Buffer, 1, fmt)
            else:
                assert Buffer(2, fmt).itemsize == size, fmt


def test_huge_allocations_raise_memory_error():
    """An allocation the machine cannot satisfy raises MemoryError, as bytearray(10**15) does;
    run in a child process so a crash is reported as a failure instead of killing the run."""
    child = run_python("""
        import swiftbuf
        for make in (lambda: swiftbuf.Buffer(10**15), lambda: swiftbuf.Buffer((10**7, 10**7), "d")):
            try:
                make()
            except MemoryError:
                pass
            else:
                raise SystemExit("no MemoryError")
        print("ok")
    """)
    assert child.returncode == 0 and child.stdout.strip() == "ok", child.stderr[:300]
