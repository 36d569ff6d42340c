"""Bad input, generated: every method, constructor, operator and module function of
swiftbuf.MemoryView and swiftbuf.testing, called with arguments of every kind (None, bools,
ints at and past every Py_ssize_t boundary, floats and NaN, str and bytes of every awkward
shape, formats with NUL bytes or no items, subclasses of int/str/bytes, objects whose
`__index__` raises, tuples and lists of wrong lengths, 65 dimensions, slices with huge or zero
steps, ...) on views of every layout, released ones included.

Each call runs with the builtin (`memoryview`, `_testbuffer`) and with swiftbuf, in child
processes (a crash fails only its case, see test_adversarial_harness.py); swiftbuf must give
the same value or the same exception type and message. swiftbuf.Buffer and the Swift API
(PythonBuffer.export and PythonBufferView, through a Swift extension module built on it,
tests_py/swift_ext) have no builtin twin: for them every call must end in a value or in one
of the exceptions a Python user expects, with a message of their own.
"""
import array
import sys

import pytest

from test_adversarial_harness import crashed, outcome, run_isolated, serve

MAX = sys.maxsize


# MARK: - Argument values

class IndexRaises:
    def __index__(self):
        raise ZeroDivisionError("from __index__")


class IntSub(int):
    pass


class StrSub(str):
    pass


class BytesSub(bytes):
    pass


class FloatRaises:
    def __float__(self):
        raise ZeroDivisionError("from __float__")


class BoolRaises:
    def __bool__(self):
        raise ZeroDivisionError("from __bool__")


class LenLies(str):
    """A str whose len() is 1 whatever it holds."""
    def __len__(self):
        return 1


VALUES = {
    "none": lambda: None,
    "true": lambda: True,
    "zero": lambda: 0,
    "one": lambda: 1,
    "two": lambda: 2,
    "minus1": lambda: -1,
    "minus7": lambda: -7,
    "int32max": lambda: 2 ** 31,
    "int_max": lambda: 2 ** 31 - 1,
    "int_min": lambda: -2 ** 31,   # abs() of it overflows a C int
    "maxsize": lambda: MAX,
    "minsize": lambda: -MAX - 1,
    "past_max": lambda: MAX + 1,
    "past_min": lambda: -MAX - 2,
    "huge": lambda: 10 ** 40,
    "intsub": lambda: IntSub(1),
    "index_raises": IndexRaises,
    "float": lambda: 1.5,
    "nan": lambda: float("nan"),
    "inf": lambda: float("inf"),
    "float_raises": FloatRaises,
    "bool_raises": BoolRaises,
    "str_B": lambda: "B",
    "str_empty": lambda: "",
    "str_nul": lambda: "B\0",
    "str_nul_first": lambda: "\0",
    "str_colon": lambda: ":",
    "str_long": lambda: "::",
    "str_nonascii": lambda: "\xe9",
    "str_wide": lambda: "\u20ac",
    "str_surrogate": lambda: "\udc80",
    "str_d": lambda: "d",
    "str_at_d": lambda: "@d",
    "str_le_i": lambda: "<i",
    "str_record": lambda: "ii",
    "str_pad": lambda: "x",
    "str_zero_items": lambda: "0s",
    "str_count": lambda: "3s",
    "str_c": lambda: "c",
    "str_bool": lambda: "?",
    "str_half": lambda: "e",
    "str_pointer": lambda: "P",
    "str_bad": lambda: "Z",
    "str_C": lambda: "C",
    "str_F": lambda: "F",
    "str_A": lambda: "A",
    "str_c_lower": lambda: "c",
    "strsub": lambda: StrSub("B"),
    "str_lenlies": lambda: LenLies(""),
    "bytes_B": lambda: b"B",
    "bytes_empty": lambda: b"",
    "bytes_colon": lambda: b":",
    "bytes_high": lambda: b"\xff",
    "bytessub": lambda: BytesSub(b":"),
    "bytearray": lambda: bytearray(b"ab"),
    "memoryview": lambda: memoryview(b"ab"),
    "array_i": lambda: array.array("i", [1, 2]),
    "tuple_empty": lambda: (),
    "tuple_1": lambda: (1,),
    "tuple_0_0": lambda: (0, 0),
    "tuple_neg": lambda: (-1, -1),
    "tuple_3": lambda: (0, 0, 0),
    "tuple_65": lambda: (1,) * 65,
    "tuple_65_zeros": lambda: (0,) * 65,
    "tuple_129": lambda: (1,) * 129,
    "tuple_big": lambda: (MAX, MAX),
    "tuple_str": lambda: ("a",),
    "tuple_float": lambda: (1.0,),
    "tuple_index_raises": lambda: (IndexRaises(),),
    "tuple_slices": lambda: (slice(None), slice(None)),
    "tuple_mixed": lambda: (0, slice(None)),
    "tuple_ellipsis": lambda: (Ellipsis,),
    "list_2_2": lambda: [2, 2],
    "list_1": lambda: [1],
    "list_4": lambda: [4],
    "list_neg": lambda: [-1],
    "list_zero": lambda: [0],
    "list_huge": lambda: [2 ** 62, 2 ** 62],
    "list_intsub": lambda: [IntSub(2), IntSub(2)],
    "list_items": lambda: [1, 2, 3, 4],
    "list_nested": lambda: [[1, 2], [3, 4]],
    "list_bad_items": lambda: [1, "x"],
    "list_empty": lambda: [],
    "slice_all": lambda: slice(None),
    "slice_rev": lambda: slice(None, None, -1),
    "slice_huge": lambda: slice(-MAX - 1, MAX, MAX),
    "slice_past": lambda: slice(-10 ** 30, 10 ** 30, 10 ** 30),
    "slice_zero_step": lambda: slice(None, None, 0),
    "slice_index_raises": lambda: slice(IndexRaises()),
    "slice_str": lambda: slice("a"),
    "ellipsis": lambda: Ellipsis,
    "object": object,
    "dict": dict,
    "type": lambda: int,
}


