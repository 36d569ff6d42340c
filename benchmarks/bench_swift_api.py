"""The Swift developer's API (SwiftBufferPython) against its references, side by side in one run.

Builds tests_py/swift_ext as a user's package would be built (or loads SWIFTBUF_TESTEXT, a folder
holding a built swiftbuf_testext module), then times, back to back in each repeat:

- export of a Swift [Double] from that outside extension (PythonBuffer.export, through
  swiftbuf's C-API capsule) against C code exporting the same doubles in malloc'ed memory
  through the same capsule (CReference);
- the sum of 8 M doubles of a NumPy array read through PythonBufferView.withSpan, and through
  forEach, against a C loop over PyObject_GetBuffer on the same array (tests_py/swift_ext's
  CReference target);
- making and releasing a typed view from Swift against PyObject_GetBuffer + PyBuffer_Release
  from C, for a NumPy array and a bytearray.

Prints the ratio Swift/reference for each (the median of the per-repeat ratios; below 1.0 means
the Swift side is faster). This is a measurement, not a test: nothing here asserts a speed.

    python3 benchmarks/bench_swift_api.py [--repeats N]
"""
import argparse
import os
import statistics
import sys
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "tests_py"))

import numpy as np  # noqa: E402

import swiftbuf  # noqa: E402
import swift_package  # noqa: E402


def pair(swift, reference, number, repeats):
    """(best swift time, best reference time, median of per-repeat ratios) per call."""
    ratios, s_best, r_best = [], float("inf"), float("inf")
    for _ in range(repeats):
        s = timeit.timeit(swift, number=number) / number
        r = timeit.timeit(reference, number=number) / number
        s_best, r_best = min(s_best, s), min(r_best, r)
        ratios.append(s / r)
    return s_best, r_best, statistics.median(ratios)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    t = swift_package.load(swift_package.built_module_directory())

    big = np.random.default_rng(1).random(8 * 1024 * 1024)
    small = np.arange(16.0)
    assert t.span_sum(big) == t.c_sum(big)
    rows = [
        ("export [Double] x16: PythonBuffer.export / C export_memory",
         lambda: t.doubles(16), lambda: t.c_doubles(16), 20000),
        ("export [Double] x4096: PythonBuffer.export / C export_memory",
         lambda: t.doubles(4096), lambda: t.c_doubles(4096), 2000),
        ("sum 8M doubles, withSpan / C loop",
         lambda: t.span_sum(big), lambda: t.c_sum(big), 3),
        ("sum 8M doubles, forEach / C loop",
         lambda: t.sum(big), lambda: t.c_sum(big), 3),
        ("acquire+release typed view (NumPy) / C GetBuffer+Release",
         lambda: t.acquire_release(small, 10000), lambda: t.c_acquire_release(small, 10000), 20),
        ("acquire+release typed view (swiftbuf.Buffer) / C GetBuffer+Release",
         lambda: t.acquire_release(t.matrix(4, 4), 10000), lambda: t.c_acquire_release(t.matrix(4, 4), 10000), 20),
    ]
    print(f"{'operation':68} {'swift':>11} {'reference':>11} {'ratio':>7}")
    for name, swift, reference, number in rows:
        s, r, ratio = pair(swift, reference, number, args.repeats)
        print(f"{name:68} {s * 1e6:9.3f}us {r * 1e6:9.3f}us {ratio:7.3f}")


if __name__ == "__main__":
    main()
