"""Certified instance families outside the lazy regime, and gradient descent on the measured curvature.

On a planted instance (`numerics.instances`) gradient descent travels about ‖(A J_g)⁺(y(0) − y)‖ from θ₀,
while GD-4 bounds the distance by R′_γ = c_γ·2‖y(0) − y‖/(σ_Aσ₀), which has to stay below the GF-10 radius R.
A random planted direction leaves the residual spread over the singular directions of A J_g(θ₀), so the
trajectory uses a small part of that budget. An *aligned* family plants θ* = θ₀ ± r·v along the right singular
vector v of A J_g(θ₀) for its smallest singular value, with the sign that lowers σ_min(J_g(θ*)), and pushes r
up to the largest planted radius the GD-4 checker still certifies (bisection on the checker's own verdict):
the residual then decays at nearly the guaranteed rate σ_Aσ₀ and the run travels nearly R′/2.

Every constant that decides a hypothesis comes from `numerics.instances` (certified) and every bound from
`numerics.checkers`; the curvature measured along a run (`curvature_along`) is a heuristic lower bound of
the true smoothness constant, reported as such.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from ipverify.numerics.checkers import checker
from ipverify.numerics.experiments import DescentRun
from ipverify.numerics.instances import DIPInstance, InstanceSpec, build_instance, component_outside_range
from ipverify.numerics.trainers import gradient_descent
from ipverify.numerics.two_layer import (
    TwoLayerParams,
    apply_A,
    forward,
    jjt,
    lip_jacobian_estimate,
    objective_and_gradient,
    sigma_min_closed_form,
    smoothness_estimate,
)


@dataclass(frozen=True)
class Family:
    """An instance family: a base spec (A, networks, activation), how θ* is planted, and the step.

    ``planting``: "aligned" (smallest singular direction of A J_g(θ₀), radius searched to the largest the
    checker certifies, times ``fill``) or "random" (the base spec's own planted direction and radius: the
    shipped protocol, the lazy reference). ``gamma_factor`` is γL with L certified (GD-2 on 𝔹(θ₀, R)).
    """

    name: str
    base: InstanceSpec
    planting: str = "aligned"
    fill: float = 0.98
    gamma_factor: float = 0.5

    def __post_init__(self) -> None:
        if self.planting not in ("aligned", "random"):
            raise ValueError(f"planting must be 'aligned' or 'random', got {self.planting!r}")
        if not 0 < self.fill <= 1:
            raise ValueError(f"fill must be in (0, 1], got {self.fill!r}")


def _adjoint_jacobian(inst: DIPInstance, z: torch.Tensor) -> TwoLayerParams:
    """J_g(θ₀)ᵀAᵀz per network: the gradient of ½‖A g − (A g(θ₀) − z)‖² at θ₀ (closed form)."""
    net = inst.net
    y0 = apply_A(inst.matrix, forward(net.params0, net.u, net.act))
    return objective_and_gradient(inst.matrix, y0 - z, net.params0, net.u, net.act).grad


def smallest_direction(inst: DIPInstance) -> TwoLayerParams:
    """Unit right singular vector of A J_g(θ₀) for its smallest singular value, per network (needs rank m).

    (A J)(A J)ᵀ = A (J Jᵀ) Aᵀ is m × m; its bottom eigenvector z gives v = JᵀAᵀz/‖JᵀAᵀz‖."""
    if inst.A.rank < inst.A.m:
        raise ValueError(f"A J_g has rank < m = {inst.A.m}: no smallest non-zero direction in ℝ^m to align with")
    A = inst.matrix
    gram = A @ jjt(inst.net.params0, inst.net.u, inst.net.act) @ A.mT
    z = torch.linalg.eigh(gram).eigenvectors[..., 0]
    v = _adjoint_jacobian(inst, z)
    return v.scaled(1.0 / v.norm())


def plant(inst: DIPInstance, delta: TwoLayerParams) -> DIPInstance:
    """`inst` with θ* = θ₀ + δ and noiseless y = A g(u, θ*); R′ is the GD-4 checker's own definition."""
    net = inst.net
    theta_star = net.params0 + delta
    x_bar = forward(theta_star, net.u, net.act)
    y = apply_A(inst.matrix, x_bar)
    residual_0 = (apply_A(inst.matrix, forward(net.params0, net.u, net.act)) - y).norm(dim=-1)
    values = {**inst.checker_values(), "residual_0": residual_0}
    values.pop("R_prime")
    derived = checker("GD-4").fill(_numeric(values))[0]["R_prime"]
    return dataclasses.replace(inst, theta_star=theta_star, x_bar=x_bar, y=y, noise_norm=torch.zeros_like(residual_0),
                               residual_0=residual_0, R_prime=torch.as_tensor(derived, dtype=residual_0.dtype),
                               y_perp=component_outside_range(inst.A, y))


