#include "swiftbuf_capi.h"
