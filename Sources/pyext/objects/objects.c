#include "swiftbuf_objects.h"
#include <stddef.h>

PyTypeObject *swiftbuf_BufferType;
PyTypeObject *swiftbuf_MemoryViewType;
PyTypeObject *swiftbuf_ManagedBufferType;
PyTypeObject *swiftbuf_MemoryIteratorType;
PyTypeObject *swiftbuf_BufferIteratorType;
PyTypeObject *swiftbuf_NDArrayType;
PyTypeObject *swiftbuf_StaticArrayType;

// The bridge fills Py_buffer field by field from a BufferDescriptor; these are the sizes it assumes.
_Static_assert(sizeof(Py_ssize_t) == sizeof(void *), "Py_ssize_t is Swift's Int");
