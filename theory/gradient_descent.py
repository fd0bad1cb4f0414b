"""Gradient descent with step γ on L_y(A g(u, θ)): GD-1 … GD-6.

Paper: Buskulic, Fadili, Quéau, EUSIPCO 2024 (arXiv:2403.05395). Numbering is presumed, not verified.

Choices on the notes' discrepancies:
- ν₁ = (1 + γL)/(1 − γL/2) and the range γL ≤ 1 are the recalled form (GD-3); the checks rely on the
  derived GD-4 (c_γ = 1/(1 − γL/2), γL < 2). ν₁ ≥ c_γ, so GD-3's hypothesis implies GD-4's.
- L is the Lipschitz constant of ∇f on 𝔹(θ₀, R) (the notes leave 𝔹(θ₀, R′) open); GD-2 bounds it.
- The φ″ bound C of 02 is used only in GD-6's Lipschitz constant; elsewhere 01's B.
"""

from __future__ import annotations

import functools

import sympy as sp

from ipverify.theory._core import Family, Hypothesis, Provenance, Quantity, Result, SelfCheck, Undefined
from ipverify.theory._proofs import nonnegative, positive, solution_set
from ipverify.theory.gradient_flow import (
    ASSUMED_LIP_J,
    CERTIFIED_R_USED,
    LIP_J_DEFINITION,
    MSE_LOSS_FLOOR,
    R_PRIME_MSE,
    WEYL_HYPOTHESIS,
    Y_IN_RANGE_HYPOTHESIS,
    Y_PERP_HYPOTHESIS,
    _get,
    floor_form_check,
    identical,
    mse_loss_with_floor,
    mse_radius_check,
    sigma_min_check,
    two_layer_lip_check,
    weyl_radius_check,
)
from ipverify.theory.kl import Psi_inverse_of, Psi_of, psi_mse, s, tau_
from ipverify.theory.symbols import S, syms
from ipverify.theory.two_layer import dV, dW, jacobian_difference_majorants, jacobian_difference_split

FAMILY = Family("GD", "Gradient descent", "EUSIPCO 2024", order=2)

PAPER = ("Buskulic, Fadili, Quéau. Recovery Guarantees of Unsupervised Neural Networks for Inverse Problems "
         "trained with Gradient Descent. EUSIPCO 2024.")
ABS = "Attouch, Bolte, Svaiter. Convergence of descent methods for semi-algebraic and tame problems. Math. Prog. 2013."

gamma, L, sigma_A, sigma_0 = S("gamma"), S("L"), S("sigma_A"), S("sigma_0")
tau, residual_0, R, R_prime = S("tau"), S("residual_0"), S("R"), S("R_prime")
x = sp.Symbol("x", positive=True)  # x = γL

NU_1 = (1 + gamma * L) / (1 - gamma * L / 2)
C_GAMMA = 1 / (1 - gamma * L / 2)
NU = gamma * (1 - gamma * L / 2) * sigma_A**2 * sigma_0**2 / 4
#: per-step contraction of the MSE loss, GD-4 item 5
MSE_STEP_FACTOR = 1 - 2 * NU
ASSUMED_L = ("L", "L is a Lipschitz constant of ∇f on 𝔹(θ₀, R)")


def _abs_constants() -> tuple[sp.Expr, sp.Expr]:
    """Attouch–Bolte–Svaiter constants (a, b) of θ⁺ = θ − γ∇f(θ), with δ = ‖θ⁺ − θ‖ = γ‖∇f(θ)‖: sufficient decrease
    f − f⁺ ≥ γ‖∇f‖² − (L/2)γ²‖∇f‖² = aδ² (descent lemma), relative error ‖∇f(θ⁺)‖ ≤ ‖∇f(θ)‖ + Lδ = bδ."""
    delta = sp.Symbol("delta", positive=True)
    grad = delta / gamma
    return (sp.cancel((gamma * grad**2 - L / 2 * gamma**2 * grad**2) / delta**2),
            sp.cancel((grad + L * delta) / delta))


def _is_abs_ratio(expr) -> bool:
    """ν₁ = b/a, the ABS ratio."""
    a, b = _abs_constants()
    return identical(expr, b / a)


def _is_path_constant(expr) -> bool:
    """c_γ = 1/(γa): ψ(f) − ψ(f⁺) ≥ ψ′(f)·aδ² and ψ′(f) ≥ σ_Aσ_min/‖∇f‖ = σ_Aσ_minγ/δ give
    δ ≤ (1/(γa))·(ψ(f) − ψ(f⁺))/(σ_Aσ_min)."""
    a, _ = _abs_constants()
    return identical(expr, 1 / (gamma * a))


