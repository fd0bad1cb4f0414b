"""Inertial training of the two-layer DIP (03): the DIN dynamics, IGAHD-SC, an adaptive inertial method, INNA-type
steps, and the measurements that the IN-* checks compare with the catalogue's bounds.

Every trainer is batched like `numerics.trainers` (b networks at once, closed-form gradients of
`numerics.two_layer`, no autograd), and treats divergence as a verdict: a network whose loss or parameters become
non-finite, or whose loss exceeds `DIVERGENCE_LOSS`, is frozen and flagged, and its later records are NaN.

DIN (03 IN-1). θ̈ + αθ̇ + β d/dt∇f(θ) + ∇f(θ) = 0, θ(0) = θ₀, **θ̇(0) = 0**, is integrated in the Hessian-free
first-order form of IN-1 written with w = θ̇ + β∇f(θ) (= ((1 − αβ)θ − ψ)/β for the ψ of IN-1):

    θ̇ = w − β∇f(θ),   ẇ = −αw + (αβ − 1)∇f(θ),   w(0) = β∇f(θ₀),

which is equivalent to the (θ, ψ) system for β > 0 (proved in theory.inertia, IN-1) and is also the heavy ball at
β = 0. The integrator is the classical fixed-step Runge–Kutta method of order 4 (4 gradients per step), with the
dissipated energy D = α‖θ̇‖² + β‖∇f‖² and the speed ‖θ̇‖ integrated alongside by the same RK4 weights, so that
E(t) + ∫₀ᵗD = E(0) (IN-2) and the path length ∫‖θ̇‖ are available to O(h⁴). The default step (`default_din_step`)
is h = min(0.25/max_b(α + βL̂ + √L̂), 0.1/√L̂), L̂ a curvature estimate at θ₀: the linearised system
z² + (α + βλ)z + λ = 0 has |z| ≤ α + βλ + √λ, well inside RK4's stability region, and oscillations ω ≤ √L̂ are
resolved with hω ≤ 0.1. `din_reference` integrates the SECOND-order form
(θ, θ̇) with Hessian–vector products by ``scipy.integrate.solve_ivp`` (DOP853): an independent formulation, used to
measure the discretisation error.

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

The constants of the algorithms (IGAHD-SC's three coefficients, ψ₀, INNA's phase coefficients, the path-length factor
√2/(c√μ)) are read from the encoded records (IN-B3, IN-1, IN-8) by `encoded`, never retyped here.

Measurements: the energy, the dissipated energy, the PL ratio ‖∇f‖²/(2f), ‖θ(t) − θ₀‖, the path length,
σ_min(J_g(θ(t))), `fitted_rate` (least-squares exponential rate of a decaying record) and `time_to_reach`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from scipy.integrate import solve_ivp
from torch import Tensor

from numerics.checkers import compile_expr
from numerics.trainers import DIVERGENCE_LOSS, Trajectory, per_network_values
from numerics.two_layer import (
    GradientEval,
    Scalar,
    TwoLayerParams,
    flatten,
    hessian_vector_product,
    jacobian_norm,
    objective_and_gradient,
    operator_norm,
    sigma_min_closed_form,
    smoothness_estimate,
    unflatten,
)

if TYPE_CHECKING:
    from numerics.activations import Activation

DIN_STEP_FACTOR = 0.25
"""Default DIN step h = min(DIN_STEP_FACTOR / max_b(α + βL̂ + √L̂), DIN_OSCILLATION_FACTOR / max_b √L̂)."""

DIN_OSCILLATION_FACTOR = 0.1
"""RK4 damps an undamped oscillation of frequency ω by about (hω)⁶/144 per step: hω ≤ 0.1 keeps the drift of the
energy identity below 1e-10 per step even when α and β are small (see `default_din_step`)."""


# ---------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------


def _axpy(x: TwoLayerParams, c: Tensor, y: TwoLayerParams) -> TwoLayerParams:
    """x + c·y with one factor c per network, (b,)."""
    c3 = c[:, None, None]
    return TwoLayerParams(x.W + c3 * y.W, x.V + c3 * y.V)


def _lincomb(terms: list[tuple[Tensor | float, TwoLayerParams]]) -> TwoLayerParams:
    """Σ c_i·x_i with per-network (b,) or scalar factors."""
    W = V = None
    for c, x in terms:
        c3 = c[:, None, None] if torch.is_tensor(c) else c
        W = c3 * x.W if W is None else W + c3 * x.W
        V = c3 * x.V if V is None else V + c3 * x.V
    return TwoLayerParams(W, V)


def _where(mask: Tensor, a: TwoLayerParams, b: TwoLayerParams) -> TwoLayerParams:
    m3 = mask[:, None, None]
    return TwoLayerParams(torch.where(m3, a.W, b.W), torch.where(m3, a.V, b.V))


def encoded(result_id: str, name: str, **values) -> Tensor:
    """The conclusion `name` of the catalogue record `result_id` at `values` (torch), e.g. IGAHD-SC's coefficients
    (IN-B3) or ψ₀ (IN-1): the algorithms take their constants from the encoded results, not from retyped formulas."""
    from theory import get

    expr = next(q.expr for q in get(result_id).conclusions if q.name == name)
    names, fn = compile_expr(expr, "torch")
    ref = next(v for v in values.values() if torch.is_tensor(v))
    out = fn(*[torch.as_tensor(values[n], dtype=ref.dtype, device=ref.device) for n in names])
    return torch.as_tensor(out, dtype=ref.dtype, device=ref.device).expand_as(ref)


def _igahd_coefficients(mu: Tensor, s: Tensor, beta: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(momentum, Hessian, gradient) coefficients of IGAHD-SC's update, from IN-B3."""
    values = {"mu_SC": mu, "s_step": s, "beta": beta}
    return tuple(encoded("IN-B3", name, **values) for name in ("momentum", "hessian_coefficient",
                                                                "gradient_coefficient"))


