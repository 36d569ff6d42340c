"""Export + release cost of swiftbuf.Buffer, as ratios against bytearray and a NumPy array
measured in the same run, and the cost of `import swiftbuf` against `import array`.

    python3 benchmarks/bench_export.py            # the installed (or SWIFTBUF_EXTENSION) build
    python3 benchmarks/bench_export.py --quick    # fewer rounds

What is timed, and why:
- getbuffer+release: `_export_release_loop(x, n, flags)` runs `PyObject_GetBuffer` +
  `PyBuffer_Release` n times in one compiled loop, the same loop for every exporter, so the
  difference between exporters is exactly the difference between their bf_getbuffer and
  bf_releasebuffer slots (plus the DECREF of view.obj every exporter pays). No interpreter, no
  consumer object. This is the number the target (<= 1.05x bytearray) is about.
- memoryview(x): what Python code pays per export: a memoryview object is allocated and freed
  around the same two slots, and the interpreter loop runs.
Rounds are interleaved (every exporter once per round), so a change in machine speed hits all
exporters alike; each figure is the minimum over rounds (the least disturbed measurement), and
the median is printed beside it.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import swiftbuf  # noqa: E402
from swiftbuf import _swiftbuf  # noqa: E402

PyBUF_SIMPLE, PyBUF_ND, PyBUF_STRIDED_RO, PyBUF_RECORDS, PyBUF_FULL_RO = 0, 0x8, 0x18, 0x1D, 0x11C
REQUESTS = {"SIMPLE": PyBUF_SIMPLE, "ND": PyBUF_ND, "STRIDED_RO": PyBUF_STRIDED_RO,
            "RECORDS": PyBUF_RECORDS, "FULL_RO": PyBUF_FULL_RO}


def exporters():
    # 1-d, 512 bytes each: a layout every exporter can answer every request above for.
    return {
        "swiftbuf.Buffer": swiftbuf.Buffer((64,), "d"),
        "bytearray": bytearray(512),
        "numpy.ndarray": np.zeros(64),
    }


def timed(fn):
    start = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - start


def measure(cases, rounds):
    """cases: {name: (fn, operations)} -> {name: [ns per operation, one per round]}"""
    results = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (fn, ops) in cases.items():
            results[name].append(timed(fn) / ops)
    return results


def table(title, results, baselines):
    print(f"\n{title}")
    header = f"  {'':<18}{'min ns':>9}{'median':>9}" + "".join(f"{'/ ' + b:>16}" for b in baselines)
    print(header)
    for name, samples in results.items():
        best = min(samples)
        row = f"  {name:<18}{best:>9.2f}{statistics.median(samples):>9.2f}"
        for b in baselines:
            row += f"{best / min(results[b]):>15.3f}x"
        print(row)


def bench_getbuffer(rounds, n):
    loop = _swiftbuf._export_release_loop
    objs = exporters()
    summary = {}
    for request, flags in REQUESTS.items():
        cases = {name: ((lambda x=x: loop(x, n, flags)), n) for name, x in objs.items()}
        results = measure(cases, rounds)
        table(f"getbuffer+release, PyBUF_{request} ({n:,} per round, {rounds} rounds)", results,
              ["bytearray", "numpy.ndarray"])
        summary[request] = min(results["swiftbuf.Buffer"]) / min(results["bytearray"])
    return summary


def bench_memoryview(rounds, n):
    objs = exporters()
    cases = {}
    for name, x in objs.items():
        def run(x=x, r=range(n)):
            for _ in r:
                memoryview(x)
        cases[name] = (run, n)
    results = measure(cases, rounds)
    table(f"memoryview(x) created and freed ({n:,} per round, {rounds} rounds)", results,
          ["bytearray", "numpy.ndarray"])
    return min(results["swiftbuf.Buffer"]) / min(results["bytearray"])


def import_time_us(module, runs):
    """`python -X importtime -c 'import <module>'`: the module's cumulative import time, in
    microseconds, best of `runs` fresh interpreters."""
    best = float("inf")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                             capture_output=True, text=True, env=env, check=True).stderr
        for line in out.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 3 and parts[2] == module:
                best = min(best, int(parts[1]))
    return best


def wall_time_ms(code, runs):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    args = parser.parse_args()
    rounds, n, mv_n, runs = (5, 200_000, 50_000, 5) if args.quick else (21, 1_000_000, 200_000, 21)

    print(f"swiftbuf extension: {_swiftbuf.__file__}")
    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}")
    summary = bench_getbuffer(rounds, n)
    mv_ratio = bench_memoryview(rounds, mv_n)

    sb, arr = import_time_us("swiftbuf", runs), import_time_us("array", runs)
    empty = wall_time_ms("pass", runs)
    sb_wall, arr_wall = wall_time_ms("import swiftbuf", runs), wall_time_ms("import array", runs)
    print(f"\nimport time (python -X importtime, cumulative, best of {runs}):")
    print(f"  import swiftbuf  {sb / 1e3:7.2f} ms   ({sb / arr:.1f}x import array, {arr / 1e3:.2f} ms)")
    print(f"  wall clock over an empty interpreter ({empty:.1f} ms): swiftbuf +{sb_wall - empty:.2f} ms, "
          f"array +{arr_wall - empty:.2f} ms")

    print("\nsummary: swiftbuf.Buffer / bytearray export+release: "
          + ", ".join(f"{k} {v:.3f}x" for k, v in summary.items())
          + f"; memoryview(x) {mv_ratio:.3f}x (target <= 1.05x); import swiftbuf {sb / 1e3:.2f} ms (target < 10 ms)")


if __name__ == "__main__":
    main()
