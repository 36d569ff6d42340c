// swiftbuf.testing's plumbing: argument parsing, the objects of the struct module it calls,
// CPython's allocator for sizes that come from Python, and access to ndarray objects.
import SwiftBuffer

// MARK: - Argument parsing

/// One C variable a `PyArg_Parse*` format unit fills, holding its default until parsing.
enum ArgumentSlot {
    case object(PyObjectRef?)   // "O"
    case ssize(Int)             // "n"
    case int(Int32)             // "i"
}

/// A `char *kwlist[]` for `PyArg_ParseTupleAndKeywords`, alive for the life of the process.
final class KeywordList: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    init(_ names: [String]) {
        pointer = .allocate(capacity: names.count + 1)
        for (i, name) in names.enumerated() {
            let utf8 = Array(name.utf8CString)
            let s = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
            s.initialize(from: utf8, count: utf8.count)
            pointer[i] = s
        }
        pointer[names.count] = nil
    }
}

/// The values `parseArguments` filled in.
struct ParsedArguments {
    fileprivate let values: [Int]
    func object(_ i: Int) -> PyObjectRef? { PyObjectRef(bitPattern: values[i]) }
    func ssize(_ i: Int) -> Int { values[i] }
    func int(_ i: Int) -> Int32 { Int32(truncatingIfNeeded: values[i]) }
}

/// Parses arguments exactly as _testbuffer does, with CPython's own `PyArg_ParseTuple` (no
/// `keywords`) or `PyArg_ParseTupleAndKeywords`, so conversions and error messages are
/// CPython's. Swift reaches them through their `va_list` forms; with `PY_SSIZE_T_CLEAN` the
/// header names them `_PyArg_Va*_SizeT`.
func parseArguments(_ args: PyObjectRef, _ kwargs: PyObjectRef?, format: String, keywords: KeywordList?,
                    _ defaults: [ArgumentSlot]) throws(BridgeError) -> ParsedArguments {
    // One 8-byte cell per unit: a PyObject*, a Py_ssize_t or an int (in the cell's first bytes).
    let cells = UnsafeMutableRawPointer.allocate(byteCount: 8 * max(defaults.count, 1), alignment: 8)
    defer { cells.deallocate() }
    for (i, slot) in defaults.enumerated() {
        switch slot {
        case .object(let o): cells.storeBytes(of: Int(bitPattern: o), toByteOffset: 8 * i, as: Int.self)
        case .ssize(let n): cells.storeBytes(of: n, toByteOffset: 8 * i, as: Int.self)
        case .int(let v): cells.storeBytes(of: Int(v), toByteOffset: 8 * i, as: Int.self)
        }
    }
    let addresses: [CVarArg] = (0..<defaults.count).map { (i: Int) -> CVarArg in OpaquePointer(cells.advanced(by: 8 * i)) }
    let ok: Int32 = format.withCString { (f: UnsafePointer<CChar>) -> Int32 in
        withVaList(addresses) { (va: CVaListPointer) -> Int32 in
            if let keywords = keywords {
                return _PyArg_VaParseTupleAndKeywords_SizeT(args, kwargs, f, keywords.pointer, va)
            }
            return _PyArg_VaParse_SizeT(args, f, va)
        }
    }
    if ok == 0 { throw .alreadySet }
    var values: [Int] = []
    for (i, slot) in defaults.enumerated() {
        if case .int = slot {
            values.append(Int(cells.load(fromByteOffset: 8 * i, as: Int32.self)))
        } else {
            values.append(cells.load(fromByteOffset: 8 * i, as: Int.self))
        }
    }
    return ParsedArguments(values: values)
}

/// `CHECK_LIST_OR_TUPLE`: TypeError "`name` must be a list or a tuple".
func requireListOrTuple(_ o: PyObjectRef, _ name: String) throws(BridgeError) {
    if swiftbuf_PyList_Check(o) == 0 && swiftbuf_PyTuple_Check(o) == 0 {
        throw .typeError("\(name) must be a list or a tuple")
    }
}

/// `get_ascii_order`: 'C', 'F' or 'A' from a str (its first character).
func orderArgument(ascii o: PyObjectRef) throws(BridgeError) -> Layout.Order {
    guard swiftbuf_PyUnicode_Check(o) != 0 else { throw .typeError("order must be a string") }
    guard let ascii = PyUnicode_AsASCIIString(o) else { throw .alreadySet }
    defer { decref(ascii) }
    // An empty string yields its terminating NUL, as in C.
    let first = UInt8(bitPattern: swiftbuf_PyBytes_AS_STRING(ascii)[0])
    guard let order = Layout.Order(first) else { throw .valueError("invalid order, must be C, F or A") }
    return order
}