def _is_positive_root(step, expr, value) -> bool:
    """`step` is the only positive γ with `expr` = `value`."""
    roots = [root for root in sp.solve(sp.Eq(expr, value), gamma) if root.is_positive]
    return len(roots) == 1 and identical(step, roots[0])


def _on_open_0_2(expr_in_x):
    """Reparametrise γL = x ∈ ]0, 2[ as x = 2w/(1 + w), w > 0, so sign questions become assumption queries."""
    w = sp.Symbol("w", positive=True)
    return expr_in_x.subs(x, 2 * w / (1 + w))


def _of_x(expr):
    return expr.subs(gamma, x / L)


def _nu1_range(r) -> bool:
    """ν₁ ∈ ]1, 4] ⇔ γL ∈ ]0, 1], over γL ∈ ]0, 2[."""
    domain = sp.Interval.open(0, 2)
    nu1 = sp.simplify(_of_x(r.definition("nu_1")))
    inside = solution_set(nu1 > 1, x, domain).intersect(solution_set(nu1 <= 4, x, domain))
    return inside == sp.Interval.Lopen(0, 1)


def _nu1_values(r) -> bool:
    nu1 = _of_x(r.definition("nu_1"))
    return (sp.limit(nu1, x, 0) == 1 and sp.simplify(nu1.subs(x, sp.Rational(1, 2))) == 2
            and sp.simplify(nu1.subs(x, 1)) == 4)


def _c_gamma_range(r) -> bool:
    """c_γ ∈ ]1, 2] for γL ∈ ]0, 1]; c_γ⁴ ≤ 16 and ν₁⁴ ≤ 256 there (both increasing in γL)."""
    c, nu1 = _of_x(r.definition("c_gamma")), _of_x(r.definition("nu_1"))
    interval = sp.Interval.Lopen(0, 1)
    return (sp.imageset(sp.Lambda(x, c), interval) == sp.Interval.Lopen(1, 2)
            and sp.imageset(sp.Lambda(x, c**4), interval) == sp.Interval.Lopen(1, 16)
            and sp.imageset(sp.Lambda(x, nu1**4), interval) == sp.Interval.Lopen(1, 256))


def _step_pole(*quantities: str) -> tuple[Undefined, ...]:
    """γL ≥ 2: c_γ = 1/(1 − γL/2) (and ν₁, which divides by 1 − γL/2 too) has its pole at 2 and is negative beyond."""
    return (Undefined(sp.GreaterThan(gamma * L, 2), "γL ≥ 2: 1 − γL/2 ≤ 0, so c_γ = 1/(1 − γL/2) is undefined (a "
                      "pole at 2, negative beyond)", quantities),)


GD_1 = Result(
    undefined=_step_pole("nu_1", "c_gamma"),
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
    references=(PAPER, ABS),
    assumed_inputs=(ASSUMED_L,),
    self_checks=(
        SelfCheck("ν₁ = b/a with the ABS constants a = (1 − γL/2)/γ, b = 1/γ + L (descent lemma, L-smoothness)",
                  lambda r: _is_abs_ratio(r.definition("nu_1")) and _is_abs_ratio(r.conclusion("nu_1_value"))),
        SelfCheck("c_γ = 1/(γa), the path-length constant of the ABS argument",
                  lambda r: _is_path_constant(r.definition("c_gamma")) and _is_path_constant(
                      r.conclusion("c_gamma_value"))),
        SelfCheck("1/L is the step at which ν₁ = 4",
                  lambda r: _is_positive_root(r.conclusion("gamma_max_nu1"), r.definition("nu_1"), 4)),
        SelfCheck("2/L is the step at which 1/c_γ = 0 (c_γ blows up)",
                  lambda r: _is_positive_root(r.conclusion("gamma_max_c"), 1 / r.definition("c_gamma"), 0)),
        SelfCheck("dν₁/d(γL) = 6/(2 − γL)² > 0",
                  lambda r: identical(sp.diff(_of_x(r.definition("nu_1")), x), 6 / (2 - x) ** 2)
                  and positive(_on_open_0_2(6 / (2 - x) ** 2))),
        SelfCheck("ν₁ → 1 as γL → 0, ν₁ = 2 at γL = ½, ν₁ = 4 at γL = 1", _nu1_values),
        SelfCheck("ν₁ − c_γ = 2γL/(2 − γL) ≥ 0",
                  lambda r: identical(r.definition("nu_1") - r.definition("c_gamma"), 2 * gamma * L / (2 - gamma * L))
                  and nonnegative(_on_open_0_2(2 * x / (2 - x)))),
        SelfCheck("ν₁ ∈ ]1,4] ⇔ 0 < γL ≤ 1 (solveset over ]0,2[)", _nu1_range),
        SelfCheck("c_γ ∈ ]1,2], c_γ⁴ ∈ ]1,16], ν₁⁴ ∈ ]1,256] for γL ∈ ]0,1]", _c_gamma_range),
    ),
)


