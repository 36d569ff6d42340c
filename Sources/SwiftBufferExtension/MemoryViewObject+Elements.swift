// MARK: - Elements as Python objects (unpack_single, pack_single)
//
// The core codec reads and writes the bytes; this file turns its values into Python objects
// and back with the conversions memoryobject.c uses (PyLong_FromLong for small ints, the
// `__index__` protocol for integers, `__float__` for floats, truth for `?`), and words
// failures as the builtin does.
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

/// A Python object for the element of `code` at `pointer` (`unpack_single`), or nil with an
/// exception set (only allocation can fail).
@inline(__always)
func elementObject(_ code: ElementCodec.Code, _ pointer: UnsafeRawPointer) -> PyObjectRef? {
    switch unsafe ElementCodec.unpack(code, from: pointer) {
    case .signed(let v): return unsafe pyLong(Int(v))
    case .unsigned(let v): return unsafe v <= UInt64(Int.max) ? pyLong(Int(v)) : pyLong(v)
    case .float(let d): return unsafe pyFloat(d)
    case .bool(let b): return unsafe pyBool(b)
    case .char: return unsafe pyBytes(pointer.assumingMemoryBound(to: CChar.self), count: 1)
    case .pointer(let address): return unsafe pyLong(address: address)
    }
}

/// `unpack_single` of a view whose format character is `character`: re-checks the view
/// (Python code may have run since it was last checked), then reads the element.
@inline(__always)
func unpackElement(_ mv: MemoryViewHandle, _ pointer: UnsafeRawPointer, _ character: UInt8) throws(PythonError) -> PyObjectRef {
    unsafe try mv.checkReleased()
    return unsafe try unpackElement(pointer, character)
}

/// `unpack_single` where no Python code ran since the view was last checked.
@inline(__always)
func unpackElement(_ pointer: UnsafeRawPointer, _ character: UInt8) throws(PythonError) -> PyObjectRef {
    guard let object = unsafe unpackedElement(pointer, character) else { throw .alreadySet }
    return unsafe object
}

/// `unpackElement` for a slot that throws nothing else: nil with the exception set. It raises
/// out of line instead of throwing, so a slot built on it saves no error registers (0-d `m[()]`
/// 194 -> 180 instructions under callgrind, the builtin's 183).
@inline(__always)
func unpackedElement(_ pointer: UnsafeRawPointer, _ character: UInt8) -> PyObjectRef? {
    guard let code = ElementCodec.Code(ascii: character), code != .half else {
        return unsafe raiseUnsupportedElement(character)
    }
    return unsafe elementObject(code, pointer)
}

/// The error made and raised in one out-of-line call: made in the caller, it was live across
/// the calls that convert it, and the caller saved five registers for it on every read.
@inline(never)
private func raiseUnsupportedElement(_ character: UInt8) -> PyObjectRef? {
    unsafe raising(.core(MemoryView.unsupportedElement(character)))
}

/// `pack_single`: converts `item` for format character `character` and stores it at
/// `pointer`. The conversion may run Python code (`__index__`, `__float__`, `__bool__`), so
/// the view is checked again before the store. `mv == nil`: the caller holds an export of the
/// memory across the call, so nothing can move it (swiftbuf.Buffer's item assignment).
// `@_transparent`, because `@inline(__always)` was not honoured here: each of its three
// callers called one out-of-line copy (a frame and a switch re-entry per store; callgrind:
// `m[i] = v` 'd' 273 -> 252 instructions, 0-d `m[()] = v` 221 -> 204, builtin 282 and 207).
@_transparent
func packElement(_ mv: MemoryViewHandle?, _ pointer: UnsafeMutableRawPointer, _ item: PyObjectRef, _ character: UInt8) throws(PythonError) {
    let code = try core { () throws(SwiftBufferError) in try MemoryView.elementCode(character) }
    // Each kind stores through the codec's typed `pack`, inlined: the value's kind is known here.
    switch code.kind {
    case .signedInteger:
        // b h i l q n are all C long on LP64: one conversion, then the codec checks the range.
        let v = try converted(code, failure: -1) { () -> Int in
            if unsafe swiftbuf_PyLong_CheckExact(item) != 0 { return unsafe PyLong_AsLong(item) }
            guard let index = unsafe PyNumber_Index(item) else { return -1 }
            defer { unsafe decref(index) }
            return unsafe PyLong_AsLong(index)
        }
        unsafe try mv?.checkReleased()
        if unsafe !ElementCodec.pack(signed: Int64(v), as: code, into: pointer) { throw invalidValue(code) }
    case .unsignedInteger:
        let v = try converted(code, failure: UInt.max) { () -> UInt in
            if unsafe swiftbuf_PyLong_CheckExact(item) != 0 { return unsafe PyLong_AsUnsignedLong(item) }
            guard let index = unsafe PyNumber_Index(item) else { return UInt.max }
            defer { unsafe decref(index) }
            return unsafe PyLong_AsUnsignedLong(index)
        }
        unsafe try mv?.checkReleased()
        if unsafe !ElementCodec.pack(unsigned: UInt64(v), as: code, into: pointer) { throw invalidValue(code) }
    case .floatingPoint:
        let d = try converted(code, failure: -1.0) { unsafe PyFloat_AsDouble(item) }
        unsafe try mv?.checkReleased()
        if unsafe !ElementCodec.pack(float: d, as: code, into: pointer) { throw invalidValue(code) }
    case .boolean:
        let truth = unsafe PyObject_IsTrue(item)
        if truth < 0 { throw .alreadySet }   // the original error, untranslated
        unsafe try mv?.checkReleased()
        _ = unsafe ElementCodec.pack(.bool(truth != 0), as: code, into: pointer)
    case .character:
        if unsafe swiftbuf_PyBytes_Check(item) == 0 { throw invalidType(code) }
        if unsafe swiftbuf_PyBytes_GET_SIZE(item) != 1 { throw invalidValue(code) }
        // No Python code ran: no re-check, as in CPython.
        _ = unsafe ElementCodec.pack(.char(UInt8(bitPattern: swiftbuf_PyBytes_AS_STRING(item)[0])), as: code, into: pointer)
    case .pointer:
        let address = try converted(code, failure: UInt.max) { () -> UInt in
            let p = unsafe PyLong_AsVoidPtr(item)
            return unsafe p == nil && PyErr_Occurred() != nil ? UInt.max : UInt(bitPattern: p)
        }
        unsafe try mv?.checkReleased()
        if unsafe ElementCodec.pack(.pointer(address), as: code, into: pointer) != nil { throw invalidValue(code) }
    }
}

