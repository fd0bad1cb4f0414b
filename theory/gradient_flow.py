"""Gradient flow on L_y(A g(u, θ)) for a general network and a KL loss: GF-1 … GF-4, and what every gradient
record shares (the certified two-layer radius, the Weyl conditioning, the MSE floor and their self-checks).

Papers: [P1] Buskulic, Quéau, Fadili, SSVM 2023 (arXiv:2303.11265); [P2] Buskulic, Fadili, Quéau,
JMIV 2024 (arXiv:2309.12128). Theorem numbers marked (#?) are recalled, not verified. The MSE case (GF-5 … GF-7)
is `theory.gradient_flow_mse`.

Choices where the sources disagree:
- The Łojasiewicz function is written ψ(s) = c s^α (01's convention); 02's c s^{1−α} is the same
  family with α ↦ 1 − α, and both agree at α = ½, the only exponent the checks use.
"""

from __future__ import annotations

import functools

import sympy as sp

from ipverify.theory._core import Family, Hypothesis, Provenance, Quantity, Result, SelfCheck
from ipverify.theory._proofs import identical, nonnegative
from ipverify.theory.kl import Psi_of, psi_lojasiewicz, psi_mse, s
from ipverify.theory.symbols import S, syms

FAMILY = Family("GF", "Gradient flow", "SSVM 2023, JMIV 2024", order=1)

P1 = "Buskulic, Quéau, Fadili. Convergence Guarantees of Overparametrized Wide Deep Inverse Prior. SSVM 2023."
P2 = ("Buskulic, Fadili, Quéau. Convergence and Recovery Guarantees of Unsupervised Neural Networks for "
      "Inverse Problems. JMIV 2024.")

sigma_A, sigma_0, t = S("sigma_A"), S("sigma_0"), S("t")
residual_0, loss_0, psi_0 = S("residual_0"), S("loss_0"), S("psi_0")
R, R_prime = S("R"), S("R_prime")

#: d/dt Ψ(L_y(y(t))) ≥ σ_A²σ₀²/4 along the flow (GF-3, derivation sketch).
PSI_RATE = sigma_A**2 * sigma_0**2 / 4
#: the MSE residual decays like exp(−σ_A²σ₀² t/4) (GF-5).
MSE_RESIDUAL_DECAY = sp.exp(-PSI_RATE * t)
#: R′ for a general KL loss and, with ψ₀ = ‖y(0) − y‖, for the MSE (GF-3, GF-5).
R_PRIME_KL = 2 * psi_0 / (sigma_A * sigma_0)
R_PRIME_MSE = 2 * residual_0 / (sigma_A * sigma_0)

y_perp, Lip_J = S("y_perp"), S("Lip_J")
#: GF-10's Lipschitz constant of the two-layer Jacobian on 𝔹(θ₀, R) (‖u‖ = 1, B bounds |φ′| and Lip(φ′)).
LIP_J_TWO_LAYER = S("B") / sp.sqrt(S("k")) * (2 + S("V_col_max") + R)

RADIUS_SLACK = sp.Rational(1, 10**12)
"""Relative amount by which a radius solved from R·Lip_J = σ₀/2 is shrunk before it is used.

R ↦ R·Lip_J(R) is increasing (for GF-10's Lip_J) or Lip_J is fixed (GF-2), so every R below the root keeps
R·Lip_J ≤ σ₀/2 and stays certified. Evaluated in floating point, the root itself gives R·Lip_J = σ₀/2 only up to
a few units in the last place, on either side, which would read as a failed hypothesis. Shrinking R by a relative
10⁻¹² lowers R·Lip_J by at least 10⁻¹² relative, far above that rounding (the root is evaluated in a
cancellation-free form), and costs nothing measurable."""


