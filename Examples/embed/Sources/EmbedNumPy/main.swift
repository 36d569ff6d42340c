// Embeds CPython, shares a Swift matrix with NumPy, lets NumPy compute on it, reads the results.
import CPythonShim
import SwiftBufferPython

let rows = 3, cols = 4

/// Runs Python `source` with `globals`; throws the Python exception it raised.
func run(_ source: String, _ globals: PyObjectPointer) throws(PythonError) {
    guard let result = PyRun_String(source, Py_file_input, globals, globals) else {
        throw PythonError.fetch()
    }
    swiftbuf_Py_DECREF(result)
}

/// A borrowed global of `globals`.
func global(_ name: String, _ globals: PyObjectPointer) throws(PythonError) -> PyObjectPointer {
    guard let o = PyDict_GetItemString(globals, name) else { throw .runtimeError("no global \(name)") }
    return o
}

func main() throws(PythonError) {
    if CommandLine.arguments.contains("--before-init") {
        // Any API before the interpreter starts is a Swift error, not a crash.
        do throws(PythonError) {
            _ = try PythonBuffer.export([1.0, 2.0])
        } catch {
            print("before init: \(error)")
        }
        return
    }

    // The one call: starts CPython, imports swiftbuf and binds its C API. The GIL is ours now.
    try PythonInterpreter.startEmbedded()

    var matrix = [Double](repeating: 0, count: rows * cols)
    for i in 0..<rows * cols { matrix[i] = Double(i) }
    let buffer = try PythonBuffer.export(consume matrix, shape: [rows, cols])

    guard let globals = PyDict_New() else { throw PythonError.fetch() }
    defer { swiftbuf_Py_DECREF(globals) }
    PyDict_SetItemString(globals, "buffer", buffer.pointer)
    try run("""
        import numpy as np, swiftbuf
        assert type(buffer) is swiftbuf.Buffer
        a = np.asarray(buffer)                 # NumPy's view of the Swift memory
        shared = bool(np.shares_memory(a, np.asarray(buffer)))
        np.multiply(a, 2.0, out=a)             # computed in place, in Swift's memory
        gram = a @ a.T                         # a new NumPy array
        del a
        """, globals)

    // Read both back from Swift, without a copy: the Swift memory NumPy wrote, and NumPy's result.
    let doubled = try PythonBufferView<Double>(buffer)
    let gram = try PythonBufferView<Double>(unsafeObject: try global("gram", globals))
    var expected = [Double](repeating: 0, count: rows * rows)
    for i in 0..<rows {
        for j in 0..<rows {
            for k in 0..<cols { expected[i * rows + j] += Double(2 * (i * cols + k)) * Double(2 * (j * cols + k)) }
        }
    }
    let doubledOK = doubled.elements() == (0..<rows * cols).map { Double(2 * $0) }
    let gramOK = gram.shape == [rows, rows] && gram.elements() == expected
    let shared = PyObject_IsTrue(try global("shared", globals)) == 1
    print("shares memory: \(shared); swift sees numpy's writes: \(doubledOK); gram matrix from numpy: \(gramOK)")
    print("gram[2, 2] = \(gram[2, 2])")
    doubled.release()
    gram.release()
    guard shared, doubledOK, gramOK else { throw .runtimeError("embedding example: unexpected results") }
    print("ok")
}

do throws(PythonError) {
    try main()
} catch {
    print("error: \(error)")
    exit(1)
}
