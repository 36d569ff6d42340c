"""swiftbuf.Buffer's container operations, pickling, copying and DLPack against their closest
builtin equivalents, side by side in one run (sidebyside.py's rule: loop counts sized once,
then both statements timed back to back in every repeat; the ratio is the median of the
per-repeat ratios, below 1.0 means swiftbuf is faster).

The reference of an operation memoryview has is the builtin memoryview of a bytearray with the
same data (`b[i]` against `m[i]`); for pickling, copying and DLPack, which memoryview lacks, it is
the NumPy array of the same data. Construction is measured against what a user would make
instead: a bytearray for bytes, bytes for read-only memory, a NumPy array for a shape.

`pickle.loads` is measured twice. Against a pickled bytearray, which copies the pickle's bytes
into new memory as a Buffer does. Against NumPy, which does not: its unpickled array aliases
the bytes object of the pickle and is writable all the same (so writing to it mutates an
immutable bytes), and the copy it skips costs, for 1 MiB, more than a loop of fresh 1 MiB
allocations that malloc gives back to the system each time (page faults) than the copy itself.

    python3 benchmarks/bench_buffer.py

This is a measurement, not a test: nothing here asserts a speed.
"""
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swiftbuf  # noqa: E402
from sidebyside import arguments, fmt_time, side_by_side, summary  # noqa: E402

KiB, MiB = 1024, 1024 * 1024

SETUP = """
import copy, pickle
import numpy as np
import swiftbuf
raw = bytes(range(256)) * 16
big = bytes(range(256)) * (MiB // 256)
b = swiftbuf.Buffer.frombytes(raw)
m = memoryview(bytearray(raw))
b2 = swiftbuf.Buffer.frombytes(raw, 'B', (64, 64))
m2 = memoryview(bytearray(raw)).cast('B', (64, 64))
bd = swiftbuf.Buffer.frombytes(big, 'd')
md = memoryview(bytearray(big)).cast('d')
bo = swiftbuf.Buffer.frombytes(big, 'd')
mo = memoryview(bytearray(big)).cast('d')
ro = swiftbuf.Buffer.frombytes(raw, readonly=True)
a = np.frombuffer(bytearray(big), 'd')
a8 = np.frombuffer(bytearray(raw), 'B')
bs = swiftbuf.Buffer.frombytes(raw[:32], 'd')
ms = memoryview(bytearray(raw[:32])).cast('d')
bf = swiftbuf.Buffer.frombytes(raw, 'B', (64, 64), order='F')
mf = memoryview(np.asfortranarray(np.frombuffer(raw, 'B').reshape(64, 64)))
b0 = swiftbuf.Buffer((), 'd')
m0 = memoryview(bytearray(8)).cast('d', ())
n, n3 = np.intp(100), np.intp(3)
sink = []
Buffer = swiftbuf.Buffer
"""

