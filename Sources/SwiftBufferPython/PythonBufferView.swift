// MARK: - Reading any Python buffer from Swift
import CPythonShim
import SwiftBuffer

/// A typed view of the memory of any Python object that exports a buffer — a NumPy array,
/// `bytearray`, `array.array`, `memoryview`, `swiftbuf.Buffer` — without a copy.
///
/// ```swift
/// let view = try PythonBufferView<Double>(array)           // PyObject_GetBuffer, checked once
/// let total = try view.withSpan { s in s.indices.reduce(0) { $0 + s[$1] } }   // contiguous
/// var sum = 0.0; view.forEach { sum += $0 }                // any layout, C order
/// let corner = view[0, 0]                                  // N-d element access
/// ```
///
/// The view holds one export of the object (`PyObject_GetBuffer` with `PyBUF_FULL_RO`, or
/// `PyBUF_FULL` when `writable`), taken at `init` and given back exactly once: by
/// `release()`, or when the value ends. While it is held the exporter keeps its memory in
/// place (a `bytearray` refuses to resize, a `swiftbuf.Buffer` counts it in `exports`).
///
/// ## Formats
/// Checked once, at `init`: the format must hold one `Element` in this machine's
/// representation — `Element`'s kind of number and size, with the native code (`"d"`, `"@l"`
/// for Int64) or an explicit byte order that is this machine's (`"<d"`, as NumPy describes
/// unaligned arrays). A format that does not is a TypeError; read such memory as bytes
/// through a `PythonBufferView<UInt8>` of a byte-format export instead.
///
/// ## Layouts
/// Any layout Python can express: negative strides, zero-length dimensions, 0-d scalars,
/// PIL-style suboffsets. Element access and `forEach` follow strides and suboffsets and load
/// unaligned elements correctly. The span and pointer accessors need contiguous memory (C or
/// Fortran order; elements in memory order) aligned for `Element`, and throw BufferError
/// otherwise.
///
/// ## Sharing
/// A span promises memory that does not change while it is used. A Python buffer cannot
/// promise that: other views of the same memory (NumPy arrays, memoryviews, other threads
/// with the GIL released) may write it at any moment, as they may while C code reads it.
/// The memory stays valid and in place for as long as the view lives; its values are whatever
/// was written last.
///
/// ## Threads and the GIL
/// `init`, `release()` and the end of the value call into Python: hold the GIL (the end of a
/// value on a thread without it takes it briefly). Element access touches only memory and may
/// run with the GIL released (`PythonInterpreter.withoutGIL`).
public struct PythonBufferView<Element: BufferElement>: ~Copyable {
    /// The `Py_buffer`, in memory that never moves (an exporter may point its fields into
    /// it, as `PyBuffer_FillInfo` points `shape` at `len`).
    private let buffer: UnsafeMutablePointer<Py_buffer>
    /// The core's view of the same layout: element addressing over every layout.
    private let view: MemoryView
    /// Whether the span and pointer accessors may hand out typed memory.
    private let contiguousAndAligned: Bool
    /// Whether the view was requested writable.
    public let isWritable: Bool

    /// A view of `object`'s buffer.
    ///
    /// - Parameter writable: request a writable export (`PyBUF_WRITABLE`): a read-only
    ///   exporter refuses with its BufferError. Only writable views can be written.
    /// - Throws: the exporter's exception (TypeError for an object without the buffer
    ///   protocol, BufferError for a refused request); TypeError when the format does not hold
    ///   `Element`; RuntimeError before CPython is initialised.
    public init(_ object: borrowing PythonObject, writable: Bool = false) throws(PythonError) {
        try unsafe self.init(unsafeObject: object.pointer, writable: writable)
    }

    /// A view of the buffer of `object`, a borrowed pointer (a C function's argument).
    public init(unsafeObject object: PyObjectPointer, writable: Bool = false) throws(PythonError) {
        try PythonInterpreter.checkInitialized("PythonBufferView")
        // pymalloc: the GIL is held here and at release; faster than malloc for 80 bytes.
        guard let raw = unsafe PyMem_Malloc(MemoryLayout<Py_buffer>.stride) else {
            throw .init(.memoryError, "PythonBufferView: no memory for a Py_buffer")
        }
        let buffer = unsafe raw.bindMemory(to: Py_buffer.self, capacity: 1)
        let request = writable ? BufferRequest.full.rawValue : BufferRequest.fullRO.rawValue
        if unsafe PyObject_GetBuffer(object, buffer, request) < 0 {
            unsafe PyMem_Free(raw)
            throw PythonError.fetch()
        }
        let b = unsafe buffer.pointee
        let layout = unsafe BufferDescriptor(buf: b.buf, len: b.len, itemsize: b.itemsize, readonly: b.readonly != 0,
                                             ndim: Int(b.ndim), format: b.format.map { unsafe UnsafePointer($0) },
                                             shape: b.shape, strides: b.strides, suboffsets: b.suboffsets)
        guard layout.itemsize == MemoryLayout<Element>.size,
              unsafe ElementCodec.Code.format(layout.formatBytes, holds: Element.self) else {
            let format = unsafe String(decoding: layout.formatBytes, as: UTF8.self)
            unsafe PyBuffer_Release(buffer)
            unsafe PyMem_Free(raw)
            throw .typeError("buffer format '\(format)' (itemsize \(layout.itemsize)) does not hold \(Element.self) "
                             + "(format '\(Character(Unicode.Scalar(Element.formatCode)))', size \(MemoryLayout<Element>.size))")
        }
        unsafe self.buffer = buffer
        let view = MemoryView(layout: layout)
        self.view = view
        isWritable = writable
        let aligned = unsafe layout.buf.map { Int(bitPattern: $0) % MemoryLayout<Element>.alignment == 0 } ?? true
        let direct = unsafe layout.suboffsets == nil
        contiguousAndAligned = view.isContiguous && aligned && direct
    }

