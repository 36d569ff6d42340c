# Types of swiftbuf.testing, CPython's _testbuffer with Swift behind it: the same names,
# arguments and results as _testbuffer's.
from collections.abc import Sequence
from typing import Any, Final, Literal, SupportsIndex, final

from _typeshed import ReadableBuffer


__all__ = [
    "ND_FORTRAN",
    "ND_GETBUF_FAIL",
    "ND_GETBUF_UNDEFINED",
    "ND_MAX_NDIM",
    "ND_PIL",
    "ND_REDIRECT",
    "ND_SCALAR",
    "ND_VAREXPORT",
    "ND_WRITABLE",
    "PyBUF_ANY_CONTIGUOUS",
    "PyBUF_CONTIG",
    "PyBUF_CONTIG_RO",
    "PyBUF_C_CONTIGUOUS",
    "PyBUF_FORMAT",
    "PyBUF_FULL",
    "PyBUF_FULL_RO",
    "PyBUF_F_CONTIGUOUS",
    "PyBUF_INDIRECT",
    "PyBUF_ND",
    "PyBUF_READ",
    "PyBUF_RECORDS",
    "PyBUF_RECORDS_RO",
    "PyBUF_SIMPLE",
    "PyBUF_STRIDED",
    "PyBUF_STRIDED_RO",
    "PyBUF_STRIDES",
    "PyBUF_WRITABLE",
    "PyBUF_WRITE",
    "cmp_contig",
    "get_contiguous",
    "get_pointer",
    "get_sizeof_void_p",
    "is_contiguous",
    "ndarray",
    "py_buffer_to_contiguous",
    "slice_indices",
    "staticarray",
]

ND_FORTRAN: Final = 4
ND_GETBUF_FAIL: Final = 64
ND_GETBUF_UNDEFINED: Final = 128
ND_MAX_NDIM: Final = 128
ND_PIL: Final = 16
ND_REDIRECT: Final = 32
ND_SCALAR: Final = 8
ND_VAREXPORT: Final = 1
ND_WRITABLE: Final = 2
PyBUF_ANY_CONTIGUOUS: Final = 152
PyBUF_CONTIG: Final = 9
PyBUF_CONTIG_RO: Final = 8
PyBUF_C_CONTIGUOUS: Final = 56
PyBUF_FORMAT: Final = 4
PyBUF_FULL: Final = 285
PyBUF_FULL_RO: Final = 284
PyBUF_F_CONTIGUOUS: Final = 88
PyBUF_INDIRECT: Final = 280
PyBUF_ND: Final = 8
PyBUF_READ: Final = 256
PyBUF_RECORDS: Final = 29
PyBUF_RECORDS_RO: Final = 28
PyBUF_SIMPLE: Final = 0
PyBUF_STRIDED: Final = 25
PyBUF_STRIDED_RO: Final = 24
PyBUF_STRIDES: Final = 24
PyBUF_WRITABLE: Final = 1
PyBUF_WRITE: Final = 512

_Order = Literal["C", "F", "A"]

@final
class ndarray:
    """Any layout the buffer protocol allows, over a list of items or over another exporter."""

    def __init__(
        self,
        obj: Any,
        shape: Sequence[SupportsIndex] | None = None,
        strides: Sequence[SupportsIndex] | None = None,
        offset: SupportsIndex = 0,
        format: str = "B",
        flags: int = 0,
        getbuf: int = ...,
    ) -> None: ...
    @property
    def flags(self) -> int: ...
    @property
    def offset(self) -> int: ...
    # The exporter it re-exports, or None when it owns its items.
    @property
    def obj(self) -> Any: ...
    @property
    def nbytes(self) -> int: ...
    @property
    def readonly(self) -> bool: ...
    @property
    def itemsize(self) -> int: ...
    @property
    def format(self) -> str: ...
    @property
    def ndim(self) -> int: ...
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def strides(self) -> tuple[int, ...]: ...
    @property
    def suboffsets(self) -> tuple[int, ...]: ...
    @property
    def c_contiguous(self) -> bool: ...
    @property
    def f_contiguous(self) -> bool: ...
    @property
    def contiguous(self) -> bool: ...
    def push(
        self,
        items: Any,
        shape: Sequence[SupportsIndex],
        strides: Sequence[SupportsIndex] | None = None,
        offset: SupportsIndex = 0,
        format: str = "B",
        flags: int = 0,
    ) -> None: ...
    def pop(self) -> None: ...
    def add_suboffsets(self) -> None: ...
    def memoryview_from_buffer(self) -> memoryview: ...
    # Nested lists of items, or the item alone for a 0-d array.
    def tolist(self) -> Any: ...
    def tobytes(self) -> bytes: ...
    # An item for an index, a sub-array for a slice or a tuple of slices.
    def __getitem__(self, key: Any, /) -> Any: ...
    def __setitem__(self, key: Any, value: Any, /) -> None: ...
    def __hash__(self) -> int: ...
    # PEP 688: a buffer to type checkers (no such method at runtime on 3.11).
    def __buffer__(self, flags: int, /) -> memoryview: ...

@final
class staticarray:
    """A deliberately non-compliant exporter: static memory, legacy_mode ignores the request."""

    def __init__(self, legacy_mode: bool = False) -> None: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...

def get_pointer(obj: ReadableBuffer, indices: Sequence[SupportsIndex], /) -> Any: ...
def get_sizeof_void_p() -> int: ...
def slice_indices(key: slice, length: SupportsIndex, /) -> tuple[int, int, int, int]: ...
def get_contiguous(obj: ReadableBuffer, buffertype: int, order: _Order, /) -> memoryview: ...
def py_buffer_to_contiguous(obj: ReadableBuffer, order: _Order, flags: int, /) -> bytes: ...
def is_contiguous(obj: ReadableBuffer, order: _Order, /) -> bool: ...
def cmp_contig(b1: ReadableBuffer, b2: ReadableBuffer, /) -> bool: ...
