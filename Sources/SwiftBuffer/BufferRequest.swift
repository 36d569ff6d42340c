/// What a consumer asks of an exporter: the `flags` argument of `PyObject_GetBuffer`.
///
/// The raw values are CPython's. Composite requests (`strides`, `cContiguous`, ...) include the
/// bits they imply, exactly as the C macros do, so `contains` answers "was X asked for?" the
/// same way CPython's `REQ_*` macros do.
public struct BufferRequest: OptionSet, Sendable, Hashable {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Only `buf` and `len`, bytes, C-contiguous. The corresponding C constant is `PyBUF_SIMPLE`.
    public static let simple: BufferRequest = []
    /// The consumer will write. The corresponding C constant is `PyBUF_WRITABLE`.
    public static let writable = BufferRequest(rawValue: 0x0001)
    /// Fill `format`; without it the consumer reads unsigned bytes. The corresponding C constant is `PyBUF_FORMAT`.
    public static let format = BufferRequest(rawValue: 0x0004)
    /// Fill `shape`. The corresponding C constant is `PyBUF_ND`.
    public static let nd = BufferRequest(rawValue: 0x0008)
    /// Fill `shape` and `strides`. The corresponding C constant is `PyBUF_STRIDES`.
    public static let strides = BufferRequest(rawValue: 0x0010 | 0x0008)
    /// Strides, and the memory must be C-contiguous. The corresponding C constant is `PyBUF_C_CONTIGUOUS`.
    public static let cContiguous = BufferRequest(rawValue: 0x0020 | 0x0018)
    /// Strides, and the memory must be Fortran-contiguous. The corresponding C constant is `PyBUF_F_CONTIGUOUS`.
    public static let fContiguous = BufferRequest(rawValue: 0x0040 | 0x0018)
    /// Strides, and the memory must be C- or Fortran-contiguous. The corresponding C constant is `PyBUF_ANY_CONTIGUOUS`.
    public static let anyContiguous = BufferRequest(rawValue: 0x0080 | 0x0018)
    /// Strides and suboffsets (PIL-style indirection allowed). The corresponding C constant is `PyBUF_INDIRECT`.
    public static let indirect = BufferRequest(rawValue: 0x0100 | 0x0018)

    /// The corresponding C constant is `PyBUF_CONTIG`.
    public static let contig: BufferRequest = [.nd, .writable]
    /// The corresponding C constant is `PyBUF_CONTIG_RO`.
    public static let contigRO: BufferRequest = [.nd]
    /// The corresponding C constant is `PyBUF_STRIDED`.
    public static let strided: BufferRequest = [.strides, .writable]
    /// The corresponding C constant is `PyBUF_STRIDED_RO`.
    public static let stridedRO: BufferRequest = [.strides]
    /// The corresponding C constant is `PyBUF_RECORDS`.
    public static let records: BufferRequest = [.strides, .writable, .format]
    /// The corresponding C constant is `PyBUF_RECORDS_RO`.
    public static let recordsRO: BufferRequest = [.strides, .format]
    /// The corresponding C constant is `PyBUF_FULL`.
    public static let full: BufferRequest = [.indirect, .writable, .format]
    /// The corresponding C constant is `PyBUF_FULL_RO`.
    public static let fullRO: BufferRequest = [.indirect, .format]
    /// `PyMemoryView_GetContiguous` direction flag. The corresponding C constant is `PyBUF_READ`.
    public static let read = BufferRequest(rawValue: 0x100)
    /// `PyMemoryView_GetContiguous` direction flag. The corresponding C constant is `PyBUF_WRITE`.
    public static let write = BufferRequest(rawValue: 0x200)

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
