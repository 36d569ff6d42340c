/// Layout facts computed in one place each: contiguity, default strides, overflow-checked
/// sizes, and the bounds check of a (shape, strides, offset) triple against its memory.
public enum Layout {
    /// Memory order of a contiguous layout, as the `order` arguments of CPython spell it.
    public enum Order: Sendable, Hashable {
        case c, fortran, any

        /// Parses `'C'`, `'F'`, `'A'`; nil for anything else.
        @inlinable public init?(_ char: UInt8) {
            switch char {
            case UInt8(ascii: "C"): self = .c
            case UInt8(ascii: "F"): self = .fortran
            case UInt8(ascii: "A"): self = .any
            default: return nil
            }
        }
    }

    /// `PyBUF_MAX_NDIM`: the most dimensions a memoryview has (_testbuffer's `ND_MAX_NDIM`
    /// is twice this, `NDFlags.maxDimensions`).
    public static let maxDimensions = 64

    // "B\0", the format a NULL format stands for: a string literal (static, NUL-terminated,
    // never written). A lazily allocated global cost a swift_once call at every use.
    @inlinable static var unsignedByteStorage: UnsafeMutablePointer<UInt8> {
        unsafe UnsafeMutablePointer(mutating: ("B" as StaticString).utf8Start)
    }
    @inlinable static var unsignedByteFormat: UnsafeBufferPointer<UInt8> {
        unsafe UnsafeBufferPointer(start: unsignedByteStorage, count: 1)
    }
    /// A NUL-terminated `"B"` with static lifetime.
    @inlinable public static var unsignedByteCString: UnsafePointer<CChar> {
        unsafe UnsafeRawPointer(unsignedByteStorage).assumingMemoryBound(to: CChar.self)
    }

    @inlinable
    static func cStringLength(_ s: UnsafePointer<CChar>) -> Int {
        var n = 0
        while unsafe s[n] != 0 { n += 1 }
        return n
    }

    /// `PyBuffer_IsContiguous`: suboffsets are never contiguous; an empty buffer always is.
    @inlinable
    public static func isContiguous(_ view: BufferDescriptor, order: Order) -> Bool {
        if unsafe view.suboffsets != nil { return false }
        switch order {
        case .c: return isCContiguous(view)
        case .fortran: return isFortranContiguous(view)
        case .any: return isCContiguous(view) || isFortranContiguous(view)
        }
    }

    @inlinable
    static func isCContiguous(_ view: BufferDescriptor) -> Bool {
        if view.len == 0 { return true }
        guard let strides = unsafe view.strides else { return true }
        // The shape read directly when there is one (every layout with strides has one): through
        // `view.extent` each step tested for a missing shape again.
        if let shape = unsafe view.shape {
            return unsafe isCContiguous(ndim: view.ndim, itemsize: view.itemsize, strides: strides, extent: { unsafe shape[$0] })
        }
        return unsafe isCContiguous(ndim: view.ndim, itemsize: view.itemsize, strides: strides, extent: view.extent)
    }

    /// `_IsCContiguous`'s walk, for a non-empty layout with strides; `extent(i)` is shape[i].
    @inlinable @inline(__always)
    static func isCContiguous(ndim: Int, itemsize: Int, strides: UnsafePointer<Int>, extent: (Int) -> Int) -> Bool {
        var expected = itemsize
        var i = ndim - 1
        while i >= 0 {
            let dim = extent(i)
            if unsafe dim > 1 && strides[i] != expected { return false }
            expected &*= dim
            i -= 1
        }
        return true
    }

    /// `_IsFortranContiguous`'s walk, for a non-empty layout with strides.
    @inlinable @inline(__always)
    static func isFortranContiguous(ndim: Int, itemsize: Int, strides: UnsafePointer<Int>, extent: (Int) -> Int) -> Bool {
        var expected = itemsize
        for i in 0..<ndim {
            let dim = extent(i)
            if unsafe dim > 1 && strides[i] != expected { return false }
            expected &*= dim
        }
        return true
    }

    @inlinable
    static func isFortranContiguous(_ view: BufferDescriptor) -> Bool {
        if view.len == 0 { return true }
        guard let strides = unsafe view.strides else {
            // C-contiguous by definition; also Fortran when at most one extent exceeds 1.
            if view.ndim <= 1 { return true }
            var longDims = 0
            for i in 0..<view.ndim where view.extent(i) > 1 { longDims += 1 }
            return longDims <= 1
        }
        if let shape = unsafe view.shape {
            return unsafe isFortranContiguous(ndim: view.ndim, itemsize: view.itemsize, strides: strides, extent: { unsafe shape[$0] })
        }
        return unsafe isFortranContiguous(ndim: view.ndim, itemsize: view.itemsize, strides: strides, extent: view.extent)
    }

