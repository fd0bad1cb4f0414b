"""Discrete inertial algorithms for the two-layer DIP (03), batched like `numerics.trainers` and treating divergence as
a verdict (see `numerics.inertial`).

Discrete algorithms:
- `igahd_sc`: IGAHD-SC exactly as ACFR Thm 11 (IN-B3), r = √(μs):
  θ_{k+1} = θ_k + ((1 − r)/(1 + r))(θ_k − θ_{k−1}) − (β√s/(1 + r))(∇f(θ_k) − ∇f(θ_{k−1})) − (s/(1 + r))∇f(θ_k),
  θ_{−1} = θ₀ (so the first step is a gradient step of length s/(1 + r)).
- `adaptive_inertial`: our variant of IN-8 (the paper's is unknown): at θ_k, with a trial step s (the previous step
  times ``grow``), try IGAHD-SC's update; accept it if f(θ⁺) ≤ f(θ_k) − cs‖∇f(θ_k)‖² (sufficient decrease) and
  ‖θ⁺ − θ_k‖ ≤ (√2/(c√μ))(√f(θ_k) − √f(θ⁺)) (path length); otherwise try the gradient step θ_k − s∇f(θ_k) (momentum
  restart: θ_{k−1} := θ_k next) under the first test, and if it fails too, s ← ϑs and try again. IN-8 proves
  f(θ_{k+1}) ≤ (1 − 2cμs_k)f(θ_k), s_k ≥ min(s₀, 2ϑ(1 − c)/L) and ‖θ_k − θ₀‖ ≤ R′/c under PL on the ball; the step
  rule is exactly the one of those conditions (sufficient decrease with constant c, backtracking factor ϑ).
- `inna`: INNA's update (IN-B7), explicit Euler on IN-1's (θ, ψ) system, with the DIP initialisation
  ψ₀ = (1 − αβ)θ₀ − β²∇f(θ₀) (θ̇(0) = 0) by default, INNA's ψ₀ = (1 − αβ)θ₀ on request.

The constants (IGAHD-SC's three coefficients, ψ₀, INNA's phase coefficients, the path-length factor √2/(c√μ)) are
read from the encoded records (IN-B3, IN-1, IN-8) by `numerics.inertial.encoded`, never retyped here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ipverify.numerics.inertial import _axpy, _healthy, _igahd_coefficients, _lincomb, _where, encoded
from ipverify.numerics.operators import as_forward
from ipverify.numerics.records import Recorder, Trajectory, per_network_values
from ipverify.numerics.two_layer import (
    GradientEval,
    Scalar,
    TwoLayerParams,
    objective_and_gradient,
    sigma_min_closed_form,
)

if TYPE_CHECKING:
    from ipverify.numerics.activations import Activation


class _Run:
    """What every discrete run shares: the problem, its `Recorder`, the evaluation at the current iterate and the
    divergence bookkeeping. Built at θ₀: evaluates f and ∇f there, flags a non-finite start, records k = 0."""

    def __init__(self, A, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation, steps: int,
                 record_every: int, record_sigma_every: int | None, record_x: bool):
        self.A = as_forward(A, params0.n, y.shape[-1], params0.W)
        self.y, self.params0, self.u, self.act = y, params0, u, act
        self.rec = Recorder(params0, steps, record_every, record_sigma_every, record_x)
        self.ev = self.evaluate(params0)
        self.alive = _healthy(self.ev, params0)
        self.diverged_at = torch.where(self.alive, -1, 0).to(torch.int64)
        self.record(0, self.ev, params0)

    def evaluate(self, theta: TwoLayerParams) -> GradientEval:
        return objective_and_gradient(self.A, self.y, theta, self.u, self.act)

    def record(self, k: int, ev: GradientEval, theta: TwoLayerParams) -> None:
        self.rec.record(k, {"loss": ev.loss, "residual": lambda: ev.residual.norm(dim=-1),
                            "dist0": lambda: (theta - self.params0).norm(), "grad_norm_sq": ev.grad.norm_sq}, ev.x)
        self.rec.record_sigma(k, lambda: sigma_min_closed_form(theta, self.u, self.act))

    def accept(self, k: int, theta: TwoLayerParams, ev: GradientEval | None = None) -> GradientEval:
        """θ_k (with its evaluation, computed unless given) becomes the current iterate: a network turning
        non-finite is flagged at k (a verdict, never a crash) and stops; record k."""
        ev = self.evaluate(theta) if ev is None else ev
        bad = self.alive & ~_healthy(ev, theta)
        self.record(k, ev, theta)
        self.alive, self.diverged_at, self.ev = self.alive & ~bad, torch.where(bad, k, self.diverged_at), ev
        return ev

    def step_length(self, k: int, new: TwoLayerParams, old: TwoLayerParams) -> None:
        self.rec.step_length(k, (new - old).norm())

    def trajectory(self, theta: TwoLayerParams, gamma: Tensor) -> Trajectory:
        return self.rec.trajectory(theta, gamma, self.diverged_at)


def igahd_sc(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation, mu: Scalar, s: Scalar,
             beta: Scalar, steps: int, record_every: int = 1, record_sigma_every: int | None = None,
             record_x: bool = False) -> Trajectory:
    """IGAHD-SC (ACFR Thm 11, IN-B3) with strong-convexity parameter ``mu`` (on the DIP: a PL constant), step ``s``
    and Hessian damping ``beta`` (floats or (b,) tensors), θ_{−1} = θ₀. ``Trajectory.gamma`` holds s."""
    ref, b = params0.W, params0.b
    mu_t, s_t, beta_t = (per_network_values(v, b, ref, n) for v, n in ((mu, "mu"), (s, "s"), (beta, "beta")))
    momentum, hess, grad_c = _igahd_coefficients(mu_t, s_t, beta_t)
    run = _Run(A, y, params0, u, act, steps, record_every, record_sigma_every, record_x)
    theta = prev = params0
    ev = run.ev
    grad_prev = ev.grad
    for k in range(steps):
        if k % 64 == 0 and not bool(run.alive.any()):
            break
        new = _lincomb([(1.0, theta), (momentum, theta - prev), (-hess, ev.grad - grad_prev), (-grad_c, ev.grad)])
        new = _where(run.alive, new, theta)
        run.step_length(k, new, theta)
        prev, grad_prev, theta = theta, ev.grad, new
        ev = run.accept(k + 1, theta)
    return run.trajectory(theta, s_t)


@dataclass(frozen=True)
class AdaptiveRun:
    """`adaptive_inertial`'s records: ``trajectory`` (gamma = the last step), and per iteration k (b, S):
    ``step`` s_k accepted (NaN once stalled), ``inertial`` whether the IGAHD candidate was accepted (else a gradient
    step), ``trials`` the number of candidates evaluated; ``stalled_at`` (b,) the first iteration at which no
    candidate passed within ``max_trials`` (−1 if none: a converged network reaches this at the floating-point
    floor), ``s0`` (b,) the initial steps, ``c``/``shrink`` the constants."""

    trajectory: Trajectory
    step: Tensor
    inertial: Tensor
    trials: Tensor
    stalled_at: Tensor
    s0: Tensor
    c: float
    shrink: float


def adaptive_inertial(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation, mu: Scalar,
                      s0: Scalar, steps: int, beta: Scalar = 0.0, mu_hat: Scalar | None = None, c: float = 0.5,
                      shrink: float = 0.5, grow: float = 1.25, s_max: float = math.inf, max_trials: int = 40,
                      record_every: int = 1, record_sigma_every: int | None = None,
                      record_x: bool = False) -> AdaptiveRun:
    """Our adaptive inertial method (IN-8, module docstring), b networks at once.

    ``mu`` is the PL constant of the path-length test (IN-8's μ, e.g. the certified σ_A²σ₀²/4); ``mu_hat`` (default
    ``mu``) the parameter of IGAHD-SC's coefficients, r = √(μ̂s); ``beta`` its Hessian damping; ``s0`` the initial
    step; each iteration starts from min(grow·s_{k−1}, s_max) and multiplies by ``shrink`` after two failed
    candidates. A network for which no candidate passes within ``max_trials`` stays where it is from then on
    (``stalled_at``; its records repeat the last iterate): at the floating-point floor no decrease is measurable.
    """
    if not (0 < c < 1 and 0 < shrink < 1 and grow >= 1):
        raise ValueError("need 0 < c < 1, 0 < shrink < 1 and grow >= 1")
    ref, b = params0.W, params0.b
    mu_t = per_network_values(mu, b, ref, "mu")
    mu_hat_t = mu_t if mu_hat is None else per_network_values(mu_hat, b, ref, "mu_hat")
    s = per_network_values(s0, b, ref, "s0")
    beta_t = per_network_values(beta, b, ref, "beta")
    if not bool((mu_t > 0).all() and (s > 0).all()):
        raise ValueError("mu and s0 must be positive")
    s_first = s.clone()
    length_factor = encoded("IN-8", "length_factor", mu_PL=mu_t, c_armijo=c)  # √2/(c√μ)
    run = _Run(A, y, params0, u, act, steps, record_every, record_sigma_every, record_x)
    A = run.A
    full = {"dtype": ref.dtype, "device": ref.device}
    step_rec = torch.full((b, steps), math.nan, **full)
    inertial_rec = torch.zeros((b, steps), dtype=torch.bool, device=ref.device)
    trials_rec = torch.zeros((b, steps), dtype=torch.int64, device=ref.device)
    theta = prev = params0
    ev = run.ev
    grad_prev = ev.grad
    stalled_at = torch.full((b,), -1, dtype=torch.int64, device=ref.device)
    for k in range(steps):
        alive = run.alive
        active = alive & (stalled_at < 0)
        if not bool(alive.any()):
            break
        if k > 0:
            s = torch.clamp(s * grow, max=s_max)
        g_sq, f_k = ev.grad.norm_sq(), ev.loss
        pending = active.clone()
        accepted_theta, accepted_ev = theta, ev
        is_inertial = torch.zeros_like(alive)
        trials = torch.zeros(b, dtype=torch.int64, device=ref.device)
        while bool(pending.any()) and int(trials.max()) < max_trials:
            momentum, hess, grad_c = _igahd_coefficients(mu_hat_t, s, beta_t)
            cand = _lincomb([(1.0, theta), (momentum, theta - prev), (-hess, ev.grad - grad_prev),
                             (-grad_c, ev.grad)])
            cand_ev = objective_and_gradient(A, y, cand, u, act)
            trials = trials + pending.to(torch.int64)
            decrease = cand_ev.loss <= f_k - c * s * g_sq
            short = (cand - theta).norm() <= length_factor * (f_k.sqrt() - cand_ev.loss.clamp_min(0).sqrt())
            ok = pending & decrease & short & _healthy(cand_ev, cand)
            accepted_theta, accepted_ev = _where(ok, cand, accepted_theta), _merge(ok, cand_ev, accepted_ev)
            is_inertial = is_inertial | ok
            pending = pending & ~ok
            if not bool(pending.any()):
                break
            gd = _axpy(theta, -s, ev.grad)
            gd_ev = objective_and_gradient(A, y, gd, u, act)
            trials = trials + pending.to(torch.int64)
            ok = pending & (gd_ev.loss <= f_k - c * s * g_sq) & _healthy(gd_ev, gd)
            accepted_theta, accepted_ev = _where(ok, gd, accepted_theta), _merge(ok, gd_ev, accepted_ev)
            pending = pending & ~ok
            s = torch.where(pending, s * shrink, s)
        stalled_at = torch.where(pending & (stalled_at < 0), k, stalled_at)
        moved = active & ~pending
        step_rec[:, k] = torch.where(moved, s, math.nan)
        inertial_rec[:, k] = is_inertial
        trials_rec[:, k] = trials
        run.step_length(k, accepted_theta, theta)
        # momentum restart after a gradient step: θ_{k−1} := θ_{k+1}, ∇f(θ_{k−1}) := ∇f(θ_{k+1})
        restart = moved & ~is_inertial
        new_prev = _where(restart, accepted_theta, theta)
        new_grad_prev = _where(restart, accepted_ev.grad, ev.grad)
        prev, grad_prev = _where(moved, new_prev, prev), _where(moved, new_grad_prev, grad_prev)
        s = torch.where(pending, s_first, s)  # a stalled network keeps no shrunken step
        theta, ev = accepted_theta, run.accept(k + 1, accepted_theta, accepted_ev)
    return AdaptiveRun(run.trajectory(theta, s), step_rec, inertial_rec, trials_rec, stalled_at,
                       s_first, c, shrink)


def _merge(mask: Tensor, a: GradientEval, b: GradientEval) -> GradientEval:
    m1, m2 = mask, mask[:, None]
    return GradientEval(torch.where(m1, a.loss, b.loss), torch.where(m2, a.residual, b.residual),
                        _where(mask, a.grad, b.grad), torch.where(m2, a.x, b.x))


def inna(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation, alpha: Scalar, beta: Scalar,
         gamma: Scalar, steps: int, init: str = "dip", record_every: int = 1, record_sigma_every: int | None = None,
         record_x: bool = False) -> Trajectory:
    """INNA (IN-B7): phase = (α − 1/β)θ + ψ/β; ψ ← ψ − γ·phase; θ ← θ − γ(phase + β∇f(θ)); β > 0.

    ``init="dip"``: ψ₀ = (1 − αβ)θ₀ − β²∇f(θ₀) (θ̇(0) = 0, IN-1, the default); ``init="inna"``: INNA's
    ψ₀ = (1 − αβ)θ₀ (θ̇(0) = −β∇f(θ₀)).
    """
    ref, b = params0.W, params0.b
    a_t, b_t, g_t = (per_network_values(v, b, ref, n)
                     for v, n in ((alpha, "alpha"), (beta, "beta"), (gamma, "gamma")))
    if not bool((b_t > 0).all()):
        raise ValueError("INNA needs beta > 0")
    run = _Run(A, y, params0, u, act, steps, record_every, record_sigma_every, record_x)
    psi = initial_psi(params0, run.ev.grad, a_t, b_t, init)
    theta_c = encoded("IN-1", "theta_coefficient", alpha=a_t, beta=b_t)  # α − 1/β
    psi_c = encoded("IN-1", "psi_coefficient", alpha=a_t, beta=b_t)  # 1/β
    theta, ev = params0, run.ev
    for k in range(steps):
        if k % 64 == 0 and not bool(run.alive.any()):
            break
        phase = _lincomb([(theta_c, theta), (psi_c, psi)])
        new_psi = _axpy(psi, -g_t, phase)
        new = _lincomb([(1.0, theta), (-g_t, phase), (-g_t * b_t, ev.grad)])
        new, psi = _where(run.alive, new, theta), _where(run.alive, new_psi, psi)
        run.step_length(k, new, theta)
        theta = new
        ev = run.accept(k + 1, theta)
    return run.trajectory(theta, g_t)


def initial_psi(theta0: TwoLayerParams, grad0: TwoLayerParams, alpha: Tensor, beta: Tensor,
                init: str = "dip") -> TwoLayerParams:
    """ψ₀ of IN-1's first-order form: (1 − αβ)θ₀ − β²∇f(θ₀) (``"dip"``, θ̇(0) = 0) or (1 − αβ)θ₀ (``"inna"``)."""
    if init not in ("dip", "inna"):
        raise ValueError(f"init must be 'dip' or 'inna', got {init!r}")
    alpha, beta = (torch.as_tensor(v, dtype=theta0.W.dtype, device=theta0.W.device) for v in (alpha, beta))
    psi = theta0.scaled(encoded("IN-1", "psi0_theta_coefficient", alpha=alpha, beta=beta))  # 1 − αβ
    if init == "inna":
        return psi
    return _axpy(psi, encoded("IN-1", "psi0_gradient_coefficient", alpha=alpha, beta=beta), grad0)  # −β²