A_norm, Lip_g, Lip_J, sup_residual = S("A_norm"), S("Lip_g"), S("Lip_J"), S("sup_residual")
L_BOUND = A_norm**2 * Lip_g**2 + A_norm * Lip_J * sup_residual


_GRADIENT_DIFFERENCE_TERMS = (("(J − J′)ᵀ", "Aᵀ", "r"), ("J′ᵀ", "Aᵀ", "A", "g − g′"))
"""∇f(θ) − ∇f(θ′) = (J − J′)ᵀAᵀr + J′ᵀAᵀA(g − g′), each term a product of these factors."""
_FACTOR_NORMS = {"(J − J′)ᵀ": Lip_J, "Aᵀ": A_norm, "A": A_norm, "r": sup_residual, "J′ᵀ": Lip_g, "g − g′": Lip_g}
"""Their norms on the ball for ‖θ − θ′‖ = 1: ‖J − J′‖ ≤ Lip_J, ‖r‖ ≤ sup_residual, ‖J′‖ ≤ Lip_g and
‖g − g′‖ ≤ Lip_g (the ball is convex), ‖A‖."""


def _gradient_difference_decomposition() -> bool:
    """The split `_GRADIENT_DIFFERENCE_TERMS` of ∇f = JᵀAᵀ(A g − y), on matrices of symbols (2×3 J, 2×2 A)."""
    J, Jp = sp.Matrix(2, 3, sp.symbols("j0:6")), sp.Matrix(2, 3, sp.symbols("jp0:6"))
    A = sp.Matrix(2, 2, sp.symbols("a0:4"))
    g, gp, y = (sp.Matrix(sp.symbols(f"{name}0:2")) for name in ("g", "gp", "y"))
    factors = {"(J − J′)ᵀ": (J - Jp).T, "Aᵀ": A.T, "A": A, "r": A * g - y, "J′ᵀ": Jp.T, "g − g′": g - gp}
    split = sum((sp.Mul(*(factors[f] for f in term)) for term in _GRADIENT_DIFFERENCE_TERMS), sp.zeros(3, 1))
    return identical(J.T * A.T * (A * g - y) - Jp.T * A.T * (A * gp - y), split)


def _smoothness_from_split(r) -> bool:
    """L ≤ Σ over the terms of the product of their factors' norms (triangle inequality, submultiplicativity)."""
    bound = sum(sp.Mul(*(_FACTOR_NORMS[f] for f in term)) for term in _GRADIENT_DIFFERENCE_TERMS)
    return identical(r.conclusion("L_bound"), bound)


GD_2 = Result(
    id="GD-2",
    title="An explicit bound on the smoothness constant L",
    citation="derived here (product rule on J_gᵀAᵀ∇L_y(A g))",
    provenance=Provenance.DERIVED,
    statement=("For the MSE on a convex ball 𝔹: L ≤ ‖A‖² Lip_𝔹(g)² + ‖A‖ Lip_𝔹(J_g) sup_𝔹‖A g(u, θ) − y‖, "
               "from ∇f(θ) − ∇f(θ′) = (J − J′)ᵀAᵀr + J′ᵀAᵀA(g − g′)."),
    symbols=syms("A_norm", "Lip_g", "Lip_J", "sup_residual"),
    conclusions=(Quantity("L_bound", L_BOUND, "Lip_𝔹(∇f) ≤ this bound"),),
    references=(PAPER,),
    assumed_inputs=(("Lip_g", "Lip_g is a Lipschitz constant of g(u, ·) on the ball"), ASSUMED_LIP_J,
                    ("sup_residual", "sup_residual bounds ‖A g(u, θ) − y‖ on the ball")),
    self_checks=(SelfCheck("L_bound is the sum over the split's terms of the products of their factors' norms",
                           _smoothness_from_split),
                 SelfCheck("∇f(θ) − ∇f(θ′) = (J − J′)ᵀAᵀr + J′ᵀAᵀA(g − g′)",
                           lambda r: _gradient_difference_decomposition()),),
)


R_prime_GD, R_prime_gamma = S("R_prime_GD"), S("R_prime_gamma")

SUP_RESIDUAL_DEFINITION = Quantity("sup_residual", residual_0 + A_norm * Lip_g * R,
                                   "sup_𝔹‖A g − y‖ ≤ ‖y(0) − y‖ + ‖A‖Lip_𝔹(g)R (used when not given)")
