"""The stubs (swiftbuf/*.pyi, shipped with py.typed) agree with the runtime objects
(mypy.stubtest, allowlisted entries each with a reason), and a typed program using the API
passes `mypy --strict` and then runs (tests_py/typing_usage.py)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


def run(args, cwd):
    env = dict(os.environ, MYPYPATH=str(ROOT))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_stubs_match_the_runtime(tmp_path):
    # `swiftbuf` covers its submodules (testing, _swiftbuf, __main__); naming swiftbuf.testing too
    # makes mypy 2 report a duplicate module. Run outside the tree, so the stubs come from MYPYPATH.
    result = run(["-m", "mypy.stubtest", "swiftbuf", "--allowlist", str(HERE / "stubtest_allowlist.txt"),
                  "--mypy-config-file", os.devnull], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_usage_passes_mypy_strict_and_runs(tmp_path):
    result = run(["-m", "mypy", "--strict", "--config-file", os.devnull, "--cache-dir", str(tmp_path / "cache"),
                  str(HERE / "typing_usage.py")], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    ran = run([str(HERE / "typing_usage.py")], cwd=tmp_path)
    assert ran.returncode == 0 and ran.stdout == "ok\n", ran.stdout + ran.stderr

