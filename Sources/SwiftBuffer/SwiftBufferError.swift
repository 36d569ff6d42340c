/// The one error the core throws. Each case names the Python exception the bridge raises and
/// carries CPython's exact message, so Python code sees what it would see from the builtins.
public enum SwiftBufferError: Error, Equatable, Sendable {
    case bufferError(String)
    case valueError(String)
    case typeError(String)
    case indexError(String)
    case notImplementedError(String)
    case overflowError(String)
    case memoryError(String)
    /// `MemoryError()` with no message: what CPython's allocators raise (`PyErr_NoMemory`) when
    /// an allocation fails or a size would overflow.
    case noMemory
    /// `struct.error`: a format the `struct` grammar rejects.
    case structError(String)

    public var message: String {
        switch self {
        case .bufferError(let m), .valueError(let m), .typeError(let m), .indexError(let m),
             .notImplementedError(let m), .overflowError(let m), .memoryError(let m),
             .structError(let m):
            return m
        case .noMemory:
            return ""
        }
    }
}

extension SwiftBufferError {
    /// A core error whose message is fixed at compile time: a TypeError or a ValueError. The
    /// checks a hot slot makes itself return one (`MemoryView.castSourceRefusal`,
    /// `hashRefusal`), and a carrier raises it from the literal's bytes, with no String made
    /// (see ARCHITECTURE.md, "Slots and the cost of an error path").
    public struct Fixed: Error, Sendable {
        public let message: StaticString
        public let isTypeError: Bool

        @inlinable public init(typeError message: StaticString) { (self.message, isTypeError) = (message, true) }
        @inlinable public init(valueError message: StaticString) { (self.message, isTypeError) = (message, false) }

        /// As a core error (its message a String).
        @inlinable public var error: SwiftBufferError {
            isTypeError ? .typeError(message.description) : .valueError(message.description)
        }
    }

    /// `prefix`, `middle` and `suffix` as one String, made with one allocation: a message that
    /// quotes a format. String interpolation makes several (and decodes), which cost a refused
    /// `m[i]` ~400 instructions of its ~3000 under callgrind. Invalid UTF-8 in `middle` is kept
    /// as bytes and repaired as `String(decoding:)` repairs it.
    @inline(never)
    public static func message(_ prefix: StaticString, _ middle: UnsafeRawBufferPointer, _ suffix: StaticString = "") -> String {
        let count = prefix.utf8CodeUnitCount + middle.count + suffix.utf8CodeUnitCount
        return unsafe String(unsafeUninitializedCapacity: count) { out in
            var p = UnsafeMutableRawPointer(out.baseAddress!)
            unsafe p.copyMemory(from: prefix.utf8Start, byteCount: prefix.utf8CodeUnitCount)
            unsafe p += prefix.utf8CodeUnitCount
            if let m = middle.baseAddress {
                unsafe p.copyMemory(from: m, byteCount: middle.count)
                unsafe p += middle.count
            }
            if suffix.utf8CodeUnitCount != 0 { unsafe p.copyMemory(from: suffix.utf8Start, byteCount: suffix.utf8CodeUnitCount) }
            return count
        }
    }

    /// `message` quoting one format character.
    @inlinable
    public static func message(_ prefix: StaticString, _ character: UInt8, _ suffix: StaticString = "") -> String {
        unsafe withUnsafeBytes(of: character) { unsafe message(prefix, $0, suffix) }
    }

    /// `repr(s)` of a Python str, for quoting user input in messages as Python would.
    public static func pythonRepr<Bytes: Sequence>(_ utf8: Bytes) -> String where Bytes.Element == UInt8 {
        let text = String(decoding: Array(utf8), as: UTF8.self)
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where Character(scalar) == quote: out += "\\" + String(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append(quote)
        return out
    }
}
