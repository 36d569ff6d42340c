// The non-generic half of PythonBufferView: acquiring and giving back the export, the format
// check and the error messages. Kept out of the inlinable generic code, so a user's module
// specialises only the element loops.
import CPythonShim
import SwiftBuffer

@usableFromInline
enum HeldExport {
    // Py_buffer blocks kept for reuse (as CPython keeps free lists): acquiring and releasing
    // views in a loop then costs no allocator call. Touched only with the GIL held. (A
    // free-threaded 3.13t build would need one list per thread.)
    // A fixed stack, not a Swift array: dynamic exclusivity checks and uniqueness checks on a
    // global array cost more than the allocation they save.
    // Stored inline and statically initialised: a lazily allocated global cost every acquire
    // and release a swift_once check (14 instructions of ~300 under callgrind).
    private typealias Spare = UnsafeMutablePointer<Py_buffer>?
    private static let spareLimit = 16
    @exclusivity(unchecked) nonisolated(unsafe) private static var spare: (Spare, Spare, Spare, Spare, Spare, Spare, Spare, Spare,
                                                                           Spare, Spare, Spare, Spare, Spare, Spare, Spare, Spare)
        = (nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)
    @exclusivity(unchecked) nonisolated(unsafe) private static var spareCount = 0

    /// The spare blocks as an array of `spareLimit` slots, for the length of `body`.
    @inline(__always)
    private static func withSpareSlots<R>(_ body: (UnsafeMutablePointer<Spare>) -> R) -> R {
        unsafe withUnsafeMutableBytes(of: &spare) { unsafe body($0.baseAddress!.assumingMemoryBound(to: Spare.self)) }
    }

    @usableFromInline
    static func acquire(_ object: PyObjectPointer, writable: Bool, code: UInt8, size: Int,
                        type: Any.Type) throws(PythonError) -> UnsafeMutablePointer<Py_buffer> {
        try PythonInterpreter.checkInitialized("PythonBufferView")
        let buffer = try unsafe block()
        let request = writable ? BufferRequest.full.rawValue : BufferRequest.fullRO.rawValue
        if unsafe PyObject_GetBuffer(object, buffer, request) < 0 {
            unsafe recycle(buffer)
            throw PythonError.fetch()
        }
        // The common case first: the element's own one-character code ("d" from NumPy).
        if unsafe buffer.pointee.itemsize == size, let f = unsafe buffer.pointee.format,
           unsafe UInt8(bitPattern: f[0]) == code && f[1] == 0 {
            return unsafe buffer
        }
        let layout = unsafe Self.layout(buffer)
        guard layout.itemsize == size, unsafe ElementCodec.Code.format(layout.formatBytes, holdsCode: code, size: size) else {
            let format = unsafe String(decoding: layout.formatBytes, as: UTF8.self)
            unsafe release(buffer)
            throw .typeError("buffer format '\(format)' (itemsize \(layout.itemsize)) does not hold \(type) "
                             + "(format '\(Character(Unicode.Scalar(code)))', size \(size))")
        }
        return unsafe buffer
    }

    @inlinable @inline(__always)
    static func layout(_ buffer: UnsafeMutablePointer<Py_buffer>) -> BufferDescriptor {
        unsafe BufferDescriptor(buffer)
    }

    /// PyBuffer_Release, with the GIL (taken briefly when the value ends on a thread without it).
    @usableFromInline
    static func release(_ buffer: UnsafeMutablePointer<Py_buffer>) {
        withGILHeld {
            unsafe PyBuffer_Release(buffer)
            unsafe recycle(buffer)
        }
    }

    private static func block() throws(PythonError) -> UnsafeMutablePointer<Py_buffer> {
        if unsafe spareCount > 0 {
            unsafe spareCount -= 1
            return unsafe withSpareSlots { unsafe $0[spareCount].unsafelyUnwrapped }
        }
        guard let raw = unsafe PyMem_Malloc(MemoryLayout<Py_buffer>.stride) else {
            throw .literal(.memoryError, "PythonBufferView: no memory for a Py_buffer")
        }
        return unsafe raw.bindMemory(to: Py_buffer.self, capacity: 1)
    }

    private static func recycle(_ buffer: UnsafeMutablePointer<Py_buffer>) {
        if unsafe spareCount < spareLimit {
            unsafe withSpareSlots { unsafe $0[spareCount] = buffer }
            unsafe spareCount += 1
        } else {
            unsafe PyMem_Free(buffer)
        }
    }

    // MARK: Refusals

    @usableFromInline
    static func notContiguous(_ layout: BufferDescriptor) -> PythonError {
        let shape = (0..<layout.ndim).map { unsafe layout.shape![$0] }
        let strides = (0..<layout.ndim).map { unsafe layout.strides![$0] }
        return .bufferError("the buffer is not contiguous (shape \(SwiftMemory.describe(shape)), strides \(SwiftMemory.describe(strides)))")
    }

    @usableFromInline
    static func unusable(_ layout: BufferDescriptor, alignment: Int, type: Any.Type) -> PythonError {
        let view = MemoryView(layout: layout)
        let direct = unsafe layout.suboffsets == nil
        if !view.isContiguous || !direct { return notContiguous(layout) }
        return .bufferError("buffer memory is not aligned for \(type)")
    }

    @usableFromInline
    static func checkBools(_ bytes: UnsafeRawBufferPointer) throws(PythonError) {
        if let i = unsafe bytes.firstIndex(where: { $0 > 1 }) {
            throw .valueError("bool memory holds byte \(unsafe bytes[i]) at offset \(i): a Swift Bool must be 0 or 1")
        }
    }
}

extension BufferDescriptor {
    /// The layout of a `Py_buffer`: the one conversion, for this library and the extension.
    /// Read field by field, not by copying the whole struct out first (a memoryview reads its
    /// layout on every item access).
    @inlinable @inline(__always)
    package init(_ view: UnsafePointer<Py_buffer>) {
        unsafe self.init(buf: view.pointee.buf, len: view.pointee.len, itemsize: view.pointee.itemsize,
                         readonly: view.pointee.readonly != 0, ndim: Int(view.pointee.ndim),
                         format: view.pointee.format.map { unsafe UnsafePointer($0) }, shape: view.pointee.shape,
                         strides: view.pointee.strides, suboffsets: view.pointee.suboffsets)
    }
}
