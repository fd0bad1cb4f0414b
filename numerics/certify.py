"""Certified constants of a user's problem: operator A, observation y and two-layer DIP θ₀ (01 §4, 02 GD-2).

`problem_constants` computes every constant the GF-, GD- and IN- results need, each with the method used:

- ‖A‖, σ_A (smallest NON-ZERO singular value), rank and P⊥y: exact SVD of A. A `LinearOperator` carries its
  matrix. Any other object with methods ``A(x)`` and ``A_adjoint(y)`` is matrix-free: ‖A‖ is first computed by
  Lanczos on AᵀA (scipy ARPACK, matrix-free), then a dense matrix is formed from the n products A(e_j) because
  σ_A and the projector onto Im(A) need the whole spectrum (Lanczos cannot certify the smallest non-zero
  singular value) and the trainers need A as a matrix; the Lanczos value is kept as a cross-check;
- σ₀ = σ_min(J_g(θ₀)): closed form J_gJ_gᵀ = (1/k)[‖u‖²V diag(φ′)²Vᵀ + ‖φ(Wu)‖²I] and ``eigvalsh``;
- R (GF-10 root, below by a relative 1e-12), Lip_J (GF-10) and L (GD-2 on 𝔹(θ₀, R)): certified bounds;
- the R′ variants are not computed here: the checkers derive them from the definitions of each record.

`parse_operator_spec` reads ``NAME:key=value,...`` with a fixed grammar (no evaluation of user text).
`certify` (the Python entry point) returns the same object as ``ipverify certify --json``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import torch

from ipverify.numerics.activations import activation_constants, get_activation
from ipverify.numerics.instances import _planted_direction, component_outside_range
from ipverify.numerics.operators import LinearOperator
from ipverify.numerics.two_layer import (
    TwoLayerDIP,
    TwoLayerParams,
    apply_A,
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

EXACT_SVD = "exact SVD"
LANCZOS = "Lanczos (scipy ARPACK)"
CLOSED_FORM = "closed form"
CERTIFIED = "certified bound"
GIVEN = "given"
DENSE_LIMIT = 4096
"""Largest n for which a matrix-free operator is densified (σ_A and P⊥y need the full spectrum)."""
NOISE_CONFIDENCE = 0.99
"""--noise-sigma S turns into ‖ε‖ ≤ S(√m + √(2 ln(1/δ))), δ = 1 − NOISE_CONFIDENCE (Gaussian concentration of the
1-Lipschitz map ε ↦ ‖ε‖ around its mean ≤ S√m)."""
PLANTED_RADIUS = 0.05
MAX_PARAMETERS = 50_000_000
"""Largest network k(d + n) accepted (memory of θ and of the closed-form J_gJ_gᵀ computations)."""


# ---------------------------------------------------------------------------------------------- operator grammar

_INT, _FLOAT = int, float
_BOUNDARY = ("circular", "zero")
_SPECS = {
    "gaussian": ({"m": _INT, "n": _INT, "scale": _FLOAT, "seed": _INT}, ("m", "n")),
    "conditioned": ({"m": _INT, "n": _INT, "kappa": _FLOAT, "norm": _FLOAT, "seed": _INT}, ("m", "n", "kappa")),
    "blur1d": ({"n": _INT, "sigma": _FLOAT, "boundary": _BOUNDARY, "truncate": _FLOAT}, ("n", "sigma")),
    "blur2d": ({"h": _INT, "w": _INT, "sigma": _FLOAT, "boundary": _BOUNDARY, "truncate": _FLOAT},
               ("h", "w", "sigma")),
    "inpainting": ({"n": _INT, "keep": _FLOAT, "seed": _INT}, ("n", "keep")),
}
OPERATOR_GRAMMAR = ("NAME[:key=value,...] with NAME one of " + ", ".join(
    f"{name}({', '.join(keys)})" for name, (keys, _) in _SPECS.items()))
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_SIDE = 100_000


def parse_operator_spec(spec: str) -> LinearOperator:
    """The built-in operator named by ``spec``, e.g. ``blur1d:n=64,sigma=1.04``; ValueError with one line otherwise.

    Values are read with int()/float() or matched against a fixed list; random operators take ``seed`` (default 0).
    """
    name, _, rest = spec.strip().partition(":")
    name = name.strip().lower()
    if name not in _SPECS:
        raise ValueError(f"unknown operator {name!r}; grammar: {OPERATOR_GRAMMAR}")
    types, required = _SPECS[name]
    params: dict = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, raw = (s.strip() for s in item.partition("="))
        if not sep or not _TOKEN.match(key):
            raise ValueError(f"operator {name}: {item!r} is not key=value")
        if key not in types:
            raise ValueError(f"operator {name}: unknown key {key!r}; allowed: {', '.join(types)}")
        if key in params:
            raise ValueError(f"operator {name}: {key} is given twice")
        params[key] = _parse_value(name, key, raw, types[key])
    absent = [key for key in required if key not in params]
    if absent:
        raise ValueError(f"operator {name}: missing {', '.join(absent)}; grammar: {OPERATOR_GRAMMAR}")
    return _build_operator(name, params)


def _parse_value(name: str, key: str, raw: str, kind):
    if isinstance(kind, tuple):
        if raw not in kind:
            raise ValueError(f"operator {name}: {key} must be one of {', '.join(kind)}, got {raw!r}")
        return raw
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"operator {name}: {key} must be {'an integer' if kind is int else 'a number'}, "
                         f"got {raw!r}") from None
    if kind is float and not (math.isfinite(value) and value > 0):
        raise ValueError(f"operator {name}: {key} must be a finite positive number, got {raw!r}")
    if kind is int and key != "seed" and not 0 < value <= _MAX_SIDE:
        raise ValueError(f"operator {name}: {key} must be an integer from 1 to {_MAX_SIDE}, got {raw!r}")
    if kind is int and key == "seed" and not 0 <= value < 2**63:
        raise ValueError(f"operator {name}: seed must be an integer from 0 to 2**63 - 1, got {raw!r}")
    return value


def _build_operator(name: str, p: dict) -> LinearOperator:
    gen = torch.Generator().manual_seed(p.pop("seed", 0))
    sizes = [p.get(key, 1) for key in ("m", "n", "h", "w")]
    if math.prod(sizes) > DENSE_LIMIT**2:
        raise ValueError(f"operator {name}: {sizes} is too large for a dense matrix (limit {DENSE_LIMIT}² entries)")
    if name == "gaussian":
        return LinearOperator.gaussian(p["m"], p["n"], gen, p.get("scale"))
    if name == "conditioned":
        return LinearOperator.with_condition_number(p["m"], p["n"], p["kappa"], gen, p.get("norm", 1.0))
    if name == "blur1d":
        return LinearOperator.blur_1d(p["n"], p["sigma"], p.get("boundary", "circular"), p.get("truncate", 4.0))
    if name == "blur2d":
        return LinearOperator.blur_2d(p["h"], p["w"], p["sigma"], p.get("boundary", "circular"),
                                      p.get("truncate", 4.0))
    if p["keep"] > 1:
        raise ValueError(f"operator inpainting: keep must be a fraction in (0, 1], got {p['keep']}")
    return LinearOperator.inpainting(p["n"], p["keep"], gen)


# ---------------------------------------------------------------------------------------------- matrix-free operators


def lanczos_norm(op, n: int, m: int) -> float:
    """‖A‖ = √λ_max(AᵀA) by Lanczos (scipy ARPACK ``eigsh``), through ``op.A`` and ``op.A_adjoint`` only.

    A Ritz value never exceeds λ_max: this is an estimate from below, used as a cross-check of the SVD.
    """
    from scipy.sparse.linalg import LinearOperator as ScipyOperator
    from scipy.sparse.linalg import eigsh

    def normal(v):
        x = torch.as_tensor(np.asarray(v, dtype=np.float64).reshape(-1))
        return op.A_adjoint(op.A(x)).detach().cpu().numpy().astype(np.float64)

    if n <= 2:
        return float(np.sqrt(max(np.linalg.eigvalsh(np.column_stack([normal(e) for e in np.eye(n)])).max(), 0)))
    start = np.random.default_rng(0).standard_normal(n)
    top = eigsh(ScipyOperator((n, n), matvec=normal, dtype=np.float64), k=1, which="LA", v0=start,
                return_eigenvectors=False)
    return float(np.sqrt(max(float(top[0]), 0.0)))


def as_linear_operator(A, n: int | None = None) -> tuple[LinearOperator, dict]:
    """(a dense `LinearOperator`, notes) from a LinearOperator, a 2-D array/tensor, or a matrix-free object.

    A matrix-free object needs ``A(x)``, ``A_adjoint(y)`` and its input size (``A.n`` or the argument n): the
    dense matrix is formed from the n products A(e_j), because σ_A and P⊥y need the full spectrum.
    """
    if isinstance(A, LinearOperator):
        return A.to(dtype=torch.float64), {}
    if isinstance(A, (np.ndarray, torch.Tensor)):
        matrix = torch.as_tensor(np.asarray(A, dtype=np.float64) if isinstance(A, np.ndarray) else A.double())
        return LinearOperator(matrix, "matrix"), {}
    if not (callable(getattr(A, "A", None)) and callable(getattr(A, "A_adjoint", None))):
        raise ValueError("the operator must be a LinearOperator, a 2-D array, or an object with A(x) and "
                         "A_adjoint(y) methods")
    n = n if n is not None else getattr(A, "n", None)
    if not isinstance(n, int) or not 0 < n <= DENSE_LIMIT:
        raise ValueError(f"a matrix-free operator needs its input size n (1 to {DENSE_LIMIT}) as A.n or n=")
    columns = [A.A(e).detach().to(torch.float64).reshape(-1) for e in torch.eye(n, dtype=torch.float64)]
    matrix = torch.stack(columns, dim=1)
    op = LinearOperator(matrix, getattr(A, "name", type(A).__name__))
    estimate = lanczos_norm(A, n, op.m)
    return op, {"A_norm_lanczos": Constant(estimate, LANCZOS, "matrix-free, cross-check of the SVD (an estimate "
                                           "from below)"),
                "dense": "dense matrix formed from n products A(e_j): σ_A and P⊥y need the full spectrum"}


# ---------------------------------------------------------------------------------------------- constants


@dataclass(frozen=True)
class Constant:
    """One computed constant and how it was obtained."""

    value: float
    method: str
    note: str = ""

    def to_dict(self) -> dict:
        out = {"value": self.value if math.isfinite(self.value) else None, "method": self.method}
        if self.note:
            out["note"] = self.note
        if not math.isfinite(self.value):
            out["note"] = (self.note + "; " if self.note else "") + f"value is {self.value} (shown as null)"
        return out


@dataclass
class Problem:
    """A user's problem: operator, observation (m,), one network θ₀ and the step (None: 1/L)."""

    op: LinearOperator
    y: torch.Tensor
    net: TwoLayerDIP
    activation: str
    noise: Constant | None = None
    gamma: float | None = None
    observation: str = "given"
    x_bar: torch.Tensor | None = None
    notes: list[str] = field(default_factory=list)
    cross_checks: dict = field(default_factory=dict)


