"""Re-entrancy: Python code that runs in the middle of a Swift operation (an `__index__`,
`__float__`, `__bool__`, `__eq__`, `__len__` or `__hash__` the operation calls) and releases the
view, resizes or pops its exporter, mutates the argument being read, or drops the last
reference to it.

Every scenario runs twice in child processes, once with CPython's builtin `memoryview` and
`_testbuffer` and once with `swiftbuf.MemoryView` and `swiftbuf.testing`, so that a crash is a
failing test and not a dead test run; swiftbuf must give the builtin's outcome (the same value,
or the same exception type and message). CPython itself reads or writes freed memory in some of
these situations (memoryobject.c has no CHECK_RELEASED_AGAIN there, or _testbuffer.c keeps
borrowed references across calls into Python): those scenarios name the outcome swiftbuf gives
instead and are not run against the builtin at all, since a heap it corrupted would make later
scenarios in the same child meaningless.
"""
import json
import os
import signal
import subprocess
import sys

import pytest

# MARK: - Scenarios

SCENARIOS = {}
# The outcome swiftbuf must give where the builtin gives none to compare with: CPython 3.11.7
# uses freed memory there, or the scenario drives swiftbuf's own API (Buffer, or the Swift API
# through swiftbuf_testext), or swiftbuf.testing deliberately differs from _testbuffer (each
# says why).
EXPECTED = {}

BIG = 1 << 20   # bytes: large enough that freeing or moving it gives the pages back (mmap)


def scenario(fn=None, *, expected=None):
    """Registers a scenario `fn(env)`; `expected` is the outcome swiftbuf must give instead of
    the builtin's (see EXPECTED)."""
    def register(fn):
        SCENARIOS[fn.__name__] = fn
        if expected is not None:
            EXPECTED[fn.__name__] = expected
        return fn
    return register(fn) if fn is not None else register


class Index:
    """An index whose conversion first runs `action`."""
    def __init__(self, action, value):
        self.action, self.value = action, value

    def __index__(self):
        self.action()
        return self.value


class Float:
    def __init__(self, action, value):
        self.action, self.value = action, value

    def __float__(self):
        self.action()
        return self.value


class Truth:
    def __init__(self, action, value):
        self.action, self.value = action, value

    def __bool__(self):
        self.action()
        return self.value


class Equal:
    """Equal to everything, after running `action`."""
    def __init__(self, action):
        self.action = action

    def __eq__(self, other):
        self.action()
        return True

    __hash__ = None


def grow(ba):
    """Moves a bytearray's memory (the old block is freed)."""
    ba.extend(b"\0" * BIG)


def outcome(fn):
    try:
        return ["ok", fn()]
    except Exception as e:  # noqa: BLE001 - the exception is the result being compared
        return ["error", type(e).__name__, str(e)]


# MARK: memoryview: indexing

@scenario
def getitem_index_releases(env):
    ba = bytearray(b"abcd")
    m = env.MV(ba)
    return outcome(lambda: m[Index(m.release, 1)])


@scenario
def getitem_index_releases_and_moves_memory(env):
    ba = bytearray(b"abcd")
    m = env.MV(ba)
    return outcome(lambda: m[Index(lambda: (m.release(), grow(ba)), 1)])


@scenario
def getitem_tuple_first_index_releases(env):
    ba = bytearray(range(12))
    m = env.MV(ba).cast("B", [3, 4])
    return outcome(lambda: m[Index(m.release, 1), 2])


@scenario
def getitem_tuple_last_index_releases_and_moves_memory(env):
    ba = bytearray(range(12))
    m = env.MV(ba).cast("B", [3, 4])
    return outcome(lambda: m[1, Index(lambda: (m.release(), grow(ba)), 2)])


@scenario
def getitem_tuple_index_releases_then_index_error(env):
    # Lookups after the release go on, so the IndexError of a later index still wins.
    m = env.MV(bytearray(range(12))).cast("B", [3, 4])
    return outcome(lambda: m[Index(m.release, 1), 9])


@scenario
def getitem_index_of_nd_view_is_not_converted(env):
    calls = []
    m = env.MV(bytearray(range(12))).cast("B", [3, 4])
    return outcome(lambda: m[Index(lambda: calls.append(1), 1)]), calls


