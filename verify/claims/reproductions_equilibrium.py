"""Figures for the equilibrium family (JFB-*): gradient gaps against ρ with their bounds, and bilevel learning
curves."""

from __future__ import annotations

import numpy as np
import torch

from ipverify.numerics.gradient_modes import bilevel_learn, denoising_problem
from ipverify.numerics.setup_equilibrium import cases_of, tanh_layer
from ipverify.verify import _style, figures  # noqa: F401  (_style: the figures' font sizes)
from ipverify.verify.claims.equilibrium_modes import mode_table
from ipverify.verify.claims.kit import Claim, Comparison, Context, Judgement, Outcome, aggregate, single_threaded

MODES = ("jfb", "grad=K", "unrolled", "restarted")
NAMES = {"jfb": "JFB (JFB-1)", "grad=K": "K-step JFB (JFB-2)", "unrolled": "unrolled (JFB-4)",
         "restarted": "restarted JFB (JFB-5)"}
"""The papers' names of the gradient modes, with the result that bounds each one's gap to DEQ's gradient."""
COINCIDE = 1e-2
"""Relative difference under which two gaps are one point on the log axis (1% is 0.004 decades)."""
STYLES = {"jfb": ("o", "-", 7), "grad=K": ("s", "-", 11), "unrolled": ("^", "-", 7), "restarted": ("x", ":", 9)}
"""Marker, line style and marker size: K-step JFB has a large hollow square under restarted JFB's cross, so that
both stay visible where the two gaps coincide."""


def _rhos(ctx: Context) -> list[float]:
    return [0.3, 0.5, 0.7, 0.8, 0.9, 0.95] if ctx.profile == "quick" else list(np.linspace(0.2, 0.97, 14))


@single_threaded
def check_gap_vs_rho(ctx: Context) -> Outcome:
    """‖g_mode − g_DEQ‖ against the contraction factor ρ₀ of a random tanh layer, each with the
    bound of its result (JFB-1 for JFB, JFB-2 for grad=K, JFB-4 unrolled, JFB-5 restarted, K = 5, T = 2)."""
    rows = []
    for i, rho in enumerate(figures.progress(_rhos(ctx), "sweep rho")):
        layer = tanh_layer(f"tanh n=30 p=8 ρ₀={rho:.2f}", 30, 8, float(rho), ctx.seed + 500 + i)
        (case,) = cases_of([layer])
        rows += [dict(row, rho=float(rho)) for row in mode_table(layer, case, 5, [2], ctx.seed + i, repeats=1)
                 if row["mode"] in MODES]
    fig, ax = figures.subplots(figsize=(7, 4.6))
    for j, mode in enumerate(MODES):
        mine = [r for r in rows if r["mode"] == mode]
        marker, ls, size = STYLES[mode]
        ax.semilogy([r["rho"] for r in mine], [r["error"] for r in mine], marker=marker, ls=ls, ms=size, lw=2,
                    color=f"C{j}", mfc="none" if mode == "grad=K" else f"C{j}", label=NAMES[mode])
        bounded = [r for r in mine if r["bound"] is not None]
        ax.semilogy([r["rho"] for r in bounded], [r["bound"] for r in bounded], "--", color=f"C{j}", lw=1.2)
    ax.plot([], [], "k--", lw=1.2, label="its bound (dashed, same colour)")
    ax.set_xlabel("ρ₀ (contraction factor of the layer)")
    ax.set_ylabel("‖g_mode − g_DEQ‖")
    ax.set_title("Gradient gap to DEQ's gradient against ρ₀ (K = 5, T = 2)")
    ax.legend(loc="upper left", framealpha=0.9)
    gap = {mode: np.array([r["error"] for r in rows if r["mode"] == mode]) for mode in ("grad=K", "restarted")}
    agree = float(np.max(np.abs(gap["grad=K"] - gap["restarted"]) / np.abs(gap["restarted"])))
    paths = figures.save(fig, {"rows": rows, "relative_difference_kstep_restarted": agree}, ctx.out,
                         "equilibrium_gap_vs_rho")
    same = (f"K-step JFB and restarted JFB coincide at this scale (relative difference ≤ {agree:.1e}): the hollow "
            "squares lie under the crosses. " if agree < COINCIDE else "")
    bounded = [r for r in rows if r["bound"] is not None]
    j = Judgement("JFB-1/gap-vs-rho", "JFB-1", torch.tensor([True]), [Comparison(
        "‖g_mode − g_DEQ‖ ≤ bound", torch.tensor([[r["error"] for r in bounded]], dtype=torch.float64),
        torch.tensor([[r["bound"] for r in bounded]], dtype=torch.float64))], torch.tensor([False]),
        details={"gaps": rows, **paths, "relative_difference_kstep_restarted": agree, "caption": (
            "Distance of each mode's gradient to DEQ's (implicit) gradient against the contraction factor ρ₀ of a "
            "random tanh layer (markers), and the bound of its result (dashed, same colour): JFB (JFB-1), K-step "
            "JFB (JFB-2), unrolled (JFB-4), restarted JFB (JFB-5), K = 5, T = 2. " + same
            + ("Every gap stays below its bound." if all(r["error"] <= r["bound"] for r in bounded) else
               "Some gap exceeds its bound (see the verdict)."))})
    return aggregate(j, ctx)


