"""Fixed-point layers for learning at equilibrium (DEQ / JFB, catalogue results JFB-*): operators, priors, a small
denoiser, the damped wrapper, the fixed-point solver and contraction estimates.

Every operator is a layer x ↦ T(x, θ) acting row-wise on a batch x of shape (b, n) with one flat parameter vector θ
of shape (p,) shared by the batch; the batch is one stacked system (ℝ^{bn}), so ∂_xT is block diagonal and
∂_θT is the (bn × p) stacked matrix. Layers:

- `TanhLayer`: T(x, θ) = tanh(Wx + Uθ + c), a random contractive test problem, with certified constants ρ₀ = ‖W‖,
  L_θ = ‖U‖, L_A = c′ρ₀², L_B = c′ρ₀‖U‖ (c′ = max|(sech²)′| = 4/(3√3));
- `ForwardBackward`: T(x, θ) = prox_{τλg}(x − τAᵀ(Ax − y)) for a linear inverse problem, θ = (log τ, log λ, prior
  parameters), positivity through exp as in the authors' code; priors ℓ1 (soft threshold), weighted ℓ1 (weights
  e^{w_j} per coordinate or per group), Tikhonov ½‖x‖² and Huber;
- `PnPForwardBackward`: T(x, θ) = D_σ(x − τAᵀ(Ax − y)) with `FrameDenoiser`, a tied-weight one-hidden-layer network
  D_σ(z) = ℓ·Wᵀ s_σ(Wz), W = V/‖V‖₂ (spectral normalisation), s_σ(u) = u − σ tanh(u/σ) (a smooth soft threshold,
  slope in [0, 1)), so Lip(D_σ) ≤ ℓ: ℓ ≤ 1 keeps the FB contraction, ℓ > 1 breaks it on purpose;
- `Damped`: T_τ(x, θ) = (1 − τ)x + τT(x, θ) around any layer (torchdeq's damping `tau`), certified by JFB-8.

Contraction factors (`contraction_factor`) are Lipschitz constants (operator norms), never spectral radii: analytic
for FB and PnP (JFB-7, evaluated by the catalogue's checker), damped layers (JFB-8),
certified for the tanh layer, and otherwise a power-iteration estimate of ‖∂_xT(x)‖₂ at sample points (a lower
estimate of Lip(T)); exact norms from dense Jacobians on small problems. Fixed-point residual traces come with every
solve (`FixedPointResult.residuals`). Every random draw uses an explicit generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from ipverify.numerics.checkers import checker
from ipverify.numerics.operators import LinearOperator
from ipverify.numerics.spectral import gaussian_draw, haar_orthogonal
from ipverify.numerics.spectral import spectral_norm as _spectral_norm

DTYPE = torch.float64
SECH2_SLOPE = 4 / (3 * math.sqrt(3))
"""max_z |d/dz sech²(z)| = max |2 sech²(z) tanh(z)|, reached at tanh(z) = 1/√3."""


def _randn(shape, generator: torch.Generator) -> torch.Tensor:
    return gaussian_draw(shape, generator, DTYPE)


def _rand(shape, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(shape, generator=generator, dtype=DTYPE)


def spectral_norm(matrix: torch.Tensor) -> float:
    """‖M‖₂ (largest singular value) of a 2-D tensor; 0 for an empty matrix."""
    return float(_spectral_norm(matrix.detach().to(DTYPE)))


def orthogonal(size: int, generator: torch.Generator) -> torch.Tensor:
    """A Haar-random orthogonal matrix (`numerics.spectral.haar_orthogonal`)."""
    return haar_orthogonal(size, generator)


# ------------------------------------------------------------------------------------------------------ tanh layer


@dataclass
class TanhLayer:
    """T(x, θ) = tanh(Wx + Uθ + c): a random contractive test problem (‖W‖₂ = ρ₀ < 1)."""

    W: torch.Tensor  # (n, n)
    U: torch.Tensor  # (n, p)
    bias: torch.Tensor  # (n,)
    theta0: torch.Tensor  # (p,)

    @property
    def n(self) -> int:
        return self.W.shape[0]

    @property
    def p(self) -> int:
        return self.U.shape[1]

    def __call__(self, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.W.T + theta @ self.U.T + self.bias)

    def certified_constants(self) -> dict[str, float]:
        """Global constants of one layer (JFB-4's assumptions, per layer): ρ₀, L_θ, L_A, L_B.

        A(x) = diag(sech²(z))W and B(x) = diag(sech²(z))U with z = Wx + Uθ + c, and sech² is c′-Lipschitz, so
        ‖A(x) − A(x′)‖ ≤ c′‖W(x − x′)‖‖W‖ ≤ c′ρ₀²‖x − x′‖ and likewise L_B = c′ρ₀‖U‖.
        """
        rho_0, u_norm = spectral_norm(self.W), spectral_norm(self.U)
        return {"rho_0": rho_0, "L_theta": u_norm, "L_A": SECH2_SLOPE * rho_0**2, "L_B": SECH2_SLOPE * rho_0 * u_norm}


def random_tanh_layer(n: int, p: int, rho_0: float, generator: torch.Generator, *, spread: float = 1.0,
                      u_scale: float = 1.0, bias_scale: float = 0.5) -> TanhLayer:
    """W = Q₁ diag(s) Q₂ᵀ with s₁ = ρ₀ and the other singular values ρ₀·(1 − spread·U[0,1]); U ~ N(0, u_scale²/n).

    `spread` ∈ [0, 1] shapes the spectrum (0: all equal to ρ₀, an orthogonal-like W; 1: spread over ]0, ρ₀]).
    """
    if not 0 <= rho_0:
        raise ValueError(f"rho_0 must be non-negative, got {rho_0}")
    s = rho_0 * (1 - spread * _rand(n, generator))
    s[0] = rho_0
    W = orthogonal(n, generator) @ torch.diag(s) @ orthogonal(n, generator).T
    U = u_scale * _randn((n, p), generator) / math.sqrt(n)
    bias = bias_scale * _randn(n, generator)
    theta0 = _randn(p, generator) / math.sqrt(p)
    return TanhLayer(W, U, bias, theta0)


# ------------------------------------------------------------------------------------------------------------ priors


class L1Prior:
    """g(x) = ‖x‖₁: prox_{t g}(z) = sign(z)·max(|z| − t, 0) (soft threshold). No parameters of its own."""

    name = "l1"
    n_params = 0
    strong_convexity = 0.0

    def prox(self, z: torch.Tensor, t: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return torch.sign(z) * torch.relu(z.abs() - t)

    def init_params(self) -> torch.Tensor:
        return torch.zeros(0, dtype=DTYPE)


class WeightedL1Prior:
    """g(x) = Σ_i e^{w_{G(i)}}|x_i| with one log-weight per group (per coordinate when `groups` is None)."""

    name = "weighted_l1"
    strong_convexity = 0.0

    def __init__(self, n: int, groups: torch.Tensor | None = None):
        self.groups = torch.arange(n) if groups is None else torch.as_tensor(groups, dtype=torch.long)
        if self.groups.shape != (n,):
            raise ValueError(f"groups must have shape ({n},), got {tuple(self.groups.shape)}")
        self.n_params = int(self.groups.max()) + 1

    def weights(self, params: torch.Tensor) -> torch.Tensor:
        return torch.exp(params)[self.groups]

    def prox(self, z: torch.Tensor, t: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return torch.sign(z) * torch.relu(z.abs() - t * self.weights(params))

    def init_params(self) -> torch.Tensor:
        return torch.zeros(self.n_params, dtype=DTYPE)


class TikhonovPrior:
    """g(x) = ½‖x‖²: prox_{t g}(z) = z/(1 + t). Smooth and 1-strongly convex, so the FB layer is affine in x and
    λg is λ-strongly convex (JFB-7's λ_sc = λ)."""

    name = "tikhonov"
    n_params = 0
    strong_convexity = 1.0

    def prox(self, z: torch.Tensor, t: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return z / (1 + t)

    def init_params(self) -> torch.Tensor:
        return torch.zeros(0, dtype=DTYPE)


class HuberPrior:
    """g(x) = Σ h_δ(x_i), h_δ(u) = u²/(2δ) for |u| ≤ δ and |u| − δ/2 beyond (the Moreau envelope of |·|).

    prox_{t h_δ}(z) = zδ/(δ + t) for |z| ≤ δ + t, z − t·sign(z) beyond: continuous, slopes δ/(δ + t) and 1.
    """

    name = "huber"
    n_params = 0
    strong_convexity = 0.0

    def __init__(self, delta: float = 0.1):
        if not delta > 0:
            raise ValueError(f"delta must be positive, got {delta}")
        self.delta = float(delta)

    def prox(self, z: torch.Tensor, t: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        inside = z.abs() <= self.delta + t
        return torch.where(inside, z * self.delta / (self.delta + t), z - t * torch.sign(z))

    def init_params(self) -> torch.Tensor:
        return torch.zeros(0, dtype=DTYPE)


PRIORS = {"l1": L1Prior, "weighted_l1": WeightedL1Prior, "tikhonov": TikhonovPrior, "huber": HuberPrior}


def make_prior(name: str, n: int, **kwargs):
    """A prior by name: l1, weighted_l1 (kwargs: groups), tikhonov, huber (kwargs: delta)."""
    if name not in PRIORS:
        raise ValueError(f"unknown prior {name!r}; allowed: {', '.join(PRIORS)}")
    if name == "weighted_l1":
        return WeightedL1Prior(n, **kwargs)
    return PRIORS[name](**kwargs)


# ------------------------------------------------------------------------------------------- forward–backward layers


@dataclass
class _LinearProblem:
    """AᵀA and Aᵀy of y = Ax̄ + ε, with the spectrum of AᵀA (μ = λ_min, L = λ_max).

    ``matrix``: a 2-D tensor, a `LinearOperator` or any object `LinearOperator.wrap` accepts. A dense one is kept
    as a float64 matrix (the gradient step uses AᵀA); a matrix-free one is applied as x − τAᵀ(Ax − y), and only
    `spectrum` forms its matrix (the exact eigenvalues of AᵀA need it).
    """

    matrix: torch.Tensor | LinearOperator  # (m, n)
    y: torch.Tensor  # (b, m)
    gram: torch.Tensor | None = field(init=False)
    aty: torch.Tensor = field(init=False)

    def __post_init__(self):
        op = LinearOperator.wrap(self.matrix, dtype=DTYPE)
        self.y = torch.atleast_2d(self.y.to(DTYPE))
        if op.matrix_free:
            self.operator = op.to(dtype=DTYPE)
            self.matrix, self.gram = self.operator, None
            self.aty = self.operator.A_adjoint(self.y)
        else:
            self.operator = None
            self.matrix = op.matrix.to(DTYPE)
            self.gram = self.matrix.T @ self.matrix
            self.aty = self.y @ self.matrix

    @property
    def n(self) -> int:
        return self.operator.n if self.operator is not None else self.matrix.shape[1]

    @property
    def m(self) -> int:
        return self.operator.m if self.operator is not None else self.matrix.shape[0]

    def spectrum(self) -> tuple[float, float]:
        """(μ, L) = (λ_min(AᵀA), λ_max(AᵀA)); μ is clipped at 0 (rounding of a singular AᵀA)."""
        gram = self.gram if self.gram is not None else self.operator.matrix.T @ self.operator.matrix
        eig = torch.linalg.eigvalsh(gram)
        return max(float(eig[0]), 0.0), float(eig[-1])

    def gradient_step(self, x: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
        """x − τAᵀ(Ax − y)."""
        if self.operator is not None:
            return x - tau * self.operator.A_adjoint(self.operator.A(x) - self.y)
        return x - tau * (x @ self.gram - self.aty)

    def x_init(self) -> torch.Tensor:
        """The code's x_init = y for square problems (denoising, deblurring), Aᵀy otherwise."""
        return self.y.clone() if self.m == self.n else self.aty.clone()


def fb_contraction(tau: float, mu: float, L: float, lambda_sc: float = 0.0) -> float:
    """ρ_FB = max(|1 − τμ|, |1 − τL|)/(1 + τλ_sc), evaluated by the JFB-7 checker (never restated here); λ_sc is the
    strong-convexity modulus of the prior term (0: only convex)."""
    ev = checker("JFB-7").evaluate({"tau_FB": float(tau), "mu_FB": float(mu), "L_FB": float(L),
                                    "lambda_sc": float(lambda_sc)})
    return float(ev.conclusions["rho_FB_value"])


class ForwardBackward(_LinearProblem):
    """T(x, θ) = prox_{τλg}(x − τAᵀ(Ax − y)), θ = (log τ, log λ, prior parameters)."""

    def __init__(self, matrix: torch.Tensor, y: torch.Tensor, prior, tau: float = 1.0, lam: float = 0.1):
        super().__init__(matrix, y)
        self.prior = prior
        self.theta0 = torch.cat([torch.tensor([math.log(tau), math.log(lam)], dtype=DTYPE), prior.init_params()])

    @property
    def p(self) -> int:
        return 2 + self.prior.n_params

    @staticmethod
    def names_of(prior) -> list[str]:
        return ["log_tau", "log_lambda"] + [f"log_w{i}" for i in range(prior.n_params)]

    @property
    def names(self) -> list[str]:
        return self.names_of(self.prior)

    def __call__(self, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        tau, lam = torch.exp(theta[0]), torch.exp(theta[1])
        return self.prior.prox(self.gradient_step(x, tau), tau * lam, theta[2:])

    def strong_convexity(self, theta: torch.Tensor) -> float:
        """λ_sc of the prior term λg: λ times the modulus of g (0 for ℓ1, weighted ℓ1 and Huber)."""
        return math.exp(float(theta[1])) * self.prior.strong_convexity

    def contraction(self, theta: torch.Tensor) -> float:
        """Certified Lip(T) ≤ ρ_FB(τ, λ_sc) (JFB-7; the prox of a λ_sc-strongly convex g is 1/(1 + τλ_sc)-Lipschitz)."""
        mu, L = self.spectrum()
        return fb_contraction(math.exp(float(theta[0])), mu, L, self.strong_convexity(theta))


class FrameDenoiser:
    """D_σ(z) = ℓ·Wᵀ s_σ(Wz), W = V/‖V‖₂, s_σ(u) = u − σ tanh(u/σ); ∂D = ℓWᵀdiag(tanh²(Wz/σ))W, so Lip(D) ≤ ℓ.

    `lip` (ℓ) is the certified Lipschitz constant (spectral normalisation of the tied weights); ℓ ≤ 1 is a
    nonexpansive shrinkage in the frame W, ℓ > 1 an expansive map near large coefficients.
    """

    def __init__(self, n: int, hidden: int, generator: torch.Generator, lip: float = 1.0):
        self.n, self.hidden, self.lip = n, hidden, float(lip)
        self.V0 = orthogonal(max(n, hidden), generator)[:hidden, :n] if hidden >= n else _randn((hidden, n), generator)

    def frame(self, v_flat: torch.Tensor | None) -> torch.Tensor:
        V = self.V0 if v_flat is None or v_flat.numel() == 0 else v_flat.reshape(self.hidden, self.n)
        return V / _spectral_norm(V)

    def __call__(self, z: torch.Tensor, sigma: torch.Tensor, v_flat: torch.Tensor | None = None) -> torch.Tensor:
        W = self.frame(v_flat)
        u = z @ W.T
        return self.lip * ((u - sigma * torch.tanh(u / sigma)) @ W)


class PnPForwardBackward(_LinearProblem):
    """T(x, θ) = D_σ(x − τAᵀ(Ax − y)), θ = (log τ, log σ[, vec V]) (plug-and-play FB with a tiny denoiser)."""

    def __init__(self, matrix: torch.Tensor, y: torch.Tensor, denoiser: FrameDenoiser, tau: float = 1.0,
                 sigma: float = 0.1, learn_frame: bool = False):
        super().__init__(matrix, y)
        self.denoiser, self.learn_frame = denoiser, learn_frame
        head = torch.tensor([math.log(tau), math.log(sigma)], dtype=DTYPE)
        self.theta0 = torch.cat([head, denoiser.V0.flatten()]) if learn_frame else head

    @property
    def p(self) -> int:
        return self.theta0.numel()

    @property
    def names(self) -> list[str]:
        return ["log_tau", "log_sigma"] + [f"V{i}" for i in range(self.p - 2)]

    def __call__(self, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        tau, sigma = torch.exp(theta[0]), torch.exp(theta[1])
        return self.denoiser(self.gradient_step(x, tau), sigma, theta[2:] if self.learn_frame else None)

    def contraction(self, theta: torch.Tensor) -> float:
        """Certified Lip(T) ≤ Lip(D)·ρ_FB(τ) = ℓ·ρ_FB (composition of Lipschitz maps)."""
        mu, L = self.spectrum()
        return self.denoiser.lip * fb_contraction(math.exp(float(theta[0])), mu, L)


def damped_contraction(rho_0: float, tau: float) -> float:
    """ρ_τ = 1 − τ(1 − ρ₀), a Lipschitz constant of (1 − τ)I + τT, evaluated by the JFB-8 checker."""
    ev = checker("JFB-8").evaluate({"rho_0": float(rho_0), "tau_damp": float(tau)})
    return float(ev.conclusions["rho_damped"])


class Damped:
    """T_τ(x, θ) = (1 − τ)x + τT(x, θ), τ ∈ ]0, 1] (torchdeq's damping `tau`): same fixed points, same DEQ gradient,
    but K tracked steps give torchdeq's damped phantom gradient (JFB-8), not JFB-2's."""

    def __init__(self, layer, tau: float):
        if not 0 < tau <= 1:
            raise ValueError(f"damping must lie in ]0, 1], got {tau}")
        self.layer, self.tau = layer, float(tau)
        self.theta0 = layer.theta0

    def __getattr__(self, name):  # n, p, names, x_init, y, spectrum… of the wrapped layer
        if name in ("layer", "certified_constants"):  # the undamped layer's constants are not T_τ's
            raise AttributeError(name)
        return getattr(self.layer, name)

    def __call__(self, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        return (1 - self.tau) * x + self.tau * self.layer(x, theta)

    def layer_contraction(self, theta: torch.Tensor) -> float:
        """The undamped layer's certified Lipschitz constant ρ₀."""
        if hasattr(self.layer, "contraction"):
            return float(self.layer.contraction(theta))
        return float(self.layer.certified_constants()["rho_0"])

    def contraction(self, theta: torch.Tensor) -> float:
        """Certified Lip(T_τ) ≤ 1 − τ(1 − ρ₀) (JFB-8)."""
        return damped_contraction(self.layer_contraction(theta), self.tau)


# ------------------------------------------------------------------------------------------------ fixed-point solver


@dataclass
class FixedPointResult:
    """x* (b, n), the residual trace ‖T(x_k) − x_k‖ (stacked norm), iterations, converged, diverged."""

    x: torch.Tensor
    residuals: torch.Tensor
    iterations: int
    converged: bool
    diverged: bool


def fixed_point(op, theta: torch.Tensor, x0: torch.Tensor, tol: float = 1e-13, max_iter: int = 20000,
                blow_up: float = 1e12) -> FixedPointResult:
    """Picard iteration x ← T(x, θ) without gradients until ‖T(x) − x‖ ≤ tol·max(1, ‖x‖).

    NaN/inf or ‖x‖ > blow_up·max(1, ‖x₀‖) stops the run with diverged=True (a verdict, never an exception).
    """
    theta = theta.detach()
    x = x0.detach().clone()
    limit = blow_up * max(1.0, float(x.norm()))
    residuals = []
    with torch.no_grad():
        for k in range(max_iter):
            nxt = op(x, theta)
            res = float((nxt - x).norm())
            residuals.append(res)
            x = nxt
            size = float(x.norm())
            if not (math.isfinite(res) and math.isfinite(size)) or size > limit:
                return FixedPointResult(x, torch.tensor(residuals, dtype=DTYPE), k + 1, False, True)
            if res <= tol * max(1.0, size):
                return FixedPointResult(x, torch.tensor(residuals, dtype=DTYPE), k + 1, True, False)
    return FixedPointResult(x, torch.tensor(residuals, dtype=DTYPE), max_iter, False, False)


def newton_polish(op, theta: torch.Tensor, x: torch.Tensor, steps: int = 3) -> torch.Tensor:
    """A few Newton steps on x − T(x) = 0 (per row, float64): the equilibrium to rounding, on small problems."""
    theta = theta.detach()
    x = x.detach().clone()
    eye = torch.eye(x.shape[-1], dtype=x.dtype)
    for _ in range(steps):
        A = jacobian_x(op, theta, x)
        with torch.no_grad():
            residual = x - op(x, theta)
            x = x - torch.linalg.solve(eye - A, residual.unsqueeze(-1)).squeeze(-1)
    return x


# ----------------------------------------------------------------------------------------- Jacobians and estimates


def jacobian_x(op, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A(x) = ∂_xT(x, θ) per row: (b, n, n) (the diagonal blocks of the stacked Jacobian)."""
    theta = theta.detach()
    full = torch.autograd.functional.jacobian(lambda z: op(z, theta), x.detach(), vectorize=True)  # (b,n,b,n)
    return torch.diagonal(full, dim1=0, dim2=2).permute(2, 0, 1)


def jacobian_theta(op, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """B(x) = ∂_θT(x, θ) of the stacked system: (b·n, p)."""
    x = x.detach()
    jac = torch.autograd.functional.jacobian(lambda t: op(x, t), theta.detach(), vectorize=True)  # (b, n, p)
    return jac.reshape(-1, theta.numel())


def stacked_norm_x(A: torch.Tensor) -> float:
    """‖blockdiag(A_1, …, A_b)‖₂ = max_i ‖A_i‖₂."""
    return float(_spectral_norm(A).max())


def power_iteration_norm(op, theta: torch.Tensor, x: torch.Tensor, generator: torch.Generator,
                         iters: int = 100) -> float:
    """‖∂_xT(x)‖₂ of the stacked system by power iteration on AᵀA, without forming A: Aᵀw is a VJP and Au the
    derivative of ⟨Aᵀw, u⟩ in w (the double-backward trick; one graph is built and reused)."""
    theta = theta.detach()
    x_req = x.detach().clone().requires_grad_(True)
    u = _randn(x.shape, generator)
    u = u / u.norm()
    estimate = 0.0
    with torch.enable_grad():
        out = op(x_req, theta)
        w = torch.zeros_like(out, requires_grad=True)
        (atw,) = torch.autograd.grad(out, x_req, w, create_graph=True)
        for _ in range(iters):
            (au,) = torch.autograd.grad(atw, w, u, retain_graph=True)
            (atau,) = torch.autograd.grad(out, x_req, au, retain_graph=True)
            norm = float(atau.norm())
            if norm == 0.0 or not math.isfinite(norm):
                return float(au.norm()) if math.isfinite(norm) else math.inf
            estimate = math.sqrt(norm)
            u = atau / norm
    return estimate


def lipschitz_lower_estimate(op, theta: torch.Tensor, points: torch.Tensor, generator: torch.Generator,
                             iters: int = 60) -> float:
    """max over rows of `points` (m, n) of the local ‖∂_xT‖₂: a lower estimate of Lip(T) (power iteration)."""
    return max(power_iteration_norm(op, theta, points[i:i + 1], generator, iters) for i in range(points.shape[0]))


def contraction_factor(op, theta: torch.Tensor, points: torch.Tensor | None = None,
                       generator: torch.Generator | None = None, iters: int = 60) -> dict[str, float | None]:
    """{"certified": a proved bound on Lip(T) or None, "estimate": max local ‖∂_xT‖₂ over `points` or None}.

    Certified: `op.contraction(θ)` for FB/PnP (JFB-7), ‖W‖₂ for the tanh layer. Estimate: power iteration at each row
    of `points` (m, n) for single-observation layers, or at `points` as one batch otherwise.
    """
    certified = None
    if hasattr(op, "contraction"):
        certified = float(op.contraction(theta))
    elif hasattr(op, "certified_constants"):
        certified = float(op.certified_constants()["rho_0"])
    estimate = None
    if points is not None:
        generator = generator or torch.Generator().manual_seed(0)
        single = getattr(op, "y", torch.zeros(1, 1)).shape[0] == 1
        estimate = (lipschitz_lower_estimate(op, theta, points, generator, iters) if single
                    else power_iteration_norm(op, theta, points, generator, iters))
    return {"certified": certified, "estimate": estimate}


def difference_quotient(op, theta: torch.Tensor, x: torch.Tensor, x_prime: torch.Tensor) -> torch.Tensor:
    """‖T(x) − T(x′)‖/‖x − x′‖ per row: each value is a lower bound on Lip(T)."""
    with torch.no_grad():
        return (op(x, theta) - op(x_prime, theta)).norm(dim=-1) / (x - x_prime).norm(dim=-1)


def affine_layer_constants(op, theta: torch.Tensor, x_star: torch.Tensor, radius: float,
                           generator: torch.Generator, check_points: int = 2) -> dict[str, float]:
    """JFB-4/5 constants of a layer that is affine in x (FB with a quadratic prior), on the ball 𝔹(x*, radius).

    A(x) ≡ A, so ρ₀ = ‖A‖₂ (stacked) and L_A = 0; B(x) = B(x*) + M(x − x*) with M = ∂_x vec B, so
    ‖B(x) − B(x′)‖₂ ≤ ‖·‖_F ≤ ‖M‖₂‖x − x′‖ (L_B = ‖M‖₂) and L_θ = ‖B(x*)‖₂ + L_B·radius on the ball, which a
    contraction started inside it never leaves. ValueError when A is not constant or B is not affine on the ball.
    """
    theta, x_star = theta.detach(), x_star.detach()
    A = jacobian_x(op, theta, x_star)
    B = jacobian_theta(op, theta, x_star)

    def vec_b(z):
        return torch.func.jacrev(lambda t: op(z, t))(theta).reshape(-1)

    M = torch.func.jacfwd(vec_b)(x_star).reshape(B.numel(), -1)
    for _ in range(check_points):
        d = _randn(x_star.shape, generator)
        x = x_star + radius * d / d.norm()
        affine = B + (M @ (x - x_star).reshape(-1)).reshape(B.shape)
        if not (torch.allclose(jacobian_x(op, theta, x), A, atol=1e-12, rtol=1e-10)
                and torch.allclose(jacobian_theta(op, theta, x), affine, atol=1e-10, rtol=1e-8)):
            raise ValueError("the layer is not affine in x on the ball: use certified or local constants instead")
    L_B = spectral_norm(M)
    return {"rho_0": stacked_norm_x(A), "L_theta": spectral_norm(B) + L_B * radius, "L_A": 0.0, "L_B": L_B}


# --------------------------------------------------------------------------------------------------------- signals


def sparse_signals(count: int, n: int, generator: torch.Generator, density: float = 0.15,
                   amplitude: tuple[float, float] = (0.5, 1.5), support: torch.Tensor | None = None) -> torch.Tensor:
    """(count, n) spike signals: each allowed coordinate is on with probability `density`, with a random sign and an
    amplitude uniform in `amplitude`; `support` (bool, (n,)) restricts where spikes may appear."""
    on = _rand((count, n), generator) < density
    if support is not None:
        on &= torch.as_tensor(support, dtype=torch.bool)
    signs = torch.where(_rand((count, n), generator) < 0.5, -1.0, 1.0).to(DTYPE)
    lo, hi = amplitude
    return on.to(DTYPE) * signs * (lo + (hi - lo) * _rand((count, n), generator))


def observe(matrix: torch.Tensor, x: torch.Tensor, noise: float, generator: torch.Generator) -> torch.Tensor:
    """y = Ax + noise·ε, ε ~ N(0, I) (``matrix``: a tensor or anything `LinearOperator.wrap` accepts)."""
    y = LinearOperator.wrap(matrix, dtype=x.dtype, device=x.device).A(x)
    return y + noise * _randn(y.shape, generator)
