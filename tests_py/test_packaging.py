"""What a user meets before the first import: the sdist, the version, the built module's
exported symbols and embedded paths, and the README's first command in a brand-new venv."""
import email.parser
import os
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest

import swiftbuf

ROOT = Path(__file__).resolve().parent.parent
# What setup.py builds for this source tree (SWIFTBUF_EXTENSION may point elsewhere).
MODULE = ROOT / "swiftbuf" / ("_swiftbuf" + sysconfig.get_config_var("EXT_SUFFIX"))


def build_backend(hook, out):
    """Runs a setuptools PEP 517 hook on this tree, into `out`; returns the name it made."""
    code = f"from setuptools import build_meta; print(build_meta.{hook}({str(out)!r}))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.split()[-1]


@pytest.fixture(scope="module")
def sdist(tmp_path_factory):
    """The member names of the sdist setuptools makes of this tree, without the top folder."""
    out = tmp_path_factory.mktemp("sdist")
    name = build_backend("build_sdist", out)
    top = name.removesuffix(".tar.gz")
    with tarfile.open(out / name) as tar:
        return {m.name.removeprefix(top + "/") for m in tar.getmembers() if m.isfile()}


@pytest.fixture(scope="module")
def metadata(tmp_path_factory):
    """The core metadata a wheel of this tree carries (what an index shows)."""
    out = tmp_path_factory.mktemp("metadata")
    name = build_backend("prepare_metadata_for_build_wheel", out)
    return email.parser.Parser().parsestr((out / name / "METADATA").read_text())


def source_files(folder):
    """The files a build reads from `folder`, build products left out."""
    for path in (ROOT / folder).rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".so", ".pyc", ".tmp"}:
            yield str(path.relative_to(ROOT))


def test_sdist_holds_everything_a_build_needs(sdist):
    members = sdist
    needed = {"Package.swift", "setup.py", "pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"}
    # Package.swift declares the Swift test target: SwiftPM refuses to load a package without it.
    for folder in ("Sources", "Tests", "swiftbuf"):
        needed.update(source_files(folder))
    assert needed - members == set()
    assert {"swiftbuf/py.typed", "swiftbuf/__init__.pyi", "swiftbuf/testing.pyi"} <= members
    assert [m for m in members if m.endswith(".so") or m.startswith(".build/")] == []


def test_metadata(metadata):
    info = metadata
    assert info["Name"] == "swiftbuf"
    assert info["Version"] == swiftbuf.__version__
    assert info["License"] == "MIT"
    classifiers = info.get_all("Classifier")
    assert "License :: OSI Approved :: MIT License" in classifiers and "Typing :: Typed" in classifiers
    assert info["Requires-Python"] == ">=3.11"
    assert set(info.get_all("Provides-Extra")) == {"numpy", "test"}
    requires = info.get_all("Requires-Dist")
    assert 'numpy; extra == "numpy"' in requires
    assert {r.split(";")[0] for r in requires if r.endswith('extra == "test"')} == {"pytest", "numpy", "hypothesis", "mypy", "types-setuptools"}


def test_module_exports_pyinit_alone():
    # `nm -D` also lists the local entries the linker keeps for its own relocations (lower case);
    # only global ones (upper case) can be bound by anything outside the module.
    listing = subprocess.run(["nm", "-D", "--defined-only", str(MODULE)], check=True, capture_output=True,
                             text=True).stdout
    exported = [line.split()[-1] for line in listing.splitlines() if line.split()[-2].isupper()]
    assert exported == ["PyInit__swiftbuf"]


def test_no_build_paths_in_module():
    data = MODULE.read_bytes()
    for path in (str(ROOT), sysconfig.get_paths()["include"]):
        assert path.encode() not in data


def readme_first_command():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```sh\n", 1)[1]
    return block.splitlines()[0].split("#")[0].strip()


def test_readme_first_command_in_a_brand_new_venv(tmp_path):
    """`python3 -m pip install -e . && python3 -m swiftbuf` in a venv made without system
    site-packages, nothing installed: pip builds in isolation (it fetches setuptools); the swift
    build reuses this tree's SwiftPM folder, so it is incremental."""
    command = readme_first_command()
    assert command == "python3 -m pip install -e . && python3 -m swiftbuf"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "SWIFTBUF_EXTENSION"}}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv))
    run = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    # The venv has no NumPy: the demo says so and still runs its export benchmark.
    assert "NumPy is not installed" in run.stdout
    assert "Export + release cost" in run.stdout and "swiftbuf.Buffer" in run.stdout
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import swiftbuf; print(swiftbuf.__file__)"],
                           cwd="/", env=env, check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where) == ROOT / "swiftbuf" / "__init__.py"
