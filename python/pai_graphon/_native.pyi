"""Typed stubs of the PyO3 extension under `pai_graphon` (use the wrappers in `pai_graphon`)."""

from typing import Optional, Tuple

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]

def tau_star(row: str, col: str, noise: str, rho: float) -> Tuple[float, float, float, float, int]: ...
def limit_graphon(row: str, col: str, noise: str, rho: float, grid: int) -> Tuple[float, float, float, F64, F64, F64]: ...
def load_data(name: str, master_seed: str = "default") -> Tuple[F64, F64]: ...
def prune(
    method: str,
    width: int,
    rho: float,
    data: Optional[str] = None,
    x: Optional[F64] = None,
    y: Optional[F64] = None,
    weights: Optional[F64] = None,
    readout: Optional[F64] = None,
    batch: Optional[int] = None,
    rounds: int = 1,
    kept_count: str = "round",
    master_seed: str = "default",
) -> Tuple[U8, F64, F64, F64]: ...
def reference_masks(
    spec: str,
    n: int,
    d: int,
    rho: float,
    seeds: list[int],
    data: Optional[str] = None,
    batch: Optional[int] = None,
    kept_count: str = "round",
) -> U8: ...
def check(
    masks: U8,
    against: str,
    scores: Optional[F64] = None,
    rho: Optional[float] = None,
    data: Optional[str] = None,
    batch: Optional[int] = None,
    delta: float = 1e-3,
    null: str = "limit",
    unordered: bool = False,
    replicates: Optional[int] = None,
    master_seed: str = "default",
) -> Tuple[str, float, bool, str]: ...
def graphon_ntk(
    x: F64, graphon: str, rho: float, y: Optional[F64] = None, layers: str = "first", nodes: int = 64
) -> Tuple[F64, Optional[float], float]: ...
def _read_in_place(a: npt.NDArray[np.generic]) -> bool: ...
def audit(filter: Optional[str] = None, scale: float = 1.0, master_seed: str = "default") -> str: ...
