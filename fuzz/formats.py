"""The formats both fuzz targets seed their corpus with (fuzz/make_corpus.py for the atheris
target, fuzz/native/make_corpus.py for the libFuzzer one): every `format=` literal of the
installed test/test_buffer.py, each native and standard code under each byte-order prefix, and
a few edge cases of the grammar."""
import importlib.util
import re


def test_buffer_formats():
    path = importlib.util.find_spec("test.test_buffer").origin
    source = open(path, encoding="utf-8").read()
    literals = set(re.findall(r"""format\s*=\s*(?:'([^'\n]*)'|"([^"\n]*)")""", source))
    formats = {a or b for a, b in literals if "%" not in (a or b)}
    codes = "?cbBhHiIlLqQnNfdPe"
    for prefix in ["", "@", "<", ">", "=", "!"]:
        for code in codes:
            formats.add(prefix + code)
    formats.update(["2i", "3s", "0s", "T{i:x:}", "x", "3x", "(2)i", "&B", "B\0", "", " "])
    return sorted(f for f in formats if len(f.encode("latin-1")) < 256)
