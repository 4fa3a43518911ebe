"""SNIP, GraSP and SynFlow recomputed in NumPy from their published definitions (Lee et al. 2019,
Wang et al. 2020, Tanaka et al. 2020, as Synaptic-Flow defines the scores) on the weights the
package exports, with this crate's conventions (squared loss on ±1 parity targets, the readout
fixed and not prunable, no biases, digits pixels / 16). The masks, built in NumPy under each
kept-count rule, equal the crate's exactly.

The network: f(x) = n^(-1/2) Σ_i a_i relu(z_i), z_i = d^(-1/2) Σ_j w_ij x_j, loss
L = (1/(2B)) Σ_b (f(x_b) − y_b)², so ∂f_b/∂w_ij = (nd)^(-1/2) a_i 1{z_ib > 0} x_bj.
"""

from fractions import Fraction
import math

import numpy as np
import pytest

import pai_graphon

WIDTH, TEMPERATURE, ROUNDS = 16, 200.0, 100
U = 2.0**-53  # unit roundoff of float64


def gamma(m):
    """Higham's γ_m = m u / (1 − m u): the relative error bound of an m-term float64 sum."""
    return m * U / (1 - m * U)


def network(w, a, X):
    """The gates G (B × n), the outputs f (B), J's factor P = G ⊙ a (B × n) and a bound on |f|
    from absolute values (what rounding errors in f are relative to)."""
    n, d = w.shape
    Z = X @ w.T / math.sqrt(d)
    Zabs = np.abs(X) @ np.abs(w).T / math.sqrt(d)
    # No pre-activation lies within rounding of 0, so both computations see the same gates.
    assert (np.abs(Z) > 2 * gamma(d + 2) * Zabs).all(), "a gate is within rounding of its switch"
    G = (Z > 0).astype(np.float64)
    f = (G * Z) @ a / math.sqrt(n)
    fabs = (G * Zabs) @ np.abs(a) / math.sqrt(n)
    return G, f, G * a, fabs


def snip(w, a, X, y):
    """|w ⊙ ∂L/∂w| with ∂L/∂w = (1/B) Σ_b (f_b − y_b) ∂f_b/∂w; and a bound on the difference of
    two float64 evaluations in any summation order: 2 γ_K times the same sums of |terms|."""
    (n, d), B = w.shape, len(y)
    _, f, P, fabs = network(w, a, X)
    r = f - y
    scale = 1.0 / (B * math.sqrt(n * d))
    grad = (P * r[:, None]).T @ X * scale
    rabs = fabs + np.abs(y)
    bound = (np.abs(P) * rabs[:, None]).T @ np.abs(X) * scale * np.abs(w)
    return np.abs(w * grad), 2 * gamma(B + n + 2 * d + 16) * bound


def grasp(w, a, X, y):
    """w ⊙ H_T g, g = ∇L_T, L_T = (1/(2B)) Σ_b (f_b/T − y_b)², H_T its Hessian: f is piecewise
    linear in w, so H_T = (1/(B T²)) Σ_b ∇f_b ∇f_bᵀ exactly. Bound as for SNIP."""
    (n, d), B, T = w.shape, len(y), TEMPERATURE
    _, f, P, fabs = network(w, a, X)
    c = 1.0 / math.sqrt(n * d)
    r = (f / T - y) / T
    g = (P * r[:, None]).T @ X * (c / B)
    v = (P * (X @ g.T)).sum(axis=1) * c  # ∇f_b · g
    hg = (P * v[:, None]).T @ X * (c / (B * T * T))
    rabs = (fabs / T + np.abs(y)) / T
    ga = (np.abs(P) * rabs[:, None]).T @ np.abs(X) * (c / B)
    va = (np.abs(P) * (np.abs(X) @ ga.T)).sum(axis=1) * c
    bound = (np.abs(P) * va[:, None]).T @ np.abs(X) * (c / (B * T * T)) * np.abs(w)
    return w * hg, 2 * gamma(2 * B + n * d + n + 2 * d + 32) * bound


def synflow(w, a, mask):
    """|θ ⊙ ∂R/∂θ| for R = n^(-1/2) Σ_i |a_i| relu(d^(-1/2) Σ_j M_ij |w_ij|) (all-ones input):
    1{Σ_j M_ij |w_ij| > 0} |a_i| M_ij |w_ij| / √(nd)."""
    n, d = w.shape
    mw = mask * np.abs(w)
    gate = (mw.sum(axis=1) > 0).astype(np.float64)
    return (np.abs(a)[:, None] * mw) * (1.0 / (math.sqrt(n) * math.sqrt(d))) * gate[:, None]


def synaptic_flow_keep(scores, rho, alive):
    """Synaptic-Flow's rule: prune int((1 − ρ)N) entries, the threshold is the k-th smallest
    score (torch.kthvalue) over all N, every score ≤ threshold pruned."""
    flat = scores.ravel()
    k = int((1.0 - rho) * flat.size)
    if k == 0:
        return np.ones_like(flat, dtype=bool)
    threshold = np.partition(flat, k - 1)[k - 1]
    return flat > threshold


def round_keep(scores, rho, alive):
    """This crate's rule: the round(ρN) largest (halves up, ρ's exact binary value) among the
    entries still alive, ties to the smaller index."""
    flat = scores.ravel() + 0.0
    k = math.floor(Fraction(rho) * flat.size + Fraction(1, 2))
    idx = np.flatnonzero(alive)
    order = idx[np.lexsort((idx, -flat[idx]))]
    keep = np.zeros(flat.size, dtype=bool)
    keep[order[: min(k, len(idx))]] = True
    return keep