/// Runs a C conversion that signals failure with its error value `failure` plus a set
/// exception (the exception is looked at only when the result is `failure`, as CPython's
/// `x == -1 && PyErr_Occurred()`), and translates the exception as `fix_error_int` does:
/// TypeError → "invalid type", OverflowError and ValueError → "invalid value", anything else
/// untouched.
@inline(__always)
private func converted<T: Equatable>(_ code: ElementCodec.Code, failure: T, _ body: () -> T) throws(PythonError) -> T {
    let v = body()
    guard unsafe v != failure || PyErr_Occurred() == nil else {
        if unsafe PyErr_ExceptionMatches(swiftbuf_PyExc_TypeError()) != 0 {
            PyErr_Clear()
            throw invalidType(code)
        }
        if unsafe PyErr_ExceptionMatches(swiftbuf_PyExc_OverflowError()) != 0 || PyErr_ExceptionMatches(swiftbuf_PyExc_ValueError()) != 0 {
            PyErr_Clear()
            throw invalidValue(code)
        }
        throw .alreadySet
    }
    return v
}

private func invalidType(_ code: ElementCodec.Code) -> PythonError {
    PythonError(.typeError, literal: "memoryview: invalid type for format '", quoting: code.rawValue)
}

private func invalidValue(_ code: ElementCodec.Code) -> PythonError {
    PythonError(.valueError, literal: "memoryview: invalid value for format '", quoting: code.rawValue)
}

// MARK: - Unpacking with the struct module (struct_get_unpacker, struct_unpack_single)

/// `struct.Struct(format).unpack_from` over a scratch copy of one element (`struct_get_unpacker`,
/// `struct_unpack_single`): how the builtin compares elements of formats it has no native code
/// for, and how `_testbuffer` lists items whose struct size is not the itemsize. The scratch
/// is a bytearray (CPython's is a memoryview of Python memory: measured the same per element,
/// and about 1000 instructions more to make).
@unsafe struct StructUnpacker {
    let unpackFrom: PyObjectRef
    let scratch: PyObjectRef
    let itemsize: Int

    /// Compiles `format`; raises what `struct.Struct` raises (struct.error for a bad format).
    init(format: UnsafePointer<CChar>, itemsize: Int) throws(PythonError) {
        guard let structType = unsafe StructModule.structType else { throw .importError("struct module not available") }
        let formatBytes = unsafe try checked(PyBytes_FromString(format))
        defer { unsafe decref(formatBytes) }
        let compiled = unsafe try checked(PyObject_CallOneArg(structType, formatBytes))
        defer { unsafe decref(compiled) }
        unsafe try self.init(compiled: compiled, itemsize: itemsize)
    }

    /// Unpacks with the `unpack_from` of `compiled`, a `struct.Struct`.
    init(compiled: PyObjectRef, itemsize: Int) throws(PythonError) {
        let unpackFrom = unsafe try checked(getAttribute(compiled, .unpackFrom))
        guard let scratch = unsafe PyByteArray_FromStringAndSize(nil, itemsize) else {
            unsafe decref(unpackFrom)
            throw .alreadySet
        }
        unsafe self.unpackFrom = unsafe unpackFrom
        unsafe self.scratch = unsafe scratch
        unsafe self.itemsize = itemsize
    }

    /// The value of the element at `pointer`: the unpacked tuple, or its only item.
    func unpack(_ pointer: UnsafeRawPointer) throws(PythonError) -> PyObjectRef {
        if unsafe itemsize > 0 {
            unsafe UnsafeMutableRawPointer(PyByteArray_AsString(scratch)!).copyMemory(from: pointer, byteCount: itemsize)
        }
        return unsafe unwrapped(try checked(PyObject_CallOneArg(unpackFrom, scratch)))
    }

    func dispose() {
        unsafe decref(unpackFrom)
        unsafe decref(scratch)
    }
}

/// An unpacked struct's value: a one-member struct unpacks to a 1-tuple, whose member this
/// is (as memoryview and _testbuffer return it); the tuple of several otherwise.
@inline(__always)
func unwrapped(_ values: PyObjectRef) -> PyObjectRef {
    guard unsafe swiftbuf_PyTuple_GET_SIZE(values) == 1 else { return unsafe values }
    let item = unsafe newReference(swiftbuf_PyTuple_GET_ITEM(values, 0))
    unsafe decref(values)
    return unsafe item
}
