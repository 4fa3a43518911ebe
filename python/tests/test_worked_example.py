"""The README's "From Python" example runs as printed, and the test it shows can fail: a buggy
implementation (weights scaled by a row-dependent factor before thresholding, a broadcasting
slip) is rejected by the same check."""

import re
from pathlib import Path

import numpy as np

import pai_graphon

README = Path(__file__).resolve().parents[2] / "README.md"


def from_python_blocks():
    text = README.read_text(encoding="utf-8")
    start = text.index("## From Python")
    section = text[start : text.index("\n## ", start + 1)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_example_runs():
    blocks = from_python_blocks()
    assert blocks, "the README's From Python section has no python block"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})


def test_the_worked_check_rejects_a_buggy_implementation():
    n, d, density = 64, 64, 0.2
    masks = []
    for s in range(4):
        w = np.random.default_rng(s).standard_normal((n, d)) * np.linspace(0.5, 1.5, n)[:, None]
        k = round(density * n * d)
        masks.append(np.abs(w) >= np.sort(np.abs(w), axis=None)[-k])
    result = pai_graphon.check(np.stack(masks), against="constant", density=density)
    assert not result.passed and result.status == "fail"
    assert any(not r["passed"] for r in result.rows)
