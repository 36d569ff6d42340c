// swiftbuf.testing.ndarray: construction, the buffer protocol, attributes and methods. The
// layout engine is NDArray (Sources/SwiftBuffer/NDArray*.swift); this file converts arguments,
// packs items through the struct module, and fills Py_buffers. Section order follows
// _testbuffer.c.
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

/// `getbuf`'s default: "not given" (`PyBUF_UNUSED` in _testbuffer.c).
private let unusedRequest: Int32 = 0x10000
private let initKeywords = unsafe KeywordList(["obj", "shape", "strides", "offset", "format", "flags", "getbuf"])
private let pushKeywords = unsafe KeywordList(["items", "shape", "strides", "offset", "format", "flags"])
// Globals are initialised on first use, after the module made `simpleFormat`.
private let initDefaults = unsafe ArgumentCells(.object(nil), .object(nil), .object(nil), .ssize(0),
                                         .object(TestingPython.simpleFormat), .int(0), .int(unusedRequest))
private let pushDefaults = unsafe ArgumentCells(.object(nil), .object(nil), .object(nil), .ssize(0),
                                         .object(TestingPython.simpleFormat), .int(0))

// MARK: - Construction

/// `init_ndbuf`: a new original base buffer from a list of items (or one item for ndim = 0),
/// with every check in _testbuffer's order.
func makeBaseBuffer(items: PyObjectRef, shape shapeArgument: PyObjectRef, strides stridesArgument: PyObjectRef?, offset: Int,
                    format: PyObjectRef, flags: NDFlags) throws(PythonError) -> NDBuffer {
    unsafe try requireListOrTuple(shapeArgument, "shape")
    // Lists are read from tuple copies: packing the items runs Python code that may shrink them.
    let shape = unsafe try tupleCopy(shapeArgument)
    defer { unsafe decref(shape) }
    let ndim = unsafe PySequence_Fast_GET_SIZE_shim(shape)
    try core { () throws(SwiftBufferError) in try NDBuffer.checkDimensions(ndim) }
    var explicitStrides: PyObjectRef? = nil
    var stridesCopy: PyObjectRef? = nil
    defer { unsafe xdecref(stridesCopy) }
    if let stridesArgument = unsafe stridesArgument {
        unsafe try requireListOrTuple(stridesArgument, "strides")
        let strides = unsafe try tupleCopy(stridesArgument)
        unsafe stridesCopy = unsafe strides
        let count = unsafe PySequence_Fast_GET_SIZE_shim(strides)
        if try core({ () throws(SwiftBufferError) in try NDBuffer.checkStrides(count: count, ndim: ndim, flags: flags) }) {
            unsafe explicitStrides = unsafe strides
        }
    }
    let itemsize = unsafe try calcsize(format)
    try core { () throws(SwiftBufferError) in try NDBuffer.checkItemsize(itemsize) }

    // A scalar's one item becomes a list of one.
    let list: PyObjectRef
    if ndim == 0 {
        unsafe list = unsafe try checked(PyTuple_New(1))
        unsafe swiftbuf_PyTuple_SET_ITEM(list, 0, newReference(items))
    } else {
        unsafe try requireListOrTuple(items, "items")
        unsafe list = unsafe newReference(items)
    }
    defer { unsafe decref(list) }
    let count = unsafe PySequence_Fast_GET_SIZE_shim(list)
    try core { () throws(SwiftBufferError) in try NDBuffer.checkItemCount(count) }
    var buffer = try core { () throws(SwiftBufferError) in
        try NDBuffer(itemCount: count, itemsize: itemsize, offset: offset, flags: flags, allocator: .python)
    }
    // init_simple: pack, then take the format.
    unsafe try packItems(list, into: buffer.rawBytes, format: format, itemsize: itemsize)
    guard let ascii = unsafe PyUnicode_AsASCIIString(format) else { throw .alreadySet }
    defer { unsafe decref(ascii) }
    let formatBytes = unsafe UnsafeRawBufferPointer(start: swiftbuf_PyBytes_AS_STRING(ascii), count: swiftbuf_PyBytes_GET_SIZE(ascii))
    unsafe buffer.setElement(itemsize: itemsize, format: formatBytes)
    // init_structure
    let shapeValues = unsafe try ssizeArray(shape, count: ndim, of: "shape")
    let strideValues = unsafe try explicitStrides.map { s throws(PythonError) in unsafe try ssizeArray(s, count: ndim, of: "strides") }
    try core { () throws(SwiftBufferError) in try buffer.setStructure(shape: shapeValues, strides: strideValues) }
    return buffer
}

