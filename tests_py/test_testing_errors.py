"""Bad input to swiftbuf.testing raises what _testbuffer raises: the same exception type and
message, for every argument of every constructor, method and function, filled with values
of every kind (the cross product, not a hand-picked few)."""
import itertools

import _testbuffer as C
import pytest

import swiftbuf.testing as S
from lane import PY_DEBUG
from support import crashed, normalise, run_isolated, serve
from test_testing_differential import assert_same, facts, outcome

# Values of every kind an argument might be given: wrong types, ints at each C boundary,
# sequences of wrong elements, strings that are not ASCII.
VALUES = [
    None, True, 0, 1, 3, -1, 2**31, 2**63, 2**64, -2**63 - 1, 1.5, "x", "", "\u00e9", "B", "i", "@#$",
    b"B", bytearray(b"abc"), [], [1], [3], [-1], ["1"], [2**64], [1.5], (), (1,), (3, 1), [1, (2, 3)],
    {}, {3}, slice(1), Ellipsis, object,
]


def same(c_call, s_call, *, c_bytes_undefined=False):
    """Both calls end alike: equal results (ndarrays compared by their facts) or the same
    exception. Module and type names are the only text allowed to differ.

    `c_bytes_undefined`: the arguments set ND_SCALAR by hand, which makes _testbuffer's
    tobytes() (and so hash()) copy `nbytes` from a layout that does not have them, past its
    memory; everything else must still agree."""
    c, s = outcome(c_call), outcome(s_call)
    if s[0] != "ok":
        s = s[:2] + [s[2].replace("swiftbuf.testing.", "")]
    if c[0] != "ok":
        c = c[:2] + [c[2].replace("_testbuffer.", "")]
    if isinstance(c[1], C.ndarray):
        if c_bytes_undefined and c[1].ndim > 0:
            fc, fs = facts(c[1]), facts(s[1])
            for f in (fc, fs):
                del f["bytes"], f["hash"]
            assert fs == fc
        else:
            assert_same(c, s)
    elif c[0] == "ok" and isinstance(c[1], memoryview):
        assert s[0] == "ok" and s[1].tobytes() == c[1].tobytes()
    else:
        assert repr(s) == repr(c)


KEYWORDS = ["shape", "strides", "offset", "format", "flags", "getbuf"]
BASES = [{}, {"shape": [3]}, {"shape": [3], "format": "i"}, {"shape": [1, 3], "strides": [3, 1]}]
ITEMS = [[1, 2, 3], 1, [], [(1, 2)], b"abc", bytearray(b"abc"), {1, 2}, "abc", [1, 2, "3"], [1000]]


def item_cases(fmt):
    return [([item] if shape else item, dict(shape=shape, format=fmt, flags=C.ND_WRITABLE))
            for item in VALUES + [300, -129, 2**65, b"ab", (1, 2), (1, b"c"), [1, 2], (b"\x01", 2)]
            for shape in ([1], [])]


def keyword_cases(keyword):
    return [(items, dict(base, **{keyword: value})) for value, base, items in itertools.product(VALUES, BASES, ITEMS)]


CASES = {"items": item_cases, "keywords": keyword_cases}
# Formats of pad bytes only: under Py_DEBUG _testbuffer aborts on them (pack_from_list:
# Assertion `nmemb >= 1'), so their reference side runs in child processes.
PAD_ONLY = {"x", "3x"}


def comparable(o):
    """An outcome as text, ndarrays by their facts, module names dropped."""
    if o[0] == "ok" and isinstance(o[1], (C.ndarray, S.ndarray)):
        o = ("ok", facts(o[1]))
    return normalise(repr(o).replace("swiftbuf.testing.", "").replace("_testbuffer.", ""))


def same_with_reference_in_children(family, arg, indices):
    """`same` for the cases `indices` of CASES[family](arg), _testbuffer's side run in children:
    where it aborts there is nothing to compare with, and swiftbuf must still end in a value or
    an ordinary exception."""
    cases = CASES[family](arg)
    results = run_isolated(__file__, f"{family}|{arg}", [str(k) for k in indices])
    for k in indices:
        items, kwargs = cases[k]
        s = comparable(outcome(lambda: S.ndarray(items, **kwargs)))
        if crashed(results[str(k)]):
            assert "pack_from_list: Assertion `nmemb >= 1' failed" in results[str(k)][2]
        else:
            assert s == results[str(k)], (items, kwargs)


def _reference_case(mode, k):
    family, arg = mode.split("|", 1)
    items, kwargs = CASES[family](arg)[int(k)]
    return comparable(outcome(lambda: C.ndarray(items, **kwargs)))


@pytest.mark.parametrize("keyword", KEYWORDS)
def test_constructor_keywords(keyword):
    isolated = []
    for k, (items, kwargs) in enumerate(keyword_cases(keyword)):
        if PY_DEBUG and isinstance(kwargs.get("format"), str) and kwargs["format"] in PAD_ONLY:
            isolated.append(k)
            continue
        scalar = keyword == "flags" and isinstance(kwargs["flags"], int) and kwargs["flags"] & C.ND_SCALAR
        same(lambda: C.ndarray(items, **kwargs), lambda: S.ndarray(items, **kwargs), c_bytes_undefined=scalar)
    if isolated:
        same_with_reference_in_children("keywords", keyword, isolated)


