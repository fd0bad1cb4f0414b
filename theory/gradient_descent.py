"""Gradient descent with step γ on L_y(A g(u, θ)): GD-1 … GD-6 (../shared/theory/02).

Paper: Buskulic, Fadili, Quéau, EUSIPCO 2024 (arXiv:2403.05395). Numbering is presumed, not verified.

Choices on the notes' discrepancies:
- ν₁ = (1 + γL)/(1 − γL/2) and the range γL ≤ 1 are the recalled form (GD-3); the checks rely on the
  derived GD-4 (c_γ = 1/(1 − γL/2), γL < 2). ν₁ ≥ c_γ, so GD-3's hypothesis implies GD-4's.
- L is the Lipschitz constant of ∇f on 𝔹(θ₀, R) (the notes leave 𝔹(θ₀, R′) open); GD-2 bounds it.
- The φ″ bound C of 02 is used only in GD-6's Lipschitz constant; elsewhere 01's B.
"""

from __future__ import annotations

import sympy as sp

from theory._core import Hypothesis, Provenance, Quantity, Result, SelfCheck
from theory._proofs import identical, nonnegative, positive, solution_set
from theory.gradient_flow import CERTIFIED_R, MSE_RESIDUAL_DECAY, R_PRIME_MSE
from theory.kl import Psi_inverse_of, Psi_of, psi_mse, s, tau_
from theory.symbols import S, syms

PAPER = ("Buskulic, Fadili, Quéau. Recovery Guarantees of Unsupervised Neural Networks for Inverse Problems "
         "trained with Gradient Descent. EUSIPCO 2024.")
NOTES = "../shared/theory/02-gradient-descent.md"
ABS = "Attouch, Bolte, Svaiter. Convergence of descent methods for semi-algebraic and tame problems. Math. Prog. 2013."

gamma, L, sigma_A, sigma_0 = S("gamma"), S("L"), S("sigma_A"), S("sigma_0")
tau, residual_0, R, R_prime = S("tau"), S("residual_0"), S("R"), S("R_prime")
x = sp.Symbol("x", positive=True)  # x = γL

NU_1 = (1 + gamma * L) / (1 - gamma * L / 2)
C_GAMMA = 1 / (1 - gamma * L / 2)
NU = gamma * (1 - gamma * L / 2) * sigma_A**2 * sigma_0**2 / 4
#: per-step contraction of the MSE loss, GD-4 item 5
MSE_STEP_FACTOR = 1 - 2 * NU


def _nu1_is_abs_ratio() -> bool:
    """ν₁ = b/a with a = (1/γ)(1 − γL/2) (sufficient decrease) and b = 1/γ + L (relative error)."""
    return identical((1 / gamma + L) / ((1 / gamma) * (1 - gamma * L / 2)), NU_1)


def _on_open_0_2(expr_in_x):
    """Reparametrise γL = x ∈ ]0, 2[ as x = 2w/(1 + w), w > 0, so sign questions become assumption queries."""
    w = sp.Symbol("w", positive=True)
    return expr_in_x.subs(x, 2 * w / (1 + w))


def _nu1_of_x():
    return NU_1.subs(gamma, x / L)


def _nu1_range() -> bool:
    """ν₁ ∈ ]1, 4] ⇔ γL ∈ ]0, 1], over γL ∈ ]0, 2[."""
    domain = sp.Interval.open(0, 2)
    nu1 = sp.simplify(_nu1_of_x())
    inside = solution_set(nu1 > 1, x, domain).intersect(solution_set(nu1 <= 4, x, domain))
    return inside == sp.Interval.Lopen(0, 1)


def _nu1_values() -> bool:
    nu1 = _nu1_of_x()
    return (sp.limit(nu1, x, 0) == 1 and sp.simplify(nu1.subs(x, sp.Rational(1, 2))) == 2
            and sp.simplify(nu1.subs(x, 1)) == 4)


