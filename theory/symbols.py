"""The notation table, one `Sym` per ASCII name (printed by `ipverify symbols`, docs/notation.md).

Every result draws its symbols from here so that one name means one thing across the catalogue.
Clashing letters of the papers get distinct ASCII names (e.g. the GD step `gamma` versus the
flow's time change, which is never a symbol; the Łojasiewicz exponent `alpha_KL` versus 03's damping).
"""

from __future__ import annotations

from ipverify.theory._core import (
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
    Sym("y_perp", "‖P⊥y‖, the part of y outside Im(A): min f = ½y_perp² for the MSE", NONNEGATIVE,
        latex=r"\|P^\perp y\|"),
    Sym("c_KL", "Łojasiewicz constant c in ψ(s) = c s^α", POSITIVE, default=2 ** 0.5, latex="c"),
    Sym("alpha_KL", "Łojasiewicz exponent α in ψ(s) = c s^α (01's convention)", UNIT_HALF_OPEN, default=0.5,
        latex=r"\alpha"),
    Sym("noise", "noise level ‖ε‖ = ‖y − A x̄‖", NONNEGATIVE, default=0.0, latex=r"\|\varepsilon\|"),
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
    # --- equilibrium learning (04: DEQ, JFB, truncated/unrolled AD, restarted JFB, forward–backward) ---
    Sym("rho", "Lipschitz constant of the scheme Φ, ρ ≥ ‖∂_xΦ(x*)‖₂ (operator norm), never a spectral radius such as "
        "torchdeq's `sradius`, which can be far smaller (JFB-1, JFB-3)", POSITIVE,
        latex=r"\rho"),
    Sym("rho_0", "Lipschitz constant of one layer T, ρ₀ ≥ sup_x ‖∂_xT(x)‖₂ (operator norm), never a spectral radius "
        "(torchdeq's `sradius`); JFB-2, JFB-4, JFB-5, JFB-8", POSITIVE,
        latex=r"\rho_0"),
    Sym("K_layers", "layers per block K = depth of the automatic differentiation (04)", POSITIVE_INTEGER, latex="K"),
    Sym("T_blocks", "restart blocks T run without gradients before the last block (04)", POSITIVE_INTEGER,
        latex="T"),
    Sym("B_norm", "‖B‖ = ‖∂_θΦ(x*, θ)‖ at the equilibrium (04)", NONNEGATIVE, latex=r"\|B\|"),
    Sym("B_T_norm", "‖B_T‖ = ‖∂_θT(x*, θ)‖ of one layer at the equilibrium (04 JFB-2)", NONNEGATIVE,
        latex=r"\|B_T\|"),
    Sym("v_norm", "‖v‖ = ‖∇_xℓ(x*)‖, the inner-loss gradient at the equilibrium (04)", NONNEGATIVE,
        latex=r"\|v\|"),
    Sym("g_DEQ_norm", "‖g_DEQ‖, norm of the exact implicit (DEQ/IFT) hypergradient (04 JFB-3)", NONNEGATIVE,
        latex=r"\|g_{DEQ}\|"),
    Sym("L_theta", "L_θ ≥ sup_x ‖∂_θT(x)‖ of one layer (04 A2)", POSITIVE, latex=r"L_\theta"),
    Sym("L_A", "Lipschitz constant of x ↦ ∂_xT(x) of one layer (04 A2; A is a Jacobian here)", NONNEGATIVE,
        latex=r"L_A"),
    Sym("L_B", "Lipschitz constant of x ↦ ∂_θT(x) of one layer (04 A2)", NONNEGATIVE, latex=r"L_B"),
    Sym("L_ell", "Lipschitz constant of ∇ℓ, the inner loss (04 A3; 1 for ½‖x − x̄‖²)", NONNEGATIVE, default=1.0,
        latex=r"L_\ell"),
    Sym("e_0", "‖x₀ − x*‖, distance of the AD start from the equilibrium (04)", NONNEGATIVE, latex=r"e_0"),
    Sym("e_init", "‖x_init − x*‖, distance of the first restart's start from the equilibrium (04)", NONNEGATIVE,
        latex=r"e_{\mathrm{init}}"),
    Sym("L_outer", "smoothness constant L_𝓛 of the outer objective 𝓛(θ) (04 JFB-6)", POSITIVE,
        latex=r"L_{\mathcal{L}}"),
    Sym("gamma_outer", "outer step size γ on θ (04; not the DIP step `gamma`)", POSITIVE, latex=r"\gamma"),
    Sym("N_outer", "number of outer steps N (04 JFB-6)", POSITIVE_INTEGER, latex="N"),
    Sym("outer_gap", "𝓛(θ₀) − inf 𝓛, initial outer suboptimality (04 JFB-6)", NONNEGATIVE,
        latex=r"\mathcal{L}(\theta_0)-\inf\mathcal{L}"),
    Sym("eps_grad", "ε ≥ every hypergradient error ‖g_n − ∇𝓛(θ_n)‖ (04 JFB-6)", NONNEGATIVE,
        latex=r"\varepsilon"),
    Sym("tau_FB", "forward–backward step size τ (04; torchdeq's `tau` is a damping, not this)", POSITIVE,
        latex=r"\tau"),
    Sym("mu_FB", "λ_min(AᵀA) of the forward operator (04 JFB-7; 0 when A is not injective)", NONNEGATIVE,
        latex=r"\mu"),
    Sym("L_FB", "‖A‖² = λ_max(AᵀA) of the forward operator (04 JFB-7)", POSITIVE, latex="L"),
    Sym("lambda_sc", "strong-convexity modulus of the whole prior term of a forward–backward step (λ for λ·½‖x‖², "
        "0 for ℓ1; JFB-7)", NONNEGATIVE, default=0.0, latex=r"\lambda_{sc}"),
    Sym("tau_damp", "damping τ of the relaxed scheme x ← (1 − τ)x + τT(x) (torchdeq's `tau`; JFB-8)", UNIT_HALF_OPEN,
        latex=r"\tau"),
    Sym("rho_FB", "max(|1 − τμ|, |1 − τL|)/(1 + τλ_sc), Lipschitz bound of one forward–backward step (JFB-7)",
        NONNEGATIVE,
        latex=r"\rho_{FB}"),
    # --- inertia (03: DIN, IGAHD-SC, INNA, adaptive inertial method) ---
    Sym("alpha", "viscous damping α ≥ 0 of DIN (03; not the Łojasiewicz exponent alpha_KL)", NONNEGATIVE,
        latex=r"\alpha"),
    Sym("beta", "Hessian-driven damping β ≥ 0 of DIN / IGAHD (03)", NONNEGATIVE, latex=r"\beta"),
    Sym("mu_PL", "PL constant μ = σ_A²σ₀²/4 on 𝔹(θ₀, R): ‖∇f‖² ≥ 2μ f (03; `mu` is restricted injectivity)", POSITIVE,
        latex=r"\mu"),
    Sym("mu_SC", "strong-convexity modulus μ of the background theorems (03 IN-B*)", POSITIVE, latex=r"\mu"),
    Sym("sc_modulus", "a certified strong-convexity modulus of f (∇²f ⪰ this·I everywhere; none is known for the DIP)",
        POSITIVE, latex=r"\mu_f"),
    Sym("energy_1", "IGAHD-SC's E₁ = f(x₁) − f* + ½‖√μ(x₀ − x*) + (x₁ − x₀)/√s + β∇f(x₀)‖² (03 IN-B3)", NONNEGATIVE,
        latex=r"E_1"),
    Sym("kappa_DIN", "exponential decay rate κ of the DIN energy (03 IN-5; not κ(A))", NONNEGATIVE, latex=r"\kappa"),
    Sym("energy_0", "initial DIN energy E(0) = (1 + αβ) f(θ₀) + ½β²‖∇f(θ₀)‖² (θ̇(0) = 0)", POSITIVE,
        latex="E(0)"),
    Sym("grad_norm_0", "‖∇f(θ₀)‖, the gradient at initialisation", NONNEGATIVE, latex=r"\|\nabla f(\theta_0)\|"),
    Sym("grad_norm_t", "‖∇f(θ(t))‖ at time t", NONNEGATIVE, latex=r"\|\nabla f(\theta(t))\|"),
    Sym("velocity_norm", "‖θ̇(t)‖ at time t", NONNEGATIVE, latex=r"\|\dot\theta(t)\|"),
    Sym("theta_dist", "‖θ − θ₀‖, distance from the initialisation", NONNEGATIVE, latex=r"\|\theta-\theta_0\|"),
    Sym("R_prime_DIN", "implicit-regularisation radius R′_DIN of DIN (03 IN-6, derived)", POSITIVE,
        latex=r"R'_{DIN}"),
    Sym("R_prime_disc", "radius R′_disc of the adaptive inertial method (03 IN-8, our variant)", POSITIVE,
        latex=r"R'_{disc}"),
    Sym("s_step", "step s of IGAHD-SC and of the adaptive inertial method (03 IN-8, IN-B3)", POSITIVE, latex="s"),
    Sym("c_armijo", "sufficient-decrease (Armijo) constant c of the adaptive inertial method (03 IN-8, ours)",
        UNIT_HALF_OPEN, default=0.5, latex="c"),
    Sym("shrink", "backtracking factor ϑ of the adaptive inertial method (03 IN-8, ours)", UNIT_HALF_OPEN, default=0.5,
        latex=r"\vartheta"),
    Sym("gamma_IN", "step γ of the INNA-type explicit Euler discretisation of DIN (03 IN-8(b), IN-B7)", POSITIVE,
        latex=r"\gamma"),
    Sym("alpha_AVD", "coefficient α of the vanishing viscous damping α/t or α/k (03 IN-B4, IN-B5)", POSITIVE,
        latex=r"\alpha"),
)

SYMBOLS: dict[str, Sym] = {s.name: s for s in _TABLE}


def syms(*names: str) -> tuple[Sym, ...]:
    """The table entries for `names`, in order."""
    return tuple(SYMBOLS[name] for name in names)


def S(name: str):
    """The SymPy symbol of a table entry."""
    return SYMBOLS[name].symbol