def certified_radius_two_layer() -> sp.Expr:
    """The largest R with R·Lip_J(R) ≤ σ₀/2 for GF-10's Lip_J = (B/√k)(2 + max_i‖V_{:,i}(0)‖ + R) (GF-2), in the
    cancellation-free form 2q/(a + √(a² + 4q)), a = 2 + max_i‖V_{:,i}(0)‖, q = σ₀√k/(2B): the positive root of
    R² + aR − q = 0. GF-10's self-checks prove it equal to the root SymPy solves (`solved_certified_radius`)."""
    a, q = 2 + S("V_col_max"), sigma_0 * sp.sqrt(S("k")) / (2 * S("B"))
    return 2 * q / (a + sp.sqrt(a**2 + 4 * q))


@functools.cache
def solved_certified_radius(lip: sp.Expr) -> sp.Expr | None:
    """The positive root r of r·lip(r) = σ₀/2, solved by SymPy (None when there is no single one)."""
    r = sp.Symbol("r", positive=True)
    roots = sp.solve(sp.Eq(r * lip.subs(R, r), sigma_0 / 2), r)
    sample = {S("B"): 1, S("k"): 1, S("V_col_max"): 1, sigma_0: 1}
    positive_roots = [root for root in roots if root.subs(sample).is_positive]
    return positive_roots[0] if len(positive_roots) == 1 else None


CERTIFIED_R = Quantity("R", certified_radius_two_layer(),
                       "largest certified radius for the two-layer DIP, from GF-10 (used when R is not given)")
CERTIFIED_R_USED = Quantity("R", (1 - RADIUS_SLACK) * CERTIFIED_R.expr,
                            "the two-layer certified radius of GF-10, shrunk by a relative 10⁻¹² against rounding "
                            "(used when R is not given)")
LIP_J_DEFINITION = Quantity("Lip_J", LIP_J_TWO_LAYER,
                            "GF-10's Lipschitz constant of the two-layer Jacobian on 𝔹(θ₀, R) (used when not given)")
R_PRIME_HYPOTHESIS = Hypothesis("R_prime<R", sp.StrictLessThan(R_prime, R),
                                "the implicit-regularisation radius is inside the conditioning radius")
WEYL_HYPOTHESIS = Hypothesis("R*Lip_J<=sigma_0/2", sp.LessThan(R * Lip_J, sigma_0 / 2),
                             "the ball is within the Weyl radius, so σ_min(J_g) ≥ σ₀/2 on 𝔹(θ₀, R) (GF-2)")
Y_IN_RANGE_HYPOTHESIS = Hypothesis("y_perp<=0", sp.LessThan(y_perp, 0),
                                   "y ∈ Im(A), so that the loss can vanish (a KL loss is 0 only at y)")
Y_PERP_HYPOTHESIS = Hypothesis("y_perp<=residual_0", sp.LessThan(y_perp, residual_0),
                               "‖P⊥y‖ ≤ ‖y(0) − y‖, as y(0) ∈ Im(A) (consistent inputs)")
ASSUMED_LIP_J = ("Lip_J", "Lip_J is a Lipschitz constant of J_g on 𝔹(θ₀, R)")


def pythagoras_floor() -> sp.Expr:
    """½‖v − y‖² − ½‖v − Py‖² for v ∈ Im(A), computed in ℝ³ with Im(A) = span(e₁, e₂): it is ½‖P⊥y‖².

    Hence the MSE is f = f̃ + ½‖P⊥y‖² with f̃ = ½‖A g − Py‖²: ∇f = ∇f̃, and every MSE rate applies to f̃, whose
    target Py lies in Im(A), with f̃(θ₀) = ½(‖y(0) − y‖² − ‖P⊥y‖²).
    """
    v = sp.Matrix([*sp.symbols("v0:2", real=True), 0])
    y = sp.Matrix(sp.symbols("y0:3", real=True))
    Py = sp.Matrix([y[0], y[1], 0])
    floor = ((v - y).dot(v - y) - (v - Py).dot(v - Py)) / 2
    return sp.expand(floor).subs(y[2] ** 2, y_perp**2)


MSE_LOSS_FLOOR = y_perp**2 / 2


