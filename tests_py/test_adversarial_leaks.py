"""Leaks: every operation swiftbuf exposes, on its success path and on each kind of failure,
repeated many times must leave everything flat: the reference counts of the objects involved,
the number of GC-tracked objects, the pymalloc blocks in use (`sys.getallocatedblocks`, which
sees every Python object), and the bytes glibc's malloc has handed out (`mallinfo2`, which sees
what Swift and CPython's raw allocator allocate, and what tracemalloc cannot).

Error paths are where leaks hide: an exception raised between an allocation (or a new
reference, or an export) and its release.
"""
import array
import ctypes
import gc
import struct
import sys

import _testbuffer
import numpy as np
import pytest

import swiftbuf
import swiftbuf.testing as T
from lane import ASAN, PYMALLOC, asan_allocated_bytes
from support import settle

MV = swiftbuf.MemoryView
ROUNDS = 400


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


try:
    _libc = ctypes.CDLL(None)
    _libc.mallinfo2.restype = _Mallinfo2
except (OSError, AttributeError):   # not glibc >= 2.33: malloc is not measured
    _libc = None


def malloc_in_use():
    if ASAN:    # ASan's malloc does not feed mallinfo2; its own count leaves out the quarantine
        return asan_allocated_bytes()
    if _libc is None:
        return 0
    info = _libc.mallinfo2()
    return info.uordblks + info.hblkhd


# MARK: - The objects every operation works on

class Index:
    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


class IndexRaises:
    def __index__(self):
        raise ZeroDivisionError("index")


