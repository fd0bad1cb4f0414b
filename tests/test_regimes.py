"""Certified families outside the lazy regime (numerics.regimes): certification, how far the runs go, the
negative control beyond the largest certified radius, and GD near 2/‖∇²f‖ on the measured curvature."""

from __future__ import annotations

import pytest
import torch

from ipverify.numerics.experiments import descent_run
from ipverify.numerics.instances import InstanceSpec
from ipverify.numerics.regimes import (
    Family,
    build_family,
    curvature_along,
    descend,
    gd4_certified,
    refused_hypotheses,
    smallest_direction,
)
from ipverify.numerics.tolerance import below
from ipverify.numerics.two_layer import flatten, jacobian_closed_form, smoothness_estimate
from ipverify.verify.claims._dip import judge_descent
from ipverify.verify.claims.gradient_descent import descent_specs
from ipverify.verify.claims.kit import Context
from ipverify.verify.claims.regimes import budget_used

pytestmark = pytest.mark.usefixtures("one_thread")

FAMILY = Family("tanh k=8", InstanceSpec(n=3, m=3, d=2, k=8, b=3, activation="tanh", kappa=1.0, seed=4),
                gamma_factor=0.2)
STEPS = 1500


@pytest.fixture(scope="module")
def aligned():
    fi = build_family(FAMILY)
    return fi, descend(fi.instance, FAMILY.gamma_factor, STEPS)


def test_aligned_family_is_certified_and_fills_the_budget(aligned):
    fi, run = aligned
    assert bool(gd4_certified(fi.instance, FAMILY.gamma_factor).all())
    assert bool((budget_used(run) >= 0.95).all()), budget_used(run)  # R′_γ/R ≈ fill = 0.98


def test_aligned_runs_travel_further_than_the_shipped_protocol(aligned):
    """Measured: aligned ‖θ−θ₀‖/R ≈ 0.44 and /R′ ≈ 0.50; the shipped GD-4/descent tanh instance ≤ 0.18 and ≤ 0.35."""
    fi, run = aligned
    inst, dist = fi.instance, run.trajectory.dist0.max(dim=1).values
    assert bool((dist / inst.R >= 0.40).all()), dist / inst.R
    assert bool((dist / inst.R_prime >= 0.48).all()), dist / inst.R_prime
    ref = descent_run(descent_specs(Context())[0], 1.0, 400, sigma_every=None, record_x=False)
    ref_dist = ref.trajectory.dist0.max(dim=1).values
    assert float((dist / inst.R).min()) > 2 * float((ref_dist / ref.instance.R).max())
    assert float((dist / inst.R_prime).min()) > 1.3 * float((ref_dist / ref.instance.R_prime).max())


def test_gd4_bounds_hold_on_the_aligned_family(aligned):
    _, run = aligned
    j = judge_descent(run, "test")
    assert bool(j.hypotheses_hold.all()) and not bool(j.diverged.any())
    for c in j.comparisons:
        assert bool(c.holds(torch.float64).all()), c.name


def test_planting_beyond_the_largest_certified_radius_is_refused(aligned):
    fi, _ = aligned
    assert bool(gd4_certified(fi.replanted(0.99), FAMILY.gamma_factor).all())
    beyond = fi.replanted(1.02)
    assert not bool(gd4_certified(beyond, FAMILY.gamma_factor).any())
    assert refused_hypotheses(beyond, FAMILY.gamma_factor) == ["R_prime_gamma<R"]


def test_smallest_direction_is_the_bottom_right_singular_vector_of_AJ(aligned):
    fi, _ = aligned
    base = fi.base
    AJ = base.matrix @ jacobian_closed_form(base.net.params0, base.net.u, base.net.act)
    _, s, Vh = torch.linalg.svd(AJ, full_matrices=False)
    v = flatten(smallest_direction(base))
    assert torch.allclose((AJ @ v[..., None]).squeeze(-1).norm(dim=-1), s[:, -1], rtol=1e-9)
    assert torch.allclose((Vh[:, -1] * v).sum(dim=-1).abs(), torch.ones(v.shape[0], dtype=v.dtype), rtol=1e-9)


def test_curvature_along_replays_the_run(aligned):
    fi, _ = aligned
    inst = fi.instance
    run = descend(inst, 1.9, 60, curvature="measured", sigma_every=None)
    along = curvature_along(inst, run.gamma, 60, points=3)
    final = smoothness_estimate(inst.matrix, inst.y, run.trajectory.params, inst.net.u, inst.net.act, iters=60)
    assert torch.allclose(along[:, -1], final, rtol=1e-8)


def test_two_over_the_measured_curvature_is_the_stability_edge(aligned):
    """γ = 1.9/‖∇²f(θ₀)‖ descends monotonically; γ = 2.2/‖∇²f(θ₀)‖ makes the loss rise (a measurement)."""
    fi, _ = aligned
    for factor, rises in ((1.9, False), (2.2, True)):
        loss = descend(fi.instance, factor, 200, curvature="measured", sigma_every=None).trajectory.loss
        went_up = ~below(loss[:, 1:], loss[:, :-1], scale=loss[:, :1]).all(dim=1)
        assert bool((went_up == rises).all()), (factor, went_up)
