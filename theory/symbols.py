"""The shared notation table (../shared/theory/README.md), one `Sym` per ASCII name.

Every result draws its symbols from here so that one name means one thing across the catalogue.
Clashing letters of the papers get distinct ASCII names (e.g. the GD step `gamma` versus the
flow's time change, which is never a symbol; the Łojasiewicz exponent `alpha_KL` versus 03's damping).
"""

from __future__ import annotations

from theory._core import (
    NONNEGATIVE,
    POSITIVE,
    POSITIVE_INTEGER,
    UNIT_HALF_OPEN,
    Sym,
)

_TABLE = (
    # dimensions
    Sym("n", "signal size (dimension of x)", POSITIVE_INTEGER, latex="n"),
    Sym("m", "number of measurements (dimension of y)", POSITIVE_INTEGER, latex="m"),
    Sym("d", "dimension of the DIP input u", POSITIVE_INTEGER, latex="d"),
    Sym("k", "hidden width of the two-layer DIP", POSITIVE_INTEGER, latex="k"),
    # operator
    Sym("sigma_A", "smallest non-zero singular value of A", POSITIVE, latex=r"\sigma_A"),
    Sym("A_norm", "spectral norm ‖A‖", POSITIVE, latex=r"\|A\|"),
    Sym("mu", "restricted-injectivity constant μ_{A,Σ′} (≥ σ_min(A) when A is injective)", POSITIVE,
        latex=r"\mu"),
    # network at initialisation
    Sym("sigma_0", "σ_min(J_g(θ₀)), smallest singular value of the Jacobian at initialisation", POSITIVE,
        latex=r"\sigma_0"),
    Sym("B", "bound on |φ′| (01: also Lip(φ′))", POSITIVE, latex="B"),
    Sym("C", "bound on |φ″| (02)", POSITIVE, latex="C"),
    Sym("D", "bound on |V_ij(0)| (Rademacher: 1)", POSITIVE, default=1.0, latex="D"),
    Sym("V_col_max", "max_i ‖V_{:,i}(0)‖ (≤ D√n)", POSITIVE, latex=r"\max_i\|V_{:,i}(0)\|"),
    Sym("C_phi", "√E[φ(X)²], X ~ N(0,1)", POSITIVE, latex=r"C_\varphi"),
    Sym("C_phi_prime", "√E[φ′(X)²], X ~ N(0,1)", POSITIVE, latex=r"C_{\varphi'}"),
    Sym("Lip_J", "Lipschitz constant of J_g on 𝔹(θ₀, R)", POSITIVE, latex=r"\mathrm{Lip}(J_g)"),
    Sym("Lip_g", "Lipschitz constant of θ ↦ g(u, θ) on the ball", POSITIVE, latex=r"\mathrm{Lip}(g)"),
    # loss
    Sym("residual_0", "initial residual ‖y(0) − y‖ = ‖A g(u, θ₀) − y‖", POSITIVE, latex=r"\|y(0)-y\|"),
    Sym("loss_0", "initial loss L_y(y(0))", POSITIVE, latex=r"L_y(y(0))"),
    Sym("loss_t", "loss at time t (or iteration τ)", NONNEGATIVE, latex=r"L_y(y(t))"),
    Sym("psi_0", "ψ(L_y(y(0))), the desingularised initial loss", POSITIVE, latex=r"\psi(L_y(y(0)))"),
    Sym("C_width", "unknown constant of a recalled width bound (UNCONFIRMED; shown with 1)", POSITIVE,
        default=1.0, latex="C"),
    Sym("y_norm", "‖y‖", NONNEGATIVE, latex=r"\|y\|"),
    Sym("c_KL", "Łojasiewicz constant c in ψ(s) = c s^α", POSITIVE, default=2 ** 0.5, latex="c"),
    Sym("alpha_KL", "Łojasiewicz exponent α in ψ(s) = c s^α (01's convention)", UNIT_HALF_OPEN, default=0.5,
        latex=r"\alpha"),
    Sym("noise", "noise level ‖ε‖ (ε ∈ Im(A))", NONNEGATIVE, default=0.0, latex=r"\|\varepsilon\|"),
    Sym("dist", "dist(x̄, Σ′), the modelling error", NONNEGATIVE, default=0.0, latex=r"\mathrm{dist}(\bar x,\Sigma')"),
    # radii
    Sym("R", "local conditioning radius: Lip_{𝔹(θ₀,R)}(J_g)·R ≤ σ₀/2", POSITIVE, latex="R"),
    Sym("R_prime", "implicit-regularisation radius R′ of gradient flow", POSITIVE, latex="R'"),
    Sym("R_prime_gamma", "radius R′_γ = c_γ R′ of gradient descent (derived)", POSITIVE, latex=r"R'_\gamma"),
    Sym("R_prime_GD", "radius R′_GD = ν₁ R′ of gradient descent (recalled)", POSITIVE, latex=r"R'_{GD}"),
    # time
    Sym("t", "gradient-flow time", NONNEGATIVE, default=0.0, latex="t"),
    Sym("tau", "gradient-descent iteration", NONNEGATIVE, default=0.0, latex=r"\tau"),
    # gradient descent
    Sym("gamma", "gradient-descent step size", POSITIVE, latex=r"\gamma"),
    Sym("L", "Lipschitz constant of ∇f on 𝔹(θ₀, R) (smoothness)", POSITIVE, latex="L"),
    Sym("nu_1", "ν₁ = (1 + γL)/(1 − γL/2)", POSITIVE, latex=r"\nu_1"),
    Sym("c_gamma", "c_γ = 1/(1 − γL/2)", POSITIVE, latex=r"c_\gamma"),
    Sym("nu", "ν = γ(1 − γL/2) σ_A² σ₀²/4, the per-step rate constant", POSITIVE, latex=r"\nu"),
    Sym("sup_residual", "sup over the ball of ‖A g(u, θ) − y‖", POSITIVE, latex=r"\sup\|Ag-y\|"),
)

SYMBOLS: dict[str, Sym] = {s.name: s for s in _TABLE}


def syms(*names: str) -> tuple[Sym, ...]:
    """The table entries for `names`, in order."""
    return tuple(SYMBOLS[name] for name in names)


def S(name: str):
    """The SymPy symbol of a table entry."""
    return SYMBOLS[name].symbol