# (name, swiftbuf statement, reference statement)
CASES = [
    # Construction.
    ("Buffer(n)  (16 bytes)", "Buffer(16)", "bytearray(16)"),
    ("Buffer(n)  (4 KiB)", "Buffer(4096)", "bytearray(4096)"),
    ("Buffer(n, readonly=True)", "Buffer(16, readonly=True)", "bytes(16)"),
    ("Buffer(shape, 'd')  (64x64)", "Buffer((64, 64), 'd')", "np.zeros((64, 64))"),
    ("Buffer(shape, 'd', order='F')  (8x8)", "Buffer((8, 8), 'd', order='F')", "np.zeros((8, 8), order='F')"),
    ("Buffer(shape=[...], format=...)  (keywords)", "Buffer(shape=[4, 4], format='i')", "np.zeros(shape=[4, 4], dtype='i')"),
    ("Buffer.frombytes(data)  (4 KiB)", "Buffer.frombytes(raw)", "bytearray(raw)"),
    ("Buffer.frombytes(data, 'd', shape)  (32x16)", "Buffer.frombytes(raw, 'd', (32, 16))",
     "np.frombuffer(raw, 'd').reshape(32, 16).copy()"),
    ("b[i]  ('B')", "b[100]", "m[100]"),
    ("b[i] = v  ('B')", "b[100] = 7", "m[100] = 7"),
    ("b[i]  (double)", "bd[100]", "md[100]"),
    ("b[i, j]", "b2[3, 4]", "m2[3, 4]"),
    ("b[i, j] = v", "b2[3, 4] = 7", "m2[3, 4] = 7"),
    ("b[n]  (NumPy intp key)", "b[n]", "m[n]"),
    ("b[n] = v  (NumPy intp key)", "b[n] = 7", "m[n] = 7"),
    ("b[True]", "b[True]", "m[True]"),
    ("b[n, j]  (NumPy intp key)", "b2[n3, 4]", "m2[n3, 4]"),
    ("b[n, j] = v  (NumPy intp key)", "b2[n3, 4] = 7", "m2[n3, 4] = 7"),
    ("b[()]  (0-d)", "b0[()]", "m0[()]"),
    ("b[()] = v  (0-d)", "b0[()] = 1.5", "m0[()] = 1.5"),
    ("b[...] = v  (0-d)", "b0[...] = 1.5", "m0[...] = 1.5"),
    # A Buffer is an exporter, not a view: slicing it makes a view of it, as slicing a NumPy
    # array does, where slicing a memoryview derives one view from another.
    ("b[::3]", "b[::3]", "m[::3]"),
    ("b[::3]  (against NumPy's view)", "b[::3]", "a8[::3]"),
    ("len(b)", "len(b)", "len(m)"),
    ("b.shape", "b2.shape", "m2.shape"),
    ("b.strides", "b2.strides", "m2.strides"),
    ("b.format", "b.format", "m.format"),
    ("b.itemsize", "b.itemsize", "m.itemsize"),
    ("b.ndim", "b.ndim", "m.ndim"),
    ("b.nbytes", "b.nbytes", "m.nbytes"),
    ("b.readonly", "b.readonly", "m.readonly"),
    ("b.c_contiguous", "b.c_contiguous", "m.c_contiguous"),
    ("b.tobytes()  (4 KiB)", "b.tobytes()", "m.tobytes()"),
    ("b.tobytes('F')  (64x64)", "b2.tobytes('F')", "m2.tobytes('F')"),
    ("b.tobytes('A')  (64x64 Fortran)", "bf.tobytes('A')", "mf.tobytes('A')"),
    ("b.tolist()  (4 doubles)", "bs.tolist()", "ms.tolist()"),
    ("iter(b)", "iter(b)", "iter(m)"),
    ("b == bytes  (4 KiB)", "b == raw", "m == raw"),
    ("for x in b  (4 KiB)", "for x in b: pass", "for x in m: pass"),
    ("for x in b  (4 doubles)", "for x in bs: pass", "for x in ms: pass"),
    ("300 in b  (absent, 4 KiB)", "300 in b", "300 in m"),
    ("b == other  (1 MiB doubles)", "bd == bo", "md == mo"),
    ("hash(read-only)  (4 KiB, uncached)", "hash(ro)", "hash(memoryview(raw))"),
    ("b.tolist()  (4 KiB)", "b.tolist()", "m.tolist()"),
    # Against NumPy: memoryview cannot be pickled, copied or exported with DLPack.
    ("pickle protocol 5, out of band (1 MiB)", "pickle.dumps(bd, 5, buffer_callback=sink.append); sink.clear()",
     "pickle.dumps(a, 5, buffer_callback=sink.append); sink.clear()"),
    ("pickle protocol 4 (1 MiB)", "pickle.dumps(bd, 4)", "pickle.dumps(a, 4)"),
    ("pickle.loads protocol 4 (1 MiB, against bytearray)", "pickle.loads(pb)", "pickle.loads(pba)"),
    ("pickle.loads protocol 4 (1 MiB, against NumPy)", "pickle.loads(pb)", "pickle.loads(pa)"),
    ("copy.copy (1 MiB)", "copy.copy(bd)", "copy.copy(a)"),
    ("np.from_dlpack(x)", "np.from_dlpack(bd)", "np.from_dlpack(a)"),
    ("Buffer.from_dlpack(ndarray)", "swiftbuf.Buffer.from_dlpack(a)", "np.from_dlpack(a)"),
]
EXTRA_SETUP = "pb = pickle.dumps(bd, 4); pa = pickle.dumps(a, 4); pba = pickle.dumps(bytearray(big), 4)"


def measure(ours, theirs, repeats, budget):
    setup = SETUP + "\n" + EXTRA_SETUP
    ns = {"MiB": MiB}
    return side_by_side(lambda: timeit.Timer(theirs, setup, globals=ns), lambda: timeit.Timer(ours, setup, globals=ns),
                        repeats, budget)


def main():
    args = arguments(__doc__).parse_args()
    print(f"swiftbuf: {swiftbuf._swiftbuf.__file__}")
    print(f"{'operation':42} {'reference':>11} {'swiftbuf':>11} {'ratio':>7}")
    ratios = []
    for name, ours, theirs in CASES:
        if args.k and args.k not in name:
            continue
        r = measure(ours, theirs, args.repeats, args.budget)
        ratios.append(r.ratio)
        print(f"{name:42} {fmt_time(r.reference)} {fmt_time(r.swiftbuf)} {r.ratio:7.3f}")
    summary(ratios, "reference", 66)


if __name__ == "__main__":
    main()
