"""Step choice for the flows (gradient flow, DIN): the curvature estimate at θ₀, the default flow step and the
fixed-step schedule that lands exactly on t_final.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from torch import Tensor

from ipverify.numerics.two_layer import TwoLayerParams, jacobian_norm, operator_norm, smoothness_estimate

if TYPE_CHECKING:
    from ipverify.numerics.activations import Activation

FLOW_STEP_FACTOR = 0.05
"""Default flow step h = FLOW_STEP_FACTOR / L̂ (see `default_flow_step`); GD with γ = FLOW_STEP_FACTOR/L follows the
flow up to the time change t ↔ γ(1 − γL/2)τ of 02 GD-4 item 4 (a factor ≥ 0.975)."""


def curvature_estimate(A, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation) -> Tensor:
    """HEURISTIC L̂ per network, (b,): max(‖∇²f(θ₀)‖ by power iteration, ‖A‖²‖J_g(θ₀)‖² (Gauss–Newton)).

    ‖A‖²‖J_g(θ₀)‖² is the Gauss–Newton part of the curvature; taking the larger of the two guards against a power
    iteration that has not converged. A curvature at θ₀, not a certified smoothness constant on a ball (that is
    `numerics.two_layer.smoothness_bound`).
    """
    hess = smoothness_estimate(A, y, params0, u, act, iters=50)
    gauss_newton = operator_norm(A).square() * jacobian_norm(params0, u, act).square()
    return hess.maximum(gauss_newton)


def default_flow_step(A, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation) -> float:
    """h = FLOW_STEP_FACTOR / L̂, L̂ = the largest `curvature_estimate` over the batch (hence the small factor)."""
    L_hat = float(curvature_estimate(A, y, params0, u, act).max())
    if not math.isfinite(L_hat) or L_hat <= 0:
        raise ValueError(f"cannot choose a flow step: curvature estimate {L_hat}")
    return FLOW_STEP_FACTOR / L_hat


def fixed_step_schedule(t_final: float, h: float, max_steps: int) -> tuple[int, float]:
    """(S, h′): S = ⌈t_final/h⌉ steps (at least one) of h′ = t_final/S ≤ h, so that the last step lands on t_final."""
    if not (math.isfinite(t_final) and t_final > 0):
        raise ValueError(f"t_final must be positive and finite, got {t_final!r}")
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"h must be positive and finite, got {h!r}")
    steps = max(1, math.ceil(t_final / h - 1e-9))
    if steps > max_steps:
        raise ValueError(f"{steps} steps exceed max_steps={max_steps}; raise h or max_steps")
    return steps, t_final / steps
