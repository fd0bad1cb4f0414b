"""Gradient flow on L_y(A g(u, θ)) for a general network: GF-1 … GF-7.

Papers: [P1] Buskulic, Quéau, Fadili, SSVM 2023 (arXiv:2303.11265); [P2] Buskulic, Fadili, Quéau,
JMIV 2024 (arXiv:2309.12128). Theorem numbers marked (#?) are recalled, not verified.

Choices where the sources disagree:
- The Łojasiewicz function is written ψ(s) = c s^α (01's convention); 02's c s^{1−α} is the same
  family with α ↦ 1 − α, and both agree at α = ½, the only exponent the checks use.
- The optimisation term of the recovery bound uses ψ(Ψ⁻¹(γ(t))) (GF-6 as recalled); the variant with
  the measured loss, ψ(L_y(y(t))), is encoded beside it since it is never larger.
"""

from __future__ import annotations

import sympy as sp

from ipverify.theory._core import Hypothesis, Provenance, Quantity, Result, SelfCheck
from ipverify.theory._proofs import identical, nonnegative
from ipverify.theory.kl import Psi_inverse_of, Psi_of, mse_kl_equality, psi_lojasiewicz, psi_mse, s, tau_
from ipverify.theory.symbols import S, syms

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


def certified_radius_two_layer():
    """The largest R with R·Lip_J(R) ≤ σ₀/2 for GF-10's Lip_J = (B/√k)(2 + max_i‖V_{:,i}(0)‖ + R) (GF-2).

    Solved by SymPy from the defining equation, keeping the positive root, and returned in the cancellation-free
    form 2q/(a + √(a² + 4q)), a = 2 + max_i‖V_{:,i}(0)‖, q = σ₀√k/(2B), which is checked equal to it.
    """
    B, k, c, r = S("B"), S("k"), S("V_col_max"), sp.Symbol("r", positive=True)
    roots = sp.solve(sp.Eq(r * LIP_J_TWO_LAYER.subs(R, r), sigma_0 / 2), r)
    root = next(root for root in roots if root.subs({B: 1, k: 1, c: 1, sigma_0: 1}).is_positive)
    a, q = 2 + c, sigma_0 * sp.sqrt(k) / (2 * B)
    rationalised = 2 * q / (a + sp.sqrt(a**2 + 4 * q))
    if not identical(rationalised, root):
        raise ArithmeticError("the cancellation-free form of the certified radius is not the solved root")
    return rationalised


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


def _projection_facts() -> bool:
    """In ℝ³ with Im(A) = span(e₁, e₂), P = diag(1, 1, 0), ȳ ∈ Im(A) and y = ȳ + ε: Py − ȳ = Pε (the noise f̃
    sees), ‖ε‖² − ‖Pε‖² = ‖P⊥y‖² ≥ 0 and ‖v − y‖² − ‖v − Py‖² = ‖P⊥y‖² for v ∈ Im(A) (`pythagoras_floor`)."""
    P, eps = sp.diag(1, 1, 0), sp.Matrix(sp.symbols("e0:3", real=True))
    y_bar = sp.Matrix([*sp.symbols("b0:2", real=True), 0])
    y = y_bar + eps
    outside = (sp.eye(3) - P) * y
    return (identical(P * y - y_bar, P * eps) and identical(eps.dot(eps) - (P * eps).dot(P * eps), outside.dot(outside))
            and identical(pythagoras_floor(), MSE_LOSS_FLOOR))


