// Copies, comparisons and addressing for any exported layout: what _testbuffer's ndarray
// methods and module functions compute (slice assignment, cmp_contig, get_pointer,
// memoryview_from_buffer), on `BufferDescriptor`s so they work for every exporter.

// MARK: - Slice assignment

/// Element-wise assignment between two layouts (`copy_buffer` of _testbuffer.c, on the kernel's
/// `Layout.copy`).
public enum NDAssignment {
    /// `cmp_structure`: same format byte for byte (NULL meaning `"B"`), itemsize, ndim, and
    /// shape up to the first zero extent.
    public static func sameStructure(_ dest: BufferDescriptor, _ src: BufferDescriptor) -> Bool {
        Layout.sameStructure(dest, src, formats: .exact)
    }

    /// `copy_buffer`: copies `src` into `dest` (same structure, ndim > 0). Each innermost row
    /// moves through a scratch row from `allocator` unless both rows are plain contiguous runs
    /// (then one memmove), exactly as CPython does; overlapping layouts therefore end up as they
    /// do with _testbuffer and memoryview.
    public static func copy(_ src: BufferDescriptor, into dest: BufferDescriptor,
                            allocator: RawAllocator = .swift) throws(SwiftBufferError) {
        if !sameStructure(dest, src) {
            throw .valueError("ndarray assignment: lvalue and rvalue have different structures")
        }
        precondition(dest.ndim > 0, "NDAssignment.copy: ndim must be > 0")
        // Like copy_buffer, an empty row still allocates (PyMem_Malloc(0)).
        var scratch: UnsafeMutableRawPointer? = nil
        if let bytes = try Layout.copyScratchBytes(from: src, to: dest) {
            unsafe scratch = unsafe try allocator.bytes(bytes, zeroed: false)
        }
        defer { if let scratch = unsafe scratch { unsafe allocator.deallocate(scratch) } }
        unsafe Layout.copy(from: src, to: dest, scratch: scratch)
    }
}

// MARK: - Module functions

/// The computations behind `_testbuffer`'s module functions, on any consumer's view.
public enum NDInspect {
    /// `get_pointer`'s check of index `i` of a `PyBuffer_GetPointer` call.
    public static func checkIndex(_ index: Int, position: Int, of view: BufferDescriptor) throws(SwiftBufferError) {
        if index < 0 || index >= view.extent(position) {
            throw .valueError("get_pointer(): invalid index \(index) at position \(position)")
        }
    }

    /// `get_pointer`'s checks of the index list's length.
    public static func checkIndexCount(_ count: Int, of view: BufferDescriptor) throws(SwiftBufferError) {
        if view.ndim > NDFlags.maxDimensions {
            throw .valueError("get_pointer(): ndim > \(NDFlags.maxDimensions)")
        }
        if count != view.ndim { throw .valueError("get_pointer(): len(indices) != ndim") }
    }

    /// `PyBuffer_GetPointer`: the address of the item at `indices` (checked with `checkIndex`).
    public static func pointer(in view: BufferDescriptor, at indices: [Int]) -> UnsafeMutableRawPointer {
        var p = unsafe view.buf!
        for i in 0..<view.ndim { unsafe p = unsafe Layout.follow(p + view.stride(i) &* indices[i], view.suboffsets, dimension: i) }
        return unsafe p
    }

    /// `PyMemoryView_GetContiguous`'s decision for a view: false when it can be handed out as
    /// it is, true when a read-only contiguous copy is needed; BufferError for a writable
    /// request it cannot meet.
    public static func needsContiguousCopy(_ view: BufferDescriptor, order: Layout.Order,
                                           writable: Bool) throws(SwiftBufferError) -> Bool {
        if writable && view.readonly { throw .bufferError("underlying buffer is not writable") }
        if Layout.isContiguous(view, order: order) { return false }
        if writable { throw .bufferError("writable contiguous buffer requested for a non-contiguous object.") }
        return true
    }

