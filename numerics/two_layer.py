"""The two-layer Deep Inverse Prior g(u, θ) = V φ(W u)/√k, batched over b networks (01 §4, 02 GD-6).

Shapes (leading dimension b everywhere): W (b, k, d), V (b, n, k), u (b, d), x = g(u, θ) (b, n), y (b, m).
A forward operator is a dense matrix A of shape (m, n), shared by the batch, or (b, m, n), one per network, or a
`numerics.operators.LinearOperator` (dense or matrix-free), shared by the batch.
The parameter vector is θ = (vec W, vec V) with row-major vec (torch's ``reshape``), p = k(d + n).

Everything is closed form and batched: the forward pass, the gradient of the MSE objective
f(θ) = ½‖A g(u, θ) − y‖², the Hessian–vector product, J_g J_gᵀ and σ_min(J_g). Autograd appears only in
the ``*_autograd`` references, which the tests compare against.

Certified constants on the closed ball 𝔹(θ₀, r) (``lip_jacobian_bound``, ``sup_jacobian_norm_bound``,
``smoothness_bound``, ``certified_radius``) are rigorous upper bounds, derived in their docstrings.
``lip_jacobian_estimate`` and ``smoothness_estimate`` are heuristics (lower bounds on the quantity they
estimate), to be reported as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import torch
from torch import Tensor

from ipverify.numerics.spectral import spectral_norm

if TYPE_CHECKING:
    from ipverify.numerics.activations import Activation
    from ipverify.numerics.operators import LinearOperator

Scalar = float | Tensor
"""A float, or a (b,) tensor giving one value per network."""


# ---------------------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoLayerParams:
    """θ = (W, V) for b networks: W (b, k, d) is the hidden layer, V (b, n, k) the output layer."""

    W: Tensor
    V: Tensor

    def __post_init__(self) -> None:
        if self.W.dim() != 3 or self.V.dim() != 3:
            shapes = f"{tuple(self.W.shape)}, {tuple(self.V.shape)}"
            raise ValueError(f"W and V must be batched 3-d tensors, got {shapes}")
        if self.W.shape[0] != self.V.shape[0] or self.W.shape[1] != self.V.shape[2]:
            raise ValueError(f"incompatible shapes W {tuple(self.W.shape)} and V {tuple(self.V.shape)}")

    @property
    def b(self) -> int:
        return self.W.shape[0]

    @property
    def k(self) -> int:
        return self.W.shape[1]

    @property
    def d(self) -> int:
        return self.W.shape[2]

    @property
    def n(self) -> int:
        return self.V.shape[1]

    @property
    def p(self) -> int:
        """Number of parameters per network, k(d + n)."""
        return self.k * (self.d + self.n)

    def __add__(self, other: TwoLayerParams) -> TwoLayerParams:
        return TwoLayerParams(self.W + other.W, self.V + other.V)

    def __sub__(self, other: TwoLayerParams) -> TwoLayerParams:
        return TwoLayerParams(self.W - other.W, self.V - other.V)

    def scaled(self, alpha: Scalar) -> TwoLayerParams:
        """α θ with α a float or a (b,) tensor (one factor per network)."""
        a = _per_network(alpha, self.W)
        return TwoLayerParams(a[:, None, None] * self.W, a[:, None, None] * self.V)

    def norm_sq(self) -> Tensor:
        """‖θ‖² = ‖W‖_F² + ‖V‖_F², shape (b,)."""
        return self.W.square().sum(dim=(1, 2)) + self.V.square().sum(dim=(1, 2))

    def norm(self) -> Tensor:
        """‖θ‖ (Euclidean norm in ℝ^p), shape (b,)."""
        return self.norm_sq().sqrt()

    def is_finite(self) -> Tensor:
        """Whether every entry of θ is finite, shape (b,) bool."""
        return torch.isfinite(self.W).all(dim=(1, 2)) & torch.isfinite(self.V).all(dim=(1, 2))


def flatten(params: TwoLayerParams) -> Tensor:
    """θ = (vec W, vec V) as a (b, p) tensor, row-major vec."""
    b = params.b
    return torch.cat([params.W.reshape(b, -1), params.V.reshape(b, -1)], dim=1)


def unflatten(theta: Tensor, k: int, d: int, n: int) -> TwoLayerParams:
    """Inverse of `flatten`: theta (b, p) with p = k(d + n)."""
    if theta.dim() != 2 or theta.shape[1] != k * (d + n):
        raise ValueError(f"theta must have shape (b, {k * (d + n)}), got {tuple(theta.shape)}")
    b = theta.shape[0]
    return TwoLayerParams(theta[:, : k * d].reshape(b, k, d), theta[:, k * d :].reshape(b, n, k))


@dataclass(frozen=True)
class TwoLayerDIP:
    """b two-layer DIP networks at initialisation: input u (b, d), activation, θ₀ = (W0, V0)."""

    u: Tensor
    act: Activation
    params0: TwoLayerParams

    @property
    def W0(self) -> Tensor:
        return self.params0.W

    @property
    def V0(self) -> Tensor:
        return self.params0.V

    @property
    def b(self) -> int:
        return self.params0.b

    @property
    def n(self) -> int:
        return self.params0.n

    @property
    def d(self) -> int:
        return self.params0.d

    @property
    def k(self) -> int:
        return self.params0.k

    @property
    def p(self) -> int:
        return self.params0.p


def init_two_layer(
    b: int,
    n: int,
    d: int,
    k: int,
    generator: torch.Generator,
    activation: Activation,
    v_init: str = "rademacher",
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> TwoLayerDIP:
    """Draw b independent networks with the initialisation of 01 §4 / 02 §1.

    u ~ Unif(𝕊^{d−1}) (one per network; a normalised N(0, I_d) draw), W0_ij iid N(0, 1), and V0_ij iid
    Rademacher (``v_init="rademacher"``, bounded by D = 1) or N(0, 1) (``"gaussian"``). Every draw uses
    ``generator`` (on the generator's own device, then moved to ``device``), so a seed fixes the networks
    whatever the target device; the global RNG is never touched.
    """
    for name, value in (("b", b), ("n", n), ("d", d), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if v_init not in ("rademacher", "gaussian"):
        raise ValueError(f"v_init must be 'rademacher' or 'gaussian', got {v_init!r}")
    device = torch.device(device) if device is not None else generator.device
    draw = {"generator": generator, "dtype": dtype, "device": generator.device}
    u = torch.randn(b, d, **draw)
    u = u / u.norm(dim=1, keepdim=True)
    W0 = torch.randn(b, k, d, **draw)
    if v_init == "rademacher":
        signs = torch.randint(0, 2, (b, n, k), generator=generator, device=generator.device)
        V0 = (2 * signs - 1).to(dtype)
    else:
        V0 = torch.randn(b, n, k, **draw)
    params0 = TwoLayerParams(W0.to(device), V0.to(device))
    return TwoLayerDIP(u=u.to(device), act=activation, params0=params0)


# ---------------------------------------------------------------------------------------------------------
# Forward operator helpers (A shared (m, n) or batched (b, m, n))
# ---------------------------------------------------------------------------------------------------------


def apply_A(A: Tensor | LinearOperator, x: Tensor) -> Tensor:
    """A x for x (b, n): (b, m)."""
    if not isinstance(A, Tensor):
        return A.A(x)
    if A.dim() == 2:
        return x @ A.mT
    return matvec(A, x)


def A_adjoint(A: Tensor | LinearOperator, r: Tensor) -> Tensor:
    """Aᵀ r for r (b, m): (b, n)."""
    if not isinstance(A, Tensor):
        return A.A_adjoint(r)
    if A.dim() == 2:
        return r @ A
    return rmatvec(A, r)


def operator_norm(A: Tensor | LinearOperator) -> Tensor:
    """‖A‖ (largest singular value): a 0-d tensor for a shared A, (b,) for a batched one (`spectral_norm`)."""
    return spectral_norm(A)


# ---------------------------------------------------------------------------------------------------------
# Forward pass, objective, gradient, Hessian–vector product
# ---------------------------------------------------------------------------------------------------------


# Batched matrix–vector products are written as row vector × transposed matrix, ``bmm(v (b,1,k), M.mT)``:
# for a row-major M (b, n, k) this runs as one GEMM with good memory access, while ``M @ v.unsqueeze(-1)``
# and ``M.mT @ v`` take a slow batched-GEMV path (5–20× slower on the CPU for b·n·k ~ 10⁶; see BENCHMARKS.md).


def matvec(M: Tensor, v: Tensor) -> Tensor:
    """M v for M (b, n, k) and v (b, k): (b, n)."""
    return torch.bmm(v.unsqueeze(-2), M.mT).squeeze(-2)


def rmatvec(M: Tensor, v: Tensor) -> Tensor:
    """Mᵀ v for M (b, n, k) and v (b, n): (b, k)."""
    return torch.bmm(v.unsqueeze(-2), M).squeeze(-2)


def hidden(params: TwoLayerParams, u: Tensor) -> Tensor:
    """Pre-activations z = W u, shape (b, k)."""
    return matvec(params.W, u)


def forward(params: TwoLayerParams, u: Tensor, act: Activation) -> Tensor:
    """x = g(u, θ) = V φ(W u)/√k, shape (b, n) (01 §4)."""
    a = act.phi(hidden(params, u))
    return matvec(params.V, a) / math.sqrt(params.k)


def objective(A: Tensor, y: Tensor, params: TwoLayerParams, u: Tensor, act: Activation) -> Tensor:
    """f(θ) = ½‖A g(u, θ) − y‖², shape (b,)."""
    r = apply_A(A, forward(params, u, act)) - y
    return 0.5 * r.square().sum(dim=-1)


class GradientEval(NamedTuple):
    """f(θ), ∇f(θ) and the intermediate quantities of one closed-form evaluation."""

    loss: Tensor  # (b,)   f(θ) = ½‖r‖²
    residual: Tensor  # (b, m) r = A g(u, θ) − y
    grad: TwoLayerParams  # ∇f(θ)
    x: Tensor  # (b, n) g(u, θ)


def objective_and_gradient(
    A: Tensor, y: Tensor, params: TwoLayerParams, u: Tensor, act: Activation
) -> GradientEval:
    """f(θ) and ∇f(θ) = J_g(θ)ᵀ Aᵀ (A g − y) in closed form (01 §1, 02 §1 chain rule).

    With z = W u, a = φ(z), r = A g − y and s = Aᵀ r:

        ∂f/∂V = s aᵀ/√k,        ∂f/∂W = ((Vᵀ s) ⊙ φ′(z)) uᵀ/√k.
    """
    rk = math.sqrt(params.k)
    z = hidden(params, u)
    a = act.phi(z)
    x = matvec(params.V, a) / rk
    r = apply_A(A, x) - y
    s = A_adjoint(A, r)
    grad_V = s.unsqueeze(-1) * a.unsqueeze(-2) / rk
    q = rmatvec(params.V, s) * act.dphi(z)
    grad_W = q.unsqueeze(-1) * u.unsqueeze(-2) / rk
    return GradientEval(0.5 * r.square().sum(dim=-1), r, TwoLayerParams(grad_W, grad_V), x)


def gradient(A: Tensor, y: Tensor, params: TwoLayerParams, u: Tensor, act: Activation) -> TwoLayerParams:
    """∇f(θ) in closed form (see `objective_and_gradient`)."""
    return objective_and_gradient(A, y, params, u, act).grad


def hessian_vector_product(
    A: Tensor, y: Tensor, params: TwoLayerParams, u: Tensor, act: Activation, direction: TwoLayerParams
) -> TwoLayerParams:
    """∇²f(θ)[δθ] in closed form: the differential of the gradient formula in direction δθ = (δW, δV).

    With δz = δW u, a = φ(z), s = Aᵀ(A g − y) and δs = AᵀA J_g δθ, J_g δθ = (V(φ′(z) ⊙ δz) + δV a)/√k:

        δ(∂f/∂V) = (δs aᵀ + s (φ′(z) ⊙ δz)ᵀ)/√k,
        δ(∂f/∂W) = ((Vᵀ δs + δVᵀ s) ⊙ φ′(z) + (Vᵀ s) ⊙ φ″(z) ⊙ δz) uᵀ/√k.

    Needs φ ∈ C² (for ELU φ″ is taken almost everywhere).
    """
    rk = math.sqrt(params.k)
    V, dV = params.V, direction.V
    z = hidden(params, u)
    dz = hidden(direction, u)
    a, da1, da2 = act.phi(z), act.dphi(z), act.d2phi(z)
    x = matvec(V, a) / rk
    s = A_adjoint(A, apply_A(A, x) - y)
    Jv = (matvec(V, da1 * dz) + matvec(dV, a)) / rk
    ds = A_adjoint(A, apply_A(A, Jv))
    hv_V = (ds.unsqueeze(-1) * a.unsqueeze(-2) + s.unsqueeze(-1) * (da1 * dz).unsqueeze(-2)) / rk
    Vt_s = rmatvec(V, s)
    coeff = (rmatvec(V, ds) + rmatvec(dV, s)) * da1
    coeff = coeff + Vt_s * da2 * dz
    hv_W = coeff.unsqueeze(-1) * u.unsqueeze(-2) / rk
    return TwoLayerParams(hv_W, hv_V)


# ---------------------------------------------------------------------------------------------------------
# Jacobian
# ---------------------------------------------------------------------------------------------------------


def jjt(params: TwoLayerParams, u: Tensor, act: Activation) -> Tensor:
    """J_g J_gᵀ = (1/k)[‖u‖² V diag(φ′(Wu)²) Vᵀ + ‖φ(Wu)‖² I_n], shape (b, n, n) (01 GF-8).

    From J_g[δW, δV] = (V(φ′(Wu) ⊙ δW u) + δV φ(Wu))/√k: the W-block gives the first term (Σ_j u_j² = ‖u‖²),
    the V-block the second.
    """
    return jjt_from_hidden(hidden(params, u), params.V, u.square().sum(dim=-1), act)


def jjt_from_hidden(z: Tensor, V: Tensor, u_sq: Tensor, act: Activation) -> Tensor:
    """`jjt` from the pre-activations z = W u (b, k), V (b, n, k) and ‖u‖² (b,) (W itself is not needed)."""
    Vd = V * act.dphi(z).unsqueeze(-2)
    a_sq = act.phi(z).square().sum(dim=-1)
    eye = torch.eye(V.shape[-2], dtype=V.dtype, device=V.device)
    gram = u_sq[:, None, None] * (Vd @ Vd.mT) + a_sq[:, None, None] * eye
    return gram / V.shape[-1]


def jjt_eigenvalues(params: TwoLayerParams, u: Tensor, act: Activation) -> Tensor:
    """Eigenvalues of `jjt` in ascending order, (b, n); a network whose J_g J_gᵀ is not finite (a diverged
    θ) gets a row of NaN instead of making ``eigvalsh`` fail."""
    return gram_eigenvalues(jjt(params, u, act))


def gram_eigenvalues(gram: Tensor) -> Tensor:
    """Ascending eigenvalues of symmetric (b, n, n) matrices; NaN rows for the non-finite ones."""
    finite = torch.isfinite(gram).all(dim=-1).all(dim=-1)
    eye = torch.eye(gram.shape[-1], dtype=gram.dtype, device=gram.device).expand_as(gram)
    eig = torch.linalg.eigvalsh(torch.where(finite[:, None, None], gram, eye))
    return torch.where(finite[:, None], eig, torch.full_like(eig, math.nan))


def sigma_min_closed_form(params: TwoLayerParams, u: Tensor, act: Activation) -> Tensor:
    """σ_min(J_g(θ)) = √λ_min(J_g J_gᵀ), shape (b,), via ``eigvalsh`` of `jjt` (tiny negatives → 0; NaN for
    a non-finite θ)."""
    return jjt_eigenvalues(params, u, act)[..., 0].clamp_min(0).sqrt()


def jacobian_norm(params: TwoLayerParams, u: Tensor, act: Activation) -> Tensor:
    """‖J_g(θ)‖ (largest singular value) = √λ_max(J_g J_gᵀ), shape (b,) (NaN for a non-finite θ)."""
    return jjt_eigenvalues(params, u, act)[..., -1].clamp_min(0).sqrt()


def jacobian_closed_form(params: TwoLayerParams, u: Tensor, act: Activation) -> Tensor:
    """The full Jacobian J_g(θ) as a (b, n, p) tensor, columns ordered as `flatten`.

    ∂g_a/∂W_ij = V_ai φ′(z_i) u_j/√k and ∂g_a/∂V_ci = δ_ac φ(z_i)/√k (01 GF-8). Costs O(b n p) memory:
    use `jjt` when only singular values are needed.
    """
    b, n, k, d = params.b, params.n, params.k, params.d
    rk = math.sqrt(k)
    z = hidden(params, u)
    J_W = (params.V * act.dphi(z).unsqueeze(-2)).unsqueeze(-1) * u[:, None, None, :] / rk
    eye = torch.eye(n, dtype=params.V.dtype, device=params.V.device)
    J_V = eye[None, :, :, None] * act.phi(z)[:, None, None, :] / rk
    return torch.cat([J_W.reshape(b, n, k * d), J_V.reshape(b, n, n * k)], dim=-1)


def jacobian_autograd(W: Tensor, V: Tensor, u: Tensor, act: Activation) -> Tensor:
    """Reference Jacobian of θ ↦ g(u, θ) for ONE network (W (k, d), V (n, k), u (d,)): (n, p), by jacrev."""
    k, d = W.shape
    n = V.shape[0]

    def g(theta: Tensor) -> Tensor:
        W_ = theta[: k * d].reshape(k, d)
        V_ = theta[k * d :].reshape(n, k)
        return V_ @ act.phi(W_ @ u) / math.sqrt(k)

    theta = torch.cat([W.reshape(-1), V.reshape(-1)])
    return torch.func.jacrev(g)(theta)


def sigma_min_autograd(params: TwoLayerParams, u: Tensor, act: Activation) -> Tensor:
    """Reference σ_min(J_g(θ)), shape (b,): `jacobian_autograd` and ``svdvals``, one network at a time."""
    values = [
        torch.linalg.svdvals(jacobian_autograd(params.W[i], params.V[i], u[i], act))[params.n - 1]
        for i in range(params.b)
    ]
    return torch.stack(values)


# ---------------------------------------------------------------------------------------------------------
# Certified constants on 𝔹(θ₀, r)
# ---------------------------------------------------------------------------------------------------------


def max_column_norm(V0: Tensor) -> Tensor:
    """c = max_i ‖V0[:, i]‖, shape (b,)."""
    return V0.norm(dim=-2).amax(dim=-1)


def lip_jacobian_bound(V0: Tensor, act: Activation, k: int, r: Scalar, *, u_norm: Scalar = 1.0) -> Tensor:
    """Certified Lip_{𝔹(θ₀,r)}(J_g) ≤ (B/√k)(2 + max_i‖V0[:, i]‖ + r) for ‖u‖ = 1 (01 GF-10), shape (b,).

    Derivation. For θ, θ′ ∈ 𝔹(θ₀, r) and a direction H = (H_W, H_V), with z = Wu, z′ = W′u:

        √k (J(θ) − J(θ′))H = (V − V′)(φ′(z) ⊙ H_W u) + V′((φ′(z) − φ′(z′)) ⊙ H_W u) + H_V(φ(z) − φ(z′)).

    The first term is ≤ B‖u‖‖V − V′‖_F‖H_W‖_F; the third ≤ B‖u‖‖W − W′‖_F‖H_V‖_F. For the second use
    ‖V′w‖ ≤ max_i‖V′[:, i]‖·‖w‖₁, ‖w‖₁ ≤ B‖(W − W′)u‖‖H_W u‖ (Cauchy–Schwarz, φ′ B-Lipschitz) and
    max_i‖V′[:, i]‖ ≤ max_i‖V0[:, i]‖ + ‖V′ − V0‖_F ≤ c + r. Summing, with ‖V − V′‖, ‖W − W′‖ ≤ ‖θ − θ′‖ and
    ‖H_W‖, ‖H_V‖ ≤ ‖H‖:

        Lip_{𝔹(θ₀,r)}(J_g) ≤ (B/√k)(2‖u‖ + ‖u‖²(c + r)),

    which is 01 GF-10 when ‖u‖ = 1 (the default ``u_norm``). B = max(sup|φ′|, Lip(φ′)) is ``act.B``.
    """
    c = max_column_norm(V0)
    s = _per_network(u_norm, c)
    rr = _per_network(r, c)
    return act.B / math.sqrt(k) * (2 * s + s.square() * (c + rr))


def sup_jacobian_norm_bound(params0: TwoLayerParams, u: Tensor, act: Activation, r: Scalar) -> Tensor:
    """Certified sup_{θ∈𝔹(θ₀,r)} ‖J_g(θ)‖ ≥ Lip_{𝔹(θ₀,r)}(g), shape (b,).

    ‖J_g‖² = λ_max(J_g J_gᵀ) ≤ (1/k)[‖u‖²‖V diag(φ′(Wu))‖₂² + ‖φ(Wu)‖²] ≤ (1/k)[B²‖u‖²‖V‖₂² + ‖φ(Wu)‖²]
    (01 GF-8). On the ball ‖V‖₂ ≤ ‖V0‖₂ + ‖V − V0‖_F ≤ ‖V0‖₂ + r and
    ‖φ(Wu)‖ ≤ ‖φ(W0u)‖ + B‖(W − W0)u‖ ≤ ‖φ(W0u)‖ + B‖u‖r, so

        sup_𝔹 ‖J_g‖ ≤ √((B²‖u‖²(‖V0‖₂ + r)² + (‖φ(W0u)‖ + B‖u‖r)²)/k),

    i.e. √((B²(‖V0‖₂ + r)² + (‖φ(W0u)‖ + Br)²)/k) for ‖u‖ = 1. The ball is convex, so the mean-value
    inequality makes this a Lipschitz constant of g on it.
    """
    B = act.B
    u_norm = u.norm(dim=-1)
    rr = _per_network(r, u_norm)
    V0_norm = spectral_norm(params0.V)
    a0_norm = act.phi(hidden(params0, u)).norm(dim=-1)
    total = (B * u_norm * (V0_norm + rr)).square() + (a0_norm + B * u_norm * rr).square()
    return (total / params0.k).sqrt()


def smoothness_bound(
    A: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation, y: Tensor, r: Scalar
) -> Tensor:
    """Certified Lipschitz constant L of ∇f on 𝔹(θ₀, r), f = ½‖A g − y‖² (02 GD-2), shape (b,).

    ∇f(θ) = J(θ)ᵀAᵀρ(θ) with ρ = A g − y, so for θ, θ′ in the (convex) ball

        ∇f(θ) − ∇f(θ′) = (J(θ) − J(θ′))ᵀAᵀρ(θ) + J(θ′)ᵀAᵀ(ρ(θ) − ρ(θ′)),
        L ≤ ‖A‖ Lip_𝔹(J_g) sup_𝔹‖A g − y‖ + ‖A‖² Lip_𝔹(g)²,

    with Lip_𝔹(g) ≤ sup_𝔹‖J_g‖ (`sup_jacobian_norm_bound`), Lip_𝔹(J_g) from `lip_jacobian_bound` (‖u‖
    included) and sup_𝔹‖A g − y‖ ≤ ‖A g(θ₀) − y‖ + ‖A‖ Lip_𝔹(g) r.
    """
    A_norm = operator_norm(A)
    lip_g = sup_jacobian_norm_bound(params0, u, act, r)
    lip_J = lip_jacobian_bound(params0.V, act, params0.k, r, u_norm=u.norm(dim=-1))
    res0 = (apply_A(A, forward(params0, u, act)) - y).norm(dim=-1)
    sup_res = res0 + A_norm * lip_g * _per_network(r, res0)
    return A_norm.square() * lip_g.square() + A_norm * lip_J * sup_res


def certified_radius(sigma0: Tensor, V0: Tensor, act: Activation, k: int, *, u_norm: Scalar = 1.0) -> Tensor:
    """The largest R with lip_jacobian_bound(V0, act, k, R)·R ≤ σ₀/2 (01 GF-2, GF-3), shape (b,).

    For ‖u‖ = 1 the defining equation (B/√k)(2 + c + R)R = σ₀/2, c = max_i‖V0[:, i]‖, is a quadratic in R with
    root R = (−(2 + c) + √((2 + c)² + 2σ₀√k/B))/2, evaluated here in the cancellation-free form
    R = (σ₀√k/B)/((2 + c) + √((2 + c)² + 2σ₀√k/B)). With s = ‖u‖: s²R² + (2s + s²c)R = σ₀√k/(2B).
    R ↦ R·lip_jacobian_bound(R) is increasing, so every R′ ≤ R satisfies it too; by Weyl's inequality
    σ_min(J_g(θ)) ≥ σ₀ − Lip·‖θ − θ₀‖ ≥ σ₀/2 on 𝔹(θ₀, R).
    """
    c = max_column_norm(V0)
    s = _per_network(u_norm, c)
    sigma0 = _per_network(sigma0, c)
    q = sigma0 * math.sqrt(k) / act.B
    lin = 2 * s + s.square() * c
    return q / (lin + (lin.square() + 2 * s.square() * q).sqrt())


# ---------------------------------------------------------------------------------------------------------
# Empirical estimates (heuristics: lower bounds on the true constants)
# ---------------------------------------------------------------------------------------------------------


def sample_in_ball(
    params0: TwoLayerParams, r: Scalar, generator: torch.Generator, radius_power: float | None = None
) -> TwoLayerParams:
    """θ uniform in 𝔹(θ₀, r) (one draw per network): direction N(0, I_p)/‖·‖, radius r·U^{1/p}.

    ``radius_power`` replaces 1/p (e.g. 1.0 spreads the radii uniformly in [0, r]). Draws are made on the
    generator's device and moved to θ₀'s.
    """
    b, p = params0.b, params0.p
    ref = params0.W
    opts = {"generator": generator, "dtype": ref.dtype, "device": generator.device}
    direction = torch.randn(b, p, **opts)
    direction = direction / direction.norm(dim=1, keepdim=True)
    power = 1.0 / p if radius_power is None else radius_power
    radius = torch.rand(b, **opts).pow(power).to(ref.device) * _per_network(r, ref)
    step = unflatten(direction.to(ref.device) * radius[:, None], params0.k, params0.d, params0.n)
    return params0 + step


def _project_to_ball(params: TwoLayerParams, params0: TwoLayerParams, r: Tensor) -> TwoLayerParams:
    delta = params - params0
    scale = (r / delta.norm().clamp_min(torch.finfo(r.dtype).tiny)).clamp(max=1.0)
    return params0 + delta.scaled(scale)


def lip_jacobian_estimate(
    params0: TwoLayerParams,
    u: Tensor,
    act: Activation,
    r: Scalar,
    generator: torch.Generator,
    pairs: int = 16,
    local_scale: float = 1e-3,
) -> Tensor:
    """HEURISTIC: max over random pairs θ ≠ θ′ in 𝔹(θ₀, r) of ‖J_g(θ) − J_g(θ′)‖₂/‖θ − θ′‖, shape (b,).

    Half of the pairs are independent uniform points of the ball; the other half are local pairs
    (θ uniform, θ′ = θ + r·local_scale·ξ projected back onto the ball), which probe the largest local slope.
    Any pair gives a lower bound on Lip_{𝔹(θ₀,r)}(J_g), so the estimate never exceeds the true constant,
    and must stay below `lip_jacobian_bound`.
    """
    rr = _per_network(r, params0.W)
    best = torch.zeros(params0.b, dtype=params0.W.dtype, device=params0.W.device)
    for i in range(pairs):
        theta = sample_in_ball(params0, rr, generator)
        if i % 2 == 0:
            other = sample_in_ball(params0, rr, generator)
        else:
            jitter = sample_in_ball(params0.scaled(0.0), rr * local_scale, generator, radius_power=0.0)
            other = _project_to_ball(theta + jitter, params0, rr)
        diff = jacobian_closed_form(theta, u, act) - jacobian_closed_form(other, u, act)
        ratio = spectral_norm(diff) / (theta - other).norm()
        best = torch.maximum(best, torch.nan_to_num(ratio, nan=0.0))
    return best


def smoothness_estimate(
    A: Tensor,
    y: Tensor,
    params: TwoLayerParams,
    u: Tensor,
    act: Activation,
    iters: int = 100,
    generator: torch.Generator | None = None,
) -> Tensor:
    """HEURISTIC: largest |eigenvalue| of ∇²f(θ) by power iteration with `hessian_vector_product`, (b,).

    Batched: the b Hessians are independent, one power iteration each. Returns ‖∇²f(θ)v‖ for the final unit
    vector v, which never exceeds ‖∇²f(θ)‖₂ (a lower bound that converges to it). This is the curvature at
    θ only; the GD-2 constant L is a sup over a ball (`smoothness_bound` is the certified version).
    Without a generator a local one seeded with 0 draws the start vector.
    """
    if generator is None:
        generator = torch.Generator(device=params.W.device).manual_seed(0)
    opts = {"generator": generator, "dtype": params.W.dtype, "device": generator.device}
    start = torch.randn(params.b, params.p, **opts)
    v = unflatten(start.to(params.W.device), params.k, params.d, params.n)
    v = v.scaled(1.0 / v.norm())
    tiny = torch.finfo(params.W.dtype).tiny
    lam = torch.zeros(params.b, dtype=params.W.dtype, device=params.W.device)
    for _ in range(iters):
        hv = hessian_vector_product(A, y, params, u, act, v)
        lam = hv.norm()
        v = hv.scaled(1.0 / lam.clamp_min(tiny))
    return lam


# ---------------------------------------------------------------------------------------------------------


def _per_network(value: Scalar, like: Tensor, name: str = "value") -> Tensor:
    """A float or a 0-d/(b,) tensor as a (b,) tensor with the dtype and device of ``like`` (b = len(like))."""
    b = like.shape[0]
    t = torch.as_tensor(value, dtype=like.dtype, device=like.device)
    if t.dim() == 0:
        return t.expand(b)
    if t.shape != (b,):
        raise ValueError(f"{name} must be a float or a ({b},) tensor, got shape {tuple(t.shape)}")
    return t
