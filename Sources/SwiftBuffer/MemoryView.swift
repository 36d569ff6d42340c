/// CPython's memoryview, as pure functions over a layout: the value every `swiftbuf.MemoryView`
/// slot works on, and the typed reading API Swift code uses on any Python buffer.
///
/// A `MemoryView` does not own memory. `layout.shape`, `layout.strides` and
/// `layout.suboffsets` point into storage of the object that holds the view (the
/// `ob_array` of a `swiftbuf.MemoryView`, as in CPython's `PyMemoryViewObject`), and
/// `layout.buf` into the exporter's memory, which stays valid while the export is held.
///
/// Unlike a bare `Py_buffer`, a view always has complete information: for `ndim > 0`,
/// `shape` and `strides` are present; `format` is never nil. `suboffsets` is non-nil only for
/// PIL-style layouts, where `suboffsets[i] >= 0` means the bytes reached in dimension `i`
/// hold a pointer to follow (`ADJUST_PTR`).
///
/// The file map follows memoryobject.c: construction here, then
/// `MemoryView+Slicing.swift`, `MemoryView+Cast.swift`, `MemoryView+Bytes.swift` (tobytes,
/// hex, hash), `MemoryView+Assignment.swift`, `MemoryView+Compare.swift`,
/// `MemoryView+Elements.swift` (typed reading for Swift callers).
public struct MemoryView {
    /// The complete layout (see the type's documentation for what "complete" means).
    public var layout: BufferDescriptor
    /// `init_flags`: contiguity, scalar-ness and indirection, computed once per layout.
    public var contiguity: Contiguity

    @inlinable
    public init(layout: BufferDescriptor, contiguity: Contiguity) {
        self.layout = layout
        self.contiguity = contiguity
    }

    /// A view of `layout`, with its flags computed.
    @inlinable
    public init(layout: BufferDescriptor) {
        self.init(layout: layout, contiguity: Contiguity(of: layout))
    }

    @inlinable public var ndim: Int { layout.ndim }
    @inlinable public var itemsize: Int { layout.itemsize }
    @inlinable public var isReadonly: Bool { layout.readonly }
    /// `MV_C_CONTIGUOUS`: scalars count as C-contiguous.
    @inlinable public var isCContiguous: Bool { contiguity.contains(.c) || contiguity.contains(.scalar) }
    /// `MV_F_CONTIGUOUS`.
    @inlinable public var isFortranContiguous: Bool { contiguity.contains(.fortran) || contiguity.contains(.scalar) }
    /// `MV_ANY_CONTIGUOUS`.
    @inlinable public var isContiguous: Bool { isCContiguous || isFortranContiguous }

    /// `len(view)`: the first extent; 1 for a 0-d view (CPython 3.11; 3.12 raises TypeError).
    @inlinable
    public var length: Int {
        layout.ndim == 0 ? 1 : unsafe layout.shape![0]
    }
}

// MARK: - Construction (init_shape_strides, init_suboffsets, init_len, init_flags)

extension MemoryView {
    /// Rejects a source with more dimensions than a view can hold (`mbuf_add_view`).
    @inlinable
    public static func checkDimensions(_ ndim: Int) throws(SwiftBufferError) {
        if ndim > Layout.maxDimensions { throw tooManyDimensions() }
    }

    // Out of line: with the message built inline the check was an out-of-line call of 16
    // instructions at every view made.
    @usableFromInline @inline(never)
    static func tooManyDimensions() -> SwiftBufferError {
        .valueError("memoryview: number of dimensions must not exceed \(Layout.maxDimensions)")
    }

