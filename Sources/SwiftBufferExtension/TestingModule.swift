// swiftbuf.testing's module level: the ND_* and PyBUF_* constants, staticarray, and the
// functions slice_indices, get_pointer, get_sizeof_void_p, get_contiguous,
// py_buffer_to_contiguous, is_contiguous and cmp_contig (in _testbuffer.c's order).
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython

// MARK: - Constants

/// The module's integer constants, from the Swift types that define them.
private let constants: [(String, Int32)] = [
    ("ND_MAX_NDIM", Int32(NDFlags.maxDimensions)),
    ("ND_VAREXPORT", NDFlags.varExport.rawValue),
    ("ND_WRITABLE", NDFlags.writable.rawValue),
    ("ND_FORTRAN", NDFlags.fortran.rawValue),
    ("ND_SCALAR", NDFlags.scalar.rawValue),
    ("ND_PIL", NDFlags.pil.rawValue),
    ("ND_GETBUF_FAIL", NDFlags.getbufFail.rawValue),
    ("ND_GETBUF_UNDEFINED", NDFlags.getbufUndefined.rawValue),
    ("ND_REDIRECT", NDFlags.redirect.rawValue),
    ("PyBUF_SIMPLE", BufferRequest.simple.rawValue),
    ("PyBUF_WRITABLE", BufferRequest.writable.rawValue),
    ("PyBUF_FORMAT", BufferRequest.format.rawValue),
    ("PyBUF_ND", BufferRequest.nd.rawValue),
    ("PyBUF_STRIDES", BufferRequest.strides.rawValue),
    ("PyBUF_INDIRECT", BufferRequest.indirect.rawValue),
    ("PyBUF_C_CONTIGUOUS", BufferRequest.cContiguous.rawValue),
    ("PyBUF_F_CONTIGUOUS", BufferRequest.fContiguous.rawValue),
    ("PyBUF_ANY_CONTIGUOUS", BufferRequest.anyContiguous.rawValue),
    ("PyBUF_FULL", BufferRequest.full.rawValue),
    ("PyBUF_FULL_RO", BufferRequest.fullRO.rawValue),
    ("PyBUF_RECORDS", BufferRequest.records.rawValue),
    ("PyBUF_RECORDS_RO", BufferRequest.recordsRO.rawValue),
    ("PyBUF_STRIDED", BufferRequest.strided.rawValue),
    ("PyBUF_STRIDED_RO", BufferRequest.stridedRO.rawValue),
    ("PyBUF_CONTIG", BufferRequest.contig.rawValue),
    ("PyBUF_CONTIG_RO", BufferRequest.contigRO.rawValue),
    ("PyBUF_READ", BufferRequest.read.rawValue),
    ("PyBUF_WRITE", BufferRequest.write.rawValue),
]

@_cdecl("swiftbuf_testing_exec")
func testingExec(_ module: PyObjectRef) -> Int32 {
    if !TestingPython.load() { return -1 }
    for (name, value) in constants where unsafe PyModule_AddIntConstant(module, name, Int(value)) < 0 {
        return -1
    }
    return 0
}

// MARK: - staticarray

/// `static_buffer`: twelve bytes 0...11, read-only, format "B", one dimension with strides.
/// Flags are not checked, which makes staticarray a non-compliant exporter on purpose.
private enum StaticBuffer {
    // Filled once when first read, then never written: nonisolated(unsafe) because no pointer is Sendable.
    nonisolated(unsafe) static let memory: UnsafeMutablePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 12)
        for i in 0..<12 { unsafe p[i] = UInt8(i) }
        return unsafe p
    }()
    nonisolated(unsafe) static let shape: UnsafeMutablePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        unsafe p[0] = 12  // shape
        unsafe p[1] = 1   // strides
        return unsafe p
    }()
    nonisolated(unsafe) static let format: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 2)
        unsafe p[0] = CChar(UInt8(ascii: "B"))
        unsafe p[1] = 0
        return unsafe p
    }()
}

private let staticarrayKeywords = unsafe KeywordList(["legacy_mode"])

@_cdecl("swiftbuf_staticarray_init")
func staticarrayInit(_ object: PyObjectRef, _ args: PyObjectRef, _ kwargs: PyObjectRef?) -> Int32 {
    pythonStatus { () throws(PythonError) in
        var a = unsafe ArgumentCells(.object(swiftbuf_Py_False()))
        unsafe try a.parse(args, kwargs, format: "|O", keywords: staticarrayKeywords)
        let legacy = unsafe a.object(0) != swiftbuf_Py_False()
        unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_StaticArrayObject.self).pointee.legacy_mode = legacy ? 1 : 0
    }
}

