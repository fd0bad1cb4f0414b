"""Claims for IN-* (Buskulic–Fadili–Quéau 2025, the DIP trained with inertia): DIN on planted two-layer instances.

One cached bundle of runs per context (`inertia_bundles`) on the same planted instance: gradient flow (small-step GD),
DIN at the encoded optimum (α*, β*) of IN-5 (full profile: also the notes' (√μ, 1/√μ) and (2√μ, 1/(2√μ))), GD,
IGAHD-SC (under its step condition (26) and at the notes' practical step), our adaptive inertial method (IN-8) and
INNA-type steps. Every bound is evaluated by the checker generated from the catalogue, with certified constants:
σ₀, R (GF-10), R′, μ = σ_A²σ₀²/4 (IN-3, valid on 𝔹(θ₀, R)), L certified on 𝔹(θ₀, R) (GD-2); nothing here restates a
formula of the theory. Integration tolerances (RK4 against the ODE identity or a solve_ivp reference) are numerical
tolerances of the integrator, stated where used.

The values handed to the checkers carry ‖P⊥y‖ (`y_perp`, the floor ½y_perp² of every rate) and the instance's radius
R, shrunk by a relative 10⁻¹² so that R·Lip_J ≤ σ₀/2 (Lip_J from GF-10) is decided above float rounding.
This module holds the DIN claims (IN-2 … IN-7) and the shared bundle; `inertia_discrete` the discrete algorithms
(IN-8, IN-B3, the comparison table) and `inertia_controls` the integrator, width and negative controls.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ipverify.numerics.experiments import DescentRun, descent_run
from ipverify.numerics.inertial import DINTrajectory, curvature_estimate, din, fitted_rate, time_to_reach
from ipverify.numerics.inertial_discrete import AdaptiveRun, adaptive_inertial, igahd_sc, inna
from ipverify.numerics.instances import DIPInstance, InstanceSpec, build_instance
from ipverify.numerics.tolerance import resolved
from ipverify.numerics.trainers import Trajectory, gradient_descent
from ipverify.numerics.two_layer import TwoLayerParams, objective_and_gradient
from ipverify.verify.claims._base import Claim, Comparison, Context, Judgement, aggregate, replay_command
from ipverify.verify.claims._dip import evaluate, hypothesis_records
from ipverify.verify.result import CheckResult

RESIDUAL_TARGET = 1e-6
"""'Iterations to 1e-6' in the comparison table: first record with ‖y_k − y‖ ≤ 1e-6·‖y_0 − y‖."""

INTEGRATOR_TOLERANCE = 1e-5
"""Relative tolerance granted to the RK4 integration (ODE identity E + ∫D = E(0), solve_ivp reference). Measured at
the default step: ~1e-7 for the identity, ~2e-6 for f in the initial stiff transient (fast mode e^{−βλt}), ~1e-11
for θ at the end."""

FLOW_FACTOR = 0.05
"""Gradient flow = GD with γ = FLOW_FACTOR/L̂ (as numerics.trainers.gradient_flow)."""

SETTINGS = ("optimal", "sqrt_mu", "two_sqrt_mu")
"""DIN parameters: the IN-5 optimum (α*, β*), (√μ, 1/√μ) (κ = √μ/2) and ACFR's (2√μ, 1/(2√μ)); the quick profile
runs the optimum only."""


# ------------------------------------------------------------------------------------------------ instances, values


def bundle_specs(ctx: Context) -> list[InstanceSpec]:
    """Planted instances with an injective, ill-conditioned A (μ below IN-5's speed-up threshold) and R′_DIN < R."""
    s = ctx.seed
    specs = [InstanceSpec(n=6, m=6, d=5, k=256, b=4, kappa=3.0, planted_radius=0.02, noise=0.002, seed=s + 300)]
    if ctx.profile == "full":
        specs.append(InstanceSpec(n=8, m=10, d=6, k=1024, b=4, kappa=4.0, activation="softplus",
                                  planted_radius=0.02, noise=0.002, seed=s + 301))
    return specs


def replicate(inst: DIPInstance, times: int) -> tuple[torch.Tensor, TwoLayerParams, torch.Tensor]:
    """(y, θ₀, u) with the b networks repeated `times` times (network i of copy c is row c·b + i)."""
    net = inst.net
    params = TwoLayerParams(net.params0.W.repeat(times, 1, 1), net.params0.V.repeat(times, 1, 1))
    return inst.y.repeat(times, 1), params, net.u.repeat(times, 1)


def instance_values(inst: DIPInstance) -> dict:
    """Certified and measured constants per network: the instance's checker values (R already shrunk by
    RADIUS_SLACK, y_perp = ‖P⊥y‖), ‖∇f(θ₀)‖, L certified on 𝔹(θ₀, R) (GD-2), μ_{A,Σ′} = σ_min(A) when A is
    injective."""
    net = inst.net
    grad0 = objective_and_gradient(inst.matrix, inst.y, net.params0, net.u, net.act).grad
    values = {**inst.checker_values(), "grad_norm_0": grad0.norm(), "L": inst.smoothness(inst.R)}
    if inst.mu is not None:
        values["mu"] = inst.mu
    return values


def repeat_values(values: dict, times: int) -> dict:
    return {k: v.repeat(times) if torch.is_tensor(v) and v.dim() == 1 else v for k, v in values.items()}


def din_parameters(values: dict) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """(α, β) per network for each of `SETTINGS`; the optimum comes from IN-5's checker (alpha_opt, beta_opt)."""
    _, ev, in5 = evaluate("IN-5", {**values, "alpha": 1.0, "beta": 1.0})
    mu = torch.as_tensor(np.asarray(ev.derived["mu_PL"], dtype=float)).reshape(-1)
    root = mu.sqrt()
    return {"optimal": (in5["alpha_opt"].reshape(-1), in5["beta_opt"].reshape(-1)),
            "sqrt_mu": (root, 1 / root), "two_sqrt_mu": (2 * root, 1 / (2 * root))}


def mu_pl(values: dict) -> torch.Tensor:
    _, _, in3 = evaluate("IN-3", values)
    return in3["mu_PL_value"].reshape(-1)


@dataclass(frozen=True)
class DINRun:
    """DIN on `instance` for several (α, β): networks of setting j are rows j·b … (j + 1)·b − 1."""

    instance: DIPInstance
    values: dict  # per network (replicated), for the checkers
    labels: tuple[str, ...]
    alpha: torch.Tensor
    beta: torch.Tensor
    trajectory: DINTrajectory

    def rows(self, label: str) -> slice:
        b = self.instance.spec.b
        j = self.labels.index(label)
        return slice(j * b, (j + 1) * b)


def din_run(inst: DIPInstance, values: dict, settings: dict, t_final: float, *, record_x: bool = False,
            n_records: int = 300, n_sigma_records: int | None = 30, h: float | None = None) -> DINRun:
    labels = tuple(settings)
    alpha = torch.cat([settings[name][0] for name in labels])
    beta = torch.cat([settings[name][1] for name in labels])
    y, params0, u = replicate(inst, len(labels))
    traj = din(inst.matrix, y, params0, u, inst.net.act, alpha, beta, t_final, h=h, n_records=n_records,
               n_sigma_records=n_sigma_records, record_x=record_x)
    return DINRun(inst, repeat_values(values, len(labels)), labels, alpha, beta, traj)


def din_values(run: DINRun) -> dict:
    return {**run.values, "alpha": run.alpha, "beta": run.beta}


FIT_RESOLUTION = 1e-5
"""With y ∉ Im(A), f − ½y_perp² = ½(‖y(t) − y‖² − y_perp²) is a difference of squares: below a fraction
FIT_RESOLUTION of ‖y(t) − y‖, the fit ‖y(t) − Py‖ it measures (and every PL-based quantity) is rounding noise."""


def _resolved(residual: torch.Tensor, inst: DIPInstance, times: int = 1) -> torch.Tensor:
    """Records whose fit ‖y(t) − Py‖ = √(‖y(t) − y‖² − y_perp²) is above the floating-point floor (RESOLUTION·‖y‖,
    numerics.tolerance) and above FIT_RESOLUTION·‖y(t) − y‖; with y ∈ Im(A) the fit is the residual itself."""
    y_norm = inst.y.norm(dim=-1).repeat(times)
    perp = inst.y_perp.repeat(times)
    perp = perp[:, None] if residual.dim() == 2 else perp
    fit = (residual.square() - perp.square()).clamp_min(0).sqrt()
    return resolved(fit, y_norm, residual.dtype) & (fit > FIT_RESOLUTION * residual)


def _binding(ev) -> tuple[str | None, float | None]:
    binding = ev.binding
    if binding is None:
        return None, None
    return binding.name, float(np.min(np.asarray(binding.margin, dtype=float)))


# ------------------------------------------------------------------------------------------------ judges


def judge_energy(run: DINRun, claim_id: str) -> Judgement:
    """IN-2: E non-increasing, E(t) ≤ E(0), f ≤ E(0)/(1 + αβ), E(0) as encoded, and the identity E + ∫D = E(0)."""
    traj, inst = run.trajectory, run.instance
    times = len(run.labels)
    hold, ev, in2 = evaluate("IN-2", din_values(run))
    e0 = in2["energy_0_value"].reshape(-1)
    valid = _resolved(traj.residual, inst, times)
    comparisons = [
        Comparison("E(t_{j+1}) <= E(t_j)", traj.energy[:, 1:], traj.energy[:, :-1], scale=e0, valid=valid[:, 1:]),
        Comparison("E(t) <= E(0) (IN-2)", traj.energy, in2["energy_bound"].reshape(-1, 1), scale=e0),
        Comparison("f(theta(t)) <= E(0)/(1 + alpha beta)", traj.loss, in2["loss_bound"].reshape(-1, 1), scale=e0),
        Comparison("measured E(0) = encoded E(0)", (traj.energy[:, 0] - e0).abs(), torch.zeros_like(e0), scale=e0),
        Comparison(f"|E(t) + int D - E(0)| <= {INTEGRATOR_TOLERANCE:g} E(0) (identity, RK4)",
                   traj.energy_balance.abs(), INTEGRATOR_TOLERANCE * e0[:, None], scale=e0),
    ]
    name, margin = _binding(ev)
    return Judgement(claim_id, "IN-2", hold, comparisons, traj.diverged, binding=name, margin=margin,
                     hypotheses=hypothesis_records(ev), details=_din_details(run))


def judge_rate(run: DINRun, claim_id: str) -> Judgement:
    """IN-5: E(t) ≤ E(0)e^{−κt}, f(θ(t)) ≤ E(0)e^{−κt}/(1 + αβ), ‖y(t) − y‖ ≤ √(2E(0)/(1 + αβ))e^{−κt/2}."""
    traj, inst = run.trajectory, run.instance
    hold, ev, in5 = evaluate("IN-5", {**din_values(run), "t": traj.times[None, :]})
    valid = _resolved(traj.residual, inst, len(run.labels))
    e0 = traj.energy[:, 0]
    comparisons = [
        Comparison("E(t) <= E(0) exp(-kappa t)", traj.energy, in5["energy_bound"], scale=e0, valid=valid),
        Comparison("f(theta(t)) <= E(0) exp(-kappa t)/(1 + alpha beta)", traj.loss, in5["loss_bound"], scale=e0,
                   valid=valid),
        Comparison("||y(t) - y|| <= sqrt(2E(0)/(1 + alpha beta)) exp(-kappa t/2)", traj.residual,
                   in5["residual_bound"], scale=traj.residual[:, 0], valid=valid),
    ]
    name, margin = _binding(ev)
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
        Comparison("int_0^t ||theta_dot|| <= R'_DIN", traj.path_length, radius, scale=radius[:, 0]),
        Comparison("sigma_min(J(theta(t))) >= sigma_0/2", traj.sigma_min, in6["sigma_min_lower"].reshape(-1, 1),
                   lower=True, scale=run.values["sigma_0"]),
    ]
    name, margin = _binding(ev)
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
    valid = inside & _resolved(traj.residual, inst, len(run.labels))
    floor = run.values["y_perp"].square()[:, None] / 2
    pl_ratio = traj.grad_norm_sq / (2 * (traj.loss - floor))
    comparisons = [
        Comparison("||grad f||^2/(2(f - y_perp^2/2)) >= mu (IN-3)", pl_ratio, in3["pl_ratio_lower"].reshape(-1, 1),
                   lower=True, scale=in3["pl_ratio_lower"].reshape(-1), valid=valid),
        Comparison("sigma_min(J(theta(t))) >= sigma_0/2 (IN-3)", traj.sigma_min,
                   in3["sigma_min_lower"].reshape(-1, 1), lower=True, scale=run.values["sigma_0"],
                   valid=inside.all(dim=1, keepdim=True)),
    ]
    name, margin = _binding(ev)
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
    valid = _resolved(traj.residual, inst, times)
    comparisons = [
        Comparison("||x(t) - x_bar|| <= IN-7 bound with the measured loss", error, in7["recovery_bound_measured"],
                   scale=error[:, 0], valid=valid),
        Comparison("||x(t) - x_bar|| <= IN-7 bound with the IN-5 rate", error, in7["recovery_bound"],
                   scale=error[:, 0], valid=valid),
    ]
    name, margin = _binding(ev)
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


