"""swiftbuf.testing against CPython's _testbuffer, side by side.

Hypothesis draws the arguments `test_buffer.py` draws by hand (random structures: shape,
strides of either sign, offsets valid or not, every format family, every ND_* flag), both
modules build an ndarray from the same arguments, and everything observable must agree: the
attributes, tolist/tobytes/hash, every buffer request a consumer can make, indexing and
slicing, item and slice assignment, and each module function. Exceptions are compared by type
and message.
"""
import struct

import _testbuffer as C
import pytest
from hypothesis import given, settings, strategies as st

import swiftbuf.testing as S
import support
from lane import PY_DEBUG
from support import crashed, normalise, run_forked

# Native codes, standard-size prefixes, repeat counts, strings, pads and records.
FORMATS = [
    "B", "b", "c", "?", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "P", "f", "d", "e",
    "@i", "=h", "<q", ">d", "!f", "<e", "2i", "3s", "5p", "hQ", "<ih", "c?x", "xB", "@bQh", "0sB", ">3H",
]
# ND_SCALAR is left out: set by hand on a larger array it claims contiguity the memory does
# not have, and _testbuffer then reads past its allocation (test_testing_lifetime.py checks
# what swiftbuf.testing does instead).
USER_FLAGS = [C.ND_WRITABLE, C.ND_FORTRAN, C.ND_PIL, C.ND_VAREXPORT, C.ND_REDIRECT,
              C.ND_GETBUF_FAIL, C.ND_GETBUF_UNDEFINED]
REQUESTS = range(0x200)  # every combination of the nine PyBUF_* bits
ATTRIBUTES = ("shape", "strides", "suboffsets", "flags", "offset", "nbytes", "format", "itemsize",
              "ndim", "readonly")


def outcome(fn):
    """support.outcome keeping the value itself: ["ok", value] (ndarrays are compared by their
    facts) or ["error", type name, message]."""
    return support.outcome(fn, describe=None)


def facts(nd, _=None):
    """Everything observable about an ndarray of either module, comparable across modules."""
    module = S if isinstance(nd, S.ndarray) else C
    f = {name: getattr(nd, name) for name in ATTRIBUTES}
    f["contiguity"] = tuple(outcome(lambda n=n: getattr(nd, n)) for n in ("c_contiguous", "f_contiguous", "contiguous"))
    f["is_contiguous"] = tuple(module.is_contiguous(nd, order) for order in "CFA")
    f["bytes"] = outcome(nd.tobytes)
    f["list"] = repr(outcome(nd.tolist))  # repr: NaNs compare equal
    f["hash"] = outcome(lambda: hash(nd))
    f["obj"] = type(nd.obj).__name__
    return f


def memoryview_facts(obj):
    def view():
        with memoryview(obj) as m:
            return (m.shape, m.strides, m.suboffsets, m.format, m.itemsize, m.readonly, m.nbytes,
                    m.c_contiguous, m.f_contiguous, m.tobytes(), repr(outcome(m.tolist)))
    return outcome(view)


@st.composite
def arguments(draw, valid_only=False):
    """(args, kwargs) for ndarray(): items and a structure. Like `rand_structure` in
    test_buffer.py, strided structures mostly get exactly the memory and offset they need;
    a quarter of them get random ones, mostly invalid."""
    fmt = draw(st.sampled_from(FORMATS))
    itemsize = struct.calcsize(fmt)
    ndim = draw(st.integers(0, 4))
    shape = draw(st.lists(st.sampled_from([1, 2, 3, 4, 1, 2, 3, 0]), min_size=ndim, max_size=ndim))
    kwargs = {"shape": shape, "format": fmt}
    size = 1
    for n in shape:
        size *= n
    count = 1 if ndim == 0 else max(1, size + draw(st.integers(0, 2))) if draw(st.integers(0, 3)) else draw(st.integers(1, 40))
    if ndim and draw(st.booleans()):
        strides = [draw(st.integers(-5, 5)) for _ in range(ndim)]
        kwargs["strides"] = [itemsize * v for v in strides]
        if 0 not in shape and draw(st.integers(0, 3)):
            imin = sum(v * (n - 1) for v, n in zip(strides, shape) if v < 0)
            imax = sum(v * (n - 1) for v, n in zip(strides, shape) if v > 0)
            count = imax - imin + 1 + draw(st.integers(0, 2))
            kwargs["offset"] = -imin * itemsize
    if "offset" not in kwargs and draw(st.integers(0, 3)) == 0:
        kwargs["offset"] = itemsize * draw(st.integers(-1, count))
    raw = draw(st.binary(min_size=count * itemsize, max_size=count * itemsize))
    items = [v[0] if len(v) == 1 else v for v in struct.iter_unpack(fmt, raw)]
    flags = 0
    for flag in USER_FLAGS:
        if draw(st.integers(0, 3)) == 0:
            flags |= flag
    if valid_only:
        flags &= ~(C.ND_GETBUF_FAIL | C.ND_GETBUF_UNDEFINED | (C.ND_PIL if ndim == 0 else 0))
    kwargs["flags"] = flags
    return (items if ndim else items[0],), kwargs