def _evaluate_and_record(rec, k: int, problem: tuple, alive: Tensor, diverged_at: Tensor):
    """f and ∇f at the new iterate θ_k (problem = (A, y, θ_k, u, act)); a network turning non-finite is flagged at k
    (a verdict, never a crash) and stops; record k. Returns (evaluation, alive, diverged_at)."""
    ev = objective_and_gradient(*problem)
    theta = problem[2]
    bad = alive & ~_healthy(ev, theta)
    rec.record(k, ev, theta, alive)
    return ev, alive & ~bad, torch.where(bad, k, diverged_at)


def _healthy(ev: GradientEval, params: TwoLayerParams) -> Tensor:
    return torch.isfinite(ev.loss) & (ev.loss <= DIVERGENCE_LOSS) & params.is_finite()


def _record_indices(steps: int, every: int) -> list[int]:
    indices = list(range(0, steps + 1, max(1, every)))
    if indices[-1] != steps:
        indices.append(steps)
    return indices


def curvature_estimate(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation) -> Tensor:
    """HEURISTIC L̂ per network, (b,): max(‖∇²f(θ₀)‖ by power iteration, ‖A‖²‖J_g(θ₀)‖² (Gauss–Newton)).

    The same estimate as `numerics.trainers.default_flow_step`, kept per network; a curvature at θ₀, not a
    certified smoothness constant on a ball (that is `numerics.two_layer.smoothness_bound`).
    """
    hess = smoothness_estimate(A, y, params0, u, act, iters=50)
    gauss_newton = operator_norm(A).square() * jacobian_norm(params0, u, act).square()
    return torch.maximum(hess, gauss_newton)


