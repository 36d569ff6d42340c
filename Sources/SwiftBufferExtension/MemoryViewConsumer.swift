// MARK: - The Swift consumer API
//
// `PythonMemoryView` is how Swift code reads and writes the memory of any Python object that
// exports a buffer. It owns one `swiftbuf.MemoryView` object (the very object Python code
// would get from `swiftbuf.MemoryView(obj)`) and reads through the same core `MemoryView`
// every slot of that object uses.
import SwiftBuffer
import SwiftBufferPython

/// A Python buffer, seen from Swift: typed reads and writes of its elements, a fast path for
/// contiguous data, strided iteration over any layout, slicing and casting.
///
/// ```swift
/// let view = try PythonMemoryView(numpyArray)            // any exporter
/// let total = try view.withUnsafeBufferPointer(as: Double.self) { $0.reduce(0, +) }
/// let corner = try view.element(as: Double.self, at: 0, 0)
/// let rows = try view.sliced(from: 1, to: nil, by: 2)    // zero-copy, shares the export
/// ```
///
/// ## Ownership and release
/// The value owns one reference to a `swiftbuf.MemoryView`, which holds one export of the
/// exporter (`PyObject_GetBuffer`, request `PyBUF_FULL_RO`). Views made by `sliced` and `cast`
/// share that export. The export is given back exactly once: when the last view of it is
/// released, by `release()` or when the value is dropped. While it is held, the exporter
/// refuses to move its memory (`bytearray` resizing raises BufferError).
///
/// ## Threads and the GIL
/// Initializers, `sliced`, `cast`, `release`, `object` handed to Python and the end of the
/// value's life touch Python objects: they take the GIL themselves (`PyGILState_Ensure`), so
/// they may be called from any thread of an initialized interpreter. Element reads and writes
/// (`element`, `withUnsafeBufferPointer`, `forEach`, ...) touch only memory and do not take
/// the GIL: the export keeps the memory in place, but Python code may write it concurrently,
/// as with any shared buffer. If Python code can reach the view (`object` was handed out),
/// it can also release it: accessors then throw ValueError, as Python's would. Drop every
/// `PythonMemoryView` before the interpreter finalizes: its end takes the GIL.
///
/// ## Formats
/// Typed access checks the element type against the format once per call:
/// `ElementCodec.Code.isCompatible` (same kind of number, same size; `"@d"` and `"d"` alike).
/// Byte-order prefixed formats (`"<i"`) and records are refused: read them as bytes
/// (`withUnsafeBytes`).
public struct PythonMemoryView: ~Copyable {
    /// The `swiftbuf.MemoryView` object, borrowed from this value.
    public let object: PyObjectRef

    /// A view of `exporter`'s buffer: a `swiftbuf.MemoryView(exporter)`. Throws the exception
    /// Python would raise (TypeError for an object without the buffer protocol).
    public init(_ exporter: PyObjectRef) throws(PythonError) {
        let state = PyGILState_Ensure()
        defer { PyGILState_Release(state) }
        object = try MemoryViewObject.make(from: exporter).object
    }

    /// Takes ownership of a new reference to a `swiftbuf.MemoryView` object.
    public init(adopting object: PyObjectRef) {
        precondition(isMemoryView(object), "PythonMemoryView(adopting:) needs a swiftbuf.MemoryView")
        self.object = object
    }

    deinit {
        let state = PyGILState_Ensure()
        // Cannot refuse here: a live export of this view holds its own reference to the object.
        try? MemoryViewObject.release(MemoryViewPointer(object))
        decref(object)
        PyGILState_Release(state)
    }

    /// Releases the view now (`memoryview.release()`), consuming it. Throws BufferError, and
    /// still drops this reference, while buffers exported from the view are alive.
    public consuming func release() throws(PythonError) {
        let object = self.object
        discard self
        let state = PyGILState_Ensure()
        defer {
            decref(object)
            PyGILState_Release(state)
        }
        try MemoryViewObject.release(MemoryViewPointer(object))
    }

    /// Gives the `swiftbuf.MemoryView` object (a new reference) to the caller, for Python,
    /// consuming this value: the view is not released.
    public consuming func takeObject() -> PyObjectRef {
        let object = self.object
        discard self
        return object
    }

    private var pointer: MemoryViewPointer { MemoryViewPointer(object) }

    /// The layout and flags every read goes through; throws ValueError once released.
    public var memoryView: MemoryView {
        get throws(SwiftBufferError) {
            if pointer.isInaccessible { throw .valueError("operation forbidden on released memoryview object") }
            return pointer.memoryView
        }
    }

    // MARK: Attributes

    public var ndim: Int { get throws(SwiftBufferError) { try memoryView.ndim } }
    public var itemsize: Int { get throws(SwiftBufferError) { try memoryView.itemsize } }
    public var isReadonly: Bool { get throws(SwiftBufferError) { try memoryView.isReadonly } }
    /// `nbytes`: the size of the data in a contiguous representation.
    public var byteCount: Int { get throws(SwiftBufferError) { try memoryView.layout.len } }
    public var format: String {
        get throws(SwiftBufferError) { String(decoding: try memoryView.layout.formatBytes, as: UTF8.self) }
    }
    public var shape: [Int] {
        get throws(SwiftBufferError) { let l = try memoryView.layout; return (0..<l.ndim).map { l.extent($0) } }
    }
    public var strides: [Int] {
        get throws(SwiftBufferError) { let l = try memoryView.layout; return (0..<l.ndim).map { l.stride($0) } }
    }

