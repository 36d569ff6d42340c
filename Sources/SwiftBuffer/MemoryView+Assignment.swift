// MARK: - Assignment (equiv_structure, copy_single, copy_base)

extension MemoryView {
    /// `equiv_shape`: same ndim, and the same extents up to the first zero (from there on
    /// both are empty, so `[1, 0, 5]` and `[1, 0, 7]` are equivalent, as in NumPy).
    @inlinable
    public static func equivalentShapes(_ a: BufferDescriptor, _ b: BufferDescriptor) -> Bool {
        if a.ndim != b.ndim { return false }
        for i in 0..<a.ndim {
            let extent = a.extent(i)
            if extent != b.extent(i) { return false }
            if extent == 0 { break }
        }
        return true
    }

    /// `equiv_format`: the same format string once a leading `@` is dropped, and the same
    /// itemsize.
    @inlinable
    public static func equivalentFormats(_ a: BufferDescriptor, _ b: BufferDescriptor) -> Bool {
        func stripped(_ f: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
            if let first = unsafe f.first, first == UInt8(ascii: "@") { return unsafe UnsafeBufferPointer(rebasing: f.dropFirst()) }
            return unsafe f
        }
        return unsafe (a.itemsize == b.itemsize && stripped(a.formatBytes).elementsEqual(stripped(b.formatBytes)))
    }

    /// Checks that `source` can be assigned to the 1-d `destination` (`equiv_structure`):
    /// the same format and shape. Returns how many scratch bytes `assign` needs (0 when both
    /// sides are contiguous runs), for the caller to allocate as it sees fit.
    @inlinable
    public static func checkAssignment(_ source: BufferDescriptor, to destination: BufferDescriptor) throws(SwiftBufferError) -> Int {
        guard equivalentFormats(destination, source) && equivalentShapes(destination, source) else {
            throw .valueError("memoryview assignment: lvalue and rvalue have different structures")
        }
        let count = destination.extent(0), itemsize = destination.itemsize
        let dIndirect = unsafe destination.suboffsets.map { unsafe $0[0] >= 0 } ?? false
        let sIndirect = unsafe source.suboffsets.map { unsafe $0[0] >= 0 } ?? false
        if count == 0 || (!dIndirect && !sIndirect && destination.stride(0) == itemsize && source.stride(0) == itemsize) {
            return 0
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: itemsize)
        if overflow { throw .memoryError("") }
        return bytes
    }

    /// Copies the elements of `source` into the 1-d `destination` (`copy_single`), after
    /// `checkAssignment`, with `scratch` of the size it asked for. Overlapping memory is
    /// handled: contiguous runs move with `memmove`, anything else goes through the scratch row.
    @inlinable
    public static func assign(_ source: BufferDescriptor, to destination: BufferDescriptor, scratch: UnsafeMutableRawPointer?) {
        let count = destination.extent(0), itemsize = destination.itemsize
        guard count > 0, let dp = unsafe destination.buf, let sp = unsafe source.buf else { return }
        let dstride = destination.stride(0), sstride = source.stride(0)
        guard let row = unsafe scratch else {
            // copyMemory is memmove: the views may overlap.
            unsafe dp.copyMemory(from: sp, byteCount: count * itemsize)
            return
        }
        let sview = MemoryView(layout: source, contiguity: [])
        let dview = MemoryView(layout: destination, contiguity: [])
        for i in 0..<count {
            unsafe (row + i * itemsize).copyMemory(from: sview.adjust(sp + i &* sstride, dimension: 0), byteCount: itemsize)
        }
        for i in 0..<count {
            unsafe dview.adjust(dp + i &* dstride, dimension: 0).copyMemory(from: row + i * itemsize, byteCount: itemsize)
        }
    }
}
