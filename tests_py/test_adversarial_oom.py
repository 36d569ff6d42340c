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


def cases():
    from test_adversarial_leaks import OPERATIONS
    return [f"{name}|{n}" for name in OPERATIONS for n in range(FIRST_FAILURES)]


@pytest.mark.parametrize("mode", ["once", "from_then_on"])
def test_allocation_failures_are_survived(mode):
    results = run_isolated(__file__, mode, cases(), timeout=600)
    bad = []
    for case, result in sorted(results.items()):
        if crashed(result):
            bad.append(f"{case}: crashed ({result[1]})\n{result[2][-800:]}")
        elif result[0].startswith("SystemError"):
            bad.append(f"{case}: {result[0]}")
        elif result[1] != "ok":
            bad.append(f"{case}: afterwards the operation fails: {result[1]}")
    assert not bad, f"{len(bad)} failures\n" + "\n".join(bad[:20])


if __name__ == "__main__":
    serve(run_case)
