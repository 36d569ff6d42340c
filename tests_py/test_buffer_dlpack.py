"""DLPack: swiftbuf.Buffer as producer (NumPy consumes it without a copy) and as consumer
(Buffer.from_dlpack of NumPy arrays without a copy), the versioned and legacy capsules, the
read-only flag, export counting and the deleter that runs exactly once."""
import ctypes
import gc
import sys

import pytest
from hypothesis import given, settings, strategies as st

import swiftbuf
from swiftbuf import Buffer
from support import traced_growth_per_round

np = pytest.importorskip("numpy")

FORMATS = {"b": "int8", "B": "uint8", "h": "int16", "H": "uint16", "i": "int32", "I": "uint32",
           "l": "int64", "L": "uint64", "q": "int64", "Q": "uint64", "n": "int64", "N": "uint64",
           "e": "float16", "f": "float32", "d": "float64", "?": "bool",
           "@i": "int32", "=i": "int32", "<d": "float64", "=l": "int32"}
REFUSED = ["c", "3s", "P", "x" + "i", "2i", "ii", "<ih", ">i", "!d", "p", "=q" + "h"]

address = lambda a: a.__array_interface__["data"][0]   # noqa: E731


def capsule_name(capsule):
    get = ctypes.pythonapi.PyCapsule_GetName
    get.restype, get.argtypes = ctypes.c_char_p, [ctypes.py_object]
    return get(capsule).decode()


@pytest.mark.parametrize("fmt, dtype", FORMATS.items())
def test_numpy_consumes_without_a_copy(fmt, dtype):
    b = Buffer((2, 3), fmt)
    a = np.from_dlpack(b)
    assert a.dtype == np.dtype(dtype) and a.shape == (2, 3)
    assert address(a) == address(np.asarray(b))
    assert b.exports == 1
    a[1, 2] = 1
    assert np.asarray(b)[1, 2] == 1
    with pytest.raises(BufferError, match="^Existing exports of data: object cannot be re-sized$"):
        b.resize(3)
    del a
    gc.collect()
    assert b.exports == 0
    b.resize(3)


@pytest.mark.parametrize("fmt", REFUSED)
def test_formats_dlpack_cannot_express_are_refused(fmt):
    b = Buffer(2, fmt)
    with pytest.raises(BufferError) as info:
        b.__dlpack__()
    assert str(info.value) == (f"DLPack cannot express format {fmt!r}: it has bool, signed and unsigned integer "
                               "and floating-point elements of one value in native byte order")
    with pytest.raises(BufferError):
        np.from_dlpack(b)
    assert b.exports == 0


def test_bool_is_dlpack_bool():
    b = Buffer.frombytes(b"\x00\x01\x01", "?")
    a = np.from_dlpack(b)
    assert a.dtype == np.bool_ and a.tolist() == [False, True, True]


def test_fortran_and_strided_layouts_keep_their_strides(testext):
    f = Buffer.frombytes(bytes(range(6)), "B", (2, 3), order="F")
    a = np.from_dlpack(f)
    assert a.strides == (1, 2) and a.tolist() == f.tolist()
    r = testext.raw("i", [3, 4], [32, 4])     # a Swift extension's strided raw-memory export
    a = np.from_dlpack(r)
    assert a.strides == (32, 4) and a.tolist() == r.tolist() and address(a) == address(np.asarray(r))


@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 0, 3), (1,) * 64])
def test_shapes(shape):
    b = Buffer(shape, "d")
    a = np.from_dlpack(b)
    assert a.shape == shape and a.dtype == np.float64


def test_versioned_capsule_when_the_consumer_asks():
    b = Buffer(4, "f")
    for kwargs, name in [({}, "dltensor"), ({"max_version": None}, "dltensor"), ({"max_version": (0, 8)}, "dltensor"),
                         ({"max_version": (1, 0)}, "dltensor_versioned"), ({"max_version": (2, 3)}, "dltensor_versioned")]:
        capsule = b.__dlpack__(**kwargs)
        assert capsule_name(capsule) == name
        assert b.exports == 1
        del capsule   # never consumed: it deletes its tensor itself
        assert b.exports == 0


def test_readonly_buffers_set_the_flag_or_refuse_legacy():
    b = Buffer.frombytes(b"\x01\x02", "B", readonly=True)
    with pytest.raises(BufferError) as info:
        b.__dlpack__()
    assert str(info.value) == ("Cannot export a read-only swiftbuf.Buffer as a legacy DLPack capsule, which cannot say "
                               "it is read-only: the consumer must pass max_version=(1, 0) or later")
    a = np.from_dlpack(b)            # NumPy asks for 1.0: the read-only flag reaches it
    assert not a.flags.writeable and a.tolist() == [1, 2]
    # NumPy refuses the same way for its own read-only arrays.
    ro = np.zeros(2)
    ro.flags.writeable = False
    with pytest.raises(BufferError):
        ro.__dlpack__()


