"""Experiment set-up for JFB-* (equilibrium layers): contractive layers with their data and certified constants,
the families of layers the claims run on, and layers that break a hypothesis.

Layers (numerics.fixed_point): random contractive tanh layers (certified global constants), forward–backward with
ℓ1 / weighted ℓ1 / Tikhonov / Huber priors (ρ from JFB-7, with the Tikhonov prior's strong convexity), and PnP with a
spectrally normalised denoiser. Every certified ρ is a Lipschitz constant (an operator norm), never a spectral radius.
½‖x − x̄‖² is the inner loss (L_ℓ = 1). Randomness comes from local generators seeded by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ipverify.numerics.fixed_point import (
    DTYPE,
    ForwardBackward,
    FrameDenoiser,
    PnPForwardBackward,
    TanhLayer,
    affine_layer_constants,
    make_prior,
    observe,
    random_tanh_layer,
    sparse_signals,
    spectral_norm,
)
from ipverify.numerics.gradient_modes import (
    EquilibriumCase,
    deblurring_problem,
    denoising_problem,
    equilibrium_case,
    half_squared_error,
)
from ipverify.numerics.operators import blur_1d, inpainting, with_condition_number


@dataclass
class Layer:
    """One layer with its data: x_init, target x̄, a certified contraction constant, and (when known) the per-layer
    constants of JFB-4/5 (`kind`: "tanh" certified globally, "affine" computed on a ball, None: not available)."""

    name: str
    op: object
    theta: torch.Tensor
    x_init: torch.Tensor
    target: torch.Tensor
    rho: float
    kind: str | None = None

    @property
    def loss_fn(self):
        return half_squared_error(self.target)

    def constants(self, case: EquilibriumCase, radius: float, seed: int) -> dict[str, float] | None:
        if self.kind == "tanh":
            return self.op.certified_constants()
        if self.kind == "affine":
            return affine_layer_constants(self.op, self.theta, case.x_star, radius, generator(seed))
        return None


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def tanh_layer(name: str, n: int, p: int, rho_0: float, seed: int, spread: float = 1.0, u_scale: float = 1.0) -> Layer:
    gen = generator(seed)
    op = random_tanh_layer(n, p, rho_0, gen, spread=spread, u_scale=u_scale)
    target = torch.randn((1, n), generator=gen, dtype=DTYPE)
    return Layer(name, op, op.theta0, torch.zeros((1, n), dtype=DTYPE), target, op.certified_constants()["rho_0"],
                 "tanh")


def fb_layer(name: str, matrix: torch.Tensor, prior: str, seed: int, tau_L: float, lam: float = 0.05, b: int = 1,
             noise: float = 0.05, **prior_kw) -> Layer:
    """FB on spike signals with τ = tau_L/‖A‖²; ρ certified by JFB-7 (with λ_sc = λ for the Tikhonov prior)."""
    gen = generator(seed)
    n = matrix.shape[1]
    x_bar = sparse_signals(b, n, gen, density=0.2)
    y = observe(matrix, x_bar, noise, gen)
    L = spectral_norm(matrix) ** 2
    op = ForwardBackward(matrix, y, make_prior(prior, n, **prior_kw), tau=tau_L / L, lam=lam)
    kind = "affine" if prior == "tikhonov" else None
    return Layer(name, op, op.theta0, op.x_init(), x_bar, op.contraction(op.theta0), kind)


def pnp_layer(name: str, matrix: torch.Tensor, seed: int, tau_L: float, lip: float, sigma: float = 0.05,
              hidden: int | None = None, b: int = 1, noise: float = 0.05) -> Layer:
    """PnP-FB with the frame denoiser (Lip ≤ lip): certified ρ = lip·ρ_FB."""
    gen = generator(seed)
    n = matrix.shape[1]
    x_bar = sparse_signals(b, n, gen, density=0.2)
    y = observe(matrix, x_bar, noise, gen)
    L = spectral_norm(matrix) ** 2
    den = FrameDenoiser(n, hidden or 2 * n, gen, lip=lip)
    op = PnPForwardBackward(matrix, y, den, tau=tau_L / L, sigma=sigma)
    return Layer(name, op, op.theta0, op.x_init(), x_bar, op.contraction(op.theta0))


def blur(n: int, sigma: float = 0.6) -> torch.Tensor:
    return blur_1d(n, sigma).matrix.to(DTYPE)


def gaussian(m: int, n: int, kappa: float, seed: int) -> torch.Tensor:
    return with_condition_number(m, n, kappa, generator(seed)).matrix.to(DTYPE)


def equilibrium_layers(seed: int) -> list[Layer]:
    """Contractive layers of every family: tanh (certified global constants), forward–backward with ℓ1, weighted ℓ1,
    Tikhonov and Huber priors, PnP with a spectrally normalised denoiser."""
    s = seed
    return [
        tanh_layer("tanh n=30 p=8 ρ₀=0.9", 30, 8, 0.9, s),
        tanh_layer("tanh n=10 p=3 ρ₀=0.5", 10, 3, 0.5, s + 1),
        tanh_layer("tanh n=6 p=2 ρ₀=0.95 flat spectrum", 6, 2, 0.95, s + 2, spread=0.0),
        fb_layer("FB ℓ1 denoising τ=1.5", torch.eye(16, dtype=DTYPE), "l1", s + 3, 1.5),
        fb_layer("FB weighted-ℓ1 deblurring τL=1.5", blur(16), "weighted_l1", s + 4, 1.5),
        fb_layer("FB Tikhonov Gaussian A (κ=3) τL=1", gaussian(24, 12, 3.0, s + 5), "tikhonov", s + 5, 1.0),
        fb_layer("FB Huber deblurring τL=1.8", blur(16), "huber", s + 6, 1.8, delta=0.05),
        pnp_layer("PnP-FB deblurring, Lip(D) ≤ 1", blur(16), s + 7, 1.5, lip=1.0),
    ]


def larger_equilibrium_layers(seed: int) -> list[Layer]:
    """More and larger contractive layers of the same families."""
    s = seed
    return [
        tanh_layer("tanh n=40 p=10 ρ₀=0.8", 40, 10, 0.8, s + 10),
        tanh_layer("tanh n=20 p=6 ρ₀=0.3", 20, 6, 0.3, s + 11),
        fb_layer("FB ℓ1 deblurring b=4 τL=1.9", blur(32), "l1", s + 12, 1.9, b=4),
        fb_layer("FB Tikhonov deblurring b=3 τL=1.5", blur(24), "tikhonov", s + 13, 1.5, b=3),
        pnp_layer("PnP-FB denoising, Lip(D) ≤ 0.9", torch.eye(20, dtype=DTYPE), s + 14, 1.2, lip=0.9),
    ]


def small_rho_layers(seed: int) -> list[Layer]:
    """Layers of small ρ, where JFB-3's sufficient condition can hold for JFB itself."""
    s = seed
    return [tanh_layer("tanh n=12 p=4 ρ₀=0.05", 12, 4, 0.05, s + 20),
            tanh_layer("tanh n=8 p=3 ρ₀=0.15", 8, 3, 0.15, s + 21),
            fb_layer("FB ℓ1 denoising τ=0.95 (ρ=0.05)", torch.eye(12, dtype=DTYPE), "l1", s + 22, 0.95)]


