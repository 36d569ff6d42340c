"""Allocation failures: every operation of test_adversarial_leaks.py, run with CPython's
allocators failing (`_testcapi.set_nomemory`) at its 1st, 2nd, ... allocation, alone or from
there on. swiftbuf must never crash, never return NULL without an exception or a result with
one set (CPython reports both as SystemError), and leave the interpreter and its objects
working: the same operation succeeds again once memory is back.

Swift's own allocations do not go through CPython's allocators; what fails here is everything
swiftbuf asks CPython for (objects, lists, bytes, Py_buffer copies, PyMem_Raw memory behind
swiftbuf.Buffer and swiftbuf.testing).
"""
import pytest

from lane import PY_DEBUG
from test_adversarial_harness import crashed, run_isolated, serve

_testcapi = pytest.importorskip("_testcapi", reason="allocation failures are injected with _testcapi.set_nomemory")

FIRST_FAILURES = 24   # the operations make fewer CPython allocations than this, mostly


def run_case(mode, case):
    import _testcapi

    from test_adversarial_leaks import OPERATIONS, Context
    name, nth = case.rsplit("|", 1)
    op = OPERATIONS[name]
    context = Context()
    op(context)   # warm: first-use caches are not what is tested
    stop = int(nth) + 1 if mode == "once" else 0
    _testcapi.set_nomemory(int(nth), stop)
    try:
        op(context)
        result = "ok"
    except MemoryError:
        result = "MemoryError"
    except SystemError as e:   # a NULL without an exception, or a result with one
        result = f"SystemError: {e}"
    except Exception as e:  # noqa: BLE001 - a failure that is not about memory is fine here
        result = type(e).__name__
    finally:
        _testcapi.remove_mem_hooks()
    try:
        op(context)
        after = "ok"
    except Exception as e:  # noqa: BLE001
        after = f"{type(e).__name__}: {e}"
    return [result, after]


def cpython_debug_abort(stderr):
    """Under Py_DEBUG, failing allocations make CPython's own interpreter loop abort while it
    runs the test's Python code (an operation's lambda, an __index__ method that raises):
    ceval.c's stack assertion, or _Py_CheckFunctionResult on the Python function (when memory
    fails from then on, it cannot even name it). Such a case cannot finish in that interpreter.
    The release lane runs it in full, and there the same check is a SystemError naming the
    function, which fails the test if the function is swiftbuf's."""
    return ("Python/ceval.c:" in stderr and "Assertion" in stderr) or \
        "_Py_CheckFunctionResult: a function returned NULL without setting an exception" in stderr


def cases():
    from test_adversarial_leaks import OPERATIONS
    return [f"{name}|{n}" for name in OPERATIONS for n in range(FIRST_FAILURES)]


@pytest.mark.parametrize("mode", ["once", "from_then_on"])
def test_allocation_failures_are_survived(mode, swift_testext_dir):
    results = run_isolated(__file__, mode, cases(), timeout=600)
    bad = []
    for case, result in sorted(results.items()):
        if crashed(result) and PY_DEBUG and cpython_debug_abort(result[2]):
            continue
        if crashed(result):
            bad.append(f"{case}: crashed ({result[1]})\n{result[2][-800:]}")
        elif result[0].startswith("SystemError"):
            bad.append(f"{case}: {result[0]}")
        elif result[1] != "ok":
            bad.append(f"{case}: afterwards the operation fails: {result[1]}")
    assert not bad, f"{len(bad)} failures\n" + "\n".join(bad[:20])


if __name__ == "__main__":
    serve(run_case)
