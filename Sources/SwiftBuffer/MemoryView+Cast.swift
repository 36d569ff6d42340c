// MARK: - Casting format and shape (memoryview_cast_impl, cast_to_1D, cast_to_ND)
//
// A cast runs in the order memoryview_cast_impl checks things, which the bridge follows:
// `checkCastSource`, then (with a shape) `checkCastDimensions`, then the new view is
// allocated and `castFormat` gives it the new format as a 1-d view, then (with a shape)
// `castExtent` per element, C-contiguous strides and `checkCastLength`.

extension MemoryView {
    /// The source must be C-contiguous, and (unless this is a plain 1-d format cast) free of
    /// zero extents.
    @inlinable @inline(__always)
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
        if ndim > Layout.maxDimensions { throw .valueError("memoryview: number of dimensions must not exceed \(Layout.maxDimensions)") }
        if layout.ndim != 1 && ndim != 1 { throw .typeError("memoryview: cast must be 1D -> ND or ND -> 1D") }
    }

    /// The format and itemsize a cast to `format` (ASCII bytes, as given) installs on a 1-d
    /// view of `byteLength` bytes whose format character is `source` (`formatCharacter(of:)`,
    /// nil for a longer format) (`cast_to_1D`): one of the formats must be a byte format and
    /// the length a multiple of the new itemsize. The format string has static lifetime, so it
    /// outlives the view it came from (bpo-22668). The cast view is then
    /// `byteLength / itemsize` items with stride `itemsize` and no suboffsets.
    @inlinable @inline(__always)
    public static func castFormat(from source: UInt8?, byteLength: Int,
                                  to format: UnsafeRawBufferPointer) throws(SwiftBufferError) -> (format: UnsafePointer<CChar>, itemsize: Int) {
        // One character, or '@' and one character; any native code but 'e' (3.11).
        var code: ElementCodec.Code? = nil
        let n = format.count
        if unsafe n == 1 || (n == 2 && format[0] == UInt8(ascii: "@")) {
            code = unsafe ElementCodec.Code(ascii: format[n - 1])
        }
        guard let destination = code, destination != .half else {
            throw .valueError("memoryview: destination format must be a native single character format prefixed with an optional '@'")
        }
        let sourceIsByte = source == UInt8(ascii: "B") || source == UInt8(ascii: "b") || source == UInt8(ascii: "c")
        if !sourceIsByte && !destination.isByte {
            throw .typeError("memoryview: cannot cast between two non-byte formats")
        }
        let itemsize = destination.size
        if byteLength % itemsize != 0 { throw .typeError("memoryview: length is not a multiple of itemsize") }
        return (castFormat(destination, prefixed: format.count == 2), itemsize)
    }

    /// One extent of the cast's shape, checked in order (`copy_shape`): positive, and the
    /// running byte length `length` (starting at the itemsize) must not overflow.
    @inlinable
    public static func castExtent(_ extent: Int, length: inout Int) throws(SwiftBufferError) {
        if extent <= 0 { throw .valueError("memoryview.cast(): elements of shape must be integers > 0") }
        if extent > Int.max / length { throw .valueError("memoryview.cast(): product(shape) > SSIZE_MAX") }
        length *= extent
    }

    /// The last check of `cast_to_ND`: the new shape (whose byte length is `length`, with
    /// C-contiguous strides) must cover exactly the view's `byteLength` bytes.
    @inlinable
    public static func checkCastLength(_ length: Int, byteLength: Int) throws(SwiftBufferError) {
        if length != byteLength { throw .typeError("memoryview: product(shape) * itemsize != buffer size") }
    }

    /// `get_native_fmtstr`: `"x"` or `"@x"` with static lifetime, NUL-terminated (string
    /// literals: no lazily allocated table, so no initialisation check per cast).
    @inlinable
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
