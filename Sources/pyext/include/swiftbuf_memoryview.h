// Entry points of swiftbuf.MemoryView (Swift, @_cdecl in Sources/SwiftBufferExtension/MemoryView*.swift),
// for the type specs in memoryview_type.c.
#ifndef SWIFTBUF_MEMORYVIEW_H
#define SWIFTBUF_MEMORYVIEW_H
#include "../objects/include/swiftbuf_objects.h"

// The view: construction, lifetime, protocols.
PyObject *swiftbuf_memoryview_new(PyTypeObject *type, PyObject *args, PyObject *kwargs);
PyObject *swiftbuf_memoryview_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf, PyObject *kwnames);
void swiftbuf_memoryview_dealloc(PyObject *self);
int swiftbuf_memoryview_traverse(PyObject *self, visitproc visit, void *arg);
int swiftbuf_memoryview_clear(PyObject *self);
PyObject *swiftbuf_memoryview_repr(PyObject *self);
Py_hash_t swiftbuf_memoryview_hash(PyObject *self);
PyObject *swiftbuf_memoryview_richcompare(PyObject *self, PyObject *other, int op);
PyObject *swiftbuf_memoryview_iter(PyObject *self);
Py_ssize_t swiftbuf_memoryview_length(PyObject *self);
PyObject *swiftbuf_memoryview_subscript(PyObject *self, PyObject *key);
int swiftbuf_memoryview_ass_subscript(PyObject *self, PyObject *key, PyObject *value);
PyObject *swiftbuf_memoryview_item(PyObject *self, Py_ssize_t index);
int swiftbuf_memoryview_getbuffer(PyObject *self, Py_buffer *view, int flags);
void swiftbuf_memoryview_releasebuffer(PyObject *self, Py_buffer *view);

// Methods.
PyObject *swiftbuf_memoryview_release(PyObject *self, PyObject *unused);
PyObject *swiftbuf_memoryview_tobytes(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames);
PyObject *swiftbuf_memoryview_hex(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames);
PyObject *swiftbuf_memoryview_tolist(PyObject *self, PyObject *unused);
PyObject *swiftbuf_memoryview_cast(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames);
PyObject *swiftbuf_memoryview_toreadonly(PyObject *self, PyObject *unused);
PyObject *swiftbuf_memoryview_count(PyObject *self, PyObject *value);
PyObject *swiftbuf_memoryview_index(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *swiftbuf_memoryview_enter(PyObject *self, PyObject *unused);
PyObject *swiftbuf_memoryview_exit(PyObject *self, PyObject *args);

// Attributes.
PyObject *swiftbuf_memoryview_get_obj(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_nbytes(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_readonly(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_itemsize(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_format(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_ndim(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_shape(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_strides(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_suboffsets(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_c_contiguous(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_f_contiguous(PyObject *self, void *closure);
PyObject *swiftbuf_memoryview_get_contiguous(PyObject *self, void *closure);

// The managed buffer.
void swiftbuf_managedbuffer_dealloc(PyObject *self);
int swiftbuf_managedbuffer_traverse(PyObject *self, visitproc visit, void *arg);
int swiftbuf_managedbuffer_clear(PyObject *self);

// The iterator.
void swiftbuf_memoryiterator_dealloc(PyObject *self);
int swiftbuf_memoryiterator_traverse(PyObject *self, visitproc visit, void *arg);
PyObject *swiftbuf_memoryiterator_next(PyObject *self);
PyObject *swiftbuf_iterator_reduce(PyObject *self, PyObject *unused);   // both iterator types

#endif
