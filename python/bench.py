#!/usr/bin/env python3
"""The cost of a `pai_graphon` call against the same work through the Rust library directly.

Usage: python python/bench.py [--repeats 5] [--no-cli]

Runs `cargo bench --bench binding` (benches/binding.rs: each case's work through the library,
no Python) and times the package's calls for the same cases in this process; prints both
medians, the ratio and the difference. Also times the command line for the cases it has (its
time includes starting a process), and shows that C-contiguous inputs are read in place while
other layouts are copied: `_native._read_in_place` (the helper every array input goes through)
and the time of `check` on the same stack in C and Fortran order. The machine may be busy:
process CPU times are printed too.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Run as a script, this folder would come first on sys.path and its pai_graphon/ source folder
# (without the compiled extension, unless installed in place by `maturin develop`) would shadow
# the installed package.
HERE = Path(__file__).resolve().parent
if not any((HERE / "pai_graphon").glob("_native*.so")):
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
import numpy as np  # noqa: E402

import pai_graphon  # noqa: E402
from pai_graphon import _native  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def stack(side, seeds, rule="round"):
    return pai_graphon.reference_masks("fsm:exp:3;exp:3", side, side, 0.2, seeds=range(seeds), kept_count=rule)


CHECK_STACK = None  # built once (8 × 512 × 512), as benches/binding.rs builds it


def check(masks):
    return pai_graphon.check(masks, against="fsm:exp:3;exp:3", density=0.2)


# name in benches/binding.rs, the Python call, the CLI command for the same values (or None)
CASES = [
    ("tau_star", lambda: pai_graphon.tau_star("exp:3", "exp:3", density=0.2),
     ["limit", "--row-profile", "exp:3", "--col-profile", "exp:3", "--density", "0.2", "--grid", "1"]),
    ("reference_masks round", lambda: stack(1024, 8), None),
    ("reference_masks synaptic-flow", lambda: stack(1024, 8, "synaptic-flow"), None),
    ("check", lambda: check(CHECK_STACK), None),
    ("prune", lambda: pai_graphon.prune("snip", data="digits", width=256, density=0.2),
     ["prune", "--method", "snip", "--data", "digits", "--width", "256", "--density", "0.2"]),
]


def timed(f, repeats):
    f()  # warm: data files cached, thread pool started
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        f()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def library_times():
    """(wall ms, cpu ms) per case from `cargo bench --bench binding`."""
    out = subprocess.run(["cargo", "bench", "--quiet", "--bench", "binding"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    rows = [line.split("\t") for line in out.splitlines() if line.count("\t") == 2]
    return {name: (float(w), float(c)) for name, w, c in rows}


def main():
    global CHECK_STACK
    ap = argparse.ArgumentParser()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    ap.add_argument("--binary", default=str(target / "release" / "pai-graphon"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-cli", action="store_true")
    args = ap.parse_args()
    lib = library_times()
    CHECK_STACK = stack(512, 8)
    print(f"{'case':<30} {'library':>9} {'(cpu)':>9} {'python':>9} {'(cpu)':>9} {'ratio':>6} "
          f"{'python − library':>16} {'cli':>9}")
    for name, call, argv in CASES:
        py, cpu = timed(call, args.repeats)
        lw, lc = lib[name]
        cli = "" if argv is None or args.no_cli else (
            f"{timed(lambda: subprocess.run([args.binary, *argv], check=True, capture_output=True), args.repeats)[0] * 1e3:>7.1f}ms")
        print(f"{name:<30} {lw:>7.1f}ms {lc:>7.1f}ms {py * 1e3:>7.1f}ms {cpu * 1e3:>7.1f}ms "
              f"{py * 1e3 / lw:>6.3f} {py * 1e3 - lw:>+14.1f}ms {cli:>9}")
    c_order = np.ascontiguousarray(stack(1024, 16))
    f_order = np.asfortranarray(c_order)
    print(f"\nin place: uint8 C {_native._read_in_place(c_order)}, uint8 Fortran "
          f"{_native._read_in_place(f_order)}, float64 C "
          f"{_native._read_in_place(np.zeros((4, 4)))}, float64 transposed "
          f"{_native._read_in_place(np.zeros((4, 3)).T)}")
    for name, m in (("C order", c_order), ("Fortran order (copied)", f_order)):
        wall, cpu = timed(lambda: check(m), args.repeats)
        print(f"check 16 × 1024 × 1024 ({m.nbytes / 2**20:.0f} MiB), {name:<22} {wall * 1e3:>8.1f}ms "
              f"(cpu {cpu * 1e3:.1f}ms)")


if __name__ == "__main__":
    main()
