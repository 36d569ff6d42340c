#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A Swift value type that can be exported element by element, with its `struct` format code.
/// Conforming a type is the whole mapping from Swift types to buffer formats.
public protocol BufferElement: BitwiseCopyable {
    /// The native `struct` code of this type (`"d"` for Double).
    static var formatCode: UInt8 { get }
}
extension Int8: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "b") } }
extension UInt8: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "B") } }
extension Int16: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "h") } }
extension UInt16: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "H") } }
extension Int32: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "i") } }
extension UInt32: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "I") } }
extension Int64: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "q") } }
extension UInt64: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "Q") } }
// C long is Swift's Int on every 64-bit platform Swift supports; NumPy reads 'l' as its default int.
extension Int: BufferElement { public static var formatCode: UInt8 { MemoryLayout<Int>.size == MemoryLayout<CLong>.size ? UInt8(ascii: "l") : UInt8(ascii: "n") } }
extension UInt: BufferElement { public static var formatCode: UInt8 { MemoryLayout<UInt>.size == MemoryLayout<CUnsignedLong>.size ? UInt8(ascii: "L") : UInt8(ascii: "N") } }
extension Float: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "f") } }
extension Double: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "d") } }
extension Bool: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "?") } }
#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
@available(macOS 11.0, iOS 14.0, tvOS 14.0, watchOS 7.0, *)
extension Float16: BufferElement { public static var formatCode: UInt8 { UInt8(ascii: "e") } }
#endif

/// Swift-owned memory with one fixed layout: the storage behind `swiftbuf.Buffer` and behind
/// every Swift array or raw pointer handed to Python.
///
/// The layout (shape, strides, NUL-terminated format) lives in one allocation made at
/// construction, so an export only copies pointers. `exports` counts the live Python views;
/// `resize` refuses while any is live, so the memory never moves under a consumer.
@safe public final class SwiftMemory {
    /// Who frees the memory when the last reference goes away.
    @safe enum Owner {
        case allocation(RawAllocator)            // allocated here
        case keeper(AnyObject)                   // kept alive by another object (an array box)
        case deallocator((UnsafeMutableRawPointer) -> Void)
    }

    /// What an export reads and writes, in memory that never moves. Going through this pointer
    /// (a `let`) keeps Swift's dynamic exclusivity checks off the export path: with the fields
    /// as stored class properties, `swift_beginAccess` cost more instructions per export than
    /// everything else in it.
    @frozen
    public struct ExportState {
        public var descriptor: BufferDescriptor
        public var contiguity: Contiguity
        public var exports: ExportCount
    }
    @usableFromInline let state: UnsafeMutablePointer<ExportState>

    public let itemsize: Int
    public let readonly: Bool
    /// The order the memory was laid out in (`.c` or `.fortran`): what `resize` keeps and what
    /// pickling records. A layout contiguous both ways (one row, one column) keeps the order it
    /// was made with; a raw export with strides of its own is `.fortran` only when its layout is
    /// Fortran- and not C-contiguous.
    public let order: Layout.Order
    private var owner: Owner
    // shape[ndim], strides[ndim], format bytes + NUL: in the block `state` starts, right after
    // the state, unless a resize needed more room than the block has (`layoutCapacity`); then
    // in an allocation of its own. Every `allocate` of the standard library goes through
    // posix_memalign: two allocations per Buffer were ~190 of `Buffer(16)`'s instructions more
    // than one.
    private var layoutStorage: UnsafeMutableRawPointer
    private let layoutCapacity: Int
    private let formatLength: Int

    /// Zero-filled memory of `shape` elements of `format`, in C or Fortran order.
    public convenience init(zeroedShape shape: [Int], format: [UInt8], order: Layout.Order = .c, readonly: Bool = false,
                            allocator: RawAllocator = .swift) throws(SwiftBufferError) {
        try self.init(zeroing: shape, format: format, order: order, readonly: readonly, allocator: allocator)
    }

    /// The same over the caller's arrays, read in place (the bridge's `Buffer(shape, format)`
    /// reads both from Python into the stack: arrays of them, with the strides', were about a
    /// third of a small Buffer's construction).
    package convenience init(zeroedShape shape: UnsafeBufferPointer<Int>, format: UnsafeBufferPointer<UInt8>,
                             order: Layout.Order, readonly: Bool, allocator: RawAllocator) throws(SwiftBufferError) {
        try unsafe self.init(zeroing: shape, format: format, order: order, readonly: readonly, allocator: allocator)
    }

