"""Every hypothesis the GF-*/GD-* proofs use is a checked hypothesis: y ∉ Im(A) (the MSE floor ½‖P⊥y‖²), the
Weyl condition R·Lip_J ≤ σ₀/2 behind σ_min ≥ σ₀/2, and user-given constants declared as assertions.

Expected numbers are computed here with plain floats, never with the SymPy formulas of `theory`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from ipverify import theory
from ipverify.numerics.checkers import checker
from ipverify.numerics.experiments import descent_run
from ipverify.numerics.instances import InstanceSpec, build_instance
from ipverify.theory.symbols import S
from ipverify.verify.claims._dip import judge_descent
from ipverify.verify.claims.gradient_descent import judge_without_floor
from ipverify.verify.cli import evaluate_bound

OUTSIDE = InstanceSpec(n=5, m=8, d=4, k=256, b=3, activation="tanh", noise_outside=0.02, seed=5)
WEYL = "R*Lip_J<=sigma_0/2"
USES_WEYL = ("GF-3", "GF-5", "GF-6", "GF-7", "GD-3", "GD-4")


def _hypotheses(evaluation) -> dict:
    return {v.name: v for v in evaluation.hypotheses}


# --- y ∉ Im(A) -------------------------------------------------------------------------------------------------


def test_gd4_is_not_certified_without_y_perp():
    """The instance's constants without y_perp leave GD-4 unknown: no default may assume y ∈ Im(A)."""
    inst = build_instance(OUTSIDE)
    values = {k: v.numpy() if torch.is_tensor(v) else v for k, v in inst.checker_values().items() if k != "y_perp"}
    gamma = 1.0 / inst.smoothness(inst.R).numpy()
    ev = checker("GD-4").evaluate({**values, "gamma": gamma, "L": 1.0 / gamma})
    assert not np.any(ev.holds)
    assert "y_perp<=residual_0" in ev.missing


def test_bound_cli_without_y_perp_does_not_say_every_hypothesis_holds():
    report = evaluate_bound("GD-4", ["gamma=0.5", "L=1", "sigma_A=0.5", "sigma_0=0.8", "residual_0=0.1",
                                     "B=1", "k=4096", "V_col_max=2"])
    assert not np.any(report.evaluation.holds)
    assert "y_perp<=residual_0" in report.evaluation.missing


def test_instance_measures_the_part_of_y_outside_the_range():
    inside = build_instance(InstanceSpec(n=5, m=8, d=4, k=64, b=3, noise=0.02, seed=1))
    assert float(inside.y_perp.max()) < 1e-12  # noise projected on Im(A): rounding level
    outside = build_instance(OUTSIDE)
    assert torch.allclose(outside.y_perp, torch.full_like(outside.y_perp, 0.02), rtol=1e-10, atol=0)
    # ‖ε‖ counts both parts of the noise
    assert torch.allclose((outside.y - outside.x_bar @ outside.matrix.mT).norm(dim=-1), outside.noise_norm)
    with pytest.raises(ValueError, match="orthogonal"):
        build_instance(InstanceSpec(n=5, m=5, d=4, k=64, noise_outside=0.01))


def test_gd4_floor_bound_holds_and_the_floorless_bound_fails_when_y_is_outside_the_range():
    """n = 5, m = 8, ‖P⊥y‖ = 0.02: the loss stalls at ½‖P⊥y‖² = 2e-4, inside the floor bound, while the old form
    (y_perp = 0) falls far below it: the checker certifies that form too, and training leaves it."""
    run = descent_run(OUTSIDE, 1.0, 1500)
    j = judge_descent(run, "test")
    assert bool(j.hypotheses_hold.all())
    for comparison in j.comparisons:
        assert bool(comparison.holds(torch.float64).all()), comparison.name
    final = run.trajectory.loss[:, -1]
    assert torch.allclose(final, torch.full_like(final, 0.5 * 0.02**2), rtol=1e-6)
    forced = judge_without_floor(run, "test")
    assert bool(forced.hypotheses_hold.all()), forced.details
    assert max(forced.details["final_floorless_bound"]) < 1e-6 * min(forced.details["floor"])