def both(args, kwargs):
    return outcome(lambda: C.ndarray(*args, **kwargs)), outcome(lambda: S.ndarray(*args, **kwargs))


def assert_same(c, s):
    """Two outcomes agree: the same exception, or ndarrays with the same facts."""
    if c[0] == "ok" and s[0] == "ok":
        assert facts(s[1], S) == facts(c[1], C)
    else:
        assert s == c


def built(args, kwargs):
    """The pair of ndarrays, or None when construction failed (the same way in both)."""
    c, s = both(args, kwargs)
    assert_same(c, s)
    return (c[1], s[1]) if c[0] == "ok" else None


# MARK: - Construction

@settings(max_examples=600, deadline=None)
@given(arguments())
def test_construction(a):
    built(*a)


@settings(max_examples=100, deadline=None)
@given(arguments(valid_only=True), st.lists(arguments(valid_only=True), max_size=3), st.data())
def test_push_and_pop(first, pushed, data):
    pair = built(*first)
    if pair is None:
        return
    views = []
    for args, kwargs in pushed:
        kwargs = dict(kwargs, flags=kwargs["flags"] & ~C.ND_VAREXPORT)
        results = [outcome(lambda nd=nd: nd.push(*args, **kwargs)) for nd in pair]
        assert results[1] == results[0]
        assert facts(pair[1], S) == facts(pair[0], C)
        if data.draw(st.booleans()):
            views.append([outcome(lambda nd=nd: memoryview(nd)) for nd in pair])
    while True:
        results = [outcome(nd.pop) for nd in pair]
        assert results[1] == results[0]
        assert facts(pair[1], S) == facts(pair[0], C)
        if results[0][0] != "ok":
            if not views:
                break
            for view in views.pop():  # release one generation of views and try again
                if view[0] == "ok":
                    view[1].release()


# MARK: - Buffer requests

@settings(max_examples=150, deadline=None)
@given(arguments(valid_only=True), st.lists(st.sampled_from(REQUESTS), min_size=1, max_size=24))
def test_requests(a, requests):
    pair = built(*a)
    if pair is None:
        return
    c, s = pair
    assert memoryview_facts(s) == memoryview_facts(c)
    for flags in requests:
        rc = outcome(lambda: C.ndarray(c, getbuf=flags))
        rs = outcome(lambda: S.ndarray(s, getbuf=flags))
        assert_same(rc, rs)
        if rc[0] == "ok":
            assert rs[1].obj is s
            # Each consumer type reading the other module's exporter.
            assert_same(rc, outcome(lambda: S.ndarray(c, getbuf=flags)))
            assert_same(rc, outcome(lambda: C.ndarray(s, getbuf=flags)))
            assert memoryview_facts(rs[1]) == memoryview_facts(rc[1])


