/// What a consumer asks of an exporter: the `flags` argument of `PyObject_GetBuffer`.
///
/// The raw values are CPython's. Composite requests (`strides`, `cContiguous`, ...) include the
/// bits they imply, exactly as the C macros do, so `contains` answers "was X asked for?" the
/// same way CPython's `REQ_*` macros do.
public struct BufferRequest: OptionSet, Sendable, Hashable {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }

    // Computed and inlinable rather than `static let`, as `Contiguity`'s: a stored static of
    // another module costs an addressor call at every use (5 instructions per view made).

    /// Only `buf` and `len`, bytes, C-contiguous. The corresponding C constant is `PyBUF_SIMPLE`.
    @inlinable public static var simple: BufferRequest { BufferRequest(rawValue: 0) }
    /// The consumer will write. The corresponding C constant is `PyBUF_WRITABLE`.
    @inlinable public static var writable: BufferRequest { BufferRequest(rawValue: 0x0001) }
    /// Fill `format`; without it the consumer reads unsigned bytes. The corresponding C constant is `PyBUF_FORMAT`.
    @inlinable public static var format: BufferRequest { BufferRequest(rawValue: 0x0004) }
    /// Fill `shape`. The corresponding C constant is `PyBUF_ND`.
    @inlinable public static var nd: BufferRequest { BufferRequest(rawValue: 0x0008) }
    /// Fill `shape` and `strides`. The corresponding C constant is `PyBUF_STRIDES`.
    @inlinable public static var strides: BufferRequest { BufferRequest(rawValue: 0x0010 | 0x0008) }
    /// Strides, and the memory must be C-contiguous. The corresponding C constant is `PyBUF_C_CONTIGUOUS`.
    @inlinable public static var cContiguous: BufferRequest { BufferRequest(rawValue: 0x0020 | 0x0018) }
    /// Strides, and the memory must be Fortran-contiguous. The corresponding C constant is `PyBUF_F_CONTIGUOUS`.
    @inlinable public static var fContiguous: BufferRequest { BufferRequest(rawValue: 0x0040 | 0x0018) }
    /// Strides, and the memory must be C- or Fortran-contiguous. The corresponding C constant is `PyBUF_ANY_CONTIGUOUS`.
    @inlinable public static var anyContiguous: BufferRequest { BufferRequest(rawValue: 0x0080 | 0x0018) }
    /// Strides and suboffsets (PIL-style indirection allowed). The corresponding C constant is `PyBUF_INDIRECT`.
    @inlinable public static var indirect: BufferRequest { BufferRequest(rawValue: 0x0100 | 0x0018) }

    /// The corresponding C constant is `PyBUF_CONTIG`.
    @inlinable public static var contig: BufferRequest { BufferRequest(rawValue: nd.rawValue | writable.rawValue) }
    /// The corresponding C constant is `PyBUF_CONTIG_RO`.
    @inlinable public static var contigRO: BufferRequest { BufferRequest(rawValue: nd.rawValue) }
    /// The corresponding C constant is `PyBUF_STRIDED`.
    @inlinable public static var strided: BufferRequest { BufferRequest(rawValue: strides.rawValue | writable.rawValue) }
    /// The corresponding C constant is `PyBUF_STRIDED_RO`.
    @inlinable public static var stridedRO: BufferRequest { BufferRequest(rawValue: strides.rawValue) }
    /// The corresponding C constant is `PyBUF_RECORDS`.
    @inlinable public static var records: BufferRequest { BufferRequest(rawValue: strides.rawValue | writable.rawValue | format.rawValue) }
    /// The corresponding C constant is `PyBUF_RECORDS_RO`.
    @inlinable public static var recordsRO: BufferRequest { BufferRequest(rawValue: strides.rawValue | format.rawValue) }
    /// The corresponding C constant is `PyBUF_FULL`.
    @inlinable public static var full: BufferRequest { BufferRequest(rawValue: indirect.rawValue | writable.rawValue | format.rawValue) }
    /// The corresponding C constant is `PyBUF_FULL_RO`.
    @inlinable public static var fullRO: BufferRequest { BufferRequest(rawValue: indirect.rawValue | format.rawValue) }
    /// `PyMemoryView_GetContiguous` direction flag. The corresponding C constant is `PyBUF_READ`.
    @inlinable public static var read: BufferRequest { BufferRequest(rawValue: 0x100) }
    /// `PyMemoryView_GetContiguous` direction flag. The corresponding C constant is `PyBUF_WRITE`.
    @inlinable public static var write: BufferRequest { BufferRequest(rawValue: 0x200) }

    // The REQ_* tests of memoryobject.c: a composite bit counts only when all its bits are set.
    @inlinable var asksWritable: Bool { rawValue & 0x0001 != 0 }
    @inlinable var asksFormat: Bool { rawValue & 0x0004 != 0 }
    @inlinable var asksShape: Bool { rawValue & 0x0008 == 0x0008 }
    @inlinable var asksStrides: Bool { rawValue & 0x0018 == 0x0018 }
    @inlinable var asksCContiguous: Bool { rawValue & 0x0038 == 0x0038 }
    @inlinable var asksFContiguous: Bool { rawValue & 0x0058 == 0x0058 }
    @inlinable var asksAnyContiguous: Bool { rawValue & 0x0098 == 0x0098 }
    @inlinable var asksIndirect: Bool { rawValue & 0x0118 == 0x0118 }
}
