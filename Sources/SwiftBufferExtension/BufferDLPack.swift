// DLPack for swiftbuf.Buffer (array-API standard, dlpack.h v1.0; the C structs are in
// Sources/pyext/objects/include/swiftbuf_dlpack.h, the type mapping in the core's DLPack.swift).
//
// Export: `__dlpack__` takes an ordinary buffer export of the Buffer (PyObject_GetBuffer, so it
// counts in `exports` and `resize` refuses while a consumer holds it) into one block that also
// holds the managed tensor and its int64 shape and strides. The block's deleter gives the export
// back and frees the block, exactly once: the consumer calls it (after renaming the capsule to
// "used_dltensor[_versioned]"), or the capsule's destructor does when nobody consumed it.
//
// Import: `Buffer.from_dlpack(x)` asks `x.__dlpack__(max_version=(1, 0))` (no arguments for a
// producer that refuses the keyword), renames the capsule as consumed and wraps the tensor's
// memory without a copy; the Buffer calls the producer's deleter when it and its views are gone.
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython

/// A NUL-terminated copy of `s` that lives for the process (capsule names must outlive capsules).
private func permanentCString(_ s: String) -> UnsafePointer<CChar> {
    let bytes = Array(s.utf8) + [0]
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
    for (i, b) in bytes.enumerated() { unsafe p[i] = CChar(bitPattern: b) }
    return unsafe UnsafePointer(p)
}

// Immutable C strings, never freed: nonisolated(unsafe) only because Swift 6 calls no pointer Sendable.
nonisolated(unsafe) private let legacyName = unsafe permanentCString("dltensor")
nonisolated(unsafe) private let versionedName = unsafe permanentCString("dltensor_versioned")
nonisolated(unsafe) private let usedLegacyName = unsafe permanentCString("used_dltensor")
nonisolated(unsafe) private let usedVersionedName = unsafe permanentCString("used_dltensor_versioned")

// MARK: - The exported block

/// Where the parts of an exported block are: the managed tensor, the Py_buffer, the arrays.
private struct ExportBlock {
    static func bufferOffset(versioned: Bool) -> Int {
        let header = unsafe versioned ? MemoryLayout<swiftbuf_DLManagedTensorVersioned>.stride : MemoryLayout<swiftbuf_DLManagedTensor>.stride
        return (header + 15) & ~15
    }
    static func arraysOffset(versioned: Bool) -> Int { unsafe bufferOffset(versioned: versioned) + MemoryLayout<Py_buffer>.stride }
}

/// Gives the export back and frees the block; the deleter of both tensor kinds. It may run on
/// any thread (the standard allows it), so it takes the GIL.
private func releaseBlock(_ block: UnsafeMutableRawPointer, _ context: UnsafeMutableRawPointer?) {
    let gil = PyGILState_Ensure()
    if let view = unsafe context?.assumingMemoryBound(to: Py_buffer.self) { unsafe PyBuffer_Release(view) }
    unsafe PyMem_RawFree(block)
    PyGILState_Release(gil)
}

private let legacyDeleter: @convention(c) (UnsafeMutablePointer<swiftbuf_DLManagedTensor>?) -> Void = { t in
    guard let t = unsafe t else { return }
    unsafe releaseBlock(UnsafeMutableRawPointer(t), t.pointee.manager_ctx)
}

private let versionedDeleter: @convention(c) (UnsafeMutablePointer<swiftbuf_DLManagedTensorVersioned>?) -> Void = { t in
    guard let t = unsafe t else { return }
    unsafe releaseBlock(UnsafeMutableRawPointer(t), t.pointee.manager_ctx)
}

