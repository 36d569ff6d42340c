// Ownership rules, written once.
//
// An *exporter* owns memory and a layout (swiftbuf.Buffer, swiftbuf.testing.ndarray, a
// MemoryView re-exporting what it holds). Every successful request it answers is one *export*:
// the exporter counts it, the consumer's Py_buffer holds a strong reference to the exporter
// (`view.obj`), and the consumer gives it back exactly once (`PyBuffer_Release`). While the
// count is above zero the exporter refuses anything that would move or free the memory
// (resize, release) with BufferError, as bytearray and memoryview do.
//
// A *consumer* that keeps an export (MemoryView) holds it under the `ManagedExport` rules: the
// Swift counterpart of memoryobject.c's managed buffer. All views sliced or cast from one export
// share that envelope; it gives the export back exactly once, when the last registered view is
// released or deallocated, or when the envelope's owner ends or is cleared.
//
// Exports are answered by one function, `ExportRules.answer`, for every exporter: the complete
// layout is computed once at construction (shape, strides and format stored once per object),
// and a request only chooses which fields to hand out. Nothing is allocated per export.

/// Which CPython exporter's words a refusal uses. The text is built only when a request fails,
/// so the success path touches no strings.
public enum ExporterVoice: Sendable {
    /// `memory_getbuf` in memoryobject.c.
    case memoryview
    /// `ndarray_getbuf` in _testbuffer.c.
    case ndarray
    /// swiftbuf.Buffer, worded like the ndarray.
    case buffer

    public enum Refusal: Sendable {
        case notWritable, notCContiguous, notFortranContiguous, notContiguous, needsSuboffsets, formatWithoutShape
    }

    public func message(_ refusal: Refusal) -> String {
        let subject: String
        switch self {
        case .memoryview:
            switch refusal {
            case .notWritable: return "memoryview: underlying buffer is not writable"
            case .notCContiguous: return "memoryview: underlying buffer is not C-contiguous"
            case .notFortranContiguous: return "memoryview: underlying buffer is not Fortran contiguous"
            case .notContiguous: return "memoryview: underlying buffer is not contiguous"
            case .needsSuboffsets: return "memoryview: underlying buffer requires suboffsets"
            case .formatWithoutShape: return "memoryview: cannot cast to unsigned bytes if the format flag is present"
            }
        case .ndarray: subject = "ndarray"
        case .buffer: subject = "swiftbuf.Buffer"
        }
        switch refusal {
        case .notWritable: return "\(subject) is not writable"
        case .notCContiguous: return "\(subject) is not C-contiguous"
        case .notFortranContiguous: return "\(subject) is not Fortran contiguous"
        case .notContiguous: return "\(subject) is not contiguous"
        case .needsSuboffsets: return "\(subject) cannot be represented without suboffsets"
        case .formatWithoutShape: return "\(subject): cannot cast to unsigned bytes if the format flag is present"
        }
    }

    /// The BufferError of `refusal`, in this exporter's words.
    @inline(never)
    public func refuse(_ refusal: Refusal) -> SwiftBufferError { .bufferError(message(refusal)) }
}

public enum ExportRules {
    /// Answers `request` from an exporter whose complete layout is `base`: the descriptor to hand
    /// to the consumer, or the BufferError CPython's exporters raise for it.
    ///
    /// `memory_getbuf` and `ndarray_getbuf` apply these rules in this order; fields the consumer
    /// did not ask for are withheld (NULL format means `"B"`, NULL strides C order, NULL shape
    /// one dimension of `len` bytes). It is `refusal(of:readonly:contiguity:)`, then
    /// `granted(_:base:)`: a slot that raises instead of throwing calls the two itself.
    @inlinable @inline(__always)
    public static func answer(_ request: BufferRequest, base: BufferDescriptor, contiguity: Contiguity,
                              voice: ExporterVoice) throws(SwiftBufferError) -> BufferDescriptor {
        if let refusal = refusal(of: request, readonly: base.readonly, contiguity: contiguity) {
            throw voice.refuse(refusal)
        }
        return granted(request, base: base)
    }

