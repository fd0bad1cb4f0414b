"""Background results of the inertial DIP: IN-B1 … IN-B8 (heavy ball, ACFR's DIN and IGAHD-SC, vanishing damping,
INNA), each from its own paper, used by the IN records of `theory.inertia` as reference points.

Every record here is BACKGROUND: it cites its source, not the DIP paper, and its self-checks live in
`theory._inertia_background_checks`.
"""

from __future__ import annotations

import functools

import sympy as sp

from ipverify.theory import _inertia_background_checks as background
from ipverify.theory import _inertia_checks as checks
from ipverify.theory._core import Hypothesis, Provenance, Quantity, Result, SelfCheck
from ipverify.theory._pinning import equal, geometric
from ipverify.theory.inertia import (
    AABR,
    ACFR,
    AGV,
    AMT,
    APR,
    INNA,
    KW,
    POLYAK,
    L,
    alpha,
    beta,
    grad_norm_0,
    mu_PL,
    mu_SC,
    s_step,
    t,
    tau,
)
from ipverify.theory.symbols import S, syms

# evaluate=False where SymPy cannot decide a relation: the same relation, built without the attempt (faster import)
STRONG_CONVEXITY = Hypothesis("mu_SC<=sc_modulus", sp.LessThan(mu_SC, S("sc_modulus")),
                              "f is μ-strongly convex: μ is at most a certified strong-convexity modulus of f (none "
                              "exists for the non-convex DIP, so a DIP run is a measurement)")
SC_ASSUMED = ("sc_modulus", "f is sc_modulus-strongly convex on the whole space")

IN_B1 = Result(
    id="IN-B1",
    title="Heavy ball on a strongly convex function",
    citation="standard (Polyak 1964), stated e.g. in a 2024 Attouch paper",
    provenance=Provenance.BACKGROUND,
    variant="standard, CONFIRMED",
    statement=("ẍ + 2√μẋ + ∇f(x) = 0 with f μ-strongly convex: f(x(t)) − min f = O(e^{−√μt}); E = f − f* + "
               "½‖ẋ + √μ(x − x*)‖² satisfies Ė ≤ −√μE. Gradient flow gives e^{−2μt} on values."),
    symbols=syms("mu_SC", "t", "sc_modulus"),
    hypotheses=(STRONG_CONVEXITY,),
    conclusions=(Quantity("alpha", 2 * sp.sqrt(mu_SC), "viscous damping 2√μ"),
                 Quantity("value_rate", sp.sqrt(mu_SC), "exponential rate of f − min f"),
                 Quantity("gf_value_rate", 2 * mu_SC, "gradient flow's rate"),
                 Quantity("value_factor", sp.exp(-sp.sqrt(mu_SC) * t), "f(x(t)) − min f = O(this)")),
    assumed_inputs=(SC_ASSUMED,),
    references=(POLYAK,),
    self_checks=(SelfCheck("on f = μx²/2 with damping alpha: Ė + value_rate·E = −(√μ/2)ẋ² ≤ 0; value_factor = "
                           "e^{−value_rate·t}", background.heavy_ball_rates),
                 SelfCheck("gradient flow on f = μx²/2: −d/dt log f(x(t)) = gf_value_rate",
                           background.gradient_flow_value_rate)),
)


