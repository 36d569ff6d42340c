// The layout engine behind swiftbuf.testing.ndarray: a producer of every layout the buffer
// protocol allows (any shape, strides of any sign, offsets, Fortran order, PIL-style
// suboffsets, zero-size dimensions, 0-d scalars, record formats), following
// CPython's Modules/_testbuffer.c decision for decision.
//
// Map, in _testbuffer.c's order:
//   flags                     ND_* and what they say about contiguity
//   base buffer               ndbuf_t: ndbuf_new, init_simple, init_structure, init_suboffsets
//   the ndarray               the ndbuf list (push, pop, release) or one consumed buffer
//   getbuffer                 ndarray_getbuf around ExportRules.answer
// Slicing is in NDArray+Slicing.swift; copies, comparisons and conversions in NDArray+Copy.swift.
//
// Memory whose size comes from Python (the items, PIL pointer tables, copies) is allocated
// through a `RawAllocator`, so the bridge can hand in CPython's allocator: a size too large
// then raises MemoryError, as in _testbuffer, instead of trapping. Layout arrays are at most
// 3 * `NDFlags.maxDimensions` long and come from the base buffer's allocator too (a consumer's
// from CPython's object allocator, which the bridge hands in), or from Swift's without one.

// MARK: - Flags

/// The `ND_*` flags of `_testbuffer`: what the user asks of a base buffer, and what
/// construction found out about its layout.
public struct NDFlags: OptionSet, Sendable, Hashable {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }

    // Computed and inlinable rather than `static let`, as `Contiguity`'s are: the bridge read
    // each stored one through a call to its addressor (four in each `nd.c_contiguous`).

    /// The layout may change while buffers are exported. The corresponding C constant is `ND_VAREXPORT`.
    @inlinable public static var varExport: NDFlags { NDFlags(rawValue: 0x001) }
    /// Exports may be writable. The corresponding C constant is `ND_WRITABLE`.
    @inlinable public static var writable: NDFlags { NDFlags(rawValue: 0x002) }
    /// Fortran-contiguous default strides. The corresponding C constant is `ND_FORTRAN`.
    @inlinable public static var fortran: NDFlags { NDFlags(rawValue: 0x004) }
    /// `ndim == 0`. The corresponding C constant is `ND_SCALAR`.
    @inlinable public static var scalar: NDFlags { NDFlags(rawValue: 0x008) }
    /// PIL-style: the first dimension is an array of pointers. The corresponding C constant is `ND_PIL`.
    @inlinable public static var pil: NDFlags { NDFlags(rawValue: 0x010) }
    /// Requests go to the consumed exporter. The corresponding C constant is `ND_REDIRECT`.
    @inlinable public static var redirect: NDFlags { NDFlags(rawValue: 0x020) }
    /// Every request fails. The corresponding C constant is `ND_GETBUF_FAIL`.
    @inlinable public static var getbufFail: NDFlags { NDFlags(rawValue: 0x040) }
    /// A failed request leaves `view.obj` undefined. The corresponding C constant is `ND_GETBUF_UNDEFINED`.
    @inlinable public static var getbufUndefined: NDFlags { NDFlags(rawValue: 0x080) }
    /// C-contiguous (internal). The corresponding C constant is `ND_C`.
    @inlinable public static var c: NDFlags { NDFlags(rawValue: 0x100) }
    /// A consumer owns its shape and strides (internal). The corresponding C constant is `ND_OWN_ARRAYS`.
    @inlinable public static var ownArrays: NDFlags { NDFlags(rawValue: 0x200) }

    /// `ND_MAX_NDIM`: twice memoryview's limit, so the drop-in can produce arrays memoryview rejects.
    public static let maxDimensions = 2 * Layout.maxDimensions

    /// The contiguity these flags claim (`ND_C_CONTIGUOUS`, `ND_FORTRAN_CONTIGUOUS`, `ND_PIL`).
    /// Requests are answered from the flags, not from the layout: `add_suboffsets` clears the
    /// contiguity flags without setting `pil`, and the export rules must see exactly that.
    @inlinable
    public var contiguity: Contiguity {
        var result: Contiguity = []
        if !isDisjoint(with: [.scalar, .c]) { result.insert(.c) }
        if !isDisjoint(with: [.scalar, .fortran]) { result.insert(.fortran) }
        if contains(.scalar) { result.insert(.scalar) }
        if contains(.pil) { result.insert(.pil) }
        return result
    }

    /// `init_flags`' facts of a layout (`Contiguity(of:rule:)` by `PyBuffer_IsContiguous`'s
    /// rule) in `_testbuffer`'s bits.
    @inlinable
    init(facts: Contiguity) {
        var flags: NDFlags = []
        if facts.contains(.scalar) { flags.insert(.scalar) }
        if facts.contains(.pil) { flags.insert(.pil) }
        if facts.contains(.c) { flags.insert(.c) }
        if facts.contains(.fortran) { flags.insert(.fortran) }
        self = flags
    }
}

