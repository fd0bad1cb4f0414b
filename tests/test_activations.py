"""Activation registry and constants (01 §4) against independent computations.

Independent means: C_φ / C_φ′ against the 6-digit table of 01 §4, scipy.integrate.quad on numpy/scipy
implementations and closed forms with the normal CDF; sup|φ′|, Lip(φ′) against dense-grid maxima of
torch-autograd derivatives and difference quotients; φ′, φ″ against torch autograd.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from ipverify.numerics.activations import (
    ACTIVATIONS,
    Activation,
    activation_constants,
    gaussian_constants,
    get_activation,
)

NAMES = ("tanh", "sigmoid", "softplus", "elu")

REFERENCE_01 = {
    "sigmoid": (0.541645, 0.211746),
    "tanh": (0.627929, 0.681471),
    "softplus": (0.959816, 0.541645),
    "elu": (0.803085, 0.817375),
}

NUMPY_PHI = {
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "sigmoid": (special.expit, lambda x: special.expit(x) * special.expit(-x)),
    "softplus": (lambda x: np.logaddexp(x, 0.0), special.expit),
    "elu": (lambda x: x if x > 0 else math.expm1(x), lambda x: 1.0 if x > 0 else math.exp(x)),
}


def _gaussian_moment_quad(f) -> float:
    """E[f(X)²], X ~ N(0,1), by adaptive quadrature on each half-line (split at 0 for the ELU kink)."""
    def integrand(x: float) -> float:
        return float(f(x)) ** 2 * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)

    left = integrate.quad(integrand, -np.inf, 0.0, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    right = integrate.quad(integrand, 0.0, np.inf, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    return left + right


@pytest.mark.parametrize("name", NAMES)
def test_gaussian_constants_match_table_of_01(name):
    consts = gaussian_constants(get_activation(name))
    c_phi, c_dphi = REFERENCE_01[name]
    assert consts["C_phi"] == pytest.approx(c_phi, abs=6e-7)
    assert consts["C_phi_prime"] == pytest.approx(c_dphi, abs=6e-7)


@pytest.mark.parametrize("name", NAMES)
def test_gaussian_constants_match_scipy_quad(name):
    consts = gaussian_constants(name)
    phi, dphi = NUMPY_PHI[name]
    assert consts["C_phi"] == pytest.approx(math.sqrt(_gaussian_moment_quad(phi)), abs=1e-9)
    assert consts["C_phi_prime"] == pytest.approx(math.sqrt(_gaussian_moment_quad(dphi)), abs=1e-9)


def test_elu_constants_match_closed_form():
    """E[ELU′(X)²] = ½ + e²Φ(−2) and E[ELU(X)²] = 1 + e²Φ(−2) − 2√e Φ(−1)."""
    phi_m2, phi_m1 = stats.norm.cdf(-2.0), stats.norm.cdf(-1.0)
    consts = gaussian_constants("elu")
    assert consts["C_phi_prime"] == pytest.approx(math.sqrt(0.5 + math.e**2 * phi_m2), abs=1e-12)
    second_moment = 1 + math.e**2 * phi_m2 - 2 * math.sqrt(math.e) * phi_m1
    assert consts["C_phi"] == pytest.approx(math.sqrt(second_moment), abs=1e-12)


def test_softplus_derivative_constant_equals_sigmoid_constant():
    assert gaussian_constants("softplus")["C_phi_prime"] == pytest.approx(
        gaussian_constants("sigmoid")["C_phi"], abs=1e-13)


@pytest.mark.parametrize("name", NAMES)
def test_gaussian_constants_converged_in_order(name):
    default, finer = gaussian_constants(name), gaussian_constants(name, order=260)
    for key in ("C_phi", "C_phi_prime"):
        assert default[key] == pytest.approx(finer[key], abs=1e-12)


@pytest.mark.parametrize("kink", [0.0, 1.0, -0.5])
def test_split_rule_is_exact_for_shifted_relu(kink):
    """φ(x) = (x − c)₊: E[φ²] = (1 + c²)Φ̄(c) − cϕ(c), E[φ′²] = Φ̄(c)."""
    act = Activation(
        "shifted_relu",
        phi=lambda x: torch.clamp(x - kink, min=0),
        dphi=lambda x: (x > kink).to(x.dtype),
        d2phi=torch.zeros_like,
        sup_dphi=1.0, lip_dphi=math.inf, is_c2=False, kinks=(kink,),
    )
    tail, density = stats.norm.sf(kink), stats.norm.pdf(kink)
    consts = gaussian_constants(act)
    assert consts["C_phi"] == pytest.approx(math.sqrt((1 + kink**2) * tail - kink * density), abs=1e-12)
    assert consts["C_phi_prime"] == pytest.approx(math.sqrt(tail), abs=1e-12)


def test_kink_split_is_needed_for_elu():
    """Control: plain Gauss–Hermite on ELU (kink ignored) is off by about 1e-3, so the split is doing work."""
    exact = math.sqrt(0.5 + math.e**2 * stats.norm.cdf(-2.0))
    smooth_rule = gaussian_constants(dataclasses.replace(get_activation("elu"), kinks=()))
    assert abs(smooth_rule["C_phi_prime"] - exact) > 1e-4


def _autograd_derivatives(act: Activation, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """φ′ and φ″ by differentiating ``act.phi`` twice with autograd (elementwise, so grad of the sum)."""
    x = x.clone().requires_grad_(True)
    (d1,) = torch.autograd.grad(act.phi(x).sum(), x, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), x)
    return d1.detach(), d2


@pytest.mark.parametrize("name", NAMES)
def test_sup_constants_match_dense_grid_maxima(name):
    act = get_activation(name)
    fine = torch.arange(-12.0, 12.0, 2e-5, dtype=torch.float64)
    tails = torch.arange(12.0, 60.0, 0.5, dtype=torch.float64)
    x = torch.unique(torch.cat([-tails, fine, tails]))
    d1, d2 = _autograd_derivatives(act, x)
    grid_sup_d1, grid_sup_d2 = float(d1.abs().max()), float(d2.abs().max())
    difference_quotient = float((d1.diff().abs() / x.diff()).max())
    tol = 1e-8 if act.is_c2 else 1e-4
    assert grid_sup_d1 <= act.sup_dphi * (1 + 1e-12)
    assert grid_sup_d1 >= act.sup_dphi * (1 - tol)
    assert grid_sup_d2 <= act.lip_dphi * (1 + 1e-12)
    assert grid_sup_d2 >= act.lip_dphi * (1 - tol)
    assert difference_quotient <= act.lip_dphi * (1 + 1e-9)
    assert difference_quotient >= act.lip_dphi * (1 - tol)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**32 - 1), spread=st.floats(0.1, 40.0))
def test_derivatives_match_autograd(name, seed, spread):
    act = get_activation(name)
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.normal(scale=spread, size=64), dtype=torch.float64)
    d1, d2 = _autograd_derivatives(act, x)
    torch.testing.assert_close(act.dphi(x), d1, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(act.d2phi(x), d2, rtol=1e-12, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**32 - 1))
def test_phi_matches_numpy_reference(name, seed):
    x = np.random.default_rng(seed).normal(scale=15.0, size=32)
    phi, dphi = NUMPY_PHI[name]
    act = get_activation(name)
    t = torch.as_tensor(x, dtype=torch.float64)
    np.testing.assert_allclose(act.phi(t).numpy(), np.vectorize(phi)(x), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(act.dphi(t).numpy(), np.vectorize(dphi)(x), rtol=1e-12, atol=1e-15)


def test_closed_form_sup_constants():
    s3 = math.sqrt(3)
    expected = {"sigmoid": (0.25, 1 / (6 * s3)), "tanh": (1.0, 4 / (3 * s3)), "softplus": (1.0, 0.25),
                "elu": (1.0, 1.0)}
    for name, (sup_d1, lip_d1) in expected.items():
        act = get_activation(name)
        assert (act.sup_dphi, act.lip_dphi) == pytest.approx((sup_d1, lip_d1), rel=1e-15)
        assert act.B == max(sup_d1, lip_d1)
        assert act.C == act.lip_dphi


def test_smoothness_flags():
    assert {name: act.is_c2 for name, act in ACTIVATIONS.items()} == {
        "tanh": True, "sigmoid": True, "softplus": True, "elu": False}


def test_registry_names_and_lookup():
    assert sorted(ACTIVATIONS) == sorted(NAMES)
    for name in NAMES:
        assert get_activation(name).name == name


@pytest.mark.parametrize("bad", ["relu", "Tanh", "", None])
def test_unknown_activation_raises(bad):
    with pytest.raises(ValueError) as err:
        get_activation(bad)
    assert str(err.value) == f"unknown activation '{bad}'; allowed: elu, sigmoid, softplus, tanh"


@pytest.mark.parametrize("order", [0, 1, 2.5, True, "200"])
def test_bad_quadrature_order_raises(order):
    with pytest.raises(ValueError, match="order"):
        gaussian_constants("tanh", order=order)


def test_activation_constants_for_cli():
    consts = activation_constants("tanh")
    assert set(consts) == {"C_phi", "C_phi_prime", "B", "C", "sup_dphi", "lip_dphi", "is_c2"}
    assert all(isinstance(consts[k], float) for k in consts if k != "is_c2")
    assert consts["is_c2"] is True
    assert consts["C"] == pytest.approx(4 / (3 * math.sqrt(3)))
    assert activation_constants("elu")["is_c2"] is False


def test_cached_constants_are_returned_as_copies():
    first = gaussian_constants("sigmoid")
    first["C_phi"] = -1.0
    assert gaussian_constants("sigmoid")["C_phi"] == pytest.approx(0.541645, abs=6e-7)


def test_activation_is_frozen():
    with pytest.raises(AttributeError):
        get_activation("tanh").sup_dphi = 2.0
