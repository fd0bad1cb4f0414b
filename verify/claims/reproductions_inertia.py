"""Figures for the inertia family (03): measured DIN rates over an (α, β) grid against the encoded κ, and the
GF vs GD vs DIN vs discrete-algorithm comparison on the same instance."""

from __future__ import annotations

import time

import numpy as np
import torch

from numerics.inertial import fitted_rate
from numerics.instances import InstanceSpec, build_instance
from verify import figures
from verify.claims._base import Claim, Context, replay_command
from verify.claims._dip import evaluate
from verify.claims.inertia import din_parameters, din_run, inertia_bundles, instance_values, repeat_values
from verify.result import CheckResult, versions


def _grid(ctx: Context) -> np.ndarray:
    return np.array([0.25, 0.5, 1.0, 2.0, 4.0]) if ctx.profile == "quick" else np.geomspace(0.125, 8.0, 9)


def check_rate_grid(ctx: Context) -> CheckResult:
    """DIN on one network drawn like the shared instance, for (α, β) = (a·α*, b·β*) over a grid; fitted rate of f vs
    the encoded κ(α, β) = min{α, 2μβ/(1 + αβ + 2μβ²)} (IN-5), and looseness = measured / guaranteed."""
    started = time.perf_counter()
    bundle = inertia_bundles(ctx)[0]
    one = build_instance(InstanceSpec(**{**bundle.spec.to_dict(), "b": 1}), ctx.device, ctx.dtype)
    values = instance_values(one)
    alpha_opt, beta_opt = din_parameters(values)["optimal"]
    scales = _grid(ctx)
    pairs = [(a, b) for b in scales for a in scales]
    alpha = torch.tensor([a for a, _ in pairs], dtype=ctx.dtype) * alpha_opt
    beta = torch.tensor([b for _, b in pairs], dtype=ctx.dtype) * beta_opt
    settings = {f"{i}": (alpha[i:i + 1], beta[i:i + 1]) for i in range(len(pairs))}
    run = din_run(one, values, settings, bundle.lengths["din_time"], n_sigma_records=None)
    traj = run.trajectory
    measured = fitted_rate(traj.times, traj.loss).numpy()
    _, _, in5 = evaluate("IN-5", {**repeat_values(values, len(pairs)), "alpha": alpha, "beta": beta})
    guaranteed_loss_rate = in5["kappa"].reshape(-1).numpy()  # f(θ(t)) ≤ C e^{−κt}
    ratio = measured / guaranteed_loss_rate
    n = len(scales)
    fig, axes = figures.subplots(1, 2, figsize=(9.5, 3.8))
    for ax, grid, title in ((axes[0], measured.reshape(n, n), "measured rate of f"),
                            (axes[1], guaranteed_loss_rate.reshape(n, n), "encoded rate of f (IN-5)")):
        image = ax.imshow(grid, origin="lower", cmap="viridis")
        ax.set_xticks(range(n), [f"{s:g}" for s in scales], fontsize=7)
        ax.set_yticks(range(n), [f"{s:g}" for s in scales], fontsize=7)
        ax.set_xlabel("α / α*")
        ax.set_ylabel("β / β*")
        ax.set_title(title, fontsize=9)
        fig.colorbar(image, ax=ax, shrink=0.8)
    data = {"alpha_over_opt": [a for a, _ in pairs], "beta_over_opt": [b for _, b in pairs],
            "measured_rate": measured.tolist(), "encoded_rate": guaranteed_loss_rate.tolist(),
            "alpha_opt": float(alpha_opt), "beta_opt": float(beta_opt)}
    paths = figures.save(fig, data, ctx.out, "inertia_rate_grid")
    finite = ratio[np.isfinite(ratio)]
    return CheckResult(claim="IN-5/rate-grid", result_id="IN-5", verdict="recorded",
                       looseness=float(np.median(finite)) if finite.size else None, instances=len(pairs),
                       seed=ctx.seed, wall_time=time.perf_counter() - started,
                       details={**data, **paths, "caption": "Fitted exponential rate of the loss along DIN for a "
                                "grid of (α, β) around the encoded optimum (left) and the rate IN-5 guarantees "
                                "(right); looseness = median measured/guaranteed."},
                       replay=replay_command("IN-5/rate-grid", ctx), versions=versions())


def check_comparison_curves(ctx: Context) -> CheckResult:
    """GF vs GD vs DIN vs IGAHD-SC vs the adaptive method on the same instance: loss against gradient evaluations."""
    started = time.perf_counter()
    bundle = inertia_bundles(ctx)[0]
    fig, ax = figures.subplots(figsize=(6, 3.8))
    curves = {
        "gradient flow (GD, small step)": (bundle.flow.trajectory.steps, bundle.flow.trajectory.loss[0]),
        "GD, γ = 1/L (certified)": (bundle.gd_certified.steps, bundle.gd_certified.loss[0]),
        "GD, γ = 1/L̂": (bundle.gd_estimate.steps, bundle.gd_estimate.loss[0]),
        "DIN at (α*, β*) (RK4: 4 evals/step)": (4 * bundle.din.trajectory.steps, bundle.din.trajectory.loss[0]),
        "IGAHD-SC, s from (26)": (bundle.igahd.steps, bundle.igahd.loss[0]),
        "IGAHD-SC, s = 1/L̂": (bundle.igahd.steps, bundle.igahd.loss[bundle.spec.b]),
    }
    data = {}
    for i, (name, (steps, loss)) in enumerate(curves.items()):
        loss = loss.detach().cpu()
        keep = torch.isfinite(loss) & (loss > 0)
        ax.loglog(steps.cpu()[keep].double() + 1, loss[keep], color=f"C{i}", label=name)
        data[name] = {"gradient_evaluations": steps.tolist(), "loss": loss.tolist()}
    ax.set_xlabel("gradient evaluations + 1")
    ax.set_ylabel("f(θ)")
    ax.set_title("GF vs GD vs DIN vs inertial algorithms (same instance)")
    ax.legend(fontsize=6)
    paths = figures.save(fig, data, ctx.out, "inertia_comparison")
    return CheckResult(claim="IN-5/comparison-curves", result_id="IN-5", verdict="recorded", instances=1,
                       seed=ctx.seed, wall_time=time.perf_counter() - started,
                       details={**paths, "caption": "Loss against gradient evaluations on the first network of the "
                                "shared inertia instance (the comparison table is under IN-5's comparison claim)."},
                       replay=replay_command("IN-5/comparison-curves", ctx), versions=versions())


CLAIMS = (
    Claim("IN-5/rate-grid", "IN-5", "DIN rates over an (α, β) grid against the encoded κ (figure)", "experiment",
          check_rate_grid),
    Claim("IN-5/comparison-curves", "IN-5", "GF vs GD vs DIN vs discrete algorithms on one instance (figure)",
          "experiment", check_comparison_curves),
)
