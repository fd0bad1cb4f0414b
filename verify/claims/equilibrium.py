"""Claims for JFB-* (../shared/theory/04): gradient modes at equilibrium against the catalogue's bounds.

Layers (numerics.fixed_point): the tanh test problem of 04 §8.3 (certified global constants), forward–backward with
ℓ1 / weighted ℓ1 / Tikhonov / Huber priors (ρ from JFB-7), and PnP with a spectrally normalised denoiser. Every bound
is evaluated by the checker of its result; ½‖x − x̄‖² is the inner loss (L_ℓ = 1) except in the bilevel runs (MSE).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from numerics.checkers import checker
from numerics.fixed_point import (
    DTYPE,
    ForwardBackward,
    FrameDenoiser,
    PnPForwardBackward,
    affine_layer_constants,
    difference_quotient,
    fixed_point,
    make_prior,
    observe,
    power_iteration_norm,
    random_tanh_layer,
    sparse_signals,
    spectral_norm,
)
from numerics.gradient_modes import (
    EquilibriumCase,
    bilevel_learn,
    deblurring_problem,
    denoising_problem,
    equilibrium_case,
    half_squared_error,
    hypergradient,
    jfb_gradient,
    k_step_gradient,
    restarted_gradient,
    unrolled_gradient,
    unrolled_jacobian,
)
from numerics.operators import blur_1d, inpainting, with_condition_number
from verify.claims._base import Claim, Comparison, Context, Judgement, aggregate, replay_command
from verify.claims._dip import hypothesis_records
from verify.result import CheckResult, versions

# ------------------------------------------------------------------------------------------------------------ layers


@dataclass
class Layer:
    """One layer with its data: x_init, target x̄, a certified contraction constant, and (when known) the per-layer
    constants of JFB-4/5 (`kind`: "tanh" certified globally, "affine" computed on a ball, None: not available)."""

    name: str
    op: object
    theta: torch.Tensor
    x_init: torch.Tensor
    target: torch.Tensor
    rho: float
    kind: str | None = None

    @property
    def loss_fn(self):
        return half_squared_error(self.target)

    def constants(self, case: EquilibriumCase, radius: float, seed: int) -> dict[str, float] | None:
        if self.kind == "tanh":
            return self.op.certified_constants()
        if self.kind == "affine":
            return affine_layer_constants(self.op, self.theta, case.x_star, radius, _gen(seed))
        return None


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def tanh_layer(name: str, n: int, p: int, rho_0: float, seed: int, spread: float = 1.0, u_scale: float = 1.0) -> Layer:
    gen = _gen(seed)
    op = random_tanh_layer(n, p, rho_0, gen, spread=spread, u_scale=u_scale)
    target = torch.randn((1, n), generator=gen, dtype=DTYPE)
    return Layer(name, op, op.theta0, torch.zeros((1, n), dtype=DTYPE), target, op.certified_constants()["rho_0"],
                 "tanh")


def fb_layer(name: str, matrix: torch.Tensor, prior: str, seed: int, tau_L: float, lam: float = 0.05, b: int = 1,
             noise: float = 0.05, **prior_kw) -> Layer:
    """FB on spike signals with τ = tau_L/‖A‖²; ρ certified by JFB-7."""
    gen = _gen(seed)
    n = matrix.shape[1]
    x_bar = sparse_signals(b, n, gen, density=0.2)
    y = observe(matrix, x_bar, noise, gen)
    L = spectral_norm(matrix) ** 2
    op = ForwardBackward(matrix, y, make_prior(prior, n, **prior_kw), tau=tau_L / L, lam=lam)
    kind = "affine" if prior == "tikhonov" else None
    return Layer(name, op, op.theta0, op.x_init(), x_bar, op.contraction(op.theta0), kind)


def pnp_layer(name: str, matrix: torch.Tensor, seed: int, tau_L: float, lip: float, sigma: float = 0.05,
              hidden: int | None = None, b: int = 1, noise: float = 0.05) -> Layer:
    """PnP-FB with the frame denoiser (Lip ≤ lip): certified ρ = lip·ρ_FB."""
    gen = _gen(seed)
    n = matrix.shape[1]
    x_bar = sparse_signals(b, n, gen, density=0.2)
    y = observe(matrix, x_bar, noise, gen)
    L = spectral_norm(matrix) ** 2
    den = FrameDenoiser(n, hidden or 2 * n, gen, lip=lip)
    op = PnPForwardBackward(matrix, y, den, tau=tau_L / L, sigma=sigma)
    return Layer(name, op, op.theta0, op.x_init(), x_bar, op.contraction(op.theta0))


def _blur(n: int, sigma: float = 0.6) -> torch.Tensor:
    return blur_1d(n, sigma).matrix.to(DTYPE)


def _gaussian(m: int, n: int, kappa: float, seed: int) -> torch.Tensor:
    return with_condition_number(m, n, kappa, _gen(seed)).matrix.to(DTYPE)


def equilibrium_layers(ctx: Context) -> list[Layer]:
    """Contractive layers of every family (quick: a few of each; full: more and larger)."""
    s = ctx.seed
    layers = [
        tanh_layer("tanh n=30 p=8 ρ₀=0.9 (04 §8.3)", 30, 8, 0.9, s),
        tanh_layer("tanh n=10 p=3 ρ₀=0.5", 10, 3, 0.5, s + 1),
        tanh_layer("tanh n=6 p=2 ρ₀=0.95 flat spectrum", 6, 2, 0.95, s + 2, spread=0.0),
        fb_layer("FB ℓ1 denoising τ=1.5", torch.eye(16, dtype=DTYPE), "l1", s + 3, 1.5),
        fb_layer("FB weighted-ℓ1 deblurring τL=1.5", _blur(16), "weighted_l1", s + 4, 1.5),
        fb_layer("FB Tikhonov Gaussian A (κ=3) τL=1", _gaussian(24, 12, 3.0, s + 5), "tikhonov", s + 5, 1.0),
        fb_layer("FB Huber deblurring τL=1.8", _blur(16), "huber", s + 6, 1.8, delta=0.05),
        pnp_layer("PnP-FB deblurring, Lip(D) ≤ 1", _blur(16), s + 7, 1.5, lip=1.0),
    ]
    if ctx.profile == "quick":
        return layers
    return layers + [
        tanh_layer("tanh n=40 p=10 ρ₀=0.8", 40, 10, 0.8, s + 10),
        tanh_layer("tanh n=20 p=6 ρ₀=0.3", 20, 6, 0.3, s + 11),
        fb_layer("FB ℓ1 deblurring b=4 τL=1.9", _blur(32), "l1", s + 12, 1.9, b=4),
        fb_layer("FB Tikhonov deblurring b=3 τL=1.5", _blur(24), "tikhonov", s + 13, 1.5, b=3),
        pnp_layer("PnP-FB denoising, Lip(D) ≤ 0.9", torch.eye(20, dtype=DTYPE), s + 14, 1.2, lip=0.9),
    ]


def smooth_layers(ctx: Context) -> list[Layer]:
    """Layers with per-layer constants for JFB-4/5 (tanh: certified; Tikhonov FB: affine, on a ball)."""
    return [layer for layer in equilibrium_layers(ctx) if layer.kind is not None]


def _cases(layers: list[Layer]) -> list[EquilibriumCase]:
    return [equilibrium_case(layer.op, layer.theta, layer.x_init, layer.loss_fn) for layer in layers]


def _evaluate(result_id: str, values: dict):
    """(hold (b,) bool, evaluation, conclusions as float64 tensors) for per-instance arrays (b,) or (b, r)."""
    numeric = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    if any(v.ndim == 2 for v in numeric.values()):
        numeric = {k: v[:, None] if v.ndim == 1 else v for k, v in numeric.items()}
    ev = checker(result_id).evaluate(numeric)
    shape = np.broadcast_shapes(*(v.shape for v in numeric.values()))
    hold = np.broadcast_to(np.asarray(ev.holds, dtype=bool), shape)
    hold = hold.reshape(hold.shape[0], -1).all(axis=1) if hold.ndim == 2 else hold
    return (torch.as_tensor(np.array(hold)), ev,
            {k: torch.as_tensor(np.broadcast_to(np.asarray(v, dtype=float), shape).copy())
             for k, v in ev.conclusions.items()})


def _t(values) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=float), dtype=torch.float64)


def _diverged(cases: list[EquilibriumCase]) -> torch.Tensor:
    return torch.tensor([c.diverged or not c.converged for c in cases])


def _finish(j: Judgement, ctx: Context, started: float) -> CheckResult:
    return aggregate(j, ctx, started, replay_command(j.claim, ctx), ctx.seed)


def single_threaded(check):
    """Run a claim with one intra-op thread, restored afterwards: at n ≤ 64 extra threads only add overhead, and on a
    shared machine they make the time-per-step columns unstable (10× slower under load)."""

    @functools.wraps(check)
    def run(ctx: Context) -> CheckResult:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return check(ctx)
        finally:
            torch.set_num_threads(threads)

    return run


# ------------------------------------------------------------------------------------------------------------ JFB-1


def judge_jfb1(layers: list[Layer], cases: list[EquilibriumCase], claim_id: str = "JFB-1/jfb-gap") -> Judgement:
    """‖g_DEQ − g_JFB‖ and ‖J* − B‖ against JFB-1, with the certified ρ and with the local ρ = ‖∂_xT(x*)‖₂."""
    gaps, jac_gaps, rows = [], [], []
    for layer, case in zip(layers, cases, strict=True):
        g = jfb_gradient(layer.op, layer.theta, case.x_star, layer.loss_fn).grad
        gaps.append(case.gap(g))
        jac_gaps.append(spectral_norm(case.J_star - case.B))
    values = {"B_norm": [c.B_norm for c in cases], "v_norm": [c.v_norm for c in cases]}
    hold, ev, bound = _evaluate("JFB-1", {**values, "rho": [layer.rho for layer in layers]})
    hold_loc, _, bound_loc = _evaluate("JFB-1", {**values, "rho": [c.rho_local for c in cases]})
    for i, layer in enumerate(layers):
        rows.append({"layer": layer.name, "rho_certified": layer.rho, "rho_local": cases[i].rho_local,
                     "gap": gaps[i], "bound": float(bound["gradient_gap_bound"][i]),
                     "bound_local_rho": float(bound_loc["gradient_gap_bound"][i]),
                     "g_DEQ_norm": cases[i].g_norm})
    scale = _t([c.g_norm + c.B_norm * c.v_norm for c in cases])
    comparisons = [
        Comparison("‖g_DEQ − g_JFB‖ ≤ ρ/(1−ρ)‖B‖‖v‖ (JFB-1, certified ρ)", _t(gaps), bound["gradient_gap_bound"],
                   scale=scale),
        Comparison("‖J* − B‖ ≤ ρ/(1−ρ)‖B‖ (JFB-1, certified ρ)", _t(jac_gaps), bound["jacobian_gap_bound"],
                   scale=_t([c.B_norm for c in cases])),
        Comparison("‖g_DEQ − g_JFB‖ ≤ JFB-1 with local ρ = ‖∂_xT(x*)‖", _t(gaps),
                   torch.where(hold_loc, bound_loc["gradient_gap_bound"], torch.nan), scale=scale),
    ]
    return Judgement(claim_id, "JFB-1", hold, comparisons, _diverged(cases),
                     binding=ev.binding.name if ev.binding else None, hypotheses=hypothesis_records(ev),
                     details={"layers": rows})


def check_jfb1(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    layers = equilibrium_layers(ctx)
    return _finish(judge_jfb1(layers, _cases(layers)), ctx, started)


# ------------------------------------------------------------------------------------------------------------ JFB-2


def depths(ctx: Context) -> list[int]:
    return [1, 2, 5, 10] if ctx.profile == "quick" else [1, 2, 3, 5, 8, 13, 21]


def judge_jfb2(layers, cases, Ks: list[int], claim_id: str = "JFB-2/truncated-neumann") -> Judgement:
    """K-step JFB from x*: gradient and Jacobian gaps against JFB-2; AD through K layers = truncated Neumann series."""
    from numerics.gradient_modes import neumann_jacobian

    grad_gap, jac_gap, ad_vs_series, j_scale = [], [], [], []
    for layer, case in zip(layers, cases, strict=True):
        row_g, row_j, row_n = [], [], []
        for K in Ks:
            row_g.append(case.gap(k_step_gradient(layer.op, layer.theta, case.x_star, layer.loss_fn, K).grad))
            J_K = unrolled_jacobian(layer.op, layer.theta, case.x_star, K)
            row_j.append(spectral_norm(case.J_star - J_K))
            row_n.append(float((J_K - neumann_jacobian(layer.op, layer.theta, case.x_star, K)).abs().max()))
        grad_gap.append(row_g)
        jac_gap.append(row_j)
        ad_vs_series.append(row_n)
        j_scale.append(spectral_norm(case.J_star))
    b = len(layers)
    hold, ev, bound = _evaluate("JFB-2", {"rho_0": [layer.rho for layer in layers],
                                          "K_layers": np.tile(np.asarray(Ks, dtype=float), (b, 1)),
                                          "B_T_norm": [c.B_norm for c in cases], "v_norm": [c.v_norm for c in cases]})
    scale = _t([c.g_norm + c.B_norm * c.v_norm for c in cases])[:, None]
    comparisons = [
        Comparison("‖g_DEQ − g_K‖ ≤ ρ₀ᴷ/(1−ρ₀)‖B_T‖‖v‖ (JFB-2)", _t(grad_gap), bound["gradient_gap_bound"],
                   scale=scale),
        Comparison("‖J* − J_K‖ ≤ ρ₀ᴷ/(1−ρ₀)‖B_T‖ (JFB-2)", _t(jac_gap), bound["jacobian_gap_bound"],
                   scale=_t([c.B_norm for c in cases])[:, None]),
        Comparison("AD through K layers from x* = Σ_{j<K}AʲB (JFB-E6)", _t(ad_vs_series), torch.zeros(b, len(Ks)),
                   scale=_t(j_scale)[:, None]),
    ]
    rows = [{"layer": layer.name, "K": Ks, "gap": grad_gap[i], "bound": bound["gradient_gap_bound"][i].tolist()}
            for i, layer in enumerate(layers)]
    return Judgement(claim_id, "JFB-2", hold, comparisons, _diverged(cases),
                     binding=ev.binding.name if ev.binding else None, hypotheses=hypothesis_records(ev),
                     details={"layers": rows})


def check_jfb2(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    layers = equilibrium_layers(ctx)
    return _finish(judge_jfb2(layers, _cases(layers), depths(ctx)), ctx, started)


# ------------------------------------------------------------------------------------------------------------ JFB-3


def descent_layers(ctx: Context) -> list[Layer]:
    """Layers where JFB-3's sufficient condition can hold for JFB itself (small ρ) plus the usual ones (JFB on Φ_K)."""
    s = ctx.seed
    small = [tanh_layer("tanh n=12 p=4 ρ₀=0.05", 12, 4, 0.05, s + 20),
             tanh_layer("tanh n=8 p=3 ρ₀=0.15", 8, 3, 0.15, s + 21),
             fb_layer("FB ℓ1 denoising τ=0.95 (ρ=0.05)", torch.eye(12, dtype=DTYPE), "l1", s + 22, 0.95)]
    return small + equilibrium_layers(ctx)[:4]


