// Entry points of swiftbuf.testing (Swift, @_cdecl in Sources/SwiftBufferExtension/Testing*.swift),
// for the type specs and the method table in testing_types.c.
#ifndef SWIFTBUF_TESTING_H
#define SWIFTBUF_TESTING_H
#include "../objects/include/swiftbuf_objects.h"

#define SWIFTBUF_VARARGS(name) PyObject *name(PyObject *self, PyObject *args)
#define SWIFTBUF_VARARGS_KW(name) PyObject *name(PyObject *self, PyObject *args, PyObject *kwargs)

// The module's constants (ND_*, PyBUF_*); 0 or -1 with an exception set.
int swiftbuf_testing_exec(PyObject *module);

// swiftbuf.testing.ndarray
Py_ssize_t swiftbuf_ndarray_basicsize(void);  // the C fields and a consumer's Swift state
int swiftbuf_ndarray_init(PyObject *self, PyObject *args, PyObject *kwargs);
void swiftbuf_ndarray_dealloc(PyObject *self);
int swiftbuf_ndarray_getbuffer(PyObject *self, Py_buffer *view, int flags);
void swiftbuf_ndarray_releasebuffer(PyObject *self, Py_buffer *view);
PyObject *swiftbuf_ndarray_item(PyObject *self, Py_ssize_t index);
PyObject *swiftbuf_ndarray_subscript(PyObject *self, PyObject *key);
int swiftbuf_ndarray_ass_subscript(PyObject *self, PyObject *key, PyObject *value);
Py_hash_t swiftbuf_ndarray_hash(PyObject *self);
SWIFTBUF_NOARGS(swiftbuf_ndarray_tolist);
SWIFTBUF_NOARGS(swiftbuf_ndarray_tobytes);
SWIFTBUF_VARARGS_KW(swiftbuf_ndarray_push);
SWIFTBUF_NOARGS(swiftbuf_ndarray_pop);
SWIFTBUF_NOARGS(swiftbuf_ndarray_add_suboffsets);
SWIFTBUF_NOARGS(swiftbuf_ndarray_memoryview_from_buffer);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_flags);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_offset);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_obj);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_nbytes);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_readonly);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_itemsize);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_format);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_ndim);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_shape);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_strides);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_suboffsets);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_c_contiguous);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_f_contiguous);
SWIFTBUF_GETTER(swiftbuf_ndarray_get_contiguous);

// swiftbuf.testing.staticarray
int swiftbuf_staticarray_init(PyObject *self, PyObject *args, PyObject *kwargs);
void swiftbuf_staticarray_dealloc(PyObject *self);
int swiftbuf_staticarray_getbuffer(PyObject *self, Py_buffer *view, int flags);

// Module functions
SWIFTBUF_VARARGS(swiftbuf_testing_slice_indices);
SWIFTBUF_VARARGS(swiftbuf_testing_get_pointer);
SWIFTBUF_NOARGS(swiftbuf_testing_get_sizeof_void_p);
SWIFTBUF_VARARGS(swiftbuf_testing_get_contiguous);
SWIFTBUF_VARARGS(swiftbuf_testing_py_buffer_to_contiguous);
SWIFTBUF_VARARGS(swiftbuf_testing_is_contiguous);
SWIFTBUF_VARARGS(swiftbuf_testing_cmp_contig);

#endif
