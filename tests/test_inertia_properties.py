"""Property tests of the inertial family (03): hypothesis draws planted DIP instances and damping/step parameters, real
networks are trained with DIN (RK4), the adaptive inertial method and IGAHD-SC, and every measured quantity is compared
with the bound that the catalogue's checker evaluates on that instance (judges of verify.claims.inertia; tolerance
policy of numerics.tolerance). Whenever the checker certifies a result's hypotheses for a network, the network must stay
inside every bound; `target` pushes toward the largest observed/bound ratio. Negative controls break one hypothesis
(no damping, a step beyond IGAHD-SC's condition (26)) and assert that the checker and training react.
"""

from __future__ import annotations

import math

import torch
from conftest import assert_within_bounds, examples
from hypothesis import given, note, settings
from hypothesis import strategies as st

from ipverify.numerics.inertial import curvature_estimate, default_din_step
from ipverify.numerics.inertial_discrete import adaptive_inertial, igahd_sc
from ipverify.numerics.instances import InstanceSpec, build_instance
from ipverify.numerics.quadratic import spd_quadratic
from ipverify.numerics.setup_inertia import igahd_condition_step
from ipverify.verify.claims.inertia import (
    din_parameters,
    din_run,
    instance_values,
    judge_energy,
    judge_pl,
    judge_radius,
    judge_rate,
    judge_recovery,
    mu_pl,
)
from ipverify.verify.claims.inertia_controls import judge_conservative
from ipverify.verify.claims.inertia_discrete import (
    judge_adaptive,
    judge_igahd,
    judge_quadratic,
    judge_step_too_large,
    quadratic_values,
    run_quadratic,
)

DTYPE = torch.float64
ACTIVATIONS = ("tanh", "sigmoid", "softplus", "elu")
MAX_STEPS = 160
"""DIN runs are cut to at most this many RK4 steps (the bounds hold at every time, so any horizon is a test)."""


@st.composite
def planted_specs(draw, injective: bool = False, noisy: bool = False, b: int = 2) -> InstanceSpec:
    """Planted instances near θ₀ (so that R′_DIN < R is often certified): dimensions, activation, conditioning of A,
    distance of θ* from θ₀, noise, seed."""
    n = draw(st.integers(2, 6))
    m = draw(st.integers(n, n + 3)) if injective else draw(st.integers(1, 8))
    kappa = 1.0 if min(n, m) == 1 else draw(st.floats(1.0, 4.0))
    return InstanceSpec(n=n, m=m, d=draw(st.integers(2, 5)), k=draw(st.sampled_from([64, 128, 256])), b=b,
                        activation=draw(st.sampled_from(ACTIVATIONS)), kappa=kappa,
                        planted_radius=draw(st.floats(0.002, 0.05)),
                        noise=draw(st.floats(0.0005, 0.005)) if noisy else 0.0, seed=draw(st.integers(0, 2**31 - 1)))




def _din(spec: InstanceSpec, alpha_factor: float, beta_factor: float, t_final: float, record_x: bool = False):
    """DIN at (α, β) = (alpha_factor·α*, beta_factor·β*) per network, α*, β* from IN-5's checker."""
    inst = build_instance(spec)
    values = instance_values(inst)
    alpha, beta = din_parameters(values)["optimal"]
    alpha, beta = alpha_factor * alpha, beta_factor * beta
    net = inst.net
    h = default_din_step(inst.matrix, inst.y, net.params0, net.u, net.act, alpha, beta)
    return din_run(inst, values, {"drawn": (alpha, beta)}, min(t_final, MAX_STEPS * h), h=h, record_x=record_x,
                   n_records=MAX_STEPS, n_sigma_records=8)


@settings(max_examples=examples(3, 8, 100))
@given(spec=planted_specs(), alpha_factor=st.floats(0.25, 4.0), beta_factor=st.floats(0.1, 3.0),
       t_final=st.floats(5.0, 60.0))
def test_din_stays_inside_in2_in5_in6_and_in3(spec, alpha_factor, beta_factor, t_final):
    """IN-2 (energy non-increasing, identity), IN-5 (e^{−κt} bounds), IN-6 (radius), IN-3 (PL ratio ≥ μ and
    σ_min ≥ σ₀/2), for (α, β) around the encoded optimum."""
    run = _din(spec, alpha_factor, beta_factor, t_final)
    for judge in (judge_energy, judge_rate, judge_radius, judge_pl):
        assert_within_bounds(judge(run, "test"))


@settings(max_examples=examples(2, 5, 60))
@given(spec=planted_specs(injective=True, noisy=True), alpha_factor=st.floats(0.5, 3.0),
       beta_factor=st.floats(0.3, 2.0))
def test_din_recovery_bound_on_planted_instances(spec, alpha_factor, beta_factor):
    """IN-7 with μ_{A,Σ′} = σ_min(A) (injective A) and dist(x̄, Σ′) = 0 (θ* ∈ 𝔹(θ₀, R′_DIN))."""
    assert_within_bounds(judge_recovery(_din(spec, alpha_factor, beta_factor, 40.0, record_x=True), "test"))


@settings(max_examples=examples(3, 8, 100))
@given(spec=planted_specs(), step_factor=st.floats(0.3, 30.0), beta_factor=st.floats(0.0, 1.0),
       mu_hat_factor=st.floats(1.0, 16.0), c=st.sampled_from([0.3, 0.5, 0.7]))
