"""A stateful fuzzer: random sequences of operations on exporters (bytes, bytearray,
swiftbuf.Buffer, ndarray) and on views of them, views of views, slices, casts and re-exports,
interleaved with item and slice assignment, comparisons, hashing, releases, dropped
references, resizes, pushes and pops.

Every operation is applied in two worlds built the same way: one with the builtin
`memoryview` and `_testbuffer`, one with `swiftbuf.MemoryView` and `swiftbuf.testing`. Each
step must give the same value or the same exception type and message in both, and after each
step every live view and exporter must look the same in both (attributes, items, bytes). So
lifetimes are compared too: a resize refused in one world only means an export was kept
(or given back) in one world only.

The machine runs in a child process with a fixed seed and budget, so a crash fails the test
with the steps that led to it (each step is logged before it runs).
"""
import gc
import os
import struct
import subprocess
import sys

import pytest

from support import child_environment, describe_view, outcome

EXAMPLES = int(os.environ.get("SWIFTBUF_FUZZ_EXAMPLES", "300"))
STEPS = 40


# MARK: - The two worlds

class World:
    def __init__(self, builtin):
        if builtin:
            import _testbuffer
            self.MV, self.T = memoryview, _testbuffer
        else:
            import swiftbuf.testing
            self.MV, self.T = swiftbuf.MemoryView, swiftbuf.testing


def make_exporter(world, spec):
    """The exporter `spec` describes, in `world` (bytes and bytearray and swiftbuf.Buffer are the
    same types in both; the ndarray is the world's own)."""
    import swiftbuf
    kind = spec[0]
    if kind == "bytes":
        return bytes(spec[1])
    if kind == "bytearray":
        return bytearray(spec[1])
    if kind == "buffer":
        _, raw, fmt, shape, order, readonly = spec
        return swiftbuf.Buffer.frombytes(raw, fmt, list(shape), order=order, readonly=readonly)
    _, raw, fmt, shape, flags = spec
    items = [v[0] if len(v) == 1 else v for v in struct.iter_unpack(fmt, raw)]
    T = world.T
    nd_flags = 0
    for name in flags:
        nd_flags |= getattr(T, name)
    return T.ndarray(items if shape else items[0], shape=list(shape), format=fmt, flags=nd_flags)


def restructure(world, x, how):
    """Changes an exporter's memory or layout, or releases a view: what the hooks do."""
    kind = type(x).__name__
    if kind == "memoryview":
        x.release()
    elif kind == "bytearray":
        if how in ("grow", "push", "resize"):
            x.extend(b"xyz")
        else:
            del x[:1]
    elif kind == "Buffer":
        x.resize([2, 3] if how in ("grow", "push") else 4)
    elif kind == "ndarray":
        if how in ("pop", "shrink"):
            x.pop()
        else:
            x.push([1, 2, 3], shape=[3], flags=world.T.ND_WRITABLE)


class Hook:
    """An index that runs `action` when converted (and again when converted again)."""
    def __init__(self, action, value):
        self.action, self.value = action, value

    def __index__(self):
        try:
            self.action()
        except Exception:  # noqa: BLE001 - refusals (BufferError) are part of the game
            pass
        return self.value


def describe_object(x):
    """What any result is, the same way in both worlds."""
    name = type(x).__name__
    if name == "memoryview":
        return {"view": describe_view(x)}
    if name == "ndarray":
        return {"ndarray": [outcome(lambda: [x.format, x.shape, x.strides, x.suboffsets, x.flags, x.readonly]),
                            outcome(x.tolist), outcome(x.tobytes)]}
    if name == "Buffer":
        return {"Buffer": [x.format, x.shape, x.strides, x.readonly, x.tobytes()]}
    if isinstance(x, list):
        return [describe_object(i) for i in x]
    return x


def describe_exporter(x):
    """An exporter's state, read through the builtin memoryview in both worlds."""
    if isinstance(x, (bytes, bytearray)):
        return bytes(x)
    return [describe_object(x), outcome(lambda: describe_view(memoryview(x)))]


def same(a, b):
    """Equal as the tests need (NaN equals NaN, -0.0 differs from 0.0, True from 1): outcomes
    hold only plain values, so their reprs say it, and much faster than `normalise`."""
    return repr(a) == repr(b)


