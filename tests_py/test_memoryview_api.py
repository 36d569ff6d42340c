"""swiftbuf.MemoryView's surface against the builtin's: the type and everything Python
derives from its name (messages, pickling, repr), argument parsing of every method swept over
argument shapes, `count()`/`index()` as CPython 3.14 defines them, and the few deliberate
deviations, each pinned with its reason."""
import copy
import itertools
import pickle
import re
import signal
import sys

import _testbuffer as tb
import pytest
from hypothesis import given
from hypothesis import strategies as st

import swiftbuf
from lane import PY_DEBUG
from support import run_python
from test_memoryview_differential import SETTINGS, exporters, outcome, same

B, S = memoryview, swiftbuf.MemoryView


# MARK: - The type

def test_type_names_read_as_the_builtins():
    assert S.__name__ == S.__qualname__ == "memoryview"
    assert S.__module__ == "swiftbuf" and swiftbuf.memoryview is S
    assert S.__doc__ == B.__doc__ and S.__text_signature__ == B.__text_signature__
    for name in ("release", "tobytes", "hex", "tolist", "cast", "toreadonly", "__enter__", "__exit__"):
        assert getattr(S, name).__doc__ == getattr(B, name).__doc__, name
        assert getattr(S, name).__text_signature__ == getattr(B, name).__text_signature__, name
    for name in ("obj", "nbytes", "readonly", "itemsize", "format", "ndim", "shape", "strides", "suboffsets",
                 "c_contiguous", "f_contiguous", "contiguous"):
        assert getattr(S, name).__doc__ == getattr(B, name).__doc__, name
    # Beyond 3.11: count and index (3.14). Heap types also carry __module__.
    assert set(dir(S(b""))) - set(dir(B(b""))) == {"count", "index", "__module__"}
    assert set(dir(B(b""))) - set(dir(S(b""))) == set()


@pytest.mark.parametrize("make", [lambda V: V(b"abc"), lambda V: V(b"abc")[1:], lambda V: iter(V(b"abc")),
                                  lambda V: V(bytearray(4)).cast("i")])
def test_everything_derived_from_the_type_name(make):
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        same(lambda V: pickle.dumps(make(V), proto))
    same(lambda V: copy.copy(make(V)))
    same(lambda V: copy.deepcopy(make(V)))
    same(lambda V: make(V).__reduce__())
    same(lambda V: make(V)())
    same(lambda V: make(V) + 1)
    same(lambda V: make(V) < make(V))
    same(lambda V: make(V).nonexistent)
    same(lambda V: int(make(V)))
    same(lambda V: make(V).__sizeof__())
    same(lambda V: re.sub("0x[0-9a-f]+", "", repr(make(V))))
    same(lambda V: type(make(V)).__name__)


def test_type_cannot_be_subclassed_or_misused_like_the_builtin():
    same(lambda V: type("X", (V,), {}))
    same(lambda V: V.tolist(1))
    same(lambda V: V.__new__(int, b""))
    same(lambda V: type(iter(V(b"a")))())
    same(lambda V: type(V).__call__(V, b"a").tolist())
    assert (S.__flags__ ^ B.__flags__) == (1 << 9)   # only Py_TPFLAGS_HEAPTYPE differs


# MARK: - Argument parsing

ARGUMENTS = [(), ("B",), ("B", [1]), ("B", [1], 3), (1,), (None,), (b"B",), ("C",), ("A",), ("X",), (":",), (":", 2),
             (":", 2 ** 40), (":", "x"), (b"-", -1)]
KEYWORDS = [{}, {"format": "B"}, {"shape": [1]}, {"order": "F"}, {"order": None}, {"sep": ":"}, {"bytes_per_sep": 2},
            {"object": b"a"}, {"x": 1}, {"format": "B", "x": 1}, {"sep": ":", "bytes_per_sep": -1, "order": "C"}]


@pytest.mark.parametrize("method", ["cast", "tobytes", "hex", "tolist", "release", "toreadonly", "__enter__", "__exit__",
                                    "__new__"])
