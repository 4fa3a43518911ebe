"""The package's values equal the CLI's bit for bit: masks, scores, weights, τ*, W, degrees,
check verdicts and audit rows."""

import json

import numpy as np
import pytest

import pai_graphon


def same_bits(a, b):
    """Equal shapes and identical float64 bit patterns (so -0.0 ≠ 0.0 and NaN = NaN)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


@pytest.mark.parametrize("method", ["random", "magnitude", "snip", "snip-centred", "grasp", "synflow"])
@pytest.mark.parametrize("rule", ["round", "synaptic-flow"])
def test_prune_equals_cli(cli, tmp_path, method, rule):
    files = {k: tmp_path / f"{k}.npy" for k in ("mask", "scores", "weights", "readout")}
    cli("prune", "--method", method, "--data", "digits", "--width", 24, "--density", 0.9,
        "--kept-count", rule, "--seed", "0x2a", *[a for k, p in files.items() for a in (f"--save-{k}", p)])
    p = pai_graphon.prune(method, data="digits", width=24, density=0.9, kept_count=rule, master_seed="0x2a")
    assert np.array_equal(np.load(files["mask"]), p.mask) and p.mask.dtype == np.uint8
    assert same_bits(np.load(files["scores"]), p.scores)
    assert same_bits(np.load(files["weights"]), p.weights)
    assert same_bits(np.load(files["readout"]), p.readout)


def test_iterative_synflow_equals_cli(cli, tmp_path):
    path = tmp_path / "m.npy"
    cli("prune", "--method", "synflow", "--data", "digits", "--width", 16, "--density", 0.05,
        "--rounds", 100, "--kept-count", "synaptic-flow", "--save-mask", path)
    p = pai_graphon.prune("synflow", data="digits", width=16, density=0.05, rounds=100, kept_count="synaptic-flow")
    assert np.array_equal(np.load(path), p.mask)


def test_given_weights_equal_cli(cli, tmp_path):
    rng = np.random.default_rng(7)
    w, a = rng.standard_normal((8, 64)), rng.standard_normal(8)
    np.save(tmp_path / "w.npy", w)
    np.save(tmp_path / "a.npy", a)
    cli("prune", "--method", "grasp", "--data", "digits", "--width", 8, "--density", 0.3, "--weights",
        tmp_path / "w.npy", "--readout", tmp_path / "a.npy", "--save-scores", tmp_path / "s.npy")
    p = pai_graphon.prune("grasp", data="digits", width=8, density=0.3, weights=w, readout=a)
    assert same_bits(np.load(tmp_path / "s.npy"), p.scores)


def test_limit_equals_cli(cli, tmp_path):
    out = json.loads(cli("limit", "--row-profile", "exp:3", "--col-profile", "power:2", "--noise", "uniform:1",
                         "--density", 0.2, "--grid", 8, "--format", "json", "--out", tmp_path))
    t = pai_graphon.tau_star("exp:3", "power:2", "uniform:1", density=0.2)
    g = pai_graphon.limit_graphon("exp:3", "power:2", "uniform:1", density=0.2, grid=8)
    assert (t.value, list(t.interval)) == (out["tau_star"], out["tau_star_interval"])
    assert (g.tau_star, list(g.tau_star_interval)) == (out["tau_star"], out["tau_star_interval"])
    assert g.grid_positions.tolist() == out["grid_positions"]
    for key, ours in (("row_degrees", g.row_degrees), ("col_degrees", g.col_degrees)):
        theirs = [[r["value"], r["lo"], r["hi"]] for r in out[key]]
        assert ours.tolist() == theirs, key
    csv = np.loadtxt(tmp_path / "w.csv", delimiter=",", ndmin=2)  # 17 significant digits: exact
    assert same_bits(csv, g.w)


def test_reference_masks_equal_cli_prune(cli, tmp_path):
    stack = pai_graphon.reference_masks("method:snip-centred", 16, 64, 0.2, seeds=[1, 26], data="digits")
    for k, s in enumerate([1, 26]):
        path = tmp_path / f"{s}.npy"
        cli("prune", "--method", "snip-centred", "--data", "digits", "--width", 16, "--density", 0.2,
            "--seed", hex(s), "--save-mask", path)
        assert np.array_equal(np.load(path), stack[k]), f"seed {s}"


@pytest.mark.parametrize("against", ["constant", "fsm:exp:3;exp:3"])
def test_check_equals_cli(cli, tmp_path, against):
    masks = pai_graphon.reference_masks("fsm:exp:3;exp:3", 32, 32, 0.2, seeds=[3, 4])
    np.save(tmp_path / "m.npy", masks)
    out = json.loads(cli("check", "--masks", tmp_path / "m.npy", "--against", against, "--density", 0.2,
                         "--format", "json", ok=(0, 1, 3)))
    r = pai_graphon.check(masks, against=against, density=0.2)
    assert r.rows == out["verdicts"]
    assert (r.passed, r.status, r.density) == (out["passed"], out["status"], out["density"])


def test_audit_rows_equal_cli(cli):
    assert pai_graphon.audit("TOOL-1") == json.loads(cli("audit", "--filter", "TOOL-1", "--format", "json"))


@pytest.mark.parametrize("rule", ["round", "synaptic-flow"])
@pytest.mark.parametrize("row", ["exp:3", "step:0.5;0,1"])
def test_fsm_reference_masks_equal_cli_masks(cli, tmp_path, rule, row):
    """`reference_masks("fsm:…")` is `pai-graphon masks` bit for bit under both kept-count rules,
    the zero rows of the step profile (ties at score 0) included."""
    seeds, path = [3, 0x2A], tmp_path / "m.npy"
    cli("masks", "--row-profile", row, "--col-profile", "exp:3", "--width", 40, "--inputs", 24,
        "--density", 0.9, "--seeds", ",".join(map(hex, seeds)), "--kept-count", rule, "--save-masks", path)
    stack = pai_graphon.reference_masks(f"fsm:{row};exp:3", 40, 24, 0.9, seeds=seeds, kept_count=rule)
    saved = np.load(path)
    assert saved.dtype == np.uint8 and np.array_equal(saved, stack)
