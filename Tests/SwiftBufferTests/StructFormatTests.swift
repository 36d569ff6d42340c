import Testing
import SwiftBuffer

/// Sizes and alignments derived from first principles: native mode uses the C types of this
/// platform (the struct docs' table maps each code to one), standard mode the sizes the docs fix
/// (`l` 4 bytes, `q` 8, no `n N P`) and no alignment. The numbers were cross-checked against
/// CPython 3.11's `struct.calcsize` on x86-64 Linux.
enum StructTable {
    static let codes = Array("xcbB?hHiIlLqQnNefdspP".utf8)
    static let prefixes = ["", "@", "=", "<", ">", "!"]

    static func native(_ code: UInt8) -> (size: Int, alignment: Int) {
        switch code {
        case UInt8(ascii: "x"), UInt8(ascii: "s"), UInt8(ascii: "p"):
            return (1, 1)
        case UInt8(ascii: "c"), UInt8(ascii: "b"), UInt8(ascii: "B"):
            return (MemoryLayout<CChar>.size, MemoryLayout<CChar>.alignment)
        case UInt8(ascii: "?"): return (MemoryLayout<Bool>.size, MemoryLayout<Bool>.alignment)
        case UInt8(ascii: "h"), UInt8(ascii: "H"): return (MemoryLayout<CShort>.size, MemoryLayout<CShort>.alignment)
        case UInt8(ascii: "i"), UInt8(ascii: "I"): return (MemoryLayout<CInt>.size, MemoryLayout<CInt>.alignment)
        case UInt8(ascii: "l"), UInt8(ascii: "L"): return (MemoryLayout<CLong>.size, MemoryLayout<CLong>.alignment)
        case UInt8(ascii: "q"), UInt8(ascii: "Q"): return (MemoryLayout<CLongLong>.size, MemoryLayout<CLongLong>.alignment)
        case UInt8(ascii: "n"), UInt8(ascii: "N"): return (MemoryLayout<Int>.size, MemoryLayout<Int>.alignment)   // ssize_t, size_t
        case UInt8(ascii: "P"): return (MemoryLayout<UnsafeRawPointer>.size, MemoryLayout<UnsafeRawPointer>.alignment)
        case UInt8(ascii: "e"): return (2, 2)   // IEEE half, stored as a 16-bit integer
        case UInt8(ascii: "f"): return (MemoryLayout<CFloat>.size, MemoryLayout<CFloat>.alignment)
        case UInt8(ascii: "d"): return (MemoryLayout<CDouble>.size, MemoryLayout<CDouble>.alignment)
        default: fatalError("not a struct code")
        }
    }

    /// Standard size, or nil where standard mode has no such code.
    static func standard(_ code: UInt8) -> Int? {
        switch code {
        case UInt8(ascii: "x"), UInt8(ascii: "c"), UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "?"),
             UInt8(ascii: "s"), UInt8(ascii: "p"): return 1
        case UInt8(ascii: "h"), UInt8(ascii: "H"), UInt8(ascii: "e"): return 2
        case UInt8(ascii: "i"), UInt8(ascii: "I"), UInt8(ascii: "l"), UInt8(ascii: "L"), UInt8(ascii: "f"): return 4
        case UInt8(ascii: "q"), UInt8(ascii: "Q"), UInt8(ascii: "d"): return 8
        default: return nil
        }
    }

    static func isNative(_ prefix: String) -> Bool { prefix == "" || prefix == "@" }

    /// Size and alignment of `code` under `prefix`, nil when the mode lacks the code.
    static func expected(_ code: UInt8, _ prefix: String) -> (size: Int, alignment: Int)? {
        if isNative(prefix) { return native(code) }
        return standard(code).map { ($0, 1) }
    }

    /// `calcsize` of a sequence of (count, code) items by the struct docs' rule: in native mode
    /// each item starts at a multiple of its alignment (even with count 0), no padding at the end.
    static func calcsize(_ items: [(Int, UInt8)], _ prefix: String) -> Int? {
        var offset = 0
        for (count, code) in items {
            guard let (size, alignment) = expected(code, prefix) else { return nil }
            if isNative(prefix) { offset = (offset + alignment - 1) / alignment * alignment }
            offset += size * count
        }
        return offset
    }
}

private func parse(_ s: String) throws(SwiftBufferError) -> StructFormat {
    try StructFormat(parsing: Array(s.utf8))
}