IN_B2 = Result(
    id="IN-B2",
    title="ACFR Theorem 7: DIN on a strongly convex function",
    citation="ACFR, Math. Program. 2022, Thm 7 (arXiv:1907.10536v2 p. 19)",
    provenance=Provenance.BACKGROUND,
    variant="CONFIRMED: exact statement",
    statement=("f ∈ C², μ-strongly convex, 0 ≤ β ≤ 1/(2√μ), ẍ + 2√μẋ + β∇²f(x)ẋ + ∇f(x) = 0 on [t₀, ∞): "
               "(μ/2)‖x(t) − x*‖² ≤ f(x(t)) − min f ≤ C e^{−(√μ/2)(t − t₀)} with C = f(x(t₀)) − min f + "
               "μ‖x(t₀) − x*‖² + ‖ẋ(t₀) + β∇f(x(t₀))‖²; e^{−√μt}∫e^{√μs}‖∇f‖² ≤ C₁e^{−(√μ/2)t}; "
               "∫e^{(√μ/2)t}‖ẋ‖² < ∞; β = 0: O(e^{−√μt}). Key step: (μ/4)X² + (β/(2√μ))Y² − β√μXY ≥ 0 ⇔ β ≤ 1/(2√μ)."),
    symbols=syms("mu_SC", "beta", "t", "sc_modulus"),
    hypotheses=(STRONG_CONVEXITY,
                Hypothesis("beta<=1/(2*sqrt(mu))", sp.LessThan(beta, 1 / (2 * sp.sqrt(mu_SC)), evaluate=False),
                           "Hessian damping small enough")),
    conclusions=(Quantity("alpha", 2 * sp.sqrt(mu_SC), "viscous damping 2√μ"),
                 Quantity("value_rate", sp.sqrt(mu_SC) / 2, "exponential rate of f − min f"),
                 Quantity("beta_max", 1 / (2 * sp.sqrt(mu_SC)), "largest admissible β"),
                 Quantity("value_factor", sp.exp(-sp.sqrt(mu_SC) * t / 2), "f − min f ≤ C × this (t₀ = 0)"),
                 Quantity("heavy_ball_rate", sp.sqrt(mu_SC), "rate at β = 0")),
    assumed_inputs=(SC_ASSUMED,),
    references=(ACFR,),
    self_checks=(SelfCheck("β = 0 is IN-B1's heavy ball (damping, Lyapunov identity at heavy_ball_rate); value_rate is "
                           "half of it, value_factor = e^{−value_rate·t}", background.acfr_heavy_ball_limit),
                 SelfCheck("the key quadratic form is singular at beta_max > 0, the hypothesis' bound",
                           background.acfr_beta_max),
                 SelfCheck("the key quadratic form is PSD ⇔ β ≤ beta_max (solveset)", background.acfr_quadratic_form),
                 SelfCheck("on every f = λx²/2, λ ≥ μ, and 0 ≤ β ≤ beta_max: Ė + value_rate·E ≤ 0 for E = f + "
                           "½(√μx + ẋ + β∇f)² (the rate √μ would fail)", background.acfr_rate_on_quadratics)),
)

_R_IG = sp.sqrt(mu_SC * s_step)
_RHS_26 = (sp.sqrt(mu_SC) / (2 * s_step) + mu_SC / sp.sqrt(s_step)) / (
    2 * beta * mu_SC + 1 / sp.sqrt(s_step) + sp.sqrt(mu_SC) / 2)


@functools.cache
def _solve_condition_26():
    """(26) ⇔ Q(σ) ≤ 0, σ = √s, Q(σ) = (2βμ + √μ/2)Lσ² + (L − μ)σ − √μ/2; the largest s is the positive root²."""
    sig = sp.Symbol("sigma", positive=True)
    Q = (2 * beta * mu_SC + sp.sqrt(mu_SC) / 2) * L * sig**2 + (L - mu_SC) * sig - sp.sqrt(mu_SC) / 2
    sample = {beta: sp.Rational(1, 10), mu_SC: sp.Rational(1, 4), L: 2}
    (root,) = [r for r in sp.solve(Q, sig) if r.subs(sample).is_positive]
    return root


S_MAX_26 = ((-L + mu_SC + sp.sqrt(L**2 + 4 * L * beta * mu_SC ** sp.Rational(3, 2) - L * mu_SC + mu_SC**2))
            / (L * (4 * beta * mu_SC + sp.sqrt(mu_SC)))) ** 2
"""The positive root of (26)'s Q, squared: IN-B3's self-checks solve Q (`_solve_condition_26`)."""


