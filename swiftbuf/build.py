"""Build Python extension modules written in Swift, with setuptools and SwiftPM.

A Python package whose extension is a Swift package names the package folder and its
dynamic-library product; nothing else::

    # setup.py
    from setuptools import setup
    from swiftbuf.build import SwiftExtension, build_ext

    setup(
        ext_modules=[SwiftExtension("mypkg._native", package_path="swift", product="MyNative")],
        cmdclass={"build_ext": build_ext},
    )

``build_ext`` runs ``swift build -c release --product MyNative`` against the headers of the
interpreter running the build, links the Swift runtime statically (the installed module needs no
Swift toolchain), exports ``PyInit__native`` alone, and copies ``libMyNative.so`` to the
extension's path (``mypkg/_native.cpython-311-x86_64-linux-gnu.so``). The library must not link
libpython: the interpreter provides those symbols when it imports the module.

``SWIFTBUF_CONFIGURATION=debug`` builds unoptimised, for a faster edit-build loop. ``SWIFT``
names the ``swift`` executable when it is not on ``PATH``.

This file imports nothing from swiftbuf itself, so a build can load it before swiftbuf's own
extension exists (swiftbuf's setup.py does).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Optional, Sequence

from setuptools import Extension
from setuptools.command.build_ext import build_ext as _setuptools_build_ext

__all__ = ["SwiftExtension", "build_ext", "build_swift_extension", "find_swift", "SwiftBuildError"]

#: The oldest toolchain that reads swiftbuf's Package.swift (swift-tools-version 6.1).
MINIMUM_SWIFT = (6, 1)


class SwiftBuildError(RuntimeError):
    """The Swift toolchain is missing or too old, or ``swift build`` failed."""


class SwiftExtension(Extension):
    """An extension module built from the dynamic-library ``product`` of the Swift package at
    ``package_path`` (relative to the directory of setup.py).

    ``configuration`` is ``"release"`` (the default, or ``SWIFTBUF_CONFIGURATION``) or
    ``"debug"``; ``swift_flags`` are passed to ``swift build`` after the helper's own.
    """

    def __init__(self, name: str, package_path: str = ".", product: Optional[str] = None,
                 configuration: Optional[str] = None, swift_flags: Sequence[str] = (),
                 scratch_path: Optional[str] = None):
        super().__init__(name, sources=[])
        self.package_path = package_path
        self.product = product or name.rpartition(".")[2]
        self.configuration = configuration
        self.swift_flags = list(swift_flags)
        self.scratch_path = scratch_path


class build_ext(_setuptools_build_ext):
    """setuptools' ``build_ext``, which also builds every ``SwiftExtension``."""

    def build_extension(self, ext):
        if not isinstance(ext, SwiftExtension):
            return super().build_extension(ext)
        target = Path(self.get_ext_fullpath(ext.name))
        package = Path(ext.package_path)
        if not package.is_absolute():
            package = Path.cwd() / package
        build_swift_extension(package, ext.product, ext.name, target,
                              configuration=ext.configuration, swift_flags=ext.swift_flags,
                              scratch_path=ext.scratch_path)


