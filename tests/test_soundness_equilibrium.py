"""Soundness of the equilibrium results (JFB-*): what a user may pass as ρ, damped schemes, strongly convex priors,
checks that can fail, verdicts that never rest on an estimate, and self-checks that pin their records.

Independent computations only: dense Jacobians and SVDs of the implemented layers, plain float arithmetic, and the
corrupted records of `theory._mutation`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math

import pytest
import sympy as sp
import torch
from conftest import gen

from ipverify import theory
from ipverify.numerics.checkers import checker
from ipverify.numerics.fixed_point import (
    DTYPE,
    Damped,
    ForwardBackward,
    difference_quotient,
    jacobian_x,
    make_prior,
    observe,
    random_tanh_layer,
    sparse_signals,
    stacked_norm_x,
)
from ipverify.numerics.gradient_modes import equilibrium_case, half_squared_error, jfb_gradient, k_step_gradient
from ipverify.numerics.operators import blur_1d, inpainting
from ipverify.theory._mutation import _replace, killed
from ipverify.theory.symbols import S, syms
from ipverify.verify import cli

pytestmark = pytest.mark.usefixtures("one_thread")


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


class AffineLayer:
    """T(x, θ) = xMᵀ + θUᵀ: an exact linear layer (A = M, B = U everywhere)."""

    def __init__(self, M: torch.Tensor, U: torch.Tensor, theta0: torch.Tensor):
        self.M, self.U, self.theta0 = M, U, theta0

    def __call__(self, x, theta):
        return x @ self.M.T + theta @ self.U.T


def _spectral_radius(M: torch.Tensor) -> float:
    return float(torch.linalg.eigvals(M).abs().max())


def _norm(M: torch.Tensor) -> float:
    return float(torch.linalg.matrix_norm(M, ord=2))


def _jfb1_gap_bound(rho: float, b_norm: float, v_norm: float) -> float:
    ev = checker("JFB-1").evaluate({"rho": rho, "B_norm": b_norm, "v_norm": v_norm})
    assert ev.holds
    return float(ev.conclusions["gradient_gap_bound"])


# ------------------------------------------------------------------------------------- ρ is a norm, not a radius


@pytest.mark.parametrize("name", ["rho", "rho_0"])
def test_rho_is_documented_as_a_lipschitz_constant_never_a_spectral_radius(name):
    (symbol,) = syms(name)
    meaning = symbol.meaning
    assert "Lipschitz" in meaning and "spectral radius" in meaning and "sradius" in meaning
    rid = "JFB-1" if name == "rho" else "JFB-2"
    code, out, _ = run_cli(["show", rid])
    assert code == 0 and "spectral radius" in out
    assert "spectral radius" in theory.get(rid).statement or any("spectral radius" in c
                                                                  for c in theory.get(rid).choices)


def test_a_spectral_radius_passed_as_rho_breaks_the_jfb1_bound_and_the_norm_does_not():
    """Non-normal M (spectral radius 0.05, norm ≈ 0.88): with ρ = radius the measured gap exceeds JFB-1's bound many
    times; with ρ = ‖M‖₂ it holds."""
    M = torch.tensor([[0.05, 0.88], [0.0, 0.05]], dtype=DTYPE)
    U = torch.eye(2, dtype=DTYPE)
    op = AffineLayer(M, U, torch.tensor([0.3, -0.2], dtype=DTYPE))
    loss = half_squared_error(torch.tensor([[1.0, 2.0]], dtype=DTYPE))
    case = equilibrium_case(op, op.theta0, torch.zeros((1, 2), dtype=DTYPE), loss)
    gap = case.gap(jfb_gradient(op, op.theta0, case.x_star, loss).grad)
    radius, norm = _spectral_radius(M), _norm(M)
    assert radius == pytest.approx(0.05) and 0.85 < norm < 1
    assert gap > 5 * _jfb1_gap_bound(radius, case.B_norm, case.v_norm)
    assert gap <= _jfb1_gap_bound(norm, case.B_norm, case.v_norm) * (1 + 1e-12)


def test_spectral_radius_negative_control_reacts():
    from ipverify.verify.claims.equilibrium import check_spectral_radius
    from ipverify.verify.claims.kit import Context

    result = check_spectral_radius(Context(profile="quick", seed=0))
    assert result.verdict == "reacted" and result.details["within_bound_at_the_norm"] and result.ratio > 1


# ------------------------------------------------------------------------------------------------- damped scheme


def _isotropic_tanh(n=6, rho_0=0.5, seed=0):
    from ipverify.numerics.fixed_point import TanhLayer

    g = gen(seed)
    op = TanhLayer(rho_0 * torch.eye(n, dtype=DTYPE), torch.eye(n, dtype=DTYPE), torch.zeros(n, dtype=DTYPE),
                   0.05 * torch.randn(n, generator=g, dtype=DTYPE))
    return op, half_squared_error(torch.randn((1, n), generator=g, dtype=DTYPE))


def _bound(result_id, **values):
    ev = checker(result_id).evaluate(values)
    assert ev.holds, ev.hypotheses
    return float(ev.conclusions["gradient_gap_bound"])


@pytest.mark.parametrize("tau", [0.3, 0.5, 0.8])
def test_damped_jfb_breaks_the_undamped_bound_but_not_the_relaxed_one(tau):
    op, loss = _isotropic_tanh()
    case = equilibrium_case(op, op.theta0, torch.zeros((1, op.n), dtype=DTYPE), loss)
    damped = Damped(op, tau)
    rho_0 = op.certified_constants()["rho_0"]
    for K in (1, 3):
        gap = case.gap(k_step_gradient(damped, op.theta0, case.x_star, loss, K).grad)
        common = {"rho_0": rho_0, "K_layers": K, "B_T_norm": case.B_norm, "v_norm": case.v_norm}
        assert gap > _bound("JFB-2", **{**common, "rho_0": case.rho_local})  # even with the exact local norm
        assert gap <= _bound("JFB-8", **common, tau_damp=tau) * (1 + 1e-12)
    # K = 1: damped JFB is τ·Bᵀv (plain arithmetic, not the record)
    g1 = k_step_gradient(damped, op.theta0, case.x_star, loss, 1).grad
    assert torch.allclose(g1, tau * jfb_gradient(op, op.theta0, case.x_star, loss).grad, rtol=1e-12, atol=1e-14)


def test_the_relaxed_constant_is_a_lipschitz_constant_of_the_damped_layer():
    for seed, rho_0 in ((1, 0.3), (2, 0.9)):
        op = random_tanh_layer(8, 3, rho_0, gen(seed))
        for tau in (0.2, 0.5, 1.0):
            damped = Damped(op, tau)
            rho_tau = damped.contraction(op.theta0)
            assert rho_tau == pytest.approx(1 - tau * (1 - rho_0))
            g = gen(seed + 10)
            x = 3 * torch.randn((300, 8), generator=g, dtype=DTYPE)
            x2 = x + 10 ** torch.empty((300, 1), dtype=DTYPE).uniform_(-3, 0, generator=g) * torch.randn(
                (300, 8), generator=g, dtype=DTYPE)
            assert float(difference_quotient(damped, op.theta0, x, x2).max()) <= rho_tau * (1 + 1e-12)
    op, _ = _isotropic_tanh(rho_0=0.6)
    A = jacobian_x(Damped(op, 0.5), op.theta0, torch.zeros((1, op.n), dtype=DTYPE))
    assert stacked_norm_x(A) <= Damped(op, 0.5).contraction(op.theta0) * (1 + 1e-12)
    assert stacked_norm_x(A) == pytest.approx(0.5 + 0.5 * 0.6, rel=1e-2)  # near-linear: the constant is attained


def test_damped_claim_holds_and_its_negative_control_reacts():
    from ipverify.verify.claims.equilibrium_schemes import check_damped, check_undamped_bound
    from ipverify.verify.claims.kit import Context

    ctx = Context(profile="quick", seed=0)
    assert check_damped(ctx).verdict == "holds"
    control = check_undamped_bound(ctx)
    assert control.verdict == "reacted" and control.details["exceeded_runs"] >= 1 and control.ratio > 1


# ------------------------------------------------------------------------------------- strongly convex prior


def _tikhonov_fb(matrix, lam, tau_L, seed=3):
    g = gen(seed)
    n = matrix.shape[1]
    y = observe(matrix, sparse_signals(1, n, g), 0.05, g)
    L = float(torch.linalg.matrix_norm(matrix, ord=2)) ** 2
    return ForwardBackward(matrix, y, make_prior("tikhonov", n), tau=tau_L / L, lam=lam)


@pytest.mark.parametrize("lam,tau_L", [(0.5, 1.0), (0.2, 1.9), (1.0, 2.5)])
def test_a_non_injective_operator_with_a_strongly_convex_prior_contracts(lam, tau_L):
    """Inpainting (μ = 0) with λ·½‖x‖²: the dense Jacobian of the implemented layer has norm exactly
    ‖I − τAᵀA‖₂/(1 + τλ) < 1 (SVD), which is the certified ρ; the checker certifies it; with λ_sc = 0 it would not."""
    mask = inpainting(12, keep=0.5, generator=gen(4)).matrix.to(DTYPE)
    op = _tikhonov_fb(mask, lam, tau_L)
    tau = math.exp(float(op.theta0[0]))
    svd = _norm(torch.eye(12, dtype=DTYPE) - tau * mask.T @ mask) / (1 + tau * lam)
    exact = stacked_norm_x(jacobian_x(op, op.theta0, op.x_init()))
    assert exact == pytest.approx(svd, rel=1e-12) and exact < 1
    assert op.contraction(op.theta0) == pytest.approx(exact, rel=1e-10)
    mu, L = op.spectrum()
    assert mu == 0
    values = {"tau_FB": tau, "mu_FB": mu, "L_FB": L}
    assert checker("JFB-7").evaluate({**values, "lambda_sc": op.strong_convexity(op.theta0)}).holds
    assert not checker("JFB-7").evaluate({**values, "lambda_sc": 0.0}).holds


def test_the_tikhonov_bound_is_attained_on_a_blur():
    op = _tikhonov_fb(blur_1d(14, 0.6).matrix.to(DTYPE), 0.3, 1.7)
    exact = stacked_norm_x(jacobian_x(op, op.theta0, op.x_init()))
    assert op.contraction(op.theta0) == pytest.approx(exact, rel=1e-10)


# ---------------------------------------------------------------------------------- checks that can fail


def test_jfb3_claim_judges_only_certified_instances():
    from ipverify.verify.claims.equilibrium import cases_of, descent_layers, judge_jfb3
    from ipverify.verify.claims.kit import Context

    layers = descent_layers(Context(profile="quick", seed=0))
    j = judge_jfb3(layers, cases_of(layers))
    rows = j.details["layers"]
    assert any(r["jfb_certified"] for r in rows) and not all(r["jfb_certified"] for r in rows)
    jfb, k_step = j.comparisons
    assert jfb.valid.flatten().tolist() == [r["jfb_certified"] for r in rows]
    assert k_step.valid.flatten().tolist() == [r["K_certified"] for r in rows]
    # the judged comparison can fail: a bound above the measured inner products is reported as violated
    raised = dataclasses.replace(jfb, bound=jfb.observed * 2 + 1)
    assert not bool(raised.holds(DTYPE)[jfb.valid.flatten()].any())


def test_jfb6_outer_loop_is_recorded_not_held():
    from ipverify.verify.claims import select

    (claim,) = [c for c in select(["JFB-6"]) if c.id == "JFB-6/outer-loop"]
    assert claim.kind == "measurement"
    assert any("estimat" in c and "recorded" in c for c in theory.get("JFB-6").choices)


def test_jfb7_claim_no_longer_compares_a_matrix_with_its_own_eigenvalues():
    import inspect

    from ipverify.verify.claims import equilibrium_schemes

    source = inspect.getsource(equilibrium_schemes.check_fb_contraction)
    assert "equality" not in source and "svd" not in source.lower()


# ------------------------------------------------------------------------------------------ pinned self-checks


def _corrupted(result_id, name, expr):
    return killed(_replace(theory.get(result_id), name, expr))


def test_corruptions_that_passed_before_are_killed():
    rho_0, L_A, L_theta = S("rho_0"), S("L_A"), S("L_theta")
    jfb4 = theory.get("JFB-4")
    # JFB-4 without the 1/(1 − ρ₀) on e₀'s term
    no_factor = jfb4.expr("jacobian_gap_bound").subs(L_A * L_theta / (1 - rho_0), L_A * L_theta)
    assert not sp.simplify(no_factor - jfb4.expr("jacobian_gap_bound")) == 0
    assert _corrupted("JFB-4", "jacobian_gap_bound", no_factor)
    # JFB-4 without the ‖J_K‖L_ℓρ₀ᴷe₀ term
    assert _corrupted("JFB-4", "gradient_gap_bound", jfb4.expr("jacobian_gap_bound") * S("v_norm"))
    # JFB-3's inner-product bound replaced by ‖g_DEQ‖²
    assert _corrupted("JFB-3", "inner_product_lower", S("g_DEQ_norm") ** 2)
    # JFB-7 ignoring the strong convexity; JFB-8 with the undamped constant
    assert _corrupted("JFB-7", "rho_FB_value", theory.get("JFB-7").expr("gradient_step_norm"))
    assert _corrupted("JFB-8", "rho_damped", rho_0)


@pytest.mark.parametrize("result_id", [f"JFB-{i}" for i in range(1, 9)])
def test_every_self_check_reads_its_record(result_id):
    import inspect

    for check in theory.get(result_id).self_checks:
        assert inspect.signature(check.check).parameters, f"{result_id}: {check.claim} does not read the record"
