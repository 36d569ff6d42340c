// MARK: - Typed reading and writing for Swift callers
//
// What Swift code does with a view of a Python buffer: read elements as Swift values, take
// the contiguous fast path as a typed buffer pointer, or visit every element of an N-d,
// strided or indirect layout in C order. Every access is checked against the format once,
// up front (PyO3's `PyBuffer::get` does the same): the element type must have the format's
// kind and size, in this machine's representation (`ElementCodec.Code.format(_:holds:)`).

extension MemoryView {
    /// Throws unless elements of this view can be read as `T`.
    @inlinable
    public func checkElementType<T: BufferElement>(_ type: T.Type) throws(SwiftBufferError) {
        guard ElementCodec.Code.format(layout.formatBytes, holds: type), layout.itemsize == MemoryLayout<T>.size else {
            throw .typeError("memoryview: format '\(String(decoding: layout.formatBytes, as: UTF8.self))' cannot be read as \(T.self)")
        }
    }

    /// The element at `indices` (one per dimension; none for a 0-d view), as `T`.
    @inlinable
    public func element<T: BufferElement>(as type: T.Type, at indices: Int...) throws(SwiftBufferError) -> T {
        try checkElementType(type)
        if indices.count != layout.ndim {
            throw .typeError("cannot index \(layout.ndim)-dimension view with \(indices.count)-element tuple")
        }
        return unsafe try MemoryView.load(T.self, from: pointer(at: indices))
    }

    /// Stores `value` as the element at `indices`.
    @inlinable
    public func setElement<T: BufferElement>(_ value: T, at indices: Int...) throws(SwiftBufferError) {
        try checkElementType(T.self)
        if layout.readonly { throw .typeError("cannot modify read-only memory") }
        if indices.count != layout.ndim {
            throw .typeError("cannot index \(layout.ndim)-dimension view with \(indices.count)-element tuple")
        }
        unsafe try pointer(at: indices).storeBytes(of: value, as: T.self)
    }

    /// Calls `body` with every element as `T`, in C order, whatever the strides and
    /// suboffsets.
    @inlinable
    public func forEach<T: BufferElement, E: Error>(as type: T.Type, _ body: (T) throws(E) -> Void) throws(BufferAccessError<E>) {
        do throws(SwiftBufferError) { try checkElementType(type) } catch { throw .buffer(error) }
        do throws(E) { try unsafe forEachElement { p throws(E) in try unsafe body(MemoryView.load(T.self, from: p)) } } catch { throw .body(error) }
    }

    /// Every element as `T`, in C order.
    @inlinable
    public func elements<T: BufferElement>(as type: T.Type) throws(SwiftBufferError) -> [T] {
        try checkElementType(type)
        var result: [T] = []
        result.reserveCapacity(Self.byteLength(of: layout) / Swift.max(layout.itemsize, 1))
        unsafe forEachElement { p in result.append(unsafe MemoryView.load(T.self, from: p)) }
        return result
    }

    /// The contiguous fast path: the elements as one typed buffer, when the view is
    /// C-contiguous, of a format `T` reads, and aligned for `T`.
    @inlinable
    public func withUnsafeBufferPointer<T: BufferElement, R, E: Error>(
        as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws(E) -> R) throws(BufferAccessError<E>) -> R {
        let base: UnsafeMutableRawPointer?
        do throws(SwiftBufferError) { base = unsafe try contiguousBase(type) } catch { throw .buffer(error) }
        let count = layout.len / MemoryLayout<T>.stride
        do throws(E) {
            return try unsafe body(UnsafeBufferPointer(start: base?.assumingMemoryBound(to: T.self), count: count))
        } catch { throw .body(error) }
    }

    /// As `withUnsafeBufferPointer`, for writing; the view must be writable.
    @inlinable
    public func withUnsafeMutableBufferPointer<T: BufferElement, R, E: Error>(
        as type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws(E) -> R) throws(BufferAccessError<E>) -> R {
        if layout.readonly { throw .buffer(.typeError("cannot modify read-only memory")) }
        let base: UnsafeMutableRawPointer?
        do throws(SwiftBufferError) { base = unsafe try contiguousBase(type) } catch { throw .buffer(error) }
        let count = layout.len / MemoryLayout<T>.stride
        do throws(E) {
            return try unsafe body(UnsafeMutableBufferPointer(start: base?.assumingMemoryBound(to: T.self), count: count))
        } catch { throw .body(error) }
    }

    @inlinable
    func contiguousBase<T: BufferElement>(_ type: T.Type) throws(SwiftBufferError) -> UnsafeMutableRawPointer? {
        try checkElementType(type)
        if !isCContiguous { throw .bufferError("memoryview: underlying buffer is not C-contiguous") }
        guard layout.len > 0, let base = unsafe layout.buf else { return nil }
        if Int(bitPattern: base) % MemoryLayout<T>.alignment != 0 {
            throw .bufferError("memoryview: data of format '\(String(decoding: layout.formatBytes, as: UTF8.self))' is not aligned for \(T.self)")
        }
        // A Swift Bool must be 0 or 1; '?' memory written byte by byte may hold anything.
        if T.self == Bool.self {
            for i in 0..<layout.len where unsafe base.load(fromByteOffset: i, as: UInt8.self) > 1 {
                throw .valueError("memoryview: '?' data holds bytes other than 0 and 1; read it element by element or as UInt8")
            }
        }
        return unsafe base
    }

    /// Reads an element as `T`. `?` elements read as Bool by C's rule (any non-zero byte is
    /// true) rather than by bit pattern, which would be undefined for bytes other than 0 and 1.
    @inlinable @inline(__always)
    public static func load<T: BufferElement>(_ type: T.Type, from pointer: UnsafeRawPointer) -> T {
        if T.self == Bool.self {
            return unsafe unsafeBitCast(pointer.load(as: UInt8.self) != 0, to: T.self)
        }
        return unsafe pointer.loadUnaligned(as: T.self)
    }
}

/// An error of a typed access: the buffer's checks refused it (`buffer`), or the caller's
/// closure threw (`body`). Typed throws keep both types.
public enum BufferAccessError<Body: Error>: Error {
    case buffer(SwiftBufferError)
    case body(Body)
}