def default_din_step(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation,
                     alpha: Scalar, beta: Scalar) -> float:
    """h = min(DIN_STEP_FACTOR / max_b(α + βL̂ + √L̂), DIN_OSCILLATION_FACTOR / max_b √L̂), L̂ = `curvature_estimate`.

    The first term keeps h·|z| small for every root z of z² + (α + βλ)z + λ = 0, λ ≤ L̂ (accuracy and stability of the
    fast, overdamped modes); the second bounds hω for the oscillating modes ω ≤ √L̂, whose energy RK4 would
    otherwise dissipate numerically when the damping is weak.
    """
    L_hat = curvature_estimate(A, y, params0, u, act)
    a = per_network_values(alpha, params0.b, L_hat, "alpha")
    b = per_network_values(beta, params0.b, L_hat, "beta")
    scale = float((a + b * L_hat + L_hat.sqrt()).max())
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"cannot choose a DIN step: scale {scale}")
    return min(DIN_STEP_FACTOR / scale, DIN_OSCILLATION_FACTOR / float(L_hat.sqrt().max()))


# ---------------------------------------------------------------------------------------------------------
# DIN
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DINTrajectory:
    """Records of a batched DIN run: b networks, T records at ``times`` (T,) (t = τh), S steps of size ``h``.

    Per record (b, T): ``loss`` f(θ(t)), ``residual`` ‖y(t) − y‖, ``energy`` E(t) = (1 + αβ)f + ½‖θ̇ + β∇f‖²,
    ``dissipated`` ∫₀ᵗ(α‖θ̇‖² + β‖∇f‖²) (RK4-integrated: E + dissipated = E(0) up to O(h⁴), IN-2), ``path_length``
    ∫₀ᵗ‖θ̇‖ (RK4-integrated), ``dist0`` ‖θ(t) − θ₀‖, ``grad_norm_sq`` ‖∇f(θ(t))‖², ``velocity_norm_sq`` ‖θ̇(t)‖²;
    ``x`` (b, T, n) when recorded; σ_min(J_g(θ(t))) in ``sigma_min`` (b, T_σ) at ``sigma_times``. ``alpha``, ``beta``
    (b,) are the dampings; ``params`` and ``w`` the final state (w = θ̇ + β∇f); ``diverged``/``diverged_at`` as in
    `numerics.trainers.Trajectory` (step index; records after it are NaN).
    """

    steps: Tensor
    times: Tensor
    loss: Tensor
    residual: Tensor
    energy: Tensor
    dissipated: Tensor
    path_length: Tensor
    dist0: Tensor
    grad_norm_sq: Tensor
    velocity_norm_sq: Tensor
    sigma_times: Tensor | None
    sigma_min: Tensor | None
    x: Tensor | None
    params: TwoLayerParams
    w: TwoLayerParams
    alpha: Tensor
    beta: Tensor
    h: float
    diverged: Tensor
    diverged_at: Tensor

    @property
    def pl_ratio(self) -> Tensor:
        """‖∇f(θ(t))‖²/(2f(θ(t))), (b, T): IN-3 says it is ≥ μ while θ(t) ∈ 𝔹(θ₀, R)."""
        return self.grad_norm_sq / (2 * self.loss)

    @property
    def energy_balance(self) -> Tensor:
        """E(t) + ∫₀ᵗD − E(0), (b, T): zero by IN-2's identity, up to the O(h⁴) integration error."""
        return self.energy + self.dissipated - self.energy[:, :1]


class _DINField:
    """F(θ, w) = (w − β∇f(θ), −αw + (αβ − 1)∇f(θ)) on flat (b, p) states, plus D = α‖θ̇‖² + β‖∇f‖² and ‖θ̇‖."""

    def __init__(self, A, y, u, act, shape: tuple[int, int, int], alpha: Tensor, beta: Tensor):
        self.A, self.y, self.u, self.act, self.shape = A, y, u, act, shape
        self.alpha, self.beta = alpha[:, None], beta[:, None]
        self.coupling = (alpha * beta - 1)[:, None]
        self.alpha_b, self.beta_b = alpha, beta

    def __call__(self, theta: Tensor, w: Tensor):
        params = unflatten(theta, *self.shape)
        ev = objective_and_gradient(self.A, self.y, params, self.u, self.act)
        g = flatten(ev.grad)
        theta_dot = torch.addcmul(w, self.beta, g, value=-1.0)
        w_dot = torch.addcmul(self.coupling * g, self.alpha, w, value=-1.0)
        speed_sq = theta_dot.square().sum(dim=1)
        dissipation = self.alpha_b * speed_sq + self.beta_b * g.square().sum(dim=1)
        return ev, theta_dot, w_dot, dissipation, speed_sq.sqrt(), g, params


