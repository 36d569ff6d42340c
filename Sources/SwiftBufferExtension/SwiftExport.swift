// The Swift API for handing Swift memory to Python without a copy, and for reading and writing
// the memory behind any buffer exporter (a swiftbuf.Buffer above all) from Swift while Python
// holds views of it.
import SwiftBuffer
import SwiftBufferPython

/// Swift memory seen by Python through the buffer protocol, without a copy.
///
/// Every `export` returns a new reference to a `swiftbuf.Buffer` object, or `nil` with a Python
/// exception set: the convention of the C API, so an `@_cdecl` function can return the result
/// as it is.
///
/// ## Lifetime
/// - The exported memory lives until the `swiftbuf.Buffer` object *and* every view of it
///   (`memoryview`, NumPy arrays, ...) are gone: each view holds a strong reference to the
///   object (`Py_buffer.obj`), and the object holds the memory. `memoryview(b).obj is b`.
/// - A raw pointer's deallocator runs exactly once, at that moment, in the thread that drops
///   the last reference, with the GIL held (it runs inside the object's `tp_dealloc`).
///   It must not raise a Python exception.
/// - The export takes ownership of a raw pointer whether or not it succeeds: when `export`
///   returns `nil`, the deallocator has already run.
/// - Exported memory never moves: `resize` refuses memory not allocated by swiftbuf, and
///   refuses every Buffer while views are live.
///
/// ## Threads
/// Call every function here with the GIL held. Python code (and NumPy with the GIL released)
/// may read and write exported memory at any time; Swift code that touches it must go through
/// `withUnsafeElements`/`withUnsafeMutableElements`, which hold an export for their duration.
public enum PythonBuffer {
    // MARK: - Exporting Swift arrays

    /// Exports the storage of `array` as a `swiftbuf.Buffer` of `Element.formatCode` items.
    ///
    /// No element is copied when `array` is passed as its last use (a temporary, or `consume`);
    /// if other copies of the array value are still alive, copy-on-write copies the elements
    /// once here, and those other copies never see what Python writes.
    ///
    /// - Parameters:
    ///   - shape: the extents; `nil` means one dimension of `array.count`.
    ///   - strides: byte steps per dimension, non-negative, addressing only elements inside
    ///     the array; `nil` means contiguous in `order`.
    ///   - order: `.c` (row-major) or `.fortran` (column-major) when `strides` is `nil`.
    ///   - readonly: refuse writable requests (the memory stays writable from Swift).
    /// - Returns: a new reference, or `nil` with `ValueError` set when `shape`/`strides` do
    ///   not describe the array.
    public static func export<Element: BufferElement>(_ array: consuming [Element], shape: [Int]? = nil,
                                                      strides: [Int]? = nil, order: Layout.Order = .c,
                                                      readonly: Bool = false) -> PyObjectRef? {
        guard let strides = strides else {
            guard initialised() else { return nil }
            // Not in a closure: the array must be consumed here, or it would be copied.
            do throws(SwiftBufferError) {
                return makeBufferObject(try SwiftMemory(array: consume array, shape: shape, order: order, readonly: readonly))
            } catch {
                PythonError(core: error).raise()
                return nil
            }
        }
        let shape = shape ?? [array.count]
        precondition(strides.count == shape.count, "PythonBuffer.export: one stride per dimension")
        // The closure's copy of `storage` keeps the elements alive and unchanged (it is never
        // mutated) until the memory's deallocator releases it.
        var storage = consume array
        let byteCount = storage.count * MemoryLayout<Element>.stride
        // An empty array may have no storage at all; nothing is ever read through its address.
        let base = storage.withUnsafeMutableBytes { $0.baseAddress }
            ?? UnsafeMutableRawPointer(bitPattern: MemoryLayout<Element>.alignment)!
        return export(unsafePointer: base, byteCount: byteCount, format: [Element.formatCode], shape: shape,
                      strides: strides, readonly: readonly, deallocator: { [storage] _ in _ = storage })
    }

    // MARK: - Exporting raw pointers

    /// Exports `count` elements at `pointer`, freed by `deallocator` when Python is done.
    ///
    /// - Parameters:
    ///   - shape: the extents; `nil` means one dimension of `count`.
    ///   - strides: byte steps per dimension, non-negative; `nil` means C order. Every element
    ///     addressed must lie inside the `count` elements.
    ///   - deallocator: runs exactly once, when the last reference from Swift or Python is
    ///     gone (see the type's lifetime rules), or before `export` returns `nil`.
    public static func export<Element: BufferElement>(unsafePointer pointer: UnsafeMutablePointer<Element>, count: Int,
                                                      shape: [Int]? = nil, strides: [Int]? = nil, readonly: Bool = false,
                                                      deallocator: @escaping (UnsafeMutablePointer<Element>) -> Void) -> PyObjectRef? {
        let shape = shape ?? [count]
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        precondition(count >= 0 && !overflow, "PythonBuffer.export: count \(count) is not an element count")
        return export(unsafePointer: UnsafeMutableRawPointer(pointer), byteCount: byteCount, format: [Element.formatCode],
                      shape: shape, strides: strides, readonly: readonly,
                      deallocator: { deallocator($0.assumingMemoryBound(to: Element.self)) })
    }

    /// Exports `byteCount` bytes at `pointer` seen as `shape` items of the struct `format`
    /// (any format the `struct` module accepts, records included), freed by `deallocator`.
    ///
    /// - Parameters:
    ///   - strides: byte steps per dimension, non-negative; `nil` means C order.
    ///   - deallocator: receives `pointer`; runs exactly once (see the type's lifetime rules).
    /// - Returns: a new reference, or `nil` with `ValueError` set for a malformed `format`, a
    ///   negative or overflowing `shape`, or a layout that addresses bytes outside `byteCount`.
    public static func export(unsafePointer pointer: UnsafeMutableRawPointer, byteCount: Int, format: String,
                              shape: [Int], strides: [Int]? = nil, readonly: Bool = false,
                              deallocator: @escaping (UnsafeMutableRawPointer) -> Void) -> PyObjectRef? {
        export(unsafePointer: pointer, byteCount: byteCount, format: Array(format.utf8), shape: shape, strides: strides,
               readonly: readonly, deallocator: deallocator)
    }

