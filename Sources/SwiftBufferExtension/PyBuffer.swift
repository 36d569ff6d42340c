import CPythonShim
import SwiftBuffer
import SwiftBufferPython

extension UnsafeMutablePointer where Pointee == Py_buffer {
    /// Fills a consumer's Py_buffer with `layout`, exported by `exporter` (a new reference).
    @inline(__always)
    func fill(_ layout: BufferDescriptor, exporter: PyObjectRef) {
        unsafe store(layout)
        unsafe pointee.obj = unsafe newReference(exporter)
        unsafe pointee.internal = nil
    }

    /// Writes the layout fields of this Py_buffer, leaving `obj` and `internal` alone.
    @inline(__always)
    func store(_ layout: BufferDescriptor) {
        unsafe pointee.buf = unsafe layout.buf
        unsafe pointee.len = layout.len
        unsafe pointee.itemsize = layout.itemsize
        unsafe pointee.readonly = layout.readonly ? 1 : 0
        unsafe pointee.ndim = Int32(truncatingIfNeeded: layout.ndim)
        unsafe pointee.format = unsafe layout.format.map { unsafe Swift.UnsafeMutablePointer<CChar>(mutating: $0) }
        unsafe pointee.shape = unsafe layout.shape
        unsafe pointee.strides = unsafe layout.strides
        unsafe pointee.suboffsets = unsafe layout.suboffsets
    }
}

/// A buffer obtained with `PyObject_GetBuffer`, held in stable heap memory (CPython keeps
/// pointers into a Py_buffer, so it must never move) and given back exactly once: when the
/// value goes away (`deinit`, at the end of its scope, so descriptors read from it stay valid
/// to the end of that scope), or earlier with `release()`.
///
/// Noncopyable, so no copy can release it a second time; `release()` is `mutating` and
/// idempotent rather than `consuming` only so that `defer { held.release() }` (which cannot
/// consume) still compiles in code written before the type owned its release.
@unsafe struct HeldBuffer: ~Copyable {
    let view: UnsafeMutablePointer<Py_buffer>
    private var isHeld = true

    /// Requests a buffer from `exporter` with `request`; throws the exporter's exception.
    init(from exporter: PyObjectRef, request: BufferRequest) throws(PythonError) {
        let view = UnsafeMutablePointer<Py_buffer>.allocate(capacity: 1)
        do throws(PythonError) { unsafe try HeldBuffer.get(into: view, from: exporter, request: request) } catch {
            unsafe view.deallocate()
            throw error
        }
        unsafe self.view = unsafe view
    }

    /// Requests a buffer from `exporter` into `storage`, which the caller keeps where it never
    /// moves and gives back with `PyBuffer_Release` (the managed buffer of a MemoryView keeps
    /// it inline, as memoryobject.c does). On failure `storage` holds nothing to release.
    @inline(__always)
    static func get(into storage: UnsafeMutablePointer<Py_buffer>, from exporter: PyObjectRef,
                           request: BufferRequest) throws(PythonError) {
        if unsafe PyObject_GetBuffer(exporter, storage, request.rawValue) < 0 { throw .alreadySet }
    }

    /// Runs `body` with a buffer requested from `exporter` into a `Py_buffer` on the stack
    /// (which does not move while `body` runs), given back when `body` returns or throws: a
    /// `HeldBuffer` for one call without its heap allocation (malloc + free were ~200
    /// instructions of a 4 KiB slice assignment's ~1900 under callgrind), as CPython's
    /// consumers keep theirs on the C stack.
    @inline(__always)
    static func withBorrowed<R>(from exporter: PyObjectRef, request: BufferRequest,
                                       _ body: (UnsafeMutablePointer<Py_buffer>) throws(PythonError) -> R) throws(PythonError) -> R {
        // Uninitialised, as CPython's consumers' `Py_buffer` on the C stack is: the exporter fills
        // every field (zeroing it first cost 10 stores a call).
        return unsafe try withUnsafeTemporaryAllocation(of: Py_buffer.self, capacity: 1) { storage throws(PythonError) -> R in
            let view = unsafe storage.baseAddress.unsafelyUnwrapped
            unsafe try get(into: view, from: exporter, request: request)
            defer { unsafe PyBuffer_Release(view) }
            return unsafe try body(view)
        }
    }

    var descriptor: BufferDescriptor { unsafe BufferDescriptor(view) }
    var exporter: PyObjectRef? { unsafe view.pointee.obj }

    /// Gives the buffer back now and frees its storage; later calls and the deinit do nothing.
    mutating func release() {
        guard unsafe isHeld else { return }
        unsafe isHeld = false
        unsafe PyBuffer_Release(view)
        unsafe view.deallocate()
    }

    deinit {
        if unsafe isHeld {
            unsafe PyBuffer_Release(view)
            unsafe view.deallocate()
        }
    }
}