def mse_loss_with_floor(decay) -> sp.Expr:
    """½‖P⊥y‖² + f̃(θ₀)·decay: a rate `decay` of f̃ = f − ½‖P⊥y‖², written for f."""
    return MSE_LOSS_FLOOR + (residual_0**2 - y_perp**2) / 2 * decay


def floor_form_check(decay) -> SelfCheck:
    """The record's loss_floor is ½‖P⊥y‖² (Pythagoras), loss_bound = floor + f̃(θ₀)·decay and ‖y − y(t)‖ = √(2f)."""
    def check(r) -> bool:
        floor = r.expr("loss_floor")
        f_tilde_0 = residual_0**2 / 2 - floor
        return (identical(floor, pythagoras_floor()) and identical(r.expr("loss_bound"), floor + f_tilde_0 * decay)
                and identical(r.expr("residual_bound"), sp.sqrt(2 * r.expr("loss_bound"))))

    return SelfCheck("f = f̃ + ½‖P⊥y‖² (Pythagoras, y(t) ∈ Im(A)); the rate holds for f̃, the floor stays", check)


def weyl_radius_check() -> SelfCheck:
    """The record's R and Lip_J definitions meet GF-2's R·Lip_J = σ₀/2 at the unshrunk certified root."""
    return SelfCheck("R·Lip_J = σ₀/2 at R = (record's R)/(1 − 10⁻¹²): the filled-in radius is certified",
                     lambda r: identical((R * r.expr("Lip_J")).subs(R, r.expr("R") / (1 - RADIUS_SLACK)),
                                         sigma_0 / 2))


def _get(result_id: str) -> Result:
    """Another record of the catalogue, looked up when a check runs (at import time it would be circular)."""
    from ipverify.theory.registry import get

    return get(result_id)


def _weyl_bound_at_radius() -> sp.Expr:
    """GF-2's σ₀ − Lip·R at the radius where its hypothesis R·Lip_J ≤ σ₀/2 holds with equality."""
    gf2 = _get("GF-2")
    weyl = gf2.hypothesis("R*Lip_J<=sigma_0/2").relation
    (radius,) = sp.solve(sp.Eq(weyl.lhs, weyl.rhs), R)
    return gf2.conclusion("sigma_min_lower").subs(R, radius)


def sigma_min_check() -> SelfCheck:
    """The record's σ_min(J_g) ≥ σ₀/2 on the ball is GF-2's Weyl bound."""
    return SelfCheck("σ_min(J_g) ≥ σ₀/2 is GF-2's Weyl bound σ₀ − Lip·R where R·Lip = σ₀/2",
                     lambda r: identical(r.conclusion("sigma_min_lower"), _weyl_bound_at_radius()))


def mse_radius() -> sp.Expr:
    """GF-3's R′ = 2ψ(L(0))/(σ_Aσ₀) for the MSE: ψ(L(0)) = √(2·½‖y(0) − y‖²) = ‖y(0) − y‖."""
    return _get("GF-3").definition("R_prime").subs(psi_0, psi_mse().subs(s, residual_0**2 / 2))


def mse_radius_check() -> SelfCheck:
    return SelfCheck("R′ is GF-3's 2ψ(L(0))/(σ_Aσ₀) with ψ(L(0)) = √(2·½‖y(0) − y‖²) = ‖y(0) − y‖ (MSE)",
                     lambda r: identical(r.definition("R_prime"), mse_radius()))


def two_layer_lip_check() -> SelfCheck:
    return SelfCheck("the filled-in Lip_J is GF-10's Lipschitz bound of the two-layer Jacobian",
                     lambda r: identical(r.definition("Lip_J"), _get("GF-10").conclusion("Lip_J_bound")))


def _monotone_loss_bound(r) -> bool:
    """L(t) = L(0) − ∫₀ᵗ‖θ̇‖² = L(0) − q with q ≥ 0, so L(t) ≤ sup_{q ≥ 0}(L(0) − q)."""
    q = sp.Symbol("q", nonnegative=True)
    return identical(r.conclusion("loss_bound"), sp.maximum(loss_0 - q, q, sp.Interval(0, sp.oo)))