def _c_gamma_range() -> bool:
    """c_γ ∈ ]1, 2] for γL ∈ ]0, 1]; c_γ⁴ ≤ 16 and ν₁⁴ ≤ 256 there (both increasing in γL)."""
    c = C_GAMMA.subs(gamma, x / L)
    interval = sp.Interval.Lopen(0, 1)
    return (sp.imageset(sp.Lambda(x, c), interval) == sp.Interval.Lopen(1, 2)
            and sp.imageset(sp.Lambda(x, c**4), interval) == sp.Interval.Lopen(1, 16)
            and sp.imageset(sp.Lambda(x, _nu1_of_x() ** 4), interval) == sp.Interval.Lopen(1, 256))


GD_1 = Result(
    id="GD-1",
    title="The discretisation constants ν₁ and c_γ",
    citation="EUSIPCO 2024, constant of Thm 3.1 (#?); ABS 2013 ratio",
    provenance=Provenance.DERIVED,
    statement=("ν₁ = (1 + γL)/(1 − γL/2) is the Attouch–Bolte–Svaiter ratio b/a for gradient descent; it is "
               "increasing in γL with ν₁ = 1 at 0, 2 at ½ and 4 at 1, so ν₁ ∈ ]1,4] ⇔ 0 < γL ≤ 1. "
               "c_γ = 1/(1 − γL/2) ≤ ν₁ and c_γ ∈ ]1,2] for γL ≤ 1."),
    symbols=syms("gamma", "L", "nu_1", "c_gamma"),
    hypotheses=(Hypothesis("gamma*L<=1", sp.LessThan(gamma * L, 1), "ν₁ ∈ ]1,4] (step size of GD-3)"),
                Hypothesis("gamma*L<2", sp.StrictLessThan(gamma * L, 2), "ν₁ and c_γ are finite (GD-4)")),
    definitions=(Quantity("nu_1", NU_1, "ν₁"), Quantity("c_gamma", C_GAMMA, "c_γ")),
    conclusions=(Quantity("nu_1_value", NU_1, "ν₁"), Quantity("c_gamma_value", C_GAMMA, "c_γ"),
                 Quantity("gamma_max_nu1", 1 / L, "largest step with ν₁ ≤ 4"),
                 Quantity("gamma_max_c", 2 / L, "supremum of the steps with finite c_γ")),
    unconfirmed=("ν₁ as the paper's constant (from the project specification)", "strict < or ≤ in γ ≤ 1/L"),
    choices=("γ ≤ 1/L (non-strict), as the half-open range ]1,4] suggests.",),
    references=(PAPER, ABS, NOTES + " GD-1"),
    self_checks=(
        SelfCheck("ν₁ = b/a with the ABS constants a = (1 − γL/2)/γ, b = 1/γ + L", _nu1_is_abs_ratio),
        SelfCheck("dν₁/d(γL) = 6/(2 − γL)² > 0",
                  lambda: identical(sp.diff(_nu1_of_x(), x), 6 / (2 - x) ** 2)
                  and positive(_on_open_0_2(6 / (2 - x) ** 2))),
        SelfCheck("ν₁ → 1 as γL → 0, ν₁ = 2 at γL = ½, ν₁ = 4 at γL = 1", _nu1_values),
        SelfCheck("ν₁ ∈ ]1,4] ⇔ 0 < γL ≤ 1 (solveset over ]0,2[)", _nu1_range),
        SelfCheck("ν₁ − c_γ = 2γL/(2 − γL) ≥ 0",
                  lambda: identical(NU_1 - C_GAMMA, 2 * gamma * L / (2 - gamma * L))
                  and nonnegative(_on_open_0_2(2 * x / (2 - x)))),
        SelfCheck("c_γ ∈ ]1,2], c_γ⁴ ∈ ]1,16], ν₁⁴ ∈ ]1,256] for γL ∈ ]0,1]", _c_gamma_range),
    ),
)


A_norm, Lip_g, Lip_J, sup_residual = S("A_norm"), S("Lip_g"), S("Lip_J"), S("sup_residual")
L_BOUND = A_norm**2 * Lip_g**2 + A_norm * Lip_J * sup_residual


