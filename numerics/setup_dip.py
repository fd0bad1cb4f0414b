"""Experiment set-up for GF-* and GD-* (the DIP trained by gradient descent and flow): the planted two-layer instances
the claims train on. Sizes are numbers given by the caller; every instance draws from its own seed.

Gradient flow is checked on gradient descent with the small step γ = FLOW_STEP_FACTOR/L (L certified): by GD-4 item 4
those iterates obey the flow's bounds at the effective time t = γ(1 − γL/2)τ.
"""

from __future__ import annotations

from ipverify.numerics.instances import InstanceSpec


def descent_specs(seed: int, larger: int = 0) -> list[InstanceSpec]:
    """Instances where GD-4's hypotheses can be certified (planted targets near θ₀): three small ones, then `larger`
    (at most 4) wider ones with 8 networks each (tanh, sigmoid, softplus, elu)."""
    s = seed
    small = [InstanceSpec(n=6, m=8, d=5, k=128, activation="tanh", planted_radius=0.15, seed=s),
             InstanceSpec(n=5, m=3, d=4, k=128, activation="sigmoid", planted_radius=0.05, seed=s + 1),
             InstanceSpec(n=8, m=4, d=6, k=256, activation="softplus", kappa=3.0, planted_radius=0.1, seed=s + 2)]
    return small + [InstanceSpec(n=16, m=12, d=8, k=1024, b=8, activation=a, kappa=4.0, planted_radius=0.1,
                                 seed=s + 3 + i) for i, a in enumerate(("tanh", "sigmoid", "softplus", "elu")[:larger])]


def outside_range_specs(seed: int) -> list[InstanceSpec]:
    """m > n and a part of the noise orthogonal to Im(A), so min f = ½y_perp² > 0: the loss stalls at that floor."""
    s = seed
    return [InstanceSpec(n=5, m=8, d=4, k=256, b=3, activation="tanh", noise_outside=0.02, seed=s + 5),
            InstanceSpec(n=6, m=9, d=5, k=128, b=3, activation="softplus", planted_radius=0.1, noise=0.01,
                         noise_outside=0.05, seed=s + 6)]


def recovery_specs(seed: int, larger: int = 0) -> list[InstanceSpec]:
    """Injective A (m ≥ n), so μ = σ_min(A) is a valid restricted-injectivity constant; small noise. `larger` (0 or
    1) adds a wider instance with 8 networks."""
    s = seed
    specs = [InstanceSpec(n=5, m=8, d=4, k=128, activation="tanh", planted_radius=0.2, noise=0.01, seed=s + 10),
             InstanceSpec(n=6, m=6, d=5, k=256, activation="softplus", kappa=1.5, planted_radius=0.1, seed=s + 11)]
    return specs + [InstanceSpec(n=12, m=16, d=8, k=1024, b=8, planted_radius=0.2, noise=0.02, seed=s + 12)][:larger]


def early_stopping_specs(seed: int) -> list[InstanceSpec]:
    """Well-conditioned A and noise comparable to the initial residual, so t* is reached within the run."""
    s = seed
    return [InstanceSpec(n=6, m=6, d=5, k=128, kappa=1.2, planted_radius=0.3, noise=0.02, seed=s + 20),
            InstanceSpec(n=8, m=10, d=5, k=256, kappa=1.5, planted_radius=0.3, noise=0.05, seed=s + 21)]


def no_injectivity_spec(seed: int) -> InstanceSpec:
    """m < n: no restricted-injectivity constant, the recovery bound is not claimed."""
    return InstanceSpec(n=8, m=3, d=5, k=128, planted_radius=0.3, seed=seed + 30)


def narrow_spec(seed: int) -> InstanceSpec:
    """A width k = 2 far below GF-13's requirement."""
    return InstanceSpec(n=8, m=6, d=4, k=2, planted_radius=1.0, seed=seed + 40)


def ode_spec(seed: int) -> InstanceSpec:
    """A tiny planted instance for the cross-checks against solve_ivp (p = 448 parameters per network) whose R′ < R
    and R′_DIN < R are certified (for the seeds 0–7 at least)."""
    return InstanceSpec(n=4, m=4, d=3, k=64, b=2, kappa=1.5, planted_radius=0.02, seed=seed)