def _flow_time_derivative_of_loss() -> bool:
    """d/dt f(θ(t)) = ∇f·θ̇ = −‖θ̇‖² along θ̇ = −∇f (checked in ℝ³ with an arbitrary f)."""
    tt = sp.Symbol("t_", real=True)
    theta = [sp.Function(f"theta{i}")(tt) for i in range(3)]
    f = sp.Function("f")(*theta)
    grad = [sp.diff(f, th) for th in theta]
    flow = {sp.Derivative(th, tt): -g for th, g in zip(theta, grad, strict=True)}
    return identical(sp.diff(f, tt).subs(flow), -sum(g**2 for g in grad))


GF_1 = Result(
    id="GF-1",
    title="Well-posedness and monotone loss of the gradient flow",
    citation="P2, Prop/Thm 3.1 (#?)",
    provenance=Provenance.RECALLED,
    statement=("Under (A-1) L_y ∈ C¹, L_y ≥ 0 with L_y(v) = 0 ⇔ v = y, and (A-3) g(u,·) ∈ C¹ with a locally "
               "Lipschitz Jacobian, the gradient flow θ̇ = −∇_θ L_y(A g(u, θ)) has a unique maximal C¹ "
               "solution, and t ↦ L_y(y(t)) is non-increasing with d/dt L_y(y(t)) = −‖θ̇(t)‖²."),
    symbols=syms("loss_0", "t"),
    conclusions=(Quantity("loss_bound", loss_0, "L_y(y(t)) ≤ L_y(y(0)) for all t ≥ 0"),),
    unconfirmed=("numbering and exact wording",),
    references=(P2,),
    self_checks=(SelfCheck("L(t) ≤ sup_{q ≥ 0}(L(0) − q): the loss only decreases", _monotone_loss_bound),
                 SelfCheck("d/dt f(θ(t)) = −‖θ̇‖² along the flow (chain rule)",
                           lambda r: _flow_time_derivative_of_loss()),),
)


_rho = sp.Symbol("rho", nonnegative=True)  # ‖θ − θ₀‖


def _weyl_radius_is_root(r) -> bool:
    weyl = r.hypothesis("R*Lip_J<=sigma_0/2").relation
    (root,) = sp.solve(sp.Eq(weyl.lhs, weyl.rhs), R)
    return identical(r.definition("R"), (1 - RADIUS_SLACK) * root)


GF_2 = Result(
    id="GF-2",
    title="The Jacobian stays well conditioned on 𝔹(θ₀, R)",
    citation="used in P1 and P2 (derived here)",
    provenance=Provenance.DERIVED,
    statement=("If R·Lip_{𝔹(θ₀,R)}(J_g) ≤ σ_min(J_g(θ₀))/2, then by Weyl's inequality "
               "σ_min(J_g(θ)) ≥ σ_min(J_g(θ₀)) − Lip·‖θ − θ₀‖ ≥ σ_min(J_g(θ₀))/2 on 𝔹(θ₀, R)."),
    symbols=syms("sigma_0", "Lip_J", "R"),
    hypotheses=(WEYL_HYPOTHESIS,),
    definitions=(Quantity("R", (1 - RADIUS_SLACK) * sigma_0 / (2 * S("Lip_J")),
                          "the largest such radius σ₀/(2 Lip), shrunk by a relative 10⁻¹² against rounding"),),
    conclusions=(Quantity("sigma_min_lower", sigma_0 - S("Lip_J") * R,
                          "σ_min(J_g(θ)) ≥ σ₀ − Lip·R on 𝔹(θ₀, R)"),),
    references=(P1, P2),
    assumed_inputs=(ASSUMED_LIP_J,),
    self_checks=(SelfCheck("R is the root of R·Lip_J = σ₀/2 (the hypothesis at equality), shrunk by 10⁻¹²",
                           _weyl_radius_is_root),
                 SelfCheck("Weyl: σ_min(J_g(θ)) ≥ σ₀ − Lip‖θ − θ₀‖, smallest on the boundary of 𝔹(θ₀, R)",
                           lambda r: identical(r.conclusion("sigma_min_lower"), sp.minimum(
                               sigma_0 - Lip_J * _rho, _rho, sp.Interval(0, R)))),
                 SelfCheck("σ₀ − Lip·R = σ₀/2 at the unshrunk root R/(1 − 10⁻¹²)",
                           lambda r: identical(r.conclusion("sigma_min_lower").subs(
                               R, r.definition("R") / (1 - RADIUS_SLACK)), sigma_0 / 2)),),
)