    // MARK: Elements

    /// The element at `indices` (one per dimension; none for a 0-d view).
    public func element<T: BufferElement>(as type: T.Type, at indices: Int...) throws(SwiftBufferError) -> T {
        let view = try memoryView
        try view.checkElementType(type)
        if indices.count != view.ndim {
            throw .typeError("cannot index \(view.ndim)-dimension view with \(indices.count)-element tuple")
        }
        return MemoryView.load(T.self, from: try view.pointer(at: indices))
    }

    /// Stores `value` as the element at `indices`; the view must be writable.
    public func setElement<T: BufferElement>(_ value: T, at indices: Int...) throws(SwiftBufferError) {
        let view = try memoryView
        try view.checkElementType(T.self)
        if view.isReadonly { throw .typeError("cannot modify read-only memory") }
        if indices.count != view.ndim {
            throw .typeError("cannot index \(view.ndim)-dimension view with \(indices.count)-element tuple")
        }
        try view.pointer(at: indices).storeBytes(of: value, as: T.self)
    }

    /// Every element as `T`, in C (row-major) order, following strides and suboffsets.
    public func elements<T: BufferElement>(as type: T.Type) throws(SwiftBufferError) -> [T] {
        try memoryView.elements(as: type)
    }

    /// Calls `body` with every element as `T`, in C order, whatever the layout.
    public func forEach<T: BufferElement, E: Error>(as type: T.Type, _ body: (T) throws(E) -> Void) throws(BufferAccessError<E>) {
        let view: MemoryView
        do throws(SwiftBufferError) { view = try memoryView } catch { throw .buffer(error) }
        try view.forEach(as: type, body)
    }

    /// The contiguous fast path: the elements as one typed buffer, when the view is
    /// C-contiguous, of a format `T` reads, and aligned for `T`.
    public func withUnsafeBufferPointer<T: BufferElement, R, E: Error>(
        as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws(E) -> R) throws(BufferAccessError<E>) -> R {
        let view: MemoryView
        do throws(SwiftBufferError) { view = try memoryView } catch { throw .buffer(error) }
        return try view.withUnsafeBufferPointer(as: type, body)
    }

    /// As `withUnsafeBufferPointer`, for writing; the view must be writable.
    public func withUnsafeMutableBufferPointer<T: BufferElement, R, E: Error>(
        as type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws(E) -> R) throws(BufferAccessError<E>) -> R {
        let view: MemoryView
        do throws(SwiftBufferError) { view = try memoryView } catch { throw .buffer(error) }
        return try view.withUnsafeMutableBufferPointer(as: type, body)
    }

    /// The bytes of a C-contiguous view, whatever its format.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(BufferAccessError<E>) -> R {
        let view: MemoryView
        do throws(SwiftBufferError) { view = try memoryView } catch { throw .buffer(error) }
        if !view.isCContiguous { throw .buffer(.bufferError("memoryview: underlying buffer is not C-contiguous")) }
        do throws(E) { return try body(UnsafeRawBufferPointer(start: view.layout.buf, count: view.layout.len)) } catch {
            throw .body(error)
        }
    }

    // MARK: Views of the same export

    /// `view[start:stop:step]` along the first dimension: a new view sharing the export.
    /// `nil` bounds mean the ends, as in Python; `step` must not be 0.
    public func sliced(from start: Int? = nil, to stop: Int? = nil, by step: Int = 1) throws(PythonError) -> PythonMemoryView {
        precondition(step != 0, "PythonMemoryView.sliced: step must not be 0")
        let state = PyGILState_Ensure()
        defer { PyGILState_Release(state) }
        let mv = pointer
        try mv.checkReleased()
        if mv.pointee.view.ndim == 0 { throw .typeError("invalid indexing of 0-dim memory") }
        // PySlice_Unpack's defaults for absent bounds, and its clamp of the step to -Int.max
        // (the slice arithmetic negates it; Int.min would trap).
        let first = start ?? (step < 0 ? Int.max : 0)
        let last = stop ?? (step < 0 ? -Int.max : Int.max)
        return PythonMemoryView(adopting: try mv.sliced(start: first, stop: last, step: Swift.max(step, -Int.max)).object)
    }

    /// `view.cast(format, shape)`: a new view of the same bytes, with CPython's rules (the
    /// view must be C-contiguous; one of the formats must be a byte format).
    public func cast(to format: String, shape: [Int]? = nil) throws(PythonError) -> PythonMemoryView {
        let state = PyGILState_Ensure()
        defer { PyGILState_Release(state) }
        let formatObject = try checked(pyString(format))
        defer { decref(formatObject) }
        let shapeObject = try shape.map { s throws(PythonError) in try checked(pyTuple(s)) }
        defer { if let s = shapeObject { decref(s) } }
        return PythonMemoryView(adopting: try pointer.cast(to: formatObject, shape: shapeObject).object)
    }
}
