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
    var items: [PyObjectRef] = unsafe []
    defer { unsafe items.forEach(decref) }
    if unsafe swiftbuf_PyIndex_Check(o) != 0 {
        unsafe items.append(newReference(o))
    } else if unsafe swiftbuf_PyList_Check(o) != 0 || swiftbuf_PyTuple_Check(o) != 0 {
        // A list is read from a tuple copy: an item's __index__ may shrink the list under the loop.
        let seq = unsafe try tupleCopy(o)
        defer { unsafe decref(seq) }
        let n = unsafe swiftbuf_PyTuple_GET_SIZE(seq)
        try core { () throws(SwiftBufferError) in try SwiftMemory.checkDimensions(n) }
        for i in 0..<n { unsafe items.append(newReference(swiftbuf_PyTuple_GET_ITEM(seq, i))) }
    } else {
        if unsafe swiftbuf_PyUnicode_Check(o) != 0 { throw .typeError(shapeTypeMessage) }   // its items are str
        let claimed = unsafe PyObject_Size(o)
        if claimed < 0 {
            // Not sized (a generator), or a __len__ that raised: only the first is a shape yet.
            if unsafe PyErr_ExceptionMatches(swiftbuf_PyExc_TypeError()) == 0 { throw .alreadySet }
            PyErr_Clear()
        } else {
            try core { () throws(SwiftBufferError) in try SwiftMemory.checkDimensions(claimed) }
        }
        guard let iterator = unsafe PyObject_GetIter(o) else {
            if unsafe PyErr_ExceptionMatches(swiftbuf_PyExc_TypeError()) != 0 { PyErr_Clear(); throw .typeError(shapeTypeMessage) }
            throw .alreadySet
        }
        defer { unsafe decref(iterator) }
        while let item = unsafe PyIter_Next(iterator) {
            unsafe items.append(item)
            if unsafe items.count > SwiftMemory.maxDimensions {
                try core { () throws(SwiftBufferError) in unsafe try SwiftMemory.checkDimensions(items.count, atLeast: true) }
            }
        }
        if unsafe PyErr_Occurred() != nil { throw .alreadySet }
    }
    var shape: [Int] = []
    unsafe shape.reserveCapacity(items.count)
    var overflowed = false
    for unsafe item in unsafe items {
        if unsafe swiftbuf_PyIndex_Check(item) == 0 { throw .typeError(shapeTypeMessage) }
        let v = unsafe PyNumber_AsSsize_t(item, swiftbuf_PyExc_OverflowError())
        if v == -1, unsafe PyErr_Occurred() != nil {
            guard unsafe PyErr_ExceptionMatches(swiftbuf_PyExc_OverflowError()) != 0 else { throw .alreadySet }
            PyErr_Clear()
            overflowed = true
        }
        shape.append(v)
    }
    if overflowed {
        throw unsafe .core(SwiftMemory.extentOverflow(shape: try shapeRepr(items), format: format))
    }
    return shape
}

/// The repr of a shape as a tuple of its items' integer values.
private func shapeRepr(_ items: [PyObjectRef]) throws(PythonError) -> String {
    var parts: [String] = []
    for unsafe item in unsafe items {
        let index = unsafe try checked(PyNumber_Index(item))
        defer { unsafe decref(index) }
        let repr = unsafe try checked(PyObject_Repr(index))
        defer { unsafe decref(repr) }
        unsafe parts.append(String(decoding: try utf8(repr), as: UTF8.self))
    }
    return parts.count == 1 ? "(\(parts[0]),)" : "(" + parts.joined(separator: ", ") + ")"
}
