#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include "creference.h"
#include "swiftbuf_capi.h"

double creference_sum(void *obj) {
    Py_buffer view;
    if (PyObject_GetBuffer((PyObject *)obj, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NAN;
    if (view.format == NULL || strcmp(view.format, "d") != 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "creference_sum: format must be 'd'");
        return NAN;
    }
    const double *p = view.buf;
    Py_ssize_t n = view.len / (Py_ssize_t)sizeof(double);
    double total = 0;
    for (Py_ssize_t i = 0; i < n; i++) total += p[i];
    PyBuffer_Release(&view);
    return total;
}

int creference_acquire_release(void *obj, long n) {
    for (long i = 0; i < n; i++) {
        Py_buffer view;
        if (PyObject_GetBuffer((PyObject *)obj, &view, PyBUF_FULL_RO) < 0) return -1;
        PyBuffer_Release(&view);
    }
    return 0;
}

static void release_malloced(void *context) { free(context); }

void *creference_export_matrix(long rows, long cols, const long *strides) {
    static const swiftbuf_CAPI *api = NULL;
    if (api == NULL) {
        api = PyCapsule_Import(SWIFTBUF_CAPI_CAPSULE, 0);
        if (api == NULL) return NULL;
    }
    long n = rows * cols;
    double *p = malloc(n > 0 ? (size_t)n * sizeof(double) : 1);
    if (p == NULL) return PyErr_NoMemory();
    for (long i = 0; i < n; i++) p[i] = (double)i;
    Py_ssize_t shape[2] = {rows, cols}, given[2] = {strides ? strides[0] : 0, strides ? strides[1] : 0};
    return api->export_memory(p, n * (Py_ssize_t)sizeof(double), "d", 2, shape, strides ? given : NULL, 0,
                              release_malloced, p);
}

void *creference_export_doubles(long n) {
    static const swiftbuf_CAPI *api = NULL;
    if (api == NULL) {
        api = PyCapsule_Import(SWIFTBUF_CAPI_CAPSULE, 0);
        if (api == NULL) return NULL;
    }
    double *p = malloc(n > 0 ? (size_t)n * sizeof(double) : 1);
    if (p == NULL) return PyErr_NoMemory();
    for (long i = 0; i < n; i++) p[i] = (double)i;
    Py_ssize_t shape = n, stride = sizeof(double);
    return api->export_memory(p, n * (Py_ssize_t)sizeof(double), "d", 1, &shape, &stride, 0, release_malloced, p);
}
