// MARK: - Which formats a Swift element type reads
//
// The one rule every typed accessor applies (the Swift consumer API, the export helpers, the
// memoryview-based typed reads): a format holds `T` when it is a single value of `T`'s kind of
// number (signed, unsigned, floating point, bool) and `T`'s size, in this machine's
// representation. That is the native code with an optional `@` (`"d"`, `"@l"`, sizes native),
// or the code with an explicit byte order that is this machine's (`"="`, and here `"<"`), sizes
// standard: NumPy describes unaligned and explicitly little-endian arrays so (`"<d"`).
// `c` reads as either 8-bit integer, as PyO3's `is_compatible_format` allows.

extension ElementCodec.Code {
    /// Whether `format` holds one element of the Swift type whose native code is `elementCode`
    /// and size `size`: see the rule above.
    @inlinable
    public static func format<Bytes: Collection>(_ format: Bytes, holdsCode elementCode: UInt8, size: Int) -> Bool
    where Bytes.Element == UInt8 {
        guard let element = ElementCodec.Code(ascii: elementCode), element.size == size else { return false }
        if let native = ElementCodec.Code(format: format) { return native.holds(element) }
        // An explicit byte order: exactly two characters, the order and the code.
        var i = format.startIndex
        guard i != format.endIndex else { return false }
        let order = format[i]
        i = format.index(after: i)
        guard i != format.endIndex, format.index(after: i) == format.endIndex,
              let code = ElementCodec.Code(ascii: format[i]), let standard = code.standardSize else { return false }
        let littleEndian: Bool
        switch order {
        case UInt8(ascii: "<"): littleEndian = true
        case UInt8(ascii: ">"), UInt8(ascii: "!"): littleEndian = false
        case UInt8(ascii: "="): littleEndian = StructFormat.ByteOrder.native.isLittleEndian
        default: return false
        }
        guard littleEndian == StructFormat.ByteOrder.native.isLittleEndian, standard == size else { return false }
        return code.kind == element.kind || (code == .char && size == 1 && element.kind != .boolean)
    }

    /// Same kind of number and same native size as `element` (`c` holds either 8-bit integer).
    @inlinable
    func holds(_ element: ElementCodec.Code) -> Bool {
        guard size == element.size else { return false }
        if self == .char { return element.size == 1 && element.kind != .boolean }
        return kind == element.kind
    }

    /// `struct`'s standard size of this code (`=`, `<`, `>`, `!` modes); nil where the standard
    /// modes have none (`n`, `N`, `P`).
    @inlinable
    public var standardSize: Int? {
        switch self {
        case .char, .signedChar, .unsignedChar, .bool: return 1
        case .short, .unsignedShort, .half: return 2
        case .int, .unsignedInt, .long, .unsignedLong, .float: return 4
        case .longLong, .unsignedLongLong, .double: return 8
        case .ssize, .size, .pointer: return nil
        }
    }
}
