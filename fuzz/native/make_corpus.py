"""Writes the seed corpus of the native fuzz target (fuzz/native, run by scripts/fuzz-native.sh)
into the folder given: every format of fuzz/formats.py (CPython's test_buffer formats) as a
format case, and as the format of a Swift-owned memory case; every element code in a few
layout cases. Input layout: Sources/FuzzCore/FuzzCore.swift (first byte: the case)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from formats import test_buffer_formats  # noqa: E402

ELEMENT_CODES = "?cbBhHiIlLqQnNfdeP"   # FuzzLayout.swift's elementCodes


def seeds():
    for fmt in test_buffer_formats():
        encoded = fmt.encode("latin-1")
        if len(encoded) < 64:
            yield bytes([0, len(encoded)]) + encoded
            # Swift-owned memory: 2-d (3, 2), the format taken from the input (below(4) == 0).
            yield bytes([3, 2, 3, 2, 4, len(encoded)]) + encoded[:5] + bytes([1, 2, 3, 4])
    for i, _ in enumerate(ELEMENT_CODES):
        # layout: code, itemCount, offset, ndim, shape..., stride mode, strides..., flags, data
        yield bytes([1, i, 24, 2, 0, 2, 3, 4, 0, 0, 1, 1]) + bytes(range(64)) + bytes([1, 0, 2, 3, 1, 4, 5])
        yield bytes([1, i, 30, 3, 1, 3, 2, 1, 1, 10, 1, 14, 0, 2, 0, 1, 0]) + bytes(range(64, 128)) + bytes([7, 1, 2, 0, 9])
        yield bytes([1, i, 12, 0, 0, 0, 0, 1, 1, 3]) + bytes(range(16))
        yield bytes([2, i]) + bytes(range(i, i + 8))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for n, data in enumerate(seeds(), 1):
        with open(os.path.join(out, f"seed-{n:04d}"), "wb") as f:
            f.write(data)
    print(f"{n} seeds in {out}")


if __name__ == "__main__":
    main()
