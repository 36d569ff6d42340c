// Items in and out of ndarray memory through the struct module, as _testbuffer does: a format
// is whatever `struct` accepts (records included), and the errors are struct's own.
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

// MARK: - Packing

/// How many values one element of `format` packs: the `s_len` of its `struct.Struct`, which
/// _testbuffer reads from the object's C layout. `StructFormat.valueCount` counts exactly as
/// `_struct.c` does (a string counts 1, pad bytes 0, anything else its repeat count); formats
/// the core grammar does not take (bytes, or a grammar difference) ask the struct itself.
private func memberCount(format: PyObjectRef, _ structobj: PyObjectRef) throws(PythonError) -> Int {
    if swiftbuf_PyUnicode_Check(format) != 0, let bytes = try? utf8(format),
       let parsed = try? StructFormat(parsing: bytes) {
        return parsed.valueCount
    }
    return try memberCountFromStruct(structobj)
}

/// The length of what unpacking zero bytes with `structobj` yields.
private func memberCountFromStruct(_ structobj: PyObjectRef) throws(PythonError) -> Int {
    let sizeObject = try checked(getAttribute(structobj, .size))
    let size = PyLong_AsSsize_t(sizeObject)
    decref(sizeObject)
    if size == -1 && PyErr_Occurred() != nil { throw .alreadySet }
    let zeros = try checked(PyBytes_FromStringAndSize(nil, size))
    defer { decref(zeros) }
    UnsafeMutableRawPointer(swiftbuf_PyBytes_AS_STRING(zeros)).initializeMemory(as: UInt8.self, repeating: 0, count: size)
    let unpack = try checked(getAttribute(structobj, .unpack))
    defer { decref(unpack) }
    let values = try checked(PyObject_CallOneArg(unpack, zeros))
    defer { decref(values) }
    return swiftbuf_PyTuple_GET_SIZE(values)
}

/// Puts the values of one initializer element after `pack_into`'s buffer and offset: a bytes,
/// int or float when the format has one member, else a list or tuple of exactly its members.
/// Returns what owns the values placed, for the caller to release once packed: a list's are
/// read from a tuple copy, since packing one member may run Python code (`__bool__`,
/// `__float__`) that empties the list and frees the members not yet packed.
private func placeValues(of item: PyObjectRef, members: Int, in args: inout [PyObjectRef?]) throws(PythonError) -> PyObjectRef {
    if (swiftbuf_PyBytes_Check(item) != 0 || swiftbuf_PyLong_Check(item) != 0 || swiftbuf_PyFloat_Check(item) != 0)
        && members == 1 {
        args[2] = item
        return newReference(item)
    }
    if swiftbuf_PyList_Check(item) != 0 || swiftbuf_PyTuple_Check(item) != 0, PySequence_Size(item) == members {
        let values = try tupleCopy(item)
        for j in 0..<members { args[2 + j] = swiftbuf_PyTuple_GET_ITEM(values, j) }
        return values
    }
    throw .valueError("mismatch between initializer element and format string")
}

@inline(__always)
private func vectorcall(_ callable: PyObjectRef, _ args: [PyObjectRef?]) throws(PythonError) -> PyObjectRef {
    let result = args.withUnsafeBufferPointer { PyObject_Vectorcall(callable, $0.baseAddress, $0.count, nil) }
    return try checked(result)
}

/// `pack_from_list`: packs each element of `items` (a list or tuple) into `memory` at
/// `i * itemsize` with `struct.Struct(format).pack_into`.
func packItems(_ items: PyObjectRef, into memory: UnsafeMutableRawBufferPointer, format: PyObjectRef,
               itemsize: Int) throws(PythonError) {
    let structobj = try checked(PyObject_CallOneArg(StructModule.structType, format))
    defer { decref(structobj) }
    let members = try memberCount(format: format, structobj)
    let packInto = try checked(getAttribute(structobj, .packInto))
    defer { decref(packInto) }
    let view = try checked(PyMemoryView_FromMemory(memory.baseAddress?.assumingMemoryBound(to: CChar.self),
                                                   memory.count, PyBUF_WRITE))
    defer { decref(view) }
    var args = [PyObjectRef?](repeating: nil, count: 2 + members)
    args[0] = view
    // The items of a list are read from a tuple copy, for the reason `placeValues` gives.
    let snapshot = try tupleCopy(items)
    defer { decref(snapshot) }
    for i in 0..<swiftbuf_PyTuple_GET_SIZE(snapshot) {
        let offset = try checked(PyLong_FromSsize_t(i * itemsize))
        defer { decref(offset) }
        args[1] = offset
        let values = try placeValues(of: swiftbuf_PyTuple_GET_ITEM(snapshot, i)!, members: members, in: &args)
        defer { decref(values) }
        decref(try vectorcall(packInto, args))
    }
}

