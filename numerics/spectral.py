"""The linear-algebra primitives every numeric module shares: the spectral norm and the Haar-orthogonal draw.

`spectral_norm` is the one routine for ‖A‖₂: exact (an SVD, ``torch.linalg.matrix_norm(ord=2)``) for a tensor,
2-D or batched (..., m, n); for a `numerics.operators.LinearOperator` its own ``norm`` (exact SVD when the
operator is small enough to be formed, else `power_iteration_norm`, matrix-free).

`haar_orthogonal` draws the first r columns of a Haar-random orthogonal matrix (QR of a Gaussian, signs making
diag(R) > 0). Every draw is made in float64 on the generator's device and moved to the CPU, never from the global RNG.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor


def gaussian_draw(shape: tuple[int, ...], generator: torch.Generator, dtype: torch.dtype = torch.float64) -> Tensor:
    """N(0, 1) entries drawn with ``generator`` on its own device, returned on the CPU."""
    return torch.randn(shape, generator=generator, dtype=dtype, device=generator.device).cpu()


def haar_orthogonal(size: int, generator: torch.Generator, columns: int | None = None, batch: tuple[int, ...] = (),
                    dtype: torch.dtype = torch.float64) -> Tensor:
    """The first ``columns`` (default all) columns of Haar-random orthogonal matrices, shape (*batch, size, columns).

    QR of a Gaussian G = QR with the signs of diag(R) moved into Q (Q·sign(diag R)), which makes Q Haar-distributed.
    """
    q, r = torch.linalg.qr(gaussian_draw((*batch, size, size if columns is None else columns), generator, dtype))
    signs = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))
    signs[signs == 0] = 1
    return q * signs.unsqueeze(-2)


def spectral_norm(A) -> Tensor:
    """‖A‖₂ = σ_max(A): a 0-d tensor for a matrix, (...) for a batch (..., m, n) of them, 0 for an empty matrix.

    Tensors: exact (``matrix_norm(ord=2)``, differentiable). Operators (anything with a ``norm``): ``A.norm``.
    """
    if not isinstance(A, Tensor):
        return torch.tensor(float(A.norm), dtype=getattr(A, "dtype", torch.float64), device=getattr(A, "device", None))
    if A.numel() == 0:
        return torch.zeros(A.shape[:-2], dtype=A.dtype, device=A.device)
    return torch.linalg.matrix_norm(A, ord=2)


def power_iteration_norm(apply: Callable[[Tensor], Tensor], adjoint: Callable[[Tensor], Tensor], n: int,
                         dtype: torch.dtype, device: torch.device, iters: int = 1000, rtol: float = 1e-12,
                         seed: int = 0) -> float:
    """‖A‖ = √λ_max(AᵀA) by power iteration on AᵀA through x ↦ Ax and y ↦ Aᵀy only (matrix-free).

    ‖AᵀAv‖ ≤ ‖A‖² for every unit v, so the value is an ESTIMATE FROM BELOW that converges to ‖A‖ (never a
    certified upper bound). Stops when λ changes by at most ``rtol``·λ; the start vector is drawn from a local
    generator seeded with ``seed``.
    """
    v = gaussian_draw((n,), torch.Generator().manual_seed(seed)).to(device=device, dtype=dtype)
    v = v / v.norm()
    lam = 0.0
    for _ in range(iters):
        w = adjoint(apply(v))
        new = float(w.norm())
        if new == 0.0 or not math.isfinite(new):
            return math.sqrt(new) if math.isfinite(new) else math.inf
        v = w / new
        converged = abs(new - lam) <= rtol * new
        lam = new
        if converged:
            break
    return math.sqrt(lam)
