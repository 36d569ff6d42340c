// Instance layouts of swiftbuf's Python types, shared by the C shim (type specs) and the Swift
// bridge (which reads and writes the fields). Every field is owned by the bridge.
#ifndef SWIFTBUF_OBJECTS_H
#define SWIFTBUF_OBJECTS_H

#include "../../../CPythonShim/shim.h"

// swiftbuf.Buffer: Swift-owned memory. `memory` is a retained SwiftMemory that holds the
// allocation, the layout and the export count.
typedef struct {
    PyObject_HEAD
    void *memory;
    PyObject *weakreflist;
} swiftbuf_BufferObject;

// swiftbuf.MemoryView, laid out like CPython's PyMemoryViewObject: the view's shape, strides
// and suboffsets live in `ob_array` (3 * ndim entries), so slicing allocates one object.
typedef struct {
    PyObject_VAR_HEAD
    void *envelope;          // retained ManagedExport shared by views of one export
    Py_hash_t hash;          // -1 until computed
    int flags;               // Contiguity raw value, plus SWIFTBUF_MV_RELEASED
    Py_ssize_t exports;      // live buffers exported from this view
    Py_buffer view;          // view.obj is the exporter, owned by the envelope
    PyObject *weakreflist;
    Py_ssize_t ob_array[1];
} swiftbuf_MemoryViewObject;

// swiftbuf.testing.ndarray, laid out like _testbuffer's NDArrayObject: `array` is a retained
// NDArray (the list of base buffers, or a consumer's one base buffer), NULL until __init__;
// `consumed` is the Py_buffer a consumer obtained from its exporter (heap memory, never moved),
// released once at dealloc, NULL for an original exporter.
typedef struct {
    PyObject_HEAD
    void *array;
    Py_buffer *consumed;
} swiftbuf_NDArrayObject;

// swiftbuf.testing.staticarray: exports one static buffer; in legacy mode with view.obj == NULL.
typedef struct {
    PyObject_HEAD
    int legacy_mode;
} swiftbuf_StaticArrayObject;

// The heap types, created by PyInit__swiftbuf.
extern PyTypeObject *swiftbuf_BufferType;
extern PyTypeObject *swiftbuf_MemoryViewType;
extern PyTypeObject *swiftbuf_NDArrayType;
extern PyTypeObject *swiftbuf_StaticArrayType;

#endif
