"""The two-layer DIP g(u, θ) = V φ(W u)/√k: GF-8 … GF-13 (the two-layer model of the gradient-flow papers).

Choices where the sources disagree:
- V(0) is iid centred, unit-variance and bounded by D (Rademacher, D = 1), as in 01/02; the checks
  use the measured max_i‖V_{:,i}(0)‖ (≤ D√n) rather than D√n, which is the sharper valid form.
- The activation constant B bounds both |φ′| and Lip(φ′) (01's single constant); 02's separate φ″
  bound C appears only in GD-6.
- The Jacobian's Lipschitz constant is GF-10's (B/√k)(2 + max_i‖V_{:,i}(0)‖ + R); GD-6's variant is
  encoded in theory.gradient_descent. GF-13 (derived, k ≳ n²) is what the checks use; GF-12's
  recalled k ≳ n³ form is encoded for comparison only.
"""

from __future__ import annotations

import functools

import sympy as sp

from ipverify.theory._core import Hypothesis, Provenance, Quantity, Result, SelfCheck
from ipverify.theory._proofs import increasing, nonnegative
from ipverify.theory.gradient_flow import (
    CERTIFIED_R,
    P1,
    P2,
    R_PRIME_MSE,
    _get,
    identical,
    mse_radius_check,
    solved_certified_radius,
)
from ipverify.theory.symbols import S, syms

k, n, d, B, D = S("k"), S("n"), S("d"), S("B"), S("D")
sigma_0, sigma_A, R, R_prime = S("sigma_0"), S("sigma_A"), S("R"), S("R_prime")
C_phi, C_phi_prime, V_col_max = S("C_phi"), S("C_phi_prime"), S("V_col_max")
A_norm, y_norm = S("A_norm"), S("y_norm")


class _phi(sp.Function):
    """A generic activation whose derivative is the generic function φ′."""

    def fdiff(self, argindex=1):
        return _phi_prime(self.args[0])


_phi_prime = sp.Function("phi_prime")


@functools.cache
def _jacobian_blocks(n_: int, k_: int, d_: int):
    """Symbolic g = Vφ(Wu)/√k with a generic φ, its Jacobian in (vec W, vec V), and the pieces of GF-8."""
    W = sp.Matrix(k_, d_, lambda i, j: sp.Symbol(f"W{i}{j}", real=True))
    V = sp.Matrix(n_, k_, lambda i, j: sp.Symbol(f"V{i}{j}", real=True))
    u = sp.Matrix(d_, 1, lambda i, _: sp.Symbol(f"u{i}", real=True))
    z = W * u
    hidden = z.applyfunc(_phi)
    g = V * hidden / sp.sqrt(k_)
    J = g.jacobian(list(W) + list(V))
    dphi2 = sp.diag(*[_phi_prime(zi) ** 2 for zi in z])
    closed_form = ((u.T * u)[0] * V * dphi2 * V.T + (hidden.T * hidden)[0] * sp.eye(n_)) / k_
    return J, closed_form, g.jacobian(list(V)), hidden, V, u


def _sigma_0_limits(r) -> bool:
    """σ_min of c·I_n is √c: the k → ∞ limit is √(E[JJᵀ] diagonal); the V-block alone gives √(E‖φ(Wu)‖²/k) = C_φ."""
    diagonal = r.conclusion("expected_jjt_diagonal")
    smallest = min((diagonal * sp.eye(2)).eigenvals())
    _, _, _, hidden, _, _ = _jacobian_blocks(2, 3, 2)
    v_block = _gaussian_moments((hidden.T * hidden)[0] / 3, hidden)
    return identical(r.conclusion("sigma_0_limit"), sp.sqrt(smallest)) and identical(
        r.conclusion("sigma_0_V_block"), sp.sqrt(v_block))


def _jjt_closed_form() -> bool:
    J, closed_form, *_ = _jacobian_blocks(2, 3, 2)
    return identical(sp.expand(J * J.T), sp.expand(closed_form))


def _v_block_isotropic() -> bool:
    _, _, J_V, hidden, _, _ = _jacobian_blocks(2, 3, 2)
    return identical(J_V * J_V.T, (hidden.T * hidden)[0] / 3 * sp.eye(2))


def _expectation_over_V(expr, V: sp.Matrix):
    """E over iid centred unit-variance V_ij (E V = 0, E V² = 1), other factors held fixed."""
    poly = sp.Poly(sp.expand(expr), *list(V))
    total = sp.S.Zero
    for powers, coeff in poly.terms():
        if all(p % 2 == 0 for p in powers) and all(p in (0, 2) for p in powers):
            total += coeff
        elif any(p % 2 for p in powers):
            continue
        else:
            raise ValueError("moments above 2 are not needed here")
    return total