// MARK: - The struct module and cached objects

/// Objects _testbuffer keeps from the struct module, looked up once when swiftbuf.testing is made.
enum TestingPython {
    nonisolated(unsafe) static var structType: PyObjectRef? = nil
    nonisolated(unsafe) static var calcsize: PyObjectRef? = nil
    nonisolated(unsafe) static var unpackFrom: PyObjectRef? = nil
    /// The default `format` ("B"); construction from an exporter compares against this object.
    nonisolated(unsafe) static var simpleFormat: PyObjectRef? = nil

    static func load() -> Bool {
        guard let module = PyImport_ImportModule("struct") else { return false }
        defer { decref(module) }
        structType = PyObject_GetAttrString(module, "Struct")
        calcsize = PyObject_GetAttrString(module, "calcsize")
        unpackFrom = PyObject_GetAttrString(module, "unpack_from")
        simpleFormat = PyUnicode_FromString("B")
        return structType != nil && calcsize != nil && unpackFrom != nil && simpleFormat != nil
    }
}

extension NDAllocator {
    /// CPython's allocator: a size the system cannot provide raises MemoryError, and
    /// tracemalloc sees the memory, as with _testbuffer's `PyMem_Malloc`. Called with the GIL held.
    static let python = NDAllocator(allocate: { PyMem_Malloc(max($0, 1)) }, deallocate: { PyMem_Free($0) })
}

// MARK: - ndarray objects

extension HeldBuffer {
    /// Takes back a held buffer whose Py_buffer an object stored (`swiftbuf_NDArrayObject.consumed`).
    init(adopting view: UnsafeMutablePointer<Py_buffer>) { self.view = view }
}

typealias NDArrayObjectPointer = UnsafeMutablePointer<swiftbuf_NDArrayObject>

@inline(__always)
func ndarrayFields(_ o: PyObjectRef) -> NDArrayObjectPointer {
    UnsafeMutableRawPointer(o).assumingMemoryBound(to: swiftbuf_NDArrayObject.self)
}

/// Whether `o` is exactly a swiftbuf.testing.ndarray (`NDArray_Check`).
@inline(__always)
func isNDArray(_ o: PyObjectRef) -> Bool {
    swiftbuf_Py_TYPE(o) == swiftbuf_NDArrayType
}

/// The NDArray behind an ndarray object. `ndarray.__new__` alone leaves none; _testbuffer
/// crashes on such an object, swiftbuf.testing raises ValueError.
@inline(__always)
func ndarrayState(_ o: PyObjectRef) throws(BridgeError) -> NDArray {
    guard let raw = ndarrayFields(o).pointee.array else { throw .valueError("ndarray is not initialized") }
    return Unmanaged<NDArray>.fromOpaque(raw).takeUnretainedValue()
}

/// The exporter a consumer's buffer came from (`base.obj`), borrowed; nil for an original.
func consumedExporter(_ o: PyObjectRef) -> PyObjectRef? {
    ndarrayFields(o).pointee.consumed?.pointee.obj
}

/// Gives the ndarray object `o` its state, releasing what it had (`__init__` may run twice).
func install(_ o: PyObjectRef, _ array: NDArray, consumed: HeldBuffer?) {
    let fields = ndarrayFields(o)
    let oldArray = fields.pointee.array, oldConsumed = fields.pointee.consumed
    fields.pointee.array = Unmanaged.passRetained(array).toOpaque()
    fields.pointee.consumed = consumed?.view
    if let view = oldConsumed { var held = HeldBuffer(adopting: view); held.release() }
    if let raw = oldArray { Unmanaged<NDArray>.fromOpaque(raw).release() }
}

/// A new ndarray object with `array` (and, for a consumer, the buffer it holds).
func makeNDArrayObject(_ array: NDArray, consumed: HeldBuffer?) throws(BridgeError) -> PyObjectRef {
    let type = swiftbuf_NDArrayType!
    guard let object = swiftbuf_tp_alloc(type)(type, 0) else {
        if var held = consumed { held.release() }
        throw .alreadySet
    }
    install(object, array, consumed: consumed)
    return object
}
