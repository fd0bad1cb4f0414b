"""`ipverify certify`: the imaging user story against a hand computation, y outside Im(A), matrix-free operators,
training against the bounds, and untrusted files (every bad file is one CliError, fuzzed with hypothesis)."""

from __future__ import annotations

import argparse
import io
import json
import math
from contextlib import redirect_stdout

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipverify.numerics.certify import build_problem, parse_operator_spec
from ipverify.numerics.two_layer import sigma_min_autograd
from ipverify.verify._inputs import CliError
from ipverify.verify.certify import certify
from ipverify.verify.certify_cli import add_certify_parser, cmd_certify

pytestmark = pytest.mark.usefixtures("one_thread")


def run_cli(argv: list[str]) -> str:
    parser = argparse.ArgumentParser(prog="ipverify")
    add_certify_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["certify", *argv])
    out = io.StringIO()
    with redirect_stdout(out):
        assert cmd_certify(args) == 0
    return out.getvalue()


def circulant_blur_spectrum(n: int, sigma: float) -> np.ndarray:
    """|eigenvalues| of the circular Gaussian blur: the DFT of its kernel (independent of numerics.operators)."""
    radius = math.ceil(4 * sigma)
    j = np.arange(-radius, radius + 1)
    w = np.exp(-(j**2) / (2 * sigma**2))
    column = np.zeros(n)
    np.add.at(column, j % n, w / w.sum())
    return np.abs(np.fft.fft(column))


@pytest.fixture(scope="module")
def blur_story(tmp_path_factory):
    """The user story: blur1d n = 64 (κ ≈ 104), tanh DIP k = 256, d = 16, σ = 0.05 noise, a smooth signal."""
    folder = tmp_path_factory.mktemp("story")
    A = parse_operator_spec("blur1d:n=64,sigma=1.04")
    rng = np.random.default_rng(0)
    x = np.sin(np.linspace(0, 4 * np.pi, 64)) + 0.5
    y = A.matrix.numpy() @ x + 0.05 * rng.standard_normal(64)
    np.save(folder / "y.npy", y)
    argv = ["--operator", "blur1d:n=64,sigma=1.04", "--observation", str(folder / "y.npy"), "--width", "256",
            "--input-dim", "16", "--activation", "tanh", "--seed", "0", "--noise-sigma", "0.05"]
    return {"payload": json.loads(run_cli([*argv, "--json"])), "text": run_cli(argv), "y": y, "A": A}


def test_blur_story_matches_a_hand_computation(blur_story):
    p, y = blur_story["payload"], blur_story["y"]
    c = {name: item["value"] for name, item in p["constants"].items()}
    spectrum = circulant_blur_spectrum(64, 1.04)
    assert c["sigma_A"] == pytest.approx(spectrum.min(), rel=1e-9)
    assert c["A_norm"] == pytest.approx(spectrum.max(), rel=1e-12)
    assert 90 < c["kappa_A"] < 120
    assert c["y_perp"] == 0.0 and p["constants"]["y_perp"]["method"] == "exact SVD"
    # σ₀ from a dense SVD of the autograd Jacobian of the network drawn exactly as the trainers draw it
    net = build_problem(blur_story["A"], y, width=256, input_dim=16, seed=0).net
    assert c["sigma_0"] == pytest.approx(float(sigma_min_autograd(net.params0, net.u, net.act)[0]), rel=1e-9)
    noise = 0.05 * (8 + math.sqrt(2 * math.log(100)))
    assert c["noise"] == pytest.approx(noise, rel=1e-12)
    r_prime = 2 * c["residual_0"] / (c["sigma_A"] * c["sigma_0"])
    gf5 = p["results"]["GF-5"]
    assert gf5["inputs"]["R_prime"]["value"] == pytest.approx(r_prime, rel=1e-12)
    assert gf5["verdict"] == "does not hold" and gf5["binding"] == "R_prime<R"
    line = next(g for g in p["guarantees"] if g.startswith("NO GUARANTEE (GF-5)"))
    assert f"R_prime<R fails by a factor {r_prime / c['R']:.2g}" in line
    # γ = 1/L, early stopping t* = 4 ln(‖y(0) − y‖/E)/(σ₀²σ_A²) and τ* = ⌈t*/(γ(1 − γL/2))⌉ = ⌈2L t*⌉
    a = p["answers"]
    assert a["gamma"] == pytest.approx(1 / c["L"], rel=1e-12) and a["gamma_L"] == pytest.approx(1.0)
    t_star = 4 * math.log(c["residual_0"] / noise) / (c["sigma_0"] ** 2 * c["sigma_A"] ** 2)
    assert t_star > 0 and a["t_star"] == pytest.approx(t_star, rel=1e-10)
    assert a["tau_star"] == math.ceil(t_star * 2 * c["L"])
    # DIN optimum of IN-5: μ = σ₀²σ_A²/4, α* = (2 − √2)√μ, speed-up (2 − √2)/(2√μ)
    root_mu = c["sigma_0"] * c["sigma_A"] / 2
    assert a["alpha_opt"] == pytest.approx((2 - math.sqrt(2)) * root_mu, rel=1e-10)
    assert a["speedup_opt"] == pytest.approx((2 - math.sqrt(2)) / (2 * root_mu), rel=1e-10)
    assert a["k_required_GF13"] > 256


