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
    if unsafe swiftbuf_PyUnicode_Check(format) != 0, let bytes = unsafe try? utf8(format),
       let count = unsafe try? StructFormat.valueCount(parsing: bytes) {
        return count
    }
    return unsafe try memberCountFromStruct(structobj)
}

/// The length of what unpacking zero bytes with `structobj` yields.
private func memberCountFromStruct(_ structobj: PyObjectRef) throws(PythonError) -> Int {
    let sizeObject = unsafe try checked(getAttribute(structobj, .size))
    let size = unsafe PyLong_AsSsize_t(sizeObject)
    unsafe decref(sizeObject)
    if unsafe size == -1 && PyErr_Occurred() != nil { throw .alreadySet }
    let zeros = unsafe try checked(PyBytes_FromStringAndSize(nil, size))
    defer { unsafe decref(zeros) }
    unsafe UnsafeMutableRawPointer(swiftbuf_PyBytes_AS_STRING(zeros)).initializeMemory(as: UInt8.self, repeating: 0, count: size)
    let unpack = unsafe try checked(getAttribute(structobj, .unpack))
    defer { unsafe decref(unpack) }
    let values = unsafe try checked(PyObject_CallOneArg(unpack, zeros))
    defer { unsafe decref(values) }
    return unsafe swiftbuf_PyTuple_GET_SIZE(values)
}

/// Puts the values of one initializer element after `pack_into`'s buffer and offset: a bytes,
/// int or float when the format has one member, else a list or tuple of exactly its members.
/// Returns what owns the values placed, for the caller to release once packed: a list's are
/// read from a tuple copy, since packing one member may run Python code (`__bool__`,
/// `__float__`) that empties the list and frees the members not yet packed.
private func placeValues(of item: PyObjectRef, members: Int, in args: UnsafeMutableBufferPointer<PyObjectRef?>) throws(PythonError) -> PyObjectRef {
    if unsafe (swiftbuf_PyBytes_Check(item) != 0 || swiftbuf_PyLong_Check(item) != 0 || swiftbuf_PyFloat_Check(item) != 0)
        && members == 1 {
        unsafe args[2] = unsafe item
        return unsafe newReference(item)
    }
    if unsafe swiftbuf_PyList_Check(item) != 0 || swiftbuf_PyTuple_Check(item) != 0, unsafe PySequence_Size(item) == members {
        let values = unsafe try tupleCopy(item)
        for j in 0..<members { unsafe args[2 + j] = unsafe swiftbuf_PyTuple_GET_ITEM(values, j) }
        return unsafe values
    }
    throw .valueError("mismatch between initializer element and format string")
}

@inline(__always)
private func vectorcall(_ callable: PyObjectRef, _ args: UnsafeMutableBufferPointer<PyObjectRef?>) throws(PythonError) -> PyObjectRef {
    unsafe try checked(PyObject_Vectorcall(callable, args.baseAddress, args.count, nil))
}

/// `body` with `count` vectorcall argument slots, nil until placed: on the stack for the
/// common sizes, where an array per `nd[i]` and `nd[i] = v` was a heap allocation.
@inline(__always)
private func withArguments<R>(count: Int, _ body: (UnsafeMutableBufferPointer<PyObjectRef?>) throws(PythonError) -> R) throws(PythonError) -> R {
    try unsafe withUnsafeTemporaryAllocation(of: PyObjectRef?.self, capacity: count) { args throws(PythonError) in
        unsafe args.initialize(repeating: nil)
        return try unsafe body(args)
    }
}