def cases_of(layers: list[Layer]) -> list[EquilibriumCase]:
    return [equilibrium_case(layer.op, layer.theta, layer.x_init, layer.loss_fn) for layer in layers]


def as_tensor(values) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=float), dtype=torch.float64)


def diverged_cases(cases: list[EquilibriumCase]) -> torch.Tensor:
    return torch.tensor([c.diverged or not c.converged for c in cases])


def non_normal_tanh_layer(name: str, n: int, radius: float, coupling: float, seed: int) -> Layer:
    """T(x, θ) = tanh(Wx + θ) with W = radius·I + coupling·N (N the shift matrix, nilpotent): spectral radius
    `radius`, norm ≈ radius + coupling; near x* (θ small) A ≈ W."""
    gen = generator(seed)
    W = radius * torch.eye(n, dtype=DTYPE) + coupling * torch.diag(torch.ones(n - 1, dtype=DTYPE), 1)
    op = TanhLayer(W, torch.eye(n, dtype=DTYPE), torch.zeros(n, dtype=DTYPE),
                   0.1 * torch.randn(n, generator=gen, dtype=DTYPE))
    return Layer(name, op, op.theta0, torch.zeros((1, n), dtype=DTYPE), torch.randn((1, n), generator=gen, dtype=DTYPE),
                 op.certified_constants()["rho_0"], "tanh")