def noise_bound(sigma: float, m: int) -> Constant:
    """‖ε‖ ≤ σ(√m + √(2 ln(1/δ))) with probability ≥ 1 − δ for ε ~ N(0, σ²I_m) (see NOISE_CONFIDENCE)."""
    delta = 1 - NOISE_CONFIDENCE
    value = sigma * (math.sqrt(m) + math.sqrt(2 * math.log(1 / delta)))
    return Constant(value, f"high-probability bound (Gaussian concentration, P ≥ {NOISE_CONFIDENCE:g})",
                    f"from sigma = {sigma:g} per entry over m = {m} entries")


def network(n: int, d: int, k: int, activation: str, seed: int, init: dict | None = None) -> TwoLayerDIP:
    """θ₀ drawn exactly as the trainers do (`init_two_layer`, generator seeded by ``seed``), or from ``init``
    (arrays W (k, d), V (n, k), u (d,), ‖u‖ = 1)."""
    act = get_activation(activation)
    if init is None:
        return init_two_layer(1, n, d, k, torch.Generator().manual_seed(int(seed)), act)
    W, V, u = (torch.as_tensor(np.asarray(init[key], dtype=np.float64)) for key in ("W", "V", "u"))
    expected = {"W": (k, d), "V": (n, k), "u": (d,)}
    for key, value in (("W", W), ("V", V), ("u", u)):
        if tuple(value.shape) != expected[key]:
            raise ValueError(f"init {key} has shape {tuple(value.shape)}, expected {expected[key]} "
                             f"(k = {k}, d = {d}, n = {n})")
    if abs(float(u.norm()) - 1) > 1e-9:
        raise ValueError(f"init u must have unit norm (the results take ‖u‖ = 1), got ‖u‖ = {float(u.norm()):.6g}")
    return TwoLayerDIP(u=u[None], act=act, params0=TwoLayerParams(W[None], V[None]))


