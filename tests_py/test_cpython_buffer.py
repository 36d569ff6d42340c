"""CPython 3.11's own buffer suites, run with swiftbuf swapped in.

Each run loads a fresh copy of the installed ``test.test_buffer`` or ``test.test_memoryview``
with ``sys.modules['_testbuffer']`` pointing at ``swiftbuf.testing`` and/or the module-global
name ``memoryview`` bound to ``swiftbuf.MemoryView``, runs it with unittest, and compares the
set of passing tests with the set that passes with CPython's own modules in the same process
(same random seed). Every test that passes with CPython's modules must pass with swiftbuf's.

Environmental failure: ``test_py_buffer_to_contiguous`` fails even with CPython's modules here,
because it calls ``numpy.ndarray.tostring``, which NumPy 2 removed. The baseline check below
pins that down, and ``test_py_buffer_to_contiguous_without_numpy`` runs the same test with its
NumPy cross-check disabled (``numpy_array = None``, as on a machine without NumPy), so the
drop-in's ``py_buffer_to_contiguous`` is still exercised in full.
"""
import importlib.util
import os
import random
import sys
import traceback
import unittest

import pytest

import swiftbuf
import swiftbuf.testing
from support import unittest_cases

SEED = int(os.environ.get("SWIFTBUF_CPYTHON_SEED", "3118"))
ENVIRONMENTAL = {"test_py_buffer_to_contiguous"}


def load_suite(name, *, testbuffer=None, memoryview=None, overrides=None):
    """A fresh copy of ``test.<name>``: imported with ``_testbuffer`` replaced by
    ``testbuffer`` (if given), its global ``memoryview`` bound to ``memoryview`` (if given)
    and further module globals set from ``overrides``."""
    origin = importlib.util.find_spec(f"test.{name}").origin
    spec = importlib.util.spec_from_file_location(f"swiftbuf_cpython_{name}", origin)
    module = importlib.util.module_from_spec(spec)
    if memoryview is not None:
        module.memoryview = memoryview
    saved = sys.modules.get("_testbuffer")
    if testbuffer is not None:
        sys.modules["_testbuffer"] = testbuffer
    try:
        spec.loader.exec_module(module)
    finally:
        if saved is not None:
            sys.modules["_testbuffer"] = saved
        else:
            sys.modules.pop("_testbuffer", None)
    for key, value in (overrides or {}).items():
        setattr(module, key, value)
    # The swap took: the suite's names are swiftbuf's, not CPython's.
    if testbuffer is not None and hasattr(module, "ndarray"):
        assert module.ndarray is testbuffer.ndarray and module.get_contiguous is testbuffer.get_contiguous
    if memoryview is not None:
        assert module.memoryview is memoryview
    return module


class Outcomes(unittest.TestResult):
    """Every test's outcome: 'pass', 'fail', 'error' or 'skip', with the traceback."""

    def __init__(self):
        super().__init__()
        self.outcomes = {}

    @staticmethod
    def _name(test):
        return test.id().split(".", 1)[1]  # drop the module copy's name

    def addSuccess(self, test):
        self.outcomes[self._name(test)] = ("pass", "")

    def addFailure(self, test, err):
        self.outcomes[self._name(test)] = ("fail", "".join(traceback.format_exception(*err)))

    def addError(self, test, err):
        self.outcomes[self._name(test)] = ("error", "".join(traceback.format_exception(*err)))

    def addSkip(self, test, reason):
        self.outcomes[self._name(test)] = ("skip", reason)

    def addExpectedFailure(self, test, err):
        self.outcomes[self._name(test)] = ("pass", "expected failure")

    def addUnexpectedSuccess(self, test):
        self.outcomes[self._name(test)] = ("fail", "unexpected success")


def run_suite(module, only=None):
    random.seed(SEED)
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    if only is not None:
        suite = unittest.TestSuite(t for t in unittest_cases(suite) if t.id().rsplit(".", 1)[1] in only)
    result = Outcomes()
    suite.run(result)
    return result.outcomes


def passing(outcomes):
    return {name for name, (kind, _) in outcomes.items() if kind == "pass"}


def compare(baseline, swapped):
    """Asserts that every test passing with CPython's modules passes with swiftbuf's, and
    that swiftbuf passes nothing CPython fails (which would mean a test ran differently)."""
    missing = sorted(passing(baseline) - passing(swapped))
    extra = sorted(passing(swapped) - passing(baseline))
    report = []
    for name in missing:
        kind, detail = swapped.get(name, ("absent", ""))
        report.append(f"--- {name}: {kind}\n{detail}")
    for name in extra:
        report.append(f"--- {name}: passes with swiftbuf but not with CPython: {baseline.get(name)}")
    assert not report, f"{len(missing)} test(s) pass only with CPython's modules:\n" + "\n".join(report)
    assert passing(swapped), "no test ran"


def memoryview_type():
    return swiftbuf.MemoryView


# Baselines: CPython's own _testbuffer and memoryview, computed once per session.
_baselines = {}


def baseline(name, only=None, overrides=None):
    key = (name, only and tuple(sorted(only)), overrides and tuple(sorted(overrides)))
    if key not in _baselines:
        _baselines[key] = run_suite(load_suite(name, overrides=overrides), only)
    return _baselines[key]


def test_baseline_fails_only_for_environmental_reasons():
    outcomes = baseline("test_buffer")
    failed = {name.rsplit(".", 1)[1]: detail for name, (kind, detail) in outcomes.items()
              if kind in ("fail", "error")}
    assert set(failed) == ENVIRONMENTAL, failed
    assert "tostring" in failed["test_py_buffer_to_contiguous"]


def test_test_buffer_with_swiftbuf_testing():
    swapped = run_suite(load_suite("test_buffer", testbuffer=swiftbuf.testing))
    compare(baseline("test_buffer"), swapped)


def test_py_buffer_to_contiguous_without_numpy():
    only = ENVIRONMENTAL
    overrides = {"numpy_array": None}
    expected = baseline("test_buffer", only, overrides)
    assert passing(expected), expected
    swapped = run_suite(load_suite("test_buffer", testbuffer=swiftbuf.testing, overrides=overrides), only)
    compare(expected, swapped)


def test_test_buffer_with_swiftbuf_testing_and_memoryview():
    view = memoryview_type()
    swapped = run_suite(load_suite("test_buffer", testbuffer=swiftbuf.testing, memoryview=view))
    compare(baseline("test_buffer"), swapped)


def test_test_memoryview_with_swiftbuf_testing_and_memoryview():
    view = memoryview_type()
    swapped = run_suite(load_suite("test_memoryview", testbuffer=swiftbuf.testing, memoryview=view))
    compare(baseline("test_memoryview"), swapped)