def non_contractive_cases(seed: int) -> list[tuple[str, object, float]]:
    """(name, layer, certified ρ ≥ 1): FB with τ ≥ 2/L, a non-injective A, an unconstrained PnP denoiser."""
    s = seed
    gen = generator(s + 70)
    n = 16
    x_bar = sparse_signals(1, n, gen, density=0.2)
    eye = torch.eye(n, dtype=DTYPE)
    cases = []
    op = ForwardBackward(eye, observe(eye, x_bar, 0.05, gen), make_prior("l1", n), tau=2.5, lam=0.05)
    cases.append(("FB ℓ1 denoising τ = 2.5 > 2/L", op, op.contraction(op.theta0)))
    mask = inpainting(n, keep=0.5, generator=gen).matrix.to(DTYPE)
    op = ForwardBackward(mask, observe(mask, x_bar, 0.05, gen), make_prior("l1", n), tau=1.0, lam=0.05)
    cases.append(("FB ℓ1 inpainting (A not injective, μ = 0)", op, op.contraction(op.theta0)))
    blurring = blur(n)
    op = PnPForwardBackward(blurring, observe(blurring, x_bar, 0.05, gen), FrameDenoiser(n, 2 * n, gen, lip=3.0),
                            tau=1.5, sigma=0.01)
    cases.append(("PnP-FB, unconstrained denoiser Lip(D) ≤ 3", op, op.contraction(op.theta0)))
    return cases


def fb_operators(seed: int, count: int = 7) -> list[tuple[str, ForwardBackward]]:
    """The first `count` (at most 9) FB steps with ℓ1, weighted ℓ1, Huber (convex) and Tikhonov (λ-strongly convex)
    priors, including a non-injective A that contracts only through the prior's strong convexity; the last two are
    larger."""
    s = seed
    gen = generator(s + 50)
    eye = torch.eye(16, dtype=DTYPE)
    mask = inpainting(16, keep=0.5, generator=generator(s + 53)).matrix.to(DTYPE)
    specs = [("denoising ℓ1 τ=0.5", eye, "l1", 0.5, 0.05),
             ("denoising Tikhonov λ=0.05 τ=1.95", eye, "tikhonov", 1.95, 0.05),
             ("Gaussian A κ=3 weighted-ℓ1 τL=1.9", gaussian(20, 10, 3.0, s + 51), "weighted_l1", 1.9, 0.05),
             ("blur σ=0.6 Huber τL=1.5", blur(16), "huber", 1.5, 0.05),
             ("blur σ=0.6 ℓ1 τL=1", blur(16), "l1", 1.0, 0.05),
             ("inpainting (μ = 0) Tikhonov λ=0.5 τL=1.5", mask, "tikhonov", 1.5, 0.5),
             ("blur σ=0.6 Tikhonov λ=0.2 τL=1.9", blur(16), "tikhonov", 1.9, 0.2)]
    if count > len(specs):
        specs += [("Gaussian A κ=10 ℓ1 τL=0.3", gaussian(40, 20, 10.0, s + 52), "l1", 0.3, 0.05),
                  ("blur σ=0.8 Tikhonov λ=0.05 τL=1.99", blur(32, 0.8), "tikhonov", 1.99, 0.05)]
    out = []
    for name, matrix, prior, tau_L, lam in specs[:count]:
        n = matrix.shape[1]
        y = observe(matrix, sparse_signals(1, n, gen), 0.05, gen)
        L = spectral_norm(matrix) ** 2
        out.append((name, ForwardBackward(matrix, y, make_prior(prior, n), tau=tau_L / L, lam=lam)))
    return out


