"""pai_graphon: the verified reference of arXiv 2602.06675 from Python.

NumPy in, NumPy out. Every input goes through ``numpy.asarray`` (so lists, NumPy arrays of any
layout and CPU ``torch`` tensors are accepted). Arrays that are not C-contiguous float64 (uint8
for masks) are copied once to that layout; C-contiguous masks and scores are read in place by
``check``, weights and data become the library's own arrays (one copy), and every array returned
is handed over without a copy (``_native._read_in_place(a)`` tells whether ``a`` would be read in
place). Bad input raises ``ValueError`` (wrong values, shapes, specs, NaN) or ``TypeError`` (a
dtype that is not numeric); nothing is half-written. Long calls release the GIL and raise
``KeyboardInterrupt`` within 50 ms of Ctrl-C; the computation stops at its next mask
(``reference_masks``) or claim (``audit``), while a single ``check``, ``prune`` or
``graphon_ntk`` finishes in the background and its result is dropped. Do not write to an input
array from another thread while a call reads it.

>>> import pai_graphon
>>> t = pai_graphon.tau_star("exp:3", "exp:3", density=0.2)
>>> t.interval[0] <= t.value <= t.interval[1]
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np

from . import _native

__all__ = [
    "TauStar",
    "LimitGraphon",
    "Pruned",
    "CheckResult",
    "Kernel",
    "tau_star",
    "limit_graphon",
    "load_data",
    "prune",
    "reference_masks",
    "check",
    "graphon_ntk",
    "audit",
]


def _floats(a: Any, name: str, ndim: int) -> np.ndarray:
    """A C-contiguous float64 array of ``ndim`` dimensions (copied only when needed)."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, not {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, has shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} has non-finite entries (NaN or infinity)")
    return arr


