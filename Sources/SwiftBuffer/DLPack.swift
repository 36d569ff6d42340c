/// The DLPack rules (dlpack.h v1.0, the array-API standard's `__dlpack__`) that do not touch a
/// C struct: which `struct` formats a DLPack data type can express and back, element strides,
/// version negotiation, and the span of memory an imported tensor addresses. The bridge fills
/// the C structs (declared in `Sources/pyext/objects/include/swiftbuf_dlpack.h`).
public enum DLPack {
    /// `DLDataTypeCode`.
    public enum TypeCode: UInt8, Sendable {
        case int = 0, uint = 1, float = 2, opaqueHandle = 3, bfloat = 4, complex = 5, bool = 6
    }

    /// `DLDataType`: `code`, `bits` per lane, `lanes` per element.
    public struct DataType: Sendable, Hashable {
        public var code: UInt8
        public var bits: UInt8
        public var lanes: UInt16
        public init(code: UInt8, bits: UInt8, lanes: UInt16) {
            self.code = code
            self.bits = bits
            self.lanes = lanes
        }
    }

    /// `kDLCPU`, the only device Swift-owned memory lives on.
    public static let cpu: Int32 = 1
    /// The DLPack version this producer speaks (`DLPACK_MAJOR_VERSION`, `DLPACK_MINOR_VERSION`).
    public static let majorVersion: UInt32 = 1
    public static let minorVersion: UInt32 = 0
    /// `DLPACK_FLAG_BITMASK_READ_ONLY`.
    public static let readOnlyFlag: UInt64 = 1 << 0
    /// `DLPACK_FLAG_BITMASK_IS_COPIED`.
    public static let isCopiedFlag: UInt64 = 1 << 1

    /// Whether a consumer that passed `max_version` (nil: none) gets the versioned capsule: it
    /// must have said it understands major version 1 or later (array-API standard, 2023.12).
    public static func wantsVersioned(maxMajor: Int?) -> Bool {
        guard let major = maxMajor else { return false }
        return major >= Int(majorVersion)
    }

    /// The DLPack type of elements of `format`: one value of a bool, integer or floating-point
    /// code, in native byte order. Anything else (records, `'c'`, `'s'`, `'P'`, repeat counts,
    /// the other byte order) is refused with BufferError.
    public static func dataType(of format: [UInt8]) throws(SwiftBufferError) -> DataType {
        unsafe try format.withUnsafeBufferPointer { bytes throws(SwiftBufferError) in unsafe try dataType(of: bytes) }
    }

    /// `dataType(of:)` on format bytes read in place, as an export reads its layout's (an array
    /// of the format made for each `__dlpack__()` was about 150 of its instructions). Concrete,
    /// not generic over the bytes: called from the bridge, a generic one ran unspecialised.
    package static func dataType(of format: UnsafeBufferPointer<UInt8>) throws(SwiftBufferError) -> DataType {
        // One value in native byte order, by the one rule (`Code.singleValue(of:)`; a single
        // native code, what a Buffer of a Swift element type has, without the parser, which was
        // 150 of `__dlpack__()`'s ~1000 instructions of its own).
        guard let (code, size) = unsafe ElementCodec.Code.singleValue(of: format), let type = dataType(code, size: size) else {
            throw unsafe refusal(format)
        }
        return type
    }

    /// The DLPack type of elements of `code` of `size` bytes (the code's native size, or its
    /// standard size after a byte-order prefix); nil for `'c'` and `'P'`.
    private static func dataType(_ code: ElementCodec.Code, size: Int) -> DataType? {
        let type: TypeCode
        switch code.kind {
        case .signedInteger: type = .int
        case .unsignedInteger: type = .uint
        case .floatingPoint: type = .float
        case .boolean: type = .bool
        case .character, .pointer: return nil
        }
        return DataType(code: type.rawValue, bits: UInt8(size * 8), lanes: 1)
    }

    private static func refusal(_ format: UnsafeBufferPointer<UInt8>) -> SwiftBufferError {
        unsafe .bufferError("DLPack cannot express format \(SwiftBufferError.pythonRepr(format)): it has bool, signed and unsigned "
                            + "integer and floating-point elements of one value in native byte order")
    }

    /// The native `struct` format of a DLPack type (`q` for 64-bit ints, `e`/`f`/`d`, `?`), or
    /// BufferError for a type no format expresses (complex, bfloat, several lanes, odd sizes).
    public static func format(of type: DataType) throws(SwiftBufferError) -> [UInt8] { [try formatCharacter(of: type)] }

