// MARK: - Errors Swift code can read
import CPythonShim
import SwiftBuffer

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
    @usableFromInline let origin: Origin

    /// The exception's type as Python names it: `"BufferError"`, `"ValueError"`, ...
    public var typeName: String {
        switch origin {
        case .made(let kind, _), .literal(let kind, _), .quoting(let kind, _, _): return kind.name
        case .core(let error): return Self.typeName(of: error)
        case .typed(let type, _): return unsafe pythonTypeName(of: UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyTypeObject.self))
        case .raised(let e): return e.typeName
        case .pending:
            return withGILHeld {
                guard let type = unsafe PyErr_Occurred() else { return "" }
                return unsafe pythonTypeName(of: UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyTypeObject.self))
            }
        }
    }

    /// `str()` of the exception: CPython's or NumPy's own message where they raised it.
    public var message: String {
        switch origin {
        case .made(_, let message): return message
        case .literal(_, let message): return unsafe String(cString: message)
        case .quoting(_, let prefix, let character): return unsafe String(cString: prefix) + String(UnicodeScalar(character)) + "'"
        case .core(let error): return error.message
        case .typed(_, let message): return message
        case .raised(let e): return e.message
        case .pending: return withGILHeld { Self.pendingMessage() }
        }
    }

    /// The Python exception types this library raises itself.
    public enum Kind: Sendable {
        case bufferError, valueError, typeError, indexError, importError, runtimeError, memoryError, overflowError,
             notImplementedError

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
            case .notImplementedError: "NotImplementedError"
            }
        }

        @inline(__always)   // into `raise()`: a call of its own cost every refusal 13 instructions
        var type: UnsafeMutablePointer<PyObject> {
            switch self {
            case .bufferError: unsafe swiftbuf_PyExc_BufferError()
            case .valueError: unsafe swiftbuf_PyExc_ValueError()
            case .typeError: unsafe swiftbuf_PyExc_TypeError()
            case .indexError: unsafe swiftbuf_PyExc_IndexError()
            case .importError: unsafe swiftbuf_PyExc_ImportError()
            case .runtimeError: unsafe swiftbuf_PyExc_RuntimeError()
            case .memoryError: unsafe swiftbuf_PyExc_MemoryError()
            case .overflowError: unsafe swiftbuf_PyExc_OverflowError()
            case .notImplementedError: unsafe swiftbuf_PyExc_NotImplementedError()
            }
        }
    }

    @usableFromInline @safe enum Origin {
        /// Made by this library: a type and a message.
        case made(Kind, String)
        /// Made by this library with a message fixed at compile time: nothing to retain or
        /// release, and raised straight from the literal's bytes (see `init(_:literal:)`): a
        /// NUL-terminated string in the binary. A pointer, not the StaticString, which made
        /// every PythonError a byte longer and cost loops that can throw one a register (two
        /// instructions an element of `tolist()`).
        case literal(Kind, UnsafePointer<CChar>)
        /// `literal` followed by one ASCII character and a closing quote, as CPython's
        /// `'%s'` of a one-character format reads (see `init(_:literal:quoting:)`).
        case quoting(Kind, UnsafePointer<CChar>, UInt8)
        /// An error of the core (`SwiftBuffer`), raised as the exception its case names.
        case core(SwiftBufferError)
        /// A Python exception type that `Kind` does not name (SystemError, struct.error).
        case typed(UnsafeMutablePointer<PyObject>, String)
        /// Fetched from Python: the exception object itself.
        case raised(RaisedException)
        /// Set in the interpreter and left there: the caller returns its error value.
        case pending
    }

    @usableFromInline init(origin: Origin) { self.origin = origin }

    /// An error of `kind` with `message`, raised as that Python exception.
    public init(_ kind: Kind, _ message: String) {
        origin = .made(kind, message)
    }

    /// An error of `kind` with a message fixed at compile time: what a hot slot's refusal
    /// throws. A `String` payload costs a refusal its retain and release and a C-string view
    /// at the raise (~110 instructions of a refused `len(m)`'s ~2300 under callgrind, against
    /// CPython's `PyErr_SetString` from a literal); this one is a pointer, raised as it is.
    @inlinable
    package init(_ kind: Kind, literal message: StaticString) {
        // The compiler emits a string literal's UTF-8 with a NUL after it (as for a C string
        // literal; `StaticString` does not promise it in its API): `raise()` passes the bytes to
        // PyErr_SetString as they are. The differential tests compare each refusal's message
        // with the builtin's (support.outcome).
        if message.hasPointerRepresentation {
            origin = unsafe .literal(kind, UnsafeRawPointer(message.utf8Start).assumingMemoryBound(to: CChar.self))
        } else {
            origin = .made(kind, message.description)   // one Unicode scalar: no bytes in the binary
        }
    }

    /// An error of `kind` whose message is `prefix` (ending in an opening quote), an element's
    /// format character and a closing quote: `memoryview: invalid type for format 'B'`. No
    /// String is made: a String message is an allocation, a storage initialiser and a release
    /// whose code a refusal otherwise never runs, and under cachegrind's cache model a refused
    /// `m[1] = 'x'` missed the instruction cache 127 times against the builtin's 36 (1.10x its
    /// time, wall-clock, at fewer instructions).
    @inlinable
    package init(_ kind: Kind, literal prefix: StaticString, quoting character: UInt8) {
        if prefix.hasPointerRepresentation && character < 0x80 {
            origin = unsafe .quoting(kind, UnsafeRawPointer(prefix.utf8Start).assumingMemoryBound(to: CChar.self), character)
        } else {
            origin = .made(kind, SwiftBufferError.message(prefix, character, "'"))
        }
    }

    /// `init(_:literal:)`, for `throw .literal(.typeError, "...")`.
    @inlinable
    package static func literal(_ kind: Kind, _ message: StaticString) -> PythonError {
        PythonError(kind, literal: message)
    }

    /// A core error, raised as the Python exception its case names (`.structError` as
    /// `struct.error`, `.noMemory` as `MemoryError()`).
    public init(core error: SwiftBufferError) {
        origin = .core(error)
    }

    public static func bufferError(_ message: String) -> PythonError { PythonError(.bufferError, message) }
    public static func valueError(_ message: String) -> PythonError { PythonError(.valueError, message) }
    public static func typeError(_ message: String) -> PythonError { PythonError(.typeError, message) }
    public static func indexError(_ message: String) -> PythonError { PythonError(.indexError, message) }
    public static func importError(_ message: String) -> PythonError { PythonError(.importError, message) }
    public static func runtimeError(_ message: String) -> PythonError { PythonError(.runtimeError, message) }
    public static func overflowError(_ message: String) -> PythonError { PythonError(.overflowError, message) }
    public static func notImplementedError(_ message: String) -> PythonError { PythonError(.notImplementedError, message) }
    /// `MemoryError()`, as CPython's allocators raise it.
    public static var noMemory: PythonError { PythonError(core: .noMemory) }

    /// An exception of `type` (a Python exception class, immortal or kept alive by its module)
    /// with `message`, for the types `Kind` does not name.
    package init(_ type: UnsafeMutablePointer<PyObject>, _ message: String) {
        origin = unsafe .typed(type, message)
    }

    /// A core error (for `throw .core(...)` where a core call's error passes through).
    package static func core(_ error: SwiftBufferError) -> PythonError { PythonError(core: error) }

    /// The exception Python has set, left in place: for the C API's failures (a NULL or -1
    /// result) on paths that only hand it back to Python, where fetching it would cost a
    /// normalisation and a `str()`. Reading `typeName` or `message` looks at it in place.
    package static var alreadySet: PythonError { PythonError(origin: .pending) }

    /// `"TypeError: message"`, as the last line of a traceback.
    public var description: String {
        let message = message
        return message.isEmpty ? typeName : "\(typeName): \(message)"
    }

    /// Whether the exception is an instance of `kind` (subclasses included).
    public func matches(_ kind: Kind) -> Bool {
        switch origin {
        case .made(let k, _), .literal(let k, _), .quoting(let k, _, _): return k == kind
        case .core(let error): return withGILHeld { unsafe PyErr_GivenExceptionMatches(Self.type(of: error), kind.type) != 0 }
        case .typed(let type, _): return withGILHeld { unsafe PyErr_GivenExceptionMatches(type, kind.type) != 0 }
        case .raised(let e): return withGILHeld { unsafe PyErr_GivenExceptionMatches(e.type, kind.type) != 0 }
        case .pending: return withGILHeld { unsafe PyErr_ExceptionMatches(kind.type) != 0 }
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
        return PythonError(origin: .raised(raised))
    }

    /// Sets this exception as Python's current one; the caller then returns its C error value
    /// (NULL, -1). Call it with the GIL held. The one place an error of this package becomes a
    /// Python exception.
    public consuming func raise() {
        switch origin {
        case .made(let kind, let message): unsafe Self.set(kind.type, message)
        case .literal(let kind, let message): unsafe PyErr_SetString(kind.type, message)
        case .quoting(let kind, let prefix, let character): unsafe Self.set(kind.type, prefix, quoting: character)
        case .core(let error): Self.raise(core: error)
        case .typed(let type, let message): unsafe Self.set(type, message)
        case .raised(let e): e.restore()
        case .pending: break
        }
    }

    /// `PyErr_SetString(type, message)`, reading the message in place: the implicit
    /// String-to-pointer argument conversion copies the text into a new array first (a heap
    /// allocation, ~300 instructions of a refused `m[i]`'s ~3000 under callgrind).
    @inline(__always)
    private static func set(_ type: UnsafeMutablePointer<PyObject>, _ message: String) {
        unsafe message.withCString { unsafe PyErr_SetString(type, $0) }
    }

    /// `PyErr_SetString` of `prefix`, `character` and a closing quote, written on the stack.
    @inline(never)
    private static func set(_ type: UnsafeMutablePointer<PyObject>, _ prefix: UnsafePointer<CChar>, quoting character: UInt8) {
        let count = unsafe strlen(prefix)
        unsafe withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 3) { buffer in
            let p = buffer.baseAddress!
            unsafe p.update(from: prefix, count: count)
            unsafe p[count] = CChar(bitPattern: character)
            unsafe p[count + 1] = CChar(UInt8(ascii: "'"))
            unsafe p[count + 2] = 0
            unsafe PyErr_SetString(type, p)
        }
    }

    /// A core error as its exception: one switch for the type and the message (the `message`
    /// getter and `type(of:)` were two calls and a String copy per raise).
    private static func raise(core error: SwiftBufferError) {
        switch error {
        case .noMemory: _ = unsafe PyErr_NoMemory()
        case .bufferError(let m): unsafe set(swiftbuf_PyExc_BufferError(), m)
        case .valueError(let m): unsafe set(swiftbuf_PyExc_ValueError(), m)
        case .typeError(let m): unsafe set(swiftbuf_PyExc_TypeError(), m)
        case .indexError(let m): unsafe set(swiftbuf_PyExc_IndexError(), m)
        case .notImplementedError(let m): unsafe set(swiftbuf_PyExc_NotImplementedError(), m)
        case .overflowError(let m): unsafe set(swiftbuf_PyExc_OverflowError(), m)
        case .memoryError(let m): unsafe set(swiftbuf_PyExc_MemoryError(), m)
        case .structError(let m): unsafe set(StructModule.errorType(), m)
        }
    }

    /// The type `raise(core:)` raises for `error`; `matches` reads it. The same map as that
    /// switch, kept apart on purpose: deriving `raise(core:)` from this (with `message`, or
    /// through one shared (type, message) switch) cost 25-90 instructions more per refused
    /// `m[i]` (~2400) under callgrind.
    private static func type(of error: SwiftBufferError) -> UnsafeMutablePointer<PyObject> {
        switch error {
        case .bufferError: unsafe swiftbuf_PyExc_BufferError()
        case .valueError: unsafe swiftbuf_PyExc_ValueError()
        case .typeError: unsafe swiftbuf_PyExc_TypeError()
        case .indexError: unsafe swiftbuf_PyExc_IndexError()
        case .notImplementedError: unsafe swiftbuf_PyExc_NotImplementedError()
        case .overflowError: unsafe swiftbuf_PyExc_OverflowError()
        case .memoryError, .noMemory: unsafe swiftbuf_PyExc_MemoryError()
        case .structError: unsafe StructModule.errorType()
        }
    }

    private static func typeName(of error: SwiftBufferError) -> String {
        switch error {
        case .bufferError: "BufferError"
        case .valueError: "ValueError"
        case .typeError: "TypeError"
        case .indexError: "IndexError"
        case .notImplementedError: "NotImplementedError"
        case .overflowError: "OverflowError"
        case .memoryError, .noMemory: "MemoryError"
        case .structError: "struct.error"
        }
    }

    /// `str()` of the exception set, which stays set.
    private static func pendingMessage() -> String {
        var type: UnsafeMutablePointer<PyObject>? = nil, value: UnsafeMutablePointer<PyObject>? = nil
        var traceback: UnsafeMutablePointer<PyObject>? = nil
        unsafe PyErr_Fetch(&type, &value, &traceback)
        guard unsafe type != nil else { return "" }
        unsafe PyErr_NormalizeException(&type, &value, &traceback)
        let message = unsafe describe(value)
        unsafe PyErr_Restore(type, value, traceback)
        return message
    }
}

extension PythonError: SwiftBufferErrorCarrying {
    /// Raised from the literal (`init(_:literal:)`).
    @inlinable
    public init(refusal: SwiftBufferError.Fixed) {
        self.init(refusal.isTypeError ? .typeError : .valueError, literal: refusal.message)
    }
}

/// The (type, value, traceback) triple of a raised exception, owned.
@usableFromInline @safe final class RaisedException: @unchecked Sendable {
    let type: UnsafeMutablePointer<PyObject>
    let value: UnsafeMutablePointer<PyObject>?
    let traceback: UnsafeMutablePointer<PyObject>?

    let typeName: String
    let message: String

    init(type: UnsafeMutablePointer<PyObject>, value: UnsafeMutablePointer<PyObject>?, traceback: UnsafeMutablePointer<PyObject>?) {
        unsafe self.type = type
        unsafe self.value = value
        unsafe self.traceback = traceback
        typeName = unsafe pythonTypeName(of: UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyTypeObject.self))
        message = unsafe describe(value)
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
