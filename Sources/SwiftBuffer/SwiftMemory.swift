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
public final class SwiftMemory {
    /// Who frees the memory when the last reference goes away.
    enum Owner {
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
    private var owner: Owner
    // shape[ndim], strides[ndim], format bytes + NUL; one allocation.
    private var layoutStorage: UnsafeMutableRawPointer
    private let formatLength: Int

    /// Zero-filled memory of `shape` elements of `format`, in C or Fortran order.
    public convenience init(zeroedShape shape: [Int], format: [UInt8], order: Layout.Order = .c, readonly: Bool = false,
                            allocator: RawAllocator = .swift) throws(SwiftBufferError) {
        let itemsize = try SwiftMemory.itemsize(of: format)
        let count = try Layout.byteCount(shape: shape, itemsize: itemsize)
        let memory = try allocator.bytes(count, zeroed: true)
        self.init(base: unsafe memory, byteCount: count, itemsize: itemsize, format: format, shape: shape,
                  strides: Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: order),
                  readonly: readonly, owner: .allocation(allocator))
    }

    /// A copy of `bytes`, laid out in `order`, seen as `shape` elements of `format`
    /// (`shape == nil`: one dimension of `bytes.count / itemsize`).
    public convenience init(copying bytes: UnsafeRawBufferPointer, format: [UInt8], shape: [Int]?, order: Layout.Order = .c,
                            readonly: Bool = false, allocator: RawAllocator = .swift) throws(SwiftBufferError) {
        let itemsize = try SwiftMemory.itemsize(of: format)
        let resolved: [Int]
        if let shape = shape {
            resolved = shape
            let need = try Layout.byteCount(shape: shape, itemsize: itemsize)
            if need != bytes.count {
                throw .valueError("data length \(bytes.count) does not match shape \(SwiftMemory.describe(shape)) × itemsize \(itemsize) = \(need) bytes")
            }
        } else {
            if itemsize == 0 || bytes.count % itemsize != 0 {
                throw .valueError("data length \(bytes.count) is not a multiple of itemsize \(itemsize)")
            }
            resolved = [bytes.count / itemsize]
        }
        let memory = try allocator.bytes(bytes.count, zeroed: false)
        if let source = bytes.baseAddress, bytes.count > 0 {
            unsafe memory.copyMemory(from: source, byteCount: bytes.count)
        }
        self.init(base: unsafe memory, byteCount: bytes.count, itemsize: itemsize, format: format, shape: resolved,
                  strides: Layout.contiguousStrides(shape: resolved, itemsize: itemsize, order: order),
                  readonly: readonly, owner: .allocation(allocator))
    }