def test_constructor_arity_and_names():
    args = [[1, 2, 3], [3], [1], 0, "B", 0, 0, 0]
    for n in range(len(args) + 1):
        same(lambda: C.ndarray(*args[:n]), lambda: S.ndarray(*args[:n]))
    same(lambda: C.ndarray([1], shape=[1], nope=1), lambda: S.ndarray([1], shape=[1], nope=1))
    same(lambda: C.ndarray([1], [1], shape=[1]), lambda: S.ndarray([1], [1], shape=[1]))


@pytest.mark.parametrize("fmt", ["B", "b", "?", "c", "i", "Q", "d", "e", "2i", "ic", "3s", "3x", "P"])
def test_items_against_formats(fmt):
    cases = item_cases(fmt)
    if PY_DEBUG and fmt in PAD_ONLY:
        same_with_reference_in_children("items", fmt, range(len(cases)))
        return
    for items, kwargs in cases:
        same(lambda: C.ndarray(items, **kwargs), lambda: S.ndarray(items, **kwargs))


def test_push_and_pop_arguments():
    for value, keyword in itertools.product(VALUES, KEYWORDS[:-1] + ["items"]):
        if PY_DEBUG and keyword == "format" and isinstance(value, str) and value in PAD_ONLY:
            continue    # _testbuffer's push aborts under Py_DEBUG (see PAD_ONLY); the release lane runs it
        kwargs = dict({"items": [1, 2, 3], "shape": [3]}, **{keyword: value})
        c = C.ndarray([9], shape=[1], flags=C.ND_VAREXPORT)
        s = S.ndarray([9], shape=[1], flags=S.ND_VAREXPORT)
        same(lambda: c.push(**kwargs), lambda: s.push(**kwargs))
        same(lambda: c.pop(), lambda: s.pop())
        same(lambda: c.pop(value), lambda: s.pop(value))
    for n in range(8):
        args = [[1], [1], [], 0, "B", 0, 0][:n]
        c, s = C.ndarray([9], shape=[1]), S.ndarray([9], shape=[1])
        same(lambda: c.push(*args), lambda: s.push(*args))


def arrays(module):
    nd = module.ndarray
    full = nd(list(range(12)), shape=[3, 4], flags=module.ND_WRITABLE)
    return [
        full, nd(list(range(12)), shape=[3, 4], flags=module.ND_PIL | module.ND_WRITABLE),
        nd(5, shape=[], flags=module.ND_WRITABLE), nd([1, 2, 3], shape=[3], format="L", flags=module.ND_WRITABLE),
        nd(full, getbuf=module.PyBUF_SIMPLE), nd(full, getbuf=module.PyBUF_ND), nd([1, 2, 3], shape=[3]),
    ]


def test_indexing_keys_and_values():
    keys = VALUES + [-4, 2, (0, 0), (slice(None), 1), (slice(0, 1, 0),)]
    for c, s in zip(arrays(C), arrays(S)):
        for key in keys:
            same(lambda: c[key], lambda: s[key])
            same(lambda: c.__delitem__(key), lambda: s.__delitem__(key))
            for value in VALUES[:18] + [C.ndarray([1, 2, 3, 4], shape=[4])]:
                same(lambda: c.__setitem__(key, value), lambda: s.__setitem__(key, value))
        for method in ("tolist", "tobytes", "add_suboffsets", "memoryview_from_buffer", "pop"):
            same(getattr(c, method), getattr(s, method))
        same(lambda: hash(c), lambda: hash(s))
        same(lambda: len(c), lambda: len(s))


FUNCTIONS = {
    "slice_indices": [slice(0, 3), 3],
    "get_pointer": [b"abc", [1]],
    "get_contiguous": [b"abc", C.PyBUF_READ, "C"],
    "py_buffer_to_contiguous": [b"abc", "C", C.PyBUF_SIMPLE],
    "is_contiguous": [b"abc", "C"],
    "cmp_contig": [b"abc", b"abc"],
    "get_sizeof_void_p": [],
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_module_function_arguments(name):
    c, s = getattr(C, name), getattr(S, name)
    good = FUNCTIONS[name]
    for n in range(len(good) + 2):
        args = (good + [1, 1])[:n]
        same(lambda: c(*args), lambda: s(*args))
    c_array, s_array = arrays(C)[0], arrays(S)[0]
    for position, value in itertools.product(range(len(good)), VALUES + [c_array]):
        args = list(good)
        args[position] = value
        s_args = [s_array if v is c_array else v for v in args]
        same(lambda: c(*args), lambda: s(*s_args))
    same(lambda: c(x=1), lambda: s(x=1))


def test_more_slices_than_dimensions():
    """_testbuffer reads past its shape array for such a key (undefined behaviour); the drop-in
    refuses it, and still applies the slices it can check first."""
    s = S.ndarray(list(range(12)), shape=[3, 4], flags=S.ND_WRITABLE)
    for key in [(slice(None),) * 3, (slice(1), slice(0, 1, 0), slice(None)), (slice(None),) * 9]:
        c_error = outcome(lambda: C.ndarray(list(range(12)), shape=[3, 4])[key[:2]])
        expected = c_error if c_error[0] != "ok" else ["error", "IndexError", "too many slices for an ndarray of 2 dimensions"]
        assert outcome(lambda: s[key]) == expected
        assert outcome(lambda: s.__setitem__(key, s)) == expected
    assert s.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


if __name__ == "__main__":
    serve(_reference_case)
