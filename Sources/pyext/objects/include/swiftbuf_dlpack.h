// The DLPack C ABI, dlpack.h v1.0 (https://github.com/dmlc/dlpack, include/dlpack/dlpack.h),
// written from the specification: the structs a producer hands out in a "dltensor" or
// "dltensor_versioned" PyCapsule and a consumer reads. Field order, types and sizes are the
// ABI; the names carry a swiftbuf_ prefix so they never clash with a real dlpack.h.
// The bridge (Sources/SwiftBufferExtension/BufferDLPack.swift) fills and reads them.
#ifndef SWIFTBUF_DLPACK_H
#define SWIFTBUF_DLPACK_H

#include <stdint.h>

#define SWIFTBUF_DLPACK_MAJOR_VERSION 1
#define SWIFTBUF_DLPACK_MINOR_VERSION 0
#define SWIFTBUF_DLPACK_FLAG_BITMASK_READ_ONLY (1UL << 0UL)
#define SWIFTBUF_DLPACK_FLAG_BITMASK_IS_COPIED (1UL << 1UL)

// DLPackVersion
typedef struct {
    uint32_t major;
    uint32_t minor;
} swiftbuf_DLPackVersion;

// DLDevice: device_type is the DLDeviceType enum (an int: kDLCPU = 1, kDLCUDA = 2, ...).
typedef struct {
    int32_t device_type;
    int32_t device_id;
} swiftbuf_DLDevice;

// DLDataType: code is DLDataTypeCode (kDLInt 0, kDLUInt 1, kDLFloat 2, kDLOpaqueHandle 3,
// kDLBfloat 4, kDLComplex 5, kDLBool 6).
typedef struct {
    uint8_t code;
    uint8_t bits;
    uint16_t lanes;
} swiftbuf_DLDataType;

// DLTensor: strides count elements, not bytes; NULL strides mean C-contiguous.
typedef struct {
    void *data;
    swiftbuf_DLDevice device;
    int32_t ndim;
    swiftbuf_DLDataType dtype;
    int64_t *shape;
    int64_t *strides;
    uint64_t byte_offset;
} swiftbuf_DLTensor;

// DLManagedTensor, the legacy (pre-1.0) capsule "dltensor".
typedef struct swiftbuf_DLManagedTensor {
    swiftbuf_DLTensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct swiftbuf_DLManagedTensor *self);
} swiftbuf_DLManagedTensor;

// DLManagedTensorVersioned, the 1.x capsule "dltensor_versioned".
typedef struct swiftbuf_DLManagedTensorVersioned {
    swiftbuf_DLPackVersion version;
    void *manager_ctx;
    void (*deleter)(struct swiftbuf_DLManagedTensorVersioned *self);
    uint64_t flags;
    swiftbuf_DLTensor dl_tensor;
} swiftbuf_DLManagedTensorVersioned;

#endif