def _numeric(values: dict) -> dict:
    return {k: v.detach().cpu().numpy() if torch.is_tensor(v) else v for k, v in values.items()}


def gd4_evaluation(inst: DIPInstance, gamma_factor: float):
    """The GD-4 checker's evaluation with γ = gamma_factor/L, L certified on 𝔹(θ₀, R) (GD-2)."""
    L = inst.smoothness(inst.R)
    return checker("GD-4").evaluate(_numeric({**inst.checker_values(), "gamma": gamma_factor / L, "L": L}))


def gd4_certified(inst: DIPInstance, gamma_factor: float) -> torch.Tensor:
    """(b,) bool: every GD-4 hypothesis holds with γ = gamma_factor/L, L certified on 𝔹(θ₀, R)."""
    holds = gd4_evaluation(inst, gamma_factor).holds
    return torch.as_tensor(np.broadcast_to(np.asarray(holds, dtype=bool), inst.R.shape).copy())


def refused_hypotheses(inst: DIPInstance, gamma_factor: float) -> list[str]:
    """Names of the GD-4 hypotheses that fail on some network of `inst`."""
    return [v.name for v in gd4_evaluation(inst, gamma_factor).hypotheses if not bool(np.all(v.holds))]


def signed_direction(inst: DIPInstance, v: TwoLayerParams, radius: torch.Tensor) -> TwoLayerParams:
    """±v per network, the sign whose θ₀ ± radius·v has the smaller σ_min(J_g) (the run then heads downhill)."""
    net = inst.net
    s_plus = sigma_min_closed_form(net.params0 + v.scaled(radius), net.u, net.act)
    s_minus = sigma_min_closed_form(net.params0 + v.scaled(-radius), net.u, net.act)
    return v.scaled(torch.where(s_plus <= s_minus, 1.0, -1.0).to(radius.dtype))


def largest_certified_radius(inst: DIPInstance, v: TwoLayerParams, gamma_factor: float,
                             iters: int = 40) -> torch.Tensor:
    """(b,) largest r with GD-4 certified on `plant(inst, r·v)`, by bisection on the checker's verdict.

    R′ grows with r (the residual does), so the certified set is an interval [0, r_max); the bracket starts at
    [0, R] (R′ ≥ 2r(1 − O(r)) exceeds R before r reaches R) and is widened if R itself is still certified."""
    lo = torch.zeros_like(inst.R)
    hi = inst.R.clone()
    for _ in range(8):
        grow = gd4_certified(plant(inst, v.scaled(hi)), gamma_factor)
        if not bool(grow.any()):
            break
        lo, hi = torch.where(grow, hi, lo), torch.where(grow, 2 * hi, hi)
    for _ in range(iters):
        mid = (lo + hi) / 2
        ok = gd4_certified(plant(inst, v.scaled(mid)), gamma_factor)
        lo, hi = torch.where(ok, mid, lo), torch.where(ok, hi, mid)
    return lo


