"""Soundness of the inertial results: every hypothesis a proof uses is encoded, and every claim can fail.

- y ∉ Im(A): min f = ½‖P⊥y‖² > 0, so no bound of IN-3 … IN-8 may go below it (floor forms, checked on a DIP whose
  y has a part outside Im(A));
- IGAHD-SC (IN-B3) needs strong convexity: never certified on the DIP, certified (and met) on quadratics;
- IN-9/width compares a measurement with a bound (it fails when σ_min is made to drop);
- IN-8 refuses a step factor outside (0, 1); IN-3 … IN-8 need R·Lip_J ≤ σ₀/2.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from ipverify import theory
from ipverify.numerics.checkers import checker
from ipverify.numerics.inertial import curvature_estimate
from ipverify.numerics.inertial_discrete import adaptive_inertial, igahd_sc
from ipverify.numerics.instances import InstanceSpec, build_instance, component_outside_range
from ipverify.numerics.setup_inertia import din_parameters, din_run, instance_values, mu_pl
from ipverify.numerics.two_layer import apply_A, forward
from ipverify.verify.claims.inertia import judge_rate
from ipverify.verify.claims.inertia_discrete import (
    check_overstated_mu,
    check_quadratic,
    judge_adaptive,
    judge_igahd,
)
from ipverify.verify.claims.kit import Context, evaluate

BALL_RESULTS = ("IN-3", "IN-4", "IN-5", "IN-6", "IN-7", "IN-8")
FLOOR_RESULTS = {"IN-3": "grad_norm_sq_lower", "IN-4": "loss_bound", "IN-5": "loss_bound", "IN-8": "loss_bound"}
BASE = {"sigma_A": 0.5, "sigma_0": 0.8, "residual_0": 1.0, "R": 50.0, "Lip_J": 1e-3, "alpha": 0.3, "beta": 2.0,
        "grad_norm_0": 0.1, "loss_t": 0.3, "theta_dist": 0.0, "s_step": 0.5, "L": 2.0, "c_armijo": 0.5,
        "shrink": 0.5, "mu": 0.5, "noise": 0.0, "dist": 0.0, "A_norm": 1.0}


def assert_within_bounds(j) -> None:
    """Every certified network stays inside every bound and never diverges (outside a hypothesis search)."""
    certified = j.hypotheses_hold.bool()
    assert not bool((certified & j.diverged.bool()).any())
    for comparison in j.comparisons:
        violated = certified & ~comparison.holds(torch.float64)
        assert not bool(violated.any()), f"{comparison.name}: violated for networks {violated.nonzero().flatten()}"


@pytest.fixture(autouse=True, scope="module")
def _threads(one_thread):
    yield


# ---------------------------------------------------------------------------------------------- y outside Im(A)


@pytest.mark.parametrize("rid", ["IN-3", "IN-4", "IN-5", "IN-7", "IN-8"])
def test_rates_carry_the_floor_of_y_outside_the_range(rid):
    """With ‖P⊥y‖ = 0.6 the loss never drops below ½·0.36 = 0.18: the long-time loss bound stays above it (and the
    PL lower bound on ‖∇f‖² vanishes at f = 0.18)."""
    assert "y_perp" in {s.name for s in theory.get(rid).symbols}, f"{rid} ignores y outside Im(A)"
    values = {**BASE, "y_perp": 0.6, "t": 1e4, "tau": 1e5}
    ev = checker(rid).evaluate(values)
    if rid == "IN-3":
        at_floor = checker(rid).evaluate({**values, "loss_t": 0.18})
        assert float(at_floor.conclusions["grad_norm_sq_lower"]) == pytest.approx(0.0, abs=1e-15)
    elif rid == "IN-7":
        assert float(ev.conclusions["recovery_bound"]) >= 0.6 / BASE["mu"] - 1e-12
    else:
        assert float(ev.conclusions[FLOOR_RESULTS[rid]]) >= 0.18 - 1e-12


def _perpendicular_instance(scale: float = 1.0):
    """A planted instance with injective A (m > n) whose y gets a part of norm scale·‖y(0) − y‖ outside Im(A)."""
    inst = build_instance(InstanceSpec(n=4, m=7, d=5, k=256, b=2, kappa=2.0, planted_radius=0.02, seed=11))
    generator = torch.Generator().manual_seed(5)
    raw = torch.randn(inst.y.shape, generator=generator, dtype=inst.y.dtype)
    perp = raw - inst.A.project_onto_range(raw)
    perp = perp * (scale * inst.residual_0 / perp.norm(dim=-1))[:, None]
    y = inst.y + perp
    residual_0 = (apply_A(inst.matrix, forward(inst.net.params0, inst.net.u, inst.net.act)) - y).norm(dim=-1)
    inst = dataclasses.replace(inst, y=y, residual_0=residual_0, y_perp=component_outside_range(inst.A, y),
                               R_prime=2 * residual_0 / (inst.A.sigma_A * inst.sigma_0))
    return inst


def test_din_bounds_hold_when_y_is_outside_the_range():
    """IN-5 on a DIP whose y has a part outside Im(A): the loss tends to ½‖P⊥y‖², and the floor-form bounds hold
    (a bound E(0)e^{−κt} without the floor would be crossed)."""
    inst = _perpendicular_instance()
    values = instance_values(inst)
    assert bool((values["y_perp"] > 0.5 * inst.residual_0).all())
    alpha, beta = din_parameters(values)["optimal"]
    _, ev, in5 = evaluate("IN-5", {**values, "alpha": alpha, "beta": beta})
    kappa = in5["kappa"].reshape(-1)
    t_final = float(4 / kappa.min())
    run = din_run(inst, values, {"optimal": (alpha, beta)}, t_final, n_sigma_records=None)
    j = judge_rate(run, "test")
    assert bool(j.hypotheses_hold.any()), "no network certified: the test would be vacuous"
    assert_within_bounds(j)
    floor = values["y_perp"].square() / 2
    loss_end = run.trajectory.loss[:, -1]
    assert bool((loss_end >= floor * (1 - 1e-9)).all())
    energy_0 = torch.as_tensor(ev.derived["energy_0"]).reshape(-1)
    without_floor = energy_0 / (1 + alpha * beta) * torch.exp(-kappa * run.trajectory.times[-1])
    assert bool((without_floor < loss_end).all()), "the horizon is too short to tell the floor from no floor"


def test_adaptive_method_bounds_hold_when_y_is_outside_the_range():
    """IN-8 on the same DIP: f_{k+1} − F ≤ (1 − 2cμs_k)(f_k − F) with F = ½‖P⊥y‖² (without F it fails as f → F)."""
    inst = _perpendicular_instance()
    values = instance_values(inst)
    net = inst.net
    args = (inst.matrix, inst.y, net.params0, net.u, net.act)
    s0 = 1 / curvature_estimate(*args)
    run = adaptive_inertial(*args, mu_pl(values), s0, 60, beta=0.5 * s0.sqrt())
    j = judge_adaptive(run, inst, values, "test")
    assert bool(j.hypotheses_hold.any())
    assert_within_bounds(j)


def test_the_claims_pass_the_distance_of_y_to_the_range():
    inst = _perpendicular_instance(scale=0.7)
    planted = build_instance(InstanceSpec(n=4, m=7, d=5, k=256, b=2, kappa=2.0, planted_radius=0.02, seed=11))
    assert torch.allclose(instance_values(inst)["y_perp"], 0.7 * planted.residual_0, rtol=1e-10)


# ---------------------------------------------------------------------------------------------- IGAHD-SC


def test_igahd_on_the_dip_is_never_certified():
    """No strong-convexity modulus exists for the DIP: IN-B3's hypotheses fail whatever the step."""
    inst = build_instance(InstanceSpec(n=4, m=4, d=3, k=64, b=2, kappa=2.0, planted_radius=0.02, seed=3))
    values = instance_values(inst)
    net = inst.net
    mu = mu_pl(values)
    _, ev, b3 = evaluate("IN-B3", {"mu_SC": mu, "L": values["L"], "beta": 0.0, "s_step": 1.0})
    assert "mu_SC<=sc_modulus" in ev.missing
    s = 0.5 * b3["s_max"].reshape(-1)
    traj = igahd_sc(inst.matrix, inst.y, net.params0, net.u, net.act, mu, s, 0.0, 50)
    j = judge_igahd(traj, inst, values, mu, s, torch.zeros_like(s), "test")
    assert not bool(j.hypotheses_hold.any())


