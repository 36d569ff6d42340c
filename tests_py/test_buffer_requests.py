"""swiftbuf.Buffer answers every buffer request exactly as CPython's `_testbuffer.ndarray` does
for the same layout: the same successes and failures, exception types and (up to the
exporter's name) messages, and the same shape/strides/format/len/readonly/contiguity."""
import _testbuffer as tb
import pytest

from conftest import ALL_FLAGS
from support import outcome


def request(obj, flags):
    """`PyObject_GetBuffer(obj, flags)` through a `_testbuffer.ndarray` consumer: the answer as
    comparable facts, or the exception as (type, message)."""
    try:
        nd = tb.ndarray(obj, getbuf=flags)
    except Exception as e:  # the comparison is of whatever is raised
        return type(e), str(e).replace("swiftbuf.Buffer", "ndarray")
    facts = dict(
        format=nd.format, itemsize=nd.itemsize, ndim=nd.ndim, shape=nd.shape, strides=nd.strides,
        suboffsets=nd.suboffsets, nbytes=nd.nbytes, readonly=nd.readonly, bytes=nd.tobytes(),
        contiguous=(nd.c_contiguous, nd.f_contiguous, nd.contiguous), obj_is_exporter=nd.obj is obj,
    )
    if nd.format:  # without FORMAT the consumer sees unsigned bytes and cannot unpack items
        facts["list"] = nd.tolist()
    del nd
    return facts


def test_every_request(exporter):
    for flags in ALL_FLAGS:
        expected = request(exporter.reference, flags)
        got = request(exporter.buffer, flags)
        assert got == expected, f"{exporter} flags={flags:#x}"
    assert exporter.buffer.exports == 0


def test_pybuffer_helpers_agree(exporter):
    """CPython's PyBuffer_IsContiguous and PyBuffer_ToContiguous see the same layout."""
    for order in "CFA":
        assert tb.is_contiguous(exporter.buffer, order) == tb.is_contiguous(exporter.reference, order), order
        for flags in (tb.PyBUF_FULL_RO, tb.PyBUF_STRIDED_RO, tb.PyBUF_ND, tb.PyBUF_SIMPLE):
            try:
                expected = tb.py_buffer_to_contiguous(exporter.reference, order, flags)
            except BufferError as e:
                with pytest.raises(BufferError, match=str(e).replace("ndarray", "swiftbuf.Buffer")):
                    tb.py_buffer_to_contiguous(exporter.buffer, order, flags)
                continue
            assert tb.py_buffer_to_contiguous(exporter.buffer, order, flags) == expected, (order, flags)
    assert exporter.buffer.exports == 0


def test_attributes_match_the_export(exporter):
    b, ref = exporter.buffer, exporter.reference
    assert (b.shape, b.strides, b.format, b.itemsize, b.ndim, b.nbytes, b.readonly) == \
        (ref.shape, ref.strides, ref.format, ref.itemsize, ref.ndim, ref.nbytes, ref.readonly)
    assert (b.c_contiguous, b.f_contiguous) == (ref.c_contiguous, ref.f_contiguous)
    # Buffer.tolist() is its memoryview's tolist(): the builtin's formats, the builtin's errors.
    assert outcome(b.tolist) == outcome(memoryview(ref).tolist)
    for order in "CFA":
        assert b.tobytes(order) == memoryview(ref).tobytes(order), order
    if b.ndim:
        assert len(b) == len(ref.tolist())


def test_memoryview_of_buffer_matches_memoryview_of_reference(exporter):
    m, r = memoryview(exporter.buffer), memoryview(exporter.reference)
    assert (m.format, m.itemsize, m.ndim, m.shape, m.strides, m.suboffsets, m.readonly, m.nbytes) == \
        (r.format, r.itemsize, r.ndim, r.shape, r.strides, r.suboffsets, r.readonly, r.nbytes)
    assert (m.c_contiguous, m.f_contiguous, m.contiguous) == (r.c_contiguous, r.f_contiguous, r.contiguous)
    assert m.obj is exporter.buffer
    assert m.tobytes() == r.tobytes()
    assert outcome(m.tolist) == outcome(r.tolist)
    m.release()
    assert exporter.buffer.exports == 0
