"""CPython 3.11's own memoryview suites with the module-level name ``memoryview`` bound to
``swiftbuf.MemoryView``, one pytest test per unittest test.

``test.test_memoryview`` (installed with the interpreter) is loaded twice: once as it is
(the baseline, CPython's builtin) and once with ``memoryview`` rebound. Each test runs in both,
and every test that passes with the builtin must pass with swiftbuf's; a test the builtin
skips is skipped with its reason. ``test.test_buffer`` is run the same way (with CPython's own
``_testbuffer``), since most of memoryview's behaviour on N-d, strided, PIL-style and 0-d
exporters is tested there.

Tests that cannot apply in principle: none in test_memoryview. In test_buffer,
``test_py_buffer_to_contiguous`` fails with the builtin too (it calls
``numpy.ndarray.tostring``, which NumPy 2 removed), so it is reported as skipped here.
"""
import importlib.util
import random
import unittest

import pytest

import swiftbuf
from support import unittest_cases


def load(name, view):
    """A fresh copy of ``test.<name>`` whose global ``memoryview`` is ``view``."""
    origin = importlib.util.find_spec(f"test.{name}").origin
    spec = importlib.util.spec_from_file_location(f"swiftbuf_mv_{name}_{view.__module__}", origin)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.memoryview = view
    return module


def cases(module):
    return {t.id().split(".", 1)[1]: t for t in unittest_cases(unittest.defaultTestLoader.loadTestsFromModule(module))}


SUITES = {name: (cases(load(name, memoryview)), cases(load(name, swiftbuf.MemoryView)))
          for name in ("test_memoryview", "test_buffer")}


def outcome(test):
    """'pass', 'skip: reason', or the failure's traceback."""
    random.seed(3118)   # test_buffer draws random layouts: the same ones for both runs
    result = unittest.TestResult()
    test.run(result)
    if result.skipped:
        return "skip: " + result.skipped[0][1]
    problems = result.errors + result.failures
    if problems:
        return problems[0][1]
    return "pass"


@pytest.mark.parametrize("suite,name", [(suite, name) for suite, (tests, _) in SUITES.items() for name in tests])
def test_cpython_suite_with_swiftbuf_memoryview(suite, name):
    builtin_tests, swift_tests = SUITES[suite]
    expected = outcome(builtin_tests[name])
    if expected != "pass":
        pytest.skip(f"with the builtin memoryview: {expected.splitlines()[-1] if expected else expected}")
    assert outcome(swift_tests[name]) == "pass"


def test_suites_were_loaded():
    assert len(SUITES["test_memoryview"][0]) > 100
    assert len(SUITES["test_buffer"][0]) > 60
