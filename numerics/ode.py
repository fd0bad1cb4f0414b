"""Reference solutions of the continuous-time dynamics on small DIP instances, measured like the trainers' records.

The true ODEs are integrated by ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-10, atol 1e-12), one network at a
time on the CPU in float64:

- `flow_records`: the gradient flow θ̇ = −∇f(θ), θ(0) = θ₀ (`numerics.trainers.gradient_flow_reference`);
- `din_records`: DIN θ̈ + αθ̇ + β∇²f(θ)θ̇ + ∇f(θ) = 0, θ̇(0) = 0, in its second-order form with Hessian–vector
  products (`numerics.inertial.din_reference`), independent of the RK4 scheme of `numerics.inertial.din`.

Each record holds, per network and time, the loss f(θ(t)), the residual ‖y(t) − y‖ = √(2f), ‖θ(t) − θ₀‖, the
gradient norm, σ_min(J_g(θ(t))) (closed form) and, for DIN, the energy E(t) = (1 + αβ)f + ½‖θ̇ + β∇f‖². The
functions here integrate and measure; the bounds they are held to are evaluated by the catalogue's checkers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ipverify.numerics.inertial import din_reference
from ipverify.numerics.instances import DIPInstance
from ipverify.numerics.trainers import gradient_flow_reference
from ipverify.numerics.two_layer import TwoLayerParams, objective_and_gradient, sigma_min_closed_form, unflatten

RTOL, ATOL = 1e-10, 1e-12
"""solve_ivp tolerances: the solution is accurate to ~1e-9 relative, far below every bound's tolerance policy."""


@dataclass(frozen=True)
class ODERecords:
    """b networks, T times: ``loss``, ``residual``, ``dist0``, ``grad_norm``, ``sigma_min`` (b, T); ``energy``
    (b, T) for DIN, else None; ``theta`` (b, T, p); ``success`` (b,) whether every solve reached t_final."""

    times: Tensor
    loss: Tensor
    residual: Tensor
    dist0: Tensor
    grad_norm: Tensor
    sigma_min: Tensor
    theta: Tensor
    energy: Tensor | None
    success: Tensor


def _network(inst: DIPInstance, i: int) -> tuple[Tensor, Tensor, TwoLayerParams, Tensor]:
    """(A, y, θ₀, u) of network i alone (b = 1)."""
    net = inst.net
    A = inst.matrix if inst.matrix.dim() == 2 else inst.matrix[i]
    params = TwoLayerParams(net.params0.W[i : i + 1], net.params0.V[i : i + 1])
    return A, inst.y[i : i + 1], params, net.u[i : i + 1]


def _measure(inst: DIPInstance, i: int, theta: Tensor) -> dict:
    """Loss, residual, ‖θ − θ₀‖, ‖∇f‖ and σ_min at the T flattened states `theta` (T, p) of network i."""
    A, y, params0, u = _network(inst, i)
    T = theta.shape[0]
    params = unflatten(theta, params0.k, params0.d, params0.n)
    ev = objective_and_gradient(A, y.expand(T, -1), params, u.expand(T, -1), inst.net.act)
    theta0 = torch.cat([params0.W.reshape(1, -1), params0.V.reshape(1, -1)], dim=1)
    return {"loss": ev.loss, "residual": ev.residual.norm(dim=-1), "dist0": (theta - theta0).norm(dim=1),
            "grad_norm": ev.grad.norm(), "sigma_min": sigma_min_closed_form(params, u.expand(T, -1), inst.net.act)}


def _stack(times: Tensor, per_network: list[dict], thetas: list[Tensor], energies: list[Tensor] | None,
           success: list[bool]) -> ODERecords:
    field = {name: torch.stack([m[name] for m in per_network]) for name in per_network[0]}
    return ODERecords(times=times, theta=torch.stack(thetas), energy=torch.stack(energies) if energies else None,
                      success=torch.tensor(success), **field)


def _times(t_eval) -> Tensor:
    times = torch.as_tensor(t_eval, dtype=torch.float64).cpu()
    if times.dim() != 1 or times[0] != 0 or not bool((times[1:] > times[:-1]).all()):
        raise ValueError("t_eval must be increasing and start at 0")
    return times


def flow_records(inst: DIPInstance, t_eval) -> ODERecords:
    """The gradient flow of every network of `inst`, solved by solve_ivp and measured at `t_eval` (from 0)."""
    times = _times(t_eval)
    measured, thetas, success = [], [], []
    for i in range(inst.spec.b):
        A, y, params0, u = _network(inst, i)
        ref = gradient_flow_reference(A, y, params0, u, inst.net.act, times, rtol=RTOL, atol=ATOL)
        ok = ref.success and ref.theta.shape[0] == times.shape[0]
        theta = ref.theta if ok else torch.full((times.shape[0], params0.p), float("nan"), dtype=torch.float64)
        measured.append(_measure(inst, i, theta))
        thetas.append(theta)
        success.append(ok)
    return _stack(times, measured, thetas, None, success)


def din_records(inst: DIPInstance, alpha: Tensor, beta: Tensor, t_eval) -> ODERecords:
    """DIN with θ̇(0) = 0 for every network of `inst` (dampings α, β per network, (b,)), solved by solve_ivp."""
    times = _times(t_eval)
    measured, thetas, energies, success = [], [], [], []
    for i in range(inst.spec.b):
        A, y, params0, u = _network(inst, i)
        ref = din_reference(A, y, params0, u, inst.net.act, float(alpha[i]), float(beta[i]), times, rtol=RTOL,
                            atol=ATOL)
        ok = ref.success and ref.theta.shape[0] == times.shape[0]
        nan = torch.full((times.shape[0],), float("nan"), dtype=torch.float64)
        theta = ref.theta if ok else torch.full((times.shape[0], params0.p), float("nan"), dtype=torch.float64)
        measured.append(_measure(inst, i, theta))
        thetas.append(theta)
        energies.append(ref.energy if ok else nan)
        success.append(ok)
    return _stack(times, measured, thetas, energies, success)
