"""Figures for the equilibrium family (04): gradient gaps against ρ with their bounds, and bilevel learning curves."""

from __future__ import annotations

import time

import numpy as np
import torch

from numerics.gradient_modes import bilevel_learn, denoising_problem
from verify import figures
from verify.claims._base import Claim, Comparison, Context, Judgement, aggregate, replay_command
from verify.claims.equilibrium import _cases, mode_table, single_threaded, tanh_layer
from verify.result import CheckResult, versions

MODES = ("jfb", "grad=K", "unrolled", "restarted")


def _rhos(ctx: Context) -> list[float]:
    return [0.3, 0.5, 0.7, 0.8, 0.9, 0.95] if ctx.profile == "quick" else list(np.linspace(0.2, 0.97, 14))


@single_threaded
def check_gap_vs_rho(ctx: Context) -> CheckResult:
    """‖g_mode − g_DEQ‖ against the contraction factor ρ₀ of a tanh layer (04 §8.3 test problem), each with the
    bound of its result (JFB-1 for JFB, JFB-2 for grad=K, JFB-4 unrolled, JFB-5 restarted, K = 5, T = 2)."""
    started = time.perf_counter()
    rows = []
    for i, rho in enumerate(figures.progress(_rhos(ctx), "sweep rho")):
        layer = tanh_layer(f"tanh n=30 p=8 ρ₀={rho:.2f}", 30, 8, float(rho), ctx.seed + 500 + i)
        (case,) = _cases([layer])
        rows += [dict(row, rho=float(rho)) for row in mode_table(layer, case, 5, [2], ctx.seed + i, repeats=1)
                 if row["mode"] in MODES]
    fig, ax = figures.subplots(figsize=(5.5, 3.8))
    for j, mode in enumerate(MODES):
        mine = [r for r in rows if r["mode"] == mode]
        ax.semilogy([r["rho"] for r in mine], [r["error"] for r in mine], "o-", color=f"C{j}", label=f"{mode}")
        bounded = [r for r in mine if r["bound"] is not None]
        ax.semilogy([r["rho"] for r in bounded], [r["bound"] for r in bounded], "--", color=f"C{j}")
    ax.set_xlabel("ρ₀ (contraction of one layer)")
    ax.set_ylabel("‖g − g_DEQ‖ (solid) and bound (dashed)")
    ax.set_title("Gradient gap against ρ, K = 5, T = 2")
    ax.legend(fontsize=7)
    paths = figures.save(fig, {"rows": rows}, ctx.out, "equilibrium_gap_vs_rho")
    bounded = [r for r in rows if r["bound"] is not None]
    j = Judgement("JFB-1/gap-vs-rho", "JFB-1", torch.tensor([True]), [Comparison(
        "‖g_mode − g_DEQ‖ ≤ bound", torch.tensor([[r["error"] for r in bounded]], dtype=torch.float64),
        torch.tensor([[r["bound"] for r in bounded]], dtype=torch.float64))], torch.tensor([False]),
        details={"gaps": rows, **paths, "caption": "Measured gradient gaps (solid) and their encoded bounds "
                 "(dashed) for JFB (JFB-1), K-step JFB (JFB-2), unrolled AD (JFB-4) and restarted JFB (JFB-5)."})
    return aggregate(j, ctx, started, replay_command(j.claim, ctx), ctx.seed)


@single_threaded
def check_bilevel_curves(ctx: Context) -> CheckResult:
    """Bilevel learning of (τ, λ) for denoising: the outer loss along the steps, and the distance of the learned
    parameters to DEQ's, for DEQ, JFB, unrolled AD and restarted JFB (T = 2, 20)."""
    started = time.perf_counter()
    steps = 20 if ctx.profile == "quick" else 60
    problem = denoising_problem(seed=ctx.seed, tau=1.5, lam=0.05)
    runs = {"DEQ (ift)": bilevel_learn(problem, "ift", K=5, steps=steps, solver="iterative"),
            "JFB": bilevel_learn(problem, "jfb", K=5, steps=steps),
            "unrolled (K = 5)": bilevel_learn(problem, "unrolled", K=5, steps=steps)}
    for T in (2, 20):
        runs[f"restarted (K = 5, T = {T})"] = bilevel_learn(problem, "restarted", K=5, T_blocks=T, steps=steps)
    deq = runs["DEQ (ift)"].thetas
    fig, axes = figures.subplots(1, 2, figsize=(9, 3.5))
    data = {}
    for i, (name, run) in enumerate(runs.items()):
        distance = (run.thetas - deq[: len(run.thetas)]).norm(dim=1)
        axes[0].semilogy(run.train_loss.numpy(), color=f"C{i}", label=name)
        axes[1].semilogy(np.arange(len(distance)), distance.numpy() + 1e-16, color=f"C{i}", label=name)
        data[name] = {"train_loss": run.train_loss.tolist(), "distance_to_deq": distance.tolist(),
                      "learned": torch.exp(run.theta).tolist(), "diverged": run.diverged}
    axes[0].set_xlabel("outer step")
    axes[0].set_ylabel("training loss")
    axes[1].set_xlabel("outer step")
    axes[1].set_ylabel("‖θ_mode − θ_DEQ‖")
    axes[1].legend(fontsize=7)
    fig.suptitle("Bilevel learning of (τ, λ), denoising")
    paths = figures.save(fig, data, ctx.out, "equilibrium_bilevel_curves")
    finals = {name: d["distance_to_deq"][-1] for name, d in data.items() if name != "DEQ (ift)"}
    return CheckResult(claim="JFB-5/bilevel-curves", result_id="JFB-5", verdict="recorded", instances=len(runs),
                       seed=ctx.seed, device="cpu", wall_time=time.perf_counter() - started,
                       details={**paths, "final_distance_to_deq": finals, "caption": "Outer training loss and "
                                "distance of the learned (log τ, log λ) to the DEQ-learned ones, per outer step."},
                       replay=replay_command("JFB-5/bilevel-curves", ctx), versions=versions())


CLAIMS = (
    Claim("JFB-1/gap-vs-rho", "JFB-1", "Gradient gaps of every mode against ρ, with their bounds (figure)",
          "experiment", check_gap_vs_rho),
    Claim("JFB-5/bilevel-curves", "JFB-5", "Bilevel learning curves of DEQ, JFB, unrolled and restarted (figure)",
          "experiment", check_bilevel_curves),
)