def test_arguments():
    b = Buffer(2)
    assert b.__dlpack_device__() == (1, 0) == np.zeros(1).__dlpack_device__()
    for call, exc, message in [
        (lambda: b.__dlpack__(stream=1), BufferError, "swiftbuf.Buffer is CPU memory: stream must be None, not int"),
        (lambda: b.__dlpack__(dl_device=(2, 0)), BufferError,
         "swiftbuf.Buffer lives on the CPU, device (1, 0); it cannot be exported to device (2, 0)"),
        (lambda: b.__dlpack__(dl_device=(1, 1)), BufferError,
         "swiftbuf.Buffer lives on the CPU, device (1, 0); it cannot be exported to device (1, 1)"),
        (lambda: b.__dlpack__(max_version=1), TypeError, "max_version must be None or a tuple of two ints, not int"),
        (lambda: b.__dlpack__(dl_device="cpu"), TypeError, "dl_device must be None or a tuple of two ints, not str"),
        (lambda: b.__dlpack__(None), TypeError, "__dlpack__() takes no positional arguments"),
        (lambda: b.__dlpack__(bogus=1), TypeError, "'bogus' is an invalid keyword argument for __dlpack__()"),
    ]:
        with pytest.raises(exc) as info:
            call()
        assert str(info.value) == message
        assert type(info.value) is exc
    assert b.exports == 0
    capsule = b.__dlpack__(stream=None, max_version=(1, 0), dl_device=(1, 0), copy=False)
    assert capsule_name(capsule) == "dltensor_versioned"


def test_copy_true_exports_an_independent_copy():
    b = Buffer.frombytes(b"\x01\x02\x03")
    a = np.from_dlpack(b, copy=True)
    assert b.exports == 0 and a.tolist() == [1, 2, 3]
    a[0] = 9
    assert b[0] == 1
    c = np.from_dlpack(b, copy=False)
    assert address(c) == address(np.asarray(b))


def test_the_deleter_runs_exactly_once_when_consumed():
    b = Buffer(8, "d")
    before = sys.getrefcount(b)
    a = np.from_dlpack(b)
    view = a[2:]
    del a
    assert b.exports == 1 and sys.getrefcount(b) == before + 1
    del view
    gc.collect()
    assert b.exports == 0 and sys.getrefcount(b) == before


def test_a_consumed_capsule_does_not_delete_again():
    b = Buffer(4)
    capsule = b.__dlpack__(max_version=(1, 0))
    c = Buffer.from_dlpack(type("P", (), {"__dlpack__": lambda self, **kw: capsule})())
    assert capsule_name(capsule) == "used_dltensor_versioned"
    del capsule
    assert b.exports == 1   # the consumer (c) still holds it
    c[0] = 7
    assert b[0] == 7
    del c
    gc.collect()
    assert b.exports == 0


# MARK: - from_dlpack

@pytest.mark.parametrize("dtype, fmt", [("int8", "b"), ("uint8", "B"), ("int16", "h"), ("uint16", "H"), ("int32", "i"),
                                        ("uint32", "I"), ("int64", "q"), ("uint64", "Q"), ("float16", "e"),
                                        ("float32", "f"), ("float64", "d"), ("bool", "?")])
def test_from_numpy_without_a_copy(dtype, fmt):
    a = np.arange(12).astype(dtype).reshape(3, 4)
    b = Buffer.from_dlpack(a)
    assert (b.format, b.shape, b.strides, b.readonly) == (fmt, (3, 4), a.strides, False)
    assert address(np.asarray(b)) == address(a)
    np.asarray(b)[0, 1] = 1
    assert a[0, 1] == 1
    assert np.array_equal(np.asarray(b), a)


@settings(max_examples=100, deadline=None)
@given(shape=st.lists(st.integers(0, 5), min_size=0, max_size=4), order=st.sampled_from("CF"),
       dtype=st.sampled_from(["int8", "float32", "uint64", "bool"]), step=st.integers(1, 3))
def test_hypothesis_numpy_layouts(shape, order, dtype, step):
    a = np.zeros(shape, dtype, order=order)
    if a.ndim:
        a = a[(slice(None, None, step),) + (slice(None),) * (a.ndim - 1)]
    b = Buffer.from_dlpack(a)
    assert b.shape == a.shape and np.array_equal(np.asarray(b), a)
    if a.size > 1:
        assert b.strides == a.strides or any(n <= 1 for n in a.shape)
    assert np.from_dlpack(b).shape == a.shape


def test_from_readonly_numpy_is_readonly():
    a = np.arange(3.0)
    a.flags.writeable = False
    b = Buffer.from_dlpack(a)
    assert b.readonly and b.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(TypeError, match="^cannot modify read-only memory$"):
        b[0] = 1


