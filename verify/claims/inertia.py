"""Claims for IN-* (Buskulic–Fadili–Quéau 2025, the DIP trained with inertia): DIN on planted two-layer instances.

One cached bundle of runs per context (`inertia_bundles`, built by `numerics.setup_inertia`) on the same planted
instance; the profile sets the lengths of its runs and its DIN parameters (quick: the IN-5 optimum (α*, β*) only).
Every bound is evaluated by the checker generated from the catalogue, with certified constants; integration
tolerances (RK4 against the ODE identity or a solve_ivp reference) are numerical tolerances of the integrator,
stated where used.

This module holds the DIN claims (IN-2 … IN-7) and the shared bundle; `inertia_discrete` the discrete algorithms
(IN-8, IN-B3, the comparison table) and `inertia_controls` the integrator, width and negative controls.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from ipverify.numerics import setup_inertia
from ipverify.numerics.instances import InstanceSpec
from ipverify.numerics.setup_inertia import (
    INTEGRATOR_TOLERANCE,
    SETTINGS,
    DINRun,
    bundle_specs,
    din_parameters,
    din_run,
    din_values,
    fit_resolved,
    instance_values,
    loss_rate,
    mu_pl,
)
from ipverify.verify.claims.kit import (
    Claim,
    Comparison,
    Context,
    Judgement,
    Outcome,
    aggregate,
    binding,
    concatenate,
    evaluate,
    hypothesis_records,
)

# ------------------------------------------------------------------------------------------------ judges


def judge_energy(run: DINRun, claim_id: str) -> Judgement:
    """IN-2: E non-increasing, E(t) ≤ E(0), f ≤ E(0)/(1 + αβ), E(0) as encoded, and the identity E + ∫D = E(0)."""
    traj, inst = run.trajectory, run.instance
    times = len(run.labels)
    hold, ev, in2 = evaluate("IN-2", din_values(run))
    e0 = in2["energy_0_value"].reshape(-1)
    valid = fit_resolved(traj.residual, inst, times)
    comparisons = [
        Comparison("E(t_{j+1}) <= E(t_j)", traj.energy[:, 1:], traj.energy[:, :-1], scale=e0, valid=valid[:, 1:]),
        Comparison("E(t) <= E(0) (IN-2)", traj.energy, in2["energy_bound"].reshape(-1, 1), scale=e0),
        Comparison("f(theta(t)) <= E(0)/(1 + alpha beta)", traj.loss, in2["loss_bound"].reshape(-1, 1), scale=e0),
        Comparison("measured E(0) = encoded E(0)", (traj.energy[:, 0] - e0).abs(), torch.zeros_like(e0), scale=e0),
        Comparison(f"|E(t) + int D - E(0)| <= {INTEGRATOR_TOLERANCE:g} E(0) (identity, RK4)",
                   traj.energy_balance.abs(), INTEGRATOR_TOLERANCE * e0[:, None], scale=e0),
    ]
    name, margin = binding(ev)
    return Judgement(claim_id, "IN-2", hold, comparisons, traj.diverged, binding=name, margin=margin,
                     hypotheses=hypothesis_records(ev), details=_din_details(run))


def judge_rate(run: DINRun, claim_id: str) -> Judgement:
    """IN-5: E(t) ≤ E(0)e^{−κt}, f(θ(t)) ≤ E(0)e^{−κt}/(1 + αβ), ‖y(t) − y‖ ≤ √(2E(0)/(1 + αβ))e^{−κt/2}."""
    traj, inst = run.trajectory, run.instance
    hold, ev, in5 = evaluate("IN-5", {**din_values(run), "t": traj.times[None, :]})
    valid = fit_resolved(traj.residual, inst, len(run.labels))
    e0 = traj.energy[:, 0]
    comparisons = [
        Comparison("E(t) <= E(0) exp(-kappa t)", traj.energy, in5["energy_bound"], scale=e0, valid=valid),
        Comparison("f(theta(t)) <= E(0) exp(-kappa t)/(1 + alpha beta)", traj.loss, in5["loss_bound"], scale=e0,
                   valid=valid),
        Comparison("||y(t) - y|| <= sqrt(2E(0)/(1 + alpha beta)) exp(-kappa t/2)", traj.residual,
                   in5["residual_bound"], scale=traj.residual[:, 0], valid=valid),
    ]
    name, margin = binding(ev)
    return Judgement(claim_id, "IN-5", hold, comparisons, traj.diverged, binding=name, margin=margin,
                     hypotheses=hypothesis_records(ev),
                     details={**_din_details(run), "kappa": in5["kappa"].reshape(-1).tolist()})


def judge_radius(run: DINRun, claim_id: str) -> Judgement:
    """IN-6: ‖θ(t) − θ₀‖ ≤ R′_DIN and ∫₀ᵗ‖θ̇‖ ≤ R′_DIN; σ_min(J_g(θ(t))) ≥ σ₀/2."""
    traj = run.trajectory
    hold, ev, in6 = evaluate("IN-6", din_values(run))
    radius = in6["theta_dist_bound"].reshape(-1, 1)
    comparisons = [
        Comparison("||theta(t) - theta_0|| <= R'_DIN", traj.dist0, radius, scale=radius[:, 0]),
        Comparison("int_0^t ||theta_dot|| <= R'_DIN", traj.path_length[:, traj.steps], radius, scale=radius[:, 0]),
        Comparison("sigma_min(J(theta(t))) >= sigma_0/2", traj.sigma_min, in6["sigma_min_lower"].reshape(-1, 1),
                   lower=True, scale=run.values["sigma_0"]),
    ]
    name, margin = binding(ev)
    return Judgement(claim_id, "IN-6", hold, comparisons, traj.diverged, binding=name, margin=margin,
                     hypotheses=hypothesis_records(ev),
                     details={**_din_details(run), "R_prime_DIN": radius[:, 0].tolist(),
                              "max_dist0": traj.dist0.nan_to_num(0).amax(dim=1).tolist(),
                              "radius_ratio_to_gf": in6["radius_ratio_to_gf"].reshape(-1).tolist()})


def judge_pl(run: DINRun, claim_id: str) -> Judgement:
    """IN-3 along DIN: ‖∇f‖²/(2(f − ½y_perp²)) ≥ μ and σ_min ≥ σ₀/2 at every record inside 𝔹(θ₀, R) (per record)."""
    traj, inst = run.trajectory, run.instance
    _, ev, in3 = evaluate("IN-3", {**run.values, "theta_dist": traj.dist0, "loss_t": traj.loss})
    inside = torch.as_tensor(np.broadcast_to(np.asarray(ev.holds, dtype=bool), traj.dist0.shape).copy())
    valid = inside & fit_resolved(traj.residual, inst, len(run.labels))
    floor = run.values["y_perp"].square()[:, None] / 2
    pl_ratio = traj.grad_norm_sq / (2 * (traj.loss - floor))
    comparisons = [
        Comparison("||grad f||^2/(2(f - y_perp^2/2)) >= mu (IN-3)", pl_ratio, in3["pl_ratio_lower"].reshape(-1, 1),
                   lower=True, scale=in3["pl_ratio_lower"].reshape(-1), valid=valid),
        Comparison("sigma_min(J(theta(t))) >= sigma_0/2 (IN-3)", traj.sigma_min,
                   in3["sigma_min_lower"].reshape(-1, 1), lower=True, scale=run.values["sigma_0"],
                   valid=inside.all(dim=1, keepdim=True)),
    ]
    name, margin = binding(ev)
    hold = inside.any(dim=1)
    return Judgement(claim_id, "IN-3", hold, comparisons, traj.diverged, binding=name, margin=margin,
                     hypotheses=hypothesis_records(ev),
                     details={**_din_details(run), "mu_PL": in3["pl_ratio_lower"].reshape(-1).tolist(),
                              "min_pl_ratio": torch.where(valid, pl_ratio, math.inf).amin(dim=1).tolist()})


def judge_recovery(run: DINRun, claim_id: str) -> Judgement:
    """IN-7 with μ_{A,Σ′} = σ_min(A) (injective A) and dist(x̄, Σ′) = 0 when ‖θ* − θ₀‖ ≤ R′_DIN."""
    traj, inst = run.trajectory, run.instance
    if inst.mu is None or inst.theta_star is None or traj.x is None:
        raise ValueError("the recovery claim needs an injective A, a planted target and recorded x(t)")
    times = len(run.labels)
    _, _, in6 = evaluate("IN-6", din_values(run))
    star = (inst.theta_star - inst.net.params0).norm().repeat(times)
    inside = star <= in6["theta_dist_bound"].reshape(-1)
    values = {**din_values(run), "t": traj.times[None, :], "loss_t": traj.loss, "dist": 0.0}
    hold, ev, in7 = evaluate("IN-7", values)
    error = (traj.x - inst.x_bar.repeat(times, 1)[:, None, :]).norm(dim=-1)
    valid = fit_resolved(traj.residual, inst, times)
    comparisons = [
        Comparison("||x(t) - x_bar|| <= IN-7 bound with the measured loss", error, in7["recovery_bound_measured"],
                   scale=error[:, 0], valid=valid),
        Comparison("||x(t) - x_bar|| <= IN-7 bound with the IN-5 rate", error, in7["recovery_bound"],
                   scale=error[:, 0], valid=valid),
    ]
    name, margin = binding(ev)
    return Judgement(claim_id, "IN-7", hold & inside, comparisons, traj.diverged, binding=name, margin=margin,
                     hypotheses=hypothesis_records(ev),
                     details={**_din_details(run), "planted_inside_R_prime_DIN": int(inside.sum()),
                              "final_error": error[:, -1].tolist(), "noise_term": in7["noise_term"].tolist()})


def _din_details(run: DINRun) -> dict:
    traj = run.trajectory
    return {"spec": run.instance.spec.to_dict(), "settings": list(run.labels), "alpha": run.alpha.tolist(),
            "beta": run.beta.tolist(), "h": traj.h, "t_final": float(traj.times[-1]),
            "final_loss_ratio": (traj.loss[:, -1] / traj.loss[:, 0]).tolist(),
            "diverged_at": traj.diverged_at.tolist()}


# ------------------------------------------------------------------------------------------------ the bundles


def lengths(ctx: Context) -> dict:
    """The lengths of a bundle's runs (`setup_inertia.InertiaBundle`) in the context's profile."""
    if ctx.quick:
        return {"din_time": 70.0, "flow_time": 150.0, "gd": 400, "igahd": 1000, "adaptive": 60, "inna": 900}
    return {"din_time": 120.0, "flow_time": 250.0, "gd": 1500, "igahd": 6000, "adaptive": 300, "inna": 3000}


def profile_specs(ctx: Context) -> list[InstanceSpec]:
    """The bundles' instances: one in the quick profile, two in the full one."""
    return bundle_specs(ctx.seed, 1 if ctx.quick else 2)


