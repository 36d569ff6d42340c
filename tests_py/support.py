"""What the test files share: outcomes to compare, views described, and child processes.

- `outcome(fn)`: ["ok", value] or ["error", exception type name, message], the one shape every
  comparison in the suite uses; `normalise` makes a value comparable (and JSON-safe) as
  strictly as the tests need; `describe_view` is what a view is, attribute by attribute.
- `run_isolated(script, mode, ids)`: cases run in child processes, so that a crash (a Swift
  trap, a segfault, an abort in CPython's own code under Py_DEBUG) ends only the case that
  caused it; the child side is `serve(run_case)`. A child runs a test file as a script; it
  prints one JSON line when each case starts and one with its result, so the parent knows
  which case a dead child was running and goes on with the rest in a fresh child.
- `run_forked(fn)`: one call in a forked copy of this process, for the same reason, where a
  sweep makes too many such calls to start an interpreter for each.
- `run_python(code)`: one snippet in a new interpreter that imports the same swiftbuf.
- `settle()`, `traced_growth(run)`, `traced_growth_per_round(rounds)`, `unittest_cases(suite)`: what the leak and CPython-suite tests share.

Not a test file: the tests of the harness itself are in test_adversarial_harness.py.
"""
import faulthandler
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import unittest
import zlib

# MARK: - Outcomes

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
    """["ok", describe(value)] or ["error", exception type name, message without addresses].
    `describe=None` keeps the value itself (for tests that look into it: an ndarray's facts)."""
    try:
        value = fn()
    except Exception as e:  # noqa: BLE001 - the exception is the result being compared
        return ["error", type(e).__name__, ADDRESS.sub("0x?", str(e))]
    return ["ok", value if describe is None else describe(value)]


def crashed(result):
    """The result `run_isolated` gives a case whose child died."""
    return isinstance(result, list) and result[:1] == ["crash"]


VIEW_ATTRIBUTES = ("format", "itemsize", "ndim", "shape", "strides", "suboffsets", "readonly", "nbytes",
                   "c_contiguous", "f_contiguous", "contiguous")


def describe_view(v):
    """What a view is: every attribute, its items and bytes (or the error each raises)."""
    return [outcome(lambda: [getattr(v, a) for a in VIEW_ATTRIBUTES]), outcome(v.tolist), outcome(v.tobytes)]


def settle():
    """Collects garbage and empties CPython's attribute cache, as CPython's own leak hunt
    (regrtest -R, `dash_R_cleanup`) does between repetitions, so a leak measurement ends with
    only what the code under test keeps. The cache (`_PyType_Lookup`: 4096 entries, the slot
    chosen by the type's version tag and the name's address) holds a reference to the name str
    of every entry, and callers that look a name up through a new str each time leave up to one
    dead str per slot: CPython's `pickle.loads` does (it splits "Buffer._frompickle" into new
    strs to find the class). With pymalloc a new str mostly reuses a just-freed address, so few
    slots fill; under ASan, whose quarantine never hands an address back, each one takes a new
    slot until all are used (~2000 strs of ~60 bytes for pickle.loads(pickle.dumps(b, 4)),
    measured, gone after the cache is cleared), which a measurement reads as growth."""
    import gc
    gc.collect()
    sys._clear_type_cache()


def traced_growth(run):
    """Bytes the interpreter's allocations (all of them, as tracemalloc traces them) grew by
    over `run()`, collected garbage and the attribute cache's dead names not included (`settle`)."""
    import tracemalloc
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run()
        settle()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def traced_growth_per_round(rounds, few=500, many=2500):
    """Bytes per round that the traced allocations grow by: the growth over `many` rounds less
    the growth over `few`, over the difference. A one-off cost (caches filling, tracemalloc's
    own bookkeeping: a constant 8-25 KB whatever the number of rounds, measured) cancels out,
    and a round that leaks even one 16-byte block shows as 16."""
    small = traced_growth(lambda: rounds(few))
    large = traced_growth(lambda: rounds(many))
    return (large - small) / (many - few)


def unittest_cases(suite):
    """The test cases of a unittest suite, nested suites flattened."""
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from unittest_cases(t)
        else:
            yield t


# MARK: - The child

def serve(run_case):
    """The child's main loop: `argv` is the mode then case ids (or "-": ids on stdin);
    `run_case(mode, id)` returns a result for each."""
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
    (SWIFTBUF_EXTENSION, if set, is inherited, and so are a sanitizer's LD_PRELOAD and options)."""
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


def run_forked(fn, timeout=120):
    """normalise(fn()) computed in a forked copy of this process, for a call that may crash it
    (a CPython reference that asserts under Py_DEBUG): the result, or ["crash", how, the end of
    the copy's stderr]. A fork costs milliseconds where a new interpreter costs a second, so
    sweeps can isolate every such call."""
    import tempfile
    import traceback
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:    # the copy: never returns into the test
            code = 0
            try:
                os.dup2(err.fileno(), 2)
                faulthandler.enable(err)    # pytest's handler writes to a copy of the old stderr
                signal.alarm(timeout)
                out.write(json.dumps(normalise(fn())).encode())
                out.flush()
            except BaseException:  # noqa: BLE001 - reported to the parent as the copy's failure
                err.write(traceback.format_exc().encode())
                err.flush()
                code = 70
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        if code == 0:
            return json.loads(out.read())
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
        # Its first lines say why (an assertion's message), its last where (the traceback).
        return ["crash", how, stderr if len(stderr) < 3000 else stderr[:1500] + "\n...\n" + stderr[-1500:]]


def run_python(code, *args, timeout=60, env=None):
    """Runs `code` (dedented) in a new interpreter like this one, with the same swiftbuf: the
    finished process (stdout and stderr as text)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(child_environment(), **(env or {})))
