"""Strongly convex quadratics f(x) = ½xᵀQx and IGAHD-SC on them: the setting of ACFR Theorem 11 (03 IN-B3).

Q = U diag(λ) Uᵀ is built from its eigenvalues, so the strong-convexity modulus μ = λ_min(Q) and the Lipschitz
constant of ∇f, L = λ_max(Q), are known by construction (up to the rounding of Q's entries), x* = 0 and f* = 0. These
are exactly the constants IGAHD-SC's theorem needs, which no DIP instance can certify (the DIP is not convex).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ipverify.numerics.inertial import encoded
from ipverify.numerics.spectral import haar_orthogonal


@dataclass(frozen=True)
class Quadratic:
    """b quadratics ½xᵀQ_i x with eigenvalues ``eigenvalues`` (b, n), ascending, and starting points ``x0`` (b, n)."""

    Q: Tensor
    eigenvalues: Tensor
    x0: Tensor

    @property
    def mu(self) -> Tensor:
        """λ_min(Q), the strong-convexity modulus, (b,)."""
        return self.eigenvalues[:, 0]

    @property
    def L(self) -> Tensor:
        """λ_max(Q), the Lipschitz constant of ∇f, (b,)."""
        return self.eigenvalues[:, -1]

    def value(self, x: Tensor) -> Tensor:
        return 0.5 * (x * self.gradient(x)).sum(dim=-1)

    def gradient(self, x: Tensor) -> Tensor:
        return (self.Q @ x[..., None])[..., 0]


def spd_quadratic(mu: Tensor, L: Tensor, n: int, generator: torch.Generator,
                  dtype: torch.dtype = torch.float64) -> Quadratic:
    """Q_i = U_i diag(λ_i) U_iᵀ with λ_i geometric from mu[i] to L[i] (n ≥ 2), U_i a Haar-random orthogonal matrix
    (`numerics.spectral.haar_orthogonal`), and x0 ~ N(0, I_n)."""
    mu, L = torch.as_tensor(mu, dtype=dtype), torch.as_tensor(L, dtype=dtype)
    if n < 2 or not bool(((mu > 0) & (L >= mu)).all()):
        raise ValueError("need n >= 2 and 0 < mu <= L")
    grid = torch.linspace(0.0, 1.0, n, dtype=dtype)
    eigenvalues = mu[:, None] * (L / mu)[:, None] ** grid[None, :]
    eigenvalues[:, 0], eigenvalues[:, -1] = mu, L
    U = haar_orthogonal(n, generator, batch=(mu.numel(),), dtype=dtype)
    Q = U @ torch.diag_embed(eigenvalues) @ U.mT
    x0 = torch.randn(mu.numel(), n, generator=generator, dtype=dtype)
    return Quadratic((Q + Q.mT) / 2, eigenvalues, x0)


@dataclass(frozen=True)
class QuadraticRun:
    """IGAHD-SC on a `Quadratic`: ``values`` f(x_k) and ``energy`` E_k (NaN at k = 0), both (b, K + 1)."""

    values: Tensor
    energy: Tensor

    @property
    def energy_1(self) -> Tensor:
        return self.energy[:, 1]


def igahd_sc_quadratic(problem: Quadratic, mu: Tensor, s: Tensor, beta: Tensor, steps: int) -> QuadraticRun:
    """IGAHD-SC (IN-B3, coefficients read from the record) with x_{−1} = x₀, and its Lyapunov energy
    E_k = f(x_k) − f* + ½‖√μ(x_{k−1} − x*) + (x_k − x_{k−1})/√s + β∇f(x_{k−1})‖², k ≥ 1 (x* = 0, f* = 0)."""
    values = {"mu_SC": mu, "s_step": s, "beta": beta}
    momentum, hessian, gradient = (encoded("IN-B3", name, **values)[:, None]
                                   for name in ("momentum", "hessian_coefficient", "gradient_coefficient"))
    root_mu, root_s, beta_ = mu.sqrt()[:, None], s.sqrt()[:, None], beta[:, None]
    x_prev = x = problem.x0
    g_prev = g = problem.gradient(x)
    b = x.shape[0]
    f = torch.full((b, steps + 1), math.nan, dtype=x.dtype)
    energy = torch.full_like(f, math.nan)
    f[:, 0] = problem.value(x)
    for k in range(steps):
        x_new = x + momentum * (x - x_prev) - hessian * (g - g_prev) - gradient * g
        x_prev, g_prev, x = x, g, x_new
        g = problem.gradient(x)
        f[:, k + 1] = problem.value(x)
        v = root_mu * x_prev + (x - x_prev) / root_s + beta_ * g_prev
        energy[:, k + 1] = f[:, k + 1] + 0.5 * v.square().sum(dim=-1)
    return QuadraticRun(f, energy)
