"""Builds swiftbuf's extension module with SwiftPM, through swiftbuf's own setuptools helper
(swiftbuf/build.py: the same one a Swift developer's package uses).

`swift build` compiles the C shim and the Swift core into one shared library, against the
headers of the interpreter running this script; the library does not link libpython (the
interpreter provides those symbols at import) and carries the Swift runtime statically, so an
installed swiftbuf needs no Swift toolchain.

SWIFTBUF_CONFIGURATION=debug builds unoptimised, for a faster edit-build loop.
"""
import importlib.util
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent

# swiftbuf/build.py is loaded by path: importing the package would import the extension this
# build is about to make.
_spec = importlib.util.spec_from_file_location("_swiftbuf_build", ROOT / "swiftbuf" / "build.py")
swiftbuf_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(swiftbuf_build)

if __name__ == "__main__":
    setup(ext_modules=[swiftbuf_build.SwiftExtension("swiftbuf._swiftbuf", package_path=str(ROOT), product="_swiftbuf")],
          cmdclass={"build_ext": swiftbuf_build.build_ext})
