// Loops over PyObject_GetBuffer in plain C, the reference the Swift API is measured against.
// `obj` is a PyObject *; each returns -1 (or NaN) with a Python exception set on failure.
#ifndef CREFERENCE_H
#define CREFERENCE_H

// The sum of a C-contiguous buffer of doubles ("d"), read through one PyObject_GetBuffer.
double creference_sum(void *obj);
// n rounds of PyObject_GetBuffer(obj, PyBUF_FULL_RO) + PyBuffer_Release.
int creference_acquire_release(void *obj, long n);
// n doubles 0, 1, 2, ... in malloc'ed memory, exported through swiftbuf's C-API capsule
// (export_memory, freed by its release callback): a new swiftbuf.Buffer, or NULL.
void *creference_export_doubles(long n);
// rows x cols doubles 0, 1, 2, ... exported with the given strides, or with NULL strides (C
// order) when `strides` is NULL: a new swiftbuf.Buffer, or NULL with the exception set (the
// memory freed in both cases by the release callback).
void *creference_export_matrix(long rows, long cols, const long *strides);

#endif