private func valueCount(_ s: String) throws(SwiftBufferError) -> Int {
    try Array(s.utf8).withUnsafeBufferPointer { b throws(SwiftBufferError) in try unsafe StructFormat.valueCount(parsing: b) }
}

private func character(_ code: UInt8) -> String { String(decoding: [code], as: UTF8.self) }

@Suite struct StructFormatTests {
    @Test(arguments: StructTable.prefixes)
    func everyCodeAlone(prefix: String) throws {
        for code in StructTable.codes {
            let format = prefix + character(code)
            if let (size, _) = StructTable.expected(code, prefix) {
                let parsed = try parse(format)
                #expect(parsed.itemsize == size, "\(format)")
                #expect(StructFormat.sizeAndAlignment(of: code, order: parsed.byteOrder)?.size == size, "\(format)")
            } else {
                #expect(throws: SwiftBufferError.structError("bad char in struct format"), "\(format)") { try parse(format) }
            }
        }
    }

    /// A byte, then the code: the padding between them is the code's alignment in native mode
    /// and nothing in the standard modes.
    @Test(arguments: StructTable.prefixes)
    func everyCodeAfterAByte(prefix: String) throws {
        for code in StructTable.codes {
            let format = prefix + "b" + character(code)
            guard let (size, alignment) = StructTable.expected(code, prefix) else { continue }
            let parsed = try parse(format)
            #expect(parsed.itemsize == (StructTable.isNative(prefix) ? max(alignment, 1) : 1) + size, "\(format)")
            let item = try #require(parsed.items.last)
            #expect(item.offset == (StructTable.isNative(prefix) ? alignment : 1), "\(format)")
            if StructTable.isNative(prefix) {   // the standard modes never align, whatever the code
                #expect(StructFormat.sizeAndAlignment(of: code, order: parsed.byteOrder)?.alignment == alignment, "\(format)")
            }
        }
    }

    /// Every pair of codes with repeat counts 0...3, against the docs' rule.
    @Test(arguments: StructTable.prefixes)
    func pairsWithRepeatCounts(prefix: String) throws {
        for first in StructTable.codes {
            for second in StructTable.codes {
                for (m, n) in [(0, 1), (1, 0), (1, 1), (2, 3), (3, 2)] {
                    let format = "\(prefix)\(m)\(character(first))\(n)\(character(second))"
                    if let expected = StructTable.calcsize([(m, first), (n, second)], prefix) {
                        #expect(try parse(format).itemsize == expected, "\(format)")
                    } else {
                        #expect(throws: SwiftBufferError.structError("bad char in struct format"), "\(format)") { try parse(format) }
                    }
                }
            }
        }
    }

    @Test func byteOrderPrefixes() throws {
        #expect(try parse("i").byteOrder == .native)
        #expect(try parse("@i").byteOrder == .native)
        #expect(try parse("=i").byteOrder == .nativeStandard)
        #expect(try parse("<i").byteOrder == .little)
        #expect(try parse(">i").byteOrder == .big)
        #expect(try parse("!i").byteOrder == .big)
        #expect(StructFormat.ByteOrder.little.isLittleEndian)
        #expect(!StructFormat.ByteOrder.big.isLittleEndian)
        #expect(StructFormat.ByteOrder.native.isLittleEndian == (1.littleEndian == 1))
        #expect(StructFormat.ByteOrder.nativeStandard.isLittleEndian == (1.littleEndian == 1))
        #expect(StructFormat.ByteOrder.native.usesNativeSizes)
        #expect(!StructFormat.ByteOrder.nativeStandard.usesNativeSizes)
    }

    @Test func stringsArePerItemAndPadsYieldNoValue() throws {
        let f = try parse("<3s2p4xbh")
        #expect(f.itemsize == 3 + 2 + 4 + 1 + 2)
        #expect(f.items.map(\.code) == Array("spxbh".utf8))
        #expect(f.items.map(\.count) == [3, 2, 4, 1, 1])
        #expect(f.items.map(\.size) == [3, 2, 1, 1, 2])
        #expect(f.items.map(\.offset) == [0, 3, 5, 9, 10])
        #expect(f.valueCount == 4)          // 's', 'p', 'b', 'h': the pad bytes yield nothing
        #expect(try parse("3i").valueCount == 3)
        #expect(try parse("0s").valueCount == 1)   // struct.unpack('0s', b'') == (b'',)
        #expect(try parse("0s").itemsize == 0)
        #expect(try parse("0i").valueCount == 0)
    }