def _masks(a: Any) -> np.ndarray:
    """A C-contiguous uint8 stack (S, n, d) of 0/1 masks from one mask (n, d) or a stack."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"masks must be a boolean or numeric array, not {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[np.newaxis]
    if arr.ndim != 3 or 0 in arr.shape:
        raise ValueError(f"masks must be (n, d) or (stack, n, d), got shape {np.shape(a)}")
    # uint8 goes to the extension as is, which refuses entries other than 0/1 itself (one pass
    # fewer); other dtypes are checked here, before the cast could wrap or truncate them.
    if arr.dtype.kind != "b" and arr.dtype != np.uint8 and not np.isin(arr, (0, 1)).all():
        bad = arr[~np.isin(arr, (0, 1))].flat[0]
        raise ValueError(f"mask entries must be 0 or 1, found {bad}")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def _density(density: float) -> float:
    if isinstance(density, bool) or not isinstance(density, (int, float, np.floating, np.integer)):
        raise TypeError(f"density must be a number, not {type(density).__name__}")
    return float(density)


@dataclass(frozen=True)
class TauStar:
    """τ*, the limit threshold of an FSM spec, with its certified interval.

    >>> t = TauStar(1.0, (0.9, 1.1), 1e-12, 30)
    >>> t.interval
    (0.9, 1.1)
    """

    value: float
    interval: Tuple[float, float]
    g_error_bound: float
    evaluations: int


def tau_star(row: str, col: str, noise: str = "gaussian:1", *, density: float) -> TauStar:
    """τ* of the FSM limit with row profile ``row``, column profile ``col`` and edge noise
    ``noise`` (as ``pai-graphon limit --row-profile ROW --col-profile COL --noise NOISE``) at
    kept fraction ``density``; the certified interval contains the exact root.

    >>> t = tau_star("exp:3", "exp:3", density=0.2)
    >>> t.interval[0] <= t.value <= t.interval[1]
    True
    """
    v, lo, hi, g, evals = _native.tau_star(row, col, noise, _density(density))
    return TauStar(v, (lo, hi), g, evals)


@dataclass(frozen=True)
class LimitGraphon:
    """The limit graphon W on a grid of cell midpoints, with τ* and the degree functions.

    ``w[i, j] = W((i + ½)/k, (j + ½)/k)``; ``row_degrees`` and ``col_degrees`` are k × 3 arrays
    of (value, certified lower end, certified upper end) at the same midpoints.

    >>> g = limit_graphon("exp:3", "exp:3", density=0.2, grid=4)
    >>> g.w.shape, bool((g.row_degrees[:, 1] <= g.row_degrees[:, 2]).all())
    ((4, 4), True)
    """

    tau_star: float
    tau_star_interval: Tuple[float, float]
    grid_positions: np.ndarray
    w: np.ndarray
    row_degrees: np.ndarray
    col_degrees: np.ndarray


def limit_graphon(
    row: str, col: str, noise: str = "gaussian:1", *, density: float, grid: int = 16
) -> LimitGraphon:
    """The limit graphon of ``pai-graphon limit`` on a ``grid`` × ``grid`` grid (W as in its
    ``w.csv``, degrees as in its JSON ``row_degrees`` / ``col_degrees``).

    >>> g = limit_graphon("exp:3", "exp:3", density=0.2, grid=8)
    >>> abs(g.w.mean() - 0.2) < 0.05
    True
    """
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 1:
        raise ValueError(f"grid must be a positive integer, not {grid!r}")
    tau, lo, hi, w, rows, cols = _native.limit_graphon(row, col, noise, _density(density), int(grid))
    positions = (np.arange(grid) + 0.5) / grid
    return LimitGraphon(tau, (lo, hi), positions, w, rows, cols)


def load_data(name: str, *, master_seed: str = "default") -> Tuple[np.ndarray, np.ndarray]:
    """A data set exactly as ``pai-graphon prune --data NAME`` uses it: X (samples × inputs,
    digits pixels / 16) and y (±1 parity targets for digits).

    >>> X, y = load_data("digits")
    >>> X.shape, sorted(set(y.tolist()))
    ((1797, 64), [-1.0, 1.0])
    """
    return _native.load_data(name, master_seed)


@dataclass(frozen=True)
class Pruned:
    """A pruned first layer: the mask (uint8 width × inputs), the last round's scores, and the
    initial weights and readout the scores were computed on.

    >>> p = prune("magnitude", data="digits", width=4, density=0.25)
    >>> p.kept == 64 and p.mask.dtype == np.uint8
    True
    """

    mask: np.ndarray
    scores: np.ndarray
    weights: np.ndarray
    readout: np.ndarray

    @property
    def kept(self) -> int:
        """The number of kept entries."""
        return int(self.mask.sum())


def prune(
    method: str,
    *,
    width: int,
    density: float,
    data: Optional[str] = None,
    X: Any = None,
    y: Any = None,
    weights: Any = None,
    readout: Any = None,
    batch: Optional[int] = None,
    rounds: int = 1,
    kept_count: str = "round",
    master_seed: str = "default",
) -> Pruned:
    """Prune the one-hidden-layer network ``f(x) = n^(-1/2) Σ_i a_i relu(d^(-1/2) w_i·x)`` at
    initialisation, exactly as ``pai-graphon prune`` does with the same options.

    ``method``: random, magnitude, snip, snip-centred, grasp, grasp-magnitude or synflow. Data:
    ``data=NAME`` (digits, mnist, synthetic, ...) or arrays ``X`` (samples × inputs) and ``y``.
    ``weights`` (width × inputs) and ``readout`` (width) replace the drawn initial weights.
    ``kept_count``: ``"round"`` (round(ρnd), ties to the smaller index) or ``"synaptic-flow"``
    (N − int((1 − ρ)N), every tie at the threshold pruned).

    >>> p = prune("snip", data="digits", width=8, density=0.2)
    >>> p.kept, p.scores.shape
    (102, (8, 64))
    """
    if (data is None) == (X is None):
        raise ValueError("give data=NAME or X= and y=, not both")
    Xa = None if X is None else _floats(X, "X", 2)
    ya = None if y is None else _floats(y, "y", 1)
    if (Xa is None) != (ya is None):
        raise ValueError("X and y go together")
    w = None if weights is None else _floats(weights, "weights", 2)
    a = None
    if readout is not None:
        a = _floats(readout, "readout", np.ndim(readout))
        if a.ndim == 2 and a.shape[0] == 1:
            a = np.ascontiguousarray(a[0])
        if a.ndim != 1:
            raise ValueError(f"readout must have shape (width,) or (1, width), got {a.shape}")
    mask, scores, w_out, a_out = _native.prune(
        method, int(width), _density(density), data, Xa, ya, w, a, batch, int(rounds), kept_count, master_seed
    )
    return Pruned(mask, scores, w_out, a_out)


def reference_masks(
    spec: str,
    n: int,
    d: int,
    density: float,
    seeds: Iterable[int],
    *,
    data: Optional[str] = None,
    batch: Optional[int] = None,
    kept_count: str = "round",
) -> np.ndarray:
    """A uint8 stack (len(seeds), n, d) of reference masks, one per master seed.

    ``spec="method:NAME"`` (with ``data=``): mask S is exactly what ``pai-graphon prune --method
    NAME --data DATA --width n --density ρ --seed S --save-mask`` writes. ``spec="constant"`` or
    ``"fsm:ROW;COL[;NOISE]"``: mask S is the crate's FSM sampler's exact top-k mask drawn from
    the stream ``masks`` of master seed S, exactly what ``pai-graphon masks --row-profile ROW
    --col-profile COL --noise NOISE --width n --inputs d --density ρ --seeds S --save-masks``
    writes. ``kept_count``: ``"round"`` (k = round(ρnd), ties to the smaller index) or
    ``"synaptic-flow"`` (k = N − int((1 − ρ)N), every entry tied with the threshold pruned: with
    continuous noise only zero profile values tie, at score 0), for either kind of spec.

    >>> m = reference_masks("fsm:exp:3;exp:3", 16, 16, 0.25, seeds=[1, 2])
    >>> m.shape, m.sum(axis=(1, 2)).tolist()
    ((2, 16, 16), [64, 64])
    >>> sf = reference_masks("fsm:exp:3;exp:3", 10, 1, 0.9, seeds=[1], kept_count="synaptic-flow")
    >>> int(sf.sum())  # int((1 − 0.9) · 10) = int(0.999…) = 0 pruned
    10
    """
    seeds = [int(s) for s in seeds]
    if any(s < 0 or s >= 2**64 for s in seeds):
        raise ValueError("seeds must be integers in [0, 2^64)")
    return _native.reference_masks(spec, int(n), int(d), _density(density), seeds, data, batch, kept_count)


@dataclass(frozen=True)
class CheckResult:
    """The verdicts of ``pai-graphon check``: ``passed`` (every check passed, none vacuous),
    ``status`` (pass, fail or vacuous), ``density`` (the limit's ρ) and one dict per check in
    ``rows`` (mask, check, observed, threshold, statistic_max, passed, status).

    >>> r = CheckResult(True, "pass", 0.2, False, [])
    >>> r.to_dict()["passed"]
    True
    """

    passed: bool
    status: str
    density: float
    own_density_dropped: bool
    rows: List[Dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        """The result as plain Python values (the ``verdicts`` of the command's JSON)."""
        return {
            "passed": self.passed,
            "status": self.status,
            "density": self.density,
            "own_density_dropped": self.own_density_dropped,
            "verdicts": [dict(r) for r in self.rows],
        }


def check(
    masks: Any,
    *,
    against: str,
    density: Optional[float] = None,
    scores: Any = None,
    data: Optional[str] = None,
    batch: Optional[int] = None,
    delta: float = 1e-3,
    null: str = "limit",
    unordered: bool = False,
    replicates: Optional[int] = None,
    master_seed: str = "default",
) -> CheckResult:
    """Check masks made anywhere against a limit graphon, as ``pai-graphon check``.

    ``masks``: one mask (n, d) or a stack (stack, n, d) of 0/1 values (bool, integers or
    floats; anything ``numpy.asarray`` takes, a CPU torch tensor included). ``against``:
    ``constant``, ``fsm:ROW;COL[;NOISE]`` or ``method:NAME`` (with ``data=``).

    >>> masks = reference_masks("fsm:exp:3;exp:3", 32, 32, 0.2, seeds=range(2))
    >>> check(masks, against="fsm:exp:3;exp:3", density=0.2).passed
    True
    """
    m = _masks(masks)
    s = None
    if scores is not None:
        s = _floats(scores, "scores", np.ndim(scores))
        if s.ndim == 2:
            s = s[np.newaxis]
        if s.ndim != 3:
            raise ValueError(f"scores must be (n, d) or (stack, n, d), got shape {np.shape(scores)}")
    rho = None if density is None else _density(density)
    status, rho_used, dropped, rows = _native.check(
        m, against, s, rho, data, batch, float(delta), null, bool(unordered), replicates, master_seed
    )
    return CheckResult(status == "pass", status, rho_used, dropped, json.loads(rows))


@dataclass(frozen=True)
class Kernel:
    """A graphon NTK: the matrix ``k`` (samples × samples), its certified lower bound on λ_min
    (``None`` when the kernel's error bound is too large to certify one) and that error bound
    on ‖K̂ − K‖₂.

    >>> k = graphon_ntk(np.eye(3), "constant", density=0.5)
    >>> k.k.shape, k.lambda_min_lower is not None
    ((3, 3), True)
    """

    k: np.ndarray
    lambda_min_lower: Optional[float]
    kernel_error: float


def graphon_ntk(
    X: Any,
    graphon: str,
    *,
    density: float,
    y: Any = None,
    layers: str = "first",
    nodes: int = 64,
) -> Kernel:
    """The graphon NTK of the rows of X (normalised to unit norm), as ``pai-graphon ntk``:
    ``graphon`` is ``constant``, ``snip[:POWER]`` (needs ``y``) or ``fsm:ROW;COL[;NOISE]``;
    ``layers`` is ``first`` or ``both``.

    >>> k = graphon_ntk([[1.0, 0.0], [0.6, 0.8]], "constant", density=0.3)
    >>> float(k.k[0, 0])
    0.5
    """
    x = _floats(X, "X", 2)
    ya = None if y is None else _floats(y, "y", 1)
    k, lam, err = _native.graphon_ntk(x, graphon, _density(density), ya, layers, int(nodes))
    return Kernel(k, lam, err)


def audit(filter: Optional[str] = None, *, scale: float = 1.0, master_seed: str = "default") -> List[Dict[str, Any]]:
    """The claim rows of ``pai-graphon audit --filter PREFIX --format json``.

    >>> rows = audit("TOOL-1")
    >>> rows[0]["id"], rows[0]["status"]
    ('TOOL-1', 'pass')
    """
    return json.loads(_native.audit(filter, float(scale), master_seed))
