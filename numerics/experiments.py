"""Training runs on planted instances, with the step chosen from a certified smoothness constant.

`descent_run` is the one experiment behind the GF-* and GD-* claims: gradient descent with
γ = gamma_factor / L, where L is the GD-2 bound on 𝔹(θ₀, R) (certified), or, when `curvature="estimate"`,
the Hessian's spectral norm at θ₀ (a heuristic lower bound of the true L, used by negative controls
to put the step deliberately beyond 2/L).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from numerics.instances import DIPInstance, InstanceSpec, build_instance
from numerics.trainers import Trajectory, gradient_descent
from numerics.two_layer import smoothness_estimate


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


def descent_run(spec: InstanceSpec, gamma_factor: float, steps: int, *, curvature: str = "certified",
                device: str | torch.device = "cpu", dtype: torch.dtype = torch.float64,
                sigma_every: int = 10) -> DescentRun:
    """Build `spec`'s instance and run `steps` GD steps with γ = gamma_factor / L (per network)."""
    inst = build_instance(spec, device=device, dtype=dtype)
    net = inst.net
    L = inst.smoothness(inst.R)
    L_est = smoothness_estimate(inst.matrix, inst.y, net.params0, net.u, net.act, iters=60)
    if curvature not in ("certified", "estimate"):
        raise ValueError(f"curvature must be 'certified' or 'estimate', got {curvature!r}")
    gamma = gamma_factor / (L if curvature == "certified" else L_est)
    traj = gradient_descent(inst.matrix, inst.y, net.params0, net.u, net.act, gamma, steps,
                            record_sigma_every=sigma_every, record_x=True)
    return DescentRun(inst, L, L_est, gamma, traj)
