"""swiftbuf.Buffer as a container behaves as the builtin memoryview of it: the same results,
exception types and messages for len, item get/set, multi-index, slicing, iteration, `in`,
==/!= and hash, over every exporter layout (conftest) and hypothesis-drawn keys; plus repr,
sys.getsizeof and the Sequence registration of swiftbuf.MemoryView."""
import collections.abc
import copy
import gc
import pickle
import struct
import sys
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import swiftbuf
from swiftbuf import Buffer

import support


def contents(value):
    """A result as the tests compare it: a view by its contents (format, shape, strides,
    readonly, bytes and items), anything else with NaN as text."""
    if isinstance(value, (memoryview, swiftbuf.MemoryView)):
        return ("view", value.format, value.shape, value.strides, value.readonly, value.tobytes(),
                outcome(value.tolist))
    return nan_as_text(value)


def outcome(fn):
    """support.outcome with views compared by their contents."""
    return support.outcome(fn, contents)


def nan_as_text(value):
    """NaN, alone or inside lists and tuples, as the text 'nan': NaN != NaN would make equal
    outcomes differ."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, (list, tuple)):
        return type(value)(nan_as_text(v) for v in value)
    return value


def same(op, b):
    ours = outcome(lambda: op(b))
    if ours[0] == "error":   # messages Python builds from the type name ("argument of type ...")
        ours = ours[:2] + [ours[2].replace("'swiftbuf.Buffer'", "'memoryview'")]
    builtin = outcome(lambda: op(memoryview(b)))
    assert ours == builtin, (ours, builtin)
    return ours


class Index:
    """An index that is not an int: `__index__` runs Python code."""
    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value

    def __repr__(self):
        return f"Index({self.value})"


# Indices that are not exact ints (bool, NumPy integers, `__index__`) and tuples mixing them
# resolve on the Buffer's own layout, the others through a view: both must be memoryview's.
KEYS = [0, 1, -1, 2, 5, -7, 100, 2**63, -2**63 - 1, True, (), (0,), (0, 0), (1, 2), (0, 0, 0), (-1, -1),
        slice(None), slice(1, 3), slice(None, None, -1), slice(0, 100, 2), slice(5, 1, -2), (slice(None),),
        (slice(None), slice(None)), ..., None, "a", 1.5, (0, slice(None)), (0.5,),
        Index(1), Index(-1), Index(2**63), np.intp(1), np.int8(-2), np.uint64(2**63), np.float64(1.0),
        (Index(0),), (np.intp(0), 0), (0, Index(1)), (Index(-1), np.int16(-1)), (2**63, 0), (0, 2**63),
        (True, False), (Index(0), Index(0), Index(0)), (np.intp(0), slice(None))]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_getitem_matches_memoryview(exporter, key):
    same(lambda x: x[key], exporter.buffer)


def test_len_iteration_and_in_match_memoryview(exporter):
    b = exporter.buffer
    same(len, b)
    same(list, b)
    same(lambda x: x.tolist(), b)
    for probe in [0, 1, 2, 0.0, b"\x00", -1, 10**30, "x", None]:
        same(lambda x: probe in x, b)


@pytest.mark.parametrize("key", [0, -1, 1, 3, (0, 0), (1, 1), (0, 0, 0), slice(0, 1), slice(None, None, 2), "k", (), ...,
                                 True, Index(1), np.intp(-1), np.uint64(2**63), 2**63, (Index(0), 0), (0, np.intp(1)),
                                 (2**63, Index(0)), (np.intp(0), slice(None))], ids=repr)
def test_setitem_matches_memoryview(exporter, key):
    """Each assignment is made on two copies (one through memoryview) and must leave them equal."""
    b = exporter.buffer
    for value in [1, 0, 255, -1, 2**64, 1.5, True, b"x", b"xy", None, "s"]:
        mine, theirs = copy.copy(b), copy.copy(b)
        ours = outcome(lambda: mine.__setitem__(key, value))
        builtin = outcome(lambda: memoryview(theirs).__setitem__(key, value))
        assert ours == builtin, (key, value, ours, builtin)
        assert mine.tobytes() == theirs.tobytes()
    # The right side of a slice assignment: another exporter of the same layout.
    if b.ndim == 1 and not b.readonly and isinstance(key, slice):
        mine = copy.copy(b)
        source = memoryview(copy.copy(b))[key]
        ours = outcome(lambda: mine.__setitem__(key, source))
        theirs = copy.copy(b)
        assert ours == outcome(lambda: memoryview(theirs).__setitem__(key, source))


@pytest.mark.parametrize("fmt", ["e", "<i", "=q", "@d", "?", "c", "<hQ", "2i", "x"])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0), (2, 3)], ids=repr)
def test_tolist_of_any_format_matches_memoryview(fmt, shape):
    """Formats memoryview reads are listed on the Buffer's own layout; the others raise, or
    give empty lists when there is no element, as memoryview does."""
    same(lambda x: x.tolist(), Buffer(shape, fmt))


def test_delete_is_refused_as_memoryview_refuses(exporter):
    same(lambda x: x.__delitem__(0), exporter.buffer)


def test_equality_matches_memoryview(exporter):
    b = exporter.buffer
    others = [copy.copy(b), exporter.reference, b.tobytes(), bytearray(b.tobytes()), 5, None,
              Buffer.frombytes(b.tobytes()), memoryview(b)]
    for other in others:
        same(lambda x: x == other, b)
        same(lambda x: x != other, b)
    assert (b == b) is (memoryview(b) == memoryview(b))
    for op in ("__lt__", "__le__", "__gt__", "__ge__"):
        assert getattr(b, op)(b) is NotImplemented


def test_hash_matches_a_readonly_memoryview(exporter):
    b = exporter.buffer
    ours = outcome(lambda: hash(b))
    builtin = outcome(lambda: hash(memoryview(b)))
    if b.readonly:
        # Same outcome; a refusal names the Buffer where memoryview names itself.
        assert ours == (builtin if builtin[0] == "ok" else builtin[:2] + [builtin[2].replace("memoryview:", "swiftbuf.Buffer:")])
        if ours[0] == "ok":
            assert hash(b) == hash(b.tobytes())
    else:
        assert ours == ["error", "ValueError", "cannot hash writable swiftbuf.Buffer object"]
        assert builtin == ["error", "ValueError", "cannot hash writable memoryview object"]


def test_hash_of_readonly_formats_memoryview_refuses():
    b = Buffer(3, "i", readonly=True)
    with pytest.raises(ValueError) as info:
        hash(b)
    assert str(info.value) == "swiftbuf.Buffer: hashing is restricted to formats 'B', 'b' or 'c'"
    with pytest.raises(ValueError, match="^memoryview: hashing is restricted to formats 'B', 'b' or 'c'$"):
        hash(memoryview(b))


def test_writable_buffers_are_unhashable_in_sets_and_dicts():
    with pytest.raises(ValueError, match="^cannot hash writable swiftbuf.Buffer object$"):
        {Buffer(2)}
    ro = Buffer.frombytes(b"ab", readonly=True)
    assert {ro: 1}[Buffer.frombytes(b"ab", readonly=True)] == 1
    assert ro == b"ab" and hash(ro) == hash(b"ab")


@settings(max_examples=300, deadline=None)
@given(data=st.binary(min_size=0, max_size=24), fmt=st.sampled_from(["B", "b", "h", "i", "q", "d", "f", "?", "c"]),
       key=st.one_of(st.integers(-30, 30), st.slices(30), st.tuples(st.integers(-3, 3))))
def test_hypothesis_keys_match_memoryview(data, fmt, key):
    size = struct.calcsize(fmt)
    data = data[: len(data) // size * size]
    if fmt == "?":
        data = bytes(x & 1 for x in data)
    b = Buffer.frombytes(data, fmt)
    same(lambda x: x[key], b)
    same(list, b)
    same(lambda x: x.tolist(), b)
    same(len, b)
    same(lambda x: x == Buffer.frombytes(data, fmt), b)


@settings(max_examples=200, deadline=None)
@given(rows=st.integers(0, 4), cols=st.integers(0, 4), order=st.sampled_from("CF"),
       i=st.integers(-5, 5), j=st.integers(-5, 5), value=st.integers(-300, 300))
def test_hypothesis_two_dimensional_items(rows, cols, order, i, j, value):
    raw = bytes(range(rows * cols))
    mine = Buffer.frombytes(raw, "B", (rows, cols), order=order)
    theirs = Buffer.frombytes(raw, "B", (rows, cols), order=order)
    assert outcome(lambda: mine[i, j]) == outcome(lambda: memoryview(theirs)[i, j])
    assert outcome(lambda: mine.__setitem__((i, j), value)) == outcome(lambda: memoryview(theirs).__setitem__((i, j), value))
    assert mine.tobytes("A") == theirs.tobytes("A")


def test_a_slice_is_a_swiftbuf_memoryview_of_the_buffer():
    b = Buffer.frombytes(bytes(range(10)))
    s = b[2:8:2]
    assert type(s) is swiftbuf.MemoryView and s.obj is b
    assert s.tolist() == [2, 4, 6] and b.exports == 1
    s[0] = 99
    assert b[2] == 99
    with pytest.raises(BufferError):
        b.resize(3)
    s.release()
    assert b.exports == 0
    b.resize(3)


def test_iteration_holds_an_export():
    b = Buffer.frombytes(b"abc")
    it = iter(b)
    assert next(it) == ord("a") and b.exports == 1
    with pytest.raises(BufferError):
        b.resize(1)
    assert list(it) == [ord("b"), ord("c")]
    assert b.exports == 0


@pytest.mark.parametrize("fmt", list("bBhHiIlLqQnNfd?cPe"))
def test_iteration_gives_what_a_views_iteration_gives(fmt):
    """A 1-d Buffer is iterated on its own layout (no view): the same elements as iterating
    memoryview(b), the export counted until the iterator is exhausted or dropped."""
    b = Buffer((5,), fmt)
    if fmt in "bBhHiIlLqQnNP":
        for i in range(5):
            b[i] = i + 1
    expected = outcome(lambda: list(memoryview(b)))
    assert b.exports == 0
    assert outcome(lambda: list(iter(b))) == expected
    assert b.exports == 0
    it = iter(b)
    # 'e' goes through a view, whose iterator raises memoryview's error at the first step.
    assert type(it).__name__ == ("memory_iterator" if fmt == "e" else "buffer_iterator") and iter(it) is it
    assert b.exports == 1
    del it
    gc.collect()
    assert b.exports == 0
    b.resize((2,))


def test_iterator_holds_the_buffer_and_refuses_pickling():
    b = Buffer.frombytes(b"xyz")
    it = iter(b)
    ref = weakref.ref(b) if hasattr(b, "__weakref__") else None
    del b
    gc.collect()
    assert list(it) == [ord("x"), ord("y"), ord("z")]
    assert list(it) == []
    if ref is not None:
        gc.collect()
        assert ref() is None
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="cannot pickle 'buffer_iterator' object"):
            pickle.dumps(iter(Buffer(3)), proto)
    with pytest.raises(TypeError):
        type(iter(Buffer(3)))()


@pytest.mark.parametrize("shape, fmt", [((), "B"), ((2, 3), "B"), ((3,), "<i"), ((3,), "3s")])
def test_iteration_refusals_are_memoryviews(shape, fmt):
    b = Buffer(shape, fmt)
    assert outcome(lambda: iter(b)) == outcome(lambda: iter(memoryview(b)))
    assert b.exports == 0


def test_index_that_resizes_the_buffer_cannot_move_memory_under_an_assignment():
    b = Buffer(8)

    class Index:
        def __index__(self):
            try:
                b.resize(1 << 16)
            except BufferError as e:
                Index.refused = str(e)
            return 3
    b[1] = Index()
    assert b[1] == 3 and b.shape == (8,)
    assert Index.refused == "Existing exports of data: object cannot be re-sized"


def test_int_subclass_keys_are_read_without_their_index_as_memoryview_reads_them():
    """An int subclass is used by value: `PyNumber_AsSsize_t` never calls its `__index__`, for
    memoryview or for a Buffer (which therefore holds no export while reading it)."""
    class Loud(int):
        def __index__(self):
            raise AssertionError("__index__ called")
    b = Buffer.frombytes(bytes(range(16)), "B", (16,))
    b2 = Buffer.frombytes(bytes(range(16)), "B", (4, 4))
    m, m2 = memoryview(bytearray(range(16))), memoryview(bytearray(range(16))).cast("B", (4, 4))
    for key in (Loud(3), True, False, Loud(-1), Loud(16)):
        assert outcome(lambda: b[key]) == outcome(lambda: m[key])
        assert outcome(lambda: b2[key, Loud(2)]) == outcome(lambda: m2[key, Loud(2)])
        assert outcome(lambda: b.__setitem__(key, 7)) == outcome(lambda: m.__setitem__(key, 7))
    assert b.tolist() == m.tolist() and b.exports == 0


@pytest.mark.parametrize("shape, key", [((8,), "index"), ((4, 4), "tuple")])
def test_key_whose_index_resizes_the_buffer_is_refused_as_under_a_view(shape, key):
    """An `__index__` in the key runs while the Buffer is read or written: a resize from there
    is refused, as it is while memoryview's own view of the Buffer exists."""
    refusals = []

    class Resizing:
        def __index__(self):
            try:
                b.resize(1 << 16)
            except BufferError as e:
                refusals.append(str(e))
            return 1
    b = Buffer.frombytes(bytes(range(16))[: 8 if len(shape) == 1 else 16], "B", shape)
    k = Resizing() if key == "index" else (Resizing(), Resizing())
    b[k] = 99
    assert b[k] == 99 and b.shape == shape and b.exports == 0
    assert refusals == ["Existing exports of data: object cannot be re-sized"] * (2 if key == "index" else 4)
    element = b.tolist()[1] if key == "index" else b.tolist()[1][1]
    assert element == 99