def test_arguments_are_parsed_like_argument_clinic(method):
    for args, kwargs in itertools.product(ARGUMENTS, KEYWORDS):
        if method == "__new__":
            same(lambda V: V(*args, **kwargs))
        else:
            same(lambda V: getattr(V(b"a"), method)(*args, **kwargs))


class KeywordName(str):
    pass


@pytest.mark.parametrize("method, name, value", [("__new__", "object", b"a"), ("cast", "format", "B"), ("cast", "shape", [1]),
                                                 ("tobytes", "order", "C"), ("hex", "sep", ":"),
                                                 ("hex", "bytes_per_sep", 2)])
def test_keywords_are_matched_by_value(method, name, value):
    """A keyword's name is found by value when it is not the interned string: built at run
    time, a str subclass; and refused when it only looks close (same length, a prefix,
    a non-ASCII last character)."""
    for key in ["".join(list(name)), KeywordName(name), name[:-1] + "X", name[:-1], name[:-1] + "\u00e9"]:
        kwargs = {key: value}
        if method == "__new__":
            same(lambda V: V(**kwargs).tobytes())
        elif name == "shape":
            same(lambda V: V(b"a").cast("B", **kwargs).tolist())
        else:
            same(lambda V: getattr(V(b"a"), method)(**kwargs))


# MARK: - count() and index(): CPython 3.14

def test_count_and_index_argument_errors():
    m = S(b"abcabc")
    for call, message in [(lambda: m.index(), "index expected at least 1 argument, got 0"),
                          (lambda: m.index(1, 2, 3, 4), "index expected at most 3 arguments, got 4"),
                          (lambda: m.index(97, "a"), "slice indices must be integers or have an __index__ method"),
                          (lambda: m.index(97, None), "slice indices must be integers or have an __index__ method"),
                          (lambda: m.index(97, start=1), "memoryview.index() takes no keyword arguments"),
                          (lambda: m.count(), "memoryview.count() takes exactly one argument (0 given)"),
                          (lambda: m.count(1, 2), "memoryview.count() takes exactly one argument (2 given)")]:
        with pytest.raises(TypeError) as e:
            call()
        assert str(e.value) == message
    assert m.index(97, -2 ** 100, 2 ** 100) == 0   # clamped, as _PyEval_SliceIndexNotNone does


def test_count_and_index_on_other_shapes():
    zero = S(b"a").cast("B", [])
    with pytest.raises(TypeError, match="^invalid lookup on 0-dim memory$"):
        zero.index(97)
    with pytest.raises(TypeError, match="^invalid indexing of 0-dim memory$"):
        zero.count(97)
    two = S(b"abcd").cast("B", [2, 2])
    with pytest.raises(NotImplementedError, match="^multi-dimensional lookup is not implemented$"):
        two.index(97)
    with pytest.raises(NotImplementedError, match="^multi-dimensional sub-views are not implemented$"):
        two.count(97)
    released = S(b"ab")
    released.release()
    for call in (lambda: released.index(97), lambda: released.count(97)):
        with pytest.raises(ValueError, match="^operation forbidden on released memoryview object$"):
            call()
    with pytest.raises(ValueError, match=r"^memoryview.index\(x\): x not found$"):
        S(b"ab").index(99)
    with pytest.raises(NotImplementedError, match="^memoryview: format e not supported$"):
        S(tb.ndarray([1.0], shape=[1], format="e")).count(1.0)


# The AbstractMemoryTests of CPython 3.14's test_memoryview for count and index, over the same
# sources (bytes, bytearray, array of 'i'; whole, sliced and twice-sliced views).
SOURCES = [bytes, bytearray, lambda b: __import__("array").array("i", list(b))]
VIEWS = [lambda x: S(x), lambda x: S(x)[1:7], lambda x: S(x)[:7][1:]]


