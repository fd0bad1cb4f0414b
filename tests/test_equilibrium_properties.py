"""Property tests for JFB-*: hypothesis draws contractive layers (dimensions, spectra, ρ, K, T, seeds), every gradient
mode is measured against the exact DEQ gradient, and each gap is compared with the bound the catalogue's checker
evaluates on that layer (tolerance policy: numerics.tolerance). `target` pushes toward the largest observed/bound.

Negative controls break the contraction (τ ≥ 2/L, a non-injective A, an expansive denoiser): the checker must flag
it, and then no JFB bound is claimed; the command line answers ρ ≥ 1 with the contraction failing and the bounds
undefined.
"""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest
import torch
from conftest import examples, gen
from hypothesis import event, given, note, settings, target
from hypothesis import strategies as st

from ipverify.numerics.checkers import checker
from ipverify.numerics.fixed_point import (
    DTYPE,
    ForwardBackward,
    FrameDenoiser,
    PnPForwardBackward,
    difference_quotient,
    fb_contraction,
    make_prior,
    observe,
    sparse_signals,
    spectral_norm,
)
from ipverify.numerics.gradient_modes import equilibrium_case
from ipverify.numerics.operators import blur_1d, inpainting, with_condition_number
from ipverify.verify import cli
from ipverify.verify.claims.equilibrium import Layer, judge_jfb1, judge_jfb2, judge_jfb3, tanh_layer
from ipverify.verify.claims.equilibrium_modes import judge_jfb4, judge_jfb5
from ipverify.verify.claims.equilibrium_schemes import judge_damped
from ipverify.verify.claims.kit import Judgement

pytestmark = pytest.mark.usefixtures("one_thread")



def assert_within_bounds(j: Judgement, require_certified: bool = True) -> None:
    """Every certified layer stays inside every bound; the layer converged."""
    certified = j.hypotheses_hold.bool()
    event(f"{int(certified.sum())}/{certified.numel()} certified")
    note(f"hypotheses: {j.hypotheses}")
    if require_certified:
        assert bool(certified.all()), f"a contractive layer was not certified: {j.hypotheses}"
    assert not bool((certified & j.diverged.bool()).any()), "a certified layer did not reach its equilibrium"
    for comparison in j.comparisons:
        ratio = comparison.ratio(certified, DTYPE)
        if math.isfinite(ratio):
            target(ratio, label=comparison.name)
        violated = certified & ~comparison.holds(DTYPE)
        assert not bool(violated.any()), f"{comparison.name}: violated; ratio {ratio}"


@st.composite
def tanh_layers(draw, rho_range=(0.05, 0.95)) -> Layer:
    """Random contractive tanh layer: n, p, ρ₀, spectrum spread, ‖U‖ scale, seed."""
    return tanh_layer("drawn", draw(st.integers(2, 12)), draw(st.integers(1, 5)), draw(st.floats(*rho_range)),
                      draw(st.integers(0, 2**31 - 1)), spread=draw(st.floats(0.0, 1.0)),
                      u_scale=draw(st.floats(0.2, 3.0)))


@settings(max_examples=examples(4, 25, 300))
@given(layer=tanh_layers(), K=st.integers(1, 8), T=st.integers(1, 5), e0=st.floats(0.01, 3.0),
       seed=st.integers(0, 2**31 - 1))
def test_every_gradient_mode_stays_under_its_bound_on_tanh_layers(layer, K, T, e0, seed):
    """JFB (JFB-1), K-step JFB (JFB-2), unrolled AD from x₀ (JFB-4), restarted JFB (JFB-5) on one drawn layer."""
    layers, cases = [layer], [equilibrium_case(layer.op, layer.theta, layer.x_init, layer.loss_fn)]
    assert_within_bounds(judge_jfb1(layers, cases))
    assert_within_bounds(judge_jfb2(layers, cases, [K]))
    assert_within_bounds(judge_jfb4(layers, cases, [K], [e0], seed))
    assert_within_bounds(judge_jfb5(layers, cases, [K], [T], seed))


