"""Pickling and copying swiftbuf.Buffer, against NumPy's behaviour for the same cases:
protocol 5 hands the memory out of band without a copy, protocols 0-4 carry it in band; the
round trip keeps format, shape, strides (F stays F) and readonly; copies are independent;
a Buffer crosses a multiprocessing pool."""
import copy
import multiprocessing
import pickle

import pytest
from hypothesis import given, settings, strategies as st

import swiftbuf
from swiftbuf import Buffer

np = pytest.importorskip("numpy")


def layout(b):
    return (b.format, b.shape, b.strides, b.readonly, b.tobytes("A"), b.c_contiguous, b.f_contiguous)


def tolist(b):
    try:
        return b.tolist()
    except NotImplementedError as e:   # formats memoryview cannot read, as for the builtin
        return str(e)


def test_protocol_5_sends_one_pickle_buffer_without_a_copy(exporter):
    b = exporter.buffer
    buffers = []
    data = pickle.dumps(b, protocol=5, buffer_callback=buffers.append)
    if b.c_contiguous or b.f_contiguous:
        assert len(buffers) == 1 and type(buffers[0]) is pickle.PickleBuffer
        assert b.exports == 1   # held by the PickleBuffer
        raw = buffers[0].raw()
        # The PickleBuffer is a view of the Buffer's own memory: no copy on the way out.
        assert memoryview(b).tobytes("A") == raw.tobytes()
        assert np.asarray(raw).__array_interface__["data"][0] == np.asarray(b).__array_interface__["data"][0] \
            or b.nbytes == 0
        del raw
        assert len(data) < 200   # the pickle itself carries no data
        loaded = pickle.loads(data, buffers=buffers)
    else:
        assert buffers == []   # contiguous in neither order: copied in band, as NumPy does
        loaded = pickle.loads(data)
    assert layout(loaded) == layout(copy.copy(b))
    buffers.clear()
    assert b.exports == 0


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_round_trip_keeps_the_layout(exporter, protocol):
    b = exporter.buffer
    loaded = pickle.loads(pickle.dumps(b, protocol=protocol))
    assert type(loaded) is Buffer
    assert layout(loaded) == layout(copy.copy(b))
    assert tolist(loaded) == tolist(b)
    assert loaded.exports == 0 and b.exports == 0


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("readonly", [False, True])
def test_same_outcome_as_numpy(protocol, order, readonly):
    raw = bytes(range(24))
    b = Buffer.frombytes(raw, "h", (3, 4), order=order, readonly=readonly)
    a = np.ndarray((3, 4), "h", raw, order=order).copy(order=order)
    a.flags.writeable = not readonly
    ours, numpys = [], []
    loaded_b = pickle.loads(pickle.dumps(b, protocol=protocol, **({"buffer_callback": ours.append} if protocol >= 5 else {})),
                            **({"buffers": ours} if protocol >= 5 else {}))
    loaded_a = pickle.loads(pickle.dumps(a, protocol=protocol, **({"buffer_callback": numpys.append} if protocol >= 5 else {})),
                            **({"buffers": numpys} if protocol >= 5 else {}))
    assert len(ours) == len(numpys)   # both out of band with protocol 5, in band before
    assert np.array_equal(np.asarray(loaded_b), loaded_a)
    assert loaded_b.strides == loaded_a.strides and loaded_b.f_contiguous == loaded_a.flags.f_contiguous
    # NumPy's read-only flag survives only out of band; a Buffer's survives every protocol.
    assert loaded_b.readonly == readonly


def test_in_band_protocol_5_writes_the_bytes():
    b = Buffer.frombytes(b"abcdef", "B", (2, 3), order="F")
    data = pickle.dumps(b, protocol=5)
    assert b"abcdef" in data
    assert layout(pickle.loads(data)) == layout(b)


