/// The `struct` module's format grammar, parsed once: byte-order prefix, then items with
/// optional repeat counts, whitespace allowed between items.
///
/// Native mode (`@` or no prefix) uses this platform's sizes and aligns every item to its own
/// alignment; the standard modes (`= < > !`) use fixed sizes and no padding, exactly as
/// `struct.calcsize` does.
public struct StructFormat: Sendable, Hashable {
    public enum ByteOrder: Sendable, Hashable {
        case native            // '@': native order, size and alignment
        case nativeStandard    // '=': native order, standard size, no alignment
        case little            // '<'
        case big               // '>' and '!'

        @inlinable public var usesNativeSizes: Bool { self == .native }
        @inlinable public var isLittleEndian: Bool {
            switch self {
            case .little: return true
            case .big: return false
            case .native, .nativeStandard:
                #if _endian(little)
                return true
                #else
                return false
                #endif
            }
        }
    }

    /// One item of the format: `count` repetitions of `code` (for `s`/`p`, one string of
    /// `count` bytes), starting `offset` bytes into the element.
    public struct Item: Sendable, Hashable {
        public var code: UInt8
        public var count: Int
        public var offset: Int
        public var size: Int

        /// The values `struct.unpack` yields for this item: none for pad bytes, one string,
        /// else one per repetition.
        @inlinable public var valueCount: Int {
            switch code {
            case UInt8(ascii: "x"): return 0
            case UInt8(ascii: "s"), UInt8(ascii: "p"): return 1
            default: return count
            }
        }
    }

    public let byteOrder: ByteOrder
    public let items: [Item]
    /// `struct.calcsize(format)`.
    public let itemsize: Int

    /// How many values `struct.unpack` yields per element (pad bytes yield none, strings one).
    public var valueCount: Int { items.reduce(0) { $0 + $1.valueCount } }

    /// `valueCount` of `format`, parsed as `init(parsing:)` parses it without keeping the items
    /// (the `s_len` of `struct.Struct(format)`): every `nd[i] = v` of the `_testbuffer` drop-in
    /// asks it, and building the items array was 660 of its instructions.
    public static func valueCount(parsing format: UnsafeBufferPointer<UInt8>) throws(SwiftBufferError) -> Int {
        var total = 0
        _ = unsafe try scan(format[...]) { total += $0.valueCount }
        return total
    }

    /// `init(parsing:)` for the bytes of a Python str, non-generic: callers in other modules
    /// get code specialized here instead of the generic entry point (which a profile of
    /// `swiftbuf.testing.ndarray(...)` showed at a fifth of the construction time).
    public init(parsing format: UnsafeBufferPointer<UInt8>) throws(SwiftBufferError) {
        unsafe try self.init(parsing: unsafe format[...])
    }

    /// Parses `format` as `struct.Struct(format)` would, raising `struct.error` with the
    /// struct module's message for anything it rejects.
    public init<Bytes: Collection>(parsing format: Bytes) throws(SwiftBufferError) where Bytes.Element == UInt8 {
        var items: [Item] = []
        (self.byteOrder, self.itemsize) = try StructFormat.scan(format) { items.append($0) }
        self.items = items
    }

    /// The parser: calls `visit` with each item of `format` in order and returns the byte
    /// order and `struct.calcsize(format)`, or throws the struct module's error.
    static func scan<Bytes: Collection>(_ format: Bytes, _ visit: (Item) -> Void) throws(SwiftBufferError) -> (ByteOrder, Int)
    where Bytes.Element == UInt8 {
        var rest = format[...]
        var order = ByteOrder.native
        if let first = rest.first {
            switch first {
            case UInt8(ascii: "@"): order = .native; rest = rest.dropFirst()
            case UInt8(ascii: "="): order = .nativeStandard; rest = rest.dropFirst()
            case UInt8(ascii: "<"): order = .little; rest = rest.dropFirst()
            case UInt8(ascii: ">"), UInt8(ascii: "!"): order = .big; rest = rest.dropFirst()
            default: break
            }
        }
        var offset = 0
        var i = rest.startIndex
        while i != rest.endIndex {
            var c = rest[i]
            if c == 0x20 || (c >= 0x09 && c <= 0x0D) { i = rest.index(after: i); continue }
            var count = 1
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                count = 0
                while i != rest.endIndex, rest[i] >= UInt8(ascii: "0"), rest[i] <= UInt8(ascii: "9") {
                    let digit = Int(rest[i] - UInt8(ascii: "0"))
                    let (times10, o1) = count.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.addingReportingOverflow(digit)
                    if o1 || o2 { throw .structError("total struct size too long") }
                    count = next
                    i = rest.index(after: i)
                }
                if i == rest.endIndex { throw .structError("repeat count given without format specifier") }
                c = rest[i]
            }
            guard let (size, alignment) = StructFormat.sizeAndAlignment(of: c, order: order) else {
                throw .structError("bad char in struct format")
            }
            if order.usesNativeSizes && alignment > 1 {
                // Checked: a repeat count near Int.max followed by an aligned code ("9223372036854775805xq")
                // must raise struct.error, not trap.
                let (padded, overflow) = offset.addingReportingOverflow(alignment - 1)
                if overflow { throw .structError("total struct size too long") }
                offset = padded / alignment * alignment
            }
            let isString = c == UInt8(ascii: "s") || c == UInt8(ascii: "p")
            let (span, overflow) = size.multipliedReportingOverflow(by: count)
            if overflow { throw .structError("total struct size too long") }
            let (end, overflow2) = offset.addingReportingOverflow(span)
            if overflow2 { throw .structError("total struct size too long") }
            if count > 0 || isString {
                visit(Item(code: c, count: count, offset: offset, size: isString ? count : size))
            }
            offset = end
            i = rest.index(after: i)
        }
        return (order, offset)
    }

    /// Size and alignment of one value of `code` in `order`, or nil for a code the mode lacks:
    /// `ElementCodec.Code`'s native size (which is its alignment) or standard size, and one
    /// byte for the padding and string codes, which have no `Code`.
    @inlinable
    public static func sizeAndAlignment(of code: UInt8, order: ByteOrder) -> (size: Int, alignment: Int)? {
        switch code {
        case UInt8(ascii: "x"), UInt8(ascii: "s"), UInt8(ascii: "p"):
            return (1, 1)
        default:
            guard let value = ElementCodec.Code(ascii: code) else { return nil }
            if order.usesNativeSizes { return (value.size, value.size) }
            return value.standardSize.map { ($0, $0) }
        }
    }
}
