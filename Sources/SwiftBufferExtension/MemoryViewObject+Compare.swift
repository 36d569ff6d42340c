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
    guard op == Py_EQ || op == Py_NE else { return unsafe newReference(swiftbuf_Py_NotImplemented()) }
    let mv = unsafe MemoryViewHandle(object)
    guard unsafe isMemoryView(other) else { return unsafe compareWithExporter(mv, other, op) }
    let w = unsafe MemoryViewHandle(other)
    if unsafe mv.isInaccessible || w.isInaccessible { return unsafe pyBool((mv.object == other) == (op == Py_EQ)) }
    return unsafe compare(mv.buffer, mv.pointee.code, w.buffer, w.pointee.code, op)
}

/// `memory_richcompare` against an exporter that is not a memoryview: NotImplemented when it
/// exports no buffer. Out of line: the `Py_buffer` it borrows would give the slot a frame and
/// a stack guard on every comparison of two views.
@inline(never)
private func compareWithExporter(_ mv: MemoryViewHandle, _ other: PyObjectRef, _ op: Int32) -> PyObjectRef? {
    if unsafe mv.isInaccessible { return unsafe pyBool((mv.object == other) == (op == Py_EQ)) }
    // A type without bf_getbuffer: PyObject_GetBuffer would only format a TypeError for
    // PyErr_Clear to drop (the result, NotImplemented, is the same).
    if unsafe swiftbuf_PyObject_CheckBuffer(other) == 0 { return unsafe newReference(swiftbuf_Py_NotImplemented()) }
    var storage = unsafe Py_buffer()
    return unsafe withUnsafeMutablePointer(to: &storage) { w -> PyObjectRef? in
        if unsafe PyObject_GetBuffer(other, w, BufferRequest.fullRO.rawValue) < 0 {
            PyErr_Clear()
            return unsafe newReference(swiftbuf_Py_NotImplemented())
        }
        defer { unsafe PyBuffer_Release(w) }
        return unsafe compare(mv.buffer, mv.pointee.code, w, Int32(MemoryView.formatCharacter(of: w.pointee.format) ?? 0), op)
    }
}

/// `memory_richcompare` once both buffers are known, with the single format character of
/// each (`get_native_fmtchar`; 0 for a longer format), as a view caches it. The shapes are
/// compared on the `Py_buffer`s before any layout is read whole: unequal shapes, and the
/// first elements of most unequal buffers, decide the answer in a few instructions. One
/// native code on both sides cannot fail, so it is answered here without a throwing layer;
/// the struct module's comparison, which can, is out of line.
@inline(__always)
private func compare(_ vb: UnsafePointer<Py_buffer>, _ vc: Int32, _ wb: UnsafePointer<Py_buffer>, _ wc: Int32,
                     _ op: Int32) -> PyObjectRef? {
    let ndim = unsafe Int(vb.pointee.ndim)
    if unsafe ndim != Int(wb.pointee.ndim) { return unsafe pyBool(op != Py_EQ) }
    if let vs = unsafe vb.pointee.shape, let ws = unsafe wb.pointee.shape {
        if unsafe !Layout.equivalentShapes(ndim, vs, ws) { return unsafe pyBool(op != Py_EQ) }
    } else if unsafe !Layout.equivalentShapes(BufferDescriptor(vb), BufferDescriptor(wb)) {
        return unsafe pyBool(op != Py_EQ)
    }
    if vc != 0 && vc == wc, let code = ElementCodec.Code(ascii: UInt8(truncatingIfNeeded: vc)), code != .half {
        return unsafe pyBool(MemoryView.elementsEqual(BufferDescriptor(vb), BufferDescriptor(wb), code: code) == (op == Py_EQ))
    }
    return unsafe structCompare(vb, wb, op)
}

/// `structEqual` as the slot's result, its errors raised.
@inline(never)
private func structCompare(_ vb: UnsafePointer<Py_buffer>, _ wb: UnsafePointer<Py_buffer>, _ op: Int32) -> PyObjectRef? {
    do throws(PythonError) {
        return unsafe pyBool(try structEqual(BufferDescriptor(vb), BufferDescriptor(wb)) == (op == Py_EQ))
    } catch {
        error.raise()
        return nil
    }
}

