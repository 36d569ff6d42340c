// swiftbuf.testing's plumbing: argument parsing, the objects of the struct module it calls,
// CPython's allocator for sizes that come from Python, and access to ndarray objects.
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython

// MARK: - Argument parsing

/// One C variable a `PyArg_Parse*` format unit fills, holding its default until parsing.
@unsafe enum ArgumentSlot {
    case object(PyObjectRef?)   // "O"
    case ssize(Int)             // "n"
    case int(Int32)             // "i"
}

/// A `char *kwlist[]` for `PyArg_ParseTupleAndKeywords`, alive for the life of the process.
/// (`@unchecked Sendable`: the array is filled at init and never written again.)
@unsafe final class KeywordList: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    init(_ names: [String]) {
        unsafe pointer = .allocate(capacity: names.count + 1)
        for (i, name) in names.enumerated() {
            let utf8 = Array(name.utf8CString)
            let s = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
            unsafe s.initialize(from: utf8, count: utf8.count)
            unsafe pointer[i] = unsafe s
        }
        unsafe pointer[names.count] = nil
    }
}

/// The C variables of one `PyArg_Parse*` call (at most 8), on the stack: make one with the
/// defaults once per function, copy it per call, `parse`, then read the values.
struct ArgumentCells {
    // One 8-byte cell per unit: a PyObject*, a Py_ssize_t, or an int in the cell's first bytes.
    private var cells: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)

    init(_ defaults: ArgumentSlot...) {
        unsafe precondition(defaults.count <= 8, "ArgumentCells: at most 8 format units")
        unsafe withUnsafeMutableBytes(of: &cells) { raw in
            for unsafe (i, slot) in unsafe defaults.enumerated() {
                switch unsafe slot {
                case .object(let o): unsafe raw.storeBytes(of: o, toByteOffset: 8 * i, as: PyObjectRef?.self)
                case .ssize(let n): unsafe raw.storeBytes(of: n, toByteOffset: 8 * i, as: Int.self)
                case .int(let v): unsafe raw.storeBytes(of: v, toByteOffset: 8 * i, as: Int32.self)
                }
            }
        }
    }

    /// Parses arguments exactly as _testbuffer does, with CPython's own `PyArg_ParseTuple`
    /// (no `keywords`) or `PyArg_ParseTupleAndKeywords`, so conversions and error messages
    /// are CPython's.
    mutating func parse(_ args: PyObjectRef, _ kwargs: PyObjectRef?, format: StaticString,
                        keywords: KeywordList? = nil) throws(PythonError) {
        let ok = unsafe withUnsafeMutableBytes(of: &cells) { raw -> Int32 in
            let c = raw.baseAddress!
            var addresses: (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                            UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?)
                = unsafe (c, c + 8, c + 16, c + 24, c + 32, c + 40, c + 48, c + 56)
            return unsafe withUnsafeMutablePointer(to: &addresses) { tuple in
                let p = unsafe UnsafeMutableRawPointer(tuple).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
                let f = unsafe UnsafeRawPointer(format.utf8Start).assumingMemoryBound(to: CChar.self)
                if let keywords = unsafe keywords {
                    return unsafe swiftbuf_PyArg_ParseTupleAndKeywords8(args, kwargs, f, keywords.pointer, p)
                }
                return unsafe swiftbuf_PyArg_ParseTuple8(args, f, p)
            }
        }
        if ok == 0 { throw .alreadySet }
    }

    private func load<T>(_ i: Int, as type: T.Type) -> T {
        unsafe withUnsafeBytes(of: cells) { unsafe $0.load(fromByteOffset: 8 * i, as: T.self) }
    }
    func object(_ i: Int) -> PyObjectRef? { unsafe load(i, as: PyObjectRef?.self) }
    func ssize(_ i: Int) -> Int { load(i, as: Int.self) }
    func int(_ i: Int) -> Int32 { load(i, as: Int32.self) }
}

/// `CHECK_LIST_OR_TUPLE`: TypeError "`name` must be a list or a tuple".
func requireListOrTuple(_ o: PyObjectRef, _ name: String) throws(PythonError) {
    if unsafe swiftbuf_PyList_Check(o) == 0 && swiftbuf_PyTuple_Check(o) == 0 {
        throw .typeError("\(name) must be a list or a tuple")
    }
}

/// `get_ascii_order`: 'C', 'F' or 'A' from a str (its first character).
func orderArgument(ascii o: PyObjectRef) throws(PythonError) -> Layout.Order {
    guard unsafe swiftbuf_PyUnicode_Check(o) != 0 else { throw .typeError("order must be a string") }
    guard let ascii = unsafe PyUnicode_AsASCIIString(o) else { throw .alreadySet }
    defer { unsafe decref(ascii) }
    // An empty string yields its terminating NUL, as in C.
    let first = unsafe UInt8(bitPattern: swiftbuf_PyBytes_AS_STRING(ascii)[0])
    guard let order = Layout.Order(first) else { throw .valueError("invalid order, must be C, F or A") }
    return order
}

