// The `struct` module, looked up once per process (per module that links this library).
import CPythonShim

/// `struct.error` and `struct.Struct`, for formats the core leaves to Python and for raising a
/// core `.structError`. `swiftbuf._swiftbuf` loads them when its module executes; any other
/// module, on first use.
package enum StructModule {
    // Written under the GIL, then only read under the GIL.
    @exclusivity(unchecked) nonisolated(unsafe) package static var error: UnsafeMutablePointer<PyObject>? = nil
    @exclusivity(unchecked) nonisolated(unsafe) package static var structType: UnsafeMutablePointer<PyObject>? = nil

    /// Imports `struct`; false with the exception set when that fails.
    package static func load() -> Bool {
        guard let module = unsafe PyImport_ImportModule("struct") else { return false }
        defer { unsafe decref(module) }
        unsafe error = PyObject_GetAttrString(module, "error")
        unsafe structType = PyObject_GetAttrString(module, "Struct")
        return unsafe error != nil && structType != nil
    }

    /// `struct.error`, or ValueError when the module cannot be imported (that failure cleared).
    static func errorType() -> UnsafeMutablePointer<PyObject> {
        if unsafe error == nil, !load() { PyErr_Clear() }
        return unsafe error ?? swiftbuf_PyExc_ValueError()
    }
}
