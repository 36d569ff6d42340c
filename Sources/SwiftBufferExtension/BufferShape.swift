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

/// `body` on the extents of `o` for new memory of `format`, read into the stack (at most
/// `SwiftMemory.maxDimensions`): an int, a list or tuple read in place, any other iterable's
/// items held in an array while they convert. With arrays of the items and of the extents for
/// every shape, `Buffer(16)` made and freed four more objects than it needed.
func withShapeArgument<R>(_ o: PyObjectRef, format: some Collection<UInt8>,
                          _ body: (UnsafeBufferPointer<Int>) throws(PythonError) -> R) throws(PythonError) -> R {
    try unsafe withUnsafeTemporaryAllocation(of: Int.self, capacity: SwiftMemory.maxDimensions) { scratch throws(PythonError) in
        let count = unsafe try readShape(o, format: format, into: scratch)
        return try unsafe body(UnsafeBufferPointer(rebasing: scratch[..<count]))
    }
}

private func readShape(_ o: PyObjectRef, format: some Collection<UInt8>,
                       into shape: UnsafeMutableBufferPointer<Int>) throws(PythonError) -> Int {
    if unsafe swiftbuf_PyIndex_Check(o) != 0 {
        return unsafe try convertExtents(count: 1, format: format, into: shape) { _ in unsafe o }
    }
    if unsafe swiftbuf_PyList_Check(o) != 0 || swiftbuf_PyTuple_Check(o) != 0 {
        // A list is read from a tuple copy: an item's __index__ may shrink the list under the
        // loop; the tuple holds every item meanwhile.
        let seq = unsafe try tupleCopy(o)
        defer { unsafe decref(seq) }
        let n = unsafe swiftbuf_PyTuple_GET_SIZE(seq)
        try core { () throws(SwiftBufferError) in try SwiftMemory.checkDimensions(n) }
        return unsafe try convertExtents(count: n, format: format, into: shape) { unsafe swiftbuf_PyTuple_GET_ITEM(seq, $0)! }
    }
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
    var items: [PyObjectRef] = unsafe []
    defer { unsafe items.forEach(decref) }
    while let item = unsafe PyIter_Next(iterator) {
        unsafe items.append(item)
        if unsafe items.count > SwiftMemory.maxDimensions {
            try core { () throws(SwiftBufferError) in unsafe try SwiftMemory.checkDimensions(items.count, atLeast: true) }
        }
    }
    if unsafe PyErr_Occurred() != nil { throw .alreadySet }
    return unsafe try convertExtents(count: items.count, format: format, into: shape) { unsafe items[$0] }
}

/// Each of `count` items (`item(i)`, kept alive by the caller) as a `Py_ssize_t` extent: a
/// non-integer is refused at once, an extent too large for `Py_ssize_t` once all were read,
/// naming the whole shape.
@inline(__always)
private func convertExtents(count: Int, format: some Collection<UInt8>, into shape: UnsafeMutableBufferPointer<Int>,
                            _ item: (Int) -> PyObjectRef) throws(PythonError) -> Int {
    var overflowed = false
    for i in 0..<count {
        let o = unsafe item(i)
        if unsafe swiftbuf_PyIndex_Check(o) == 0 { throw .typeError(shapeTypeMessage) }
        let v = unsafe PyNumber_AsSsize_t(o, swiftbuf_PyExc_OverflowError())
        if v == -1, unsafe PyErr_Occurred() != nil {
            guard unsafe PyErr_ExceptionMatches(swiftbuf_PyExc_OverflowError()) != 0 else { throw .alreadySet }
            PyErr_Clear()
            overflowed = true
        }
        unsafe shape[i] = v
    }
    if overflowed {
        throw unsafe .core(SwiftMemory.extentOverflow(shape: try shapeRepr((0..<count).map(item)), format: Array(format)))
    }
    return count
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
