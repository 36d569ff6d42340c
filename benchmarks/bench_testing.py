"""swiftbuf.testing against CPython's _testbuffer, side by side in one run, where speed
matters: tolist(), tobytes() and py_buffer_to_contiguous() over large arrays of every kind of
layout (contiguous, Fortran, strided, negative strides, PIL-style suboffsets, records).

Both modules build the same arrays from the same arguments (construction is not timed). Each
operation is a `timeit` statement on one array; the two modules are measured alternately,
round after round, and each figure is the best round. Prints the time per call for each, the
ratio swiftbuf/_testbuffer (below 1.0 means swiftbuf is faster) and the geometric mean.

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


def best(fn, number, repeat):
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller arrays, fewer rounds")
    args = parser.parse_args()
    scale, rounds = (0.25, 3) if args.quick else (1.0, 7)

    print(f"swiftbuf extension: {swiftbuf.testing._native.__name__} from "
          f"{os.environ.get('SWIFTBUF_EXTENSION', 'the installed package')}")
    built = {label: cases(m, scale) for label, m in MODULES.items()}
    for key in built["swiftbuf"]:  # the same results, or the comparison means nothing
        assert built["swiftbuf"][key]() == built["_testbuffer"][key](), key

    print(f"{'operation':<30} {'array':<30} {'_testbuffer':>12} {'swiftbuf':>12} {'ratio':>7}")
    ratios = {}
    for key in built["swiftbuf"]:
        c_fn, s_fn = built["_testbuffer"][key], built["swiftbuf"][key]
        number = max(1, int(0.05 / max(best(c_fn, 1, 1), 1e-7)))
        c_best = s_best = math.inf
        for _ in range(rounds):  # alternate, so drift in machine speed hits both alike
            c_best = min(c_best, best(c_fn, number, 1))
            s_best = min(s_best, best(s_fn, number, 1))
        ratios[key] = s_best / c_best
        print(f"{key[0]:<30} {key[1]:<30} {c_best * 1e3:>10.3f}ms {s_best * 1e3:>10.3f}ms {ratios[key]:>7.2f}")
    for operation in dict.fromkeys(k[0] for k in ratios):
        values = [r for k, r in ratios.items() if k[0] == operation]
        print(f"geometric mean, {operation}: {math.exp(sum(map(math.log, values)) / len(values)):.2f}")
    print(f"geometric mean, all: {math.exp(sum(map(math.log, ratios.values())) / len(ratios)):.2f}")


if __name__ == "__main__":
    main()