// MARK: - Base buffer

/// One base buffer of an ndarray (`ndbuf_t`): memory, the complete layout every export starts
/// from, the flags, and the count of live exports.
///
/// An *original* base buffer owns its memory and layout; a *consumer* describes a buffer it
/// obtained from another exporter (the bridge holds that `Py_buffer` and releases it), borrowing
/// its arrays until slicing gives it arrays of its own.
///
/// Non-copyable: it owns memory, freed once by `deinit`. An original lives in its `NDArray`
/// (one heap block per base buffer, so exports can name it by address); a consumer lives
/// inline in the bridge's ndarray object, as `_testbuffer`'s `staticbuf` does, so a sub-view
/// (`nd[1]`, `nd[::2]`) allocates nothing on Swift's side.
@safe public struct NDBuffer: ~Copyable {
    /// The complete layout (`ndbuf->base`). Its arrays point into storage this value owns or,
    /// for a consumer, into the consumed buffer.
    public internal(set) var base: BufferDescriptor
    public internal(set) var flags: NDFlags
    /// The layout's own C and Fortran contiguity (`PyBuffer_IsContiguous` of `base`), found at
    /// the end of each change to it and empty while it is being changed. The flags cannot say
    /// it: a user may set `ND_C` by hand, and `add_suboffsets` clears them. Every export
    /// compared the flags with the layout by walking it twice, and `tobytes` and `hash`
    /// walked it again (callgrind: 71 of `memoryview(nd)`'s instructions, 39 of `nd.tobytes()`'s).
    public internal(set) var layoutContiguity: Contiguity = []
    /// Live exports of this base buffer (and pins: `withPinned`). Settable outside the module,
    /// like `SwiftMemory.exports`, so that `export` can be inlined into the bridge's getbuffer.
    public var exports = ExportCount()
    /// Start of the array relative to `data` (`ndbuf->offset`); -1 for a consumer.
    public internal(set) var offset: Int
    /// Bytes of `data` (`ndbuf->len`); -1 for a consumer.
    public internal(set) var length: Int
    /// The memory an original owns; nil for a consumer.
    public internal(set) var data: UnsafeMutableRawPointer?
    /// Whether the consumed buffer named its exporter (`base.obj != NULL`); false for originals.
    public let hasExporter: Bool

    /// Where `data` and the owned layout arrays come from; nil means Swift's allocator for the
    /// arrays (a consumer has no `data`). The bridge gives a consumer CPython's object
    /// allocator: a sliced consumer's one array through Swift's (which always takes
    /// posix_memalign) and glibc's free was ~190 of `nd[1:3]`'s instructions.
    let allocator: RawAllocator?
    // What this value owns besides `data`, freed at deinit: its format bytes, one array of
    // shape, strides and suboffsets (3 * ndim), and rarely a second array.
    private var ownedFormat: UnsafeMutablePointer<CChar>? = nil
    private var ownedInts: UnsafeMutablePointer<Int>? = nil
    private var ownedExtra: UnsafeMutablePointer<Int>? = nil