@pytest.mark.parametrize("tp", SOURCES)
@pytest.mark.parametrize("view", VIEWS)
def test_cpython_314_index(tp, view):
    source = b"abcdef" if view is VIEWS[0] else b"XabcdefY"
    m = view(tp(source))
    lst = m.tolist()
    k = 2 * len(source)
    for chi in source:
        if chi in lst:
            assert m.index(chi) == lst.index(chi)
        else:
            with pytest.raises(ValueError):
                m.index(chi)
        for start, stop in itertools.product(range(-k, k), range(-k, k)):
            try:
                expected = lst.index(chi, start, stop)
            except ValueError:
                with pytest.raises(ValueError):
                    m.index(chi, start, stop)
            else:
                assert m.index(chi, start, stop) == expected


@pytest.mark.parametrize("tp", SOURCES)
@pytest.mark.parametrize("view", VIEWS)
def test_cpython_314_count(tp, view):
    m = view(tp(b"abcdef" if view is VIEWS[0] else b"XabcdefY"))
    lst = m.tolist()
    for ch in list(m):
        assert m.count(ch) == lst.count(ch)
    m = view(tp(b"X" + b"a" * 5 + b"c" * 3 + b"Y") if view is not VIEWS[0] else tp(b"a" * 5 + b"c" * 3))
    lst = m.tolist()
    for ch in b"abc":
        assert m.count(ch) == lst.count(ch)


@SETTINGS
@given(exporters, st.one_of(st.integers(-3, 300), st.floats(allow_nan=True), st.booleans(), st.binary(max_size=1), st.none()),
       st.integers(-8, 8), st.integers(-8, 8))
def test_count_and_index_are_list_semantics(x, value, start, stop):
    m = S(x)
    try:
        lst = B(x).tolist()
    except NotImplementedError:
        return
    if m.ndim != 1:
        return
    assert outcome(lambda: m.count(value)) == outcome(lambda: lst.count(value))
    expected = outcome(lambda: lst.index(value, start, stop))
    if expected[0] == "error":
        assert outcome(lambda: m.index(value, start, stop)) == ["error", "ValueError", "memoryview.index(x): x not found"]
    else:
        assert outcome(lambda: m.index(value, start, stop)) == expected


def test_count_survives_an_equality_that_releases_the_view():
    m = S(bytearray(b"aaa"))

    class Releaser:
        def __eq__(self, other):
            m.release()
            return True
    with pytest.raises(ValueError, match="^operation forbidden on released memoryview object$"):
        m.count(Releaser())


# MARK: - Deviations, each deliberate

def test_deviations():
    # 1. iter() of a released view: CPython 3.11 returns an iterator with an exception set
    #    (iter() then raises SystemError, a for loop this ValueError); swiftbuf raises the error.
    r = S(b"ab")
    r.release()
    with pytest.raises(ValueError, match="^operation forbidden on released memoryview object$"):
        iter(r)
    # CPython's side in a child: a Py_DEBUG interpreter aborts on it (_Py_CheckFunctionResult).
    child = run_python("""
        b = memoryview(b"ab")
        b.release()
        try:
            iter(b)
        except SystemError:
            print("SystemError")
    """)
    if PY_DEBUG:
        assert child.returncode == -signal.SIGABRT, child
        assert "a function returned a result with an exception set" in child.stderr
    else:
        assert child.stdout == "SystemError\n", child

    # 2. hex(sep) whose len() releases the view: CPython 3.11 then reads freed memory
    #    (gh-143195); swiftbuf holds an export meanwhile, so the release fails, as the fix does.
    ba = bytearray(b"A" * 64)
    mv = S(ba)

    class Sep(bytes):
        def __len__(self):
            mv.release()
            return 1
    with pytest.raises(BufferError, match="^memoryview has 1 exported buffer$"):
        mv.hex(Sep(b":"))
    assert mv.hex() == "41" * 64

    # 3. The same for an exporter whose __hash__ releases the view before it is hashed.
    class Bytes(bytes):
        def __hash__(self):
            view.release()
            return 0
    view = S(Bytes(b"xy"))
    with pytest.raises(BufferError, match="^memoryview has 1 exported buffer$"):
        hash(view)

    # 4. The type's class repr names its module (its instances' repr is the builtin's).
    assert repr(S) == "<class 'swiftbuf.memoryview'>"
