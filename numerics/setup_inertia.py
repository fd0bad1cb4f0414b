"""Experiment set-up for IN-* (the DIP trained with inertia): planted instances, their certified constants, DIN
runs over several (α, β), and one bundle of runs per instance.

A bundle (`InertiaBundle`) holds, on one planted instance: gradient flow (small-step GD), DIN at the encoded optimum
(α*, β*) of IN-5 (and, when asked, the notes' (√μ, 1/√μ) and (2√μ, 1/(2√μ))), GD, IGAHD-SC (under its step condition
(26) and at the notes' practical step), the adaptive inertial method (IN-8) and INNA-type steps. Every constant comes
from a checker generated from the catalogue, with certified inputs: σ₀, R (GF-10), R′, μ = σ_A²σ₀²/4 (IN-3, valid on
𝔹(θ₀, R)), L certified on 𝔹(θ₀, R) (GD-2); nothing here restates a formula of the theory.

The values handed to the checkers carry ‖P⊥y‖ (`y_perp`, the floor ½y_perp² of every rate) and the instance's radius
R, shrunk by a relative 10⁻¹² so that R·Lip_J ≤ σ₀/2 (Lip_J from GF-10) is decided above float rounding. Sizes and
lengths are numbers given by the caller.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from ipverify.numerics.checkers import per_network as evaluate
from ipverify.numerics.experiments import DescentRun, descent_run
from ipverify.numerics.inertial import DINTrajectory, curvature_estimate, din, fitted_rate, time_to_reach
from ipverify.numerics.inertial_discrete import AdaptiveRun, adaptive_inertial, igahd_sc, inna
from ipverify.numerics.instances import DIPInstance, InstanceSpec, build_instance
from ipverify.numerics.quadratic import Quadratic, QuadraticRun, igahd_sc_quadratic, spd_quadratic
from ipverify.numerics.steps import FLOW_STEP_FACTOR
from ipverify.numerics.tolerance import resolved
from ipverify.numerics.trainers import Trajectory, gradient_descent
from ipverify.numerics.two_layer import TwoLayerParams, objective_and_gradient

RESIDUAL_TARGET = 1e-6
"""'Iterations to 1e-6' in the comparison table: first record with ‖y_k − y‖ ≤ 1e-6·‖y_0 − y‖."""

INTEGRATOR_TOLERANCE = 1e-5
"""Relative tolerance granted to the RK4 integration (ODE identity E + ∫D = E(0), solve_ivp reference). Measured at
the default step: ~1e-7 for the identity, ~2e-6 for f in the initial stiff transient (fast mode e^{−βλt}), ~1e-11
for θ at the end."""


SETTINGS = ("optimal", "sqrt_mu", "two_sqrt_mu")
"""DIN parameters: the IN-5 optimum (α*, β*), (√μ, 1/√μ) (κ = √μ/2) and ACFR's (2√μ, 1/(2√μ))."""


def bundle_specs(seed: int, count: int = 1) -> list[InstanceSpec]:
    """The first `count` (1 or 2) planted instances of the bundles: an injective, ill-conditioned A (μ below IN-5's
    speed-up threshold) and R′_DIN < R; the second is larger (k = 1024, softplus)."""
    specs = [InstanceSpec(n=6, m=6, d=5, k=256, b=4, kappa=3.0, planted_radius=0.02, noise=0.002, seed=seed + 300),
             InstanceSpec(n=8, m=10, d=6, k=1024, b=4, kappa=4.0, activation="softplus", planted_radius=0.02,
                          noise=0.002, seed=seed + 301)]
    return specs[:count]


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


def fit_resolved(residual: torch.Tensor, inst: DIPInstance, times: int = 1) -> torch.Tensor:
    """Records whose fit ‖y(t) − Py‖ = √(‖y(t) − y‖² − y_perp²) is above the floating-point floor (RESOLUTION·‖y‖,
    numerics.tolerance) and above FIT_RESOLUTION·‖y(t) − y‖; with y ∈ Im(A) the fit is the residual itself."""
    y_norm = inst.y.norm(dim=-1).repeat(times)
    perp = inst.y_perp.repeat(times)
    perp = perp[:, None] if residual.dim() == 2 else perp
    fit = (residual.square() - perp.square()).clamp_min(0).sqrt()
    return resolved(fit, y_norm, residual.dtype) & (fit > FIT_RESOLUTION * residual)


def igahd_condition_step(values: dict, beta: float = 0.0, margin: float = 0.99) -> torch.Tensor:
    """margin × the largest s satisfying (26) with μ = μ_PL and L certified on the ball (IN-B3's s_max)."""
    _, _, b3 = evaluate("IN-B3", {"mu_SC": mu_pl(values), "L": values["L"], "beta": beta, "s_step": 1.0})
    return margin * b3["s_max"].reshape(-1)


