"""Threads: many Python threads share a few swiftbuf.Buffer objects for a few seconds, each
exporting them (memoryview, swiftbuf.MemoryView, NumPy, swiftbuf.testing.ndarray, views of
views), slicing, casting, writing and reading through the views and through Swift
(a Swift extension module's `PythonBufferView`s, held with the GIL released while the other
threads run: swiftbuf_testext, the `testext` fixture), and resizing, while a collector
thread runs gc.collect() over reference cycles whose finalizers release views or resize.
The interpreter switches threads every few microseconds, so every interleaving of those
operations at bytecode boundaries gets a chance.

What must hold, checked as the threads run and at the end:
- a view never sees memory other than the buffer's: each thread owns one item of every
  buffer, writes it through a view it holds and reads it back through a fresh export and
  through Swift, and a held view's shape is always the buffer's shape (a resize that went
  through while a view was alive would break both, and ASan sees the stale pointer);
- resize is refused with BufferError whenever the resizing thread itself holds a view, and
  inside a finalizer whose object still holds one;
- `exports` is exact: at checkpoints where every thread waits at a barrier, and at the end,
  each buffer's `exports` equals the number of exports the threads hold of it, and 0 once
  they drop them; the buffers' reference counts come back to where they were.

SWIFTBUF_THREADS_SECONDS sets the duration (default 3).
"""
import gc
import os
import random
import sys
import threading
import time
from collections import Counter

import numpy as np
import pytest

import swiftbuf
import swiftbuf.testing as T

