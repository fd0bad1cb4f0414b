"""The papers' experiments for GF-*/GD-* (01 §8, 02 §7), each one claim writing one figure and its data.

Protocol (01 §8.2, 02 §7.2; ours where the papers' details are unconfirmed): Gaussian A with iid N(0, 1/n)
entries, x̄ ~ N(0, I_n) independent of the network, noiseless y = A x̄, tanh, W(0) ~ N(0,1), V(0) Rademacher,
full-batch GD with η = c/(‖A‖²‖J₀‖²). A run converged if ‖y(T) − y‖ < threshold·‖y(0) − y‖. Profiles:
quick (c = 0.5, 2000 steps, threshold 1e-3, few repeats) and full (c = 0.2, 20000 steps, threshold 1e-6, 50
repeats). Looseness = theory / practice is reported, never asserted.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import torch

from numerics.activations import get_activation
from numerics.experiments import descent_run
from numerics.instances import InstanceSpec
from numerics.operators import LinearOperator
from numerics.trainers import gradient_descent
from numerics.two_layer import init_two_layer, jacobian_norm
from verify import figures
from verify.claims._base import Claim, Context, aggregate, replay_command
from verify.claims._dip import evaluate, judge_early_stopping
from verify.result import CheckResult, versions


def _protocol(ctx: Context) -> dict:
    if ctx.profile == "quick":
        return {"c": 0.5, "steps": 2000, "threshold": 1e-3, "repeats": 8, "ns": (4, 8, 12),
                "ks": (1, 2, 4, 8, 16, 32, 64), "ms": (2, 4, 6), "n_fixed": 8}
    return {"c": 0.2, "steps": 20000, "threshold": 1e-6, "repeats": 50, "ns": (4, 8, 16, 32),
            "ks": (1, 2, 4, 8, 16, 32, 64, 128, 256, 512), "ms": (2, 4, 8, 12, 16), "n_fixed": 16}


def _success_rate(n: int, m: int, k: int, ctx: Context, proto: dict, seed: int) -> tuple[float, object]:
    spec = InstanceSpec(n=n, m=m, d=4, k=k, b=proto["repeats"], target="gaussian", operator="gaussian", seed=seed)
    run = descent_run(spec, proto["c"], proto["steps"], curvature="gauss-newton", device=ctx.device,
                      dtype=ctx.dtype, sigma_every=None, record_every=proto["steps"], record_x=False)
    res = run.trajectory.residual
    ok = (res[:, -1] < proto["threshold"] * res[:, 0]) & ~run.trajectory.diverged
    return float(ok.double().mean()), run.instance


@functools.lru_cache(maxsize=4)
def _sweep_kn(ctx: Context) -> dict:
    """P(converged) over (k, n) with m = n/2, and GF-13's width on the same instances."""
    proto = _protocol(ctx)
    rates, theory = {}, {}
    for n in figures.progress(proto["ns"], "sweep (k, n)"):
        for k in proto["ks"]:
            rates[(n, k)], inst = _success_rate(n, max(1, n // 2), k, ctx, proto, ctx.seed + 1000 * n)
        _, _, gf13 = evaluate("GF-13", inst.checker_values())  # at the largest k: σ₀ close to its limit
        theory[n] = float(np.median(gf13["k_required"].numpy()))
    return {"rates": rates, "theory": theory}


def _sweep_km(ctx: Context) -> dict:
    proto = _protocol(ctx)
    n = proto["n_fixed"]
    return {(m, k): _success_rate(n, m, k, ctx, proto, ctx.seed + 7000 + m)[0]
            for m in figures.progress(proto["ms"], "sweep (k, m)") for k in proto["ks"]}


def _empirical_width(rates: dict, n: int, ks) -> float:
    """Smallest k from which ≥ 95% of the runs converge, for every larger k of the grid too."""
    for k in ks:
        if all(rates[(n, kk)] >= 0.95 for kk in ks if kk >= k):
            return float(k)
    return math.inf


def _result(claim: str, result_id: str, ctx: Context, started: float, verdict: str, details: dict,
            looseness=None, instances: int = 0) -> CheckResult:
    return CheckResult(claim=claim, result_id=result_id, verdict=verdict, looseness=looseness, instances=instances,
                       seed=ctx.seed, device=str(ctx.device), dtype=str(ctx.dtype).replace("torch.", ""),
                       wall_time=time.perf_counter() - started, details=details,
                       replay=replay_command(claim, ctx), versions=versions())


def check_width_in_practice(ctx: Context) -> CheckResult:
    """02 Fig. 1: the width GF-13 requires against the width at which ≥ 95% of the runs converge, versus n."""
    started = time.perf_counter()
    proto, sweep = _protocol(ctx), _sweep_kn(ctx)
    ns = proto["ns"]
    practice = [_empirical_width(sweep["rates"], n, proto["ks"]) for n in ns]
    theory = [sweep["theory"][n] for n in ns]
    looseness = [t / p if math.isfinite(p) else None for t, p in zip(theory, practice, strict=True)]
    fig, ax = figures.subplots(figsize=(5, 3.6))
    ax.loglog(ns, theory, "o-", label="GF-13 sufficient width (theory)")
    finite = [(n, p) for n, p in zip(ns, practice, strict=True) if math.isfinite(p)]
    if finite:
        ax.loglog(*zip(*finite, strict=True), "s-", label="≥ 95% of runs converge (practice)")
    ax.set_xlabel("n (m = n/2)")
    ax.set_ylabel("width k")
    ax.set_title("Overparametrisation: bound vs practice")
    ax.legend(fontsize=8)
    data = {"n": list(ns), "theory_width": theory, "practice_width": practice, "looseness": looseness, **proto}
    paths = figures.save(fig, data, ctx.out, "width_theory_vs_practice")
    finite_loose = [x for x in looseness if x is not None]
    return _result("GF-13/width-in-practice", "GF-13", ctx, started, "recorded",
                   {**data, **paths, "caption": "GF-13's width (median over instances) and the smallest width at which "
                    "≥ 95% of runs converge; looseness = theory/practice."},
                   looseness=min(finite_loose) if finite_loose else None,
                   instances=len(sweep["rates"]) * proto["repeats"])


def _heatmap(ax, grid: np.ndarray, xs, ys, xlabel: str, ylabel: str, title: str):
    image = ax.imshow(grid, origin="lower", aspect="auto", vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs], fontsize=7)
    ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys], fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    return image