    /// `ndbuf_new`: zeroed memory for `itemCount` items of `itemsize` bytes, seen as bytes
    /// until `setElement` and `setStructure` describe it.
    public init(itemCount: Int, itemsize: Int, offset: Int, flags: NDFlags,
                allocator: RawAllocator = .swift) throws(SwiftBufferError) {
        precondition(itemCount > 0 && itemsize > 0, "NDBuffer: checkItemCount and checkItemsize come first")
        let (length, overflow) = itemCount.multipliedReportingOverflow(by: itemsize)
        if overflow { throw .noMemory }
        if offset % itemsize != 0 { throw .valueError("offset must be a multiple of itemsize") }
        // `offset + itemsize > length`, written so it cannot overflow (length >= itemsize > 0).
        if offset < 0 || offset > length - itemsize { throw .valueError("offset out of bounds") }
        let data = unsafe try allocator.bytes(length, zeroed: false)
        unsafe data.initializeMemory(as: UInt8.self, repeating: 0, count: length)
        self.allocator = allocator
        unsafe self.data = unsafe data
        self.length = length
        self.offset = offset
        self.flags = flags
        self.layoutContiguity = [.c, .fortran]  // one dimension of bytes, no shape
        self.hasExporter = false
        self.base = unsafe BufferDescriptor(buf: data, len: length, itemsize: 1, readonly: false, ndim: 1,
                                            format: nil, shape: nil, strides: nil, suboffsets: nil)
    }

    /// A consumer of `view` (`ndarray_init_staticbuf` + `init_flags`): writable when the view
    /// is, plus the layout facts of the view, plus `userFlags`.
    public init(consuming view: BufferDescriptor, hasExporter: Bool, userFlags: NDFlags = []) {
        self.init(subviewOf: view, hasExporter: hasExporter)
        resetLayoutFlags()
        flags.formUnion(userFlags)
    }

    /// A consumer of `view` about to be sliced (`ownStructure`,
    /// `applySlice`, `finishSlicing`), which compute its layout flags once they are done
    /// (`ndarray_init_staticbuf` alone: only writability is known).
    public init(subviewOf view: BufferDescriptor, hasExporter: Bool, allocator: RawAllocator? = nil) {
        self.allocator = allocator
        self.base = view
        self.offset = -1
        self.length = -1
        unsafe self.data = nil
        self.hasExporter = hasExporter
        self.flags = view.readonly ? [] : .writable
    }

    deinit {
        if let data = unsafe data { unsafe allocator!.deallocate(data) }
        unsafe ownedFormat?.deallocate()
        if let ints = unsafe ownedInts { unsafe free(ints) }
        if let ints = unsafe ownedExtra { unsafe free(ints) }
        func free(_ ints: UnsafeMutablePointer<Int>) {
            if let allocator { unsafe allocator.deallocate(UnsafeMutableRawPointer(ints)) } else { unsafe ints.deallocate() }
        }
    }

    /// Whether this base buffer describes memory obtained from another exporter.
    @inlinable public var isConsumer: Bool { unsafe data == nil }

    /// The memory an original was created with, to pack items into before `setElement`.
    public var rawBytes: UnsafeMutableRawBufferPointer {
        unsafe UnsafeMutableRawBufferPointer(start: data, count: max(length, 0))
    }

    /// `count` Ints owned by this value (the layout array; a second request gets the extra one).
    mutating func allocateInts(_ count: Int) throws(SwiftBufferError) -> UnsafeMutablePointer<Int> {
        let p = unsafe try NDBuffer.layoutArray(count, allocator: allocator)
        if unsafe ownedInts == nil {
            unsafe ownedInts = p
        } else {
            precondition(unsafe ownedExtra == nil, "NDBuffer: at most two owned arrays")
            unsafe ownedExtra = p
        }
        return unsafe p
    }

