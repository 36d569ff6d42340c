// Indexing and slicing of an ndarray (_testbuffer.c's "indexing/slicing" section): the pointer
// of one index, sub-views of ndim-1 dimensions, and multi-dimensional slices of NumPy-style and
// PIL-style arrays. The slice arithmetic is `Layout.Slice` and `Layout.applySlice`.

extension NDBuffer {
    // MARK: - Indexing

    /// `ptr_from_index`: the address of item `index` (negative counts from the end) along the
    /// first dimension, following a first-dimension suboffset.
    ///
    /// Without a shape (a `PyBUF_SIMPLE` re-export) the dimension has `len / itemsize` items;
    /// _testbuffer uses `len`, which reads past the memory when the itemsize is not 1. Without
    /// strides the step is the itemsize, as in `ptr_from_index`: right for one dimension; for
    /// more (a `PyBUF_ND` consumer) the sub-array's full export is refused before the address
    /// is used, since such a base buffer has no strides to hand out.
    /// Always inlined, like `select`: called through a pointer from the bridge, a call copied
    /// the value to the stack first (29 instructions).
    @inlinable @inline(__always)
    public func itemPointer(_ index: Int) throws(SwiftBufferError) -> UnsafeMutableRawPointer {
        let count = unsafe base.shape.map { unsafe $0[0] } ?? (base.itemsize == 0 ? 0 : base.len / base.itemsize)
        var index = index
        if index < 0 { index &+= count }
        if index < 0 || index >= count { throw .indexError("index out of bounds") }
        let stride = unsafe base.strides.map { unsafe $0[0] } ?? base.itemsize
        return unsafe Layout.follow(base.buf! + index &* stride, base.suboffsets, dimension: 0)
    }

    /// The flags of a base buffer whose layout was just made or changed (for a consumer,
    /// `ndarray_init_staticbuf`, then `copy_structure`, then `init_flags`): writability,
    /// whether the arrays are owned, and the new layout's facts. Always inlined: a few bit operations on a
    /// layout its callers have just written.
    @inline(__always)
    mutating func resetLayoutFlags() {
        let facts = Contiguity(of: base, rule: .isContiguous)
        layoutContiguity = facts.intersection([.c, .fortran])
        flags = flags.intersection([.writable, .ownArrays]).union(NDFlags(facts: facts))
    }

    /// The layout of the sub-array of ndim-1 dimensions at `pointer`, the address `itemPointer`
    /// returned for the exporter of `view`, a full (`PyBUF_FULL_RO`) export (`ndarray_item`).
    /// The arrays stay the export's, one entry further on.
    @inlinable @inline(__always)
    public static func narrowed(_ view: BufferDescriptor, toItemAt pointer: UnsafeMutableRawPointer) throws(SwiftBufferError) -> BufferDescriptor {
        // A redirected export may come from an exporter that ignored the request.
        guard view.ndim >= 1, let shape = unsafe view.shape, unsafe shape[0] != 0 else {
            throw .bufferError("re-exporter does not provide format, shape or strides")
        }
        var item = view
        unsafe item.buf = unsafe pointer
        item.len /= unsafe shape[0]
        item.ndim -= 1
        unsafe item.shape = unsafe shape + 1
        if let strides = unsafe view.strides { unsafe item.strides = unsafe strides + 1 }
        if let suboffsets = unsafe view.suboffsets { unsafe item.suboffsets = unsafe suboffsets + 1 }
        return item
    }

    // MARK: - Slicing

