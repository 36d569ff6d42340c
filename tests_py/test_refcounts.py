"""Reference counts, interpreter-wide: under a Py_DEBUG interpreter (scripts/debug-python.sh),
`sys.gettotalrefcount()` is the sum of every object's reference count. Repeating any public
operation (every one of test_adversarial_leaks.OPERATIONS: swiftbuf.Buffer, MemoryView,
swiftbuf.testing and the Swift API through a Swift extension module, swiftbuf_testext, on
success and on each failure path) must leave it flat. This sees what the per-object counts of the leak tests cannot: a reference
leaked on an object the test does not watch (an exception, a temporary tuple, a type, None).
"""
import gc
import sys

import pytest

from lane import PY_DEBUG

if not PY_DEBUG:
    pytest.skip("sys.gettotalrefcount exists only in a Py_DEBUG interpreter (scripts/debug-python.sh)",
                allow_module_level=True)

from test_adversarial_leaks import OPERATIONS, Context  # noqa: E402

ROUNDS = 200


@pytest.fixture(scope="module")
def context(swift_testext_dir):
    return Context()


def total():
    gc.collect()
    return sys.gettotalrefcount()


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_total_reference_count_is_flat(context, name):
    op = OPERATIONS[name]
    for _ in range(20):    # caches, free lists, interned strings
        op(context)
    # Three phases: a leak grows in each, the interpreter's one-off growth in one at most.
    growth = []
    start = total()
    for _ in range(3):
        for _ in range(ROUNDS):
            op(context)
        end = total()
        growth.append(end - start)
        start = end
    # A leak of one reference per call shows as ROUNDS in every phase.
    assert min(growth) < ROUNDS // 4, growth


def test_the_check_sees_a_leak(context):
    kept = []
    start = total()
    for _ in range(ROUNDS):
        kept.append(None)      # one reference to None per round, as a missing Py_DECREF would be
    assert total() - start >= ROUNDS