L_DEFINITION = Quantity("L", L_BOUND, "GD-2's bound on Lip_𝔹(∇f) (used when L is not given)")
ASSUMED_SMOOTHNESS_INPUTS = (ASSUMED_L, ASSUMED_LIP_J,
                             ("Lip_g", "Lip_g is a Lipschitz constant of g(u, ·) on 𝔹(θ₀, R)"),
                             ("sup_residual", "sup_residual bounds ‖A g(u, θ) − y‖ on 𝔹(θ₀, R)"))


def smoothness_definitions_check() -> SelfCheck:
    """The record's L is GD-2's bound, and its sup_residual the mean-value bound ‖y(0) − y‖ + ‖A‖Lip(g)R."""
    return SelfCheck("L is GD-2's bound and sup_residual is ‖y(0) − y‖ at R = 0, growing at rate ‖A‖Lip(g)",
                     lambda r: identical(r.expr("L"), _registry_conclusion("GD-2", "L_bound"))
                     and identical(r.expr("sup_residual").subs(R, 0), residual_0)
                     and identical(sp.diff(r.expr("sup_residual"), R), A_norm * Lip_g))


def _gd3_radius(r, name: str) -> sp.Expr:
    """GD-3's `name` with R′_GD, ν₁ and R′ filled in from the record's definitions."""
    return r.expr(name).subs(R_prime_GD, r.definition("R_prime_GD")).subs(
        {S("nu_1"): r.definition("nu_1"), R_prime: r.definition("R_prime")})


def _gd4_radius() -> sp.Expr:
    gd4 = _get("GD-4")
    return gd4.definition("R_prime_gamma").subs({S("c_gamma"): gd4.definition("c_gamma"),
                                                 R_prime: gd4.definition("R_prime")})

GD_3 = Result(
    id="GD-3",
    title="Convergence and recovery for GD, as probably stated",
    citation="EUSIPCO 2024, Thm 3.1 (#?)",
    provenance=Provenance.RECALLED,
    sibling="GD-4",
    statement=("With R′_GD = ν₁R′_GF = 2ν₁ψ(L_y(y₀))/(σ_Aσ₀), ν₁ ∈ ]1,4], γ ∈ ]0, 1/L] and R′_GD < R, gradient "
               "descent keeps the conclusions of GF-3/GF-6 (GD-4 is a proved version), for y ∈ Im(A) and "
               "R·Lip_{𝔹(θ₀,R)}(J_g) ≤ σ₀/2 (GF-2), with L a Lipschitz constant of ∇f on 𝔹(θ₀, R)."),
    symbols=syms("gamma", "L", "sigma_A", "sigma_0", "residual_0", "y_perp", "R_prime", "R_prime_GD", "nu_1", "R",
                 "Lip_J", "B", "k", "V_col_max", "A_norm", "Lip_g", "sup_residual"),
    hypotheses=(Hypothesis("gamma*L<=1", sp.LessThan(gamma * L, 1), "step size: ν₁ ∈ ]1,4]"),
                Hypothesis("R_prime_GD<R", sp.StrictLessThan(R_prime_GD, R), "ν₁R′ inside the conditioning radius"),
                WEYL_HYPOTHESIS, Y_IN_RANGE_HYPOTHESIS),
    definitions=(Quantity("nu_1", NU_1, "ν₁"), Quantity("R_prime", R_PRIME_MSE, "R′_GF (MSE)"),
                 Quantity("R_prime_GD", S("nu_1") * R_prime, "R′_GD = ν₁R′_GF"), CERTIFIED_R_USED,
                 LIP_J_DEFINITION, SUP_RESIDUAL_DEFINITION, L_DEFINITION),
    conclusions=(Quantity("theta_dist_bound", R_prime_GD, "‖θ_τ − θ₀‖ ≤ R′_GD"),
                 Quantity("gamma_max", 1 / L, "largest admissible step")),
    unconfirmed=("the form R′_GD = ν₁R′_GF and any first-step term", "the theorem's numbering"),
    references=(PAPER,),
    assumed_inputs=ASSUMED_SMOOTHNESS_INPUTS,
    self_checks=(SelfCheck("ν₁ = b/a with the ABS constants", lambda r: _is_abs_ratio(r.definition("nu_1"))),
                 mse_radius_check(), two_layer_lip_check(), weyl_radius_check(),
                 smoothness_definitions_check(),
                 SelfCheck("R′_GD and ‖θ_τ − θ₀‖ ≤ R′_GD tend to the flow's R′ (GF-5) as γ → 0",
                           lambda r: all(identical(sp.limit(_gd3_radius(r, name), gamma, 0),
                                                   _get("GF-5").definition("R_prime"))
                                         for name in ("R_prime_GD", "theta_dist_bound"))),
                 SelfCheck("ν₁R′ ≥ c_γR′ (GD-4's radius) for 0 < γL < 2, so GD-3's radius condition implies GD-4's",
                           lambda r: all(nonnegative(_on_open_0_2(_of_x(_gd3_radius(r, name) - _gd4_radius())))
                                         for name in ("R_prime_GD", "theta_dist_bound"))),
                 SelfCheck("1/L is the step at which ν₁ = 4",
                           lambda r: _is_positive_root(r.conclusion("gamma_max"), r.definition("nu_1"), 4)),),
)


