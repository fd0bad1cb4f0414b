"""Training runs on planted instances, with the step chosen from a certified smoothness constant.

`descent_run` is the one experiment behind the GF-* and GD-* claims: gradient descent with
γ = gamma_factor / L, where L is the GD-2 bound on 𝔹(θ₀, R) (certified), or, when `curvature="estimate"`,
the Hessian's spectral norm at θ₀ (a heuristic lower bound of the true L, used by negative controls
to put the step deliberately beyond 2/L), or with `curvature="gauss-newton"` ‖A‖²‖J_g(θ₀)‖² (the papers'
protocol, 01 §8.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ipverify.numerics.instances import DIPInstance, InstanceSpec, build_instance
from ipverify.numerics.trainers import Trajectory, gradient_descent
from ipverify.numerics.two_layer import jacobian_norm, smoothness_estimate


@dataclass(frozen=True)
class DescentRun:
    """A planted instance, the certified L on 𝔹(θ₀, R), the step per network, and the trajectory."""

    instance: DIPInstance
    L: torch.Tensor  # (b,) certified: Lipschitz constant of ∇f on 𝔹(θ₀, R)
    L_estimate: torch.Tensor  # (b,) heuristic: ‖∇²f(θ₀)‖
    gamma: torch.Tensor  # (b,)
    trajectory: Trajectory

    @property
    def flow_time(self) -> torch.Tensor:
        """(b, T) effective flow time γ(1 − γL/2)τ of each record (02 GD-4 item 4)."""
        factor = self.gamma * (1 - self.gamma * self.L / 2)
        return factor[:, None] * self.trajectory.steps.to(factor.dtype)[None, :]


def gauss_newton(inst: DIPInstance) -> torch.Tensor:
    """‖A‖²‖J_g(θ₀)‖², the Gauss–Newton curvature at θ₀: the papers' protocol steps η = 0.2/(‖A‖²‖J₀‖²)."""
    return inst.A.norm**2 * jacobian_norm(inst.net.params0, inst.net.u, inst.net.act) ** 2


def descent_run(spec: InstanceSpec, gamma_factor: float, steps: int, *, curvature: str = "certified",
                device: str | torch.device = "cpu", dtype: torch.dtype = torch.float64,
                sigma_every: int | None = 10, record_every: int = 1, record_x: bool = True,
                operator=None) -> DescentRun:
    """Build `spec`'s instance (on ``operator`` when given, see `build_instance`) and run `steps` GD steps with
    γ = gamma_factor / L (per network)."""
    inst = build_instance(spec, device=device, dtype=dtype, operator=operator)
    net = inst.net
    L = inst.smoothness(inst.R)
    L_est = smoothness_estimate(inst.matrix, inst.y, net.params0, net.u, net.act, iters=60)
    scales = {"certified": lambda: L, "estimate": lambda: L_est, "gauss-newton": lambda: gauss_newton(inst)}
    if curvature not in scales:
        raise ValueError(f"curvature must be one of {', '.join(scales)}, got {curvature!r}")
    gamma = gamma_factor / scales[curvature]()
    traj = gradient_descent(inst.matrix, inst.y, net.params0, net.u, net.act, gamma, steps,
                            record_every=record_every, record_sigma_every=sigma_every, record_x=record_x)
    return DescentRun(inst, L, L_est, gamma, traj)
