/// Where memory of user-chosen size comes from.
///
/// Swift's allocator traps when memory runs out, but Python code expects `MemoryError` from
/// `Buffer(10**15)`. The core stays free of libc and CPython, so the bridge hands in CPython's
/// raw allocator (`PyMem_RawCalloc`, which also makes the memory visible to tracemalloc);
/// Swift callers that vouch for their sizes can use `.swift`.
///
/// The two functions are C function pointers, not closures: an allocator is copied into every
/// object that remembers where its memory came from, and closures' contexts were retained and
/// released on each copy (callgrind: 94 of a sliced `nd[1:3]`'s instructions).
@safe public struct RawAllocator: Sendable {
    /// Returns `byteCount` bytes (zero-filled when asked), aligned for any element type, or nil.
    public let allocate: @convention(c) (_ byteCount: Int, _ zeroed: Bool) -> UnsafeMutableRawPointer?
    public let deallocate: @convention(c) (UnsafeMutableRawPointer) -> Void

    public init(allocate: @convention(c) (_ byteCount: Int, _ zeroed: Bool) -> UnsafeMutableRawPointer?,
                deallocate: @convention(c) (UnsafeMutableRawPointer) -> Void) {
        unsafe self.allocate = unsafe allocate
        unsafe self.deallocate = unsafe deallocate
    }

    /// Swift's allocator, which traps when memory runs out.
    public static let swift = unsafe RawAllocator(
        allocate: { count, zeroed in
            let p = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
            if zeroed { unsafe p.initializeMemory(as: UInt8.self, repeating: 0, count: count) }
            return unsafe p
        },
        deallocate: { unsafe $0.deallocate() })

    /// `count` bytes, at least one so the pointer is never NULL for empty data, or MemoryError.
    @usableFromInline
    func bytes(_ count: Int, zeroed: Bool) throws(SwiftBufferError) -> UnsafeMutableRawPointer {
        guard let p = unsafe allocate(max(count, 1), zeroed) else { throw .noMemory }
        return unsafe p
    }
}