@settings(max_examples=examples(3, 8, 100))
@given(layer=tanh_layers(rho_range=(0.3, 0.95)), K=st.integers(1, 4))
def test_restarted_error_shrinks_with_t_toward_the_jfb5_floor(layer, K):
    """Over T = 1 … 12: each measured ‖g_R − g_DEQ‖ is under JFB-5; the bound is non-increasing and its excess over
    the floor (which bounds ‖g_R − g_K(x*)‖) shrinks geometrically, so the measured error converges to the JFB-K
    error."""
    Ts = list(range(1, 13))
    case = equilibrium_case(layer.op, layer.theta, layer.x_init, layer.loss_fn)
    j = judge_jfb5([layer], [case], [K], Ts, seed=0)
    assert_within_bounds(j)
    trace = j.details["layers"][0]
    bound, excess_bound = np.asarray(trace["bound"]), np.asarray(trace["excess_bound"])
    assert np.all(np.diff(bound) <= 1e-12 * bound[:-1]), "JFB-5 bound increased with T"
    assert np.all(np.diff(excess_bound) <= 1e-12 * excess_bound[:-1])
    assert excess_bound[-1] <= excess_bound[0] * layer.rho ** (K * (Ts[-1] - Ts[0])) * (1 + 1e-9)
    jfb_k_gap = trace["jfb_K_gap"][K]
    gaps = np.asarray(trace["gap"])
    assert np.all(np.abs(gaps - jfb_k_gap) <= excess_bound * (1 + 1e-9) + 1e-12 * (1 + jfb_k_gap))
    assert bound[-1] >= trace["floor"][-1] * (1 - 1e-12)


@st.composite
def fb_layers(draw) -> Layer:
    """FB layer: prior, forward operator (denoising, injective Gaussian, mild blur), τL ∈ ]0, 2[, λ, batch, seed."""
    seed = draw(st.integers(0, 2**31 - 1))
    g = gen(seed)
    n = draw(st.integers(3, 16))
    kind = draw(st.sampled_from(["denoising", "gaussian", "blur"]))
    if kind == "denoising":
        matrix = torch.eye(n, dtype=DTYPE)
    elif kind == "gaussian":
        matrix = with_condition_number(n + draw(st.integers(0, 6)), n, draw(st.floats(1.0, 5.0)), g).matrix
    else:
        matrix = blur_1d(n, draw(st.floats(0.3, 0.7))).matrix
    prior = draw(st.sampled_from(["l1", "weighted_l1", "tikhonov", "huber"]))
    b = draw(st.integers(1, 3))
    x_bar = sparse_signals(b, n, g, density=0.3)
    y = observe(matrix, x_bar, draw(st.floats(0.0, 0.2)), g)
    L = spectral_norm(matrix) ** 2
    kw = {"delta": draw(st.floats(0.01, 0.5))} if prior == "huber" else {}
    op = ForwardBackward(matrix, y, make_prior(prior, n, **kw), tau=draw(st.floats(0.05, 1.95)) / L,
                         lam=draw(st.floats(1e-3, 0.5)))
    if prior == "weighted_l1":
        op.theta0[2:] = torch.randn(op.prior.n_params, generator=g, dtype=DTYPE)
    return Layer(f"FB {kind} {prior}", op, op.theta0, op.x_init(), x_bar, op.contraction(op.theta0),
                 "affine" if prior == "tikhonov" else None)


