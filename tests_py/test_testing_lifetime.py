"""Ownership in swiftbuf.testing: every buffer a consumer takes is given back exactly once,
base buffers live exactly as long as their exports (ND_VAREXPORT), memory is returned, and
the inputs that make _testbuffer touch memory it does not own are handled safely instead."""
import gc
import sys
import tracemalloc

import _testbuffer as C
import pytest

import swiftbuf.testing as S


def test_consumers_give_the_buffer_back():
    ba = bytearray(b"abcdef")
    nd = S.ndarray(ba, getbuf=S.PyBUF_FULL_RO)
    with pytest.raises(BufferError):
        ba.append(0)  # exported: bytearray refuses to move
    sub = S.ndarray(nd)
    del nd
    with pytest.raises(BufferError):
        ba.append(0)
    del sub
    ba.append(0)  # every export released
    assert ba == b"abcdef\x00"


def test_reference_counts_return():
    ex = S.ndarray(list(range(24)), shape=[2, 3, 4], flags=S.ND_WRITABLE)
    before = sys.getrefcount(ex)
    for _ in range(50):
        consumers = [S.ndarray(ex), ex[1], ex[::-1, 1:], ex[0][1], memoryview(ex), S.get_contiguous(ex, S.PyBUF_READ, "F")]
        ex[0:1] = ex[1:2]
        assert sys.getrefcount(ex) > before
        del consumers
    assert sys.getrefcount(ex) == before


def test_varexport_keeps_exported_bases_until_released():
    """test_ndarray_linked_list, checked against _testbuffer at every step."""
    for module in (C, S):
        nd = module.ndarray([1, 2, 3], shape=[3], flags=module.ND_VAREXPORT)
        views = [memoryview(nd)]
        for i in range(1, 5):
            nd.push([i] * (i + 1), shape=[i + 1])
            views.append(memoryview(nd))
        # Each view still shows the base it was taken from, head or not.
        assert [v.tolist() for v in views] == [[1, 2, 3], [1, 1], [2, 2, 2], [3] * 4, [4] * 5]
        for v in views[:-1]:
            v.release()  # their bases are not the head: dropped with their last export
        with pytest.raises(BufferError, match="cannot change structure: 1 exported buffer$"):
            nd.pop()
        views[-1].release()
        with pytest.raises(BufferError, match="list only has a single base"):
            nd.pop()
        assert nd.tolist() == [4] * 5
        # Without exports, every base stays until popped.
        for i in range(1, 5):
            nd.push([i] * i, shape=[i])
        for length in (4, 3, 2, 1):
            assert nd.shape == (length,)
            nd.pop()
        assert nd.shape == (5,)


def test_memory_is_returned():
    """No allocation outlives its use: not the data, pointer tables, copies and scratch rows
    (CPython's allocator, so tracemalloc sees them: a leak of any of them is kilobytes per
    round), not a Python object (GC-tracked objects and the inputs' reference counts)."""
    items, fmt = list(range(1000)), "d"

    def churn(rounds):
        for _ in range(rounds):
            nd = S.ndarray(items, shape=[10, 100], format=fmt, flags=S.ND_PIL | S.ND_WRITABLE)
            nd[::2] = nd[1::2]
            nd.tolist(), nd.tobytes(), S.get_contiguous(nd, S.PyBUF_READ, "F").tobytes()
            S.py_buffer_to_contiguous(nd, "F", S.PyBUF_FULL_RO)
            consumer = S.ndarray(nd[::-1, ::3])
            nd.memoryview_from_buffer().tolist()
            del nd, consumer

    churn(100)
    gc.collect()
    refcounts = sys.getrefcount(items), sys.getrefcount(fmt)
    objects = len(gc.get_objects())
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        churn(300)
        gc.collect()
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - start > 40_000
    assert end - start < 64_000  # allocator noise (pytest, free lists), far below one leak per round
    assert len(gc.get_objects()) - objects < 30
    assert (sys.getrefcount(items), sys.getrefcount(fmt)) == refcounts


def test_getbuf_undefined_view_obj():
    for module in (C, S):
        nd = module.ndarray([1, 2, 3], shape=[3], flags=module.ND_GETBUF_FAIL | module.ND_GETBUF_UNDEFINED)
        with pytest.raises(BufferError, match="ND_GETBUF_FAIL: forced test exception"):
            memoryview(nd)
        with pytest.raises(BufferError):
            module.ndarray(nd)


