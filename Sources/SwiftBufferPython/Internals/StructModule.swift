// The `struct` module, looked up once per process (per module that links this library).
import CPythonShim

/// `struct.error`, `struct.Struct`, `struct.calcsize` and `struct.unpack_from`, for formats the
/// core leaves to Python and for raising a core `.structError`. `swiftbuf._swiftbuf` and
/// `swiftbuf.testing` load them when their modules execute; any other module, on first use.
package enum StructModule {
    // Written under the GIL, then only read under the GIL, never while being written: the
    // stored slots skip dynamic exclusivity checks, and other modules read them through
    // these getters, which (package access) are not inlined there, so the opt-out holds. A
    // checked read of `structType` or `unpackFrom` was 76 instructions of each
    // `testing.ndarray` item read and store (callgrind: 152 of nd[i] = v's before its own
    // checks went).
    @exclusivity(unchecked) nonisolated(unsafe) private static var errorSlot: UnsafeMutablePointer<PyObject>? = nil
    @exclusivity(unchecked) nonisolated(unsafe) private static var structSlot: UnsafeMutablePointer<PyObject>? = nil
    @exclusivity(unchecked) nonisolated(unsafe) private static var calcsizeSlot: UnsafeMutablePointer<PyObject>? = nil
    @exclusivity(unchecked) nonisolated(unsafe) private static var unpackFromSlot: UnsafeMutablePointer<PyObject>? = nil

    /// `struct.error`, once `load()` succeeded.
    package static var error: UnsafeMutablePointer<PyObject>? { unsafe errorSlot }
    /// `struct.Struct`, once `load()` succeeded.
    package static var structType: UnsafeMutablePointer<PyObject>? { unsafe structSlot }
    /// `struct.calcsize`, once `load()` succeeded.
    package static var calcsize: UnsafeMutablePointer<PyObject>? { unsafe calcsizeSlot }
    /// `struct.unpack_from`, once `load()` succeeded.
    package static var unpackFrom: UnsafeMutablePointer<PyObject>? { unsafe unpackFromSlot }

    /// Imports `struct` (once); false with the exception set when that fails.
    package static func load() -> Bool {
        if unsafe error != nil && structType != nil && calcsize != nil && unpackFrom != nil { return true }
        guard let module = unsafe PyImport_ImportModule("struct") else { return false }
        defer { unsafe decref(module) }
        func attribute(_ name: StaticString, _ slot: inout UnsafeMutablePointer<PyObject>?) {
            guard unsafe slot == nil else { return }
            unsafe slot = name.withUTF8Buffer { unsafe PyObject_GetAttrString(module, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self)) }
        }
        unsafe attribute("error", &errorSlot)
        unsafe attribute("Struct", &structSlot)
        unsafe attribute("calcsize", &calcsizeSlot)
        unsafe attribute("unpack_from", &unpackFromSlot)
        return unsafe error != nil && structType != nil && calcsize != nil && unpackFrom != nil
    }

    /// `struct.error`, or ValueError when the module cannot be imported (that failure cleared).
    static func errorType() -> UnsafeMutablePointer<PyObject> {
        if unsafe error == nil, !load() { PyErr_Clear() }
        return unsafe error ?? swiftbuf_PyExc_ValueError()
    }
}