def test_inconsistent_y_perp_is_refused():
    """‖P⊥y‖ > ‖y(0) − y‖ is impossible (y(0) ∈ Im(A)): the checker says so."""
    ev = checker("GF-5").evaluate({"sigma_A": 0.5, "sigma_0": 0.8, "residual_0": 0.1, "y_perp": 0.2, "t": 1.0,
                                   "R": 1.0, "Lip_J": 0.1})
    assert not _hypotheses(ev)["y_perp<=residual_0"].holds


@pytest.mark.parametrize("result_id", ["GF-3", "GD-3"])
def test_kl_results_need_y_in_the_range(result_id):
    r = theory.get(result_id)
    assert "y_perp<=0" in {h.name for h in r.hypotheses}
    base = {"sigma_A": 0.5, "sigma_0": 0.8, "psi_0": 0.1, "residual_0": 0.1, "R": 10.0, "Lip_J": 0.01,
            "gamma": 0.5, "L": 1.0}
    for y_perp, expected in ((0.0, True), (1e-3, False)):
        ev = checker(result_id).evaluate({**base, "y_perp": y_perp})
        assert bool(_hypotheses(ev)["y_perp<=0"].holds) is expected


def test_floor_forms_reduce_to_the_usual_ones_when_y_is_in_the_range():
    y_perp, residual_0, t, tau, nu = S("y_perp"), S("residual_0"), S("t"), S("tau"), S("nu")
    sigma_A, sigma_0 = S("sigma_A"), S("sigma_0")
    gd4, gf5 = theory.get("GD-4"), theory.get("GF-5")
    for r, name in ((gd4, "loss_bound"), (gf5, "loss_bound"), (gf5, "residual_bound")):
        assert y_perp in r.expr(name).free_symbols, (r.id, name)
    assert sp.simplify(gd4.expr("loss_bound").subs(y_perp, 0) - residual_0**2 / 2 * (1 - 2 * nu) ** tau) == 0
    decay = sp.exp(-sigma_A**2 * sigma_0**2 * t / 4)
    assert sp.simplify(gf5.expr("residual_bound").subs(y_perp, 0) - residual_0 * decay) == 0
    # numbers: ½ψ² + (½r₀² − ½ψ²)(1 − 2ν)^τ, hand arithmetic
    values = {"y_perp": 0.02, "residual_0": 0.3, "tau": 50.0, "gamma": 0.5, "L": 1.0, "sigma_A": 0.5,
              "sigma_0": 0.8, "R": 10.0, "Lip_J": 0.01}
    nu_value = 0.5 * (1 - 0.25) * 0.25 * 0.64 / 4
    expected = 0.5 * 0.02**2 + 0.5 * (0.3**2 - 0.02**2) * (1 - 2 * nu_value) ** 50
    assert math.isclose(float(checker("GD-4").evaluate(values).conclusions["loss_bound"]), expected, rel_tol=1e-12)


# --- the Weyl condition R·Lip_J ≤ σ₀/2 ---------------------------------------------------------------------------


@pytest.mark.parametrize("result_id", USES_WEYL)
def test_results_using_sigma_min_at_least_half_sigma_0_check_the_weyl_condition(result_id):
    r = theory.get(result_id)
    assert WEYL in {h.name for h in r.hypotheses}
    assert "Lip_J" in dict(r.assumed_inputs)


def test_a_user_given_R_is_checked_or_unknown_never_trusted():
    given = ["sigma_A=0.5", "sigma_0=0.8", "residual_0=0.1", "R=100", "t=10", "y_perp=0"]
    unknown = evaluate_bound("GF-5", given).evaluation
    assert not np.any(unknown.holds) and WEYL in unknown.missing
    derived = evaluate_bound("GF-5", [*given, "B=1", "k=256", "V_col_max=2"]).evaluation
    weyl = _hypotheses(derived)[WEYL]
    # Lip_J = (B/√k)(2 + c + R) = (1/16)(104) = 6.5, R·Lip_J = 650 > 0.4
    assert math.isclose(float(weyl.lhs), 100 * (2 + 2 + 100) / 16, rel_tol=1e-12)
    assert not weyl.holds and not np.any(derived.holds)