    /// The one character of `format(of:)`.
    public static func formatCharacter(of type: DataType) throws(SwiftBufferError) -> UInt8 {
        var refusal: SwiftBufferError {
            .bufferError("DLPack data type (code \(type.code), \(type.bits) bits, \(type.lanes) lanes) has no struct format")
        }
        guard type.lanes == 1, let code = TypeCode(rawValue: type.code) else { throw refusal }
        let character: UInt8
        switch (code, type.bits) {
        case (.int, 8): character = UInt8(ascii: "b")
        case (.int, 16): character = UInt8(ascii: "h")
        case (.int, 32): character = UInt8(ascii: "i")
        case (.int, 64): character = UInt8(ascii: "q")
        case (.uint, 8): character = UInt8(ascii: "B")
        case (.uint, 16): character = UInt8(ascii: "H")
        case (.uint, 32): character = UInt8(ascii: "I")
        case (.uint, 64): character = UInt8(ascii: "Q")
        case (.float, 16): character = UInt8(ascii: "e")
        case (.float, 32): character = UInt8(ascii: "f")
        case (.float, 64): character = UInt8(ascii: "d")
        case (.bool, 8): character = UInt8(ascii: "?")
        default: throw refusal
        }
        // Bytes, not Characters: Character's asciiValue made this 454 instructions per import.
        return character
    }

    /// Element strides (DLPack counts elements) of a layout whose byte strides are multiples
    /// of `itemsize`, as every Swift-owned layout's are.
    public static func elementStrides(_ byteStrides: [Int], itemsize: Int) -> [Int64] {
        byteStrides.map { Int64($0 / itemsize) }
    }

    /// The byte strides and the byte span of an imported tensor (`elementStrides == nil`:
    /// C-contiguous, the legacy convention), refusing what Swift-owned memory cannot describe:
    /// negative strides (the memory would start before the data pointer), and sizes that
    /// overflow. The span is what the layout addresses from its data pointer.
    public static func importedLayout(shape: [Int], elementStrides: [Int]?, itemsize: Int) throws(SwiftBufferError) -> (strides: [Int], span: Int) {
        var strides = [Int](repeating: 0, count: shape.count)
        let span = unsafe try shape.withUnsafeBufferPointer { s throws(SwiftBufferError) in
            unsafe try strides.withUnsafeMutableBufferPointer { out throws(SwiftBufferError) in
                guard let elements = elementStrides else {
                    return unsafe try importedLayout(shape: s, elementStrides: nil, itemsize: itemsize, into: out)
                }
                return unsafe try elements.withUnsafeBufferPointer { e throws(SwiftBufferError) in
                    unsafe try importedLayout(shape: s, elementStrides: e, itemsize: itemsize, into: out)
                }
            }
        }
        return (strides, span)
    }

    /// The same, writing the byte strides into `strides` (one per dimension): the bridge's
    /// import keeps shape and strides on its stack, where three arrays per import were a fifth
    /// of `Buffer.from_dlpack`'s instructions.
    public static func importedLayout(shape: UnsafeBufferPointer<Int>, elementStrides: UnsafeBufferPointer<Int>?, itemsize: Int,
                                      into strides: UnsafeMutableBufferPointer<Int>) throws(SwiftBufferError) -> Int {
        unsafe precondition(strides.count == shape.count && (elementStrides?.count ?? shape.count) == shape.count,
                            "one stride per dimension")
        var tooLarge: SwiftBufferError { unsafe .bufferError("DLPack tensor of shape \(SwiftMemory.describe(Array(shape))) is too large") }
        if let elements = unsafe elementStrides {
            for unsafe (i, s) in unsafe elements.enumerated() {
                if s < 0 { throw .bufferError("swiftbuf.Buffer.from_dlpack: negative strides are not supported") }
                let (b, o) = s.multipliedReportingOverflow(by: itemsize)
                if o { throw tooLarge }
                unsafe strides[i] = b
            }
        } else {
            // Compact row-major. Not `Layout.fillContiguousStrides`, which takes a validated shape:
            // the producer's is not, so each step is overflow-checked. A zero extent counts as one
            // (NumPy 1.x's rule; CPython's gives (0, 4) for (3, 0) of 4 bytes, NumPy 2's (0, 0)):
            // no stride of an empty tensor is ever used, so it shows only in `strides`.
            var s = itemsize
            for i in stride(from: shape.count - 1, through: 0, by: -1) {
                unsafe strides[i] = s
                let (next, o) = unsafe s.multipliedReportingOverflow(by: max(shape[i], 1))
                if o { throw tooLarge }
                s = next
            }
        }
        if unsafe shape.contains(where: { $0 < 0 }) { throw .bufferError("DLPack tensor has a negative extent") }
        if unsafe shape.contains(0) { return 0 }
        var span = itemsize
        for unsafe (extent, stride) in unsafe zip(shape, strides) {
            let (reach, o1) = stride.multipliedReportingOverflow(by: extent - 1)
            let (total, o2) = span.addingReportingOverflow(reach)
            if o1 || o2 { throw tooLarge }
            span = total
        }
        return span
    }
}
