"""Batched trainers of the two-layer DIP that record trajectories (01 §1 gradient flow, 02 §1 eq. (2)).

`gradient_descent` runs θ_{τ+1} = θ_τ − γ∇f(θ_τ), f(θ) = ½‖A g(u, θ) − y‖², for b networks at once with the
closed-form gradient of `numerics.two_layer` (no autograd, no Python loop over networks). `gradient_flow`
approximates θ̇ = −∇f(θ) by the same iteration with a small step h (t = τh); `gradient_flow_reference`
integrates the flow of ONE network with ``scipy.integrate.solve_ivp``, to measure the discretisation error.

Divergence is a verdict, not a crash: a network whose loss or parameters become NaN/inf, or whose loss exceeds
`DIVERGENCE_LOSS` (or, optionally, whose ‖θ_τ − θ₀‖ exceeds ``max_dist0``), is frozen at that iterate, flagged
in `Trajectory.diverged` / `diverged_at`, and its later records are NaN.

A too-large step can also send θ to infinity at bounded loss: with the sigmoid or the softplus (φ → 0 at −∞),
the pre-activations run off towards −∞, g(u, θ) → 0 and the loss freezes at ½‖y‖² while ‖θ_τ − θ₀‖ grows
without bound. By default this is
not flagged (``dist0`` shows it); pass ``max_dist0`` to flag it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from scipy.integrate import solve_ivp
from torch import Tensor

from numerics.two_layer import (
    GradientEval,
    Scalar,
    TwoLayerParams,
    flatten,
    jacobian_norm,
    objective_and_gradient,
    operator_norm,
    sigma_min_closed_form,
    smoothness_estimate,
    unflatten,
)

if TYPE_CHECKING:
    from numerics.activations import Activation

DIVERGENCE_LOSS = 1e30
"""A loss above this value (or a non-finite loss or parameter) marks a network as diverged."""

FLOW_STEP_FACTOR = 0.05
"""Default flow step h = FLOW_STEP_FACTOR / L̂ (see `gradient_flow`)."""


@dataclass(frozen=True)
class Trajectory:
    """Records of a batched run. b networks, T recorded iterations, S = number of steps taken.

    Per recorded iteration τ (``steps``, shape (T,)) and its time (``times``: τ for GD, τh for the flow):

    - ``loss`` (b, T): f(θ_τ) = ½‖y_τ − y‖², with y_τ = A g(u, θ_τ);
    - ``residual`` (b, T): ‖y_τ − y‖;
    - ``dist0`` (b, T): ‖θ_τ − θ₀‖;
    - ``grad_norm_sq`` (b, T): ‖∇f(θ_τ)‖²;
    - ``x`` (b, T, n): x_τ = g(u, θ_τ), or None unless ``record_x``.

    At every step: ``step_lengths`` (b, S), ‖θ_{τ+1} − θ_τ‖ = γ‖∇f(θ_τ)‖ for τ = 0..S−1; see `path_length`
    and `tail_length`. σ_min(J_g(θ_τ)) (closed form) at ``sigma_steps`` (T_σ,) / ``sigma_times``, in
    ``sigma_min`` (b, T_σ), or None when not requested.

    ``gamma`` (b,) is the step used by each network (h for the flow); ``params`` the final θ (for a diverged
    network, the iterate at which it was stopped); ``diverged`` (b,) bool and ``diverged_at`` (b,) int64, the
    first iteration whose loss or parameters were non-finite or whose loss exceeded `DIVERGENCE_LOSS`, −1 if
    none. Records at iterations after ``diverged_at`` are NaN; the record at ``diverged_at`` itself holds
    the offending value (inf, NaN or > 1e30), so no check counts it as finite.
    """

    steps: Tensor
    times: Tensor
    loss: Tensor
    residual: Tensor
    dist0: Tensor
    grad_norm_sq: Tensor
    step_lengths: Tensor
    sigma_steps: Tensor | None
    sigma_times: Tensor | None
    sigma_min: Tensor | None
    x: Tensor | None
    params: TwoLayerParams
    gamma: Tensor
    diverged: Tensor
    diverged_at: Tensor

    @property
    def path_length(self) -> Tensor:
        """Cumulative length Σ_{s<τ} ‖θ_{s+1} − θ_s‖ for τ = 0..S, shape (b, S + 1) (≥ ‖θ_τ − θ₀‖)."""
        zero = torch.zeros_like(self.step_lengths[:, :1])
        return torch.cat([zero, self.step_lengths.cumsum(dim=1)], dim=1)

    @property
    def tail_length(self) -> Tensor:
        """Σ_{τ≤s<S} ‖θ_{s+1} − θ_s‖ for τ = 0..S, shape (b, S + 1).

        The remaining path length within the run: a lower bound of the infinite tail of 02 GD-4 item 3, so
        ``tail_length[:, τ] ≤ bound(f(θ_τ))`` is a necessary condition for the finite-length bound.
        """
        total = self.path_length
        return total[:, -1:] - total


def _record_indices(steps: int, record_every: int) -> list[int]:
    indices = list(range(0, steps + 1, record_every))
    if indices[-1] != steps:
        indices.append(steps)
    return indices


def _healthy(ev: GradientEval, params: TwoLayerParams, params0: TwoLayerParams, max_dist0: float) -> Tensor:
    """Not diverged: finite loss ≤ DIVERGENCE_LOSS, finite parameters, ‖θ − θ₀‖ ≤ max_dist0; shape (b,)."""
    ok = torch.isfinite(ev.loss) & (ev.loss <= DIVERGENCE_LOSS) & params.is_finite()
    if math.isfinite(max_dist0):
        ok = ok & ((params - params0).norm() <= max_dist0)
    return ok


def _nan_like(ref: Tensor, *shape: int) -> Tensor:
    return torch.full(shape, math.nan, dtype=ref.dtype, device=ref.device)


def _descend(
    A: Tensor,
    y: Tensor,
    params0: TwoLayerParams,
    u: Tensor,
    act: Activation,
    gamma: Tensor,
    steps: int,
    record_every: int,
    record_sigma_every: int | None,
    record_x: bool,
    time_per_step: float,
    max_dist0: float,
) -> Trajectory:
    """The shared GD loop: θ_{τ+1} = θ_τ − γ∇f(θ_τ), batched, with freezing of diverged networks."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if record_every < 1 or (record_sigma_every is not None and record_sigma_every < 1):
        raise ValueError("record_every and record_sigma_every must be positive")
    ref = params0.W
    b, n = params0.b, params0.n
    rec = _record_indices(steps, record_every)
    slot = {tau: j for j, tau in enumerate(rec)}
    T = len(rec)
    loss, residual, dist0, grad_sq = (_nan_like(ref, b, T) for _ in range(4))
    x_rec = _nan_like(ref, b, T, n) if record_x else None
    sig = _record_indices(steps, record_sigma_every) if record_sigma_every is not None else []
    sig_slot = {tau: j for j, tau in enumerate(sig)}
    sigma = _nan_like(ref, b, len(sig)) if record_sigma_every is not None else None
    step_lengths = _nan_like(ref, b, steps)
    g3 = gamma[:, None, None]
    nan = torch.tensor(math.nan, dtype=ref.dtype, device=ref.device)

    def record(tau: int, ev: GradientEval, params: TwoLayerParams, mask: Tensor) -> None:
        if tau in slot:
            j = slot[tau]
            loss[:, j] = torch.where(mask, ev.loss, nan)
            residual[:, j] = torch.where(mask, ev.residual.norm(dim=-1), nan)
            dist0[:, j] = torch.where(mask, (params - params0).norm(), nan)
            grad_sq[:, j] = torch.where(mask, ev.grad.norm_sq(), nan)
            if x_rec is not None:
                x_rec[:, j] = torch.where(mask[:, None], ev.x, nan)
        if sigma is not None and tau in sig_slot:
            sigma[:, sig_slot[tau]] = torch.where(mask, sigma_min_closed_form(params, u, act), nan)

    params = params0
    ev = objective_and_gradient(A, y, params, u, act)
    alive = _healthy(ev, params, params0, max_dist0)
    diverged_at = torch.where(alive, -1, 0).to(torch.int64)
    record(0, ev, params, torch.ones_like(alive))
    for tau in range(steps):
        if tau % 64 == 0 and not bool(alive.any()):
            break
        a3 = alive[:, None, None]
        W_new = torch.where(a3, params.W - g3 * ev.grad.W, params.W)
        V_new = torch.where(a3, params.V - g3 * ev.grad.V, params.V)
        candidate = TwoLayerParams(W_new, V_new)
        step_lengths[:, tau] = torch.where(alive, (candidate - params).norm(), nan)
        params = candidate
        ev = objective_and_gradient(A, y, params, u, act)
        bad = alive & ~_healthy(ev, params, params0, max_dist0)
        diverged_at = torch.where(bad, tau + 1, diverged_at)
        was_alive = alive
        alive = alive & ~bad
        record(tau + 1, ev, params, was_alive)
    steps_t = torch.tensor(rec, dtype=torch.int64, device=ref.device)
    sig_t = torch.tensor(sig, dtype=torch.int64, device=ref.device) if sigma is not None else None
    return Trajectory(
        steps=steps_t,
        times=steps_t.to(ref.dtype) * time_per_step,
        loss=loss,
        residual=residual,
        dist0=dist0,
        grad_norm_sq=grad_sq,
        step_lengths=step_lengths,
        sigma_steps=sig_t,
        sigma_times=sig_t.to(ref.dtype) * time_per_step if sig_t is not None else None,
        sigma_min=sigma,
        x=x_rec,
        params=params,
        gamma=gamma,
        diverged=diverged_at >= 0,
        diverged_at=diverged_at,
    )


