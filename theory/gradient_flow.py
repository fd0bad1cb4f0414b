"""Gradient flow on L_y(A g(u, θ)) for a general network: GF-1 … GF-7 (../shared/theory/01).

Papers: [P1] Buskulic, Quéau, Fadili, SSVM 2023 (arXiv:2303.11265); [P2] Buskulic, Fadili, Quéau,
JMIV 2024 (arXiv:2309.12128). Theorem numbers marked (#?) are recalled, not verified.

Choices on the notes' discrepancies (README of ../shared/theory, items 6 and 7):
- The Łojasiewicz function is written ψ(s) = c s^α (01's convention); 02's c s^{1−α} is the same
  family with α ↦ 1 − α, and both agree at α = ½, the only exponent the checks use.
- The optimisation term of the recovery bound uses ψ(Ψ⁻¹(γ(t))) (GF-6 as recalled); the variant with
  the measured loss, ψ(L_y(y(t))), is encoded beside it since it is never larger.
"""

from __future__ import annotations

import sympy as sp

from theory._core import Hypothesis, Provenance, Quantity, Result, SelfCheck
from theory._proofs import identical, nonnegative
from theory.kl import Psi_inverse_of, Psi_of, mse_kl_equality, psi_lojasiewicz, psi_mse, s, tau_
from theory.symbols import S, syms

P1 = "Buskulic, Quéau, Fadili. Convergence Guarantees of Overparametrized Wide Deep Inverse Prior. SSVM 2023."
P2 = ("Buskulic, Fadili, Quéau. Convergence and Recovery Guarantees of Unsupervised Neural Networks for "
      "Inverse Problems. JMIV 2024.")
NOTES = "../shared/theory/01-gradient-flow.md"

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


def certified_radius_two_layer():
    """The largest R with (B/√k)·R·(2 + max_i‖V_{:,i}(0)‖ + R) ≤ σ₀/2 (GF-10 plugged into GF-2).

    Solved by SymPy from the defining equation, keeping the positive root.
    """
    B, k, c, r = S("B"), S("k"), S("V_col_max"), sp.Symbol("r", positive=True)
    roots = sp.solve(sp.Eq(B / sp.sqrt(k) * r * (2 + c + r), sigma_0 / 2), r)
    return next(root for root in roots if root.subs({B: 1, k: 1, c: 1, sigma_0: 1}).is_positive)


CERTIFIED_R = Quantity("R", certified_radius_two_layer(),
                       "largest certified radius for the two-layer DIP, from GF-10 (used when R is not given)")
R_PRIME_HYPOTHESIS = Hypothesis("R_prime<R", sp.StrictLessThan(R_prime, R),
                                "the implicit-regularisation radius is inside the conditioning radius")


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
    references=(P2, NOTES + " GF-1"),
    self_checks=(SelfCheck("d/dt f(θ(t)) = −‖θ̇‖² along the flow (chain rule)", _flow_time_derivative_of_loss),),
)


GF_2 = Result(
    id="GF-2",
    title="The Jacobian stays well conditioned on 𝔹(θ₀, R)",
    citation="used in P1 and P2 (derived here)",
    provenance=Provenance.DERIVED,
    statement=("If R·Lip_{𝔹(θ₀,R)}(J_g) ≤ σ_min(J_g(θ₀))/2, then by Weyl's inequality "
               "σ_min(J_g(θ)) ≥ σ_min(J_g(θ₀)) − Lip·‖θ − θ₀‖ ≥ σ_min(J_g(θ₀))/2 on 𝔹(θ₀, R)."),
    symbols=syms("sigma_0", "Lip_J", "R"),
    hypotheses=(Hypothesis("R*Lip_J<=sigma_0/2", sp.LessThan(R * S("Lip_J"), sigma_0 / 2),
                           "the ball is within the Weyl radius"),),
    definitions=(Quantity("R", sigma_0 / (2 * S("Lip_J")), "the largest such radius σ₀/(2 Lip)"),),
    conclusions=(Quantity("sigma_min_lower", sigma_0 - S("Lip_J") * R,
                          "σ_min(J_g(θ)) ≥ σ₀ − Lip·R on 𝔹(θ₀, R)"),),
    references=(P1, P2, NOTES + " GF-2"),
    self_checks=(SelfCheck("σ₀ − Lip·R = σ₀/2 at R = σ₀/(2 Lip)",
                           lambda: identical((sigma_0 - S("Lip_J") * R).subs(R, sigma_0 / (2 * S("Lip_J"))),
                                             sigma_0 / 2)),),
)