# MARK: - swiftbuf.MemoryView against memoryview

def views(MV, tb):
    """Views of every layout, the exporter built the same way for both implementations."""
    return {
        "bytes": lambda: MV(bytearray(b"abcdef")),
        "readonly": lambda: MV(b"abcdef"),
        "empty": lambda: MV(bytearray()),
        "double": lambda: MV(bytearray(16)).cast("d"),
        "signed": lambda: MV(bytearray(b"\x80\x7f")).cast("b"),
        "char": lambda: MV(bytearray(b"ab")).cast("c"),
        "bool": lambda: MV(bytearray(b"\x00\x01")).cast("?"),
        "pointer": lambda: MV(bytearray(16)).cast("P"),
        "2d": lambda: MV(bytearray(range(12))).cast("B", [3, 4]),
        "0d": lambda: MV(bytearray(8)).cast("q", []),
        "strided": lambda: MV(bytearray(b"abcdef"))[::2],
        "reversed": lambda: MV(bytearray(b"abcdef"))[::-1],
        "zero_size_2d": lambda: MV(bytearray(4)).cast("B", [1, 4])[0:0],
        "record": lambda: MV(tb.ndarray([(1, 2), (3, 4)], shape=[2], format="ii", flags=tb.ND_WRITABLE)),
        "nonnative": lambda: MV(tb.ndarray([1, 2], shape=[2], format="<i", flags=tb.ND_WRITABLE)),
        "half": lambda: MV(tb.ndarray([1.0, 2.0], shape=[2], format="e", flags=tb.ND_WRITABLE)),
        "pil": lambda: MV(tb.ndarray(list(range(6)), shape=[2, 3], flags=tb.ND_PIL | tb.ND_WRITABLE)),
        "fortran": lambda: MV(tb.ndarray(list(range(6)), shape=[2, 3], flags=tb.ND_FORTRAN)),
        "released": released(MV),
        # NumPy's empty structures and 'V0': items of zero bytes ('T{}' and '0x', itemsize 0).
        "zero_itemsize": lambda: MV(numpy().zeros((3, 2), dtype="V0")),
        "empty_struct": lambda: MV(numpy().zeros((2,), dtype=numpy().dtype([]))),
    }


def numpy():
    import numpy as np
    return np


def released(MV):
    def make():
        m = MV(bytearray(b"ab"))
        m.release()
        return m
    return make


def describe_view(v):
    """What a view is: every attribute, its items and bytes (or the error each raises)."""
    return [outcome(lambda: [v.format, v.itemsize, v.ndim, v.shape, v.strides, v.suboffsets, v.readonly,
                             v.nbytes, v.c_contiguous, v.f_contiguous, v.contiguous]),
            outcome(v.tolist), outcome(v.tobytes)]


def describe(value):
    if type(value).__name__ == "memoryview":
        return {"view": describe_view(value)}
    return value


def setitem(v, key, value):
    v[key] = value
    return describe_view(v)


def element_key(v):
    return () if v.ndim == 0 else (0,) * v.ndim if v.ndim > 1 else 0


