// Pickling and copying swiftbuf.Buffer.
//
// `__reduce_ex__` gives `Buffer._frompickle(data, format, shape, order, readonly)`. With
// protocol 5 and contiguous memory `data` is a PickleBuffer of the Buffer itself: a
// `buffer_callback` receives it without a copy (out of band), and without one the pickler
// writes its bytes in band. Protocols 0-4, and layouts contiguous in neither order (a raw
// export's own strides), write the bytes in band, in memory order. Loading copies the data once
// into new Swift-owned memory (a Buffer owns what it exports; NumPy instead keeps a view of the
// out-of-band buffer). Format, shape, order (Fortran stays Fortran) and the read-only flag
// survive the round trip. `copy.copy` and `copy.deepcopy` make an independent Buffer with the
// same layout and flag.
import CPythonShim
import pyextObjects
import SwiftBuffer
import SwiftBufferPython

/// A tuple of `items`, whose references it takes (each item released if it cannot be made).
private func tupleTaking(_ items: [PyObjectRef?]) throws(PythonError) -> PyObjectRef {
    guard unsafe items.allSatisfy({ unsafe $0 != nil }), let tuple = unsafe PyTuple_New(items.count) else {
        unsafe items.forEach(xdecref)
        throw .alreadySet
    }
    for unsafe (i, item) in unsafe items.enumerated() { unsafe swiftbuf_PyTuple_SET_ITEM(tuple, i, item!) }
    return unsafe tuple
}

private func orderName(_ order: Layout.Order) -> PyObjectRef? { unsafe pyString(order == .fortran ? "F" : "C") }

@_cdecl("swiftbuf_buffer_reduce_ex")
func bufferReduceEx(_ o: PyObjectRef, _ protocolObject: PyObjectRef) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        let proto = unsafe try ssize(protocolObject)
        return unsafe try SwiftMemory.of(o) { m throws(PythonError) in
            let order = m.contiguousOrder
            let data: PyObjectRef
            if proto >= 5, order != nil {
                unsafe data = unsafe try checked(PyPickleBuffer_FromObject(o))   // an export: no copy
            } else {
                unsafe data = unsafe try checked(PyBytes_FromStringAndSize(nil, m.byteCount))
                unsafe StridedCopy.gather(m.descriptor, into: UnsafeMutableRawPointer(swiftbuf_PyBytes_AS_STRING(data)), order: order ?? .c)
            }
            let type = unsafe UnsafeMutableRawPointer(swiftbuf_buffer_type()!).assumingMemoryBound(to: PyObject.self)
            guard let reconstruct = unsafe getAttribute(type, .frompickle) else { unsafe decref(data); throw .alreadySet }
            let args = unsafe try tupleTaking([data, PyUnicode_FromString(m.descriptor.format), pyTuple(m.descriptor.shape, count: m.ndim),
                                        orderName(order ?? .c), pyBool(m.readonly)])
            return unsafe try tupleTaking([reconstruct, args])
        }
    }
}

@_cdecl("swiftbuf_buffer_frompickle")
func bufferFrompickle(_ type: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        try checkPositional("_frompickle", nargs, min: 5, max: 5)
        let args = unsafe args!
        let format = unsafe try formatArgument(args[1]!)
        return unsafe try withShapeArgument(args[2]!, format: format) { shape throws(PythonError) in
            let order = unsafe try orderArgument(args[3]!)
            let readonly = unsafe try isTrue(args[4]!)
            // Any contiguous bytes-like object: bytes in band, whatever a buffer callback gave back.
            return unsafe try bufferCopying(args[0]!, request: .anyContiguous, format: format, shape: shape, order: order,
                                     readonly: readonly, type: type.withMemoryRebound(to: PyTypeObject.self, capacity: 1) { unsafe $0 })
        }
    }
}

@_cdecl("swiftbuf_buffer_copy")
func bufferCopy(_ o: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    unsafe pythonCall { () throws(PythonError) in
        let copy = unsafe try SwiftMemory.of(o) { m throws(PythonError) in
            try core { () throws(SwiftBufferError) in try m.copy(allocator: .python) }
        }
        return unsafe makeBufferObject(copy, type: swiftbuf_Py_TYPE(o))
    }
}

@_cdecl("swiftbuf_buffer_deepcopy")
func bufferDeepcopy(_ o: PyObjectRef, _ memo: PyObjectRef?) -> PyObjectRef? {
    unsafe bufferCopy(o, nil)   // the elements are plain values: nothing to share through `memo`
}