def test_the_dip_igahd_claim_is_recorded_never_holds():
    from ipverify.verify.claims.inertia_discrete import check_igahd

    result = check_igahd(Context())
    assert result.verdict == "recorded" and result.details["certified_networks"] == 0


def test_igahd_is_certified_and_met_on_strongly_convex_quadratics():
    result = check_quadratic(Context())
    assert result.verdict == "holds"
    assert result.details["certified_networks"] == result.details["networks"] == 8


def test_igahd_with_an_overstated_modulus_is_flagged_and_breaks_the_bound():
    result = check_overstated_mu(Context())
    assert result.verdict == "reacted"


@pytest.mark.parametrize("rid", ["IN-B1", "IN-B2", "IN-B3"])
def test_the_strongly_convex_theorems_need_a_certified_modulus(rid):
    c = checker(rid)
    base = {"mu_SC": 0.01, "L": 0.1, "beta": 0.0, "s_step": 0.01, "t": 1.0}
    assert not bool(c.evaluate(base).holds)
    assert bool(c.evaluate({**base, "sc_modulus": 0.01}).holds)
    assert not bool(c.evaluate({**base, "sc_modulus": 0.005}).holds)


# ---------------------------------------------------------------------------------------------- IN-9/width


def test_width_claim_can_fail(monkeypatch):
    """σ_min made to drop to 0.4σ₀ at the sampled points: IN-9/width must report a violation."""
    import ipverify.verify.claims.inertia_controls as controls
    from ipverify.numerics.two_layer import sigma_min_closed_form

    honest = controls.check_width(Context())
    assert honest.verdict == "holds" and honest.details["certified_networks"] > 0
    monkeypatch.setattr(controls, "sigma_min_closed_form",
                        lambda params, u, act: 0.4 * sigma_min_closed_form(params, u, act))
    assert controls.check_width(Context()).verdict == "violated"