# One-argument operations: name -> f(view, value, MV).
VIEW_OPS = {
    "getitem": lambda v, x, MV: v[x],
    "setitem_key": lambda v, x, MV: setitem(v, x, 1),
    "setitem_value": lambda v, x, MV: setitem(v, element_key(v), x),
    "setslice_value": lambda v, x, MV: setitem(v, slice(0, 2), x),
    "cast_format": lambda v, x, MV: v.cast(x),
    "cast_shape": lambda v, x, MV: v.cast("B", x),
    "cast_keywords": lambda v, x, MV: v.cast(format="B", shape=x),
    "cast_double_shape": lambda v, x, MV: v.cast("d", x),
    "tobytes": lambda v, x, MV: v.tobytes(x),
    "tobytes_keyword": lambda v, x, MV: v.tobytes(order=x),
    "hex_sep": lambda v, x, MV: v.hex(x),
    "hex_group": lambda v, x, MV: v.hex(":", x),
    "hex_keywords": lambda v, x, MV: v.hex(sep="-", bytes_per_sep=x),
    "eq": lambda v, x, MV: v == x,
    "ne": lambda v, x, MV: v != x,
    "lt": lambda v, x, MV: v < x,
    "contains": lambda v, x, MV: x in v,
    "new": lambda v, x, MV: MV(x),
    "new_keyword": lambda v, x, MV: MV(object=x),
    "new_bad_keyword": lambda v, x, MV: MV(b"ab", bad=x),
    "exit": lambda v, x, MV: v.__exit__(x, x, x),
    "tolist_argument": lambda v, x, MV: v.tolist(x),
    "release_argument": lambda v, x, MV: v.release(x),
    "toreadonly_argument": lambda v, x, MV: v.toreadonly(x),
}

# Operations without an argument.
VIEW_NULLARY = {
    "hash": lambda v, MV: hash(v),
    "len": lambda v, MV: len(v),
    "iterate": lambda v, MV: list(v),
    "tolist": lambda v, MV: v.tolist(),
    "toreadonly": lambda v, MV: v.toreadonly(),
    "release_twice": lambda v, MV: (v.release(), v.release(), repr(v)),
    "repr": lambda v, MV: repr(v),
    "bytes": lambda v, MV: bytes(v),
    "attributes": lambda v, MV: describe_view(v),
    "enter": lambda v, MV: v.__enter__() is v,
    "reversed": lambda v, MV: list(reversed(v)),
    "obj": lambda v, MV: type(v.obj).__name__,
    "pickle": lambda v, MV: __import__("pickle").dumps(v),
    "eq_self": lambda v, MV: v == v,
    "eq_copy": lambda v, MV: v == MV(v),
    "view_of_view": lambda v, MV: MV(v),
    "tobytes_orders": lambda v, MV: [v.tobytes(o) for o in ("C", "F", "A", None)],
    "hex_groups": lambda v, MV: [v.hex(":", g) for g in (1, 2, -2, 3, 100, -100)],
    "casts": lambda v, MV: [describe_view(v.cast(f)) for f in ("B", "b", "c")],
}

# The builtin raises here, swiftbuf deliberately otherwise (test_memoryview_api.test_deviations).
VIEW_DEVIATIONS = {
    ("released", "iterate"): ["error", "ValueError", "operation forbidden on released memoryview object"],
    ("released", "reversed"): ["error", "ValueError", "operation forbidden on released memoryview object"],
}


def view_cases():
    names = list(views(memoryview, None))
    cases = [f"mv|{v}|{op}|{x}" for v in names for op in VIEW_OPS for x in VALUES]
    cases += [f"mv|{v}|{op}|-" for v in names for op in VIEW_NULLARY]
    return cases


def run_view_case(mode, view, op, value):
    import _testbuffer   # the exporter of some views, with either memoryview
    if mode == "builtin":
        MV = memoryview
    else:
        import swiftbuf
        MV = swiftbuf.MemoryView
    v = views(MV, _testbuffer)[view]()
    if op in VIEW_NULLARY:
        return outcome(lambda: VIEW_NULLARY[op](v, MV), describe)
    x = VALUES[value]()
    return outcome(lambda: VIEW_OPS[op](v, x, MV), describe)


# MARK: - swiftbuf.testing against _testbuffer

