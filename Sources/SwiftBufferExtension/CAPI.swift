// swiftbuf_CAPI (Sources/pyext/capi/include/swiftbuf_capi.h): the functions other extension
// modules call through the capsule swiftbuf._swiftbuf._C_API. Their memory becomes the same
// swiftbuf.Buffer this module creates for its own exports, by the same code path.
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython
import pyextCAPI

/// `export_memory`: wraps foreign memory in a new swiftbuf.Buffer. `release(context)` runs
/// exactly once (the memory's deallocator, or at once when the export fails).
@_cdecl("swiftbuf_capi_export_memory")
func capiExportMemory(_ buf: UnsafeMutableRawPointer?, _ byteCount: Int, _ format: UnsafePointer<CChar>?, _ ndim: Int32,
                      _ shape: UnsafePointer<Int>?, _ strides: UnsafePointer<Int>?, _ readonly: Int32,
                      _ release: swiftbuf_release_function?, _ context: UnsafeMutableRawPointer?) -> PyObjectRef? {
    let deallocator: (UnsafeMutableRawPointer) -> Void = { _ in unsafe release?(context) }
    guard let format = unsafe format, ndim >= 0, byteCount >= 0, unsafe ndim == 0 || shape != nil else {
        unsafe deallocator(buf ?? UnsafeMutableRawPointer(bitPattern: 1)!)
        PythonError.valueError("swiftbuf export_memory: format must not be NULL, ndim, byte_count non-negative, shape given when ndim > 0").raise()
        return nil
    }
    let n = Int(ndim)
    // Zero bytes may come with no address at all; nothing is ever read through it.
    let base = unsafe buf ?? UnsafeMutableRawPointer(bitPattern: 16)!
    let formatBytes = unsafe MemoryView.formatBytes(format)
    let shapeBuffer = unsafe UnsafeBufferPointer(start: shape, count: n)
    guard let strides = unsafe strides else {
        // No strides: C order, computed from the shape by the array-taking initializer.
        return unsafe ForeignMemory.export(base, deallocator) { () throws(SwiftBufferError) in
            unsafe try SwiftMemory(unsafePointer: base, byteCount: byteCount, format: Array(formatBytes), shape: Array(shapeBuffer),
                                   readonly: readonly != 0, deallocator: deallocator)
        }
    }
    // The caller's arrays, read in place for the length of the call.
    return unsafe ForeignMemory.export(base, deallocator) { () throws(SwiftBufferError) in
        unsafe try SwiftMemory(unsafePointer: base, byteCount: byteCount, format: formatBytes, shape: shapeBuffer,
                               strides: UnsafeBufferPointer(start: strides, count: n), readonly: readonly != 0,
                               deallocator: deallocator)
    }
}

/// Memory another module owns, wrapped in a new swiftbuf.Buffer: the one export path behind
/// the C API (and so behind SwiftBufferPython's `PythonBuffer.export`). Call with the GIL held.
/// Returns a new reference, or nil with the exception set; the Buffer takes ownership of the
/// memory in every case (`deallocator` has run when it returns nil).
enum ForeignMemory {
    /// The Buffer of the SwiftMemory `make` builds over `pointer`, which adopts it with its
    /// `deallocator`; when `make` throws, `deallocator` runs here instead.
    static func export(_ pointer: UnsafeMutableRawPointer, _ deallocator: (UnsafeMutableRawPointer) -> Void,
                       _ make: () throws(SwiftBufferError) -> SwiftMemory) -> PyObjectRef? {
        var adopted = false
        defer { if !adopted { unsafe deallocator(pointer) } }
        return unsafe exported { () throws(SwiftBufferError) in
            let memory = try make()
            adopted = true
            return memory
        }
    }

    /// Wraps memory built by `make` in a new swiftbuf.Buffer, or sets the exception.
    private static func exported(_ make: () throws(SwiftBufferError) -> SwiftMemory) -> PyObjectRef? {
        guard initialised() else { return nil }
        return unsafe pythonCall { () throws(PythonError) in unsafe makeBufferObject(try core(make)) }
    }

    /// Whether the swiftbuf.Buffer type exists; sets RuntimeError when not.
    private static func initialised() -> Bool {
        if unsafe swiftbuf_buffer_type() != nil { return true }
        PythonError.runtimeError("swiftbuf._swiftbuf is not initialised: import swiftbuf first").raise()
        return false
    }
}
