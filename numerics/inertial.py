"""Inertial training of the two-layer DIP (03): the DIN dynamics, the helpers the discrete algorithms of
`numerics.inertial_discrete` share, and the measurements that the IN-* checks compare with the catalogue's bounds.

Every trainer is batched like `numerics.trainers` (b networks at once, closed-form gradients of
`numerics.two_layer`, no autograd, A a tensor or a `LinearOperator`), records a `numerics.records.Trajectory` (DIN:
its subclass `DINTrajectory`), and treats divergence as a verdict: a network whose loss or parameters become
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

Discrete algorithms (IGAHD-SC, our adaptive inertial method, INNA-type steps) are in `numerics.inertial_discrete`.

The constants of the algorithms (IGAHD-SC's three coefficients, ψ₀, INNA's phase coefficients, the path-length factor
√2/(c√μ)) are read from the encoded records (IN-B3, IN-1, IN-8) by `encoded`, never retyped.

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

from ipverify.numerics.checkers import compile_expr
from ipverify.numerics.operators import as_forward
from ipverify.numerics.records import DIVERGENCE_LOSS, Recorder, Trajectory, per_network_values, record_spacing
from ipverify.numerics.steps import curvature_estimate, fixed_step_schedule
from ipverify.numerics.two_layer import (
    GradientEval,
    Scalar,
    TwoLayerParams,
    flatten,
    hessian_vector_product,
    objective_and_gradient,
    sigma_min_closed_form,
    unflatten,
)

if TYPE_CHECKING:
    from ipverify.numerics.activations import Activation

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
    from ipverify.theory import get

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


def _healthy(ev: GradientEval, params: TwoLayerParams) -> Tensor:
    return torch.isfinite(ev.loss) & (ev.loss <= DIVERGENCE_LOSS) & params.is_finite()


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
class DINTrajectory(Trajectory):
    """Records of a batched DIN run: a `numerics.records.Trajectory` (t = τh, ``gamma`` = h per network,
    ``step_lengths`` the RK4 integral of ‖θ̇‖ over each step, so ``path_length`` is ∫₀ᵗ‖θ̇‖) with DIN's own records.

    Per record (b, T): ``energy`` E(t) = (1 + αβ)f + ½‖θ̇ + β∇f‖², ``dissipated`` ∫₀ᵗ(α‖θ̇‖² + β‖∇f‖²)
    (RK4-integrated: E + dissipated = E(0) up to O(h⁴), IN-2), ``velocity_norm_sq`` ‖θ̇(t)‖². ``alpha``, ``beta``
    (b,) are the dampings, ``h`` the step; ``params`` and ``w`` the final state (w = θ̇ + β∇f).
    """

    energy: Tensor
    dissipated: Tensor
    velocity_norm_sq: Tensor
    w: TwoLayerParams
    alpha: Tensor
    beta: Tensor
    h: float

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
    fixed_step_schedule(t_final, 1.0, math.inf)  # t_final is checked before the step is chosen
    A = as_forward(A, params0.n, y.shape[-1], params0.W)
    ref, b = params0.W, params0.b
    a_t = per_network_values(alpha, b, ref, "alpha")
    b_t = per_network_values(beta, b, ref, "beta")
    steps, h = fixed_step_schedule(t_final, default_din_step(A, y, params0, u, act, a_t, b_t) if h is None else h,
                                   max_steps)
    rec = Recorder(params0, steps, record_spacing(steps, n_records), record_spacing(steps, n_sigma_records or None),
                   record_x, extra=("energy", "dissipated", "velocity_norm_sq"))

    field = _DINField(A, y, u, act, (params0.k, params0.d, params0.n), a_t, b_t)
    theta0 = flatten(params0)
    theta = theta0
    w = b_t[:, None] * flatten(objective_and_gradient(A, y, params0, u, act).grad)  # w(0) = β∇f(θ₀): θ̇(0) = 0
    dissipated = torch.zeros(b, dtype=ref.dtype, device=ref.device)
    k1 = field(theta, w)
    alive = _healthy(k1[0], k1[6])
    diverged_at = torch.where(alive, -1, 0).to(torch.int64)
    energy_factor = 1 + a_t * b_t

    def record(step: int, k) -> None:
        ev, theta_dot, params = k[0], k[1], k[6]
        rec.record(step, {"loss": ev.loss, "residual": lambda: ev.residual.norm(dim=-1),
                          "energy": lambda: energy_factor * ev.loss + 0.5 * w.square().sum(dim=1),
                          "dissipated": dissipated, "dist0": lambda: (theta - theta0).norm(dim=1),
                          "grad_norm_sq": lambda: k[5].square().sum(dim=1),
                          "velocity_norm_sq": lambda: theta_dot.square().sum(dim=1)}, ev.x)
        rec.record_sigma(step, lambda: sigma_min_closed_form(params, u, act))

    record(0, k1)
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
        rec.step_length(step, sixth * (v1 + k4[4]) + third * (k2[4] + k3[4]))
        k1 = field(theta, w)
        bad = alive & ~_healthy(k1[0], k1[6])
        diverged_at = torch.where(bad, step + 1, diverged_at)
        alive = alive & ~bad
        record(step + 1, k1)
    shape = (params0.k, params0.d, params0.n)
    return rec.trajectory(unflatten(theta, *shape), torch.full_like(a_t, h), diverged_at, h, kind=DINTrajectory,
                          w=unflatten(w, *shape), alpha=a_t, beta=b_t, h=h)


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
    A_c = as_forward(A, params0.n, y.shape[-1], params0.W).to(**cpu)
    A_c = A_c[0] if isinstance(A_c, Tensor) and A_c.dim() == 3 else A_c
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