    /// Writes the strides of a contiguous layout in `order` (`.any` means C).
    /// The caller has validated `shape` with `byteCount`, so the products cannot overflow.
    @inlinable
    public static func fillContiguousStrides(shape: UnsafePointer<Int>, ndim: Int, itemsize: Int,
                                             order: Order, into strides: UnsafeMutablePointer<Int>) {
        guard ndim > 0 else { return }
        if order == .fortran {
            unsafe strides[0] = itemsize
            for i in stride(from: 1, to: ndim, by: 1) { unsafe strides[i] = strides[i - 1] &* shape[i - 1] }
        } else {
            unsafe strides[ndim - 1] = itemsize
            for i in stride(from: ndim - 2, through: 0, by: -1) { unsafe strides[i] = strides[i + 1] &* shape[i + 1] }
        }
    }

    /// Strides of a contiguous layout, as an array (for construction paths, not exports).
    public static func contiguousStrides(shape: [Int], itemsize: Int, order: Order) -> [Int] {
        var strides = [Int](repeating: 0, count: shape.count)
        unsafe shape.withUnsafeBufferPointer { s in
            unsafe strides.withUnsafeMutableBufferPointer { out in
                if let base = s.baseAddress, let o = out.baseAddress {
                    unsafe fillContiguousStrides(shape: base, ndim: shape.count, itemsize: itemsize, order: order, into: o)
                }
            }
        }
        return strides
    }

    /// `product(shape) * itemsize`, rejecting negative extents and any overflow of `Py_ssize_t`.
    /// An extent of 0 anywhere makes the product 0 even when the others would overflow,
    /// as in CPython's `copy_shape` checks.
    public static func byteCount<Shape: Sequence>(shape: Shape, itemsize: Int) throws(SwiftBufferError) -> Int where Shape.Element == Int {
        var product = itemsize
        var overflowed = false
        var empty = false
        for extent in shape {
            // Every extent is checked, including those after a 0: (0, -1) is not a shape.
            if extent < 0 { throw .valueError("shape elements cannot be negative") }
            // Multiplied on regardless, without a branch: after an overflow the product is
            // never used, after a 0 it stays 0.
            empty = empty || extent == 0
            let (p, o) = product.multipliedReportingOverflow(by: extent)
            product = p
            overflowed = overflowed || o
        }
        if empty { return 0 }
        if overflowed { throw .valueError("product(shape) * itemsize is too large") }
        return product
    }

    /// Whether every element of (offset, shape, strides) lies inside `memoryLength` bytes
    /// (`verify_structure` of _testbuffer.c). Returns the failing condition's message.
    /// The offset is checked first, as `ndbuf_new` does before `verify_structure` runs, so
    /// this is the whole check an ndarray construction makes (for ndim > 0).
    public static func verifyStructure(memoryLength: Int, itemsize: Int, offset: Int,
                                       shape: some Collection<Int>, strides: some Collection<Int>) -> String? {
        if offset % itemsize != 0 { return "offset must be a multiple of itemsize" }
        if offset < 0 || offset > memoryLength - itemsize { return "offset out of bounds" }
        for (extent, stride) in zip(shape, strides) where stride % itemsize != 0 {
            _ = extent
            return "strides must be a multiple of itemsize"
        }
        if shape.contains(0) { return nil }
        // Checked arithmetic: shape and strides come from users, and a span that overflows
        // cannot lie inside any memory.
        let invalid = "invalid combination of buffer, shape and strides"
        var imin = 0, imax = 0
        for (extent, stride) in zip(shape, strides) {
            let (span, o1) = stride.multipliedReportingOverflow(by: extent - 1)
            if o1 { return invalid }
            let (next, o2) = (stride <= 0 ? imin : imax).addingReportingOverflow(span)
            if o2 { return invalid }
            if stride <= 0 { imin = next } else { imax = next }
        }
        // offset <= memoryLength - itemsize holds here, so these cannot overflow.
        if imin + offset < 0 || imax > memoryLength - itemsize - offset { return invalid }
        return nil
    }
}
