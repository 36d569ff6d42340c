import Testing
import SwiftBuffer

/// The codec over every code: sizes against the struct grammar, round trips at each type's
/// boundaries, range and kind refusals, comparison semantics, and binary16 exhaustively.
@Suite struct ElementCodecTests {
    @Test func sizesAreTheStructModulesNativeSizes() throws {
        for code in ElementCodec.Code.allCases {
            let parsed = try StructFormat(parsing: [code.rawValue])
            #expect(parsed.itemsize == code.size, "\(code)")
            #expect(ElementCodec.Code(format: [code.rawValue])?.size == code.size)
        }
    }

    @Test func asciiLookupIsRawValue() {
        for byte in UInt8.min...UInt8.max {
            #expect(ElementCodec.Code(ascii: byte) == ElementCodec.Code(rawValue: byte))
        }
    }

    @Test func formatParsing() {
        #expect(ElementCodec.Code(format: Array("@d".utf8)) == .double)
        #expect(ElementCodec.Code(format: Array("e".utf8)) == .half)
        #expect(ElementCodec.Code(memoryviewFormat: Array("e".utf8)) == nil)     // 3.11's memoryview
        for bad in ["", "@", "dd", "<d", "=B", "2B", "x", "s", "@@d"] {
            #expect(ElementCodec.Code(format: Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    /// Integer boundaries of every integer code: in range round-trips, one past is refused.
    @Test func integerRanges() {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        defer { unsafe memory.deallocate() }
        for code in ElementCodec.Code.allCases where code.kind == .signedInteger || code.kind == .unsignedInteger {
            let bits = code.size * 8
            if code.kind == .signedInteger {
                let minimum = bits == 64 ? Int64.min : -(Int64(1) << (bits - 1))
                let maximum = bits == 64 ? Int64.max : (Int64(1) << (bits - 1)) - 1
                for v in [minimum, maximum, 0, -1, 1] {
                    #expect(unsafe ElementCodec.pack(.signed(v), as: code, into: memory) == nil)
                    #expect(unsafe ElementCodec.unpack(code, from: memory) == .signed(v), "\(code) \(v)")
                }
                if bits < 64 {
                    #expect(unsafe ElementCodec.pack(.signed(maximum + 1), as: code, into: memory) == .outOfRange)
                    #expect(unsafe ElementCodec.pack(.signed(minimum - 1), as: code, into: memory) == .outOfRange)
                }
                #expect(unsafe ElementCodec.pack(.unsigned(UInt64(maximum) + 1), as: code, into: memory) == .outOfRange)
            } else {
                let maximum = bits == 64 ? UInt64.max : (UInt64(1) << bits) - 1
                for v in [0, 1, maximum] {
                    #expect(unsafe ElementCodec.pack(.unsigned(v), as: code, into: memory) == nil)
                    #expect(unsafe ElementCodec.unpack(code, from: memory) == .unsigned(v), "\(code) \(v)")
                }
                if bits < 64 {
                    #expect(unsafe ElementCodec.pack(.unsigned(maximum + 1), as: code, into: memory) == .outOfRange)
                }
                #expect(unsafe ElementCodec.pack(.signed(-1), as: code, into: memory) == .outOfRange)
            }
            #expect(unsafe ElementCodec.pack(.float(1), as: code, into: memory) == .wrongKind)
            #expect(unsafe ElementCodec.pack(.char(1), as: code, into: memory) == .wrongKind)
        }
    }

    @Test func otherKinds() {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        defer { unsafe memory.deallocate() }
        #expect(unsafe ElementCodec.pack(.bool(true), as: .bool, into: memory) == nil)
        #expect(unsafe memory.load(as: UInt8.self) == 1)
        unsafe memory.storeBytes(of: 2, as: UInt8.self)
        #expect(unsafe ElementCodec.unpack(.bool, from: memory) == .bool(true))     // any non-zero byte
        #expect(unsafe ElementCodec.pack(.signed(1), as: .bool, into: memory) == .wrongKind)
        #expect(unsafe ElementCodec.pack(.char(0xFF), as: .char, into: memory) == nil)
        #expect(unsafe ElementCodec.unpack(.char, from: memory) == .char(0xFF))
        #expect(unsafe ElementCodec.pack(.signed(-1), as: .pointer, into: memory) == nil)
        #expect(unsafe ElementCodec.unpack(.pointer, from: memory) == .pointer(UInt.max))  // PyLong_AsVoidPtr wraps
        // 'f': C's conversion gives infinity; the struct module's rule refuses.
        #expect(unsafe ElementCodec.pack(.float(1e300), as: .float, into: memory) == nil)
        #expect(unsafe ElementCodec.unpack(.float, from: memory) == .float(.infinity))
        #expect(unsafe ElementCodec.pack(.float(1e300), as: .float, into: memory, floatOverflow: .reject) == .outOfRange)
        #expect(unsafe ElementCodec.pack(.float(.infinity), as: .float, into: memory, floatOverflow: .reject) == nil)
        #expect(unsafe ElementCodec.pack(.float(65520), as: .half, into: memory) == .outOfRange)
    }

    @Test func unalignedElements() {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 8)
        defer { unsafe memory.deallocate() }
        for code in ElementCodec.Code.allCases where code.kind == .floatingPoint && code != .half {
            #expect(unsafe ElementCodec.pack(.float(-2.5), as: code, into: memory + 1) == nil)
            #expect(unsafe ElementCodec.unpack(code, from: memory + 1) == .float(-2.5))
        }
    }

    /// unpack_cmp: floats by value (NaN unequal to itself, -0.0 equal to 0.0), others by bytes.
    @Test func comparison() {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        let q = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        defer { unsafe p.deallocate(); unsafe q.deallocate() }
        for code in [ElementCodec.Code.float, .double, .half] {
            _ = unsafe ElementCodec.pack(.float(.nan), as: code, into: p)
            #expect(unsafe !ElementCodec.equal(code, p, p))
            _ = unsafe ElementCodec.pack(.float(-0.0), as: code, into: p)
            _ = unsafe ElementCodec.pack(.float(0.0), as: code, into: q)
            #expect(unsafe ElementCodec.equal(code, p, q))
            #expect(!ElementCodec.comparesByBytes(code))
        }
        unsafe p.storeBytes(of: 2, as: UInt8.self)
        unsafe q.storeBytes(of: 1, as: UInt8.self)
        #expect(unsafe !ElementCodec.equal(.bool, p, q))    // as CPython compares _Bool loads
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    /// binary16 against Swift's Float16 (IEEE conversions) over every bit pattern, and
    /// rounding of doubles between representable halves, ties to even.
    @available(macOS 11.0, iOS 14.0, tvOS 14.0, watchOS 7.0, *)
    @Test func binary16Exhaustively() {
        for bits in UInt16.min...UInt16.max {
            let reference = Double(Float16(bitPattern: bits))
            let decoded = ElementCodec.halfToDouble(bits)
            if reference.isNaN {
                #expect(decoded.isNaN && decoded.sign == reference.sign)
                #expect(ElementCodec.doubleToHalf(decoded) == (bits & 0x8000) | 0x7E00)
            } else {
                #expect(decoded == reference && decoded.sign == reference.sign, "\(bits)")
                #expect(ElementCodec.doubleToHalf(decoded) == bits, "\(bits)")
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            let d = Double(bitPattern: generator.next()) .truncatingRemainder(dividingBy: 70000)
            guard d.isFinite else { continue }
            let h = Float16(d)
            if h.isInfinite {
                #expect(ElementCodec.doubleToHalf(d) == nil, "\(d)")
            } else {
                #expect(ElementCodec.doubleToHalf(d) == h.bitPattern, "\(d)")
            }
        }
        #expect(ElementCodec.doubleToHalf(65504) == 0x7BFF)
        #expect(ElementCodec.doubleToHalf(65519.99) == 0x7BFF)
        #expect(ElementCodec.doubleToHalf(65520) == nil)
    }
    #endif

    /// `Code.singleValue(of:)`, the one recogniser behind the typed readers and DLPack: the code
    /// and size of the one value a format describes in this machine's byte order (sizes as
    /// `struct.calcsize` gives them), nil for everything else.
    @Test func singleValueOfAFormat() {
        let native = UInt8(ascii: StructFormat.ByteOrder.native.isLittleEndian ? "<" : ">")
        let other = UInt8(ascii: StructFormat.ByteOrder.native.isLittleEndian ? ">" : "<")
        let accepted: [([UInt8], ElementCodec.Code, Int)] = [
            (Array("d".utf8), .double, 8), (Array("@l".utf8), .long, MemoryLayout<CLong>.size), (Array("1d".utf8), .double, 8),
            (Array("@1d".utf8), .double, 8), (Array("=l".utf8), .long, 4), ([native, UInt8(ascii: "d")], .double, 8),
            ([native, UInt8(ascii: "1"), UInt8(ascii: "h")], .short, 2), (Array("c".utf8), .char, 1), (Array("e".utf8), .half, 2),
            (Array("d ".utf8), .double, 8),
        ]
        for (format, code, size) in accepted {
            let value = ElementCodec.Code.singleValue(of: format)
            #expect(value?.code == code && value?.size == size, "\(String(decoding: format, as: UTF8.self))")
        }
        let refused: [[UInt8]] = [Array("2d".utf8), Array("0d".utf8), Array("dd".utf8), Array("xd".utf8), Array("3s".utf8),
                                  Array("T{d}".utf8), Array("".utf8), Array("@".utf8), Array("@@d".utf8), Array("d@".utf8),
                                  [other, UInt8(ascii: "d")], Array("=P".utf8), Array("Z".utf8)]
        for format in refused {
            #expect(ElementCodec.Code.singleValue(of: format) == nil, "\(String(decoding: format, as: UTF8.self))")
        }
        // The typed readers' rule is this one: "1d" holds a Double, "2d" does not.
        #expect(ElementCodec.Code.format(Array("1d".utf8), holdsCode: Double.formatCode, size: 8))
        #expect(!ElementCodec.Code.format(Array("2d".utf8), holdsCode: Double.formatCode, size: 8))
        #expect(!ElementCodec.Code.format([other, UInt8(ascii: "d")], holdsCode: Double.formatCode, size: 8))
    }

    /// The one rule (`Code.format(_:holdsCode:size:)`) for single native codes: same kind of
    /// number and size, `c` read as either 8-bit integer but not as Bool.
    @Test func compatibilityWithSwiftTypes() {
        func holds<T: BufferElement>(_ format: String, _ type: T.Type) -> Bool {
            ElementCodec.Code.format(Array(format.utf8), holdsCode: T.formatCode, size: MemoryLayout<T>.size)
        }
        #expect(holds("d", Double.self))
        #expect(holds("q", Int.self))
        #expect(holds("l", Int64.self))
        #expect(holds("c", UInt8.self))
        #expect(holds("c", Int8.self))
        #expect(!holds("c", Bool.self))
        #expect(!holds("B", Int8.self))
        #expect(!holds("i", Float.self))
        #expect(!holds("d", Int64.self))
        #expect(!holds("h", Int32.self))
    }
}
