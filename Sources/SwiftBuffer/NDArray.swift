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
// `NDFlags.maxDimensions` long and use Swift's allocator.

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

    /// `init_flags`: the scalar, PIL and contiguity facts of a layout.
    @inlinable
    public init(layoutOf view: BufferDescriptor) {
        var flags: NDFlags = []
        if view.ndim == 0 { flags.insert(.scalar) }
        if unsafe view.suboffsets != nil { flags.insert(.pil) }
        if Layout.isContiguous(view, order: .c) { flags.insert(.c) }
        if Layout.isContiguous(view, order: .fortran) { flags.insert(.fortran) }
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
@safe public final class NDBuffer {
    // The stored properties an export reads or writes skip dynamic exclusivity checks: they
    // cost more than the rest of an export (callgrind: swift_beginAccess, AccessSet::insert
    // and the TLS lookup were 12% of `memoryview(nd)`), and every access comes from Python
    // through the bridge with the GIL held, one at a time, never nested.

    /// The complete layout (`ndbuf->base`). Its arrays point into storage this object owns or,
    /// for a consumer, into the consumed buffer.
    @exclusivity(unchecked) public internal(set) var base: BufferDescriptor
    @exclusivity(unchecked) public internal(set) var flags: NDFlags
    /// Live exports of this base buffer (and pins: `NDArray.withPinnedHead`).
    @exclusivity(unchecked) public internal(set) var exports = ExportCount()
    /// Start of the array relative to `data` (`ndbuf->offset`); -1 for a consumer.
    @exclusivity(unchecked) public internal(set) var offset: Int
    /// Bytes of `data` (`ndbuf->len`); -1 for a consumer.
    @exclusivity(unchecked) public internal(set) var length: Int
    /// The memory an original owns; nil for a consumer.
    @exclusivity(unchecked) public internal(set) var data: UnsafeMutableRawPointer?
    /// Whether the consumed buffer named its exporter (`base.obj != NULL`); false for originals.
    public let hasExporter: Bool

    let allocator: RawAllocator
    // What this object owns besides `data`, freed at deinit: its format bytes, one array of
    // shape, strides and suboffsets (3 * ndim), and rarely a second array.
    // Unchecked too, with NDArray.head and .older (callgrind, instructions per operation with
    // and without these five opt-outs: memoryview(nd) 1632 vs 1789, nd[1:5] 2985 vs 3155).
    @exclusivity(unchecked) private var ownedFormat: UnsafeMutablePointer<CChar>?
    @exclusivity(unchecked) private var ownedInts: UnsafeMutablePointer<Int>?
    @exclusivity(unchecked) private var ownedExtra: UnsafeMutablePointer<Int>?

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
        unsafe self.length = length
        unsafe self.offset = offset
        unsafe self.flags = flags
        self.hasExporter = false
        unsafe self.base = unsafe BufferDescriptor(buf: data, len: length, itemsize: 1, readonly: false, ndim: 1,
                                            format: nil, shape: nil, strides: nil, suboffsets: nil)
    }

    /// A consumer of `view` (`ndarray_init_staticbuf` + `init_flags`): writable when the view
    /// is, plus the layout facts of the view, plus `userFlags`.
    public convenience init(consuming view: BufferDescriptor, hasExporter: Bool, userFlags: NDFlags = []) {
        self.init(subviewOf: view, hasExporter: hasExporter)
        unsafe flags.formUnion(NDFlags(layoutOf: view))
        unsafe flags.formUnion(userFlags)
    }

    /// A consumer of `view` about to be narrowed (`narrowToItem`) or sliced (`ownStructure`,
    /// `applySlice`, `finishSlicing`), which compute its layout flags once they are done
    /// (`ndarray_init_staticbuf` alone: only writability is known).
    public init(subviewOf view: BufferDescriptor, hasExporter: Bool) {
        self.allocator = .swift
        unsafe self.base = view
        unsafe self.offset = -1
        unsafe self.length = -1
        unsafe self.data = nil
        self.hasExporter = hasExporter
        unsafe self.flags = view.readonly ? [] : .writable
    }

    deinit {
        if let data = unsafe data { unsafe allocator.deallocate(data) }
        unsafe ownedFormat?.deallocate()
        unsafe ownedInts?.deallocate()
        unsafe ownedExtra?.deallocate()
    }

    /// Whether this base buffer describes memory obtained from another exporter.
    @inlinable public var isConsumer: Bool { unsafe data == nil }

    /// The memory an original was created with, to pack items into before `setElement`.
    public var rawBytes: UnsafeMutableRawBufferPointer {
        unsafe UnsafeMutableRawBufferPointer(start: data, count: max(length, 0))
    }

    /// `count` Ints owned by this object (the layout array; a second request gets the extra one).
    func allocateInts(_ count: Int) -> UnsafeMutablePointer<Int> {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        if unsafe ownedInts == nil {
            unsafe ownedInts = p
        } else {
            precondition(unsafe ownedExtra == nil, "NDBuffer: at most two owned arrays")
            unsafe ownedExtra = p
        }
        return unsafe p
    }

    /// A NUL-terminated copy of `bytes`, owned by this object, as its format.
    func ownFormat(_ bytes: UnsafeRawBufferPointer) -> UnsafePointer<CChar> {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        if let source = bytes.baseAddress, bytes.count > 0 {
            unsafe UnsafeMutableRawPointer(p).copyMemory(from: source, byteCount: bytes.count)
        }
        unsafe p[bytes.count] = 0
        unsafe ownedFormat?.deallocate()
        unsafe ownedFormat = p
        return unsafe UnsafePointer(p)
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
    public func setElement(itemsize: Int, format: UnsafeRawBufferPointer) {
        unsafe base.readonly = unsafe !flags.contains(.writable)
        unsafe base.itemsize = itemsize
        unsafe base.format = unsafe ownFormat(format)
    }

    /// `setElement` with the format as an array.
    public func setElement(itemsize: Int, format: [UInt8]) {
        unsafe format.withUnsafeBytes { unsafe setElement(itemsize: itemsize, format: $0) }
    }

    /// `init_structure`: shape, strides (default C or Fortran order), bounds, contiguity, and
    /// the PIL conversion when `ND_PIL` is set. `shape.count` is the number of dimensions.
    public func setStructure(shape: [Int], strides explicit: [Int]?) throws(SwiftBufferError) {
        let ndim = shape.count
        unsafe base.ndim = ndim
        if ndim == 0 {
            if unsafe flags.contains(.pil) { throw .typeError("ndim = 0 cannot be used in conjunction with ND_PIL") }
            unsafe flags.formUnion([.scalar, .c, .fortran])
            return
        }
        // shape, strides and (for PIL) suboffsets in one owned array.
        let ints = unsafe allocateInts(3 * ndim)
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
        if let problem = unsafe Layout.verifyStructure(memoryLength: base.len, itemsize: base.itemsize, offset: offset,
                                                shape: shape, strides: stridesArray) {
            throw .valueError(problem)
        }
        unsafe base.shape = unsafe ints
        unsafe base.strides = unsafe strides
        unsafe base.buf = unsafe data! + offset
        // init_len; a product that overflows can only come from zero strides.
        unsafe base.len = unsafe try Layout.byteCount(shape: shape, itemsize: base.itemsize)
        if unsafe Layout.isContiguous(base, order: .c) { unsafe flags.insert(.c) }
        if unsafe Layout.isContiguous(base, order: .fortran) { unsafe flags.insert(.fortran) }
        if unsafe flags.contains(.pil) { unsafe try convertToSuboffsets(suboffsets: unsafe ints + 2 * ndim) }
    }

    /// `init_suboffsets`: the first dimension becomes an array of pointers to the sub-arrays,
    /// placed in front of the data (aligned to 8 bytes); `suboffsets[0]` is what each pointer
    /// needs added to reach the first element of its sub-array when later strides are negative.
    func convertToSuboffsets(suboffsets: UnsafeMutablePointer<Int>) throws(SwiftBufferError) {
        let pointerSize = unsafe MemoryLayout<UnsafeRawPointer>.size
        let ndim = unsafe base.ndim
        let shape = unsafe base.shape!
        let strides = unsafe base.strides!
        let (table, o1) = unsafe shape[0].multipliedReportingOverflow(by: pointerSize)
        let (padded, o2) = table.addingReportingOverflow(7)
        let addsize = padded / 8 * 8
        let (total, o3) = unsafe length.addingReportingOverflow(addsize)
        if o1 || o2 || o3 { throw .noMemory }
        let newData = unsafe try allocator.bytes(total, zeroed: false)
        unsafe newData.initializeMemory(as: UInt8.self, repeating: 0, count: addsize)
        unsafe (newData + addsize).copyMemory(from: data!, byteCount: length)
        unsafe allocator.deallocate(data!)
        unsafe data = unsafe newData
        unsafe length = total
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
        let start = unsafe addsize + offset + imin
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
        unsafe flags.subtract([.c, .fortran])
        unsafe offset = 0
    }

    /// `add_suboffsets`: redundant (all negative) suboffsets, for testing consumers. The
    /// contiguity flags are cleared and `ND_PIL` is not set, exactly as _testbuffer does.
    public func addRedundantSuboffsets() throws(SwiftBufferError) {
        if unsafe base.suboffsets != nil { throw .typeError("cannot add suboffsets to PIL-style array") }
        if unsafe base.strides == nil { throw .typeError("cannot add suboffsets to array without strides") }
        // An original's layout array has room for them after its strides.
        let suboffsets = unsafe data != nil ? unsafe base.strides! + base.ndim : unsafe allocateInts(base.ndim)
        for i in unsafe 0..<base.ndim { unsafe suboffsets[i] = -1 }
        unsafe base.suboffsets = unsafe suboffsets
        unsafe flags.subtract([.c, .fortran])
    }

    /// A contiguous copy of `source` in `order` (`.any` means C), read-only: what
    /// `PyMemoryView_GetContiguous` builds when the source is not contiguous.
    public init(contiguousCopyOf source: BufferDescriptor, order: Layout.Order,
                allocator: RawAllocator = .swift) throws(SwiftBufferError) {
        let data = unsafe try allocator.bytes(source.len, zeroed: false)
        unsafe StridedCopy.gather(source, into: data, order: order == .fortran ? .fortran : .c)
        self.allocator = allocator
        unsafe self.data = unsafe data
        unsafe self.length = source.len
        unsafe self.offset = 0
        self.hasExporter = false
        unsafe self.flags = []
        unsafe self.base = unsafe BufferDescriptor(buf: data, len: source.len, itemsize: source.itemsize, readonly: true,
                                            ndim: source.ndim, format: nil, shape: nil, strides: nil, suboffsets: nil)
        unsafe base.format = unsafe ownFormat(UnsafeRawBufferPointer(source.formatBytes))
        if source.ndim > 0 {
            // 3 * ndim, like every original: room for add_suboffsets.
            let ints = unsafe allocateInts(3 * source.ndim)
            for i in 0..<source.ndim { unsafe ints[i] = source.extent(i) }
            unsafe Layout.fillContiguousStrides(shape: ints, ndim: source.ndim, itemsize: source.itemsize,
                                                order: order == .fortran ? .fortran : .c, into: ints + source.ndim)
            unsafe base.shape = unsafe ints
            unsafe base.strides = unsafe ints + source.ndim
        }
        unsafe flags = unsafe NDFlags(layoutOf: base)
    }
}

// MARK: - The ndarray

/// The state of one `ndarray`: either a list of base buffers it created (the head is the
/// current layout; older ones stay while they are exported, so `push`/`pop` can change the
/// layout under live views with `ND_VAREXPORT`), or one buffer it consumed from another exporter.
///
/// A base buffer outlives its exports: the head stays until popped, and `pop` refuses while it
/// is exported; an older one stays in the list until its last export is released. The bridge
/// therefore hands out unretained references to base buffers with each export.
public final class NDArray {
    /// Whether the array re-exports another exporter's buffer (`ND_IS_CONSUMER`).
    public let isConsumer: Bool
    /// The ndarray-level flag (`nd->flags`): layout changes allowed while exported.
    public let varExport: Bool
    /// The current base buffer.
    ///
    /// Stored as `current`; read from another module through this getter, which is not
    /// inlinable. Inlined there, each read was a dynamic exclusivity check
    /// (`@exclusivity(unchecked)` holds only in this module): 76 instructions in callgrind,
    /// against a call of about 10.
    public var head: NDBuffer {
        @inline(never) get { unsafe current }
    }
    @exclusivity(unchecked) var current: NDBuffer

    /// The current base buffer as the token its export carries (`Py_buffer.internal`),
    /// unretained: the array keeps each exported base buffer until `released(_:)`. Not
    /// inlinable, like `head`, and without `head`'s retain and release (callgrind: 42
    /// instructions of each `ndarray_getbuf`, against a call of about 10).
    public var headToken: UnsafeMutableRawPointer {
        @inline(never) get { unsafe Unmanaged.passUnretained(current).toOpaque() }
    }
    // Earlier heads, oldest first (empty for consumers, so they allocate no list).
    @exclusivity(unchecked) private var older: [NDBuffer] = []

    /// An original exporter whose first base buffer is `head`.
    public init(original head: NDBuffer, varExport: Bool = false) {
        self.isConsumer = false
        self.varExport = varExport
        unsafe self.current = head
    }

    /// A re-exporter of the buffer `head` describes.
    public init(consumer head: NDBuffer) {
        self.isConsumer = true
        self.varExport = false
        unsafe self.current = head
    }

    /// The current base buffer's layout, flags and offset, for the bridge's attribute getters.
    /// Not inlinable: inlined into another module, each read of `head` and of its properties
    /// was a dynamic exclusivity check (`@exclusivity(unchecked)` holds only in this module;
    /// callgrind: 76 instructions per check, two per getter, `nd.itemsize` 196 instructions
    /// against _testbuffer's 25).
    @inline(never)
    public var headFacts: (base: BufferDescriptor, flags: NDFlags, offset: Int) {
        let h = unsafe current
        return unsafe (h.base, h.flags, h.offset)
    }

    /// `ndarray_c_contig`, `ndarray_fortran_contig` and `ndarray_contig` (`.any`): whether the
    /// head's layout is contiguous in `order` (`PyBuffer_IsContiguous`), or nil when its flags
    /// claim otherwise (the getters' RuntimeError). Not inlinable, like `headFacts`; reading
    /// the layout in place instead of copying `headFacts` out (callgrind: `nd.c_contiguous`
    /// 139 instructions in the bridge against _testbuffer's 65).
    @inline(never)
    public func checkedContiguity(_ order: Layout.Order) -> Bool? {
        let head = unsafe current
        let actual = unsafe Layout.isContiguous(head.base, order: order)
        let claimed = unsafe head.flags.contiguity
        let expected: Bool
        switch order {
        case .c: expected = claimed.contains(.c)
        case .fortran: expected = claimed.contains(.fortran)
        case .any: expected = claimed.isAnyContiguous
        }
        return actual == expected ? actual : nil
    }

    /// Live exports of every base buffer.
    public var liveExports: Int { unsafe older.reduce(current.exports.live) { unsafe $0 + $1.exports.live } }

    private func checkMutable() throws(SwiftBufferError) {
        if isConsumer { throw .bufferError("structure of re-exporting object is immutable") }
    }

    private func changeRefusal(_ exports: Int) -> SwiftBufferError {
        .bufferError("cannot change structure: \(exports) exported buffer\(exports == 1 ? "" : "s")")
    }

    /// `ndarray_push`'s checks, made before the new base buffer is built.
    public func checkPush(flags: NDFlags) throws(SwiftBufferError) {
        if flags.contains(.varExport) {
            throw .valueError("ND_VAREXPORT flag can only be used during object creation")
        }
        try checkMutable()
        if unsafe !varExport && current.exports.live > 0 { throw unsafe changeRefusal(current.exports.live) }
    }

    /// Makes `buffer` the head (after `checkPush`).
    public func push(_ buffer: NDBuffer) {
        unsafe older.append(current)
        unsafe current = buffer
    }

    /// `ndarray_pop`: drops the head, which must not be exported.
    public func pop() throws(SwiftBufferError) {
        try checkMutable()
        if unsafe current.exports.live > 0 { throw unsafe changeRefusal(current.exports.live) }
        guard let previous = unsafe older.popLast() else { throw .bufferError("list only has a single base") }
        unsafe current = previous
    }

    // MARK: - getbuffer

    /// `ndarray_getbuf`: the view to hand out for `request`, or nil when the request must be
    /// redirected to the consumed exporter (`ND_REDIRECT`). Counts the export on success.
    public func export(_ request: BufferRequest) throws(SwiftBufferError) -> BufferDescriptor? {
        let buffer = unsafe current
        let flags = unsafe buffer.flags
        if isConsumer && buffer.hasExporter && flags.contains(.redirect) { return nil }
        let base = unsafe buffer.base
        if unsafe base.ndim != 0 && ((request.asksShape && base.shape == nil) || (request.asksStrides && base.strides == nil)) {
            // A re-exporter created without full information, for testing consumers.
            throw .bufferError("re-exporter does not provide format, shape or strides")
        }
        if flags.contains(.getbufFail) { throw .bufferError("ND_GETBUF_FAIL: forced test exception") }
        let contiguity = flags.contiguity
        let view = try ExportRules.answer(request, base: base, contiguity: contiguity, voice: .ndarray)
        // The new view must have the exporter's contiguity (skipped for casts to 1-d bytes,
        // which must be Fortran- and so C-contiguous).
        if unsafe contiguity.contains(.c) != Layout.isContiguous(view, order: .c)
            || (view.format != nil && view.shape != nil
                && contiguity.contains(.fortran) != Layout.isContiguous(view, order: .fortran))
            || (view.format == nil && view.shape == nil && !Layout.isContiguous(view, order: .fortran))
            // Without strides the consumer reads `len` bytes from `buf`: refused unless the
            // memory really is C-contiguous. Only a hand-set ND_SCALAR (which claims every
            // contiguity) gets here; _testbuffer then hands out memory past its allocation.
            || (view.strides == nil && !Layout.isContiguous(base, order: .c)) {
            throw .bufferError("ndarray: contiguity mismatch in getbuf()")
        }
        unsafe buffer.exports.opened()
        return view
    }

    /// Runs `body`, a use of the head that runs Python code (packing an item, hashing the
    /// consumed exporter), with that use counted as an export of the head, so the code cannot pop
    /// or re-initialise the array and free the memory being used. The one way to pin a base
    /// buffer; the pin ends as an export does (`released(_:)`), also when `body` throws.
    public func withPinnedHead<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let pinned = unsafe current
        unsafe pinned.exports.opened()
        defer { released(pinned) }
        return try body()
    }

    /// `ndarray_releasebuf`: an export of `buffer` ended; a base buffer that is no longer the
    /// head is dropped with its last export.
    public func released(_ buffer: NDBuffer) {
        unsafe buffer.exports.closed()
        if unsafe isConsumer || buffer.exports.live != 0 || buffer === current { return }
        if let i = unsafe older.firstIndex(where: { $0 === buffer }) { unsafe older.remove(at: i) }
    }
}