def _kl_chain_rule() -> bool:
    """L̇ ≤ −κ/ψ′(L)² ⇒ d/dt Ψ(L) ≥ κ: d/dt Ψ(L) − κ = −ψ′² (L̇ + κ/ψ′²) with −ψ′² < 0."""
    Ldot, p, kappa = sp.Symbol("Ldot", real=True), sp.Symbol("p", positive=True), sp.Symbol("kappa", positive=True)
    dPsi_dt = -(p**2) * Ldot
    return identical(dPsi_dt - kappa, -(p**2) * (Ldot + kappa / p**2))


def _path_length_inequality() -> bool:
    """dψ(L)/dt + (σ_Aσ₀/2)‖θ̇‖ = −‖θ̇‖(ψ′‖θ̇‖ − σ_Aσ₀/2) ≤ 0 when ψ′‖θ̇‖ ≥ σ_Aσ₀/2 (KL + GF-2)."""
    v, p = sp.Symbol("v", positive=True), sp.Symbol("p", positive=True)
    dpsi_dt = p * (-(v**2))  # ψ′(L) L̇ with L̇ = −‖θ̇‖²
    excess = sp.Symbol("excess", nonnegative=True)  # ψ′‖θ̇‖ − σ_Aσ₀/2 ≥ 0
    lhs = (dpsi_dt + sigma_A * sigma_0 / 2 * v).subs(p, (excess + sigma_A * sigma_0 / 2) / v)
    return nonnegative(-lhs)