    /// Why an exporter that is `readonly` or not, with `contiguity`, refuses `request`, in
    /// `memory_getbuf`'s order of checks; nil when it answers.
    @inlinable @inline(__always)
    public static func refusal(of request: BufferRequest, readonly: Bool, contiguity: Contiguity) -> ExporterVoice.Refusal? {
        if request.asksWritable && readonly { return .notWritable }
        if request.asksCContiguous && !contiguity.contains(.c) { return .notCContiguous }
        if request.asksFContiguous && !contiguity.contains(.fortran) { return .notFortranContiguous }
        if request.asksAnyContiguous && !contiguity.isAnyContiguous { return .notContiguous }
        if !request.asksIndirect && contiguity.contains(.pil) { return .needsSuboffsets }
        if !request.asksStrides && !contiguity.contains(.c) { return .notCContiguous }
        // The format is handed out exactly when it is asked for (nil becomes "B").
        if !request.asksShape && request.asksFormat { return .formatWithoutShape }
        return nil
    }

    /// The fields of `base` handed out for a request `refusal(of:readonly:contiguity:)` accepts.
    @inlinable @inline(__always)
    public static func granted(_ request: BufferRequest, base: BufferDescriptor) -> BufferDescriptor {
        var view = base
        if request.asksFormat {
            if unsafe view.format == nil { unsafe view.format = unsafe Layout.unsignedByteCString }
        } else {
            unsafe view.format = nil
        }
        if !request.asksStrides { unsafe view.strides = nil }
        if !request.asksShape {
            view.ndim = 1
            unsafe view.shape = nil
        }
        return view
    }
}

/// Live exports of one exporter, and the refusal of anything that would move the memory.
@frozen
public struct ExportCount: Sendable {
    /// Live exports; change it only through `opened`/`closed`.
    public var live: Int = 0
    @inlinable public init() {}
    @inlinable public mutating func opened() { live &+= 1 }
    @inlinable public mutating func closed() { live &-= 1 }

    /// Throws BufferError with `message` while any export is live.
    @inlinable
    public func requireNone(_ message: @autoclosure () -> String) throws(SwiftBufferError) {
        if live > 0 { throw .bufferError(message()) }
    }
}

/// The envelope shared by every view made from one export (memoryobject.c's managed buffer):
/// the rules, written once, over state its owner keeps in stable storage of its own. The
/// bridge keeps the state inside the managed-buffer Python object, next to the export's
/// Py_buffer, as `_PyManagedBufferObject` keeps `flags`, `exports` and `master`: making a view
/// allocates nothing for the envelope (a Swift object and a heap Py_buffer per construction
/// made swiftbuf.MemoryView(b) 1.57x the builtin).
///
/// The export is given back exactly once: when the last registered view is unregistered, or
/// by `releaseExport()` (the garbage collector breaking a cycle, the owner's end, whichever
/// comes first). The owner calls `releaseExport()` when its storage ends.
///
/// Conformers are handles (a pointer to the storage): the setters are `nonmutating`, so the
/// rules run on a borrowed handle without exclusivity bookkeeping.
public protocol ManagedExport {
    /// Views registered that have not been released yet (`exports` in memoryobject.c).
    var views: Int { get nonmutating set }
    /// Whether the export was given back.
    var isReleased: Bool { get nonmutating set }
    /// Gives the export back to its exporter. Only the rules below call it, exactly once,
    /// after `isReleased` became true (so code it runs sees a released envelope).
    func giveBackExport()
}

extension ManagedExport {
    @inlinable @inline(__always)
    public func register() { views &+= 1 }

    /// A view is done with the export; the last one gives it back (`--mbuf->exports == 0`).
    @inlinable @inline(__always)
    public func unregister() {
        views &-= 1
        if views == 0 { releaseExport() }
    }

    /// Gives the export back now, once; later calls do nothing (`mbuf_release`).
    @inlinable @inline(__always)
    public func releaseExport() {
        if isReleased { return }
        isReleased = true
        giveBackExport()
    }
}