/// `get_itemsize`: `struct.calcsize(format)`.
private func calcsize(_ format: PyObjectRef) throws(PythonError) -> Int {
    let size = unsafe try checked(PyObject_CallOneArg(StructModule.calcsize, format))
    defer { unsafe decref(size) }
    let n = unsafe PyLong_AsSsize_t(size)
    if unsafe n == -1 && PyErr_Occurred() != nil { throw .alreadySet }
    return n
}

/// `seq_as_ssize_array`: the Py_ssize_t elements of a list or tuple of ints.
private func ssizeArray(_ seq: PyObjectRef, count: Int, of name: String) throws(PythonError) -> [Int] {
    var values: [Int] = []
    values.reserveCapacity(count)
    for i in 0..<count {
        let item = unsafe PySequence_Fast_GET_ITEM_shim(seq, i)!
        if unsafe swiftbuf_PyLong_Check(item) == 0 { throw .valueError("elements of \(name) must be integers") }
        let x = unsafe PyLong_AsSsize_t(item)
        if unsafe PyErr_Occurred() != nil { throw .alreadySet }
        if name == "shape" && x < 0 { throw .valueError("elements of shape must be integers >= 0") }
        values.append(x)
    }
    return values
}

@_cdecl("swiftbuf_ndarray_init")
func ndarrayInit(_ object: PyObjectRef, _ args: PyObjectRef, _ kwargs: PyObjectRef?) -> Int32 {
    pythonStatus { () throws(PythonError) in
        var a = initDefaults
        unsafe try a.parse(args, kwargs, format: "O|OOnOii", keywords: initKeywords)
        let v = unsafe a.object(0)!, shape = unsafe a.object(1), strides = unsafe a.object(2), offset = a.ssize(3)
        let format = unsafe a.object(4)!, flags = NDFlags(rawValue: a.int(5)), getbuf = a.int(6)
        // _testbuffer leaks the old state here and corrupts it later; refuse instead.
        if let refusal = unsafe exportedRefusal(object) { throw refusal }

        // The ndarray re-exports another exporter's buffer.
        if unsafe swiftbuf_PyObject_CheckBuffer(v) != 0 && shape == nil {
            // `format` is compared by identity with the default, as in C.
            if unsafe strides != nil || offset != 0 || format != TestingPython.simpleFormat
                || !(flags == [] || flags == .redirect) {
                throw .typeError("construction from exporter object only takes 'obj', 'getbuf' and 'flags' arguments")
            }
            let request = BufferRequest(rawValue: getbuf == unusedRequest ? BufferRequest.fullRO.rawValue : getbuf)
            unsafe clearState(object)
            unsafe try consume(object, v, request: request) { view, hasExporter, storage in
                unsafe storage.initialize(to: NDBuffer(consuming: view, hasExporter: hasExporter, userFlags: flags))
            }
            return
        }

        // The ndarray is the original exporter.
        if getbuf != unusedRequest {
            throw .typeError("getbuf argument only valid for construction from exporter object")
        }
        guard let shape = unsafe shape else {
            throw .typeError("shape is a required argument when constructing from list, tuple or scalar")
        }
        var baseFlags = flags
        let varExport = baseFlags.contains(.varExport)
        baseFlags.remove(.varExport)
        let head = unsafe try makeBaseBuffer(items: v, shape: shape, strides: strides, offset: offset, format: format, flags: baseFlags)
        // Packing the items ran Python code, which may have exported the old state.
        if let refusal = unsafe exportedRefusal(object) { throw refusal }
        unsafe install(object, NDArray(original: head, varExport: varExport))
    }
}