DEQ = "DEQ (implicit gradient)"


@single_threaded
def check_bilevel_curves(ctx: Context, *, steps: int | None = None) -> Outcome:
    """Bilevel learning of (τ, λ) for denoising: the outer loss along the steps, and the distance of the learned
    parameters to DEQ's, for DEQ, JFB, unrolled AD and restarted JFB (T = 2, 20)."""
    steps = steps or (20 if ctx.profile == "quick" else 60)
    problem = denoising_problem(seed=ctx.seed, tau=1.5, lam=0.05)
    runs = {DEQ: bilevel_learn(problem, "ift", K=5, steps=steps, solver="iterative"),
            "JFB": bilevel_learn(problem, "jfb", K=5, steps=steps),
            "unrolled (K = 5)": bilevel_learn(problem, "unrolled", K=5, steps=steps)}
    for T in (2, 20):
        runs[f"restarted JFB (K = 5, T = {T})"] = bilevel_learn(problem, "restarted", K=5, T_blocks=T, steps=steps)
    deq = runs[DEQ].thetas
    fig, axes = figures.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    data = {}
    # DEQ drawn wide and pale, the others over it with their own dashes: curves that coincide stay visible
    looks = [dict(lw=6, alpha=0.35), dict(lw=2, ls="--"), dict(lw=2), dict(lw=2, ls="-."), dict(lw=2.5, ls=":")]
    for i, ((name, run), look) in enumerate(zip(runs.items(), looks, strict=True)):
        distance = (run.thetas - deq[: len(run.thetas)]).norm(dim=1)
        axes[0].plot(run.train_loss.numpy(), color=f"C{i}", label=name, **look)
        if name != DEQ:  # DEQ's distance to itself is 0; every run starts at DEQ's θ₀ (distance 0 at step 0)
            axes[1].semilogy(np.arange(1, len(distance)), distance.numpy()[1:], color=f"C{i}", label=name, **look)
        data[name] = {"train_loss": run.train_loss.tolist(), "distance_to_deq": distance.tolist(),
                      "learned": torch.exp(run.theta).tolist(), "diverged": run.diverged}
    axes[0].set_xlabel("outer step")
    axes[0].set_ylabel("outer training loss")
    axes[0].set_title("Training loss")
    axes[0].legend()
    axes[1].set_xlabel("outer step")
    axes[1].set_ylabel("‖θ_mode − θ_DEQ‖, θ = (log τ, log λ)")
    axes[1].set_title("Distance of the learned parameters to DEQ's")
    axes[1].legend()
    fig.suptitle("Bilevel learning of the denoiser's (τ, λ)")
    paths = figures.save(fig, data, ctx.out, "equilibrium_bilevel_curves")
    finals = {name: d["distance_to_deq"][-1] for name, d in data.items() if name != DEQ}
    close = [name for name, d in data.items() if name != DEQ and max(d["distance_to_deq"]) < 1e-4]
    caption = ("Bilevel learning of the denoiser's (τ, λ) with DEQ's implicit gradient, JFB, unrolled "
               "differentiation and restarted JFB: the outer training loss per outer step (left) and the distance of "
               "each method's learned (log τ, log λ) to DEQ's (right, from step 1: all start at the same θ₀; DEQ "
               "itself is the reference, so it has no curve). ")
    if close:
        caption += ", ".join(close) + " stay within 1e-4 of DEQ's parameters, so their loss curves lie on DEQ's " \
                                      "(wide pale line)."
    return Outcome("recorded", instances=len(runs),
                   details={**paths, "final_distance_to_deq": finals, "caption": caption})


CLAIMS = (
    Claim("JFB-1/gap-vs-rho", "JFB-1", "Gradient gaps of every mode against ρ, with their bounds (figure)",
          "experiment", check_gap_vs_rho),
    Claim("JFB-5/bilevel-curves", "JFB-5", "Bilevel learning curves of DEQ, JFB, unrolled and restarted (figure)",
          "experiment", check_bilevel_curves, device="cpu"),
)