    private convenience init(zeroing shape: some Collection<Int>, format: some Collection<UInt8>, order: Layout.Order,
                             readonly: Bool, allocator: RawAllocator) throws(SwiftBufferError) {
        let itemsize = try SwiftMemory.itemsize(of: format)
        let count = try SwiftMemory.validatedByteCount(shape: shape, format: format, itemsize: itemsize)
        let memory = unsafe try SwiftMemory.allocate(count, zeroed: true, shape: shape, format: format, allocator: allocator)
        unsafe self.init(base: unsafe memory, byteCount: count, itemsize: itemsize, format: format, shape: shape,
                         contiguousIn: order, readonly: readonly, owner: .allocation(allocator))
    }

    /// A copy of `bytes`, laid out in `order`, seen as `shape` elements of `format`
    /// (`shape == nil`: one dimension of `bytes.count / itemsize`).
    public convenience init(copying bytes: UnsafeRawBufferPointer, format: [UInt8], shape: [Int]?, order: Layout.Order = .c,
                            readonly: Bool = false, allocator: RawAllocator = .swift) throws(SwiftBufferError) {
        try unsafe self.init(copyingBytes: bytes, format: format, shape: shape, order: order, readonly: readonly, allocator: allocator)
    }

    /// The same over the caller's format and shape, read in place (`Buffer.frombytes`, unpickling).
    package convenience init(copying bytes: UnsafeRawBufferPointer, format: UnsafeBufferPointer<UInt8>,
                             shape: UnsafeBufferPointer<Int>?, order: Layout.Order, readonly: Bool,
                             allocator: RawAllocator) throws(SwiftBufferError) {
        try unsafe self.init(copyingBytes: bytes, format: format, shape: shape, order: order, readonly: readonly, allocator: allocator)
    }

    /// The checks of both, then the copy: `shape == nil` is one dimension of `bytes.count / itemsize`.
    private convenience init<Shape: Collection<Int>>(copyingBytes bytes: UnsafeRawBufferPointer, format: some Collection<UInt8>,
                                                     shape: Shape?, order: Layout.Order, readonly: Bool,
                                                     allocator: RawAllocator) throws(SwiftBufferError) {
        let itemsize = try SwiftMemory.itemsize(of: format)
        guard let shape else {
            if itemsize == 0 || bytes.count % itemsize != 0 {
                throw .valueError("data length \(bytes.count) is not a multiple of itemsize \(itemsize)")
            }
            try unsafe self.init(copyingBytes: bytes, format: format, itemsize: itemsize, shape: CollectionOfOne(bytes.count / itemsize),
                                 order: order, readonly: readonly, allocator: allocator)
            return
        }
        let need = try SwiftMemory.validatedByteCount(shape: shape, format: format, itemsize: itemsize)
        if need != bytes.count {
            throw .valueError("data length \(bytes.count) does not match shape \(SwiftMemory.describe(Array(shape))) × itemsize \(itemsize) = \(need) bytes")
        }
        try unsafe self.init(copyingBytes: bytes, format: format, itemsize: itemsize, shape: shape, order: order, readonly: readonly,
                             allocator: allocator)
    }

    /// The copy itself, of a checked `shape` (inlined into both of the caller's paths: a call
    /// of its own cost `frombytes` 1% more than the branches it replaced).
    @inline(__always)
    private convenience init(copyingBytes bytes: UnsafeRawBufferPointer, format: some Collection<UInt8>, itemsize: Int,
                             shape: some Collection<Int>, order: Layout.Order, readonly: Bool,
                             allocator: RawAllocator) throws(SwiftBufferError) {
        let memory = unsafe try SwiftMemory.allocate(bytes.count, zeroed: false, shape: shape, format: format, allocator: allocator)
        if let source = bytes.baseAddress, bytes.count > 0 {
            unsafe memory.copyMemory(from: source, byteCount: bytes.count)
        }
        unsafe self.init(base: unsafe memory, byteCount: bytes.count, itemsize: itemsize, format: format, shape: shape,
                         contiguousIn: order, readonly: readonly, owner: .allocation(allocator))
    }

