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
    # The prefix maps keep build paths out of the binary (__FILE__ in the asserts of Python.h's
    # inline functions; Swift's own paths are only in the DWARF, which is stripped, and swiftc's
    # -file-prefix-map breaks `swift test`'s index store). scripts/test.sh passes the same flags.
    return ["swift", "build", "-c", configuration, "--package-path", str(ROOT),
            "-Xcc", f"-I{include}", "-Xcc", f"-ffile-prefix-map={ROOT}=.", "-Xcc", f"-ffile-prefix-map={include}=python",
            *extra]


class SwiftPMBuild(build_ext):
    def build_extension(self, ext):
        configuration = os.environ.get("SWIFTBUF_CONFIGURATION", "release")
        # Export PyInit__swiftbuf alone (-static-stdlib links with -export-dynamic), and name the
        # library so that the linker does not record its build path as the version-definition name.
        exports = ROOT / ".build" / "swiftbuf-exports.map"
        exports.parent.mkdir(exist_ok=True)
        exports.write_text("{ global: PyInit__swiftbuf; local: *; };\n")
        link = ["-Xlinker", f"--version-script={exports}", "-Xlinker", f"-soname={Path(self.get_ext_filename(ext.name)).name}"]
        subprocess.run(swift_build_command(configuration, "--product", "_swiftbuf", "-Xswiftc", "-static-stdlib", *link), check=True)
        built = ROOT / ".build" / configuration / "lib_swiftbuf.so"
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        # Replaced by a rename, never rewritten in place: a process that has the old module
        # loaded (a test that reinstalls, an open REPL) keeps its mapping intact.
        staged = target.with_name(target.name + ".tmp")
        shutil.copyfile(built, staged)
        # The installed module needs no DWARF (a third of its size); valgrind also rejects
        # the Swift debug info, and we run the test suite under it.
        if shutil.which("strip"):
            subprocess.run(["strip", "--strip-debug", str(staged)], check=True)
        os.replace(staged, target)


if __name__ == "__main__":
    setup(ext_modules=[Extension("swiftbuf._swiftbuf", sources=[])], cmdclass={"build_ext": SwiftPMBuild})
