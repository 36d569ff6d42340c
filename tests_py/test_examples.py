"""The Examples/ packages, built and run as their READMEs say, the way a Swift developer would:
a Python package whose extension module is Swift (installed with pip through
swiftbuf.build's SwiftExtension, then its own tests run), and a Swift executable that embeds
CPython and shares memory with NumPy.

In every lane (tests_py/lane.py): under the debug interpreter both are built against its
headers and the embedding example links its libpython3.11d; under ASan they are built with the
sanitizer's runtime taken out of the environment (swift build is not meant to run with it
preloaded) and then run with it, so the ASan-built swiftbuf they import is checked there."""
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import numpy
import swiftbuf
from lane import ASAN, PY_DEBUG

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "Examples"
# What scripts/asan.sh sets for the process and must not reach a build under it.
SANITIZER_ONLY = ("LD_PRELOAD", "SWIFTBUF_EXTENSION")


def builder_environment(**extra):
    """The environment for a build: this one, less the sanitizer's preloaded runtime (and the
    ASan-built extension, which cannot load without it) under ASan."""
    env = dict(os.environ, **extra)
    if ASAN:
        for name in SANITIZER_ONLY:
            env.pop(name, None)
    return env


def test_python_package_with_a_swift_extension(tmp_path):
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "-q",
         "--target", str(target), str(EXAMPLES / "python-extension")],
        capture_output=True, text=True, timeout=900, env=builder_environment())
    assert install.returncode == 0, install.stdout + install.stderr
    assert list((target / "swiftmatrix").glob("_native*.so"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), str(ROOT)]))
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(EXAMPLES / "python-extension" / "tests")],
                           capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout


EMBED_OUTPUT = [
    "shares memory: true; swift sees numpy's writes: true; gram matrix from numpy: true",
    "gram[2, 2] = 1464.0",
    "ok",
]


def test_embedding_app(tmp_path):
    env = builder_environment(PYTHON=sys.executable, SCRATCH=str(tmp_path / "scratch"))
    run = subprocess.run(["bash", str(EXAMPLES / "embed" / "run.sh")], capture_output=True, text=True,
                         timeout=900, env=env)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    assert run.stdout.splitlines() == EMBED_OUTPUT
    program = tmp_path / "scratch" / "release" / "EmbedNumPy"
    needed = subprocess.run(["readelf", "-d", str(program)], capture_output=True, text=True, check=True).stdout
    # The libpython of the interpreter that runs the suite: libpython3.11d under Py_DEBUG.
    assert f"[libpython{sysconfig.get_config_var('LDVERSION')}.so" in needed, needed
    assert ("libpython3.11d.so" in needed) == PY_DEBUG
    if ASAN:
        # Again with the runtime preloaded and the ASan-built swiftbuf imported, the packages
        # on the path as run.sh gives them.
        paths = [str(Path(m.__file__).parent.parent) for m in (swiftbuf, numpy)] + [p for p in sys.path[1:] if p]
        sanitized = subprocess.run([str(program)], capture_output=True, text=True, timeout=300,
                                   env=dict(os.environ, PYTHONPATH=os.pathsep.join(paths)))
        assert sanitized.returncode == 0, sanitized.stdout + sanitized.stderr[-4000:]
        assert sanitized.stdout.splitlines() == EMBED_OUTPUT
    before = subprocess.run([str(program), "--before-init"], capture_output=True, text=True, timeout=60)
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip() == ("before init: RuntimeError: swiftbuf: CPython is not initialised "
                                     "(call PythonInterpreter.startEmbedded() or Py_Initialize first)")
