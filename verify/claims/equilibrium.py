"""Claims for JFB-1 … JFB-3 and the shared equilibrium layers; the other JFB claims are in `equilibrium_modes`
(JFB-4, JFB-5, the mode table), `equilibrium_bilevel` (bilevel learning, JFB-6) and `equilibrium_schemes` (JFB-7,
JFB-8).

Layers (numerics.fixed_point): random contractive tanh layers (certified global constants), forward–backward with
ℓ1 / weighted ℓ1 / Tikhonov / Huber priors (ρ from JFB-7, with the Tikhonov prior's strong convexity), and PnP with a
spectrally normalised denoiser. Every certified ρ is a Lipschitz constant (an operator norm), never a spectral radius.
Every bound is evaluated by the checker of its result; ½‖x − x̄‖² is the inner loss (L_ℓ = 1) except in the bilevel
runs (MSE).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ipverify.numerics.checkers import checker
from ipverify.numerics.fixed_point import (
    DTYPE,
    ForwardBackward,
    FrameDenoiser,
    PnPForwardBackward,
    TanhLayer,
    affine_layer_constants,
    fixed_point,
    make_prior,
    observe,
    power_iteration_norm,
    random_tanh_layer,
    sparse_signals,
    spectral_norm,
)
from ipverify.numerics.gradient_modes import (
    EquilibriumCase,
    equilibrium_case,
    half_squared_error,
    jfb_gradient,
    k_step_gradient,
    unrolled_jacobian,
)
from ipverify.numerics.operators import blur_1d, inpainting, with_condition_number
from ipverify.verify.claims._base import Claim, Comparison, Context, Judgement, aggregate, replay_command
from ipverify.verify.claims._dip import hypothesis_records
from ipverify.verify.result import CheckResult, versions

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
            return affine_layer_constants(self.op, self.theta, case.x_star, radius, generator(seed))
        return None


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def tanh_layer(name: str, n: int, p: int, rho_0: float, seed: int, spread: float = 1.0, u_scale: float = 1.0) -> Layer:
    gen = generator(seed)
    op = random_tanh_layer(n, p, rho_0, gen, spread=spread, u_scale=u_scale)
    target = torch.randn((1, n), generator=gen, dtype=DTYPE)
    return Layer(name, op, op.theta0, torch.zeros((1, n), dtype=DTYPE), target, op.certified_constants()["rho_0"],
                 "tanh")


def fb_layer(name: str, matrix: torch.Tensor, prior: str, seed: int, tau_L: float, lam: float = 0.05, b: int = 1,
             noise: float = 0.05, **prior_kw) -> Layer:
    """FB on spike signals with τ = tau_L/‖A‖²; ρ certified by JFB-7 (with λ_sc = λ for the Tikhonov prior)."""
    gen = generator(seed)
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
    gen = generator(seed)
    n = matrix.shape[1]
    x_bar = sparse_signals(b, n, gen, density=0.2)
    y = observe(matrix, x_bar, noise, gen)
    L = spectral_norm(matrix) ** 2
    den = FrameDenoiser(n, hidden or 2 * n, gen, lip=lip)
    op = PnPForwardBackward(matrix, y, den, tau=tau_L / L, sigma=sigma)
    return Layer(name, op, op.theta0, op.x_init(), x_bar, op.contraction(op.theta0))


def blur(n: int, sigma: float = 0.6) -> torch.Tensor:
    return blur_1d(n, sigma).matrix.to(DTYPE)


def gaussian(m: int, n: int, kappa: float, seed: int) -> torch.Tensor:
    return with_condition_number(m, n, kappa, generator(seed)).matrix.to(DTYPE)


def equilibrium_layers(ctx: Context) -> list[Layer]:
    """Contractive layers of every family (quick: a few of each; full: more and larger)."""
    s = ctx.seed
    layers = [
        tanh_layer("tanh n=30 p=8 ρ₀=0.9", 30, 8, 0.9, s),
        tanh_layer("tanh n=10 p=3 ρ₀=0.5", 10, 3, 0.5, s + 1),
        tanh_layer("tanh n=6 p=2 ρ₀=0.95 flat spectrum", 6, 2, 0.95, s + 2, spread=0.0),
        fb_layer("FB ℓ1 denoising τ=1.5", torch.eye(16, dtype=DTYPE), "l1", s + 3, 1.5),
        fb_layer("FB weighted-ℓ1 deblurring τL=1.5", blur(16), "weighted_l1", s + 4, 1.5),
        fb_layer("FB Tikhonov Gaussian A (κ=3) τL=1", gaussian(24, 12, 3.0, s + 5), "tikhonov", s + 5, 1.0),
        fb_layer("FB Huber deblurring τL=1.8", blur(16), "huber", s + 6, 1.8, delta=0.05),
        pnp_layer("PnP-FB deblurring, Lip(D) ≤ 1", blur(16), s + 7, 1.5, lip=1.0),
    ]
    if ctx.profile == "quick":
        return layers
    return layers + [
        tanh_layer("tanh n=40 p=10 ρ₀=0.8", 40, 10, 0.8, s + 10),
        tanh_layer("tanh n=20 p=6 ρ₀=0.3", 20, 6, 0.3, s + 11),
        fb_layer("FB ℓ1 deblurring b=4 τL=1.9", blur(32), "l1", s + 12, 1.9, b=4),
        fb_layer("FB Tikhonov deblurring b=3 τL=1.5", blur(24), "tikhonov", s + 13, 1.5, b=3),
        pnp_layer("PnP-FB denoising, Lip(D) ≤ 0.9", torch.eye(20, dtype=DTYPE), s + 14, 1.2, lip=0.9),
    ]


def smooth_layers(ctx: Context) -> list[Layer]:
    """Layers with per-layer constants for JFB-4/5 (tanh: certified; Tikhonov FB: affine, on a ball)."""
    return [layer for layer in equilibrium_layers(ctx) if layer.kind is not None]


def cases_of(layers: list[Layer]) -> list[EquilibriumCase]:
    return [equilibrium_case(layer.op, layer.theta, layer.x_init, layer.loss_fn) for layer in layers]


def evaluate(result_id: str, values: dict):
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


def as_tensor(values) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=float), dtype=torch.float64)


def diverged_cases(cases: list[EquilibriumCase]) -> torch.Tensor:
    return torch.tensor([c.diverged or not c.converged for c in cases])


def finish(j: Judgement, ctx: Context, started: float) -> CheckResult:
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
    hold, ev, bound = evaluate("JFB-1", {**values, "rho": [layer.rho for layer in layers]})
    hold_loc, _, bound_loc = evaluate("JFB-1", {**values, "rho": [c.rho_local for c in cases]})
    for i, layer in enumerate(layers):
        rows.append({"layer": layer.name, "rho_certified": layer.rho, "rho_local": cases[i].rho_local,
                     "gap": gaps[i], "bound": float(bound["gradient_gap_bound"][i]),
                     "bound_local_rho": float(bound_loc["gradient_gap_bound"][i]),
                     "g_DEQ_norm": cases[i].g_norm})
    scale = as_tensor([c.g_norm + c.B_norm * c.v_norm for c in cases])
    comparisons = [
        Comparison("‖g_DEQ − g_JFB‖ ≤ ρ/(1−ρ)‖B‖‖v‖ (JFB-1, certified ρ)", as_tensor(gaps), bound["gradient_gap_bound"],
                   scale=scale),
        Comparison("‖J* − B‖ ≤ ρ/(1−ρ)‖B‖ (JFB-1, certified ρ)", as_tensor(jac_gaps), bound["jacobian_gap_bound"],
                   scale=as_tensor([c.B_norm for c in cases])),
        Comparison("‖g_DEQ − g_JFB‖ ≤ JFB-1 with local ρ = ‖∂_xT(x*)‖", as_tensor(gaps),
                   bound_loc["gradient_gap_bound"], scale=scale, valid=hold_loc.reshape(-1, 1)),
    ]
    return Judgement(claim_id, "JFB-1", hold, comparisons, diverged_cases(cases),
                     binding=ev.binding.name if ev.binding else None, hypotheses=hypothesis_records(ev),
                     details={"layers": rows})


def check_jfb1(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    layers = equilibrium_layers(ctx)
    return finish(judge_jfb1(layers, cases_of(layers)), ctx, started)


# ------------------------------------------------------------------------------------------------------------ JFB-2


def depths(ctx: Context) -> list[int]:
    return [1, 2, 5, 10] if ctx.profile == "quick" else [1, 2, 3, 5, 8, 13, 21]


def judge_jfb2(layers, cases, Ks: list[int], claim_id: str = "JFB-2/truncated-neumann") -> Judgement:
    """K-step JFB from x*: gradient and Jacobian gaps against JFB-2; AD through K layers = truncated Neumann series."""
    from ipverify.numerics.gradient_modes import neumann_jacobian

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
    hold, ev, bound = evaluate("JFB-2", {"rho_0": [layer.rho for layer in layers],
                                          "K_layers": np.tile(np.asarray(Ks, dtype=float), (b, 1)),
                                          "B_T_norm": [c.B_norm for c in cases], "v_norm": [c.v_norm for c in cases]})
    scale = as_tensor([c.g_norm + c.B_norm * c.v_norm for c in cases])[:, None]
    comparisons = [
        Comparison("‖g_DEQ − g_K‖ ≤ ρ₀ᴷ/(1−ρ₀)‖B_T‖‖v‖ (JFB-2)", as_tensor(grad_gap), bound["gradient_gap_bound"],
                   scale=scale),
        Comparison("‖J* − J_K‖ ≤ ρ₀ᴷ/(1−ρ₀)‖B_T‖ (JFB-2)", as_tensor(jac_gap), bound["jacobian_gap_bound"],
                   scale=as_tensor([c.B_norm for c in cases])[:, None]),
        Comparison("AD through K layers from x* = Σ_{j<K}AʲB (JFB-E6)", as_tensor(ad_vs_series),
                   torch.zeros(b, len(Ks)), scale=as_tensor(j_scale)[:, None]),
    ]
    rows = [{"layer": layer.name, "K": Ks, "gap": grad_gap[i], "bound": bound["gradient_gap_bound"][i].tolist()}
            for i, layer in enumerate(layers)]
    return Judgement(claim_id, "JFB-2", hold, comparisons, diverged_cases(cases),
                     binding=ev.binding.name if ev.binding else None, hypotheses=hypothesis_records(ev),
                     details={"layers": rows})


def check_jfb2(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    layers = equilibrium_layers(ctx)
    return finish(judge_jfb2(layers, cases_of(layers), depths(ctx)), ctx, started)


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
    _, _, k_needed = evaluate("JFB-3", {**base, "rho": [layer.rho for layer in layers],
                                         "B_norm": [c.B_norm for c in cases]})
    Ks = [max(1, math.floor(float(k)) + 1) if math.isfinite(float(k)) else 1 for k in k_needed["K_sufficient"]]
    _, _, rho_phi_k = evaluate("JFB-2", {"rho_0": base["rho_0"], "K_layers": Ks, "B_T_norm": base["B_T_norm"],
                                         "v_norm": base["v_norm"]})
    inner_1, inner_K, b_K = [], [], []
    for i, (layer, case) in enumerate(zip(layers, cases, strict=True)):
        g1 = jfb_gradient(layer.op, layer.theta, case.x_star, layer.loss_fn).grad
        gK = k_step_gradient(layer.op, layer.theta, case.x_star, layer.loss_fn, Ks[i]).grad
        inner_1.append(float(g1 @ case.g_deq))
        inner_K.append(float(gK @ case.g_deq))
        b_K.append(spectral_norm(unrolled_jacobian(layer.op, layer.theta, case.x_star, Ks[i])))
    hold_1, ev_1, bound_1 = evaluate("JFB-3", {**base, "rho": [layer.rho for layer in layers],
                                                "B_norm": [c.B_norm for c in cases]})
    hold_K, ev_K, bound_K = evaluate("JFB-3", {**base, "rho": rho_phi_k["rho_bound"].tolist(), "B_norm": b_K})
    scale = as_tensor([c.g_norm**2 for c in cases])
    # only instances where JFB-3's hypotheses are certified are judged (no vacuous fallback such as Cauchy–Schwarz)
    comparisons = [
        Comparison("⟨g_JFB, g_DEQ⟩ ≥ ‖g‖(‖g‖ − JFB-1 bound) (JFB-3, certified instances)", as_tensor(inner_1),
                   bound_1["inner_product_lower"], scale=scale, lower=True, valid=hold_1.reshape(-1, 1)),
        Comparison("⟨g_K, g_DEQ⟩ ≥ ‖g‖(‖g‖ − bound on Φ_K), K > K_sufficient (JFB-3, certified instances)",
                   as_tensor(inner_K), bound_K["inner_product_lower"], scale=scale, lower=True,
                   valid=hold_K.reshape(-1, 1)),
    ]
    rows = [{"layer": layer.name, "K": Ks[i], "inner_JFB": inner_1[i], "jfb_certified": bool(hold_1[i]),
             "inner_bound_JFB": float(bound_1["inner_product_lower"][i]), "inner_K": inner_K[i],
             "K_certified": bool(hold_K[i]), "inner_bound_K": float(bound_K["inner_product_lower"][i])}
            for i, layer in enumerate(layers)]
    return Judgement(claim_id, "JFB-3", hold_1 | hold_K, comparisons, diverged_cases(cases)[:b],
                     binding=ev_1.binding.name if ev_1.binding else None, hypotheses=hypothesis_records(ev_K),
                     details={"layers": rows, "jfb_certified": int(hold_1.sum()), "K_certified": int(hold_K.sum()),
                              "note": "an instance is judged only where JFB-3 certifies it (JFB on Φ₁ or Φ_K)"})


def check_jfb3(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    layers = descent_layers(ctx)
    return finish(judge_jfb3(layers, cases_of(layers)), ctx, started)


# ------------------------------------------------------------------------------------------------ negative control


def non_contractive_cases(ctx: Context) -> list[tuple[str, object, float]]:
    """(name, layer, certified ρ ≥ 1): FB with τ ≥ 2/L, a non-injective A, an unconstrained PnP denoiser."""
    s = ctx.seed
    gen = generator(s + 70)
    n = 16
    x_bar = sparse_signals(1, n, gen, density=0.2)
    eye = torch.eye(n, dtype=DTYPE)
    cases = []
    op = ForwardBackward(eye, observe(eye, x_bar, 0.05, gen), make_prior("l1", n), tau=2.5, lam=0.05)
    cases.append(("FB ℓ1 denoising τ = 2.5 > 2/L", op, op.contraction(op.theta0)))
    mask = inpainting(n, keep=0.5, generator=gen).matrix.to(DTYPE)
    op = ForwardBackward(mask, observe(mask, x_bar, 0.05, gen), make_prior("l1", n), tau=1.0, lam=0.05)
    cases.append(("FB ℓ1 inpainting (A not injective, μ = 0)", op, op.contraction(op.theta0)))
    blurring = blur(n)
    op = PnPForwardBackward(blurring, observe(blurring, x_bar, 0.05, gen), FrameDenoiser(n, 2 * n, gen, lip=3.0),
                            tau=1.5, sigma=0.01)
    cases.append(("PnP-FB, unconstrained denoiser Lip(D) ≤ 3", op, op.contraction(op.theta0)))
    return cases


def check_non_contractive(ctx: Context) -> CheckResult:
    """Negative control: ρ ≥ 1 is flagged by the JFB-1 checker (rho<1 fails), so its bound is not claimed; the run
    is recorded (fixed-point divergence, local Jacobian norms above 1)."""
    started = time.perf_counter()
    rows, flagged, rhos = [], [], []
    for i, (name, op, rho) in enumerate(non_contractive_cases(ctx)):
        gen = generator(ctx.seed + 80 + i)
        fp = fixed_point(op, op.theta0, op.x_init(), tol=1e-12, max_iter=1000)
        big = op.x_init() + 5.0 * torch.randn(op.x_init().shape, generator=gen, dtype=DTYPE)
        local = power_iteration_norm(op, op.theta0, big, gen, iters=40)
        rhos.append(rho)
        rows.append({"case": name, "certified_rho": rho, "fixed_point_diverged": fp.diverged,
                     "fixed_point_converged": fp.converged, "local_jacobian_norm_far_from_x*": local})
    hold, ev, _ = evaluate("JFB-1", {"rho": rhos, "B_norm": [1.0] * len(rhos), "v_norm": [1.0] * len(rhos)})
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


def non_normal_tanh_layer(name: str, n: int, radius: float, coupling: float, seed: int) -> Layer:
    """T(x, θ) = tanh(Wx + θ) with W = radius·I + coupling·N (N the shift matrix, nilpotent): spectral radius
    `radius`, norm ≈ radius + coupling; near x* (θ small) A ≈ W."""
    gen = generator(seed)
    W = radius * torch.eye(n, dtype=DTYPE) + coupling * torch.diag(torch.ones(n - 1, dtype=DTYPE), 1)
    op = TanhLayer(W, torch.eye(n, dtype=DTYPE), torch.zeros(n, dtype=DTYPE),
                   0.1 * torch.randn(n, generator=gen, dtype=DTYPE))
    return Layer(name, op, op.theta0, torch.zeros((1, n), dtype=DTYPE), torch.randn((1, n), generator=gen, dtype=DTYPE),
                 op.certified_constants()["rho_0"], "tanh")


def check_spectral_radius(ctx: Context) -> CheckResult:
    """Negative control: ρ given as the spectral radius of A = ∂_xT(x*) (torchdeq's `sradius`) instead of a Lipschitz
    constant. On non-normal layers the JFB gap exceeds JFB-1's bound at that ρ, while it stays within the bound at
    ρ = ‖A‖₂: the bound must be fed an operator norm."""
    started = time.perf_counter()
    s = ctx.seed
    layers = [non_normal_tanh_layer("tanh n=6, W = 0.05·I + 0.85·shift", 6, 0.05, 0.85, s + 95),
              non_normal_tanh_layer("tanh n=4, W = 0.3·I + 0.6·shift", 4, 0.3, 0.6, s + 96),
              tanh_layer("tanh n=30 p=8 ρ₀=0.9", 30, 8, 0.9, s)]
    cases = cases_of(layers)
    gaps = [case.gap(jfb_gradient(layer.op, layer.theta, case.x_star, layer.loss_fn).grad)
            for layer, case in zip(layers, cases, strict=True)]
    radii = [float(torch.linalg.eigvals(case.A).abs().max()) for case in cases]
    values = {"B_norm": [c.B_norm for c in cases], "v_norm": [c.v_norm for c in cases]}
    hold_r, ev, by_radius = evaluate("JFB-1", {**values, "rho": radii})
    hold_n, _, by_norm = evaluate("JFB-1", {**values, "rho": [c.rho_local for c in cases]})
    gap_t = as_tensor(gaps)
    exceeded = hold_r & (gap_t > by_radius["gradient_gap_bound"] * (1 + 1e-9))
    norm_ok = bool((hold_n & (gap_t <= by_norm["gradient_gap_bound"] * (1 + 1e-9))).all())
    ratio = gap_t / by_radius["gradient_gap_bound"]
    rows = [{"layer": layer.name, "spectral_radius": radii[i], "operator_norm": cases[i].rho_local, "gap": gaps[i],
             "bound_at_radius": float(by_radius["gradient_gap_bound"][i]),
             "bound_at_norm": float(by_norm["gradient_gap_bound"][i]), "exceeded_at_radius": bool(exceeded[i])}
            for i, layer in enumerate(layers)]
    reacted = bool(exceeded.any()) and norm_ok
    worst = int(torch.argmax(ratio))
    return CheckResult(claim="JFB-1/spectral-radius", result_id="JFB-1",
                       verdict="reacted" if reacted else "did not react", ratio=float(ratio[worst]),
                       observed=gaps[worst], bound=float(by_radius["gradient_gap_bound"][worst]),
                       binding=ev.binding.name if ev.binding else None, hypotheses=hypothesis_records(ev),
                       instances=len(rows), seed=ctx.seed, device=str(ctx.device),
                       dtype=str(ctx.dtype).replace("torch.", ""), wall_time=time.perf_counter() - started,
                       details={"layers": rows, "within_bound_at_the_norm": norm_ok,
                                "note": "reacted ⇒ a spectral radius is not a valid ρ; the operator norm is"},
                       replay=replay_command("JFB-1/spectral-radius", ctx), versions=versions())


CLAIMS = (
    Claim("JFB-1/jfb-gap", "JFB-1", "JFB vs DEQ at x*: ‖g_DEQ − g_JFB‖ ≤ ρ/(1−ρ)‖B‖‖v‖ on tanh, FB and PnP layers",
          "property", single_threaded(check_jfb1)),
    Claim("JFB-1/non-contractive", "JFB-1", "ρ ≥ 1 (τ ≥ 2/L, non-injective A, unconstrained denoiser) is flagged",
          "negative control", single_threaded(check_non_contractive)),
    Claim("JFB-1/spectral-radius", "JFB-1", "ρ given as a spectral radius (torchdeq's sradius) breaks the bound on "
          "non-normal layers; the operator norm does not", "negative control", single_threaded(check_spectral_radius)),
    Claim("JFB-2/truncated-neumann", "JFB-2", "K-step JFB from x*: truncated-Neumann error ≤ ρ₀ᴷ/(1−ρ₀)‖B_T‖",
          "property", single_threaded(check_jfb2)),
    Claim("JFB-3/descent", "JFB-3", "JFB and K-step JFB are descent directions where JFB-3 certifies it",
          "property", single_threaded(check_jfb3)),
)