def din(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation, alpha: Scalar, beta: Scalar,
        t_final: float, h: float | None = None, n_records: int = 200, n_sigma_records: int | None = None,
        record_x: bool = False, max_steps: int = 10**6) -> DINTrajectory:
    """DIN with θ̇(0) = 0 on f(θ) = ½‖A g(u, θ) − y‖², b networks at once, by fixed-step RK4 (module docstring).

    ``alpha``, ``beta``: floats or (b,) tensors (one pair per network, e.g. a sweep over one replicated network).
    S = ⌈t_final/h⌉ steps with h adjusted to t_final/S; default h from `default_din_step`. About ``n_records``
    (``n_sigma_records``) evenly spaced steps are recorded (σ_min).
    """
    if not (math.isfinite(t_final) and t_final > 0):
        raise ValueError(f"t_final must be positive and finite, got {t_final!r}")
    ref, b = params0.W, params0.b
    a_t = per_network_values(alpha, b, ref, "alpha")
    b_t = per_network_values(beta, b, ref, "beta")
    if h is None:
        h = default_din_step(A, y, params0, u, act, a_t, b_t)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"h must be positive and finite, got {h!r}")
    steps = max(1, math.ceil(t_final / h - 1e-9))
    if steps > max_steps:
        raise ValueError(f"{steps} steps exceed max_steps={max_steps}; raise h or max_steps")
    h = t_final / steps
    rec = _record_indices(steps, steps // max(1, n_records))
    slot = {s: j for j, s in enumerate(rec)}
    sig = _record_indices(steps, steps // max(1, n_sigma_records)) if n_sigma_records else []
    sig_slot = {s: j for j, s in enumerate(sig)}
    T = len(rec)
    nan = math.nan
    names = ("loss", "residual", "energy", "dissipated", "path_length", "dist0", "grad_norm_sq", "velocity_norm_sq")
    out = {name: torch.full((b, T), nan, dtype=ref.dtype, device=ref.device) for name in names}
    x_rec = torch.full((b, T, params0.n), nan, dtype=ref.dtype, device=ref.device) if record_x else None
    sigma = torch.full((b, len(sig)), nan, dtype=ref.dtype, device=ref.device) if sig else None

    field = _DINField(A, y, u, act, (params0.k, params0.d, params0.n), a_t, b_t)
    theta0 = flatten(params0)
    theta = theta0
    w = b_t[:, None] * flatten(objective_and_gradient(A, y, params0, u, act).grad)  # w(0) = β∇f(θ₀): θ̇(0) = 0
    dissipated = torch.zeros(b, dtype=ref.dtype, device=ref.device)
    length = torch.zeros_like(dissipated)
    k1 = field(theta, w)
    alive = _healthy(k1[0], k1[6])
    diverged_at = torch.where(alive, -1, 0).to(torch.int64)
    energy_factor = 1 + a_t * b_t

    def record(step: int, k, valid: Tensor) -> None:
        ev, theta_dot, params = k[0], k[1], k[6]
        if step in slot:
            j = slot[step]
            values = {"loss": ev.loss, "residual": ev.residual.norm(dim=-1),
                      "energy": energy_factor * ev.loss + 0.5 * w.square().sum(dim=1), "dissipated": dissipated,
                      "path_length": length, "dist0": (theta - theta0).norm(dim=1),
                      "grad_norm_sq": k[5].square().sum(dim=1), "velocity_norm_sq": theta_dot.square().sum(dim=1)}
            for name, value in values.items():
                out[name][:, j] = torch.where(valid, value, nan)
            if x_rec is not None:
                x_rec[:, j] = torch.where(valid[:, None], ev.x, nan)
        if sigma is not None and step in sig_slot:
            sigma[:, sig_slot[step]] = torch.where(valid, sigma_min_closed_form(params, u, act), nan)

    record(0, k1, torch.ones_like(alive))
    half, sixth, third = h / 2, h / 6, h / 3
    for step in range(steps):
        if step % 64 == 0 and not bool(alive.any()):
            break
        _, t1, w1, d1, v1 = k1[:5]
        k2 = field(torch.add(theta, t1, alpha=half), torch.add(w, w1, alpha=half))
        k3 = field(torch.add(theta, k2[1], alpha=half), torch.add(w, k2[2], alpha=half))
        k4 = field(torch.add(theta, k3[1], alpha=h), torch.add(w, k3[2], alpha=h))
        new_theta = theta + sixth * (t1 + k4[1]) + third * (k2[1] + k3[1])
        new_w = w + sixth * (w1 + k4[2]) + third * (k2[2] + k3[2])
        a2 = alive[:, None]
        theta, w = torch.where(a2, new_theta, theta), torch.where(a2, new_w, w)
        dissipated = torch.where(alive, dissipated + sixth * (d1 + k4[3]) + third * (k2[3] + k3[3]), dissipated)
        length = torch.where(alive, length + sixth * (v1 + k4[4]) + third * (k2[4] + k3[4]), length)
        k1 = field(theta, w)
        bad = alive & ~_healthy(k1[0], k1[6])
        diverged_at = torch.where(bad, step + 1, diverged_at)
        was_alive = alive
        alive = alive & ~bad
        record(step + 1, k1, was_alive)
    steps_t = torch.tensor(rec, dtype=torch.int64, device=ref.device)
    sig_t = torch.tensor(sig, dtype=ref.dtype, device=ref.device) * h if sigma is not None else None
    shape = (params0.k, params0.d, params0.n)
    return DINTrajectory(steps=steps_t, times=steps_t.to(ref.dtype) * h, **out, sigma_times=sig_t,
                         sigma_min=sigma, x=x_rec, params=unflatten(theta, *shape), w=unflatten(w, *shape),
                         alpha=a_t, beta=b_t, h=h, diverged=diverged_at >= 0, diverged_at=diverged_at)


@dataclass(frozen=True)
class DINReference:
    """ODE solution of one network: ``times`` (T,), ``theta``/``velocity`` (T, p), ``loss``/``energy`` (T,)."""

    times: Tensor
    theta: Tensor
    velocity: Tensor
    loss: Tensor
    energy: Tensor
    success: bool
    message: str


def din_reference(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation, alpha: float,
                  beta: float, t_eval, method: str = "DOP853", rtol: float = 1e-10,
                  atol: float = 1e-12) -> DINReference:
    """Reference DIN of ONE network (b = 1) by ``solve_ivp`` on the SECOND-order form with Hessian–vector products.

    State (θ, v = θ̇): θ̇ = v, v̇ = −αv − β∇²f(θ)v − ∇f(θ), v(0) = 0, with the closed-form gradient and HVP of
    `numerics.two_layer` (φ ∈ C²). Independent of `din`'s first-order (θ, w) form and of its RK4 scheme.
    """
    if params0.b != 1:
        raise ValueError(f"din_reference integrates one network, got b = {params0.b}")
    k, d, n = params0.k, params0.d, params0.n
    p = params0.p
    cpu = {"dtype": torch.float64, "device": "cpu"}
    A_c = A.to(**cpu)
    A_c = A_c[0] if A_c.dim() == 3 else A_c
    y_c, u_c = y.to(**cpu).reshape(1, -1), u.to(**cpu).reshape(1, -1)

    def rhs(_t: float, state: np.ndarray) -> np.ndarray:
        theta = unflatten(torch.from_numpy(state[:p]).reshape(1, -1), k, d, n)
        v = unflatten(torch.from_numpy(state[p:]).reshape(1, -1), k, d, n)
        grad = objective_and_gradient(A_c, y_c, theta, u_c, act).grad
        hv = hessian_vector_product(A_c, y_c, theta, u_c, act, v)
        acc = -alpha * flatten(v)[0] - beta * flatten(hv)[0] - flatten(grad)[0]
        return np.concatenate([state[p:], acc.numpy()])

    t_eval = np.asarray(torch.as_tensor(t_eval, dtype=torch.float64).cpu(), dtype=np.float64)
    theta0 = flatten(TwoLayerParams(params0.W.to(**cpu), params0.V.to(**cpu)))[0].numpy()
    state0 = np.concatenate([theta0, np.zeros(p)])
    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), state0, method=method, t_eval=t_eval, rtol=rtol, atol=atol)
    theta = torch.from_numpy(sol.y[:p].T.copy())
    velocity = torch.from_numpy(sol.y[p:].T.copy())
    loss, energy = [], []
    for th, v in zip(theta, velocity, strict=True):
        ev = objective_and_gradient(A_c, y_c, unflatten(th.reshape(1, -1), k, d, n), u_c, act)
        g = flatten(ev.grad)[0]
        loss.append(float(ev.loss[0]))
        energy.append((1 + alpha * beta) * float(ev.loss[0]) + 0.5 * float((v + beta * g).square().sum()))
    return DINReference(torch.from_numpy(sol.t.copy()), theta, velocity, torch.tensor(loss, **cpu),
                        torch.tensor(energy, **cpu), bool(sol.success), str(sol.message))