GF_3 = Result(
    id="GF-3",
    title="Convergence of the loss and the parameters for a KL loss",
    citation="P2, Thm 3.2 (#?)",
    provenance=Provenance.DERIVED,
    variant="structure recalled, constants derived",
    statement=("Under (A-1)–(A-3), σ₀ = σ_min(J_g(θ₀)) > 0 and R′ < R with R′ = 2ψ(L_y(y(0)))/(σ_Aσ₀): "
               "θ(t) ∈ 𝔹(θ₀, R′) for all t, L_y(y(t)) ≤ Ψ⁻¹(σ_A²σ₀²t/4 + Ψ(L_y(y(0)))), and θ(t) → θ_∞ with "
               "A g(u, θ_∞) = y and ‖θ(t) − θ_∞‖ ≤ (2/(σ_Aσ₀)) ψ(Ψ⁻¹(γ(t)))."),
    symbols=syms("sigma_A", "sigma_0", "psi_0", "R_prime", "R", "B", "k", "V_col_max"),
    hypotheses=(R_PRIME_HYPOTHESIS,),
    definitions=(Quantity("R_prime", R_PRIME_KL, "implicit-regularisation radius"), CERTIFIED_R),
    conclusions=(Quantity("theta_dist_bound", R_prime, "‖θ(t) − θ₀‖ ≤ R′"),
                 Quantity("Psi_rate", PSI_RATE, "d/dt Ψ(L_y(y(t))) ≥ σ_A²σ₀²/4 (γ(t) grows at this rate)"),
                 Quantity("sigma_min_lower", sigma_0 / 2, "σ_min(J_g(θ(t))) ≥ σ₀/2")),
    unconfirmed=("theorem number", "form of γ(t) (the derivation forces it)",
                 "how P2 defines σ_A (σ_min(A), restricted version, or ∇L_y ∈ Im(A))"),
    choices=("R may be given, or filled in from the two-layer certified radius of GF-10 when k, B and "
             "max_i‖V_{:,i}(0)‖ are given.",),
    references=(P2, NOTES + " GF-3"),
    self_checks=(SelfCheck("L̇ ≤ −κ/ψ′(L)² implies d/dt Ψ(L) ≥ κ", _kl_chain_rule),
                 SelfCheck("‖θ̇‖ ≤ −(2/(σ_Aσ₀)) dψ(L)/dt, hence ‖θ(t) − θ₀‖ ≤ R′", _path_length_inequality),
                 SelfCheck("the certified radius solves (B/√k)R(2 + c + R) = σ₀/2",
                           lambda: identical(S("B") / sp.sqrt(S("k")) * CERTIFIED_R.expr
                                             * (2 + S("V_col_max") + CERTIFIED_R.expr), sigma_0 / 2))),
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


def _solves_rate_ode(bound, alpha_value) -> bool:
    """Ψ(ℓ(t)) − Ψ(ℓ(0)) = κt for ψ = c s^α at a given α (Ψ by SymPy integration)."""
    psi = psi_lojasiewicz(c, alpha_value)
    Psi = Psi_of(psi)
    ell = bound.subs(alpha, alpha_value)
    return identical(Psi.subs(s, ell) - Psi.subs(s, loss_0), PSI_RATE * t) and identical(ell.subs(t, 0), loss_0)


def _finite_time_hits_zero(alpha_value) -> bool:
    """For α > ½ the equality solution (L(0)^{2α−1} − (2α−1)κ′t)^{1/(2α−1)} vanishes at the stated time."""
    Psi = Psi_of(psi_lojasiewicz(c, alpha_value))
    # Ψ(ℓ) = −c²α²/(2α−1) ℓ^{2α−1} is finite at ℓ = 0, so ℓ reaches 0 when κt = Ψ(0) − Ψ(L(0)).
    hitting_time = (sp.limit(Psi, s, 0, "+") - Psi.subs(s, loss_0)) / PSI_RATE
    return identical(hitting_time, FINITE_TIME.subs(alpha, alpha_value))


GF_4 = Result(
    id="GF-4",
    title="Łojasiewicz rates: exponential, polynomial or finite-time convergence",
    citation="P2, corollary of Thm 3.2 (#?)",
    provenance=Provenance.DERIVED,
    statement=("Under GF-3 with ψ(s) = c s^α: α = ½ gives L(t) ≤ L(0) exp(−σ_A²σ₀²t/c²); α ∈ ]0,½[ gives "
               "L(t) ≤ [L(0)^{−(1−2α)} + (1−2α)σ_A²σ₀²t/(4c²α²)]^{−1/(1−2α)}; α ∈ ]½,1] gives L(t) = 0 for "
               "t ≥ 4c²α²L(0)^{2α−1}/((2α−1)σ_A²σ₀²)."),
    symbols=syms("sigma_A", "sigma_0", "loss_0", "t", "c_KL", "alpha_KL"),
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
    references=(P2, NOTES + " GF-4"),
    self_checks=(
        SelfCheck("α = ½: L(0)exp(−σ_A²σ₀²t/c²) solves Ψ(ℓ(t)) = Ψ(L(0)) + σ_A²σ₀²t/4",
                  lambda: _solves_rate_ode(EXPONENTIAL, sp.Rational(1, 2))),
        SelfCheck("α ∈ {1/4, 1/3, 2/5}: the polynomial bound solves the same equation",
                  lambda: all(_solves_rate_ode(POLYNOMIAL, sp.Rational(*a)) for a in ((1, 4), (1, 3), (2, 5)))),
        SelfCheck("α ∈ {3/4, 1}: the loss reaches zero at the stated finite time",
                  lambda: all(_finite_time_hits_zero(sp.Rational(*a)) for a in ((3, 4), (1, 1)))),
    ),
)


def _mse_Psi_pair() -> bool:
    Psi, Psi_inv = Psi_of(psi_mse()), Psi_inverse_of(psi_mse())
    return (identical(Psi, -sp.log(s) / 2) and identical(Psi_inv, sp.exp(-2 * tau_))
            and identical(Psi_inv.subs(tau_, Psi), s) and identical(Psi.subs(s, Psi_inv), tau_))


def _mse_rate_from_kl() -> bool:
    """Ψ⁻¹(σ_A²σ₀²t/4 + Ψ(L(0))) = L(0)e^{−σ_A²σ₀²t/2}, so ‖y(t) − y‖ = √(2L) decays at σ_A²σ₀²/4."""
    loss_bound = Psi_inverse_of(psi_mse()).subs(tau_, PSI_RATE * t + Psi_of(psi_mse()).subs(s, loss_0))
    residual_bound = sp.sqrt(2 * loss_bound).subs(loss_0, residual_0**2 / 2)
    return identical(loss_bound, loss_0 * sp.exp(-2 * PSI_RATE * t)) and identical(
        residual_bound, residual_0 * MSE_RESIDUAL_DECAY)


GF_5 = Result(
    id="GF-5",
    title="MSE case: exponential decay of the residual",
    citation="P1, main deterministic theorem (#?)",
    provenance=Provenance.DERIVED,
    variant="structure recalled, constants derived",
    statement=("For the MSE, if σ₀ > 0 and R′ = 2‖A g(u,θ₀) − y‖/(σ_Aσ₀) < R, then ‖y(t) − y‖ ≤ "
               "‖y(0) − y‖ exp(−σ_A²σ₀²t/4), L(t) ≤ L(0) exp(−σ_A²σ₀²t/2), ‖θ(t) − θ₀‖ ≤ R′, "
               "σ_min(J_g(θ(t))) ≥ σ₀/2 and ‖θ(t) − θ_∞‖ ≤ R′ exp(−σ_A²σ₀²t/4)."),
    symbols=syms("sigma_A", "sigma_0", "residual_0", "t", "R_prime", "R", "B", "k", "V_col_max"),
    hypotheses=(R_PRIME_HYPOTHESIS,),
    definitions=(Quantity("R_prime", R_PRIME_MSE, "R′ = 2‖y(0) − y‖/(σ_Aσ₀)"), CERTIFIED_R),
    conclusions=(
        Quantity("residual_bound", residual_0 * MSE_RESIDUAL_DECAY, "‖y(t) − y‖ ≤ this bound"),
        Quantity("loss_bound", residual_0**2 / 2 * MSE_RESIDUAL_DECAY**2, "L(t) ≤ this bound"),
        Quantity("theta_dist_bound", R_prime, "‖θ(t) − θ₀‖ ≤ R′"),
        Quantity("theta_limit_bound", R_prime * MSE_RESIDUAL_DECAY, "‖θ(t) − θ_∞‖ ≤ this bound"),
        Quantity("sigma_min_lower", sigma_0 / 2, "σ_min(J_g(θ(t))) ≥ σ₀/2"),
        Quantity("residual_rate", PSI_RATE, "exponential rate of the residual"),
    ),
    unconfirmed=("P1's exact statement and theorem number",),
    choices=("R may be given, or filled in from the two-layer certified radius (GF-10).",),
    references=(P1, NOTES + " GF-5"),
    self_checks=(
        SelfCheck("ψ(s) = √(2s) satisfies the KL inequality for the MSE with equality",
                  lambda: identical(mse_kl_equality(), 1)),
        SelfCheck("Ψ(s) = −½ log s and Ψ⁻¹(τ) = e^{−2τ} are mutual inverses (Ψ integrated from ψ)", _mse_Psi_pair),
        SelfCheck("GF-3's rate gives ‖y(t) − y‖ ≤ ‖y(0) − y‖e^{−σ_A²σ₀²t/4} for the MSE", _mse_rate_from_kl),
        SelfCheck("GF-4 at c = √2, α = ½ is GF-5's loss rate",
                  lambda: identical(EXPONENTIAL.subs(c, sp.sqrt(2)), loss_0 * MSE_RESIDUAL_DECAY**2)),
    ),
)


Lip_g, mu, noise, dist, A_norm, loss_t = S("Lip_g"), S("mu"), S("noise"), S("dist"), S("A_norm"), S("loss_t")
OPTIMISATION_TERM = 2 * Lip_g / (sigma_A * sigma_0) * residual_0 * MSE_RESIDUAL_DECAY
OPTIMISATION_TERM_MEASURED = 2 * Lip_g / (sigma_A * sigma_0) * sp.sqrt(2 * loss_t)
NOISE_AND_MODEL_TERMS = noise / mu + (1 + A_norm / mu) * dist


def _recovery_term_mse() -> bool:
    """ψ(Ψ⁻¹(γ(t))) = ‖y(0) − y‖ e^{−σ_A²σ₀²t/4} for the MSE (GF-6)."""
    gamma_t = PSI_RATE * t + Psi_of(psi_mse()).subs(s, residual_0**2 / 2)
    return identical(psi_mse().subs(s, Psi_inverse_of(psi_mse()).subs(tau_, gamma_t)), residual_0 * MSE_RESIDUAL_DECAY)


GF_6 = Result(
    id="GF-6",
    title="Signal recovery under restricted injectivity",
    citation="P2, Thm 3.4/3.5 (#?)",
    provenance=Provenance.DERIVED,
    variant="form recalled, each term derived",
    statement=("Under GF-3 and restricted injectivity μ = μ_{A,T_{Σ′}(x̄_{Σ′})} > 0: ‖x(t) − x̄‖ ≤ "
               "(2 Lip_{𝔹(θ₀,R′)}(g)/(σ_Aσ₀)) ψ(Ψ⁻¹(γ(t))) + ‖ε‖/μ + (1 + ‖A‖/μ) dist(x̄, Σ′). Encoded for "
               "the MSE, where ψ(Ψ⁻¹(γ(t))) = ‖y(0) − y‖e^{−σ_A²σ₀²t/4}."),
    symbols=syms("sigma_A", "sigma_0", "residual_0", "t", "Lip_g", "mu", "noise", "dist", "A_norm", "loss_t",
                 "R_prime", "R", "B", "k", "V_col_max"),
    hypotheses=(R_PRIME_HYPOTHESIS,),
    definitions=(Quantity("R_prime", R_PRIME_MSE, "R′ = 2‖y(0) − y‖/(σ_Aσ₀)"), CERTIFIED_R),
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
    references=(P2, NOTES + " GF-6"),
    self_checks=(
        SelfCheck("ψ(Ψ⁻¹(γ(t))) = ‖y(0) − y‖e^{−σ_A²σ₀²t/4} for the MSE", _recovery_term_mse),
        SelfCheck("the measured-loss variant is never larger: ψ(L(t)) ≤ ψ(Ψ⁻¹(γ(t))) when L(t) ≤ Ψ⁻¹(γ(t))",
                  lambda: nonnegative((OPTIMISATION_TERM - OPTIMISATION_TERM_MEASURED)
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

GF_7 = Result(
    id="GF-7",
    title="Prediction bound and early-stopping time",
    citation="P1, recovery prediction bound (existence confirmed; formula derived)",
    provenance=Provenance.DERIVED,
    statement=("For the MSE with ȳ = A x̄ and ‖y − ȳ‖ = ‖ε‖: ‖y(t) − ȳ‖ ≤ ‖y(0) − y‖e^{−σ_A²σ₀²t/4} + ‖ε‖, "
               "hence ‖y(t) − ȳ‖ ≤ 2‖ε‖ as soon as t ≥ t* = (4/(σ_A²σ₀²)) log(‖y(0) − y‖/‖ε‖)."),
    symbols=syms("sigma_A", "sigma_0", "residual_0", "noise", "t", "R_prime", "R", "B", "k", "V_col_max"),
    hypotheses=(R_PRIME_HYPOTHESIS,
                Hypothesis("noise>0", sp.StrictGreaterThan(noise, 0), "the observation is noisy (t* needs ‖ε‖ > 0)")),
    definitions=(Quantity("R_prime", R_PRIME_MSE, "R′ = 2‖y(0) − y‖/(σ_Aσ₀)"), CERTIFIED_R),
    conclusions=(
        Quantity("prediction_bound", residual_0 * MSE_RESIDUAL_DECAY + noise, "‖y(t) − ȳ‖ ≤ this bound"),
        Quantity("t_star", sp.Max(0, T_STAR), "early-stopping time: ‖y(t) − ȳ‖ ≤ 2‖ε‖ for t ≥ t*"),
        Quantity("floor", 2 * noise, "the level reached at t*"),
    ),
    unconfirmed=("the exact form in P1 and the early-stopping discussion in P2",),
    references=(P1, P2, NOTES + " GF-7"),
    self_checks=(
        SelfCheck("t* = (4/(σ_A²σ₀²)) log(‖y(0) − y‖/‖ε‖) (solved by SymPy)",
                  lambda: identical(T_STAR, 4 / (sigma_A**2 * sigma_0**2) * sp.log(residual_0 / noise))),
        SelfCheck("at t*, the prediction bound equals 2‖ε‖",
                  lambda: identical((residual_0 * MSE_RESIDUAL_DECAY + noise).subs(t, T_STAR), 2 * noise)),
    ),
)

RESULTS = (GF_1, GF_2, GF_3, GF_4, GF_5, GF_6, GF_7)
