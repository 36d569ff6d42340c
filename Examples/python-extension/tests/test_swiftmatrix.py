import numpy as np
import pytest

import swiftbuf
import swiftmatrix


def test_hilbert_is_a_swiftbuf_buffer_numpy_shares():
    h = swiftmatrix.hilbert(4)
    assert type(h) is swiftbuf.Buffer
    a = np.asarray(h)
    expected = 1 / (np.arange(4)[:, None] + np.arange(4)[None, :] + 1)
    assert np.array_equal(a, expected)
    assert np.shares_memory(a, np.asarray(h))
    assert h.exports == 1
    a[0, 0] = 7                            # NumPy writes into Swift's memory
    assert memoryview(h)[0, 0] == 7
    with pytest.raises(BufferError):
        h.resize((16,))


@pytest.mark.parametrize("layout", [lambda a: a, lambda a: a[::2, ::-3], lambda a: a.T, np.asfortranarray])
def test_clip_in_place(layout):
    base = np.linspace(-2, 2, 60).reshape(6, 10)
    a = layout(base)
    expected = np.clip(a, -1, 1)
    swiftmatrix.clip_(a, -1, 1)
    assert np.array_equal(a, expected)


def test_errors():
    with pytest.raises(ValueError, match="low 2.0 is above high 1.0"):
        swiftmatrix.clip_(np.zeros(3), 2, 1)
    with pytest.raises(TypeError, match="does not hold Double"):
        swiftmatrix.clip_(np.zeros(3, dtype=np.int32), 0, 1)
    with pytest.raises(ValueError, match="read-only"):
        swiftmatrix.clip_(np.frombuffer(bytes(16)), 0, 1)