# ---------------------------------------------------------------------------------------------------------
# Discrete algorithms
# ---------------------------------------------------------------------------------------------------------


class _Recorder:
    """Collects the records of a discrete run into a `numerics.trainers.Trajectory`."""

    def __init__(self, params0: TwoLayerParams, u, act, steps: int, record_every: int,
                 record_sigma_every: int | None, record_x: bool):
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
        ref, b = params0.W, params0.b
        self.params0, self.u, self.act = params0, u, act
        self.rec = _record_indices(steps, record_every)
        self.slot = {s: j for j, s in enumerate(self.rec)}
        self.sig = _record_indices(steps, record_sigma_every) if record_sigma_every else []
        self.sig_slot = {s: j for j, s in enumerate(self.sig)}
        full = {"dtype": ref.dtype, "device": ref.device}
        T = len(self.rec)
        self.loss, self.residual, self.dist0, self.grad_sq = (torch.full((b, T), math.nan, **full) for _ in range(4))
        self.x = torch.full((b, T, params0.n), math.nan, **full) if record_x else None
        self.sigma = torch.full((b, len(self.sig)), math.nan, **full) if self.sig else None
        self.lengths = torch.full((b, steps), math.nan, **full)
        self.ref = ref

    def record(self, step: int, ev: GradientEval, params: TwoLayerParams, valid: Tensor) -> None:
        nan = math.nan
        if step in self.slot:
            j = self.slot[step]
            self.loss[:, j] = torch.where(valid, ev.loss, nan)
            self.residual[:, j] = torch.where(valid, ev.residual.norm(dim=-1), nan)
            self.dist0[:, j] = torch.where(valid, (params - self.params0).norm(), nan)
            self.grad_sq[:, j] = torch.where(valid, ev.grad.norm_sq(), nan)
            if self.x is not None:
                self.x[:, j] = torch.where(valid[:, None], ev.x, nan)
        if self.sigma is not None and step in self.sig_slot:
            self.sigma[:, self.sig_slot[step]] = torch.where(valid, sigma_min_closed_form(params, self.u, self.act),
                                                             nan)

    def step_length(self, step: int, new: TwoLayerParams, old: TwoLayerParams, valid: Tensor) -> None:
        self.lengths[:, step] = torch.where(valid, (new - old).norm(), math.nan)

    def trajectory(self, params: TwoLayerParams, gamma: Tensor, diverged_at: Tensor) -> Trajectory:
        steps_t = torch.tensor(self.rec, dtype=torch.int64, device=self.ref.device)
        sig_t = torch.tensor(self.sig, dtype=torch.int64, device=self.ref.device) if self.sigma is not None else None
        return Trajectory(steps=steps_t, times=steps_t.to(self.ref.dtype), loss=self.loss, residual=self.residual,
                          dist0=self.dist0, grad_norm_sq=self.grad_sq, step_lengths=self.lengths, sigma_steps=sig_t,
                          sigma_times=sig_t.to(self.ref.dtype) if sig_t is not None else None,
                          sigma_min=self.sigma, x=self.x, params=params, gamma=gamma,
                          diverged=diverged_at >= 0, diverged_at=diverged_at)