    /// Copies `source`'s shape, strides and suboffsets into `storage` (`3 * source.ndim` Ints)
    /// and returns where a view's arrays then are (nil for absent ones), the
    /// `init_shape_strides`/`init_suboffsets` of memoryobject.c. A missing shape (1-d only) is
    /// `len / itemsize` and missing strides are C-contiguous: the reconstructions
    /// `PyMemoryView_FromBuffer` relies on. Inlined into the one caller that makes every view
    /// (out of line, the descriptor went through memory: 31 instructions per view).
    @inlinable @inline(__always)
    public static func copyArrays(of source: BufferDescriptor, into storage: UnsafeMutablePointer<Int>)
        -> (shape: UnsafeMutablePointer<Int>?, strides: UnsafeMutablePointer<Int>?, suboffsets: UnsafeMutablePointer<Int>?) {
        let ndim = source.ndim
        let shape = unsafe storage, strides = unsafe storage + ndim
        var suboffsets: UnsafeMutablePointer<Int>? = nil
        if let sub = unsafe source.suboffsets {
            let dest = unsafe storage + 2 * ndim
            unsafe copyEntries(sub, into: dest, count: ndim)
            unsafe suboffsets = unsafe dest
        }
        switch ndim {
        case 0:
            return unsafe (nil, nil, suboffsets)
        case 1:
            unsafe shape[0] = source.extent(0)
            unsafe strides[0] = unsafe source.strides.map { unsafe $0[0] } ?? source.itemsize
        default:
            unsafe copyEntries(source.shape!, into: shape, count: ndim)
            if let s = unsafe source.strides {
                unsafe copyEntries(s, into: strides, count: ndim)
            } else {
                unsafe Layout.fillContiguousStrides(shape: shape, ndim: ndim, itemsize: source.itemsize, order: .c, into: strides)
            }
        }
        return unsafe (shape, strides, suboffsets)
    }

    /// `count` entries of a view array: up to 3 by direct copies (the general loop's setup
    /// for a vectorised copy cost a 2-d view ~30 instructions per array).
    @inlinable @inline(__always)
    static func copyEntries(_ source: UnsafeMutablePointer<Int>, into dest: UnsafeMutablePointer<Int>, count: Int) {
        switch count {
        case 1:
            unsafe dest[0] = source[0]
        case 2:
            unsafe dest[0] = source[0]
            unsafe dest[1] = source[1]
        case 3:
            unsafe dest[0] = source[0]
            unsafe dest[1] = source[1]
            unsafe dest[2] = source[2]
        default:
            for i in 0..<count { unsafe dest[i] = source[i] }
        }
    }

    /// `init_len`: `product(shape) * itemsize`. The shape comes from a valid view, so the
    /// product cannot overflow (it is at most the exporter's length).
    @inlinable
    public static func byteLength(of layout: BufferDescriptor) -> Int {
        unsafe byteLength(shape: layout.shape, ndim: layout.ndim, itemsize: layout.itemsize)
    }

    @inlinable
    public static func byteLength(shape: UnsafePointer<Int>?, ndim: Int, itemsize: Int) -> Int {
        // 1-d, the common case, without the loop's setup (~10 instructions of every slice).
        if ndim == 1 { return unsafe itemsize &* shape![0] }
        var n = itemsize
        for i in 0..<ndim { n = unsafe n &* shape![i] }
        return n
    }
}

// MARK: - Formats (adjust_fmt, get_native_fmtchar)

extension MemoryView {
    /// The element format as one character (`adjust_fmt`): `"@x"` and `"x"` give `x`; any
    /// longer format raises NotImplementedError, as only single-character formats can be
    /// read or written element by element.
    @inlinable
    public func formatCharacter() throws(SwiftBufferError) -> UInt8 {
        if let c = unsafe MemoryView.formatCharacter(of: layout.format) { return c }
        throw unsafe MemoryView.unsupportedFormat(layout.formatBytes)
    }

    /// The one character of `format` after an optional `@`, or nil when the format is longer
    /// or empty; nil `format` means `"B"`.
    @inlinable
    public static func formatCharacter(of format: UnsafePointer<CChar>?) -> UInt8? {
        guard let f = unsafe format else { return UInt8(ascii: "B") }
        var p = unsafe UnsafeRawPointer(f).assumingMemoryBound(to: UInt8.self)
        if unsafe p[0] == UInt8(ascii: "@") { unsafe p = unsafe p + 1 }
        if unsafe p[0] != 0 && p[1] == 0 { return unsafe p[0] }
        return nil
    }