def test_tuple_key_converts_and_checks_one_dimension_at_a_time():
    """ptr_from_tuple's order: an index out of bounds raises before the next index converts,
    and a failing conversion raises before the next is looked at."""
    calls = []

    class Counted(Index):
        def __index__(self):
            calls.append(self.value)
            return self.value

    class Failing:
        def __index__(self):
            raise ZeroDivisionError("from __index__")
    for target in (Buffer((2, 2), "B"), memoryview(Buffer((2, 2), "B"))):
        calls.clear()
        for op in (lambda k: target[k], lambda k: target.__setitem__(k, 1)):
            with pytest.raises(IndexError, match="^index out of bounds on dimension 1$"):
                op((Counted(5), Counted(0)))
            with pytest.raises(ZeroDivisionError, match="^from __index__$"):
                op((Failing(), Counted(9)))
            with pytest.raises(IndexError, match="^cannot fit 'int' into an index-sized integer$"):
                op((2**63, Counted(8)))
        assert calls == [5, 5]


def test_slice_index_that_resizes_is_refused():
    b = Buffer.frombytes(bytes(range(8)))

    class Index:
        def __index__(self):
            with pytest.raises(BufferError):
                b.resize(1 << 16)
            return 2
    assert b[Index():].tolist() == [2, 3, 4, 5, 6, 7]


