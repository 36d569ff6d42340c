"""Lifetime of swiftbuf.Buffer memory: it lives exactly as long as the last view, resizing is
refused while any view exists, and export/release cycles leave memory and references flat."""
import gc
import sys
import tracemalloc
import weakref

import _testbuffer as tb
import numpy as np
import pytest

from swiftbuf import Buffer
from swiftbuf import _swiftbuf as S

from lane import ASAN, asan_allocated_bytes

RESIZE_REFUSED = "^Existing exports of data: object cannot be re-sized$"


def consumers(b):
    """One live view from each kind of consumer."""
    return [
        lambda: memoryview(b),
        lambda: memoryview(b)[::2],                        # a slice shares the managed buffer
        lambda: memoryview(b).cast("B"),
        lambda: np.asarray(b),
        lambda: np.frombuffer(b, dtype="B"),
        lambda: tb.ndarray(b, getbuf=tb.PyBUF_FULL_RO),
        lambda: tb.ndarray(b, getbuf=tb.PyBUF_SIMPLE),
    ]


def test_memoryview_obj_is_the_buffer():
    b = Buffer((2, 3), "d")
    assert memoryview(b).obj is b
    assert memoryview(b)[1:].obj is b
    assert tb.ndarray(b, getbuf=tb.PyBUF_FULL_RO).obj is b


@pytest.mark.parametrize("which", range(7))
def test_resize_is_refused_while_any_view_lives(which):
    b = Buffer(8, "B")
    view = consumers(b)[which]()
    assert b.exports == 1
    with pytest.raises(BufferError, match=RESIZE_REFUSED):
        b.resize(16)
    assert b.shape == (8,)
    del view
    gc.collect()
    assert b.exports == 0
    b.resize(16)
    assert b.shape == (16,)


def test_exports_count_nested_and_released_views():
    b = Buffer(10)
    m1 = memoryview(b)
    m2 = m1[2:]            # same export as m1
    a = np.asarray(b)
    assert b.exports == 2
    m1.release()           # m2 still registered on the managed buffer
    assert b.exports == 2
    m2.release()
    assert b.exports == 1
    with memoryview(b) as m3:
        assert b.exports == 2 and m3.obj is b
    assert b.exports == 1
    del a
    assert b.exports == 0


def test_memory_swift_did_not_allocate_is_never_resized(testext):
    for owner in (testext.matrix(2, 2), testext.array("i", 4)[0], testext.raw("B", [4]), testext.typed_pointer(4),
                  Buffer.from_dlpack(np.zeros(4))):
        with pytest.raises(BufferError, match="^swiftbuf.Buffer: memory not allocated by swiftbuf cannot be re-sized$"):
            owner.resize(2)


def test_resize_keeps_leading_bytes_and_zero_fills():
    b = Buffer.frombytes(bytes(range(1, 9)), "B", [8])
    b.resize((3, 4))
    assert b.tobytes() == bytes(range(1, 9)) + bytes(4)
    assert (b.shape, b.strides) == ((3, 4), (4, 1))
    b.resize(2)
    assert b.tobytes() == b"\x01\x02"
    f = Buffer((2, 2), "h", order="F")
    f.resize((2, 2))
    assert f.strides == (2, 4)  # resize keeps Fortran order, as NumPy does


# MARK: weak references and owners

@pytest.mark.parametrize("which", range(7))
def test_owner_dies_with_its_last_view(which):
    b = Buffer(8, "B")
    owner = weakref.ref(b)
    view = consumers(b)[which]()
    del b
    gc.collect()
    assert owner() is not None
    del view
    gc.collect()
    assert owner() is None


def test_owner_dies_when_a_cycle_holding_its_views_is_collected():
    class Holder:
        pass
    b = Buffer((4, 4), "d")
    owner = weakref.ref(b)
    h = Holder()
    h.self = h
    h.views = [memoryview(b), np.asarray(b), memoryview(b)[1:], np.asarray(b)[1:, ::2]]
    del b, h
    assert owner() is not None       # only the cycle keeps it
    gc.collect()
    assert owner() is None


def test_raw_memory_is_freed_once_by_the_collector(testext):
    gc.collect()   # exports earlier tests left in cycles are not this test's
    before = testext.deallocations()
    b = testext.raw("d", [3])
    cycle = [memoryview(b), np.asarray(b)]
    cycle.append(cycle)
    del b, cycle
    assert testext.deallocations() == before   # only the cycle keeps it
    gc.collect()
    assert testext.deallocations() == before + 1
    gc.collect()
    assert testext.deallocations() == before + 1


# MARK: a million cycles

def rss_bytes():
    """The resident set; under ASan, whose quarantine keeps freed memory resident, the bytes
    its allocator has handed out and not taken back, which is what the checks below mean."""
    if ASAN:
        return asan_allocated_bytes()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_a_million_exports_leave_memory_and_references_flat():
    b = Buffer((16, 16), "d")
    refs = sys.getrefcount(b)
    # The Swift side first: a million getbuffer/releasebuffer pairs in a C-speed loop. Any
    # allocation per export would show in the resident set (16 bytes a cycle is 16 MB).
    rss = rss_bytes()
    for flags in (tb.PyBUF_SIMPLE, tb.PyBUF_FULL_RO, tb.PyBUF_RECORDS, tb.PyBUF_ND):
        S._export_release_loop(b, 250_000, flags)
    assert rss_bytes() - rss < 1 << 20
    assert sys.getrefcount(b) == refs and b.exports == 0
    # Then a million through memoryview, the consumer Python code uses most.
    rss = rss_bytes()
    for _ in range(1_000_000):
        with memoryview(b):
            pass
    assert rss_bytes() - rss < 1 << 20
    assert sys.getrefcount(b) == refs and b.exports == 0
    # And with tracemalloc watching every allocation the interpreter makes (slow: 100k cycles).
    tracemalloc.start()
    try:
        for _ in range(1000):         # warm up free lists and caches
            memoryview(b).release()
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(100_000):
            with memoryview(b):
                pass
            np.asarray(b)
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - start < 4096
    assert sys.getrefcount(b) == refs and b.exports == 0


def test_refused_exports_leak_nothing():
    r = Buffer((8, 8), "d", order="F", readonly=True)
    refs = sys.getrefcount(r)
    rss = rss_bytes()
    for flags in (tb.PyBUF_WRITABLE, tb.PyBUF_C_CONTIGUOUS, tb.PyBUF_SIMPLE):
        for _ in range(20_000):
            with pytest.raises(BufferError):
                S._export_release_loop(r, 1, flags)
    assert rss_bytes() - rss < 1 << 20
    assert sys.getrefcount(r) == refs and r.exports == 0


def test_buffers_themselves_are_freed():
    """The object (traced by tracemalloc) and its Swift memory (a leak of the 600 bytes each
    holds would add 60 MB to the resident set)."""
    tracemalloc.start()
    try:
        for _ in range(100):
            Buffer((8, 8), "d")
        rss = rss_bytes()
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(100_000):
            b = Buffer((8, 8), "d")
            memoryview(b).release()
            del b
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - start < 4096
    assert rss_bytes() - rss < 4 << 20
