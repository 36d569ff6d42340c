/// Reading and writing one element of a native single-character `struct` format between raw
/// memory and a Swift value: the `unpack_single`/`pack_single`/`unpack_cmp` triple of
/// memoryobject.c, without the Python objects.
///
/// The codec knows sizes, ranges and byte patterns; it does not know Python. Callers turn a
/// `Value` into a Python object (the bridge), or a typed Swift value (`MemoryView`'s consumer
/// API), and word range failures in their own voice: memoryview says
/// `"memoryview: invalid value for format 'B'"`, the `struct` module says
/// `"ubyte format requires 0 <= number <= 255"`.
///
/// Memory is read and written with unaligned loads and stores: a format describes bytes, and
/// nothing in PEP 3118 promises that an exporter aligns them.
public enum ElementCodec {
    /// The native single-character formats (native size, native byte order), as the `struct`
    /// module spells them. Raw values are the ASCII codes.
    public enum Code: UInt8, CaseIterable, Sendable {
        /// `c`: one byte, a `bytes` of length 1 in Python.
        case char = 0x63
        /// `b`: `signed char`.
        case signedChar = 0x62
        /// `B`: `unsigned char`.
        case unsignedChar = 0x42
        /// `?`: `_Bool`.
        case bool = 0x3F
        /// `h`: `short`.
        case short = 0x68
        /// `H`: `unsigned short`.
        case unsignedShort = 0x48
        /// `i`: `int`.
        case int = 0x69
        /// `I`: `unsigned int`.
        case unsignedInt = 0x49
        /// `l`: `long`.
        case long = 0x6C
        /// `L`: `unsigned long`.
        case unsignedLong = 0x4C
        /// `q`: `long long`.
        case longLong = 0x71
        /// `Q`: `unsigned long long`.
        case unsignedLongLong = 0x51
        /// `n`: `Py_ssize_t`.
        case ssize = 0x6E
        /// `N`: `size_t`.
        case size = 0x4E
        /// `e`: IEEE 754 binary16. CPython 3.11's memoryview does not accept it (3.12 does);
        /// the `struct` module and `_testbuffer` do.
        case half = 0x65
        /// `f`: `float`.
        case float = 0x66
        /// `d`: `double`.
        case double = 0x64
        /// `P`: `void *`.
        case pointer = 0x50

        /// The code spelled by `character`, or nil for any other byte. The same mapping as
        /// `init?(rawValue:)`, written out so that it inlines into hot paths (the optimiser keeps
        /// the synthesized initializer out of line: a call per element read).
        @inlinable @inline(__always)
        public init?(ascii character: UInt8) {
            switch character {
            case 0x63: self = .char
            case 0x62: self = .signedChar
            case 0x42: self = .unsignedChar
            case 0x3F: self = .bool
            case 0x68: self = .short
            case 0x48: self = .unsignedShort
            case 0x69: self = .int
            case 0x49: self = .unsignedInt
            case 0x6C: self = .long
            case 0x4C: self = .unsignedLong
            case 0x71: self = .longLong
            case 0x51: self = .unsignedLongLong
            case 0x6E: self = .ssize
            case 0x4E: self = .size
            case 0x65: self = .half
            case 0x66: self = .float
            case 0x64: self = .double
            case 0x50: self = .pointer
            default: return nil
            }
        }

        /// What kind of Swift value an element of this code becomes.
        public enum Kind: Sendable {
            case signedInteger, unsignedInteger, floatingPoint, boolean, character, pointer
        }

        /// `sizeof` of the C type, which is also its alignment on every platform Swift runs on.
        @inlinable
        public var size: Int {
            switch self {
            case .char, .signedChar, .unsignedChar, .bool: return 1
            case .short, .unsignedShort, .half: return 2
            case .int, .unsignedInt, .float: return 4
            case .long, .unsignedLong: return MemoryLayout<CLong>.size
            case .longLong, .unsignedLongLong, .double: return 8
            case .ssize, .size: return MemoryLayout<Int>.size
            case .pointer: return unsafe MemoryLayout<UnsafeRawPointer>.size
            }
        }

        @inlinable
        public var kind: Kind {
            switch self {
            case .signedChar, .short, .int, .long, .longLong, .ssize: return .signedInteger
            case .unsignedChar, .unsignedShort, .unsignedInt, .unsignedLong, .unsignedLongLong, .size: return .unsignedInteger
            case .half, .float, .double: return .floatingPoint
            case .bool: return .boolean
            case .char: return .character
            case .pointer: return .pointer
            }
        }

        /// `b`, `B` and `c`: the formats memoryview may hash and may cast from or to anything
        /// (`IS_BYTE_FORMAT`).
        @inlinable
        public var isByte: Bool { Code.isByte(rawValue) }