def judge_jfb3(layers, cases, claim_id: str = "JFB-3/descent") -> Judgement:
    """⟨g, g_DEQ⟩ ≥ ‖g_DEQ‖(‖g_DEQ‖ − bound) > 0 for g = g_JFB (JFB-1 form) and for JFB on Φ_K with K > K_sufficient
    (JFB-1 on Φ_K: ρ = ρ₀ᴷ, ‖B‖ = ‖∂_θΦ_K(x*)‖)."""
    b = len(layers)
    base = {"v_norm": [c.v_norm for c in cases], "g_DEQ_norm": [c.g_norm for c in cases],
            "rho_0": [layer.rho for layer in layers], "B_T_norm": [c.B_norm for c in cases]}
    _, _, k_needed = _evaluate("JFB-3", {**base, "rho": [layer.rho for layer in layers],
                                         "B_norm": [c.B_norm for c in cases]})
    Ks = [max(1, math.floor(float(k)) + 1) if math.isfinite(float(k)) else 1 for k in k_needed["K_sufficient"]]
    inner_1, inner_K, norms_1, norms_K, rho_K, b_K = [], [], [], [], [], []
    for i, (layer, case) in enumerate(zip(layers, cases, strict=True)):
        g1 = jfb_gradient(layer.op, layer.theta, case.x_star, layer.loss_fn).grad
        gK = k_step_gradient(layer.op, layer.theta, case.x_star, layer.loss_fn, Ks[i]).grad
        inner_1.append(float(g1 @ case.g_deq))
        inner_K.append(float(gK @ case.g_deq))
        norms_1.append(float(g1.norm()))
        norms_K.append(float(gK.norm()))
        rho_K.append(layer.rho ** Ks[i])
        b_K.append(spectral_norm(unrolled_jacobian(layer.op, layer.theta, case.x_star, Ks[i])))
    hold_1, ev_1, bound_1 = _evaluate("JFB-3", {**base, "rho": [layer.rho for layer in layers],
                                                "B_norm": [c.B_norm for c in cases]})
    hold_K, ev_K, bound_K = _evaluate("JFB-3", {**base, "rho": rho_K, "B_norm": b_K})
    scale = _t([c.g_norm**2 for c in cases])
    # where JFB-3 does not certify an instance only Cauchy–Schwarz, ⟨g, g_DEQ⟩ ≥ −‖g‖‖g_DEQ‖, is claimed
    schwarz_1 = -_t([n1 * c.g_norm for n1, c in zip(norms_1, cases, strict=True)])
    schwarz_K = -_t([nK * c.g_norm for nK, c in zip(norms_K, cases, strict=True)])
    comparisons = [
        Comparison("⟨g_JFB, g_DEQ⟩ ≥ ‖g‖(‖g‖ − JFB-1 bound) (JFB-3)", _t(inner_1),
                   torch.where(hold_1, bound_1["inner_product_lower"], schwarz_1), scale=scale, lower=True),
        Comparison("⟨g_K, g_DEQ⟩ ≥ ‖g‖(‖g‖ − bound on Φ_K), K > K_sufficient (JFB-3)", _t(inner_K),
                   torch.where(hold_K, bound_K["inner_product_lower"], schwarz_K), scale=scale, lower=True),
    ]
    rows = [{"layer": layer.name, "K": Ks[i], "inner_JFB": inner_1[i], "jfb_certified": bool(hold_1[i]),
             "inner_K": inner_K[i], "K_certified": bool(hold_K[i])} for i, layer in enumerate(layers)]
    return Judgement(claim_id, "JFB-3", hold_1 | hold_K, comparisons, _diverged(cases)[:b],
                     binding=ev_1.binding.name if ev_1.binding else None, hypotheses=hypothesis_records(ev_K),
                     details={"layers": rows, "jfb_certified": int(hold_1.sum()), "K_certified": int(hold_K.sum())})