def arrays(T):
    return {
        "writable": lambda: T.ndarray([1, 2, 3, 4], shape=[4], flags=T.ND_WRITABLE),
        "readonly": lambda: T.ndarray([1, 2, 3, 4], shape=[4]),
        "2d": lambda: T.ndarray(list(range(6)), shape=[2, 3], flags=T.ND_WRITABLE),
        "0d": lambda: T.ndarray(5, shape=[], flags=T.ND_WRITABLE),
        "pil": lambda: T.ndarray(list(range(6)), shape=[2, 3], flags=T.ND_PIL | T.ND_WRITABLE),
        "fortran": lambda: T.ndarray(list(range(6)), shape=[2, 3], flags=T.ND_FORTRAN),
        "record": lambda: T.ndarray([(1, 2.5), (3, 4.5)], shape=[2], format="id", flags=T.ND_WRITABLE),
        "strided": lambda: T.ndarray(list(range(8)), shape=[4], strides=[-2], offset=6),
        "consumer": lambda: T.ndarray(bytearray(b"abcd"), getbuf=T.PyBUF_FULL),
        "consumer_simple": lambda: T.ndarray(b"abcd", getbuf=T.PyBUF_SIMPLE),
        "redirect": lambda: T.ndarray(T.ndarray([1, 2], shape=[2]), flags=T.ND_REDIRECT),
        "sliced": lambda: T.ndarray(list(range(8)), shape=[8], flags=T.ND_WRITABLE)[1:7:2],
        "pushed": pushed(T),
        "zero_itemsize": lambda: T.ndarray(numpy().zeros((3, 2), dtype="V0")),
        "empty_struct": lambda: T.ndarray(numpy().zeros((2,), dtype=numpy().dtype([])), getbuf=T.PyBUF_RECORDS_RO),
    }


def pushed(T):
    def make():
        nd = T.ndarray([1, 2], shape=[2], flags=T.ND_WRITABLE)
        nd.push([3, 4, 5], shape=[3], flags=T.ND_WRITABLE)
        return nd
    return make


def describe_array(nd):
    return [outcome(lambda: [nd.format, nd.itemsize, nd.ndim, nd.shape, nd.strides, nd.suboffsets, nd.readonly,
                             nd.nbytes, nd.flags, nd.offset]),
            outcome(nd.tolist), outcome(nd.tobytes)]


def describe_testing(value):
    name = type(value).__name__
    if name == "ndarray":
        return {"ndarray": describe_array(value)}
    if name == "memoryview":
        return {"view": describe_view(value)}
    if name == "staticarray":
        return {"staticarray": describe_view(memoryview(value))}
    return value


def array_setitem(nd, key, value):
    nd[key] = value
    return describe_array(nd)


def array_key(nd):
    return () if nd.ndim == 0 else 0


ARRAY_OPS = {
    "getitem": lambda nd, x, T: nd[x],
    "setitem_key": lambda nd, x, T: array_setitem(nd, x, 1),
    "setitem_value": lambda nd, x, T: array_setitem(nd, array_key(nd), x),
    "setslice_value": lambda nd, x, T: array_setitem(nd, slice(0, 2), x),
    "push_items": lambda nd, x, T: (nd.push(x, shape=[1]), describe_array(nd))[1],
    "push_shape": lambda nd, x, T: (nd.push([1, 2], shape=x), describe_array(nd))[1],
    "push_strides": lambda nd, x, T: (nd.push([1, 2, 3, 4], shape=[2, 2], strides=x), describe_array(nd))[1],
    "push_offset": lambda nd, x, T: (nd.push([1, 2], shape=[1], offset=x), describe_array(nd))[1],
    "push_format": lambda nd, x, T: (nd.push([1, 2], shape=[2], format=x), describe_array(nd))[1],
    "push_flags": lambda nd, x, T: (nd.push([1, 2], shape=[2], flags=x), describe_array(nd))[1],
    "reinit_items": lambda nd, x, T: (nd.__init__(x, shape=[2]), describe_array(nd))[1],
    "reinit_getbuf": lambda nd, x, T: (nd.__init__(bytearray(b"ab"), getbuf=x), describe_array(nd))[1],
    "new_items": lambda nd, x, T: T.ndarray(x, shape=[2]),
    "new_scalar": lambda nd, x, T: T.ndarray(x, shape=[]),
    "new_shape": lambda nd, x, T: T.ndarray(list(range(4)), shape=x),
    "new_strides": lambda nd, x, T: T.ndarray([1, 2, 3, 4], shape=[2, 2], strides=x),
    "new_offset": lambda nd, x, T: T.ndarray([1, 2, 3, 4], shape=[2], offset=x),
    "new_format": lambda nd, x, T: T.ndarray([1, 2], shape=[2], format=x),
    "new_flags": lambda nd, x, T: T.ndarray([1, 2, 3, 4], shape=[2, 2], flags=x),
    "new_getbuf": lambda nd, x, T: T.ndarray(nd, getbuf=x),
    "new_exporter": lambda nd, x, T: T.ndarray(x),
    "new_exporter_flags": lambda nd, x, T: T.ndarray(nd, flags=x),
    "slice_indices_slice": lambda nd, x, T: T.slice_indices(x, 5),
    "slice_indices_length": lambda nd, x, T: T.slice_indices(slice(1, None, 2), x),
    "get_pointer": lambda nd, x, T: T.get_pointer(nd, x),
    "get_pointer_object": lambda nd, x, T: T.get_pointer(x, [0]),
    "get_contiguous_type": lambda nd, x, T: T.get_contiguous(nd, x, "C"),
    "get_contiguous_order": lambda nd, x, T: T.get_contiguous(nd, T.PyBUF_READ, x),
    "get_contiguous_object": lambda nd, x, T: T.get_contiguous(x, T.PyBUF_READ, "F"),
    "to_contiguous_order": lambda nd, x, T: T.py_buffer_to_contiguous(nd, x, T.PyBUF_FULL_RO),
    "to_contiguous_flags": lambda nd, x, T: T.py_buffer_to_contiguous(nd, "C", x),
    "to_contiguous_object": lambda nd, x, T: T.py_buffer_to_contiguous(x, "F", T.PyBUF_FULL_RO),
    "is_contiguous_order": lambda nd, x, T: T.is_contiguous(nd, x),
    "is_contiguous_object": lambda nd, x, T: T.is_contiguous(x, "A"),
    "cmp_contig": lambda nd, x, T: T.cmp_contig(nd, x),
    "staticarray": lambda nd, x, T: T.staticarray(x),
    "memoryview_of": lambda nd, x, T: memoryview(nd) == x,
}