// MARK: - The struct module and cached objects

/// Objects swiftbuf.testing keeps, made once when its module is.
enum TestingPython {
    /// The default `format` ("B"); construction from an exporter compares against this object.
    // Written once when swiftbuf.testing executes, then only read; all of it under the GIL.
    nonisolated(unsafe) static var simpleFormat: PyObjectRef? = nil

    /// The `struct` functions (the one cache, `StructModule`), the attribute names and the default format.
    static func load() -> Bool {
        guard StructModule.load(), Attribute.load() else { return false }
        if unsafe simpleFormat == nil { unsafe simpleFormat = unsafe PyUnicode_FromString("B") }
        return unsafe simpleFormat != nil
    }
}

// MARK: - ndarray objects

typealias NDArrayObjectPointer = UnsafeMutablePointer<swiftbuf_NDArrayObject>

@inline(__always)
func ndarrayFields(_ o: PyObjectRef) -> NDArrayObjectPointer {
    unsafe UnsafeMutableRawPointer(o).assumingMemoryBound(to: swiftbuf_NDArrayObject.self)
}

/// Whether `o` is exactly a swiftbuf.testing.ndarray (`NDArray_Check`).
@inline(__always)
func isNDArray(_ o: PyObjectRef) -> Bool {
    unsafe swiftbuf_Py_TYPE(o) == swiftbuf_ndarray_type()
}

/// The NDArray of an original ndarray object, unretained (the object owns it); nil for a
/// consumer, and for an object `ndarray.__new__` alone made (_testbuffer crashes on such an
/// object where swiftbuf.testing raises `uninitializedNDArray`).
@inline(__always)
func ndarrayReference(_ o: PyObjectRef) -> Unmanaged<NDArray>? {
    unsafe ndarrayFields(o).pointee.array.map { unsafe Unmanaged<NDArray>.fromOpaque($0) }
}

/// A consumer's base buffer, which lives in its object (`consumerOffset`); nil for an
/// original or an uninitialised object.
@inline(__always)
func consumerBuffer(_ o: PyObjectRef) -> UnsafeMutablePointer<NDBuffer>? {
    unsafe ndarrayFields(o).pointee.consumer.map { unsafe $0.assumingMemoryBound(to: NDBuffer.self) }
}

/// What using an ndarray object without state raises.
var uninitializedNDArray: PythonError { .valueError("ndarray is not initialized") }

/// The current base buffer of an ndarray object: a consumer's own, an original's head; valid
/// while the caller holds the object and runs no Python code (which could pop the head or
/// re-initialise the object). Making a GC-tracked object (a list, a tuple, a memoryview) counts
/// as running Python code: it may start a collection, which runs `__del__`, weakref callbacks
/// and `gc.callbacks`; such uses go through `withHeldHead`. `uninitializedNDArray` for an
/// object without state.
@inline(__always)
func ndarrayHead(_ o: PyObjectRef) throws(PythonError) -> UnsafeMutablePointer<NDBuffer> {
    if let consumer = unsafe consumerBuffer(o) { return unsafe consumer }
    guard let reference = unsafe ndarrayReference(o) else { throw uninitializedNDArray }
    return unsafe reference._withUnsafeGuaranteedRef { unsafe $0.head }
}

/// The NDArray of an original ndarray object, retained by the caller's reference; nil for a
/// consumer; `uninitializedNDArray` for an object without state.
func originalArray(_ o: PyObjectRef) throws(PythonError) -> NDArray? {
    if let reference = unsafe ndarrayReference(o) { return unsafe reference.takeUnretainedValue() }
    if unsafe consumerBuffer(o) != nil { return nil }
    throw uninitializedNDArray
}

/// `body` on the object's current base buffer, kept for the whole call even if Python code runs
/// meanwhile: a consumer's is pinned (`__init__` then refuses), an original's head is retained
/// (a `pop` or `__init__` goes ahead, and the buffer it replaced lives until `body` returns).
func withHeldHead<R>(_ o: PyObjectRef, _ body: (UnsafeMutablePointer<NDBuffer>) throws(PythonError) -> R) throws(PythonError) -> R {
    if let consumer = unsafe consumerBuffer(o) {
        return try unsafe NDBuffer.withPinned(consumer) { () throws(PythonError) in try unsafe body(consumer) }
    }
    guard let array = unsafe ndarrayReference(o)?.takeUnretainedValue() else { throw uninitializedNDArray }
    let (head, owner) = unsafe array.retainedHead
    defer { withExtendedLifetime(owner) {} }
    return try unsafe body(head)
}

/// The refusal of a change to the object's structure while its base buffers are exported, or
/// nil. `__init__` asks before and again after the conversions that run Python code, which
/// could take an export meanwhile.
func exportedRefusal(_ o: PyObjectRef) -> PythonError? {
    let live = unsafe liveExports(o)
    return live > 0 ? PythonError(core: NDArray.changeRefusal(live)) : nil
}