def igahd_sc(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation, mu: Scalar, s: Scalar,
             beta: Scalar, steps: int, record_every: int = 1, record_sigma_every: int | None = None,
             record_x: bool = False) -> Trajectory:
    """IGAHD-SC (ACFR Thm 11, IN-B3) with strong-convexity parameter ``mu`` (on the DIP: a PL constant), step ``s``
    and Hessian damping ``beta`` (floats or (b,) tensors), θ_{−1} = θ₀. ``Trajectory.gamma`` holds s."""
    ref, b = params0.W, params0.b
    mu_t, s_t, beta_t = (per_network_values(v, b, ref, n) for v, n in ((mu, "mu"), (s, "s"), (beta, "beta")))
    momentum, hess, grad_c = _igahd_coefficients(mu_t, s_t, beta_t)
    rec = _Recorder(params0, u, act, steps, record_every, record_sigma_every, record_x)
    theta = prev = params0
    ev = objective_and_gradient(A, y, theta, u, act)
    grad_prev = ev.grad
    alive = _healthy(ev, theta)
    diverged_at = torch.where(alive, -1, 0).to(torch.int64)
    rec.record(0, ev, theta, torch.ones_like(alive))
    for k in range(steps):
        if k % 64 == 0 and not bool(alive.any()):
            break
        new = _lincomb([(1.0, theta), (momentum, theta - prev), (-hess, ev.grad - grad_prev), (-grad_c, ev.grad)])
        new = _where(alive, new, theta)
        rec.step_length(k, new, theta, alive)
        prev, grad_prev, theta = theta, ev.grad, new
        ev, alive, diverged_at = _evaluate_and_record(rec, k + 1, (A, y, theta, u, act), alive, diverged_at)
    return rec.trajectory(theta, s_t, diverged_at)


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
    rec = _Recorder(params0, u, act, steps, record_every, record_sigma_every, record_x)
    full = {"dtype": ref.dtype, "device": ref.device}
    step_rec = torch.full((b, steps), math.nan, **full)
    inertial_rec = torch.zeros((b, steps), dtype=torch.bool, device=ref.device)
    trials_rec = torch.zeros((b, steps), dtype=torch.int64, device=ref.device)
    theta = prev = params0
    ev = objective_and_gradient(A, y, theta, u, act)
    grad_prev = ev.grad
    alive = _healthy(ev, theta)
    diverged_at = torch.where(alive, -1, 0).to(torch.int64)
    stalled_at = torch.full((b,), -1, dtype=torch.int64, device=ref.device)
    rec.record(0, ev, theta, torch.ones_like(alive))
    for k in range(steps):
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
        rec.step_length(k, accepted_theta, theta, alive)
        # momentum restart after a gradient step: θ_{k−1} := θ_{k+1}, ∇f(θ_{k−1}) := ∇f(θ_{k+1})
        restart = moved & ~is_inertial
        new_prev = _where(restart, accepted_theta, theta)
        new_grad_prev = _where(restart, accepted_ev.grad, ev.grad)
        prev, grad_prev = _where(moved, new_prev, prev), _where(moved, new_grad_prev, grad_prev)
        s = torch.where(pending, s_first, s)  # a stalled network keeps no shrunken step
        theta, ev = accepted_theta, accepted_ev
        bad = alive & ~_healthy(ev, theta)
        diverged_at = torch.where(bad, k + 1, diverged_at)
        was_alive = alive
        alive = alive & ~bad
        rec.record(k + 1, ev, theta, was_alive)
    return AdaptiveRun(rec.trajectory(theta, s, diverged_at), step_rec, inertial_rec, trials_rec, stalled_at,
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
    psi = initial_psi(params0, objective_and_gradient(A, y, params0, u, act).grad, a_t, b_t, init)
    theta_c = encoded("IN-1", "theta_coefficient", alpha=a_t, beta=b_t)  # α − 1/β
    psi_c = encoded("IN-1", "psi_coefficient", alpha=a_t, beta=b_t)  # 1/β
    rec = _Recorder(params0, u, act, steps, record_every, record_sigma_every, record_x)
    theta = params0
    ev = objective_and_gradient(A, y, theta, u, act)
    alive = _healthy(ev, theta)
    diverged_at = torch.where(alive, -1, 0).to(torch.int64)
    rec.record(0, ev, theta, torch.ones_like(alive))
    for k in range(steps):
        if k % 64 == 0 and not bool(alive.any()):
            break
        phase = _lincomb([(theta_c, theta), (psi_c, psi)])
        new_psi = _axpy(psi, -g_t, phase)
        new = _lincomb([(1.0, theta), (-g_t, phase), (-g_t * b_t, ev.grad)])
        new, psi = _where(alive, new, theta), _where(alive, new_psi, psi)
        rec.step_length(k, new, theta, alive)
        theta = new
        ev, alive, diverged_at = _evaluate_and_record(rec, k + 1, (A, y, theta, u, act), alive, diverged_at)
    return rec.trajectory(theta, g_t, diverged_at)


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


# ---------------------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------------------


def fitted_rate(times: Tensor, values: Tensor, valid: Tensor | None = None, upper: float = 1e-2,
                lower: float = 1e-12, envelope: bool = True) -> Tensor:
    """Least-squares exponential rate of a decaying record, (b,): −slope of log v against t over the records with
    lower·v₀ ≤ v ≤ upper·v₀ (finite, and in ``valid`` when given); NaN with fewer than 3 such records.

    With ``envelope`` (default) v is first replaced by its upper envelope sup_{j≥k} v_j (over the valid records), the
    quantity a bound C·e^{−ρt} constrains: an inertial run oscillates, and a fit of the raw record over part of an
    oscillation says little about its rate. ``times`` (T,) or (b, T), ``values`` (b, T). Per unit time for a flow,
    per iteration for an algorithm.
    """
    values = torch.as_tensor(values, dtype=torch.float64)
    times = torch.as_tensor(times, dtype=torch.float64).expand_as(values)
    usable = torch.isfinite(values) & (values > 0)
    if valid is not None:
        usable = usable & valid.expand_as(values)
    if envelope:
        masked = torch.where(usable, values, -math.inf)
        values = masked.flip(1).cummax(dim=1).values.flip(1)
    v0 = values[:, :1]
    mask = usable & (values <= upper * v0) & (values >= lower * v0)
    rates = []
    for i in range(values.shape[0]):
        m = mask[i]
        if int(m.sum()) < 3:
            rates.append(math.nan)
            continue
        t, logv = times[i][m], values[i][m].log()
        tc = t - t.mean()
        rates.append(float(-(tc * (logv - logv.mean())).sum() / tc.square().sum()))
    return torch.tensor(rates, dtype=torch.float64)


def time_to_reach(times: Tensor, values: Tensor, level) -> Tensor:
    """First recorded time with value ≤ level, (b,) (inf if never); ``level`` a float or (b,)."""
    values = torch.as_tensor(values, dtype=torch.float64)
    times = torch.as_tensor(times, dtype=torch.float64).expand_as(values)
    level = torch.as_tensor(level, dtype=torch.float64)
    level = level[:, None] if level.dim() == 1 else level
    hit = torch.isfinite(values) & (values <= level)
    first = torch.where(hit.any(dim=1), hit.to(torch.int64).argmax(dim=1), -1)
    out = torch.full((values.shape[0],), math.inf, dtype=torch.float64)
    ok = first >= 0
    out[ok] = times[ok, first[ok]]
    return out