ARRAY_NULLARY = {
    "pop": lambda nd, T: (nd.pop(), describe_array(nd))[1],
    "tolist": lambda nd, T: nd.tolist(),
    "tobytes": lambda nd, T: nd.tobytes(),
    "add_suboffsets": lambda nd, T: (nd.add_suboffsets(), describe_array(nd))[1],
    "memoryview_from_buffer": lambda nd, T: nd.memoryview_from_buffer(),
    "hash": lambda nd, T: hash(nd),
    "attributes": lambda nd, T: describe_array(nd),
    "contiguity": lambda nd, T: [nd.c_contiguous, nd.f_contiguous, nd.contiguous],
    "obj": lambda nd, T: type(nd.obj).__name__,
    "len": lambda nd, T: len(nd),
    "iterate": lambda nd, T: [describe_testing(x) for x in nd],
    "memoryview": lambda nd, T: memoryview(nd),
    "every_request": lambda nd, T: [outcome(lambda: describe_testing(T.ndarray(nd, getbuf=f))) for f in range(0, 0x200, 7)],
    "to_contiguous": lambda nd, T: [T.py_buffer_to_contiguous(nd, o, T.PyBUF_FULL_RO) for o in "CFA"],
    "get_contiguous": lambda nd, T: [describe_view(T.get_contiguous(nd, T.PyBUF_READ, o)) for o in "CFA"],
}


# Operations whose outcome does not depend on the array run on one array, those that change
# the structure on one of each kind; the rest on every array. (This also keeps down the
# _testbuffer crashes, each of which costs a fresh child.)
INDEPENDENT_OPS = {"new_items", "new_scalar", "new_shape", "new_strides", "new_offset", "new_format", "new_flags",
                   "new_exporter", "slice_indices_slice", "slice_indices_length", "get_pointer_object",
                   "get_contiguous_object", "to_contiguous_object", "is_contiguous_object", "staticarray"}
STRUCTURE_OPS = {"push_items", "push_shape", "push_strides", "push_offset", "push_format", "push_flags",
                 "reinit_items", "reinit_getbuf"}


def array_receivers(op):
    if op in INDEPENDENT_OPS:
        return ["writable"]
    if op in STRUCTURE_OPS:
        return ["writable", "consumer", "redirect", "pushed"]
    return ARRAY_NAMES


def array_cases():
    cases = [f"nd|{a}|{op}|{x}" for op in ARRAY_OPS for a in array_receivers(op) for x in VALUES]
    cases += [f"nd|{a}|{op}|-" for a in ARRAY_NAMES for op in ARRAY_NULLARY]
    return cases


ARRAY_NAMES = ["writable", "readonly", "2d", "0d", "pil", "fortran", "record", "strided", "consumer",
               "consumer_simple", "redirect", "sliced", "pushed", "zero_itemsize", "empty_struct"]


def run_array_case(mode, name, op, value):
    if mode == "builtin":
        import _testbuffer as T
    else:
        import swiftbuf.testing as T
    nd = arrays(T)[name]()
    if op in ARRAY_NULLARY:
        return outcome(lambda: ARRAY_NULLARY[op](nd, T), describe_testing)
    x = VALUES[value]()
    return outcome(lambda: ARRAY_OPS[op](nd, x, T), describe_testing)


# MARK: - swiftbuf's own API: no twin, only sane outcomes