    deinit { withGILHeld { unsafe Self.giveBack(buffer) } }

    /// Gives the export back now (`PyBuffer_Release`), ending the view.
    public consuming func release() {
        let buffer = unsafe self.buffer
        discard self
        unsafe Self.giveBack(buffer)
    }

    private static func giveBack(_ buffer: UnsafeMutablePointer<Py_buffer>) {
        unsafe PyBuffer_Release(buffer)
        unsafe PyMem_Free(buffer)
    }

    // MARK: Layout

    /// The number of dimensions (0 for a scalar).
    public var ndim: Int { view.ndim }
    /// The extent of each dimension.
    public var shape: [Int] { (0..<view.ndim).map { unsafe view.layout.shape![$0] } }
    /// The byte step of each dimension (may be negative or 0).
    public var strides: [Int] { (0..<view.ndim).map { unsafe view.layout.strides![$0] } }
    /// The number of elements: the product of `shape` (1 for a scalar).
    public var count: Int { view.layout.len / Swift.max(view.itemsize, 1) }
    /// The exporter's format string, as it gave it (`"d"`, `"<d"`).
    public var format: String { unsafe String(decoding: view.layout.formatBytes, as: UTF8.self) }
    /// Whether the exporter refuses writes (always false for a view made `writable`).
    public var isReadOnly: Bool { view.isReadonly }
    /// Row-major contiguous (every 0- or 1-element view is).
    public var isCContiguous: Bool { view.isCContiguous }
    /// Column-major contiguous.
    public var isFortranContiguous: Bool { view.isFortranContiguous }

    // MARK: Elements

    /// The element at `index` of a 1-d view.
    public subscript(index: Int) -> Element {
        get { unsafe MemoryView.load(Element.self, from: address(index)) }
        nonmutating set { unsafe writableAddress(address(index)).storeBytes(of: newValue, as: Element.self) }
    }

    /// The element at `(i, j)` of a 2-d view.
    public subscript(i: Int, j: Int) -> Element {
        get { unsafe MemoryView.load(Element.self, from: address(i, j)) }
        nonmutating set { unsafe writableAddress(address(i, j)).storeBytes(of: newValue, as: Element.self) }
    }

    /// The element at `indices`, one per dimension (none for a 0-d view).
    public subscript(indices: [Int]) -> Element {
        get { unsafe MemoryView.load(Element.self, from: address(indices)) }
        nonmutating set { unsafe writableAddress(address(indices)).storeBytes(of: newValue, as: Element.self) }
    }

    /// Calls `body` with every element in C (row-major) order, whatever the layout.
    public func forEach<E: Error>(_ body: (Element) throws(E) -> Void) throws(E) {
        if contiguousAndAligned && view.isCContiguous, let base = unsafe view.layout.buf {
            let p = unsafe base.assumingMemoryBound(to: Element.self)
            for i in 0..<count { try body(unsafe MemoryView.load(Element.self, from: p + i)) }
            return
        }
        try unsafe view.forEachElement { p throws(E) in try body(unsafe MemoryView.load(Element.self, from: p)) }
    }

    /// Calls `body` with every element in C order, whatever the layout, and stores what it
    /// leaves in the element back; the view must be `writable`.
    public func transformEach<E: Error>(_ body: (inout Element) throws(E) -> Void) throws(E) {
        precondition(isWritable, "PythonBufferView.transformEach: the view was not made writable")
        try unsafe view.forEachElement { p throws(E) in
            var value = unsafe MemoryView.load(Element.self, from: p)
            try body(&value)
            unsafe p.storeBytes(of: value, as: Element.self)
        }
    }

    /// Every element, copied into an array in C order.
    public func elements() -> [Element] {
        var result: [Element] = []
        result.reserveCapacity(count)
        forEach { result.append($0) }
        return result
    }

    // MARK: Contiguous memory