IN_B3 = Result(
    id="IN-B3",
    title="ACFR Theorem 11: IGAHD-SC, explicit discretisation of DIN (strongly convex)",
    citation="ACFR, Math. Program. 2022, Thm 11 (arXiv:1907.10536v2 pp. 28–29)",
    provenance=Provenance.BACKGROUND,
    variant="CONFIRMED: exact statement",
    statement=("f ∈ C¹ μ-strongly convex (μ ≤ a certified modulus of f) with L-Lipschitz gradient on the whole "
               "space, s > 0, 0 ≤ β ≤ 1/√μ, 8βL ≤ √μ and (26) "
               "L ≤ (√μ/(2s) + μ/√s)/(2βμ + 1/√s + √μ/2). With r = √(μs): x_{k+1} = x_k + ((1 − r)/(1 + r))(x_k − "
               "x_{k−1}) − (β√s/(1 + r))(∇f(x_k) − ∇f(x_{k−1})) − (s/(1 + r))∇f(x_k). With q = (1 + ½√(μs))⁻¹ and "
               "θ = (1 + √(μs))⁻¹: ‖x_k − x*‖ = O(q^{k/2}), f(x_k) − f* = O(q^k), θ^kΣθ^{−j}‖∇f(x_j)‖² = O(q^k); "
               "E_k = f(x_k) − f* + ½‖v_k‖², v_k = √μ(x_{k−1} − x*) + (x_k − x_{k−1})/√s + β∇f(x_{k−1}), "
               "E_k ≤ E₁q^{k−1}."),
    symbols=syms("mu_SC", "s_step", "beta", "L", "tau", "sc_modulus", "energy_1"),
    hypotheses=(
        STRONG_CONVEXITY,
        Hypothesis("beta<=1/sqrt(mu)", sp.LessThan(beta, 1 / sp.sqrt(mu_SC), evaluate=False),
                   "Hessian damping bound"),
        Hypothesis("8*beta*L<=sqrt(mu)", sp.LessThan(8 * beta * L, sp.sqrt(mu_SC), evaluate=False),
                   "Hessian damping vs smoothness"),
        Hypothesis("condition (26)", sp.LessThan(L, _RHS_26, evaluate=False), "step condition (26)"),
    ),
    conclusions=(
        Quantity("r", _R_IG, "r = √(μs)"),
        Quantity("q", 1 / (1 + _R_IG / 2), "linear rate q of the values"),
        Quantity("theta_weight", 1 / (1 + _R_IG), "the scalar θ = (1 + √(μs))⁻¹ of the theorem"),
        Quantity("momentum", (1 - _R_IG) / (1 + _R_IG), "coefficient of x_k − x_{k−1}"),
        Quantity("hessian_coefficient", beta * sp.sqrt(s_step) / (1 + _R_IG), "coefficient of ∇f(x_k) − ∇f(x_{k−1})"),
        Quantity("gradient_coefficient", s_step / (1 + _R_IG), "coefficient of ∇f(x_k)"),
        Quantity("s_max", S_MAX_26, "largest step satisfying (26) (solved)"),
        Quantity("value_factor", (1 / (1 + _R_IG / 2)) ** tau, "f(x_k) − f* = O(this), k = tau"),
        Quantity("distance_factor", (1 / (1 + _R_IG / 2)) ** (tau / 2), "‖x_k − x*‖ = O(this)"),
        Quantity("log_rate", sp.log(1 + _R_IG / 2), "per-iteration exponential rate −log q"),
        Quantity("energy_bound", S("energy_1") * (1 / (1 + _R_IG / 2)) ** (tau - 1),
                 "f(x_k) − f* ≤ E_k ≤ this = E₁q^{k−1} (k = tau ≥ 1)"),
    ),
    assumed_inputs=(SC_ASSUMED, ("L", "∇f is L-Lipschitz on the whole space")),
    references=(ACFR,),
    choices=("On the DIP (PL, not convex) no strong-convexity modulus is certified, so mu_SC<=sc_modulus is never "
             "certified there: the run with μ = μ_PL and L certified on the ball is a measurement of a transfer. The "
             "rate is certified on strongly convex quadratics ½xᵀQx, where μ = λ_min(Q) and L = λ_max(Q).",),
    self_checks=(
        SelfCheck("the update with the record's coefficients is the central-difference scheme of DIN (damping of "
                  "IN-B2, step √s)", background.igahd_is_central_difference),
        SelfCheck("r = √(μs) > 0; θ = gradient_coefficient/s = 1/(1 + r); q = e^{−log_rate}", background.igahd_scalars),
        SelfCheck("value_factor = q^k, distance_factor² = value_factor", background.igahd_factors),
        SelfCheck("(26) is Q(√s) ≤ 0 for a convex quadratic Q with Q(0) < 0: s_max is its positive root squared",
                  background.s_max_is_the_boundary_of_26),
        SelfCheck("q > θ", background.q_above_theta),
        SelfCheck("log_rate/√s → IN-B2's continuous rate √μ/2 and q → 1 as s → 0", background.igahd_continuous_limit),
        SelfCheck("E₁q^{k−1} equals E₁ at k = 1 and contracts by q per iteration",
                  lambda r: geometric(r.expr("energy_bound"), S("energy_1"), r.expr("q"), tau, 1)),
        SelfCheck("s_max is the square of the positive root SymPy solves of Q",
                  lambda r: equal(r.conclusion("s_max"), _solve_condition_26() ** 2)),
    ),
)