    /// The storage of `array`, without a copy: the memory lives until the last Python view
    /// and this object are gone. `shape` defaults to one dimension of `array.count`.
    public convenience init<Element: BufferElement>(array: consuming [Element], shape: [Int]? = nil, order: Layout.Order = .c, readonly: Bool = false) throws(SwiftBufferError) {
        let shape = shape ?? [array.count]
        let itemsize = MemoryLayout<Element>.stride
        let need = try Layout.byteCount(shape: shape, itemsize: itemsize)
        if need != array.count * itemsize {
            throw .valueError("shape \(SwiftMemory.describe(shape)) needs \(need / itemsize) elements, the array has \(array.count)")
        }
        let box = ArrayBox(consume array)
        self.init(base: unsafe box.base, byteCount: need, itemsize: itemsize, format: [Element.formatCode], shape: shape,
                  strides: Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: order),
                  readonly: readonly, owner: .keeper(box))
    }

    /// Memory the caller allocated, described by `shape`/`strides` (nil strides: C order), freed
    /// by `deallocator` once neither Swift nor Python can reach it. A layout that would address
    /// bytes outside `byteCount` is refused with ValueError.
    public convenience init(unsafePointer pointer: UnsafeMutableRawPointer, byteCount: Int, format: [UInt8], shape: [Int],
                            strides: [Int]? = nil, readonly: Bool = false,
                            deallocator: @escaping (UnsafeMutableRawPointer) -> Void) throws(SwiftBufferError) {
        precondition(strides == nil || strides!.count == shape.count, "one stride per dimension")
        precondition(byteCount >= 0, "negative byteCount")
        let itemsize = try SwiftMemory.itemsize(of: format)
        let need = try Layout.byteCount(shape: shape, itemsize: itemsize)
        let strides = strides ?? Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: .c)
        // Python must never reach outside the allocation: the bounds are checked once here, by
        // _testbuffer's rule. `base` is both the first element and the allocation start, so
        // negative strides would step before the allocation.
        if strides.contains(where: { $0 < 0 }) {
            throw .valueError("strides of exported Swift memory must not be negative")
        }
        if need > 0, let problem = Layout.verifyStructure(memoryLength: byteCount, itemsize: itemsize, offset: 0,
                                                           shape: shape, strides: strides) {
            throw .valueError(problem)
        }
        self.init(base: pointer, byteCount: need, itemsize: itemsize, format: format, shape: shape,
                  strides: strides, readonly: readonly, owner: .deallocator(deallocator))
    }

    private init(base: UnsafeMutableRawPointer, byteCount: Int, itemsize: Int, format: [UInt8], shape: [Int],
                 strides: [Int], readonly: Bool, owner: Owner) {
        self.itemsize = itemsize
        self.readonly = readonly
        self.owner = owner
        self.formatLength = format.count
        let storage = unsafe SwiftMemory.makeLayoutStorage(shape: shape, strides: strides, format: format)
        self.layoutStorage = unsafe storage
        self.state = UnsafeMutablePointer<ExportState>.allocate(capacity: 1)
        let descriptor = unsafe SwiftMemory.describe(base: base, byteCount: byteCount, itemsize: itemsize, readonly: readonly,
                                                      ndim: shape.count, storage: storage)
        unsafe state.initialize(to: ExportState(descriptor: descriptor, contiguity: Contiguity(of: descriptor), exports: ExportCount()))
    }

    deinit {
        let memory = unsafe base
        switch owner {
        case .allocation(let allocator): unsafe allocator.deallocate(memory)
        case .keeper: break
        case .deallocator(let free): unsafe free(memory)
        }
        unsafe layoutStorage.deallocate()
        unsafe state.deinitialize(count: 1)
        unsafe state.deallocate()
    }

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

    /// Gives the memory a new C-order shape of the same format, keeping the leading bytes and
    /// zero-filling the rest, as `bytearray` resizing does. Refused while Python views are live.
    public func resize(shape newShape: [Int]) throws(SwiftBufferError) {
        try exports.requireNone("Existing exports of data: object cannot be re-sized")
        guard case .allocation(let allocator) = owner else {
            throw .bufferError("swiftbuf.Buffer: memory not allocated by swiftbuf cannot be re-sized")
        }
        let count = try Layout.byteCount(shape: newShape, itemsize: itemsize)
        let memory = try allocator.bytes(count, zeroed: false)
        let kept = min(count, byteCount)
        unsafe memory.copyMemory(from: base, byteCount: kept)
        unsafe (memory + kept).initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1) - kept)
        let format = self.format
        unsafe allocator.deallocate(base)
        unsafe layoutStorage.deallocate()
        layoutStorage = unsafe SwiftMemory.makeLayoutStorage(
            shape: newShape, strides: Layout.contiguousStrides(shape: newShape, itemsize: itemsize, order: .c), format: format)
        let descriptor = unsafe SwiftMemory.describe(base: memory, byteCount: count, itemsize: itemsize, readonly: readonly,
                                                      ndim: newShape.count, storage: layoutStorage)
        unsafe state.pointee.descriptor = descriptor
        unsafe state.pointee.contiguity = Contiguity(of: descriptor)
    }

    /// Gives Swift code the bytes while it holds no other claim; Python may hold views.
    public func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try unsafe body(UnsafeMutableRawBufferPointer(start: base, count: byteCount))
    }

    /// The itemsize of an element format for Swift-owned memory: `struct.calcsize`, and not 0.
    public static func itemsize(of format: [UInt8]) throws(SwiftBufferError) -> Int {
        let quoted = SwiftBufferError.pythonRepr(format)
        let parsed: StructFormat
        do { parsed = try StructFormat(parsing: format) } catch {
            throw .valueError("invalid format \(quoted): \(error.message)")
        }
        if parsed.itemsize == 0 { throw .valueError("format \(quoted) has itemsize 0") }
        return parsed.itemsize
    }

    static func describe(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    private static func makeLayoutStorage(shape: [Int], strides: [Int], format: [UInt8]) -> UnsafeMutableRawPointer {
        let ints = 2 * shape.count * MemoryLayout<Int>.stride
        let storage = UnsafeMutableRawPointer.allocate(byteCount: ints + format.count + 1, alignment: MemoryLayout<Int>.alignment)
        let intPointer = unsafe storage.assumingMemoryBound(to: Int.self)
        for (i, v) in shape.enumerated() { unsafe (intPointer + i).initialize(to: v) }
        for (i, v) in strides.enumerated() { unsafe (intPointer + shape.count + i).initialize(to: v) }
        let bytes = unsafe (storage + ints).assumingMemoryBound(to: UInt8.self)
        for (i, v) in format.enumerated() { unsafe (bytes + i).initialize(to: v) }
        unsafe (bytes + format.count).initialize(to: 0)
        return unsafe storage
    }
}

/// Sole owner of an exported Swift array.
final class ArrayBox<Element> {
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
        let pointer = self.array.withUnsafeMutableBufferPointer { unsafe UnsafeMutableRawPointer($0.baseAddress) }
        self.base = unsafe pointer ?? UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
    }
}
