"""Matrix-free σ_min(J_g) against dense SVDs, the a-priori certifiability verdicts, and the training monitor with its
negative controls (a stalled run violates the a-posteriori rate; a floor above the measured σ_min fails)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ipverify.numerics.activations import get_activation
from ipverify.numerics.jacobian import certifiable_a_priori, jacobian_dense, module_generator, sigma_min
from ipverify.numerics.operators import LinearOperator
from ipverify.numerics.two_layer import init_two_layer, sigma_min_closed_form
from ipverify.verify.monitor import Monitor

pytestmark = pytest.mark.usefixtures("one_thread")


def mlp(n_in: int, hidden: int, n_out: int, seed: int, act=torch.nn.Tanh) -> torch.nn.Module:
    net = torch.nn.Sequential(torch.nn.Linear(n_in, hidden), act(), torch.nn.Linear(hidden, n_out)).double()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():  # drawn from a local generator, so the example replays exactly
            p.copy_(torch.randn(p.shape, generator=generator, dtype=p.dtype) / p.shape[-1] ** 0.5)
    return net


@pytest.mark.parametrize("method", ["lanczos", "lobpcg", "dense"])
def test_sigma_min_matches_a_dense_svd_on_a_small_network(method):
    net = mlp(3, 7, 12, seed=0)
    g, params = module_generator(net, torch.linspace(-1, 1, 3, dtype=torch.float64))
    flat0 = torch.cat([p.reshape(-1) for p in params.values()])
    shapes = [(name, p.shape, p.numel()) for name, p in params.items()]

    def g_flat(theta):
        pieces, start = {}, 0
        for name, shape, size in shapes:
            pieces[name] = theta[start:start + size].reshape(shape)
            start += size
        return g(pieces)

    svd = torch.linalg.svdvals(jacobian_dense(g_flat, flat0))
    result = sigma_min(g, params, method=method)
    assert result.value == pytest.approx(float(svd[-1]), rel=1e-6)
    assert result.certified == (method == "dense")


def test_sigma_min_matches_the_two_layer_closed_form():
    net = init_two_layer(1, 10, 4, 30, torch.Generator().manual_seed(3), get_activation("tanh"))
    u = net.u[0]

    def g(theta):
        return theta["V"] @ torch.tanh(theta["W"] @ u) / math.sqrt(30)

    result = sigma_min(g, {"W": net.W0[0], "V": net.V0[0]})
    assert result.value == pytest.approx(float(sigma_min_closed_form(net.params0, net.u, net.act)[0]), rel=1e-8)
    assert result.residual < 1e-8


def test_a_priori_certifiability():
    assert certifiable_a_priori(None)[0]
    ok, why = certifiable_a_priori(mlp(2, 4, 3, 0, act=torch.nn.ReLU))
    assert not ok and "not certifiable a priori" in why and "ReLU" in why
    bn = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh())
    ok, why = certifiable_a_priori(bn)
    assert not ok and "BatchNorm" in why
    assert not certifiable_a_priori(mlp(2, 4, 3, 0))[0]


@pytest.fixture(scope="module")
def dip():
    """A two-layer DIP on a circular blur with a planted y, the step γ = 1/L (L certified) from numerics.certify."""
    from ipverify.numerics.certify import build_problem, problem_constants

    A = LinearOperator.blur_1d(16, 1.0)
    problem = build_problem(A, None, width=32, input_dim=4, seed=2, noise_sigma=0.01)
    constants, _ = problem_constants(problem)
    u = problem.net.u[0]

    def g(theta):
        return theta["V"] @ torch.tanh(theta["W"] @ u) / math.sqrt(32)

    return A, problem, g, constants["gamma"].value, constants["L"].value


def train(dip, steps: int, stall: bool = False, **monitor_kw) -> Monitor:
    A, problem, g, gamma, L = dip
    params = {"W": problem.net.W0[0].clone().requires_grad_(True), "V": problem.net.V0[0].clone().requires_grad_(True)}
    mon = Monitor(g, A, problem.y, {k: v.detach().clone() for k, v in params.items()}, gamma=gamma, **monitor_kw)
    opt = torch.optim.SGD(params.values(), lr=gamma)
    for step in range(steps + 1):
        loss = 0.5 * (A.A(g(params)) - problem.y).square().sum()
        mon.record(step, params, float(loss.detach()))
        if not stall:
            opt.zero_grad()
            loss.backward()
            opt.step()
    return mon


def test_monitor_records_and_gives_a_posteriori_verdicts(dip, tmp_path):
    _, problem, _, gamma, L = dip
    mon = train(dip, 25, L=L, name="dip")
    a = mon.arrays()
    assert np.all(np.diff(a["f"]) <= 1e-12) and a["dist0"][0] == 0 and a["step_length"][1] > 0
    assert a["loss"] == pytest.approx(a["f"], rel=1e-10)  # the user's loss here is the same MSE
    results = mon.verdicts()
    assert [r.result_id for r in results] == ["GF-5", "GD-4"]
    for r in results:
        assert r.verdict == "recorded" and not r.details["exceeded"] and r.ratio <= 1 + 1e-9
        assert "sigma_0 = 2·σ_floor" in r.details["substitution"]
    assert mon.floor() == pytest.approx(a["sigma_min"].min())
    path = mon.report(tmp_path)
    text = path.read_text()
    assert "## Training monitor: dip" in text and "| GD-4 |" in text and (tmp_path / "monitor.png").stat().st_size


def test_a_stalled_run_violates_the_a_posteriori_rate(dip):
    mon = train(dip, 8, stall=True, L=dip[4])
    gd4 = next(r for r in mon.verdicts() if r.result_id == "GD-4")
    assert gd4.verdict == "violated" and gd4.ratio > 1


def test_a_floor_above_the_measured_sigma_min_fails_the_hypothesis(dip):
    mon = train(dip, 4, L=dip[4])
    mon.sigma_floor = 1.5 * float(mon.arrays()["sigma_min"].min())
    assert {r.verdict for r in mon.verdicts()} == {"hypothesis fails"}


def test_a_step_beyond_two_over_L_fails_the_gd4_hypothesis(dip):
    mon = train(dip, 3, L=dip[4])
    mon.gamma = 2.5 / dip[4]
    assert next(r for r in mon.verdicts() if r.result_id == "GD-4").verdict == "hypothesis fails"


def test_a_relu_network_is_not_certifiable_a_priori_but_still_checked():
    net = mlp(3, 8, 6, seed=1, act=torch.nn.ReLU)
    x_in = torch.tensor([0.3, -0.2, 0.5], dtype=torch.float64)
    g, params = module_generator(net, x_in)
    A = LinearOperator.with_condition_number(6, 6, 2.0, torch.Generator().manual_seed(0))
    y = torch.zeros(6, dtype=torch.float64)
    mon = Monitor(g, A, y, params, gamma=0.05, module=net)
    theta = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    opt = torch.optim.SGD(theta.values(), lr=0.05)
    for step in range(6):
        loss = 0.5 * (A.A(g(theta)) - y).square().sum()
        mon.record(step, theta, float(loss.detach()))
        opt.zero_grad()
        loss.backward()
        opt.step()
    (gf5,) = mon.verdicts()
    assert gf5.verdict in ("recorded", "hypothesis fails") and gf5.verdict != "holds"
    assert "not certifiable a priori" in gf5.details["verdict_note"] and "still checked" in gf5.details["verdict_note"]
