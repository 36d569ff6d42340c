// `_export_release_loop`, the one private function of swiftbuf._swiftbuf: the measuring loop
// of benchmarks/bench_export.py and `python -m swiftbuf` (method table in Sources/pyext/module.c).
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

/// `_export_release_loop(obj, n, flags, /)`: `n` rounds of `PyObject_GetBuffer(obj, flags)` +
/// `PyBuffer_Release`, and nothing else, so benchmarks can time an exporter's getbuffer and
/// releasebuffer without the interpreter or a consumer object in the way. The loop is the same
/// code for every exporter, so comparing exporters compares only their slots.
@_cdecl("swiftbuf_module_export_release_loop")
func moduleExportReleaseLoop(_: PyObjectRef?, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        guard nargs == 3, let object = unsafe args![0], let countObject = unsafe args![1], let flagsObject = unsafe args![2] else {
            throw .typeError("_export_release_loop expected 3 arguments, got \(nargs)")
        }
        let count = unsafe try ssize(countObject), flags = unsafe try ssize(flagsObject)
        guard let request = Int32(exactly: flags) else { throw .overflowError("flags out of range") }
        // The Py_buffer stays at one heap address for every round, as consumers keep it.
        let view = UnsafeMutablePointer<Py_buffer>.allocate(capacity: 1)
        defer { unsafe view.deallocate() }
        for _ in 0..<max(count, 0) {
            if unsafe PyObject_GetBuffer(object, view, request) < 0 { throw .alreadySet }
            unsafe PyBuffer_Release(view)
        }
        return unsafe pyNone
    }
}