alpha_AVD = S("alpha_AVD")

IN_B4 = Result(
    id="IN-B4",
    title="ACFR IGAHD, convex case with vanishing damping α/k",
    citation="ACFR, Math. Program. 2022, IGAHD (convex case)",
    provenance=Provenance.BACKGROUND,
    variant="CONFIRMED",
    statement=("y_k = x_k + (1 − α/k)(x_k − x_{k−1}) − β√s(∇f(x_k) − ∇f(x_{k−1})) − (β√s/k)∇f(x_{k−1}); "
               "x_{k+1} = y_k − s∇f(y_k). Energy: t_k = (k − 1)/(α − 1), E_k = t_k²(f(x_k) − f*) + (2s)⁻¹‖v_k‖²."),
    symbols=syms("alpha_AVD", "s_step", "beta", "tau"),
    hypotheses=(Hypothesis("alpha_AVD>1", sp.StrictGreaterThan(alpha_AVD, 1, evaluate=False),
                           "t_k = (k − 1)/(α − 1) is defined"),),
    conclusions=(Quantity("momentum", 1 - alpha_AVD / tau, "coefficient of x_k − x_{k−1} at k = tau"),
                 Quantity("hessian_coefficient", beta * sp.sqrt(s_step), "coefficient of ∇f(x_k) − ∇f(x_{k−1})"),
                 Quantity("t_k", (tau - 1) / (alpha_AVD - 1), "energy weight t_k"),
                 Quantity("energy_weight", ((tau - 1) / (alpha_AVD - 1)) ** 2, "t_k² in front of f(x_k) − f*")),
    references=(ACFR,),
    self_checks=(SelfCheck("the extrapolation with the record's coefficients discretises ẍ + (α/t)ẋ + β d/dt∇f at "
                           "t = k√s", background.igahd_extrapolation),
                 SelfCheck("t_{k+1}·momentum = t_k − 1, t_1 = 0, energy_weight = t_k²", background.energy_weights)),
)

IN_B5 = Result(
    id="IN-B5",
    title="Attouch–Peypouquet–Redont 2016: DIN with vanishing damping (DIN-AVD)",
    citation="APR, J. Differential Equations 2016 (abstract)",
    provenance=Provenance.BACKGROUND,
    variant="CONFIRMED from the abstract",
    statement=("ẍ + (α/t)ẋ + β∇²Φ(x)ẋ + ∇Φ(x) = 0. For α ≥ 3, β > 0: Φ − min Φ = O(t⁻²) with fast convergence of "
               "the gradients to 0; α > 3: weak convergence and o(t⁻²); strongly convex Φ: O(t^{−2α/3}). Writable as "
               "a first-order system in time and space."),
    symbols=syms("alpha_AVD", "beta", "t"),
    hypotheses=(Hypothesis("alpha_AVD>=3", sp.GreaterThan(alpha_AVD, 3, evaluate=False),
                           "vanishing-damping coefficient"),
                Hypothesis("beta>0", sp.StrictGreaterThan(beta, 0), "Hessian damping")),
    conclusions=(Quantity("value_factor", t**-2, "Φ(x(t)) − min Φ = O(this)"),
                 Quantity("value_factor_strongly_convex", t ** (-2 * alpha_AVD / 3), "strongly convex: O(this)")),
    references=(APR,),
    self_checks=(SelfCheck("at α = 3 the strongly convex rate is t⁻²; faster for larger α; both → 0",
                           background.avd_rates),),
)

IN_B6 = Result(
    id="IN-B6",
    title="Alvarez–Attouch–Bolte–Redont 2002: the first-order form of DIN",
    citation="AABR, J. Math. Pures Appl. 2002",
    provenance=Provenance.BACKGROUND,
    variant="the basis of IN-1",
    statement=("For β > 0, DIN is equivalent to the Hessian-free first-order system θ̇ + β∇f(θ) + (α − 1/β)θ + ψ/β = 0, "
               "ψ̇ + (α − 1/β)θ + ψ/β = 0 (IN-1); the basis of all Hessian-free discretisations."),
    symbols=syms("alpha", "beta"),
    hypotheses=(Hypothesis("beta>0", sp.StrictGreaterThan(beta, 0), "Hessian damping"),),
    conclusions=(Quantity("theta_coefficient", alpha - 1 / beta, "coefficient of θ"),
                 Quantity("psi_coefficient", 1 / beta, "coefficient of ψ"),
                 Quantity("gradient_coefficient", beta, "coefficient of ∇f in the θ-equation")),
    references=(AABR,),
    self_checks=(SelfCheck("with the record's coefficients, eliminating ψ gives −β × DIN (as IN-1)",
                           checks.first_order_form_is_din),
                 SelfCheck("the θ- and ψ-coefficients are IN-1's", checks.coefficients_are_in1s)),
)