def _psi_rate_from_kl(r) -> bool:
    """d/dt Ψ(L) = Ψ′(L)L̇ = ψ′(L)²‖∇_θ f‖² (Ψ′ = −ψ′², L̇ = −‖∇_θ f‖²) and ‖∇_θ f‖ ≥ σ_Aσ_min‖∇L_y‖ ≥ σ_Aσ_min/ψ′
    (KL): with ‖∇_θ f‖ = (1 + e)σ_Aσ_min/ψ′, e ≥ 0, d/dt Ψ(L) ≥ Psi_rate, with equality at e = 0."""
    p, e = sp.Symbol("p", positive=True), sp.Symbol("e", nonnegative=True)
    grad = (1 + e) * sigma_A * r.conclusion("sigma_min_lower") / p
    dPsi_dt = -(p**2) * -(grad**2)
    rate = r.conclusion("Psi_rate")
    return identical(dPsi_dt.subs(e, 0), rate) and nonnegative(dPsi_dt - rate)


def _path_length_inequality(r) -> bool:
    """dψ(L)/dt + σ_Aσ_min‖θ̇‖ = −‖θ̇‖(ψ′‖θ̇‖ − σ_Aσ_min) ≤ 0, as ψ′‖θ̇‖ ≥ σ_Aσ_min (KL and conditioning)."""
    v, p = sp.Symbol("v", positive=True), sp.Symbol("p", positive=True)
    kappa = sigma_A * r.conclusion("sigma_min_lower")
    dpsi_dt = p * (-(v**2))  # ψ′(L) L̇ with L̇ = −‖θ̇‖²
    excess = sp.Symbol("excess", nonnegative=True)  # ψ′‖θ̇‖ − σ_Aσ_min ≥ 0
    return nonnegative(-(dpsi_dt + kappa * v).subs(p, (excess + kappa) / v))


def _path_length_bound(r) -> sp.Expr:
    """Integrating dψ(L)/dt ≤ −σ_Aσ_min‖θ̇‖: ‖θ(t) − θ₀‖ ≤ (ψ(L(0)) − ψ(L(t)))/(σ_Aσ_min), largest at ψ(L(t)) = 0."""
    q = sp.Symbol("q", nonnegative=True)  # ψ(L(t)) ∈ [0, ψ(L(0))]
    return sp.maximum((psi_0 - q) / (sigma_A * r.conclusion("sigma_min_lower")), q, sp.Interval(0, psi_0))


def _radius_is_path_length(r) -> bool:
    bound = _path_length_bound(r)
    return identical(r.definition("R_prime"), bound) and identical(
        r.conclusion("theta_dist_bound").subs(R_prime, r.definition("R_prime")), bound)


