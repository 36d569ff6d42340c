// MARK: - Exporting Swift memory to Python
import CPythonShim
import pyextCAPI
import SwiftBuffer

/// How the elements of a multi-dimensional export are laid out when no strides are given.
public enum BufferOrder: Sendable {
    /// Row-major: the last index varies fastest (C, NumPy's default).
    case c
    /// Column-major: the first index varies fastest (Fortran, LAPACK, Accelerate).
    case fortran
}

/// Swift memory handed to Python as a `swiftbuf.Buffer`, without a copy.
///
/// ```swift
/// let matrix: [Double] = ...                          // rows * cols values, row-major
/// let buffer = try PythonBuffer.export(consume matrix, shape: [rows, cols])
/// return buffer.take()                                // numpy.asarray(result) shares it
/// ```
///
/// Every export is an instance of the `swiftbuf.Buffer` type that `import swiftbuf` gives,
/// whichever module creates it: the first export imports `swiftbuf` and binds its C API
/// (`PythonInterpreter.importSwiftbuf()` does it earlier). `exports`, `resize` and every
/// consumer (`memoryview`, NumPy, `swiftbuf.MemoryView`) behave as for Python-made Buffers.
///
/// ## Lifetime
/// - The memory lives until the Buffer *and* every view of it are gone (each view holds a
///   reference to the Buffer, `memoryview(b).obj is b`); it never moves meanwhile (`resize`
///   refuses memory it did not allocate).
/// - An array's storage is kept by the Buffer and freed with it; a raw pointer's `deallocator`
///   runs exactly once, then, with the GIL held, on the thread that drops the last reference.
///   It must not raise a Python exception.
/// - An export takes ownership whether or not it succeeds: when it throws, the array is gone
///   and the deallocator has already run.
///
/// ## Copy-on-write
/// An array is shared, not copied, when it is passed as its last use: a temporary, a local
/// passed with `consume`, or a `readonly` export (Python never writes it, so Swift's other
/// copies may share the storage). A writable export of an array that other Swift values still
/// share — a global `let`, a property, a variable used later — copies the elements once, as
/// any Swift mutation of it would: Python's writes must not change those values.
///
/// ## Threads
/// Call with the GIL held (an extension function's body, or `PythonInterpreter.withGIL`).
/// Python code, and NumPy with the GIL released, may read and write exported memory at any
/// time: Swift code that touches it later goes through a `PythonBufferView`.
public enum PythonBuffer {
    // MARK: Arrays

    /// Exports `array`'s storage as a `swiftbuf.Buffer` of `Element.formatCode` items
    /// (`'d'` for Double).
    ///
    /// - Parameters:
    ///   - shape: the extents; `nil` means one dimension of `array.count`. Their product must
    ///     be `array.count` unless `strides` are given.
    ///   - strides: byte steps per dimension, non-negative, addressing only elements of the
    ///     array; `nil` means contiguous in `order`.
    ///   - order: the layout when `strides` is `nil`.
    ///   - readonly: consumers may not write (the memory stays writable from Swift).
    /// - Throws: ValueError when `shape`/`strides` do not describe the array; ImportError when
    ///   swiftbuf cannot be imported; RuntimeError before CPython is initialised.
    @inlinable
    public static func export<Element: BufferElement>(_ array: consuming [Element], shape: [Int]? = nil,
                                                      strides: [Int]? = nil, order: BufferOrder = .c,
                                                      readonly: Bool = false) throws(PythonError) -> PythonObject {
        // Only taking the storage is generic (and specialised in the caller's module); the rest is not.
        let owner = ArrayOwner(consume array, writable: !readonly)
        return try unsafe exportArray(owner, base: owner.base, count: owner.storage.count, itemsize: MemoryLayout<Element>.stride,
                                      code: Element.formatCode, shape: shape, strides: strides, order: order, readonly: readonly)
    }