        /// `isByte` of the code whose character is `character` (false for any other byte).
        @inlinable @inline(__always)
        public static func isByte(_ character: UInt8) -> Bool {
            character == Code.char.rawValue || character == Code.signedChar.rawValue || character == Code.unsignedChar.rawValue
        }

        /// The code of a format that is one native code with an optional `@` prefix
        /// (`get_native_fmtchar`), including `e`.
        @inlinable @inline(__always)
        public init?<Bytes: Collection>(format: Bytes) where Bytes.Element == UInt8 {
            // By count, which every caller's collection (bytes in memory) knows at once: walking
            // indices cost the cast's format check 14 instructions more.
            let n = format.count
            guard n == 1 || n == 2 else { return nil }
            var i = format.startIndex
            if n == 2 {
                guard format[i] == UInt8(ascii: "@") else { return nil }
                i = format.index(after: i)
            }
            self.init(ascii: format[i])
        }

        /// As `init(format:)`, for the codes CPython 3.11's memoryview handles without the
        /// `struct` module: every native code except `e`.
        @inlinable @inline(__always)
        public init?<Bytes: Collection>(memoryviewFormat format: Bytes) where Bytes.Element == UInt8 {
            guard let code = Code(format: format), code != .half else { return nil }
            self = code
        }

    }

    /// One element as a Swift value. Integers are widened to 64 bits; `f` and `e` to Double.
    public enum Value: Equatable, Sendable {
        case signed(Int64)
        case unsigned(UInt64)
        case float(Double)
        case bool(Bool)
        /// The byte of a `c` element.
        case char(UInt8)
        /// The address of a `P` element.
        case pointer(UInt)
    }

    /// Why `pack` stored nothing.
    public enum PackFailure: Error, Equatable, Sendable {
        /// The value does not fit the code's C type.
        case outOfRange
        /// The value is of a kind the code cannot hold (a float for `B`, an integer for `c`).
        case wrongKind
    }

    /// What `f` does with a finite double too large for a float: C's conversion gives
    /// infinity (memoryview's `PACK_SINGLE`), the `struct` module rejects it (`PyFloat_Pack4`).
    public enum FloatOverflow: Sendable {
        case infinity, reject
    }

    // MARK: - Unpack (unpack_single)

    /// Reads the element at `pointer`.
    ///
    /// `?` is true for any non-zero byte, as a C `_Bool` load of such a byte is in practice.
    @inlinable @inline(__always)
    public static func unpack(_ code: Code, from pointer: UnsafeRawPointer) -> Value {
        switch code {
        case .unsignedChar: return .unsigned(UInt64(unsafe pointer.load(as: UInt8.self)))
        case .signedChar: return .signed(Int64(unsafe pointer.load(as: Int8.self)))
        case .short: return .signed(Int64(unsafe pointer.loadUnaligned(as: Int16.self)))
        case .int: return .signed(Int64(unsafe pointer.loadUnaligned(as: Int32.self)))
        case .long: return .signed(Int64(unsafe pointer.loadUnaligned(as: CLong.self)))
        case .bool: return .bool(unsafe pointer.load(as: UInt8.self) != 0)
        case .unsignedShort: return .unsigned(UInt64(unsafe pointer.loadUnaligned(as: UInt16.self)))
        case .unsignedInt: return .unsigned(UInt64(unsafe pointer.loadUnaligned(as: UInt32.self)))
        case .unsignedLong: return .unsigned(UInt64(unsafe pointer.loadUnaligned(as: CUnsignedLong.self)))
        case .longLong: return .signed(unsafe pointer.loadUnaligned(as: Int64.self))
        case .unsignedLongLong: return .unsigned(unsafe pointer.loadUnaligned(as: UInt64.self))
        case .ssize: return .signed(Int64(unsafe pointer.loadUnaligned(as: Int.self)))
        case .size: return .unsigned(UInt64(unsafe pointer.loadUnaligned(as: UInt.self)))
        case .float: return .float(Double(unsafe pointer.loadUnaligned(as: Float.self)))
        case .double: return .float(unsafe pointer.loadUnaligned(as: Double.self))
        case .half: return .float(halfToDouble(unsafe pointer.loadUnaligned(as: UInt16.self)))
        case .char: return .char(unsafe pointer.load(as: UInt8.self))
        case .pointer: return .pointer(unsafe pointer.loadUnaligned(as: UInt.self))
        }
    }

    // MARK: - Pack (pack_single)