    /// The elements as a span, in memory order (row-major for C-contiguous memory, column-
    /// major for Fortran-contiguous), when the memory is contiguous and aligned for `Element`.
    /// See Sharing: other Python views may write the memory meanwhile.
    /// - Throws: BufferError for non-contiguous or misaligned memory; ValueError for Bool
    ///   memory holding bytes other than 0 and 1; whatever `body` throws.
    public func withSpan<R>(_ body: (Span<Element>) throws(PythonError) -> R) throws(PythonError) -> R {
        let elements = try typedBuffer()
        return try body(unsafe UnsafeBufferPointer(elements).span)
    }

    /// As `withSpan`, for writing; the view must be `writable`.
    public func withMutableSpan<R>(_ body: (inout MutableSpan<Element>) throws(PythonError) -> R) throws(PythonError) -> R {
        precondition(isWritable, "PythonBufferView.withMutableSpan: the view was not made writable")
        let elements = try typedBuffer()
        var span = unsafe elements.mutableSpan
        return try body(&span)
    }

    /// The bytes of contiguous memory, in memory order, whatever their alignment.
    public func withBytes<R>(_ body: (RawSpan) throws(PythonError) -> R) throws(PythonError) -> R {
        let direct = unsafe view.layout.suboffsets == nil
        guard view.isContiguous, direct else { throw notContiguous() }
        return try body(unsafe UnsafeRawBufferPointer(start: view.layout.buf, count: view.layout.len).bytes)
    }

    /// The elements as a typed buffer pointer, valid inside `body` only: as `withSpan`.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws(PythonError) -> R) throws(PythonError) -> R {
        try unsafe body(UnsafeBufferPointer(try typedBuffer()))
    }

    /// As `withUnsafeBufferPointer`, for writing; the view must be `writable`.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Element>) throws(PythonError) -> R) throws(PythonError) -> R {
        precondition(isWritable, "PythonBufferView.withUnsafeMutableBufferPointer: the view was not made writable")
        return try unsafe body(try typedBuffer())
    }

    // MARK: - Addressing

    private func typedBuffer() throws(PythonError) -> UnsafeMutableBufferPointer<Element> {
        guard contiguousAndAligned else {
            let indirect = unsafe view.layout.suboffsets != nil
            if !view.isContiguous || indirect { throw notContiguous() }
            throw .bufferError("buffer memory is not aligned for \(Element.self)")
        }
        let n = count
        guard n > 0, let base = unsafe view.layout.buf else { return unsafe UnsafeMutableBufferPointer(start: nil, count: 0) }
        let elements = unsafe UnsafeMutableBufferPointer(start: base.assumingMemoryBound(to: Element.self), count: n)
        if Element.self == Bool.self {
            // A Swift Bool must be 0 or 1; memoryview and NumPy treat any other byte as true.
            let bytes = UnsafeRawBufferPointer(elements)
            if let i = unsafe bytes.firstIndex(where: { $0 > 1 }) {
                throw .valueError("bool memory holds byte \(unsafe bytes[i]) at offset \(i): a Swift Bool must be 0 or 1")
            }
        }
        return unsafe elements
    }

    private func notContiguous() -> PythonError {
        .bufferError("the buffer is not contiguous (shape \(pythonTuple(shape)), strides \(pythonTuple(strides)))")
    }

    @inline(__always)
    private func writableAddress(_ p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        precondition(isWritable, "PythonBufferView: the view was not made writable")
        return unsafe p
    }

    @inline(__always)
    private func checkIndex(_ index: Int, _ dimension: Int) -> Int {
        let extent = unsafe view.layout.shape![dimension]
        precondition(index >= 0 && index < extent, "PythonBufferView: index \(index) out of range for dimension \(dimension) of extent \(extent)")
        return unsafe view.layout.strides![dimension]
    }

    @inline(__always)
    private func address(_ index: Int) -> UnsafeMutableRawPointer {
        precondition(view.ndim == 1, "PythonBufferView: one index for a \(view.ndim)-d view")
        let stride = checkIndex(index, 0)
        // safe because: the index is in range, so the product and sum stay inside the buffer.
        return unsafe view.adjust(view.layout.buf! + index &* stride, dimension: 0)
    }

    @inline(__always)
    private func address(_ i: Int, _ j: Int) -> UnsafeMutableRawPointer {
        precondition(view.ndim == 2, "PythonBufferView: two indices for a \(view.ndim)-d view")
        let s0 = checkIndex(i, 0), s1 = checkIndex(j, 1)
        let row = unsafe view.adjust(view.layout.buf! + i &* s0, dimension: 0)
        return unsafe view.adjust(row + j &* s1, dimension: 1)
    }

    private func address(_ indices: [Int]) -> UnsafeMutableRawPointer {
        precondition(indices.count == view.ndim, "PythonBufferView: \(indices.count) indices for a \(view.ndim)-d view")
        var p = unsafe view.layout.buf!
        for (d, i) in indices.enumerated() {
            let stride = checkIndex(i, d)
            p = unsafe view.adjust(p + i &* stride, dimension: d)
        }
        return unsafe p
    }
}