def _gaussian_moments(expr, hidden: sp.Matrix):
    """Replace φ(z_j)² by C_φ² and φ′(z_j)² by C_φ′² (the z_j = (W(0)u)_j are iid N(0,1) when ‖u‖ = 1)."""
    return expr.subs({h**2: C_phi**2 for h in hidden}).replace(
        lambda e: e.is_Pow and e.exp == 2 and isinstance(e.base, _phi_prime), lambda e: C_phi_prime**2)


def _expected_squared_output(r) -> bool:
    """E‖g(u, θ₀)‖² = n C_φ²: only the diagonal moments E V_ij² = 1 survive (GF-11)."""
    n_, k_ = 2, 3
    *_, hidden, V, _ = _jacobian_blocks(n_, k_, 2)
    g = V * hidden / sp.sqrt(k_)
    return identical(_gaussian_moments(_expectation_over_V((g.T * g)[0], V), hidden),
                     r.conclusion("expected_g_norm_sq").subs(n, n_))


def _expected_jjt(r) -> bool:
    """E[J Jᵀ] = (C_φ′² + C_φ²) I_n at initialisation with ‖u‖ = 1 (GF-8)."""
    _, closed_form, _, hidden, V, u = _jacobian_blocks(2, 3, 2)
    expected = closed_form.applyfunc(lambda e: _gaussian_moments(_expectation_over_V(e, V), hidden))
    on_sphere = expected.subs(u[0] ** 2, 1 - u[1] ** 2)
    return identical(on_sphere, r.conclusion("expected_jjt_diagonal") * sp.eye(2))


GF_8 = Result(
    id="GF-8",
    title="Jacobian structure of the two-layer DIP",
    citation="P1 §3, P2 §4 (derived here)",
    provenance=Provenance.DERIVED,
    statement=("J_g J_gᵀ = (1/k)[‖u‖² V diag(φ′(Wu)²) Vᵀ + ‖φ(Wu)‖² I_n]; at initialisation "
               "E[J_g J_gᵀ] = (C_φ² + C_φ′²) I_n, so σ_min(J_g(θ₀)) → √(C_φ² + C_φ′²) as k → ∞; the V-block "
               "alone gives σ_min(J_g(θ₀)) ≥ ‖φ(W(0)u)‖/√k ≈ C_φ."),
    symbols=syms("C_phi", "C_phi_prime"),
    conclusions=(Quantity("sigma_0_limit", sp.sqrt(C_phi**2 + C_phi_prime**2), "lim_{k→∞} σ_min(J_g(θ₀))"),
                 Quantity("sigma_0_V_block", C_phi, "lim_{k→∞} ‖φ(W(0)u)‖/√k, a lower bound of σ₀"),
                 Quantity("expected_jjt_diagonal", C_phi**2 + C_phi_prime**2, "E[J_g J_gᵀ] = this × I_n")),
    references=(P1, P2),
    self_checks=(
        SelfCheck("σ₀'s limit is √ of E[JJᵀ]'s diagonal; the V-block's is √(E‖φ(Wu)‖²/k) = C_φ", _sigma_0_limits),
        SelfCheck("the V-block lower bound is below the full limit",
                  lambda r: nonnegative(r.conclusion("sigma_0_limit") ** 2 - r.conclusion("sigma_0_V_block") ** 2)),
        SelfCheck("E[J Jᵀ] = (C_φ² + C_φ′²) I_n over iid centred unit-variance V (‖u‖ = 1)", _expected_jjt),
        SelfCheck("J Jᵀ equals the closed form (symbolic g with generic φ, n = 2, k = 3, d = 2)",
                  lambda r: _jjt_closed_form()),
        SelfCheck("the V-block gives J_V J_Vᵀ = (‖φ(Wu)‖²/k) I_n", lambda r: _v_block_isotropic()),
    ),
)