def _registry_conclusion(result_id: str, name: str) -> sp.Expr:
    from ipverify.theory.registry import get

    return get(result_id).conclusion(name)


def _mse_rate_matches_flow(r) -> bool:
    """Ψ⁻¹(Ψ(f̃₀) + ντ) is GF-5's f̃(t) = L(t) − ½‖P⊥y‖² at t = flow_time: GD's rate is the flow's."""
    gf5 = _get("GF-5")
    flow_excess = gf5.conclusion("loss_bound") - gf5.conclusion("loss_floor")
    gd = Psi_inverse_of(psi_mse()).subs(tau_, Psi_of(psi_mse()).subs(s, flow_excess.subs(S("t"), 0))
                                        + r.definition("nu") * tau)
    return identical(gd, flow_excess.subs(S("t"), r.conclusion("flow_time")))


def _sigma_min_bound(r) -> sp.Expr:
    return sigma_A * r.conclusion("sigma_min_lower")


def _descent_lemma_factor(r) -> bool:
    """f − f(θ − γ∇f) ≥ aδ² = aγ²‖∇f‖² (ABS a, δ = γ‖∇f‖), and 2/L is the positive step where it vanishes."""
    a, _ = _abs_constants()
    return identical(r.conclusion("decrease_factor"), a * gamma**2) and _is_positive_root(
        r.conclusion("gamma_max"), a * gamma**2, 0)


def _one_step_contraction(r) -> bool:
    """f̃ − f̃⁺ ≥ decrease·‖∇f‖² ≥ decrease·(σ_Aσ_min)²‖∇L_y‖² = decrease·(σ_Aσ_min)²·2f̃ = 2νf̃ (MSE), hence
    f̃⁺ ≤ step_factor·f̃."""
    contraction = r.conclusion("decrease_factor") * _sigma_min_bound(r) ** 2
    nu = r.definition("nu")
    return identical(2 * nu, 2 * contraction) and identical(r.conclusion("step_factor").subs(S("nu"), nu),
                                                            1 - 2 * contraction)


def _excess_loss_by_induction(r) -> bool:
    """f̃_τ = loss_bound − loss_floor starts at ½(‖y(0) − y‖² − ‖P⊥y‖²) and f̃_{τ+1}/f̃_τ = step_factor."""
    excess = r.conclusion("loss_bound") - r.conclusion("loss_floor")
    return identical(excess.subs(tau, 0), (residual_0**2 - S("y_perp") ** 2) / 2) and identical(
        excess.subs(tau, tau + 1) / excess, r.conclusion("step_factor"))


def _path_length(r) -> bool:
    """δ ≤ (1/(γa))·Δψ/(σ_Aσ_min) summed: Σ‖θ_{s+1} − θ_s‖ ≤ ψ(f_τ)/(γaσ_Aσ_min); from θ₀ this is R′_γ with
    ψ(f₀) = ‖y(0) − y‖ (MSE)."""
    a, _ = _abs_constants()
    c_gamma = {S("c_gamma"): r.definition("c_gamma")}
    factor = 1 / (gamma * a * _sigma_min_bound(r))
    radius = {R_prime_gamma: r.definition("R_prime_gamma")}
    from_start = factor * psi_mse().subs(s, residual_0**2 / 2)
    return (identical(r.conclusion("path_length_factor").subs(c_gamma), factor)
            and all(identical(r.expr(name).subs(radius).subs(c_gamma).subs(R_prime, r.definition("R_prime")),
                              from_start) for name in ("R_prime_gamma", "theta_dist_bound")))


def _step_factor_tighter() -> bool:
    """(1 − 2ν)^τ ≤ e^{−2ντ}: 1 − z ≤ e^{−z}, as e^{−z} − (1 − z) vanishes at 0 with derivative 1 − e^{−z} ≥ 0."""
    z = sp.Symbol("z", real=True)
    gap = sp.exp(-z) - (1 - z)
    decreasing_somewhere = solution_set(sp.diff(gap, z) < 0, z, sp.Interval(0, sp.oo))
    return gap.subs(z, 0) == 0 and decreasing_somewhere is sp.S.EmptySet


