// PyInit__swiftbuf: the module object and its types. Everything else is in Swift.
#include "swiftbuf_entry_points.h"

// The C API other modules import (swiftbuf_capi.h). Filled once the types exist.
static swiftbuf_CAPI swiftbuf_capi;

static int swiftbuf_add_capi(PyObject *module) {
    swiftbuf_capi.version = SWIFTBUF_CAPI_VERSION;
    swiftbuf_capi.size = sizeof swiftbuf_capi;
    swiftbuf_capi.buffer_type = swiftbuf_BufferType;
    swiftbuf_capi.export_memory = swiftbuf_capi_export_memory;
    PyObject *capsule = PyCapsule_New(&swiftbuf_capi, SWIFTBUF_CAPI_CAPSULE, NULL);
    if (capsule == NULL) return -1;
    return PyModule_AddObject(module, "_C_API", capsule) < 0 ? (Py_DECREF(capsule), -1) : 0;
}

static int swiftbuf_exec(PyObject *module) {
    if (swiftbuf_add_buffer_type(module) < 0) return -1;
    if (swiftbuf_add_memoryview_type(module) < 0) return -1;
    if (swiftbuf_add_testing(module) < 0) return -1;
    if (swiftbuf_add_capi(module) < 0) return -1;
    return swiftbuf_module_exec(module);
}

// The one private function: the measuring loop of benchmarks/bench_export.py and `python -m swiftbuf`.
static PyMethodDef swiftbuf_functions[] = {
    {"_export_release_loop", (PyCFunction)(void (*)(void))swiftbuf_module_export_release_loop, METH_FASTCALL,
     "_export_release_loop($module, obj, n, flags, /)\n--\n\n"
     "n rounds of PyObject_GetBuffer(obj, flags) + PyBuffer_Release, for benchmarks."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot swiftbuf_slots[] = {
    {Py_mod_exec, swiftbuf_exec},
    {0, NULL},
};

static struct PyModuleDef swiftbuf_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "swiftbuf._swiftbuf",
    .m_doc = "Swift-owned buffers and a Swift memoryview for CPython (PEP 3118).",
    .m_size = 0,
    .m_methods = swiftbuf_functions,
    .m_slots = swiftbuf_slots,
};

PyMODINIT_FUNC PyInit__swiftbuf(void) { return PyModuleDef_Init(&swiftbuf_module); }

// The shared helper every type file uses: make the heap type, keep it, add it to the module.
int swiftbuf_add_type(PyObject *module, PyType_Spec *spec, PyTypeObject **slot) {
    PyObject *type = PyType_FromModuleAndSpec(module, spec, NULL);
    if (type == NULL) return -1;
    *slot = (PyTypeObject *)type;
    Py_INCREF(type);  // the global keeps one reference for the interpreter's lifetime
    const char *dot = strrchr(spec->name, '.');
    return PyModule_AddObject(module, dot ? dot + 1 : spec->name, type) < 0 ? (Py_DECREF(type), -1) : 0;
}

int swiftbuf_make_type(PyObject *module, PyType_Spec *spec, PyTypeObject **slot, const char *tp_name) {
    PyObject *type = PyType_FromModuleAndSpec(module, spec, NULL);
    if (type == NULL) return -1;
    *slot = (PyTypeObject *)type;   // kept for the interpreter's lifetime
    ((PyTypeObject *)type)->tp_name = tp_name;
    return 0;
}
