/// The layout of one exported buffer, field for field the `Py_buffer` of PEP 3118 (without the
/// exporter object and the `internal` slot, which belong to the bridge).
///
/// The descriptor borrows its arrays: `shape`, `strides`, `suboffsets` and `format` point into
/// storage owned by whoever exported the memory, and stay valid only while that export lives.
/// Sharp edges of the protocol, as CPython defines them:
/// - `format == nil` means unsigned bytes, `"B"`.
/// - `shape == nil` means one dimension of `len / itemsize` items (a `PyBUF_SIMPLE` answer).
/// - `strides == nil` means C-contiguous.
/// - `suboffsets[i] >= 0` means "dereference the pointer found here, then add suboffsets[i]"
///   (PIL-style arrays of pointers); `suboffsets == nil` means no indirection at all.
/// - Strides may be negative; `buf` then points at the first element in index order, not at
///   the lowest address.
/// - A dimension of length 0 makes `len == 0`; `ndim == 0` is a scalar of one item.
@safe public struct BufferDescriptor {
    public var buf: UnsafeMutableRawPointer?
    public var len: Int
    public var itemsize: Int
    public var readonly: Bool
    public var ndim: Int
    public var format: UnsafePointer<CChar>?
    public var shape: UnsafeMutablePointer<Int>?
    public var strides: UnsafeMutablePointer<Int>?
    public var suboffsets: UnsafeMutablePointer<Int>?

    @inlinable
    public init(buf: UnsafeMutableRawPointer?, len: Int, itemsize: Int, readonly: Bool, ndim: Int,
                format: UnsafePointer<CChar>?, shape: UnsafeMutablePointer<Int>?,
                strides: UnsafeMutablePointer<Int>?, suboffsets: UnsafeMutablePointer<Int>?) {
        unsafe self.buf = unsafe buf
        self.len = len
        self.itemsize = itemsize
        self.readonly = readonly
        self.ndim = ndim
        unsafe self.format = unsafe format
        unsafe self.shape = unsafe shape
        unsafe self.strides = unsafe strides
        unsafe self.suboffsets = unsafe suboffsets
    }

    /// Extent `i` of the layout, honouring `shape == nil` (one dimension of len/itemsize).
    @inlinable
    public func extent(_ i: Int) -> Int {
        if let shape = unsafe shape { return unsafe shape[i] }
        return itemsize == 0 ? 0 : len / itemsize
    }

    /// Stride `i`, honouring `strides == nil` (C-contiguous).
    @inlinable @inline(__always)
    public func stride(_ i: Int) -> Int {
        if let strides = unsafe strides { return unsafe strides[i] }
        return contiguousStride(i)
    }

    /// Stride `i` of a C-contiguous layout: out of line, so that `stride` inlines to a load.
    @inlinable
    func contiguousStride(_ i: Int) -> Int {
        var s = itemsize
        var j = ndim - 1
        while j > i { s &*= extent(j); j -= 1 }
        return s
    }

    /// The format bytes, without the terminating NUL; `"B"` when `format` is nil.
    @inlinable
    public var formatBytes: UnsafeBufferPointer<UInt8> {
        guard let format = unsafe format else { return unsafe Layout.unsignedByteFormat }
        return unsafe UnsafeBufferPointer(start: UnsafeRawPointer(format).assumingMemoryBound(to: UInt8.self),
                                          count: Layout.cStringLength(format))
    }

    /// The contiguity facts of this layout, computed once per view (`init_flags` in memoryobject.c).
    @inlinable
    public var contiguity: Contiguity { Contiguity(of: self) }
}