/// `pack_from_list`: packs each element of `items` (a list or tuple) into `memory` at
/// `i * itemsize` with `struct.Struct(format).pack_into`.
func packItems(_ items: PyObjectRef, into memory: UnsafeMutableRawBufferPointer, format: PyObjectRef,
               itemsize: Int) throws(PythonError) {
    let structobj = unsafe try checked(PyObject_CallOneArg(StructModule.structType, format))
    defer { unsafe decref(structobj) }
    let members = unsafe try memberCount(format: format, structobj)
    let packInto = unsafe try checked(getAttribute(structobj, .packInto))
    defer { unsafe decref(packInto) }
    let view = unsafe try checked(PyMemoryView_FromMemory(memory.baseAddress?.assumingMemoryBound(to: CChar.self),
                                                   memory.count, PyBUF_WRITE))
    defer { unsafe decref(view) }
    // The items of a list are read from a tuple copy, for the reason `placeValues` gives.
    let snapshot = unsafe try tupleCopy(items)
    defer { unsafe decref(snapshot) }
    try unsafe withArguments(count: 2 + members) { args throws(PythonError) in
        unsafe args[0] = unsafe view
        for i in unsafe 0..<swiftbuf_PyTuple_GET_SIZE(snapshot) {
            let offset = unsafe try checked(PyLong_FromSsize_t(i * itemsize))
            defer { unsafe decref(offset) }
            unsafe args[1] = unsafe offset
            let values = unsafe try placeValues(of: swiftbuf_PyTuple_GET_ITEM(snapshot, i)!, members: members, in: args)
            defer { unsafe decref(values) }
            unsafe decref(try vectorcall(packInto, args))
        }
    }
}

/// `pack_single`: packs `item` into the element at `pointer` (`format` nil means "B").
func packSingle(_ item: PyObjectRef, at pointer: UnsafeMutableRawPointer, format: UnsafePointer<CChar>?,
                itemsize: Int) throws(PythonError) {
    let formatObject = unsafe try checked(format.map { unsafe PyUnicode_FromString($0) } ?? PyUnicode_FromString("B"))
    defer { unsafe decref(formatObject) }
    let structobj = unsafe try checked(PyObject_CallOneArg(StructModule.structType, formatObject))
    defer { unsafe decref(structobj) }
    let members = unsafe try memberCount(format: formatObject, structobj)
    let view = unsafe try checked(PyMemoryView_FromMemory(pointer.assumingMemoryBound(to: CChar.self), itemsize, PyBUF_WRITE))
    defer { unsafe decref(view) }
    let zero = unsafe try checked(PyLong_FromLong(0))
    defer { unsafe decref(zero) }
    let packInto = unsafe try checked(getAttribute(structobj, .packInto))
    defer { unsafe decref(packInto) }
    try unsafe withArguments(count: 2 + members) { args throws(PythonError) in
        unsafe args[0] = unsafe view
        unsafe args[1] = unsafe zero
        let values = unsafe try placeValues(of: item, members: members, in: args)
        defer { unsafe decref(values) }
        unsafe decref(try vectorcall(packInto, args))
    }
}

// MARK: - Unpacking