LAYOUTS = [
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dict(shape=[3, 4])),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dict(shape=[3, 4], flags=C.ND_FORTRAN)),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dict(shape=[3, 4], flags=C.ND_PIL)),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dict(shape=[2, 2], strides=[-4, -1], offset=8)),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dict(shape=[6], strides=[-2], offset=11, format="b")),
    ([(1, 2), (3, 4), (5, 6)], dict(shape=[3], format="<iq", flags=C.ND_WRITABLE)),
    (7, dict(shape=[], format="d", flags=C.ND_WRITABLE)),
    ([1, 2, 3], dict(shape=[1, 3, 1], format="L")),
    ([1, 2, 3], dict(shape=[7, 0, 7])),
    ([1], dict(shape=[5], strides=[0])),
]


@pytest.mark.parametrize("items,kwargs", LAYOUTS)
@pytest.mark.parametrize("readonly", [True, False])
def test_every_request(items, kwargs, readonly):
    flags = kwargs.get("flags", 0) | (0 if readonly else C.ND_WRITABLE)
    kwargs = dict(kwargs, flags=flags)
    c, s = built((items,), kwargs)
    for redundant in (False, True):
        if redundant:  # the same array with all-negative suboffsets added
            if outcome(c.add_suboffsets) != outcome(s.add_suboffsets):
                pytest.fail("add_suboffsets differs")
            assert facts(s, S) == facts(c, C)
        for flags in REQUESTS:
            rc, rs = outcome(lambda: C.ndarray(c, getbuf=flags)), outcome(lambda: S.ndarray(s, getbuf=flags))
            assert_same(rc, rs)
            for order in "CFA":
                assert outcome(lambda: S.py_buffer_to_contiguous(s, order, flags)) == \
                    outcome(lambda: C.py_buffer_to_contiguous(c, order, flags)), (flags, order)


# MARK: - Indexing and slicing

def slices(n):
    bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
    step = st.one_of(st.none(), st.integers(-n - 2, n + 2))
    return st.builds(slice, bound, bound, step)


@settings(max_examples=300, deadline=None)
@given(arguments(valid_only=True), st.data())
def test_indexing_and_slicing(a, data):
    pair = built(*a)
    if pair is None:
        return
    c, s = pair
    if c.ndim == 0:
        keys = [(), Ellipsis, 0, slice(None)]
    else:
        n = c.shape[0]
        keys = list(range(-n - 1, n + 1)) + [2**64, "x", 1.5, (0,), (slice(None), "x")]
        for _ in range(4):
            keys.append(data.draw(slices(n)))
            keys.append(tuple(data.draw(slices(e)) for e in c.shape))
    for key in keys:
        rc, rs = outcome(lambda: c[key]), outcome(lambda: s[key])
        if rc[0] == "ok" and isinstance(rc[1], C.ndarray):
            assert isinstance(rs[1], S.ndarray)
            assert facts(rs[1], S) == facts(rc[1], C), key
            # one more level: sub-views of sub-views
            if rc[1].ndim:
                for k in range(-1, rc[1].shape[0] + 1):
                    assert repr(outcome(lambda: rs[1][k].tolist() if rs[1].ndim > 1 else rs[1][k])) == \
                        repr(outcome(lambda: rc[1][k].tolist() if rc[1].ndim > 1 else rc[1][k]))
        elif rc[0] == "ok" and rc[1] is c:
            assert rs[1] is s
        else:
            assert repr(rs) == repr(rc), key
    assert list(iter_outcomes(s)) == list(iter_outcomes(c))


def iter_outcomes(nd):
    """Iteration through sq_item, as `for v in nd` does."""
    try:
        for v in nd:
            yield repr(v.tolist() if hasattr(v, "tolist") else v)
    except Exception as e:  # noqa: BLE001 - compared, not swallowed
        yield ["error", type(e).__name__, str(e)]