/// Capsule destructors: a capsule still under its original name was never consumed, so its
/// tensor is deleted here. The error state is kept (a destructor may run while one is set).
private let legacyCapsuleDestructor: @convention(c) (PyObjectRef?) -> Void = { capsule in
    guard let capsule = unsafe capsule, unsafe PyCapsule_IsValid(capsule, legacyName) != 0 else { return }
    var type: PyObjectRef?, value: PyObjectRef?, traceback: PyObjectRef?
    unsafe PyErr_Fetch(&type, &value, &traceback)
    let t = unsafe PyCapsule_GetPointer(capsule, legacyName)!.assumingMemoryBound(to: swiftbuf_DLManagedTensor.self)
    unsafe t.pointee.deleter?(t)
    unsafe PyErr_Restore(type, value, traceback)
}

private let versionedCapsuleDestructor: @convention(c) (PyObjectRef?) -> Void = { capsule in
    guard let capsule = unsafe capsule, unsafe PyCapsule_IsValid(capsule, versionedName) != 0 else { return }
    var type: PyObjectRef?, value: PyObjectRef?, traceback: PyObjectRef?
    unsafe PyErr_Fetch(&type, &value, &traceback)
    let t = unsafe PyCapsule_GetPointer(capsule, versionedName)!.assumingMemoryBound(to: swiftbuf_DLManagedTensorVersioned.self)
    unsafe t.pointee.deleter?(t)
    unsafe PyErr_Restore(type, value, traceback)
}

/// A capsule holding a DLPack tensor of `exporter`'s memory (a Buffer), with an export held.
private func makeCapsule(_ exporter: PyObjectRef, versioned: Bool, dtype: DLPack.DataType, copied: Bool) throws(PythonError) -> PyObjectRef {
    let ndim = unsafe memoryOf(exporter).ndim
    let arrays = ExportBlock.arraysOffset(versioned: versioned)
    guard let block = unsafe PyMem_RawMalloc(arrays + 2 * max(ndim, 1) * MemoryLayout<Int64>.stride) else { throw .noMemory }
    let view = unsafe (block + ExportBlock.bufferOffset(versioned: versioned)).bindMemory(to: Py_buffer.self, capacity: 1)
    do throws(PythonError) { unsafe try HeldBuffer.get(into: view, from: exporter, request: .recordsRO) } catch {
        unsafe PyMem_RawFree(block)
        throw error
    }
    let shape = unsafe (block + arrays).bindMemory(to: Int64.self, capacity: 2 * max(ndim, 1))
    let strides = unsafe shape + ndim
    let itemsize = unsafe view.pointee.itemsize
    for i in 0..<ndim {
        unsafe shape[i] = unsafe Int64(view.pointee.shape![i])
        unsafe strides[i] = unsafe Int64(view.pointee.strides![i] / itemsize)
    }
    let tensor = unsafe swiftbuf_DLTensor(data: view.pointee.buf, device: swiftbuf_DLDevice(device_type: DLPack.cpu, device_id: 0),
                                   ndim: Int32(ndim), dtype: swiftbuf_DLDataType(code: dtype.code, bits: dtype.bits, lanes: dtype.lanes),
                                   shape: shape, strides: strides, byte_offset: 0)
    let capsule: PyObjectRef?
    if versioned {
        let t = unsafe block.bindMemory(to: swiftbuf_DLManagedTensorVersioned.self, capacity: 1)
        var flags: UInt64 = unsafe view.pointee.readonly != 0 ? DLPack.readOnlyFlag : 0
        if copied { flags |= DLPack.isCopiedFlag }
        unsafe t.initialize(to: swiftbuf_DLManagedTensorVersioned(
            version: swiftbuf_DLPackVersion(major: DLPack.majorVersion, minor: DLPack.minorVersion),
            manager_ctx: UnsafeMutableRawPointer(view), deleter: versionedDeleter, flags: flags, dl_tensor: tensor))
        unsafe capsule = unsafe PyCapsule_New(block, versionedName, versionedCapsuleDestructor)
    } else {
        let t = unsafe block.bindMemory(to: swiftbuf_DLManagedTensor.self, capacity: 1)
        unsafe t.initialize(to: swiftbuf_DLManagedTensor(dl_tensor: tensor, manager_ctx: UnsafeMutableRawPointer(view), deleter: legacyDeleter))
        unsafe capsule = unsafe PyCapsule_New(block, legacyName, legacyCapsuleDestructor)
    }
    guard let made = unsafe capsule else {
        unsafe releaseBlock(block, UnsafeMutableRawPointer(view))
        throw .alreadySet
    }
    return unsafe made
}