GF_9 = Result(
    id="GF-9",
    title="Jacobian at initialisation (high probability)",
    citation="P2 §4 (#?)",
    provenance=Provenance.RECALLED,
    statement=("σ_min(J_g(θ₀)) ≥ C_φ/2, or ≥ √(C_φ² + C_φ′²)/2, with probability ≥ 1 − (something exponentially "
               "small in k/n)."),
    symbols=syms("C_phi", "C_phi_prime", "sigma_0"),
    hypotheses=(Hypothesis("sigma_0>=C_phi/2", sp.GreaterThan(sigma_0, C_phi / 2),
                           "a measured σ₀ is at least the recalled threshold C_φ/2"),),
    conclusions=(Quantity("sigma_0_lower", C_phi / 2, "recalled threshold, form (a)"),
                 Quantity("sigma_0_lower_full", sp.sqrt(C_phi**2 + C_phi_prime**2) / 2,
                          "recalled threshold, form (b)")),
    unconfirmed=("which form (C_φ/2 or √(C_φ² + C_φ′²)/2)", "the probability"),
    choices=("The weaker form C_φ/2 is the hypothesis checked, since the V-block bound GF-8 proves it in the "
             "limit; form (b) is reported beside it.",),
    references=(P2,),
    self_checks=(
        SelfCheck("form (a) is half of GF-8's V-block limit C_φ, and is the threshold of the hypothesis",
                  lambda r: identical(r.conclusion("sigma_0_lower"), _get("GF-8").conclusion("sigma_0_V_block") / 2)
                  and identical(r.conclusion("sigma_0_lower"), r.hypothesis("sigma_0>=C_phi/2").rhs)),
        SelfCheck("form (b) is half of GF-8's full limit √(C_φ² + C_φ′²), so (a) is the weaker form",
                  lambda r: identical(r.conclusion("sigma_0_lower_full"), _get("GF-8").conclusion("sigma_0_limit") / 2)
                  and nonnegative(r.conclusion("sigma_0_lower_full") ** 2 - r.conclusion("sigma_0_lower") ** 2)),
    ),
)


def _r_grows_like_k_quarter(r) -> bool:
    """The certified R of GF-10 grows like k^{1/4}: R/k^{1/4} → √(σ₀/(2B))."""
    return identical(sp.limit(r.definition("R") / k ** sp.Rational(1, 4), k, sp.oo), sp.sqrt(sigma_0 / (2 * B)))


@functools.cache
def jacobian_difference_split() -> bool:
    """(J(θ) − J(θ′))H·√k = (V − V′)(φ′(Wu) ⊙ H_W u) + V′((φ′(Wu) − φ′(W′u)) ⊙ H_W u) + H_V(φ(Wu) − φ(W′u)),
    with J(θ)H = d/dε g(u, θ + εH) at ε = 0, on symbolic matrices (n = 2, k = 2, d = 1) and a generic φ."""
    n_, k_, d_ = 2, 2, 1

    def mat(name, rows, cols):
        return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}{i}{j}", real=True))

    W, Wp, H_W, V, Vp, H_V, u = (mat("W", k_, d_), mat("Wp", k_, d_), mat("HW", k_, d_), mat("V", n_, k_),
                                 mat("Vp", n_, k_), mat("HV", n_, k_), mat("u", d_, 1))
    eps = sp.Symbol("eps", real=True)

    def jacobian_times_H(W_, V_):
        g = (V_ + eps * H_V) * ((W_ + eps * H_W) * u).applyfunc(_phi) / sp.sqrt(k_)
        return g.diff(eps).subs(eps, 0)

    z, zp, Hu = W * u, Wp * u, H_W * u
    terms = ((V - Vp) * z.applyfunc(_phi_prime).multiply_elementwise(Hu),
             Vp * (z.applyfunc(_phi_prime) - zp.applyfunc(_phi_prime)).multiply_elementwise(Hu),
             H_V * (z.applyfunc(_phi) - zp.applyfunc(_phi)))
    return identical((jacobian_times_H(W, V) - jacobian_times_H(Wp, Vp)) * sp.sqrt(k_), sum(terms, sp.zeros(n_, 1)))


dW, dV = sp.symbols("dW dV", nonnegative=True)  # ‖W − W′‖, ‖V − V′‖ for a unit ‖θ − θ′‖


def jacobian_difference_majorants(lip_phi_prime) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """Bounds on the three terms of `jacobian_difference_split` for ‖u‖ = 1, ‖H‖ ≤ 1 and θ′ ∈ 𝔹(θ₀, R):
    ‖(V − V′)(φ′ ⊙ H_W u)‖ ≤ B‖ΔV‖ (|φ′| ≤ B); ‖V′z‖ ≤ max_i‖V′_{:,i}‖·‖z‖₁ ≤ (V_col_max + R)·Lip(φ′)‖ΔW‖
    (‖V′_{:,i}‖ ≤ ‖V_{:,i}(0)‖ + R); ‖H_V(φ(Wu) − φ(W′u))‖ ≤ B‖ΔW‖ (φ is B-Lipschitz)."""
    return B * dV, (V_col_max + R) * lip_phi_prime * dW, B * dW


