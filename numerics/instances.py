"""Planted DIP instances and the constants the theorems need, measured or certified on them.

A planted instance draws b two-layer networks θ₀ (01 §4 initialisation), a target θ* = θ₀ + δ with
‖δ‖ = `planted_radius`, the signal x̄ = g(u, θ*) and y = A x̄ + ε with ε = ε_∥ + ε_⊥, ε_∥ ∈ Im(A) of norm
`noise` and ε_⊥ ⊥ Im(A) of norm `noise_outside` (0 unless asked for). Then x̄ ∈ Σ′ = g(u, 𝔹(θ₀, R′)) whenever
‖δ‖ ≤ R′, so dist(x̄, Σ′) = 0 is known, and a small ‖δ‖ makes R′ small enough for the hypothesis R′ < R to be
*certified* at trainable widths (01 GF-13).

Every constant that enters a hypothesis is certified (σ_A, σ₀ and y_perp = ‖P⊥y‖ computed exactly up to float
rounding, R and Lip_J from GF-10, L from GD-2); heuristic estimates are never used to decide that a hypothesis
holds. y_perp is measured even when ε_⊥ = 0: it is then at rounding level, which the MSE floor ½y_perp² absorbs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from ipverify.numerics.activations import get_activation
from ipverify.numerics.operators import LinearOperator
from ipverify.numerics.two_layer import (
    TwoLayerDIP,
    TwoLayerParams,
    certified_radius,
    forward,
    init_two_layer,
    lip_jacobian_bound,
    max_column_norm,
    objective_and_gradient,
    sigma_min_closed_form,
    smoothness_bound,
    sup_jacobian_norm_bound,
)
from ipverify.theory.gradient_flow import RADIUS_SLACK


@dataclass(frozen=True)
class InstanceSpec:
    """Everything that defines an instance; together with the seed it replays it exactly."""

    n: int
    m: int
    d: int
    k: int
    b: int = 4
    activation: str = "tanh"
    kappa: float = 2.0
    planted_radius: float = 0.05
    noise: float = 0.0
    noise_outside: float = 0.0  # norm of the part of ε orthogonal to Im(A) (needs rank A < m)
    seed: int = 0
    v_init: str = "rademacher"
    target: str = "planted"  # or "gaussian": x̄ ~ N(0, I_n), independent of θ (the papers' protocol)
    operator: str = "conditioned"  # or "gaussian": iid N(0, 1/n) entries (the papers' protocol)

    def __post_init__(self) -> None:
        if self.target not in ("planted", "gaussian"):
            raise ValueError(f"target must be 'planted' or 'gaussian', got {self.target!r}")
        if self.operator not in ("conditioned", "gaussian"):
            raise ValueError(f"operator must be 'conditioned' or 'gaussian', got {self.operator!r}")
        if not self.noise_outside >= 0:
            raise ValueError(f"noise_outside must be ≥ 0, got {self.noise_outside!r}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DIPInstance:
    """A planted instance with its certified constants (tensors of shape (b,) unless noted)."""

    spec: InstanceSpec
    A: LinearOperator
    net: TwoLayerDIP
    theta_star: TwoLayerParams | None  # None for a target that is not planted
    x_bar: torch.Tensor  # (b, n)
    y: torch.Tensor  # (b, m)
    noise_norm: torch.Tensor
    sigma_0: torch.Tensor
    V_col_max: torch.Tensor
    residual_0: torch.Tensor
    R: torch.Tensor
    R_prime: torch.Tensor
    y_perp: torch.Tensor  # ‖(I − U Uᵀ) y‖, U the left singular vectors of A for its non-zero singular values

    @property
    def matrix(self) -> torch.Tensor:
        return self.A.matrix

    @property
    def sigma_A(self) -> float:
        return self.A.sigma_A

    @property
    def mu(self) -> float | None:
        """A restricted-injectivity constant: σ_min(A) when A is injective (global form), else unknown."""
        return float(self.A.singular_values[-1]) if self.A.is_injective else None

    def smoothness(self, radius: torch.Tensor) -> torch.Tensor:
        """Certified Lipschitz constant of ∇f on 𝔹(θ₀, radius) (02 GD-2)."""
        return smoothness_bound(self.matrix, self.net.params0, self.net.u, self.net.act, self.y, radius)

    def lip_g(self, radius: torch.Tensor) -> torch.Tensor:
        """Certified Lip_{𝔹(θ₀, radius)}(g)."""
        return sup_jacobian_norm_bound(self.net.params0, self.net.u, self.net.act, radius)

    @property
    def planted_inside(self) -> torch.Tensor:
        """‖θ* − θ₀‖ ≤ R′ per network: then x̄ ∈ Σ′ and dist(x̄, Σ′) = 0 (never known for a target not planted)."""
        if self.theta_star is None:
            return torch.zeros_like(self.R_prime, dtype=torch.bool)
        return (self.theta_star - self.net.params0).norm() <= self.R_prime

    @property
    def lip_J(self) -> torch.Tensor:
        """Certified Lip_{𝔹(θ₀, R)}(J_g) (01 GF-10), with R·Lip_J ≤ σ₀/2 since R is shrunk below the root."""
        return lip_jacobian_bound(self.net.V0, self.net.act, self.spec.k, self.R, u_norm=self.net.u.norm(dim=-1))

    def checker_values(self) -> dict:
        """The measured and certified constants under the catalogue's symbol names."""
        act = self.net.act
        return {"sigma_A": self.sigma_A, "A_norm": self.A.norm, "sigma_0": self.sigma_0, "residual_0": self.residual_0,
                "R": self.R, "R_prime": self.R_prime, "B": act.B, "k": float(self.spec.k), "n": float(self.spec.n),
                "V_col_max": self.V_col_max, "noise": self.noise_norm, "D": 1.0, "y_perp": self.y_perp,
                "Lip_J": self.lip_J}


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def _planted_direction(net: TwoLayerDIP, radius: float, generator: torch.Generator) -> TwoLayerParams:
    """δ = J_g(θ₀)ᵀw/‖J_g(θ₀)ᵀw‖·radius, w ~ N(0, I_n): a direction that moves the output.

    Jᵀw is the gradient of ½‖g − (g(θ₀) − w)‖² at θ₀, so the closed-form gradient (A = I) computes it.
    To first order ‖g(θ*) − g(θ₀)‖ ≥ σ₀‖δ‖, hence R′ ≳ 2‖δ‖ for injective A, and θ* ∈ 𝔹(θ₀, R′).
    """
    params0, u, act = net.params0, net.u, net.act
    w = torch.randn(params0.b, params0.n, generator=generator, dtype=params0.W.dtype).to(params0.W.device)
    identity = torch.eye(params0.n, dtype=params0.W.dtype, device=params0.W.device)
    direction = objective_and_gradient(identity, forward(params0, u, act) - w, params0, u, act).grad
    return direction.scaled(radius / direction.norm())


