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