def check_convergence_maps(ctx: Context) -> CheckResult:
    """01: P(converged) over (k, n) at m = n/2 and over (k, m) at fixed n, with GF-13's width drawn on top."""
    started = time.perf_counter()
    proto, kn = _protocol(ctx), _sweep_kn(ctx)
    km = _sweep_km(ctx)
    ks, ns, ms = proto["ks"], proto["ns"], proto["ms"]
    grid_kn = np.array([[kn["rates"][(n, k)] for k in ks] for n in ns])
    grid_km = np.array([[km[(m, k)] for k in ks] for m in ms])
    fig, axes = figures.subplots(1, 2, figsize=(9, 3.6))
    _heatmap(axes[0], grid_kn, ks, ns, "width k", "n (m = n/2)", "P(converged) over (k, n)")
    image = _heatmap(axes[1], grid_km, ks, ms, "width k", f"m (n = {proto['n_fixed']})", "P(converged) over (k, m)")
    fig.colorbar(image, ax=axes, shrink=0.8)
    beyond = {n: kn["theory"][n] > max(ks) for n in ns}
    axes[0].text(0.02, 0.95, "GF-13's width lies beyond the grid for every n" if all(beyond.values()) else "",
                 transform=axes[0].transAxes, fontsize=7, color="white", va="top")
    data = {"k": list(ks), "n": list(ns), "m": list(ms), "p_kn": grid_kn.tolist(), "p_km": grid_km.tolist(),
            "theory_width_by_n": {str(n): kn["theory"][n] for n in ns}, **proto}
    paths = figures.save(fig, data, ctx.out, "convergence_maps_kn_km")
    return _result("GF-13/convergence-maps", "GF-13", ctx, started, "recorded",
                   {**data, **paths, "caption": "Empirical probability of converging to zero loss (01 §8.2 protocol). "
                    "The theory's admissible region (k > GF-13's width) is outside the grid."},
                   instances=(grid_kn.size + grid_km.size) * proto["repeats"])