def _gradient_difference_decomposition() -> bool:
    """∇f(θ) − ∇f(θ′) = (J − J′)ᵀAᵀr + J′ᵀAᵀ(r − r′), r = A g − y (matrices of symbols, 2×3 J, 2×2 A)."""
    J, Jp = sp.Matrix(2, 3, sp.symbols("j0:6")), sp.Matrix(2, 3, sp.symbols("jp0:6"))
    A = sp.Matrix(2, 2, sp.symbols("a0:4"))
    r, rp = sp.Matrix(sp.symbols("r0:2")), sp.Matrix(sp.symbols("rp0:2"))
    return identical(J.T * A.T * r - Jp.T * A.T * rp, (J - Jp).T * A.T * r + Jp.T * A.T * (r - rp))


GD_2 = Result(
    id="GD-2",
    title="An explicit bound on the smoothness constant L",
    citation="derived here (product rule on J_gᵀAᵀ∇L_y(A g))",
    provenance=Provenance.DERIVED,
    statement=("For the MSE on a convex ball 𝔹: L ≤ ‖A‖² Lip_𝔹(g)² + ‖A‖ Lip_𝔹(J_g) sup_𝔹‖A g(u, θ) − y‖, "
               "from ∇f(θ) − ∇f(θ′) = (J − J′)ᵀAᵀr + J′ᵀAᵀA(g − g′)."),
    symbols=syms("A_norm", "Lip_g", "Lip_J", "sup_residual"),
    conclusions=(Quantity("L_bound", L_BOUND, "Lip_𝔹(∇f) ≤ this bound"),),
    references=(PAPER, NOTES + " GD-2"),
    self_checks=(SelfCheck("∇f(θ) − ∇f(θ′) = (J − J′)ᵀAᵀr + J′ᵀAᵀ(r − r′)", _gradient_difference_decomposition),),
)


R_prime_GD, R_prime_gamma = S("R_prime_GD"), S("R_prime_gamma")

GD_3 = Result(
    id="GD-3",
    title="Convergence and recovery for GD, as probably stated",
    citation="EUSIPCO 2024, Thm 3.1 (#?)",
    provenance=Provenance.RECALLED,
    sibling="GD-4",
    statement=("With R′_GD = ν₁R′_GF = 2ν₁ψ(L_y(y₀))/(σ_Aσ₀), ν₁ ∈ ]1,4], γ ∈ ]0, 1/L] and R′_GD < R, gradient "
               "descent keeps the conclusions of GF-3/GF-6 (GD-4 is a proved version)."),
    symbols=syms("gamma", "L", "sigma_A", "sigma_0", "residual_0", "R_prime", "R_prime_GD", "nu_1", "R", "B", "k",
                 "V_col_max"),
    hypotheses=(Hypothesis("gamma*L<=1", sp.LessThan(gamma * L, 1), "step size: ν₁ ∈ ]1,4]"),
                Hypothesis("R_prime_GD<R", sp.StrictLessThan(R_prime_GD, R), "ν₁R′ inside the conditioning radius")),
    definitions=(Quantity("nu_1", NU_1, "ν₁"), Quantity("R_prime", R_PRIME_MSE, "R′_GF (MSE)"),
                 Quantity("R_prime_GD", S("nu_1") * R_prime, "R′_GD = ν₁R′_GF"), CERTIFIED_R),
    conclusions=(Quantity("theta_dist_bound", R_prime_GD, "‖θ_τ − θ₀‖ ≤ R′_GD"),
                 Quantity("gamma_max", 1 / L, "largest admissible step")),
    unconfirmed=("the form R′_GD = ν₁R′_GF and any first-step term", "the theorem's numbering"),
    references=(PAPER, NOTES + " GD-3"),
    self_checks=(SelfCheck("ν₁R′ ≥ c_γR′, so GD-3's radius condition implies GD-4's",
                           lambda: nonnegative(_on_open_0_2((NU_1 - C_GAMMA).subs(gamma, x / L)))),),
)