/// Live exports of the object's base buffers (0 without state).
func liveExports(_ o: PyObjectRef) -> Int {
    if let consumer = unsafe consumerBuffer(o) { return unsafe consumer.pointee.exports.live }
    return unsafe ndarrayReference(o)?.takeUnretainedValue().liveExports ?? 0
}

/// The exporter a consumer's buffer came from (`base.obj`), borrowed; nil for an original.
func consumedExporter(_ o: PyObjectRef) -> PyObjectRef? {
    unsafe ndarrayFields(o).pointee.consumed.obj
}

/// The consumed buffer's slot in the object (stable heap memory, as a Py_buffer must be).
@inline(__always)
func consumedSlot(_ o: PyObjectRef) -> UnsafeMutablePointer<Py_buffer> {
    unsafe UnsafeMutableRawPointer(ndarrayFields(o)).advanced(by: MemoryLayout<swiftbuf_NDArrayObject>.offset(of: \.consumed)!)
        .assumingMemoryBound(to: Py_buffer.self)
}

/// Where a consumer's `NDBuffer` lives: after the object's C fields, aligned (the type's
/// `basicsize` is `ndarrayBasicSize`), as `_testbuffer`'s `staticbuf` lives in its object,
/// so a sub-view allocates no Swift object.
private let consumerOffset: Int = {
    let alignment = MemoryLayout<NDBuffer>.alignment
    return unsafe (MemoryLayout<swiftbuf_NDArrayObject>.size + alignment - 1) / alignment * alignment
}()

/// The ndarray type's `basicsize`: the C fields and room for a consumer's `NDBuffer`.
@_cdecl("swiftbuf_ndarray_basicsize")
func ndarrayBasicSize() -> Int { consumerOffset + MemoryLayout<NDBuffer>.size }

/// Drops the object's state: its NDArray or its consumer base buffer, and the buffer it
/// consumed (given back once).
func clearState(_ o: PyObjectRef) {
    let fields = unsafe ndarrayFields(o)
    if let raw = unsafe fields.pointee.array {
        unsafe fields.pointee.array = nil
        unsafe Unmanaged<NDArray>.fromOpaque(raw).release()
    }
    if let consumer = unsafe consumerBuffer(o) {
        unsafe fields.pointee.consumer = nil
        unsafe NDBuffer.destroy(consumer)
    }
    // Releasing a zeroed (or already released) Py_buffer does nothing.
    unsafe PyBuffer_Release(consumedSlot(o))
}

/// Makes the object a consumer: obtains `request` from `exporter` into its own slot, then
/// describes it with `make`, which initialises the base buffer storage it is given (or throws,
/// leaving it uninitialised). The object has no state yet (a new one, or `clearState` emptied
/// it); on failure it has none either.
func consume(_ o: PyObjectRef, _ exporter: PyObjectRef, request: BufferRequest,
             _ make: (BufferDescriptor, Bool, UnsafeMutablePointer<NDBuffer>) throws(PythonError) -> Void) throws(PythonError) {
    let slot = unsafe consumedSlot(o)
    if unsafe PyObject_GetBuffer(exporter, slot, request.rawValue) < 0 {
        unsafe slot.pointee.obj = nil  // ND_GETBUF_UNDEFINED leaves garbage here
        throw .alreadySet
    }
    do throws(PythonError) {
        let storage = unsafe (UnsafeMutableRawPointer(o) + consumerOffset).assumingMemoryBound(to: NDBuffer.self)
        unsafe try make(BufferDescriptor(slot), slot.pointee.obj != nil, storage)
        unsafe ndarrayFields(o).pointee.consumer = UnsafeMutableRawPointer(storage)
    } catch {
        unsafe PyBuffer_Release(slot)
        throw error
    }
}

/// Makes the object an original exporter of `array`, dropping any earlier state.
func install(_ o: PyObjectRef, _ array: NDArray) {
    unsafe clearState(o)
    unsafe ndarrayFields(o).pointee.array = unsafe Unmanaged.passRetained(array).toOpaque()
}

/// A new, empty ndarray object, made as `ndarray_new` makes it (`PyObject_New`: only the C
/// fields are cleared, not the room for a consumer's state, which `consume` initialises).
/// Through `tp_alloc` (`PyType_GenericAlloc`) the whole object was zeroed: 87 of `nd[1]`'s
/// instructions against 21.
func newNDArrayObject() throws(PythonError) -> PyObjectRef {
    let object = unsafe try newPlainObject(swiftbuf_ndarray_type()!, size: ndarrayBasicSize())
    let fields = unsafe ndarrayFields(object)
    unsafe fields.pointee.array = nil
    unsafe fields.pointee.consumer = nil
    unsafe fields.pointee.consumed = Py_buffer()
    return unsafe object
}