# MARK: - repr

REPRS = [
    (lambda: Buffer.frombytes(bytes(range(6)), "B", (2, 3)), "swiftbuf.Buffer((2, 3), 'B', data=[[0, 1, 2], [3, 4, 5]])"),
    (lambda: Buffer(3, "d"), "swiftbuf.Buffer((3,), 'd', data=[0.0, 0.0, 0.0])"),
    (lambda: Buffer((), "i", readonly=True), "swiftbuf.Buffer((), 'i', readonly=True, data=0)"),
    (lambda: Buffer((2, 2), "?", order="F"), "swiftbuf.Buffer((2, 2), '?', order='F', data=[[False, False], [False, False]])"),
    (lambda: Buffer(0), "swiftbuf.Buffer((0,), 'B', data=[])"),
    (lambda: Buffer((2, 0)), "swiftbuf.Buffer((2, 0), 'B', data=[[], []])"),
    (lambda: Buffer.frombytes(b"ab", "c"), "swiftbuf.Buffer((2,), 'c', data=[b'a', b'b'])"),
    (lambda: Buffer(2, "<ih"), "swiftbuf.Buffer((2,), '<ih')"),   # memoryview cannot read it: no data
    (lambda: Buffer(2, "e"), "swiftbuf.Buffer((2,), 'e')"),
    (lambda: Buffer(1000), "swiftbuf.Buffer((1000,), 'B', data=[" + ", ".join(["0"] * 1000) + "])"),
    (lambda: Buffer.frombytes(bytes(k % 7 for k in range(1001))), "swiftbuf.Buffer((1001,), 'B', data=[0, 1, 2, ..., 4, 5, 6])"),
    (lambda: Buffer((2, 600)), "swiftbuf.Buffer((2, 600), 'B', data=[[0, 0, 0, ..., 0, 0, 0], [0, 0, 0, ..., 0, 0, 0]])"),
    (lambda: Buffer((100, 100)),
     "swiftbuf.Buffer((100, 100), 'B', data=[" + ", ".join(["[0, 0, 0, ..., 0, 0, 0]"] * 3 + ["..."] + ["[0, 0, 0, ..., 0, 0, 0]"] * 3) + "])"),
]