    /// `count` Ints from `allocator`, or from Swift's when it is nil.
    private static func layoutArray(_ count: Int, allocator: RawAllocator?) throws(SwiftBufferError) -> UnsafeMutablePointer<Int> {
        guard let allocator else { return UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1)) }
        // count <= 3 * NDFlags.maxDimensions: the product cannot overflow.
        return unsafe try allocator.bytes(count * MemoryLayout<Int>.stride, zeroed: false).bindMemory(to: Int.self, capacity: count)
    }

    /// A NUL-terminated copy of `bytes`, owned by this value, as its format.
    mutating func ownFormat(_ bytes: UnsafeRawBufferPointer) -> UnsafePointer<CChar> {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        if let source = bytes.baseAddress, bytes.count > 0 {
            unsafe UnsafeMutableRawPointer(p).copyMemory(from: source, byteCount: bytes.count)
        }
        unsafe p[bytes.count] = 0
        unsafe ownedFormat?.deallocate()
        unsafe ownedFormat = p
        return unsafe UnsafePointer(p)
    }

    /// Runs `body`, a use of the consumer at `buffer` that runs Python code (packing an item,
    /// hashing the consumed exporter), with that use counted as an export, so the code cannot
    /// re-initialise the ndarray and free the layout being used. The one way to pin a base
    /// buffer; the pin ends as an export does, also when `body` throws. (An original's base
    /// buffer is kept by `NDArray.retainedHead` instead, so `pop` still works meanwhile.)
    public static func withPinned<R, E: Error>(_ buffer: UnsafeMutablePointer<NDBuffer>,
                                               _ body: () throws(E) -> R) throws(E) -> R {
        unsafe buffer.pointee.exports.opened()
        defer { unsafe buffer.pointee.released() }
        return try body()
    }

    // MARK: - Construction (init_ndbuf, in its order)

    /// `init_ndbuf`'s first check: the number of dimensions.
    public static func checkDimensions(_ ndim: Int) throws(SwiftBufferError) {
        if ndim > NDFlags.maxDimensions {
            throw .valueError("ndim must not exceed \(NDFlags.maxDimensions)")
        }
    }

    /// `init_ndbuf`'s check of explicit strides against the flags and `ndim`; an empty strides
    /// list means default strides. Returns whether explicit strides are used.
    public static func checkStrides(count: Int, ndim: Int, flags: NDFlags) throws(SwiftBufferError) -> Bool {
        if count == 0 { return false }
        if flags.contains(.fortran) { throw .typeError("ND_FORTRAN cannot be used together with strides") }
        if count != ndim { throw .valueError("len(shape) != len(strides)") }
        return true
    }

    /// `init_ndbuf`'s check of `struct.calcsize(format)`.
    public static func checkItemsize(_ itemsize: Int) throws(SwiftBufferError) {
        if itemsize == 0 { throw .valueError("itemsize must not be zero") }
    }

    /// `init_ndbuf`'s check of the initializer's length.
    public static func checkItemCount(_ count: Int) throws(SwiftBufferError) {
        if count == 0 { throw .valueError("initializer list or tuple must not be empty") }
    }

    /// The end of `init_simple`, once the items are packed: the element format and size.
    public mutating func setElement(itemsize: Int, format: UnsafeRawBufferPointer) {
        base.readonly = !flags.contains(.writable)
        base.itemsize = itemsize
        unsafe base.format = unsafe ownFormat(format)
    }

    /// `setElement` with the format as an array.
    public mutating func setElement(itemsize: Int, format: [UInt8]) {
        unsafe format.withUnsafeBytes { unsafe setElement(itemsize: itemsize, format: $0) }
    }

    /// `init_structure`: shape, strides (default C or Fortran order), bounds, contiguity, and
    /// the PIL conversion when `ND_PIL` is set. `shape.count` is the number of dimensions.
    public mutating func setStructure(shape: [Int], strides explicit: [Int]?) throws(SwiftBufferError) {
        let ndim = shape.count
        base.ndim = ndim
        if ndim == 0 {
            if flags.contains(.pil) { throw .typeError("ndim = 0 cannot be used in conjunction with ND_PIL") }
            flags.formUnion([.scalar, .c, .fortran])
            layoutContiguity = [.c, .fortran]
            return
        }
        // shape, strides and (for PIL) suboffsets in one owned array.
        let ints = unsafe try allocateInts(3 * ndim)
        for i in 0..<ndim { unsafe ints[i] = shape[i] }
        let strides = unsafe ints + ndim
        if let explicit = explicit {
            for i in 0..<ndim { unsafe strides[i] = explicit[i] }
        } else {
            // safe because: strides_from_shape multiplies unchecked; any product that wraps
            // belongs to a shape with a zero extent (otherwise verifyStructure rejects it
            // below), where the strides are never used to address memory.
            unsafe Layout.fillContiguousStrides(shape: ints, ndim: ndim, itemsize: base.itemsize,
                                                order: flags.contains(.fortran) ? .fortran : .c, into: strides)
        }
        let stridesArray = (0..<ndim).map { unsafe strides[$0] }
        if let problem = Layout.verifyStructure(memoryLength: base.len, itemsize: base.itemsize, offset: offset,
                                                shape: shape, strides: stridesArray) {
            throw .valueError(problem)
        }
        unsafe base.shape = unsafe ints
        unsafe base.strides = unsafe strides
        unsafe base.buf = unsafe data! + offset
        // init_len; a product that overflows can only come from zero strides.
        base.len = try Layout.byteCount(shape: shape, itemsize: base.itemsize)
        layoutContiguity = Contiguity(of: base, rule: .isContiguous).intersection([.c, .fortran])
        if layoutContiguity.contains(.c) { flags.insert(.c) }
        if layoutContiguity.contains(.fortran) { flags.insert(.fortran) }
        if flags.contains(.pil) { unsafe try convertToSuboffsets(suboffsets: unsafe ints + 2 * ndim) }
    }

    /// `init_suboffsets`: the first dimension becomes an array of pointers to the sub-arrays,
    /// placed in front of the data (aligned to 8 bytes); `suboffsets[0]` is what each pointer
    /// needs added to reach the first element of its sub-array when later strides are negative.
    mutating func convertToSuboffsets(suboffsets: UnsafeMutablePointer<Int>) throws(SwiftBufferError) {
        let pointerSize = unsafe MemoryLayout<UnsafeRawPointer>.size
        let ndim = base.ndim
        let shape = unsafe base.shape!
        let strides = unsafe base.strides!
        let (table, o1) = unsafe shape[0].multipliedReportingOverflow(by: pointerSize)
        let (padded, o2) = table.addingReportingOverflow(7)
        let addsize = padded / 8 * 8
        let (total, o3) = length.addingReportingOverflow(addsize)
        if o1 || o2 || o3 { throw .noMemory }
        let allocator = allocator!
        let newData = unsafe try allocator.bytes(total, zeroed: false)
        unsafe newData.initializeMemory(as: UInt8.self, repeating: 0, count: addsize)
        unsafe (newData + addsize).copyMemory(from: data!, byteCount: length)
        unsafe allocator.deallocate(data!)
        unsafe data = unsafe newData
        length = total
        unsafe base.buf = unsafe newData

        // imin: lowest byte index of the array relative to `offset`; suboffset0: the same for
        // one sub-array of ndim-1 dimensions, negated. verifyStructure bounded both.
        var imin = 0, suboffset0 = 0
        for n in 0..<ndim {
            if unsafe shape[n] == 0 { break }
            if unsafe strides[n] <= 0 {
                let x = unsafe (shape[n] - 1) * strides[n]
                imin += x
                if n >= 1 { suboffset0 -= x }
            }
        }
        let start = addsize + offset + imin
        let step = unsafe strides[0] < 0 ? -strides[0] : strides[0]
        let pointers = unsafe newData.assumingMemoryBound(to: UnsafeMutableRawPointer.self)
        let count = unsafe shape[0]
        for n in 0..<count { unsafe pointers[n] = newData + start + n * step }

        unsafe suboffsets[0] = suboffset0
        for n in stride(from: 1, to: ndim, by: 1) { unsafe suboffsets[n] = -1 }
        unsafe base.suboffsets = unsafe suboffsets
        if unsafe strides[0] >= 0 {
            unsafe strides[0] = pointerSize
        } else {
            // Striding backwards over the pointers.
            unsafe strides[0] = -pointerSize
            if unsafe shape[0] > 0 { unsafe base.buf = unsafe newData + (shape[0] - 1) * pointerSize }
        }
        flags.subtract([.c, .fortran])
        layoutContiguity = []  // suboffsets: contiguous in no order
        offset = 0
    }

    /// `add_suboffsets`: redundant (all negative) suboffsets, for testing consumers. The
    /// contiguity flags are cleared and `ND_PIL` is not set, exactly as _testbuffer does.
    public mutating func addRedundantSuboffsets() throws(SwiftBufferError) {
        if unsafe base.suboffsets != nil { throw .typeError("cannot add suboffsets to PIL-style array") }
        if unsafe base.strides == nil { throw .typeError("cannot add suboffsets to array without strides") }
        // An original's layout array has room for them after its strides.
        let suboffsets = unsafe data != nil ? unsafe base.strides! + base.ndim : unsafe try allocateInts(base.ndim)
        for i in 0..<base.ndim { unsafe suboffsets[i] = -1 }
        unsafe base.suboffsets = unsafe suboffsets
        flags.subtract([.c, .fortran])
        layoutContiguity = []  // suboffsets: contiguous in no order
    }

    /// A contiguous copy of `source` in `order` (`.any` means C), read-only: what
    /// `PyMemoryView_GetContiguous` builds when the source is not contiguous.
    public init(contiguousCopyOf source: BufferDescriptor, order: Layout.Order,
                allocator: RawAllocator = .swift) throws(SwiftBufferError) {
        // 3 * ndim, like every original: room for add_suboffsets. Allocated before `self` is
        // whole, so a failure leaves nothing to free but `data`.
        let data = unsafe try allocator.bytes(source.len, zeroed: false)
        let ints: UnsafeMutablePointer<Int>?
        do throws(SwiftBufferError) {
            unsafe ints = source.ndim > 0 ? unsafe try NDBuffer.layoutArray(3 * source.ndim, allocator: allocator) : nil
        } catch {
            unsafe allocator.deallocate(data)
            throw error
        }
        unsafe StridedCopy.gather(source, into: data, order: order == .fortran ? .fortran : .c)
        self.allocator = allocator
        unsafe self.data = unsafe data
        self.length = source.len
        self.offset = 0
        self.hasExporter = false
        self.flags = []
        self.base = unsafe BufferDescriptor(buf: data, len: source.len, itemsize: source.itemsize, readonly: true,
                                            ndim: source.ndim, format: nil, shape: nil, strides: nil, suboffsets: nil)
        unsafe base.format = unsafe ownFormat(UnsafeRawBufferPointer(source.formatBytes))
        if let ints = unsafe ints {
            unsafe ownedInts = unsafe ints
            for i in 0..<source.ndim { unsafe ints[i] = source.extent(i) }
            unsafe Layout.fillContiguousStrides(shape: ints, ndim: source.ndim, itemsize: source.itemsize,
                                                order: order == .fortran ? .fortran : .c, into: ints + source.ndim)
            unsafe base.shape = unsafe ints
            unsafe base.strides = unsafe ints + source.ndim
        }
        resetLayoutFlags()
    }
}

