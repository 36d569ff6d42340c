// MARK: - Errors Swift code can read
import CPythonShim

/// A Python exception, as a Swift error: its type name and message, readable from Swift, and
/// the exception itself, to hand back to Python unchanged.
///
/// Every throwing API of this library throws `PythonError`. Errors that come from Python
/// (`PyObject_GetBuffer` refusing a request, an import failing) keep the raised exception
/// object; errors this library detects itself (a format that does not hold the element type,
/// a non-contiguous buffer for a contiguous accessor) carry a type and a message, and become
/// that exception when raised. At the boundary back to Python — an extension function's
/// return — call `raise()` and return NULL (`PythonFunction` does both for you).
public struct PythonError: Error, CustomStringConvertible, @unchecked Sendable {
    /// The exception's type as Python names it: `"BufferError"`, `"ValueError"`, ...
    public let typeName: String
    /// `str()` of the exception: CPython's or NumPy's own message where they raised it.
    public let message: String
    private let origin: Origin

    /// The Python exception types this library raises itself.
    public enum Kind: Sendable {
        case bufferError, valueError, typeError, indexError, importError, runtimeError, memoryError, overflowError

        var name: String {
            switch self {
            case .bufferError: "BufferError"
            case .valueError: "ValueError"
            case .typeError: "TypeError"
            case .indexError: "IndexError"
            case .importError: "ImportError"
            case .runtimeError: "RuntimeError"
            case .memoryError: "MemoryError"
            case .overflowError: "OverflowError"
            }
        }

        var type: UnsafeMutablePointer<PyObject> {
            switch self {
            case .bufferError: swiftbuf_PyExc_BufferError()
            case .valueError: swiftbuf_PyExc_ValueError()
            case .typeError: swiftbuf_PyExc_TypeError()
            case .indexError: swiftbuf_PyExc_IndexError()
            case .importError: swiftbuf_PyExc_ImportError()
            case .runtimeError: swiftbuf_PyExc_RuntimeError()
            case .memoryError: swiftbuf_PyExc_MemoryError()
            case .overflowError: swiftbuf_PyExc_OverflowError()
            }
        }
    }

    private enum Origin {
        case made(Kind)
        case raised(RaisedException)
    }

    /// An error of `kind` with `message`, raised as that Python exception.
    public init(_ kind: Kind, _ message: String) {
        typeName = kind.name
        self.message = message
        origin = .made(kind)
    }

    public static func bufferError(_ message: String) -> PythonError { PythonError(.bufferError, message) }
    public static func valueError(_ message: String) -> PythonError { PythonError(.valueError, message) }
    public static func typeError(_ message: String) -> PythonError { PythonError(.typeError, message) }
    public static func indexError(_ message: String) -> PythonError { PythonError(.indexError, message) }
    public static func importError(_ message: String) -> PythonError { PythonError(.importError, message) }
    public static func runtimeError(_ message: String) -> PythonError { PythonError(.runtimeError, message) }

    /// `"TypeError: message"`, as the last line of a traceback.
    public var description: String { message.isEmpty ? typeName : "\(typeName): \(message)" }

    /// Whether the exception is an instance of `kind` (subclasses included).
    public func matches(_ kind: Kind) -> Bool {
        switch origin {
        case .made(let k): return k == kind
        case .raised(let e): return withGILHeld { unsafe PyErr_GivenExceptionMatches(e.type, kind.type) != 0 }
        }
    }

    /// Takes the exception Python has set, for code that calls the C API directly: after a
    /// call that returned NULL or -1. With none set, a RuntimeError saying so.
    public static func fetch() -> PythonError {
        var type: UnsafeMutablePointer<PyObject>? = nil, value: UnsafeMutablePointer<PyObject>? = nil
        var traceback: UnsafeMutablePointer<PyObject>? = nil
        unsafe PyErr_Fetch(&type, &value, &traceback)
        guard let t = unsafe type else { return .runtimeError("a Python call failed without setting an exception") }
        unsafe PyErr_NormalizeException(&type, &value, &traceback)
        let raised = unsafe RaisedException(type: type ?? t, value: value, traceback: traceback)
        return PythonError(raised: raised)
    }

    private init(raised: RaisedException) {
        typeName = unsafe pythonTypeName(of: UnsafeMutableRawPointer(raised.type).assumingMemoryBound(to: PyTypeObject.self))
        message = unsafe describe(raised.value)
        origin = .raised(raised)
    }

    /// Sets this exception as Python's current one; the caller then returns its C error value
    /// (NULL, -1). Call it with the GIL held.
    public func raise() {
        switch origin {
        case .made(let kind): unsafe PyErr_SetString(kind.type, message)
        case .raised(let e): e.restore()
        }
    }
}

/// The (type, value, traceback) triple of a raised exception, owned.
private final class RaisedException: @unchecked Sendable {
    let type: UnsafeMutablePointer<PyObject>
    let value: UnsafeMutablePointer<PyObject>?
    let traceback: UnsafeMutablePointer<PyObject>?

    init(type: UnsafeMutablePointer<PyObject>, value: UnsafeMutablePointer<PyObject>?, traceback: UnsafeMutablePointer<PyObject>?) {
        unsafe self.type = type
        unsafe self.value = value
        unsafe self.traceback = traceback
    }

    /// PyErr_Restore steals the references: hand it new ones, this object keeps its own.
    func restore() {
        unsafe incref(type)
        if let v = unsafe value { unsafe incref(v) }
        if let t = unsafe traceback { unsafe incref(t) }
        unsafe PyErr_Restore(type, value, traceback)
    }

    deinit {
        withGILHeld {
            unsafe decref(type)
            unsafe xdecref(value)
            unsafe xdecref(traceback)
        }
    }
}