@_cdecl("swiftbuf_staticarray_dealloc")
func staticarrayDealloc(_ object: PyObjectRef) {
    let type = unsafe swiftbuf_Py_TYPE(object)!
    unsafe swiftbuf_tp_free(type)(UnsafeMutableRawPointer(object))
    unsafe decref(UnsafeMutableRawPointer(type).assumingMemoryBound(to: PyObject.self))
}

/// `staticarray_getbuf`: the static buffer for any request; in legacy mode without view.obj.
@_cdecl("swiftbuf_staticarray_getbuffer")
func staticarrayGetbuffer(_ object: PyObjectRef, _ view: UnsafeMutablePointer<Py_buffer>, _ flags: Int32) -> Int32 {
    let legacy = unsafe UnsafeMutableRawPointer(object).assumingMemoryBound(to: swiftbuf_StaticArrayObject.self).pointee.legacy_mode != 0
    unsafe view.pointee.buf = unsafe UnsafeMutableRawPointer(StaticBuffer.memory)
    unsafe view.pointee.obj = unsafe legacy ? nil : newReference(object)
    unsafe view.pointee.len = 12
    unsafe view.pointee.itemsize = 1
    unsafe view.pointee.readonly = 1
    unsafe view.pointee.ndim = 1
    unsafe view.pointee.format = unsafe StaticBuffer.format
    unsafe view.pointee.shape = unsafe StaticBuffer.shape
    unsafe view.pointee.strides = unsafe StaticBuffer.shape + 1
    unsafe view.pointee.suboffsets = nil
    unsafe view.pointee.internal = nil
    return 0
}

// MARK: - Module functions

@_cdecl("swiftbuf_testing_slice_indices")
func testingSliceIndices(_: PyObjectRef?, _ args: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        var a = unsafe ArgumentCells()
        unsafe try a.parse(args, nil, format: "On")
        let key = unsafe a.object(0)!
        if unsafe swiftbuf_PySlice_Check(key) == 0 { throw .typeError("first argument must be a slice object") }
        var start = 0, stop = 0, step = 0
        if unsafe PySlice_Unpack(key, &start, &stop, &step) < 0 { throw .alreadySet }
        let s = Layout.Slice(start: start, stop: stop, step: step, count: a.ssize(1))
        return unsafe pyTuple([s.start, s.stop, s.step, s.length])
    }
}

/// `get_pointer(obj, indices)`: the item `PyBuffer_GetPointer` finds, unpacked.
@_cdecl("swiftbuf_testing_get_pointer")
func testingGetPointer(_: PyObjectRef?, _ args: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        var a = unsafe ArgumentCells()
        unsafe try a.parse(args, nil, format: "OO")
        let seq = unsafe a.object(1)!
        unsafe try requireListOrTuple(seq, "seq")
        let held = unsafe try HeldBuffer(from: a.object(0)!, request: .fullRO)
        let view = unsafe held.descriptor
        let count = unsafe PySequence_Fast_GET_SIZE_shim(seq)
        try core { () throws(SwiftBufferError) in try NDInspect.checkIndexCount(count, of: view) }
        var indices: [Int] = []
        for i in 0..<count {
            let index = unsafe PyLong_AsSsize_t(PySequence_Fast_GET_ITEM_shim(seq, i))
            if unsafe PyErr_Occurred() != nil { throw .alreadySet }
            try core { () throws(SwiftBufferError) in try NDInspect.checkIndex(index, position: i, of: view) }
            indices.append(index)
        }
        return unsafe try unpackSingle(at: NDInspect.pointer(in: view, at: indices), format: view.format, itemsize: view.itemsize)
    }
}

@_cdecl("swiftbuf_testing_get_sizeof_void_p")
func testingGetSizeofVoidP(_: PyObjectRef?, _: PyObjectRef?) -> PyObjectRef? {
    unsafe PyLong_FromSize_t(MemoryLayout<UnsafeRawPointer>.size)
}

