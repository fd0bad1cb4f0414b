"""Property tests: hypothesis draws DIP instances, real networks are trained, and every measured quantity is
compared with the bound the catalogue's checker evaluates on that instance (tolerance policy: numerics.tolerance).

Whenever the checker certifies the hypotheses of a result for a network, that network must stay inside every
bound; `target` pushes the search toward the largest observed/bound ratio. Negative controls break one
hypothesis and assert that the checker (and, for the step size, training) reacts.
"""

from __future__ import annotations

import math

import torch
from conftest import assert_within_bounds, examples
from hypothesis import given, note, settings
from hypothesis import strategies as st

from ipverify.numerics.experiments import descent_run
from ipverify.numerics.instances import InstanceSpec
from ipverify.verify.claims._dip import judge_descent, judge_early_stopping, judge_flow, judge_recovery
from ipverify.verify.claims.gradient_descent import judge_smoothness, judge_step_too_large, judge_without_floor
from ipverify.verify.claims.gradient_flow import judge_width_too_small
from ipverify.verify.claims.kit import evaluate
from ipverify.verify.claims.search import planted_specs

DTYPE = torch.float64




@settings(max_examples=examples(3, 8, 100))
@given(spec=planted_specs(), gamma_factor=st.floats(0.05, 1.95))
def test_gradient_descent_stays_inside_gd4(spec, gamma_factor):
    """GD-4 items 1, 2, 3 and 5 with γ = gamma_factor/L, L certified on 𝔹(θ₀, R) by GD-2."""
    assert_within_bounds(judge_descent(descent_run(spec, gamma_factor, 150), "test"))


@settings(max_examples=examples(2, 6, 60))
@given(spec=planted_specs(outside=True), gamma_factor=st.floats(0.05, 1.95))
def test_descent_with_y_outside_the_range_stays_inside_the_floor_bounds(spec, gamma_factor):
    """y ∉ Im(A): GD-4's floor forms (f_τ − ½y_perp² decays linearly) hold with the measured y_perp."""
    assert_within_bounds(judge_descent(descent_run(spec, gamma_factor, 150), "test"))


@settings(max_examples=examples(2, 5, 40))
@given(spec=planted_specs(outside=True))
def test_negative_control_y_outside_the_range_judged_without_floor(spec):
    """Forcing y_perp = 0 on such an instance certifies the hypotheses, and every network whose floorless bound has
    fallen below the floor by the last step leaves it (the loss never goes below ½y_perp²)."""
    run = descent_run(spec, 1.0, 400)
    j = judge_without_floor(run, "test")
    note(str(j.details))
    fell_below = torch.tensor(j.details["final_floorless_bound"]) < 0.5 * torch.tensor(j.details["floor"])
    certified = torch.tensor(j.details["certified"])
    assert bool((j.hypotheses_hold | ~(fell_below & certified)).all()), "a floorless bound below ½y_perp² held"


@settings(max_examples=examples(3, 6, 80))
@given(spec=planted_specs())
def test_gradient_flow_stays_inside_gf5(spec):
    """GF-5: residual and loss rates, radius c_γR′ and σ_min ≥ σ₀/2 along the small-step flow."""
    assert_within_bounds(judge_flow(descent_run(spec, 0.05, 300), "test"))


@settings(max_examples=examples(3, 6, 80))
@given(spec=planted_specs(injective=True, noisy=True))
def test_recovery_bound_on_planted_instances(spec):
    """GF-6 with μ = σ_min(A) (injective A) and dist(x̄, Σ′) = 0 (planted θ* inside 𝔹(θ₀, R′))."""
    assert_within_bounds(judge_recovery(descent_run(spec, 0.05, 300), "test"))


@settings(max_examples=examples(3, 6, 80))
@given(spec=planted_specs(noisy=True))
def test_prediction_and_early_stopping_bounds(spec):
    """GF-7: ‖y(t) − ȳ‖ ≤ ‖y(0) − y‖e^{−σ_A²σ₀²t/4} + ‖ε‖, and ≤ 2‖ε‖ after t*."""
    assert_within_bounds(judge_early_stopping(descent_run(spec, 1.0, 300), "test"))


@settings(max_examples=examples(2, 5, 50))
@given(spec=planted_specs())
def test_hessian_norm_stays_below_the_gd2_bound(spec):
    assert_within_bounds(judge_smoothness(descent_run(spec, 1.0, 60), "test"))


@settings(max_examples=examples(2, 6, 60))
@given(spec=planted_specs(), excess=st.floats(2.5, 6.0))
def test_negative_control_step_beyond_two_over_L(spec, excess):
    """γ = excess/‖∇²f(θ₀)‖ > 2/L: the checker flags γL < 2 and training leaves the bound or diverges."""
    j = judge_step_too_large(descent_run(spec, excess, 120, curvature="estimate"), "test")
    note(str(j.details))
    assert j.details["checker_flagged"] == spec.b, "the checker did not flag γL ≥ 2"
    assert bool(j.hypotheses_hold.all()), "training stayed inside the descent bound although γ > 2/L"


@settings(max_examples=examples(2, 6, 60))
@given(spec=planted_specs(injective=True), k=st.sampled_from([1, 2]), radius=st.floats(1.0, 3.0))
def test_negative_control_width_far_below_the_bound(spec, k, radius):
    """A width far below GF-13's makes the checker refuse R′ < R; the run is still recorded.

    The target is planted at distance ≥ 1 with an injective A, so that R′ ≳ 2‖θ* − θ₀‖ is not small: with a
    single measurement (m = 1) the initial residual can be tiny and then even k = 2 is certified (found by
    hypothesis), which is no violated hypothesis at all.
    """
    spec = InstanceSpec(**{**spec.to_dict(), "k": max(k, math.ceil(spec.n / (spec.d + spec.n))),
                           "planted_radius": radius})
    j = judge_width_too_small(descent_run(spec, 1.0, 30), "test")
    note(str(j.details))
    assert bool(j.hypotheses_hold.all()), "the checker certified R′ < R at a tiny width"
    assert len(j.details["final_over_initial_loss"]) == spec.b


def test_checker_flags_a_gamma_beyond_the_nu1_range_but_not_beyond_c_gamma():
    """GD-3's ν₁ range (γL ≤ 1) and GD-4's c_γ range (γL < 2) react separately."""
    values = {"gamma": 1.5, "L": 1.0, "sigma_A": 1.0, "sigma_0": 1.0, "residual_0": 1e-3, "R": 1.0, "Lip_J": 0.5,
              "y_perp": 0.0}
    gd3, _, _ = evaluate("GD-3", values)
    gd4, _, _ = evaluate("GD-4", values)
    assert not bool(gd3) and bool(gd4)


def test_same_seed_gives_bit_identical_runs():
    spec = InstanceSpec(n=5, m=4, d=3, k=64, seed=7)
    a, b = descent_run(spec, 1.0, 50), descent_run(spec, 1.0, 50)
    assert torch.equal(a.trajectory.loss, b.trajectory.loss)
    assert torch.equal(a.trajectory.params.W, b.trajectory.params.W)
