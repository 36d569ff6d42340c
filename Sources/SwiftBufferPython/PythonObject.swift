// MARK: - Owned references and the interpreter
import CPythonShim

/// A pointer to a Python object, as the C API passes it.
public typealias PyObjectPointer = UnsafeMutablePointer<PyObject>

/// One strong reference to a Python object, released exactly once: by `take()`, which hands
/// it to C (an extension function's return value), or when the value ends.
///
/// Creating and ending values needs the GIL, like every call into Python: call this library
/// from a thread that holds it. (The end of a value taken on a thread without the GIL takes
/// it briefly, so dropping a value anywhere is safe while the interpreter runs.)
@safe public struct PythonObject: ~Copyable {
    /// The object, borrowed from this value: valid while the value lives.
    public let pointer: PyObjectPointer

    /// Takes over a new reference (the result of a C API call that returns one).
    public init(adopting reference: PyObjectPointer) { unsafe pointer = reference }

    /// Takes a reference of its own to a borrowed object (an argument of a C function).
    public init(retaining object: PyObjectPointer) {
        unsafe incref(object)
        unsafe pointer = object
    }

    /// Hands the reference to the caller, for C code that takes a new reference.
    public consuming func take() -> PyObjectPointer {
        let p = unsafe pointer
        discard self
        return unsafe p
    }

    /// Python's `None`.
    public static var none: PythonObject { unsafe PythonObject(retaining: swiftbuf_Py_None()) }

    deinit { withGILHeld { unsafe decref(pointer) } }
}

/// The CPython interpreter this code runs in: an extension module's host, or one an app
/// embeds.
public enum PythonInterpreter {
    /// Whether CPython is initialised in this process. Every API of this library throws a
    /// RuntimeError instead of touching Python while it is not.
    public static var isInitialized: Bool { Py_IsInitialized() != 0 }

    /// Whether the calling thread holds the GIL, which every API here requires.
    public static var holdsGIL: Bool { isInitialized && PyGILState_Check() != 0 }

    /// Runs `body` on this thread with the GIL held (`PyGILState_Ensure`/`Release`): for
    /// threads Python did not start, and for code that released the GIL.
    public static func withGIL<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        precondition(isInitialized, "PythonInterpreter.withGIL: CPython is not initialised")
        let state = PyGILState_Ensure()
        defer { PyGILState_Release(state) }
        return try body()
    }

    /// Runs `body` with the GIL released (`Py_BEGIN_ALLOW_THREADS`), so other Python threads
    /// run meanwhile: for long Swift computations over memory you hold a view of. `body` must
    /// not touch Python objects.
    public static func withoutGIL<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let state = unsafe PyEval_SaveThread()
        defer { unsafe PyEval_RestoreThread(state) }
        return try body()
    }

    // MARK: Embedding

    /// The one call an app that embeds CPython makes: starts the interpreter unless it runs
    /// already (`Py_InitializeEx(0)`: Python installs no signal handlers in the app), then
    /// imports the installed `swiftbuf` and binds its C API, so `PythonBuffer.export` creates
    /// the same `swiftbuf.Buffer` type Python code sees. Returns with the GIL held by the
    /// calling thread (the main thread, normally), as `Py_Initialize` leaves it.
    ///
    /// The app links libpython itself (`-lpython3.11`); swiftbuf must be importable by that
    /// interpreter: installed in its site-packages, or on `PYTHONPATH`.
    ///
    /// Throws ImportError when swiftbuf cannot be imported or its C API is older than this
    /// library.
    public static func startEmbedded() throws(PythonError) {
        if !isInitialized { Py_InitializeEx(0) }
        _ = unsafe try SwiftbufCAPI.table()
    }

    /// Imports swiftbuf and binds its C API now instead of at the first export: an
    /// extension module's init can call it to report a missing swiftbuf at import time.
    public static func importSwiftbuf() throws(PythonError) {
        _ = unsafe try SwiftbufCAPI.table()
    }

    /// Throws RuntimeError unless CPython is initialised: the door every API checks first.
    @inline(__always)
    static func checkInitialized(_ api: StaticString) throws(PythonError) {
        if _slowPath(!isInitialized) {
            throw .runtimeError("\(api): CPython is not initialised (call PythonInterpreter.startEmbedded() or Py_Initialize first)")
        }
    }
}

// MARK: - Conversions

extension PythonObject {
    /// Makes an object with a C API call that returns a new reference or NULL.
    static func made(_ reference: PyObjectPointer?) throws(PythonError) -> PythonObject {
        guard let reference = unsafe reference else { throw PythonError.fetch() }
        return unsafe PythonObject(adopting: reference)
    }

    /// A Python int.
    public init(_ value: Int) throws(PythonError) { self = unsafe try .made(unsafe PyLong_FromSsize_t(value)) }
    /// A Python float.
    public init(_ value: Double) throws(PythonError) { self = unsafe try .made(unsafe PyFloat_FromDouble(value)) }
    /// `True` or `False`.
    public init(_ value: Bool) { unsafe self.init(retaining: value ? swiftbuf_Py_True() : swiftbuf_Py_False()) }
    /// A Python str.
    public init(_ value: String) throws(PythonError) {
        var value = value
        let made = value.withUTF8 { s in
            unsafe PyUnicode_FromStringAndSize(UnsafeRawPointer(s.baseAddress)?.assumingMemoryBound(to: CChar.self), s.count)
        }
        self = unsafe try .made(unsafe made)
    }
    /// A tuple of Python ints (a shape, strides).
    public init(tupleOf values: [Int]) throws(PythonError) {
        let tuple = unsafe try PythonObject.made(unsafe PyTuple_New(values.count))
        for (i, v) in values.enumerated() {
            guard let item = unsafe PyLong_FromSsize_t(v) else { throw PythonError.fetch() }
            unsafe swiftbuf_PyTuple_SET_ITEM(tuple.pointer, i, item)   // steals the reference
        }
        self = tuple
    }
    /// A tuple of the given objects, consumed.
    public static func tuple(_ first: consuming PythonObject, _ second: consuming PythonObject) throws(PythonError) -> PythonObject {
        let tuple = unsafe try PythonObject.made(unsafe PyTuple_New(2))
        unsafe swiftbuf_PyTuple_SET_ITEM(tuple.pointer, 0, first.take())
        unsafe swiftbuf_PyTuple_SET_ITEM(tuple.pointer, 1, second.take())
        return tuple
    }
}