@settings(max_examples=examples(4, 20, 200))
@given(layer=fb_layers(), K=st.integers(1, 10), seed=st.integers(0, 2**31 - 1))
def test_fb_layers_jfb_gaps_and_contraction(layer, K, seed):
    """On FB layers (ρ from JFB-7): JFB-1 and JFB-2 gaps; Lipschitz quotients of T stay below ρ_FB; Tikhonov layers
    (affine in x) also satisfy JFB-4 and JFB-5 with constants on the ball."""
    layers, cases = [layer], [equilibrium_case(layer.op, layer.theta, layer.x_init, layer.loss_fn)]
    assert_within_bounds(judge_jfb1(layers, cases))
    assert_within_bounds(judge_jfb2(layers, cases, [K]))
    g = gen(seed)
    quotient = 0.0
    for _ in range(16):  # rows of a batch carry their own observation: perturb the whole batch
        x = layer.x_init + torch.randn(layer.x_init.shape, generator=g, dtype=DTYPE)
        x2 = x + 0.1 * torch.randn(layer.x_init.shape, generator=g, dtype=DTYPE)
        quotient = max(quotient, float(difference_quotient(layer.op, layer.theta, x, x2).max()))
    if layer.rho > 0:
        target(quotient / layer.rho, label="difference quotient / ρ_FB")
    assert quotient <= layer.rho * (1 + 1e-9) + 1e-12
    if layer.kind == "affine":
        assert_within_bounds(judge_jfb4(layers, cases, [K], [0.5], seed))
        assert_within_bounds(judge_jfb5(layers, cases, [K], [1, 3], seed))


@settings(max_examples=examples(3, 8, 100))
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(4, 12), tau_L=st.floats(0.3, 1.9), lip=st.floats(0.3, 1.0))
def test_pnp_with_a_nonexpansive_denoiser(seed, n, tau_L, lip):
    """PnP-FB with Lip(D) ≤ ℓ ≤ 1: certified ρ = ℓρ_FB and the JFB-1/JFB-2 gaps stay under their bounds."""
    g = gen(seed)
    matrix = blur_1d(n, 0.5).matrix
    x_bar = sparse_signals(1, n, g, density=0.3)
    op = PnPForwardBackward(matrix, observe(matrix, x_bar, 0.05, g), FrameDenoiser(n, 2 * n, g, lip=lip),
                            tau=tau_L / spectral_norm(matrix) ** 2, sigma=0.05)
    layer = Layer("PnP", op, op.theta0, op.x_init(), x_bar, op.contraction(op.theta0))
    layers, cases = [layer], [equilibrium_case(op, op.theta0, op.x_init(), layer.loss_fn)]
    assert_within_bounds(judge_jfb1(layers, cases))
    assert_within_bounds(judge_jfb2(layers, cases, [3]))


@settings(max_examples=examples(3, 8, 100))
@given(layer=tanh_layers(rho_range=(0.01, 0.3)))
def test_jfb_is_a_descent_direction_where_jfb3_certifies_it(layer):
    """Small ρ: JFB-3's hypotheses are checked by the checker; where certified, ⟨g_JFB, g_DEQ⟩ ≥ its lower bound
    (and K-step JFB with K > K_sufficient likewise)."""
    case = equilibrium_case(layer.op, layer.theta, layer.x_init, layer.loss_fn)
    j = judge_jfb3([layer], [case])
    assert_within_bounds(j, require_certified=False)
    row = j.details["layers"][0]
    if row["jfb_certified"]:
        assert row["inner_JFB"] > 0
    if row["K_certified"]:
        assert row["inner_K"] > 0


@settings(max_examples=examples(3, 10, 100))
@given(layer=tanh_layers(), tau=st.floats(0.05, 1.0), K=st.integers(1, 6))
def test_damped_layers_stay_under_the_relaxed_bound(layer, tau, K):
    """Damped layer (1 − τ)I + τT (torchdeq's `tau`): K damped steps from x* stay under JFB-8's ρ_τᴷ/(1 − ρ₀)‖B_T‖‖v‖,
    ‖∂_xT_τ(x*)‖₂ ≤ ρ_τ, and the DEQ gradient does not move."""
    assert_within_bounds(judge_damped([layer], [tau], [K]))


# ------------------------------------------------------------------------------------------------ negative controls