    /// The storage of `array`, without a copy: the memory lives until the last Python view
    /// and this object are gone. `shape` defaults to one dimension of `array.count`.
    public convenience init<Element: BufferElement>(array: consuming [Element], shape: [Int]? = nil, order: Layout.Order = .c, readonly: Bool = false) throws(SwiftBufferError) {
        let shape = shape ?? [array.count]
        let itemsize = MemoryLayout<Element>.stride
        let need = try SwiftMemory.validatedByteCount(shape: shape, format: CollectionOfOne(Element.formatCode), itemsize: itemsize)
        if need != array.count * itemsize {
            throw .valueError("shape \(SwiftMemory.describe(shape)) needs \(need / itemsize) elements, the array has \(array.count)")
        }
        let box = ArrayBox(consume array)
        unsafe self.init(base: unsafe box.base, byteCount: need, itemsize: itemsize, format: CollectionOfOne(Element.formatCode),
                         shape: shape, contiguousIn: order, readonly: readonly, owner: .keeper(box))
    }

    /// Memory the caller allocated, described by `shape`/`strides` (nil strides: C order), freed
    /// by `deallocator` once neither Swift nor Python can reach it. A layout that would address
    /// bytes outside `byteCount` is refused with ValueError.
    public convenience init(unsafePointer pointer: UnsafeMutableRawPointer, byteCount: Int, format: [UInt8], shape: [Int],
                            strides: [Int]? = nil, readonly: Bool = false,
                            deallocator: @escaping (UnsafeMutableRawPointer) -> Void) throws(SwiftBufferError) {
        precondition(strides == nil || strides!.count == shape.count, "one stride per dimension")
        let resolved: [Int]
        if let strides { resolved = strides } else {
            resolved = Layout.contiguousStrides(shape: shape, itemsize: try SwiftMemory.itemsize(of: format), order: .c)
        }
        try unsafe self.init(checking: pointer, byteCount: byteCount, format: format, shape: shape, strides: resolved,
                             readonly: readonly, deallocator: deallocator)
    }

    /// The same over the caller's own arrays, read in place: the C API's `export_memory` (and
    /// so `PythonBuffer.export`) hands in C arrays, and copying them into three Swift arrays
    /// made and freed per export was about 45% of its instructions.
    package convenience init(unsafePointer pointer: UnsafeMutableRawPointer, byteCount: Int,
                             format: UnsafeBufferPointer<UInt8>, shape: UnsafeBufferPointer<Int>,
                             strides: UnsafeBufferPointer<Int>, readonly: Bool,
                             deallocator: @escaping (UnsafeMutableRawPointer) -> Void) throws(SwiftBufferError) {
        precondition(strides.count == shape.count, "one stride per dimension")
        try unsafe self.init(checking: pointer, byteCount: byteCount, format: format, shape: shape, strides: strides,
                             readonly: readonly, deallocator: deallocator)
    }

    /// The checks of both: the format, the shape's byte count, and the strides against the
    /// memory, by _testbuffer's rule, once; Python must never reach outside the allocation.
    private convenience init(checking pointer: UnsafeMutableRawPointer, byteCount: Int, format: some Collection<UInt8>,
                             shape: some Collection<Int>, strides: some Collection<Int>, readonly: Bool,
                             deallocator: @escaping (UnsafeMutableRawPointer) -> Void) throws(SwiftBufferError) {
        precondition(byteCount >= 0, "negative byteCount")
        let itemsize = try SwiftMemory.itemsize(of: format)
        let need = try SwiftMemory.validatedByteCount(shape: shape, format: format, itemsize: itemsize)
        // `base` is both the first element and the allocation start, so negative strides would
        // step before the allocation.
        if strides.contains(where: { $0 < 0 }) {
            throw .valueError("strides of exported Swift memory must not be negative")
        }
        if need > 0, let problem = Layout.verifyStructure(memoryLength: byteCount, itemsize: itemsize, offset: 0,
                                                           shape: shape, strides: strides) {
            throw .valueError(problem)
        }
        unsafe self.init(base: pointer, byteCount: need, itemsize: itemsize, format: format, shape: shape,
                         strides: strides, readonly: readonly, order: nil, owner: .deallocator(deallocator))
    }

    /// Memory contiguous in `order`, its strides written straight into the layout storage.
    private convenience init(base: UnsafeMutableRawPointer, byteCount: Int, itemsize: Int, format: some Collection<UInt8>,
                             shape: some Collection<Int>, contiguousIn order: Layout.Order, readonly: Bool, owner: Owner) {
        unsafe self.init(base: base, byteCount: byteCount, itemsize: itemsize, format: format, shape: shape,
                         strides: nil as [Int]?, readonly: readonly, order: order, owner: owner)
    }

