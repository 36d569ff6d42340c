// MARK: - Comparison (memory_richcompare)
//
// `==` and `!=` against any exporter: values unpacked by format and compared one by one. Two
// views of the same native single-character format compare in the core without a Python
// object; every other pair of formats is unpacked with the struct module, where a format
// struct rejects makes the buffers unequal, as in CPython.
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

@_cdecl("swiftbuf_memoryview_richcompare")
func memoryviewRichcompare(_ object: PyObjectRef, _ other: PyObjectRef, _ op: Int32) -> PyObjectRef? {
    guard op == Py_EQ || op == Py_NE else { return newReference(swiftbuf_Py_NotImplemented()) }
    let equal: Bool
    do throws(PythonError) {
        guard let e = try memoryviewEqual(MemoryViewHandle(object), other) else {
            return newReference(swiftbuf_Py_NotImplemented())
        }
        equal = e
    } catch {
        error.raise()
        return nil
    }
    return pyBool(equal == (op == Py_EQ))
}

/// Whether the view equals `other`; nil for NotImplemented (`other` exports no buffer).
private func memoryviewEqual(_ mv: MemoryViewHandle, _ other: PyObjectRef) throws(PythonError) -> Bool? {
    if mv.isInaccessible { return mv.object == other }
    if isMemoryView(other) {
        let w = MemoryViewHandle(other)
        if w.isInaccessible { return mv.object == other }
        return try equal(mv.buffer, mv.pointee.code, w.buffer, w.pointee.code)
    }
    // A type without bf_getbuffer: PyObject_GetBuffer would only format a TypeError for
    // PyErr_Clear to drop (the result, NotImplemented, is the same).
    if PyObject_CheckBuffer(other) == 0 { return nil }
    var storage = Py_buffer()
    return try withUnsafeMutablePointer(to: &storage) { w throws(PythonError) -> Bool? in
        if PyObject_GetBuffer(other, w, BufferRequest.fullRO.rawValue) < 0 {
            PyErr_Clear()
            return nil
        }
        defer { PyBuffer_Release(w) }
        return try equal(mv.buffer, mv.pointee.code, w, Int32(MemoryView.formatCharacter(of: w.pointee.format) ?? 0))
    }
}

/// `memory_richcompare` once both buffers are known, with the single format character of
/// each (`get_native_fmtchar`; 0 for a longer format), as a view caches it. The shapes are
/// compared on the `Py_buffer`s before any layout is read whole: unequal shapes, and the
/// first elements of most unequal buffers, decide the answer in a few instructions.
@inline(__always)
private func equal(_ vb: UnsafePointer<Py_buffer>, _ vc: Int32, _ wb: UnsafePointer<Py_buffer>, _ wc: Int32) throws(PythonError) -> Bool {
    let ndim = Int(vb.pointee.ndim)
    if ndim != Int(wb.pointee.ndim) { return false }
    if let vs = vb.pointee.shape, let ws = wb.pointee.shape {
        if !Layout.equivalentShapes(ndim, vs, ws) { return false }
    } else if !Layout.equivalentShapes(BufferDescriptor(vb), BufferDescriptor(wb)) {
        return false
    }
    if vc != 0 && vc == wc, let code = ElementCodec.Code(ascii: UInt8(truncatingIfNeeded: vc)), code != .half {
        return MemoryView.elementsEqual(BufferDescriptor(vb), BufferDescriptor(wb), code: code)
    }
    return try structEqual(BufferDescriptor(vb), BufferDescriptor(wb))
}

/// `memory_richcompare` through the struct module, for every pair of formats but one native
/// code on both sides.
private func structEqual(_ v: BufferDescriptor, _ w: BufferDescriptor) throws(PythonError) -> Bool {
    // Through the struct module (even for equal format strings: NaNs and padding bytes
    // forbid comparing bytes).
    let unpackV: StructUnpacker, unpackW: StructUnpacker
    do throws(PythonError) {
        unpackV = try StructUnpacker(format: v.format ?? Layout.unsignedByteCString, itemsize: v.itemsize)
    } catch { return try structErrorMeansUnequal() }
    defer { unpackV.dispose() }
    do throws(PythonError) {
        unpackW = try StructUnpacker(format: w.format ?? Layout.unsignedByteCString, itemsize: w.itemsize)
    } catch { return try structErrorMeansUnequal() }
    defer { unpackW.dispose() }
    return try Layout.allPairs(v, w) { p, q throws(PythonError) in
        let a = try unpackV.unpack(p)
        defer { decref(a) }
        let b = try unpackW.unpack(q)
        defer { decref(b) }
        let r = PyObject_RichCompareBool(a, b, Py_EQ)
        if r < 0 { throw .alreadySet }
        return r == 1
    }
}

/// `fix_struct_error_int`: a format the struct module rejects makes the buffers unequal;
/// ImportError and MemoryError stay errors.
private func structErrorMeansUnequal() throws(PythonError) -> Bool {
    if PyErr_ExceptionMatches(swiftbuf_PyExc_ImportError()) != 0 || PyErr_ExceptionMatches(swiftbuf_PyExc_MemoryError()) != 0 {
        throw .alreadySet
    }
    PyErr_Clear()
    return false
}

// MARK: - Hash (memory_hash)

@_cdecl("swiftbuf_memoryview_hash")
func memoryviewHash(_ object: PyObjectRef) -> Py_hash_t {
    let mv = MemoryViewHandle(object)
    if mv.pointee.hash != -1 { return mv.pointee.hash }
    do throws(PythonError) {
        try mv.checkReleased()
        let view = mv.memoryView
        try core { () throws(SwiftBufferError) in try view.checkHashable() }
        if let exporter = mv.pointee.view.obj {
            // The exporter's hash may run Python code: hold an export meanwhile, so releasing
            // the view from there fails instead of freeing the memory hashed next.
            let h = mv.withPinnedExport { PyObject_Hash(exporter) }
            if h == -1 { throw .alreadySet }   // the exporter's own error ("unhashable type")
        }
        if view.isCContiguous {
            mv.pointee.hash = _Py_HashBytes(view.layout.buf, view.layout.len)
        } else {
            let copy = try temporary(view.layout.len)
            defer { PyMem_Free(copy) }
            view.copyBytes(into: copy, order: .c)
            mv.pointee.hash = _Py_HashBytes(copy, view.layout.len)
        }
        return mv.pointee.hash
    } catch {
        error.raise()
        return -1
    }
}

/// Scratch memory for a contiguous copy, from Python's allocator: an exporter can describe
/// more bytes than the machine has (a zero stride), which must raise MemoryError, as
/// PyMem_Malloc failing does in CPython, rather than trap as a Swift allocation would.
func temporary(_ byteCount: Int) throws(PythonError) -> UnsafeMutableRawPointer {
    guard let p = PyMem_Malloc(max(byteCount, 1)) else { throw .noMemory }
    return p
}