def buffer_ops():
    import swiftbuf
    import swift_package
    from swiftbuf import _swiftbuf as S
    # The Swift API's users' side: a Swift extension module built on SwiftBufferPython (the
    # parent test's `swift_testext_dir` fixture tells this child where it is). Element indices
    # are not among the inputs: an index out of range is a precondition of PythonBufferView.
    X = swift_package.module()
    B = swiftbuf.Buffer
    return {
        "Buffer_shape": lambda x: B(x),
        "Buffer_format": lambda x: B(2, x),
        "Buffer_order": lambda x: B((2, 2), order=x),
        "Buffer_readonly": lambda x: B(2, readonly=x),
        "frombytes_data": lambda x: B.frombytes(x),
        "frombytes_format": lambda x: B.frombytes(b"abcdefgh", x),
        "frombytes_shape": lambda x: B.frombytes(b"abcdefgh", "B", x),
        "frombytes_order": lambda x: B.frombytes(b"abcd", "B", [2, 2], order=x),
        "frombytes_readonly": lambda x: B.frombytes(b"ab", readonly=x),
        "resize": lambda x: B(4).resize(x),
        "tobytes": lambda x: B((2, 2)).tobytes(x),
        "tobytes_keyword": lambda x: B((2, 2)).tobytes(order=x),
        "tolist_argument": lambda x: B(2).tolist(x),
        "swift_array_format": lambda x: X.array(x, 2),
        "swift_array_count": lambda x: X.array("d", x),
        "swift_array_shape": lambda x: X.array("d", 4, False, x),
        "swift_array_strides": lambda x: X.array("d", 4, False, (2, 2), x),
        "swift_array_readonly": lambda x: X.array("d", 2, x),
        "swift_typed_pointer": lambda x: X.typed_pointer(x),
        "swift_matrix_rows": lambda x: X.matrix(x, 2),
        "swift_matrix_cols": lambda x: X.matrix(2, x),
        "swift_matrix_no_cols": lambda x: X.matrix(x, 0),
        "swift_matrix_order": lambda x: X.matrix(2, 2, x),
        "swift_raw_format": lambda x: X.raw(x, (2,)),
        "swift_raw_shape": lambda x: X.raw("B", x),
        "swift_raw_strides": lambda x: X.raw("B", (2, 2), x),
        "swift_raw_byte_count": lambda x: X.raw("B", (2,), None, x),
        "swift_sum": lambda x: X.sum(x),
        "swift_span_sum": lambda x: X.span_sum(x),
        "swift_scale_object": lambda x: X.scale(x, 2.0),
        "swift_span_scale_object": lambda x: X.span_scale(x, 2.0),
        "swift_scale_factor": lambda x: X.span_scale(B(2, "d"), x),
        "export_loop_object": lambda x: S._export_release_loop(x, 1, 0),
        "export_loop_flags": lambda x: S._export_release_loop(bytearray(4), 1, x),
        "view_read_object": lambda x: X.read(x, "B"),
        "view_read_code": lambda x: X.read(b"abcdefgh", x),
        "view_refusal_object": lambda x: X.refusal(x, "d", True, "span"),
        "view_element_code": lambda x: X.element(b"abcdefgh", x, (0,)),
        "view_element_value": lambda x: X.element(bytearray(b"ab"), "B", (1,), x),
        "view_element_double": lambda x: X.element(B(2, "d"), "d", (1,), x),
        "view_hold_object": lambda x: (X.hold(x), X.release_held()),
        "view_release_object": lambda x: X.release(x),
    }


BUFFER_OP_NAMES = ["Buffer_shape", "Buffer_format", "Buffer_order", "Buffer_readonly", "frombytes_data",
                   "frombytes_format", "frombytes_shape", "frombytes_order", "frombytes_readonly", "resize",
                   "tobytes", "tobytes_keyword", "tolist_argument", "swift_array_format", "swift_array_count",
                   "swift_array_shape", "swift_array_strides", "swift_array_readonly", "swift_typed_pointer",
                   "swift_matrix_rows", "swift_matrix_cols", "swift_matrix_no_cols", "swift_matrix_order", "swift_raw_format",
                   "swift_raw_shape", "swift_raw_strides", "swift_raw_byte_count", "swift_sum", "swift_span_sum",
                   "swift_scale_object", "swift_span_scale_object", "swift_scale_factor", "export_loop_object",
                   "export_loop_flags", "view_read_object", "view_read_code", "view_refusal_object",
                   "view_element_code", "view_element_value", "view_element_double", "view_hold_object",
                   "view_release_object"]

# What a Python user expects from bad input: never SystemError, never a bare internal error.
EXPECTED_EXCEPTIONS = {"TypeError", "ValueError", "UnicodeEncodeError", "OverflowError", "MemoryError", "BufferError",
                       "IndexError", "NotImplementedError",
                       "error",                # struct.error, for a format struct refuses
                       "ZeroDivisionError"}    # raised by the test's own __index__/__float__/__bool__