    /// Writes `value` as an element of `code` at `pointer`, or reports why it cannot.
    ///
    /// Integers are accepted for every integer code and range-checked against its C type;
    /// `P` takes an address or an integer's bit pattern (negative integers wrap, as
    /// `PyLong_AsVoidPtr` does); `?` takes a Bool; `c` a byte; float codes a Double (`f` per
    /// `floatOverflow`, `e` rounds to nearest even and rejects overflow like `PyFloat_Pack2`).
    @inlinable
    public static func pack(_ value: Value, as code: Code, into pointer: UnsafeMutableRawPointer,
                            floatOverflow: FloatOverflow = .infinity) -> PackFailure? {
        switch code.kind {
        case .signedInteger, .unsignedInteger:
            switch value {
            case .signed(let v): return unsafe pack(signed: v, as: code, into: pointer) ? nil : .outOfRange
            case .unsigned(let v): return unsafe pack(unsigned: v, as: code, into: pointer) ? nil : .outOfRange
            default: return .wrongKind
            }
        case .floatingPoint:
            guard case .float(let d) = value else { return .wrongKind }
            return unsafe pack(float: d, as: code, into: pointer, floatOverflow: floatOverflow) ? nil : .outOfRange
        case .boolean:
            guard case .bool(let b) = value else { return .wrongKind }
            unsafe pointer.storeBytes(of: b ? 1 : 0, as: UInt8.self)
        case .character:
            guard case .char(let c) = value else { return .wrongKind }
            unsafe pointer.storeBytes(of: c, as: UInt8.self)
        case .pointer:
            switch value {
            case .pointer(let p): unsafe pointer.storeBytes(of: p, as: UInt.self)
            case .unsigned(let v):
                guard v <= UInt64(UInt.max) else { return .outOfRange }
                unsafe pointer.storeBytes(of: UInt(v), as: UInt.self)
            case .signed(let v):
                guard v >= Int64(Int.min), v <= Int64(Int.max) else { return .outOfRange }
                unsafe pointer.storeBytes(of: UInt(bitPattern: Int(v)), as: UInt.self)
            default: return .wrongKind
            }
        }
        return nil
    }

    /// `pack` of a signed integer for an integer `code`: false (nothing stored) when out of
    /// range. Inlined into callers that know the value's kind (memoryview's `m[i] = v`), where
    /// the general `pack` was an out-of-line call and two switches per store.
    @inlinable @inline(__always)
    public static func pack(signed v: Int64, as code: Code, into pointer: UnsafeMutableRawPointer) -> Bool {
        guard fits(v, code) else { return false }
        unsafe store(bits: UInt64(bitPattern: v), size: code.size, into: pointer)
        return true
    }

    /// `pack` of an unsigned integer for an integer `code`: false when out of range.
    @inlinable @inline(__always)
    public static func pack(unsigned v: UInt64, as code: Code, into pointer: UnsafeMutableRawPointer) -> Bool {
        guard fits(v, code) else { return false }
        unsafe store(bits: v, size: code.size, into: pointer)
        return true
    }

    /// `pack` of a double for a floating-point `code`: false when out of range.
    @inlinable @inline(__always)
    public static func pack(float d: Double, as code: Code, into pointer: UnsafeMutableRawPointer,
                            floatOverflow: FloatOverflow = .infinity) -> Bool {
        switch code {
        case .float:
            let f = Float(d)
            if floatOverflow == .reject && f.isInfinite && d.isFinite { return false }
            unsafe pointer.storeBytes(of: f, as: Float.self)
        case .double:
            unsafe pointer.storeBytes(of: d, as: Double.self)
        default:
            guard let h = doubleToHalf(d) else { return false }
            unsafe pointer.storeBytes(of: h, as: UInt16.self)
        }
        return true
    }

    /// Whether `v` is representable in the integer type of `code`.
    @inlinable
    public static func fits(_ v: Int64, _ code: Code) -> Bool {
        switch code {
        case .signedChar: return v >= Int64(Int8.min) && v <= Int64(Int8.max)
        case .short: return v >= Int64(Int16.min) && v <= Int64(Int16.max)
        case .int: return v >= Int64(Int32.min) && v <= Int64(Int32.max)
        case .long, .longLong, .ssize: return true
        case .unsignedChar, .unsignedShort, .unsignedInt, .unsignedLong, .unsignedLongLong, .size:
            return v >= 0 && fits(UInt64(v), code)
        default: return false
        }
    }

    @inlinable
    public static func fits(_ v: UInt64, _ code: Code) -> Bool {
        switch code {
        case .unsignedChar: return v <= UInt64(UInt8.max)
        case .unsignedShort: return v <= UInt64(UInt16.max)
        case .unsignedInt: return v <= UInt64(UInt32.max)
        case .unsignedLong, .unsignedLongLong, .size: return true
        case .signedChar, .short, .int, .long, .longLong, .ssize: return v <= UInt64(Int64.max) && fits(Int64(v), code)
        default: return false
        }
    }