@settings(max_examples=examples(40, 100, 1000))
@given(sigma_0=st.floats(1e-4, 10.0), B=st.floats(0.05, 4.0), k=st.integers(1, 10**7),
       c=st.floats(0.0, 100.0))
def test_the_filled_in_certified_radius_never_fails_the_weyl_condition_by_rounding(sigma_0, B, k, c):
    ev = checker("GD-4").evaluate({"sigma_0": sigma_0, "B": B, "k": float(k), "V_col_max": c, "sigma_A": 1.0,
                                   "residual_0": 1e-9, "y_perp": 0.0, "gamma": 0.5, "L": 1.0})
    weyl = _hypotheses(ev)[WEYL]
    assert bool(weyl.holds), (float(weyl.lhs), float(weyl.rhs))
    # and the radius is the root up to the 1e-12 slack: R(2 + c + R)B/√k within 1e-11 of σ₀/2
    assert float(weyl.lhs) >= sigma_0 / 2 * (1 - 1e-11)


def test_the_unshrunk_root_alone_would_fail_by_rounding_somewhere():
    """Why the slack: at the exact root, R·Lip_J > σ₀/2 in floating point for some inputs."""
    rng = np.random.default_rng(0)
    sigma_0, B, c = rng.uniform(0.01, 5, 2000), rng.uniform(0.1, 3, 2000), rng.uniform(0, 50, 2000)
    k = rng.integers(1, 10**6, 2000).astype(float)
    q = sigma_0 * np.sqrt(k) / (2 * B)
    root = 2 * q / ((2 + c) + np.sqrt((2 + c) ** 2 + 4 * q))
    assert np.any(root * B / np.sqrt(k) * (2 + c + root) > sigma_0 / 2)
    shrunk = root * (1 - 1e-12)
    assert np.all(shrunk * B / np.sqrt(k) * (2 + c + shrunk) <= sigma_0 / 2)


def test_instances_pass_a_certified_lip_j_that_meets_the_weyl_condition():
    for seed in range(4):
        inst = build_instance(InstanceSpec(n=6, m=5, d=4, k=64, b=4, seed=seed))
        assert bool((inst.R * inst.lip_J <= inst.sigma_0 / 2).all())
        ev = checker("GF-5").evaluate({k: v.numpy() if torch.is_tensor(v) else v
                                       for k, v in {**inst.checker_values(), "t": 0.0}.items()})
        assert np.all(_hypotheses(ev)[WEYL].holds)


# --- user-given constants are assertions; L can be derived -------------------------------------------------------


@pytest.mark.parametrize("result_id", ["GD-1", "GD-3", "GD-4", "GD-5", "GD-6"])
def test_a_user_given_L_is_declared_an_assertion(result_id):
    assert "L" in dict(theory.get(result_id).assumed_inputs)


def test_gf6_declares_its_property_inputs():
    assert {"Lip_J", "Lip_g", "mu"} <= set(dict(theory.get("GF-6").assumed_inputs))


@pytest.mark.parametrize("result_id", ["GD-3", "GD-4"])
def test_gd_results_fill_L_from_the_gd2_bound(result_id):
    """L = ‖A‖²Lip_g² + ‖A‖Lip_J(‖y(0) − y‖ + ‖A‖Lip_g R), every input a plain number here."""
    values = {"A_norm": 2.0, "Lip_g": 0.3, "B": 1.0, "k": 1024.0, "V_col_max": 3.0, "R": 0.5, "residual_0": 0.2,
              "y_perp": 0.0, "sigma_A": 0.5, "sigma_0": 0.8, "gamma": 0.1}
    ev = checker(result_id).evaluate(values)
    lip_J = 1.0 / 32 * (2 + 3 + 0.5)
    expected = 4 * 0.09 + 2 * lip_J * (0.2 + 2 * 0.3 * 0.5)
    assert math.isclose(float(ev.derived["L"]), expected, rel_tol=1e-12)