# ---------------------------------------------------------------------------------------------- IN-8, R·Lip_J


def test_in8_refuses_a_step_factor_outside_the_unit_interval():
    base = {"mu_PL": 0.02, "L": 2.5, "c_armijo": 0.5, "shrink": 0.5, "residual_0": 0.1, "R": 50.0, "Lip_J": 1e-3,
            "sigma_0": 0.8, "y_perp": 0.0, "tau": 3.0}
    ok = checker("IN-8").evaluate({**base, "s_step": 0.9})
    huge = checker("IN-8").evaluate({**base, "s_step": 1e300})
    assert bool(ok.holds) and not bool(huge.holds)
    assert huge.binding.name == "2*c*mu*s<1"
    assert not bool(checker("IN-8").evaluate({**base, "s_step": 1 / (2 * 0.5 * 0.02)}).holds)  # factor exactly 0


@pytest.mark.parametrize("rid", BALL_RESULTS)
def test_the_ball_must_be_inside_the_weyl_radius(rid):
    """R·Lip_J ≤ σ₀/2 is a hypothesis: a radius too large for the given Lip_J is refused, GF-10's derived one is not."""
    result = theory.get(rid)
    assert "R*Lip_J<=sigma_0/2" in {h.name for h in result.hypotheses}
    values = {**BASE, "y_perp": 0.0, "t": 1.0, "tau": 1.0}
    too_large = checker(rid).evaluate({**values, "R": 1.0, "Lip_J": 1.0, "sigma_0": 0.8})
    verdicts = {v.name: bool(v.holds) for v in too_large.hypotheses}
    assert verdicts["R*Lip_J<=sigma_0/2"] is False
    derived = {k: v for k, v in values.items() if k not in ("R", "Lip_J")}
    derived.update({"B": 1.0, "k": 256.0, "V_col_max": 2.0})
    for _ in range(3):
        ev = checker(rid).evaluate(derived)
        assert {v.name: bool(v.holds) for v in ev.hypotheses}["R*Lip_J<=sigma_0/2"] is True
        derived["sigma_0"] = derived["sigma_0"] * math.pi / 3
