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
/// unaligned arrays), or any other spelling `struct` reads as one such value (`"1d"`); the
/// same rule decides DLPack's data types. A format that does not is a TypeError; read such
/// memory as bytes through a `PythonBufferView<UInt8>` of a byte-format export instead.
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
@safe public struct PythonBufferView<Element: BufferElement>: ~Copyable {
    /// The `Py_buffer`, in memory that never moves (an exporter may point its fields into
    /// it, as `PyBuffer_FillInfo` points `shape` at `len`).
    @usableFromInline let buffer: UnsafeMutablePointer<Py_buffer>
    /// Whether the view was requested writable.
    public let isWritable: Bool

    /// A view of `object`'s buffer.
    ///
    /// - Parameter writable: request a writable export (`PyBUF_WRITABLE`): a read-only
    ///   exporter refuses with its BufferError. Only writable views can be written.
    /// - Throws: the exporter's exception (TypeError for an object without the buffer
    ///   protocol, BufferError for a refused request); TypeError when the format does not hold
    ///   `Element`; RuntimeError before CPython is initialised.
    @inlinable
    public init(_ object: borrowing PythonObject, writable: Bool = false) throws(PythonError) {
        try unsafe self.init(unsafeObject: object.pointer, writable: writable)
    }

    /// A view of the buffer of `object`, a borrowed pointer (a C function's argument).
    @inlinable
    public init(unsafeObject object: PyObjectPointer, writable: Bool = false) throws(PythonError) {
        unsafe buffer = try unsafe HeldExport.acquire(object, writable: writable, code: Element.formatCode,
                                                      size: MemoryLayout<Element>.size, type: Element.self)
        isWritable = writable
    }

    /// The layout, as the `Py_buffer` holds it (a few loads: kept out of the value, so the
    /// value is two words and acquiring stores nothing else).
    @inlinable
    var layout: BufferDescriptor { unsafe HeldExport.layout(buffer) }

    @inlinable
    deinit { unsafe HeldExport.release(buffer) }

    /// Gives the export back now (`PyBuffer_Release`), ending the view.
    public consuming func release() {
        let buffer = unsafe self.buffer
        discard self
        unsafe HeldExport.release(buffer)
    }

    // MARK: Layout

    /// The number of dimensions (0 for a scalar).
    public var ndim: Int { layout.ndim }
    /// The extent of each dimension.
    public var shape: [Int] { (0..<layout.ndim).map { unsafe layout.shape![$0] } }
    /// The byte step of each dimension (may be negative or 0).
    public var strides: [Int] { (0..<layout.ndim).map { unsafe layout.strides![$0] } }
    /// The number of elements: the product of `shape` (1 for a scalar).
    @inlinable public var count: Int { layout.len / MemoryLayout<Element>.size }
    /// The exporter's format string, as it gave it (`"d"`, `"<d"`).
    public var format: String { unsafe String(decoding: layout.formatBytes, as: UTF8.self) }
    /// Whether the exporter refuses writes (always false for a view made `writable`).
    public var isReadOnly: Bool { layout.readonly }
    /// Row-major contiguous (every 0- or 1-element view is).
    public var isCContiguous: Bool { MemoryView(layout: layout).isCContiguous }
    /// Column-major contiguous.
    public var isFortranContiguous: Bool { MemoryView(layout: layout).isFortranContiguous }

    // MARK: Elements

    /// The element at `index` of a 1-d view.
    @inlinable
    public subscript(index: Int) -> Element {
        get { unsafe MemoryView.load(Element.self, from: address(index)) }
        nonmutating set { unsafe writableAddress(address(index)).storeBytes(of: newValue, as: Element.self) }
    }

    /// The element at `(i, j)` of a 2-d view.
    @inlinable
    public subscript(i: Int, j: Int) -> Element {
        get { unsafe MemoryView.load(Element.self, from: address(i, j)) }
        nonmutating set { unsafe writableAddress(address(i, j)).storeBytes(of: newValue, as: Element.self) }
    }

    /// The element at `indices`, one per dimension (none for a 0-d view).
    @inlinable
    public subscript(indices: [Int]) -> Element {
        get { unsafe MemoryView.load(Element.self, from: address(indices)) }
        nonmutating set { unsafe writableAddress(address(indices)).storeBytes(of: newValue, as: Element.self) }
    }

    /// Calls `body` with every element in C (row-major) order, whatever the layout.
    @inlinable
    public func forEach<E: Error>(_ body: (Element) throws(E) -> Void) throws(E) {
        if let elements = unsafe contiguousElements(order: .c) {
            for i in elements.indices { try body(unsafe MemoryView.load(Element.self, from: elements.baseAddress! + i)) }
            return
        }
        try unsafe MemoryView(layout: layout).forEachElement { p throws(E) in try body(unsafe MemoryView.load(Element.self, from: p)) }
    }

    /// Calls `body` with every element in C order, whatever the layout, and stores what it
    /// leaves in the element back; the view must be `writable`.
    @inlinable
    public func transformEach<E: Error>(_ body: (inout Element) throws(E) -> Void) throws(E) {
        precondition(isWritable, "PythonBufferView.transformEach: the view was not made writable")
        if let elements = unsafe contiguousElements(order: .c) {
            for i in elements.indices {
                var value = unsafe MemoryView.load(Element.self, from: elements.baseAddress! + i)
                try body(&value)
                unsafe elements[i] = value
            }
            return
        }
        try unsafe MemoryView(layout: layout).forEachElement { p throws(E) in
            var value = unsafe MemoryView.load(Element.self, from: p)
            try body(&value)
            unsafe p.storeBytes(of: value, as: Element.self)
        }
    }