def projection_step_check(name: str) -> SelfCheck:
    """For y ∉ Im(A) the proof bounds `name` with ‖y(0) − Py‖ and ‖Pε‖; the record's bound is nondecreasing in
    ‖y(0) − y‖ ≥ ‖y(0) − Py‖ and ‖ε‖ ≥ ‖Pε‖, so it holds as stated."""
    return SelfCheck(f"Py − ȳ = Pε, ‖Pε‖ ≤ ‖ε‖, ‖y(0) − Py‖ ≤ ‖y(0) − y‖, and {name} is nondecreasing in "
                     "‖y(0) − y‖ and ‖ε‖: the bound for f̃ implies the stated one for any y",
                     lambda r: _projection_facts() and nonnegative(sp.diff(r.expr(name), residual_0))
                     and nonnegative(sp.diff(r.expr(name), noise)))


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
    references=(P2),
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
    references=(P2),
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
        Quantity("loss_bound", sp.Piecewise(
            (EXPONENTIAL, sp.Eq(alpha, sp.Rational(1, 2))),
            (POLYNOMIAL, alpha < sp.Rational(1, 2)),
            (sp.Piecewise((0, t >= FINITE_TIME), (sp.Max(0, loss_0 ** (2 * alpha - 1) - (2 * alpha - 1)
                                                          * sigma_A**2 * sigma_0**2 * t / (4 * c**2 * alpha**2))
                                                   ** (1 / (2 * alpha - 1)), True)), True)),
            "L_y(y(t)) ≤ this bound"),
        Quantity("finite_time", sp.Piecewise((FINITE_TIME, alpha > sp.Rational(1, 2)), (sp.oo, True)),
                 "time after which the loss is exactly zero (α > ½; ∞ otherwise)"),
    ),
    unconfirmed=("exponent convention c s^α (01) vs c s^{1−α} (02)", "the paper's exact statement"),
    choices=("01's convention ψ = c s^α; 02's α corresponds to 1 − α here.",),
    references=(P2),
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


def _mse_Psi_pair() -> bool:
    Psi, Psi_inv = Psi_of(psi_mse()), Psi_inverse_of(psi_mse())
    return (identical(Psi, -sp.log(s) / 2) and identical(Psi_inv, sp.exp(-2 * tau_))
            and identical(Psi_inv.subs(tau_, Psi), s) and identical(Psi.subs(s, Psi_inv), tau_))


def _excess_loss(r) -> sp.Expr:
    """f̃(t) = L(t) − ½‖P⊥y‖², the loss of the projected target Py (GF-5)."""
    return r.conclusion("loss_bound") - r.conclusion("loss_floor")


def _mse_rate_of_excess_loss(r) -> bool:
    """f̃(t) = Ψ⁻¹(κt + Ψ(f̃(0))) with GF-3's κ, and ‖y(t) − Py‖ = √(2f̃(t)) decays at residual_rate."""
    excess = _excess_loss(r)
    Psi, Psi_inv = Psi_of(psi_mse()), Psi_inverse_of(psi_mse())
    gamma_t = _get("GF-3").conclusion("Psi_rate") * t + Psi.subs(s, excess.subs(t, 0))
    return identical(excess, Psi_inv.subs(tau_, gamma_t)) and identical(
        -sp.diff(sp.log(psi_mse().subs(s, excess)), t), r.conclusion("residual_rate"))


def _residual_rate_is_psi_rate(r) -> bool:
    """For the MSE Ψ(½ρ²) = −log ρ + const, so ‖y(t) − Py‖ decays exponentially at GF-3's Ψ-rate."""
    rho = sp.Symbol("rho", positive=True)
    return identical(sp.diff(Psi_of(psi_mse()).subs(s, rho**2 / 2), rho), -1 / rho) and identical(
        r.conclusion("residual_rate"), _get("GF-3").conclusion("Psi_rate"))


def _theta_bounds_are_path_lengths(r) -> bool:
    """‖θ(t) − θ₀‖ ≤ GF-3's R′ at ψ(L(0)) = ‖y(0) − y‖ ≥ ‖y(0) − Py‖, and the path left after t shrinks like
    ψ(f̃(t))/ψ(f̃(0)) = √(f̃(t)/f̃(0))."""
    radius = r.definition("R_prime")
    dist, limit = (r.conclusion(n).subs(R_prime, radius) for n in ("theta_dist_bound", "theta_limit_bound"))
    excess = _excess_loss(r)
    return identical(dist, mse_radius()) and identical(limit / dist, sp.sqrt(excess / excess.subs(t, 0)))


