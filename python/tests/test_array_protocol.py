"""Arrays go in through ``numpy.asarray``: a CPU torch tensor (when torch is installed) and any
object with ``__array__`` (the protocol numpy.asarray uses for torch, run always through a
stand-in) give exactly the values of the equivalent NumPy array, in every layout and dtype."""

import numpy as np
import pytest

import pai_graphon


class ArrayLike:
    """A stand-in for a CPU tensor: only ``__array__`` (as torch.Tensor implements it), no buffer
    protocol and no ``__array_interface__``, so numpy.asarray must call it."""

    def __init__(self, a):
        self._a = a

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)


@pytest.fixture(scope="module")
def reference():
    masks = pai_graphon.reference_masks("fsm:exp:3;exp:3", 32, 48, 0.2, seeds=[1, 2])
    p = pai_graphon.prune("snip", data="digits", width=8, density=0.2)
    return masks, pai_graphon.check(masks, against="constant", density=0.2), p


def layouts(a):
    """The array as C order, Fortran order, a strided view, and transposed twice."""
    strided = np.repeat(a, 2, axis=-1)[..., ::2]
    return {"c": a, "fortran": np.asfortranarray(a), "strided": strided, "transposed": a.T.copy().T}


def to_dtypes(masks):
    return {"uint8": masks, "bool": masks.astype(bool), "float64": masks.astype(np.float64),
            "int64": masks.astype(np.int64)}


def same_check(m, reference):
    r = pai_graphon.check(m, against="constant", density=0.2)
    return r.rows == reference.rows and r.status == reference.status


def test_array_protocol_stand_in(reference):
    masks, checked, p = reference
    assert not hasattr(ArrayLike(masks), "__array_interface__")
    for dtype, m in to_dtypes(masks).items():
        for layout, arr in layouts(m).items():
            assert same_check(ArrayLike(arr), checked), (dtype, layout)
    for layout, w in layouts(p.weights).items():
        q = pai_graphon.prune("snip", data="digits", width=8, density=0.2, weights=ArrayLike(w),
                              readout=ArrayLike(p.readout))
        assert np.array_equal(q.scores, p.scores) and np.array_equal(q.mask, p.mask), layout
    # Negative control: a stand-in whose values differ gives a different answer.
    flipped = masks.copy()
    flipped[:, :8] = 1
    assert not same_check(ArrayLike(flipped), checked)
    with pytest.raises(ValueError):
        pai_graphon.check(ArrayLike(masks * 2), against="constant", density=0.2)


def test_cpu_torch_tensors(reference):
    torch = pytest.importorskip("torch")
    masks, checked, p = reference
    t = torch.from_numpy(masks)
    cases = {
        "uint8": t,
        "bool": t.bool(),
        "float32": t.float(),
        "float64": t.double(),
        "transposed (non-contiguous)": t.transpose(1, 2).contiguous().transpose(1, 2),
    }
    for name, tensor in cases.items():
        assert same_check(tensor, checked), name
    w = torch.from_numpy(p.weights)
    for name, tensor in {"contiguous": w, "transposed": w.T.contiguous().T}.items():
        q = pai_graphon.prune("snip", data="digits", width=8, density=0.2, weights=tensor,
                              readout=torch.from_numpy(p.readout))
        assert np.array_equal(q.scores, p.scores), name
    assert not cases["transposed (non-contiguous)"].is_contiguous()


def test_c_contiguous_inputs_are_read_in_place():
    """The helper every array input of the extension goes through reads C-contiguous uint8 and
    float64 arrays in place and copies other layouts (the control)."""
    from pai_graphon import _native

    m = np.zeros((2, 3, 4), dtype=np.uint8)
    assert _native._read_in_place(m) and _native._read_in_place(np.zeros((3, 4)))
    assert not _native._read_in_place(np.asfortranarray(m))
    assert not _native._read_in_place(np.zeros((3, 4)).T)
    assert not _native._read_in_place(np.zeros((3, 8))[:, ::2])