GF_3 = Result(
    id="GF-3",
    title="Convergence of the loss and the parameters for a KL loss",
    citation="P2, Thm 3.2 (#?)",
    provenance=Provenance.DERIVED,
    variant="structure recalled, constants derived",
    statement=("Under (A-1)–(A-3), y ∈ Im(A), σ₀ = σ_min(J_g(θ₀)) > 0, R·Lip_{𝔹(θ₀,R)}(J_g) ≤ σ₀/2 (GF-2) and "
               "R′ < R with R′ = 2ψ(L_y(y(0)))/(σ_Aσ₀): "
               "θ(t) ∈ 𝔹(θ₀, R′) for all t, L_y(y(t)) ≤ Ψ⁻¹(σ_A²σ₀²t/4 + Ψ(L_y(y(0)))), and θ(t) → θ_∞ with "
               "A g(u, θ_∞) = y and ‖θ(t) − θ_∞‖ ≤ (2/(σ_Aσ₀)) ψ(Ψ⁻¹(γ(t)))."),
    symbols=syms("sigma_A", "sigma_0", "psi_0", "y_perp", "R_prime", "R", "Lip_J", "B", "k", "V_col_max"),
    hypotheses=(R_PRIME_HYPOTHESIS, WEYL_HYPOTHESIS, Y_IN_RANGE_HYPOTHESIS),
    definitions=(Quantity("R_prime", R_PRIME_KL, "implicit-regularisation radius"), CERTIFIED_R_USED,
                 LIP_J_DEFINITION),
    conclusions=(Quantity("theta_dist_bound", R_prime, "‖θ(t) − θ₀‖ ≤ R′"),
                 Quantity("Psi_rate", PSI_RATE, "d/dt Ψ(L_y(y(t))) ≥ σ_A²σ₀²/4 (γ(t) grows at this rate)"),
                 Quantity("sigma_min_lower", sigma_0 / 2, "σ_min(J_g(θ(t))) ≥ σ₀/2")),
    unconfirmed=("theorem number", "form of γ(t) (the derivation forces it)",
                 "how P2 defines σ_A (σ_min(A), restricted version, or ∇L_y ∈ Im(A))"),
    choices=("R may be given, or filled in from the two-layer certified radius of GF-10 when k, B and "
             "max_i‖V_{:,i}(0)‖ are given; Lip_J is then GF-10's bound at R.",
             "A general KL loss vanishes only at y, so y ∈ Im(A) is a hypothesis (y_perp = ‖P⊥y‖ ≤ 0); the MSE "
             "without it is GF-5's floor form."),
    references=(P2,),
    assumed_inputs=(ASSUMED_LIP_J,),
    self_checks=(sigma_min_check(), two_layer_lip_check(), weyl_radius_check(),
                 SelfCheck("R′ and ‖θ(t) − θ₀‖ ≤ R′ are the path length ψ(L(0))/(σ_Aσ_min)", _radius_is_path_length),
                 SelfCheck("KL and conditioning give d/dt Ψ(L) ≥ (σ_Aσ_min)², attained", _psi_rate_from_kl),
                 SelfCheck("dψ(L)/dt ≤ −σ_Aσ_min‖θ̇‖, hence the path length bound", _path_length_inequality)),
)


alpha, c = S("alpha_KL"), S("c_KL")


def _lojasiewicz_regimes():
    """The equality solutions ℓ(t) of ℓ′ = −κ/ψ′(ℓ)², ψ = c s^α, κ = σ_A²σ₀²/4 (GF-4)."""
    exponential = loss_0 * sp.exp(-(sigma_A**2) * sigma_0**2 * t / c**2)
    q = 1 - 2 * alpha
    polynomial = (loss_0 ** (-q) + q * sigma_A**2 * sigma_0**2 * t / (4 * c**2 * alpha**2)) ** (-1 / q)
    finite_time = 4 * c**2 * alpha**2 * loss_0 ** (2 * alpha - 1) / ((2 * alpha - 1) * sigma_A**2 * sigma_0**2)
    return exponential, polynomial, finite_time


EXPONENTIAL, POLYNOMIAL, FINITE_TIME = _lojasiewicz_regimes()


POLYNOMIAL_ALPHAS = tuple(sp.Rational(*a) for a in ((1, 4), (1, 3), (2, 5)))
FINITE_TIME_ALPHAS = (sp.Rational(3, 4), sp.Integer(1))
HALF = sp.Rational(1, 2)


def _at_alpha(r, name: str, alpha_value) -> sp.Expr:
    return r.conclusion(name).subs(alpha, alpha_value)


