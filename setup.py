"""Builds swiftbuf's extension module with SwiftPM.

`swift build` compiles the C shim and the Swift core into one shared library, against the
headers of the interpreter running this script; the library does not link libpython (the
interpreter provides those symbols at import) and carries the Swift runtime statically, so an
installed swiftbuf needs no Swift toolchain.

SWIFTBUF_CONFIGURATION=debug builds unoptimised, for a faster edit-build loop.
"""
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def swift_build_command(configuration: str, *extra: str) -> list:
    include = sysconfig.get_paths()["include"]
    return ["swift", "build", "-c", configuration, "--package-path", str(ROOT),
            "-Xcc", f"-I{include}", *extra]


class SwiftPMBuild(build_ext):
    def build_extension(self, ext):
        configuration = os.environ.get("SWIFTBUF_CONFIGURATION", "release")
        subprocess.run(swift_build_command(configuration, "--product", "_swiftbuf", "-Xswiftc", "-static-stdlib"), check=True)
        built = ROOT / ".build" / configuration / "lib_swiftbuf.so"
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)
        # The installed module needs no DWARF (a third of its size); valgrind also rejects
        # the Swift debug info, and we run the test suite under it.
        if shutil.which("strip"):
            subprocess.run(["strip", "--strip-debug", str(target)], check=True)


if __name__ == "__main__":
    setup(ext_modules=[Extension("swiftbuf._swiftbuf", sources=[])], cmdclass={"build_ext": SwiftPMBuild})