def _worst_case_columns(r) -> bool:
    """|V_ij(0)| ≤ D on n rows gives a column norm at most √(Σᵢ D²) = D√n."""
    i = sp.Symbol("i", integer=True, positive=True)
    return identical(r.definition("V_col_max"), sp.sqrt(sp.summation(D**2, (i, 1, n))))


def certified_radius_check(name: str, lip=None) -> SelfCheck:
    """`name` is the root of GF-2's R·Lip_J = σ₀/2 for GF-10's Lip_J (or `lip(r)`)."""
    def check(r) -> bool:
        weyl = _get("GF-2").hypothesis("R*Lip_J<=sigma_0/2").relation
        bound = lip(r) if lip else _get("GF-10").conclusion("Lip_J_bound")
        return identical(weyl.lhs.subs(S("Lip_J"), bound).subs(R, r.expr(name)), weyl.rhs)

    return SelfCheck(f"{name} solves GF-2's R·Lip_J = σ₀/2 with GF-10's Lip_J(R)", check)


LIP_J_GF10 = B / sp.sqrt(k) * (2 + V_col_max + R)

GF_10 = Result(
    id="GF-10",
    title="Lipschitz constant of the two-layer Jacobian on a ball",
    citation="P1/P2 (derived here; the paper's constant is unconfirmed)",
    provenance=Provenance.DERIVED,
    statement=("For θ, θ′ ∈ 𝔹(θ₀, R): ‖J_g(θ) − J_g(θ′)‖ ≤ (B/√k)(2 + max_i‖V_{:,i}(0)‖ + R)‖θ − θ′‖ ≤ "
               "(B/√k)(2 + D√n + R)‖θ − θ′‖, where B bounds |φ′| and Lip(φ′) and ‖u‖ = 1. The 1/√k decay makes "
               "the certified R grow like k^{1/4}."),
    symbols=syms("B", "k", "V_col_max", "R", "D", "n", "sigma_0"),
    hypotheses=(Hypothesis("V_col_max<=D*sqrt(n)", sp.LessThan(V_col_max, D * sp.sqrt(n)),
                           "|V_ij(0)| ≤ D implies max_i‖V_{:,i}(0)‖ ≤ D√n"),),
    definitions=(Quantity("V_col_max", D * sp.sqrt(n), "worst case D√n (used when not measured)"), CERTIFIED_R),
    conclusions=(Quantity("Lip_J_bound", LIP_J_GF10, "Lip_{𝔹(θ₀,R)}(J_g) ≤ this bound"),
                 Quantity("Lip_J_bound_D", B / sp.sqrt(k) * (2 + D * sp.sqrt(n) + R), "the same with D√n")),
    unconfirmed=("the paper's exact constant",),
    references=(P1, P2),
    self_checks=(
        SelfCheck("V_col_max's worst case is √(Σᵢ D²) = D√n, the hypothesis' bound",
                  lambda r: _worst_case_columns(r) and identical(r.definition("V_col_max"),
                                                                 r.hypothesis("V_col_max<=D*sqrt(n)").rhs)),
        SelfCheck("Lip_J = (sum of the split's bounds with ‖ΔW‖, ‖ΔV‖ ≤ ‖θ − θ′‖ = 1)/√k",
                  lambda r: identical(r.conclusion("Lip_J_bound"),
                                      sum(jacobian_difference_majorants(B)).subs({dW: 1, dV: 1}) / sp.sqrt(k))),
        SelfCheck("the D√n form is the bound at the worst-case column norm",
                  lambda r: identical(r.conclusion("Lip_J_bound_D"),
                                      r.conclusion("Lip_J_bound").subs(V_col_max, r.definition("V_col_max")))),
        certified_radius_check("R", lambda r: r.conclusion("Lip_J_bound")),
        SelfCheck("R ↦ R·Lip(R) is increasing", lambda r: increasing(R * r.conclusion("Lip_J_bound"), R)),
        SelfCheck("the certified R grows like k^{1/4}", _r_grows_like_k_quarter),
        SelfCheck("J(θ) − J(θ′) splits into the three terms bounded above (symbolic, generic φ)",
                  lambda r: jacobian_difference_split()),
        SelfCheck("R is the positive root of R·Lip_J(R) = σ₀/2 that SymPy solves, in cancellation-free form",
                  lambda r: identical(r.definition("R"), solved_certified_radius(r.conclusion("Lip_J_bound")))),
    ),
)