def _before_hitting(bound) -> sp.Expr:
    """The α > ½ bound before its hitting time: the last branch, with Max(0, e) read as e."""
    branch = bound.args[-1].expr if isinstance(bound, sp.Piecewise) else bound
    return branch.replace(lambda e: isinstance(e, sp.Max), lambda e: sp.Add(*(a for a in e.args if a != 0)))


def _starts_at_loss_0(r) -> bool:
    return all(identical(_at_alpha(r, "loss_bound", a).subs(t, 0), loss_0)
               for a in (HALF, *POLYNOMIAL_ALPHAS, *FINITE_TIME_ALPHAS))


def _registry_definition(result_id: str, name: str) -> sp.Expr:
    from ipverify.theory.registry import get

    return get(result_id).definition(name)


def _solves_rate_ode(ell, alpha_value) -> bool:
    """Ψ(ℓ(t)) − Ψ(ℓ(0)) = κt for ψ = c s^α (Ψ by SymPy integration) and GF-3's rate κ."""
    Psi = Psi_of(psi_lojasiewicz(c, alpha_value))
    return identical(Psi.subs(s, ell) - Psi.subs(s, loss_0), _get("GF-3").conclusion("Psi_rate") * t)


def _hitting_time(alpha_value) -> sp.Expr:
    """The time at which ℓ reaches 0: κt = Ψ(0⁺) − Ψ(L(0)), infinite when Ψ(0⁺) = +∞ (α ≤ ½)."""
    Psi = Psi_of(psi_lojasiewicz(c, alpha_value))
    return (sp.limit(Psi, s, 0, "+") - Psi.subs(s, loss_0)) / _get("GF-3").conclusion("Psi_rate")


def _solves_rate_ode_before_hitting(ell, alpha_value) -> bool:
    """The rate equation on ]0, T[, T the hitting time, written t = T·v/(1 + v) with v > 0 (where ℓ > 0)."""
    v = sp.Symbol("v", positive=True)
    Psi = Psi_of(psi_lojasiewicz(c, alpha_value))
    t_before = _hitting_time(alpha_value) * v / (1 + v)
    return identical(Psi.subs(s, ell.subs(t, t_before)) - Psi.subs(s, loss_0),
                     _get("GF-3").conclusion("Psi_rate") * t_before)


def _finite_time_is_hitting_time(r) -> bool:
    for a in (HALF, POLYNOMIAL_ALPHAS[0], *FINITE_TIME_ALPHAS):
        stated, hitting = _at_alpha(r, "finite_time", a), _hitting_time(a)
        if not (stated == hitting if hitting.is_infinite else identical(stated, hitting)):
            return False
    return True


def _zero_from_finite_time(r) -> bool:
    """For α > ½ the bound is 0 at the stated time, where the branch before it vanishes."""
    for a in FINITE_TIME_ALPHAS:
        bound, t_zero = _at_alpha(r, "loss_bound", a), _at_alpha(r, "finite_time", a)
        if not (identical(bound.subs(t, t_zero), 0) and identical(_before_hitting(bound).subs(t, t_zero), 0)):
            return False
    return True