    /// `copy_structure`: the consumer takes its own copies of shape, strides and suboffsets,
    /// so slicing can change them (`ND_OWN_ARRAYS`).
    public mutating func ownStructure() throws(SwiftBufferError) {
        let ndim = base.ndim
        let ints = unsafe try allocateInts(3 * ndim)
        if let shape = unsafe base.shape, let strides = unsafe base.strides {
            // A full export (every sub-view's) has both: copied as they are. Through `extent`
            // and `stride`, each element tested for missing arrays (callgrind: 84 of
            // `nd[1:3]`'s instructions against 45).
            for i in 0..<ndim {
                unsafe ints[i] = shape[i]
                unsafe ints[ndim + i] = strides[i]
            }
        } else {
            for i in 0..<ndim {
                unsafe ints[i] = base.extent(i)
                unsafe ints[ndim + i] = base.stride(i)
            }
        }
        unsafe base.shape = unsafe ints
        unsafe base.strides = unsafe ints + ndim
        if let suboffsets = unsafe base.suboffsets {
            for i in 0..<ndim { unsafe ints[2 * ndim + i] = suboffsets[i] }
            unsafe base.suboffsets = unsafe ints + 2 * ndim
        }
        flags.insert(.ownArrays)
    }

    /// The length of dimension `dim` for slicing. A key with more slices than the array has
    /// dimensions raises IndexError (_testbuffer reads past its shape there). Always inlined:
    /// called on the value `slicing` builds in place, a call copied all 160 bytes of it to the
    /// stack first (callgrind: 48 of `nd[1:3]`'s instructions).
    @inlinable @inline(__always)
    public func sliceExtent(_ dim: Int) throws(SwiftBufferError) -> Int {
        if dim >= base.ndim { throw .indexError("too many slices for an ndarray of \(base.ndim) dimension\(base.ndim == 1 ? "" : "s")") }
        return unsafe base.shape![dim]
    }

    /// `init_slice` (`Layout.applySlice`) on dimension `dim`, after `ownStructure`.
    public mutating func applySlice(_ slice: Layout.Slice, dimension dim: Int) {
        precondition(flags.contains(.ownArrays) && dim < base.ndim, "applySlice: call ownStructure first")
        Layout.applySlice(slice, dimension: dim, to: &base)
        layoutContiguity = []  // until finishSlicing
    }

    /// The end of `ndarray_subscript`: `init_len` and `init_flags` for the sliced layout.
    public mutating func finishSlicing() throws(SwiftBufferError) {
        base.len = try unsafe Layout.byteCount(shape: UnsafeBufferPointer(start: base.shape!, count: base.ndim),
                                               itemsize: base.itemsize)
        resetLayoutFlags()
    }
}

// MARK: - Whole operations for the bridge

extension NDBuffer {
    /// What one integer index along the first dimension selects (`ndarray_item`).
    @unsafe public enum Selection {
        /// An item of a 1-d array, to unpack (or pack) with the array's format.
        case element(UnsafeMutableRawPointer, format: UnsafePointer<CChar>?, itemsize: Int)
        /// The address of a sub-array of ndim-1 dimensions, for `subarray(at:of:hasExporter:item:)`
        /// on a full export of this array.
        case subarray(UnsafeMutableRawPointer)
    }

    /// `ndarray_item`'s first half: "invalid indexing of scalar" for a 0-d array, then the
    /// item's address (`itemPointer`).
    @inlinable @inline(__always)
    public func select(_ index: Int) throws(SwiftBufferError) -> Selection {
        if base.ndim == 0 { throw .typeError("invalid indexing of scalar") }
        let pointer = unsafe try itemPointer(index)
        if base.ndim == 1 { return unsafe .element(pointer, format: base.format, itemsize: base.itemsize) }
        return unsafe .subarray(pointer)
    }

    /// Initialises `storage` (uninitialised memory: the bridge's ndarray object) with a consumer
    /// of `view` that `body` then narrows or slices; when `body` throws, `storage` is left
    /// uninitialised again. Built in place: the value is about 190 bytes, and returning it
    /// through the bridge's closures copied it three times (callgrind: 87 of `nd[1]`'s
    /// instructions).
    @inlinable
    public static func build<E: Error>(at storage: UnsafeMutablePointer<NDBuffer>, subviewOf view: BufferDescriptor,
                                       hasExporter: Bool, allocator: RawAllocator? = nil,
                                       _ body: (inout NDBuffer) throws(E) -> Void) throws(E) {
        unsafe initialize(storage, subviewOf: view, hasExporter: hasExporter, allocator: allocator)
        do throws(E) { try unsafe body(&storage.pointee) } catch {
            unsafe storage.deinitialize(count: 1)
            throw error
        }
    }

