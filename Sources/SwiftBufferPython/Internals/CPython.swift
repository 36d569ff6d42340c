// The C world, fenced in: reference counting, the GIL, and the few CPython calls the public
// types share. Nothing here is public.
import CPythonShim

@inline(__always) func incref(_ o: UnsafeMutablePointer<PyObject>) { unsafe swiftbuf_Py_INCREF(o) }
@inline(__always) func decref(_ o: UnsafeMutablePointer<PyObject>) { unsafe swiftbuf_Py_DECREF(o) }
@inline(__always) func xdecref(_ o: UnsafeMutablePointer<PyObject>?) { if let o = unsafe o { unsafe swiftbuf_Py_DECREF(o) } }

/// Runs `body` holding the GIL: at no cost when this thread holds it already (the rule for
/// every call into this library), else through `PyGILState_Ensure`. For the ends of values
/// (`deinit`), which may come on any thread.
@inline(__always)
func withGILHeld<R>(_ body: () -> R) -> R {
    if PyGILState_Check() != 0 { return body() }
    let state = PyGILState_Ensure()
    defer { PyGILState_Release(state) }
    return body()
}

/// The `str()` of an object, or a placeholder when that fails (the failure is cleared).
func describe(_ o: UnsafeMutablePointer<PyObject>?) -> String {
    guard let o = unsafe o, let s = unsafe PyObject_Str(o) else { PyErr_Clear(); return "<unprintable>" }
    defer { unsafe decref(s) }
    guard let utf8 = unsafe PyUnicode_AsUTF8(s) else { PyErr_Clear(); return "<unprintable>" }
    return unsafe String(cString: utf8)
}

/// The type's name as Python prints it in a traceback (`ValueError`, `numpy.AxisError`).
func pythonTypeName(of type: UnsafeMutablePointer<PyTypeObject>) -> String {
    let name = unsafe String(cString: type.pointee.tp_name)
    return name.hasPrefix("builtins.") ? String(name.dropFirst(9)) : name
}