@pytest.mark.parametrize("make, text", REPRS)
def test_repr(make, text):
    assert repr(make()) == text


def test_repr_summarises_where_numpy_does():
    """The same elements are shown as NumPy's default print options show (threshold 1000,
    three edge items per dimension)."""
    np = pytest.importorskip("numpy")
    for shape in [(1000,), (1001,), (7,), (2, 500), (2, 501), (10, 10, 11), (1, 1001), (6, 300)]:
        count = 1
        for n in shape:
            count *= n
        b = Buffer(shape, "b")
        a = np.zeros(shape, "b")
        ours = repr(b).split("data=", 1)[1][:-1]
        theirs = np.array2string(a, separator=", ", max_line_width=10**9).replace("\n", "").replace(" ", "")
        assert ours.replace(" ", "") == theirs, shape


# MARK: - getsizeof, Sequence

def test_getsizeof_counts_the_memory_it_owns():
    small, large = sys.getsizeof(Buffer(10)), sys.getsizeof(Buffer(10_010))
    assert large - small == 10_000
    assert sys.getsizeof(Buffer((100, 100), "d")) > 80_000
    # Memory another owner frees (a DLPack producer's) is not counted.
    np = pytest.importorskip("numpy")
    a = np.zeros(100_000)
    assert sys.getsizeof(Buffer.from_dlpack(a)) < 2_000