RULES = {"round": round_keep, "synaptic-flow": synaptic_flow_keep}


@pytest.fixture(scope="module")
def setup():
    X, y = pai_graphon.load_data("digits")
    net = pai_graphon.prune("magnitude", data="digits", width=WIDTH, density=0.5)
    return X, y, net.weights, net.readout


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("rho", [0.2, 0.5, 0.98])
@pytest.mark.parametrize("method", ["snip", "grasp"])
def test_gradient_criteria_masks_equal(setup, method, rho, rule):
    X, y, w, a = setup
    scores, bound = (snip if method == "snip" else grasp)(w, a, X, y)
    ours = pai_graphon.prune(method, data="digits", width=WIDTH, density=rho, weights=w, readout=a, kept_count=rule)
    err = np.abs(scores - ours.scores)
    assert (err <= bound).all(), f"{method}: score error {err.max():.3g} beyond the γ bound at {np.argmax(err - bound)}"
    mask = RULES[rule](scores, rho, np.ones(scores.size, dtype=bool)).reshape(scores.shape)
    assert np.array_equal(mask.astype(np.uint8), ours.mask), f"{method} ρ = {rho} rule {rule}"


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("rounds", [1, ROUNDS])
def test_synflow_masks_equal(setup, rounds, rule):
    _, _, w, a = setup
    rho = 0.05
    alive = np.ones(w.size, dtype=bool)
    for e in range(1, rounds + 1):
        scores = synflow(w, a, alive.reshape(w.shape).astype(np.float64))
        alive = RULES[rule](scores, rho ** (e / rounds), alive) & alive
    ours = pai_graphon.prune("synflow", data="digits", width=WIDTH, density=rho, rounds=rounds, weights=w,
                             readout=a, kept_count=rule)
    assert np.array_equal(scores, ours.scores), "SynFlow scores are a product of three factors: exact"
    assert np.array_equal(alive.reshape(w.shape).astype(np.uint8), ours.mask)


def test_the_rules_differ_on_ties(setup):
    """Control: at ρ = 0.98 SNIP's threshold falls among the exact zeros of the digits' blank
    pixels, so the two rules give different masks and the comparisons above can fail."""
    X, y, w, a = setup
    scores, _ = snip(w, a, X, y)
    everything = np.ones(scores.size, dtype=bool)
    sf, rd = synaptic_flow_keep(scores, 0.98, everything), round_keep(scores, 0.98, everything)
    assert sf.sum() < rd.sum() and not np.array_equal(sf, rd)
    ours = pai_graphon.prune("snip", data="digits", width=WIDTH, density=0.98, weights=w, readout=a)
    assert not np.array_equal(sf.reshape(w.shape).astype(np.uint8), ours.mask)



@pytest.mark.parametrize("noise", ["gaussian:1", "uniform:2"])
def test_fsm_masks_keep_synaptic_flows_count(noise):
    """The FSM sampler under each rule: round keeps round(ρN); synaptic-flow keeps
    N − int((1 − ρ)N) when no score ties (continuous noise, positive profiles), and prunes every
    score tied at the threshold 0 when zero rows make the (k+1)-th largest score 0."""
    n, d, rho, seeds = 40, 24, 0.9, [1, 2, 3]
    N = n * d
    k_sf, k_round = N - int((1 - rho) * N), round(rho * N)
    assert (k_sf, k_round) == (865, 864)  # (1 − 0.9)·960 = 95.99…: the rules differ here
    for rule, k in (("round", k_round), ("synaptic-flow", k_sf)):
        m = pai_graphon.reference_masks(f"fsm:exp:3;exp:3;{noise}", n, d, rho, seeds=seeds, kept_count=rule)
        assert m.sum(axis=(1, 2)).tolist() == [k] * len(seeds), rule
    # Rows 0..19 have φ = 0: 480 positive scores < k, so the (k+1)-th largest score is 0.
    spec = f"fsm:step:0.5;0,1;exp:3;{noise}"
    sf = pai_graphon.reference_masks(spec, n, d, rho, seeds=seeds, kept_count="synaptic-flow")
    assert (sf[:, :20] == 0).all() and (sf[:, 20:] == 1).all()
    rounded = pai_graphon.reference_masks(spec, n, d, rho, seeds=seeds, kept_count="round")
    # Round keeps 864: the 480 positive, then the first 384 zeros by index (rows 0..15).
    assert (rounded[:, :16] == 1).all() and (rounded[:, 16:20] == 0).all() and (rounded[:, 20:] == 1).all()


def test_fsm_masks_refuse_all_tied_scores():
    """A step profile that is 0 at every row midpoint: every score is 0, and synaptic-flow would
    keep nothing (round keeps the first k by index)."""
    spec = "fsm:step:0.999;0,1;const:1"
    with pytest.raises(ValueError, match="ties with the threshold"):
        pai_graphon.reference_masks(spec, 4, 8, 0.5, seeds=[1], kept_count="synaptic-flow")
    m = pai_graphon.reference_masks(spec, 4, 8, 0.5, seeds=[1], kept_count="round")
    assert m[0, :2].all() and not m[0, 2:].any()