@dataclass(frozen=True)
class FamilyInstance:
    """A family's planted instance, with the certified radius search it came from (None for "random")."""

    family: Family
    instance: DIPInstance
    radius: torch.Tensor  # (b,) ‖θ* − θ₀‖
    largest_radius: torch.Tensor | None  # (b,) the largest certified planted radius found, for "aligned"
    base: DIPInstance | None = None  # the unplanted draw and the signed unit direction, for "aligned"
    direction: TwoLayerParams | None = None

    def replanted(self, fill: float) -> DIPInstance:
        """The same draw planted at `fill` × the largest certified radius (fill > 1: a negative control)."""
        if self.direction is None:
            raise ValueError("only an aligned family has a certified radius to replant at")
        return plant(self.base, self.direction.scaled(self.largest_radius * fill))


def build_family(family: Family, device: str | torch.device = "cpu",
                 dtype: torch.dtype = torch.float64) -> FamilyInstance:
    """Draw the family's instance (for "aligned", planted at `family.fill` × the largest certified radius)."""
    base = build_instance(family.base, device=device, dtype=dtype)
    if family.planting == "random":
        return FamilyInstance(family, base, (base.theta_star - base.net.params0).norm(), None)
    v = smallest_direction(base)
    v = signed_direction(base, v, base.R / 2)
    r_max = largest_certified_radius(base, v, family.gamma_factor)
    radius = r_max * family.fill
    return FamilyInstance(family, plant(base, v.scaled(radius)), radius, r_max, base, v)


def descend(inst: DIPInstance, gamma_factor: float, steps: int, *, curvature: str = "certified",
            sigma_every: int | None = 1) -> DescentRun:
    """GD on `inst` with γ = gamma_factor/L, L the certified GD-2 constant on 𝔹(θ₀, R) (``"certified"``)
    or the measured ‖∇²f(θ₀)‖ (``"measured"``, a heuristic: such a step is not certified by GD-4)."""
    net = inst.net
    L = inst.smoothness(inst.R)
    L_est = smoothness_estimate(inst.matrix, inst.y, net.params0, net.u, net.act, iters=60)
    if curvature not in ("certified", "measured"):
        raise ValueError(f"curvature must be 'certified' or 'measured', got {curvature!r}")
    gamma = gamma_factor / (L if curvature == "certified" else L_est)
    traj = gradient_descent(inst.matrix, inst.y, net.params0, net.u, net.act, gamma, steps,
                            record_sigma_every=sigma_every, record_x=False)
    return DescentRun(inst, L, L_est, gamma, traj)


def curvature_along(inst: DIPInstance, gamma: torch.Tensor, steps: int, points: int = 6,
                    iters: int = 60) -> torch.Tensor:
    """HEURISTIC (b, points + 1): ‖∇²f(θ_τ)‖ by power iteration at τ = 0, steps/points, …, steps of the GD run
    with step γ (the run is replayed in segments; GD is deterministic, so the iterates are the same)."""
    net = inst.net
    params, out = net.params0, []
    bounds = np.linspace(0, steps, points + 1).round().astype(int)
    for i, tau in enumerate(bounds):
        if i > 0:
            params = gradient_descent(inst.matrix, inst.y, params, net.u, net.act, gamma,
                                      int(tau - bounds[i - 1])).params
        out.append(smoothness_estimate(inst.matrix, inst.y, params, net.u, net.act, iters=iters))
    return torch.stack(out, dim=1)


def lip_jacobian_sampled(inst: DIPInstance, radius: torch.Tensor, seed: int, pairs: int = 16) -> torch.Tensor:
    """HEURISTIC (b,): the sampled Lipschitz ratio of J_g on 𝔹(θ₀, radius) (a lower bound of Lip_J)."""
    net = inst.net
    generator = torch.Generator(device=net.params0.W.device).manual_seed(int(seed))
    return lip_jacobian_estimate(net.params0, net.u, net.act, radius, generator, pairs=pairs)
