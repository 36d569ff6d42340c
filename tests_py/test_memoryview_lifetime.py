"""Lifetimes of swiftbuf.MemoryView, checked side by side with the builtin: one export per
envelope however many views share it, given back exactly once (release, deallocation, or the
garbage collector breaking a cycle), export counting of the view as an exporter, references
and weak references, GC cycles through views, iterators and consumers, re-entrant callbacks
that release the view, and no leaked objects over many operations."""
import array
import gc
import pickle
import sys
import weakref

import _testbuffer as tb
import numpy as np
import pytest

import swiftbuf
from lane import ASAN, asan_allocated_bytes

B, S = memoryview, swiftbuf.MemoryView
BOTH = pytest.mark.parametrize("V", [B, S], ids=["builtin", "swiftbuf"])


@BOTH
def test_views_share_one_export_given_back_once(V):
    ba = bytearray(b"abcdef")
    m = V(ba)
    children = [m[1:], m[::2], m.cast("c"), m.toreadonly(), V(m), m[1:][1:]]
    assert all(c.obj is ba for c in children)
    with pytest.raises(BufferError):
        ba.append(0)
    m.release()
    for c in children[:-1]:
        with pytest.raises(BufferError):
            ba.append(0)
        c.release()
    with pytest.raises(BufferError):
        ba.append(0)
    del children
    ba.append(0)                  # the last view was deallocated: the export is back
    assert m.tolist.__self__ is m and "released" in repr(m)


@BOTH
def test_exporter_references_are_restored(V):
    for make in (lambda: b"abc", lambda: bytearray(b"abc"), lambda: np.arange(6.0).reshape(2, 3)[:, ::2],
                 lambda: tb.ndarray(list(range(6)), shape=[2, 3], flags=tb.ND_PIL), lambda: array.array("d", [1.0])):
        x = make()
        before = sys.getrefcount(x)
        m = V(x)
        views = [m[:], V(m)] + ([m.cast("B")] if m.c_contiguous else [])
        assert sys.getrefcount(x) > before
        del m, views
        assert sys.getrefcount(x) == before


@BOTH
def test_the_view_counts_its_exports(V):
    m = V(bytearray(8))
    consumers = [tb.ndarray(m, getbuf=tb.PyBUF_FULL_RO), tb.ndarray(m, getbuf=tb.PyBUF_SIMPLE),
                 tb.ndarray(m, getbuf=tb.PyBUF_ND)]
    for expected in (3, 2, 1):
        with pytest.raises(BufferError, match=f"^memoryview has {expected} exported buffers?$"):
            m.release()
        consumers.pop()
    m.release()
    assert "released" in repr(m)
    refs = sys.getrefcount(m)
    with pytest.raises(ValueError):
        tb.ndarray(m, getbuf=tb.PyBUF_SIMPLE)
    assert sys.getrefcount(m) == refs     # a failed export leaves no reference behind


@BOTH
def test_weak_references_and_callbacks(V):
    b = b"abc"
    m = V(b)
    seen = []
    r = weakref.ref(m, lambda ref: seen.append(ref))
    assert r() is m
    del m
    gc.collect()
    assert r() is None and len(seen) == 1


class Source(bytes):
    pass


class Holder:
    pass


def exporter_holding_its_view(V):          # exporter -> view -> (envelope) -> exporter
    s = Source(b"abc")
    s.view = V(s)
    return s


def holder_of_a_slice(V):                   # holder -> sliced view; holder -> holder
    h = Holder()
    h.view = V(bytearray(4))[1:]
    h.me = h
    return h


def exporter_holding_a_consumer(V):         # exporter -> builtin view exporting V's view -> exporter
    s = Source(b"xyz")
    s.consumer = B(V(s))
    return s


def exporter_holding_an_iterator(V):        # exporter -> iterator -> view -> exporter
    s = Source(b"it")
    s.iterator = iter(V(s))
    return s


def exporter_holding_a_view_then_its_slice(V):   # exporter -> view, slice -> exporter: the managed
    s = Source(b"abcd")                          # buffer is unshared, then shared while in the cycle
    s.view = V(s)
    gc.collect()
    s.slice = s.view[1:]
    return s


def holder_of_a_picklebuffer(V):            # CPython 3.14's test_picklebuffer_reference_loop
    h = Holder()
    h.pb = pickle.PickleBuffer(V(b"abc"))
    h.me = h
    return h


@BOTH
@pytest.mark.parametrize("make", [exporter_holding_its_view, holder_of_a_slice, exporter_holding_a_consumer,
                                  exporter_holding_an_iterator, exporter_holding_a_view_then_its_slice,
                                  holder_of_a_picklebuffer])
def test_cycles_through_views_are_collected(V, make):
    def build():
        obj = make(V)
        obj.marker = Holder()
        return weakref.ref(obj.marker)
    alive = build()
    gc.collect()
    assert alive() is None


@BOTH
def test_gc_tracking(V):
    m = V(b"abc")
    assert gc.is_tracked(m) and gc.is_tracked(iter(m))


def test_no_objects_leak_over_many_operations():
    def churn():
        for _ in range(200):
            ba = bytearray(b"abcdefgh" * 4)
            m = S(ba)
            m[::2].tolist()
            m.cast("i").tolist()
            m.cast("B", [4, 8]).tolist()
            m.hex(":", 2)
            m == ba
            m == array.array("d", [1.0])
            hash(S(bytes(ba)))
            list(m[:4])
            m[0] = 1
            m[1:3] = b"xy"
            with m[1:] as child:
                child.tobytes("F")
            for bad in (lambda: m["x"], lambda: m.cast("Z"), lambda: m.__setitem__(0, 300)):
                try:
                    bad()
                except (TypeError, ValueError):
                    pass
            nd = tb.ndarray(m, getbuf=tb.PyBUF_FULL_RO)
            del nd
            m.release()
    if ASAN:    # PYTHONMALLOC=malloc leaves no pymalloc blocks to count; ASan counts bytes
        in_use, limit = asan_allocated_bytes, 50 * 64
    else:
        in_use, limit = sys.getallocatedblocks, 50
    churn()
    gc.collect()
    before = in_use()
    churn()
    gc.collect()
    assert in_use() - before < limit


def test_swift_side_envelopes_are_freed():
    """Each envelope keeps its exporter alive: an envelope that leaked would leak its
    exporter, which a weak reference would show."""
    class Exporter(bytearray):
        pass
    refs = []
    for _ in range(50):
        x = Exporter(b"abc")
        refs.append(weakref.ref(x))
        m = S(x)
        m[1:].cast("c").tolist()
        iter(m)
        del x, m
    gc.collect()
    assert all(r() is None for r in refs)


@BOTH
def test_scratch_copies_too_large_raise_memory_error(V):
    """A zero stride describes more bytes than exist: the contiguous copies that hashing,
    hex and slice assignment make of it fail with MemoryError, not a crash."""
    huge = 2 ** 50
    ro = np.lib.stride_tricks.as_strided(np.zeros(1, "u1"), shape=(huge,), strides=(0,), writeable=False)
    rw = np.lib.stride_tricks.as_strided(np.zeros(1, "u1"), shape=(huge,), strides=(0,), writeable=True)
    with pytest.raises(MemoryError):
        V(rw)[:] = V(ro)
    with pytest.raises(MemoryError):
        V(ro).hex()
    with pytest.raises(MemoryError):
        V(ro).tobytes()