def test_redirect_hands_out_the_exporters_buffer():
    ex = S.ndarray(list(range(6)), shape=[2, 3])
    nd = S.ndarray(ex, getbuf=S.PyBUF_FULL_RO, flags=S.ND_REDIRECT)
    with memoryview(nd) as m:
        assert m.obj is ex
    assert S.ndarray(nd).obj is ex


def test_hand_set_scalar_flag_is_safe():
    """ND_SCALAR claims every contiguity. _testbuffer then copies `nbytes` from `buf` in
    tobytes() and answers strideless requests, reading past its memory; here tobytes() copies
    the layout and a request without strides is refused."""
    nd = S.ndarray([7], shape=[4, 3], strides=[0, 0], flags=S.ND_SCALAR)
    with pytest.raises(RuntimeError, match="results from PyBuffer_IsContiguous\\(\\) and flags differ"):
        nd.c_contiguous  # as in _testbuffer
    assert nd.tolist() == [[7] * 3] * 4
    assert nd.tobytes() == bytes([7] * 12)
    assert hash(nd) == hash(bytes([7] * 12))
    for request in (S.PyBUF_SIMPLE, S.PyBUF_ND, S.PyBUF_CONTIG_RO, S.PyBUF_STRIDED_RO, S.PyBUF_FULL_RO):
        with pytest.raises(BufferError, match="ndarray: contiguity mismatch in getbuf\\(\\)"):
            S.ndarray(nd, getbuf=request)


def test_hand_set_c_flag_does_not_decide_tobytes():
    """ND_C (0x100, internal) set by hand on a Fortran-ordered array: _testbuffer's tobytes()
    and hash() trust the flag and copy the memory as it lies (b"\\x00\\x01..."); here the layout
    decides, so the items come in C order (the layout fact is kept beside the flags)."""
    nd = S.ndarray(list(range(12)), shape=[3, 4], strides=[1, 3], flags=0x100)
    assert nd.flags & 0x100
    c_order = bytes([0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11])
    assert nd.tobytes() == c_order
    assert hash(nd) == hash(c_order)
    assert nd.tolist() == [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8, 11]]


def test_memoryview_from_buffer_views_stay_readable():
    """One static buffer is shared, as in _testbuffer, but never freed: an older view shows
    the newer array's bytes instead of freed memory."""
    small = S.ndarray([1, 2, 3], shape=[3]).memoryview_from_buffer()
    big = S.ndarray(list(range(200)), shape=[200]).memoryview_from_buffer()
    assert big.tolist() == list(range(200))
    assert small.obj is None and big.obj is None
    assert len(small.tolist()) == 3  # readable; the contents are whatever the last call copied


def test_reinitialisation():
    nd = S.ndarray([1, 2, 3], shape=[3])
    nd.__init__([4, 5], shape=[2])
    assert nd.tolist() == [4, 5]
    m = memoryview(nd)
    with pytest.raises(BufferError, match="cannot change structure: 1 exported buffer"):
        nd.__init__([6], shape=[1])  # _testbuffer leaks the old state here and corrupts it later
    assert m.tolist() == [4, 5]
    m.release()
    nd.__init__(b"xyz")
    assert nd.tolist() == [120, 121, 122]


def test_uninitialised_array_raises():
    nd = S.ndarray.__new__(S.ndarray)  # _testbuffer crashes on any use of such an object
    getters = [lambda name=name: getattr(nd, name) for name in
               ("shape", "strides", "suboffsets", "format", "itemsize", "ndim", "nbytes", "readonly", "flags",
                "offset", "obj", "c_contiguous", "f_contiguous", "contiguous")]
    for use in (*getters, nd.tolist, lambda: memoryview(nd), lambda: nd[0], lambda: hash(nd),
                lambda: S.is_contiguous(nd, "C"), nd.pop):
        with pytest.raises((ValueError, BufferError), match="ndarray is not initialized"):
            use()
    del nd


def test_no_weak_references_and_no_subclasses():
    for module in (C, S):
        with pytest.raises(TypeError):
            __import__("weakref").ref(module.ndarray([1], shape=[1]))
        with pytest.raises(TypeError, match="is not an acceptable base type"):
            type("Sub", (module.ndarray,), {})