@_cdecl("swiftbuf_ndarray_push")
func ndarrayPush(_ object: PyObjectRef, _ args: PyObjectRef, _ kwargs: PyObjectRef?) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        var a = pushDefaults
        unsafe try a.parse(args, kwargs, format: "OO|OnOi", keywords: pushKeywords)
        let flags = NDFlags(rawValue: a.int(5))
        let before = unsafe try originalArray(object)
        try core { () throws(SwiftBufferError) in try NDArray.checkPush(flags: flags, onto: before) }
        let buffer = unsafe try makeBaseBuffer(items: a.object(0)!, shape: a.object(1)!, strides: a.object(2),
                                        offset: a.ssize(3), format: a.object(4)!, flags: flags)
        // Packing the items ran Python code, which may have exported the head or
        // re-initialised the object: the checks hold for the state the push lands on.
        let array = unsafe try originalArray(object)
        try core { () throws(SwiftBufferError) in try NDArray.checkPush(flags: flags, onto: array) }
        array!.push(buffer)
        return unsafe pyNone
    }
}

@_cdecl("swiftbuf_ndarray_pop")
func ndarrayPop(_ object: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        guard let array = unsafe try originalArray(object) else { throw PythonError(core: NDArray.consumerRefusal) }
        try core { () throws(SwiftBufferError) in try array.pop() }
        return unsafe pyNone
    }
}

@_cdecl("swiftbuf_ndarray_dealloc")
func ndarrayDealloc(_ object: PyObjectRef) {
    let type = unsafe swiftbuf_Py_TYPE(object)!
    unsafe clearState(object)
    unsafe swiftbuf_tp_free(type)(UnsafeMutableRawPointer(object))
    unsafe decref(UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyObject.self))
}

// MARK: - getbuffer

@_cdecl("swiftbuf_ndarray_getbuffer")
func ndarrayGetbuffer(_ object: PyObjectRef, _ view: UnsafeMutablePointer<Py_buffer>, _ flags: Int32) -> Int32 {
    let head: UnsafeMutablePointer<NDBuffer>
    do throws(PythonError) { unsafe head = unsafe try ndarrayHead(object) } catch {
        unsafe view.pointee.obj = nil
        PythonError.bufferError("ndarray is not initialized").raise()
        return -1
    }
    do throws(SwiftBufferError) {
        guard let answer = unsafe try head.pointee.export(BufferRequest(rawValue: flags)) else {
            // ND_REDIRECT: the consumed exporter answers, and its release is its own.
            return unsafe PyObject_GetBuffer(ndarrayFields(object).pointee.consumed.obj!, view, flags)
        }
        unsafe view.fill(answer, exporter: object)
        // Which base buffer this export belongs to; it stays until the export is released
        // (and `__init__` refuses while exports are live).
        unsafe view.pointee.internal = UnsafeMutableRawPointer(head)
        return 0
    } catch {
        // ND_GETBUF_UNDEFINED: a wrong but (in <= 3.2) permitted view.obj after failure.
        let undefined: NDFlags = [.getbufFail, .getbufUndefined]
        unsafe view.pointee.obj = unsafe head.pointee.flags.isSuperset(of: undefined) ? PyObjectRef(bitPattern: 1) : nil
        PythonError(core: error).raise()
        return -1
    }
}

@_cdecl("swiftbuf_ndarray_releasebuffer")
func ndarrayReleasebuffer(_ object: PyObjectRef, _ view: UnsafeMutablePointer<Py_buffer>) {
    guard let token = unsafe view.pointee.internal else { return }
    if let consumer = unsafe consumerBuffer(object) {
        unsafe consumer.pointee.released()
    } else if let reference = unsafe ndarrayReference(object) {
        unsafe reference._withUnsafeGuaranteedRef { unsafe $0.released(token) }
    }
}

// MARK: - Attributes

/// A getter or method on the current base buffer, which it may change (`add_suboffsets`) and
/// which stays while it makes Python objects (`withHeldHead`).
@inline(__always)
private func getter(_ o: PyObjectRef, _ body: (UnsafeMutablePointer<NDBuffer>) throws(PythonError) -> PyObjectRef?) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in unsafe try withHeldHead(o, body) }
}

/// A getter that cannot fail on an initialised ndarray, on the current base buffer in place:
/// the object owns it and the caller holds the object. For bodies that run no Python code and
/// make no GC-tracked object (ints, bools, strs and bytes are not).
/// (Passed as `borrowing NDBuffer`, the value was copied out first: 29 instructions.)
@inline(__always)
private func attribute(_ o: PyObjectRef, _ body: (UnsafeMutablePointer<NDBuffer>) -> PyObjectRef?) -> PyObjectRef? {
    guard let head = unsafe try? ndarrayHead(o) else { return unsafe raiseUninitialized() }
    return unsafe body(head)
}

