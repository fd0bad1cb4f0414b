"""Claims for JFB-1 … JFB-3 and the equilibrium layers of each profile; the other JFB claims are in
`equilibrium_modes` (JFB-4, JFB-5, the mode table), `equilibrium_bilevel` (bilevel learning, JFB-6) and
`equilibrium_schemes` (JFB-7, JFB-8).

The layers and their certified constants come from `numerics.setup_equilibrium`. Every bound is evaluated by the
checker of its result; ½‖x − x̄‖² is the inner loss (L_ℓ = 1) except in the bilevel runs (MSE).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ipverify.numerics.fixed_point import DTYPE, fixed_point, power_iteration_norm, spectral_norm
from ipverify.numerics.gradient_modes import EquilibriumCase, jfb_gradient, k_step_gradient, unrolled_jacobian
from ipverify.numerics.setup_equilibrium import (
    Layer,
    as_tensor,
    cases_of,
    diverged_cases,
    equilibrium_layers,
    generator,
    larger_equilibrium_layers,
    non_contractive_cases,
    non_normal_tanh_layer,
    small_rho_layers,
    tanh_layer,
)
from ipverify.verify.claims.kit import (
    Claim,
    Comparison,
    Context,
    Judgement,
    Outcome,
    aggregate,
    binding,
    evaluate,
    hypothesis_records,
    single_threaded,
)

# ------------------------------------------------------------------------------------------------------------ layers


def profile_layers(ctx: Context) -> list[Layer]:
    """Contractive layers of every family (quick: a few of each; full: more and larger)."""
    layers = equilibrium_layers(ctx.seed)
    return layers if ctx.quick else layers + larger_equilibrium_layers(ctx.seed)


def smooth_layers(ctx: Context) -> list[Layer]:
    """Layers with per-layer constants for JFB-4/5 (tanh: certified; Tikhonov FB: affine, on a ball)."""
    return [layer for layer in profile_layers(ctx) if layer.kind is not None]


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
                     binding=binding(ev)[0], hypotheses=hypothesis_records(ev),
                     details={"layers": rows})


def check_jfb1(ctx: Context) -> Outcome:
    layers = profile_layers(ctx)
    return aggregate(judge_jfb1(layers, cases_of(layers)), ctx)


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
                     binding=binding(ev)[0], hypotheses=hypothesis_records(ev),
                     details={"layers": rows})


def check_jfb2(ctx: Context) -> Outcome:
    layers = profile_layers(ctx)
    return aggregate(judge_jfb2(layers, cases_of(layers), depths(ctx)), ctx)


# ------------------------------------------------------------------------------------------------------------ JFB-3


def descent_layers(ctx: Context) -> list[Layer]:
    """Layers where JFB-3's sufficient condition can hold for JFB itself (small ρ) plus the usual ones (JFB on Φ_K)."""
    return small_rho_layers(ctx.seed) + profile_layers(ctx)[:4]


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
                     binding=binding(ev_1)[0], hypotheses=hypothesis_records(ev_K),
                     details={"layers": rows, "jfb_certified": int(hold_1.sum()), "K_certified": int(hold_K.sum()),
                              "note": "an instance is judged only where JFB-3 certifies it (JFB on Φ₁ or Φ_K)"})


def check_jfb3(ctx: Context) -> Outcome:
    layers = descent_layers(ctx)
    return aggregate(judge_jfb3(layers, cases_of(layers)), ctx)


# ------------------------------------------------------------------------------------------------ negative control


def check_non_contractive(ctx: Context) -> Outcome:
    """Negative control: ρ ≥ 1 is flagged by the JFB-1 checker (rho<1 fails), so its bound is not claimed; the run
    is recorded (fixed-point divergence, local Jacobian norms above 1)."""
    rows, flagged, rhos = [], [], []
    for i, (name, op, rho) in enumerate(non_contractive_cases(ctx.seed)):
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
    return Outcome("reacted" if reacted else "did not react", binding=binding(ev)[0],
                   hypotheses=hypothesis_records(ev), instances=len(rows),
                   details={"cases": rows, "note": "flagged ⇒ the JFB-1 bound is not claimed"})


def check_spectral_radius(ctx: Context) -> Outcome:
    """Negative control: ρ given as the spectral radius of A = ∂_xT(x*) (torchdeq's `sradius`) instead of a Lipschitz
    constant. On non-normal layers the JFB gap exceeds JFB-1's bound at that ρ, while it stays within the bound at
    ρ = ‖A‖₂: the bound must be fed an operator norm."""
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
    return Outcome("reacted" if reacted else "did not react", ratio=float(ratio[worst]), observed=gaps[worst],
                   bound=float(by_radius["gradient_gap_bound"][worst]), binding=binding(ev)[0],
                   hypotheses=hypothesis_records(ev), instances=len(rows),
                   details={"layers": rows, "within_bound_at_the_norm": norm_ok,
                            "note": "reacted ⇒ a spectral radius is not a valid ρ; the operator norm is"})


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