    /// `cmp_contig`: whether two buffers are contiguous in the same order and physically equal:
    /// same length, itemsize, ndim, format, the same fields present, the same shape, strides
    /// (ignoring extents below 2) and suboffsets, and the same bytes.
    public static func contiguousEqual(_ v1: BufferDescriptor, _ v2: BufferDescriptor) -> Bool {
        if !(Layout.isContiguous(v1, order: .c) && Layout.isContiguous(v2, order: .c))
            && !(Layout.isContiguous(v1, order: .fortran) && Layout.isContiguous(v2, order: .fortran)) {
            return false
        }
        // readonly may differ when a copy was made from a non-contiguous exporter.
        if unsafe v1.len != v2.len || v1.itemsize != v2.itemsize || v1.ndim != v2.ndim
            || !(unsafe v1.formatBytes.elementsEqual(v2.formatBytes))
            || (v1.shape == nil) != (v2.shape == nil) || (v1.strides == nil) != (v2.strides == nil)
            || (v1.suboffsets == nil) != (v2.suboffsets == nil) {
            return false
        }
        for i in 0..<v1.ndim {
            if let s1 = unsafe v1.shape, let s2 = unsafe v2.shape, unsafe s1[i] != s2[i] { return false }
            // Strides may differ along extents below 2.
            let extent = unsafe v1.shape.map { unsafe $0[i] } ?? 2
            if let t1 = unsafe v1.strides, let t2 = unsafe v2.strides, extent > 1, unsafe t1[i] != t2[i] { return false }
            if let o1 = unsafe v1.suboffsets, let o2 = unsafe v2.suboffsets, unsafe o1[i] != o2[i] { return false }
        }
        guard v1.len > 0 else { return true }
        return unsafe UnsafeRawBufferPointer(start: v1.buf, count: v1.len)
            .elementsEqual(UnsafeRawBufferPointer(start: v2.buf, count: v2.len))
    }
}

// MARK: - memoryview_from_buffer

/// `memoryview_from_buffer`'s static buffer: a copy of an ndarray's raw memory that a memoryview
/// without an owner (`PyMemoryView_FromBuffer`) can point into.
///
/// _testbuffer reallocates one static buffer per call, so an older view dangles. Here storage
/// only grows and is never freed, and formats are interned, so every view handed out stays
/// readable for the life of the process; like _testbuffer, a later call overwrites the bytes
/// an earlier view shows. Only one such view is meant to be in use at a time.
public enum NDDetached {
    nonisolated(unsafe) static var storage: UnsafeMutableRawPointer? = nil
    nonisolated(unsafe) static var capacity = 0
    nonisolated(unsafe) static var formats: [[UInt8]: UnsafePointer<CChar>] = unsafe [:]

    /// The layout of `view` over a copy of `owner`'s memory (`view` lies inside it): the copy
    /// replaces `owner.data`, format is interned; shape, strides and suboffsets still point
    /// into `view`'s arrays, which `PyMemoryView_FromBuffer` copies.
    public static func copy(of view: BufferDescriptor, in owner: borrowing NDBuffer) throws(SwiftBufferError) -> BufferDescriptor {
        let data = unsafe owner.data!
        let length = owner.length
        if unsafe length > capacity {
            // Older blocks are kept: views made from them may still be alive.
            let grown = unsafe max(length, 2 * capacity)
            unsafe storage = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
            unsafe capacity = grown
        }
        let block = unsafe storage!
        unsafe block.copyMemory(from: data, byteCount: length)
        var info = view
        unsafe info.buf = unsafe view.buf.map { unsafe block + (UnsafeRawPointer($0) - UnsafeRawPointer(data)) }
        if unsafe view.format != nil {
            let bytes = unsafe Array(unsafe view.formatBytes)
            if bytes.count > NDFlags.maxDimensions {
                throw .typeError("memoryview_from_buffer: format is limited to \(NDFlags.maxDimensions) characters")
            }
            unsafe info.format = unsafe intern(bytes)
        }
        if view.ndim > NDFlags.maxDimensions {
            throw .typeError("memoryview_from_buffer: ndim is limited to \(NDFlags.maxDimensions)")
        }
        return info
    }

    static func intern(_ bytes: [UInt8]) -> UnsafePointer<CChar> {
        if let p = unsafe formats[bytes] { return unsafe p }
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (i, b) in bytes.enumerated() { unsafe p[i] = CChar(bitPattern: b) }
        unsafe p[bytes.count] = 0
        unsafe formats[bytes] = UnsafePointer(p)
        return unsafe UnsafePointer(p)
    }
}
