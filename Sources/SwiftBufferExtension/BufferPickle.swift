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
    guard items.allSatisfy({ $0 != nil }), let tuple = PyTuple_New(items.count) else {
        items.forEach(xdecref)
        throw .alreadySet
    }
    for (i, item) in items.enumerated() { swiftbuf_PyTuple_SET_ITEM(tuple, i, item!) }
    return tuple
}

private func orderName(_ order: Layout.Order) -> PyObjectRef? { pyString(order == .fortran ? "F" : "C") }

@_cdecl("swiftbuf_buffer_reduce_ex")
func bufferReduceEx(_ o: PyObjectRef, _ protocolObject: PyObjectRef) -> PyObjectRef? {
    pythonCall { () throws(PythonError) in
        let proto = try ssize(protocolObject)
        return try SwiftMemory.of(o) { m throws(PythonError) in
            let order = m.contiguousOrder
            let data: PyObjectRef
            if proto >= 5, order != nil {
                data = try checked(PyPickleBuffer_FromObject(o))   // an export: no copy
            } else {
                data = try checked(PyBytes_FromStringAndSize(nil, m.byteCount))
                StridedCopy.gather(m.descriptor, into: UnsafeMutableRawPointer(swiftbuf_PyBytes_AS_STRING(data)), order: order ?? .c)
            }
            let type = UnsafeMutableRawPointer(swiftbuf_buffer_type()!).assumingMemoryBound(to: PyObject.self)
            guard let reconstruct = getAttribute(type, .frompickle) else { decref(data); throw .alreadySet }
            let args = try tupleTaking([data, PyUnicode_FromString(m.descriptor.format), pyTuple(m.descriptor.shape, count: m.ndim),
                                        orderName(order ?? .c), pyBool(m.readonly)])
            return try tupleTaking([reconstruct, args])
        }
    }
}

@_cdecl("swiftbuf_buffer_frompickle")
func bufferFrompickle(_ type: PyObjectRef, _ args: UnsafePointer<PyObjectRef?>?, _ nargs: Int) -> PyObjectRef? {
    pythonCall { () throws(PythonError) in
        try checkPositional("_frompickle", nargs, min: 5, max: 5)
        let args = args!
        let format = try formatArgument(args[1]!)
        let shape = try bufferShapeArgument(args[2]!, format: format)
        let order = try orderArgument(args[3]!)
        let readonly = try isTrue(args[4]!)
        // Any contiguous bytes-like object: bytes in band, whatever a buffer callback gave back.
        return try bufferCopying(args[0]!, request: .anyContiguous, format: format, shape: shape, order: order,
                                 readonly: readonly, type: type.withMemoryRebound(to: PyTypeObject.self, capacity: 1) { $0 })
    }
}

@_cdecl("swiftbuf_buffer_copy")
func bufferCopy(_ o: PyObjectRef, _: PyObjectRef?) -> PyObjectRef? {
    pythonCall { () throws(PythonError) in
        let copy = try SwiftMemory.of(o) { m throws(PythonError) in
            try core { () throws(SwiftBufferError) in try m.copy(allocator: .python) }
        }
        return makeBufferObject(copy, type: swiftbuf_Py_TYPE(o))
    }
}

@_cdecl("swiftbuf_buffer_deepcopy")
func bufferDeepcopy(_ o: PyObjectRef, _ memo: PyObjectRef?) -> PyObjectRef? {
    bufferCopy(o, nil)   // the elements are plain values: nothing to share through `memo`
}