gamma_IN = S("gamma_IN")

IN_B7 = Result(
    id="IN-B7",
    title="INNA (Castera–Bolte–Févotte–Pauwels): the first-order form discretised",
    citation="INNA, JMLR 2021; public code INNA_for_pytorch/inna.py",
    provenance=Provenance.BACKGROUND,
    variant="CONFIRMED from the public code",
    statement=("Per step with learning rate γ: phase = (α − 1/β)θ + ψ/β; ψ ← ψ − γ·phase; θ ← θ − γ(phase + β∇L(θ)). "
               "Initialisation ψ₀ = (1 − αβ)θ₀, i.e. θ̇(0) = −β∇L(θ₀). Defaults: lr = 0.1, α = 0.5, β = 0.1, optional "
               "decay γ_k = γ/(1 + k)^decaypower. For the DIP with θ̇(0) = 0 use ψ₀ = (1 − αβ)θ₀ − β²∇f(θ₀)."),
    symbols=syms("alpha", "beta", "gamma_IN", "grad_norm_0"),
    hypotheses=(Hypothesis("beta>0", sp.StrictGreaterThan(beta, 0), "Hessian damping (1/β appears)"),),
    conclusions=(Quantity("psi0_theta_coefficient", 1 - alpha * beta, "ψ₀ = this × θ₀ (INNA default)"),
                 Quantity("initial_velocity_norm", beta * grad_norm_0, "‖θ̇(0)‖ with INNA's default ψ₀"),
                 Quantity("phase_theta_coefficient", alpha - 1 / beta, "coefficient of θ in the phase"),
                 Quantity("euler_step", gamma_IN, "INNA is explicit Euler on IN-1 with this step")),
    references=(INNA,),
    self_checks=(SelfCheck("INNA's update with phase_theta_coefficient is explicit Euler (step euler_step) on IN-1's "
                           "system", checks.inna_is_explicit_euler),
                 SelfCheck("ψ₀ = psi0_theta_coefficient·θ₀ gives ‖θ̇(0)‖ = initial_velocity_norm in IN-1's θ-equation",
                           checks.inna_start_in_b7)),
)

IN_B8 = Result(
    id="IN-B8",
    title="Heavy ball and DIN under PL / Łojasiewicz",
    citation="Apidopoulos–Ginatta–Villa 2022; Apidopoulos–Mavrogeorgou–Tsironis 2025; Kassing–Weissmann 2024",
    provenance=Provenance.BACKGROUND,
    variant="existence CONFIRMED, constants UNCONFIRMED",
    statement=("Heavy ball ẍ + αẋ + ∇F(x) = 0 with x(0) = x₀, ẋ(0) = 0 (DIN's initialisation) converges linearly "
               "under PL without a unique minimiser (AGV 2022); with Hessian damping under Łojasiewicz, tight rates in "
               "α, β and the exponent (AMT 2025); the discrete heavy ball reaches Polyak's accelerated local rate "
               "under PL for C⁴ f (KW 2024). The paper's 'optimal' claim probably relies on this line of work."),
    symbols=syms("alpha", "mu_PL"),
    hypotheses=(Hypothesis("alpha>0", sp.StrictGreaterThan(alpha, 0), "viscous damping"),),
    conclusions=(Quantity("rate_order", sp.sqrt(mu_PL), "order of the accelerated local rate (constants UNKNOWN)"),),
    self_checks=(SelfCheck("IN-5's κ* and IN-B1's heavy-ball rate are constant positive multiples of rate_order",
                           background.rate_order_is_sqrt_mu),),
    equivalent_mutants=(("rate_order", "scale", "an order with unknown constants: 2√μ is the same order as √μ"),),
    unconfirmed=("the constants of all three results (existence CONFIRMED)",
                 "whether the paper's 'optimal' rate relies on them"),
    references=(AGV, AMT, KW),
)

RESULTS = (IN_B1, IN_B2, IN_B3, IN_B4, IN_B5, IN_B6, IN_B7, IN_B8)
