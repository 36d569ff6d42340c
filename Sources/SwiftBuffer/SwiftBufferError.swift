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
    /// `struct.error`: a format the `struct` grammar rejects.
    case structError(String)

    public var message: String {
        switch self {
        case .bufferError(let m), .valueError(let m), .typeError(let m), .indexError(let m),
             .notImplementedError(let m), .overflowError(let m), .memoryError(let m),
             .structError(let m):
            return m
        }
    }
}