/// `pack_single`: packs `item` into the element at `pointer` (`format` nil means "B").
func packSingle(_ item: PyObjectRef, at pointer: UnsafeMutableRawPointer, format: UnsafePointer<CChar>?,
                itemsize: Int) throws(PythonError) {
    let formatObject = try checked(format.map { PyUnicode_FromString($0) } ?? PyUnicode_FromString("B"))
    defer { decref(formatObject) }
    let structobj = try checked(PyObject_CallOneArg(StructModule.structType, formatObject))
    defer { decref(structobj) }
    let members = try memberCount(format: formatObject, structobj)
    let view = try checked(PyMemoryView_FromMemory(pointer.assumingMemoryBound(to: CChar.self), itemsize, PyBUF_WRITE))
    defer { decref(view) }
    let zero = try checked(PyLong_FromLong(0))
    defer { decref(zero) }
    let packInto = try checked(getAttribute(structobj, .packInto))
    defer { decref(packInto) }
    var args = [PyObjectRef?](repeating: nil, count: 2 + members)
    args[0] = view
    args[1] = zero
    let values = try placeValues(of: item, members: members, in: &args)
    defer { decref(values) }
    decref(try vectorcall(packInto, args))
}

// MARK: - Unpacking

/// A one-member struct unpacks to a 1-tuple; _testbuffer returns its member.
@inline(__always)
private func unwrapped(_ values: PyObjectRef) -> PyObjectRef {
    guard swiftbuf_PyTuple_GET_SIZE(values) == 1 else { return values }
    let item = newReference(swiftbuf_PyTuple_GET_ITEM(values, 0))
    decref(values)
    return item
}

/// `unpack_single`: `struct.unpack_from(format, memory at pointer)` (`format` nil means "B",
/// one byte).
func unpackSingle(at pointer: UnsafeMutableRawPointer, format: UnsafePointer<CChar>?, itemsize: Int) throws(PythonError) -> PyObjectRef {
    let formatObject = try checked(format.map { PyUnicode_FromString($0) } ?? PyUnicode_FromString("B"))
    defer { decref(formatObject) }
    let view = try checked(PyMemoryView_FromMemory(pointer.assumingMemoryBound(to: CChar.self),
                                                   format == nil ? 1 : itemsize, PyBUF_READ))
    defer { decref(view) }
    return unwrapped(try vectorcall(StructModule.unpackFrom!, [formatObject, view]))
}

