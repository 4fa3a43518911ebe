"""Bad input raises a clear Python exception; layouts NumPy can copy are accepted and give the
same values as C-contiguous float64."""

import numpy as np
import pytest

import pai_graphon


@pytest.fixture(scope="module")
def net():
    return pai_graphon.prune("snip", data="digits", width=8, density=0.2)


def test_layouts_are_copied_to_the_same_values(net):
    fortran = np.asfortranarray(net.weights)
    strided = np.repeat(net.weights, 2, axis=1)[:, ::2]
    as_f32_exact = net.weights.astype(np.float32).astype(np.float64)
    for w in (fortran, strided, net.weights.tolist()):
        p = pai_graphon.prune("snip", data="digits", width=8, density=0.2, weights=w, readout=net.readout)
        assert np.array_equal(p.scores, net.scores) and np.array_equal(p.mask, net.mask)
    p32 = pai_graphon.prune("snip", data="digits", width=8, density=0.2,
                            weights=as_f32_exact.astype(np.float32), readout=net.readout)
    q64 = pai_graphon.prune("snip", data="digits", width=8, density=0.2, weights=as_f32_exact, readout=net.readout)
    assert np.array_equal(p32.scores, q64.scores)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(method="prune-it"), ValueError),
        (dict(density=0.0), ValueError),
        (dict(density=1.5), ValueError),
        (dict(density="0.2"), TypeError),
        (dict(kept_count="floor"), ValueError),
        (dict(data="nope"), ValueError),
        (dict(master_seed="0xg"), ValueError),
        (dict(weights=np.full((8, 64), np.nan)), ValueError),
        (dict(weights=np.zeros((8, 63))), ValueError),
        (dict(weights=np.array([["a"] * 64] * 8)), TypeError),
        (dict(readout=np.zeros((2, 8))), ValueError),
        (dict(rounds=0), ValueError),
        (dict(batch=0), ValueError),
    ],
)
def test_prune_rejects(kwargs, error):
    args = dict(method="snip", data="digits", width=8, density=0.2) | kwargs
    with pytest.raises(error):
        pai_graphon.prune(**args)


def test_prune_rejects_both_data_and_arrays():
    X, y = pai_graphon.load_data("digits")
    with pytest.raises(ValueError):
        pai_graphon.prune("snip", data="digits", X=X, y=y, width=4, density=0.2)
    with pytest.raises(ValueError):
        pai_graphon.prune("snip", X=X, y=y[:-1], width=4, density=0.2)


def test_arrays_equal_the_named_set():
    X, y = pai_graphon.load_data("digits")
    a = pai_graphon.prune("grasp", X=X, y=y, width=8, density=0.2)
    b = pai_graphon.prune("grasp", data="digits", width=8, density=0.2)
    assert np.array_equal(a.scores, b.scores) and np.array_equal(a.mask, b.mask)


def test_check_rejects_bad_masks():
    good = pai_graphon.reference_masks("constant", 16, 16, 0.25, seeds=[0])
    for bad in (good * 2, good.astype(np.float64) * 0.5, np.zeros((2, 2, 2, 2)), np.zeros((0, 4, 4))):
        with pytest.raises(ValueError):
            pai_graphon.check(bad, against="constant", density=0.25)
    with pytest.raises(TypeError):
        pai_graphon.check(np.array([["x"]]), against="constant")
    with pytest.raises(ValueError):
        pai_graphon.check(good, against="fsm:exp:3", density=0.25)  # no ;COL
    with pytest.raises(ValueError):
        pai_graphon.check(good, against="method:snip-centred")  # needs data=
    with pytest.raises(ValueError):
        pai_graphon.check(good, against="constant", null="anything")


def test_bool_masks_and_lists_are_accepted():
    good = pai_graphon.reference_masks("constant", 16, 16, 0.25, seeds=[0])
    a = pai_graphon.check(good, against="constant", density=0.25)
    b = pai_graphon.check(good.astype(bool).tolist(), against="constant", density=0.25)
    assert a == b


def test_other_functions_reject():
    with pytest.raises(ValueError):
        pai_graphon.tau_star("exp:3", "nope", density=0.2)
    with pytest.raises(ValueError):
        pai_graphon.limit_graphon("exp:3", "exp:3", density=0.2, grid=0)
    with pytest.raises(ValueError):
        pai_graphon.reference_masks("fsm:exp:3;exp:3", 8, 8, 0.2, seeds=[-1])
    with pytest.raises(ValueError):
        pai_graphon.reference_masks("fsm:exp:3;exp:3", 8, 8, 0.2, seeds=[1], kept_count="floor")
    with pytest.raises(ValueError):
        pai_graphon.graphon_ntk([[1.0, 0.0], [np.nan, 1.0]], "constant", density=0.3)
    with pytest.raises(ValueError):
        pai_graphon.graphon_ntk([[1.0, 0.0], [1.0, 0.0]], "constant", density=0.3)  # equal rows
    with pytest.raises(ValueError):
        pai_graphon.graphon_ntk([[1.0, 0.0]], "constant", density=0.3, layers="all")
    with pytest.raises(ValueError):
        pai_graphon.audit("NOPE")
    with pytest.raises(ValueError):
        pai_graphon.audit("TOOL-1", scale=0.0)
