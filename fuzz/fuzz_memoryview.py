"""Coverage-guided fuzz target (atheris): swiftbuf against CPython's builtins, byte for byte.

Each input is one case, decoded by `Input` below (the seed corpus, made by make_corpus.py,
uses the same layout):

    [action: 1 byte] [format length: 1 byte] [format: that many latin-1 bytes] [the rest]

and the rest feeds the action's choices (shapes, keys, values, the data). The actions:

- `format`: the struct grammar. `swiftbuf.Buffer(1, fmt)` must accept exactly the formats
  `struct.calcsize` accepts with a non-zero size, with that itemsize, and refuse the others
  with ValueError; `swiftbuf.MemoryView(...).cast(fmt)` must agree with `memoryview.cast(fmt)`.
- `frombytes`: `Buffer.frombytes(data, fmt, shape, order=, readonly=)` must round-trip its
  data (tobytes in the given order), report the layout struct and the shape imply, and
  read like `memoryview(data).cast(fmt, shape)` wherever the builtin can cast.
- `cast`: a chain of casts of a bytearray, each compared with the builtin's (value or exact
  exception and message), then the views' attributes, tolist, tobytes, hex.
- `index`: a view (1-D or cast to N-D), then a sequence of item/slice/tuple/ellipsis keys,
  reads and writes, each compared with the builtin, and the whole view after every write.

A disagreement raises AssertionError, which atheris reports as a crash and saves as
crash-<sha1>; a crash of the interpreter is saved the same way. Run it with
`scripts/fuzz.sh MINUTES`; a finding goes into fuzz/findings/, which
tests_py/test_fuzz_findings.py replays (with the seed corpus) in every test run.
"""
import os
import struct
import sys

import swiftbuf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests_py"))
from support import outcome  # noqa: E402

MV = swiftbuf.MemoryView
ACTIONS = ["format", "frombytes", "cast", "index"]
NATIVE = "?cbBhHiIlLqQnNfdeP"


class Input:
    """The case's choices, read from the front of the input; past its end every choice is 0."""

    def __init__(self, data):
        self.action = ACTIONS[data[0] % len(ACTIONS)] if data else "format"
        n = data[1] if len(data) > 1 else 0
        self.fmt = data[2:2 + n].decode("latin-1")
        self.rest = data[2 + n:]
        self.at = 0

    def byte(self):
        b = self.rest[self.at] if self.at < len(self.rest) else 0
        self.at += 1
        return b

    def bytes(self, n):
        chunk = self.rest[self.at:self.at + n]
        self.at += n
        return chunk

    def int(self):
        """Small numbers mostly, and the boundaries a C implementation trips on."""
        b = self.byte()
        if b < 200:
            return b - 100
        return [0, -1, 2 ** 31 - 1, -2 ** 31, 2 ** 63 - 1, -2 ** 63, 2 ** 64, -2 ** 64, 2 ** 100, 255][b % 10]

    def shape(self):
        return [self.byte() % 6 for _ in range(self.byte() % 4)]

    def format(self):
        return NATIVE[self.byte() % len(NATIVE)] if self.byte() % 4 else self.fmt


def same(what, a, b):
    if a != b:
        raise AssertionError(f"{what}: builtin {a!r}\n swiftbuf {b!r}")


def describe(view):
    return outcome(lambda: (view.format, view.itemsize, view.ndim, view.shape, view.strides, view.nbytes,
                            view.readonly, view.c_contiguous, view.f_contiguous, view.contiguous,
                            view.tolist(), view.tobytes(), view.tobytes("F"), view.hex()))


# MARK: - Actions

def check_format(inp):
    fmt = inp.fmt
    expected = outcome(lambda: struct.calcsize(fmt))
    got = outcome(lambda: swiftbuf.Buffer(1, fmt).itemsize)
    if expected[0] == "ok" and expected[1] > 0:
        same(f"Buffer(1, {fmt!r}).itemsize", expected, got)
    else:
        same(f"Buffer(1, {fmt!r}) refused", "ValueError", got[1] if got[0] == "error" else got)
    data = bytearray(inp.bytes(inp.byte() % 64))
    same(f"cast({fmt!r})", outcome(lambda: describe(memoryview(data).cast(fmt))),
         outcome(lambda: describe(MV(data).cast(fmt))))


