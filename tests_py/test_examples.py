"""The Examples/ packages, built and run as their READMEs say, the way a Swift developer would:
a Python package whose extension module is Swift (installed with pip through
swiftbuf.build's SwiftExtension, then its own tests run), and a Swift executable that embeds
CPython and shares memory with NumPy."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "Examples"


def test_python_package_with_a_swift_extension(tmp_path):
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "-q",
         "--target", str(target), str(EXAMPLES / "python-extension")],
        capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout + install.stderr
    assert list((target / "swiftmatrix").glob("_native*.so"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), str(ROOT)]))
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(EXAMPLES / "python-extension" / "tests")],
                           capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout


def test_embedding_app(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, SCRATCH=str(tmp_path / "scratch"))
    run = subprocess.run(["bash", str(EXAMPLES / "embed" / "run.sh")], capture_output=True, text=True,
                         timeout=900, env=env)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    assert run.stdout.splitlines() == [
        "shares memory: true; swift sees numpy's writes: true; gram matrix from numpy: true",
        "gram[2, 2] = 1464.0",
        "ok",
    ]
    before = subprocess.run([str(tmp_path / "scratch" / "release" / "EmbedNumPy"), "--before-init"],
                            capture_output=True, text=True, timeout=60)
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip() == ("before init: RuntimeError: swiftbuf: CPython is not initialised "
                                     "(call PythonInterpreter.startEmbedded() or Py_Initialize first)")
