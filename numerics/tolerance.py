"""The tolerance policy, in one place.

A bound holds when  observed ≤ bound·(1 + rtol) + atol·scale  (a lower bound when
observed ≥ bound·(1 − rtol) − atol·scale), with (rtol, atol) chosen by dtype (tight in float64, looser in
float32) and `scale` the size of the quantity at the start of the run (e.g. the initial loss), so that
rounding at the floating-point floor of a converged run is not read as a violation. NaN or inf observed
never holds, and neither does a NaN/inf bound.
"""

from __future__ import annotations

import torch

RESOLUTION = {torch.float64: 1e-11, torch.float32: 1e-4}
"""Below resolution·‖y‖ a residual is at the floating-point floor (its rounding error, ~eps·‖y‖·cond, dominates):
records of a converged run beyond that point are not judged, since every bound that scales with the residual is
then compared with rounding noise."""

TOLERANCES = {
    torch.float64: (1e-9, 1e-12),
    torch.float32: (1e-4, 1e-6),
}


def tolerance(dtype: torch.dtype = torch.float64) -> tuple[float, float]:
    """(rtol, atol) for computations carried out in `dtype`."""
    return TOLERANCES[dtype]


def resolved(residual, y_norm, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Elementwise: the residual is above the floating-point floor RESOLUTION[dtype]·‖y‖."""
    residual, y_norm = torch.as_tensor(residual), torch.as_tensor(y_norm, dtype=torch.float64)
    y_norm = y_norm[:, None] if y_norm.dim() == 1 and residual.dim() == 2 else y_norm
    return residual > RESOLUTION[dtype] * y_norm


def below(observed, bound, dtype: torch.dtype = torch.float64, scale=1.0) -> torch.Tensor:
    """Elementwise observed ≤ bound·(1 + rtol) + atol·scale; False where observed is not finite."""
    rtol, atol = tolerance(dtype)
    observed, bound, scale = (torch.as_tensor(v, dtype=torch.float64) for v in (observed, bound, scale))
    return torch.isfinite(observed) & (observed <= bound * (1 + rtol) + atol * scale)


def above(observed, bound, dtype: torch.dtype = torch.float64, scale=1.0) -> torch.Tensor:
    """Elementwise observed ≥ bound·(1 − rtol) − atol·scale; False where observed is not finite."""
    rtol, atol = tolerance(dtype)
    observed, bound, scale = (torch.as_tensor(v, dtype=torch.float64) for v in (observed, bound, scale))
    return torch.isfinite(observed) & (observed >= bound * (1 - rtol) - atol * scale)


def worst_ratio(observed, bound, dtype: torch.dtype = torch.float64, scale=1.0) -> float:
    """max observed/bound over the records whose bound is above the tolerance floor atol·scale.

    inf if some observation is not finite; NaN if some bound is NaN/inf (an undefined bound has no ratio, and is
    never satisfied) or if no bound is above the floor (the records are then judged by the absolute tolerance
    alone, and a ratio would mean nothing).
    """
    observed, bound = torch.as_tensor(observed, dtype=torch.float64), torch.as_tensor(bound, dtype=torch.float64)
    if not bool(torch.isfinite(observed).all()):
        return float("inf")
    if not bool(torch.isfinite(bound).all()):
        return float("nan")
    mask = bound > tolerance(dtype)[1] * torch.as_tensor(scale, dtype=torch.float64)
    if not bool(mask.any()):
        return float("nan")
    return float((observed[mask] / bound[mask]).max())


FLOOR_REASON = "residual below the floating-point floor RESOLUTION·‖y‖ (numerics.tolerance.resolved)"
"""Why records outside `resolved` are left out of judgement (the `masked_reason` of such comparisons)."""


SWEEP_FLOAT32 = (1e-5, 1e-7)
"""(rtol, atol) of the float32 fast path for sweeps (`numerics.trainers.gradient_descent` on float32 tensors, e.g.
`verify.bench`): its final losses agree with the float64 run on the same instance within
rtol·f₆₄ + atol·f(θ₀), for ≤ 2000 steps with γ ≤ 1/L̂. Measured on the bench instances (4 activations, b ≤ 64,
n ≤ 64, k ≤ 512, 500–2000 steps; BENCHMARKS.md): differences reach 6e-7·f₆₄ where the loss plateaus and
2e-8·f(θ₀) where it goes to 0 — float32's floor (a residual of RESOLUTION[float32]·‖y‖ is a loss of 1e-8·f(θ₀)) —
and use at most 1/20 of this tolerance. A float32 sweep is for speed (exploring step sizes and widths); bounds are
judged in float64 (`TOLERANCES`)."""