def both(pair, fn):
    """Applies `fn(world, obj)` in both worlds; the two outcomes must agree."""
    b = outcome(lambda: fn(BUILTIN, pair[0]), describe_object)
    s = outcome(lambda: fn(SWIFT, pair[1]), describe_object)
    assert same(b, s), f"builtin {b}\n   swiftbuf {s}"
    return b


BUILTIN = SWIFT = None


# MARK: - The machine (built in the child, where hypothesis runs)

def build_machine():
    from hypothesis import strategies as st
    from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, multiple, precondition, rule

    formats = st.sampled_from(["B", "b", "c", "h", "i", "l", "q", "f", "d", "?", "<i", ">h", "e", "ii", "3s", "P"])
    view_formats = st.sampled_from(["B", "b", "c", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "f", "d", "?", "P",
                                    "@B", "e", "<i", "x", "ii", ""])
    shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)
    small_ints = st.integers(-5, 8)
    keys = st.one_of(small_ints, st.tuples(small_ints, small_ints), st.just(()), st.just(Ellipsis),
                     st.builds(slice, st.none() | small_ints, st.none() | small_ints,
                               st.sampled_from([None, 1, 2, -1, -2, 3])),
                     st.tuples(st.builds(slice, st.none(), st.none()), st.builds(slice, st.none(), st.none())),
                     st.sampled_from([2 ** 63, -2 ** 63 - 1, 1.5, "a", None]))
    values = st.one_of(st.integers(-300, 300), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                       st.binary(max_size=2), st.sampled_from([2 ** 64, -2 ** 63 - 1, None, "x", (1, 2)]))

    def raw_for(draw_fmt, shape, data):
        size = struct.calcsize(draw_fmt)
        count = 1
        for n in shape:
            count *= n
        raw = bytes((data * (count * size // max(len(data), 1) + 1))[:count * size]) if data else bytes(count * size)
        # A round trip through struct keeps every value one struct packs ('?' as 0/1, 'e' finite).
        if count and size:
            raw = b"".join(struct.pack(draw_fmt, *(v if v == v else 0.0 for v in vals))
                           for vals in struct.iter_unpack(draw_fmt, raw))
        return raw

    @st.composite
    def exporter_specs(draw):
        kind = draw(st.sampled_from(["bytes", "bytearray", "buffer", "ndarray"]))
        data = draw(st.binary(max_size=24))
        if kind in ("bytes", "bytearray"):
            return (kind, data)
        fmt = draw(formats)
        if kind == "buffer":
            shape = draw(shapes)
            return ("buffer", raw_for(fmt, shape, data), fmt, shape, draw(st.sampled_from("CF")), draw(st.booleans()))
        shape = draw(shapes.filter(lambda s: all(n > 0 for n in s)))
        flags = draw(st.sets(st.sampled_from(["ND_WRITABLE", "ND_FORTRAN", "ND_PIL", "ND_VAREXPORT"])))
        if not shape:
            flags.discard("ND_PIL")
        return ("ndarray", raw_for(fmt, shape, data), fmt, shape, tuple(sorted(flags)))

    class Machine(RuleBasedStateMachine):
        exporters = Bundle("exporters")
        views = Bundle("views")

        def __init__(self):
            super().__init__()
            self.live_exporters, self.live_views = [], []

        def log(self, *what):
            print(*what, flush=True)

        def make_pair(self, make):
            """`make(world, index)` in both worlds: the same outcome, and the pair if both made one."""
            made, results = [None, None], []
            for world, index in ((BUILTIN, 0), (SWIFT, 1)):
                def attempt():
                    made[index] = make(world, index)
                    return made[index]
                results.append(outcome(attempt, describe_object))
            assert same(*results), f"builtin {results[0]}\n   swiftbuf {results[1]}"
            return None if made[0] is None or made[1] is None else tuple(made)

        @rule(target=exporters, spec=exporter_specs())
        def new_exporter(self, spec):
            self.log("exporter", spec)
            pair = self.make_pair(lambda w, i: make_exporter(w, spec))
            if pair is None:
                return multiple()
            self.live_exporters.append(pair)
            return pair

        def new_view(self, make):
            pair = self.make_pair(make)
            if pair is None:
                return multiple()
            self.live_views.append(pair)
            return pair

        @rule(target=views, source=exporters | views)
        def view_of(self, source):
            self.log("view_of")
            return self.new_view(lambda w, i: w.MV(source[i]))

        @rule(target=views, view=views, key=keys)
        def subscript_view(self, view, key):
            self.log("subscript", key)
            # Only slices make views; other keys give items, compared here.
            if not isinstance(key, slice):
                both(view, lambda w, v: v[key])
                return multiple()
            return self.new_view(lambda w, i: view[i][key])

        @rule(target=views, view=views, fmt=view_formats, shape=st.none() | shapes | st.just([2 ** 62, 4]))
        def cast(self, view, fmt, shape):
            self.log("cast", fmt, shape)
            if shape is None:
                return self.new_view(lambda w, i: view[i].cast(fmt))
            return self.new_view(lambda w, i: view[i].cast(fmt, shape))

        @rule(target=views, view=views)
        def toreadonly(self, view):
            self.log("toreadonly")
            return self.new_view(lambda w, i: view[i].toreadonly())

        @rule(target=exporters, source=exporters | views,
              getbuf=st.sampled_from(["PyBUF_FULL_RO", "PyBUF_FULL", "PyBUF_SIMPLE", "PyBUF_ND", "PyBUF_STRIDES",
                                      "PyBUF_RECORDS_RO", "PyBUF_CONTIG", "PyBUF_C_CONTIGUOUS", "PyBUF_INDIRECT"]))
        def reexport(self, source, getbuf):
            self.log("reexport", getbuf)
            pair = self.make_pair(lambda w, i: w.T.ndarray(source[i], getbuf=getattr(w.T, getbuf)))
            if pair is None:
                return multiple()
            self.live_exporters.append(pair)
            return pair

        @rule(view=views, key=keys, value=values)
        def setitem(self, view, key, value):
            self.log("setitem", key, value)
            both(view, lambda w, v: v.__setitem__(key, value))

        @rule(view=views, key=st.builds(slice, st.none() | small_ints, st.none() | small_ints,
                                        st.sampled_from([None, 1, 2, -1])), source=exporters | views)
        def setslice(self, view, key, source):
            self.log("setslice", key)
            both(view, lambda w, v: v.__setitem__(key, source[0 if w is BUILTIN else 1]))

        @staticmethod
        def shapeless(array):
            """A re-export without shape of items wider than a byte: _testbuffer indexes its len
            bytes by itemsize, reading and writing past the memory; swiftbuf refuses."""
            return array.ndim == 1 and array.shape == () and array.itemsize > 1

        @staticmethod
        def too_many_slices(array, key):
            """More slices than dimensions: _testbuffer overflows its shape arrays; swiftbuf refuses."""
            return isinstance(key, tuple) and len(key) > array.ndim and all(isinstance(k, slice) for k in key)

        @rule(array=exporters, key=keys, value=values)
        def array_setitem(self, array, key, value):
            if type(array[0]).__name__ != "ndarray" or self.shapeless(array[0]) or self.too_many_slices(array[0], key):
                return
            self.log("array_setitem", key, value)
            both(array, lambda w, a: a.__setitem__(key, value))

        @rule(array=exporters, key=keys)
        def array_getitem(self, array, key):
            if type(array[0]).__name__ != "ndarray" or self.shapeless(array[0]) or self.too_many_slices(array[0], key):
                return
            self.log("array_getitem", key)
            both(array, lambda w, a: a[key])

        @rule(view=views, which=st.sampled_from(["tolist", "tobytes", "tobytes F", "tobytes A", "hex", "hex :2",
                                                 "hex -3", "len", "list", "hash", "attributes", "bytes", "nbytes",
                                                 "reversed", "enter"]))
        def inspect(self, view, which):
            self.log("inspect", which)
            if which in ("list", "reversed"):
                # iter() of a released view: CPython 3.11 returns an iterator with an error set.
                if "released" in repr(view[0]):
                    return
            operations = {
                "tolist": lambda v: v.tolist(), "tobytes": lambda v: v.tobytes(), "tobytes F": lambda v: v.tobytes("F"),
                "tobytes A": lambda v: v.tobytes("A"), "hex": lambda v: v.hex(), "hex :2": lambda v: v.hex(":", 2),
                "hex -3": lambda v: v.hex(b"-", -3), "len": len, "list": list, "hash": hash,
                "attributes": describe_view, "bytes": bytes, "nbytes": lambda v: v.nbytes,
                "reversed": lambda v: list(reversed(v)), "enter": lambda v: v.__enter__() is v,
            }
            both(view, lambda w, v: operations[which](v))

        @rule(view=views, other=exporters | views)
        def compare(self, view, other):
            self.log("compare")
            both(view, lambda w, v: (v == other[0 if w is BUILTIN else 1], v != other[0 if w is BUILTIN else 1]))

        @rule(view=views)
        def release(self, view):
            self.log("release")
            both(view, lambda w, v: v.release())

        @rule(view=consumes(views), collect=st.sampled_from([False] * 7 + [True]))
        def drop(self, view, collect):
            self.log("drop", collect)
            self.live_views = [p for p in self.live_views if p is not view]
            del view
            if collect:
                gc.collect()

        @rule(exporter=exporters, how=st.sampled_from(["grow", "shrink", "push", "pop", "resize"]))
        def restructure(self, exporter, how):
            self.log("restructure", how)
            kind = type(exporter[0]).__name__

            def act(w, x):
                restructure(w, x, how)
                return describe_exporter(x)
            both(exporter, act)

        @rule(view=views, key=st.sampled_from([0, -1, 1, 2, (0, 0), (1, 0), ()]), value=st.integers(0, 1),
              victim=exporters | views, how=st.sampled_from(["release", "grow", "shrink", "push", "pop", "resize"]),
              where=st.sampled_from(["value", "key", "slice", "getitem", "index", "hex"]))
        def reentrant(self, view, key, value, victim, how, where):
            """An operation whose `__index__` releases a view or restructures an exporter
            (maybe the very one in use) before it answers."""
            self.log("reentrant", where, key, value, how)

            def act(w, v):
                target = victim[0 if w is BUILTIN else 1]
                hook = Hook(lambda: restructure(w, target, how), value)
                if where == "value":
                    v[key] = hook
                elif where == "key":
                    v[hook] = value
                elif where == "slice":
                    v[hook:] = v[hook:]
                elif where == "getitem":
                    return v[hook]
                elif where == "index":
                    return v.hex(":", hook)
                return v.tobytes()
            both(view, act)

        @invariant()
        def worlds_agree(self):
            for pair in self.live_views:
                assert same(describe_object(pair[0]), describe_object(pair[1]))
            for pair in self.live_exporters:
                assert same(describe_exporter(pair[0]), describe_exporter(pair[1]))

        def teardown(self):
            self.live_exporters.clear()
            self.live_views.clear()

    return Machine


def child(examples):
    global BUILTIN, SWIFT
    from hypothesis import HealthCheck, seed, settings
    from hypothesis.stateful import get_state_machine_test
    BUILTIN, SWIFT = World(True), World(False)
    # A fixed seed by default, so the test command is repeatable; SWIFTBUF_FUZZ_SEED explores.
    explore = os.environ.get("SWIFTBUF_FUZZ_SEED")
    test = get_state_machine_test(build_machine(), settings=settings(
        max_examples=examples, stateful_step_count=STEPS, derandomize=not explore, database=None, deadline=None,
        suppress_health_check=list(HealthCheck), print_blob=False))
    if explore:
        test = seed(int(explore))(test)
    test()


def test_random_operation_sequences_agree_with_the_builtin():
    proc = subprocess.run([sys.executable, "-X", "faulthandler", __file__, str(EXAMPLES)], capture_output=True,
                          text=True, timeout=600, env=child_environment())
    if proc.returncode != 0:
        steps = "\n".join(proc.stdout.splitlines()[-40:])
        pytest.fail(f"the fuzzer failed (exit {proc.returncode}); last steps:\n{steps}\n{proc.stderr[-6000:]}")


if __name__ == "__main__":
    child(int(sys.argv[1]))