GD_4 = Result(
    undefined=_step_pole("c_gamma"),
    id="GD-4",
    title="Convergence and recovery for GD, provable version",
    citation="EUSIPCO 2024, Thm 3.1 (#?), derived here with c_γ",
    provenance=Provenance.DERIVED,
    sibling="GD-3",
    statement=("If ∇f is L-Lipschitz on 𝔹(θ₀, R), 0 < γ < 2/L and R′_γ = 2c_γψ(L_y(y₀))/(σ_Aσ₀) < R: θ_τ ∈ "
               "𝔹(θ₀, R′_γ), σ_min(J_g(θ_τ)) ≥ σ₀/2, f(θ_{τ+1}) ≤ f(θ_τ) − γ(1 − γL/2)‖∇f(θ_τ)‖², "
               "Σ_{s≥τ}‖θ_{s+1} − θ_s‖ ≤ (2c_γ/(σ_Aσ₀))ψ(f(θ_τ)), under R·Lip_{𝔹(θ₀,R)}(J_g) ≤ σ₀/2 (GF-2). For "
               "the MSE, with y_perp = ‖P⊥y‖ and f̃ = f − ½y_perp² = ½‖A g − Py‖² (∇f = ∇f̃, GF-5): "
               "f(θ_{τ+1}) − ½y_perp² ≤ (1 − γ(1 − γL/2)σ_A²σ₀²/2)(f(θ_τ) − ½y_perp²), so the loss decays "
               "linearly to the floor ½y_perp² (0 when y ∈ Im(A)); R′ with ‖y(0) − y‖ ≥ ‖y(0) − Py‖ is a "
               "conservative radius and ψ(f̃(θ_τ)) ≤ ‖y_τ − y‖ in item 3. L may be given (an assertion) or "
               "filled in from GD-2 with sup_𝔹‖A g − y‖ ≤ ‖y(0) − y‖ + ‖A‖Lip_𝔹(g)R."),
    symbols=syms("gamma", "L", "sigma_A", "sigma_0", "residual_0", "y_perp", "tau", "c_gamma", "nu", "R_prime",
                 "R_prime_gamma", "R", "Lip_J", "B", "k", "V_col_max", "A_norm", "Lip_g", "sup_residual"),
    hypotheses=(Hypothesis("gamma*L<2", sp.StrictLessThan(gamma * L, 2), "step size: γ < 2/L"),
                Hypothesis("R_prime_gamma<R", sp.StrictLessThan(R_prime_gamma, R),
                           "c_γR′ inside the conditioning radius"),
                WEYL_HYPOTHESIS, Y_PERP_HYPOTHESIS),
    definitions=(Quantity("c_gamma", C_GAMMA, "c_γ"), Quantity("nu", NU, "ν"),
                 Quantity("R_prime", R_PRIME_MSE, "R′_GF (MSE)"),
                 Quantity("R_prime_gamma", S("c_gamma") * R_prime, "R′_γ = c_γR′_GF"), CERTIFIED_R_USED,
                 LIP_J_DEFINITION, SUP_RESIDUAL_DEFINITION, L_DEFINITION),
    conclusions=(
        Quantity("step_factor", 1 - 2 * S("nu"),
                 "f(θ_{τ+1}) − ½y_perp² ≤ step_factor · (f(θ_τ) − ½y_perp²) (MSE)"),
        Quantity("loss_bound", mse_loss_with_floor((1 - 2 * S("nu")) ** tau), "f(θ_τ) ≤ this bound (MSE)"),
        Quantity("residual_bound", sp.sqrt(2 * mse_loss_with_floor((1 - 2 * S("nu")) ** tau)),
                 "‖y_τ − y‖ ≤ this bound"),
        Quantity("loss_floor", MSE_LOSS_FLOOR, "½‖P⊥y‖² = min f, the level the loss stalls at (MSE)"),
        Quantity("theta_dist_bound", R_prime_gamma, "‖θ_τ − θ₀‖ ≤ R′_γ"),
        Quantity("path_length_factor", 2 * S("c_gamma") / (sigma_A * sigma_0),
                 "Σ_{s≥τ}‖θ_{s+1} − θ_s‖ ≤ factor · ψ(f̃(θ_τ)) ≤ factor · ‖y_τ − y‖ (MSE, f̃ = f − ½y_perp²)"),
        Quantity("decrease_factor", gamma * (1 - gamma * L / 2), "f_τ − f_{τ+1} ≥ factor · ‖∇f(θ_τ)‖²"),
        Quantity("sigma_min_lower", sigma_0 / 2, "σ_min(J_g(θ_τ)) ≥ σ₀/2"),
        Quantity("gamma_max", 2 / L, "supremum of the admissible steps"),
        Quantity("flow_time", gamma * (1 - gamma * L / 2) * tau, "flow time matching iteration τ"),
    ),
    unconfirmed=("whether the paper's statement matches this proved version",),
    choices=("The checks use this version (c_γ); GD-3's ν₁ form is reported beside it.",
             "y_perp is an input without a default: taking it as 0 would assume y ∈ Im(A)."),
    references=(PAPER, ABS),
    assumed_inputs=ASSUMED_SMOOTHNESS_INPUTS,
    self_checks=(weyl_radius_check(), floor_form_check((1 - 2 * S("nu")) ** tau), smoothness_definitions_check(),
        sigma_min_check(), mse_radius_check(), two_layer_lip_check(),
        SelfCheck("c_γ = 1/(γa), the path-length constant of the ABS argument",
                  lambda r: _is_path_constant(r.definition("c_gamma"))),
        SelfCheck("descent lemma: decrease_factor = aγ² (ABS a), vanishing at γ = 2/L", _descent_lemma_factor),
        SelfCheck("one MSE step contracts f̃ by 1 − 2ν, ν = decrease·(σ_Aσ_min)²", _one_step_contraction),
        SelfCheck("f̃_τ = f̃₀·step_factor^τ by induction", _excess_loss_by_induction),
        SelfCheck("the path length factor is 1/(γaσ_Aσ_min) and R′_γ the path length from θ₀", _path_length),
        SelfCheck("iteration τ matches flow time ντ/κ (GF-3's Ψ-rate κ)",
                  lambda r: identical(r.conclusion("flow_time"),
                                      r.definition("nu") * tau / _get("GF-3").conclusion("Psi_rate"))),
        SelfCheck("(1 − 2ν)^τ ≤ e^{−2ντ}: the per-step factor is at least as tight as item 4",
                  lambda r: _step_factor_tighter()),
        SelfCheck("GD's rate of f̃ is the flow's (GF-5) at t = flow_time", _mse_rate_matches_flow),
        SelfCheck("ν > 0 exactly when 0 < γL < 2", lambda r: positive(_on_open_0_2(_of_x(r.definition("nu"))))),
    ),
)