def check_jfb3(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    layers = descent_layers(ctx)
    return _finish(judge_jfb3(layers, _cases(layers)), ctx, started)


# ------------------------------------------------------------------------------------------------------------ JFB-4


def _direction(n_shape, seed: int) -> torch.Tensor:
    d = torch.randn(n_shape, generator=_gen(seed), dtype=DTYPE)
    return d / d.norm()


def judge_jfb4(layers, cases, Ks: list[int], distances: list[float], seed: int,
               claim_id: str = "JFB-4/unrolled") -> Judgement:
    """Unrolled AD from x₀ = x* + e₀·u (random unit u): gradient, Jacobian and iterate gaps against JFB-4."""
    rows_g, rows_j, rows_x, consts, e0s, scales = [], [], [], [], [], []
    for i, (layer, case) in enumerate(zip(layers, cases, strict=True)):
        for e0 in distances:
            x0 = case.x_star + e0 * _direction(case.x_star.shape, seed + 7 * i)
            c = layer.constants(case, e0, seed + i)
            row_g, row_j, row_x = [], [], []
            for K in Ks:
                hg = unrolled_gradient(layer.op, layer.theta, x0, layer.loss_fn, K)
                row_g.append(case.gap(hg.grad))
                row_j.append(spectral_norm(unrolled_jacobian(layer.op, layer.theta, x0, K) - case.J_star))
                row_x.append(float((hg.x_out - case.x_star).norm()))
            rows_g.append(row_g)
            rows_j.append(row_j)
            rows_x.append(row_x)
            consts.append(c)
            e0s.append(e0)
            scales.append(case.g_norm + c["L_theta"] * case.v_norm)
    b = len(rows_g)
    values = {k: [c[k] for c in consts] for k in ("rho_0", "L_theta", "L_A", "L_B")}
    hold, ev, bound = _evaluate("JFB-4", {**values, "e_0": e0s, "L_ell": [1.0] * b,
                                          "v_norm": [c.v_norm for c in cases for _ in distances],
                                          "K_layers": np.tile(np.asarray(Ks, dtype=float), (b, 1))})
    comparisons = [
        Comparison("‖g_K − g_DEQ‖ ≤ JFB-4 bound", _t(rows_g), bound["gradient_gap_bound"], scale=_t(scales)[:, None]),
        Comparison("‖J_K − J*‖ ≤ JFB-4 bound", _t(rows_j), bound["jacobian_gap_bound"],
                   scale=_t([c["L_theta"] for c in consts])[:, None]),
        Comparison("‖x_K − x*‖ ≤ ρ₀ᴷe₀", _t(rows_x), bound["iterate_gap_bound"], scale=_t(e0s)[:, None]),
    ]
    diverged = torch.tensor([c.diverged or not c.converged for c in cases for _ in distances])
    return Judgement(claim_id, "JFB-4", hold, comparisons, diverged, binding=ev.binding.name if ev.binding else None,
                     hypotheses=hypothesis_records(ev), details={"K": Ks, "e_0": distances})


def check_jfb4(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    layers = smooth_layers(ctx)
    Ks = [1, 3, 10] if ctx.profile == "quick" else [1, 2, 3, 5, 10, 20]
    distances = [0.1, 2.0] if ctx.profile == "quick" else [0.01, 0.1, 1.0, 3.0]
    return _finish(judge_jfb4(layers, _cases(layers), Ks, distances, ctx.seed), ctx, started)


# ------------------------------------------------------------------------------------------------------------ JFB-5


def judge_jfb5(layers, cases, Ks: list[int], Ts: list[int], seed: int,
               claim_id: str = "JFB-5/restarted") -> Judgement:
    """Restarted JFB from x_init over a (K, T) grid: ‖g_R − g_DEQ‖ ≤ JFB-5, ‖g_R − g_K(x*)‖ ≤ the restart excess
    (→ 0: the error converges to the JFB-K floor), ‖Φ_K(x̂) − x*‖ ≤ ρ₀^{(T+1)K}e_init."""
    grid = [(K, T) for K in Ks for T in Ts]
    gaps, excess, outs, consts, scales, trace = [], [], [], [], [], []
    for i, (layer, case) in enumerate(zip(layers, cases, strict=True)):
        c = layer.constants(case, case.e_init, seed + i)
        g_K = {K: k_step_gradient(layer.op, layer.theta, case.x_star, layer.loss_fn, K).grad for K in Ks}
        row_g, row_e, row_o = [], [], []
        for K, T in grid:
            hg = restarted_gradient(layer.op, layer.theta, layer.x_init, layer.loss_fn, K, T)
            row_g.append(case.gap(hg.grad))
            row_e.append(float((hg.grad - g_K[K]).norm()))
            row_o.append(float((hg.x_out - case.x_star).norm()))
        gaps.append(row_g)
        excess.append(row_e)
        outs.append(row_o)
        consts.append(c)
        scales.append(case.g_norm + c["L_theta"] * case.v_norm)
        trace.append({"layer": layer.name, "K_T": grid, "gap": row_g, "excess": row_e,
                      "jfb_K_gap": {K: case.gap(g_K[K]) for K in Ks}})
    b = len(layers)
    values = {k: [c[k] for c in consts] for k in ("rho_0", "L_theta", "L_A", "L_B")}
    hold, ev, bound = _evaluate("JFB-5", {
        **values, "e_init": [c.e_init for c in cases], "L_ell": [1.0] * b, "v_norm": [c.v_norm for c in cases],
        "K_layers": np.tile(np.asarray([k for k, _ in grid], dtype=float), (b, 1)),
        "T_blocks": np.tile(np.asarray([t for _, t in grid], dtype=float), (b, 1))})
    for i, row in enumerate(trace):
        row["bound"] = bound["gradient_gap_bound"][i].tolist()
        row["excess_bound"] = bound["restart_excess_bound"][i].tolist()
        row["floor"] = bound["floor"][i].tolist()
    sc = _t(scales)[:, None]
    comparisons = [
        Comparison("‖g_R − g_DEQ‖ ≤ JFB-5 bound", _t(gaps), bound["gradient_gap_bound"], scale=sc),
        Comparison("‖g_R − g_K(x*)‖ ≤ JFB-5 bound − floor (→ 0 in T)", _t(excess), bound["restart_excess_bound"],
                   scale=sc),
        Comparison("‖Φ_K(x̂) − x*‖ ≤ ρ₀^{(T+1)K}e_init", _t(outs), bound["output_gap_bound"],
                   scale=_t([c.e_init for c in cases])[:, None]),
    ]
    return Judgement(claim_id, "JFB-5", hold, comparisons, _diverged(cases),
                     binding=ev.binding.name if ev.binding else None, hypotheses=hypothesis_records(ev),
                     details={"layers": trace})


def restart_grid(ctx: Context) -> tuple[list[int], list[int]]:
    return ([2, 5], [1, 2, 3, 5, 8]) if ctx.profile == "quick" else ([1, 2, 5, 10], [1, 2, 3, 5, 8, 13, 21])


def check_jfb5(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    layers = smooth_layers(ctx)
    Ks, Ts = restart_grid(ctx)
    return _finish(judge_jfb5(layers, _cases(layers), Ks, Ts, ctx.seed), ctx, started)


# ------------------------------------------------------------------------------------------- comparison of the modes


def _timed(mode, layer: Layer, K: int = 1, T: int = 0, solver: str = "solve", repeats: int = 3):
    """The mode's hypergradient from x_init (forward included) and the best wall time over `repeats`."""
    best, hg = math.inf, None
    for _ in range(repeats):
        hg = hypergradient(mode, layer.op, layer.theta, layer.loss_fn, layer.x_init, K=K, T_blocks=T, solver=solver)
        best = min(best, hg.seconds)
    return hg, best


def mode_table(layer: Layer, case: EquilibriumCase, K: int, Ts: list[int], seed: int, repeats: int = 3) -> list[dict]:
    """Rows (mode, K, T, error vs exact DEQ, bound and its id, ratio, seconds per step) for one layer."""
    c = layer.constants(case, case.e_init, seed)
    base = {"B_norm": case.B_norm, "B_T_norm": case.B_norm, "v_norm": case.v_norm, "L_ell": 1.0}
    per_layer = {} if c is None else {k: c[k] for k in ("rho_0", "L_theta", "L_A", "L_B")}
    specs = [("ift", 1, 0, "solve", None, {}), ("ift", 1, 0, "iterative", None, {}),
             ("jfb", 1, 0, "solve", ("JFB-1", {"rho": layer.rho}), {}),
             ("grad=K", K, 0, "solve", ("JFB-2", {"rho_0": layer.rho, "K_layers": K}), {}),
             ("unrolled", K, 0, "solve", ("JFB-4", {**per_layer, "K_layers": K, "e_0": case.e_init}), per_layer)]
    specs += [("restarted", K, T, "solve", ("JFB-5", {**per_layer, "K_layers": K, "T_blocks": T,
                                                      "e_init": case.e_init}), per_layer) for T in Ts]
    rows = []
    for mode, k, t, solver, bound_spec, needs in specs:
        hg, seconds = _timed(mode, layer, K=k, T=t, solver=solver, repeats=repeats)
        error = case.gap(hg.grad)
        bound, bound_id = math.nan, None
        if bound_spec is not None and (needs or bound_spec[0] in ("JFB-1", "JFB-2")):
            bound_id = bound_spec[0]
            ev = checker(bound_id).evaluate({**base, **bound_spec[1]})
            if ev.holds:
                bound = float(ev.conclusions["gradient_gap_bound"])
        label = mode if mode != "ift" else f"ift ({solver})"
        rows.append({"layer": layer.name, "mode": label, "K": k if mode not in ("ift", "jfb") else None,
                     "T": t if mode == "restarted" else None, "error": error,
                     "relative_error": error / case.g_norm if case.g_norm else math.nan,
                     "bound": bound if math.isfinite(bound) else None, "bound_id": bound_id,
                     "ratio": error / bound if math.isfinite(bound) and bound > 0 else None,
                     "seconds_per_step": seconds})
    return rows


def mode_layers(ctx: Context) -> list[Layer]:
    s = ctx.seed
    n = 32 if ctx.profile == "quick" else 64
    return [tanh_layer("tanh n=30 p=8 ρ₀=0.9 (04 §8.3)", 30, 8, 0.9, s),
            fb_layer(f"FB Tikhonov deblurring n={n} b=4 τL=1.5", _blur(n), "tikhonov", s + 30, 1.5, lam=0.05, b=4),
            fb_layer(f"FB ℓ1 deblurring n={n} b=4 τL=1.5", _blur(n), "l1", s + 31, 1.5, lam=0.02, b=4)]


def check_modes(ctx: Context) -> CheckResult:
    """The comparison table of gradient modes: error vs exact DEQ, the bound of the matching result, time per step."""
    started = time.perf_counter()
    K = 5
    Ts = [1, 2, 5, 10] if ctx.profile == "quick" else [1, 2, 3, 5, 10, 20]
    layers = mode_layers(ctx)
    cases = _cases(layers)
    rows = [row for i, (layer, case) in enumerate(zip(layers, cases, strict=True))
            for row in mode_table(layer, case, K, Ts, ctx.seed + i, repeats=2 if ctx.profile == "quick" else 5)]
    bounded = [r for r in rows if r["bound"] is not None]
    observed = _t([r["error"] for r in bounded])[None, :]
    bounds = _t([r["bound"] for r in bounded])[None, :]
    scale = max(c.g_norm for c in cases)
    j = Judgement("JFB-5/modes", "JFB-5", torch.tensor([True]),
                  [Comparison("every mode's ‖g − g_DEQ‖ ≤ its bound (JFB-1/2/4/5)", observed, bounds, scale=scale)],
                  _diverged(cases).any().reshape(1),
                  details={"modes": rows, "K": K, "T": Ts,
                           "layers": [{"layer": layer.name, "rho_certified": layer.rho, "rho_local": case.rho_local,
                                       "g_DEQ_norm": case.g_norm} for layer, case in zip(layers, cases, strict=True)],
                           "note": "ift rows are the reference (error = difference between the two exact solvers); "
                                   "the ℓ1 prox is not C¹, so unrolled/restarted have no bound there"})
    return _finish(j, ctx, started)


# ------------------------------------------------------------------------------------------------- bilevel learning


def bilevel_problems(ctx: Context) -> list:
    s = ctx.seed
    quick = ctx.profile == "quick"
    problems = [denoising_problem(seed=s, tau=1.5, lam=0.05),
                deblurring_problem(seed=s + 1, tau=1.5, lam=0.02),
                denoising_problem(seed=s + 2, prior="weighted_l1", support_fraction=0.5, weight_groups=4,
                                  train=16 if quick else 32)]
    if not quick:  # one weight per coordinate needs more training signals not to overfit
        problems.append(deblurring_problem(seed=s + 3, prior="weighted_l1", support_fraction=0.5, train=64))
    return problems


def bilevel_table(problem, K: int, Ts: list[int], steps: int, lr: float) -> tuple[list[dict], dict]:
    """Learn with every mode; rows: mode, T, learned parameters (exp), validation losses, distance to the DEQ
    parameters, time per step."""
    deq = bilevel_learn(problem, "ift", K=K, steps=steps, lr=lr, solver="iterative")
    runs = [("ift", 0, deq)] + [(m, 0, bilevel_learn(problem, m, K=K, steps=steps, lr=lr))
                                for m in ("jfb", "grad=K", "unrolled")]
    runs += [("restarted", T, bilevel_learn(problem, "restarted", K=K, T_blocks=T, steps=steps, lr=lr)) for T in Ts]
    rows = []
    for mode, T, run in runs:
        rows.append({"problem": problem.name, "mode": mode, "K": K if mode not in ("ift", "jfb") else None,
                     "T": T if mode == "restarted" else None,
                     "learned": {name.removeprefix("log_"): float(math.exp(v))
                                 for name, v in zip(problem.names, run.theta.tolist(), strict=True)},
                     "val_loss_equilibrium": run.val_loss if math.isfinite(run.val_loss) else None,
                     "val_loss_scheme": run.scheme_val_loss if math.isfinite(run.scheme_val_loss) else None,
                     "distance_to_deq": float((run.theta - deq.theta).norm()),
                     "seconds_per_step": run.seconds_per_step, "diverged": run.diverged})
    return rows, {"deq": deq, "runs": runs}


def check_bilevel(ctx: Context) -> CheckResult:
    """Bilevel learning of (τ, λ), then of prior weights (4 groups; per coordinate in the full profile): restarted
    JFB approaches the DEQ parameters as T grows (to the K-step JFB floor); DEQ and large-T restarted runs stay
    finite."""
    started = time.perf_counter()
    quick = ctx.profile == "quick"
    K, steps = 5, (20 if quick else 60)
    Ts = [0, 2, 20] if quick else [0, 1, 2, 3, 5, 10, 20, 40]
    all_rows, first, last, floors, diverged = [], [], [], [], []
    for problem in bilevel_problems(ctx):
        rows, _ = bilevel_table(problem, K, Ts, steps, lr=5e-2)
        all_rows += rows
        restarted = [r for r in rows if r["mode"] == "restarted"]
        first.append(restarted[0]["distance_to_deq"])
        last.append(restarted[-1]["distance_to_deq"])
        floors.append(next(r["distance_to_deq"] for r in rows if r["mode"] == "grad=K"))
        diverged.append(rows[0]["diverged"] or restarted[-1]["diverged"])
    b = len(first)
    comparisons = [
        Comparison("‖θ_R(T_max) − θ_DEQ‖ ≤ ‖θ_R(T=0) − θ_DEQ‖ (restarts approach DEQ)", _t(last), _t(first),
                   scale=1e-6),
        Comparison("‖θ_R(T_max) − θ_DEQ‖ ≤ 2‖θ_K − θ_DEQ‖ + 1e-4 (the K-step JFB floor)", _t(last),
                   2 * _t(floors) + 1e-4, scale=1e-6),
    ]
    j = Judgement("JFB-5/bilevel", "JFB-5", torch.ones(b, dtype=torch.bool), comparisons, torch.tensor(diverged),
                  details={"bilevel": all_rows, "K": K, "T": Ts, "steps": steps, "optimizer": "adam lr 5e-2",
                           "note": "val_loss_equilibrium is the MSE of x*(θ) on the validation signals; unrolled AD "
                                   "may learn τ ≥ 2/L, where the equilibrium no longer exists (diverged)"})
    return _finish(j, ctx, started)


# ------------------------------------------------------------------------------------------------------------ JFB-6


def check_outer_loop(ctx: Context) -> CheckResult:
    """JFB-6 on Tikhonov denoising: gradient steps γ = 1/L̂ with JFB and K-step JFB hypergradients; L̂ estimates
    L_𝓛 on the region the run visits (finite differences of DEQ gradients) and ε is the largest measured error."""
    from numerics.gradient_modes import outer_smoothness_estimate

    started = time.perf_counter()
    problem = denoising_problem(n=16, train=8, val=8, seed=ctx.seed + 40, prior="tikhonov", tau=0.8, lam=1.0)
    steps = 20 if ctx.profile == "quick" else 60
    span = 6.0
    grid = [problem.theta0 + torch.tensor([0.0, d], dtype=DTYPE) for d in np.linspace(-span, span, 25)]
    L_hat = 1.2 * outer_smoothness_estimate(problem, grid)
    gamma = 1.0 / L_hat
    rows, observed, bounds, holds = [], [], [], []
    train_op = problem.train_operator()
    fp = fixed_point(train_op, problem.theta0, train_op.x_init())
    outer_gap = float(problem.loss(problem.x_train)(fp.x))  # 𝓛 ≥ 0, so 𝓛(θ₀) − inf 𝓛 ≤ 𝓛(θ₀)
    for mode, K in (("jfb", 1), ("grad=K", 2)):
        run = bilevel_learn(problem, mode, K=K, steps=steps, lr=gamma, optimizer="gd", track_deq_error=True)
        inside = bool(((run.thetas[:, 1] - problem.theta0[1]).abs() <= span).all()
                      and (run.thetas[:, 0] - problem.theta0[0]).abs().max() < 1e-6)
        eps = float(run.grad_errors.max())
        ev = checker("JFB-6").evaluate({"L_outer": L_hat, "gamma_outer": gamma, "N_outer": len(run.train_loss),
                                        "outer_gap": outer_gap, "eps_grad": eps})
        observed.append(float((run.deq_grad_norms**2).min()))
        bounds.append(float(ev.conclusions["grad_sq_min_bound"]))
        holds.append(bool(ev.holds) and inside and not run.diverged)
        rows.append({"mode": mode, "K": K, "gamma": gamma, "L_hat": L_hat, "eps": eps, "steps": len(run.train_loss),
                     "min_grad_sq": observed[-1], "bound": bounds[-1], "stayed_in_estimated_region": inside,
                     "final_val_loss": run.val_loss})
    j = Judgement("JFB-6/outer-loop", "JFB-6", torch.tensor(holds),
                  [Comparison("min ‖∇𝓛(θ_n)‖² ≤ 2Δ/(γN) + ε² (JFB-6)", _t(observed), _t(bounds), scale=_t(bounds))],
                  torch.zeros(len(holds), dtype=torch.bool),
                  details={"runs": rows, "note": "L_𝓛 is estimated (1.2 × max finite-difference Hessian norm on the "
                                                 "visited segment), not certified; outer_gap uses inf 𝓛 ≥ 0"})
    return _finish(j, ctx, started)


# ------------------------------------------------------------------------------------------------------------ JFB-7


def fb_operators(ctx: Context) -> list[tuple[str, ForwardBackward]]:
    s = ctx.seed
    gen = _gen(s + 50)
    out = []
    specs = [("denoising ℓ1 τ=0.5", torch.eye(16, dtype=DTYPE), "l1", 0.5),
             ("denoising Tikhonov τ=1.95", torch.eye(16, dtype=DTYPE), "tikhonov", 1.95),
             ("Gaussian A κ=3 weighted-ℓ1 τL=1.9", _gaussian(20, 10, 3.0, s + 51), "weighted_l1", 1.9),
             ("blur σ=0.6 Huber τL=1.5", _blur(16), "huber", 1.5),
             ("blur σ=0.6 ℓ1 τL=1", _blur(16), "l1", 1.0)]
    if ctx.profile != "quick":
        specs += [("Gaussian A κ=10 ℓ1 τL=0.3", _gaussian(40, 20, 10.0, s + 52), "l1", 0.3),
                  ("blur σ=0.8 Tikhonov τL=1.99", _blur(32, 0.8), "tikhonov", 1.99)]
    for name, matrix, prior, tau_L in specs:
        n = matrix.shape[1]
        y = observe(matrix, sparse_signals(1, n, gen), 0.05, gen)
        L = spectral_norm(matrix) ** 2
        out.append((name, ForwardBackward(matrix, y, make_prior(prior, n), tau=tau_L / L, lam=0.05)))
    return out


def check_fb_contraction(ctx: Context) -> CheckResult:
    """JFB-7: ρ_FB equals ‖I − τAᵀA‖₂ (SVD), and every measured Lipschitz ratio of T (difference quotients, local
    Jacobian norms, Picard residual ratios) stays below ρ_FB."""
    started = time.perf_counter()
    pairs = 32 if ctx.profile == "quick" else 256
    rows, values, spectral, quotients, locals_, residual_ratios = [], [], [], [], [], []
    for i, (name, op) in enumerate(fb_operators(ctx)):
        gen = _gen(ctx.seed + 60 + i)
        mu, L = op.spectrum()
        tau = math.exp(float(op.theta0[0]))
        values.append({"tau_FB": tau, "mu_FB": mu, "L_FB": L})
        n = op.n
        spectral.append(spectral_norm(torch.eye(n, dtype=DTYPE) - tau * op.gram))
        x = op.x_init() + torch.randn((pairs, n), generator=gen, dtype=DTYPE)
        step = 10 ** torch.empty((pairs, 1), dtype=DTYPE).uniform_(-3, 0, generator=gen)
        x2 = x + step * torch.randn((pairs, n), generator=gen, dtype=DTYPE)
        quotients.append(float(difference_quotient(op, op.theta0, x, x2).max()))  # rows share the observation y
        locals_.append(max(power_iteration_norm(op, op.theta0, x[j:j + 1], gen, iters=40) for j in range(3)))
        fp = fixed_point(op, op.theta0, op.x_init(), tol=1e-12, max_iter=5000)
        r = fp.residuals
        ok = r[:-1] > 1e-4 * max(1.0, float(fp.x.norm()))  # above the floor where rounding moves the ratio
        residual_ratios.append(float((r[1:][ok] / r[:-1][ok]).max()) if bool(ok.any()) else 0.0)
        rows.append({"operator": name, "tau": tau, "mu": mu, "L": L})
    hold, ev, concl = _evaluate("JFB-7", {k: [v[k] for v in values] for k in ("tau_FB", "mu_FB", "L_FB")})
    rho = concl["rho_FB_value"]
    for row, r, s_, q, loc, rr in zip(rows, rho.tolist(), spectral, quotients, locals_, residual_ratios, strict=True):
        row.update({"rho_FB": r, "svd_norm_I_minus_tau_AtA": s_, "max_difference_quotient": q,
                    "max_local_jacobian_norm": loc, "max_residual_ratio": rr})
    comparisons = [
        Comparison("‖I − τAᵀA‖₂ ≤ ρ_FB", _t(spectral), rho),
        Comparison("‖I − τAᵀA‖₂ ≥ ρ_FB (equality)", _t(spectral), rho, lower=True),
        Comparison("‖T(x) − T(x′)‖/‖x − x′‖ ≤ ρ_FB", _t(quotients), rho),
        Comparison("local ‖∂_xT‖₂ ≤ ρ_FB", _t(locals_), rho),
        Comparison("Picard residual ratio ≤ ρ_FB", _t(residual_ratios), rho),
    ]
    j = Judgement("JFB-7/fb-contraction", "JFB-7", hold, comparisons, torch.zeros(len(rows), dtype=torch.bool),
                  binding=ev.binding.name if ev.binding else None, hypotheses=hypothesis_records(ev),
                  details={"operators": rows,
                           "note": "a ratio of 1 is the equality ‖I − τAᵀA‖₂ = ρ_FB: JFB-7 is tight for the gradient "
                                   "step; the prox only lowers the measured ratios"})
    return _finish(j, ctx, started)


# ------------------------------------------------------------------------------------------------ negative control


def non_contractive_cases(ctx: Context) -> list[tuple[str, object, float]]:
    """(name, layer, certified ρ ≥ 1): FB with τ ≥ 2/L, a non-injective A, an unconstrained PnP denoiser."""
    s = ctx.seed
    gen = _gen(s + 70)
    n = 16
    x_bar = sparse_signals(1, n, gen, density=0.2)
    eye = torch.eye(n, dtype=DTYPE)
    cases = []
    op = ForwardBackward(eye, observe(eye, x_bar, 0.05, gen), make_prior("l1", n), tau=2.5, lam=0.05)
    cases.append(("FB ℓ1 denoising τ = 2.5 > 2/L", op, op.contraction(op.theta0)))
    mask = inpainting(n, keep=0.5, generator=gen).matrix.to(DTYPE)
    op = ForwardBackward(mask, observe(mask, x_bar, 0.05, gen), make_prior("l1", n), tau=1.0, lam=0.05)
    cases.append(("FB ℓ1 inpainting (A not injective, μ = 0)", op, op.contraction(op.theta0)))
    blur = _blur(n)
    op = PnPForwardBackward(blur, observe(blur, x_bar, 0.05, gen), FrameDenoiser(n, 2 * n, gen, lip=3.0), tau=1.5,
                            sigma=0.01)
    cases.append(("PnP-FB, unconstrained denoiser Lip(D) ≤ 3", op, op.contraction(op.theta0)))
    return cases


def check_non_contractive(ctx: Context) -> CheckResult:
    """Negative control: ρ ≥ 1 is flagged by the JFB-1 checker (rho<1 fails), so its bound is not claimed; the run
    is recorded (fixed-point divergence, local Jacobian norms above 1)."""
    started = time.perf_counter()
    rows, flagged, rhos = [], [], []
    for i, (name, op, rho) in enumerate(non_contractive_cases(ctx)):
        gen = _gen(ctx.seed + 80 + i)
        fp = fixed_point(op, op.theta0, op.x_init(), tol=1e-12, max_iter=1000)
        big = op.x_init() + 5.0 * torch.randn(op.x_init().shape, generator=gen, dtype=DTYPE)
        local = power_iteration_norm(op, op.theta0, big, gen, iters=40)
        rhos.append(rho)
        rows.append({"case": name, "certified_rho": rho, "fixed_point_diverged": fp.diverged,
                     "fixed_point_converged": fp.converged, "local_jacobian_norm_far_from_x*": local})
    hold, ev, _ = _evaluate("JFB-1", {"rho": rhos, "B_norm": [1.0] * len(rhos), "v_norm": [1.0] * len(rhos)})
    flagged = ~hold
    for row, f in zip(rows, flagged.tolist(), strict=True):
        row["checker_flagged"] = f
    reacted = bool(flagged.all())
    return CheckResult(claim="JFB-1/non-contractive", result_id="JFB-1",
                       verdict="reacted" if reacted else "did not react",
                       binding=ev.binding.name if ev.binding else None, hypotheses=hypothesis_records(ev),
                       instances=len(rows), seed=ctx.seed, device=str(ctx.device),
                       dtype=str(ctx.dtype).replace("torch.", ""), wall_time=time.perf_counter() - started,
                       details={"cases": rows, "note": "flagged ⇒ the JFB-1 bound is not claimed"},
                       replay=replay_command("JFB-1/non-contractive", ctx), versions=versions())


CLAIMS = (
    Claim("JFB-1/jfb-gap", "JFB-1", "JFB vs DEQ at x*: ‖g_DEQ − g_JFB‖ ≤ ρ/(1−ρ)‖B‖‖v‖ on tanh, FB and PnP layers",
          "property", single_threaded(check_jfb1)),
    Claim("JFB-1/non-contractive", "JFB-1", "ρ ≥ 1 (τ ≥ 2/L, non-injective A, unconstrained denoiser) is flagged",
          "negative control", single_threaded(check_non_contractive)),
    Claim("JFB-2/truncated-neumann", "JFB-2", "K-step JFB from x*: truncated-Neumann error ≤ ρ₀ᴷ/(1−ρ₀)‖B_T‖",
          "property", single_threaded(check_jfb2)),
    Claim("JFB-3/descent", "JFB-3", "JFB and K-step JFB are descent directions where JFB-3 certifies it",
          "property", single_threaded(check_jfb3)),
    Claim("JFB-4/unrolled", "JFB-4", "truncated unrolled AD from x₀: Kρ^{K−1} bound", "property",
          single_threaded(check_jfb4)),
    Claim("JFB-5/restarted", "JFB-5", "restarted JFB: error ≤ JFB-5 and converges to the JFB-K floor in T",
          "property", single_threaded(check_jfb5)),
    Claim("JFB-5/modes", "JFB-5", "gradient modes compared: error vs exact DEQ, bound, time per step",
          "measurement", single_threaded(check_modes)),
    Claim("JFB-5/bilevel", "JFB-5", "bilevel learning of τ, λ: restarted JFB approaches the DEQ parameters as T grows",
          "measurement", single_threaded(check_bilevel)),
    Claim("JFB-6/outer-loop", "JFB-6", "gradient steps with inexact hypergradients: min ‖∇𝓛‖² ≤ 2Δ/(γN) + ε²",
          "property", single_threaded(check_outer_loop)),
    Claim("JFB-7/fb-contraction", "JFB-7", "FB contraction: ρ_FB = ‖I − τAᵀA‖ bounds every measured Lipschitz ratio",
          "property", single_threaded(check_fb_contraction)),
)