def check_frombytes(inp):
    fmt, shape = inp.format(), inp.shape()
    order = "CFA"[inp.byte() % 3]
    readonly = bool(inp.byte() & 1)
    data = inp.bytes(inp.byte())
    result = outcome(lambda: swiftbuf.Buffer.frombytes(data, fmt, shape or None, order=order, readonly=readonly),
                     describe=lambda b: b)
    if result[0] == "error":
        same("frombytes refusal", True, result[1] in ("ValueError", "TypeError", "OverflowError", "MemoryError"))
        return
    b = result[1]
    count = 1
    for n in b.shape:
        count *= n
    same("nbytes", len(data), b.nbytes)
    same("itemsize", struct.calcsize(fmt), b.itemsize)
    same("count", len(data), count * b.itemsize)
    same("readonly", readonly, b.readonly)
    same("round trip", bytes(data), b.tobytes("F" if order == "F" else "C"))
    m = memoryview(b)
    same("export", (b.format, b.shape, b.strides), (m.format, m.shape, m.strides))
    if order != "F":
        builtin = outcome(lambda: memoryview(data).cast(fmt, b.shape).tolist())
        if builtin[0] == "ok":
            same("items", builtin, outcome(lambda: m.tolist()))
            same("Buffer.tolist", builtin, outcome(lambda: b.tolist()))
    m.release()
    same("exports", 0, b.exports)


def check_cast(inp):
    data = bytearray(inp.bytes(inp.byte() % 97))
    views = [memoryview(data), MV(data)]
    for _ in range(1 + inp.byte() % 3):
        fmt = inp.format()
        shape = inp.shape() if inp.byte() & 1 else None
        args = (fmt,) if shape is None else (fmt, shape)
        results = [outcome(lambda v=v: v.cast(*args), describe=lambda x: x) for v in views]
        if results[0][0] == "error" or results[1][0] == "error":
            same(f"cast{args}", results[0], results[1])
            return
        views = [results[0][1], results[1][1]]
        same(f"cast{args}", describe(views[0]), describe(views[1]))


def key(inp, ndim):
    kind = inp.byte() % 6
    if kind == 0:
        return inp.int()
    if kind == 1:
        return slice(*(None if inp.byte() % 3 == 0 else inp.int() for _ in range(3)))
    if kind == 2:
        return tuple(inp.int() for _ in range(inp.byte() % 4))
    if kind == 3:
        return tuple(slice(None if inp.byte() & 1 else inp.int(), None, inp.int() or None) for _ in range(inp.byte() % 3))
    if kind == 4:
        return Ellipsis
    return ()


def check_index(inp):
    data = inp.bytes(1 + inp.byte() % 96)
    readonly = bool(inp.byte() & 1)
    sources = [data, data] if readonly else [bytearray(data), bytearray(data)]
    fmt, shape = inp.format(), inp.shape()
    made = [outcome(lambda s=s, V=V: V(s).cast(fmt, shape) if shape else V(s).cast(fmt), describe=lambda x: x)
            for s, V in zip(sources, (memoryview, MV))]
    if made[0][0] == "error" or made[1][0] == "error":
        same(f"cast({fmt!r}, {shape})", made[0], made[1])
        return
    views = [made[0][1], made[1][1]]
    for _ in range(1 + inp.byte() % 6):
        k = key(inp, views[0].ndim)
        if inp.byte() & 1:
            same(f"[{k!r}]", outcome(lambda: describe(views[0][k]) if isinstance(views[0][k], memoryview)
                                      else views[0][k]),
                 outcome(lambda: describe(views[1][k]) if isinstance(views[1][k], MV) else views[1][k]))
        else:
            value = inp.int() if inp.byte() & 1 else bytes(inp.bytes(inp.byte() % 16))
            results = []
            for v in views:
                def assign(v=v):
                    v[k] = value
                results.append(outcome(assign))
            same(f"[{k!r}] = {value!r}", results[0], results[1])
            same("after assignment", describe(views[0]), describe(views[1]))
            same("sources", bytes(sources[0]), bytes(sources[1]))


CHECKS = {"format": check_format, "frombytes": check_frombytes, "cast": check_cast, "index": check_index}


def test_one_input(data):
    inp = Input(data)
    CHECKS[inp.action](inp)


if __name__ == "__main__":
    import atheris
    # Coverage is of Python bytecode: this driver's decisions and the harness's (atheris's wheel
    # cannot see inside the Swift library, whose branches show only through the results).
    # (instrument_all would also rewrite pytest, which the harness imports: minutes of startup.)
    import inspect
    import support
    for module in (sys.modules[__name__], support):
        for value in list(vars(module).values()):
            functions = [value] if inspect.isfunction(value) else \
                [f for f in vars(value).values() if inspect.isfunction(f)] if inspect.isclass(value) else []
            for function in functions:
                if function.__module__ == module.__name__:
                    atheris.instrument_func(function)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