class InertiaBundle:
    """All runs on one instance (module docstring), each computed on first use and kept: a claim pays only for the
    runs it needs, and the comparison table reuses them all. `lengths`: DIN's and the flow's final times
    ("din_time", "flow_time") and the iterations of GD, IGAHD-SC, the adaptive method and INNA ("gd", "igahd",
    "adaptive", "inna"); `settings`: the DIN parameters run (a subset of `SETTINGS`)."""

    def __init__(self, spec: InstanceSpec, lengths: dict, settings: tuple[str, ...] = SETTINGS,
                 device: str | torch.device = "cpu", dtype: torch.dtype = torch.float64):
        self.spec, self.lengths, self.settings = spec, dict(lengths), tuple(settings)
        self.device, self.dtype = device, dtype
        self.instance = build_instance(spec, device, dtype)
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
        return din_run(self.instance, self.values, {name: params[name] for name in self.settings},
                       self.lengths["din_time"], record_x=True)

    @functools.cached_property
    def flow(self) -> DescentRun:
        """Gradient flow: GD with γ = FLOW_STEP_FACTOR/‖∇²f(θ₀)‖ (GD-4 certifies it with the certified L)."""
        probe = descent_run(self.spec, FLOW_STEP_FACTOR, 1, curvature="estimate", device=self.device,
                            dtype=self.dtype, sigma_every=None)
        steps = math.ceil(self.lengths["flow_time"] / float(probe.gamma.min()))
        return descent_run(self.spec, FLOW_STEP_FACTOR, steps, curvature="estimate", device=self.device,
                           dtype=self.dtype, sigma_every=max(1, steps // 30),
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


def trajectory_rows(traj: Trajectory, rows: slice) -> Trajectory:
    """The networks `rows` of a trajectory (records only)."""
    def cut(x):
        return None if x is None else x[rows]

    params = TwoLayerParams(traj.params.W[rows], traj.params.V[rows])
    return Trajectory(steps=traj.steps, times=traj.times, loss=traj.loss[rows], residual=traj.residual[rows],
                      dist0=traj.dist0[rows], grad_norm_sq=traj.grad_norm_sq[rows],
                      step_lengths=traj.step_lengths[rows], sigma_steps=traj.sigma_steps,
                      sigma_times=traj.sigma_times, sigma_min=cut(traj.sigma_min), x=cut(traj.x), params=params,
                      gamma=traj.gamma[rows], diverged=traj.diverged[rows], diverged_at=traj.diverged_at[rows])


def loss_rate(times, loss, valid) -> torch.Tensor:
    return fitted_rate(times, loss, valid=valid)


def iterations_to_target(times, residual) -> torch.Tensor:
    return time_to_reach(times, residual / residual[:, :1], RESIDUAL_TARGET)


QUADRATIC_CONDITIONS = (4.0, 10.0, 30.0, 100.0)
"""L/μ of the quadratics of IN-B3/quadratic (μ = 0.01); each is run with β = 0 and with β = 0.9√μ/(8L)."""


def quadratic_problems(seed: int) -> Quadratic:
    """One strongly convex quadratic ½xᵀQx in dimension 20 per entry of QUADRATIC_CONDITIONS, μ = 0.01."""
    generator = torch.Generator().manual_seed(seed + 340)
    mu = torch.full((len(QUADRATIC_CONDITIONS),), 0.01, dtype=torch.float64)
    return spd_quadratic(mu, mu * torch.tensor(QUADRATIC_CONDITIONS, dtype=torch.float64), 20, generator)


def quadratic_values(problem: Quadratic, overstate: float = 1.0) -> dict:
    """IN-B3's inputs per run: rows 0..b−1 β = 0, rows b..2b−1 β = 0.9√μ/(8L) (so 8βL ≤ √μ), s = 0.99 s_max(26);
    mu_SC = overstate × λ_min(Q), sc_modulus = λ_min(Q) (exact by construction), L = λ_max(Q)."""
    mu, L = problem.mu.repeat(2), problem.L.repeat(2)
    beta = torch.cat([torch.zeros_like(problem.mu), 0.9 * problem.mu.sqrt() / (8 * problem.L)])
    _, _, b3 = evaluate("IN-B3", {"mu_SC": mu, "L": L, "beta": beta, "s_step": 1.0})
    return {"mu_SC": overstate * mu, "sc_modulus": mu, "L": L, "beta": beta, "s_step": 0.99 * b3["s_max"].reshape(-1)}


def run_quadratic(problem: Quadratic, values: dict, steps: int) -> QuadraticRun:
    twice = Quadratic(problem.Q.repeat(2, 1, 1), problem.eigenvalues.repeat(2, 1), problem.x0.repeat(2, 1))
    return igahd_sc_quadratic(twice, values["mu_SC"], values["s_step"], values["beta"], steps)
