// MARK: - Reading one element as a Swift value
//
// The typed access API is `SwiftBufferPython.PythonBufferView` (format checked once, when the
// view is taken, by `ElementCodec.Code.format(_:holdsCode:size:)`); it reads every element
// through this one load.

extension MemoryView {
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