INTERNAL_MESSAGES = {"bad argument type for built-in operation", "error return without exception set"}


def describe_own(value):
    name = type(value).__name__
    if name == "Buffer":
        small = value.nbytes <= 4096   # Buffer(2**31) is fine, its two gigabytes in a JSON line are not
        return {"Buffer": [value.format, value.shape, value.strides, value.readonly, value.nbytes,
                           value.tobytes() if small else None]}
    if name == "memoryview":
        return {"view": describe_view(value)}
    if isinstance(value, tuple) and value and type(value[0]).__name__ == "Buffer":
        return describe_own(value[0])   # swiftbuf_testext.array: the address varies
    return value


def buffer_cases():
    # 2**31 and 2**31 - 1 are sizes these functions would really allocate and fill (gigabytes).
    return [f"own|-|{op}|{x}" for op in BUFFER_OP_NAMES for x in VALUES if x not in ("int32max", "int_max")]


def run_buffer_case(mode, op, value):
    return outcome(lambda: buffer_ops()[op](VALUES[value]()), describe_own)


# MARK: - Views describing more bytes than exist

def zero_strides():
    """NumPy arrays whose zero strides describe terabytes in eight bytes (read-only)."""
    import numpy as np
    x = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2 ** 40,), strides=(0,))
    y = np.lib.stride_tricks.as_strided(np.zeros(1, "B"), shape=(2 ** 31, 2 ** 31), strides=(0, 0))
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


HUGE_OPS = {
    "tobytes": lambda x, y, MV, T: MV(x).tobytes(),
    "tolist": lambda x, y, MV, T: MV(x).tolist(),
    "hex": lambda x, y, MV, T: MV(x).hex(),
    "len": lambda x, y, MV, T: (len(MV(x)), MV(x).nbytes, MV(y).nbytes),
    "strided_slice": lambda x, y, MV, T: MV(x)[::2 ** 39].tolist(),
    "2d_tobytes": lambda x, y, MV, T: MV(y).tobytes("F"),
    "2d_hex": lambda x, y, MV, T: MV(y).hex(":", 2),
    "2d_hash": lambda x, y, MV, T: hash(MV(y)),
    "2d_cast": lambda x, y, MV, T: MV(y).cast("B"),
    "2d_index": lambda x, y, MV, T: MV(y)[2 ** 31 - 1, 2 ** 31 - 1],
    "ndarray_tobytes": lambda x, y, MV, T: T.ndarray(x).tobytes(),
    "ndarray_tolist": lambda x, y, MV, T: T.ndarray(x).tolist(),
    "ndarray_2d_slice": lambda x, y, MV, T: T.ndarray(y)[::2 ** 30, ::2 ** 30].tolist(),
    "ndarray_2d_tobytes": lambda x, y, MV, T: T.ndarray(y).tobytes(),
    "to_contiguous": lambda x, y, MV, T: T.py_buffer_to_contiguous(x, "C", T.PyBUF_FULL_RO),
    "get_contiguous": lambda x, y, MV, T: T.get_contiguous(y, T.PyBUF_READ, "F"),
    "cmp_contig": lambda x, y, MV, T: T.cmp_contig(x, x),
}


def run_huge_case(mode, op):
    if mode == "builtin":
        import _testbuffer as T
        MV = memoryview
    else:
        import swiftbuf
        import swiftbuf.testing as T
        MV = swiftbuf.MemoryView
    return outcome(lambda: HUGE_OPS[op](*zero_strides(), MV, T), describe_testing)


# MARK: - The tests

def run_case(mode, case):
    group, receiver, op, value = case.split("|")
    if group == "mv":
        return run_view_case(mode, receiver, op, value)
    if group == "nd":
        return run_array_case(mode, receiver, op, value)
    if group == "huge":
        return run_huge_case(mode, op)
    return run_buffer_case(mode, op, value)


# MARK: - Where swiftbuf.testing deliberately differs from _testbuffer

def _unqualified(result):
    """swiftbuf.testing's types carry their module in their name ('swiftbuf.testing.ndarray'),
    _testbuffer's do not ('ndarray'): messages that name the type differ by that prefix."""
    if isinstance(result, list):
        return [_unqualified(r) for r in result]
    if isinstance(result, str):
        return result.replace("swiftbuf.testing.", "")
    if isinstance(result, dict):
        return {k: _unqualified(v) for k, v in result.items()}
    return result


def _too_many_slices(case, builtin, swift):
    # _testbuffer slices past the end of its shape arrays (a heap overflow) when a key has
    # more slices than the array has dimensions; swiftbuf refuses.
    return case.endswith("|tuple_slices") and swift[:2] == ["error", "IndexError"] \
        and swift[2].startswith("too many slices for an ndarray of 1 dimension")