def test_memoryview_is_a_sequence_as_the_builtin_is():
    assert isinstance(memoryview(b"a"), collections.abc.Sequence)
    assert isinstance(swiftbuf.MemoryView(b"a"), collections.abc.Sequence)
    assert issubclass(swiftbuf.MemoryView, collections.abc.Sequence)


def test_buffer_matches_sequence_patterns_as_memoryview_does():
    def shape_of(x):
        match x:
            case [a, b]:
                return ("pair", a, b)
            case _:
                return "other"
    assert shape_of(Buffer.frombytes(b"\x01\x02")) == shape_of(memoryview(b"\x01\x02")) == ("pair", 1, 2)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(min_size=8, max_size=8), other=st.binary(min_size=8, max_size=8),
       f1=st.sampled_from(["B", "b", "h", "d", "f", "?", "<h", "2B"]), f2=st.sampled_from(["B", "b", "h", "d", "<h"]),
       shape1=st.sampled_from([None, (2, 2), (4, 2), (2, 4)]), shape2=st.sampled_from([None, (2, 2), (4, 2)]),
       o1=st.sampled_from("CF"), o2=st.sampled_from("CF"), same_data=st.booleans())
def test_hypothesis_buffer_against_buffer_equality(data, other, f1, f2, shape1, shape2, o1, o2, same_data):
    """Buffer == Buffer (compared in the core when both have the same native format) gives
    what memoryview gives for the same pair."""
    def make(raw, fmt, shape, order):
        size = struct.calcsize(fmt)
        if fmt == "?":
            raw = bytes(x & 1 for x in raw)
        if shape is not None and len(raw) != size * shape[0] * shape[1]:
            shape = None
        return Buffer.frombytes(raw[: len(raw) // size * size], fmt, shape, order=order)
    a = make(data, f1, shape1, o1)
    b = make(data if same_data else other, f2, shape2, o2)
    for x, y in ((a, b), (a, a), (b, a)):
        assert outcome(lambda: x == y) == outcome(lambda: memoryview(x) == memoryview(y))
        assert outcome(lambda: x != y) == outcome(lambda: memoryview(x) != memoryview(y))
