"""The true ODEs (solve_ivp) on tiny DIP instances: GF-5 on the gradient flow, IN-5 on DIN, and our integrators
(small-step GD, RK4) against them. The controls feed a too-fast rate and the checks report a violation."""

from __future__ import annotations

import pytest
import torch

from ipverify.numerics.inertial import din
from ipverify.numerics.instances import build_instance
from ipverify.numerics.ode import din_records, flow_records
from ipverify.numerics.setup_dip import ode_spec
from ipverify.numerics.trainers import gradient_flow
from ipverify.verify.claims import Context
from ipverify.verify.claims.crosscheck import (
    agreement_row,
    bound_row,
    check_din_ode,
    check_flow_ode,
    din_ode_rows,
    flow_ode_rows,
    rows_result,
)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def flow_case():
    inst = build_instance(ode_spec(3 + 700))
    net = inst.net
    rate = float((inst.sigma_A**2 * inst.sigma_0**2 / 4).min())
    gd = gradient_flow(inst.matrix, inst.y, net.params0, net.u, net.act, 3.0 / rate, n_records=30)
    return inst, gd, flow_records(inst, gd.times)


def test_flow_solution_is_a_descent_and_meets_gf5(flow_case):
    inst, gd, records = flow_case
    assert bool(records.success.all())
    assert bool((records.loss[:, 1:] <= records.loss[:, :-1] * (1 + 1e-12)).all())
    assert torch.allclose(records.residual, (2 * records.loss).sqrt(), rtol=1e-12)
    rows, hold, _ = flow_ode_rows(inst, records, gd)
    assert bool(hold.all()) and all(r["valid"] for r in rows), rows


def test_a_too_fast_rate_is_a_violation(flow_case):
    """σ_A taken 4 times too large makes GF-5's exponent 16 times too fast (the true decay is already ~4 times
    faster than the guaranteed one: σ_min(J) stays near σ₀, not σ₀/2): the flow leaves the bound, the claim says so."""
    from ipverify.verify.claims.kit import evaluate

    inst, gd, records = flow_case
    values = {**inst.checker_values(), "sigma_A": 4 * inst.sigma_A, "y_perp": torch.zeros(inst.spec.b),
              "t": records.times[None, :]}
    _, _, gf5 = evaluate("GF-5", values)
    row = bound_row("ODE", "GF-5", "residual, rate x16", records.residual, gf5["residual_bound"], inst.residual_0)
    assert not row["valid"] and row["tightness"] > 1
    assert rows_result([row], True).verdict == "violated"


def test_euler_error_is_first_order(flow_case):
    """GD with step h against the true flow: halving h halves the largest loss error (explicit Euler)."""
    inst, gd, _ = flow_case
    net = inst.net
    h = float(gd.gamma[0])
    errors = []
    for step in (2 * h, h):
        run = gradient_flow(inst.matrix, inst.y, net.params0, net.u, net.act, float(gd.times[-1]), h=step,
                            n_records=10)
        ref = flow_records(inst, run.times)
        errors.append(float((run.loss - ref.loss).abs().max()))
    assert 1.6 < errors[0] / errors[1] < 2.4, errors


def test_agreement_row_catches_a_disagreement():
    row = agreement_row("ODE", "GF-5", "x", torch.tensor([[1.0, 1.1]]), torch.tensor([[1.0, 1.0]]), 0.05, 1.0)
    assert not row["valid"] and row["tightness"] == pytest.approx(2.0)


@pytest.fixture(scope="module")
def din_case():
    from ipverify.verify.claims.inertia import din_parameters, instance_values

    inst = build_instance(ode_spec(4 + 710))
    values = {**instance_values(inst), "y_perp": torch.zeros(inst.spec.b)}
    alpha, beta = din_parameters(values)["optimal"]
    net = inst.net
    rk4 = din(inst.matrix, inst.y, net.params0, net.u, net.act, alpha, beta, 10.0, n_records=20, n_sigma_records=None)
    return inst, values, alpha, beta, rk4, din_records(inst, alpha, beta, rk4.times)


def test_din_solution_meets_in5_and_rk4_agrees(din_case):
    inst, values, alpha, beta, rk4, records = din_case
    assert bool(records.success.all())
    assert bool((records.energy[:, 1:] <= records.energy[:, :-1] * (1 + 1e-9)).all())  # IN-2: Ė ≤ 0
    rows, hold, _ = din_ode_rows(inst, values, alpha, beta, records, rk4)
    assert bool(hold.all()) and all(r["valid"] for r in rows), rows


def test_din_rate_too_fast_is_a_violation(din_case):
    """κ given 10 times too large (the definition kappa_DIN overridden; the true energy already decays ~5 times
    faster than the guaranteed κ here): E(0)e^{−κt} falls below the true energy."""
    from ipverify.verify.claims.kit import evaluate

    inst, values, alpha, beta, rk4, records = din_case
    _, _, in5 = evaluate("IN-5", {**values, "alpha": alpha, "beta": beta})
    too_fast = {**values, "kappa_DIN": 10 * in5["kappa"].reshape(-1)}
    rows, _, _ = din_ode_rows(inst, too_fast, alpha, beta, records, rk4)
    energy = next(r for r in rows if r["quantity"].startswith("E(t)"))
    assert not energy["valid"]


def test_times_must_start_at_zero(flow_case):
    inst, _, _ = flow_case
    with pytest.raises(ValueError):
        flow_records(inst, [0.5, 1.0])


@pytest.mark.parametrize("check", [check_flow_ode, check_din_ode])
def test_ode_claims_hold(check):
    result = check(Context())
    assert result.verdict == "holds" and result.ratio <= 1 + 1e-9
    assert {r["source"] for r in result.details["crosscheck"]} == {"ODE"}
