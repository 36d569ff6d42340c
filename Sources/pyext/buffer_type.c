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
     "resize($self, shape, /)\n--\n\nNew shape of the same format, in the Buffer's order (a Fortran-order Buffer stays\n"
     "Fortran-order, as NumPy's ndarray.resize keeps it), keeping the leading bytes in memory order and\n"
     "zero-filling the rest. Refused with TypeError for a read-only Buffer and with BufferError while\n"
     "views are exported."},
    {"__reduce_ex__", swiftbuf_buffer_reduce_ex, METH_O,
     "__reduce_ex__($self, protocol, /)\n--\n\nPickling: protocol 5 hands the memory out of band as a PickleBuffer\n"
     "(no copy); older protocols, and layouts contiguous in neither order, copy the bytes in band."},
    {"_frompickle", (PyCFunction)(void (*)(void))swiftbuf_buffer_frompickle, METH_FASTCALL | METH_CLASS,
     "_frompickle(data, format, shape, order, readonly, /)\n--\n\nUnpickling: one copy of data into a new Buffer."},
    {"__copy__", swiftbuf_buffer_copy, METH_NOARGS,
     "__copy__($self, /)\n--\n\nAn independent Buffer: same format, shape, order and read-only flag."},
    {"__deepcopy__", swiftbuf_buffer_deepcopy, METH_O,
     "__deepcopy__($self, memo, /)\n--\n\nThe same as __copy__: the elements are plain values."},
    {"__sizeof__", swiftbuf_buffer_sizeof, METH_NOARGS,
     "__sizeof__($self, /)\n--\n\nSize of the object in bytes, including the memory it owns."},
    {"__dlpack__", (PyCFunction)(void (*)(void))swiftbuf_buffer_dlpack, METH_FASTCALL | METH_KEYWORDS,
     "__dlpack__($self, /, *, stream=None, max_version=None, dl_device=None, copy=None)\n--\n\n"
     "A DLPack capsule of the memory (array-API standard): 'dltensor_versioned' (1.0, read-only flag set\n"
     "for a read-only Buffer) when max_version >= (1, 0), else a legacy 'dltensor'. The consumer holds an\n"
     "export until it calls the deleter, so resize is refused meanwhile."},
    {"__dlpack_device__", swiftbuf_buffer_dlpack_device, METH_NOARGS,
     "__dlpack_device__($self, /)\n--\n\n(1, 0): kDLCPU, device 0."},
    {"from_dlpack", swiftbuf_buffer_from_dlpack, METH_O | METH_CLASS,
     "from_dlpack(x, /)\n--\n\nA Buffer over the memory of a CPU DLPack producer (NumPy, ...), without a copy."},
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
    {Py_tp_hash, swiftbuf_buffer_hash},
    {Py_tp_richcompare, swiftbuf_buffer_richcompare},
    {Py_tp_iter, swiftbuf_buffer_iter},
    {Py_tp_methods, buffer_methods},
    {Py_tp_getset, buffer_getset},
    {Py_tp_members, buffer_members},
    {Py_sq_length, swiftbuf_buffer_length},
    {Py_mp_length, swiftbuf_buffer_length},
    {Py_mp_subscript, swiftbuf_buffer_subscript},
    {Py_mp_ass_subscript, swiftbuf_buffer_ass_subscript},
    {Py_bf_getbuffer, swiftbuf_buffer_getbuffer},
    {Py_bf_releasebuffer, swiftbuf_buffer_releasebuffer},
    {0, NULL},
};

static PyType_Spec buffer_spec = {
    .name = "swiftbuf.Buffer",
    .basicsize = sizeof(swiftbuf_BufferObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_SEQUENCE,
    .slots = buffer_slots,
};

// The iterator iter(b) returns for a 1-d Buffer (BufferContainer.swift); others get a view's.
static PyMethodDef bufferiterator_methods[] = {
    {"__reduce__", swiftbuf_iterator_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot bufferiterator_slots[] = {
    {Py_tp_methods, bufferiterator_methods},
    {Py_tp_dealloc, swiftbuf_bufferiterator_dealloc},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, swiftbuf_bufferiterator_next},
    {0, NULL},
};

static PyType_Spec bufferiterator_spec = {
    .name = "swiftbuf.buffer_iterator",
    .basicsize = sizeof(swiftbuf_BufferIteratorObject),
    // Not GC: it holds only a Buffer, which is not a GC type either.
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = bufferiterator_slots,
};

int swiftbuf_add_buffer_type(PyObject *module) {
    if (swiftbuf_make_type(module, &bufferiterator_spec, &swiftbuf_BufferIteratorType, "buffer_iterator") < 0) return -1;
    if (swiftbuf_add_type(module, &buffer_spec, &swiftbuf_BufferType) < 0) return -1;
    // Calls of the type itself, Buffer(...), by vectorcall: no argument tuple or keyword dict
    // (a type spec has no slot for it before 3.14; the field is never inherited, and the type
    // is not a base type). tp_new stays for Buffer.__new__.
    swiftbuf_BufferType->tp_vectorcall = swiftbuf_buffer_vectorcall;
    return 0;
}
