"""Unit tests of the equilibrium layers, the five gradient modes and the JFB-* CLI, against independent computations.

Independent means: finite differences of θ ↦ ℓ(x*(θ)) for the exact DEQ gradient, explicit Jacobians and dense
linear algebra for JFB and the truncated Neumann series, brute-force minimisation (numpy) for the proximal maps, an SVD
for the FB contraction factor, and plain float arithmetic (never the SymPy formulas) for the CLI values.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest
import torch
from conftest import gen

from ipverify import theory
from ipverify.numerics.fixed_point import (
    DTYPE,
    ForwardBackward,
    FrameDenoiser,
    PnPForwardBackward,
    TanhLayer,
    affine_layer_constants,
    contraction_factor,
    difference_quotient,
    fb_contraction,
    fixed_point,
    jacobian_theta,
    jacobian_x,
    make_prior,
    newton_polish,
    observe,
    power_iteration_norm,
    random_tanh_layer,
    sparse_signals,
    spectral_norm,
)
from ipverify.numerics.gradient_modes import (
    MODES,
    bilevel_learn,
    deblurring_problem,
    denoising_problem,
    deq_gradient,
    equilibrium,
    half_squared_error,
    hypergradient,
    implicit_jacobian,
    jfb_gradient,
    k_step_gradient,
    loss_gradient,
    neumann_jacobian,
    partial_theta_norm,
    restarted_gradient,
    unrolled_gradient,
    unrolled_jacobian,
)
from ipverify.numerics.operators import blur_1d, with_condition_number
from ipverify.verify import cli

pytestmark = pytest.mark.usefixtures("one_thread")



def tanh_case(seed=0, n=8, p=3, rho=0.7):
    g = gen(seed)
    op = random_tanh_layer(n, p, rho, g)
    target = torch.randn((1, n), generator=g, dtype=DTYPE)
    return op, op.theta0, torch.zeros((1, n), dtype=DTYPE), half_squared_error(target)


def fb_case(prior="tikhonov", seed=0, n=10, matrix=None, tau_L=1.2, lam=0.1, b=1, **kw):
    g = gen(seed)
    matrix = with_condition_number(14, n, 3.0, g).matrix if matrix is None else matrix
    n = matrix.shape[1]
    x_bar = sparse_signals(b, n, g, density=0.3)
    y = observe(matrix, x_bar, 0.05, g)
    L = spectral_norm(matrix) ** 2
    op = ForwardBackward(matrix, y, make_prior(prior, n, **kw), tau=tau_L / L, lam=lam)
    return op, op.theta0, op.x_init(), half_squared_error(x_bar)


def pnp_case(seed=0, n=10, lip=0.9):
    g = gen(seed)
    matrix = blur_1d(n, 0.6).matrix
    x_bar = sparse_signals(1, n, g, density=0.3)
    op = PnPForwardBackward(matrix, observe(matrix, x_bar, 0.05, g), FrameDenoiser(n, 2 * n, g, lip=lip), tau=1.2,
                            sigma=0.05)
    return op, op.theta0, op.x_init(), half_squared_error(x_bar)


CASES = {
    "tanh": tanh_case,
    "fb-tikhonov": lambda: fb_case("tikhonov"),
    "fb-huber": lambda: fb_case("huber", delta=0.05),
    "fb-l1": lambda: fb_case("l1", lam=0.02),
    "fb-weighted-l1": lambda: fb_case("weighted_l1", lam=0.02),
    "pnp": pnp_case,
}


def outer_objective(op, theta, x_init, loss_fn) -> float:
    """θ ↦ ℓ(x*(θ)), x* by Picard iteration and Newton polish (independent of the adjoint machinery)."""
    fp = fixed_point(op, theta, x_init, tol=1e-15, max_iter=50000)
    x = newton_polish(op, theta, fp.x, steps=4)
    return float(loss_fn(x))


@pytest.mark.parametrize("name", list(CASES))
def test_deq_gradient_matches_finite_differences(name):
    op, theta, x_init, loss_fn = CASES[name]()
    x_star = equilibrium(op, theta, x_init, polish=True).x
    g = deq_gradient(op, theta, x_star, loss_fn).grad
    h = 1e-6
    fd = torch.zeros_like(theta)
    for i in range(theta.numel()):
        e = torch.zeros_like(theta)
        e[i] = h
        fd[i] = (outer_objective(op, theta + e, x_init, loss_fn) - outer_objective(op, theta - e, x_init, loss_fn)) / (
            2 * h)
    assert torch.allclose(g, fd, rtol=1e-5, atol=1e-7 * max(1.0, float(fd.norm()))), (g, fd)


@pytest.mark.parametrize("name", list(CASES))
def test_iterative_adjoint_matches_the_linear_solve(name):
    op, theta, x_init, loss_fn = CASES[name]()
    x_star = equilibrium(op, theta, x_init, polish=True).x
    direct = deq_gradient(op, theta, x_star, loss_fn, solver="solve")
    iterative = deq_gradient(op, theta, x_star, loss_fn, solver="iterative")
    assert iterative.details["converged"]
    assert torch.allclose(direct.grad, iterative.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_jfb_is_b_transpose_v_and_k_steps_are_the_truncated_series(name):
    """JFB = Bᵀv; AD through K layers from x* = (Σ_{j<K} AʲB)ᵀv with dense A, B (JFB-E6); K → ∞ gives J*."""
    op, theta, x_init, loss_fn = CASES[name]()
    x_star = equilibrium(op, theta, x_init, polish=True).x
    A = jacobian_x(op, theta, x_star)[0].numpy()
    B = jacobian_theta(op, theta, x_star).numpy()
    v = loss_gradient(loss_fn, x_star).reshape(-1).numpy()
    assert np.allclose(jfb_gradient(op, theta, x_star, loss_fn).grad.numpy(), B.T @ v, rtol=1e-10, atol=1e-13)
    series = np.zeros_like(B)
    power = np.eye(A.shape[0])
    for K in range(1, 7):
        series += power @ B
        power = power @ A
        assert np.allclose(k_step_gradient(op, theta, x_star, loss_fn, K).grad.numpy(), series.T @ v, rtol=1e-9,
                           atol=1e-12)
        assert np.allclose(neumann_jacobian(op, theta, x_star, K).numpy(), series, atol=1e-12)
    exact = np.linalg.solve(np.eye(A.shape[0]) - A, B)
    assert np.allclose(implicit_jacobian(op, theta, x_star).numpy(), exact, rtol=1e-9, atol=1e-12)
    assert np.allclose(unrolled_jacobian(op, theta, x_star, 400).numpy(), exact, rtol=1e-6, atol=1e-9)


def test_unrolled_jacobian_matches_finite_differences_of_the_unrolled_map():
    op, theta, x_init, _ = tanh_case(seed=3)
    x0 = torch.randn(x_init.shape, generator=gen(4), dtype=DTYPE)
    K, h = 4, 1e-6

    def block(t):
        x = x0
        for _ in range(K):
            x = op(x, t)
        return x.reshape(-1)

    fd = torch.stack([(block(theta + h * e) - block(theta - h * e)) / (2 * h) for e in torch.eye(theta.numel(),
                                                                                                dtype=DTYPE)], 1)
    assert torch.allclose(unrolled_jacobian(op, theta, x0, K), fd, atol=1e-8)


def test_restarted_modes_are_the_authors_algorithm():
    """T = 0 is unrolled AD from x_init; T·K no-grad layers then K tracked ones; a long restart reaches K-step JFB."""
    op, theta, x_init, loss_fn = tanh_case(seed=5, rho=0.6)
    K = 3
    r0 = restarted_gradient(op, theta, x_init, loss_fn, K, 0)
    assert torch.equal(r0.grad, unrolled_gradient(op, theta, x_init, loss_fn, K).grad)
    x_hat = x_init
    with torch.no_grad():
        for _ in range(2 * K):
            x_hat = op(x_hat, theta)
    r2 = restarted_gradient(op, theta, x_init, loss_fn, K, 2)
    assert torch.allclose(r2.details["x_hat"], x_hat, atol=0, rtol=0)
    assert torch.equal(r2.grad, k_step_gradient(op, theta, x_hat, loss_fn, K).grad)
    x_star = equilibrium(op, theta, x_init, polish=True).x
    long = restarted_gradient(op, theta, x_init, loss_fn, K, 60)
    assert torch.allclose(long.grad, k_step_gradient(op, theta, x_star, loss_fn, K).grad, atol=1e-12)


def test_hypergradient_dispatch_names_and_timing():
    op, theta, x_init, loss_fn = tanh_case(seed=6)
    x_star = equilibrium(op, theta, x_init, polish=True).x
    exact = deq_gradient(op, theta, x_star, loss_fn).grad
    for mode in MODES:
        hg = hypergradient(mode, op, theta, loss_fn, x_init, K=3, T_blocks=2)
        assert hg.mode == mode and hg.seconds >= 0 and hg.grad.shape == theta.shape
    assert torch.allclose(hypergradient("ift", op, theta, loss_fn, x_init).grad, exact, atol=1e-10)
    with pytest.raises(ValueError, match="unknown mode"):
        hypergradient("phantom", op, theta, loss_fn, x_init)


# ------------------------------------------------------------------------------------------------------------ priors


def brute_prox(h, z: float, t: float) -> float:
    """argmin_u ½(u − z)² + t·h(u) on a fine grid (numpy), refined once."""
    grid = np.linspace(z - 3 - 3 * t, z + 3 + 3 * t, 200001)
    u = grid[np.argmin(0.5 * (grid - z) ** 2 + t * h(grid))]
    fine = np.linspace(u - 1e-4, u + 1e-4, 20001)
    return float(fine[np.argmin(0.5 * (fine - z) ** 2 + t * h(fine))])


def huber(u, delta):
    return np.where(np.abs(u) <= delta, u**2 / (2 * delta), np.abs(u) - delta / 2)


@pytest.mark.parametrize("z", [-2.3, -0.31, -0.05, 0.0, 0.02, 0.4, 1.7])
@pytest.mark.parametrize("t", [0.1, 0.35])
def test_proximal_maps_minimise_their_objectives(z, t):
    zz, tt = torch.tensor([[z]], dtype=DTYPE), torch.tensor(t, dtype=DTYPE)
    empty = torch.zeros(0, dtype=DTYPE)
    assert float(make_prior("l1", 1).prox(zz, tt, empty)) == pytest.approx(brute_prox(np.abs, z, t), abs=1e-7)
    assert float(make_prior("tikhonov", 1).prox(zz, tt, empty)) == pytest.approx(
        brute_prox(lambda u: u**2 / 2, z, t), abs=1e-7)
    assert float(make_prior("huber", 1, delta=0.2).prox(zz, tt, empty)) == pytest.approx(
        brute_prox(lambda u: huber(u, 0.2), z, t), abs=1e-7)
    w = math.log(2.5)
    weighted = make_prior("weighted_l1", 1).prox(zz, tt, torch.tensor([w], dtype=DTYPE))
    assert float(weighted) == pytest.approx(brute_prox(lambda u: 2.5 * np.abs(u), z, t), abs=1e-7)


def test_soft_threshold_and_weights_by_hand():
    prior = make_prior("weighted_l1", 4, groups=torch.tensor([0, 0, 1, 1]))
    z = torch.tensor([[3.0, -0.5, 1.0, -4.0]], dtype=DTYPE)
    out = prior.prox(z, torch.tensor(1.0, dtype=DTYPE), torch.tensor([0.0, math.log(2.0)], dtype=DTYPE))
    assert out.tolist() == [[2.0, 0.0, 0.0, -2.0]]
    assert prior.n_params == 2


# ----------------------------------------------------------------------------------------------- contraction factors


@pytest.mark.parametrize("tau_L", [0.3, 1.0, 1.5, 1.95])
def test_fb_contraction_factor_is_the_norm_of_i_minus_tau_ata(tau_L):
    for matrix in (torch.eye(6, dtype=DTYPE), with_condition_number(9, 6, 4.0, gen(1)).matrix,
                   blur_1d(12, 0.6).matrix):
        gram = matrix.T @ matrix
        eig = torch.linalg.eigvalsh(gram)
        tau = tau_L / float(eig[-1])
        svd = float(torch.linalg.matrix_norm(torch.eye(gram.shape[0], dtype=DTYPE) - tau * gram, ord=2))
        assert fb_contraction(tau, float(eig[0]), float(eig[-1])) == pytest.approx(svd, rel=1e-10)
    assert fb_contraction(1.95, 1.0, 1.0) == pytest.approx(0.95)


def test_fb_layer_is_rho_lipschitz_for_every_prior():
    for prior, kw in (("l1", {}), ("weighted_l1", {}), ("tikhonov", {}), ("huber", {"delta": 0.05})):
        op, theta, x_init, _ = fb_case(prior, seed=2, tau_L=1.9, **kw)
        rho = op.contraction(theta)
        g = gen(9)
        x = torch.randn((200, op.n), generator=g, dtype=DTYPE)
        x2 = x + 0.1 * torch.randn((200, op.n), generator=g, dtype=DTYPE)
        assert float(difference_quotient(op, theta, x, x2).max()) <= rho * (1 + 1e-12)


def test_frame_denoiser_lipschitz_constant_is_controlled():
    g = gen(11)
    for lip in (0.5, 1.0, 3.0):
        den = FrameDenoiser(8, 16, g, lip=lip)
        sigma = torch.tensor(0.1, dtype=DTYPE)
        z = torch.randn((300, 8), generator=g, dtype=DTYPE)
        z2 = z + 0.05 * torch.randn((300, 8), generator=g, dtype=DTYPE)
        ratio = ((den(z, sigma) - den(z2, sigma)).norm(dim=1) / (z - z2).norm(dim=1)).max()
        assert float(ratio) <= lip * (1 + 1e-12)
        J = torch.autograd.functional.jacobian(lambda u, d=den, s=sigma: d(u, s), 10 * z[:1])[0, :, 0, :]
        eig = torch.linalg.eigvalsh((J + J.T) / 2)
        assert torch.allclose(J, J.T, atol=1e-12) and float(eig.min()) >= -1e-12
        assert float(eig.max()) == pytest.approx(lip, rel=0.05)  # large coefficients: the slope tanh² → 1


def test_pnp_with_an_expansive_denoiser_is_not_a_contraction():
    op, theta, x_init, _ = pnp_case(seed=3, lip=3.0)
    assert op.contraction(theta) >= 1
    far = x_init + 20 * torch.randn(x_init.shape, generator=gen(4), dtype=DTYPE)
    assert power_iteration_norm(op, theta, far, gen(5)) > 1


def test_power_iteration_matches_the_svd_norm():
    op, theta, x_init, _ = tanh_case(seed=7, n=12)
    x = torch.randn(x_init.shape, generator=gen(8), dtype=DTYPE)
    exact = float(torch.linalg.matrix_norm(jacobian_x(op, theta, x)[0], ord=2))
    assert power_iteration_norm(op, theta, x, gen(9), iters=300) == pytest.approx(exact, rel=1e-6)


def test_tanh_constants_dominate_sampled_ratios():
    op = random_tanh_layer(7, 3, 0.8, gen(12), u_scale=2.0)
    c = op.certified_constants()
    g = gen(13)
    theta = op.theta0
    for _ in range(30):
        x, x2 = 3 * torch.randn((1, 7), generator=g, dtype=DTYPE), 3 * torch.randn((1, 7), generator=g, dtype=DTYPE)
        d = float((x - x2).norm())
        A, A2 = jacobian_x(op, theta, x)[0], jacobian_x(op, theta, x2)[0]
        B, B2 = jacobian_theta(op, theta, x), jacobian_theta(op, theta, x2)
        assert spectral_norm(A) <= c["rho_0"] + 1e-12 and spectral_norm(B) <= c["L_theta"] + 1e-12
        assert spectral_norm(A - A2) <= c["L_A"] * d + 1e-12
        assert spectral_norm(B - B2) <= c["L_B"] * d + 1e-12
    assert c["rho_0"] == pytest.approx(0.8)
    assert c["L_A"] / c["rho_0"] ** 2 == pytest.approx(4 / (3 * 3 ** 0.5))


def test_affine_constants_for_tikhonov_and_refusal_elsewhere():
    op, theta, x_init, loss_fn = fb_case("tikhonov", seed=14, b=2)
    x_star = equilibrium(op, theta, x_init, polish=True).x
    c = affine_layer_constants(op, theta, x_star, 1.0, gen(15))
    assert c["L_A"] == 0.0 and c["rho_0"] < 1
    g = gen(16)
    for _ in range(10):
        d1, d2 = torch.randn(x_star.shape, generator=g, dtype=DTYPE), torch.randn(x_star.shape, generator=g,
                                                                                  dtype=DTYPE)
        x1, x2 = x_star + 0.9 * d1 / d1.norm(), x_star + 0.9 * d2 / d2.norm()
        B1, B2 = jacobian_theta(op, theta, x1), jacobian_theta(op, theta, x2)
        assert spectral_norm(B1 - B2) <= c["L_B"] * float((x1 - x2).norm()) + 1e-12
        assert spectral_norm(B1) <= c["L_theta"] + 1e-12
    tanh_op, tanh_theta, tanh_init, _ = tanh_case(seed=17)
    with pytest.raises(ValueError, match="not affine"):
        affine_layer_constants(tanh_op, tanh_theta, tanh_init, 1.0, gen(18))


def test_fixed_point_divergence_is_a_verdict_not_an_exception():
    op, theta, x_init, _ = fb_case("l1", matrix=torch.eye(8, dtype=DTYPE), tau_L=3.0, lam=0.01)
    fp = fixed_point(op, theta, x_init + 1.0, max_iter=5000)
    assert fp.diverged and not fp.converged
    assert not bool(torch.isfinite(fp.residuals).all()) or float(fp.x.norm()) > 1e10


def test_fixed_point_residuals_contract_at_rate_rho():
    op, theta, x_init, _ = fb_case("l1", seed=19, matrix=blur_1d(16, 0.6).matrix, tau_L=1.0, lam=0.02)
    fp = fixed_point(op, theta, x_init, tol=1e-13)
    assert fp.converged
    r = fp.residuals
    keep = r[:-1] > 1e-6
    assert float((r[1:][keep] / r[:-1][keep]).max()) <= op.contraction(theta) + 1e-9


# ---------------------------------------------------------------------------------------------------------- bilevel


def test_bilevel_deq_lowers_the_training_loss_and_restarts_reach_the_k_step_floor():
    problem = denoising_problem(n=12, train=6, val=6, seed=3, tau=1.5, lam=0.05)
    deq = bilevel_learn(problem, "ift", K=3, steps=12, lr=5e-2)
    assert float(deq.train_loss[-1]) < float(deq.train_loss[0]) and not deq.diverged
    k_step = bilevel_learn(problem, "grad=K", K=3, steps=12, lr=5e-2)
    restarted = bilevel_learn(problem, "restarted", K=3, T_blocks=40, steps=12, lr=5e-2)
    assert float((restarted.theta - k_step.theta).norm()) < 1e-6
    assert restarted.thetas.shape == (13, 2) and restarted.seconds_per_step > 0


def test_bilevel_gd_with_tracking_records_errors():
    problem = deblurring_problem(n=12, train=4, val=4, seed=4, prior="tikhonov", lam=0.1)
    run = bilevel_learn(problem, "jfb", steps=5, lr=1e-2, optimizer="gd", track_deq_error=True)
    assert run.grad_errors.shape == (5,) and run.deq_grad_norms.shape == (5,)
    assert bool((run.grad_errors >= 0).all())
    with pytest.raises(ValueError, match="unknown optimizer"):
        bilevel_learn(problem, "jfb", steps=1, optimizer="lbfgs")


def test_weighted_problem_has_grouped_weights():
    problem = denoising_problem(n=16, train=4, val=4, prior="weighted_l1", weight_groups=4, support_fraction=0.5)
    assert problem.names == ["log_tau", "log_lambda", "log_w0", "log_w1", "log_w2", "log_w3"]
    assert bool((problem.x_train[:, 8:] == 0).all())


# ---------------------------------------------------------------------------------------------------------------- CLI


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def bound(*args):
    import json

    code, out, err = run_cli(["bound", *args, "--json"])
    assert code == 0, err
    return json.loads(out)


def test_every_jfb_result_is_listed_shown_and_answered():
    ids = [f"JFB-{i}" for i in range(1, 9)]
    assert set(ids) <= set(theory.ids())
    code, out, _ = run_cli(["list"])
    assert code == 0 and all(f"\n{i} " in out for i in ids)
    for rid in ids:
        code, out, _ = run_cli(["show", rid])
        assert code == 0 and out.startswith(rid) and "DERIVED" in out
        code, _, err = run_cli(["bound", rid])
        assert code == 0, err


def test_provenance_labels_are_kept():
    for i in range(1, 6):
        r = theory.get(f"JFB-{i}")
        assert r.provenance is theory.Provenance.DERIVED and "UNCONFIRMED vs paper" in r.variant and r.unconfirmed
    assert all("not from the paper" in theory.get(f"JFB-{i}").variant for i in (6, 7, 8))
    assert any("single layer" in c for c in theory.get("JFB-4").choices)


def test_jfb1_bound_by_hand():
    data = bound("JFB-1", "rho=0.5", "B_norm=2", "v_norm=3")
    assert data["conclusions"]["gradient_gap_bound"]["value"] == pytest.approx(0.5 / 0.5 * 2 * 3)
    assert data["conclusions"]["jacobian_gap_bound"]["value"] == pytest.approx(2.0)
    data = bound("JFB-1", "rho=0.9", "B_norm=1", "v_norm=1")
    assert data["conclusions"]["gradient_gap_bound"]["value"] == pytest.approx(9.0)
    assert data["all_hypotheses_hold"] is True


def test_jfb2_and_jfb5_by_hand():
    data = bound("JFB-2", "rho_0=0.5", "K_layers=3", "B_T_norm=2", "v_norm=1")
    assert data["conclusions"]["jacobian_gap_bound"]["value"] == pytest.approx(0.125 / 0.5 * 2)
    assert data["conclusions"]["rho_bound"]["value"] == pytest.approx(0.125)
    r, K, T, lt, la, lb, e, v = 0.8, 2, 3, 1.5, 0.2, 0.3, 2.0, 0.7
    data = bound("JFB-5", f"rho_0={r}", f"K_layers={K}", f"T_blocks={T}", f"L_theta={lt}", f"L_A={la}", f"L_B={lb}",
                 f"e_init={e}", f"v_norm={v}")
    e0 = r ** (T * K) * e
    expected = lt / (1 - r) * 1.0 * r ** ((T + 1) * K) * e + (r**K * lt / (1 - r)
                                                             + K * r ** (K - 1) * (la * lt / (1 - r) + lb) * e0) * v
    assert data["inputs"]["e_0"]["value"] == pytest.approx(e0)
    assert data["conclusions"]["gradient_gap_bound"]["value"] == pytest.approx(expected, rel=1e-12)
    assert data["conclusions"]["floor"]["value"] == pytest.approx(r**K * lt * v / (1 - r))


def test_jfb7_gives_rho_from_tau_mu_l():
    data = bound("JFB-7", "tau_FB=1.95", "mu_FB=1", "L_FB=1")
    assert data["conclusions"]["rho_FB_value"]["value"] == pytest.approx(0.95)
    data = bound("JFB-7", "tau_FB=0.5", "mu_FB=0.2", "L_FB=1")
    assert data["inputs"]["rho_FB"]["value"] == pytest.approx(max(abs(1 - 0.1), abs(1 - 0.5)))
    data = bound("JFB-7", "tau_FB=2.5", "mu_FB=0.1", "L_FB=1")
    assert data["conclusions"]["rho_FB_value"]["value"] == pytest.approx(1.5)
    assert data["all_hypotheses_hold"] is False and data["binding"] == "tau_FB*(L_FB-lambda_sc)<2"
    data = bound("JFB-7", "tau_FB=1", "mu_FB=0", "L_FB=1")
    assert data["conclusions"]["rho_FB_value"]["value"] == pytest.approx(1.0)
    assert data["binding"] == "mu_FB+lambda_sc>0"


def test_jfb7_strongly_convex_prior_contracts_a_non_injective_operator():
    """μ = 0 (inpainting, blur) with a λ_sc-strongly convex prior: ρ_FB = max(1, |1 − τL|)/(1 + τλ_sc) < 1."""
    data = bound("JFB-7", "tau_FB=1", "mu_FB=0", "L_FB=1", "lambda_sc=0.5")
    assert data["conclusions"]["rho_FB_value"]["value"] == pytest.approx(1 / 1.5)
    assert data["all_hypotheses_hold"] is True
    data = bound("JFB-7", "tau_FB=2.5", "mu_FB=0", "L_FB=1", "lambda_sc=0.5")  # τL > 2, still τ(L − λ_sc) < 2
    assert data["conclusions"]["rho_FB_value"]["value"] == pytest.approx(1.5 / 2.25)
    assert data["all_hypotheses_hold"] is True
    data = bound("JFB-7", "tau_FB=1", "mu_FB=0.2", "L_FB=1", "lambda_sc=0.3")
    assert data["conclusions"]["tau_opt"]["value"] == pytest.approx(2 / 1.2)
    assert data["conclusions"]["rho_opt"]["value"] == pytest.approx(0.8 / 1.8)
    assert data["conclusions"]["tau_max"]["value"] == pytest.approx(2 / 0.7)


NOT_CONTRACTIVE = [  # (argv, hypothesis that fails, undefined conclusions, computed ones by hand)
    (["JFB-1", "rho=1.5", "B_norm=1", "v_norm=1"], "rho<1",
     {"neumann_factor", "jacobian_gap_bound", "gradient_gap_bound", "implicit_jacobian_bound"}, {}),
    (["JFB-1", "rho=1"], "rho<1", {"neumann_factor"}, {}),
    (["JFB-2", "rho_0=1.5", "K_layers=2", "B_T_norm=1", "v_norm=2"], "rho_0<1",
     {"jacobian_gap_bound", "gradient_gap_bound"}, {"rho_bound": 1.5**2, "partial_theta_bound": 1 + 1.5}),
    (["JFB-3", "rho=2", "B_norm=1", "v_norm=2", "g_DEQ_norm=1", "rho_0=0.5", "B_T_norm=1"], "rho<1",
     {"inner_product_lower", "cosine_lower"}, {"K_sufficient": math.log(0.5 / 2) / math.log(0.5)}),
    (["JFB-3", "rho=0.5", "B_norm=1", "v_norm=2", "g_DEQ_norm=1", "rho_0=1.2", "B_T_norm=1"], "rho_0<1",
     {"K_sufficient"}, {"inner_product_lower": 1 - 0.5 / 0.5 * 2}),
    (["JFB-4", "rho_0=2", "K_layers=2", "L_theta=1", "L_A=0", "L_B=0", "e_0=1", "v_norm=1"], "rho_0<1",
     {"implicit_jacobian_bound", "jacobian_gap_bound", "gradient_gap_bound"},
     {"iterate_gap_bound": 4.0, "unrolled_jacobian_bound": 1 + 2}),
    (["JFB-5", "rho_0=3", "T_blocks=2", "K_layers=1", "L_theta=1", "L_A=0", "L_B=0", "e_init=1", "v_norm=1"],
     "rho_0<1", {"gradient_gap_bound", "floor", "restart_excess_bound"}, {"output_gap_bound": 3.0**3}),
    (["JFB-8", "rho_0=1.2", "tau_damp=0.5", "K_layers=2", "B_T_norm=1", "v_norm=1"], "rho_0<1",
     {"jacobian_gap_bound", "gradient_gap_bound", "excess_over_undamped"},
     {"rho_damped": 1 - 0.5 * (1 - 1.2), "jfb_gradient_factor": 0.5}),
]


@pytest.mark.parametrize("argv, failing, undefined, computed", NOT_CONTRACTIVE,
                         ids=[f"{c[0][0]}:{c[0][1]}" for c in NOT_CONTRACTIVE])  # stable ids: the sets have no order
def test_rho_at_least_one_is_a_failed_hypothesis_with_the_bounds_undefined(argv, failing, undefined, computed):
    """ρ ≥ 1 is inside every symbol's domain: `bound` answers (exit 0, strict JSON) with the contraction failing,
    the bounds that need 1/(1 − ρ) undefined with the reason, never a number, and the rest computed."""
    data = bound(*argv)
    verdicts = {h["name"]: h for h in data["hypotheses"]}
    assert verdicts[failing]["holds"] is False and data["all_hypotheses_hold"] is False
    assert data["verdict"] == "does not hold"
    for name in undefined:
        conclusion = data["conclusions"][name]
        assert conclusion["value"] is None, name
        assert conclusion["no_guarantee"].startswith("undefined: ") and "≥ 1" in conclusion["no_guarantee"]
    for name, value in computed.items():
        assert data["conclusions"][name]["value"] == pytest.approx(value), name
        assert data["conclusions"][name]["no_guarantee"] is None or "undefined" not in \
            data["conclusions"][name]["no_guarantee"]
    assert any(note.startswith("undefined at these values: ") for note in data["notes"])
    code, out, err = run_cli(["bound", *argv])
    assert code == 0 and err == "" and "undefined: " in out
    assert "not a contraction" in out or "no depth K" in out


def test_a_hypothesis_that_reads_an_undefined_bound_is_undecided():
    """JFB-3 at ρ = 2: JFB-1's bound ρ/(1 − ρ)‖B‖‖v‖ = −2 is no bound, so "bound < ‖g_DEQ‖" is neither true nor
    false; the contraction fails and decides the verdict."""
    data = bound("JFB-3", "rho=2", "B_norm=1", "v_norm=1", "g_DEQ_norm=1", "rho_0=0.5", "B_T_norm=1")
    verdicts = {h["name"]: h["holds"] for h in data["hypotheses"]}
    assert verdicts == {"rho<1": False, "gap_bound<g_DEQ_norm": None, "rho_0<1": True}
    assert data["all_hypotheses_hold"] is False
    assert bound("JFB-3", "rho=0.2", "B_norm=1", "v_norm=1", "g_DEQ_norm=1", "rho_0=0.5",
                 "B_T_norm=1")["all_hypotheses_hold"] is True


def test_a_contraction_is_not_marked_undefined():
    data = bound("JFB-2", "rho_0=0.5", "K_layers=2", "B_T_norm=1", "v_norm=2")
    assert all(c["no_guarantee"] is None for c in data["conclusions"].values())
    assert not any("undefined" in note for note in data["notes"])


def test_jfb7_does_not_reject_a_non_contractive_step():
    code, _, err = run_cli(["bound", "JFB-7", "tau_FB=3", "mu_FB=0.5", "L_FB=1"])
    assert code == 0, err


def test_jfb3_descent_lower_bound_by_hand():
    data = bound("JFB-3", "rho=0.2", "B_norm=1", "v_norm=2", "g_DEQ_norm=1", "rho_0=0.5", "B_T_norm=1")
    gap = 0.2 / 0.8 * 2
    assert data["conclusions"]["inner_product_lower"]["value"] == pytest.approx(1 * (1 - gap))
    assert data["conclusions"]["cosine_lower"]["value"] == pytest.approx((1 - gap) / (1 + gap))
    K = data["conclusions"]["K_sufficient"]["value"]
    assert 0.5**K / 0.5 * 1 * 2 == pytest.approx(1.0)


def test_every_jfb_result_has_a_numeric_claim():
    from ipverify.verify.claims import all_claims

    kinds = {}
    for c in all_claims():
        kinds.setdefault(c.result_id, set()).add(c.kind)
    for i in range(1, 9):
        assert "symbolic" in kinds[f"JFB-{i}"]
        assert kinds[f"JFB-{i}"] - {"symbolic"}, f"JFB-{i} has no numeric claim"
    assert "negative control" in kinds["JFB-1"] and "negative control" in kinds["JFB-8"]


def test_tanh_layer_dataclass_shapes():
    op = random_tanh_layer(5, 2, 0.5, gen(20))
    assert isinstance(op, TanhLayer) and op.n == 5 and op.p == 2
    assert op(torch.zeros((3, 5), dtype=DTYPE), op.theta0).shape == (3, 5)


def test_contraction_factor_and_partial_theta_norm():
    op, theta, x_init, loss_fn = fb_case("huber", seed=21, delta=0.1)
    points = x_init + torch.randn((5, op.n), generator=gen(22), dtype=DTYPE)
    c = contraction_factor(op, theta, points, gen(23))
    assert c["certified"] == pytest.approx(op.contraction(theta)) and c["estimate"] <= c["certified"] * (1 + 1e-9)
    tanh_op, tanh_theta, tanh_init, _ = tanh_case(seed=24, rho=0.6)
    assert contraction_factor(tanh_op, tanh_theta)["certified"] == pytest.approx(0.6)
    x_star = equilibrium(op, theta, x_init, polish=True).x
    assert partial_theta_norm(op, theta, x_star) == pytest.approx(spectral_norm(jacobian_theta(op, theta, x_star)))
    # ‖∂_θΦ_K(x*)‖ ≤ Σ_{j<K} ρʲ ‖B‖ (triangle inequality on the truncated series)
    rho, b = op.contraction(theta), spectral_norm(jacobian_theta(op, theta, x_star))
    assert partial_theta_norm(op, theta, x_star, 4) <= sum(rho**j for j in range(4)) * b * (1 + 1e-12)