// MARK: - Exports of a base buffer

extension NDBuffer {
    /// `ndarray_c_contig`, `ndarray_fortran_contig` and `ndarray_contig` (`.any`): whether the
    /// layout is contiguous in `order` (`PyBuffer_IsContiguous`), or nil when the flags claim
    /// otherwise (the getters' RuntimeError). The layout's answer is `layoutContiguity`, found
    /// when the layout was (`.any` is either order, as in `PyBuffer_IsContiguous`). Inlinable:
    /// called through a pointer from the bridge, a call copied the value out first (29
    /// instructions of 40).
    @inlinable
    public func checkedContiguity(_ order: Layout.Order) -> Bool? {
        let actual: Bool
        switch order {
        case .c: actual = layoutContiguity.contains(.c)
        case .fortran: actual = layoutContiguity.contains(.fortran)
        case .any: actual = !layoutContiguity.isEmpty
        }
        let claimed = flags.contiguity
        let expected: Bool
        switch order {
        case .c: expected = claimed.contains(.c)
        case .fortran: expected = claimed.contains(.fortran)
        case .any: expected = claimed.isAnyContiguous
        }
        return actual == expected ? actual : nil
    }

    /// `ndarray_getbuf`: the view to hand out for `request`, or nil when the request must be
    /// redirected to the consumed exporter (`ND_REDIRECT`). Counts the export on success.
    /// Always inlined into its one caller, the bridge's getbuffer: returned through a call, the
    /// descriptor was built in the return slot and copied into the Py_buffer (callgrind: 55 of
    /// `nd[1]`'s instructions, 977 against 922, and of `memoryview(nd)`'s, 1567 against 1512).
    @inlinable @inline(__always)
    public mutating func export(_ request: BufferRequest) throws(SwiftBufferError) -> BufferDescriptor? {
        if isConsumer && hasExporter && flags.contains(.redirect) { return nil }
        if unsafe base.ndim != 0 && ((request.asksShape && base.shape == nil) || (request.asksStrides && base.strides == nil)) {
            // A re-exporter created without full information, for testing consumers.
            throw .bufferError("re-exporter does not provide format, shape or strides")
        }
        if flags.contains(.getbufFail) { throw .bufferError("ND_GETBUF_FAIL: forced test exception") }
        let contiguity = flags.contiguity
        let view = try ExportRules.answer(request, base: base, contiguity: contiguity, voice: .ndarray)
        // The new view must have the exporter's contiguity (skipped for casts to 1-d bytes,
        // which must be Fortran- and so C-contiguous). A view with shape and strides has the
        // base's layout, whose contiguity is known.
        let mismatch: Bool
        if unsafe view.shape != nil && view.strides != nil {
            mismatch = contiguity.contains(.c) != layoutContiguity.contains(.c)
                || (unsafe view.format != nil && contiguity.contains(.fortran) != layoutContiguity.contains(.fortran))
        } else {
            mismatch = unsafe contiguity.contains(.c) != Layout.isContiguous(view, order: .c)
                || (view.format != nil && view.shape != nil
                    && contiguity.contains(.fortran) != Layout.isContiguous(view, order: .fortran))
                || (view.format == nil && view.shape == nil && !Layout.isContiguous(view, order: .fortran))
                // Without strides the consumer reads `len` bytes from `buf`: refused unless the
                // memory really is C-contiguous. Only a hand-set ND_SCALAR (which claims every
                // contiguity) gets here; _testbuffer then hands out memory past its allocation.
                || (view.strides == nil && !Layout.isContiguous(base, order: .c))
        }
        if mismatch { throw .bufferError("ndarray: contiguity mismatch in getbuf()") }
        exports.opened()
        return view
    }

