// The boundary with CPython: object references, exceptions, argument parsing, conversions.
// The bridge's side of it (SwiftBufferPython has the public one): the calling conventions of its entry points.
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

typealias PyObjectRef = UnsafeMutablePointer<PyObject>

// MARK: - Errors

// The bridge's one error type is the package's: `PythonError` (SwiftBufferPython), converted to
// a Python exception by `PythonError.raise()` alone. A core error travels in it as it is
// (`.core(e)`, or `core { }` around a core call); a C-API failure whose exception is already set
// travels as `.alreadySet`, which costs nothing to make or to hand back.

/// Runs `body`, turning any thrown error into a Python exception and NULL.
@inline(__always)
func pythonCall(_ body: () throws(PythonError) -> PyObjectRef?) -> PyObjectRef? {
    do throws(PythonError) { return unsafe try body() } catch { error.raise(); return nil }
}

/// Runs `body`, turning any thrown error into a Python exception and -1.
@inline(__always)
func pythonStatus(_ body: () throws(PythonError) -> Void) -> Int32 {
    do throws(PythonError) { try body(); return 0 } catch { error.raise(); return -1 }
}

/// Returns `object` or throws the Python exception a NULL result means.
@inline(__always)
func checked(_ object: PyObjectRef?) throws(PythonError) -> PyObjectRef {
    guard let object = unsafe object else { throw .alreadySet }
    return unsafe object
}

// MARK: - References

@inline(__always) func incref(_ o: PyObjectRef) { unsafe swiftbuf_Py_INCREF(o) }
@inline(__always) func decref(_ o: PyObjectRef) { unsafe swiftbuf_Py_DECREF(o) }
@inline(__always) func xdecref(_ o: PyObjectRef?) { if let o = unsafe o { unsafe swiftbuf_Py_DECREF(o) } }
@inline(__always) func newReference(_ o: PyObjectRef) -> PyObjectRef { unsafe swiftbuf_Py_INCREF(o); return unsafe o }

var pyNone: PyObjectRef { unsafe newReference(swiftbuf_Py_None()) }
func pyBool(_ b: Bool) -> PyObjectRef { unsafe newReference(b ? swiftbuf_Py_True() : swiftbuf_Py_False()) }

// MARK: - Conversions

func pyInt(_ v: Int) -> PyObjectRef? { unsafe PyLong_FromSsize_t(v) }

// An element's object, from the constructors shim.h declares returning an address: a slot that
// returns one of these from several branches jumps to the constructor instead of calling it
// (`for x in m` over 4 KiB: 1.10-1.14x the builtin's wall-clock time before, 1.00-1.08x after,
// varying from one process to the next).
@inline(__always) func pyLong(_ v: Int) -> PyObjectRef? { unsafe PyObjectRef(bitPattern: swiftbuf_PyLong_FromLong_address(v)) }
@inline(__always) func pyLong(_ v: UInt64) -> PyObjectRef? {
    unsafe PyObjectRef(bitPattern: swiftbuf_PyLong_FromUnsignedLongLong_address(CUnsignedLongLong(v)))
}
@inline(__always) func pyLong(address: UInt) -> PyObjectRef? {
    unsafe PyObjectRef(bitPattern: swiftbuf_PyLong_FromVoidPtr_address(UnsafeMutableRawPointer(bitPattern: address)))
}
@inline(__always) func pyFloat(_ v: Double) -> PyObjectRef? { unsafe PyObjectRef(bitPattern: swiftbuf_PyFloat_FromDouble_address(v)) }
@inline(__always) func pyBytes(_ p: UnsafePointer<CChar>, count: Int) -> PyObjectRef? {
    unsafe PyObjectRef(bitPattern: swiftbuf_PyBytes_FromStringAndSize_address(p, count))
}
/// A 0-d view's or ndarray's whole-element key: `...` or `()`.
@inline(__always) func isZeroDimensionalKey(_ key: PyObjectRef) -> Bool {
    unsafe key == swiftbuf_Py_Ellipsis() || (swiftbuf_PyTuple_Check(key) != 0 && swiftbuf_PyTuple_GET_SIZE(key) == 0)
}
/// `PyTuple_New(0)`, in tail position like the element constructors above.
@inline(__always) func pyEmptyTuple() -> PyObjectRef? { unsafe PyObjectRef(bitPattern: swiftbuf_PyTuple_New_address(0)) }

