// Instance layouts of swiftbuf's Python types, shared by the C shim (type specs) and the Swift
// bridge (which reads and writes the fields). Every field is owned by the bridge.
#ifndef SWIFTBUF_OBJECTS_H
#define SWIFTBUF_OBJECTS_H

#include "../../../CPythonShim/shim.h"
#include "swiftbuf_dlpack.h"

// swiftbuf.Buffer: Swift-owned memory. `memory` is a retained SwiftMemory that holds the
// allocation, the layout and the export count.
typedef struct {
    PyObject_HEAD
    void *memory;
    PyObject *weakreflist;
} swiftbuf_BufferObject;

// The managed buffer behind swiftbuf.MemoryView (memoryobject.c's _PyManagedBufferObject):
// `master` is the one export every view sliced or cast from it shares, filled in place by
// PyObject_GetBuffer; `flags` and `exports` are the state of the core's ManagedExport rules,
// which the bridge drives through a pointer to this object (so a MemoryView(obj) allocates
// this object and the view, nothing else). It is a Python object of its own so that the
// garbage collector sees the reference to the exporter (master.obj) exactly once however many
// views share it (each view visits the managed buffer; the managed buffer visits the exporter).
// Until a second view registers it is not tracked: its one view visits the exporter and the
// managed buffer's type in its place (SWIFTBUF_MBUF_SHARED clear), which spares every
// MemoryView(obj) a track and an untrack.
typedef struct {
    PyObject_HEAD
    int flags;               // SWIFTBUF_MBUF_RELEASED once the export was given back;
                             // SWIFTBUF_MBUF_SHARED once a second view registered (tracked
                             // from then on until the export is given back; never cleared)
    Py_ssize_t exports;      // views registered and not released yet
    Py_buffer master;        // the export; view.obj of every view is master.obj
} swiftbuf_ManagedBufferObject;

#define SWIFTBUF_MBUF_RELEASED 0x001
#define SWIFTBUF_MBUF_SHARED 0x002

static inline Py_buffer *swiftbuf_managedbuffer_master(swiftbuf_ManagedBufferObject *mbuf) { return &mbuf->master; }

// swiftbuf.MemoryView, laid out like CPython's PyMemoryViewObject (same size, so __sizeof__
// agrees): the view's shape, strides and suboffsets live in `ob_array` (3 * ndim entries),
// so slicing allocates one object.
typedef struct {
    PyObject_VAR_HEAD
    swiftbuf_ManagedBufferObject *mbuf;  // strong; NULL only after tp_clear
    Py_hash_t hash;          // -1 until computed
    int flags;               // Contiguity raw value, plus SWIFTBUF_MV_RELEASED
    int code;                // the format's one character after an optional '@' (what
                             // adjust_fmt yields), 0 for a longer format; in the padding
                             // CPython leaves here, so the size is still CPython's
    Py_ssize_t exports;      // live buffers exported from this view
    Py_buffer view;          // view.obj is the exporter, owned by the managed buffer
    PyObject *weakreflist;
    Py_ssize_t ob_array[1];
} swiftbuf_MemoryViewObject;

#define SWIFTBUF_MV_RELEASED 0x001

static inline Py_ssize_t *swiftbuf_memoryview_array(swiftbuf_MemoryViewObject *mv) { return mv->ob_array; }
static inline Py_buffer *swiftbuf_memoryview_buffer(swiftbuf_MemoryViewObject *mv) { return &mv->view; }

// Iterator over a 1-d swiftbuf.MemoryView (memoryobject.c's memoryiterobject).
typedef struct {
    PyObject_HEAD
    Py_ssize_t index;
    swiftbuf_MemoryViewObject *seq;  // NULL once exhausted
    Py_ssize_t length;
    int code;                // the element's format character
} swiftbuf_MemoryIteratorObject;

// Iterator over a 1-d swiftbuf.Buffer, on the Buffer's own layout (no view): it holds the
// Buffer with one export of its memory counted (no resize while iterating, so the layout stays
// put), given back when `buffer` is cleared, once exhausted or at dealloc.
typedef struct {
    PyObject_HEAD
    PyObject *buffer;        // NULL once exhausted
    char *next;              // the next element
    Py_ssize_t left;         // elements not yet returned
    Py_ssize_t stride;
    int code;                // the element's format character
} swiftbuf_BufferIteratorObject;

// swiftbuf.testing.ndarray, laid out like _testbuffer's NDArrayObject. An original's `array` is
// a retained NDArray (its list of base buffers); a consumer's `consumer` points at its one base
// buffer, a Swift NDBuffer kept after these fields (the type's basicsize,
// swiftbuf_ndarray_basicsize(), leaves room for it). Both are NULL until __init__. `consumed`
// is the buffer a consumer obtained from its exporter (`staticbuf` in C: filled in place,
// never moved, released once at dealloc; zeroed, so releasing it does nothing, for an
// original exporter).
typedef struct {
    PyObject_HEAD
    void *array;
    void *consumer;
    Py_buffer consumed;
} swiftbuf_NDArrayObject;

// swiftbuf.testing.staticarray: exports one static buffer; in legacy mode with view.obj == NULL.
typedef struct {
    PyObject_HEAD
    int legacy_mode;
} swiftbuf_StaticArrayObject;

// The heap types, created by PyInit__swiftbuf.
extern PyTypeObject *swiftbuf_BufferType;
extern PyTypeObject *swiftbuf_MemoryViewType;
extern PyTypeObject *swiftbuf_ManagedBufferType;
extern PyTypeObject *swiftbuf_MemoryIteratorType;
extern PyTypeObject *swiftbuf_BufferIteratorType;
extern PyTypeObject *swiftbuf_NDArrayType;
extern PyTypeObject *swiftbuf_StaticArrayType;
// The same pointers read through functions, for Swift 6, which refuses to read a mutable C
// global: each is written once, by PyInit__swiftbuf, before any Swift code runs.
static inline PyTypeObject *swiftbuf_buffer_type(void) { return swiftbuf_BufferType; }
static inline PyTypeObject *swiftbuf_memoryview_type(void) { return swiftbuf_MemoryViewType; }
static inline PyTypeObject *swiftbuf_managedbuffer_type(void) { return swiftbuf_ManagedBufferType; }
static inline PyTypeObject *swiftbuf_memoryiterator_type(void) { return swiftbuf_MemoryIteratorType; }
static inline PyTypeObject *swiftbuf_bufferiterator_type(void) { return swiftbuf_BufferIteratorType; }
static inline PyTypeObject *swiftbuf_ndarray_type(void) { return swiftbuf_NDArrayType; }
static inline PyTypeObject *swiftbuf_staticarray_type(void) { return swiftbuf_StaticArrayType; }

#endif