// MARK: - __dlpack__, __dlpack_device__

private let dlpackSignature = ClinicSignature("__dlpack__", "stream\0max_version\0dl_device\0copy", count: 4, positional: 0)

/// The `(a, b)` pair of an argument, TypeError naming it otherwise.
private func intPair(_ o: PyObjectRef, name: String) throws(PythonError) -> (Int, Int) {
    guard unsafe swiftbuf_PyTuple_Check(o) != 0, unsafe swiftbuf_PyTuple_GET_SIZE(o) == 2,
          unsafe swiftbuf_PyIndex_Check(swiftbuf_PyTuple_GET_ITEM(o, 0)) != 0, unsafe swiftbuf_PyIndex_Check(swiftbuf_PyTuple_GET_ITEM(o, 1)) != 0 else {
        throw .typeError(unsafe "\(name) must be None or a tuple of two ints, not \(typeName(o))")
    }
    return unsafe (try ssize(swiftbuf_PyTuple_GET_ITEM(o, 0)), try ssize(swiftbuf_PyTuple_GET_ITEM(o, 1)))
}

@_cdecl("swiftbuf_buffer_dlpack")
func bufferDlpack(_ o: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int, _ kwnames: PyObjectRef?) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        let a = unsafe try dlpackSignature.arguments(args, nargs, kwnames)
        let none = unsafe swiftbuf_Py_None()
        if let stream = unsafe a[0], unsafe stream != none {
            throw .bufferError(unsafe "swiftbuf.Buffer is CPU memory: stream must be None, not \(typeName(stream))")
        }
        let maxMajor = unsafe try a[1].flatMap { v throws(PythonError) in unsafe v == none ? nil : try intPair(v, name: "max_version").0 }
        if let device = unsafe a[2], unsafe device != none {
            let (type, id) = unsafe try intPair(device, name: "dl_device")
            if type != Int(DLPack.cpu) || id != 0 {
                throw .bufferError("swiftbuf.Buffer lives on the CPU, device (1, 0); it cannot be exported to device (\(type), \(id))")
            }
        }
        let copy = unsafe try a[3].map { v throws(PythonError) in unsafe v == none ? false : try isTrue(v) } ?? false
        let versioned = DLPack.wantsVersioned(maxMajor: maxMajor)
        let m = unsafe memoryOf(o)
        let dtype = try core { () throws(SwiftBufferError) in unsafe try DLPack.dataType(of: m.descriptor.formatBytes) }
        if m.readonly && !versioned {
            throw .bufferError("Cannot export a read-only swiftbuf.Buffer as a legacy DLPack capsule, which cannot say it is "
                               + "read-only: the consumer must pass max_version=(1, 0) or later")
        }
        guard copy else { return unsafe try makeCapsule(o, versioned: versioned, dtype: dtype, copied: false) }
        let duplicate = try core { () throws(SwiftBufferError) in try m.copy(allocator: .python) }
        let object = unsafe try checked(makeBufferObject(duplicate))
        defer { unsafe decref(object) }
        return unsafe try makeCapsule(object, versioned: versioned, dtype: dtype, copied: true)
    }
}

@_cdecl("swiftbuf_buffer_dlpack_device")
func bufferDlpackDevice(_ o: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    unsafe pyTuple([Int(DLPack.cpu), 0])
}

// MARK: - from_dlpack

