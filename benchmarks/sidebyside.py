"""The timing rule every side-by-side benchmark here follows (bench_memoryview, bench_buffer,
bench_testing): each statement's loop count is sized once to about a fifth of the budget, then
the reference and swiftbuf are timed back to back in every repeat, so a burst of load from
another process hits both alike. The ratio reported is the median of the per-repeat ratios
(below 1.0: swiftbuf is faster); a ratio of two minima taken at different moments is not robust
on a shared machine. The best time per operation of each is printed beside it, never alone.
"""
import argparse
import math
import timeit
from typing import NamedTuple


class Pair(NamedTuple):
    reference: float  # best seconds per operation
    swiftbuf: float
    ratio: float  # median of per-repeat swiftbuf / reference


def loop_count(timer, budget):
    """How many executions of `timer`'s statement take about `budget` / 5 seconds."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= budget / 5 or number >= 10 ** 7:
            return number
        number *= 2 if elapsed == 0 else max(2, min(10, int(budget / 5 / elapsed) + 1))


def side_by_side(reference, ours, repeats, budget):
    """Times two `timeit.Timer`s back to back `repeats` times: a `Pair`."""
    numbers = (loop_count(reference, budget), loop_count(ours, budget))
    best = [math.inf, math.inf]
    ratios = []
    for _ in range(repeats):
        times = [timer.timeit(n) / n for timer, n in zip((reference, ours), numbers)]
        best = [min(b, t) for b, t in zip(best, times)]
        ratios.append(times[1] / times[0])
    return Pair(best[0], best[1], sorted(ratios)[len(ratios) // 2])


def arguments(doc):
    """The command line every side-by-side benchmark takes."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per timing run")
    parser.add_argument("-k", help="only cases whose name contains this")
    return parser


def fmt_time(t):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if t >= scale:
            return f"{t / scale:7.2f} {unit}"
    return f"{t / 1e-9:7.2f} ns"


def geometric_mean(ratios):
    return math.exp(sum(math.log(x) for x in ratios) / len(ratios))


def summary(ratios, label, width):
    """The last two lines of a table: the geometric mean and the worst ratio."""
    print(f"{f'geometric mean (swiftbuf / {label})':{width}} {geometric_mean(ratios):7.3f}")
    print(f"{'worst':{width}} {max(ratios):7.3f}")