def _mse_rate_matches_flow() -> bool:
    """Ψ⁻¹(Ψ(f₀) + ντ) = f₀e^{−2ντ}: GD's rate is the flow's with t ↔ γ(1 − γL/2)τ."""
    loss_0 = residual_0**2 / 2
    gd = Psi_inverse_of(psi_mse()).subs(tau_, Psi_of(psi_mse()).subs(s, loss_0) + NU * tau)
    flow = (residual_0 * MSE_RESIDUAL_DECAY) ** 2 / 2
    return identical(gd, loss_0 * sp.exp(-2 * NU * tau)) and identical(
        gd, flow.subs(S("t"), gamma * (1 - gamma * L / 2) * tau))


def _step_factor_tighter() -> bool:
    """(1 − 2ν)^τ ≤ e^{−2ντ}: 1 − z ≤ e^{−z}, as e^{−z} − (1 − z) vanishes at 0 with derivative 1 − e^{−z} ≥ 0."""
    z = sp.Symbol("z", real=True)
    gap = sp.exp(-z) - (1 - z)
    decreasing_somewhere = solution_set(sp.diff(gap, z) < 0, z, sp.Interval(0, sp.oo))
    return gap.subs(z, 0) == 0 and decreasing_somewhere is sp.S.EmptySet


def _one_step_rate() -> bool:
    """f_τ − f_{τ+1} ≥ γ(1 − γL/2)‖∇f‖² ≥ γ(1 − γL/2)(σ_Aσ₀/2)²·2f_τ = 2ν f_τ (MSE: ‖∇L_y‖² = 2f)."""
    f = sp.Symbol("f", positive=True)
    return identical(gamma * (1 - gamma * L / 2) * (sigma_A * sigma_0 / 2) ** 2 * 2 * f, 2 * NU * f)


def _sufficient_decrease() -> bool:
    """Descent lemma: f(θ − γg) ≤ f − γ‖g‖² + (L/2)γ²‖g‖² = f − γ(1 − γL/2)‖g‖²."""
    g2 = sp.Symbol("g2", positive=True)
    return identical(-gamma * g2 + L / 2 * gamma**2 * g2, -gamma * (1 - gamma * L / 2) * g2)


