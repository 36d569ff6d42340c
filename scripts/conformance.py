"""Prints the conformance table of the README: CPython 3.11's own buffer suites run with
CPython's modules and with swiftbuf's swapped in (the same harness as
tests_py/test_cpython_buffer.py, which asserts the pass sets are equal)."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests_py"))
import swiftbuf  # noqa: E402
import swiftbuf.testing  # noqa: E402
import test_cpython_buffer as harness  # noqa: E402

MODES = [
    ("test_buffer", "CPython's `_testbuffer` and `memoryview`", {}),
    ("test_buffer", "`_testbuffer` → `swiftbuf.testing`", {"testbuffer": swiftbuf.testing}),
    ("test_buffer", "`_testbuffer` → `swiftbuf.testing`, `memoryview` → `swiftbuf.MemoryView`",
     {"testbuffer": swiftbuf.testing, "memoryview": swiftbuf.MemoryView}),
    ("test_memoryview", "CPython's `memoryview`", {}),
    ("test_memoryview", "`memoryview` → `swiftbuf.MemoryView`", {"memoryview": swiftbuf.MemoryView}),
    ("test_memoryview", "`_testbuffer` → `swiftbuf.testing`, `memoryview` → `swiftbuf.MemoryView`",
     {"testbuffer": swiftbuf.testing, "memoryview": swiftbuf.MemoryView}),
]

print("| suite | mode | passed | failed | skipped | total |")
print("|---|---|---|---|---|---|")
for suite, mode, swaps in MODES:
    outcomes = harness.run_suite(harness.load_suite(suite, **swaps))
    kinds = [kind for kind, _ in outcomes.values()]
    failed = kinds.count("fail") + kinds.count("error")
    print(f"| `{suite}` | {mode} | {kinds.count('pass')} | {failed} | {kinds.count('skip')} | {len(kinds)} |")