def _step_sizes(gamma: Scalar, b: int, ref: Tensor) -> Tensor:
    g = torch.as_tensor(gamma, dtype=ref.dtype, device=ref.device)
    if g.dim() == 0:
        g = g.expand(b)
    if g.shape != (b,):
        raise ValueError(f"gamma must be a float or a ({b},) tensor, got shape {tuple(g.shape)}")
    if not bool(torch.all(torch.isfinite(g) & (g >= 0))):
        raise ValueError("step sizes must be finite and non-negative")
    return g.clone()


def gradient_descent(
    A: Tensor,
    y: Tensor,
    params0: TwoLayerParams,
    u: Tensor,
    act: Activation,
    gamma: Scalar,
    steps: int,
    record_every: int = 1,
    record_sigma_every: int | None = None,
    record_x: bool = False,
    max_dist0: float = math.inf,
) -> Trajectory:
    """Gradient descent θ_{τ+1} = θ_τ − γ∇f(θ_τ) on f(θ) = ½‖A g(u, θ) − y‖² (02 eq. (2)), b networks at once.

    A is (m, n) shared or (b, m, n); y (b, m); u (b, d); ``gamma`` a float or a (b,) tensor (one step per
    network). Records every ``record_every`` iterations (and the last), σ_min(J_g) every
    ``record_sigma_every`` iterations, step lengths at every step; ``Trajectory.times`` = τ. A network is
    flagged as diverged (and frozen) when its loss or θ is non-finite, its loss exceeds `DIVERGENCE_LOSS`, or
    ‖θ_τ − θ₀‖ > ``max_dist0`` (off by default).

    The step lengths give ‖∇f(θ_τ)‖² = ‖θ_{τ+1} − θ_τ‖²/γ² at every step, so the sufficient decrease of 02
    GD-4 item 2 can be checked between recorded iterations in its telescoped form
    f(θ_{τ'}) ≤ f(θ_τ) − (1 − γL/2)/γ · Σ_{τ≤s<τ'} ‖θ_{s+1} − θ_s‖².
    """
    gamma_b = _step_sizes(gamma, params0.b, params0.W)
    return _descend(A, y, params0, u, act, gamma_b, steps, record_every, record_sigma_every, record_x, 1.0,
                    max_dist0)