    /// `ndarray_releasebuf` for a consumer: an export (or a pin) ended.
    public mutating func released() { exports.closed() }
}

// MARK: - The ndarray

/// The state of one original `ndarray`: the list of base buffers it created. The head is the
/// current layout; older ones stay while they are exported, so `push`/`pop` can change the
/// layout under live views with `ND_VAREXPORT`. (A consumer has one base buffer, an `NDBuffer`
/// the bridge keeps inline in its object, and no list.)
///
/// A base buffer outlives its exports: the head stays until popped, and `pop` refuses while it
/// is exported; an older one stays in the list until its last export is released. Each export
/// therefore carries the address of its base buffer (`Py_buffer.internal`), unretained.
public final class NDArray {
    /// One base buffer at a fixed address, for as long as the list (or a caller of
    /// `retainedHead`) holds it.
    @safe final class Slot {
        let buffer: UnsafeMutablePointer<NDBuffer>
        init(_ value: consuming NDBuffer) {
            unsafe buffer = .allocate(capacity: 1)
            unsafe buffer.initialize(to: value)
        }
        deinit {
            unsafe buffer.deinitialize(count: 1)
            unsafe buffer.deallocate()
        }
    }

    /// The ndarray-level flag (`nd->flags`): layout changes allowed while exported.
    public let varExport: Bool
    // Checked dynamically, as Swift checks every class property. The opt-out these had was
    // worth 157 instructions per `memoryview(nd)` when the base buffers' own fields were class
    // properties too; with those now struct fields reached through a pointer, it is worth 8
    // (callgrind, 1570 against 1562), too little to keep.
    var current: Slot
    // Earlier heads, oldest first.
    private var older: [Slot] = []