C_width, n, d, A_norm_, y_norm, nu_1 = S("C_width"), S("n"), S("d"), S("A_norm"), S("y_norm"), S("nu_1")
K_RECALLED_GD = C_width * nu_1**4 * sigma_A**-4 * n * (A_norm_ * sp.sqrt(n * sp.log(d)) + y_norm) ** 4

def _discretisation_factor_from_width(r) -> bool:
    """Leading coefficient (in the radius ρ) of GD-6's width at ρ·R′_GD/R′ (GD-3) over that at ρ."""
    rho = sp.Symbol("rho", positive=True)
    width = _get("GD-6").conclusion("k_required").subs(R_prime_gamma, rho)
    scale = _get("GD-3").definition("R_prime_GD") / R_prime

    def leading(expr):
        return sp.Poly(sp.expand(expr), rho).LC()

    return identical(r.conclusion("discretisation_factor"), leading(width.subs(rho, scale * rho)) / leading(width))


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
    references=(PAPER,),
    assumed_inputs=(ASSUMED_L,),
    self_checks=(
        SelfCheck("ν₁ = b/a with the ABS constants", lambda r: _is_abs_ratio(r.definition("nu_1"))),
        SelfCheck("k_required is the hypothesis' threshold",
                  lambda r: identical(r.conclusion("k_required"), r.hypothesis("k>=k_required").rhs)),
        SelfCheck("k_required = discretisation factor × GF-12's width",
                  lambda r: identical(r.conclusion("k_required"),
                                      r.conclusion("discretisation_factor") * _get("GF-12").conclusion("k_required"))),
        SelfCheck("the factor is what GD-6's width gains, for large radii, when R′ becomes GD-3's ν₁R′",
                  _discretisation_factor_from_width),
    ),
)


B, C, V_col_max, k = S("B"), S("C"), S("V_col_max"), S("k")
LIP_J_GD6 = (sp.sqrt(2) * B + C * (V_col_max + R)) / sp.sqrt(k)
K_REQUIRED_GD6 = 4 * R_prime_gamma**2 * (sp.sqrt(2) * B + C * V_col_max + C * R_prime_gamma) ** 2 / sigma_0**2


def _width_scales_as_fourth_power(r) -> bool:
    """A factor c on R′ multiplies the GD-6 width by c⁴ as R′ → ∞ (hence ν₁⁴ or c_γ⁴ in GD-5)."""
    cfac = sp.Symbol("c", positive=True)
    width = r.conclusion("k_required")
    return identical(sp.limit(width.subs(R_prime_gamma, cfac * R_prime_gamma) / width, R_prime_gamma, sp.oo), cfac**4)


def _gd6_threshold(r) -> bool:
    """k_required is exactly where Lip(R′_γ)·R′_γ = σ₀/2."""
    return identical((r.conclusion("Lip_J_bound") * R).subs(R, R_prime_gamma).subs(k, r.conclusion("k_required")),
                     sigma_0 / 2)