@_cdecl("swiftbuf_buffer_from_dlpack")
func bufferFromDlpack(_ type: PyObjectRef, _ producer: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        let capsule = unsafe try askForCapsule(producer)
        defer { unsafe decref(capsule) }
        let memory: SwiftMemory
        if unsafe PyCapsule_IsValid(capsule, versionedName) != 0 {
            let t = unsafe PyCapsule_GetPointer(capsule, versionedName)!.assumingMemoryBound(to: swiftbuf_DLManagedTensorVersioned.self)
            let version = unsafe t.pointee.version
            if version.major != DLPack.majorVersion {
                throw .bufferError("DLPack version \(version.major).\(version.minor) is not supported (swiftbuf reads 1.x)")
            }
            let deleter = unsafe t.pointee.deleter
            memory = unsafe try wrap(t.pointee.dl_tensor, readonly: t.pointee.flags & DLPack.readOnlyFlag != 0) { _ in unsafe deleter?(t) }
            unsafe PyCapsule_SetName(capsule, usedVersionedName)
        } else if unsafe PyCapsule_IsValid(capsule, legacyName) != 0 {
            let t = unsafe PyCapsule_GetPointer(capsule, legacyName)!.assumingMemoryBound(to: swiftbuf_DLManagedTensor.self)
            let deleter = unsafe t.pointee.deleter
            memory = unsafe try wrap(t.pointee.dl_tensor, readonly: false) { _ in unsafe deleter?(t) }
            unsafe PyCapsule_SetName(capsule, usedLegacyName)
        } else {
            throw .typeError(unsafe "__dlpack__() must return a 'dltensor' or 'dltensor_versioned' capsule, not \(typeName(capsule))")
        }
        return unsafe makeBufferObject(memory, type: type.withMemoryRebound(to: PyTypeObject.self, capacity: 1) { unsafe $0 })
    }
}

/// The keyword names `("max_version",)` and the value `(1, 0)` of the request, made once under
/// the GIL and kept for the process: a dict, its item and a tuple made for every call were a
/// fifth of `Buffer.from_dlpack(a)`'s instructions.
private enum CapsuleRequest {
    // Written once under the GIL, then only read under it.
    @exclusivity(unchecked) nonisolated(unsafe) private static var kwnames: PyObjectRef? = nil
    @exclusivity(unchecked) nonisolated(unsafe) private static var version: PyObjectRef? = nil

    static func arguments() throws(PythonError) -> (kwnames: PyObjectRef, version: PyObjectRef) {
        if let k = unsafe kwnames, let v = unsafe version { return unsafe (k, v) }
        let v = unsafe try checked(pyTuple([Int(DLPack.majorVersion), Int(DLPack.minorVersion)]))
        guard let k = unsafe PyTuple_New(1) else {
            unsafe decref(v)
            throw .alreadySet
        }
        unsafe swiftbuf_PyTuple_SET_ITEM(k, 0, newReference(Attribute.maxVersion.name))
        unsafe (kwnames, version) = unsafe (k, v)
        return unsafe (k, v)
    }
}

/// `producer.__dlpack__(max_version=(1, 0))`, or `producer.__dlpack__()` for a producer older
/// than the keyword (TypeError), as NumPy's `from_dlpack` asks: through
/// `PyObject_VectorcallMethod`, as NumPy calls it, which makes no bound method (one per import,
/// made and freed, was ~300 of `Buffer.from_dlpack(a)`'s ~4800 instructions). A producer without
/// the method gets TypeError; an AttributeError from inside its method goes through as raised.
/// Telling the two apart looks the attribute up a second time, on that error path only; an
/// error of that lookup other than AttributeError is the one raised.
private func askForCapsule(_ producer: PyObjectRef) throws(PythonError) -> PyObjectRef {
    let (kwnames, version) = unsafe try CapsuleRequest.arguments()
    let name = unsafe Attribute.dlpack.name
    var arguments: (PyObjectRef?, PyObjectRef?) = unsafe (producer, version)
    let first = unsafe withUnsafeMutablePointer(to: &arguments) { pair in
        unsafe PyObject_VectorcallMethod(name, UnsafeMutableRawPointer(pair).assumingMemoryBound(to: PyObjectRef?.self), 1, kwnames)
    }
    if let capsule = unsafe first { return unsafe capsule }
    if unsafe PyErr_ExceptionMatches(swiftbuf_PyExc_AttributeError()) != 0 {
        var type: PyObjectRef?, value: PyObjectRef?, traceback: PyObjectRef?
        unsafe PyErr_Fetch(&type, &value, &traceback)
        guard let found = unsafe getAttribute(producer, .dlpack) else {
            unsafe xdecref(type); unsafe xdecref(value); unsafe xdecref(traceback)
            guard unsafe PyErr_ExceptionMatches(swiftbuf_PyExc_AttributeError()) != 0 else { throw .alreadySet }
            PyErr_Clear()
            throw .typeError(unsafe "from_dlpack() needs an object with __dlpack__, not \(typeName(producer))")
        }
        unsafe decref(found)
        unsafe PyErr_Restore(type, value, traceback)
        throw .alreadySet
    }
    guard unsafe PyErr_ExceptionMatches(swiftbuf_PyExc_TypeError()) != 0 else { throw .alreadySet }
    PyErr_Clear()
    var only: PyObjectRef? = unsafe producer
    return unsafe try checked(PyObject_VectorcallMethod(name, &only, 1, nil))
}