class InertiaBundle(setup_inertia.InertiaBundle):
    """The bundle of runs on `spec` at the lengths and DIN parameters of the context's profile (quick: the IN-5
    optimum only)."""

    def __init__(self, spec: InstanceSpec, ctx: Context):
        super().__init__(spec, lengths(ctx), ("optimal",) if ctx.quick else SETTINGS, ctx.device, ctx.dtype)


@functools.lru_cache(maxsize=2)
def inertia_bundles(ctx: Context) -> tuple[InertiaBundle, ...]:
    return tuple(InertiaBundle(spec, ctx) for spec in profile_specs(ctx))


def _run_din_claim(claim_id: str, judge, ctx: Context) -> Outcome:
    return aggregate(concatenate([judge(bundle.din, claim_id) for bundle in inertia_bundles(ctx)]), ctx)


def check_energy(ctx: Context) -> Outcome:
    return _run_din_claim("IN-2/energy", judge_energy, ctx)


def check_rate(ctx: Context) -> Outcome:
    return _run_din_claim("IN-5/rate", judge_rate, ctx)


def check_radius(ctx: Context) -> Outcome:
    return _run_din_claim("IN-6/radius", judge_radius, ctx)


def check_pl(ctx: Context) -> Outcome:
    """IN-3 along DIN; the PL ratio along gradient flow on the same networks is reported beside it (it tends to the
    slowest mode's ratio, while DIN's tail keeps a larger one: the ratio depends on the trajectory, 03 §8.3)."""
    judgements = []
    for bundle in inertia_bundles(ctx):
        j = judge_pl(bundle.din, "IN-3/pl")
        flow = bundle.flow.trajectory
        valid = fit_resolved(flow.residual, bundle.instance)
        floor = bundle.values["y_perp"].square()[:, None] / 2
        ratio = torch.where(valid, flow.grad_norm_sq / (2 * (flow.loss - floor)), math.inf)
        j.details["min_pl_ratio_along_gf"] = ratio.amin(dim=1).tolist()
        judgements.append(j)
    return aggregate(concatenate(judgements), ctx)


