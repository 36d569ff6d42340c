"""Writes the seed corpus of fuzz_memoryview.py (into the folder given, by default
fuzz/corpus/, which is generated and not kept in git): every format CPython's
test_buffer uses (the `format=` literals of the installed test/test_buffer.py, its native and
standard format codes under each byte-order prefix) for each action, with a few data sizes."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fuzz_memoryview import ACTIONS  # noqa: E402
from formats import test_buffer_formats  # noqa: E402


def seeds():
    """(name, input) for every format of test_buffer_formats(), action and choice pattern."""
    n = 0
    for fmt in test_buffer_formats():
        encoded = fmt.encode("latin-1")
        for a, action in enumerate(ACTIONS):
            # The bytes after the format are the action's choices, then its data.
            for rest in (bytes([1, 0, 3, 2, 4, 12, 0, 48]) + bytes(range(48)),
                         bytes([0, 2, 2, 3, 1, 24]) + bytes(range(100, 124))):
                yield f"{action}-{n:04d}", bytes([a, len(encoded)]) + encoded + rest
                n += 1


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    os.makedirs(out, exist_ok=True)
    n = 0
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        n += 1
    print(f"{n} seeds in {out}")


if __name__ == "__main__":
    main()
