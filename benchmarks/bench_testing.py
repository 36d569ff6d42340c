"""swiftbuf.testing against CPython's _testbuffer, side by side in one run: tolist(),
tobytes() and py_buffer_to_contiguous() over large arrays of every kind of layout (contiguous,
Fortran, strided, negative strides, PIL-style suboffsets, records), then the per-call cost of
the attributes and of the small operations (items, sub-arrays, slices, views) on a 3x4 array.

Both modules build the same arrays from the same arguments (construction is not timed). Each
operation is a call on one array, timed by sidebyside.py's rule: the two modules back to back
in every round, the ratio swiftbuf/_testbuffer the median of the per-round ratios (below 1.0
means swiftbuf is faster) beside each one's best time per call; then the geometric means.

    SWIFTBUF_EXTENSION=.build-NAME/release/lib_swiftbuf.so python3 benchmarks/bench_testing.py

This is a measurement, not a test: nothing here asserts a speed.
"""
import argparse
import math
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import _testbuffer  # noqa: E402

import swiftbuf.testing  # noqa: E402
from sidebyside import fmt_time, geometric_mean, side_by_side  # noqa: E402

MODULES = {"_testbuffer": _testbuffer, "swiftbuf": swiftbuf.testing}


def arrays(m, scale):
    """name -> ndarray of module `m`; `scale` multiplies the element counts."""
    n = int(500 * math.sqrt(scale))  # n x n two-dimensional arrays
    big = list(range(n * n))
    ints = [v % 251 for v in big]
    base = m.ndarray(big, shape=[n, n], format="d", flags=m.ND_WRITABLE)
    return {
        f"'B' 1-d C, {n * n} items": m.ndarray(ints, shape=[n * n], format="B"),
        f"'d' {n}x{n} C": base,
        f"'i' {n}x{n} Fortran": m.ndarray(big, shape=[n, n], format="i", flags=m.ND_FORTRAN),
        f"'d' {n}x{n}[::2, ::3]": base[::2, ::3],
        f"'d' {n}x{n}[::-1, ::-1]": base[::-1, ::-1],
        f"'d' {n}x{n} PIL": m.ndarray(big, shape=[n, n], format="d", flags=m.ND_PIL),
        f"'<hQ' records, {n * n // 4} items": m.ndarray([(v % 100, v) for v in big[: n * n // 4]],
                                                    shape=[n * n // 4], format="<hQ"),
    }


def cases(m, scale):
    """(operation, array name) -> zero-argument callable."""
    out = {}
    for name, nd in arrays(m, scale).items():
        out[("tolist", name)] = nd.tolist
        out[("tobytes", name)] = nd.tobytes
        for order in "CF":
            out[(f"py_buffer_to_contiguous '{order}'", name)] = \
                (lambda nd=nd, order=order: m.py_buffer_to_contiguous(nd, order, m.PyBUF_FULL_RO))
    return out


SMALL = ["shape", "strides", "format", "itemsize", "ndim", "nbytes", "readonly", "flags", "offset", "obj",
         "c_contiguous", "contiguous"]


def small_cases(m):
    """(operation, array name) -> zero-argument callable, on a 3x4 and a 12-item array."""
    nd = m.ndarray(list(range(12)), shape=[3, 4], flags=m.ND_WRITABLE)
    nd1 = m.ndarray(list(range(12)), shape=[12], flags=m.ND_WRITABLE)
    out = {(f"nd.{name}", "3x4"): (lambda name=name: getattr(nd, name)) for name in SMALL}
    out.update({
        ("nd[1]  (sub-array)", "3x4"): lambda: nd[1],
        ("nd[1:3]", "3x4"): lambda: nd[1:3],
        ("nd[i]", "12"): lambda: nd1[3],
        ("nd[i] = v", "12"): lambda: nd1.__setitem__(3, 5),
        ("nd[::2]", "12"): lambda: nd1[::2],
        ("nd.tolist()", "3x4"): nd.tolist,
        ("nd.tobytes()", "3x4"): nd.tobytes,
        ("memoryview(nd)", "3x4"): lambda: memoryview(nd),
    })
    return out


def comparable(value):
    """A result as both modules' must agree: an array or view by its items."""
    return value.tolist() if hasattr(value, "tolist") and not isinstance(value, (list, bytes)) else value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller arrays, fewer rounds")
    args = parser.parse_args()
    scale, rounds = (0.25, 3) if args.quick else (1.0, 7)

    print(f"swiftbuf extension: {swiftbuf.testing._native.__name__} from "
          f"{os.environ.get('SWIFTBUF_EXTENSION', 'the installed package')}")
    built = {label: {**cases(m, scale), **small_cases(m)} for label, m in MODULES.items()}
    for key in built["swiftbuf"]:  # the same results, or the comparison means nothing
        assert comparable(built["swiftbuf"][key]()) == comparable(built["_testbuffer"][key]()), key

    print(f"{'operation':<30} {'array':<30} {'_testbuffer':>12} {'swiftbuf':>12} {'ratio':>7}")
    ratios = {}
    for key in built["swiftbuf"]:
        r = side_by_side(lambda: timeit.Timer(built["_testbuffer"][key]), lambda: timeit.Timer(built["swiftbuf"][key]),
                         rounds, 0.25)
        ratios[key] = r.ratio
        print(f"{key[0]:<30} {key[1]:<30} {fmt_time(r.reference):>12} {fmt_time(r.swiftbuf):>12} {r.ratio:>7.2f}")
    small = set(small_cases(swiftbuf.testing))
    for operation in dict.fromkeys(k[0] for k in ratios if k not in small):
        values = [r for k, r in ratios.items() if k[0] == operation]
        print(f"geometric mean, {operation}: {geometric_mean(values):.2f}")
    print(f"geometric mean, small operations: {geometric_mean([ratios[k] for k in small]):.2f}")
    print(f"geometric mean, all: {geometric_mean(ratios.values()):.2f}")


if __name__ == "__main__":
    main()