    @usableFromInline
    static func exportArray(_ owner: MemoryOwner, base: UnsafeMutableRawPointer?, count: Int, itemsize: Int, code: UInt8,
                            shape: [Int]?, strides: [Int]?, order: BufferOrder, readonly: Bool) throws(PythonError) -> PythonObject {
        let api = unsafe try SwiftbufCAPI.table()
        if shape == nil && strides == nil {
            // The common case, one contiguous dimension: the layout lives on the stack.
            var extent = count, step = itemsize, format: (UInt8, UInt8) = (code, 0)
            let context = unsafe Unmanaged.passRetained(owner).toOpaque()
            let made = unsafe withUnsafePointer(to: &format) { f in
                unsafe withUnsafePointer(to: &extent) { s in
                    unsafe withUnsafePointer(to: &step) { st in
                        unsafe api.pointee.export_memory(base, count &* itemsize, UnsafeRawPointer(f).assumingMemoryBound(to: CChar.self),
                                                         1, s, st, readonly ? 1 : 0, releaseMemoryOwner, context)
                    }
                }
            }
            guard let object = unsafe made else { throw PythonError.fetch() }
            return unsafe PythonObject(adopting: object)
        }
        let shape = shape ?? [count]
        if shape.contains(where: { $0 < 0 }) {
            throw .valueError("negative dimensions are not allowed: shape \(SwiftMemory.describe(shape))")
        }
        if strides == nil {
            let (elements, overflow) = product(shape)
            guard !overflow, elements == count else {
                throw .valueError("shape \(SwiftMemory.describe(shape)) holds \(overflow ? "too many" : String(elements)) elements, "
                                  + "the array \(count)")
            }
        }
        let byteCount = count &* itemsize   // safe because: an array's bytes fit in Int
        return try unsafe export(api, base, byteCount: byteCount, format: [code, 0], shape: shape,
                                 strides: strides ?? defaultStrides(shape, itemsize: itemsize, order),
                                 readonly: readonly, owner: owner)
    }

    // MARK: Raw memory

    /// Exports `count` elements at `pointer`, freed by `deallocator` when Python is done.
    ///
    /// - Parameters:
    ///   - shape: the extents; `nil` means one dimension of `count`.
    ///   - strides: byte steps per dimension, non-negative; `nil` means C order. Every element
    ///     addressed must lie inside the `count` elements (checked: ValueError otherwise).
    ///   - deallocator: receives `pointer`; runs exactly once (see Lifetime).
    public static func export<Element: BufferElement>(unsafePointer pointer: UnsafeMutablePointer<Element>, count: Int,
                                                      shape: [Int]? = nil, strides: [Int]? = nil, readonly: Bool = false,
                                                      deallocator: @escaping (UnsafeMutablePointer<Element>) -> Void)
        throws(PythonError) -> PythonObject {
        precondition(count >= 0, "PythonBuffer.export: negative count \(count)")
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        precondition(!overflow, "PythonBuffer.export: \(count) elements overflow Int")
        let owner = DeallocatorOwner { unsafe deallocator(pointer) }
        let api: UnsafePointer<swiftbuf_CAPI>
        do throws(PythonError) { unsafe api = unsafe try SwiftbufCAPI.table() } catch { owner.run(); throw error }
        let shape = shape ?? [count]
        return try unsafe export(api, UnsafeMutableRawPointer(pointer), byteCount: byteCount, format: Element.cFormat,
                                 shape: shape, strides: strides ?? defaultStrides(shape, itemsize: MemoryLayout<Element>.stride, .c),
                                 readonly: readonly, owner: owner)
    }

    /// Exports `byteCount` bytes at `pointer` as `shape` items of the `struct` format `format`
    /// (any format the `struct` module accepts, records included: `"<i"`, `"2d"`, `"T{i:x:d:y:}"`).
    ///
    /// - Throws: ValueError for a malformed format, a negative or overflowing shape, or a
    ///   layout that addresses bytes outside `byteCount`; the deallocator has run then.
    public static func export(unsafeBytes pointer: UnsafeMutableRawPointer, byteCount: Int, format: String,
                              shape: [Int], strides: [Int]? = nil, readonly: Bool = false,
                              deallocator: @escaping (UnsafeMutableRawPointer) -> Void) throws(PythonError) -> PythonObject {
        precondition(byteCount >= 0, "PythonBuffer.export: negative byteCount \(byteCount)")
        let owner = DeallocatorOwner { unsafe deallocator(pointer) }
        let api: UnsafePointer<swiftbuf_CAPI>
        do throws(PythonError) { unsafe api = unsafe try SwiftbufCAPI.table() } catch { owner.run(); throw error }
        // swiftbuf computes default strides itself (C order) from the format's itemsize.
        return try unsafe export(api, pointer, byteCount: byteCount, format: Array((format + "\0").utf8),
                                 shape: shape, strides: strides, readonly: readonly, owner: owner)
    }

