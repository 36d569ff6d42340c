// MARK: - Casting format and shape (memoryview_cast_impl, cast_to_1D, cast_to_ND)
//
// `MemoryView.cast` is the whole operation, in the order memoryview_cast_impl checks things;
// the caller supplies, as closures called at CPython's points, what needs Python objects
// (the shape's length and items, the format's ASCII bytes) and the new view's storage. The
// steps below it are public for tests and for callers with their own storage.

/// An error type that carries the core's errors: whole operations that call back into their
/// caller between checks throw the caller's error type, so both kinds surface in CPython's order.
public protocol SwiftBufferErrorCarrying: Error {
    init(core: SwiftBufferError)
    /// A refusal whose message is fixed at compile time (`refusal.message`): a carrier that
    /// raises it from the literal's bytes makes no String (see ARCHITECTURE.md, "Slots and the
    /// cost of an error path").
    init(refusal: SwiftBufferError.Fixed)
}

extension SwiftBufferErrorCarrying {
    @inlinable public init(refusal: SwiftBufferError.Fixed) { self.init(core: refusal.error) }
}

extension SwiftBufferError: SwiftBufferErrorCarrying {
    @inlinable public init(core: SwiftBufferError) { self = core }
}

extension MemoryView {
    /// `memoryview_cast_impl`: the finished view (layout and `init_flags`) of this one's memory
    /// with element format `format` and, when `shapeLength` is given, a shape.
    ///
    /// - `sourceCharacter`: this view's format character (`formatCharacter(of:)`), nil for a
    ///   longer format.
    /// - `shapeGiven`: whether there is a shape argument; then `shapeLength` validates it and
    ///   returns its length (called after the source is checked, before the dimensions are).
    ///   (Not an optional closure: that would be escaping, and its context a heap allocation
    ///   per cast.)
    /// - `makeView`: allocates the new view with room for `ndim` dimensions and returns this
    ///   view's layout whose shape, strides and suboffsets point at that room
    ///   (`mbuf_add_incomplete_view`); whatever it allocated is the caller's to free on error.
    /// - `format`: the format argument's bytes (read as a C string), called after `makeView`.
    /// - `extent`: shape item `i` as an Int, called in order, each checked before the next.
    ///
    /// The flags come from the construction, not from walks of the finished layout: a cast's
    /// result is C-contiguous by construction (stride `itemsize` in 1-d, C strides from the
    /// shape in N-d), and also Fortran-contiguous when at most one extent exceeds 1, as
    /// `init_flags` would find (callgrind: `m.cast('B', (64, 64))` no longer walks the layout
    /// twice after filling it).
    @inlinable @inline(__always)
    public func cast<E: SwiftBufferErrorCarrying>(
        sourceCharacter: UInt8?,
        shapeGiven: Bool,
        shapeLength: () throws(E) -> Int,
        makeView: (_ ndim: Int) throws(E) -> BufferDescriptor,
        format: () throws(E) -> UnsafeRawBufferPointer,
        extent: (_ index: Int) throws(E) -> Int
    ) throws(E) -> MemoryView {
        // Direct do/catch rather than helper closures: the optimiser keeps those out of line.
        // Refusals are answered as values and thrown once, as E (a core error rethrown as E
        // went through the runtime's throw hook twice, and made a String).
        if let refusal = castSourceRefusal(shapeGiven: shapeGiven) { throw E(refusal: refusal) }
        var ndim = 1
        if shapeGiven {
            ndim = try shapeLength()
            do throws(SwiftBufferError) { try checkCastDimensions(ndim) } catch { throw E(core: error) }
        }
        var layout = try makeView(ndim == 0 ? 1 : ndim)
        // cast_to_1D
        let formatBytes = unsafe try format()
        let byteLength = layout.len
        let newFormat: UnsafePointer<CChar>, itemsize: Int
        switch unsafe MemoryView.castFormatChoice(from: sourceCharacter, byteLength: byteLength, to: formatBytes) {
        case .success(let chosen): unsafe (newFormat, itemsize) = unsafe chosen
        case .failure(let refusal): throw E(refusal: refusal)
        }
        unsafe layout.format = unsafe newFormat
        layout.itemsize = itemsize
        unsafe layout.suboffsets = nil
        guard shapeGiven else {
            // One dimension of stride itemsize (cast_to_ND would overwrite these).
            layout.ndim = 1
            unsafe layout.shape![0] = byteLength / itemsize
            unsafe layout.strides![0] = itemsize
            return MemoryView(layout: layout, contiguity: [.c, .fortran])
        }
        // cast_to_ND
        layout.ndim = ndim
        var length = itemsize
        var contiguity: Contiguity = [.c, .fortran]
        if ndim == 0 {
            unsafe layout.shape = nil
            unsafe layout.strides = nil
            contiguity = [.scalar, .c, .fortran]
        } else {
            var longDimensions = 0
            for i in 0..<ndim {
                let e = try extent(i)
                if let refusal = MemoryView.castExtentRefusal(e, length: length) { throw E(refusal: refusal) }
                length *= e
                unsafe layout.shape![i] = e
                if e > 1 { longDimensions += 1 }
            }
            unsafe Layout.fillContiguousStrides(shape: layout.shape!, ndim: ndim, itemsize: itemsize, order: .c, into: layout.strides!)
            if longDimensions > 1 { contiguity = .c }
        }
        if let refusal = MemoryView.castLengthRefusal(length, byteLength: byteLength) { throw E(refusal: refusal) }
        return MemoryView(layout: layout, contiguity: contiguity)
    }
}