def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=examples(4, 12, 150))
@given(tau_L=st.floats(2.001, 4.0), mu_ratio=st.floats(0.0, 1.0), L=st.floats(0.1, 10.0))
def test_negative_control_step_beyond_two_over_l_is_flagged(tau_L, mu_ratio, L):
    """τ ≥ 2/L: the JFB-7 checker refuses τL < 2, ρ_FB ≥ 1, and JFB-1 evaluated at that ρ fails its hypothesis (no
    bound is claimed); the command line answers rho = ρ_FB with the contraction failing and the bounds undefined."""
    tau = tau_L / L
    ev7 = checker("JFB-7").evaluate({"tau_FB": tau, "mu_FB": mu_ratio * L, "L_FB": L, "lambda_sc": 0.0})
    assert ev7.evaluated_all_hypotheses and not ev7.holds
    rho = fb_contraction(tau, mu_ratio * L, L)
    assert rho >= 1 - 1e-12
    ev1 = checker("JFB-1").evaluate({"rho": rho, "B_norm": 1.0, "v_norm": 1.0})
    assert not ev1.holds and ev1.binding.name == "rho<1"
    code, out, err = _cli(["bound", "JFB-1", f"rho={max(rho, 1.0)!r}", "B_norm=1", "v_norm=1", "--json"])
    _assert_undefined_answer(code, out, err)


def _assert_undefined_answer(code: int, out: str, err: str) -> None:
    """`bound JFB-1 --json` at ρ ≥ 1: exit 0, strict JSON, ρ < 1 fails and every bound is undefined (null)."""
    assert code == 0 and err == "", err
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert data["all_hypotheses_hold"] is False and data["binding"] == "rho<1"
    assert data["conclusions"] and all(c["value"] is None and "not a contraction" in c["no_guarantee"]
                                       for c in data["conclusions"].values())


@settings(max_examples=examples(3, 8, 80))
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(4, 16), keep=st.floats(0.2, 0.8), tau_L=st.floats(0.1, 1.9))
def test_negative_control_non_injective_operator_is_flagged(seed, n, keep, tau_L):
    """Inpainting (μ = 0) with a prior that is not strongly convex (ℓ1): ρ_FB = 1 for every τ ∈ ]0, 2/L], the checker
    flags μ + λ_sc > 0 and ρ < 1."""
    g = gen(seed)
    mask = inpainting(n, keep=keep, generator=g).matrix
    if mask.shape[0] == n:  # every pixel kept: injective after all
        return
    op = ForwardBackward(mask, observe(mask, sparse_signals(1, n, g), 0.05, g), make_prior("l1", n), tau=tau_L)
    mu, L = op.spectrum()
    ev7 = checker("JFB-7").evaluate({"tau_FB": tau_L, "mu_FB": mu, "L_FB": L, "lambda_sc": 0.0})
    assert ev7.evaluated_all_hypotheses and not ev7.holds and ev7.binding.name == "mu_FB+lambda_sc>0"
    rho = op.contraction(op.theta0)
    assert rho == 1.0 or rho >= 1 - 1e-12
    assert not checker("JFB-1").evaluate({"rho": rho, "B_norm": 1.0, "v_norm": 1.0}).holds


@settings(max_examples=examples(3, 8, 80))
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(4, 12), excess=st.floats(1.05, 4.0))
def test_negative_control_unconstrained_denoiser_is_flagged(seed, n, excess):
    """PnP with Lip(D) = excess/ρ_FB > 1/ρ_FB: the certified ρ ≥ 1 is flagged by the JFB-1 checker."""
    g = gen(seed)
    matrix = blur_1d(n, 0.5).matrix
    L = spectral_norm(matrix) ** 2
    mu = float(torch.linalg.eigvalsh(matrix.T @ matrix)[0])
    rho_fb = fb_contraction(1.5 / L, mu, L)
    op = PnPForwardBackward(matrix, observe(matrix, sparse_signals(1, n, g), 0.05, g),
                            FrameDenoiser(n, 2 * n, g, lip=excess / rho_fb), tau=1.5 / L, sigma=0.01)
    rho = op.contraction(op.theta0)
    assert rho >= 1
    ev = checker("JFB-1").evaluate({"rho": rho, "B_norm": 1.0, "v_norm": 1.0})
    assert not ev.holds
    _assert_undefined_answer(*_cli(["bound", "JFB-1", f"rho={rho!r}", "B_norm=1", "v_norm=1", "--json"]))