def igahd_condition_step(values: dict, beta: float = 0.0, margin: float = 0.99) -> torch.Tensor:
    """margin × the largest s satisfying (26) with μ = μ_PL and L certified on the ball (IN-B3's s_max)."""
    _, _, b3 = evaluate("IN-B3", {"mu_SC": mu_pl(values), "L": values["L"], "beta": beta, "s_step": 1.0})
    return margin * b3["s_max"].reshape(-1)


# ------------------------------------------------------------------------------------------------ the bundle


def _lengths(ctx: Context) -> dict:
    if ctx.profile == "quick":
        return {"din_time": 70.0, "flow_time": 150.0, "gd": 400, "igahd": 1000, "adaptive": 60, "inna": 900}
    return {"din_time": 120.0, "flow_time": 250.0, "gd": 1500, "igahd": 6000, "adaptive": 300, "inna": 3000}


class InertiaBundle:
    """All runs on one instance (module docstring), each computed on first use and kept: a claim pays only for the
    runs it needs, and the comparison table reuses them all."""

    def __init__(self, spec: InstanceSpec, ctx: Context):
        self.spec, self.ctx, self.lengths = spec, ctx, _lengths(ctx)
        self.instance = build_instance(spec, ctx.device, ctx.dtype)
        net = self.instance.net
        self.args = (self.instance.matrix, self.instance.y, net.params0, net.u, net.act)
        self.values = instance_values(self.instance)
        self.L_hat = curvature_estimate(*self.args)
        self.mu = mu_pl(self.values)
        # IGAHD-SC rows 0..b−1: s = 0.99 s_max(26), β = 0; rows b..2b−1: s = 1/L̂, β = 0.5√s (notes §8.3)
        s_cond, s_hat = igahd_condition_step(self.values), 1 / self.L_hat
        self.igahd_s = torch.cat([s_cond, s_hat])
        self.igahd_beta = torch.cat([torch.zeros_like(s_cond), 0.5 * s_hat.sqrt()])

    @functools.cached_property
    def din(self) -> DINRun:
        params = din_parameters(self.values)
        labels = SETTINGS if self.ctx.profile == "full" else ("optimal",)
        return din_run(self.instance, self.values, {name: params[name] for name in labels},
                       self.lengths["din_time"], record_x=True)

    @functools.cached_property
    def flow(self) -> DescentRun:
        """Gradient flow: GD with γ = FLOW_FACTOR/‖∇²f(θ₀)‖ (GD-4 certifies it with the certified L)."""
        probe = descent_run(self.spec, FLOW_FACTOR, 1, curvature="estimate", device=self.ctx.device,
                            dtype=self.ctx.dtype, sigma_every=None)
        steps = math.ceil(self.lengths["flow_time"] / float(probe.gamma.min()))
        return descent_run(self.spec, FLOW_FACTOR, steps, curvature="estimate", device=self.ctx.device,
                           dtype=self.ctx.dtype, sigma_every=max(1, steps // 30),
                           record_every=max(1, steps // 400), record_x=False)

    @property
    def flow_gamma(self) -> torch.Tensor:
        return self.flow.gamma

    @functools.cached_property
    def gd_certified(self) -> Trajectory:
        return gradient_descent(*self.args, 1 / self.values["L"], self.lengths["gd"])

    @functools.cached_property
    def gd_estimate(self) -> Trajectory:
        return gradient_descent(*self.args, 1 / self.L_hat, self.lengths["gd"])

    @functools.cached_property
    def igahd(self) -> Trajectory:
        A, _, _, _, act = self.args
        y2, p2, u2 = replicate(self.instance, 2)
        return igahd_sc(A, y2, p2, u2, act, self.mu.repeat(2), self.igahd_s, self.igahd_beta, self.lengths["igahd"],
                        record_every=max(1, self.lengths["igahd"] // 500))

    @functools.cached_property
    def adaptive(self) -> AdaptiveRun:
        s_hat = 1 / self.L_hat
        return adaptive_inertial(*self.args, self.mu, s_hat, self.lengths["adaptive"], beta=0.5 * s_hat.sqrt(),
                                 record_sigma_every=max(1, self.lengths["adaptive"] // 20))

    @functools.cached_property
    def inna_gamma(self) -> torch.Tensor:
        alpha, beta = din_parameters(self.values)["optimal"]
        return 0.5 / (alpha + beta * self.L_hat + self.L_hat.sqrt())

    @functools.cached_property
    def inna(self) -> Trajectory:
        alpha, beta = din_parameters(self.values)["optimal"]
        return inna(*self.args, alpha, beta, self.inna_gamma, self.lengths["inna"],
                    record_every=max(1, self.lengths["inna"] // 500))


@functools.lru_cache(maxsize=2)
def inertia_bundles(ctx: Context) -> tuple[InertiaBundle, ...]:
    return tuple(InertiaBundle(spec, ctx) for spec in bundle_specs(ctx))


def _run_din_claim(claim_id: str, judge, ctx: Context) -> CheckResult:
    started = time.perf_counter()
    judgements = [judge(bundle.din, claim_id) for bundle in inertia_bundles(ctx)]
    return aggregate(_concat(judgements), ctx, started, replay_command(claim_id, ctx), ctx.seed)


def _concat(judgements: list[Judgement]) -> Judgement:
    """Stack the networks of several judgements of one claim; records are NaN-padded to the longest run (a NaN
    bound never fails, padded records are not `valid`), and every comparison keeps its `valid` mask."""
    if len(judgements) == 1:
        return judgements[0]
    first = judgements[0]
    comparisons = []
    for i, c in enumerate(first.comparisons):
        parts = [j.comparisons[i] for j in judgements]
        width = max(_as2d(p.observed).shape[1] for p in parts)
        observed, bound, valid, scale = [], [], [], []
        for p in parts:
            obs = _as2d(p.observed)
            rows = obs.shape[0]
            bnd = _as2d(p.bound).expand(rows, -1) if _as2d(p.bound).shape[0] == 1 else _as2d(p.bound)
            bnd = bnd.expand(rows, obs.shape[1]) if bnd.shape[1] == 1 else bnd
            ok = torch.ones_like(obs, dtype=torch.bool) if p.valid is None else p.valid.expand_as(obs)
            observed.append(_pad(obs, width, math.nan))
            bound.append(_pad(bnd, width, math.nan))
            valid.append(_pad(ok, width, False))
            scale.append(torch.as_tensor(p.scale, dtype=torch.float64).expand(rows))
        comparisons.append(Comparison(c.name, torch.cat(observed), torch.cat(bound), scale=torch.cat(scale),
                                      lower=c.lower, valid=torch.cat(valid)))
    worst = min(judgements, key=lambda j: j.margin if j.margin is not None else float("inf"))
    return Judgement(first.claim, first.result_id, torch.cat([j.hypotheses_hold for j in judgements]), comparisons,
                     torch.cat([j.diverged for j in judgements]), binding=worst.binding, margin=worst.margin,
                     hypotheses=worst.hypotheses, details={"runs": [j.details for j in judgements]})


def _as2d(x) -> torch.Tensor:
    x = torch.as_tensor(x)
    return x.reshape(1, 1) if x.dim() == 0 else x[:, None] if x.dim() == 1 else x


def _pad(x: torch.Tensor, width: int, value) -> torch.Tensor:
    if x.shape[1] == width:
        return x
    filler = torch.full((x.shape[0], width - x.shape[1]), value, dtype=x.dtype)
    return torch.cat([x, filler], dim=1)


def check_energy(ctx: Context) -> CheckResult:
    return _run_din_claim("IN-2/energy", judge_energy, ctx)


def check_rate(ctx: Context) -> CheckResult:
    return _run_din_claim("IN-5/rate", judge_rate, ctx)


def check_radius(ctx: Context) -> CheckResult:
    return _run_din_claim("IN-6/radius", judge_radius, ctx)


def check_pl(ctx: Context) -> CheckResult:
    """IN-3 along DIN; the PL ratio along gradient flow on the same networks is reported beside it (it tends to the
    slowest mode's ratio, while DIN's tail keeps a larger one: the ratio depends on the trajectory, 03 §8.3)."""
    started = time.perf_counter()
    judgements = []
    for bundle in inertia_bundles(ctx):
        j = judge_pl(bundle.din, "IN-3/pl")
        flow = bundle.flow.trajectory
        valid = _resolved(flow.residual, bundle.instance)
        floor = bundle.values["y_perp"].square()[:, None] / 2
        ratio = torch.where(valid, flow.grad_norm_sq / (2 * (flow.loss - floor)), math.inf)
        j.details["min_pl_ratio_along_gf"] = ratio.amin(dim=1).tolist()
        judgements.append(j)
    return aggregate(_concat(judgements), ctx, started, replay_command("IN-3/pl", ctx), ctx.seed)


def check_recovery(ctx: Context) -> CheckResult:
    return _run_din_claim("IN-7/recovery", judge_recovery, ctx)


def judge_flow(bundle: InertiaBundle, claim_id: str) -> Judgement:
    """IN-4 on the small-step GD (flow): loss and residual rates at the effective time γ(1 − γL/2)τ (GD-4's time
    change, L certified), radius c_γR′ (GD-4), σ_min ≥ σ₀/2."""
    run, inst = bundle.flow, bundle.instance
    traj = run.trajectory
    hold, ev, in4 = evaluate("IN-4", {**bundle.values, "t": run.flow_time})
    hold_gd, _, gd4 = evaluate("GD-4", {**bundle.values, "gamma": run.gamma, "L": run.L})
    valid = _resolved(traj.residual, inst)
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
    name, margin = _binding(ev)
    return Judgement(claim_id, "IN-4", hold & hold_gd, comparisons, traj.diverged, binding=name, margin=margin,
                     hypotheses=hypothesis_records(ev),
                     details={"spec": inst.spec.to_dict(), "gamma_L_certified": (run.gamma * run.L).tolist(),
                              "steps": int(traj.steps[-1])})


def check_flow(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    judgements = [judge_flow(bundle, "IN-4/flow") for bundle in inertia_bundles(ctx)]
    return aggregate(_concat(judgements), ctx, started, replay_command("IN-4/flow", ctx), ctx.seed)


def _rows(traj: Trajectory, rows: slice) -> Trajectory:
    """The networks `rows` of a trajectory (records only)."""
    def cut(x):
        return None if x is None else x[rows]

    params = TwoLayerParams(traj.params.W[rows], traj.params.V[rows])
    return Trajectory(steps=traj.steps, times=traj.times, loss=traj.loss[rows], residual=traj.residual[rows],
                      dist0=traj.dist0[rows], grad_norm_sq=traj.grad_norm_sq[rows],
                      step_lengths=traj.step_lengths[rows], sigma_steps=traj.sigma_steps,
                      sigma_times=traj.sigma_times, sigma_min=cut(traj.sigma_min), x=cut(traj.x), params=params,
                      gamma=traj.gamma[rows], diverged=traj.diverged[rows], diverged_at=traj.diverged_at[rows])


# ------------------------------------------------------------------------------------------------ speed-up, table


def _loss_rate(times, loss, valid) -> torch.Tensor:
    return fitted_rate(times, loss, valid=valid)


def _to_target(times, residual) -> torch.Tensor:
    return time_to_reach(times, residual / residual[:, :1], RESIDUAL_TARGET)


def judge_speedup(bundle: InertiaBundle, claim_id: str) -> Judgement:
    """At IN-5's optimal (α, β), DIN's measured loss rate beats gradient flow's on the same networks, wherever IN-5
    is certified and predicts a speed-up (κ* > 2μ)."""
    inst, run = bundle.instance, bundle.din
    rows = run.rows("optimal")
    traj = run.trajectory
    values = {**bundle.values, "alpha": run.alpha[rows], "beta": run.beta[rows]}
    hold, ev, in5 = evaluate("IN-5", values)
    predicted = in5["speedup_opt"].reshape(-1)
    din_rate = _loss_rate(traj.times, traj.loss[rows], _resolved(traj.residual[rows], inst))
    flow = bundle.flow.trajectory
    flow_times = flow.steps.to(torch.float64)[None, :] * bundle.flow_gamma[:, None]  # Euler time t = γτ
    flow_rate = _loss_rate(flow_times, flow.loss, _resolved(flow.residual, inst))
    comparisons = [Comparison("measured GF loss rate <= measured DIN loss rate at (alpha*, beta*)", flow_rate,
                              din_rate, scale=din_rate)]
    name, margin = _binding(ev)
    return Judgement(claim_id, "IN-5", hold & (predicted > 1), comparisons, traj.diverged[rows] | flow.diverged,
                     binding=name, margin=margin, hypotheses=hypothesis_records(ev),
                     details={"spec": inst.spec.to_dict(), "measured_din_rate": din_rate.tolist(),
                              "measured_gf_rate": flow_rate.tolist(),
                              "measured_speedup": (din_rate / flow_rate).tolist(),
                              "predicted_speedup": predicted.tolist(),
                              "kappa_opt": in5["kappa_opt"].reshape(-1).tolist(),
                              "gf_rate_guaranteed": in5["gf_rate"].reshape(-1).tolist()})


def check_speedup(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    judgements = [judge_speedup(bundle, "IN-5/speedup") for bundle in inertia_bundles(ctx)]
    result = aggregate(_concat(judgements), ctx, started, replay_command("IN-5/speedup", ctx), ctx.seed)
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