/// `get_contiguous(obj, buffertype, order)`: `PyMemoryView_GetContiguous`, a memoryview of
/// `obj` when it is contiguous in `order`, else (for PyBUF_READ) a memoryview of a read-only
/// contiguous copy.
@_cdecl("swiftbuf_testing_get_contiguous")
func testingGetContiguous(_: PyObjectRef?, _ args: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        var a = unsafe ArgumentCells()
        unsafe try a.parse(args, nil, format: "OOO")
        let bufferType = unsafe a.object(1)!
        if unsafe swiftbuf_PyLong_Check(bufferType) == 0 { throw .typeError("buffertype must be PyBUF_READ or PyBUF_WRITE") }
        let type = unsafe PyLong_AsLong(bufferType)
        if unsafe type == -1 && PyErr_Occurred() != nil { throw .alreadySet }
        if type != Int(BufferRequest.read.rawValue) && type != Int(BufferRequest.write.rawValue) {
            throw .valueError("invalid buffer type")
        }
        let order = unsafe try orderArgument(ascii: a.object(2)!)
        let writable = type == Int(BufferRequest.write.rawValue)

        let memoryview = unsafe try checked(PyMemoryView_FromObject(a.object(0)!))
        let held: HeldBuffer
        do throws(PythonError) { unsafe held = unsafe try HeldBuffer(from: memoryview, request: .fullRO) } catch {
            unsafe decref(memoryview)
            throw error
        }
        let copy: NDBuffer
        let view = unsafe held.descriptor
        do throws(PythonError) {
            let needsCopy = try core { () throws(SwiftBufferError) in
                try NDInspect.needsContiguousCopy(view, order: order, writable: writable)
            }
            if !needsCopy { return unsafe memoryview }
            copy = try core { () throws(SwiftBufferError) in
                try NDBuffer(contiguousCopyOf: view, order: order, allocator: .python)
            }
        } catch {
            unsafe decref(memoryview)
            throw error
        }
        unsafe decref(memoryview)
        let owner = unsafe try newNDArrayObject()
        defer { unsafe decref(owner) }
        unsafe install(owner, NDArray(original: copy))
        return unsafe PyMemoryView_FromObject(owner)
    }
}

/// `py_buffer_to_contiguous(obj, order, flags)`: `PyBuffer_ToContiguous` of a `flags` export.
@_cdecl("swiftbuf_testing_py_buffer_to_contiguous")
func testingPyBufferToContiguous(_: PyObjectRef?, _ args: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        var a = unsafe ArgumentCells()
        unsafe try a.parse(args, nil, format: "OOi")
        let held = unsafe try HeldBuffer(from: a.object(0)!, request: BufferRequest(rawValue: a.int(2)))
        let order = unsafe try orderArgument(ascii: a.object(1)!)
        let view = unsafe held.descriptor
        guard let bytes = unsafe PyBytes_FromStringAndSize(nil, view.len) else { throw .alreadySet }
        unsafe StridedCopy.gather(view, into: UnsafeMutableRawPointer(swiftbuf_PyBytes_AS_STRING(bytes)), order: order)
        return unsafe bytes
    }
}

/// `is_contiguous(obj, order)`: `PyBuffer_IsContiguous`, of an ndarray's base buffer directly.
@_cdecl("swiftbuf_testing_is_contiguous")
func testingIsContiguous(_: PyObjectRef?, _ args: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        var a = unsafe ArgumentCells()
        unsafe try a.parse(args, nil, format: "OO")
        let order = unsafe try orderArgument(ascii: a.object(1)!)
        let object = unsafe a.object(0)!
        if unsafe isNDArray(object) {
            // Skips the buffer protocol, so simple re-exports are checked as they are.
            return unsafe pyBool(Layout.isContiguous(try ndarrayHead(object).pointee.base, order: order))
        }
        let held: HeldBuffer
        do throws(PythonError) { unsafe held = unsafe try HeldBuffer(from: object, request: .fullRO) } catch {
            throw .typeError("is_contiguous: object does not implement the buffer protocol")
        }
        return unsafe pyBool(Layout.isContiguous(held.descriptor, order: order))
    }
}

/// `cmp_contig(a, b)`: whether two contiguous buffers are physically equal.
@_cdecl("swiftbuf_testing_cmp_contig")
func testingCmpContig(_: PyObjectRef?, _ args: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        var a = unsafe ArgumentCells()
        unsafe try a.parse(args, nil, format: "OO")
        let first: HeldBuffer
        do throws(PythonError) { unsafe first = unsafe try HeldBuffer(from: a.object(0)!, request: .fullRO) } catch {
            throw .typeError("cmp_contig: first argument does not implement the buffer protocol")
        }
        let second: HeldBuffer
        do throws(PythonError) { unsafe second = unsafe try HeldBuffer(from: a.object(1)!, request: .fullRO) } catch {
            throw .typeError("cmp_contig: second argument does not implement the buffer protocol")
        }
        return unsafe pyBool(NDInspect.contiguousEqual(first.descriptor, second.descriptor))
    }
}