@scenario
def getitem_pil_index_releases_and_pops(env):
    # The element pointer is followed through a suboffset that the pop just freed.
    T = env.T
    n = 256 * 1024
    nd = T.ndarray([0], shape=[1], flags=T.ND_WRITABLE)
    nd.push(list(range(256)) * (n // 256), shape=[n], flags=T.ND_PIL | T.ND_WRITABLE)
    m = env.MV(nd)
    return outcome(lambda: m[Index(lambda: (m.release(), nd.pop()), n - 1)]), nd.tolist()


@scenario
def getitem_index_drops_the_last_reference(env):
    holder = [env.MV(bytearray(b"abcd"))]
    return outcome(lambda: holder[0][Index(holder.clear, 2)])


@scenario
def slice_start_releases(env):
    # The slice is a new view holding the export before its bounds are converted.
    ba = bytearray(b"abcdef")
    m = env.MV(ba)
    r = outcome(lambda: m[Index(m.release, 1):4].tolist())
    return r, outcome(lambda: grow(ba))


@scenario
def slice_start_releases_and_resizes(env):
    ba = bytearray(b"abcdef")
    m = env.MV(ba)
    return outcome(lambda: m[Index(lambda: (m.release(), grow(ba)), 1):4].tolist())


@scenario
def slice_of_slice_keeps_the_export(env):
    ba = bytearray(b"abcdef")
    m = env.MV(ba)
    s = m[::2]
    r = outcome(lambda: s[Index(lambda: (m.release(), grow(ba)), 1)])
    s.release()
    return r, outcome(lambda: grow(ba))


# MARK: memoryview: item assignment

@scenario
def setitem_index_releases(env):
    ba = bytearray(b"abcd")
    m = env.MV(ba)
    return outcome(lambda: m.__setitem__(Index(m.release, 1), 120)), bytes(ba)


@scenario
def setitem_index_releases_and_moves_memory(env):
    ba = bytearray(b"abcd")
    m = env.MV(ba)
    r = outcome(lambda: m.__setitem__(Index(lambda: (m.release(), grow(ba)), 1), 120))
    return r, bytes(ba[:4])


@scenario
def setitem_index_releases_then_bad_value(env):
    # The value's conversion error comes before the re-check, as in pack_single.
    m = env.MV(bytearray(b"abcd"))
    return outcome(lambda: m.__setitem__(Index(m.release, 1), "x"))


@scenario
def setitem_index_releases_then_index_error(env):
    m = env.MV(bytearray(b"abcd"))
    return outcome(lambda: m.__setitem__(Index(m.release, 7), 1))


@scenario(expected=[["error", "ValueError", "operation forbidden on released memoryview object"], "unchanged"])
def setitem_pil_index_releases_and_pops(env):
    # memory_ass_sub follows the suboffset of the element (ptr_from_index) after `__index__`
    # released the view and popped the base buffer it points into: CPython reads freed memory.
    T = env.T
    n = 256 * 1024
    nd = T.ndarray([7], shape=[1], flags=T.ND_WRITABLE)
    nd.push(list(range(256)) * (n // 256), shape=[n], flags=T.ND_PIL | T.ND_WRITABLE)
    m = env.MV(nd)
    r = outcome(lambda: m.__setitem__(Index(lambda: (m.release(), nd.pop()), n - 1), 5))
    return r, "unchanged" if nd.tolist() == [7] else nd.tolist()


@scenario
def setitem_value_index_releases(env):
    ba = bytearray(b"abcd")
    m = env.MV(ba)
    return outcome(lambda: m.__setitem__(1, Index(m.release, 120))), bytes(ba)


@scenario
def setitem_value_index_releases_and_moves_memory(env):
    ba = bytearray(b"abcd")
    m = env.MV(ba)
    r = outcome(lambda: m.__setitem__(1, Index(lambda: (m.release(), grow(ba)), 120)))
    return r, bytes(ba[:4])


@scenario
def setitem_value_index_releases_signed(env):
    ba = bytearray(8)
    m = env.MV(ba).cast("q")
    return outcome(lambda: m.__setitem__(0, Index(m.release, -5))), bytes(ba)


@scenario
def setitem_value_float_releases(env):
    ba = bytearray(16)
    m = env.MV(ba).cast("d")
    return outcome(lambda: m.__setitem__(1, Float(m.release, 2.5))), bytes(ba)


@scenario
def setitem_value_float_releases_single(env):
    ba = bytearray(8)
    m = env.MV(ba).cast("f")
    return outcome(lambda: m.__setitem__(1, Float(lambda: (m.release(), grow(ba)), 2.5))), bytes(ba[:8])


@scenario
def setitem_value_bool_releases(env):
    ba = bytearray(4)
    m = env.MV(ba).cast("?")
    return outcome(lambda: m.__setitem__(2, Truth(m.release, True))), bytes(ba)


@scenario
def setitem_value_pointer_releases(env):
    ba = bytearray(16)
    m = env.MV(ba).cast("P")
    return outcome(lambda: m.__setitem__(0, Index(m.release, 1234))), bytes(ba)


@scenario
def setitem_value_raises_after_releasing(env):
    ba = bytearray(4)
    m = env.MV(ba)

    def fail():
        m.release()
        raise KeyError("from __index__")
    return outcome(lambda: m.__setitem__(0, Index(fail, 1))), bytes(ba)


@scenario
def setitem_tuple_index_releases(env):
    ba = bytearray(12)
    m = env.MV(ba).cast("B", [3, 4])
    return outcome(lambda: m.__setitem__((Index(m.release, 1), 2), 9)), bytes(ba)


@scenario
def setitem_tuple_value_releases_and_moves_memory(env):
    ba = bytearray(12)
    m = env.MV(ba).cast("B", [3, 4])
    r = outcome(lambda: m.__setitem__((1, 2), Index(lambda: (m.release(), grow(ba)), 9)))
    return r, bytes(ba[:12])


@scenario
def setitem_zero_dim_value_releases(env):
    ba = bytearray(8)
    m = env.MV(ba).cast("q", [])
    r1 = outcome(lambda: m.__setitem__((), Index(m.release, 3)))
    m = env.MV(ba).cast("q", [])
    r2 = outcome(lambda: m.__setitem__(Ellipsis, Index(m.release, 4)))
    return r1, r2, bytes(ba)


@scenario
def setitem_index_of_nd_view_is_not_converted(env):
    calls = []
    m = env.MV(bytearray(12)).cast("B", [3, 4])
    return outcome(lambda: m.__setitem__(Index(lambda: calls.append(1), 1), 0)), calls


@scenario
def setitem_value_drops_the_last_reference(env):
    ba = bytearray(4)
    holder = [env.MV(ba)]
    return outcome(lambda: holder[0].__setitem__(1, Index(holder.clear, 7))), bytes(ba)


@scenario
def setitem_on_buffer_value_releases_and_resizes(env):
    import swiftbuf
    b = swiftbuf.Buffer(4, "i")
    m = env.MV(b)
    r = outcome(lambda: m.__setitem__(2, Index(lambda: (m.release(), b.resize(1 << 18)), 7)))
    return r, b.tolist()[:4]


# MARK: memoryview: slice assignment

@scenario
def setslice_start_releases(env):
    ba = bytearray(b"abcdef")
    m = env.MV(ba)
    return outcome(lambda: m.__setitem__(slice(Index(m.release, 1), 3), b"XY")), bytes(ba)


@scenario
def setslice_stop_releases_and_moves_memory(env):
    ba = bytearray(b"abcdef")
    m = env.MV(ba)
    r = outcome(lambda: m.__setitem__(slice(1, Index(lambda: (m.release(), grow(ba)), 3)), b"XY"))
    return r, bytes(ba[:6])


@scenario
def setslice_step_releases_and_resizes_buffer(env):
    import swiftbuf
    b = swiftbuf.Buffer.frombytes(b"abcdef")
    m = env.MV(b)
    r = outcome(lambda: m.__setitem__(slice(0, 6, Index(lambda: (m.release(), b.resize(BIG)), 2)), b"XYZ"))
    return r, b.tobytes()[:6]


@scenario
def setslice_source_is_the_view(env):
    # The source's export is taken first, so the release inside the slice fails.
    ba = bytearray(b"abcdef")
    m = env.MV(ba)
    r = outcome(lambda: m.__setitem__(slice(Index(m.release, 0), 6), m))
    return r, bytes(ba)


@scenario
def setslice_source_is_another_view_of_the_same_export(env):
    ba = bytearray(b"abcdef")
    m = env.MV(ba)
    src = m[3:]
    r = outcome(lambda: m.__setitem__(slice(Index(m.release, 0), 3), src))
    return r, bytes(ba)


@scenario
def setslice_length_mismatch_after_release(env):
    m = env.MV(bytearray(b"abcdef"))
    return outcome(lambda: m.__setitem__(slice(Index(m.release, 0), 3), b"toolong"))


@scenario
def setslice_source_exporter_mutated(env):
    # The slice's `__index__` grows the source bytearray: its export is held, so that fails.
    ba = bytearray(b"abcdef")
    src = bytearray(b"XY")
    m = env.MV(ba)
    r = outcome(lambda: m.__setitem__(slice(Index(lambda: grow(src), 1), 3), src))
    return r, bytes(ba), len(src)


# MARK: memoryview: iteration, count, index, hex

@scenario
def iteration_releases(env):
    ba = bytearray(b"abcd")
    m = env.MV(ba)
    seen = []

    def run():
        for x in m:
            seen.append(x)
            if x == 98:
                m.release()
                grow(ba)
    return outcome(run), seen


@scenario
def iterator_outlives_its_view(env):
    ba = bytearray(b"abc")
    it = iter(env.MV(ba))
    first = next(it)
    return first, outcome(lambda: list(it)), outcome(lambda: grow(ba))


@scenario
def iterator_of_released_view(env):
    ba = bytearray(b"abc")
    m = env.MV(ba)
    it = iter(m)
    next(it)
    m.release()
    grow(ba)
    return outcome(lambda: next(it)), outcome(lambda: next(it))


@scenario(expected=["error", "ValueError", "operation forbidden on released memoryview object"])
def count_equality_releases(env):
    # CPython 3.11 has no memoryview.count; 3.14's iterates, so a release stops it.
    ba = bytearray(b"aaaa")
    m = env.MV(ba)
    return outcome(lambda: m.count(Equal(lambda: (m.release(), grow(ba)))))


@scenario(expected=["error", "ValueError", "operation forbidden on released memoryview object"])
def index_start_releases(env):
    m = env.MV(bytearray(b"abcd"))
    return outcome(lambda: m.index(99, Index(m.release, 1)))


@scenario(expected=["error", "ValueError", "operation forbidden on released memoryview object"])
def index_equality_releases(env):
    ba = bytearray(b"abcd")
    m = env.MV(ba)
    calls = []

    def act():
        calls.append(1)
        if len(calls) == 2:
            m.release()
            grow(ba)

    class NotEqual:
        def __eq__(self, other):
            act()
            return False
    return outcome(lambda: m.index(NotEqual()))


@scenario
def hex_bytes_per_sep_releases(env):
    ba = bytearray(b"abcd")
    m = env.MV(ba)
    return outcome(lambda: m.hex(":", Index(lambda: (m.release(), grow(ba)), 2)))


@scenario(expected=[["error", "BufferError", "memoryview has 1 exported buffer"], "61626364"])
def hex_separator_len_releases_and_moves_memory(env):
    # gh-143195: 3.11.7 lets len(sep) release the view and then reads freed memory.
    ba = bytearray(b"abcd")
    m = env.MV(ba)

    class Sep(str):
        def __len__(self):
            m.release()
            grow(ba)
            return 1
    return outcome(lambda: m.hex(Sep(":"))), m.hex()


@scenario
def hex_separator_len_fails(env):
    m = env.MV(bytearray(b"abcd"))

    class Sep(bytes):
        def __len__(self):
            raise KeyError("len")
    return outcome(lambda: m.hex(Sep(b":")))


@scenario(expected=[["error", "BufferError", "memoryview has 1 exported buffer"], "x" * 64])
def hash_of_exporter_releases(env):
    # 3.11.7 lets the exporter's __hash__ release the view, then hashes the released view.
    class Data(bytes):
        def __hash__(self):
            m.release()
            return 0
    m = env.MV(Data(b"x" * 64))
    return outcome(lambda: hash(m)), m.tobytes().decode()


@scenario
def hash_of_exporter_fails(env):
    class Data(bytes):
        def __hash__(self):
            raise KeyError("hash")
    m = env.MV(Data(b"xy"))
    return outcome(lambda: hash(m)), outcome(lambda: hash(m))


@scenario
def equality_with_a_value_that_releases(env):
    # Struct-aware comparison never calls back into Python: the other side is an exporter.
    ba = bytearray(b"ab")
    m = env.MV(ba)
    return outcome(lambda: m == Equal(m.release)), outcome(lambda: m.tobytes())


@scenario
def tolist_with_a_garbage_collection_that_releases(env):
    # A collection triggered by tolist's allocations runs a finalizer that releases the view
    # (its rows are lists, so every row can trigger one); tolist may stop, never read freed
    # memory. Both outcomes are accepted: only a crash fails.
    import gc
    ba = bytearray(range(64))
    m = env.MV(ba).cast("B", [8, 8])

    class Finalizer:
        def __del__(self):
            try:
                m.release()
            except Exception:  # noqa: BLE001
                pass
    a, b = Finalizer(), None
    a.cycle = a
    del a
    old = gc.get_threshold()
    gc.set_threshold(1)
    try:
        r = outcome(m.tolist)
    finally:
        gc.set_threshold(*old)
    return "tolist " + ("ok" if r[0] == "ok" and r[1] == [list(range(i, i + 8)) for i in range(0, 64, 8)]
                        else "released" if r[1:] == ["ValueError", "operation forbidden on released memoryview object"]
                        else repr(r)), b


# MARK: memoryview: a garbage collection in the middle (a finalizer releases the view)

def collected_during(call, release):
    """Runs `call()` with a garbage cycle whose finalizer calls `release`, and a collector that
    runs at the next allocation of a GC-tracked object: the first one `call` makes (a new view,
    an iterator, a list) finds its view released under it. Everything else is allocated first."""
    import gc

    class Finalizer:
        def __del__(self):
            try:
                release()
            except Exception:  # noqa: BLE001 - a refusal is a possible outcome
                pass
    old = gc.get_threshold()
    result = [None]

    def attempt():
        try:
            result[0] = ["ok", call()]
        except Exception as e:  # noqa: BLE001
            result[0] = ["error", type(e).__name__, str(e)]
    gc.disable()
    garbage = Finalizer()
    garbage.cycle = garbage
    del garbage
    gc.set_threshold(1)
    gc.enable()
    attempt()
    gc.set_threshold(*old)
    gc.collect()
    return result[0]


def describe_result(r):
    """A view by what using it gives (it may have been released while it was made)."""
    if r[0] == "ok" and type(r[1]).__name__ == "memoryview":
        v = r[1]
        return ["view", outcome(v.tolist), outcome(lambda: v.shape), repr(v).startswith("<released")]
    if r[0] == "ok" and type(r[1]).__name__ == "memory_iterator":
        return ["iterator", outcome(lambda: next(r[1]))]
    return r


def gc_scenario(make_view, prepare):
    def run(env):
        ba = bytearray(range(16))
        m = make_view(env, ba)
        r = describe_result(collected_during(prepare(m), m.release))
        return r, outcome(lambda: grow(ba)), outcome(m.tobytes)
    return run


def _call(f, *args):
    import functools
    return functools.partial(f, *args)


for _name, _make, _prepare in [
        ("slice", lambda env, ba: env.MV(ba), lambda m: _call(m.__getitem__, slice(2, 10, 2))),
        ("cast", lambda env, ba: env.MV(ba), lambda m: _call(m.cast, "i", (2, 2))),
        ("view_of_view", lambda env, ba: env.MV(ba), lambda m: _call(type(m), m)),
        ("toreadonly", lambda env, ba: env.MV(ba), lambda m: m.toreadonly),
        ("iterator", lambda env, ba: env.MV(ba), lambda m: _call(iter, m)),
        ("tolist_2d", lambda env, ba: env.MV(ba).cast("B", [4, 4]), lambda m: m.tolist),
]:
    SCENARIOS[f"gc_finalizer_releases_during_{_name}"] = gc_scenario(_make, _prepare)

# 3.11's iter() then fails with SystemError ("returned a result with an exception set");
# swiftbuf returns the iterator, whose first next() reports the release.
EXPECTED["gc_finalizer_releases_during_iterator"] = [
    ["iterator", ["error", "ValueError", "operation forbidden on released memoryview object"]],
    ["ok", None], ["error", "ValueError", "operation forbidden on released memoryview object"]]


# MARK: ndarray: construction from items

@scenario(expected=["ok", [True, True, True, True]])
def ndarray_items_list_cleared_while_packing(env):
    items = []

    class Evil(int):
        def __bool__(self):
            items.clear()
            return True
    items[:] = [Evil(1), 3, 4, 5]
    return outcome(lambda: env.T.ndarray(items, shape=[4], format="?").tolist())


@scenario(expected=["ok", [[True, 1099511627777, 2199023255555], [True, 2, 3]]])
def ndarray_record_item_cleared_while_packing(env):
    item = []

    class Evil(int):
        def __bool__(self):
            item.clear()
            return True
    item[:] = [Evil(1), int("1099511627777"), int("2199023255555")]
    r = outcome(lambda: env.T.ndarray([item, [1, 2, 3]], shape=[2], format="?qq").tolist())
    return [r[0], [list(x) for x in r[1]]] if r[0] == "ok" else r


@scenario(expected=["ok", [True, True, True, True]])
def ndarray_shape_cleared_while_packing(env):
    shape = [4]

    class Evil(int):
        def __bool__(self):
            shape.clear()
            return True
    return outcome(lambda: env.T.ndarray([Evil(1), 1, 1, 1], shape=shape, format="?").tolist())


@scenario(expected=["ok", [[True, True], [True, True]]])
def ndarray_strides_cleared_while_packing(env):
    strides = [2, 1]

    class Evil(int):
        def __bool__(self):
            strides.clear()
            return True
    return outcome(lambda: env.T.ndarray([Evil(1), 1, 1, 1], shape=[2, 2], strides=strides, format="?").tolist())


@scenario(expected=["ok", [True, True, True]])
def ndarray_push_items_cleared_while_packing(env):
    nd = env.T.ndarray([1], shape=[1], format="?")
    items = []

    class Evil(int):
        def __bool__(self):
            items.clear()
            return True
    items[:] = [Evil(1), 1, 1]
    return outcome(lambda: (nd.push(items, shape=[3], format="?"), nd.tolist())[1])


@scenario
def ndarray_items_raising_conversions(env):
    class Bad(int):
        def __bool__(self):
            raise KeyError("bool")

    class BadFloat(int):
        def __float__(self):
            raise KeyError("float")
    return (outcome(lambda: env.T.ndarray([Bad(1)], shape=[1], format="?").tolist()),
            outcome(lambda: env.T.ndarray([BadFloat(1)], shape=[1], format="d").tolist()),
            outcome(lambda: env.T.ndarray([1, Index(lambda: None, 2)], shape=[2], format="B").tolist()))


# MARK: ndarray: item assignment and hash

class BoolInt(int):
    """An int whose truth runs `action`: struct packs '?' by truth, and an int is an item
    _testbuffer accepts, so this is how packing an item calls back into Python."""
    def __new__(cls, value, action):
        self = super().__new__(cls, value)
        self.action = action
        return self

    def __bool__(self):
        self.action()
        return bool(int(self))


class FloatInt(int):
    """An int whose float conversion (struct's 'd') runs `action`."""
    def __new__(cls, value, action):
        self = super().__new__(cls, value)
        self.action = action
        return self

    def __float__(self):
        self.action()
        return float(int(self))


@scenario(expected=[["ok", None], [False, False, False]])
def ndarray_setitem_value_pops(env):
    # _testbuffer packs into the base buffer the pop just freed; swiftbuf into the popped one,
    # which lives until the store is done.
    T = env.T
    nd = T.ndarray([False] * 3, shape=[3], format="?", flags=T.ND_WRITABLE)
    nd.push([True] * 3, shape=[3], format="?", flags=T.ND_WRITABLE)
    return outcome(lambda: nd.__setitem__(0, BoolInt(0, nd.pop))), nd.tolist()


@scenario
def ndarray_setitem_value_reinitialises(env):
    # _testbuffer's __init__ pushes the new state on top; the item goes to the old one.
    T = env.T
    nd = T.ndarray([1.5, 2.5], shape=[2], format="d", flags=T.ND_WRITABLE)
    r = outcome(lambda: nd.__setitem__(0, FloatInt(9, lambda: nd.__init__([4, 4], shape=[2]))))
    return r, nd.tolist()


@scenario(expected=[["error", "BufferError", "cannot change structure: 1 exported buffer"], b"\1\0\0"])
def ndarray_consumer_setitem_value_reinitialises_and_moves_memory(env):
    # swiftbuf's __init__ replaces the state, giving the consumed buffer back (a deliberate
    # difference: _testbuffer pushes the new state over it and keeps it): while an item is
    # packed into that buffer, __init__ refuses.
    T = env.T
    ba = bytearray(b"\1\0\0")
    nd = T.ndarray(memoryview(ba).cast("?"), getbuf=T.PyBUF_FULL)

    def act():
        nd.__init__([1], shape=[1])
        grow(ba)
    return outcome(lambda: nd.__setitem__(1, BoolInt(0, act))), bytes(ba[:3])


@scenario(expected=[["error", "BufferError", "cannot change structure: 1 exported buffer"], b"\0"])
def ndarray_consumer_zero_dim_setitem_reinitialises(env):
    T = env.T
    ba = bytearray(1)
    nd = T.ndarray(memoryview(ba).cast("?", []), getbuf=T.PyBUF_FULL)

    def act():
        nd.__init__([1], shape=[1])
        grow(ba)
    return outcome(lambda: nd.__setitem__((), BoolInt(1, act))), bytes(ba[:1])


@scenario
def ndarray_setitem_float_conversion_fails(env):
    # struct words a failed __float__ itself.
    T = env.T
    nd = T.ndarray([0.5], shape=[1], format="d", flags=T.ND_WRITABLE)

    def fail():
        raise KeyError("float")
    return outcome(lambda: nd.__setitem__(0, FloatInt(3, fail))), nd.tolist()


@scenario
def ndarray_consumer_setitem_value_grows_the_exporter(env):
    # The consumed export pins the bytearray.
    T = env.T
    ba = bytearray(b"\0\0\0")
    nd = T.ndarray(memoryview(ba).cast("?"), getbuf=T.PyBUF_FULL)
    return outcome(lambda: nd.__setitem__(1, BoolInt(1, lambda: grow(ba)))), bytes(ba)


@scenario
def ndarray_setitem_index_is_not_converted(env):
    calls = []
    T = env.T
    nd = T.ndarray([0, 1, 2], shape=[3], flags=T.ND_WRITABLE)
    return outcome(lambda: nd.__setitem__(Index(lambda: calls.append(1), 1), 5)), calls, nd.tolist()


@scenario(expected=[["error", "BufferError", "cannot change structure: 1 exported buffer"], [0, 1, 2, 3]])
def ndarray_setslice_index_reinitialises(env):
    # The slice target holds an export of the array while its bounds are converted, and
    # swiftbuf's __init__ refuses while the array is exported (_testbuffer's pushes a new state).
    T = env.T
    nd = T.ndarray([0, 1, 2, 3], shape=[4], flags=T.ND_WRITABLE)
    src = T.ndarray([8, 9], shape=[2])
    r = outcome(lambda: nd.__setitem__(slice(Index(lambda: nd.__init__([5], shape=[1]), 1), 3), src))
    return r, nd.tolist()


@scenario(expected=[["error", "BufferError", "cannot change structure: 1 exported buffer"], "ok"])
def ndarray_hash_of_exporter_reinitialises(env):
    # The consumed exporter's __hash__ re-initialises the array and drops the other reference
    # to the exporter: giving the consumed buffer back would free the bytes hashed next.
    T = env.T

    class Data(bytes):
        def __hash__(self):
            nd.__init__([1], shape=[1])
            holder.clear()
            return 0
    holder = [Data(b"z" * BIG)]
    nd = T.ndarray(holder[0])
    r = outcome(lambda: hash(nd))
    return r, "ok" if nd.tobytes() == b"z" * BIG else "changed"


@scenario
def ndarray_hash_of_exporter_fails(env):
    class Data(bytes):
        def __hash__(self):
            raise KeyError("hash")
    return outcome(lambda: hash(env.T.ndarray(Data(b"xy"))))


@scenario
def slice_indices_index_runs_python(env):
    calls = []
    return outcome(lambda: env.T.slice_indices(slice(Index(lambda: calls.append(1), 1), None), 5)), calls


# MARK: swiftbuf.Buffer and the private Swift functions (swiftbuf's own API: expected outcomes)

@scenario(expected=[["ok", [2, 3, 4]], []])
def buffer_shape_list_cleared_while_converting(env):
    import swiftbuf
    shape = []
    shape[:] = [Index(shape.clear, 2), 3, 4]
    r = outcome(lambda: swiftbuf.Buffer(shape).shape)
    return r, shape


@scenario(expected=["ok", [2, 3]])
def buffer_resize_shape_list_cleared_while_converting(env):
    import swiftbuf
    b = swiftbuf.Buffer(4)
    shape = []
    shape[:] = [Index(shape.clear, 2), 3]
    return outcome(lambda: (b.resize(shape), b.shape)[1])


@scenario(expected=[["error", "BufferError", "Existing exports of data: object cannot be re-sized"], [4], 1])
def buffer_resize_shape_index_exports(env):
    # The shape's `__index__` takes a view: the resize then refuses.
    import swiftbuf
    b = swiftbuf.Buffer(4)
    views = []
    r = outcome(lambda: b.resize([Index(lambda: views.append(env.MV(b)), 8)]))
    return r, b.shape, b.exports


@scenario(expected=["ok", b"abcdefgh"])
def buffer_frombytes_shape_index_grows_data(env):
    import swiftbuf
    data = bytearray(b"abcdef")
    r = outcome(lambda: swiftbuf.Buffer.frombytes(data, "B", [Index(lambda: data.extend(b"gh"), 8)]).tobytes())
    return r


@scenario(expected=["ok", [2, 3]])
def buffer_frombytes_shape_list_cleared(env):
    import swiftbuf
    shape = []
    shape[:] = [Index(shape.clear, 2), 3]
    return outcome(lambda: swiftbuf.Buffer.frombytes(bytes(6), "B", shape).shape)


def swift_extension():
    """The test extension (a Swift module built on SwiftBufferPython), in this child process:
    the `outcomes` fixture's `swift_testext_dir` tells it where the parent's build is."""
    import swift_package
    return swift_package.module()


@scenario(expected=["ok", [16, 8]])
def swift_array_strides_list_cleared(env):
    strides = []
    strides[:] = [Index(strides.clear, 16), 8]
    return outcome(lambda: swift_extension().array("d", 4, False, (2, 2), strides)[0].strides)


@scenario(expected=["ok", [2, 3]])
def swift_raw_export_shape_list_cleared(env):
    shape = []
    shape[:] = [Index(shape.clear, 2), 3]
    return outcome(lambda: swift_extension().raw("B", shape).shape)


@scenario(expected=[["error", "BufferError", "Existing exports of data: object cannot be re-sized"], [0.0, 0.0, 0.0, 0.0]])
def swift_element_value_resizes(env):
    # The writable PythonBufferView holds an export while the value converts: the resize fails.
    import swiftbuf
    b = swiftbuf.Buffer(4, "d")
    r = outcome(lambda: swift_extension().element(b, "d", (1,), Float(lambda: b.resize(BIG), 2.5)))
    return r, b.tolist()


@scenario(expected=[["error", "BufferError", "Existing exports of data: object cannot be re-sized"], [2]])
def swift_scale_factor_resizes(env):
    # As above, for transformEach's view (taken before the factor converts).
    import swiftbuf
    b = swiftbuf.Buffer.frombytes(bytes(16), "d")
    return outcome(lambda: swift_extension().scale(b, Float(lambda: b.resize(BIG // 8), 2.0))), b.shape


@scenario(expected=[["error", "BufferError", "Existing exports of data: object cannot be re-sized"], [2]])
def swift_span_scale_factor_resizes(env):
    import swiftbuf
    b = swiftbuf.Buffer.frombytes(bytes(16), "d")
    return outcome(lambda: swift_extension().span_scale(b, Float(lambda: b.resize(BIG // 8), 2.0))), b.shape


# MARK: - The child process


class Environment:
    def __init__(self, implementation):
        if implementation == "builtin":
            import _testbuffer
            self.MV, self.T = memoryview, _testbuffer
        else:
            import swiftbuf
            import swiftbuf.testing
            self.MV, self.T = swiftbuf.MemoryView, swiftbuf.testing


def normalise(value):
    """JSON-comparable: tuples become lists, bytes become a tagged latin-1 string."""
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).decode("latin-1")}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"repr": repr(value)}


def child(implementation, names):
    env = Environment(implementation)
    for name in names:
        print(json.dumps({"start": name}), flush=True)
        result = normalise(SCENARIOS[name](env))
        print(json.dumps({"name": name, "result": result}), flush=True)


# MARK: - The parent

def run_isolated(implementation, names):
    """Runs the scenarios in as few child processes as crashes allow: {name: result}, where a
    crash is ["crash", how]."""
    results, pending = {}, list(names)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__import__("swiftbuf").__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    while pending:
        proc = subprocess.run([sys.executable, "-X", "faulthandler", __file__, implementation, *pending],
                              capture_output=True, text=True, timeout=300, env=env)
        started = None
        for line in proc.stdout.splitlines():
            record = json.loads(line)
            if "start" in record:
                started = record["start"]
            else:
                results[record["name"]] = record["result"]
                started = None
        if proc.returncode == 0:
            break
        if started is None:
            raise RuntimeError(f"child failed outside a scenario: {proc.stderr[-2000:]}")
        how = (f"signal {signal.Signals(-proc.returncode).name}" if proc.returncode < 0
               else f"exit {proc.returncode}")
        results[started] = ["crash", how, proc.stderr[-1500:]]
        pending = pending[pending.index(started) + 1:]
    return results


@pytest.fixture(scope="module")
def outcomes(swift_testext_dir):
    comparable = [n for n in SCENARIOS if n not in EXPECTED]
    return {"builtin": run_isolated("builtin", comparable), "swiftbuf": run_isolated("swiftbuf", list(SCENARIOS))}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_reentrancy(outcomes, name):
    got = outcomes["swiftbuf"][name]
    assert not (isinstance(got, list) and got[:1] == ["crash"]), f"swiftbuf crashed ({got[1]}):\n{got[2]}"
    if name in EXPECTED:
        expected = normalise(EXPECTED[name])
    else:
        expected = outcomes["builtin"][name]
        assert expected[:1] != ["crash"], f"the builtin crashed: move {name} to cpython_unsafe\n{expected}"
    assert got == expected


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2:])