    /// The bytes of a format string (nil means `"B"`), without the NUL.
    @inlinable
    public static func formatBytes(_ format: UnsafePointer<CChar>?) -> UnsafeBufferPointer<UInt8> {
        unsafe BufferDescriptor(buf: nil, len: 0, itemsize: 0, readonly: true, ndim: 0, format: format,
                         shape: nil, strides: nil, suboffsets: nil).formatBytes
    }

    /// `adjust_fmt`'s error.
    @inline(never)
    public static func unsupportedFormat(_ format: UnsafeBufferPointer<UInt8>) -> SwiftBufferError {
        unsafe .notImplementedError(SwiftBufferError.message("memoryview: unsupported format ", UnsafeRawBufferPointer(format)))
    }

    /// The code a single-character format reads with in CPython 3.11's memoryview, or the
    /// NotImplementedError `unpack_single`/`pack_single` raise for it (`e` among them).
    @inlinable @inline(__always)
    public static func elementCode(_ character: UInt8) throws(SwiftBufferError) -> ElementCodec.Code {
        if let code = ElementCodec.Code(ascii: character), code != .half { return code }
        throw unsupportedElement(character)
    }

    @inline(never)
    public static func unsupportedElement(_ character: UInt8) -> SwiftBufferError {
        .notImplementedError(SwiftBufferError.message("memoryview: format ", character, " not supported"))
    }

    /// The view's native code (`get_native_fmtchar`), nil for anything the struct module
    /// would have to read.
    @inlinable
    public var nativeCode: ElementCodec.Code? {
        unsafe ElementCodec.Code(memoryviewFormat: layout.formatBytes)
    }
}

// MARK: - Element lookup (lookup_dimension, ptr_from_tuple)

extension MemoryView {
    /// The address of element `index` of dimension `dimension`, counted from `pointer`
    /// (`lookup_dimension`): negative indices count from the end; the suboffset of the
    /// dimension, if any, is followed.
    @inlinable @inline(__always)
    public func pointer(from pointer: UnsafeMutableRawPointer, dimension: Int, index: Int) throws(SwiftBufferError) -> UnsafeMutableRawPointer {
        guard let p = unsafe self.pointer(ifInBounds: pointer, dimension: dimension, index: index) else {
            throw Self.outOfBounds(dimension: dimension)
        }
        return unsafe p
    }

    /// `pointer(from:dimension:index:)`, nil when `index` is out of bounds: for a slot that
    /// checks first and raises out of line.
    @inlinable @inline(__always)
    public func pointer(ifInBounds pointer: UnsafeMutableRawPointer, dimension: Int, index: Int) -> UnsafeMutableRawPointer? {
        let extent = unsafe layout.shape![dimension]
        var i = index
        if i < 0 { i &+= extent }   // safe because: index >= -Int.max and extent >= 0
        if i < 0 || i >= extent { return nil }
        return unsafe Layout.follow(pointer + i &* layout.strides![dimension], layout.suboffsets, dimension: dimension)
    }

    /// `lookup_dimension`'s IndexError, out of line: the message is built only when it is raised,
    /// and the caller of the inlined lookup keeps its registers.
    @usableFromInline @inline(never)
    static func outOfBounds(dimension: Int) -> SwiftBufferError {
        .indexError("index out of bounds on dimension \(dimension + 1)")
    }

    /// The address of the element at `indices` (`ptr_from_tuple` with all indices known).
    /// Fewer indices than dimensions address the start of a sub-array.
    @inlinable
    public func pointer(at indices: some Collection<Int>) throws(SwiftBufferError) -> UnsafeMutableRawPointer {
        if indices.count > layout.ndim {
            throw .typeError("cannot index \(layout.ndim)-dimension view with \(indices.count)-element tuple")
        }
        var p = unsafe layout.buf!
        for (dim, index) in indices.enumerated() { unsafe p = unsafe try pointer(from: p, dimension: dim, index: index) }
        return unsafe p
    }

    /// Calls `body` with the address of every element, in C (row-major) order, following
    /// strides and suboffsets (the traversal of `tolist_rec` and `cmp_rec`).
    @inlinable
    public func forEachElement<E: Error>(_ body: (UnsafeMutableRawPointer) throws(E) -> Void) throws(E) {
        try unsafe Layout.forEachElement(layout, body)
    }
}