GD_4 = Result(
    id="GD-4",
    title="Convergence and recovery for GD, provable version",
    citation="EUSIPCO 2024, Thm 3.1 (#?), derived here with c_γ",
    provenance=Provenance.DERIVED,
    sibling="GD-3",
    statement=("If ∇f is L-Lipschitz on 𝔹(θ₀, R), 0 < γ < 2/L and R′_γ = 2c_γψ(L_y(y₀))/(σ_Aσ₀) < R: θ_τ ∈ "
               "𝔹(θ₀, R′_γ), σ_min(J_g(θ_τ)) ≥ σ₀/2, f(θ_{τ+1}) ≤ f(θ_τ) − γ(1 − γL/2)‖∇f(θ_τ)‖², "
               "Σ_{s≥τ}‖θ_{s+1} − θ_s‖ ≤ (2c_γ/(σ_Aσ₀))ψ(f(θ_τ)), and for the MSE "
               "f(θ_{τ+1}) ≤ (1 − γ(1 − γL/2)σ_A²σ₀²/2) f(θ_τ)."),
    symbols=syms("gamma", "L", "sigma_A", "sigma_0", "residual_0", "tau", "c_gamma", "nu", "R_prime",
                 "R_prime_gamma", "R", "B", "k", "V_col_max"),
    hypotheses=(Hypothesis("gamma*L<2", sp.StrictLessThan(gamma * L, 2), "step size: γ < 2/L"),
                Hypothesis("R_prime_gamma<R", sp.StrictLessThan(R_prime_gamma, R),
                           "c_γR′ inside the conditioning radius")),
    definitions=(Quantity("c_gamma", C_GAMMA, "c_γ"), Quantity("nu", NU, "ν"),
                 Quantity("R_prime", R_PRIME_MSE, "R′_GF (MSE)"),
                 Quantity("R_prime_gamma", S("c_gamma") * R_prime, "R′_γ = c_γR′_GF"), CERTIFIED_R),
    conclusions=(
        Quantity("step_factor", 1 - 2 * S("nu"), "f(θ_{τ+1}) ≤ step_factor · f(θ_τ) (MSE)"),
        Quantity("loss_bound", residual_0**2 / 2 * (1 - 2 * S("nu")) ** tau, "f(θ_τ) ≤ this bound (MSE)"),
        Quantity("residual_bound", residual_0 * (1 - 2 * S("nu")) ** (tau / 2), "‖y_τ − y‖ ≤ this bound"),
        Quantity("theta_dist_bound", R_prime_gamma, "‖θ_τ − θ₀‖ ≤ R′_γ"),
        Quantity("path_length_factor", 2 * S("c_gamma") / (sigma_A * sigma_0),
                 "Σ_{s≥τ}‖θ_{s+1} − θ_s‖ ≤ factor · ψ(f(θ_τ)) = factor · ‖y_τ − y‖ (MSE)"),
        Quantity("decrease_factor", gamma * (1 - gamma * L / 2), "f_τ − f_{τ+1} ≥ factor · ‖∇f(θ_τ)‖²"),
        Quantity("sigma_min_lower", sigma_0 / 2, "σ_min(J_g(θ_τ)) ≥ σ₀/2"),
        Quantity("gamma_max", 2 / L, "supremum of the admissible steps"),
        Quantity("flow_time", gamma * (1 - gamma * L / 2) * tau, "flow time matching iteration τ"),
    ),
    unconfirmed=("whether the paper's statement matches this proved version",),
    choices=("The checks use this version (c_γ); GD-3's ν₁ form is reported beside it.",),
    references=(PAPER, ABS, NOTES + " GD-4"),
    self_checks=(
        SelfCheck("descent lemma: −γ‖g‖² + (L/2)γ²‖g‖² = −γ(1 − γL/2)‖g‖²", _sufficient_decrease),
        SelfCheck("one MSE step contracts the loss by 1 − 2ν", _one_step_rate),
        SelfCheck("(1 − 2ν)^τ ≤ e^{−2ντ}: the per-step factor is at least as tight as item 4", _step_factor_tighter),
        SelfCheck("GD's item-4 rate is the flow's with t ↔ γ(1 − γL/2)τ", _mse_rate_matches_flow),
        SelfCheck("ν > 0 exactly when 0 < γL < 2", lambda: positive(_on_open_0_2(NU.subs(gamma, x / L)))),
    ),
)

C_width, n, d, A_norm_, y_norm, nu_1 = S("C_width"), S("n"), S("d"), S("A_norm"), S("y_norm"), S("nu_1")
K_RECALLED_GD = C_width * nu_1**4 * sigma_A**-4 * n * (A_norm_ * sp.sqrt(n * sp.log(d)) + y_norm) ** 4

GD_5 = Result(
    id="GD-5",
    title="Two-layer overparametrization bound for GD (recalled form)",
    citation="EUSIPCO 2024, Cor 3.2 (#?)",
    provenance=Provenance.RECALLED,
    sibling="GD-6",
    statement=("The discretisation affects the two-layer overparametrization bound only by a constant (CONFIRMED); "
               "the recalled form is k ≥ C′ν₁⁴σ_A⁻⁴n ψ((C/2)(‖A‖√(n log d) + ‖y‖)²)⁴, i.e. ν₁⁴ × GF-12 for the MSE."),
    symbols=syms("k", "n", "d", "sigma_A", "A_norm", "y_norm", "C_width", "gamma", "L", "nu_1"),
    hypotheses=(Hypothesis("k>=k_required", sp.GreaterThan(S("k"), K_RECALLED_GD), "width above the recalled bound"),
                Hypothesis("gamma*L<=1", sp.LessThan(gamma * L, 1), "step size: ν₁ ∈ ]1,4]")),
    definitions=(Quantity("nu_1", NU_1, "ν₁"),),
    conclusions=(Quantity("k_required", K_RECALLED_GD, "recalled sufficient width (C_width unknown)"),
                 Quantity("discretisation_factor", nu_1**4, "ν₁⁴ ∈ ]1, 256]")),
    unconfirmed=("the constants C, C′; the power of ν₁ (ν₁⁴, ν₁², absorbed)", "the log d factor", "the probability"),
    references=(PAPER, NOTES + " GD-5"),
)


