// swiftbuf.Buffer: the type spec. Behaviour is in Sources/SwiftBufferExtension/BufferObject.swift.
#include "swiftbuf_entry_points.h"
#include <stddef.h>
#include <structmember.h>

static PyMethodDef buffer_methods[] = {
    {"frombytes", (PyCFunction)(void (*)(void))swiftbuf_buffer_frombytes, METH_FASTCALL | METH_KEYWORDS | METH_CLASS,
     "frombytes(data, format='B', shape=None, *, order='C', readonly=False)\n--\n\n"
     "Copy a bytes-like object once into new Swift-owned memory. `order` says how `data` is laid out."},
    {"tobytes", (PyCFunction)(void (*)(void))swiftbuf_buffer_tobytes, METH_FASTCALL | METH_KEYWORDS,
     "tobytes($self, /, order='C')\n--\n\nThe data as bytes, in C order (or 'F', or 'A': memory order)."},
    {"tolist", swiftbuf_buffer_tolist, METH_NOARGS, "tolist($self, /)\n--\n\nThe data as nested lists."},
    {"resize", (PyCFunction)(void (*)(void))swiftbuf_buffer_resize, METH_FASTCALL | METH_KEYWORDS,
     "resize($self, shape, /)\n--\n\nNew C-order shape; refused with BufferError while views are exported."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef buffer_getset[] = {
    {"shape", swiftbuf_buffer_get_shape, NULL, "Extents, a tuple of ints.", NULL},
    {"strides", swiftbuf_buffer_get_strides, NULL, "Byte steps per dimension, a tuple of ints.", NULL},
    {"format", swiftbuf_buffer_get_format, NULL, "The struct format of one element.", NULL},
    {"itemsize", swiftbuf_buffer_get_itemsize, NULL, "Bytes per element.", NULL},
    {"ndim", swiftbuf_buffer_get_ndim, NULL, "Number of dimensions.", NULL},
    {"nbytes", swiftbuf_buffer_get_nbytes, NULL, "Total size in bytes.", NULL},
    {"readonly", swiftbuf_buffer_get_readonly, NULL, "Whether exports refuse writable requests.", NULL},
    {"exports", swiftbuf_buffer_get_exports, NULL, "Buffers exported right now.", NULL},
    {"c_contiguous", swiftbuf_buffer_get_c_contiguous, NULL, "Whether the layout is C-contiguous.", NULL},
    {"f_contiguous", swiftbuf_buffer_get_f_contiguous, NULL, "Whether the layout is Fortran-contiguous.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef buffer_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(swiftbuf_BufferObject, weakreflist), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot buffer_slots[] = {
    {Py_tp_doc, "Buffer(shape, format='B', *, order='C', readonly=False)\n--\n\n"
                "Zero-filled Swift-owned memory that every buffer consumer accepts without a copy."},
    {Py_tp_new, swiftbuf_buffer_new},
    {Py_tp_dealloc, swiftbuf_buffer_dealloc},
    {Py_tp_repr, swiftbuf_buffer_repr},
    {Py_tp_methods, buffer_methods},
    {Py_tp_getset, buffer_getset},
    {Py_tp_members, buffer_members},
    {Py_sq_length, swiftbuf_buffer_length},
    {Py_bf_getbuffer, swiftbuf_buffer_getbuffer},
    {Py_bf_releasebuffer, swiftbuf_buffer_releasebuffer},
    {0, NULL},
};

static PyType_Spec buffer_spec = {
    .name = "swiftbuf.Buffer",
    .basicsize = sizeof(swiftbuf_BufferObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = buffer_slots,
};

int swiftbuf_add_buffer_type(PyObject *module) {
    return swiftbuf_add_type(module, &buffer_spec, &swiftbuf_BufferType);
}