    // MARK: - The capsule call

    private static func export(_ api: UnsafePointer<swiftbuf_CAPI>, _ base: UnsafeMutableRawPointer?, byteCount: Int,
                               format: [UInt8], shape: [Int], strides: [Int]?, readonly: Bool,
                               owner: MemoryOwner) throws(PythonError) -> PythonObject {
        precondition(strides == nil || strides!.count == shape.count,
                     "PythonBuffer.export: \(strides?.count ?? 0) strides for \(shape.count) dimensions")
        guard shape.count <= Layout.maxDimensions else {
            owner.run()
            throw .valueError("number of dimensions must not exceed \(Layout.maxDimensions), not \(shape.count)")
        }
        // The Buffer's release callback gives the retained owner back, exactly once.
        let context = unsafe Unmanaged.passRetained(owner).toOpaque()
        let made = unsafe format.withUnsafeBufferPointer { f in
            unsafe shape.withUnsafeBufferPointer { s in
                unsafe withOptionalBuffer(strides) { st in
                    unsafe api.pointee.export_memory(base, byteCount, UnsafeRawPointer(f.baseAddress!).assumingMemoryBound(to: CChar.self),
                                                     Int32(shape.count), s.baseAddress, st, readonly ? 1 : 0,
                                                     releaseMemoryOwner, context)
                }
            }
        }
        guard let object = unsafe made else { throw PythonError.fetch() }
        return unsafe PythonObject(adopting: object)
    }
}

// MARK: - Owners of exported memory

/// What keeps exported memory alive; `run()` gives it back.
@usableFromInline
class MemoryOwner {
    @usableFromInline init() {}
    func run() {}
}

/// An array's storage, kept as the array value itself.
@usableFromInline
@safe final class ArrayOwner<Element: BufferElement>: MemoryOwner {
    @usableFromInline let storage: [Element]
    @usableFromInline let base: UnsafeMutableRawPointer?

    @inlinable
    init(_ array: consuming [Element], writable: Bool) {
        var array = array
        if writable {
            // Makes the storage unique (copies it if other values share it: see Copy-on-write).
            unsafe base = array.withUnsafeMutableBytes { $0.baseAddress }
        } else {
            // Python never writes a read-only export, so the storage may stay shared.
            unsafe base = array.withUnsafeBytes { unsafe UnsafeMutableRawPointer(mutating: $0.baseAddress) }
        }
        storage = array
        super.init()
    }
}

/// A raw pointer's deallocator, run once.
private final class DeallocatorOwner: MemoryOwner {
    private var deallocate: (() -> Void)?
    init(_ deallocate: @escaping () -> Void) {
        self.deallocate = deallocate
        super.init()
    }
    override func run() {
        let d = deallocate
        deallocate = nil
        d?()
    }
}

/// swiftbuf_release_function: the end of an exported memory.
private let releaseMemoryOwner: swiftbuf_release_function = { context in
    let owner = unsafe Unmanaged<MemoryOwner>.fromOpaque(context!).takeRetainedValue()
    owner.run()
}

// MARK: - Helpers

extension BufferElement {
    /// The format as a C string.
    static var cFormat: [UInt8] { [formatCode, 0] }
}

private func product(_ shape: [Int]) -> (Int, Bool) {
    var n = 1
    var overflow = false
    for extent in shape {
        if extent < 0 { return (extent, true) }
        let (p, o) = n.multipliedReportingOverflow(by: extent)
        n = p
        overflow = overflow || o
    }
    return shape.contains(0) ? (0, false) : (n, overflow)
}

private func defaultStrides(_ shape: [Int], itemsize: Int, _ order: BufferOrder) -> [Int]? {
    // Overflowing shapes are refused by swiftbuf with its message; no strides needed then.
    let (_, overflow) = product(shape)
    if overflow { return nil }
    return Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: order == .c ? .c : .fortran)
}

@inline(__always)
private func withOptionalBuffer<R>(_ values: [Int]?, _ body: (UnsafePointer<Int>?) -> R) -> R {
    guard let values else { return body(nil) }
    return unsafe values.withUnsafeBufferPointer { unsafe body($0.baseAddress) }
}
