// MARK: - Casting format and shape (memoryview_cast_impl, cast_to_1D, cast_to_ND)
//
// A cast runs in the order memoryview_cast_impl checks things, which the bridge follows:
// `checkCastSource`, then (with a shape) `checkCastDimensions`, then the new view is
// allocated and `castTo1D` gives it the new format, then (with a shape) `castExtent` per
// element and `finishCast`.

extension MemoryView {
    /// The source must be C-contiguous, and (unless this is a plain 1-d format cast) free of
    /// zero extents.
    @inlinable
    public func checkCastSource(shapeGiven: Bool) throws(SwiftBufferError) {
        if !isCContiguous { throw .typeError("memoryview: casts are restricted to C-contiguous views") }
        if shapeGiven || layout.ndim != 1 {
            for i in 0..<layout.ndim where unsafe layout.shape![i] == 0 {
                throw .typeError("memoryview: cannot cast view with zeros in shape or strides")
            }
        }
    }

    /// A cast goes 1-d → N-d or N-d → 1-d, to at most 64 dimensions.
    @inlinable
    public func checkCastDimensions(_ ndim: Int) throws(SwiftBufferError) {
        if ndim > MemoryView.maxDimensions { throw .valueError("memoryview: number of dimensions must not exceed 64") }
        if layout.ndim != 1 && ndim != 1 { throw .typeError("memoryview: cast must be 1D -> ND or ND -> 1D") }
    }

    /// Makes `layout` (a copy of the source's, with arrays of its own) a 1-d view of the same
    /// bytes with element format `format` (ASCII bytes, as given): one of the formats must
    /// be a byte format and the byte length must be a multiple of the new itemsize.
    /// The installed format string has static lifetime, so it outlives the source (bpo-22668).
    @inlinable
    public static func castTo1D(_ layout: inout BufferDescriptor, format: UnsafeRawBufferPointer) throws(SwiftBufferError) {
        guard let destination = ElementCodec.Code(memoryviewFormat: format) else {
            throw .valueError("memoryview: destination format must be a native single character format prefixed with an optional '@'")
        }
        let source = ElementCodec.Code(memoryviewFormat: layout.formatBytes)
        if !(source?.isByte ?? false) && !destination.isByte {
            throw .typeError("memoryview: cannot cast between two non-byte formats")
        }
        let itemsize = destination.size
        if layout.len % itemsize != 0 { throw .typeError("memoryview: length is not a multiple of itemsize") }
        layout.format = unsafe castFormat(destination, prefixed: format.count == 2)
        layout.itemsize = itemsize
        layout.ndim = 1
        unsafe layout.shape![0] = layout.len / itemsize
        unsafe layout.strides![0] = itemsize
        layout.suboffsets = nil
    }

    /// One extent of the cast's shape, checked in order (`copy_shape`): positive, and the
    /// running byte length `length` (starting at the itemsize) must not overflow.
    @inlinable
    public static func castExtent(_ extent: Int, length: inout Int) throws(SwiftBufferError) {
        if extent <= 0 { throw .valueError("memoryview.cast(): elements of shape must be integers > 0") }
        if extent > Int.max / length { throw .valueError("memoryview.cast(): product(shape) > SSIZE_MAX") }
        length *= extent
    }

    /// Installs the validated `shape` (`ndim` extents already in `layout.shape`, or none for a
    /// 0-d result) with C-contiguous strides, and checks that the byte length is unchanged.
    @inlinable
    public static func finishCast(_ layout: inout BufferDescriptor, ndim: Int, length: Int) throws(SwiftBufferError) {
        layout.ndim = ndim
        if ndim == 0 {
            layout.shape = nil
            layout.strides = nil
        } else {
            unsafe Layout.fillContiguousStrides(shape: layout.shape!, ndim: ndim, itemsize: layout.itemsize,
                                                order: .c, into: layout.strides!)
        }
        if layout.len != length { throw .typeError("memoryview: product(shape) * itemsize != buffer size") }
    }

    /// `get_native_fmtstr`: `"x"` or `"@x"` with static lifetime, NUL-terminated.
    @inlinable
    public static func castFormat(_ code: ElementCodec.Code, prefixed: Bool) -> UnsafePointer<CChar> {
        // safe because: the table has a 3-byte slot "@x\0" for every ASCII code.
        let slot = unsafe castFormatTable + Int(code.rawValue) * 3
        return unsafe UnsafeRawPointer(prefixed ? slot : slot + 1).assumingMemoryBound(to: CChar.self)
    }

    /// "@x\0" for every ASCII `x`; allocated once, never freed (formats of live views point here).
    @usableFromInline nonisolated(unsafe) static let castFormatTable: UnsafeMutablePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 128 * 3)
        for c in 0..<128 {
            unsafe table[c * 3] = UInt8(ascii: "@")
            unsafe table[c * 3 + 1] = UInt8(c)
            unsafe table[c * 3 + 2] = 0
        }
        return unsafe table
    }()
}
