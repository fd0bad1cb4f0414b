"""Smooth activations of the two-layer DIP g(u, θ) = V φ(W u)/√k and their constants (01 §4, 02 GD-6).

For each activation φ the registry stores φ, φ′, φ″ as elementwise torch functions and the closed forms of
sup|φ′| and Lip(φ′) = sup|φ″|. From them:

- B = max(sup|φ′|, Lip(φ′)), the single constant of 01 §4 (|φ′| ≤ B and φ′ is B-Lipschitz);
- C = sup|φ″|, the constant of 02 (needs φ ∈ C²; ELU is only C¹, flagged by ``is_c2=False``);
- C_φ = √E[φ(X)²] and C_φ′ = √E[φ′(X)²], X ~ N(0,1) (01 §4, GF-8/GF-9), by quadrature.

Reference values (01 §4): sigmoid (0.541645, 0.211746), tanh (0.627929, 0.681471),
softplus (0.959816, 0.541645), ELU α = 1 (0.803085, 0.817375).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss

Elementwise = Callable[[torch.Tensor], torch.Tensor]

DEFAULT_ORDER = 200
"""Quadrature nodes: Gauss–Hermite nodes for a C² activation, Gauss–Legendre nodes per panel otherwise."""

HALF_WIDTH = 16.0
"""Truncation of the real line for the split rule; the Gaussian mass beyond ±16 is below 1e-56."""


@dataclass(frozen=True)
class Activation:
    """An activation φ with its first two derivatives and the sup constants of 01 §4.

    ``d2phi`` is the almost-everywhere second derivative when φ is only C¹ (ELU). ``kinks`` lists the
    points where φ′ is not differentiable; the quadrature of `gaussian_constants` splits the line there.
    """

    name: str
    phi: Elementwise
    dphi: Elementwise
    d2phi: Elementwise
    sup_dphi: float
    lip_dphi: float
    is_c2: bool
    kinks: tuple[float, ...] = ()

    @property
    def B(self) -> float:
        """B = max(sup|φ′|, Lip(φ′)): |φ′| ≤ B and φ′ is B-Lipschitz (01 §4)."""
        return max(self.sup_dphi, self.lip_dphi)

    @property
    def C(self) -> float:
        """C = sup|φ″| (02). For a C¹ activation this is Lip(φ′), and 02's C² hypothesis fails (``is_c2``)."""
        return self.lip_dphi


def _sigmoid_d1(x: torch.Tensor) -> torch.Tensor:
    s = torch.sigmoid(x)
    return s * (1 - s)


def _sigmoid_d2(x: torch.Tensor) -> torch.Tensor:
    s = torch.sigmoid(x)
    return s * (1 - s) * (1 - 2 * s)


def _tanh_d1(x: torch.Tensor) -> torch.Tensor:
    return 1 - torch.tanh(x) ** 2


def _tanh_d2(x: torch.Tensor) -> torch.Tensor:
    t = torch.tanh(x)
    return -2 * t * (1 - t**2)


def _softplus(x: torch.Tensor) -> torch.Tensor:
    """log(1 + eˣ) without torch's linear cut-off above x = 20 (which is off by e⁻²⁰ ≈ 2e-9)."""
    return torch.logaddexp(x, torch.zeros_like(x))


def _elu(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, x, torch.expm1(torch.clamp(x, max=0)))


def _elu_d1(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, torch.ones_like(x), torch.exp(torch.clamp(x, max=0)))


def _elu_d2(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, torch.zeros_like(x), torch.exp(torch.clamp(x, max=0)))


_SQRT3 = math.sqrt(3.0)

ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", torch.tanh, _tanh_d1, _tanh_d2,
                       sup_dphi=1.0, lip_dphi=4 / (3 * _SQRT3), is_c2=True),
    "sigmoid": Activation("sigmoid", torch.sigmoid, _sigmoid_d1, _sigmoid_d2,
                          sup_dphi=0.25, lip_dphi=1 / (6 * _SQRT3), is_c2=True),
    "softplus": Activation("softplus", _softplus, torch.sigmoid, _sigmoid_d1,
                           sup_dphi=1.0, lip_dphi=0.25, is_c2=True),
    "elu": Activation("elu", _elu, _elu_d1, _elu_d2,
                      sup_dphi=1.0, lip_dphi=1.0, is_c2=False, kinks=(0.0,)),
}
"""Closed forms: tanh″ peaks at tanh x = ±1/√3, σ″ at σ = (3 ± √3)/6, softplus″ = σ′ peaks at 0,
ELU(α = 1) has φ′ = min(eˣ, 1) with slope 1 at 0⁻."""


