// The `struct` module, looked up once per process (per module that links this library).
import CPythonShim

/// `struct.error`, `struct.Struct`, `struct.calcsize` and `struct.unpack_from`, for formats the
/// core leaves to Python and for raising a core `.structError`. `swiftbuf._swiftbuf` and
/// `swiftbuf.testing` load them when their modules execute; any other module, on first use.
package enum StructModule {
    // Written under the GIL, then only read under the GIL. Exclusivity stays checked: callgrind
    // finds no difference without an opt-out (ndarray(items, format='<i'), which creates a
    // struct.Struct through `structType`: 26985 instructions with the opt-outs, 26990 without).
    nonisolated(unsafe) package static var error: UnsafeMutablePointer<PyObject>? = nil
    nonisolated(unsafe) package static var structType: UnsafeMutablePointer<PyObject>? = nil
    nonisolated(unsafe) package static var calcsize: UnsafeMutablePointer<PyObject>? = nil
    nonisolated(unsafe) package static var unpackFrom: UnsafeMutablePointer<PyObject>? = nil

    /// Imports `struct` (once); false with the exception set when that fails.
    package static func load() -> Bool {
        if unsafe error != nil && structType != nil && calcsize != nil && unpackFrom != nil { return true }
        guard let module = unsafe PyImport_ImportModule("struct") else { return false }
        defer { unsafe decref(module) }
        func attribute(_ name: StaticString, _ slot: inout UnsafeMutablePointer<PyObject>?) {
            guard unsafe slot == nil else { return }
            unsafe slot = name.withUTF8Buffer { unsafe PyObject_GetAttrString(module, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self)) }
        }
        unsafe attribute("error", &error)
        unsafe attribute("Struct", &structType)
        unsafe attribute("calcsize", &calcsize)
        unsafe attribute("unpack_from", &unpackFrom)
        return unsafe error != nil && structType != nil && calcsize != nil && unpackFrom != nil
    }

    /// `struct.error`, or ValueError when the module cannot be imported (that failure cleared).
    static func errorType() -> UnsafeMutablePointer<PyObject> {
        if unsafe error == nil, !load() { PyErr_Clear() }
        return unsafe error ?? swiftbuf_PyExc_ValueError()
    }
}