def default_flow_step(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation) -> float:
    """h = FLOW_STEP_FACTOR / L̂, L̂ = max over the batch of max(‖∇²f(θ₀)‖ (power iteration), ‖A‖²‖J_g(θ₀)‖²).

    ‖A‖²‖J_g(θ₀)‖² is the Gauss–Newton part of the curvature; taking the larger of the two guards against a
    power iteration that has not converged. Both are curvatures at θ₀, not a certified L on a ball (hence
    the factor 0.05).
    """
    hess = smoothness_estimate(A, y, params0, u, act, iters=50)
    A_norm = operator_norm(A)
    gauss_newton = A_norm.square() * jacobian_norm(params0, u, act).square()
    L_hat = float(torch.maximum(hess, gauss_newton).max())
    if not math.isfinite(L_hat) or L_hat <= 0:
        raise ValueError(f"cannot choose a flow step: curvature estimate {L_hat}")
    return FLOW_STEP_FACTOR / L_hat


def gradient_flow(
    A: Tensor,
    y: Tensor,
    params0: TwoLayerParams,
    u: Tensor,
    act: Activation,
    t_final: float,
    h: float | None = None,
    n_records: int = 200,
    n_sigma_records: int | None = None,
    record_x: bool = False,
    max_steps: int = 10**6,
    max_dist0: float = math.inf,
) -> Trajectory:
    """Gradient flow θ̇ = −∇f(θ), θ(0) = θ₀ (01 §1), approximated by GD with a small common step h.

    S = ⌈t_final/h⌉ steps with h adjusted to t_final/S, so that t = τh and the last record is at t_final
    (``Trajectory.times`` is in flow time). Default h: `default_flow_step`, 0.05/L̂ with L̂ the largest
    curvature estimate at θ₀ over the batch. About ``n_records`` (``n_sigma_records``) evenly spaced
    iterations are recorded (σ_min).

    Discretisation error. This is explicit Euler: if ∇f is L-Lipschitz along the way, the global error is
    ‖θ_τ − θ(τh)‖ ≤ (h/2) sup‖θ̈‖ (e^{LT} − 1)/L = O(h·L·e^{LT}) on [0, T] — linear in h but with a
    constant that can be large for long horizons (`gradient_flow_reference` measures it). What matters for
    the checks is not this error: the iterates with γ = h < 2/L satisfy themselves the GF rate bounds with
    the time change t ↔ γ(1 − γL/2)τ (02 GD-4 item 4), i.e. the flow rate up to the factor
    (1 − hL/2) ≥ 0.975 for h = 0.05/L. A check that uses t = τh should allow for this factor.
    """
    if not (math.isfinite(t_final) and t_final > 0):
        raise ValueError(f"t_final must be positive and finite, got {t_final!r}")
    if h is None:
        h = default_flow_step(A, y, params0, u, act)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"h must be positive and finite, got {h!r}")
    steps = max(1, math.ceil(t_final / h - 1e-9))
    if steps > max_steps:
        raise ValueError(f"{steps} steps exceed max_steps={max_steps}; raise h or max_steps")
    h = t_final / steps
    record_every = max(1, steps // max(1, n_records))
    sigma_every = None if n_sigma_records is None else max(1, steps // max(1, n_sigma_records))
    gamma_b = _step_sizes(h, params0.b, params0.W)
    return _descend(A, y, params0, u, act, gamma_b, steps, record_every, sigma_every, record_x, h, max_dist0)


@dataclass(frozen=True)
class FlowReference:
    """ODE solution for one network: ``times`` (T,), ``theta`` (T, p) flattened θ(t), ``loss`` (T,)."""

    times: Tensor
    theta: Tensor
    loss: Tensor
    success: bool
    message: str


def gradient_flow_reference(
    A: Tensor,
    y: Tensor,
    params0: TwoLayerParams,
    u: Tensor,
    act: Activation,
    t_eval: Tensor | np.ndarray | list[float],
    method: str = "DOP853",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> FlowReference:
    """Reference gradient flow of ONE network (b = 1) by ``scipy.integrate.solve_ivp`` on the flattened θ.

    Solves θ̇ = −∇f(θ) with the closed-form gradient (itself tested against autograd) and a high-order
    adaptive method (DOP853 by default, rtol 1e-10), on the CPU in float64. Used to measure the
    discretisation error of `gradient_flow`, which is O(h).
    """
    if params0.b != 1:
        raise ValueError(f"gradient_flow_reference integrates one network, got b = {params0.b}")
    k, d, n = params0.k, params0.d, params0.n
    cpu = {"dtype": torch.float64, "device": "cpu"}
    A_c = A.to(**cpu)
    if A_c.dim() == 3:
        A_c = A_c[0]
    y_c, u_c = y.to(**cpu).reshape(1, -1), u.to(**cpu).reshape(1, -1)

    def rhs(_t: float, theta: np.ndarray) -> np.ndarray:
        params = unflatten(torch.from_numpy(theta).reshape(1, -1), k, d, n)
        return -flatten(objective_and_gradient(A_c, y_c, params, u_c, act).grad)[0].numpy()

    t_eval = np.asarray(torch.as_tensor(t_eval, dtype=torch.float64).cpu(), dtype=np.float64)
    theta0 = flatten(TwoLayerParams(params0.W.to(**cpu), params0.V.to(**cpu)))[0].numpy()
    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), theta0, method=method, t_eval=t_eval, rtol=rtol, atol=atol)
    theta = torch.from_numpy(sol.y.T.copy())
    ev = objective_and_gradient(A_c, y_c.expand(theta.shape[0], -1), unflatten(theta, k, d, n),
                                u_c.expand(theta.shape[0], -1), act)
    return FlowReference(torch.from_numpy(sol.t.copy()), theta, ev.loss, bool(sol.success), str(sol.message))