class Context:
    """Long-lived objects whose reference counts must come back to where they were."""
    def __init__(self):
        import swift_package
        # The Swift API's operations call a Swift extension module built on it (the fixture
        # `swift_testext_dir` builds it once and tells child processes where it is).
        self.swift = swift_package.module()
        self.ba = bytearray(b"abcdefgh" * 4)
        self.raw = bytes(range(32))
        self.buffer = swiftbuf.Buffer.frombytes(self.raw, "d", [2, 2])
        self.ro_buffer = swiftbuf.Buffer.frombytes(self.raw, "i", [8], readonly=True)
        self.scalar = swiftbuf.Buffer((), "d")
        self.np_index = np.intp(1)
        self.m = MV(self.ba)
        self.md = MV(self.buffer)
        self.mro = MV(self.raw)
        self.m2d = MV(self.ba).cast("B", [4, 8])
        self.released = MV(self.ba)
        self.released.release()
        self.nd = T.ndarray(list(range(12)), shape=[3, 4], flags=T.ND_WRITABLE)
        self.pil = T.ndarray(list(range(12)), shape=[3, 4], flags=T.ND_PIL | T.ND_WRITABLE)
        self.record = T.ndarray([(1, 2.5), (3, 4.5)], shape=[2], format="id", flags=T.ND_WRITABLE)
        self.mrec = MV(self.record)
        self.half = MV(_testbuffer.ndarray([1.0, 2.0], shape=[2], format="e"))
        # NumPy describes a structured dtype as 'T{<i:a:}', a format struct rejects.
        self.mstruct = MV(np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")]))
        self.consumer = T.ndarray(self.ba, getbuf=T.PyBUF_FULL)
        self.ref_nd = _testbuffer.ndarray(list(range(12)), shape=[3, 4])
        self.value = 2 ** 40 + 1    # not a cached small int
        self.key = Index(3)
        self.bad_key = IndexRaises()

    def objects(self):
        return {name: value for name, value in vars(self).items()}


def fails(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception:  # noqa: BLE001 - the failure path is what is measured
        return
    raise AssertionError(f"{fn} did not fail")


def with_export(view, body):
    """Runs `body` while a consumer holds an export of `view`."""
    held = memoryview(view)
    try:
        body()
    finally:
        held.release()


OPERATIONS = {
    # swiftbuf.MemoryView: construction and views of the same export
    "view_of_bytearray": lambda c: MV(c.ba),
    "view_of_view": lambda c: MV(c.m),
    "view_of_buffer_released": lambda c: MV(c.buffer).release(),
    "view_of_non_exporter": lambda c: fails(MV, c.value),
    "view_of_released": lambda c: fails(MV, c.released),
    "slice": lambda c: c.m[1:7:2],
    "slice_bad_index": lambda c: fails(c.m.__getitem__, slice(c.bad_key)),
    "cast": lambda c: c.m.cast("i", [2, 4]),
    "cast_bad_shape": lambda c: fails(c.m.cast, "i", [3, 3]),
    "cast_bad_format": lambda c: fails(c.m.cast, "Z"),
    "cast_shape_not_ints": lambda c: fails(c.m.cast, "B", ["a"]),
    "toreadonly": lambda c: c.m.toreadonly(),
    "context_manager": lambda c: [None for _ in [MV(c.ba).__enter__()]],
    "release_refused": lambda c: with_export(c.m, lambda: fails(c.m.release)),
    # elements
    "getitem": lambda c: c.md[1, 1],
    "getitem_index_object": lambda c: c.m[c.key],
    "getitem_out_of_range": lambda c: fails(c.m.__getitem__, 99),
    "getitem_bad_key": lambda c: fails(c.m.__getitem__, "x"),
    "getitem_index_raises": lambda c: fails(c.m.__getitem__, c.bad_key),
    "getitem_released": lambda c: fails(c.released.__getitem__, 0),
    "getitem_half": lambda c: fails(c.half.__getitem__, 0),
    "setitem": lambda c: c.m.__setitem__(0, 97),
    "setitem_double": lambda c: c.md.__setitem__((0, 1), 1.5),
    "setitem_bad_value": lambda c: fails(c.m.__setitem__, 0, "x"),
    "setitem_out_of_range_value": lambda c: fails(c.m.__setitem__, 0, c.value),
    "setitem_readonly": lambda c: fails(c.mro.__setitem__, 0, 1),
    "setslice": lambda c: c.m.__setitem__(slice(0, 4), c.raw[:4]),
    "setslice_mismatch": lambda c: fails(c.m.__setitem__, slice(0, 4), c.raw[:5]),
    "setslice_not_exporter": lambda c: fails(c.m.__setitem__, slice(0, 4), c.value),
    "setslice_overlapping": lambda c: c.m.__setitem__(slice(0, 8), c.m[4:12]),
    # whole-view methods
    "tolist_2d": lambda c: c.m2d.tolist(),
    "tolist_record": lambda c: fails(c.mrec.tolist),
    "tolist_half": lambda c: fails(c.half.tolist),
    "tobytes_fortran": lambda c: c.m2d.tobytes("F"),
    "tobytes_bad_order": lambda c: fails(c.m.tobytes, "X"),
    "hex": lambda c: c.m.hex(":", 3),
    "hex_bad_separator": lambda c: fails(c.m.hex, "::"),
    "hash": lambda c: hash(MV(c.raw)),
    "hash_writable": lambda c: fails(hash, c.m),
    "iterate": lambda c: list(c.m),
    "count": lambda c: c.m.count(97),
    "index_missing": lambda c: fails(c.m.index, 300),
    "len_released": lambda c: fails(len, c.released),
    "repr": lambda c: repr(c.m),
    "attributes": lambda c: (c.m2d.shape, c.m2d.strides, c.m2d.suboffsets, c.m2d.format, c.m2d.obj),
    "attributes_released": lambda c: fails(getattr, c.released, "shape"),
    # comparison
    "equal_same_format": lambda c: c.m == c.ba,
    "equal_struct_formats": lambda c: c.mrec == c.record,
    "equal_across_formats": lambda c: c.md == MV(c.buffer).cast("B").cast("b", [4, 8]),
    "equal_format_struct_rejects": lambda c: c.mstruct == c.mrec,
    "equal_non_exporter": lambda c: c.m == c.value,
    # swiftbuf.Buffer
    "buffer_new": lambda c: swiftbuf.Buffer((2, 3), "d", order="F"),
    "buffer_new_bad_shape": lambda c: fails(swiftbuf.Buffer, [2, -1]),
    "buffer_new_bad_format": lambda c: fails(swiftbuf.Buffer, 2, "Z"),
    "buffer_new_overflow": lambda c: fails(swiftbuf.Buffer, [2 ** 62, 2 ** 62]),
    "buffer_new_index_raises": lambda c: fails(swiftbuf.Buffer, [c.bad_key]),
    "buffer_frombytes": lambda c: swiftbuf.Buffer.frombytes(c.raw, "i", [2, 4]),
    "buffer_frombytes_bad_length": lambda c: fails(swiftbuf.Buffer.frombytes, c.raw, "i", [3]),
    "buffer_resize_refused": lambda c: with_export(c.buffer, lambda: fails(c.buffer.resize, 8)),
    "buffer_resize": lambda c: swiftbuf.Buffer(4).resize([2, 8]),
    # keys other than exact ints resolve on the Buffer's layout with an export pinned
    "buffer_getitem_index_key": lambda c: c.ro_buffer[c.key],
    "buffer_getitem_index_tuple": lambda c: c.buffer[c.np_index, Index(0)],
    "buffer_setitem_index_tuple": lambda c: c.buffer.__setitem__((Index(1), c.np_index), 2.5),
    "buffer_getitem_index_raises": lambda c: fails(c.buffer.__getitem__, (c.bad_key, 0)),
    "buffer_setitem_index_out_of_range": lambda c: fails(c.buffer.__setitem__, (c.key, 0), 1.0),
    "buffer_zero_d_items": lambda c: (c.scalar.__setitem__(Ellipsis, 2.5), c.scalar[()], c.scalar.tolist()),
    "buffer_tolist": lambda c: c.buffer.tolist(),
    "buffer_iterate": lambda c: (list(c.ro_buffer), next(iter(c.ro_buffer))),
    "buffer_iterate_refused": lambda c: fails(iter, c.buffer),
    "buffer_tobytes": lambda c: c.buffer.tobytes("F"),
    "buffer_repr": lambda c: repr(c.ro_buffer),
    "buffer_writable_export_refused": lambda c: fails(memoryview(c.ro_buffer).cast, "Z"),
    # swiftbuf.testing
    "ndarray_new": lambda c: T.ndarray(list(range(6)), shape=[2, 3], format="h", flags=T.ND_FORTRAN),
    "ndarray_new_record": lambda c: T.ndarray([(1, 2.5)], shape=[1], format="id"),
    "ndarray_new_pil": lambda c: T.ndarray(list(range(6)), shape=[2, 3], strides=[-3, 1], offset=3, flags=T.ND_PIL),
    "ndarray_new_mismatch": lambda c: fails(T.ndarray, [1, "x"], shape=[2]),
    "ndarray_new_bad_structure": lambda c: fails(T.ndarray, [1, 2], shape=[3]),
    "ndarray_new_bad_format": lambda c: fails(T.ndarray, [1], shape=[1], format="Z"),
    "ndarray_reexport": lambda c: T.ndarray(c.nd, getbuf=T.PyBUF_FULL_RO),
    "ndarray_reexport_refused": lambda c: fails(T.ndarray, c.ref_nd, getbuf=T.PyBUF_WRITABLE),
    "ndarray_getitem": lambda c: c.nd[1],
    "ndarray_getitem_item": lambda c: c.pil[1][2],
    "ndarray_slice": lambda c: c.nd[::-1, 1:3],
    "ndarray_slice_bad": lambda c: fails(c.nd.__getitem__, (slice(None), 1)),
    "ndarray_setitem": lambda c: c.pil[1].__setitem__(2, 5),
    "ndarray_setitem_bad": lambda c: fails(c.pil[1].__setitem__, 2, "x"),
    "ndarray_setslice": lambda c: c.nd.__setitem__(slice(0, 1), c.nd[2:3]),
    "ndarray_setslice_mismatch": lambda c: fails(c.nd.__setitem__, slice(0, 2), c.nd[2:3]),
    "ndarray_consumer_setitem": lambda c: c.consumer.__setitem__(0, 97),
    "ndarray_tolist": lambda c: c.pil.tolist(),
    "ndarray_tolist_record": lambda c: c.record.tolist(),
    "ndarray_tobytes": lambda c: c.pil.tobytes(),
    "ndarray_push_pop": lambda c: (c.nd.push([1, 2], shape=[2], flags=T.ND_WRITABLE), c.nd.pop()),
    "ndarray_push_bad": lambda c: fails(c.nd.push, [1, 2], shape=[3]),
    "ndarray_pop_refused": lambda c: fails(c.nd.pop),
    "ndarray_memoryview_from_buffer": lambda c: c.nd.memoryview_from_buffer(),
    "ndarray_add_suboffsets": lambda c: T.ndarray([1, 2], shape=[2]).add_suboffsets(),
    "ndarray_hash_writable": lambda c: fails(hash, c.nd),
    "get_contiguous_copy": lambda c: T.get_contiguous(c.pil, T.PyBUF_READ, "F"),
    "get_contiguous_refused": lambda c: fails(T.get_contiguous, c.pil, T.PyBUF_WRITE, "F"),
    "py_buffer_to_contiguous": lambda c: T.py_buffer_to_contiguous(c.pil, "F", T.PyBUF_INDIRECT),
    "py_buffer_to_contiguous_refused": lambda c: fails(T.py_buffer_to_contiguous, c.pil, "F", T.PyBUF_SIMPLE),
    "cmp_contig": lambda c: T.cmp_contig(c.nd, c.ref_nd),
    "is_contiguous": lambda c: T.is_contiguous(c.m2d, "F"),
    "get_pointer": lambda c: T.get_pointer(c.pil, [2, 3]),
    "get_pointer_bad": lambda c: fails(T.get_pointer, c.pil, [2, 9]),
    "slice_indices": lambda c: T.slice_indices(slice(c.key, None, -1), 10),
    "staticarray": lambda c: memoryview(T.staticarray()).tolist(),
    # the Swift API (PythonBuffer.export, PythonBufferView), from a Swift extension module
    "swift_array": lambda c: memoryview(c.swift.array("d", 6, False, (2, 3))[0]).tolist(),
    "swift_array_refused": lambda c: fails(c.swift.array, "d", 4, False, (5,)),
    "swift_typed_pointer": lambda c: memoryview(c.swift.typed_pointer(4)).tolist(),
    "swift_raw_export": lambda c: memoryview(c.swift.raw("i", (2, 2), (4, 8))).tolist(),
    "swift_raw_export_refused": lambda c: fails(c.swift.raw, "i", (2, 2), (4, 80), 16),
    "swift_sum": lambda c: c.swift.sum(c.buffer),
    "swift_span_sum": lambda c: c.swift.span_sum(c.buffer),
    "swift_span_refused": lambda c: fails(c.swift.span_sum, MV(c.ba).cast("d")[::2]),
    "swift_scale_refused": lambda c: fails(c.swift.span_scale, c.ro_buffer, 2.0),
    "swift_read": lambda c: c.swift.read(c.m2d, "B"),
    "swift_element": lambda c: c.swift.element(c.buffer, "d", (1, 1), 2.5),
    "swift_element_refused": lambda c: fails(c.swift.element, c.buffer, "i", (0, 0)),
    "swift_hold_release": lambda c: (c.swift.hold(c.buffer), c.swift.release_held()),
    "swift_release": lambda c: c.swift.release(c.ba),
}


def references(objects):
    return {name: sys.getrefcount(value) for name, value in objects.items()}


def measure():
    settle()
    return len(gc.get_objects()), sys.getallocatedblocks(), malloc_in_use()


@pytest.fixture(scope="module")
def context(swift_testext_dir):
    return Context()


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_repeated_operation_leaks_nothing(context, name):
    op = OPERATIONS[name]
    objects = context.objects()
    for _ in range(50):   # warm caches (struct's, the interpreter's free lists, Swift metadata)
        op(context)
    before = references(objects)
    # Two phases: a leak grows in both, the interpreter's one-off growth (a free list, a
    # cache) in one at most.
    growth = []
    start = measure()
    for _ in range(2):
        for _ in range(ROUNDS):
            op(context)
        end = measure()
        growth.append([b - a for a, b in zip(start, end)])
        start = end
    after = references(objects)
    del objects   # a failure's traceback must not keep references that the next test counts
    assert after == before
    gc_objects, blocks, malloced = (min(g[i] for g in growth) for i in range(3))
    # A leak of one object or block per round, or 8 bytes, shows as ROUNDS of them.
    assert gc_objects < ROUNDS // 2, growth
    assert blocks < ROUNDS // 2, growth
    assert malloced < ROUNDS * 8, growth


def test_the_checks_see_a_leak(context):
    """The same measurements catch a deliberate leak of one small object, one GC-tracked object,
    and 16 malloc'ed bytes per round (so a passing test above means something)."""
    kept = []
    gc_objects, blocks, malloced = measure()
    for _ in range(ROUNDS):
        kept.append(object())
        kept.append([])
    after_gc, after_blocks, _ = measure()
    assert after_gc - gc_objects >= ROUNDS
    if PYMALLOC:    # with PYTHONMALLOC=malloc (the ASan lane) the block count stays 0
        assert after_blocks - blocks >= ROUNDS
    if _libc is not None:
        _libc.malloc.restype = ctypes.c_void_p
        pointers = [_libc.malloc(16) for _ in range(ROUNDS)]
        assert measure()[2] - malloced >= ROUNDS * 16
        _libc.free.argtypes = [ctypes.c_void_p]
        for p in pointers:
            _libc.free(p)
