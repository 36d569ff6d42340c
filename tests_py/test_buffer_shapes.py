"""Shape and size validation of swiftbuf.Buffer, as NumPy and memoryview do it: at most 64
dimensions, shapes that lie about their length, MemoryError messages worded as NumPy's, and
resize (read-only refused, Fortran order kept as NumPy's ndarray.resize keeps it)."""
import itertools

import pytest
from hypothesis import assume, given, settings, strategies as st

from swiftbuf import Buffer

np = pytest.importorskip("numpy")
from numpy._core._exceptions import _ArrayMemoryError  # noqa: E402


def raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert type(info.value) is exc
    assert str(info.value) == message


def too_many(n):
    return f"swiftbuf.Buffer: a shape has at most 64 dimensions, this one has {n}"


@pytest.mark.parametrize("ndim", [64, 65, 100, 10_000_000])
def test_the_dimension_limit_is_numpys_and_memoryviews(ndim):
    shape = (1,) * ndim
    if ndim <= 64:
        b = Buffer(shape)
        assert b.ndim == ndim and memoryview(b).ndim == ndim and np.asarray(b).shape == shape
        return
    raises(ValueError, too_many(ndim), Buffer, shape)
    raises(ValueError, too_many(ndim), Buffer, list(shape))
    raises(ValueError, too_many(ndim), Buffer.frombytes, b"", "B", shape)
    raises(ValueError, too_many(ndim), Buffer(1).resize, shape)
    with pytest.raises(ValueError, match="maximum supported dimension for an ndarray"):
        np.empty(shape)


def test_huge_sized_shapes_are_refused_from_their_length():
    raises(ValueError, too_many(2**62), Buffer, range(2**62))
    raises(ValueError, too_many(2**62), Buffer, range(2**62))

    class Lying:
        def __len__(self):
            return 10**18

        def __iter__(self):
            raise AssertionError("never iterated")
    raises(ValueError, too_many(10**18), Buffer, Lying())


def test_shapes_whose_length_lies_short_are_read_safely():
    class Short:
        def __len__(self):
            return 2

        def __iter__(self):
            return itertools.repeat(1)   # never stops
    raises(ValueError, "swiftbuf.Buffer: a shape has at most 64 dimensions, this one has more", Buffer, Short())
    raises(ValueError, "swiftbuf.Buffer: a shape has at most 64 dimensions, this one has more", Buffer, itertools.repeat(1))

    class Long:
        def __len__(self):
            return 5

        def __iter__(self):
            return iter([2, 3])
    assert Buffer(Long()).shape == (2, 3)   # the items are what counts, as for any iterable
    assert Buffer(x for x in (2, 3)).shape == (2, 3)


def test_failing_length_propagates():
    class Broken:
        def __len__(self):
            raise ZeroDivisionError("no length")

        def __iter__(self):
            return iter([1])
    raises(ZeroDivisionError, "no length", Buffer, Broken())


@pytest.mark.parametrize("shape, fmt", [((2**40, 2**20), "B"), ((2**59,), "d"), ((3, 2**50, 5), "i"),
                                        ((2**47 + 1,), "B"), ((1023 * 2**50 + 2**49,), "B")])
def test_memory_errors_say_how_many_bytes_for_which_shape(shape, fmt):
    count = int(np.prod(shape, dtype=object)) * np.dtype(fmt).itemsize
    message = (f"Unable to allocate {_ArrayMemoryError._size_to_string(count)} for a swiftbuf.Buffer with shape "
               f"{shape!r} and format {fmt!r}")
    raises(MemoryError, message, Buffer, shape, fmt)
    raises(MemoryError, message, Buffer(1, fmt).resize, shape)
    with pytest.raises(MemoryError, match="^Unable to allocate "):
        np.empty(shape, fmt)


@settings(max_examples=300, deadline=None)
@given(st.integers(2**48, 2**63 - 1))
def test_sizes_are_written_as_numpy_writes_them(count):
    # Beyond the address space, so every allocation fails, whatever the machine's overcommit.
    message = (f"Unable to allocate {_ArrayMemoryError._size_to_string(count)} for a swiftbuf.Buffer with shape "
               f"({count},) and format 'B'")
    raises(MemoryError, message, Buffer, count)


# MARK: - resize

def test_resize_refuses_readonly_buffers():
    b = Buffer.frombytes(b"abcd", readonly=True)
    raises(TypeError, "cannot resize a read-only swiftbuf.Buffer", b.resize, 8)
    assert b.shape == (4,) and b.tobytes() == b"abcd"


@settings(max_examples=200, deadline=None)
@given(old=st.lists(st.integers(0, 4), min_size=1, max_size=3), new=st.lists(st.integers(0, 4), min_size=1, max_size=3),
       order=st.sampled_from("CF"))
def test_resize_matches_numpy_resize(old, new, order):
    """Same memory and strides as NumPy's ndarray.resize: the order is kept, the leading bytes
    in memory order are kept, the rest is zero."""
    count = int(np.prod(old))
    a0 = np.zeros(old, order=order)
    # NumPy takes the order from the flags at resize time; a Buffer keeps the order it was made
    # with. They agree unless the old layout is contiguous both ways (below).
    assume(order == "C" or not a0.flags.c_contiguous)
    a = (np.arange(count, dtype="int16") + 1).reshape(old, order=order).copy(order=order)
    b = Buffer.frombytes(a.tobytes(order="A"), "h", old, order=order)
    assert np.array_equal(np.asarray(b), a)
    a.resize(new, refcheck=False)
    b.resize(new)
    assert b.shape == a.shape and np.array_equal(np.asarray(b), a)
    if a.size > 1 and a.ndim > 1 and not (a.flags.c_contiguous and a.flags.f_contiguous):
        assert b.strides == a.strides
    assert b.f_contiguous == a.flags.f_contiguous and b.c_contiguous == a.flags.c_contiguous


def test_resize_keeps_the_order_a_buffer_was_made_with():
    """A (3, 1) or (2,) Fortran-order Buffer is contiguous both ways; it stays Fortran-order
    (NumPy's resize would make C order from the flags)."""
    for old in [(3, 1), (2,), (0, 4)]:
        b = Buffer(old, "h", order="F")
        b.resize((2, 3))
        assert b.strides == (2, 4) and repr(b).startswith("swiftbuf.Buffer((2, 3), 'h', order='F'")
        c = Buffer(old, "h")
        c.resize((2, 3))
        assert c.strides == (6, 2)