def test_blur_story_text_says_no_guarantee_first(blur_story):
    text = blur_story["text"]
    lines = [ln for ln in text.splitlines() if "GUARANTEE (" in ln]
    kinds = [ln.startswith("NO GUARANTEE") for ln in lines]
    assert kinds[0] and kinds == sorted(kinds, reverse=True)
    assert "GUARANTEE (GD-1): holds" in text and "τ* =" in text and "exact SVD" in text


def test_results_are_the_bound_json_objects(blur_story):
    from ipverify.verify._render import bound_payload
    from ipverify.verify.cli import evaluate_bound

    gd1 = blur_story["payload"]["results"]["GD-1"]
    values = {name: item["value"] for name, item in gd1["inputs"].items() if item["source"] != "derived"}
    ours = bound_payload(evaluate_bound("GD-1", [f"{k}={v!r}" for k, v in values.items()]))
    assert set(ours) == set(gd1)
    for name, item in ours["conclusions"].items():
        assert gd1["conclusions"][name]["value"] == pytest.approx(item["value"], rel=1e-12)
    # `bound` takes L on the user's word; certify computed it (GD-2 certified), so nothing is left assumed
    assert ours["verdict"].startswith("holds provided that: L is a Lipschitz constant")
    assert gd1["verdict"] == "holds" and gd1["inputs"]["L"]["source"] == "computed"


def test_a_component_outside_the_range_is_never_certified_for_a_zero_loss_rate():
    A = parse_operator_spec("gaussian:m=12,n=6,seed=3")
    y = np.random.default_rng(1).standard_normal(12)
    p = certify(A, y, width=16, input_dim=3, seed=0)
    solution = np.linalg.lstsq(A.matrix.numpy(), y, rcond=None)[0]
    y_perp = np.linalg.norm(y - A.matrix.numpy() @ solution)
    assert p["constants"]["y_perp"]["value"] == pytest.approx(y_perp, rel=1e-9) and y_perp > 0.1
    gd3 = p["results"]["GD-3"]
    assert gd3["verdict"] == "does not hold"
    assert next(h for h in gd3["hypotheses"] if h["name"] == "y_perp<=0")["holds"] is False
    assert any("outside Im(A)" in g for g in p["guarantees"] if g.startswith("NO GUARANTEE (GD-3)"))
    floor = p["results"]["GD-4"]["conclusions"]["loss_floor"]["value"]
    assert floor == pytest.approx(y_perp**2 / 2, rel=1e-9)


class FourierBlur:
    """Matrix-free circular blur: A x = c ⊛ x by FFT (A symmetric, so Aᵀ = A)."""

    def __init__(self, n: int, sigma: float):
        self.n = n
        self.eig = torch.as_tensor(np.fft.fft(np.fft.ifft(circulant_blur_spectrum(n, sigma)).real).real)
        radius = math.ceil(4 * sigma)
        j = np.arange(-radius, radius + 1)
        w = np.exp(-(j**2) / (2 * sigma**2))
        column = np.zeros(n)
        np.add.at(column, j % n, w / w.sum())
        self.eig = torch.as_tensor(np.fft.fft(column))

    def A(self, x):
        return torch.fft.ifft(torch.fft.fft(x.to(torch.complex128)) * self.eig).real

    A_adjoint = A


