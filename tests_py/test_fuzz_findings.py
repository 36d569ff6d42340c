"""The fuzz target's regression inputs: every file atheris saved in fuzz/findings/ (inputs that
once made swiftbuf disagree with the builtin or crash), and the seed corpus (every format
CPython's test_buffer uses, for each action of the target), replayed through
fuzz/fuzz_memoryview.py's checks. A child process runs them, so a crash fails this test with
the input that caused it instead of ending the run."""
import os
import subprocess
import sys

from support import child_environment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = os.path.join(ROOT, "fuzz")
FINDINGS = os.path.join(FUZZ, "findings")


def replay():
    sys.path.insert(0, FUZZ)
    from fuzz_memoryview import test_one_input
    from make_corpus import seeds
    inputs = [(name, open(os.path.join(FINDINGS, name), "rb").read())
              for name in sorted(os.listdir(FINDINGS)) if name != "README.md"]
    inputs += list(seeds())
    for name, data in inputs:
        print(name, flush=True)
        test_one_input(data)
    print(f"replayed {len(inputs)}")


def test_findings_and_seeds_replay():
    proc = subprocess.run([sys.executable, "-X", "faulthandler", __file__], capture_output=True, text=True,
                          timeout=600, env=child_environment())
    last = proc.stdout.strip().splitlines()[-1:] or ["(none)"]
    assert proc.returncode == 0, f"input {last[0]} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
    assert last[0].startswith("replayed ")


if __name__ == "__main__":
    replay()