@functools.cache
def _lip_with_second_derivative_bound_derived() -> sp.Expr:
    """The split of GF-10 with Lip(φ′) ≤ C: B(‖ΔV‖ + ‖ΔW‖) ≤ √2·B on the unit sphere (maximised by SymPy) and
    C(V_col_max + R)‖ΔW‖ ≤ C(V_col_max + R), over √k."""
    b_terms_0, middle, b_terms_2 = jacobian_difference_majorants(C)
    angle = sp.Symbol("angle", nonnegative=True)
    on_sphere = {dW: sp.cos(angle), dV: sp.sin(angle)}
    b_part = sp.maximum((b_terms_0 + b_terms_2).subs(on_sphere), angle, sp.Interval(0, sp.pi / 2))
    return (b_part + middle.subs(dW, 1)) / sp.sqrt(k)


def _r_prime_gamma_is_gd4_path(r) -> bool:
    """R′_γ = c_γR′ is GD-4's path length factor × ψ(f₀) = ‖y(0) − y‖."""
    gd4 = _get("GD-4")
    path = gd4.conclusion("path_length_factor").subs(S("c_gamma"), gd4.definition("c_gamma")) * residual_0
    return identical(r.definition("R_prime_gamma").subs({S("c_gamma"): r.definition("c_gamma"),
                                                         R_prime: r.definition("R_prime")}), path)


# evaluate=False where SymPy cannot decide a relation: the same relation, built without the attempt (faster import)
GD_6 = Result(
    undefined=_step_pole("c_gamma"),
    id="GD-6",
    title="Two-layer facts for GD: Lipschitz Jacobian with a φ″ bound, and the width",
    citation="EUSIPCO 2024 (derived here)",
    provenance=Provenance.DERIVED,
    sibling="GD-5",
    statement=("With |φ′| ≤ B, |φ″| ≤ C and ‖u‖ = 1: Lip_{𝔹(θ₀,R)}(J_g) ≤ (√2B + C(max_j‖V₀[:,j]‖ + R))/√k, so "
               "R′_γ < R once k > 4R′_γ²(√2B + C max_j‖V₀[:,j]‖ + CR′_γ)²/σ₀²; k ∝ R′⁴ for large R′."),
    symbols=syms("k", "B", "C", "V_col_max", "R", "sigma_0", "sigma_A", "residual_0", "gamma", "L", "c_gamma",
                 "R_prime", "R_prime_gamma"),
    hypotheses=(Hypothesis("k>k_required", sp.StrictGreaterThan(k, K_REQUIRED_GD6, evaluate=False),
                           "the width certifies R′_γ < R"),
                Hypothesis("gamma*L<2", sp.StrictLessThan(gamma * L, 2), "step size: c_γ is finite (γ < 2/L)")),
    definitions=(Quantity("c_gamma", C_GAMMA, "c_γ"), Quantity("R_prime", R_PRIME_MSE, "R′_GF (MSE)"),
                 Quantity("R_prime_gamma", S("c_gamma") * R_prime, "R′_γ = c_γR′_GF")),
    conclusions=(Quantity("Lip_J_bound", LIP_J_GD6, "Lip_{𝔹(θ₀,R)}(J_g) ≤ this bound"),
                 Quantity("k_required", K_REQUIRED_GD6, "sufficient width for GD")),
    choices=("R′_γ (derived) rather than ν₁R′ enters the width; GD-5 keeps the recalled ν₁⁴.",),
    references=(PAPER,),
    assumed_inputs=(ASSUMED_L,),
    self_checks=(SelfCheck("c_γ = 1/(γa), the path-length constant of the ABS argument",
                           lambda r: _is_path_constant(r.definition("c_gamma"))),
                 mse_radius_check(),
                 SelfCheck("R′_γ is GD-4's path length from θ₀", _r_prime_gamma_is_gd4_path),
                 SelfCheck("Lip_J: GF-10's split with |φ″| ≤ C, the B terms combined on the unit sphere",
                           lambda r: identical(r.conclusion("Lip_J_bound"),
                                               _lip_with_second_derivative_bound_derived())),
                 SelfCheck("k_required is where Lip(R′_γ)·R′_γ = σ₀/2", _gd6_threshold),
                 SelfCheck("a factor c on R′ gives c⁴ on the width", _width_scales_as_fourth_power),
                 SelfCheck("J(θ) − J(θ′) splits into the three bounded terms (symbolic, generic φ)",
                           lambda r: jacobian_difference_split())),
)

RESULTS = (GD_1, GD_2, GD_3, GD_4, GD_5, GD_6)