    /// `strides == nil`: contiguous in `order` (C when nil); `order == nil`: the layout's own
    /// (Fortran only when Fortran- and not C-contiguous).
    private init<Strides: Collection<Int>>(base: UnsafeMutableRawPointer, byteCount: Int, itemsize: Int, format: some Collection<UInt8>,
                                           shape: some Collection<Int>, strides: Strides?, readonly: Bool, order: Layout.Order?,
                                           owner: Owner) {
        self.itemsize = itemsize
        self.readonly = readonly
        self.owner = owner
        self.formatLength = format.count
        let layoutBytes = SwiftMemory.layoutByteCount(ndim: shape.count, formatLength: format.count)
        let block = UnsafeMutableRawPointer.allocate(byteCount: SwiftMemory.layoutOffset + layoutBytes,
                                                     alignment: MemoryLayout<ExportState>.alignment)
        unsafe self.state = unsafe block.bindMemory(to: ExportState.self, capacity: 1)
        let storage = unsafe block + SwiftMemory.layoutOffset
        unsafe SwiftMemory.writeLayout(into: storage, shape: shape, strides: strides, itemsize: itemsize, order: order ?? .c, format: format)
        unsafe self.layoutStorage = unsafe storage
        self.layoutCapacity = layoutBytes
        let descriptor = unsafe SwiftMemory.describe(base: base, byteCount: byteCount, itemsize: itemsize, readonly: readonly,
                                                      ndim: shape.count, storage: storage)
        let contiguity = Contiguity(of: descriptor)
        unsafe state.initialize(to: ExportState(descriptor: descriptor, contiguity: contiguity, exports: ExportCount()))
        self.order = order ?? (contiguity.contains(.fortran) && !contiguity.contains(.c) ? .fortran : .c)
    }

    deinit {
        let memory = unsafe base
        switch owner {
        case .allocation(let allocator): unsafe allocator.deallocate(memory)
        case .keeper: break
        case .deallocator(let free): unsafe free(memory)
        }
        if !layoutIsInline { unsafe layoutStorage.deallocate() }
        unsafe state.deinitialize(count: 1)
        unsafe UnsafeMutableRawPointer(state).deallocate()
    }

    /// Where the layout starts in the block after the state.
    private static var layoutOffset: Int {
        (MemoryLayout<ExportState>.stride + MemoryLayout<Int>.alignment - 1) & ~(MemoryLayout<Int>.alignment - 1)
    }

    private static func layoutByteCount(ndim: Int, formatLength: Int) -> Int {
        2 * ndim * MemoryLayout<Int>.stride + formatLength + 1
    }

    private var layoutIsInline: Bool { unsafe layoutStorage == UnsafeMutableRawPointer(state) + SwiftMemory.layoutOffset }

    /// The complete layout, pointing into this object's storage.
    @inlinable public var descriptor: BufferDescriptor { unsafe state.pointee.descriptor }
    /// Contiguity of the current layout, computed once per layout.
    @inlinable public var contiguity: Contiguity { unsafe state.pointee.contiguity }
    /// Live Python exports of this memory.
    @inlinable public var exports: ExportCount {
        get { unsafe state.pointee.exports }
        _modify { yield unsafe &state.pointee.exports }
    }
    public var base: UnsafeMutableRawPointer { unsafe descriptor.buf! }
    public var byteCount: Int { descriptor.len }
    public var ndim: Int { descriptor.ndim }