/// `ndarray_as_list`: the items as nested lists (one item for ndim = 0), unpacked with
/// `struct.Struct(format)`.
///
/// _testbuffer calls `unpack_from` once per item on a copy of it. The items are read in C
/// order from the memory itself when it is C-contiguous, else from one copy in C order, and:
/// - a native single-code format other than `e` is read by `ElementCodec` into the object
///   `struct` returns for it (the memoryview element conversions), no struct call at all;
/// - otherwise, when the struct's size is the itemsize, one `iter_unpack` yields the same
///   values without a Python call per item;
/// - otherwise each item is unpacked as _testbuffer does, so even a mismatched exporter gets
///   the same answer.
func unpackAll(_ base: BufferDescriptor) throws(PythonError) -> PyObjectRef {
    guard let format = base.format else {
        throw .valueError("ndarray: tolist() does not support format=NULL, use tobytes()")
    }
    // No shape: one dimension of len / itemsize items (a re-export without PyBUF_ND).
    let shape = (0..<base.ndim).map { base.extent($0) }
    let itemsize = base.itemsize
    // A foreign exporter's shape was never checked here; sizes that do not fit cannot be listed.
    guard let count = try? Layout.byteCount(shape: shape, itemsize: 1),
          (try? Layout.byteCount(shape: shape, itemsize: max(itemsize, 1))) != nil else { throw .noMemory }
    // Native codes: struct accepts them, so _testbuffer's Struct(format) cannot fail first.
    let native = ElementCodec.Code(memoryviewFormat: base.formatBytes).flatMap { $0.size == itemsize ? $0 : nil }
    var structobj: PyObjectRef? = nil
    if native == nil {
        let formatObject = try checked(PyUnicode_FromString(format))
        structobj = PyObject_CallOneArg(StructModule.structType, formatObject)
        decref(formatObject)
        if structobj == nil { throw .alreadySet }
    }
    defer { xdecref(structobj) }
    var temporary: UnsafeMutableRawPointer? = nil
    defer { if let t = temporary { PyMem_Free(t) } }
    let items: UnsafeMutableRawPointer
    if count != 0, Layout.isContiguous(base, order: .c), let buf = base.buf {
        items = buf
    } else {
        // A gathered copy; for no items, memory that is never read (only empty lists are made).
        guard let t = PyMem_Malloc(max(base.len, 1)) else { throw .noMemory }
        temporary = t
        if count != 0 { StridedCopy.gather(base, into: t, order: .c) }
        items = t
    }
    // The items in C order, contiguous at `items`, walked as one shape by the core.
    func list<C: ElementConversion>(_ convert: C) throws(PythonError) -> PyObjectRef {
        try Layout.withContiguousLayout(like: base, at: items, order: .c) { layout in
            Result { () throws(PythonError) in try nestedList(layout, at: items, convert, checking: nil) }
        }.get()
    }
    if count == 0 { return try list(NoElement()) }
    if let code = native {
        return try Layout.withContiguousLayout(like: base, at: items, order: .c) { layout in
            Result { () throws(PythonError) in try nestedList(layout, at: items, code: code, checking: nil) }
        }.get()
    }
    let unpacker = structobj!
    let sizeObject = try checked(getAttribute(unpacker, .size))
    let size = PyLong_AsSsize_t(sizeObject)
    decref(sizeObject)
    // iter_unpack refuses a struct of size 0 ('0x', NumPy's 'V0'); those go item by item.
    if size == itemsize && size > 0 {
        let view = try checked(PyMemoryView_FromMemory(items.assumingMemoryBound(to: CChar.self), count * itemsize, PyBUF_READ))
        defer { decref(view) }
        let iterUnpack = try checked(getAttribute(unpacker, .iterUnpack))
        defer { decref(iterUnpack) }
        let iterator = try checked(PyObject_CallOneArg(iterUnpack, view))
        defer { decref(iterator) }
        return try list(IteratedElement(iterator: iterator))
    }
    // unpack_rec: each item copied into a scratch item, unpacked from there.
    guard let scratch = PyMem_Malloc(max(itemsize, 1)) else { throw .noMemory }
    defer { PyMem_Free(scratch) }
    let scratchView = try checked(PyMemoryView_FromMemory(scratch.assumingMemoryBound(to: CChar.self), itemsize, PyBUF_WRITE))
    defer { decref(scratchView) }
    let unpackFrom = try checked(getAttribute(unpacker, .unpackFrom))
    defer { decref(unpackFrom) }
    return try list(UnpackedElement(scratch: scratch, itemsize: itemsize, scratchView: scratchView, unpackFrom: unpackFrom))
}

/// For a shape with no items: never asked for one.
private struct NoElement: ElementConversion {
    func object(_: UnsafeRawPointer) -> PyObjectRef? {
        PythonError(core: .valueError("ndarray: no items")).raise()
        return nil
    }
}

/// The next tuple of `struct.iter_unpack` over all the items, in the walk's (C) order.
private struct IteratedElement: ElementConversion {
    let iterator: PyObjectRef
    func object(_: UnsafeRawPointer) -> PyObjectRef? {
        guard let values = PyIter_Next(iterator) else {
            if PyErr_Occurred() == nil { PythonError(swiftbuf_PyExc_SystemError(), "ndarray: iter_unpack ended early").raise() }
            return nil
        }
        return unwrapped(values)
    }
}

/// `unpack_rec`'s item: copied into `scratch`, unpacked from there with `unpack_from`.
private struct UnpackedElement: ElementConversion {
    let scratch: UnsafeMutableRawPointer
    let itemsize: Int
    let scratchView: PyObjectRef
    let unpackFrom: PyObjectRef
    func object(_ pointer: UnsafeRawPointer) -> PyObjectRef? {
        scratch.copyMemory(from: pointer, byteCount: itemsize)
        let values = [scratchView].withUnsafeBufferPointer { PyObject_Vectorcall(unpackFrom, $0.baseAddress, 1, nil) }
        return values.map(unwrapped)
    }
}