class _CollectionRunsCode:
    """Runs `action` once, from the first garbage collection that starts inside the block, and
    makes collections start at every allocation of a GC-tracked object meanwhile: building a
    list, a tuple or a memoryview runs Python code this way."""
    def __init__(self, action):
        self.action, self.fired, self.errors = action, False, []

    def _callback(self, phase, info):
        if phase == "start" and not self.fired:
            self.fired = True
            try:
                self.action()
            except Exception as e:  # a refusal from inside the collection is the outcome
                self.errors.append((type(e).__name__, str(e)))
            # Reuse freed memory, so that a read of it shows.
            self.junk = [bytearray(b"\xee" * 1024) for _ in range(64)]

    def __enter__(self):
        gc.collect()
        self.threshold = gc.get_threshold()
        gc.callbacks.append(self._callback)
        gc.set_threshold(1)
        return self

    def __exit__(self, *exc):
        gc.set_threshold(*self.threshold)
        gc.callbacks.remove(self._callback)


@pytest.mark.parametrize("change", ["pop", "init"])
def test_tolist_keeps_the_head_it_reads_while_a_collection_changes_the_array(change):
    """tolist() makes lists, which can start a collection that runs Python code; that code may
    pop the head or re-initialise the array. The items read are those of the head tolist()
    started on (kept until it is done), never freed memory."""
    o = S.ndarray(list(range(256)), shape=[64, 4], format="i")
    o.push(list(range(100, 356)), shape=[64, 4], format="i")
    action = o.pop if change == "pop" else (lambda: o.__init__([7], shape=[1], format="i"))
    with _CollectionRunsCode(action) as run:
        items = o.tolist()
    assert run.fired and not run.errors
    assert [x for row in items for x in row] == list(range(100, 356))
    assert o.tolist() == (list(map(list, zip(*[iter(range(256))] * 4))) if change == "pop" else [7])


def test_layout_getters_and_memoryview_from_buffer_keep_the_head():
    """shape, strides and memoryview_from_buffer() make a tuple or a view (GC-tracked) before
    they have read the layout."""
    o = S.ndarray(list(range(24)), shape=[2, 3, 4], format="i")
    with _CollectionRunsCode(lambda: o.__init__([7], shape=[1], format="i")):
        assert o.shape == (2, 3, 4)
    o = S.ndarray(list(range(24)), shape=[2, 3, 4], format="i")
    with _CollectionRunsCode(lambda: o.__init__([7], shape=[1], format="i")):
        m = o.memoryview_from_buffer()
    assert (m.shape, m.strides, m.tolist()[1][2]) == ((2, 3, 4), (48, 16, 4), [20, 21, 22, 23])


def test_consumer_is_pinned_while_tolist_makes_lists():
    """A consumer's base buffer cannot be given back from inside tolist(): __init__ refuses."""
    src = S.ndarray(list(range(64 * 8)), shape=[64, 8], format="i")
    c = src[:, ::2]
    del src
    with _CollectionRunsCode(lambda: c.__init__(b"x")) as run:
        items = c.tolist()
    assert run.errors == [("BufferError", "cannot change structure: 1 exported buffer")]
    assert items[1][:2] == [8, 10] and c.tolist() == items


@pytest.mark.parametrize("kind", ["original", "consumer"])
def test_init_refuses_an_export_taken_while_its_items_convert(kind):
    """__init__ checks for exports before packing the new items and again after: an item's
    __index__ that exports the array meanwhile makes it refuse, and the old state stays whole
    under that export (_testbuffer frees it)."""
    o = S.ndarray(list(range(12)), shape=[12], format="B")
    if kind == "consumer":
        o = o[::2]
    held = []

    class Exporting:
        def __index__(self):
            held.append(memoryview(o))
            return 7
    before = o.tolist()
    with pytest.raises(BufferError, match="cannot change structure: 1 exported buffer"):
        o.__init__([(Exporting(),)], shape=[1])
    junk = [bytes(range(200)) * 50 for _ in range(100)]  # noqa: F841 (reuse freed memory)
    assert held[0].tolist() == before == o.tolist()
    held[0].release()
    o.__init__([1, 2], shape=[2])  # no export left: allowed
    assert o.tolist() == [1, 2]


def test_push_checks_again_after_its_items_convert():
    """An export taken while push() packs its items makes it refuse, as one taken before does."""
    o = S.ndarray(list(range(4)), shape=[4], format="B")
    held = []

    class Exporting:
        def __index__(self):
            held.append(memoryview(o))
            return 7
    with pytest.raises(BufferError, match="cannot change structure: 1 exported buffer"):
        o.push([(Exporting(),)], shape=[1])
    assert held[0].tolist() == [0, 1, 2, 3] == o.tolist()
