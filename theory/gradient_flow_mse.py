"""Gradient flow for the MSE ½‖A g(u, θ) − y‖²: residual decay (GF-5), signal recovery (GF-6), prediction bound
and early-stopping time (GF-7).

Papers: [P1] Buskulic, Quéau, Fadili, SSVM 2023; [P2] Buskulic, Fadili, Quéau, JMIV 2024 (`theory.gradient_flow`,
which holds the general KL case GF-1 … GF-4 and the shared hypotheses and checks).

Choice where the sources disagree: the optimisation term of the recovery bound uses ψ(Ψ⁻¹(γ(t))) (GF-6 as
recalled); the variant with the measured loss, ψ(L_y(y(t))), is encoded beside it since it is never larger.
"""

from __future__ import annotations

import sympy as sp

from ipverify.theory._core import Hypothesis, Provenance, Quantity, Result, SelfCheck
from ipverify.theory._proofs import identical, nonnegative
from ipverify.theory.gradient_flow import (
    ASSUMED_LIP_J,
    CERTIFIED_R_USED,
    HALF,
    LIP_J_DEFINITION,
    MSE_LOSS_FLOOR,
    MSE_RESIDUAL_DECAY,
    P1,
    P2,
    PSI_RATE,
    R_PRIME_HYPOTHESIS,
    R_PRIME_MSE,
    WEYL_HYPOTHESIS,
    Y_PERP_HYPOTHESIS,
    R_prime,
    _get,
    alpha,
    c,
    floor_form_check,
    loss_0,
    mse_loss_with_floor,
    mse_radius,
    mse_radius_check,
    pythagoras_floor,
    residual_0,
    sigma_0,
    sigma_A,
    sigma_min_check,
    t,
    two_layer_lip_check,
    weyl_radius_check,
    y_perp,
)
from ipverify.theory.kl import Psi_inverse_of, Psi_of, mse_kl_equality, psi_mse, s, tau_
from ipverify.theory.symbols import S, syms

Lip_g, mu, noise, dist, A_norm, loss_t = S("Lip_g"), S("mu"), S("noise"), S("dist"), S("A_norm"), S("loss_t")


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
    references=(P1,),
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
    references=(P2,),
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


T_STAR = 4 * sp.log(residual_0 / noise) / (sigma_0**2 * sigma_A**2)
"""The t solving ‖y(0) − y‖ e^{−σ_A²σ₀²t/4} = ‖ε‖, which GF-7's self-check solves (`_t_star_solves`)."""
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
        Quantity("t_star", sp.Max(0, T_STAR, evaluate=False), "early-stopping time: ‖y(t) − ȳ‖ ≤ 2‖ε‖ for t ≥ t*"),
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

RESULTS = (GF_5, GF_6, GF_7)