/// `unpack_single`: `struct.unpack_from(format, memory at pointer)` (`format` nil means "B",
/// one byte).
func unpackSingle(at pointer: UnsafeMutableRawPointer, format: UnsafePointer<CChar>?, itemsize: Int) throws(PythonError) -> PyObjectRef {
    let formatObject = unsafe try checked(format.map { unsafe PyUnicode_FromString($0) } ?? PyUnicode_FromString("B"))
    defer { unsafe decref(formatObject) }
    let view = unsafe try checked(PyMemoryView_FromMemory(pointer.assumingMemoryBound(to: CChar.self),
                                                   format == nil ? 1 : itemsize, PyBUF_READ))
    defer { unsafe decref(view) }
    return unsafe unwrapped(try withArguments(count: 2) { args throws(PythonError) in
        unsafe args[0] = unsafe formatObject
        unsafe args[1] = unsafe view
        return unsafe try vectorcall(StructModule.unpackFrom!, args)
    })
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
    guard let format = unsafe base.format else {
        throw .valueError("ndarray: tolist() does not support format=NULL, use tobytes()")
    }
    // No shape: one dimension of len / itemsize items (a re-export without PyBUF_ND).
    let shape = (0..<base.ndim).map { base.extent($0) }
    let itemsize = base.itemsize
    // A foreign exporter's shape was never checked here; sizes that do not fit cannot be listed.
    guard let count = try? Layout.byteCount(shape: shape, itemsize: 1),
          (try? Layout.byteCount(shape: shape, itemsize: max(itemsize, 1))) != nil else { throw .noMemory }
    // Native codes: struct accepts them, so _testbuffer's Struct(format) cannot fail first.
    let native = unsafe ElementCodec.Code(memoryviewFormat: base.formatBytes).flatMap { $0.size == itemsize ? $0 : nil }
    var structobj: PyObjectRef? = nil
    if native == nil {
        let formatObject = unsafe try checked(PyUnicode_FromString(format))
        unsafe structobj = unsafe PyObject_CallOneArg(StructModule.structType, formatObject)
        unsafe decref(formatObject)
        if unsafe structobj == nil { throw .alreadySet }
    }
    defer { unsafe xdecref(structobj) }
    var temporary: UnsafeMutableRawPointer? = nil
    defer { if let t = unsafe temporary { unsafe PyMem_Free(t) } }
    let items: UnsafeMutableRawPointer
    if count != 0, Layout.isContiguous(base, order: .c), let buf = unsafe base.buf {
        unsafe items = unsafe buf
    } else {
        // A gathered copy; for no items, memory that is never read (only empty lists are made).
        guard let t = unsafe PyMem_Malloc(max(base.len, 1)) else { throw .noMemory }
        unsafe temporary = unsafe t
        if count != 0 { unsafe StridedCopy.gather(base, into: t, order: .c) }
        unsafe items = unsafe t
    }
    // The items in C order, contiguous at `items`, walked as one shape by the core.
    func list<C: ElementConversion>(_ convert: C) throws(PythonError) -> PyObjectRef {
        unsafe try Layout.withContiguousLayout(like: base, at: items, order: .c) { layout in
            unsafe Result { () throws(PythonError) in unsafe try nestedList(layout, at: items, convert, checking: nil) }
        }.get()
    }
    if count == 0 { return unsafe try list(NoElement()) }
    if let code = native {
        return unsafe try Layout.withContiguousLayout(like: base, at: items, order: .c) { layout in
            unsafe Result { () throws(PythonError) in unsafe try nestedList(layout, at: items, code: code, checking: nil) }
        }.get()
    }
    let unpacker = unsafe structobj!
    let sizeObject = unsafe try checked(getAttribute(unpacker, .size))
    let size = unsafe PyLong_AsSsize_t(sizeObject)
    unsafe decref(sizeObject)
    // iter_unpack refuses a struct of size 0 ('0x', NumPy's 'V0'); those go item by item.
    if size == itemsize && size > 0 {
        let view = unsafe try checked(PyMemoryView_FromMemory(items.assumingMemoryBound(to: CChar.self), count * itemsize, PyBUF_READ))
        defer { unsafe decref(view) }
        let iterUnpack = unsafe try checked(getAttribute(unpacker, .iterUnpack))
        defer { unsafe decref(iterUnpack) }
        let iterator = unsafe try checked(PyObject_CallOneArg(iterUnpack, view))
        defer { unsafe decref(iterator) }
        return unsafe try list(IteratedElement(iterator: iterator))
    }
    // unpack_rec: each item copied into a scratch item, unpacked from there.
    let element = unsafe try StructUnpacker(compiled: unpacker, itemsize: itemsize)
    defer { unsafe element.dispose() }
    return unsafe try list(UnpackedElement(unpacker: element))
}

/// For a shape with no items: never asked for one.
private struct NoElement: ElementConversion {
    func object(_: UnsafeRawPointer) -> PyObjectRef? {
        PythonError(core: .valueError("ndarray: no items")).raise()
        return nil
    }
}

/// The next tuple of `struct.iter_unpack` over all the items, in the walk's (C) order.
@unsafe private struct IteratedElement: ElementConversion {
    let iterator: PyObjectRef
    func object(_: UnsafeRawPointer) -> PyObjectRef? {
        guard let values = unsafe PyIter_Next(iterator) else {
            if unsafe PyErr_Occurred() == nil { unsafe PythonError(swiftbuf_PyExc_SystemError(), "ndarray: iter_unpack ended early").raise() }
            return nil
        }
        return unsafe unwrapped(values)
    }
}

/// `unpack_rec`'s item, through the struct's `unpack_from`.
@unsafe private struct UnpackedElement: ElementConversion {
    let unpacker: StructUnpacker
    func object(_ pointer: UnsafeRawPointer) -> PyObjectRef? {
        do throws(PythonError) {
            return unsafe try unpacker.unpack(pointer)
        } catch {
            error.raise()   // .alreadySet: the call's exception stays set
            return nil
        }
    }
}