/// `memory_richcompare` through the struct module, for every pair of formats but one native
/// code on both sides.
private func structEqual(_ v: BufferDescriptor, _ w: BufferDescriptor) throws(PythonError) -> Bool {
    // Through the struct module (even for equal format strings: NaNs and padding bytes
    // forbid comparing bytes).
    let unpackV: StructUnpacker, unpackW: StructUnpacker
    do throws(PythonError) {
        unsafe unpackV = unsafe try StructUnpacker(format: v.format ?? Layout.unsignedByteCString, itemsize: v.itemsize)
    } catch { return try structErrorMeansUnequal() }
    defer { unsafe unpackV.dispose() }
    do throws(PythonError) {
        unsafe unpackW = unsafe try StructUnpacker(format: w.format ?? Layout.unsignedByteCString, itemsize: w.itemsize)
    } catch { return try structErrorMeansUnequal() }
    defer { unsafe unpackW.dispose() }
    return unsafe try Layout.allPairs(v, w) { p, q throws(PythonError) in
        let a = unsafe try unpackV.unpack(p)
        defer { unsafe decref(a) }
        let b = unsafe try unpackW.unpack(q)
        defer { unsafe decref(b) }
        let r = unsafe PyObject_RichCompareBool(a, b, Py_EQ)
        if r < 0 { throw .alreadySet }
        return r == 1
    }
}

/// `fix_struct_error_int`: a format the struct module rejects makes the buffers unequal;
/// ImportError and MemoryError stay errors.
private func structErrorMeansUnequal() throws(PythonError) -> Bool {
    if unsafe PyErr_ExceptionMatches(swiftbuf_PyExc_ImportError()) != 0 || PyErr_ExceptionMatches(swiftbuf_PyExc_MemoryError()) != 0 {
        throw .alreadySet
    }
    PyErr_Clear()
    return false
}

// MARK: - Hash (memory_hash)

@_cdecl("swiftbuf_memoryview_hash")
func memoryviewHash(_ object: PyObjectRef) -> Py_hash_t {
    let mv = unsafe MemoryViewHandle(object)
    if unsafe mv.pointee.hash != -1 { return unsafe mv.pointee.hash }
    // memory_hash's refusals, from the cached format character and raised out of line, before
    // the view is read whole: a refusal cost 113 instructions in this slot against
    // memory_hash's 45 (callgrind).
    if unsafe mv.isInaccessible { return Py_hash_t(raisingInt(.released)) }
    if let refusal = unsafe MemoryView.hashRefusal(readonly: mv.pointee.view.readonly != 0, formatCharacter: mv.cachedFormatCharacter) {
        return Py_hash_t(raisingInt(PythonError(refusal: refusal)))
    }
    return unsafe hashOrRaise(mv)
}

/// The hash of a hashable view: the exporter's first (its refusal is the view's), then that of
/// the bytes in C order.
@inline(never)
private func hashOrRaise(_ mv: MemoryViewHandle) -> Py_hash_t {
    do throws(PythonError) {
        let view = unsafe mv.memoryView
        if let exporter = unsafe mv.pointee.view.obj {
            // The exporter's hash may run Python code: hold an export meanwhile, so releasing
            // the view from there fails instead of freeing the memory hashed next.
            let h = unsafe mv.withPinnedExport { unsafe PyObject_Hash(exporter) }
            if h == -1 { throw .alreadySet }   // the exporter's own error ("unhashable type")
        }
        if view.isCContiguous {
            unsafe mv.pointee.hash = unsafe _Py_HashBytes(view.layout.buf, view.layout.len)
        } else {
            let copy = unsafe try temporary(view.layout.len)
            defer { unsafe PyMem_Free(copy) }
            unsafe view.copyBytes(into: copy, order: .c)
            unsafe mv.pointee.hash = unsafe _Py_HashBytes(copy, view.layout.len)
        }
        return unsafe mv.pointee.hash
    } catch {
        error.raise()
        return -1
    }
}

/// Scratch memory for a contiguous copy, from Python's allocator: an exporter can describe
/// more bytes than the machine has (a zero stride), which must raise MemoryError, as
/// PyMem_Malloc failing does in CPython, rather than trap as a Swift allocation would.
func temporary(_ byteCount: Int) throws(PythonError) -> UnsafeMutableRawPointer {
    guard let p = unsafe PyMem_Malloc(max(byteCount, 1)) else { throw .noMemory }
    return unsafe p
}