@settings(max_examples=300, deadline=None)
@given(arguments(valid_only=True), st.data())
def test_assignment(a, data):
    args, kwargs = a
    kwargs = dict(kwargs, flags=kwargs["flags"] | C.ND_WRITABLE)
    pair = built(args, kwargs)
    if pair is None:
        return
    c, s = pair
    items = args[0] if isinstance(args[0], list) else [args[0]]
    for _ in range(6):
        if c.ndim == 0:
            key = data.draw(st.sampled_from([(), Ellipsis, 0]))
        elif data.draw(st.booleans()):
            key = data.draw(st.integers(-c.shape[0] - 1, c.shape[0]))
        else:
            key = tuple(data.draw(slices(e)) for e in c.shape)
        source = data.draw(st.sampled_from(["item", "self", "other", "list"]))
        if source == "item":
            vc = vs = data.draw(st.sampled_from(items + [300, -1, 2**70, 1.5, b"xy", (1, 2), None]))
        elif source == "list":
            vc = vs = list(items)
        else:
            rkey = tuple(data.draw(slices(e)) for e in c.shape) if c.ndim else ()
            vc, vs = (outcome(lambda: c[rkey]), outcome(lambda: s[rkey])) if source == "self" else \
                both(*data.draw(arguments(valid_only=True)))
            if vc[0] != "ok":
                continue
            vc, vs = vc[1], vs[1]
        rc = outcome(lambda: c.__setitem__(key, vc))
        rs = outcome(lambda: s.__setitem__(key, vs))
        assert rs == rc, (key, source)
        assert facts(s, S) == facts(c, C)


# MARK: - Module functions

@settings(max_examples=300, deadline=None)
@given(arguments(valid_only=True), st.lists(st.sampled_from(REQUESTS), max_size=6))
def test_module_functions(a, requests):
    pair = built(*a)
    if pair is None:
        return
    c, s = pair
    from itertools import product
    if c.ndim <= 3 and c.nbytes <= 4096:
        for index in product(*(range(-1, e + 1) for e in c.shape)):
            assert repr(outcome(lambda: S.get_pointer(s, list(index)))) == repr(outcome(lambda: C.get_pointer(c, list(index))))
    for order in "CFA":
        for flags in list(requests) + [C.PyBUF_FULL_RO]:
            assert outcome(lambda: S.py_buffer_to_contiguous(s, order, flags)) == \
                outcome(lambda: C.py_buffer_to_contiguous(c, order, flags))
        for buffertype in (C.PyBUF_READ, C.PyBUF_WRITE):
            mc = outcome(lambda: C.get_contiguous(c, buffertype, order))
            ms = outcome(lambda: S.get_contiguous(s, buffertype, order))
            if mc[0] == "ok":
                assert ms[0] == "ok"
                assert memoryview_facts(ms[1]) == memoryview_facts(mc[1])
                assert S.cmp_contig(ms[1], s) == C.cmp_contig(mc[1], c)
                assert S.cmp_contig(ms[1], mc[1]) is True
            else:
                assert ms == mc
    assert S.cmp_contig(s, s) == C.cmp_contig(c, c)
    assert S.cmp_contig(s, c) == C.cmp_contig(c, c)
    assert S.cmp_contig(s, s.tobytes()) == C.cmp_contig(c, c.tobytes())
    assert outcome(s.memoryview_from_buffer)[0] == outcome(c.memoryview_from_buffer)[0]
    if outcome(c.memoryview_from_buffer)[0] == "ok":
        assert memoryview_facts(s.memoryview_from_buffer())[1][:9] == memoryview_facts(c.memoryview_from_buffer())[1][:9]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.none(), st.integers(-2**70, 2**70), st.integers(-8, 8)),
       st.one_of(st.none(), st.integers(-2**70, 2**70), st.integers(-8, 8)),
       st.one_of(st.none(), st.integers(-2**70, 2**70), st.integers(-8, 8)),
       st.one_of(st.integers(-2**63, 2**63 - 1), st.integers(-8, 8), st.just(2**64)))
def test_slice_indices(start, stop, step, length):
    key = slice(start, stop, step)
    assert outcome(lambda: S.slice_indices(key, length)) == outcome(lambda: C.slice_indices(key, length))


def test_staticarray():
    for legacy in (False, True, 0, None):
        c, s = C.staticarray(legacy), S.staticarray(legacy)
        assert memoryview_facts(s) == memoryview_facts(c)
        for flags in REQUESTS:
            rc, rs = outcome(lambda: C.ndarray(c, getbuf=flags)), outcome(lambda: S.ndarray(s, getbuf=flags))
            assert_same(rc, rs)
            if rc[0] == "ok":
                assert (rs[1].obj is s) == (rc[1].obj is c)
        assert outcome(lambda: S.get_pointer(s, [3])) == outcome(lambda: C.get_pointer(c, [3]))