@inline(never)
private func raiseUninitialized() -> PyObjectRef? {
    unsafe raising(uninitializedNDArray)
}

/// `ssize_array_as_tuple`: () for a missing array. The values are copied out first: making the
/// tuple can start a collection, which runs Python code that may free the array (the copy
/// costs `nd.shape` about 45 instructions of 557; holding the head instead cost 160).
private func optionalTuple(_ values: UnsafeMutablePointer<Int>?, _ count: Int) -> PyObjectRef? {
    guard let values = unsafe values else { return unsafe PyTuple_New(0) }
    return unsafe withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { copy in
        unsafe copy.baseAddress!.initialize(from: values, count: count)
        return unsafe pyTuple(copy.baseAddress, count: count)
    }
}

/// The `*_contiguous` getters: `PyBuffer_IsContiguous`, checked against the flags.
private func contiguity(_ o: PyObjectRef, _ order: Layout.Order) -> PyObjectRef? {
    unsafe attribute(o) { head in
        guard let answer = unsafe head.pointee.checkedContiguity(order) else {
            return unsafe raising(.runtimeError("results from PyBuffer_IsContiguous() and flags differ"))
        }
        return unsafe pyBool(answer)
    }
}

@_cdecl("swiftbuf_ndarray_get_flags") @inline(never)
func ndarrayGetFlags(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe attribute(o) { b in unsafe PyLong_FromLong(Int(b.pointee.flags.rawValue)) } }
@_cdecl("swiftbuf_ndarray_get_offset") @inline(never)
func ndarrayGetOffset(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe attribute(o) { b in unsafe pyInt(b.pointee.offset) } }
@_cdecl("swiftbuf_ndarray_get_obj") @inline(never)
func ndarrayGetObj(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { _ in unsafe newReference(consumedExporter(o) ?? swiftbuf_Py_None()) }
}
@_cdecl("swiftbuf_ndarray_get_nbytes") @inline(never)
func ndarrayGetNbytes(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe attribute(o) { b in unsafe pyInt(b.pointee.base.len) } }
@_cdecl("swiftbuf_ndarray_get_readonly") @inline(never)
func ndarrayGetReadonly(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe attribute(o) { b in unsafe pyBool(b.pointee.base.readonly) } }
@_cdecl("swiftbuf_ndarray_get_itemsize") @inline(never)
func ndarrayGetItemsize(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe attribute(o) { b in unsafe pyInt(b.pointee.base.itemsize) } }
@_cdecl("swiftbuf_ndarray_get_format") @inline(never)
func ndarrayGetFormat(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? {
    unsafe attribute(o) { b in
        if let format = unsafe b.pointee.base.format { return unsafe PyUnicode_FromString(format) }
        return unsafe PyUnicode_FromString("")
    }
}
@_cdecl("swiftbuf_ndarray_get_ndim") @inline(never)
func ndarrayGetNdim(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe attribute(o) { b in unsafe pyInt(b.pointee.base.ndim) } }
@_cdecl("swiftbuf_ndarray_get_shape") @inline(never)
func ndarrayGetShape(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe attribute(o) { b in unsafe optionalTuple(b.pointee.base.shape, b.pointee.base.ndim) } }
@_cdecl("swiftbuf_ndarray_get_strides") @inline(never)
func ndarrayGetStrides(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe attribute(o) { b in unsafe optionalTuple(b.pointee.base.strides, b.pointee.base.ndim) } }
@_cdecl("swiftbuf_ndarray_get_suboffsets") @inline(never)
func ndarrayGetSuboffsets(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe attribute(o) { b in unsafe optionalTuple(b.pointee.base.suboffsets, b.pointee.base.ndim) } }
@_cdecl("swiftbuf_ndarray_get_c_contiguous") @inline(never)
func ndarrayGetCContiguous(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe contiguity(o, .c) }
@_cdecl("swiftbuf_ndarray_get_f_contiguous") @inline(never)
func ndarrayGetFContiguous(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe contiguity(o, .fortran) }
@_cdecl("swiftbuf_ndarray_get_contiguous") @inline(never)
func ndarrayGetContiguous(_ o: PyObjectRef, _: UnsafeMutableRawPointer?) -> PyObjectRef? { unsafe contiguity(o, .any) }

// MARK: - Methods

@_cdecl("swiftbuf_ndarray_tolist")
func ndarrayTolist(_ o: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    unsafe getter(o) { b throws(PythonError) in unsafe try unpackAll(b.pointee.base) }
}

/// `ndarray_tobytes`: the items of the base buffer at `head` in C order, nil with the
/// exception set.
///
/// _testbuffer trusts the flags here, so a hand-set ND_SCALAR or ND_C on a larger or strided
/// array copies bytes past the memory; the layout decides instead (`layoutContiguity`),
/// which is the same whenever the flags are true.
func ndarrayBytes(_ head: UnsafeMutablePointer<NDBuffer>) -> PyObjectRef? {
    let base = unsafe head.pointee.base
    if unsafe head.pointee.layoutContiguity.contains(.c) {
        return unsafe PyBytes_FromStringAndSize(base.buf?.assumingMemoryBound(to: CChar.self), base.len)
    }
    guard let bytes = unsafe PyBytes_FromStringAndSize(nil, base.len) else { return nil }
    unsafe StridedCopy.gather(base, into: UnsafeMutableRawPointer(swiftbuf_PyBytes_AS_STRING(bytes)), order: .c)
    return unsafe bytes
}

@_cdecl("swiftbuf_ndarray_tobytes") @inline(never)
func ndarrayTobytes(_ o: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    unsafe attribute(o) { b in unsafe ndarrayBytes(b) }   // 1.9x _testbuffer's for 12 items through `getter`
}

@_cdecl("swiftbuf_ndarray_add_suboffsets")
func ndarrayAddSuboffsets(_ o: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    unsafe getter(o) { b throws(PythonError) in
        try core { () throws(SwiftBufferError) in try unsafe b.pointee.addRedundantSuboffsets() }
        return unsafe pyNone
    }
}

@_cdecl("swiftbuf_ndarray_memoryview_from_buffer")
func ndarrayMemoryviewFromBuffer(_ o: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    // Through `getter`: the view is made (a GC-tracked object) before it copies the layout.
    unsafe getter(o) { head throws(PythonError) in
        // The base buffer whose memory the view lies in: this array's own, or that of the
        // original ndarray it consumes (the one its consumed export was made from, which that
        // export keeps).
        let owner: UnsafeMutablePointer<NDBuffer>
        if unsafe !head.pointee.isConsumer {
            unsafe owner = unsafe head
        } else if let exporter = unsafe consumedExporter(o), unsafe isNDArray(exporter), unsafe ndarrayReference(exporter) != nil,
                  let token = unsafe ndarrayFields(o).pointee.consumed.internal {
            unsafe owner = unsafe token.assumingMemoryBound(to: NDBuffer.self)
        } else {
            throw .typeError("memoryview_from_buffer(): ndarray must be original exporter or consumer from ndarray/original exporter")
        }
        let info = try core { () throws(SwiftBufferError) in unsafe try NDDetached.copy(of: head.pointee.base, in: owner.pointee) }
        // PyMemoryView_FromBuffer copies shape, strides and suboffsets; the view has no owner.
        var buffer = unsafe Py_buffer()
        unsafe withUnsafeMutablePointer(to: &buffer) { unsafe $0.store(info) }
        return unsafe PyMemoryView_FromBuffer(&buffer)
    }
}

// MARK: - hash

@_cdecl("swiftbuf_ndarray_hash")
func ndarrayHash(_ o: PyObjectRef) -> Int {
    do throws(PythonError) {
        // The exporter's __hash__ may run Python code: re-initialising the array from there
        // would give back the buffer hashed next, so it is held meanwhile (`withHeldHead`).
        return try unsafe withHeldHead(o) { head throws(PythonError) in
            if unsafe !head.pointee.base.readonly { throw .valueError("cannot hash writable ndarray object") }
            if let exporter = unsafe consumedExporter(o), unsafe PyObject_Hash(exporter) == -1 { throw .alreadySet }
            let bytes = unsafe try checked(ndarrayBytes(head))
            defer { unsafe decref(bytes) }
            return unsafe PyObject_Hash(bytes)
        }
    } catch {
        error.raise()
        return -1
    }
}