def check_recovery(ctx: Context) -> Outcome:
    return _run_din_claim("IN-7/recovery", judge_recovery, ctx)


def judge_flow(bundle: InertiaBundle, claim_id: str) -> Judgement:
    """IN-4 on the small-step GD (flow): loss and residual rates at the effective time γ(1 − γL/2)τ (GD-4's time
    change, L certified), radius c_γR′ (GD-4), σ_min ≥ σ₀/2."""
    run, inst = bundle.flow, bundle.instance
    traj = run.trajectory
    hold, ev, in4 = evaluate("IN-4", {**bundle.values, "t": run.flow_time})
    hold_gd, _, gd4 = evaluate("GD-4", {**bundle.values, "gamma": run.gamma, "L": run.L})
    valid = fit_resolved(traj.residual, inst)
    comparisons = [
        Comparison("f(theta(t)) <= f(theta_0) exp(-2 mu t)", traj.loss, in4["loss_bound"], scale=traj.loss[:, 0],
                   valid=valid),
        Comparison("||y(t) - y|| <= ||y(0) - y|| exp(-mu t)", traj.residual, in4["residual_bound"],
                   scale=traj.residual[:, 0], valid=valid),
        Comparison("||theta(t) - theta_0|| <= c_gamma R'", traj.dist0, gd4["theta_dist_bound"].reshape(-1, 1),
                   scale=inst.R_prime),
        Comparison("sigma_min(J(theta(t))) >= sigma_0/2", traj.sigma_min, in4["sigma_min_lower"].reshape(-1, 1),
                   lower=True, scale=inst.sigma_0),
    ]
    name, margin = binding(ev)
    return Judgement(claim_id, "IN-4", hold & hold_gd, comparisons, traj.diverged, binding=name, margin=margin,
                     hypotheses=hypothesis_records(ev),
                     details={"spec": inst.spec.to_dict(), "gamma_L_certified": (run.gamma * run.L).tolist(),
                              "steps": int(traj.steps[-1])})


