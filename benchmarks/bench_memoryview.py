"""swiftbuf.MemoryView against the builtin memoryview, side by side in one run.

Every operation is timed as a `timeit` statement (so the operation itself sits in the
timing loop, without a Python-level call around it) on the same data for both types, the
two measured back to back in each of several repeats. Prints the best time per operation for
each, the ratio swiftbuf/builtin (the median of the per-repeat ratios; below 1.0 means
swiftbuf is faster) and the geometric mean of the ratios.

    SWIFTBUF_EXTENSION=.build-NAME/release/lib_swiftbuf.so python3 benchmarks/bench_memoryview.py

This is a measurement, not a test: nothing here asserts a speed.
"""
import array
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import numpy  # noqa: E402
import swiftbuf  # noqa: E402
from _testbuffer import ND_FORTRAN, ND_PIL, ND_WRITABLE, ndarray  # noqa: E402
from sidebyside import arguments, fmt_time, side_by_side, summary  # noqa: E402

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
        # More layouts and formats: a 3-d array, a 2-d PIL array of ints, 1-d strided sources,
        # NumPy arrays, and one array per format family for element access and tolist.
        "nd_lt_i1": ndarray(list(range(64)), shape=[64], format="<i"),
        "nd_3d": ndarray(list(range(256)) * 16, shape=[16, 16, 16], format="B"),
        "nd_pil_i": ndarray(list(range(4096)), shape=[64, 64], format="i", flags=ND_PIL),
        "nd_pil1_copy": ndarray(list(range(256)) * 16, shape=[4096], format="B", flags=ND_PIL | ND_WRITABLE),
        "nd_strided1": ndarray(list(range(256)) * 32, shape=[8192], format="B")[::2],
        "np_d": numpy.arange(4096, dtype="d"),
        "np_f2": numpy.asfortranarray(numpy.arange(4096, dtype="B").reshape(64, 64)),
        "np_strided": numpy.arange(8192, dtype="B")[::2],
        "a_b": array.array("b", (i % 128 for i in range(4096))),
        "a_h": array.array("h", range(4096)),
        "a_q": array.array("q", range(4096)),
        "a_Q": array.array("Q", range(4096)),
        "a_f": array.array("f", range(4096)),
        "b_bool": bytes(i % 2 for i in range(4096)),
        "b_ptr": bytes(8 * 512),
        "nd_e": ndarray(list(range(64)), shape=[64], format="e"),
        "b7": b"abcdefg",
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
    # Element access per format family, and the index forms (negative, __index__ objects).
    ("m[i]  ('b')", "m = MV(a_b)", "m[100]"),
    ("m[i]  ('h')", "m = MV(a_h)", "m[100]"),
    ("m[i]  ('q')", "m = MV(a_q)", "m[100]"),
    ("m[i]  ('Q')", "m = MV(a_Q)", "m[100]"),
    ("m[i]  ('f')", "m = MV(a_f)", "m[100]"),
    ("m[i]  ('?')", "m = MV(b_bool).cast('?')", "m[100]"),
    ("m[i]  ('c')", "m = MV(b4k).cast('c')", "m[100]"),
    ("m[i]  ('P')", "m = MV(b_ptr).cast('P')", "m[100]"),
    ("m[i]  (numpy int index)", "m = MV(b4k); i = numpy.int64(100)", "m[i]"),
    ("m[i]  (strided source)", "m = MV(nd_strided1)", "m[100]"),
    ("m[i]  (numpy source)", "m = MV(np_d)", "m[100]"),
    ("m[i, j]  (PIL 2-d)", "m = MV(nd_pil_i)", "m[3, 4]"),
    ("m[i, j, k]  (3-d)", "m = MV(nd_3d)", "m[3, 4, 5]"),
    ("m[i, j]  (Fortran)", "m = MV(np_f2)", "m[3, 4]"),
    ("m[i] = v  ('d')", "m = MV(array.array('d', d128k[:64]))", "m[10] = 2.5"),
    ("m[i] = v  ('q')", "m = MV(array.array('q', a_q))", "m[10] = -5"),
    ("m[i] = v  ('f')", "m = MV(array.array('f', a_f))", "m[10] = 2.5"),
    ("m[i] = v  ('c')", "m = MV(ba4k).cast('c')", "m[10] = b'x'"),
    ("m[i] = v  ('?')", "m = MV(bytearray(b_bool)).cast('?')", "m[10] = True"),
    ("m[-1] = v  (negative index)", "m = MV(ba4k)", "m[-1] = 7"),
    ("m[...] = v  (0-d)", "m = MV(bytearray(8)).cast('d', ())", "m[...] = 1.5"),
    ("m[()] = v  (0-d)", "m = MV(bytearray(8)).cast('d', ())", "m[()] = 1.5"),
    # Slices: steps, negative steps, open ends, on 1-d and N-d, from every source layout.
    ("m[10:1:-2]  (negative step)", "m = MV(b4k)", "m[10:1:-2]"),
    ("m[:]  (full slice)", "m = MV(b4k)", "m[:]"),
    ("m[-100:]  (negative start)", "m = MV(b4k)", "m[-100:]"),
    ("m[::-3]  (2-d)", "m = MV(nd_c)", "m[::-3]"),
    ("m[1:5]  (3-d)", "m = MV(nd_3d)", "m[1:5]"),
    ("m[::2]  (PIL source)", "m = MV(nd_pil)", "m[::2]"),
    ("m[::2]  (numpy strided)", "m = MV(np_strided)", "m[::2]"),
    ("m[slice(1, 100, 3)]  (slice object)", "m = MV(b4k); s = slice(1, 100, 3)", "m[s]"),
    # Slice assignment from other layouts and formats.
    ("m[:] = o  (PIL source)", "m = MV(ba4k); o = MV(nd_pil1)", "m[:] = o"),
    ("m[:] = o  (PIL dest)", "m = MV(nd_pil1_copy); o = MV(b4k)", "m[:] = o"),
    ("m[::-1] = o  (reversed dest)", "m = MV(ba4k); o = MV(b4k)", "m[::-1] = o"),
    ("m[:] = o  ('d' from 'd')", "m = MV(array.array('d', d128k[:4096])); o = MV(np_d)", "m[:] = o"),
    ("m[:] = o  ('c' vs 'B' cast)", "m = MV(ba4k).cast('c'); o = MV(b4k).cast('c')", "m[:] = o"),
    ("m[:] = o  (numpy strided)", "m = MV(ba4k)[:2048]; o = MV(np_strided)[:2048]", "m[:] = o"),
    ("m[:] = b  (bytes source)", "m = MV(ba4k)", "m[:] = b4k"),
    ("m[:] = ba  (bytearray source)", "m = MV(ba8k)[:4096]", "m[:] = ba4k"),
    # cast to each format family, with shape given by position and keyword.
    ("m.cast('b')", "m = MV(b4k)", "m.cast('b')"),
    ("m.cast('h')", "m = MV(b4k)", "m.cast('h')"),
    ("m.cast('H')", "m = MV(b4k)", "m.cast('H')"),
    ("m.cast('l')", "m = MV(b4k)", "m.cast('l')"),
    ("m.cast('q')", "m = MV(b4k)", "m.cast('q')"),
    ("m.cast('Q')", "m = MV(b4k)", "m.cast('Q')"),
    ("m.cast('f')", "m = MV(b4k)", "m.cast('f')"),
    ("m.cast('?')", "m = MV(b4k)", "m.cast('?')"),
    ("m.cast('P')", "m = MV(b4k)", "m.cast('P')"),
    ("m.cast('n')", "m = MV(b4k)", "m.cast('n')"),
    ("m.cast('d') -> 'B'", "m = MV(b4k).cast('d')", "m.cast('B')"),
    ("m.cast('B', shape=[64, 64])", "m = MV(b4k)", "m.cast('B', shape=[64, 64])"),
    ("m.cast(format='B', shape=(64, 64))", "m = MV(b4k)", "m.cast(format='B', shape=(64, 64))"),
    ("m.cast('d', (8, 8, 8))  (3-d)", "m = MV(b4k)", "m.cast('d', (8, 8, 8))"),
    ("m.cast('B', ())  (0-d)", "m = MV(b4k[:1])", "m.cast('B', ())"),
    ("m.cast('i', [32, 32])  (list shape)", "m = MV(b4k)", "m.cast('i', [32, 32])"),
    # tobytes/hex in every form.
    ("m.tobytes(order='C')  (keyword)", "m = MV(b1m)", "m.tobytes(order='C')"),
    ("m.tobytes(order=None)  (keyword)", "m = MV(b4k)", "m.tobytes(order=None)"),
    ("m.tobytes()  (4 KiB)", "m = MV(b4k)", "m.tobytes()"),
    ("m.tobytes('C')  (Fortran source)", "m = MV(nd_f)", "m.tobytes('C')"),
    ("m.tobytes('A')  (strided source)", "m = MV(nd_strided)", "m.tobytes('A')"),
    ("m.tobytes('A')  (PIL source)", "m = MV(nd_pil)", "m.tobytes('A')"),
    ("m.tobytes()  (3-d)", "m = MV(nd_3d)", "m.tobytes()"),
    ("m.tobytes('F')  (3-d)", "m = MV(nd_3d)", "m.tobytes('F')"),
    ("m.tobytes()  (numpy Fortran)", "m = MV(np_f2)", "m.tobytes()"),
    ("m.tobytes()  (1-d strided)", "m = MV(nd_strided1)", "m.tobytes()"),
    ("m.tobytes()  (0-d)", "m = MV(b4k[:8]).cast('d', ())", "m.tobytes()"),
    ("m.hex(b':')", "m = MV(b4k)", "m.hex(b':')"),
    ("m.hex(':', -2)", "m = MV(b4k)", "m.hex(':', -2)"),
    ("m.hex(sep=':', bytes_per_sep=3)  (keywords)", "m = MV(b4k)", "m.hex(sep=':', bytes_per_sep=3)"),
    ("m.hex(':', 1000)  (group > length)", "m = MV(b4k)", "m.hex(':', 10000)"),
    ("m.hex()  (16 bytes)", "m = MV(b4k[:16])", "m.hex()"),
    ("m.hex()  (3 bytes)", "m = MV(b4k[:3])", "m.hex()"),
    ("m.hex(':')  (3 bytes)", "m = MV(b4k[:3])", "m.hex(':')"),
    ("m.hex(sep=':')  (3 bytes, keyword)", "m = MV(b4k[:3])", "m.hex(sep=':')"),
    ("m.tobytes()  (3 bytes)", "m = MV(b4k[:3])", "m.tobytes()"),
    ("m.hex(':')  (PIL source)", "m = MV(nd_pil)", "m.hex(':')"),
    ("m.hex()  (Fortran source)", "m = MV(nd_f)", "m.hex()"),
    # tolist per format and ndim.
    ("m.tolist()  ('b')", "m = MV(a_b)", "m.tolist()"),
    ("m.tolist()  ('h')", "m = MV(a_h)", "m.tolist()"),
    ("m.tolist()  ('q')", "m = MV(a_q)", "m.tolist()"),
    ("m.tolist()  ('Q')", "m = MV(a_Q)", "m.tolist()"),
    ("m.tolist()  ('f')", "m = MV(a_f)", "m.tolist()"),
    ("m.tolist()  ('?')", "m = MV(b_bool).cast('?')", "m.tolist()"),
    ("m.tolist()  ('c')", "m = MV(b4k).cast('c')", "m.tolist()"),
    ("m.tolist()  ('P')", "m = MV(b_ptr).cast('P')", "m.tolist()"),
    ("m.tolist()  (3-d)", "m = MV(nd_3d)", "m.tolist()"),
    ("m.tolist()  (0-d)", "m = MV(b4k[:8]).cast('d', ())", "m.tolist()"),
    ("m.tolist()  (PIL 2-d ints)", "m = MV(nd_pil_i)", "m.tolist()"),
    ("m.tolist()  (PIL 1-d)", "m = MV(nd_pil1)", "m.tolist()"),
    ("m.tolist()  (16 bytes)", "m = MV(b4k[:16])", "m.tolist()"),
    ("m.tolist()  (numpy Fortran)", "m = MV(np_f2)", "m.tolist()"),
    # Comparisons: formats and layouts on both sides, and non-buffers.
    ("m == o  ('B' vs 'B', 2-d C)", "m = MV(nd_c); o = MV(b4k).cast('B', (64, 64))", "m == o"),
    ("m == o  ('B' vs 'c')", "m = MV(b4k); o = MV(b4k).cast('c')", "m == o"),
    ("m == o  ('<i' vs '<i', struct)", "m = MV(nd_c_lt_i); o = MV(nd_c_lt_i)", "m == o"),
    ("m == o  ('i' vs 'h', unequal sizes)", "m = MV(i32k); o = MV(a_h)", "m == o"),
    ("m == o  (shapes differ)", "m = MV(b4k); o = MV(b4k[:100])", "m == o"),
    ("m == o  (strided vs C)", "m = MV(nd_strided); o = MV(nd_c)", "m == o"),
    ("m == o  (PIL vs C, ints)", "m = MV(nd_pil_i); o = MV(nd_c_i)", "m == o"),
    ("m == o  (3-d vs itself)", "m = MV(nd_3d)", "m == m"),
    ("m == o  (16 bytes)", "m = MV(b4k[:16]); o = MV(b1m[:16])", "m == o"),
    ("m == o  (numpy 'd' vs array 'd')", "m = MV(np_d); o = MV(d128k)[:4096]", "m == o"),
    ("m == ba  (vs bytearray)", "m = MV(b4k)", "m == ba4k"),
    ("m == nd  (vs ndarray exporter)", "m = MV(nd_c)", "m == nd_c"),
    ("m == 1  (vs non-buffer)", "m = MV(b4k)", "m == 1"),
    ("m != None  (vs None)", "m = MV(b4k)", "m != None"),
    ("m == 'abc'  (vs str)", "m = MV(b4k)", "m == 'abc'"),
    # Construction from every kind of exporter, release and the context manager.
    ("MV(ba)  (bytearray)", "", "MV(ba4k)"),
    ("MV(a)  (array.array)", "", "MV(d128k)"),
    ("MV(np)  (numpy)", "", "MV(np_d)"),
    ("MV(np)  (numpy Fortran)", "", "MV(np_f2)"),
    ("MV(nd)  (_testbuffer C)", "", "MV(nd_c)"),
    ("MV(nd)  (_testbuffer strided)", "", "MV(nd_strided)"),
    ("MV(object=b)  (keyword)", "", "MV(object=b4k)"),
    ("MV(b).release()", "", "MV(b4k).release()"),
    ("m.release()  (released twice)", "m = MV(b4k); m.release()", "m.release()"),
    ("with m[1:]  (sliced view)", "m = MV(b4k)", "with m[1:]: pass"),
    # Properties, len and the rest of the protocol.
    ("m.obj", "m = MV(b4k)", "m.obj"),
    ("m.itemsize, m.readonly", "m = MV(b4k)", "m.itemsize; m.readonly"),
    ("m.f_contiguous", "m = MV(b4k)", "m.f_contiguous"),
    ("m.suboffsets  (PIL)", "m = MV(nd_pil)", "m.suboffsets"),
    ("m.suboffsets  (none)", "m = MV(b4k)", "m.suboffsets"),
    ("m.shape, m.strides  (3-d)", "m = MV(nd_3d)", "m.shape; m.strides"),
    ("m.c_contiguous  (strided)", "m = MV(nd_strided)", "m.c_contiguous; m.f_contiguous"),
    ("len(m)  (2-d)", "m = MV(nd_c)", "len(m)"),
    ("hash(m)  ('c', new view)", "", "hash(MV(b4k).cast('c'))"),
    ("hash(m)  (PIL, new view)", "", "hash(MV(nd_pil))"),
    ("100 in m  (contains)", "m = MV(b4k)", "100 in m"),
    ("for x in m  ('i')", "m = MV(i32k)", "for x in m: pass"),
    ("for x in m  (strided 1-d)", "m = MV(nd_strided1)", "for x in m: pass"),
    ("for x in m  (16 bytes)", "m = MV(b4k[:16])", "for x in m: pass"),
    ("iter(m)", "m = MV(b4k)", "iter(m)"),
    ("list(reversed(m))  (16 bytes)", "m = MV(b4k[:16])", "list(reversed(m))"),
    ("repr(m)", "m = MV(b4k)", "repr(m)"),
    ("m.toreadonly()  (from bytearray)", "m = MV(ba4k)", "m.toreadonly()"),
    ("bytearray(m)  (export, strided)", "m = MV(nd_strided)", "bytearray(m)"),
    ("numpy.asarray(m)", "m = MV(np_d)", "numpy.asarray(m)"),
    ("m.__enter__()", "m = MV(b4k)", "m.__enter__()"),
    # Refusals users meet, raised and caught: multi-dimensional slicing and sub-views, a
    # non-native format, an index out of range.
    ("m[1:2, 3:4]  (refused: multi-slice)", "m = MV(nd_c)",
     "try: m[1:2, 3:4]\nexcept NotImplementedError: pass"),
    ("m[i]  (refused: 2-d sub-view)", "m = MV(nd_c)", "try: m[3]\nexcept NotImplementedError: pass"),
    ("m[i]  (refused: '<i')", "m = MV(nd_lt_i1)", "try: m[4]\nexcept NotImplementedError: pass"),
    ("m[i]  (refused: out of range)", "m = MV(b4k)", "try: m[5000]\nexcept IndexError: pass"),
    # Every other refusal a caller can meet, one form each: formats the view cannot read,
    # casts and assignments it cannot make, a released view, an object that is no buffer.
    ("m[i]  (refused: 'e')", "m = MV(nd_e)", "try: m[3]\nexcept NotImplementedError: pass"),
    ("m.tolist()  (refused: 'e')", "m = MV(nd_e)", "try: m.tolist()\nexcept NotImplementedError: pass"),
    ("m.tolist()  (refused: '<i')", "m = MV(nd_lt_i1)", "try: m.tolist()\nexcept NotImplementedError: pass"),
    ("hash(m)  (refused: 'i')", "m = MV(i32k)", "try: hash(m)\nexcept ValueError: pass"),
    ("m.cast('B')  (refused: strided)", "m = MV(nd_strided)", "try: m.cast('B')\nexcept TypeError: pass"),
    ("m.cast('<i')  (refused: format)", "m = MV(b4k)", "try: m.cast('<i')\nexcept ValueError: pass"),
    ("m.cast('i')  (refused: size)", "m = MV(b7)", "try: m.cast('i')\nexcept TypeError: pass"),
    ("m.cast('B', (3, 3))  (refused: shape)", "m = MV(b4k[:8])", "try: m.cast('B', (3, 3))\nexcept TypeError: pass"),
    ("m[i] = v  (refused: type)", "m = MV(ba4k)", "try: m[1] = 'x'\nexcept TypeError: pass"),
    ("m[i] = v  (refused: range)", "m = MV(ba4k)", "try: m[1] = 300\nexcept ValueError: pass"),
    ("m[i] = v  (refused: read-only)", "m = MV(b4k)", "try: m[1] = 3\nexcept TypeError: pass"),
    ("del m[i]  (refused)", "m = MV(ba4k)", "try: del m[0]\nexcept TypeError: pass"),
    ("m[:] = o  (refused: shape)", "m = MV(ba4k); o = MV(b7)", "try: m[:] = o\nexcept ValueError: pass"),
    ("m[:] = o  (refused: format)", "m = MV(ba4k); o = MV(b4k).cast('b')", "try: m[:] = o\nexcept ValueError: pass"),
    ("MV(1)  (refused: not a buffer)", "", "try: MV(1)\nexcept TypeError: pass"),
    ("m.hex('::')  (refused: separator)", "m = MV(b4k)", "try: m.hex('::')\nexcept ValueError: pass"),
    ("iter(m)  (refused: 2-d)", "m = MV(nd_c)", "try: iter(m)\nexcept NotImplementedError: pass"),
    ("m[1.0]  (refused: float key)", "m = MV(b4k)", "try: m[1.0]\nexcept TypeError: pass"),
    ("len(m)  (refused: released)", "m = MV(b4k); m.release()", "try: len(m)\nexcept ValueError: pass"),
    ("m.obj  (refused: released)", "m = MV(b4k); m.release()", "try: m.obj\nexcept ValueError: pass"),
    ("m.tobytes()  (refused: released)", "m = MV(b4k); m.release()", "try: m.tobytes()\nexcept ValueError: pass"),
]


def namespace(shared, view):
    """The globals of one type's statements: the shared data, `MV`, and the modules they use."""
    return dict(shared, MV=view, array=array, numpy=numpy)


def measure(stmt, setup, shared, repeats, budget):
    """One case: the builtin's and swiftbuf's statement on the same data, side by side."""
    def timer(view):
        return lambda: timeit.Timer(stmt, setup, globals=namespace(shared, view))
    return side_by_side(timer(BUILTIN), timer(SWIFT), repeats, budget)


def main():
    args = arguments(__doc__).parse_args()

    shared = data()
    print(f"swiftbuf: {swiftbuf._swiftbuf.__file__}")
    print(f"{'operation':40} {'builtin':>11} {'swiftbuf':>11} {'ratio':>7}")
    ratios = []
    for name, setup, stmt in CASES:
        if args.k and args.k not in name:
            continue
        r = measure(stmt, setup, shared, args.repeats, args.budget)
        ratios.append(r.ratio)
        flag = "  <-- above 1.05x" if r.ratio > 1.05 else ""
        print(f"{name:40} {fmt_time(r.reference)} {fmt_time(r.swiftbuf)} {r.ratio:7.3f}{flag}")
    summary(ratios, "builtin", 64)


if __name__ == "__main__":
    main()
