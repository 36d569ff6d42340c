// MARK: - Assignment (equiv_structure, copy_single, copy_base; the copy is Layout's)

extension MemoryView {
    /// Why `source` cannot be assigned to the 1-d `destination` (`equiv_structure`), or nil:
    /// the formats must be the same once a leading `@` is dropped, and so must the shapes.
    /// CPython words both failures alike. A fixed message, so the slot raises it from the
    /// literal with no String made (`m[:] = o` refused for its format: 1.19x the builtin's
    /// time, wall-clock, while the String's conversions ran).
    @inlinable @inline(__always)
    public static func assignmentRefusal(_ source: BufferDescriptor, to destination: BufferDescriptor) -> SwiftBufferError.Fixed? {
        Layout.sameStructure(destination, source, formats: .ignoringNativePrefix)
            ? nil : SwiftBufferError.Fixed(valueError: "memoryview assignment: lvalue and rvalue have different structures")
    }

    /// How many scratch bytes `assign` needs once `assignmentRefusal` found nothing (0 when both
    /// sides are contiguous runs or empty), for the caller to allocate as it sees fit.
    @inlinable @inline(__always)
    public static func assignmentScratchBytes(_ source: BufferDescriptor, to destination: BufferDescriptor) throws(SwiftBufferError) -> Int {
        try Layout.copyScratchBytes(from: source, to: destination) ?? 0
    }

    /// Copies the elements of `source` into the 1-d `destination` (`copy_single`), after
    /// `assignmentRefusal`, with `scratch` of the size it asked for (nil for 0). Overlapping
    /// memory is handled: contiguous runs move with `memmove`, anything else goes through the
    /// scratch row.
    @inlinable @inline(__always)
    public static func assign(_ source: BufferDescriptor, to destination: BufferDescriptor, scratch: UnsafeMutableRawPointer?) {
        unsafe Layout.copy(from: source, to: destination, scratch: scratch)
    }
}