    @Test func whitespaceBetweenItems() throws {
        #expect(try parse(" i  b ").itemsize == 5)
        #expect(try parse("<\ti\nb\r").itemsize == 5)
        #expect(try parse("").itemsize == 0)
        #expect(try parse("   ").itemsize == 0)
        #expect(try parse("@").itemsize == 0)
        #expect(try parse("b0i").itemsize == 4)       // a zero count still aligns
        #expect(try parse("@ib").itemsize == 5)       // no padding at the end
    }


    // MARK: - Malformed formats, with the struct module's messages

    static let malformed: [(String, String)] = [
        ("3", "repeat count given without format specifier"),
        ("i3", "repeat count given without format specifier"),
        ("@3", "repeat count given without format specifier"),
        ("3 i", "bad char in struct format"),
        (" <i", "bad char in struct format"),
        ("i<", "bad char in struct format"),
        ("z", "bad char in struct format"),
        ("<P", "bad char in struct format"),
        ("=n", "bad char in struct format"),
        ("!N", "bad char in struct format"),
        ("T{i}", "bad char in struct format"),
        ("\(Int.max)0x", "total struct size too long"),
        ("1000000000000000000000000000000x", "total struct size too long"),
        ("\(Int.max / 8 + 1)q", "total struct size too long"),
        ("b\(Int.max / 8)q", "total struct size too long"),
        ("\(Int.max - 2)xq", "total struct size too long"),
        ("\(Int.max)sb", "total struct size too long"),
        ("\(Int.max / 4)i\(Int.max / 4)i", "total struct size too long"),
    ]

    @Test(arguments: malformed)
    func malformedFormat(format: String, message: String) {
        #expect(throws: SwiftBufferError.structError(message)) { try parse(format) }
        #expect(throws: SwiftBufferError.structError(message)) { try valueCount(format) }
    }

    /// The item-free count is the parsed format's, for well-formed formats of every kind.
    @Test func valueCountWithoutItems() throws {
        for format in ["B", "<3s2p4xbh", "0s", "0i", " i  b ", "@2q3x", "=5?", "!10d", "", "<", "xxx", "P", "3e2f"] {
            #expect(try valueCount(format) == parse(format).valueCount, "\(format)")
        }
    }

    /// The largest repeat count that still fits, for every code and prefix, and one more.
    @Test(arguments: StructTable.prefixes)
    func repeatCountAtTheLimit(prefix: String) throws {
        for code in StructTable.codes {
            guard let (size, _) = StructTable.expected(code, prefix) else { continue }
            let largest = Int.max / size
            #expect(try parse("\(prefix)\(largest)\(character(code))").itemsize == largest * size)
            if largest < Int.max {
                #expect(throws: SwiftBufferError.structError("total struct size too long")) {
                    try parse("\(prefix)\(largest + 1)\(character(code))")
                }
            }
        }
        #expect(try parse("<b\(Int.max / 8)q").itemsize == 1 + Int.max / 8 * 8)
        #expect(try parse("\(Int.max - 1)sb").itemsize == Int.max)
    }

    // MARK: - The native-format recogniser

    /// memoryview's native codes in 3.11 (`get_native_fmtchar`, `Code(memoryviewFormat:)`): no
    /// 'e', no pads or strings; `Code(format:)` is the same recogniser with 'e'.
    @Test func nativeFormatCodes() {
        let native = Array("cbB?hHiIlLqQnNfdP".utf8)
        for code in StructTable.codes {
            for prefix in StructTable.prefixes {
                let format = Array((prefix + character(code)).utf8)
                let answer = ElementCodec.Code(memoryviewFormat: format)
                if native.contains(code) && StructTable.isNative(prefix) {
                    #expect(answer?.rawValue == code, "\(prefix)\(character(code))")
                    #expect(answer?.size == StructTable.native(code).size)
                } else {
                    #expect(answer == nil, "\(prefix)\(character(code))")
                }
                let withHalf = ElementCodec.Code(format: format)
                #expect(withHalf == (code == UInt8(ascii: "e") && StructTable.isNative(prefix) ? .half : answer))
            }
        }
        #expect(ElementCodec.Code(format: Array("".utf8)) == nil)
        #expect(ElementCodec.Code(format: Array("@".utf8)) == nil)
        #expect(ElementCodec.Code(format: Array("1i".utf8)) == nil)
        #expect(ElementCodec.Code(format: Array("ii".utf8)) == nil)
        #expect(ElementCodec.Code(format: Array("@@i".utf8)) == nil)
    }
}
