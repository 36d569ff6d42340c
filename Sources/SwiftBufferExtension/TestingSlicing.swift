// swiftbuf.testing.ndarray indexing, slicing and slice assignment (_testbuffer.c's
// "indexing/slicing" section). Every sub-view is a new ndarray consuming a full export
// (PyBUF_FULL_RO) of the array it came from; NDBuffer then narrows or slices that layout.
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

/// `ndarray_item`: one item (ndim = 1), or a sub-array of ndim-1 dimensions.
private func item(_ object: PyObjectRef, _ index: Int) throws(PythonError) -> PyObjectRef {
    let head = unsafe try ndarrayHead(object)
    switch unsafe try core({ () throws(SwiftBufferError) in unsafe try head.pointee.select(index) }) {
    case .element(let pointer, let format, let itemsize):
        // Unpacking makes objects: the head is held meanwhile (`withHeldHead`).
        return unsafe try withHeldHead(object) { _ throws(PythonError) in
            unsafe try unpackSingle(at: pointer, format: format, itemsize: itemsize)
        }
    case .subarray(let pointer):
        return unsafe try subview(of: object) { view, hasExporter, storage throws(PythonError) in
            try core { () throws(SwiftBufferError) in
                unsafe try NDBuffer.subarray(at: storage, of: view, hasExporter: hasExporter, item: pointer)
            }
        }
    }
}

/// A new ndarray consuming a full export (`PyBUF_FULL_RO`) of `object`, described by `make`.
private func subview(of object: PyObjectRef,
                     _ make: (BufferDescriptor, Bool, UnsafeMutablePointer<NDBuffer>) throws(PythonError) -> Void) throws(PythonError) -> PyObjectRef {
    let result = unsafe try newNDArrayObject()
    do throws(PythonError) {
        unsafe try consume(result, object, request: .fullRO, make)
    } catch {
        unsafe decref(result)
        throw error
    }
    return unsafe result
}

/// `PySlice_Unpack`: the slice's start, stop and step, `__index__` run on each.
private func unpacked(_ slice: PyObjectRef) throws(PythonError) -> (start: Int, stop: Int, step: Int) {
    var start = 0, stop = 0, step = 0
    if unsafe PySlice_Unpack(slice, &start, &stop, &step) < 0 { throw .alreadySet }
    return (start, stop, step)
}

/// `ndarray_subscript`.
private func subscriptValue(_ object: PyObjectRef, _ key: PyObjectRef) throws(PythonError) -> PyObjectRef {
    let base = unsafe try ndarrayHead(object).pointee.base
    if base.ndim == 0 {
        if unsafe swiftbuf_PyTuple_Check(key) != 0 && swiftbuf_PyTuple_GET_SIZE(key) == 0 {
            return unsafe try withHeldHead(object) { _ throws(PythonError) in
                unsafe try unpackSingle(at: base.buf!, format: base.format, itemsize: base.itemsize)
            }
        }
        if unsafe key == swiftbuf_Py_Ellipsis() { return unsafe newReference(object) }
        throw .typeError("invalid indexing of scalar")
    }
    if unsafe swiftbuf_PyIndex_Check(key) != 0 {
        let index = unsafe PyLong_AsSsize_t(key)
        if unsafe index == -1 && PyErr_Occurred() != nil { throw .alreadySet }
        return unsafe try item(object, index)
    }
    // The new ndarray consumes a full export and slices its own copy of the arrays; a key that
    // is not a slice or a tuple of them is refused after that, as _testbuffer refuses it.
    return unsafe try subview(of: object) { view, hasExporter, storage throws(PythonError) in
        if unsafe swiftbuf_PySlice_Check(key) != 0 {
            // One-dimensional slice.
            return try unsafe NDBuffer.slicing(at: storage, view, hasExporter: hasExporter, count: 1, allocator: .pymalloc) { _ throws(PythonError) in unsafe try unpacked(key) }
        }
        if unsafe swiftbuf_PyTuple_Check(key) != 0 {
            // Multi-dimensional slice.
            return unsafe try NDBuffer.slicing(at: storage, view, hasExporter: hasExporter, count: swiftbuf_PyTuple_GET_SIZE(key), allocator: .pymalloc) { i throws(PythonError) in
                let k = unsafe swiftbuf_PyTuple_GET_ITEM(key, i)!
                if unsafe swiftbuf_PySlice_Check(k) == 0 { throw .typeError(unsafe "cannot index memory using \"\(typeName(k))\"") }
                return unsafe try unpacked(k)
            }
        }
        throw .typeError(unsafe "cannot index memory using \"\(typeName(key))\"")
    }
}

@_cdecl("swiftbuf_ndarray_item")
func ndarrayItem(_ object: PyObjectRef, _ index: Int) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in unsafe try item(object, index) }
}

@_cdecl("swiftbuf_ndarray_subscript")
func ndarraySubscript(_ object: PyObjectRef, _ key: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in unsafe try subscriptValue(object, key) }
}

/// `ndarray_ass_subscript`: one item from a value, or a slice from another exporter.
@_cdecl("swiftbuf_ndarray_ass_subscript")
func ndarrayAssSubscript(_ object: PyObjectRef, _ key: PyObjectRef, _ value: PyObjectRef?) -> Int32 {
    pythonStatus { () throws(PythonError) in
        // Packing an item runs Python code (its `__bool__` or `__float__`), and so can getting
        // the source's buffer. A consumer's base buffer is pinned meanwhile, so that `__init__`
        // refuses instead of giving back the consumed buffer about to be written (_testbuffer
        // keeps that buffer by pushing the new state on top of it). An original's head is
        // retained instead: a `pop` or `__init__` from there goes ahead, and the store lands
        // in the base buffer it replaced.
        try unsafe withHeldHead(object) { head throws(PythonError) in unsafe try assign(object, key, value, head: head) }
    }
}

/// `ndarray_ass_subscript` on `head`, the object's current base buffer, held by the caller.
private func assign(_ object: PyObjectRef, _ key: PyObjectRef, _ value: PyObjectRef?,
                    head: UnsafeMutablePointer<NDBuffer>) throws(PythonError) {
    let dest = unsafe head.pointee.base
    if dest.readonly { throw .typeError("ndarray is not writable") }
    guard let value = unsafe value else { throw .typeError("ndarray data cannot be deleted") }
    func pack(at pointer: UnsafeMutableRawPointer) throws(PythonError) {
        unsafe try packSingle(value, at: pointer, format: dest.format, itemsize: dest.itemsize)
    }
    if dest.ndim == 0 {
        if unsafe isZeroDimensionalKey(key) { return unsafe try pack(at: dest.buf!) }
        throw .typeError("invalid indexing of scalar")
    }
    if unsafe dest.ndim == 1 && swiftbuf_PyIndex_Check(key) != 0 {
        // The rvalue is a single item.
        let index = unsafe PyLong_AsSsize_t(key)
        if unsafe index == -1 && PyErr_Occurred() != nil { throw .alreadySet }
        return try unsafe pack(at: try core { () throws(SwiftBufferError) in unsafe try head.pointee.itemPointer(index) })
    }
    // The rvalue is an exporter.
    let source = unsafe try HeldBuffer(from: value, request: .fullRO)
    let target = unsafe try subscriptValue(object, key)
    defer { unsafe decref(target) }
    let targetBase = unsafe try ndarrayHead(target).pointee.base
    let sourceBase = unsafe source.descriptor
    try core { () throws(SwiftBufferError) in try NDAssignment.copy(sourceBase, into: targetBase, allocator: .python) }
}