extension MemoryView {
    /// The source must be C-contiguous, and (unless this is a plain 1-d format cast) free of
    /// zero extents: the refusal, nil when the source can be cast.
    @inlinable @inline(__always)
    public func castSourceRefusal(shapeGiven: Bool) -> SwiftBufferError.Fixed? {
        if !isCContiguous { return SwiftBufferError.Fixed(typeError: "memoryview: casts are restricted to C-contiguous views") }
        if shapeGiven || layout.ndim != 1 {
            for i in 0..<layout.ndim where unsafe layout.shape![i] == 0 {
                return SwiftBufferError.Fixed(typeError: "memoryview: cannot cast view with zeros in shape or strides")
            }
        }
        return nil
    }

    /// A cast goes 1-d → N-d or N-d → 1-d, to at most 64 dimensions.
    @inlinable @inline(__always)
    public func checkCastDimensions(_ ndim: Int) throws(SwiftBufferError) {
        if ndim > Layout.maxDimensions { throw .valueError("memoryview: number of dimensions must not exceed \(Layout.maxDimensions)") }
        if layout.ndim != 1 && ndim != 1 { throw .typeError("memoryview: cast must be 1D -> ND or ND -> 1D") }
    }

    /// The format and itemsize a cast to `format` (ASCII bytes, as given) installs on a 1-d
    /// view of `byteLength` bytes whose format character is `source` (`formatCharacter(of:)`,
    /// nil for a longer format) (`cast_to_1D`): one of the formats must be a byte format and
    /// the length a multiple of the new itemsize. The format string has static lifetime, so it
    /// outlives the view it came from (bpo-22668). The cast view is then
    /// `byteLength / itemsize` items with stride `itemsize` and no suboffsets. The format and
    /// itemsize, or the refusal.
    // `@_transparent`: as `@inline(__always)` it stayed an out-of-line call from the bridge's
    // cast (callgrind: 59 instructions of `m.cast('d')`).
    @_transparent
    public static func castFormatChoice(from source: UInt8?, byteLength: Int,
                                        to format: UnsafeRawBufferPointer) -> Result<(format: UnsafePointer<CChar>, itemsize: Int), SwiftBufferError.Fixed> {
        // One character, or '@' and one character; any native code but 'e' (3.11).
        guard let destination = unsafe ElementCodec.Code(memoryviewFormat: format) else {
            return unsafe .failure(SwiftBufferError.Fixed(valueError: "memoryview: destination format must be a native single character format prefixed with an optional '@'"))
        }
        let sourceIsByte = source.map(ElementCodec.Code.isByte) ?? false
        if !sourceIsByte && !destination.isByte {
            return unsafe .failure(SwiftBufferError.Fixed(typeError: "memoryview: cannot cast between two non-byte formats"))
        }
        let itemsize = destination.size
        if byteLength % itemsize != 0 { return unsafe .failure(SwiftBufferError.Fixed(typeError: "memoryview: length is not a multiple of itemsize")) }
        return unsafe .success((castFormat(destination, prefixed: format.count == 2), itemsize))
    }

    /// One extent of the cast's shape, checked in order (`copy_shape`): positive, and the
    /// running byte length `length` (starting at the itemsize) times it must not overflow.
    /// The refusal, nil when `extent` can follow `length`.
    @inlinable @inline(__always)
    public static func castExtentRefusal(_ extent: Int, length: Int) -> SwiftBufferError.Fixed? {
        if extent <= 0 { return SwiftBufferError.Fixed(valueError: "memoryview.cast(): elements of shape must be integers > 0") }
        if extent > Int.max / length { return SwiftBufferError.Fixed(valueError: "memoryview.cast(): product(shape) > SSIZE_MAX") }
        return nil
    }

    /// The last check of `cast_to_ND`: the new shape (whose byte length is `length`, with
    /// C-contiguous strides) must cover exactly the view's `byteLength` bytes. The refusal,
    /// nil when the lengths agree.
    @inlinable @inline(__always)
    public static func castLengthRefusal(_ length: Int, byteLength: Int) -> SwiftBufferError.Fixed? {
        length != byteLength ? SwiftBufferError.Fixed(typeError: "memoryview: product(shape) * itemsize != buffer size") : nil
    }

    /// `get_native_fmtstr`: `"x"` or `"@x"` with static lifetime, NUL-terminated (string
    /// literals: no lazily allocated table, so no initialisation check per cast).
    @_transparent   // an out-of-line call of 12 instructions per cast, as `@inlinable`
    public static func castFormat(_ code: ElementCodec.Code, prefixed: Bool) -> UnsafePointer<CChar> {
        let literal: StaticString
        switch code {
        case .char: literal = "@c"
        case .signedChar: literal = "@b"
        case .unsignedChar: literal = "@B"
        case .bool: literal = "@?"
        case .short: literal = "@h"
        case .unsignedShort: literal = "@H"
        case .int: literal = "@i"
        case .unsignedInt: literal = "@I"
        case .long: literal = "@l"
        case .unsignedLong: literal = "@L"
        case .longLong: literal = "@q"
        case .unsignedLongLong: literal = "@Q"
        case .ssize: literal = "@n"
        case .size: literal = "@N"
        case .half: literal = "@e"
        case .float: literal = "@f"
        case .double: literal = "@d"
        case .pointer: literal = "@P"
        }
        // safe because: a StaticString literal is NUL-terminated static storage; skipping the
        // '@' leaves the one-character format.
        let start = unsafe UnsafeRawPointer(literal.utf8Start)
        return unsafe (prefixed ? start : start + 1).assumingMemoryBound(to: CChar.self)
    }
}