    /// Runs `body`, Python code run while a caller uses a pointer into the memory (an item's
    /// conversion during a store), with an export counted meanwhile: a resize from that code is
    /// refused, so the pointer stays good. The one way to pin Swift-owned memory; the buffer
    /// protocol's getbuffer and releasebuffer open and close exports themselves.
    @inlinable
    public func withPinnedExport<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        exports.opened()
        defer { exports.closed() }
        return try body()
    }

    var shapePointer: UnsafeMutablePointer<Int> { unsafe descriptor.shape! }
    var stridesPointer: UnsafeMutablePointer<Int> { unsafe descriptor.strides! }
    var formatPointer: UnsafePointer<CChar> { unsafe descriptor.format! }

    private static func describe(base: UnsafeMutableRawPointer, byteCount: Int, itemsize: Int, readonly: Bool, ndim: Int,
                                 storage: UnsafeMutableRawPointer) -> BufferDescriptor {
        let ints = unsafe storage.assumingMemoryBound(to: Int.self)
        let format = unsafe UnsafePointer((storage + 2 * ndim * MemoryLayout<Int>.stride).assumingMemoryBound(to: CChar.self))
        // A scalar (ndim 0) exports NULL shape and strides, as _testbuffer and NumPy do: consumers
        // such as _testbuffer's tolist() take "shape != NULL, strides == NULL" to mean ndim >= 1
        // and write strides[-1] otherwise (heap corruption, seen as "free(): invalid size").
        return unsafe BufferDescriptor(buf: base, len: byteCount, itemsize: itemsize, readonly: readonly, ndim: ndim,
                                       format: format, shape: ndim == 0 ? nil : ints, strides: ndim == 0 ? nil : ints + ndim,
                                       suboffsets: nil)
    }

    public var shape: [Int] { (0..<ndim).map { unsafe shapePointer[$0] } }
    public var strides: [Int] { (0..<ndim).map { unsafe stridesPointer[$0] } }
    public var format: [UInt8] {
        unsafe Array(UnsafeRawBufferPointer(start: formatPointer, count: formatLength))
    }

    /// Gives the memory a new shape of the same format, in the order it was made with (a
    /// Fortran-order Buffer stays Fortran-order, as NumPy's `ndarray.resize` keeps it), keeping
    /// the leading bytes in memory order and zero-filling the rest, as `bytearray` resizing does.
    /// Refused for read-only memory (TypeError) and while Python views are live (BufferError).
    public func resize(shape newShape: [Int]) throws(SwiftBufferError) { try resizing(to: newShape) }

    /// The same over the caller's shape, read in place (`Buffer.resize` reads it into the stack).
    package func resize(shape newShape: UnsafeBufferPointer<Int>) throws(SwiftBufferError) { try unsafe resizing(to: newShape) }

    private func resizing(to newShape: some Collection<Int>) throws(SwiftBufferError) {
        if readonly { throw .typeError("cannot resize a read-only swiftbuf.Buffer") }
        try exports.requireNone("Existing exports of data: object cannot be re-sized")
        guard case .allocation(let allocator) = owner else {
            throw .bufferError("swiftbuf.Buffer: memory not allocated by swiftbuf cannot be re-sized")
        }
        let format = self.format
        let count = try SwiftMemory.validatedByteCount(shape: newShape, format: format, itemsize: itemsize)
        let memory = unsafe try SwiftMemory.allocate(count, zeroed: false, shape: newShape, format: format, allocator: allocator)
        let kept = min(count, byteCount)
        unsafe memory.copyMemory(from: base, byteCount: kept)
        unsafe (memory + kept).initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1) - kept)
        unsafe allocator.deallocate(base)
        // The new layout in the block when it fits, else in storage of its own. No export is
        // live (checked above), so nothing points into the old one.
        if !layoutIsInline { unsafe layoutStorage.deallocate() }
        let layoutBytes = SwiftMemory.layoutByteCount(ndim: newShape.count, formatLength: format.count)
        unsafe layoutStorage = unsafe layoutBytes <= layoutCapacity
            ? UnsafeMutableRawPointer(state) + SwiftMemory.layoutOffset
            : UnsafeMutableRawPointer.allocate(byteCount: layoutBytes, alignment: MemoryLayout<Int>.alignment)
        unsafe SwiftMemory.writeLayout(into: layoutStorage, shape: newShape, strides: nil as [Int]?, itemsize: itemsize, order: order,
                                       format: format)
        let descriptor = unsafe SwiftMemory.describe(base: memory, byteCount: count, itemsize: itemsize, readonly: readonly,
                                                      ndim: newShape.count, storage: layoutStorage)
        unsafe state.pointee.descriptor = descriptor
        unsafe state.pointee.contiguity = Contiguity(of: descriptor)
    }

    /// The order the data is contiguous in, preferring the order the memory was made with
    /// (a (3, 1) Fortran Buffer is both), or nil for a layout of strides of its own that is
    /// neither (a raw export).
    public var contiguousOrder: Layout.Order? {
        if contiguity.contains(order == .fortran ? .fortran : .c) { return order }
        if contiguity.contains(.c) { return .c }
        return contiguity.contains(.fortran) ? .fortran : nil
    }

    /// An independent copy from `allocator`: same format, shape, order and read-only flag; a
    /// layout contiguous in neither order becomes C-contiguous.
    public func copy(allocator: RawAllocator) throws(SwiftBufferError) -> SwiftMemory {
        let order = contiguousOrder ?? .c
        // This layout's own arrays, read in place: they live as long as `self`.
        let shape = unsafe UnsafeBufferPointer(start: descriptor.shape, count: ndim), format = unsafe descriptor.formatBytes
        let memory = unsafe try SwiftMemory.allocate(byteCount, zeroed: false, shape: shape, format: format, allocator: allocator)
        unsafe StridedCopy.gather(descriptor, into: memory, order: order)
        return unsafe SwiftMemory(base: unsafe memory, byteCount: byteCount, itemsize: itemsize, format: format, shape: shape,
                                  contiguousIn: order, readonly: readonly, owner: .allocation(allocator))
    }

    /// Bytes this object keeps alive and frees: the data when swiftbuf allocated it or holds
    /// the only reference to a Swift array, and the layout; not memory a deallocator gives
    /// back to another owner (a raw pointer's, a DLPack producer's), which it cannot size.
    public var ownedByteCount: Int {
        let separate = layoutIsInline ? 0 : SwiftMemory.layoutByteCount(ndim: ndim, formatLength: formatLength)
        let layout = SwiftMemory.layoutOffset + layoutCapacity + separate
        switch owner {
        case .allocation, .keeper: return byteCount + layout
        case .deallocator: return layout
        }
    }

    /// Gives Swift code the bytes while it holds no other claim; Python may hold views.
    public func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try unsafe body(UnsafeMutableRawBufferPointer(start: base, count: byteCount))
    }

    /// The itemsize of an element format for Swift-owned memory: `struct.calcsize`, and not 0.
    public static func itemsize(of format: some Collection<UInt8>) throws(SwiftBufferError) -> Int {
        // One native code ("d", every Swift array's export) needs no parse and no allocation.
        if let native = ElementCodec.Code(format: format) { return native.size }
        let parsed: StructFormat
        do { parsed = try StructFormat(parsing: format) } catch {
            throw .valueError("invalid format \(SwiftBufferError.pythonRepr(format)): \(error.message)")
        }
        if parsed.itemsize == 0 { throw .valueError("format \(SwiftBufferError.pythonRepr(format)) has itemsize 0") }
        return parsed.itemsize
    }

    /// A shape as Python writes a tuple of ints.
    public static func describe(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// Writes shape, strides (`nil`: contiguous in `order`, written in place by the kernel's
    /// `fillContiguousStrides`) and the NUL-terminated format (`layoutByteCount` bytes).
    private static func writeLayout<Strides: Collection<Int>>(into storage: UnsafeMutableRawPointer, shape: some Collection<Int>,
                                                              strides: Strides?, itemsize: Int, order: Layout.Order,
                                                              format: some Collection<UInt8>) {
        let ndim = shape.count
        let ints = 2 * ndim * MemoryLayout<Int>.stride
        let intPointer = unsafe storage.assumingMemoryBound(to: Int.self)
        for (i, v) in shape.enumerated() { unsafe (intPointer + i).initialize(to: v) }
        if let strides {
            for (i, v) in strides.enumerated() { unsafe (intPointer + ndim + i).initialize(to: v) }
        } else {
            unsafe Layout.fillContiguousStrides(shape: intPointer, ndim: ndim, itemsize: itemsize, order: order, into: intPointer + ndim)
        }
        let bytes = unsafe (storage + ints).assumingMemoryBound(to: UInt8.self)
        for (i, v) in format.enumerated() { unsafe (bytes + i).initialize(to: v) }
        unsafe (bytes + format.count).initialize(to: 0)
    }
}

/// Sole owner of an exported Swift array.
@safe final class ArrayBox<Element> {
    var array: [Element]
    let base: UnsafeMutableRawPointer
    init(_ array: consuming [Element]) {
        // `consume`: a plain `self.array = array` keeps the parameter alive to the end of init,
        // so the buffer is referenced twice below and `withUnsafeMutableBufferPointer` copies
        // it (measured: at -O and -Onone the exported address differed from the array's).
        self.array = consume array
        // safe because: this box is the array's only owner after the uniqueness copy that
        // `withUnsafeMutableBufferPointer` makes if needed, and it never changes the array's
        // length, so the native storage stays at this address until the box dies.
        let pointer = unsafe self.array.withUnsafeMutableBufferPointer { UnsafeMutableRawPointer($0.baseAddress) }
        unsafe self.base = unsafe pointer ?? UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
    }
}
