# The extension module. Its public names are swiftbuf's (typed in __init__.pyi and testing.pyi);
# its one private function is the measuring loop of the benchmarks and swiftbuf.__main__'s demo.
from _typeshed import ReadableBuffer

from . import Buffer as Buffer, memoryview as memoryview, testing as testing

# Private.
def _export_release_loop(obj: ReadableBuffer, n: int, flags: int, /) -> None: ...
