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
