"""σ_min(J_g(θ)) of any torch generator θ ↦ g(θ) ∈ ℝⁿ, matrix-free (01 GF-2, GF-3: the conditioning the rates use).

J_gJ_gᵀ (n×n) is applied as v ↦ J_g(J_gᵀv) with one ``torch.func.vjp`` and one ``torch.func.jvp``, never forming
J_g (n×p). Its smallest eigenvalue λ_min = σ_min(J_g)² (for n ≤ p) is found by Lanczos (scipy ARPACK ``eigsh``) or
LOBPCG (scipy ``lobpcg``) on that operator; ``method="dense"`` forms J_gJ_gᵀ from n products and calls ``eigvalsh``
(exact up to rounding, for small n and for the tests).

A Lanczos/LOBPCG value is a Ritz value: it is ≥ λ_min, so the σ_min it gives is an ESTIMATE (from above), never a
certified lower bound. `SigmaMin.residual` is ‖J_gJ_gᵀv − λv‖, which puts an eigenvalue within it of λ.

`certifiable_a_priori(module)` says whether the a-priori constants of the GF/GD results (GF-10 Lipschitz bound of
J_g, GD-2 smoothness) exist for a network: they are derived for the two-layer DIP with a C¹,¹ activation only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

METHODS = ("lanczos", "lobpcg", "dense")


@dataclass(frozen=True)
class SigmaMin:
    """σ_min(J_g(θ)) with its method and the eigen-residual ‖J_gJ_gᵀv − σ²v‖ of the returned vector."""

    value: float
    method: str
    residual: float
    certified: bool = False  # only the dense form is exact (up to rounding)


def _flat(out: torch.Tensor) -> torch.Tensor:
    return out.reshape(-1)


def jjt_operator(g: Callable, params) -> tuple[Callable[[torch.Tensor], torch.Tensor], int]:
    """(v ↦ J_g(θ) J_g(θ)ᵀ v, n) for a generator ``g(params)`` (params: a tensor or a pytree of tensors)."""
    out, pullback = torch.func.vjp(lambda p: _flat(g(p)), params)
    n = out.numel()

    def apply(v: torch.Tensor) -> torch.Tensor:
        (cotangent,) = pullback(v.to(out.dtype).reshape(n))
        _, tangent_out = torch.func.jvp(lambda p: _flat(g(p)), (params,), (cotangent,))
        return tangent_out.detach()

    return apply, n


def jjt_dense(g: Callable, params) -> torch.Tensor:
    """J_gJ_gᵀ (n×n) formed from its n matrix–vector products (exact up to rounding)."""
    apply, n = jjt_operator(g, params)
    eye = torch.eye(n, dtype=torch.float64)
    return torch.stack([apply(e).to(torch.float64) for e in eye], dim=1)


def jacobian_dense(g: Callable, params: torch.Tensor) -> torch.Tensor:
    """J_g (n×p) for a flat parameter tensor, by ``jacrev`` (reference for the tests)."""
    return torch.func.jacrev(lambda p: _flat(g(p)))(params)


def sigma_min(g: Callable, params, method: str = "lanczos", tol: float = 1e-10, seed: int = 0) -> SigmaMin:
    """σ_min(J_g(θ)) = √λ_min(J_gJ_gᵀ), matrix-free by default (see the module docstring)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    apply, n = jjt_operator(g, params)
    if method == "dense" or n <= 3:
        gram = jjt_dense(g, params)
        gram = (gram + gram.T) / 2
        eigvals, eigvecs = torch.linalg.eigh(gram)
        lam, vec = float(eigvals[0]), eigvecs[:, 0]
        return SigmaMin(float(np.sqrt(max(lam, 0.0))), "dense J_gJ_gᵀ + eigvalsh",
                        float((gram @ vec - lam * vec).norm()), certified=True)
    from scipy.sparse.linalg import LinearOperator, eigsh, lobpcg

    def matvec(v):
        return apply(torch.as_tensor(np.asarray(v, dtype=np.float64).reshape(-1))).double().numpy()

    op = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    rng = np.random.default_rng(seed)
    if method == "lanczos":
        vals, vecs = eigsh(op, k=1, which="SA", tol=tol, v0=rng.standard_normal(n), ncv=min(n, 64),
                           maxiter=50 * n)
        label = "Lanczos (scipy ARPACK) on J_gJ_gᵀ via jvp/vjp"
    else:
        vals, vecs = lobpcg(op, rng.standard_normal((n, 1)), largest=False, tol=tol, maxiter=50 * n)
        label = "LOBPCG (scipy) on J_gJ_gᵀ via jvp/vjp"
    lam, vec = float(vals[0]), vecs[:, 0] / np.linalg.norm(vecs[:, 0])
    residual = float(np.linalg.norm(matvec(vec) - lam * vec))
    return SigmaMin(float(np.sqrt(max(lam, 0.0))), label, residual)


# ---------------------------------------------------------------------------------------------- torch modules


def module_generator(module: torch.nn.Module, inputs: torch.Tensor) -> tuple[Callable, dict]:
    """(g, θ) for ``module`` at fixed ``inputs``: g(θ) = module(inputs) with parameters θ (a dict of tensors,
    detached copies of the module's named parameters; buffers are kept as they are)."""
    params = {name: p.detach().clone() for name, p in module.named_parameters()}
    buffers = {name: b for name, b in module.named_buffers()}

    def g(theta: dict) -> torch.Tensor:
        return torch.func.functional_call(module, {**theta, **buffers}, (inputs,))

    return g, params


_NOT_C11 = {"ReLU": "ReLU is not differentiable at 0, so φ′ has no Lipschitz constant B (GF-10 needs one)",
            "LeakyReLU": "LeakyReLU's φ′ jumps at 0: no Lipschitz constant B",
            "Hardtanh": "Hardtanh's φ′ jumps: no Lipschitz constant B",
            "ReLU6": "ReLU6's φ′ jumps: no Lipschitz constant B"}


def certifiable_a_priori(module: torch.nn.Module | None) -> tuple[bool, str]:
    """(False, why) unless ``module`` is None (the two-layer DIP of the catalogue, whose constants are certified).

    Reasons name the first obstacle: a non-C¹,¹ activation (ReLU family), batch statistics (BatchNorm), or
    simply that GF-10/GD-2 are derived for the two-layer DIP only.
    """
    if module is None:
        return True, "two-layer DIP: GF-10 and GD-2 give certified constants"
    for sub in module.modules():
        kind = type(sub).__name__
        if kind in _NOT_C11:
            return False, f"not certifiable a priori: {_NOT_C11[kind]}"
        if "BatchNorm" in kind:
            return False, ("not certifiable a priori: BatchNorm makes the output depend on batch statistics, "
                           "outside the model g(u, θ) of the results")
    return False, ("not certifiable a priori: the a-priori constants (GF-10, GD-2) are derived for the two-layer "
                   "DIP only")