def test_loading_copies_the_out_of_band_data_once():
    b = Buffer.frombytes(b"abcd")
    buffers = []
    data = pickle.dumps(b, protocol=5, buffer_callback=buffers.append)
    source = bytearray(buffers[0].raw())
    loaded = pickle.loads(data, buffers=[source])
    source[0] = ord("X")
    assert loaded.tobytes() == b"abcd"   # a Buffer owns its memory


@settings(max_examples=100, deadline=None)
@given(shape=st.lists(st.integers(0, 4), max_size=4), fmt=st.sampled_from(["B", "d", "i", "?", "3s", "<qh"]),
       order=st.sampled_from("CF"), readonly=st.booleans(), protocol=st.integers(0, 5))
def test_hypothesis_round_trips(shape, fmt, order, readonly, protocol):
    b = Buffer(shape, fmt, order=order, readonly=readonly)
    assert layout(pickle.loads(pickle.dumps(b, protocol=protocol))) == layout(b)


def test_raw_export_with_strides_pickles_as_c_order(testext):
    r = testext.raw("i", [3, 4], [32, 4])     # a Swift extension's strided raw-memory export
    loaded = pickle.loads(pickle.dumps(r, protocol=5))
    assert loaded.tolist() == r.tolist() and loaded.strides == (16, 4)


def test_reconstructor_refuses_bad_data():
    with pytest.raises(ValueError) as info:
        Buffer._frompickle(b"abc", "i", (1,), "C", False)
    assert str(info.value) == "data length 3 does not match shape (1,) × itemsize 4 = 4 bytes"
    with pytest.raises(TypeError) as info:
        Buffer._frompickle(b"abc")
    assert str(info.value) == "_frompickle expected 5 arguments, got 1"


# MARK: - copy

@pytest.mark.parametrize("make_copy", [copy.copy, copy.deepcopy, lambda b: b.__copy__()], ids=["copy", "deepcopy", "__copy__"])
def test_copies_are_independent(exporter, make_copy):
    b = exporter.buffer
    c = make_copy(b)
    assert type(c) is Buffer and c is not b
    assert layout(c)[:2] == layout(b)[:2] and c.readonly == b.readonly and c.tobytes() == b.tobytes()
    assert c.exports == 0 and b.exports == 0
    if b.c_contiguous or b.f_contiguous:   # the same order (strides of length-1 dimensions aside)
        assert (c.c_contiguous, c.f_contiguous) == (b.c_contiguous, b.f_contiguous)
    if c.nbytes:   # its own memory: another address, and writing it leaves the original alone
        address = lambda x: np.asarray(x).__array_interface__["data"][0]
        assert address(c) != address(b)
        if not c.readonly:
            assert c.c_contiguous or c.f_contiguous
            flat = np.asarray(c).ravel(order="K")   # a view: the copy is contiguous
            flat.view(np.uint8)[0] ^= 0xFF
            assert c.tobytes() != b.tobytes()


def test_deepcopy_inside_containers_keeps_sharing_as_numpy_does():
    b = Buffer(4)
    a = np.zeros(4)
    ours = copy.deepcopy([b, b])
    numpys = copy.deepcopy([a, a])
    assert (ours[0] is ours[1]) == (numpys[0] is numpys[1]) == True  # noqa: E712


# MARK: - multiprocessing

def _double(buffer):
    return Buffer.frombytes(bytes(2 * x for x in buffer.tobytes("A")), buffer.format, buffer.shape,
                            order="F" if buffer.f_contiguous and not buffer.c_contiguous else "C")


def test_multiprocessing_pool_takes_and_returns_buffers():
    inputs = [Buffer.frombytes(bytes(range(k, k + 6)), "B", (2, 3), order="F") for k in range(4)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        outputs = pool.map_async(_double, inputs).get(timeout=120)
    for b, out in zip(inputs, outputs):
        assert type(out) is Buffer and out.shape == (2, 3) and out.strides == (1, 2)
        assert out.tobytes("A") == bytes(2 * x for x in b.tobytes("A"))
