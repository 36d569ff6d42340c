import SwiftBuffer

extension BufferDescriptor {
    /// The layout of a Py_buffer that a consumer received.
    @inline(__always)
    public init(_ view: UnsafePointer<Py_buffer>) {
        let v = view.pointee
        self.init(buf: v.buf, len: v.len, itemsize: v.itemsize, readonly: v.readonly != 0, ndim: Int(v.ndim),
                  format: v.format.map { UnsafePointer($0) }, shape: v.shape, strides: v.strides, suboffsets: v.suboffsets)
    }
}

extension UnsafeMutablePointer where Pointee == Py_buffer {
    /// Fills a consumer's Py_buffer with `layout`, exported by `exporter` (a new reference).
    @inline(__always)
    public func fill(_ layout: BufferDescriptor, exporter: PyObjectRef) {
        pointee.buf = layout.buf
        pointee.obj = newReference(exporter)
        pointee.len = layout.len
        pointee.itemsize = layout.itemsize
        pointee.readonly = layout.readonly ? 1 : 0
        pointee.ndim = Int32(truncatingIfNeeded: layout.ndim)
        pointee.format = layout.format.map { Swift.UnsafeMutablePointer<CChar>(mutating: $0) }
        pointee.shape = layout.shape
        pointee.strides = layout.strides
        pointee.suboffsets = layout.suboffsets
        pointee.internal = nil
    }
}

/// A buffer obtained with `PyObject_GetBuffer`, held in stable heap memory (CPython keeps
/// pointers into a Py_buffer, so it must never move) and released exactly once.
public struct HeldBuffer: ReleasableExport {
    public let view: UnsafeMutablePointer<Py_buffer>

    /// Requests a buffer from `exporter` with `request`; throws the exporter's exception.
    public init(from exporter: PyObjectRef, request: BufferRequest) throws(BridgeError) {
        let view = UnsafeMutablePointer<Py_buffer>.allocate(capacity: 1)
        if PyObject_GetBuffer(exporter, view, request.rawValue) < 0 {
            view.deallocate()
            throw .alreadySet
        }
        self.view = view
    }

    public var descriptor: BufferDescriptor { BufferDescriptor(view) }
    public var exporter: PyObjectRef? { view.pointee.obj }

    public mutating func release() {
        PyBuffer_Release(view)
        view.deallocate()
    }
}