def test_from_dlpack_keeps_the_producer_alive_and_deletes_once():
    a = np.arange(4.0)
    before = sys.getrefcount(a)
    b = Buffer.from_dlpack(a)
    assert sys.getrefcount(a) == before + 1
    del b
    gc.collect()
    assert sys.getrefcount(a) == before


def test_from_dlpack_refusals():
    for producer, exc, message in [
        (b"abc", TypeError, "from_dlpack() needs an object with __dlpack__, not bytes"),
        (np.arange(3)[::-1], BufferError, "swiftbuf.Buffer.from_dlpack: negative strides are not supported"),
        (np.zeros(2, np.complex128), BufferError, "DLPack data type (code 5, 128 bits, 1 lanes) has no struct format"),
        (type("P", (), {"__dlpack__": lambda self, **kw: 5})(), TypeError,
         "__dlpack__() must return a 'dltensor' or 'dltensor_versioned' capsule, not int"),
    ]:
        with pytest.raises(exc) as info:
            Buffer.from_dlpack(producer)
        assert str(info.value) == message


def test_from_dlpack_lets_the_producers_own_errors_through():
    """Only a producer without `__dlpack__` gets from_dlpack's TypeError: an AttributeError raised
    inside the method, or one from an instance attribute's call, is the producer's and goes
    through unchanged, as NumPy's from_dlpack lets it."""
    class Broken:
        def __dlpack__(self, **kw):
            raise AttributeError("inside __dlpack__")

    class Instance:
        pass
    instance = Instance()
    instance.__dlpack__ = lambda **kw: np.arange(2.0).__dlpack__(**kw)
    with pytest.raises(AttributeError, match="^inside __dlpack__$"):
        Buffer.from_dlpack(Broken())
    with pytest.raises(AttributeError, match="^inside __dlpack__$"):
        np.from_dlpack(Broken())
    assert Buffer.from_dlpack(instance).tolist() == [0.0, 1.0]   # found as getattr finds it

    class Failing:
        def __getattr__(self, name):
            raise RuntimeError(f"looking up {name}")
    for from_dlpack in (Buffer.from_dlpack, np.from_dlpack):
        with pytest.raises(RuntimeError, match="^looking up __dlpack__$"):
            from_dlpack(Failing())


def test_legacy_producer_without_max_version():
    a = np.arange(3, dtype="int32")

    class Old:
        def __dlpack__(self, stream=None):
            return a.__dlpack__()
    b = Buffer.from_dlpack(Old())
    assert b.tolist() == [0, 1, 2] and address(np.asarray(b)) == address(a)


def test_round_trip_buffer_to_buffer():
    b = Buffer.frombytes(bytes(range(6)), "B", (2, 3), order="F")
    c = Buffer.from_dlpack(b)
    assert (c.shape, c.strides, c.tolist()) == (b.shape, b.strides, b.tolist())
    assert b.exports == 1
    del c
    gc.collect()
    assert b.exports == 0


def test_no_leaks_over_many_exports_and_imports():
    """Blocks, exports and references come back on every path: consumed by NumPy, never
    consumed, imported from NumPy, refused (tracemalloc sees the raw allocations)."""
    b = Buffer(64, "d")
    a = np.zeros(64)
    ro = Buffer(4, readonly=True)

    def rounds(n):
        for _ in range(n):
            np.from_dlpack(b)
            b.__dlpack__()
            b.__dlpack__(max_version=(1, 0))
            Buffer.from_dlpack(a)
            Buffer.from_dlpack(b)
            np.from_dlpack(b, copy=True)
            try:
                ro.__dlpack__()
            except BufferError:
                pass
    rounds(200)
    gc.collect()
    refs = (sys.getrefcount(b), sys.getrefcount(a))
    per_round = traced_growth_per_round(rounds)
    assert (sys.getrefcount(b), sys.getrefcount(a)) == refs
    assert b.exports == 0 and ro.exports == 0
    assert per_round < 8, per_round


def test_no_leaks_in_pickling_and_container_operations():
    import pickle
    b = Buffer.frombytes(bytes(range(24)), "B", (4, 6), order="F")
    ro = Buffer.frombytes(b"abcd", readonly=True)

    def rounds(n):
        for _ in range(n):
            pickle.loads(pickle.dumps(b, 4))
            sink = []
            pickle.loads(pickle.dumps(b, 5, buffer_callback=sink.append), buffers=sink)
            b[1, 2] = b[2, 1]
            b[1:3].tolist()
            b == ro
            hash(ro)
            repr(b)
            list(ro)
            try:
                b[9, 9]
            except IndexError:
                pass
    rounds(200)
    gc.collect()
    refs = (sys.getrefcount(b), sys.getrefcount(ro))
    per_round = traced_growth_per_round(rounds)
    assert (sys.getrefcount(b), sys.getrefcount(ro)) == refs and b.exports == 0
    assert per_round < 8, per_round
