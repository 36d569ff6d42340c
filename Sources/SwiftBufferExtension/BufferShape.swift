// The shape argument of swiftbuf.Buffer(), frombytes() and resize(): an int or an iterable of
// ints, read without trusting it. A sized object claiming more than 64 items is refused from
// its __len__ (range(2**62) is never materialised, as PySequence_Fast would); any other
// iterable is read up to one item past the limit (an iterator, or a __len__ that lies, cannot
// make it loop or allocate); extents beyond Py_ssize_t are a ValueError naming the shape, like
// every other size error (the core's SwiftMemory+Validation.swift has the rules and messages).
import CPythonShim
import SwiftBuffer
import SwiftBufferPython

private let shapeTypeMessage = "shape must be an int or a sequence of ints"

/// The extents of `o` for new memory of `format`.
func bufferShapeArgument(_ o: PyObjectRef, format: [UInt8]) throws(PythonError) -> [Int] {
    var items: [PyObjectRef] = []
    defer { items.forEach(decref) }
    if swiftbuf_PyIndex_Check(o) != 0 {
        items.append(newReference(o))
    } else if swiftbuf_PyList_Check(o) != 0 || swiftbuf_PyTuple_Check(o) != 0 {
        // A list is read from a tuple copy: an item's __index__ may shrink the list under the loop.
        let seq = try tupleCopy(o)
        defer { decref(seq) }
        let n = swiftbuf_PyTuple_GET_SIZE(seq)
        try core { () throws(SwiftBufferError) in try SwiftMemory.checkDimensions(n) }
        for i in 0..<n { items.append(newReference(swiftbuf_PyTuple_GET_ITEM(seq, i))) }
    } else {
        if swiftbuf_PyUnicode_Check(o) != 0 { throw .typeError(shapeTypeMessage) }   // its items are str
        let claimed = PyObject_Size(o)
        if claimed < 0 {
            // Not sized (a generator), or a __len__ that raised: only the first is a shape yet.
            if PyErr_ExceptionMatches(swiftbuf_PyExc_TypeError()) == 0 { throw .alreadySet }
            PyErr_Clear()
        } else {
            try core { () throws(SwiftBufferError) in try SwiftMemory.checkDimensions(claimed) }
        }
        guard let iterator = PyObject_GetIter(o) else {
            if PyErr_ExceptionMatches(swiftbuf_PyExc_TypeError()) != 0 { PyErr_Clear(); throw .typeError(shapeTypeMessage) }
            throw .alreadySet
        }
        defer { decref(iterator) }
        while let item = PyIter_Next(iterator) {
            items.append(item)
            if items.count > SwiftMemory.maxDimensions {
                try core { () throws(SwiftBufferError) in try SwiftMemory.checkDimensions(items.count, atLeast: true) }
            }
        }
        if PyErr_Occurred() != nil { throw .alreadySet }
    }
    var shape: [Int] = []
    shape.reserveCapacity(items.count)
    var overflowed = false
    for item in items {
        if swiftbuf_PyIndex_Check(item) == 0 { throw .typeError(shapeTypeMessage) }
        let v = PyNumber_AsSsize_t(item, swiftbuf_PyExc_OverflowError())
        if v == -1, PyErr_Occurred() != nil {
            guard PyErr_ExceptionMatches(swiftbuf_PyExc_OverflowError()) != 0 else { throw .alreadySet }
            PyErr_Clear()
            overflowed = true
        }
        shape.append(v)
    }
    if overflowed {
        throw .core(SwiftMemory.extentOverflow(shape: try shapeRepr(items), format: format))
    }
    return shape
}

/// The repr of a shape as a tuple of its items' integer values.
private func shapeRepr(_ items: [PyObjectRef]) throws(PythonError) -> String {
    var parts: [String] = []
    for item in items {
        let index = try checked(PyNumber_Index(item))
        defer { decref(index) }
        let repr = try checked(PyObject_Repr(index))
        defer { decref(repr) }
        parts.append(String(decoding: try utf8(repr), as: UTF8.self))
    }
    return parts.count == 1 ? "(\(parts[0]),)" : "(" + parts.joined(separator: ", ") + ")"
}
