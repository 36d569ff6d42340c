"""The timing rule every side-by-side benchmark here follows (bench_memoryview, bench_buffer,
bench_testing): each statement's loop count is sized once to about a fifth of the budget, then
the reference and swiftbuf are timed back to back in every repeat, so a burst of load from
another process hits both alike. The ratio reported is the median of the per-repeat ratios
(below 1.0: swiftbuf is faster); a ratio of two minima taken at different moments is not robust
on a shared machine. The best time per operation of each is printed beside it, never alone.

Every repeat times two new timers (new code objects, kept alive so that the next pair lands at
other addresses), made and run in alternating order. One pair of timers kept for the whole run
has a placement of its own, and for operations of ~20 ns that placement alone decides several
per cent: with the same two timers throughout, whichever was made second ran 1.12-1.14x the
first's time at `m[()] = v`, with the builtin and swiftbuf in either order, and three timers of
the builtin alone differed by up to 1.05x. With a new pair each repeat, the builtin against
itself gives medians of 1.00 at the same statement, and the whole of bench_memoryview.py timed
builtin against builtin a geometric mean of 1.000 with its worst case at 1.05x (1.11x with one
pair per case).
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
    """Times the timers `reference()` and `ours()` make, back to back, `repeats` times: a `Pair`.

    `reference` and `ours` are functions returning a new `timeit.Timer` of the statement."""
    numbers = (loop_count(reference(), budget), loop_count(ours(), budget))
    best = [math.inf, math.inf]
    ratios = []
    kept = []  # every timer stays alive: the next ones are made at other addresses
    for i in range(repeats):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        timers = [None, None]
        for j in order:
            timers[j] = (reference, ours)[j]()
        kept.append(timers)
        times = [0.0, 0.0]
        for j in order:
            times[j] = timers[j].timeit(numbers[j]) / numbers[j]
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