/// Swift-owned memory over a producer's CPU tensor, calling `delete` (the SwiftMemory's
/// deallocator, given the data address) once when it dies.
/// Nothing is taken from the producer unless this succeeds.
private func wrap(_ tensor: swiftbuf_DLTensor, readonly: Bool,
                  delete: @escaping (UnsafeMutableRawPointer) -> Void) throws(PythonError) -> SwiftMemory {
    if unsafe tensor.device.device_type != DLPack.cpu {
        throw .bufferError(unsafe "swiftbuf.Buffer.from_dlpack reads CPU memory (device type 1), not device type \(tensor.device.device_type)")
    }
    let ndim = unsafe Int(tensor.ndim)
    return try core { () throws(SwiftBufferError) in
        try SwiftMemory.checkDimensions(ndim)
        let character = unsafe try DLPack.formatCharacter(of: DLPack.DataType(code: tensor.dtype.code, bits: tensor.dtype.bits,
                                                                            lanes: tensor.dtype.lanes))
        let itemsize = unsafe Int(tensor.dtype.bits) / 8
        if unsafe tensor.shape == nil && ndim > 0 { throw .bufferError("DLPack tensor of \(ndim) dimensions has no shape") }
        let data = unsafe tensor.data.map { unsafe $0 + Int(tensor.byte_offset) }
            ?? UnsafeMutableRawPointer(mutating: Layout.unsignedByteCString)   // no data: nothing is read
        // The format, the shape, the element strides and the byte strides on the stack, read
        // in place by the SwiftMemory (three arrays per import were a fifth of its instructions).
        return unsafe try withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * ndim + 1) { scratch throws(SwiftBufferError) in
            let shape = unsafe UnsafeMutableBufferPointer(rebasing: scratch[0..<ndim])
            for i in 0..<ndim { unsafe shape[i] = Int(tensor.shape![i]) }
            var elementStrides: UnsafeBufferPointer<Int>? = nil
            if let given = unsafe tensor.strides {
                let elements = unsafe UnsafeMutableBufferPointer(rebasing: scratch[ndim..<2 * ndim])
                for i in 0..<ndim { unsafe elements[i] = Int(given[i]) }
                unsafe elementStrides = UnsafeBufferPointer(elements)
            }
            let strides = unsafe UnsafeMutableBufferPointer(rebasing: scratch[2 * ndim..<3 * ndim])
            let span = unsafe try DLPack.importedLayout(shape: UnsafeBufferPointer(shape), elementStrides: elementStrides,
                                                        itemsize: itemsize, into: strides)
            let format = unsafe UnsafeMutableRawPointer(scratch.baseAddress! + 3 * ndim).assumingMemoryBound(to: UInt8.self)
            unsafe format.initialize(to: character)
            return unsafe try SwiftMemory(unsafePointer: data, byteCount: span, format: UnsafeBufferPointer(start: format, count: 1),
                                          shape: UnsafeBufferPointer(shape), strides: UnsafeBufferPointer(strides),
                                          readonly: readonly, deallocator: delete)
        }
    }
}