def _noise_in_range(A: LinearOperator, b: int, level: float, generator: torch.Generator,
                    outside: bool = False) -> torch.Tensor:
    """b draws of norm `level`, in Im(A) (or, with `outside`, orthogonal to it)."""
    raw = torch.randn(b, A.m, generator=generator, dtype=A.dtype).to(A.device)
    eps = raw - A.project_onto_range(raw) if outside else A.project_onto_range(raw)
    return eps * (level / eps.norm(dim=-1, keepdim=True).clamp_min(1e-300))


def component_outside_range(A: LinearOperator, y: torch.Tensor) -> torch.Tensor:
    """‖(I − U Uᵀ) y‖ per row of y: y_perp, the distance from y to Im(A)."""
    return (y - A.project_onto_range(y)).norm(dim=-1)


def build_instance(spec: InstanceSpec, device: str | torch.device = "cpu",
                   dtype: torch.dtype = torch.float64, operator=None) -> DIPInstance:
    """Draw the planted instance of `spec` (all randomness from one generator seeded with spec.seed).

    ``operator``: a forward operator to use instead of drawing one (a tensor, a `LinearOperator`, dense or
    matrix-free, or anything `LinearOperator.wrap` accepts), of shape (spec.m, spec.n); the generator then draws
    the network first. Its SVD-based constants (σ_A, Im(A)) form its matrix once (`LinearOperator.matrix`).
    """
    generator = _generator(spec.seed)
    act = get_activation(spec.activation)
    if operator is not None:
        A = LinearOperator.wrap(operator, dtype=dtype, device=device).to(device=device, dtype=dtype)
        if (A.m, A.n) != (spec.m, spec.n):
            raise ValueError(f"operator is {A.m}x{A.n}, the spec asks for m={spec.m}, n={spec.n}")
    elif spec.operator == "gaussian":
        A = LinearOperator.gaussian(spec.m, spec.n, generator, dtype=dtype).to(device=device)
    else:
        A = LinearOperator.with_condition_number(spec.m, spec.n, spec.kappa, generator, dtype=dtype).to(device=device)
    net = init_two_layer(spec.b, spec.n, spec.d, spec.k, generator, act, v_init=spec.v_init, dtype=dtype,
                         device=device)
    if spec.target == "planted":
        theta_star = net.params0 + _planted_direction(net, spec.planted_radius, generator)
        x_bar = forward(theta_star, net.u, act)
    else:
        theta_star = None
        x_bar = torch.randn(spec.b, spec.n, generator=generator, dtype=dtype).to(device)
    eps = _noise_in_range(A, spec.b, spec.noise, generator) if spec.noise > 0 else torch.zeros(
        spec.b, spec.m, dtype=dtype, device=device)
    if spec.noise_outside > 0:
        if A.rank == A.m:
            raise ValueError(f"noise_outside = {spec.noise_outside}: Im(A) = ℝ^{A.m}, there is no orthogonal part")
        eps = eps + _noise_in_range(A, spec.b, spec.noise_outside, generator, outside=True)
    y = A.A(x_bar) + eps
    sigma_0 = sigma_min_closed_form(net.params0, net.u, act)
    residual_0 = (A.A(forward(net.params0, net.u, act)) - y).norm(dim=-1)
    return DIPInstance(
        spec=spec, A=A, net=net, theta_star=theta_star, x_bar=x_bar, y=y, noise_norm=eps.norm(dim=-1),
        sigma_0=sigma_0, V_col_max=max_column_norm(net.V0), residual_0=residual_0,
        # below the root by a relative 1e-12, so that R·Lip_J ≤ σ₀/2 survives rounding (theory RADIUS_SLACK)
        R=certified_radius(sigma_0, net.V0, act, spec.k) * (1 - float(RADIUS_SLACK)),
        R_prime=2 * residual_0 / (A.sigma_A * sigma_0), y_perp=component_outside_range(A, y))