GF_4 = Result(
    id="GF-4",
    title="Łojasiewicz rates: exponential, polynomial or finite-time convergence",
    citation="P2, corollary of Thm 3.2 (#?)",
    provenance=Provenance.DERIVED,
    statement=("Under GF-3's hypotheses (y ∈ Im(A), R·Lip_{𝔹(θ₀,R)}(J_g) ≤ σ₀/2 and R′ = 2ψ(L(0))/(σ_Aσ₀) < R) "
               "with ψ(s) = c s^α: α = ½ gives L(t) ≤ L(0) exp(−σ_A²σ₀²t/c²); α ∈ ]0,½[ gives "
               "L(t) ≤ [L(0)^{−(1−2α)} + (1−2α)σ_A²σ₀²t/(4c²α²)]^{−1/(1−2α)}; α ∈ ]½,1] gives L(t) = 0 for "
               "t ≥ 4c²α²L(0)^{2α−1}/((2α−1)σ_A²σ₀²)."),
    symbols=syms("sigma_A", "sigma_0", "loss_0", "t", "c_KL", "alpha_KL", "psi_0", "y_perp", "R_prime", "R",
                 "Lip_J"),
    hypotheses=(R_PRIME_HYPOTHESIS, WEYL_HYPOTHESIS, Y_IN_RANGE_HYPOTHESIS),
    definitions=(Quantity("psi_0", c * loss_0**alpha, "ψ(L(0)) = c L(0)^α"),
                 Quantity("R_prime", R_PRIME_KL, "GF-3's implicit-regularisation radius 2ψ(L(0))/(σ_Aσ₀)")),
    conclusions=(
        Quantity("loss_bound", sp.Piecewise(  # evaluate=False: SymPy cannot decide these, the expression is the same
            (EXPONENTIAL, sp.Eq(alpha, HALF, evaluate=False)),
            (POLYNOMIAL, sp.StrictLessThan(alpha, HALF, evaluate=False)),
            (sp.Piecewise((0, sp.GreaterThan(t, FINITE_TIME, evaluate=False)),
                          (sp.Max(0, loss_0 ** (2 * alpha - 1) - (2 * alpha - 1) * sigma_A**2 * sigma_0**2 * t
                                  / (4 * c**2 * alpha**2), evaluate=False) ** (1 / (2 * alpha - 1)), True),
                          evaluate=False), True), evaluate=False),
            "L_y(y(t)) ≤ this bound"),
        Quantity("finite_time", sp.Piecewise((FINITE_TIME, sp.StrictGreaterThan(alpha, HALF, evaluate=False)),
                                             (sp.oo, True), evaluate=False),
                 "time after which the loss is exactly zero (α > ½; ∞ otherwise)"),
    ),
    unconfirmed=("exponent convention c s^α (01) vs c s^{1−α} (02)", "the paper's exact statement"),
    choices=("01's convention ψ = c s^α; 02's α corresponds to 1 − α here.",),
    references=(P2,),
    assumed_inputs=(ASSUMED_LIP_J,),
    self_checks=(
        SelfCheck("ψ₀ = ψ(L(0)) for ψ = c s^α, and R′ is GF-3's radius at that ψ₀",
                  lambda r: identical(r.expr("psi_0"), psi_lojasiewicz(c, alpha).subs(s, loss_0))
                  and identical(r.expr("R_prime"), _registry_definition("GF-3", "R_prime"))),
        SelfCheck("the bound equals L(0) at t = 0 (α ∈ {1/4, 1/3, 2/5, 1/2, 3/4, 1})", _starts_at_loss_0),
        SelfCheck("α = ½: the bound solves Ψ(ℓ(t)) = Ψ(L(0)) + κt with GF-3's κ = σ_A²σ₀²/4",
                  lambda r: _solves_rate_ode(_at_alpha(r, "loss_bound", HALF), HALF)),
        SelfCheck("α ∈ {1/4, 1/3, 2/5}: the polynomial bound solves the same equation",
                  lambda r: all(_solves_rate_ode(_at_alpha(r, "loss_bound", a), a) for a in POLYNOMIAL_ALPHAS)),
        SelfCheck("α ∈ {3/4, 1}: before its hitting time the bound solves the same equation",
                  lambda r: all(_solves_rate_ode_before_hitting(_before_hitting(_at_alpha(r, "loss_bound", a)), a)
                                for a in FINITE_TIME_ALPHAS)),
        SelfCheck("the stated time is where Ψ(ℓ) reaches Ψ(0⁺) (∞ for α ≤ ½)", _finite_time_is_hitting_time),
        SelfCheck("α ∈ {3/4, 1}: the bound is 0 from the stated time on", _zero_from_finite_time),
    ),
)


RESULTS = (GF_1, GF_2, GF_3, GF_4)