B, C, V_col_max, k = S("B"), S("C"), S("V_col_max"), S("k")
LIP_J_GD6 = (sp.sqrt(2) * B + C * (V_col_max + R)) / sp.sqrt(k)
K_REQUIRED_GD6 = 4 * R_prime_gamma**2 * (sp.sqrt(2) * B + C * V_col_max + C * R_prime_gamma) ** 2 / sigma_0**2


def _width_scales_as_fourth_power() -> bool:
    """A factor c on R′ multiplies the GD-6 width by c⁴ as R′ → ∞ (hence ν₁⁴ or c_γ⁴ in GD-5)."""
    cfac = sp.Symbol("c", positive=True)
    ratio = K_REQUIRED_GD6.subs(R_prime_gamma, cfac * R_prime_gamma) / K_REQUIRED_GD6
    return identical(sp.limit(ratio, R_prime_gamma, sp.oo), cfac**4)


def _gd6_threshold() -> bool:
    """k = K_REQUIRED_GD6 is exactly where Lip(R′_γ)·R′_γ = σ₀/2."""
    return identical((LIP_J_GD6 * R).subs(R, R_prime_gamma).subs(k, K_REQUIRED_GD6), sigma_0 / 2)


GD_6 = Result(
    id="GD-6",
    title="Two-layer facts for GD: Lipschitz Jacobian with a φ″ bound, and the width",
    citation="EUSIPCO 2024 (derived here)",
    provenance=Provenance.DERIVED,
    sibling="GD-5",
    statement=("With |φ′| ≤ B, |φ″| ≤ C and ‖u‖ = 1: Lip_{𝔹(θ₀,R)}(J_g) ≤ (√2B + C(max_j‖V₀[:,j]‖ + R))/√k, so "
               "R′_γ < R once k > 4R′_γ²(√2B + C max_j‖V₀[:,j]‖ + CR′_γ)²/σ₀²; k ∝ R′⁴ for large R′."),
    symbols=syms("k", "B", "C", "V_col_max", "R", "sigma_0", "sigma_A", "residual_0", "gamma", "L", "c_gamma",
                 "R_prime", "R_prime_gamma"),
    hypotheses=(Hypothesis("k>k_required", sp.StrictGreaterThan(k, K_REQUIRED_GD6), "the width certifies R′_γ < R"),),
    definitions=(Quantity("c_gamma", C_GAMMA, "c_γ"), Quantity("R_prime", R_PRIME_MSE, "R′_GF (MSE)"),
                 Quantity("R_prime_gamma", S("c_gamma") * R_prime, "R′_γ = c_γR′_GF")),
    conclusions=(Quantity("Lip_J_bound", LIP_J_GD6, "Lip_{𝔹(θ₀,R)}(J_g) ≤ this bound"),
                 Quantity("k_required", K_REQUIRED_GD6, "sufficient width for GD")),
    choices=("R′_γ (derived) rather than ν₁R′ enters the width; GD-5 keeps the recalled ν₁⁴.",),
    references=(PAPER, NOTES + " GD-6"),
    self_checks=(SelfCheck("k_required is where Lip(R′_γ)·R′_γ = σ₀/2", _gd6_threshold),
                 SelfCheck("a factor c on R′ gives c⁴ on the width", _width_scales_as_fourth_power)),
)

RESULTS = (GD_1, GD_2, GD_3, GD_4, GD_5, GD_6)