    /// Every element, copied into an array in C order.
    @inlinable
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
    @inlinable
    public func withSpan<R>(_ body: (Span<Element>) throws(PythonError) -> R) throws(PythonError) -> R {
        let elements = try unsafe typedBuffer()
        return try body(unsafe UnsafeBufferPointer(elements).span)
    }

    /// As `withSpan`, for writing; the view must be `writable`.
    @inlinable
    public func withMutableSpan<R>(_ body: (inout MutableSpan<Element>) throws(PythonError) -> R) throws(PythonError) -> R {
        precondition(isWritable, "PythonBufferView.withMutableSpan: the view was not made writable")
        let elements = try unsafe typedBuffer()
        var span = unsafe elements.mutableSpan
        return try body(&span)
    }

    /// The bytes of contiguous memory, in memory order, whatever their alignment.
    @inlinable
    public func withBytes<R>(_ body: (RawSpan) throws(PythonError) -> R) throws(PythonError) -> R {
        let view = MemoryView(layout: layout)
        let direct = unsafe layout.suboffsets == nil
        guard view.isContiguous, direct else { throw HeldExport.notContiguous(layout) }
        return try body(unsafe UnsafeRawBufferPointer(start: layout.buf, count: layout.len).bytes)
    }

    /// The elements as a typed buffer pointer, valid inside `body` only: as `withSpan`.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws(PythonError) -> R) throws(PythonError) -> R {
        try unsafe body(UnsafeBufferPointer(try typedBuffer()))
    }

    /// As `withUnsafeBufferPointer`, for writing; the view must be `writable`.
    @inlinable
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Element>) throws(PythonError) -> R) throws(PythonError) -> R {
        precondition(isWritable, "PythonBufferView.withUnsafeMutableBufferPointer: the view was not made writable")
        return try unsafe body(try typedBuffer())
    }

    // MARK: - Addressing

    /// The elements as one typed buffer when the memory is contiguous in `order` (C or
    /// Fortran; `.any` for either), aligned and direct; nil otherwise.
    @inlinable
    func contiguousElements(order: Layout.Order) -> UnsafeMutableBufferPointer<Element>? {
        let view = MemoryView(layout: layout)
        let contiguous = order == .c ? view.isCContiguous : order == .fortran ? view.isFortranContiguous : view.isContiguous
        let direct = unsafe layout.suboffsets == nil
        guard contiguous, direct, let base = unsafe layout.buf,
              Int(bitPattern: base) % MemoryLayout<Element>.alignment == 0 else { return nil }
        return unsafe UnsafeMutableBufferPointer(start: base.assumingMemoryBound(to: Element.self), count: count)
    }

    @inlinable
    func typedBuffer() throws(PythonError) -> UnsafeMutableBufferPointer<Element> {
        guard let elements = unsafe contiguousElements(order: .any) else {
            throw HeldExport.unusable(layout, alignment: MemoryLayout<Element>.alignment, type: Element.self)
        }
        if Element.self == Bool.self {
            // A Swift Bool must be 0 or 1; memoryview and NumPy treat any other byte as true.
            try unsafe HeldExport.checkBools(UnsafeRawBufferPointer(elements))
        }
        return unsafe elements
    }

    @inlinable @inline(__always)
    func writableAddress(_ p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        precondition(isWritable, "PythonBufferView: the view was not made writable")
        return unsafe p
    }

    @inlinable @inline(__always)
    func checkedStride(_ index: Int, _ dimension: Int) -> Int {
        let extent = unsafe layout.shape![dimension]
        precondition(index >= 0 && index < extent, "PythonBufferView: index out of range")
        return unsafe layout.strides![dimension]
    }

    /// CPython's ADJUST_PTR: the core's one kernel.
    @inlinable @inline(__always)
    func follow(_ p: UnsafeMutableRawPointer, _ dimension: Int) -> UnsafeMutableRawPointer {
        unsafe Layout.follow(p, layout.suboffsets, dimension: dimension)
    }

    @inlinable @inline(__always)
    func address(_ index: Int) -> UnsafeMutableRawPointer {
        precondition(layout.ndim == 1, "PythonBufferView: one index for a view of another ndim")
        let stride = checkedStride(index, 0)
        // safe because: the index is in range, so the product and sum stay inside the buffer.
        return unsafe follow(layout.buf! + index &* stride, 0)
    }

    @inlinable @inline(__always)
    func address(_ i: Int, _ j: Int) -> UnsafeMutableRawPointer {
        precondition(layout.ndim == 2, "PythonBufferView: two indices for a view of another ndim")
        let s0 = checkedStride(i, 0), s1 = checkedStride(j, 1)
        let row = unsafe follow(layout.buf! + i &* s0, 0)
        return unsafe follow(row + j &* s1, 1)
    }

    @inlinable
    func address(_ indices: [Int]) -> UnsafeMutableRawPointer {
        precondition(indices.count == layout.ndim, "PythonBufferView: one index per dimension")
        var p = unsafe layout.buf!
        for (d, i) in indices.enumerated() {
            let stride = checkedStride(i, d)
            unsafe p = unsafe follow(p + i &* stride, d)
        }
        return unsafe p
    }
}