def _overflowing_shape(case, builtin, swift):
    # _testbuffer's bounds check overflows (undefined behaviour in C) and accepts shapes whose
    # byte count does not fit, giving an array nothing can read; swiftbuf's check does not.
    return case.split("|")[3] in ("tuple_big", "list_huge") \
        and swift == ["error", "ValueError", "invalid combination of buffer, shape and strides"] \
        and builtin[0] == "ok" and "MemoryError" in str(builtin)


def _hand_set_scalar(case, builtin, swift):
    # flags=-1 sets ND_SCALAR by hand on a 2-d array: _testbuffer's tobytes then copies len
    # bytes from buf (here the PIL pointer table); swiftbuf's gives the items in C order.
    if builtin[0] != "ok" or swift[0] != "ok":
        return False
    (battrs, blist, _), (sattrs, slist, sbytes) = builtin[1]["ndarray"], swift[1]["ndarray"]
    flat = [x for row in slist[1] for x in row]
    return battrs == sattrs and blist == slist and sbytes == ["ok", {"bytes": bytes(flat).decode("latin-1")}]


ARRAY_DEVIATIONS = {
    "getitem": _too_many_slices,
    "new_shape": _overflowing_shape,
    "push_shape": _overflowing_shape,
    "new_flags": _hand_set_scalar,
}


def compare(cases):
    builtin = run_isolated(__file__, "builtin", cases)
    swift = run_isolated(__file__, "swiftbuf", cases)
    crashes, differences = [], []
    for case in cases:
        got, expected = swift[case], builtin[case]
        group, _, op, _ = case.split("|")
        if group == "nd":
            got = _unqualified(got)
        if crashed(got):
            crashes.append(f"{case}: {got[1]}\n{got[2][-600:]}")
        elif crashed(expected):
            # The builtin has no answer; swiftbuf must answer sanely.
            if got[0] == "error" and got[1] not in EXPECTED_EXCEPTIONS:
                differences.append(f"{case}: the builtin crashed, swiftbuf gave {got}")
        elif got != expected and not (group == "nd" and op in ARRAY_DEVIATIONS
                                      and ARRAY_DEVIATIONS[op](case, expected, got)):
            differences.append(f"{case}:\n    builtin  {expected}\n    swiftbuf {got}")
    return crashes, differences


def report(crashes, differences):
    lines = [f"{len(crashes)} crashes, {len(differences)} differences"] + crashes[:5] + differences[:25]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def view_outcomes():
    """Every view case, run once per implementation in as few children as crashes allow."""
    return compare([c for c in view_cases() if (c.split("|")[1], c.split("|")[2]) not in VIEW_DEVIATIONS])


@pytest.fixture(scope="module")
def array_outcomes():
    return compare(array_cases())


def of_receiver(outcomes, name):
    crashes, differences = outcomes
    return ([c for c in crashes if c.split("|")[1] == name], [d for d in differences if d.split("|")[1] == name])


@pytest.mark.parametrize("view", list(views(memoryview, None)))
def test_memoryview_matches_the_builtin(view_outcomes, view):
    crashes, differences = of_receiver(view_outcomes, view)
    assert not crashes and not differences, report(crashes, differences)


def test_memoryview_deviations():
    cases = [f"mv|{v}|{op}|-" for v, op in VIEW_DEVIATIONS]
    got = run_isolated(__file__, "swiftbuf", cases)
    assert got == {f"mv|{v}|{op}|-": result for (v, op), result in VIEW_DEVIATIONS.items()}


@pytest.mark.parametrize("name", ARRAY_NAMES)
def test_testing_matches_testbuffer(array_outcomes, name):
    crashes, differences = of_receiver(array_outcomes, name)
    assert not crashes and not differences, report(crashes, differences)


def test_views_of_more_bytes_than_exist():
    """Sizes that do not fit in memory raise MemoryError (no trap in a Swift allocation), and
    strided access into them works, as with the builtin."""
    crashes, differences = compare([f"huge|-|{op}|-" for op in HUGE_OPS])
    assert not crashes and not differences, report(crashes, differences)


def test_swiftbuf_api_refuses_bad_input_cleanly(swift_testext_dir):
    results = run_isolated(__file__, "swiftbuf", buffer_cases())
    bad = []
    for case, result in results.items():
        if crashed(result):
            bad.append(f"{case}: crashed ({result[1]})\n{result[2][-600:]}")
        elif result[0] == "error" and (result[1] not in EXPECTED_EXCEPTIONS or result[2] in INTERNAL_MESSAGES):
            bad.append(f"{case}: {result[1]}: {result[2]}")
    assert not bad, f"{len(bad)} bad outcomes\n" + "\n".join(bad[:30])


if __name__ == "__main__":
    serve(run_case)
