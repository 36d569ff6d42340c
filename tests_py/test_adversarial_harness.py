"""The tests of the child-process harness in support.py (this file is also a child script).

Adversarial cases may crash the interpreter (a segfault, a Swift trap, an abort), so they run
in child processes (support.run_isolated): a crash then fails the one case that caused it, and
the remaining cases run in a fresh child.
"""
import json
import os

import pytest

from lane import ASAN
from support import crashed, normalise, outcome, run_forked, run_isolated, serve


# MARK: - The harness's own tests

def _case(mode, case):
    if case == "abort":
        os.abort()
    if case == "segfault":
        import ctypes
        ctypes.string_at(0)
    if case == "exit":
        os._exit(3)
    if case == "raises":
        return outcome(lambda: {}["missing"])
    return [mode, case, (1, 2.0, float("nan"), b"\x00\xff", object)]


def test_a_crash_fails_only_its_case():
    ids = ["a", "abort", "b", "segfault", "exit", "raises", "c"]
    results = run_isolated(__file__, "m", ids, timeout=60)
    assert results["a"] == ["m", "a", [1, {"float": "2.0"}, {"float": "nan"}, {"bytes": "\x00\xff"},
                                       {"repr": "<class 'object'>"}]]
    assert results["abort"][:2] == ["crash", "signal SIGABRT"]
    if ASAN:    # ASan's SEGV handler reports the fault and exits with its exitcode, 1
        assert results["segfault"][:2] == ["crash", "exit 1"] and "AddressSanitizer: SEGV" in results["segfault"][2]
    else:
        assert results["segfault"][:2] == ["crash", "signal SIGSEGV"]
    assert results["exit"][:2] == ["crash", "exit 3"]
    assert results["raises"] == ["error", "KeyError", "'missing'"]
    assert results["c"][1] == "c" and not crashed(results["b"])


def test_a_forked_copy_reports_its_result_or_its_crash():
    assert run_forked(lambda: (1, 2.0, b"\xff")) == [1, {"float": "2.0"}, {"bytes": "\xff"}]
    aborted = run_forked(lambda: (os.write(2, b"about to abort\n"), os.abort()))
    assert aborted[:2] == ["crash", "signal SIGABRT"] and "about to abort" in aborted[2]
    raised = run_forked(lambda: {}["missing"])
    assert raised[:2] == ["crash", "exit 70"] and "KeyError: 'missing'" in raised[2]
    state = []
    run_forked(lambda: state.append(1))
    assert state == []    # the copy's changes stay in the copy


def test_addresses_are_normalised():
    assert outcome(lambda: object()) == ["ok", {"repr": "<object object at 0x?>"}]
    assert outcome(lambda: repr(object())) == ["ok", "<object object at 0x?>"]
    assert normalise({"b": 1, "a": (2,)}) == {"dict": [["a", [2]], ["b", 1]]}
    assert normalise(normalise([b"x", {"k": 1}, 1.5])) == normalise([b"x", {"k": 1}, 1.5])


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -0.0, 2 ** 70, True, [1.0, b"", None]])
def test_results_survive_json(value):
    assert json.loads(json.dumps(normalise(value))) == normalise(value)


def test_results_keep_the_distinctions_python_equality_blurs():
    assert normalise(1) != normalise(1.0) != normalise(True)
    assert normalise(0.0) != normalise(-0.0)
    assert normalise(float("nan")) == normalise(float("nan"))


if __name__ == "__main__":
    serve(_case)