    /// An original exporter whose first base buffer is `head`.
    public init(original head: consuming NDBuffer, varExport: Bool = false) {
        self.varExport = varExport
        self.current = Slot(head)
    }

    /// The current base buffer, at the address its exports carry. Valid until the head is
    /// popped or the array is freed; `retainedHead` keeps it across Python code. Not
    /// inlinable: inlined into another module, each read of `current` was a dynamic
    /// exclusivity check (`@exclusivity(unchecked)` holds only in this module; 76
    /// instructions in callgrind against a call of about 10).
    public var head: UnsafeMutablePointer<NDBuffer> {
        @inline(never) get { unsafe current.buffer }
    }

    /// The head with what keeps it alive: while the caller holds `owner`, the base buffer stays
    /// even if Python code pops it or re-initialises the ndarray (a store then goes to the
    /// popped base buffer: _testbuffer writes into freed memory there). Not generic, unlike a
    /// closure-taking form, which the bridge called unspecialised (56 instructions of
    /// `nd[i] = v`); not inlinable, like `head`.
    public var retainedHead: (buffer: UnsafeMutablePointer<NDBuffer>, owner: AnyObject) {
        @inline(never) get { unsafe (current.buffer, current) }
    }

    /// Live exports of every base buffer.
    public var liveExports: Int {
        unsafe older.reduce(current.buffer.pointee.exports.live) { unsafe $0 + $1.buffer.pointee.exports.live }
    }