def isotropic_tanh_layer(name: str, n: int, rho_0: float, seed: int) -> Layer:
    """T(x, θ) = tanh(ρ₀x + θ) with θ small: A ≈ ρ₀I, B ≈ I, where damped JFB's gap (1/(1 − ρ₀) − τ)‖v‖ exceeds
    the undamped bound ρ₀/(1 − ρ₀)‖v‖ for every τ < 1."""
    gen = generator(seed)
    op = TanhLayer(rho_0 * torch.eye(n, dtype=DTYPE), torch.eye(n, dtype=DTYPE), torch.zeros(n, dtype=DTYPE),
                   0.05 * torch.randn(n, generator=gen, dtype=DTYPE))
    target = torch.randn((1, n), generator=gen, dtype=DTYPE)
    return Layer(name, op, op.theta0, torch.zeros((1, n), dtype=DTYPE), target, op.certified_constants()["rho_0"],
                 "tanh")


def damped_layers(seed: int, count: int = 5) -> list[Layer]:
    """The first `count` (at most 6) layers the damped claims run on: an isotropic tanh layer, where damping breaks the
    undamped bound, and layers of the usual families."""
    s = seed
    layers = [isotropic_tanh_layer("tanh n=8 W=0.5·I U=I", 8, 0.5, s + 90),
              tanh_layer("tanh n=10 p=3 ρ₀=0.5", 10, 3, 0.5, s + 1),
              tanh_layer("tanh n=30 p=8 ρ₀=0.9", 30, 8, 0.9, s),
              fb_layer("FB ℓ1 denoising τ=1.5", torch.eye(16, dtype=DTYPE), "l1", s + 3, 1.5),
              fb_layer("FB Tikhonov Gaussian A (κ=3) τL=1", gaussian(24, 12, 3.0, s + 5), "tikhonov", s + 5, 1.0)]
    if count > len(layers):
        layers.append(tanh_layer("tanh n=20 p=6 ρ₀=0.3", 20, 6, 0.3, s + 11))
    return layers[:count]


def mode_layers(seed: int, n: int) -> list[Layer]:
    """The layers the gradient modes are compared on: a tanh layer and FB deblurring of size n (Tikhonov, ℓ1)."""
    s = seed
    return [tanh_layer("tanh n=30 p=8 ρ₀=0.9", 30, 8, 0.9, s),
            fb_layer(f"FB Tikhonov deblurring n={n} b=4 τL=1.5", blur(n), "tikhonov", s + 30, 1.5, lam=0.05, b=4),
            fb_layer(f"FB ℓ1 deblurring n={n} b=4 τL=1.5", blur(n), "l1", s + 31, 1.5, lam=0.02, b=4)]


def bilevel_problems(seed: int, weights_train: int = 16, count: int = 3) -> list:
    """The first `count` (at most 4) bilevel problems: learning (τ, λ) for denoising and for deblurring, then the
    weights of a weighted ℓ1 prior, in 4 groups (`weights_train` training signals) and one per coordinate (64)."""
    s = seed
    problems = [denoising_problem(seed=s, tau=1.5, lam=0.05),
                deblurring_problem(seed=s + 1, tau=1.5, lam=0.02),
                denoising_problem(seed=s + 2, prior="weighted_l1", support_fraction=0.5, weight_groups=4,
                                  train=weights_train)]
    if count > len(problems):  # one weight per coordinate needs more training signals not to overfit
        problems.append(deblurring_problem(seed=s + 3, prior="weighted_l1", support_fraction=0.5, train=64))
    return problems[:count]