GF_5 = Result(
    id="GF-5",
    title="MSE case: exponential decay of the residual",
    citation="P1, main deterministic theorem (#?)",
    provenance=Provenance.DERIVED,
    variant="structure recalled, constants derived",
    statement=("For the MSE f = ½‖A g − y‖², with P the projection onto Im(A) and y_perp = ‖P⊥y‖: f = f̃ + "
               "½y_perp² with f̃ = ½‖A g − Py‖² and ∇f = ∇f̃, so the flow is the one of f̃, whose target Py is in "
               "Im(A). If σ₀ > 0, R·Lip_{𝔹(θ₀,R)}(J_g) ≤ σ₀/2 and R′ = 2‖A g(u,θ₀) − y‖/(σ_Aσ₀) < R (R′ ≥ "
               "2‖y(0) − Py‖/(σ_Aσ₀), a conservative radius), then ‖y(t) − Py‖ ≤ ‖y(0) − Py‖ e^{−σ_A²σ₀²t/4}, "
               "hence L(t) ≤ ½y_perp² + (L(0) − ½y_perp²) e^{−σ_A²σ₀²t/2} and ‖y(t) − y‖ = √(2L(t)); "
               "‖θ(t) − θ₀‖ ≤ R′, σ_min(J_g(θ(t))) ≥ σ₀/2 and ‖θ(t) − θ_∞‖ ≤ R′ e^{−σ_A²σ₀²t/4}. The loss stalls "
               "at the floor ½y_perp² (0 when y ∈ Im(A), the usual form)."),
    symbols=syms("sigma_A", "sigma_0", "residual_0", "y_perp", "t", "R_prime", "R", "Lip_J", "B", "k",
                 "V_col_max"),
    hypotheses=(R_PRIME_HYPOTHESIS, WEYL_HYPOTHESIS, Y_PERP_HYPOTHESIS),
    definitions=(Quantity("R_prime", R_PRIME_MSE, "R′ = 2‖y(0) − y‖/(σ_Aσ₀)"), CERTIFIED_R_USED, LIP_J_DEFINITION),
    conclusions=(
        Quantity("residual_bound", sp.sqrt(2 * mse_loss_with_floor(MSE_RESIDUAL_DECAY**2)),
                 "‖y(t) − y‖ ≤ this bound"),
        Quantity("loss_bound", mse_loss_with_floor(MSE_RESIDUAL_DECAY**2), "L(t) ≤ this bound"),
        Quantity("loss_floor", MSE_LOSS_FLOOR, "½‖P⊥y‖² = min f, the level the loss stalls at"),
        Quantity("theta_dist_bound", R_prime, "‖θ(t) − θ₀‖ ≤ R′"),
        Quantity("theta_limit_bound", R_prime * MSE_RESIDUAL_DECAY, "‖θ(t) − θ_∞‖ ≤ this bound"),
        Quantity("sigma_min_lower", sigma_0 / 2, "σ_min(J_g(θ(t))) ≥ σ₀/2"),
        Quantity("residual_rate", PSI_RATE, "exponential rate of ‖y(t) − Py‖"),
    ),
    unconfirmed=("P1's exact statement and theorem number",),
    choices=("R may be given, or filled in from the two-layer certified radius (GF-10), Lip_J from GF-10 at R.",
             "y_perp is an input without a default: taking it as 0 would assume y ∈ Im(A)."),
    references=(P1),
    assumed_inputs=(ASSUMED_LIP_J,),
    self_checks=(sigma_min_check(), mse_radius_check(), two_layer_lip_check(), weyl_radius_check(),
        floor_form_check(MSE_RESIDUAL_DECAY**2),
        SelfCheck("‖y(t) − Py‖ decays at GF-3's Ψ-rate (Ψ(½ρ²) = −log ρ + const)", _residual_rate_is_psi_rate),
        SelfCheck("f̃ = L − ½‖P⊥y‖² is Ψ⁻¹(κt + Ψ(f̃(0))) with GF-3's κ; √(2f̃) decays at residual_rate",
                  _mse_rate_of_excess_loss),
        SelfCheck("‖θ(t) − θ₀‖ ≤ GF-3's R′, and the path left after t shrinks like ψ(f̃(t))",
                  _theta_bounds_are_path_lengths),
        SelfCheck("ψ(s) = √(2s) satisfies the KL inequality for the MSE with equality",
                  lambda r: identical(mse_kl_equality(), 1)),
        SelfCheck("Ψ(s) = −½ log s and Ψ⁻¹(τ) = e^{−2τ} are mutual inverses (Ψ integrated from ψ)",
                  lambda r: _mse_Psi_pair()),
        SelfCheck("GF-4 at c = √2, α = ½ is the rate of f̃",
                  lambda r: identical(_get("GF-4").conclusion("loss_bound").subs(
                      {alpha: HALF, c: sp.sqrt(2), loss_0: _excess_loss(r).subs(t, 0)}), _excess_loss(r))),
    ),
)


