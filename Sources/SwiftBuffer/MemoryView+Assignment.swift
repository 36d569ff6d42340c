// MARK: - Assignment (equiv_structure, copy_single, copy_base; the copy is Layout's)

extension MemoryView {
    /// Checks that `source` can be assigned to the 1-d `destination` (`equiv_structure`):
    /// the same format once a leading `@` is dropped, and the same shape. Returns how many
    /// scratch bytes `assign` needs (0 when both sides are contiguous runs or empty), for the
    /// caller to allocate as it sees fit.
    @inlinable
    public static func checkAssignment(_ source: BufferDescriptor, to destination: BufferDescriptor) throws(SwiftBufferError) -> Int {
        guard Layout.sameStructure(destination, source, formats: .ignoringNativePrefix) else {
            throw .valueError("memoryview assignment: lvalue and rvalue have different structures")
        }
        return try Layout.copyScratchBytes(from: source, to: destination) ?? 0
    }

    /// Copies the elements of `source` into the 1-d `destination` (`copy_single`), after
    /// `checkAssignment`, with `scratch` of the size it asked for (nil for 0). Overlapping
    /// memory is handled: contiguous runs move with `memmove`, anything else goes through the
    /// scratch row.
    @inlinable
    public static func assign(_ source: BufferDescriptor, to destination: BufferDescriptor, scratch: UnsafeMutableRawPointer?) {
        unsafe Layout.copy(from: source, to: destination, scratch: scratch)
    }
}