def test_matrix_free_operator_agrees_with_the_dense_one():
    y = np.random.default_rng(2).standard_normal(32)
    payload = certify(FourierBlur(32, 1.0), y, width=32, input_dim=4, seed=0)
    assert any("dense matrix formed" in note for note in payload["notes"])
    free = payload["constants"]
    dense = certify(parse_operator_spec("blur1d:n=32,sigma=1"), y, width=32, input_dim=4, seed=0)["constants"]
    for name in ("A_norm", "sigma_A", "sigma_0", "residual_0", "R", "L"):
        assert free[name]["value"] == pytest.approx(dense[name]["value"], rel=1e-9), name
    assert free["A_norm_lanczos"]["method"] == "Lanczos (scipy ARPACK)"
    assert free["A_norm_lanczos"]["value"] == pytest.approx(dense["A_norm"]["value"], rel=1e-8)


def test_planted_observation_is_said_and_training_is_judged():
    A = parse_operator_spec("conditioned:m=6,n=6,kappa=1.5,seed=0")
    p = certify(A, None, width=4000, input_dim=3, seed=1, train=30)
    assert p["problem"]["observation"].startswith("planted")
    assert any("planted" in note for note in p["notes"])
    assert p["results"]["GD-4"]["verdict"] == "holds"
    t = p["training"]
    assert t["verdict"] == "holds" and not t["diverged"]
    for row in t["comparisons"]:
        assert row["within_bound"] is True and row["looseness"] >= 1


def test_a_step_beyond_two_over_L_is_rejected_by_the_bounds():
    A = parse_operator_spec("conditioned:m=6,n=6,kappa=1.5,seed=0")
    p = certify(A, None, width=4000, input_dim=3, seed=1)
    L = p["constants"]["L"]["value"]
    bad = certify(A, None, width=4000, input_dim=3, seed=1, gamma=2.5 / L)
    assert bad["results"]["GD-4"]["verdict"] == "does not hold"
    assert any(g.startswith("NO GUARANTEE (GD-4)") and "gamma*L<2" in g for g in bad["guarantees"])


# ---------------------------------------------------------------------------------------------- untrusted input

BASE = ["--operator", "gaussian:m=8,n=8,seed=1", "--width", "8", "--input-dim", "2"]


@pytest.mark.parametrize("spec, message", [
    ("fourier:n=8", "unknown operator"), ("blur1d:n=8", "missing sigma"), ("blur1d:n=8,sigma=-1", "positive"),
    ("blur1d:n=8,sigma=__import__('os')", "must be a number"), ("blur1d:n=8,sigma=1,boundary=reflect", "one of"),
    ("gaussian:m=8,n=8,m=9", "twice"), ("gaussian:m=0,n=8", "from 1"), ("inpainting:n=8,keep=2", "fraction"),
    ("blur1d:n=8,sigma=1,colour=red", "unknown key"), ("gaussian:m=100000,n=100000", "too large"),
])
def test_bad_operator_specs_are_one_line_errors(spec, message):
    with pytest.raises(CliError, match=message):
        run_cli(["--operator", spec, "--width", "8", "--input-dim", "2"])


def _save(path, array, **kw):
    np.save(path, array, **kw)
    return str(path)