GF_11 = Result(
    id="GF-11",
    title="Size of the initial output and residual",
    citation="P1/P2 (derived here)",
    provenance=Provenance.DERIVED,
    statement=("E‖g(u, θ₀)‖² = n C_φ², so ‖A g(u, θ₀) − y‖ ≤ ‖A‖‖g(u, θ₀)‖ + ‖y‖ ≲ ‖A‖C_φ√n + ‖y‖ "
               "(up to log factors, with high probability)."),
    symbols=syms("n", "C_phi", "A_norm", "y_norm"),
    conclusions=(Quantity("expected_g_norm_sq", n * C_phi**2, "E‖g(u, θ₀)‖²"),
                 Quantity("residual_0_typical", A_norm * C_phi * sp.sqrt(n) + y_norm, "typical ‖y(0) − y‖ scale")),
    references=(P1, P2),
    self_checks=(SelfCheck("‖A g − y‖ ≤ ‖A‖‖g‖ + ‖y‖ with ‖g‖ at its typical size √E‖g‖²",
                           lambda r: identical(r.conclusion("residual_0_typical"),
                                               A_norm * sp.sqrt(r.conclusion("expected_g_norm_sq")) + y_norm)),
                 SelfCheck("E‖g(u, θ₀)‖² = n C_φ² (expectation over V computed symbolically, n = 2, k = 3)",
                           _expected_squared_output),),
)

C_width = S("C_width")


def _recalled_width_vs_derived(r) -> bool:
    """In the residual scale ρ (GF-12: ‖A‖√(n log d) + ‖y‖; GF-13: ‖y(0) − y‖, with D√n columns) both widths are
    quartic; the ratio of their leading coefficients is free of σ_A, ‖A‖, ‖y‖, d and linear in n (n³ vs n²)."""
    rho = sp.Symbol("rho", positive=True)
    recalled = sp.expand(r.conclusion("k_required").subs(y_norm, rho - A_norm * sp.sqrt(n * sp.log(d))))
    gf13 = _get("GF-13")
    derived = gf13.conclusion("k_required").subs({R_prime: gf13.definition("R_prime"),
                                                  V_col_max: gf13.definition("V_col_max")}).subs(S("residual_0"), rho)
    p_recalled, p_derived = sp.Poly(recalled, rho), sp.Poly(sp.expand(derived), rho)
    ratio = sp.simplify(p_recalled.LC() / p_derived.LC())
    return (p_recalled.degree() == p_derived.degree() == 4 and not ratio.free_symbols & {sigma_A, A_norm, y_norm, d}
            and sp.degree(ratio, n) == 1)


# evaluate=False where SymPy cannot decide a relation: the same relation, built without the attempt (faster import)
GF_12 = Result(
    id="GF-12",
    title="Overparametrization theorem (recalled form)",
    citation="P1 main theorem; P2 Thm 4.1/4.5 (#?)",
    provenance=Provenance.RECALLED,
    sibling="GF-13",
    statement=("k ≥ C σ_A⁻⁴ n (‖A‖√(n log d) + ‖y‖)⁴ with C depending only on φ and D gives, with probability "
               "≥ 1 − 2/n − 1/d, σ₀ ≳ C_φ and R′ < R, hence GF-3, GF-5, GF-6 and GF-7."),
    symbols=syms("k", "n", "d", "sigma_A", "A_norm", "y_norm", "C_width"),
    hypotheses=(Hypothesis("k>=k_required", sp.GreaterThan(k, C_width * sigma_A**-4 * n * (
        A_norm * sp.sqrt(n * sp.log(d)) + y_norm) ** 4, evaluate=False), "the width exceeds the recalled bound"),),
    conclusions=(Quantity("k_required", C_width * sigma_A**-4 * n * (A_norm * sp.sqrt(n * sp.log(d)) + y_norm) ** 4,
                          "recalled sufficient width (constant C_width unknown)"),),
    unconfirmed=("the constant, the exponents, the log d factor and the probability 1 − 2/n − 1/d",),
    choices=("Encoded for display and comparison only; the checks use the derived GF-13.",),
    references=(P1, P2),
    self_checks=(
        SelfCheck("k_required is the hypothesis' threshold",
                  lambda r: identical(r.conclusion("k_required"), r.hypothesis("k>=k_required").rhs)),
        SelfCheck("like GF-13's, the width grows as the residual scale⁴/σ_A⁴, with one more factor n",
                  _recalled_width_vs_derived),
    ),
)

