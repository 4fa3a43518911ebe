"""The Figure-1 sweep in NumPy, single-threaded: the yardstick of `cargo bench --bench masks`.

For n = d in WIDTHS and SEEDS seeds each: scores S = (phi_i psi_j) |xi_ij| with xi standard
normal (NumPy's PCG64 generator, not the crate's streams: the same law, not the same masks),
phi = psi = exp(3u) on the midpoint grid u = (i + 1/2)/n, the top k = round(0.2 n d) scores by
argpartition into a boolean mask, and the per-entry seed counts accumulated, as the bench does.
Prints one line: `numpy-sweep-seconds <wall seconds> <scores>`. Usage: python3 masks_numpy.py [SEEDS].
"""

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # single-threaded, before NumPy loads its libraries

import sys
import time

import numpy as np

WIDTHS = [200, 500, 1000, 2000, 4000]
DENSITY = 0.2


def main():
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rng = np.random.default_rng(20260675)
    start = time.perf_counter()
    scores = 0
    for n in WIDTHS:
        grid = np.exp(3.0 * (np.arange(n) + 0.5) / n)
        product = np.outer(grid, grid)
        k = int(np.floor(DENSITY * n * n + 0.5))
        counts = np.zeros(n * n, dtype=np.uint32)
        for _ in range(seeds):
            s = (product * np.abs(rng.standard_normal((n, n)))).ravel()
            top = np.argpartition(-s, k - 1)[:k]
            mask = np.zeros(n * n, dtype=bool)
            mask[top] = True
            counts += mask
            scores += n * n
    print(f"numpy-sweep-seconds {time.perf_counter() - start:.3f} {scores}")


if __name__ == "__main__":
    main()