def check_step_size_map(ctx: Context) -> CheckResult:
    """02 Fig. 2: P(converged) over (k, γ) with γ in units of 1/L̂ (Hessian at θ₀); the encoded 1/L and 2/L
    (L certified by GD-2) and the empirical critical step are reported in the same units."""
    started = time.perf_counter()
    proto = _protocol(ctx)
    factors = (0.25, 0.5, 1.0, 1.5, 1.9, 2.2, 3.0, 4.0)
    ks = proto["ks"][2:]
    grid, ratio_L = [], []
    for k in figures.progress(ks, "sweep (k, gamma)"):
        reps = max(2, proto["repeats"] // 2)
        spec = InstanceSpec(n=8, m=4, d=4, k=k, b=reps * len(factors), target="gaussian", operator="gaussian",
                            seed=ctx.seed + 9000 + k)
        gamma_factor = torch.tensor(factors, dtype=ctx.dtype).repeat_interleave(reps).to(ctx.device)
        run = descent_run(spec, gamma_factor, proto["steps"], curvature="estimate", device=ctx.device,
                          dtype=ctx.dtype, sigma_every=None, record_every=proto["steps"], record_x=False)
        res = run.trajectory.residual
        ok = ((res[:, -1] < proto["threshold"] * res[:, 0]) & ~run.trajectory.diverged).double()
        grid.append(ok.reshape(len(factors), reps).mean(dim=1).tolist())
        ratio_L.append(float((run.L_estimate / run.L).median()))
    grid = np.array(grid)
    critical = [next((f for f, p in zip(factors, row, strict=True) if p < 0.5), math.inf) for row in grid]
    fig, ax = figures.subplots(figsize=(5.5, 3.6))
    image = _heatmap(ax, grid.T, ks, factors, "width k", "γ · L̂", "P(converged) over (k, γ)")
    fig.colorbar(image, ax=ax)
    encoded = {"1/L": float(np.median(ratio_L)), "2/L": 2 * float(np.median(ratio_L))}
    for name, value in encoded.items():
        ax.axhline(np.interp(value, factors, range(len(factors))), color="red", lw=1, ls="--")
        ax.text(0, np.interp(value, factors, range(len(factors))), f" γ = {name} (GD-2's L)", color="red",
                fontsize=7, va="bottom")
    data = {"k": list(ks), "gamma_times_L_hat": list(factors), "p": grid.tolist(), "critical_gamma_L_hat": critical,
            "encoded_gamma_L_hat": encoded, **proto}
    paths = figures.save(fig, data, ctx.out, "step_size_map")
    finite = [c for c in critical if math.isfinite(c)]
    return _result("GD-4/step-size-map", "GD-4", ctx, started, "recorded",
                   {**data, **paths, "caption": "Probability of converging over widths and step sizes γ (units "
                    "of 1/L̂, L̂ = ‖∇²f(θ₀)‖); dashed: the encoded 1/L and 2/L with L the certified GD-2 bound. "
                    "Looseness = empirical critical γ / encoded 2/L."},
                   looseness=(float(np.median(finite)) / encoded["2/L"]) if finite else None,
                   instances=int(grid.size * max(2, proto["repeats"] // 2)))


def _test_image(side: int) -> torch.Tensor:
    """A small piecewise-smooth image made here: a disk, a square and a ramp, values in [0, 1]."""
    y, x = torch.meshgrid(torch.linspace(0, 1, side, dtype=torch.float64),
                          torch.linspace(0, 1, side, dtype=torch.float64), indexing="ij")
    image = 0.3 * x
    image = torch.where((x - 0.35) ** 2 + (y - 0.4) ** 2 < 0.05, torch.ones_like(x), image)
    image = torch.where((x > 0.6) & (x < 0.85) & (y > 0.55) & (y < 0.85), 0.6 * torch.ones_like(x), image)
    return image


def check_image_reconstruction(ctx: Context) -> CheckResult:
    """02 Fig. 3: DIP reconstruction of a small image from a 2-D blur, over iterations, with PSNR."""
    started = time.perf_counter()
    side, k = (16, 1024) if ctx.profile == "quick" else (24, 4096)
    steps = 3000 if ctx.profile == "quick" else 20000
    x_bar = _test_image(side).flatten().to(ctx.device)
    blur = LinearOperator.blur_2d(side, side, 0.6, dtype=ctx.dtype).to(device=ctx.device)
    y = (blur.A(x_bar))[None, :]
    generator = torch.Generator().manual_seed(ctx.seed + 77)
    act = get_activation("tanh")
    net = init_two_layer(1, side * side, 32, k, generator, act, dtype=ctx.dtype, device=ctx.device)
    curvature = blur.norm**2 * jacobian_norm(net.params0, net.u, act) ** 2
    traj = gradient_descent(blur.matrix, y, net.params0, net.u, act, 0.5 / curvature, steps,
                            record_every=max(1, steps // 6), record_x=True)
    psnr = [float(-10 * torch.log10(((x - x_bar) ** 2).mean())) for x in traj.x[0]]
    fig, axes = figures.subplots(1, len(psnr) + 2, figsize=(2 * (len(psnr) + 2), 2.3))
    panels = [("x̄", x_bar), ("y = A x̄", y[0])] + [(f"τ = {int(s)}\n{p:.1f} dB", x)
                                                   for s, p, x in zip(traj.steps, psnr, traj.x[0], strict=True)]
    for ax, (title, img) in zip(axes, panels, strict=True):
        ax.imshow(img.reshape(side, side).cpu(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    data = {"steps": traj.steps.tolist(), "psnr_db": psnr, "loss": traj.loss[0].tolist(), "k": k, "side": side,
            "blur_sigma": 0.6, "sigma_A": blur.sigma_A, "A_norm": blur.norm}
    paths = figures.save(fig, data, ctx.out, "dip_image_reconstruction")
    return _result("GF-5/dip-image", "GF-5", ctx, started, "recorded",
                   {**data, **paths, "caption": f"Two-layer DIP (k = {k}) reconstructing a {side}×{side} image from "
                    "a Gaussian blur (σ = 0.6 px), step ½/(‖A‖²‖J₀‖²): iterates and PSNR."}, instances=1)


def check_early_stopping_curve(ctx: Context) -> CheckResult:
    """02 Fig. 4 / 01: reconstruction error over iterations with high noise and a well-conditioned A, with the
    encoded early-stopping time marked; GF-7's prediction bounds are checked on the same run."""
    started = time.perf_counter()
    spec = InstanceSpec(n=16, m=16, d=6, k=512, b=3, kappa=1.2, planted_radius=0.4, noise=0.1, seed=ctx.seed + 88)
    run = descent_run(spec, 1.0, 600 if ctx.profile == "quick" else 3000, device=ctx.device, dtype=ctx.dtype,
                      sigma_every=None)
    verdict = judge_early_stopping(run, "GF-7/early-stopping-curve")
    result = aggregate(verdict, ctx, started, replay_command("GF-7/early-stopping-curve", ctx), ctx.seed)
    traj, inst = run.trajectory, run.instance
    error = (traj.x - inst.x_bar[:, None, :]).norm(dim=-1)
    y_bar = inst.x_bar @ inst.matrix.mT
    prediction = (traj.x @ inst.matrix.mT - y_bar[:, None, :]).norm(dim=-1)
    t_star = torch.tensor(verdict.details["t_star"], dtype=ctx.dtype)
    tau_star = t_star / (run.gamma * (1 - run.gamma * run.L / 2))
    fig, ax = figures.subplots(figsize=(5.5, 3.6))
    steps = traj.steps.cpu()
    for i in range(spec.b):
        ax.semilogy(steps, error[i].cpu(), color=f"C{i}", label="‖x_τ − x̄‖" if i == 0 else None)
        ax.semilogy(steps, prediction[i].cpu(), color=f"C{i}", ls=":", label="‖y_τ − ȳ‖" if i == 0 else None)
        ax.axvline(float(tau_star[i]), color=f"C{i}", ls="--", lw=0.8, label="encoded t* (GF-7)" if i == 0 else None)
        ax.axhline(2 * float(inst.noise_norm[i]), color=f"C{i}", lw=0.5, alpha=0.5)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("iteration τ")
    ax.set_title("Early stopping: error with high noise")
    ax.legend(fontsize=7)
    data = {"steps": steps.tolist(), "recovery_error": error.tolist(), "prediction_error": prediction.tolist(),
            "tau_star": tau_star.tolist(), "noise": inst.noise_norm.tolist(), "spec": spec.to_dict()}
    paths = figures.save(fig, data, ctx.out, "early_stopping")
    result.details.update({**paths, "tau_star": tau_star.tolist(), "caption": "Recovery and prediction errors; "
                           "dashed: the encoded early-stopping time τ* (GF-7, via t = γ(1 − γL/2)τ); thin: 2‖ε‖."})
    return result


CLAIMS = (
    Claim("GF-13/width-in-practice", "GF-13", "Overparametrisation needed by the bound vs in practice (02 Fig. 1)",
          "experiment", check_width_in_practice),
    Claim("GF-13/convergence-maps", "GF-13", "Probability of converging over (k, n) and (k, m) (01)", "experiment",
          check_convergence_maps),
    Claim("GD-4/step-size-map", "GD-4", "Probability of converging over (k, γ), critical step vs 1/L, 2/L (02 Fig. 2)",
          "experiment", check_step_size_map),
    Claim("GF-5/dip-image", "GF-5", "DIP image reconstruction over iterations (02 Fig. 3)", "experiment",
          check_image_reconstruction),
    Claim("GF-7/early-stopping-curve", "GF-7", "Early stopping with high noise, t* marked (02 Fig. 4)", "experiment",
          check_early_stopping_curve),
)
