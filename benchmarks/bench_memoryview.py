"""swiftbuf.MemoryView against the builtin memoryview, side by side in one run.

Every operation is timed as a `timeit` statement (so the operation itself sits in the
timing loop, without a Python-level call around it) on the same data for both types, the
two measured back to back in each of several repeats. Prints the best time per operation for
each, the ratio swiftbuf/builtin (the median of the per-repeat ratios; below 1.0 means
swiftbuf is faster) and the geometric mean of the ratios.

    SWIFTBUF_EXTENSION=.build-NAME/release/lib_swiftbuf.so python3 benchmarks/bench_memoryview.py

This is a measurement, not a test: nothing here asserts a speed.
"""
import argparse
import array
import math
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swiftbuf  # noqa: E402
from _testbuffer import ND_FORTRAN, ND_PIL, ndarray  # noqa: E402

BUILTIN = memoryview
SWIFT = swiftbuf.MemoryView

KiB, MiB = 1024, 1024 * 1024


def data():
    """The shared inputs, created once: every case uses the same objects for both types."""
    b4k = bytes(range(256)) * 16
    b1m = bytes(range(256)) * (MiB // 256)
    d128k = array.array("d", (i * 0.5 for i in range(128 * 1024)))
    return {
        "b4k": b4k,
        "ba4k": bytearray(b4k),
        "b1m": b1m,
        "b1m_copy": bytes(bytearray(b1m)),
        "b64m": bytes(64 * MiB),
        "d128k": d128k,
        "d128k_copy": array.array("d", d128k),
        "f128k": array.array("f", d128k),
        "i32k": array.array("i", range(32 * 1024)),
        "i32k_copy": array.array("i", range(32 * 1024)),
        "ba8k": bytearray(8 * KiB),
        # Layouts of the source, as exporters both types consume alike (_testbuffer.ndarray):
        # 64x64 bytes C-contiguous, Fortran-contiguous, PIL-style (suboffsets), and a strided
        # (every other row and column) view of a 128x128 array.
        "nd_c": ndarray(list(range(256)) * 16, shape=[64, 64], format="B"),
        "nd_f": ndarray(list(range(256)) * 16, shape=[64, 64], format="B", flags=ND_FORTRAN),
        "nd_pil": ndarray(list(range(256)) * 16, shape=[64, 64], format="B", flags=ND_PIL),
        "nd_strided": ndarray(list(range(256)) * 64, shape=[128, 128], format="B")[::2, ::2],
        "nd_pil1": ndarray(list(range(256)) * 16, shape=[4096], format="B", flags=ND_PIL),
        "nd_pil_copy": ndarray(list(range(256)) * 16, shape=[64, 64], format="B", flags=ND_PIL),
        "nd_c_i": ndarray(list(range(4096)), shape=[64, 64], format="i"),
        "nd_c_lt_i": ndarray(list(range(4096)), shape=[64, 64], format="<i"),
    }


# (name, setup statement building `m` (and friends) from `MV`, timed statement)
CASES = [
    ("m[i]  (bytes, 'B')", "m = MV(b4k)", "m[100]"),
    ("m[i] = v  (bytearray, 'B')", "m = MV(ba4k)", "m[100] = 7"),
    ("m[i]  (double)", "m = MV(d128k)", "m[100]"),
    ("m[::3]  (slice with a step)", "m = MV(b4k)", "m[::3]"),
    ("m.cast('d')", "m = MV(b4k)", "m.cast('d')"),
    ("len(m)", "m = MV(b4k)", "len(m)"),
    ("m.tolist()  (4 KiB bytes)", "m = MV(b4k)", "m.tolist()"),
    ("m.tolist()  (128k doubles)", "m = MV(d128k)", "m.tolist()"),
    ("m.tobytes()  (1 MiB)", "m = MV(b1m)", "m.tobytes()"),
    ("m.tobytes()  (64 MiB)", "m = MV(b64m)", "m.tobytes()"),
    ("m.hex()  (4 KiB)", "m = MV(b4k)", "m.hex()"),
    ("m == other  (1 MiB bytes)", "m = MV(b1m); o = MV(b1m_copy)", "m == o"),
    ("m == other  (128k doubles)", "m = MV(d128k); o = MV(d128k_copy)", "m == o"),
    ("hash(m)  (cached)", "m = MV(b4k); hash(m)", "hash(m)"),
    ("hash(MV(b))  (new view, 4 KiB)", "", "hash(MV(b4k))"),
    ("for x in m  (4 KiB bytes)", "m = MV(b4k)", "for x in m: pass"),
    ("m.cast('B', (64, 64)).tolist()", "m = MV(b4k)", "m.cast('B', (64, 64)).tolist()"),
    ("MV(b)  (construction)", "", "MV(b4k)"),
    # Every argument form, so no form goes unmeasured.
    ("m[-1]  (negative index)", "m = MV(b4k)", "m[-1]"),
    ("m[i, j]  (2-d tuple key)", "m = MV(b4k).cast('B', (64, 64))", "m[3, 4]"),
    ("m[i, j] = v  (2-d tuple key)", "m = MV(ba4k).cast('B', (64, 64))", "m[3, 4] = 7"),
    ("m[()]  (0-d)", "m = MV(b4k[:8]).cast('d', ())", "m[()]"),
    ("m[...]  (0-d)", "m = MV(b4k[:8]).cast('d', ())", "m[...]"),
    ("m[1:10]  (slice)", "m = MV(b4k)", "m[1:10]"),
    ("m[::-1]  (reversed)", "m = MV(b4k)", "m[::-1]"),
    ("m[2:4]  (2-d, first dim)", "m = MV(b4k).cast('B', (64, 64))", "m[2:4]"),
    ("m[i]  (PIL source)", "m = MV(nd_pil1)", "m[7]"),
    ("m[a:b] = o  (contiguous)", "m = MV(ba8k); o = MV(b4k)", "m[0:4096] = o"),
    ("m[::2] = o  (strided dest)", "m = MV(ba8k); o = MV(b4k)", "m[::2] = o"),
    ("m[:] = o[::2]  (strided source)", "m = MV(ba4k); o = MV(b1m)[:8192:2]", "m[:] = o"),
    ("m[:] = o  ('@B' vs 'B')", "m = MV(ba4k); o = MV(b4k).cast('@B')", "m[:] = o"),
    ("m[:] = o  (self, overlapping)", "m = MV(ba8k)", "m[1:4097] = m[0:4096]"),
    ("m.cast('B')", "m = MV(d128k)", "m.cast('B')"),
    ("m.cast('B', (64, 64))", "m = MV(b4k)", "m.cast('B', (64, 64))"),
    ("m.cast('c')  (2-d -> 1-d)", "m = MV(b4k).cast('B', (64, 64))", "m.cast('c')"),
    ("m.cast('@i')", "m = MV(b4k)", "m.cast('@i')"),
    ("m.tobytes('C')", "m = MV(b1m)", "m.tobytes('C')"),
    ("m.tobytes('F')  (C source)", "m = MV(b4k).cast('B', (64, 64))", "m.tobytes('F')"),
    ("m.tobytes('A')", "m = MV(b1m)", "m.tobytes('A')"),
    ("m.tobytes(None)", "m = MV(b1m)", "m.tobytes(None)"),
    ("m.tobytes()  (Fortran source)", "m = MV(nd_f)", "m.tobytes()"),
    ("m.tobytes('F')  (Fortran source)", "m = MV(nd_f)", "m.tobytes('F')"),
    ("m.tobytes('A')  (Fortran source)", "m = MV(nd_f)", "m.tobytes('A')"),
    ("m.tobytes()  (strided source)", "m = MV(nd_strided)", "m.tobytes()"),
    ("m.tobytes('F')  (strided source)", "m = MV(nd_strided)", "m.tobytes('F')"),
    ("m.tobytes()  (PIL source)", "m = MV(nd_pil)", "m.tobytes()"),
    ("m.tobytes('F')  (PIL source)", "m = MV(nd_pil)", "m.tobytes('F')"),
    ("m.hex(':')", "m = MV(b4k)", "m.hex(':')"),
    ("m.hex(':', 2)", "m = MV(b4k)", "m.hex(':', 2)"),
    ("m.hex(b'-', -4)", "m = MV(b4k)", "m.hex(b'-', -4)"),
    ("m.hex()  (strided source)", "m = MV(nd_strided)", "m.hex()"),
    ("m.tolist()  (2-d C source)", "m = MV(nd_c)", "m.tolist()"),
    ("m.tolist()  (Fortran source)", "m = MV(nd_f)", "m.tolist()"),
    ("m.tolist()  (strided source)", "m = MV(nd_strided)", "m.tolist()"),
    ("m.tolist()  (PIL source)", "m = MV(nd_pil)", "m.tolist()"),
    ("m.tolist()  (32k ints)", "m = MV(i32k)", "m.tolist()"),
    ("m == o  ('B' vs 'b')", "m = MV(b4k); o = MV(b4k).cast('b')", "m == o"),
    ("m == o  ('i' vs 'i')", "m = MV(i32k); o = MV(i32k_copy)", "m == o"),
    ("m == o  ('i' vs '<i', struct)", "m = MV(nd_c_i); o = MV(nd_c_lt_i)", "m == o"),
    ("m == o  ('d' vs 'f')", "m = MV(d128k); o = MV(f128k)", "m == o"),
    ("m == o  (PIL vs PIL)", "m = MV(nd_pil); o = MV(nd_pil_copy)", "m == o"),
    ("m == o  (C vs Fortran)", "m = MV(nd_c); o = MV(nd_f)", "m == o"),
    ("m == b  (vs bytes)", "m = MV(b4k)", "m == b4k"),
    ("hash(m)  (strided, new view)", "", "hash(MV(nd_strided))"),
    ("for x in m  (128k doubles)", "m = MV(d128k)", "for x in m: pass"),
    ("MV(m)  (view of a view)", "m = MV(b4k)", "MV(m)"),
    ("MV(nd)  (PIL exporter)", "", "MV(nd_pil)"),
    ("m.toreadonly()", "m = MV(b4k)", "m.toreadonly()"),
    ("with MV(b) as m", "", "with MV(b4k) as m: pass"),
    ("m.shape, m.strides", "m = MV(b4k).cast('B', (64, 64))", "m.shape; m.strides"),
    ("m.nbytes, m.format, m.ndim", "m = MV(b4k)", "m.nbytes; m.format; m.ndim"),
    ("m.c_contiguous, m.contiguous", "m = MV(b4k)", "m.c_contiguous; m.contiguous"),
    ("bytes(m)  (buffer export)", "m = MV(b4k)", "bytes(m)"),
]


def time_per_op(stmt, setup, namespace, budget):
    """Best seconds per execution of `stmt`: loop counts sized to about `budget` seconds."""
    timer = timeit.Timer(stmt, setup, globals=namespace)
    number, elapsed = 1, 0.0
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= budget / 5 or number >= 10 ** 7:
            break
        number *= 2 if elapsed == 0 else max(2, min(10, int(budget / 5 / elapsed) + 1))
    return elapsed / number, number


def measure(stmt, setup, shared, repeats, budget):
    results = {}
    ns = {name: dict(shared, MV=view) for name, view in (("builtin", BUILTIN), ("swiftbuf", SWIFT))}
    numbers = {}
    for name in ns:
        _, numbers[name] = time_per_op(stmt, setup, ns[name], budget)
    best = {"builtin": math.inf, "swiftbuf": math.inf}
    ratios = []
    for _ in range(repeats):
        pair = {}
        for name in ("builtin", "swiftbuf"):  # back to back, so a burst of load hits both alike
            pair[name] = timeit.Timer(stmt, setup, globals=ns[name]).timeit(numbers[name]) / numbers[name]
            best[name] = min(best[name], pair[name])
        ratios.append(pair["swiftbuf"] / pair["builtin"])
    results.update(best)
    # The median of per-pair ratios: robust to other processes on a shared machine, which
    # a ratio of two minima taken at different moments is not.
    results["ratio"] = sorted(ratios)[len(ratios) // 2]
    return results


def fmt_time(t):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if t >= scale:
            return f"{t / scale:7.2f} {unit}"
    return f"{t / 1e-9:7.2f} ns"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per timing run")
    parser.add_argument("-k", help="only cases whose name contains this")
    args = parser.parse_args()

    shared = data()
    print(f"swiftbuf: {swiftbuf._swiftbuf.__file__}")
    print(f"{'operation':40} {'builtin':>11} {'swiftbuf':>11} {'ratio':>7}")
    ratios = []
    for name, setup, stmt in CASES:
        if args.k and args.k not in name:
            continue
        r = measure(stmt, setup, shared, args.repeats, args.budget)
        ratio = r["ratio"]
        ratios.append(ratio)
        flag = "  <-- worse than 1.5x" if ratio > 1.5 else ""
        print(f"{name:40} {fmt_time(r['builtin'])} {fmt_time(r['swiftbuf'])} {ratio:7.3f}{flag}")
    geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
    print(f"{'geometric mean (swiftbuf / builtin)':64} {geo:7.3f}")
    print(f"{'worst':64} {max(ratios):7.3f}")


if __name__ == "__main__":
    main()