/// Which contiguity a layout has; cached per exporter so every request is answered by a few
/// bit tests. Raw values are the `_Py_MEMORYVIEW_*` flags.
public struct Contiguity: OptionSet, Sendable, Hashable {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }

    // Computed and inlinable rather than `static let`: a stored static of another module is
    // read through a call to its addressor, and the export path tests these on every request
    // (callgrind: 15 of 158 instructions per swiftbuf.Buffer export with PyBUF_FULL_RO, 33 of
    // 183 with PyBUF_SIMPLE, went to those calls).
    @inlinable public static var c: Contiguity { Contiguity(rawValue: 0x002) }
    @inlinable public static var fortran: Contiguity { Contiguity(rawValue: 0x004) }
    @inlinable public static var scalar: Contiguity { Contiguity(rawValue: 0x008) }
    @inlinable public static var pil: Contiguity { Contiguity(rawValue: 0x010) }

    @inlinable public var isAnyContiguous: Bool { !isDisjoint(with: [.c, .fortran]) }

    /// Which of CPython's two definitions of contiguity applies. They differ in one case only:
    /// a 1-d layout of no bytes whose stride is not the itemsize (an empty slice with a step),
    /// contiguous to `PyBuffer_IsContiguous` (`len == 0` comes first) and not to memoryview's
    /// `init_flags`, which tests the stride and the extent alone (`MV_CONTIGUOUS_NDIM1`).
    /// Every other layout gets the same answer from both.
    @frozen public enum Rule: Sendable {
        /// `init_flags` of memoryobject.c: the flags of a memoryview.
        case memoryview
        /// `PyBuffer_IsContiguous`: the flags of a `_testbuffer` ndarray (its `init_flags`).
        case isContiguous
    }

    /// The contiguity facts of `view` by `rule`: a 1-d layout is contiguous when its only
    /// stride is the itemsize or it has at most one element (or, by `.isContiguous`, no bytes);
    /// an N-d one is walked as `PyBuffer_IsContiguous` walks it; suboffsets rule out every kind
    /// of contiguity.
    ///
    /// Inlined for 0-d and 1-d views (every view made computes it: as an out-of-line call taking
    /// the descriptor indirectly it was 38 instructions of a slice's ~1050 under callgrind); the
    /// N-d walk stays out of line.
    @inlinable @inline(__always)
    public init(of view: BufferDescriptor, rule: Rule = .memoryview) {
        var flags: Contiguity = []
        switch view.ndim {
        case 0:
            flags = [.scalar, .c, .fortran]
        case 1:
            // The 1-d stride read directly (`stride(0)` with no strides is the itemsize): the
            // general `stride(_:)` stayed an out-of-line call taking the descriptor through
            // memory, ~20 instructions of every view made.
            var stride = view.itemsize
            if let strides = unsafe view.strides { stride = unsafe strides[0] }
            if view.extent(0) == 1 || stride == view.itemsize || (rule == .isContiguous && view.len == 0) {
                flags = [.c, .fortran]
            }
        default:
            // The fields the walk reads, by value: passing the descriptor made every caller
            // store the whole of it to the stack first, 1-d and 0-d views included.
            // A layout with suboffsets is neither (below), so it skips the walk.
            if unsafe view.suboffsets == nil {
                flags = unsafe Contiguity.multidimensional(len: view.len, itemsize: view.itemsize, ndim: view.ndim,
                                                           shape: view.shape, strides: view.strides)
            }
        }
        if unsafe view.suboffsets != nil {
            flags.insert(.pil)
            flags.subtract([.c, .fortran])
        }
        self = flags
    }

    @inlinable @inline(never)
    static func multidimensional(len: Int, itemsize: Int, ndim: Int,
                                 shape: UnsafeMutablePointer<Int>?, strides: UnsafeMutablePointer<Int>?) -> Contiguity {
        // Without suboffsets: the caller does not walk a layout that has some.
        // A view's complete arrays (every view made): both walks of PyBuffer_IsContiguous
        // inline, reading the arrays directly (through Layout.isContiguous, each walk went
        // through the descriptor's optional arrays: 141 instructions of a 64x64 view's flags).
        if let shape = unsafe shape, let strides = unsafe strides, len != 0 {
            var flags: Contiguity = []
            if unsafe Layout.isCContiguous(ndim: ndim, itemsize: itemsize, strides: strides, extent: { unsafe shape[$0] }) { flags.insert(.c) }
            if unsafe Layout.isFortranContiguous(ndim: ndim, itemsize: itemsize, strides: strides, extent: { unsafe shape[$0] }) { flags.insert(.fortran) }
            return flags
        }
        let view = unsafe BufferDescriptor(buf: nil, len: len, itemsize: itemsize, readonly: true, ndim: ndim,
                                           format: nil, shape: shape, strides: strides, suboffsets: nil)
        var flags: Contiguity = []
        if Layout.isContiguous(view, order: .c) { flags.insert(.c) }
        if Layout.isContiguous(view, order: .fortran) { flags.insert(.fortran) }
        return flags
    }
}