def check_flow(ctx: Context) -> Outcome:
    judgements = [judge_flow(bundle, "IN-4/flow") for bundle in inertia_bundles(ctx)]
    return aggregate(concatenate(judgements), ctx)


def judge_speedup(bundle: InertiaBundle, claim_id: str) -> Judgement:
    """At IN-5's optimal (α, β), DIN's measured loss rate beats gradient flow's on the same networks, wherever IN-5
    is certified and predicts a speed-up (κ* > 2μ)."""
    inst, run = bundle.instance, bundle.din
    rows = run.rows("optimal")
    traj = run.trajectory
    values = {**bundle.values, "alpha": run.alpha[rows], "beta": run.beta[rows]}
    hold, ev, in5 = evaluate("IN-5", values)
    predicted = in5["speedup_opt"].reshape(-1)
    din_rate = loss_rate(traj.times, traj.loss[rows], fit_resolved(traj.residual[rows], inst))
    flow = bundle.flow.trajectory
    flow_times = flow.steps.to(torch.float64)[None, :] * bundle.flow_gamma[:, None]  # Euler time t = γτ
    flow_rate = loss_rate(flow_times, flow.loss, fit_resolved(flow.residual, inst))
    comparisons = [Comparison("measured GF loss rate <= measured DIN loss rate at (alpha*, beta*)", flow_rate,
                              din_rate, scale=din_rate)]
    name, margin = binding(ev)
    return Judgement(claim_id, "IN-5", hold & (predicted > 1), comparisons, traj.diverged[rows] | flow.diverged,
                     binding=name, margin=margin, hypotheses=hypothesis_records(ev),
                     details={"spec": inst.spec.to_dict(), "measured_din_rate": din_rate.tolist(),
                              "measured_gf_rate": flow_rate.tolist(),
                              "measured_speedup": (din_rate / flow_rate).tolist(),
                              "predicted_speedup": predicted.tolist(),
                              "kappa_opt": in5["kappa_opt"].reshape(-1).tolist(),
                              "gf_rate_guaranteed": in5["gf_rate"].reshape(-1).tolist()})


def check_speedup(ctx: Context) -> Outcome:
    judgements = [judge_speedup(bundle, "IN-5/speedup") for bundle in inertia_bundles(ctx)]
    result = aggregate(concatenate(judgements), ctx)
    factors = [f for j in judgements for f in j.details["measured_speedup"]]
    result.details["measured_speedup_median"] = float(np.median(factors))
    return result


CLAIMS = (
    Claim("IN-2/energy", "IN-2", "DIN energy non-increasing, E + ∫(α‖θ̇‖² + β‖∇f‖²) = E(0)", "property",
          check_energy),
    Claim("IN-3/pl", "IN-3", "PL ratio ≥ μ and σ_min ≥ σ₀/2 along DIN inside 𝔹(θ₀, R)", "property", check_pl),
    Claim("IN-4/flow", "IN-4", "Gradient-flow baseline: f − ½y_perp² ≤ (f(θ₀) − ½y_perp²)e^{−2μt}, radius, σ_min",
          "property", check_flow),
    Claim("IN-5/rate", "IN-5", "DIN energy, loss and residual below the e^{−κt} bounds", "property", check_rate),
    Claim("IN-5/speedup", "IN-5", "At the optimal (α, β) DIN's measured rate beats gradient flow's", "property",
          check_speedup),
    Claim("IN-6/radius", "IN-6", "‖θ(t) − θ₀‖ and ∫‖θ̇‖ stay below R′_DIN", "property", check_radius),
    Claim("IN-7/recovery", "IN-7", "Recovery of a planted signal by DIN under injectivity", "property",
          check_recovery),
)

__all__ = ["INTEGRATOR_TOLERANCE", "InertiaBundle", "din_parameters", "din_run", "inertia_bundles", "instance_values",
           "judge_rate", "mu_pl", "CLAIMS"]