Lip_g, mu, noise, dist, A_norm, loss_t = S("Lip_g"), S("mu"), S("noise"), S("dist"), S("A_norm"), S("loss_t")
OPTIMISATION_TERM = 2 * Lip_g / (sigma_A * sigma_0) * residual_0 * MSE_RESIDUAL_DECAY
OPTIMISATION_TERM_MEASURED = 2 * Lip_g / (sigma_A * sigma_0) * sp.sqrt(2 * loss_t)
NOISE_AND_MODEL_TERMS = noise / mu + (1 + A_norm / mu) * dist


def _injectivity_terms() -> sp.Expr:
    """‖x_∞ − x̄‖ ≤ ‖x_∞ − x̄_Σ′‖ + ‖x̄_Σ′ − x̄‖ with ‖x_∞ − x̄_Σ′‖ ≤ ‖A(x_∞ − x̄_Σ′)‖/μ = ‖y − A x̄_Σ′‖/μ
    ≤ (‖ε‖ + ‖A‖dist)/μ (A x_∞ = y, y − A x̄_Σ′ = ε + A(x̄ − x̄_Σ′)) and ‖x̄_Σ′ − x̄‖ = dist."""
    return (noise + A_norm * dist) / mu + dist


def _noise_and_model_split(r) -> bool:
    """The noise term is the injectivity bound without modelling error, the model term the one without noise."""
    total = _injectivity_terms()
    return identical(r.conclusion("noise_term"), total.subs(dist, 0)) and identical(
        r.conclusion("model_term"), total.subs(noise, 0))


def _optimisation_term_from_flow(r) -> bool:
    """‖x(t) − x_∞‖ ≤ Lip_g‖θ(t) − θ_∞‖ ≤ Lip_g ψ(Ψ⁻¹(γ(t)))/(σ_Aσ_min), γ(t) = κt + Ψ(L(0)) (GF-3, GF-5)."""
    gamma_t = _get("GF-3").conclusion("Psi_rate") * t + Psi_of(psi_mse()).subs(s, residual_0**2 / 2)
    psi_t = psi_mse().subs(s, Psi_inverse_of(psi_mse()).subs(tau_, gamma_t))
    return identical(r.conclusion("optimisation_term"),
                     Lip_g * psi_t / (sigma_A * _get("GF-5").conclusion("sigma_min_lower")))


def _recovery_bounds_add_up(r) -> bool:
    """Triangle inequality through x_∞: recovery = optimisation + injectivity terms; the measured variant uses
    ψ(L(t)) = √(2L(t)) and agrees with it when L(t) = ½‖y(0) − y‖²e^{−σ_A²σ₀²t/2}."""
    rest = _injectivity_terms()
    measured = Lip_g * psi_mse().subs(s, loss_t) / (sigma_A * _get("GF-5").conclusion("sigma_min_lower")) + rest
    flow_loss = residual_0**2 / 2 * sp.exp(-2 * _get("GF-3").conclusion("Psi_rate") * t)
    return (identical(r.conclusion("recovery_bound"), r.conclusion("optimisation_term") + rest)
            and identical(r.conclusion("recovery_bound_measured"), measured)
            and identical(r.conclusion("recovery_bound_measured").subs(loss_t, flow_loss),
                          r.conclusion("recovery_bound")))


