"""`python -m swiftbuf`: Swift-owned memory that NumPy reads and writes without a copy, then the
cost of exporting it next to bytearray and a NumPy array, measured in the same run."""
import sys
import time

import swiftbuf
from swiftbuf import _swiftbuf

PyBUF_FULL_RO = 0x11C  # shape, strides, suboffsets allowed, format: what NumPy asks for


def demo_zero_copy(np):
    print("A 3x4 matrix of doubles in memory Swift allocated (swiftbuf.Buffer), shared without a copy:")
    m = swiftbuf.Buffer.frombytes(np.arange(12.0).tobytes(), "d", (3, 4))
    a = np.asarray(m)
    print(f"  m = {m!r}")
    print("  np.asarray(m) =\n" + "\n".join("    " + row for row in str(a).splitlines()))
    print(f"  np.shares_memory(a, np.asarray(m)) -> {np.shares_memory(a, np.asarray(m))}")
    view = memoryview(m)
    print(f"  memoryview(m): format {view.format!r}, shape {view.shape}, strides {view.strides}, obj is m -> {view.obj is m}")
    view.release()
    a[2, 3] = 100.0
    print(f"  after a[2, 3] = 100 through NumPy, Swift reads m[2, 3] -> {m[2, 3]:g}")
    m[1, 1] = 2.5
    print(f"  after m[1, 1] = 2.5 through Swift, NumPy reads a[1, 1] -> {a[1, 1]:g}")
    try:
        m.resize((4, 4))
    except BufferError as e:
        print(f"  m.resize((4, 4)) while NumPy holds a view -> BufferError: {e}")
    print("  (Swift extension modules export their own arrays the same way: SwiftBufferPython's\n"
          "   PythonBuffer.export, README \"Use swiftbuf from Swift\")")


def seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def demo_timing(np):
    exporters = {"swiftbuf.Buffer": swiftbuf.Buffer((64,), "d"), "bytearray": bytearray(512)}
    if np is not None:
        exporters["numpy.ndarray"] = np.zeros(64)
    n = 200_000
    loop = _swiftbuf._export_release_loop

    def getbuffer_release(x):
        return lambda: loop(x, n, PyBUF_FULL_RO)

    def through_memoryview(x):
        def run():
            for _ in range(n // 4):
                memoryview(x)
        return run

    print(f"\nExport + release cost, best of interleaved rounds ({n:,} exports per round):")
    print(f"  {'exporter':<16}{'getbuffer+release':>20}{'ratio':>8}{'memoryview(x)':>16}{'ratio':>8}")
    cases = {name: (getbuffer_release(x), through_memoryview(x)) for name, x in exporters.items()}
    best = {name: [float("inf"), float("inf")] for name in cases}
    for _ in range(9):  # interleaved, so drift in the machine's speed hits every exporter alike
        for name, fns in cases.items():
            for i, fn in enumerate(fns):
                best[name][i] = min(best[name][i], seconds(fn))
    base = best["bytearray"]
    for name, (raw, mv) in best.items():
        raw_ns, mv_ns = raw / n * 1e9, mv / (n // 4) * 1e9
        print(f"  {name:<16}{raw_ns:>17.1f} ns{raw / base[0]:>7.2f}x{mv_ns:>13.1f} ns{mv / base[1]:>7.2f}x")
    print("  (ratios against bytearray; getbuffer+release is the exporter's slots alone, timed by one\n"
          "   loop shared by all exporters; memoryview(x) adds the memoryview object every consumer pays for)")


def main():
    try:
        import numpy as np
    except ImportError:
        np = None
        print("NumPy is not installed; `pip install numpy` to see the zero-copy part of the demo.")
    if np is not None:
        demo_zero_copy(np)
    demo_timing(np)
    return 0


if __name__ == "__main__":
    sys.exit(main())