def find_swift() -> str:
    """The ``swift`` executable (``SWIFT``, else ``PATH``), checked to be new enough."""
    swift = os.environ.get("SWIFT") or shutil.which("swift")
    if not swift:
        raise SwiftBuildError(
            "building a Swift extension module needs the Swift toolchain (Swift "
            f"{MINIMUM_SWIFT[0]}.{MINIMUM_SWIFT[1]} or later), and no `swift` is on PATH: install a "
            "toolchain and put its usr/bin on PATH, or set SWIFT to the swift executable")
    try:
        out = subprocess.run([swift, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SwiftBuildError(f"`{swift} --version` failed ({e}): is {swift} a Swift toolchain?") from e
    match = re.search(r"Swift version (\d+)\.(\d+)", out)
    if not match:
        raise SwiftBuildError(f"cannot read the Swift version from `{swift} --version`: {out.strip()!r}")
    version = (int(match.group(1)), int(match.group(2)))
    if version < MINIMUM_SWIFT:
        raise SwiftBuildError(
            f"{swift} is Swift {version[0]}.{version[1]}; swiftbuf needs Swift "
            f"{MINIMUM_SWIFT[0]}.{MINIMUM_SWIFT[1]} or later")
    return swift


def python_include() -> str:
    """The include directory of the running interpreter, which must hold Python.h."""
    include = sysconfig.get_paths()["include"]
    if not Path(include, "Python.h").exists():
        raise SwiftBuildError(
            f"Python.h is not in {include}: install this interpreter's development headers "
            f"(for Debian's python3: apt-get install python3-dev) for {sys.executable}")
    return include


def swift_build_command(swift: str, package_path: Path, product: str, configuration: str,
                        soname: str, version_script: Path, scratch_path: Optional[Path] = None,
                        swift_flags: Sequence[str] = ()) -> list:
    """The ``swift build`` command line for one extension module."""
    include = python_include()
    command = [swift, "build", "-c", configuration, "--package-path", str(package_path),
               "--product", product,
               "-Xcc", f"-I{include}",
               # No build paths in the binary (__FILE__ in the asserts of Python.h's inline
               # functions; Swift's own paths are only in the DWARF, which is stripped).
               "-Xcc", f"-ffile-prefix-map={package_path}=.", "-Xcc", f"-ffile-prefix-map={include}=python",
               # The module carries the Swift runtime: an installed module needs no toolchain,
               # and each Swift extension in a process has a runtime of its own.
               "-Xswiftc", "-static-stdlib",
               # Only PyInit_<module> is exported: the runtime and everything else stay private,
               # so two Swift modules in one process never bind each other's symbols.
               "-Xlinker", f"--version-script={version_script}",
               # Named after the module file, so the linker records no build path as its name.
               "-Xlinker", f"-soname={soname}",
               # SwiftPM keeps frame pointers on Linux (-fno-omit-frame-pointer); CPython 3.11 and
               # the extensions it builds omit them. Each call kept 3 instructions of frame set-up
               # in every function and @_cdecl thunk: the memoryview table (callgrind, 230 forms)
               # went from 79 forms above 1.05x the builtin to 52, geometric mean 0.801 -> 0.787.
               "--omit-frame-pointers"]
    if scratch_path is not None:
        command += ["--scratch-path", str(scratch_path)]
    return command + list(swift_flags)


def build_swift_extension(package_path, product: str, module_name: str, target,
                          configuration: Optional[str] = None, swift_flags: Sequence[str] = (),
                          scratch_path=None) -> Path:
    """Builds ``product`` of the Swift package at ``package_path`` and copies it to ``target``,
    the extension module's file for the dotted ``module_name``. Returns ``target``."""
    configuration = configuration or os.environ.get("SWIFTBUF_CONFIGURATION", "release")
    if configuration not in ("release", "debug"):
        raise SwiftBuildError(f"configuration must be 'release' or 'debug', not {configuration!r}")
    package_path = Path(package_path).resolve()
    if not (package_path / "Package.swift").exists():
        raise SwiftBuildError(f"no Package.swift in {package_path}: package_path must name a Swift package")
    swift = find_swift()
    target = Path(target)
    short_name = module_name.rpartition(".")[2]
    scratch = Path(scratch_path).resolve() if scratch_path else package_path / ".build"
    # A stable path: SwiftPM relinks (and recompiles) when a command line changes.
    version_script = scratch / f"exports-{short_name}.map"
    version_script.parent.mkdir(parents=True, exist_ok=True)
    version_script.write_text(f"{{ global: PyInit_{short_name}; local: *; }};\n")
    command = swift_build_command(swift, package_path, product, configuration, target.name, version_script,
                                  scratch, swift_flags)
    result = subprocess.run(command)
    if result.returncode != 0:
        raise SwiftBuildError(f"swift build failed (exit {result.returncode}): {' '.join(command)}")
    built = scratch / configuration / f"lib{product}.so"
    if not built.exists():
        raise SwiftBuildError(
            f"swift build made no {built.name}: {product!r} must be a dynamic library product "
            f"(.library(name: \"{product}\", type: .dynamic, targets: [...])) of {package_path}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_target = target.with_name(target.name + ".tmp")
    shutil.copyfile(built, tmp_target)
    # The installed module needs no DWARF (a third of its size); valgrind also rejects the
    # Swift debug info.
    if shutil.which("strip"):
        subprocess.run(["strip", "--strip-debug", str(tmp_target)], check=True)
    # A rename, so a process that has the old module loaded keeps its mapping intact.
    os.replace(tmp_target, target)
    return target
