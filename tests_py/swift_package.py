"""Builds tests_py/swift_ext as a Swift developer's own package would be built: a copy in a
fresh folder, depending on this checkout by path, compiled by swiftbuf.build into an extension
module that is imported next to `import swiftbuf`. Used by the tests (a session fixture in
conftest.py) and by benchmarks/bench_swift_api.py."""
import importlib.util
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "swift_ext"
MODULE = "swiftbuf_testext"
CAPI_VERSION = int(re.search(r"#define SWIFTBUF_CAPI_VERSION (\d+)u",
                             (ROOT / "Sources/pyext/capi/include/swiftbuf_capi.h").read_text()).group(1))


def make_package(folder: Path) -> Path:
    """A copy of the template package in `folder`, its dependency pointing at this checkout."""
    package = folder / "SwiftbufTestExtension"
    shutil.rmtree(package, ignore_errors=True)   # a lane's folder is built again in place
    shutil.copytree(TEMPLATE, package, ignore=shutil.ignore_patterns(".build*"))
    manifest = package / "Package.swift"
    text = manifest.read_text()
    assert 'path: "../.."' in text
    manifest.write_text(text.replace('path: "../.."', f"path: {str(ROOT)!r}".replace("'", '"')))
    return package


def build(folder: Path, swift_flags=()) -> Path:
    """Builds the package in `folder` (made fresh there) and returns the module's directory.
    SWIFTBUF_TESTEXT_SCRATCH names a SwiftPM scratch folder to keep between runs (faster
    when iterating); by default the build starts from nothing, as a new user's does.
    `swift_flags` go to `swift build` (the ASan lane's sanitizer flags)."""
    import sysconfig
    # This checkout's build helper, loaded by path as setup.py loads it: importing the swiftbuf
    # package would import an extension, and the ASan lane builds this one before it has any
    # it can load.
    spec = importlib.util.spec_from_file_location("_swiftbuf_build", ROOT / "swiftbuf" / "build.py")
    helper = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helper)
    build_swift_extension = helper.build_swift_extension
    package = make_package(folder)
    out = folder / "lib"
    target = out / (MODULE + sysconfig.get_config_var("EXT_SUFFIX"))
    build_swift_extension(package, MODULE, MODULE, target, scratch_path=os.environ.get("SWIFTBUF_TESTEXT_SCRATCH"),
                          swift_flags=swift_flags)
    return out


def load(directory: Path):
    """Imports the built module from `directory`."""
    path = next(Path(directory).glob(MODULE + ".*so"))
    spec = importlib.util.spec_from_file_location(MODULE, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    spec.loader.exec_module(module)
    return module


DIRECTORY_VARIABLE = "SWIFTBUF_TESTEXT"


def built_module_directory() -> Path:
    """SWIFTBUF_TESTEXT (a directory holding a built module) or a fresh build in a temporary folder."""
    if os.environ.get(DIRECTORY_VARIABLE):
        return Path(os.environ[DIRECTORY_VARIABLE])
    return build(Path(tempfile.mkdtemp(prefix="swiftbuf-testext-")))


def module():
    """The test extension, loaded once per process from built_module_directory(): for code that
    runs outside a pytest fixture (child processes of the isolated suites, whose parent test
    asked for the `swift_testext_dir` fixture, which sets SWIFTBUF_TESTEXT for them)."""
    return sys.modules.get(MODULE) or load(built_module_directory())


if __name__ == "__main__":
    # python tests_py/swift_package.py FOLDER [SWIFT BUILD FLAGS...]: builds the module with the
    # running interpreter's headers into FOLDER and prints its directory, for SWIFTBUF_TESTEXT.
    # The lanes build it so before starting pytest (scripts/asan.sh, scripts/debug-python.sh).
    print(build(Path(sys.argv[1]).resolve(), sys.argv[2:]))