def test_module_names_match_testbuffer():
    public = {name for name in vars(C) if not name.startswith("_")}
    assert set(S.__all__) == public
    for name in public:
        if isinstance(getattr(C, name), int):
            assert getattr(S, name) == getattr(C, name), name
    namespace_c, namespace_s = {}, {}
    exec("from _testbuffer import *", namespace_c)
    exec("from swiftbuf.testing import *", namespace_s)
    assert set(namespace_s) == set(namespace_c)
    assert {n for n in dir(S.ndarray) if not n.startswith("__")} == {n for n in dir(C.ndarray) if not n.startswith("__")}


def packed(module, items, item, fmt):
    """What an ndarray of `module` packed from `items` in format `fmt` is, after item 1 is
    assigned `item` (or the construction's error)."""
    made = outcome(lambda: module.ndarray(items, shape=[2], format=fmt, flags=C.ND_WRITABLE))
    if made[0] != "ok":
        return made
    outcome(lambda: made[1].__setitem__(1, item))
    return ["ok", facts(made[1])]


# _testbuffer's pack_from_list asserts `nmemb >= 1` (nothing but pad bytes to pack into), so a
# Py_DEBUG interpreter aborts on such formats ('x x', '0c x'); a release build packs nothing
# and the items come back as ().
PAD_ONLY_ABORT = "pack_from_list: Assertion `nmemb >= 1' failed"


@pytest.mark.parametrize("prefix", ["", "@", "=", "<", ">", "!"])
def test_format_sweep(prefix):
    """Every pair of codes with repeat counts, packed from items, unpacked, and assigned:
    the member count each format gets (which decides how an item is spread over pack_into's
    arguments) and everything after it agree with _testbuffer. Formats of pad bytes only are
    packed by _testbuffer in a forked copy of the process (support.run_forked), in every lane:
    under Py_DEBUG that copy aborts (PAD_ONLY_ABORT), and swiftbuf must then give what a release
    _testbuffer gives, which the release lanes compare."""
    import itertools
    codes = "xcbB?hHiIlLqQnNefdspP"
    compared = pad_only = 0
    for a, b in itertools.product(codes, repeat=2):
        for n in ("", "0", "1", "3"):
            fmt = f"{prefix}{n}{a} {b}"
            try:
                size = struct.calcsize(fmt)
                values = struct.unpack(fmt, bytes(range(size)))  # CPython's struct itself may fail ('0p')
            except (struct.error, SystemError):
                continue
            item = values[0] if len(values) == 1 else values
            for items in ([item, item], [item, values], [item, 7]):
                if not values:
                    expected = run_forked(lambda: packed(C, items, item, fmt))
                    got = normalise(packed(S, items, item, fmt))
                    if crashed(expected):
                        assert PY_DEBUG and PAD_ONLY_ABORT in expected[2], (fmt, expected)
                        # A release _testbuffer: the items back as (), zero bytes, or the mismatch.
                        if items[1] == 7:
                            assert got == ["error", "ValueError", "mismatch between initializer element and format string"]
                        else:
                            nd = S.ndarray(items, shape=[2], format=fmt, flags=C.ND_WRITABLE)
                            assert got[0] == "ok" and nd.tolist() == [(), ()], fmt
                            assert nd.tobytes() == bytes(nd.nbytes) and nd.nbytes == 2 * struct.calcsize(fmt)
                    else:
                        assert got == expected, fmt
                    pad_only += 1
                    continue
                kwargs = dict(shape=[2], format=fmt, flags=C.ND_WRITABLE)
                pair = built((items,), kwargs)
                if pair is not None:
                    for nd in pair:
                        outcome(lambda: nd.__setitem__(1, item))
                    assert facts(pair[1]) == facts(pair[0]), fmt
                compared += 1
    assert compared > 500 and pad_only > 20