def test_bad_files_are_one_line_errors(tmp_path, monkeypatch):
    cases = {
        "wrong length": (_save(tmp_path / "a.npy", np.ones(5)), "8 rows"),
        "nan": (_save(tmp_path / "b.npy", np.array([np.nan] * 8)), "NaN"),
        "object": (_save(tmp_path / "c.npy", np.array([{}, 1], dtype=object), allow_pickle=True), "not a readable"),
        "2-D": (_save(tmp_path / "d.npy", np.ones((8, 1))), "1-D"),
        "complex": (_save(tmp_path / "e.npy", np.ones(8, dtype=complex)), "real numbers"),
        "strings": (_save(tmp_path / "f.npy", np.array(["a"] * 8)), "real numbers"),
        "empty array": (_save(tmp_path / "g.npy", np.ones(0)), "1-D|empty|rows"),
    }
    (tmp_path / "h.npy").write_bytes(b"")
    cases["empty file"] = (str(tmp_path / "h.npy"), "empty")
    (tmp_path / "i.npy").write_bytes(b"\x93NUMPY garbage")
    cases["garbage"] = (str(tmp_path / "i.npy"), "not a readable")
    cases["missing"] = (str(tmp_path / "nope.npy"), "cannot be read")
    for path, message in cases.values():
        with pytest.raises(CliError, match=message):
            run_cli([*BASE, "--observation", path])
    big = _save(tmp_path / "big.npy", np.ones(8))
    monkeypatch.setattr("ipverify.verify.certify_cli.MAX_FILE_BYTES", 64)
    with pytest.raises(CliError, match="byte limit"):
        run_cli([*BASE, "--observation", big])


def test_bad_init_files_are_one_line_errors(tmp_path):
    rng = np.random.default_rng(0)
    u = rng.standard_normal(2)
    good = {"W": rng.standard_normal((8, 2)), "V": rng.standard_normal((8, 8)), "u": u / np.linalg.norm(u)}
    cases = [({**good, "W": np.ones((8, 3))}, "init W has shape"), ({**good, "V": np.ones((7, 8))}, "init V"),
             ({"W": good["W"], "V": good["V"]}, "lacks u"), ({**good, "u": 2 * good["u"]}, "unit norm"),
             ({**good, "W": np.full((8, 2), np.inf)}, "NaN or infinite")]
    for i, (arrays, message) in enumerate(cases):
        path = tmp_path / f"init{i}.npz"
        np.savez(path, **arrays)
        with pytest.raises(CliError, match=message):
            run_cli([*BASE, "--init", str(path)])
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(CliError, match="not a readable .npz"):
        run_cli([*BASE, "--init", str(tmp_path / "bad.npz")])
    np.savez(tmp_path / "ok.npz", **good)
    out = json.loads(run_cli([*BASE, "--init", str(tmp_path / "ok.npz"), "--json"]))
    assert out["constants"]["V_col_max"]["value"] == pytest.approx(np.linalg.norm(good["V"], axis=0).max())


_arrays = st.one_of(
    st.binary(max_size=300),
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=12).map(np.array),
    st.lists(st.integers(-5, 5), min_size=8, max_size=8).map(np.array),
    st.lists(st.floats(-1e3, 1e3), min_size=8, max_size=8).map(lambda v: np.array(v).reshape(2, 4)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=_arrays)
def test_fuzzed_observation_files_give_success_or_one_cli_error(tmp_path, content):
    path = tmp_path / "y.npy"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.save(path, content)
    try:
        out = run_cli([*BASE, "--observation", str(path), "--json"])
    except CliError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        json.loads(out)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w=st.sampled_from([(8, 2), (2, 8), (8,), (0, 2)]), v=st.sampled_from([(8, 8), (8, 7), ()]),
       u=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=3))
def test_fuzzed_init_files_give_success_or_one_cli_error(tmp_path, w, v, u):
    path = tmp_path / "init.npz"
    np.savez(path, W=np.ones(w), V=np.ones(v), u=np.array(u))
    try:
        run_cli([*BASE, "--init", str(path), "--json"])
    except CliError as exc:
        assert "\n" not in str(exc) and str(exc)


def test_wired_into_the_cli_parser_bad_options_are_cli_errors():
    from ipverify.verify.cli import _Parser

    parser = _Parser(prog="ipverify")
    add_certify_parser(parser.add_subparsers(dest="command"))
    for argv in (["--width", "0"], ["--width", "8", "--input-dim", "x"], ["--noise-norm", "1", "--noise-sigma", "1"],
                 ["--gamma", "nan"], ["--seed", "-1"], ["--train", "10000000"]):
        with pytest.raises(CliError):
            parser.parse_args(["certify", "--operator", "gaussian:m=4,n=4", "--width", "4", "--input-dim", "2",
                               *argv])