    @inlinable @inline(__always)
    static func store(bits: UInt64, size: Int, into pointer: UnsafeMutableRawPointer) {
        // Truncation keeps the low bytes: the value was range-checked for `size` bytes.
        switch size {
        case 1: unsafe pointer.storeBytes(of: UInt8(truncatingIfNeeded: bits), as: UInt8.self)
        case 2: unsafe pointer.storeBytes(of: UInt16(truncatingIfNeeded: bits), as: UInt16.self)
        case 4: unsafe pointer.storeBytes(of: UInt32(truncatingIfNeeded: bits), as: UInt32.self)
        default: unsafe pointer.storeBytes(of: bits, as: UInt64.self)
        }
    }

    // MARK: - Compare (unpack_cmp)

    /// Whether the elements at `p` and `q` are equal as values of `code`: floats by IEEE
    /// equality (NaN never equals itself, `-0.0 == 0.0`), everything else by its bytes.
    @inlinable @inline(__always)
    public static func equal(_ code: Code, _ p: UnsafeRawPointer, _ q: UnsafeRawPointer) -> Bool {
        switch code {
        case .float: return unsafe p.loadUnaligned(as: Float.self) == q.loadUnaligned(as: Float.self)
        case .double: return unsafe p.loadUnaligned(as: Double.self) == q.loadUnaligned(as: Double.self)
        case .half: return unsafe halfToDouble(p.loadUnaligned(as: UInt16.self)) == halfToDouble(q.loadUnaligned(as: UInt16.self))
        default:
            switch code.size {
            case 1: return unsafe p.load(as: UInt8.self) == q.load(as: UInt8.self)
            case 2: return unsafe p.loadUnaligned(as: UInt16.self) == q.loadUnaligned(as: UInt16.self)
            case 4: return unsafe p.loadUnaligned(as: UInt32.self) == q.loadUnaligned(as: UInt32.self)
            default: return unsafe p.loadUnaligned(as: UInt64.self) == q.loadUnaligned(as: UInt64.self)
            }
        }
    }

    /// Whether equal bytes mean equal values and unequal bytes unequal values for `code`, so a
    /// run of elements compares with one `memcmp`: every code but the floating-point ones.
    @inlinable
    public static func comparesByBytes(_ code: Code) -> Bool { code.kind != .floatingPoint }

    // MARK: - binary16 (PyFloat_Pack2 / PyFloat_Unpack2)

    /// The value of an IEEE 754 binary16. NaNs come back as a quiet NaN of the same sign, as
    /// `PyFloat_Unpack2` returns them.
    @inlinable
    public static func halfToDouble(_ h: UInt16) -> Double {
        let negative = h & 0x8000 != 0
        let exponent = Int((h >> 10) & 0x1F)
        let fraction = Double(h & 0x3FF)
        let magnitude: Double
        if exponent == 0x1F {
            magnitude = fraction == 0 ? .infinity : .nan
        } else if exponent == 0 {
            magnitude = fraction * 0x1p-24
        } else {
            magnitude = (1 + fraction * 0x1p-10) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }

    /// The binary16 nearest to `x` (ties to even), or nil when `x` is finite but too large
    /// ("float too large to pack with e format"). NaN becomes the quiet NaN with `x`'s sign.
    @inlinable
    public static func doubleToHalf(_ x: Double) -> UInt16? {
        let sign: UInt16 = x.sign == .minus ? 0x8000 : 0
        if x.isNaN { return sign | 0x7E00 }
        if x.isInfinite { return sign | 0x7C00 }
        let a = x.magnitude
        if a == 0 { return sign }
        // Scale so the binary16 quantum at this magnitude is 1, round to an integer (ties to
        // even), then split into exponent and fraction: exact, because doubles hold every
        // step of this arithmetic without rounding.
        let e = max(a.exponent, -14)                       // subnormals share exponent -14
        let quantum = Double(sign: .plus, exponent: e - 10, significand: 1)
        let steps = (a / quantum).rounded(.toNearestOrEven)   // 1024...2048 normal, < 1024 subnormal
        var exponent = e + 15
        var mantissa = steps
        if steps >= 2048 { exponent += 1; mantissa = steps / 2 }
        if exponent >= 0x1F { return nil }
        if mantissa < 1024 { return sign | UInt16(mantissa) }  // subnormal (exponent field 0)
        return sign | UInt16(exponent) << 10 | UInt16(mantissa - 1024)
    }
}
