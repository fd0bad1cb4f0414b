"""Claims on the contraction of the schemes themselves: forward–backward steps with convex and strongly convex priors
(JFB-7) and damped layers (1 − τ)I + τT, torchdeq's `tau` (JFB-8), with the undamped bound as a negative control."""

from __future__ import annotations

import math

import numpy as np
import torch

from ipverify.numerics.fixed_point import (
    DTYPE,
    Damped,
    difference_quotient,
    fixed_point,
    jacobian_x,
    power_iteration_norm,
    stacked_norm_x,
)
from ipverify.numerics.gradient_modes import deq_gradient, k_step_gradient
from ipverify.numerics.setup_equilibrium import (
    Layer,
    as_tensor,
    cases_of,
    damped_layers,
    fb_operators,
    generator,
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

# ------------------------------------------------------------------------------------------------------------ JFB-7


def check_fb_contraction(ctx: Context) -> Outcome:
    """JFB-7: every measured Lipschitz ratio of T (difference quotients, local Jacobian norms, Picard residual ratios)
    stays below ρ_FB = max(|1 − τμ|, |1 − τL|)/(1 + τλ_sc), and on the affine (Tikhonov) layers the exact Jacobian
    norm reaches ρ_FB (the bound is attained, so a missing 1/(1 + τλ_sc) factor would be caught)."""
    pairs = 32 if ctx.profile == "quick" else 256
    rows, values, quotients, locals_, residual_ratios, exact, affine = [], [], [], [], [], [], []
    for i, (name, op) in enumerate(fb_operators(ctx.seed, 7 if ctx.quick else 9)):
        gen = generator(ctx.seed + 60 + i)
        mu, L = op.spectrum()
        tau = math.exp(float(op.theta0[0]))
        values.append({"tau_FB": tau, "mu_FB": mu, "L_FB": L, "lambda_sc": op.strong_convexity(op.theta0)})
        n = op.n
        x = op.x_init() + torch.randn((pairs, n), generator=gen, dtype=DTYPE)
        step = 10 ** torch.empty((pairs, 1), dtype=DTYPE).uniform_(-3, 0, generator=gen)
        x2 = x + step * torch.randn((pairs, n), generator=gen, dtype=DTYPE)
        quotients.append(float(difference_quotient(op, op.theta0, x, x2).max()))  # rows share the observation y
        locals_.append(max(power_iteration_norm(op, op.theta0, x[j:j + 1], gen, iters=40) for j in range(3)))
        exact.append(stacked_norm_x(jacobian_x(op, op.theta0, op.x_init())))
        affine.append(op.prior.name == "tikhonov")
        fp = fixed_point(op, op.theta0, op.x_init(), tol=1e-12, max_iter=5000)
        r = fp.residuals
        ok = r[:-1] > 1e-4 * max(1.0, float(fp.x.norm()))  # above the floor where rounding moves the ratio
        residual_ratios.append(float((r[1:][ok] / r[:-1][ok]).max()) if bool(ok.any()) else 0.0)
        rows.append({"operator": name, "tau": tau, "mu": mu, "L": L, "lambda_sc": values[-1]["lambda_sc"]})
    hold, ev, concl = evaluate("JFB-7", {k: [v[k] for v in values] for k in ("tau_FB", "mu_FB", "L_FB", "lambda_sc")})
    rho = concl["rho_FB_value"]
    for row, r, q, loc, ex, rr in zip(rows, rho.tolist(), quotients, locals_, exact, residual_ratios, strict=True):
        row.update({"rho_FB": r, "max_difference_quotient": q, "max_local_jacobian_norm": loc,
                    "exact_jacobian_norm_at_x_init": ex, "max_residual_ratio": rr})
    comparisons = [
        Comparison("‖T(x) − T(x′)‖/‖x − x′‖ ≤ ρ_FB", as_tensor(quotients), rho),
        Comparison("local ‖∂_xT‖₂ ≤ ρ_FB", as_tensor(locals_), rho),
        Comparison("Picard residual ratio ≤ ρ_FB", as_tensor(residual_ratios), rho),
        Comparison("Tikhonov (affine) layers: exact ‖∂_xT‖₂ ≥ ρ_FB (attained)", as_tensor(exact), rho, lower=True,
                   valid=torch.tensor(affine).reshape(-1, 1)),
    ]
    j = Judgement("JFB-7/fb-contraction", "JFB-7", hold, comparisons, torch.zeros(len(rows), dtype=torch.bool),
                  binding=binding(ev)[0], hypotheses=hypothesis_records(ev),
                  details={"operators": rows, "certified": int(np.asarray(hold).sum()),
                           "note": "the prox only lowers the measured ratios of the convex priors; a Tikhonov layer is "
                                   "affine with Jacobian (I − τAᵀA)/(1 + τλ), so its norm is ρ_FB exactly"})
    return aggregate(j, ctx)


# ------------------------------------------------------------------------------------------------------------ JFB-8


def profile_damped_layers(ctx: Context) -> list[Layer]:
    return damped_layers(ctx.seed, 5 if ctx.quick else 6)


def damped_grid(ctx: Context) -> tuple[list[float], list[int]]:
    return ([0.5, 0.8], [1, 2, 5]) if ctx.profile == "quick" else ([0.3, 0.5, 0.8, 1.0], [1, 2, 3, 5, 10])


def damped_runs(layers: list[Layer], dampings: list[float], Ks: list[int]) -> dict:
    """K damped steps from x* (torchdeq grad=K with `tau`) for every (layer, τ): gaps to the DEQ gradient, the DEQ
    gradient of the damped layer, and the exact ‖∂_xT_τ(x*)‖₂."""
    cases = cases_of(layers)
    out = {"layer": [], "tau": [], "gaps": [], "deq_shift": [], "local_norm": [], "case": []}
    for layer, case in zip(layers, cases, strict=True):
        for tau in dampings:
            damped = Damped(layer.op, tau)
            out["layer"].append(layer)
            out["case"].append(case)
            out["tau"].append(tau)
            out["gaps"].append([case.gap(k_step_gradient(damped, layer.theta, case.x_star, layer.loss_fn, K).grad)
                                for K in Ks])
            out["deq_shift"].append(case.gap(deq_gradient(damped, layer.theta, case.x_star, layer.loss_fn).grad))
            out["local_norm"].append(stacked_norm_x(jacobian_x(damped, layer.theta, case.x_star)))
    return out


def _values(runs: dict, Ks: list[int], rho_key: str) -> dict:
    b = len(runs["tau"])
    rho = [layer.rho if rho_key == "certified" else case.rho_local
           for layer, case in zip(runs["layer"], runs["case"], strict=True)]
    return {"rho_0": rho, "K_layers": np.tile(np.asarray(Ks, dtype=float), (b, 1)),
            "B_T_norm": [c.B_norm for c in runs["case"]], "v_norm": [c.v_norm for c in runs["case"]]}


def judge_damped(layers: list[Layer], dampings: list[float], Ks: list[int],
                 claim_id: str = "JFB-8/damped") -> Judgement:
    """JFB-8: damped JFB / damped K-step JFB from x* stay within ρ_τᴷ/(1 − ρ₀)‖B_T‖‖v‖, ‖∂_xT_τ(x*)‖₂ ≤ ρ_τ, and the
    DEQ gradient of the damped layer is the undamped one."""
    runs = damped_runs(layers, dampings, Ks)
    values = _values(runs, Ks, "certified")
    hold, ev, bound = evaluate("JFB-8", {**values, "tau_damp": runs["tau"]})
    cases = runs["case"]
    scale = as_tensor([c.g_norm + c.B_norm * c.v_norm for c in cases])
    comparisons = [
        Comparison("‖g_DEQ − g_K^τ‖ ≤ ρ_τᴷ/(1 − ρ₀)‖B_T‖‖v‖ (JFB-8)", as_tensor(runs["gaps"]),
                   bound["gradient_gap_bound"], scale=scale[:, None]),
        Comparison("‖∂_xT_τ(x*)‖₂ ≤ ρ_τ = 1 − τ(1 − ρ₀)", as_tensor(runs["local_norm"]), bound["rho_damped"][:, 0]),
        Comparison("DEQ gradient of T_τ = DEQ gradient of T", as_tensor(runs["deq_shift"]),
                   torch.zeros(len(cases), dtype=torch.float64), scale=as_tensor([c.g_norm for c in cases])),
    ]
    rows = [{"layer": layer.name, "tau": tau, "K": Ks, "gap": gaps, "bound": bound["gradient_gap_bound"][i].tolist()}
            for i, (layer, tau, gaps) in enumerate(zip(runs["layer"], runs["tau"], runs["gaps"], strict=True))]
    diverged = torch.tensor([c.diverged or not c.converged for c in cases])
    return Judgement(claim_id, "JFB-8", hold, comparisons, diverged, binding=binding(ev)[0],
                     hypotheses=hypothesis_records(ev), details={"runs": rows, "dampings": dampings, "K": Ks})


def check_damped(ctx: Context) -> Outcome:
    dampings, Ks = damped_grid(ctx)
    return aggregate(judge_damped(profile_damped_layers(ctx), dampings, Ks), ctx)


def check_undamped_bound(ctx: Context) -> Outcome:
    """Negative control: the same damped runs judged against JFB-2's undamped bound ρ₀ᴷ/(1 − ρ₀)‖B_T‖‖v‖ with the
    exact local norm ρ₀ = ‖∂_xT(x*)‖₂: some run must exceed it (the undamped bound is not valid for a damped run)."""
    dampings, Ks = damped_grid(ctx)
    dampings = [t for t in dampings if t < 1] or [0.5]
    runs = damped_runs(profile_damped_layers(ctx), dampings, Ks)
    hold, ev, bound = evaluate("JFB-2", _values(runs, Ks, "local"))
    gaps = as_tensor(runs["gaps"])
    undamped = torch.as_tensor(bound["gradient_gap_bound"], dtype=torch.float64)
    ratio = torch.where(undamped > 0, gaps / undamped, torch.inf)
    exceeded = (gaps > undamped * (1 + 1e-9)).any(dim=1) & torch.as_tensor(np.asarray(hold, dtype=bool))
    worst = int(torch.argmax(ratio.max(dim=1).values))
    rows = [{"layer": layer.name, "tau": tau, "K": Ks, "gap": g, "undamped_bound": undamped[i].tolist(),
             "exceeded": bool(exceeded[i])}
            for i, (layer, tau, g) in enumerate(zip(runs["layer"], runs["tau"], runs["gaps"], strict=True))]
    reacted = bool(exceeded.any())
    return Outcome("reacted" if reacted else "did not react", ratio=float(ratio.max()),
                   observed=float(gaps[worst].max()), bound=float(undamped[worst][int(torch.argmax(ratio[worst]))]),
                   binding=binding(ev)[0], hypotheses=hypothesis_records(ev), instances=len(rows),
                   details={"runs": rows, "exceeded_runs": int(exceeded.sum()),
                            "note": "reacted ⇒ a damped run broke JFB-2's undamped bound: use JFB-8 with τ"})


CLAIMS = (
    Claim("JFB-7/fb-contraction", "JFB-7", "FB contraction: ρ_FB = ‖I − τAᵀA‖/(1 + τλ_sc) bounds every measured "
          "Lipschitz ratio and is attained on Tikhonov layers", "property", single_threaded(check_fb_contraction)),
    Claim("JFB-8/damped", "JFB-8", "damped layers (1 − τ)I + τT: JFB and K-step JFB within ρ_τᴷ/(1 − ρ₀)‖B_T‖‖v‖",
          "property", single_threaded(check_damped)),
    Claim("JFB-8/undamped-bound", "JFB-8", "damped runs judged by the undamped bound (JFB-2) exceed it",
          "negative control", single_threaded(check_undamped_bound)),
)