GF_6 = Result(
    id="GF-6",
    title="Signal recovery under restricted injectivity",
    citation="P2, Thm 3.4/3.5 (#?)",
    provenance=Provenance.DERIVED,
    variant="form recalled, each term derived",
    statement=("Under GF-3 and restricted injectivity μ = μ_{A,T_{Σ′}(x̄_{Σ′})} > 0: ‖x(t) − x̄‖ ≤ "
               "(2 Lip_{𝔹(θ₀,R′)}(g)/(σ_Aσ₀)) ψ(Ψ⁻¹(γ(t))) + ‖ε‖/μ + (1 + ‖A‖/μ) dist(x̄, Σ′). Encoded for "
               "the MSE, where ψ(Ψ⁻¹(γ(t))) = ‖y(0) − y‖e^{−σ_A²σ₀²t/4}, with R·Lip_{𝔹(θ₀,R)}(J_g) ≤ σ₀/2 (GF-2). It "
               "holds as stated for any y = A x̄ + ε: the flow is that of f̃ = ½‖A g − Py‖² (GF-5), whose noise Pε "
               "has ‖Pε‖ ≤ ‖ε‖ and whose initial residual ‖y(0) − Py‖ ≤ ‖y(0) − y‖, and the measured-loss variant "
               "uses √(2L(t)) ≥ √(2f̃(t))."),
    symbols=syms("sigma_A", "sigma_0", "residual_0", "t", "Lip_g", "mu", "noise", "dist", "A_norm", "loss_t",
                 "R_prime", "R", "Lip_J", "B", "k", "V_col_max"),
    hypotheses=(R_PRIME_HYPOTHESIS, WEYL_HYPOTHESIS),
    definitions=(Quantity("R_prime", R_PRIME_MSE, "R′ = 2‖y(0) − y‖/(σ_Aσ₀)"), CERTIFIED_R_USED, LIP_J_DEFINITION),
    conclusions=(
        Quantity("recovery_bound", OPTIMISATION_TERM + NOISE_AND_MODEL_TERMS, "‖x(t) − x̄‖ ≤ this bound"),
        Quantity("recovery_bound_measured", OPTIMISATION_TERM_MEASURED + NOISE_AND_MODEL_TERMS,
                 "variant with the measured loss ψ(L_y(y(t))); never larger"),
        Quantity("optimisation_term", OPTIMISATION_TERM, "→ 0"),
        Quantity("noise_term", noise / mu, "noise error"),
        Quantity("model_term", (1 + A_norm / mu) * dist, "modelling error"),
    ),
    unconfirmed=("whether Σ′ is built on 𝔹(θ₀,R′) or 𝔹(0, R′ + ‖θ₀‖)", "how P2 handles non-convex Σ′",
                 "cone vs global form of restricted injectivity"),
    choices=("Σ′ is built on 𝔹(θ₀, R′), and restricted injectivity is used in its global form "
             "‖A(x − x̄_{Σ′})‖ ≥ μ‖x − x̄_{Σ′}‖ on Σ′, which the derivation needs; for injective A, μ = σ_min(A) "
             "is admissible, which is how the checks obtain μ.",),
    references=(P2),
    assumed_inputs=(ASSUMED_LIP_J, ("Lip_g", "Lip_g is a Lipschitz constant of g(u, ·) on 𝔹(θ₀, R′)"),
                    ("mu", "mu is a restricted-injectivity constant of A on Σ′")),
    self_checks=(mse_radius_check(), two_layer_lip_check(), weyl_radius_check(),
                 projection_step_check("recovery_bound"),
        SelfCheck("noise and model terms: restricted injectivity and the triangle inequality", _noise_and_model_split),
        SelfCheck("optimisation term: Lip_g ψ(Ψ⁻¹(γ(t)))/(σ_Aσ_min) = Lip_g‖θ(t) − θ_∞‖ bound (GF-3, GF-5)",
                  _optimisation_term_from_flow),
        SelfCheck("the recovery bounds are the sums of their terms; the variants agree on GF-5's loss",
                  _recovery_bounds_add_up),
        SelfCheck("the measured-loss variant is never larger: ψ(L(t)) ≤ ψ(Ψ⁻¹(γ(t))) when L(t) ≤ Ψ⁻¹(γ(t))",
                  lambda r: nonnegative((r.conclusion("recovery_bound") - r.conclusion("recovery_bound_measured"))
                                        .subs(loss_t, residual_0**2 / 2 * MSE_RESIDUAL_DECAY**2
                                              * sp.Symbol("shrink", positive=True) ** 2 / (1 + sp.Symbol(
                                                  "shrink", positive=True)) ** 2))),
    ),
)


def _early_stopping_time():
    """Solve ‖y(0) − y‖ e^{−σ_A²σ₀²t/4} = ‖ε‖ for t (SymPy)."""
    (solution,) = sp.solve(sp.Eq(residual_0 * MSE_RESIDUAL_DECAY, noise), t)
    return solution


T_STAR = _early_stopping_time()
_q = sp.Symbol("q", positive=True)  # ‖y(0) − y‖ = ‖ε‖e^{±q}