/// A tuple of ints, as the shape/strides attributes return.
/// A new object of `type` that the collector does not track, as `PyObject_New` makes one:
/// `size` bytes from pymalloc, of which only the header is set; the caller fills the rest.
/// Freed with `PyObject_Free` (a heap type's default `tp_free` when it is not GC).
func newPlainObject(_ type: UnsafeMutablePointer<PyTypeObject>, size: Int) throws(PythonError) -> PyObjectRef {
    guard let memory = unsafe PyObject_Malloc(size) else { throw .noMemory }
    return unsafe PyObject_Init(memory.assumingMemoryBound(to: PyObject.self), type)!
}

func pyTuple(_ values: UnsafePointer<Int>?, count: Int) -> PyObjectRef? {
    guard let tuple = unsafe PyTuple_New(count) else { return nil }
    for i in 0..<count {
        guard let item = unsafe PyLong_FromSsize_t(values![i]) else { unsafe decref(tuple); return nil }
        unsafe swiftbuf_PyTuple_SET_ITEM(tuple, i, item)
    }
    return unsafe tuple
}

func pyTuple(_ values: [Int]) -> PyObjectRef? {
    unsafe values.withUnsafeBufferPointer { unsafe pyTuple($0.baseAddress, count: $0.count) }
}

func pyString(_ s: String) -> PyObjectRef? {
    var s = s
    return s.withUTF8 { unsafe PyUnicode_FromStringAndSize(UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count) }
}

/// `Py_ssize_t` from an object with `__index__`, raising what `PyNumber_AsSsize_t` raises.
func ssize(_ o: PyObjectRef, overflow: PyObjectRef? = unsafe swiftbuf_PyExc_OverflowError()) throws(PythonError) -> Int {
    let v = unsafe PyNumber_AsSsize_t(o, overflow)
    if unsafe v == -1 && PyErr_Occurred() != nil { throw .alreadySet }
    return v
}

/// The UTF-8 bytes of a str (borrowed from the object, valid while it lives).
func utf8(_ o: PyObjectRef) throws(PythonError) -> UnsafeBufferPointer<UInt8> {
    var size = 0
    guard let p = unsafe PyUnicode_AsUTF8AndSize(o, &size) else { throw .alreadySet }
    return unsafe UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: size)
}

/// The UTF-8 bytes of argument `name`, which must be a str (TypeError naming it otherwise).
func strArgument(_ o: PyObjectRef, name: String) throws(PythonError) -> UnsafeBufferPointer<UInt8> {
    guard unsafe swiftbuf_PyUnicode_Check(o) != 0 else { throw .typeError(unsafe "\(name) must be a str, not \(typeName(o))") }
    return unsafe try utf8(o)
}

/// `PyVectorcall_NARGS`: the positional count of a vectorcall's `nargsf`, without the
/// `PY_VECTORCALL_ARGUMENTS_OFFSET` bit.
@inline(__always)
func vectorcallArgumentCount(_ nargsf: UInt) -> Int { Int(bitPattern: nargsf & ~(UInt(1) << (UInt.bitWidth - 1))) }

func isTrue(_ o: PyObjectRef) throws(PythonError) -> Bool {
    let r = unsafe PyObject_IsTrue(o)
    if r < 0 { throw .alreadySet }
    return r == 1
}

/// A shape argument: an int, or a sequence of ints.
func shapeArgument(_ o: PyObjectRef, name: String) throws(PythonError) -> [Int] {
    if unsafe swiftbuf_PyIndex_Check(o) != 0 { return unsafe [try ssize(o)] }
    guard let fast = unsafe PySequence_Fast(o, "\(name) must be an int or a sequence of ints") else { throw .alreadySet }
    // A list is read from a tuple copy: an item's __index__ may shrink the list under the loop.
    defer { unsafe decref(fast) }
    let seq = unsafe try tupleCopy(fast)
    defer { unsafe decref(seq) }
    let n = unsafe PySequence_Fast_GET_SIZE_shim(seq)
    var shape: [Int] = []
    shape.reserveCapacity(n)
    for i in 0..<n {
        let item = unsafe PySequence_Fast_GET_ITEM_shim(seq, i)!
        if unsafe swiftbuf_PyIndex_Check(item) == 0 {
            throw .typeError("\(name) must be an int or a sequence of ints")
        }
        unsafe shape.append(try ssize(item))
    }
    return shape
}