def planted_observation(op: LinearOperator, net: TwoLayerDIP, seed: int, noise_sigma: float | None):
    """(x̄, y): x̄ = g(u, θ*), θ* = θ₀ + δ with ‖δ‖ = PLANTED_RADIUS along J_g(θ₀)ᵀw; y = A x̄ + ε, ε ~ N(0, σ²I_m)."""
    gen = torch.Generator().manual_seed(int(seed) + 1)
    theta_star = net.params0 + _planted_direction(net, PLANTED_RADIUS, gen)
    x_bar = forward(theta_star, net.u, net.act)[0]
    eps = torch.zeros(op.m, dtype=torch.float64)
    if noise_sigma:
        eps = noise_sigma * torch.randn(op.m, generator=gen, dtype=torch.float64)
    return x_bar, op.A(x_bar) + eps


def problem_constants(problem: Problem) -> tuple[dict[str, Constant], dict]:
    """(constants with methods, values for the checkers) of ``problem``; see the module docstring."""
    op, net, act = problem.op, problem.net, problem.net.act
    y = problem.y.reshape(1, -1)
    A = op.matrix
    sigma_0 = sigma_min_closed_form(net.params0, net.u, act)
    x0 = forward(net.params0, net.u, act)
    residual_0 = (apply_A(A, x0) - y).norm(dim=-1)
    R = certified_radius(sigma_0, net.V0, act, net.k, u_norm=net.u.norm(dim=-1)) * (1 - float(RADIUS_SLACK))
    lip_J = lip_jacobian_bound(net.V0, act, net.k, R, u_norm=net.u.norm(dim=-1))
    L = smoothness_bound(A, net.params0, net.u, act, y, R)
    grad0 = objective_and_gradient(A, y, net.params0, net.u, act).grad.norm()
    full_range = op.rank == op.m
    y_perp = 0.0 if full_range else float(component_outside_range(op, y)[0])
    gamma = problem.gamma if problem.gamma is not None else 1 / float(L[0])
    consts = activation_constants(problem.activation)
    c = {
        "A_norm": Constant(op.norm, EXACT_SVD, "largest singular value"),
        "sigma_A": Constant(op.sigma_A, EXACT_SVD, f"smallest non-zero singular value (rank {op.rank} of "
                                                   f"{min(op.m, op.n)}; zero below {op.zero_tolerance:.2g})"),
        "kappa_A": Constant(op.condition_number, EXACT_SVD, "‖A‖/σ_A"),
        "y_norm": Constant(float(y.norm()), CLOSED_FORM, "‖y‖"),
        "y_perp": Constant(y_perp, EXACT_SVD, "Im(A) = ℝ^m (rank A = m), so P⊥y = 0 exactly" if full_range
                           else "‖(I − U_rU_rᵀ)y‖, U_r the left singular vectors of the non-zero singular values"),
        "sigma_0": Constant(float(sigma_0[0]), CLOSED_FORM, "σ_min(J_g(θ₀)), eigvalsh of the closed-form J_gJ_gᵀ"),
        "residual_0": Constant(float(residual_0[0]), CLOSED_FORM, "‖A g(u, θ₀) − y‖"),
        "R": Constant(float(R[0]), CERTIFIED, "GF-10 root R·Lip_J(R) = σ₀/2, shrunk by a relative 1e-12"),
        "Lip_J": Constant(float(lip_J[0]), CERTIFIED, "GF-10 on 𝔹(θ₀, R)"),
        "L": Constant(float(L[0]), CERTIFIED, "GD-2 smoothness of f on 𝔹(θ₀, R)"),
        "V_col_max": Constant(float(max_column_norm(net.V0)[0]), CLOSED_FORM, "max_i ‖V0[:, i]‖"),
        "grad_norm_0": Constant(float(grad0[0]), CLOSED_FORM, "‖∇f(θ₀)‖"),
        "gamma": Constant(gamma, GIVEN if problem.gamma is not None else CERTIFIED,
                          "step size" if problem.gamma is not None else "γ = 1/L (L certified), so γL = 1"),
    }
    if op.is_injective:
        c["mu"] = Constant(float(op.singular_values[-1]), EXACT_SVD, "σ_min(A): A is injective (global μ of GF-6)")
    if problem.noise is not None:
        c["noise"] = problem.noise
    c.update(problem.cross_checks)
    values = {name: item.value for name, item in c.items() if name not in ("kappa_A", "A_norm_lanczos")}
    values.update(B=act.B, C=act.C, C_phi=consts["C_phi"], C_phi_prime=consts["C_phi_prime"], k=float(net.k),
                  n=float(net.n), d=float(net.d), D=float(net.V0.abs().max()))
    return c, values


