"""The child-process harness of the adversarial tests, and its own tests.

Adversarial cases may crash the interpreter (a segfault, a Swift trap, an abort), so they run
in child processes: a crash then fails the one case that caused it, and the remaining cases
run in a fresh child. A child runs a test file as a script; the file calls `serve(cases)`, which
runs the case ids named on its command line and prints one JSON line when each case starts
and one with its result, so the parent knows which case a dead child was running.
"""
import json
import os
import re
import signal
import subprocess
import sys
import zlib

import pytest

from lane import ASAN

# MARK: - Results

ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
# Tagged values: normalise's own, and the descriptions the test files give of objects.
TAGS = {"bytes", "float", "bool", "dict", "repr", "view", "ndarray", "staticarray", "Buffer"}


def normalise(value):
    """A JSON value that compares as strictly as the test needs: tuples are lists, bytes a tagged
    latin-1 string, floats and bools tagged (so 1.0, True and 1 differ, NaN equals NaN, -0.0
    differs from 0.0), anything else its repr without addresses."""
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        if len(value) > 65536:
            return {"bytes": f"{len(value)} bytes, crc32 {zlib.crc32(value)}"}
        return {"bytes": bytes(value).decode("latin-1")}
    if isinstance(value, bool):
        return {"bool": value}          # JSON would let True equal 1
    if isinstance(value, float):
        return {"float": repr(value)}   # and 1.0 equal 1, -0.0 equal 0.0, NaN differ from NaN
    if isinstance(value, str):
        return ADDRESS.sub("0x?", value)
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in TAGS:
        tag, inner = next(iter(value.items()))
        if tag in ("bytes", "float", "bool") and isinstance(inner, (str, bool)):
            return value   # already normalised
        return {tag: normalise(inner)}
    if isinstance(value, dict):
        return {"dict": sorted([normalise(k), normalise(v)] for k, v in value.items())}
    return {"repr": ADDRESS.sub("0x?", repr(value))}


def outcome(fn, describe=normalise):
    """["ok", value] or ["error", exception type name, message without addresses]."""
    try:
        value = fn()
    except Exception as e:  # noqa: BLE001 - the exception is the result being compared
        return ["error", type(e).__name__, ADDRESS.sub("0x?", str(e))]
    return ["ok", describe(value)]


def crashed(result):
    return isinstance(result, list) and result[:1] == ["crash"]


# MARK: - The child

def serve(run_case):
    """The child's main loop: `argv` is the mode then case ids; `run_case(mode, id)` returns a
    result for each."""
    mode, ids = sys.argv[1], sys.argv[2:]
    if ids == ["-"]:
        ids = sys.stdin.read().split()
    out = sys.stdout
    for case in ids:
        out.write(json.dumps({"start": case}) + "\n")
        out.flush()
        result = normalise(run_case(mode, case))
        out.write(json.dumps({"id": case, "result": result}) + "\n")
        out.flush()


# MARK: - The parent

def child_environment():
    """The parent's environment, with the swiftbuf package the parent imported first on the path
    (SWIFTBUF_EXTENSION, if set, is inherited)."""
    import swiftbuf
    root = os.path.dirname(os.path.dirname(os.path.abspath(swiftbuf.__file__)))
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, PYTHONHASHSEED="0")


def run_isolated(script, mode, ids, timeout=300, extra_env=None):
    """Runs the cases `ids` of `script` in `mode`, in as few children as crashes allow:
    {id: result}, where a crash is ["crash", how, the end of stderr]."""
    results, pending = {}, list(ids)
    env = dict(child_environment(), **(extra_env or {}))
    while pending:
        proc = subprocess.run([sys.executable, "-X", "faulthandler", script, mode, "-"],
                              input=" ".join(pending), capture_output=True, text=True, timeout=timeout, env=env)
        started = None
        for line in proc.stdout.splitlines():
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            if "start" in record:
                started = record["start"]
            else:
                results[record["id"]] = record["result"]
                started = None
        if proc.returncode == 0:
            break
        if started is None:
            raise RuntimeError(f"the child failed outside any case (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        how = f"signal {signal.Signals(-proc.returncode).name}" if proc.returncode < 0 else f"exit {proc.returncode}"
        results[started] = ["crash", how, proc.stderr[-1500:]]
        pending = pending[pending.index(started) + 1:]
    missing = set(ids) - set(results)
    assert not missing, f"cases without a result: {sorted(missing)[:10]}"
    return results


# MARK: - The harness's own tests (this file is also a child script)

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