def get_activation(name: str) -> Activation:
    """The registered activation called ``name`` (tanh, sigmoid, softplus, elu)."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        allowed = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation '{name}'; allowed: {allowed}") from None


def gaussian_constants(act: Activation | str, order: int = DEFAULT_ORDER) -> dict[str, float]:
    """C_φ = √E[φ(X)²] and C_φ′ = √E[φ′(X)²] for X ~ N(0,1) (01 §4), by quadrature.

    Method. If φ is C² (no kinks) the integrand is smooth and ``order``-point Gauss–Hermite quadrature for
    the weight e^{−x²/2} (``numpy.polynomial.hermite_e.hermegauss``, weights divided by √(2π)) converges
    geometrically; 200 nodes give about 1e-15 for tanh, sigmoid and softplus. If φ′ has kinks (ELU at 0),
    φ² and φ′² are only piecewise smooth and Gauss–Hermite converges algebraically, so the line is cut at
    ±16 (neglected mass < 1e-56) and at every kink, and each panel is integrated against the Gaussian
    density by ``order``-point Gauss–Legendre; each piece is analytic, so the rule converges geometrically
    and 200 nodes per panel reach rounding level (ELU agrees with its closed form to 1e-13).

    Registered activations are cached by (name, order); the returned dict is a fresh copy.
    """
    if isinstance(act, str):
        act = get_activation(act)
    _check_order(order)
    if ACTIVATIONS.get(act.name) is act:
        return dict(_cached_constants(act.name, order))
    return _compute_constants(act, order)


@functools.lru_cache(maxsize=64)
def _cached_constants(name: str, order: int) -> dict[str, float]:
    return _compute_constants(ACTIVATIONS[name], order)


def _check_order(order: int) -> None:
    if isinstance(order, bool) or not isinstance(order, int) or order < 2:
        raise ValueError(f"quadrature order must be an integer >= 2, got {order!r}")


def _compute_constants(act: Activation, order: int) -> dict[str, float]:
    nodes, weights = _gaussian_rule(act.kinks, order)
    x = torch.as_tensor(nodes, dtype=torch.float64)
    second_moment = {
        "C_phi": float(np.dot(weights, act.phi(x).numpy() ** 2)),
        "C_phi_prime": float(np.dot(weights, act.dphi(x).numpy() ** 2)),
    }
    return {key: math.sqrt(value) for key, value in second_moment.items()}


def _gaussian_rule(kinks: tuple[float, ...], order: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes xᵢ and weights wᵢ with Σ wᵢ f(xᵢ) ≈ E[f(X)], X ~ N(0,1), exact for f smooth between kinks."""
    if not kinks:
        nodes, weights = hermegauss(order)
        return nodes, weights / math.sqrt(2 * math.pi)
    cuts = [-HALF_WIDTH, *sorted(k for k in kinks if abs(k) < HALF_WIDTH), HALF_WIDTH]
    t, w = leggauss(order)
    pieces = [_legendre_panel(t, w, a, b) for a, b in itertools.pairwise(cuts) if b > a]
    nodes = np.concatenate([p[0] for p in pieces])
    weights = np.concatenate([p[1] for p in pieces])
    return nodes, weights * np.exp(-nodes**2 / 2) / math.sqrt(2 * math.pi)


def _legendre_panel(t: np.ndarray, w: np.ndarray, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    half = (b - a) / 2
    return a + half * (t + 1), half * w


def activation_constants(name: str) -> dict[str, float | bool]:
    """All constants of ``name`` used by the theorems: C_phi, C_phi_prime, B, C, sup_dphi, lip_dphi, is_c2."""
    act = get_activation(name)
    return {
        **gaussian_constants(act),
        "B": act.B,
        "C": act.C,
        "sup_dphi": act.sup_dphi,
        "lip_dphi": act.lip_dphi,
        "is_c2": act.is_c2,
    }
