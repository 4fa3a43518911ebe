#!/usr/bin/env python3
"""The cost of a `pai_graphon` call against the same work through the command line.

Usage: python python/bench.py [--binary target/release/pai-graphon] [--repeats 5]

For each case, the median wall time of the Python call and of the CLI command that computes the
same values (the package's values equal the CLI's bit for bit: python/tests). The CLI's time
includes starting the process and its summary statistics, so it bounds the library's time from
above; the difference is the binding's overhead or less. Also prints the process CPU time of the
Python calls (the machine may be busy).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Run as a script, this folder would come first on sys.path and its pai_graphon/ source folder
# (without the compiled extension) would shadow the installed package.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
import pai_graphon  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    ("tau_star exp:3;exp:3 ρ=0.2",
     lambda: pai_graphon.tau_star("exp:3", "exp:3", density=0.2),
     ["limit", "--row-profile", "exp:3", "--col-profile", "exp:3", "--density", "0.2", "--grid", "1", "--format", "json"]),
    ("prune snip digits n=256 ρ=0.2",
     lambda: pai_graphon.prune("snip", data="digits", width=256, density=0.2),
     ["prune", "--method", "snip", "--data", "digits", "--width", "256", "--density", "0.2", "--format", "json"]),
    ("prune grasp mnist n=1024 ρ=0.2",
     lambda: pai_graphon.prune("grasp", data="mnist", width=1024, density=0.2),
     ["prune", "--method", "grasp", "--data", "mnist", "--width", "1024", "--density", "0.2", "--format", "json"]),
    ("audit TOOL-1",
     lambda: pai_graphon.audit("TOOL-1"),
     ["audit", "--filter", "TOOL-1", "--format", "json"]),
]


def timed(f, repeats):
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        f()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main():
    ap = argparse.ArgumentParser()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    ap.add_argument("--binary", default=str(target / "release" / "pai-graphon"))
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"{'case':<34} {'python':>10} {'(cpu)':>10} {'cli':>10} {'python − cli':>13}")
    for name, call, argv in CASES:
        call()  # warm: data files cached, thread pool started
        py, cpu = timed(call, args.repeats)
        cli, _ = timed(lambda: subprocess.run([args.binary, *argv], check=True, capture_output=True), args.repeats)
        print(f"{name:<34} {py * 1e3:>8.1f}ms {cpu * 1e3:>8.1f}ms {cli * 1e3:>8.1f}ms {(py - cli) * 1e3:>+11.1f}ms")


if __name__ == "__main__":
    main()
