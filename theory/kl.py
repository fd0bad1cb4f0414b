"""Kurdyka–Łojasiewicz desingularising functions ψ and their Ψ = ∫ −(ψ′)² (01 §2, 02 §2).

Ψ is computed here by SymPy integration from ψ, never typed in; its inverse is solved for.
"""

from __future__ import annotations

import functools

import sympy as sp

s = sp.Symbol("s", positive=True)
tau_ = sp.Symbol("tau_", real=True)


def psi_lojasiewicz(c, alpha):
    """ψ(s) = c s^α (01's exponent convention; 02 writes c s^{1−α})."""
    return c * s**alpha


def psi_mse():
    """ψ(s) = √(2s): the MSE ½‖v − y‖² satisfies KL with equality (01 §2)."""
    return sp.sqrt(2 * s)


@functools.cache
def Psi_of(psi: sp.Expr) -> sp.Expr:
    """A primitive of −(ψ′)², with no additive constant (any primitive works in GF-3)."""
    return sp.integrate(-sp.diff(psi, s) ** 2, s)


@functools.cache
def Psi_inverse_of(psi: sp.Expr) -> sp.Expr:
    """Ψ⁻¹ as an expression in `tau_`, by solving Ψ(s) = tau_ for s > 0."""
    solutions = sp.solve(sp.Eq(Psi_of(psi), tau_), s)
    if len(solutions) != 1:
        raise ValueError(f"Ψ is not uniquely invertible for ψ = {psi}: {solutions}")
    return solutions[0]


def mse_kl_equality() -> sp.Expr:
    """ψ′(L)·‖∇L‖ for the MSE, with ‖∇L_y(v)‖ = ‖v − y‖ = √(2L): equal to 1 (KL with equality)."""
    return sp.diff(psi_mse(), s) * sp.sqrt(2 * s)