def _projected_residual() -> sp.Expr:
    """GF-5's bound √(2f̃(t)) on ‖y(t) − Py‖, at its largest ‖y(0) − Py‖ = ‖y(0) − y‖ (y_perp = 0)."""
    gf5 = _get("GF-5")
    return sp.sqrt(2 * (gf5.conclusion("loss_bound") - gf5.conclusion("loss_floor"))).subs(y_perp, 0)


def _t_star_solves(r) -> bool:
    (solution,) = sp.solve(sp.Eq(_projected_residual(), noise), t)
    above, below = {residual_0: noise * sp.exp(_q)}, {residual_0: noise * sp.exp(-_q)}
    return identical(r.conclusion("t_star").subs(above), solution.subs(above)) and identical(
        r.conclusion("t_star").subs(below), 0)


def _floor_at_t_star(r) -> bool:
    above = {residual_0: noise * sp.exp(_q)}
    return identical(r.conclusion("prediction_bound").subs(above).subs(t, r.conclusion("t_star").subs(above)),
                     r.conclusion("floor").subs(above))

GF_7 = Result(
    id="GF-7",
    title="Prediction bound and early-stopping time",
    citation="P1, recovery prediction bound (existence confirmed; formula derived)",
    provenance=Provenance.DERIVED,
    statement=("For the MSE with ȳ = A x̄ and ‖y − ȳ‖ = ‖ε‖: ‖y(t) − ȳ‖ ≤ ‖y(0) − y‖e^{−σ_A²σ₀²t/4} + ‖ε‖, "
               "hence ‖y(t) − ȳ‖ ≤ 2‖ε‖ as soon as t ≥ t* = (4/(σ_A²σ₀²)) log(‖y(0) − y‖/‖ε‖), under GF-5's "
               "hypotheses (R′ < R, R·Lip_{𝔹(θ₀,R)}(J_g) ≤ σ₀/2). It holds as stated for any ε: y(t) ∈ Im(A) gives "
               "‖y(t) − ȳ‖ ≤ ‖y(t) − Py‖ + ‖Pε‖ with ‖y(t) − Py‖ ≤ ‖y(0) − Py‖e^{−σ_A²σ₀²t/4} (GF-5), "
               "‖y(0) − Py‖ ≤ ‖y(0) − y‖ and ‖Pε‖ ≤ ‖ε‖."),
    symbols=syms("sigma_A", "sigma_0", "residual_0", "noise", "t", "R_prime", "R", "Lip_J", "B", "k", "V_col_max"),
    hypotheses=(R_PRIME_HYPOTHESIS, WEYL_HYPOTHESIS,
                Hypothesis("noise>0", sp.StrictGreaterThan(noise, 0), "the observation is noisy (t* needs ‖ε‖ > 0)")),
    definitions=(Quantity("R_prime", R_PRIME_MSE, "R′ = 2‖y(0) − y‖/(σ_Aσ₀)"), CERTIFIED_R_USED, LIP_J_DEFINITION),
    conclusions=(
        Quantity("prediction_bound", residual_0 * MSE_RESIDUAL_DECAY + noise, "‖y(t) − ȳ‖ ≤ this bound"),
        Quantity("t_star", sp.Max(0, T_STAR), "early-stopping time: ‖y(t) − ȳ‖ ≤ 2‖ε‖ for t ≥ t*"),
        Quantity("floor", 2 * noise, "the level reached at t*"),
    ),
    unconfirmed=("the exact form in P1 and the early-stopping discussion in P2",),
    references=(P1, P2),
    assumed_inputs=(ASSUMED_LIP_J,),
    self_checks=(mse_radius_check(), two_layer_lip_check(), weyl_radius_check(),
                 projection_step_check("prediction_bound"),
        SelfCheck("‖y(t) − ȳ‖ ≤ ‖y(t) − Py‖ + ‖Pε‖ ≤ GF-5's √(2f̃(t)) at ‖y(0) − Py‖ ≤ ‖y(0) − y‖, plus ‖ε‖",
                  lambda r: identical(r.conclusion("prediction_bound"), _projected_residual() + noise)),
        SelfCheck("t* solves GF-5's ‖y(0) − y‖e^{−κt} = ‖ε‖ when ‖y(0) − y‖ > ‖ε‖, and is 0 otherwise", _t_star_solves),
        SelfCheck("at t*, the prediction bound equals the floor", _floor_at_t_star),
    ),
)

RESULTS = (GF_1, GF_2, GF_3, GF_4, GF_5, GF_6, GF_7)