K_REQUIRED_GF13 = (2 * B * R_prime * (2 + V_col_max + R_prime) / sigma_0) ** 2


def _width_certifies_radius(r) -> bool:
    """At k = k_required the certified R equals R′, and R grows with k: k > k_required ⇔ R′ < R."""
    radius = r.conclusion("R_certified")
    return identical(radius.subs(k, r.conclusion("k_required")), R_prime) and increasing(radius, k)


def _width_solves_weyl_at_r_prime(r) -> bool:
    """k_required is the k at which R′·Lip_J(R′) = σ₀/2 for GF-10's Lip_J (solved by SymPy)."""
    lip = _get("GF-10").conclusion("Lip_J_bound")
    (width,) = sp.solve(sp.Eq((R * lip).subs(R, R_prime), sigma_0 / 2), k)
    return identical(r.conclusion("k_required"), width)


def _looseness_is_radius_ratio(r) -> bool:
    """R/R′ for the certified R: it grows with k and is 1 where R = R′, at k_required (`_width_certifies_radius`),
    so it exceeds 1 exactly when the hypothesis holds."""
    looseness = r.conclusion("looseness_R")
    return identical(looseness * R_prime, r.conclusion("R_certified")) and increasing(looseness, k)


def _width_scales_like_n_squared(r) -> bool:
    """With R′ = a√n and max_i‖V_{:,i}(0)‖ = D√n, k_required/n² → (2Ba(D + a)/σ₀)²."""
    a = sp.Symbol("a", positive=True)
    scaled = r.conclusion("k_required").subs({R_prime: a * sp.sqrt(n), V_col_max: D * sp.sqrt(n)}) / n**2
    return identical(sp.limit(scaled, n, sp.oo), (2 * B * a * (D + a) / sigma_0) ** 2)


GF_13 = Result(
    id="GF-13",
    title="Sufficient width, derived",
    citation="P1/P2 (derived here from GF-10 and GF-3)",
    provenance=Provenance.DERIVED,
    sibling="GF-12",
    statement=("Since R ↦ R(2 + D√n + R) is increasing, R′ < R holds as soon as "
               "k > (2B R′(2 + max_i‖V_{:,i}(0)‖ + R′)/σ₀)² with R′ = 2‖A g(u, θ₀) − y‖/(σ_Aσ₀); with R′ ≍ √n this "
               "is k ≳ n²."),
    symbols=syms("k", "B", "sigma_0", "sigma_A", "residual_0", "V_col_max", "D", "n", "R_prime", "R"),
    hypotheses=(Hypothesis("k>k_required", sp.StrictGreaterThan(k, K_REQUIRED_GF13, evaluate=False),
                           "the width certifies R′ < R"),),
    definitions=(Quantity("R_prime", R_PRIME_MSE, "R′ = 2‖y(0) − y‖/(σ_Aσ₀)"),
                 Quantity("V_col_max", D * sp.sqrt(n), "worst case D√n (used when not measured)"), CERTIFIED_R),
    conclusions=(Quantity("k_required", K_REQUIRED_GF13, "sufficient width"),
                 Quantity("R_certified", CERTIFIED_R.expr, "the certified conditioning radius at this k"),
                 Quantity("looseness_R", CERTIFIED_R.expr / R_prime, "R/R′ (> 1 exactly when the hypothesis holds)")),
    unconfirmed=("the scaling in n and m of the papers' own bound",),
    references=(P1, P2),
    self_checks=(
        mse_radius_check(),
        SelfCheck("V_col_max's worst case is √(Σᵢ D²) = D√n", _worst_case_columns),
        certified_radius_check("R"), certified_radius_check("R_certified"),
        SelfCheck("k_required solves R′·Lip_J(R′) = σ₀/2 for k", _width_solves_weyl_at_r_prime),
        SelfCheck("R/R′ is the certified radius over R′, increasing in k", _looseness_is_radius_ratio),
        SelfCheck("R ↦ R(2 + c + R) is increasing", lambda r: increasing(R * (2 + V_col_max + R), R)),
        SelfCheck("k > k_required ⇔ R′ < certified R (equality at the threshold, R increasing in k)",
                  _width_certifies_radius),
        SelfCheck("k_required ≍ n² when R′ ≍ √n", _width_scales_like_n_squared),
    ),
)

RESULTS = (GF_8, GF_9, GF_10, GF_11, GF_12, GF_13)