    static func export(unsafePointer pointer: UnsafeMutableRawPointer, byteCount: Int, format: [UInt8],
                       shape: [Int], strides: [Int]?, readonly: Bool,
                       deallocator: @escaping (UnsafeMutableRawPointer) -> Void) -> PyObjectRef? {
        var adopted = false
        defer { if !adopted { deallocator(pointer) } }
        return exported { () throws(SwiftBufferError) in
            let memory = try SwiftMemory(unsafePointer: pointer, byteCount: byteCount, format: format, shape: shape,
                                         strides: strides, readonly: readonly, deallocator: deallocator)
            adopted = true
            return memory
        }
    }

    /// Wraps memory built by `make` in a new swiftbuf.Buffer, or sets the exception.
    private static func exported(_ make: () throws(SwiftBufferError) -> SwiftMemory) -> PyObjectRef? {
        guard initialised() else { return nil }
        return pythonCall { () throws(PythonError) in makeBufferObject(try core(make)) }
    }

    /// Whether the swiftbuf.Buffer type exists; sets RuntimeError when not.
    private static func initialised() -> Bool {
        if swiftbuf_BufferType != nil { return true }
        PythonError.runtimeError("swiftbuf._swiftbuf is not initialised: import swiftbuf first").raise()
        return false
    }

    // MARK: - Swift access to exported memory

    /// Reads the elements of any contiguous buffer exporter whose format is `Element`'s, in
    /// memory order (column-major for a Fortran-ordered buffer).
    ///
    /// The access holds an export for the duration of `body`, as any consumer does: the
    /// exporter stays alive and refuses to resize (a `swiftbuf.Buffer` counts it in `exports`).
    /// Python may still write through its own views meanwhile (another thread, or Python code
    /// `body` calls); the pointer stays valid, the values are whatever was last written.
    ///
    /// Throws the exporter's `BufferError` for a non-contiguous layout, `TypeError` when the
    /// format is not `Element`'s single native code (`'d'` for Double, `'l'` for Int, ...),
    /// `ValueError` when the memory is not aligned for `Element`.
    public static func withUnsafeElements<Element: BufferElement, R>(
        of object: PyObjectRef, as type: Element.Type = Element.self,
        _ body: (UnsafeBufferPointer<Element>) throws(PythonError) -> R
    ) throws(PythonError) -> R {
        try withElements(of: object, writable: false) { (p: UnsafeMutableBufferPointer<Element>) throws(PythonError) in
            try body(UnsafeBufferPointer(p))
        }
    }

    /// Reads and writes the elements of any contiguous, writable buffer exporter whose format is
    /// `Element`'s, in memory order. Every Python view sees the writes at once.
    ///
    /// Same rules as `withUnsafeElements`; a read-only exporter refuses with its `BufferError`
    /// (a read-only `swiftbuf.Buffer` too: consumers such as a read-only memoryview's cached
    /// hash rely on the bytes not changing). For `Bool`, the bytes must hold 0 or 1, which is
    /// what `struct`, memoryview and NumPy store.
    public static func withUnsafeMutableElements<Element: BufferElement, R>(
        of object: PyObjectRef, as type: Element.Type = Element.self,
        _ body: (UnsafeMutableBufferPointer<Element>) throws(PythonError) -> R
    ) throws(PythonError) -> R {
        try withElements(of: object, writable: true, body)
    }

    /// Holds an export of `object` answered for `request` for the duration of `body`, which
    /// sees its layout (any strides, suboffsets if `request` allows them). The descriptor's
    /// pointers are valid only inside `body`.
    public static func withUnsafeLayout<R>(of object: PyObjectRef, request: BufferRequest,
                                           _ body: (BufferDescriptor) throws(PythonError) -> R) throws(PythonError) -> R {
        var held = try HeldBuffer(from: object, request: request)
        defer { held.release() }
        return try body(held.descriptor)
    }

    private static func withElements<Element: BufferElement, R>(
        of object: PyObjectRef, writable: Bool,
        _ body: (UnsafeMutableBufferPointer<Element>) throws(PythonError) -> R
    ) throws(PythonError) -> R {
        let request: BufferRequest = writable ? [.anyContiguous, .format, .writable] : [.anyContiguous, .format]
        return try withUnsafeLayout(of: object, request: request) { layout throws(PythonError) in
            let format = layout.formatBytes
            guard layout.itemsize == MemoryLayout<Element>.size, ElementCodec.Code.format(format, holds: Element.self) else {
                throw .typeError("buffer format '\(String(decoding: format, as: UTF8.self))' is not \(Element.self)'s "
                                 + "format '\(String(decoding: [Element.formatCode], as: UTF8.self))'")
            }
            let count = layout.len / MemoryLayout<Element>.stride
            guard count > 0, let buf = layout.buf else { return try body(UnsafeMutableBufferPointer(start: nil, count: 0)) }
            guard Int(bitPattern: buf) % MemoryLayout<Element>.alignment == 0 else {
                throw .valueError("buffer memory is not aligned for \(Element.self)")
            }
            // safe because: the export holds `count` contiguous elements of this format, aligned,
            // for as long as `body` runs.
            return try body(UnsafeMutableBufferPointer(start: buf.bindMemory(to: Element.self, capacity: count), count: count))
        }
    }
}