/// The items of a list or tuple as a tuple (a new reference: the tuple itself, or a copy of the
/// list), for reading them while Python code that might mutate the list runs.
func tupleCopy(_ o: PyObjectRef) throws(PythonError) -> PyObjectRef {
    unsafe try checked(swiftbuf_PyList_Check(o) != 0 ? PyList_AsTuple(o) : newReference(o))
}

@inline(__always)
func PySequence_Fast_GET_SIZE_shim(_ o: PyObjectRef) -> Int {
    unsafe swiftbuf_PyList_Check(o) != 0 ? swiftbuf_PyList_GET_SIZE(o) : swiftbuf_PyTuple_GET_SIZE(o)
}
@inline(__always)
func PySequence_Fast_GET_ITEM_shim(_ o: PyObjectRef, _ i: Int) -> PyObjectRef? {
    unsafe swiftbuf_PyList_Check(o) != 0 ? swiftbuf_PyList_GET_ITEM(o, i) : swiftbuf_PyTuple_GET_ITEM(o, i)
}

@_cdecl("swiftbuf_module_exec")
func moduleExec(_ module: PyObjectRef) -> Int32 {
    StructModule.load() && Attribute.load() ? 0 : -1
}

// MARK: - Attribute names

/// The attributes the bridge looks up on other objects, each name an interned str made once,
/// when either module executes. `PyObject_GetAttrString` makes a new str on every call, and
/// CPython's attribute cache (`_PyType_Lookup`, 4096 entries, the slot chosen by the type's
/// version tag and the name's address) keeps a reference to the name of each entry it fills:
/// with a new name per call, up to one dead str per slot stays alive. Under ASan, whose
/// quarantine never hands an address back, that came to ~1021 strings of 59 bytes per call site
/// (`Buffer.from_dlpack`, measured; `sys._clear_type_cache()` freed them all), which the leak
/// tests read as growth. One interned name is one address: one entry, no str made or hashed per call.
enum Attribute: Int, CaseIterable {
    case dlpack, frompickle, maxVersion, size, unpack, unpackFrom, iterUnpack, packInto

    var spelling: String {
        switch self {
        case .dlpack: "__dlpack__"
        case .frompickle: "_frompickle"
        case .maxVersion: "max_version"
        case .size: "size"
        case .unpack: "unpack"
        case .unpackFrom: "unpack_from"
        case .iterUnpack: "iter_unpack"
        case .packInto: "pack_into"
        }
    }

    // Written once under the GIL when a module executes, then only read under it.
    nonisolated(unsafe) private static var names: [PyObjectRef] = unsafe []

    /// Interns the names (once); false with the exception set when that fails.
    static func load() -> Bool {
        guard unsafe names.isEmpty else { return true }
        var made: [PyObjectRef] = unsafe []
        for attribute in allCases {
            guard let name = unsafe PyUnicode_InternFromString(attribute.spelling) else {
                unsafe made.forEach(decref)
                return false
            }
            unsafe made.append(name)
        }
        unsafe names = unsafe made
        return true
    }

    /// The interned str (borrowed: kept for the life of the process).
    var name: PyObjectRef { unsafe Self.names[rawValue] }
}

/// `getattr(o, attribute)`: a new reference, or nil with the exception set.
@inline(__always)
func getAttribute(_ o: PyObjectRef, _ attribute: Attribute) -> PyObjectRef? {
    unsafe PyObject_GetAttr(o, attribute.name)
}

/// Runs core code, passing its error on as a bridge error.
@inline(__always)
func core<R: ~Copyable>(_ body: () throws(SwiftBufferError) -> R) throws(PythonError) -> R {
    do throws(SwiftBufferError) { return try body() } catch { throw PythonError(core: error) }
}

extension RawAllocator {
    /// CPython's raw allocator: no GIL needed (Swift may free from any thread), NULL instead of
    /// a trap when memory runs out, and visible to tracemalloc.
    static let python = unsafe RawAllocator(
        allocate: { count, zeroed in unsafe zeroed ? PyMem_RawCalloc(count, 1) : PyMem_RawMalloc(count) },
        deallocate: { unsafe PyMem_RawFree($0) })

    /// CPython's object allocator (`PyMem_Malloc`: pymalloc for small blocks), for memory
    /// allocated and freed only with the GIL held: a swiftbuf.testing consumer's layout arrays,
    /// which _testbuffer allocates with it too.
    static let pymalloc = unsafe RawAllocator(
        allocate: { count, zeroed in unsafe zeroed ? PyMem_Calloc(count, 1) : PyMem_Malloc(count) },
        deallocate: { unsafe PyMem_Free($0) })
}