def lip_g_bound(problem: Problem, radius: float) -> float:
    """Certified Lip(g) on 𝔹(θ₀, radius) (`sup_jacobian_norm_bound`)."""
    net = problem.net
    return float(sup_jacobian_norm_bound(net.params0, net.u, net.act, radius)[0])


def build_problem(A, y=None, *, width: int, input_dim: int, activation: str = "tanh", seed: int = 0,
                  init: dict | None = None, noise_norm: float | None = None, noise_sigma: float | None = None,
                  gamma: float | None = None, n: int | None = None) -> Problem:
    """The `Problem` of `certify`'s arguments (ValueError with one line on a bad argument)."""
    if noise_norm is not None and noise_sigma is not None:
        raise ValueError("give at most one of noise_norm and noise_sigma")
    for label, value in (("noise_norm", noise_norm), ("noise_sigma", noise_sigma), ("gamma", gamma)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{label} must be a finite positive number, got {value!r}")
    op, op_notes = as_linear_operator(A, n)
    if op.rank == 0:
        raise ValueError(f"the operator is zero ({op.m}×{op.n}, no non-zero singular value): nothing to certify")
    if width * (input_dim + op.n) > MAX_PARAMETERS:
        raise ValueError(f"k(d + n) = {width * (input_dim + op.n)} parameters, over the limit {MAX_PARAMETERS}")
    net = network(op.n, input_dim, width, activation, seed, init)
    notes = [op_notes["dense"]] if "dense" in op_notes else []
    if y is None:
        x_bar, y_t = planted_observation(op, net, seed, noise_sigma)
        observation = (f"planted: y = A g(u, θ*) + ε with ‖θ* − θ₀‖ = {PLANTED_RADIUS:g}"
                       + (f", ε ~ N(0, {noise_sigma:g}² I)" if noise_sigma else ", ε = 0") + " (no --observation)")
        notes.append("no observation given: y was generated from a planted signal")
    else:
        x_bar = None
        y_t = torch.as_tensor(np.asarray(y, dtype=np.float64)).reshape(-1)
        if y_t.numel() != op.m:
            raise ValueError(f"observation y has {y_t.numel()} entries but A has m = {op.m} rows")
        if not bool(torch.isfinite(y_t).all()):
            raise ValueError("observation y has non-finite entries")
        observation = "given"
    noise = (Constant(float(noise_norm), GIVEN, "‖ε‖ bound given by the user") if noise_norm is not None
             else noise_bound(noise_sigma, op.m) if noise_sigma is not None else None)
    checks = {"A_norm_lanczos": op_notes["A_norm_lanczos"]} if "A_norm_lanczos" in op_notes else {}
    return Problem(op, y_t, net, activation, noise, gamma, observation, x_bar, notes, checks)
