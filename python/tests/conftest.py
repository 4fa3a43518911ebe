"""Shared fixtures: the repository root and the release binary the package is compared with."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def binary() -> Path:
    """`PAI_GRAPHON_BIN`, else `target/release/pai-graphon` of this checkout (or of
    `CARGO_TARGET_DIR`); built by `cargo build --release`, as `.ci/run` does before pytest."""
    if "PAI_GRAPHON_BIN" in os.environ:
        return Path(os.environ["PAI_GRAPHON_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "pai-graphon"


@pytest.fixture(scope="session")
def cli():
    """Runs the CLI; returns its stdout. A missing binary fails the test (never skips it)."""
    exe = binary()
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `cargo build --release` in {ROOT} first")

    def run(*args, ok=(0,)):
        p = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True)
        assert p.returncode in ok, f"pai-graphon {' '.join(map(str, args))}: exit {p.returncode}\n{p.stderr}"
        return p.stdout

    return run