    /// What changing the structure raises while `exports` buffers are exported (`push`, `pop`,
    /// and the bridge's `__init__`, which asks for any ndarray object).
    public static func changeRefusal(_ exports: Int) -> SwiftBufferError {
        .bufferError("cannot change structure: \(exports) exported buffer\(exports == 1 ? "" : "s")")
    }

    /// What changing a consumer's structure raises (`push` and `pop` on a re-exporter).
    public static var consumerRefusal: SwiftBufferError { .bufferError("structure of re-exporting object is immutable") }

    /// `ndarray_push`'s checks, made before the new base buffer is built; `array` is nil for a
    /// consumer, whose structure cannot change.
    public static func checkPush(flags: NDFlags, onto array: NDArray?) throws(SwiftBufferError) {
        if flags.contains(.varExport) {
            throw .valueError("ND_VAREXPORT flag can only be used during object creation")
        }
        guard let array else { throw consumerRefusal }
        let live = unsafe array.current.buffer.pointee.exports.live
        if !array.varExport && live > 0 { throw changeRefusal(live) }
    }

    /// Makes `buffer` the head (after `checkPush`).
    public func push(_ buffer: consuming NDBuffer) {
        older.append(current)
        current = Slot(buffer)
    }

    /// `ndarray_pop`: drops the head, which must not be exported.
    public func pop() throws(SwiftBufferError) {
        let live = unsafe current.buffer.pointee.exports.live
        if live > 0 { throw NDArray.changeRefusal(live) }
        guard let previous = older.popLast() else { throw .bufferError("list only has a single base") }
        current = previous
    }

    /// `ndarray_releasebuf`: an export of the base buffer at `token` (the `head` it was made
    /// from) ended; a base buffer that is no longer the head is dropped with its last export.
    public func released(_ token: UnsafeMutableRawPointer) {
        let buffer = unsafe token.assumingMemoryBound(to: NDBuffer.self)
        unsafe buffer.pointee.released()
        if unsafe buffer.pointee.exports.live != 0 || buffer == current.buffer { return }
        if let i = older.firstIndex(where: { unsafe $0.buffer == buffer }) { older.remove(at: i) }
    }
}