def test_adaptive_inertial_stays_inside_in8(spec, step_factor, beta_factor, mu_hat_factor, c):
    """IN-8 (our variant): per-step contraction 1 − 2cμs_k, a-priori ρ^k, radius R′/c, s_k ≥ min(s₀, 2ϑ(1 − c)/L),
    whatever the initial step (even 30/L̂), the Hessian damping and the IGAHD parameter μ̂ ≥ μ."""
    inst = build_instance(spec)
    values = instance_values(inst)
    net = inst.net
    args = (inst.matrix, inst.y, net.params0, net.u, net.act)
    mu = mu_pl(values)
    s0 = step_factor / curvature_estimate(*args)
    run = adaptive_inertial(*args, mu, s0, 40, beta=beta_factor * s0.sqrt(), mu_hat=mu_hat_factor * mu, c=c,
                            record_sigma_every=10)
    assert_within_bounds(judge_adaptive(run, inst, values, "test"))


@settings(max_examples=examples(2, 4, 40))
@given(spec=planted_specs(), margin=st.floats(0.5, 0.999))
def test_igahd_sc_on_the_dip_is_a_measurement_never_a_guarantee(spec, margin):
    """IN-B3 on the DIP (μ = μ_PL, L certified on the ball, under (26)): no strong-convexity modulus is certified,
    so no network is ever certified, whatever the run does."""
    inst = build_instance(spec)
    values = instance_values(inst)
    net = inst.net
    mu = mu_pl(values)
    s = igahd_condition_step(values, margin=margin)
    traj = igahd_sc(inst.matrix, inst.y, net.params0, net.u, net.act, mu, s, 0.0, 60, record_every=3)
    assert not bool(judge_igahd(traj, inst, values, mu, s, torch.zeros_like(s), "test").hypotheses_hold.any())


@settings(max_examples=examples(3, 10, 100))
@given(condition=st.floats(1.5, 300.0), mu=st.floats(1e-3, 1.0), n=st.integers(2, 12), seed=st.integers(0, 2**31 - 1),
       steps=st.integers(1, 1500))
def test_igahd_sc_on_strongly_convex_quadratics_stays_below_e1_q_to_the_k(condition, mu, n, seed, steps):
    """ACFR Thm 11 (IN-B3) on ½xᵀQx with μ = λ_min(Q), L = λ_max(Q) exact, β = 0 and β = 0.9√μ/(8L), s just below
    (26)'s limit: every run is certified and E_k, f(x_k) ≤ E₁q^{k−1} at every k ≥ 1."""
    mu_t = torch.tensor([mu], dtype=DTYPE)
    problem = spd_quadratic(mu_t, condition * mu_t, n, torch.Generator().manual_seed(seed))
    values = quadratic_values(problem)
    j = judge_quadratic(run_quadratic(problem, values, steps), values, "test")
    assert bool(j.hypotheses_hold.all())
    assert_within_bounds(j)


@settings(max_examples=examples(2, 4, 40))
@given(spec=planted_specs(), t_final=st.floats(5.0, 20.0))
def test_negative_control_no_damping_conserves_the_energy(spec, t_final):
    """α = β = 0: the checker refuses IN-5 (κ = 0) and the energy is conserved (no decay), while the damped twin of
    the same network loses at least half of its energy."""
    inst = build_instance(spec)
    values = instance_values(inst)
    optimal = din_parameters(values)["optimal"]
    net = inst.net
    h = default_din_step(inst.matrix, inst.y, net.params0, net.u, net.act, *optimal)
    kappa = float(optimal[0].min())
    t_final = max(t_final, 3 / kappa)  # long enough for the damped twin to lose half its energy
    steps = min(2000, math.ceil(t_final / h))
    settings_ = {"conservative": (torch.zeros_like(optimal[0]), torch.zeros_like(optimal[1])), "optimal": optimal}
    run = din_run(inst, values, settings_, steps * h, h=h, n_sigma_records=None)
    j = judge_conservative(run, "test")
    note(str(j.details))
    assert j.details["checker_flagged"] == spec.b, "the checker did not refuse α = β = 0"
    assert all(abs(r - 1) <= 1e-5 for r in j.details["energy_ratio_conservative"]), "energy decayed without damping"


@settings(max_examples=examples(2, 5, 60))
@given(spec=planted_specs(), excess=st.floats(8.0, 20.0))
def test_negative_control_igahd_step_beyond_26(spec, excess):
    """s = excess/L̂, far beyond (26): the checker flags (26) and IGAHD-SC diverges or its loss rises."""
    inst = build_instance(spec)
    values = instance_values(inst)
    net = inst.net
    args = (inst.matrix, inst.y, net.params0, net.u, net.act)
    mu = mu_pl(values)
    s = excess / curvature_estimate(*args)
    traj = igahd_sc(*args, mu, s, 0.0, 120)
    adaptive = adaptive_inertial(*args, mu, s, 10)
    j = judge_step_too_large(traj, adaptive, inst, values, mu, s, "test")
    note(str(j.details))
    assert j.details["checker_flagged"] == spec.b, "the checker did not flag (26)"
    assert bool(j.hypotheses_hold.all()), "IGAHD-SC kept decreasing although s is far beyond (26)"
    assert j.details["adaptive_from_same_step_converged"] == spec.b, "the adaptive method did not recover"