MV = swiftbuf.MemoryView
SECONDS = float(os.environ.get("SWIFTBUF_THREADS_SECONDS", "3"))
WORKERS = 8
BUFFERS = 3
CHECKPOINTS = 4
SLOTS = WORKERS                    # item t of every buffer belongs to worker t
SPARSE_USERS = 2                   # workers that take views in sparse phases
MAX_HELD = 3                       # groups of views a worker holds of one buffer at most
# C-order shapes of doubles whose first SLOTS items stay in place across resizes (resize keeps
# the leading bytes and zero-fills the rest).
SHAPES = [(SLOTS,), (2 * SLOTS,), (2, SLOTS), (SLOTS, 3), (4, SLOTS // 2, 2)]
REFUSED = "Existing exports of data: object cannot be re-sized"   # as bytearray says


# MARK: - What a worker holds

class Group:
    """Objects that hold exactly one export of a buffer between them (a root export and views
    derived from it), a flat double view over them for reading and writing, and the buffer's
    shape when the export was taken."""

    def __init__(self, index, objects, flat, shape):
        self.index, self.objects, self.flat, self.shape = index, objects, flat, shape

    def release(self):
        """Released in reverse order of creation, so no view is released while a view derived
        from it still holds its export."""
        self.flat = None
        while self.objects:
            obj = self.objects.pop()
            if hasattr(obj, "release"):
                obj.release()


def flat_of(view):
    return view.cast("B").cast("d")


def take_group(kind, index, b):
    shape = b.shape
    if kind == "memoryview":
        root = memoryview(b)
        flat = flat_of(root)
        objects = [root, flat]
    elif kind == "MemoryView":
        root = MV(b)
        flat = flat_of(root)
        objects = [root, flat]
    elif kind == "view_of_view":
        root = MV(b)
        outer = memoryview(root)[:]          # an export of the MemoryView, not of b
        flat = flat_of(outer)
        objects = [root, outer, flat]
    elif kind == "numpy":
        array = np.asarray(b)
        flat = array.reshape(-1)
        objects = [array, flat]
    elif kind == "numpy_of_MemoryView":
        root = MV(b)
        array = np.asarray(root)
        flat = array.reshape(-1)
        objects = [root, array, flat]
    elif kind == "ndarray":
        nd = T.ndarray(b, getbuf=T.PyBUF_FULL)
        view = MV(nd)
        flat = flat_of(view)
        objects = [nd, view, flat]
    else:
        raise AssertionError(kind)
    assert b.shape == shape       # this thread holds an export now: nothing can resize it
    return Group(index, objects, flat, shape)


GROUP_KINDS = ["memoryview", "MemoryView", "view_of_view", "numpy", "numpy_of_MemoryView", "ndarray"]


class ReleasesWhenCollected:
    """A reference cycle holding a view of a buffer; its finalizer (run by whichever thread's
    gc.collect() finds the cycle) checks that the buffer refuses to resize while the view is
    alive, releases the view, and maybe resizes."""

    def __init__(self, stress, b, resize_to):
        self.stress, self.b, self.resize_to = stress, b, resize_to
        self.view = MV(b)[::2]
        self.cycle = self

    def __del__(self):
        stress, b = self.stress, self.b
        try:
            try:
                b.resize(self.resize_to)
            except BufferError as e:
                assert str(e) == REFUSED, e
            else:
                raise AssertionError("resize went through while a finalizer's view was alive")
            self.view.release()
            self.view = None
            try:
                b.resize(self.resize_to)
                stress.count("finalizer_resized")
            except BufferError:
                stress.count("finalizer_resize_refused")
            stress.count("finalizer_ran")
        except BaseException as e:  # noqa: BLE001 - a finalizer's exception would be lost
            stress.fail(f"finalizer: {type(e).__name__}: {e}")


# MARK: - The stress run

class Stress:
    def __init__(self, seconds, seed, swift):
        self.swift = swift
        self.buffers = [swiftbuf.Buffer(SHAPES[0], "d") for _ in range(BUFFERS)]
        self.held = [[[] for _ in range(BUFFERS)] for _ in range(WORKERS)]
        self.counts = Counter()
        self.errors = []
        self.seconds, self.seed = seconds, seed
        # Reentrant: a collection can start inside count() and run a finalizer that counts.
        self.lock = threading.RLock()
        self.barrier = threading.Barrier(WORKERS + 1, action=self.checkpoint, timeout=120)
        self.checked = 0

    def count(self, what):
        with self.lock:
            self.counts[what] += 1

    def fail(self, message):
        with self.lock:
            self.errors.append(message)

    def checkpoint(self):
        """Every thread waits at the barrier: collect the cycles, then each buffer's exports
        must be the number of groups the workers hold of it."""
        gc.collect()
        for i, b in enumerate(self.buffers):
            expected = sum(len(self.held[t][i]) for t in range(WORKERS))
            if b.exports != expected:
                self.fail(f"checkpoint {self.checked}: buffer {i} has {b.exports} exports, the threads hold {expected}")
        self.checked += 1

    # One operation of worker t; its locals die when it returns, so the groups in self.held
    # are the only references a worker keeps between operations. In sparse phases a worker
    # keeps no group between operations and makes no cycles, and only SPARSE_USERS workers take
    # views at all (the others resize and call Swift), so buffers are often not exported and
    # resizes go through, racing with the views the users take and give back.
    def step(self, t, rng, value, sparse):
        i = rng.randrange(BUFFERS)
        b, held = self.buffers[i], self.held[t][i]
        if sparse and t >= SPARSE_USERS:
            op = rng.choice(["resize", "resize", "swift", "collect"])
        else:
            op = rng.choice(["take", "take", "drop", "write", "write", "resize", "views", "swift", "finalizer", "collect"])
        if op == "take":
            if len(held) < MAX_HELD and not sparse:
                held.append(take_group(rng.choice(GROUP_KINDS), i, b))
        elif op == "drop":
            if held:
                held.pop(rng.randrange(len(held))).release()
        elif op in ("write", "views"):
            group = rng.choice(held) if held else take_group(rng.choice(GROUP_KINDS), i, b)
            if op == "write":
                self.write(self.swift, t, b, group, value)
            else:
                self.views(t, rng, b, group)
            if group not in held:
                group.release()
        elif op == "resize":
            shape = rng.choice(SHAPES)
            try:
                b.resize(shape)
            except BufferError as e:
                assert str(e) == REFUSED, e
                self.count("resize_refused")
            else:
                # (Another thread may have resized it again since: no check of b.shape here.)
                assert not held, "resize went through while this thread held a view"
                self.count("resized")
        elif op == "swift":
            # Swift readers and writers hold a typed PythonBufferView for the length of the
            # call and release the GIL while they read and write, so the other threads take
            # and release views, resize (refused while Swift holds its view) and collect.
            total, view_shape, shape_now = self.swift.held_sum(b, 20)
            assert total == total   # not NaN: the memory read holds doubles written here
            assert view_shape == shape_now, "the buffer was resized while Swift held a view of it"
            self.swift.held_scale(b, 1.0)
            visited, gathered, _ = self.swift.read(b, "d")
            assert len(visited) == len(gathered)
        elif op == "finalizer":
            if not sparse:      # a cycle holds its export until a collection finds it
                ReleasesWhenCollected(self, b, rng.choice(SHAPES))
        elif op == "collect":
            gc.collect()
        self.count(op)

    @staticmethod
    def write(swift, t, b, group, value):
        group.flat[t] = value
        # The item reads back through a fresh export and from Swift: the held view and the
        # buffer are the same memory.
        assert np.asarray(b).reshape(-1)[t] == value
        index = tuple(int(k) for k in np.unravel_index(t, b.shape))
        assert swift.element(b, "d", index) == value
        assert group.flat[t] == value
        assert b.shape == group.shape

    @staticmethod
    def views(t, rng, b, group):
        assert b.shape == group.shape
        flat = group.flat
        n = len(flat)
        assert n == len(b.tobytes()) // 8
        start, step = rng.randrange(n), rng.choice([1, 2, -1, -3])
        sliced = MV(flat)[start::step]
        # Other threads write their own items between any two calls: compare this one's.
        positions = range(n)[start::step]
        assert len(sliced.tolist()) == len(positions) == len(sliced.tobytes()) // 8
        if t in positions:
            k = positions.index(t)
            assert sliced[k] == sliced.tolist()[k] == MV(sliced.tobytes()).cast("d")[k] == flat[t]
        assert MV(flat).cast("B")[8 * t:8 * t + 8] == memoryview(flat).cast("B")[8 * t:8 * t + 8]
        sliced.release()
        assert memoryview(flat)[t] == flat[t]

    def worker(self, t):
        rng = random.Random(self.seed * 100 + t)
        value = float(t)
        try:
            for phase in range(CHECKPOINTS):
                sparse = phase % 2 == 1
                if sparse:
                    self.drop_all(t)
                end = time.monotonic() + self.seconds / CHECKPOINTS   # a checkpoint may take a while
                while time.monotonic() < end and not self.errors:
                    value += WORKERS
                    self.step(t, rng, value, sparse)
                self.barrier.wait()
        except threading.BrokenBarrierError:
            pass
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            import traceback
            self.fail(f"worker {t}: {''.join(traceback.format_exception(e))}")
            self.barrier.abort()
        finally:
            self.drop_all(t)

    def drop_all(self, t):
        for held in self.held[t]:
            while held:
                held.pop().release()

    def collector(self):
        try:
            for phase in range(CHECKPOINTS):
                end = time.monotonic() + self.seconds / CHECKPOINTS   # a checkpoint may take a while
                while time.monotonic() < end and not self.errors:
                    gc.collect()
                    self.count("gc_thread_collect")
                    time.sleep(0.001)
                self.barrier.wait()
        except threading.BrokenBarrierError:
            pass

    def run(self):
        self.start = time.monotonic()
        threads = [threading.Thread(target=self.worker, args=(t,)) for t in range(WORKERS)]
        threads.append(threading.Thread(target=self.collector))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + self.seconds + 120
        for thread in threads:
            thread.join(timeout=max(0, deadline - time.monotonic()))
            assert not thread.is_alive(), "a thread hangs"


@pytest.fixture
def fast_switching():
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def test_threads_share_buffers_and_lose_no_export(fast_switching, testext):
    stress = Stress(SECONDS, seed=3118, swift=testext)
    refs = [sys.getrefcount(stress.buffers[i]) for i in range(BUFFERS)]
    stress.run()
    assert not stress.errors, "\n".join(stress.errors[:5])
    assert stress.checked == CHECKPOINTS
    gc.collect()
    assert [sys.getrefcount(stress.buffers[i]) for i in range(BUFFERS)] == refs
    for b in stress.buffers:
        assert b.exports == 0
        b.resize(SHAPES[1])          # nothing holds it any more
        assert b.shape == SHAPES[1]
    # The run did everything it is meant to, more than once.
    for op in ["take", "drop", "write", "resized", "resize_refused", "views", "swift", "finalizer",
               "finalizer_ran", "finalizer_resize_refused", "collect", "gc_thread_collect"]:
        assert stress.counts[op] > 0, (op, dict(stress.counts))
    print(dict(stress.counts))
