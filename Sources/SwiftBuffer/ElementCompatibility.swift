// MARK: - Which formats a Swift element type reads
//
// The one rule every typed accessor applies (the Swift consumer API, the export helpers, the
// memoryview-based typed reads, DLPack's data types): a format holds `T` when it describes a
// single value (`singleValue(of:)`) of `T`'s kind of number (signed, unsigned, floating point,
// bool) and `T`'s size, in this machine's byte order. Usually that is the native code with an
// optional `@` (`"d"`, `"@l"`, sizes native); it may also be the code with an explicit byte
// order that is this machine's (`"="`, and here `"<"`, sizes standard: NumPy describes
// unaligned and explicitly little-endian arrays so, `"<d"`), or any other spelling `struct`
// reads as one such value (`"1d"`). `c` reads as either 8-bit integer, as PyO3's
// `is_compatible_format` allows.

extension ElementCodec.Code {
    /// Whether `format` holds one element of the Swift type whose native code is `elementCode`
    /// and size `size`: see the rule above.
    @inlinable
    public static func format<Bytes: Collection>(_ format: Bytes, holdsCode elementCode: UInt8, size: Int) -> Bool
    where Bytes.Element == UInt8 {
        guard let element = ElementCodec.Code(ascii: elementCode), element.size == size,
              let (code, codeSize) = singleValue(of: format), codeSize == size else { return false }
        return code.kind == element.kind || (code == .char && element.kind != .boolean)
    }

    /// The code and size of the one value `format` describes in this machine's byte order, or
    /// nil when it describes anything else (several values, a record, padding, a string, the
    /// other byte order, no code at all). A native code with an optional `@` is answered
    /// without the parser; any other format is what `struct` reads as one item of count 1,
    /// with that mode's size.
    @inlinable @inline(__always)
    public static func singleValue<Bytes: Collection>(of format: Bytes) -> (code: ElementCodec.Code, size: Int)?
    where Bytes.Element == UInt8 {
        if let native = ElementCodec.Code(format: format) { return (native, native.size) }
        // The parser over the bytes in place, compiled here for them: a generic entry point
        // called from another module (the typed readers) is not specialised for its caller.
        return unsafe format.withContiguousStorageIfAvailable { unsafe parsedSingleValue(of: $0) }
            ?? Array(format).withUnsafeBufferPointer { unsafe parsedSingleValue(of: $0) }
    }

    /// `singleValue(of:)` past its one-code case: the parser's items visited, not kept (an
    /// items array per DLPack export was a quarter of `__dlpack__()`'s instructions).
    @usableFromInline
    static func parsedSingleValue(of format: UnsafeBufferPointer<UInt8>) -> (code: ElementCodec.Code, size: Int)? {
        var only: StructFormat.Item? = nil, items = 0
        guard let (order, _) = unsafe try? StructFormat.scan(format, { only = $0; items += 1 }),
              items == 1, let item = only, item.count == 1,
              order.isLittleEndian == StructFormat.ByteOrder.native.isLittleEndian,
              let code = ElementCodec.Code(ascii: item.code) else { return nil }
        return (code, item.size)
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