    /// Ends the consumer at `storage` that `build` made: its deinit runs there and the memory
    /// is uninitialised again. Compiled here: `deinitialize` inlined into the bridge moved the
    /// value to the stack first (29 instructions).
    public static func destroy(_ storage: UnsafeMutablePointer<NDBuffer>) {
        unsafe storage.deinitialize(count: 1)
    }

    /// `storage.initialize(to: NDBuffer(subviewOf:...))`, compiled here, where the value is
    /// written into `storage` directly; inlined into the bridge it was built on the stack and
    /// copied (29 instructions a copy).
    @usableFromInline
    static func initialize(_ storage: UnsafeMutablePointer<NDBuffer>, subviewOf view: BufferDescriptor,
                           hasExporter: Bool, allocator: RawAllocator?) {
        unsafe storage.initialize(to: NDBuffer(subviewOf: view, hasExporter: hasExporter, allocator: allocator))
    }

    /// `ndarray_item`'s sub-array, built at `storage` (uninitialised, and left so when this
    /// throws): a re-exporter of `view`, a full export (`PyBUF_FULL_RO`) of the array whose
    /// `select` answered `.subarray(pointer)`, narrowed to that item. The layout is narrowed
    /// before the value is made, so `storage` is written once (initialising a consumer of the
    /// whole export and then narrowing it there was 146 of a PIL `p[1]`'s instructions, this 70).
    public static func subarray(at storage: UnsafeMutablePointer<NDBuffer>, of view: BufferDescriptor, hasExporter: Bool,
                                item pointer: UnsafeMutableRawPointer) throws(SwiftBufferError) {
        let item = unsafe try narrowed(view, toItemAt: pointer)
        unsafe initialize(storage, subviewOf: item, hasExporter: hasExporter, allocator: nil)
        unsafe storage.pointee.resetLayoutFlags()
    }

    /// `ndarray_subscript`'s slicing, built at `storage` (see `build`): a re-exporter of `view`
    /// (a full export of the array being sliced) with its own arrays, dimension `i` sliced by
    /// `unpacked(i)` for each `i` below `count`, then its length and flags. Its own arrays come
    /// from `allocator` (nil: Swift's).
    ///
    /// `unpacked(i)` is the key's slice `i` as `PySlice_Unpack` gives it; it runs first for
    /// each dimension, so its refusals (not a slice, an `__index__` that fails) come before
    /// this one's ("too many slices"), in CPython's order. A consumer's structure is then
    /// clamped to the dimension's extent (`PySlice_AdjustIndices`) and applied.
    @inlinable @inline(__always)
    public static func slicing<E: SwiftBufferErrorCarrying>(
        at storage: UnsafeMutablePointer<NDBuffer>, _ view: BufferDescriptor, hasExporter: Bool, count: Int,
        allocator: RawAllocator? = nil, unpacked: (_ dimension: Int) throws(E) -> (start: Int, stop: Int, step: Int)
    ) throws(E) {
        try unsafe build(at: storage, subviewOf: view, hasExporter: hasExporter, allocator: allocator) { sub throws(E) in
            do throws(SwiftBufferError) { try sub.ownStructure() } catch { throw E(core: error) }
            for i in 0..<count {
                let (start, stop, step) = try unpacked(i)
                do throws(SwiftBufferError) {
                    try sub.applySlice(Layout.Slice(start: start, stop: stop, step: step, count: sub.sliceExtent(i)), dimension: i)
                } catch { throw E(core: error) }
            }
            do throws(SwiftBufferError) { try sub.finishSlicing() } catch { throw E(core: error) }
        }
    }
}
