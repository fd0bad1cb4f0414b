"""What DIN's rate guarantees for the Deep Inverse Prior trained with inertia: the implicit-regularisation radius
(IN-6), signal recovery (IN-7), our adaptive discrete algorithm (IN-8) and the two-layer width (IN-9).

Paper, provenance and notation as in `theory.inertia` (IN-1 … IN-5, whose definitions, hypotheses and pinning checks
these records share). Choices on the notes' open points:
- IN-6 uses the notes' window h = 2/κ (constant √2/(1 − e⁻¹) ≈ 2.24).
- IN-8 (the paper's discrete algorithm is unknown): our adaptive inertial method takes IGAHD-SC's update (IN-B3) with
  a backtracked step and accepts it only when it passes a sufficient-decrease and a path-length test, falling back to
  a gradient step (momentum restart) otherwise; its linear rate and radius are proved here.
"""

from __future__ import annotations

import functools

import sympy as sp

from ipverify.theory import _inertia_checks as checks
from ipverify.theory._core import Hypothesis, Provenance, Quantity, Result, SelfCheck
from ipverify.theory._pinning import equal
from ipverify.theory._proofs import identical
from ipverify.theory.gradient_flow import CERTIFIED_R_USED, Y_PERP_HYPOTHESIS
from ipverify.theory.inertia import (
    ACFR,
    CONDITIONING,
    DIN_DEFINITION_CHECKS,
    DIN_DEFINITIONS,
    DIN_HYPOTHESES,
    DIN_SYMBOLS,
    INNA,
    LIP_J,
    LIP_J_ASSUMED,
    LOSS_0,
    LOSS_FLOOR,
    MU_PL,
    NOT_READ,
    PAPER,
    R_CONSTANT,
    R_PRIME_PL,
    REBUILT,
    RESIDUAL_RATE,
    L,
    R,
    R_prime,
    R_prime_DIN,
    conditioning_from_gf10,
    decays_to_floor,
    kappa,
    loss_0,
    loss_t,
    mu_PL,
    s_step,
    sigma_0,
    sigma_A,
    tau,
)
from ipverify.theory.symbols import S, syms

# ------------------------------------------------------------------------------------------------------------ IN-6


IN_6 = Result(
    id="IN-6",
    title="Implicit-regularisation radius of DIN",
    citation="arXiv:2506.02986, radius of the main theorem (constant UNCONFIRMED)",
    provenance=Provenance.DERIVED,
    variant=REBUILT,
    statement=("From Ė ≤ −α‖θ̇‖² and E(t) ≤ E(0)e^{−κt}: ∫₀^∞‖θ̇‖ ≤ √(hE(0)/α)/(1 − e^{−κh/2}) for every h > 0; with "
               "h = 2/κ, R′_DIN = (√2/(1 − e⁻¹))√(E(0)/(ακ)) ≈ 2.24√(E(0)/(ακ)). If R′_DIN < R the trajectory "
               "never leaves 𝔹(θ₀, R) (bootstrap, with R·Lip(J_g) ≤ σ₀/2), so IN-5 holds for all t. When y ∉ Im(A) "
               "the argument runs on E − (1 + αβ)½‖P⊥y‖² ≤ E, so the radius with E(0) stays valid (conservative). "
               "A large β enlarges R′_DIN (E(0) ∋ β²‖∇f(θ₀)‖²/2)."),
    symbols=syms(*DIN_SYMBOLS),
    hypotheses=DIN_HYPOTHESES,
    definitions=DIN_DEFINITIONS,
    conclusions=(
        Quantity("theta_dist_bound", R_prime_DIN, "‖θ(t) − θ₀‖ ≤ ∫₀^∞‖θ̇‖ ≤ R′_DIN"),
        Quantity("path_length_bound", R_prime_DIN, "∫₀^∞‖θ̇(t)‖dt ≤ R′_DIN"),
        Quantity("radius_constant", R_CONSTANT, "√2/(1 − e⁻¹) ≈ 2.24"),
        Quantity("kappa", kappa, "κ used in the radius"),
        Quantity("radius_ratio_to_gf", R_prime_DIN / R_prime, "R′_DIN/R′ (R′ of gradient flow, IN-4)"),
        Quantity("sigma_min_lower", sigma_0 / 2, "σ_min(J_g(θ(t))) ≥ σ₀/2"),
    ),
    unconfirmed=("the paper's radius constant (expected ∝ ‖y(0) − y‖/√μ times a factor in α, β)", NOT_READ),
    assumed_inputs=LIP_J_ASSUMED,
    choices=("The notes' window h = 2/κ is used; the best window (e^x = 1 + 2x, x = κh/2) would give ≈ 2.22 instead "
             "of 2.24, not worth a different constant.",),
    references=(PAPER,),
    self_checks=(
        *DIN_DEFINITION_CHECKS,
        SelfCheck("theta_dist_bound and path_length_bound are the window sum at h = 2/κ",
                  lambda r: all(checks.radius_is_the_window_sum(r, n)
                                for n in ("theta_dist_bound", "path_length_bound"))),
        SelfCheck("radius_constant·√(E(0)/(ακ)) is the window sum at h = 2/κ; ≈ 2.24", checks.radius_constant),
        SelfCheck("the rate kappa is the Lyapunov rate min{α, κ_H}",
                  lambda r: checks.kappa_is_the_lyapunov_rate(r, "kappa")),
        SelfCheck("radius_ratio_to_gf × IN-4's R′ is theta_dist_bound", checks.ratio_to_gf_radius),
        SelfCheck("σ_min ≥ σ₀ − Lip·R ≥ σ₀ − σ₀/2 (Weyl, GF-2)", checks.sigma_min_is_weyls),
        SelfCheck("summing the windows at h = 2/κ (SymPy's summation) gives path_length_bound",
                  checks.windows_sum_to_the_radius),
        SelfCheck("R′_DIN → ∞ as β → ∞ (large Hessian damping inflates the radius)", checks.large_beta_inflates_radius),
        SelfCheck("Lip_J is GF-10's bound; R·Lip_J = σ₀/2 at the certified R", conditioning_from_gf10),
    ),
)

# ------------------------------------------------------------------------------------------------------------ IN-7

mu_A, noise, dist, A_norm = S("mu"), S("noise"), S("dist"), S("A_norm")
NOISE_MODEL = noise / mu_A + (1 + A_norm / mu_A) * dist


def _recovery_uses_in5_rate(r) -> bool:
    from ipverify.theory.registry import get

    rest = r.expr("recovery_bound") - r.expr("noise_term") - r.expr("model_term")
    return equal(rest, get("IN-5").conclusion("residual_bound") / mu_A)


IN_7 = Result(
    id="IN-7",
    title="Recovery bound for DIN",
    citation="arXiv:2506.02986, recovery theorem (form as in the predecessors)",
    provenance=Provenance.DERIVED,
    variant="form as in 01/02; factor-2 differences with the paper possible",
    statement=("With Σ′ = {g(u, θ): θ ∈ 𝔹(θ₀, R′_DIN)}, x_{Σ′} a projection of x̄ on Σ′ and restricted injectivity "
               "μ_{A,Σ′} (global form): ‖x(t) − x̄‖ ≤ ‖y(t) − y‖/μ_{A,Σ′} + ‖ε‖/μ_{A,Σ′} + (1 + ‖A‖/μ_{A,Σ′}) "
               "dist(x̄, Σ′), and ‖y(t) − y‖² ≤ ‖P⊥y‖² + (2E(0)/(1 + αβ) − ‖P⊥y‖²)e^{−κt} (IN-5, with "
               "R·Lip(J_g) ≤ σ₀/2). ε = 0, x̄ ∈ Σ′ (then y ∈ Im(A)) ⇒ x(t) → x̄."),
    symbols=syms(*DIN_SYMBOLS, "t", "mu", "noise", "dist", "A_norm", "loss_t"),
    hypotheses=(*DIN_HYPOTHESES, Y_PERP_HYPOTHESIS),
    definitions=DIN_DEFINITIONS,
    conclusions=(
        Quantity("recovery_bound", RESIDUAL_RATE / mu_A + NOISE_MODEL, "‖x(t) − x̄‖ ≤ this (IN-5 rate)"),
        Quantity("recovery_bound_measured", sp.sqrt(2 * loss_t) / mu_A + NOISE_MODEL,
                 "‖x(t) − x̄‖ ≤ this, with the measured loss f(θ(t))"),
        Quantity("noise_term", noise / mu_A, "noise error"),
        Quantity("model_term", (1 + A_norm / mu_A) * dist, "modelling error"),
    ),
    unconfirmed=("factor-2 differences", "the exact restricted-injectivity formulation (cone vs global)"),
    assumed_inputs=LIP_J_ASSUMED,
    choices=("Restricted injectivity is used in its global form ‖A(x − x_{Σ′})‖ ≥ μ‖x − x_{Σ′}‖ on Σ′; for an "
             "injective A, μ = σ_min(A) is admissible, which is how the checks obtain it.",),
    references=(PAPER, "GF-6 (this catalogue)"),
    self_checks=(
        *DIN_DEFINITION_CHECKS,
        SelfCheck("A(x − x_Σ) = (Ax − y) + ε + A(x̄ − x_Σ): noise_term, model_term and the measured bound are its terms",
                  checks.recovery_terms),
        SelfCheck("recovery bound = IN-5's residual bound/μ + noise term + model term", _recovery_uses_in5_rate),
        SelfCheck("ε = 0, dist = 0: the bound → 0 (exact recovery)", checks.exact_recovery),
        SelfCheck("Lip_J is GF-10's bound; R·Lip_J = σ₀/2 at the certified R", conditioning_from_gf10),
    ),
)

# ------------------------------------------------------------------------------------------------------------ IN-8

c_armijo, shrink, R_prime_disc = S("c_armijo"), S("shrink"), S("R_prime_disc")


@functools.cache
def _backtracking_floor():
    """The descent lemma f(θ − sg) ≤ f − s(1 − sL/2)‖g‖² passes Armijo with constant c once s ≤ this (solved)."""
    s = sp.Symbol("s", positive=True)
    (boundary,) = sp.solve(sp.Eq(1 - s * L / 2, c_armijo), s)
    return boundary


ARMIJO_STEP = 2 * ((1 - c_armijo) / L)  # SymPy would distribute 2 over (1 − c) in 2·(1 − c)/L
"""`_backtracking_floor`, which IN-8's self-checks solve."""
S_FLOOR = shrink * ARMIJO_STEP
STEP_FACTOR = 1 - 2 * c_armijo * mu_PL * s_step
RHO_DISC = 1 - 2 * c_armijo * mu_PL * sp.Min(s_step, S_FLOOR, evaluate=False)  # as KAPPA: the same Min, faster
LENGTH_FACTOR = sp.sqrt(2) / (c_armijo * sp.sqrt(mu_PL))


IN_8 = Result(
    id="IN-8",
    title="Discrete inertial algorithm with adaptive step (our provable variant beside the notes' candidates)",
    citation="arXiv:2506.02986, discrete-time theorem (existence, recovery and 'less sharp' rate CONFIRMED)",
    provenance=Provenance.RECALLED,
    variant="UNCONFIRMED vs paper; the guarantee of our safeguarded adaptive variant is proved here",
    statement=("The paper has an inertial algorithm with adaptive step, similar recovery guarantees and a less sharp "
               "linear rate; candidates are IGAHD-SC (IN-B3) and INNA-type Euler steps (IN-B7) with the DIP "
               "initialisation. Our variant: at θ_k try IGAHD-SC's update with step s (r = √(μ̂s)); accept it when "
               "f(θ⁺) ≤ f(θ_k) − cs‖∇f(θ_k)‖² and ‖θ⁺ − θ_k‖ ≤ (√2/(c√μ))(√f(θ_k) − √f(θ⁺)), else take the gradient "
               "step θ_k − s∇f(θ_k) (momentum restart) if it passes the first test, else s ← ϑs. If ‖∇f‖² ≥ 2μf on "
               "𝔹(θ₀, R) (R·Lip(J_g) ≤ σ₀/2) and R′_disc = R′/c < R, with F = ½‖P⊥y‖² = min f: f(θ_{k+1}) − F ≤ "
               "(1 − 2cμs_k)(f(θ_k) − F), where an accepted step has 2cμs_k < 1, s_k ≥ min(s₀, 2ϑ(1 − c)/L) when ∇f "
               "is L-Lipschitz on the segments tried, so f(θ_k) − F ≤ ρ^k(f(θ₀) − F) with "
               "ρ = 1 − 2cμ min(s₀, 2ϑ(1 − c)/L), and ‖θ_k − θ₀‖ ≤ R′/c."),
    symbols=syms("mu_PL", "sigma_A", "sigma_0", "residual_0", "loss_0", "s_step", "L", "c_armijo", "shrink", "tau",
                 "R_prime", "R_prime_disc", "R", "B", "k", "V_col_max", "Lip_J", "y_perp"),
    hypotheses=(Hypothesis("R_prime_disc<R", sp.StrictLessThan(R_prime_disc, R),
                           "the discrete radius is inside the conditioning radius"), CONDITIONING, Y_PERP_HYPOTHESIS,
                Hypothesis("2*c*mu*s<1", sp.StrictLessThan(2 * c_armijo * mu_PL * s_step, 1),
                           "the step factor 1 − 2cμs lies in (0, 1): s is below 1/(2cμ), above which no step passes "
                           "Armijo under PL")),
    definitions=(Quantity("mu_PL", MU_PL, "PL constant σ_A²σ₀²/4 (IN-3)"), Quantity("loss_0", LOSS_0, "f(θ₀)"),
                 Quantity("R_prime", R_PRIME_PL, "R′ = ‖y(0) − y‖/√μ (IN-4)"),
                 Quantity("R_prime_disc", R_prime / c_armijo, "R′_disc = R′/c"), CERTIFIED_R_USED, LIP_J),
    conclusions=(
        Quantity("step_factor", STEP_FACTOR,
                 "f(θ_{k+1}) − ½y_perp² ≤ this × (f(θ_k) − ½y_perp²), with s = the step accepted at iteration k"),
        Quantity("s_floor", S_FLOOR, "every accepted step is ≥ min(s₀, this) (backtracking floor ϑ·2(1 − c)/L)"),
        Quantity("rho", RHO_DISC, "a-priori linear rate ρ, with s = the initial step s₀"),
        Quantity("loss_bound", LOSS_FLOOR + (loss_0 - LOSS_FLOOR) * RHO_DISC**tau, "f(θ_k) ≤ this (k = tau)"),
        Quantity("theta_dist_bound", R_prime_disc, "‖θ_k − θ₀‖ ≤ R′_disc = R′/c"),
        Quantity("length_factor", LENGTH_FACTOR, "Σ_{j≥k}‖θ_{j+1} − θ_j‖ ≤ this × √f(θ_k)"),
        Quantity("sigma_min_lower", sigma_0 / 2, "σ_min(J_g(θ_k)) ≥ σ₀/2"),
    ),
    unconfirmed=("the paper's discrete algorithm (IGAHD-SC type, INNA type or other)",
                 "the meaning of 'adaptive step size'", "its rate ρ and radius R′_disc", "any restart scheme"),
    assumed_inputs=LIP_J_ASSUMED,
    choices=("Variant: IGAHD-SC's update (IN-B3) with a backtracked adaptive step, accepted under a "
             "sufficient-decrease and a path-length test, with a gradient step (momentum restart) as fallback. The "
             "tests are what makes the rate and the radius provable without convexity; the IGAHD coefficients keep "
             "the acceleration whenever the inertial step is accepted.",
             "The guaranteed rate is gradient descent's with an Armijo step: 'less sharp' than the continuous e^{−κt}, "
             "as the abstract says; the radius R′/c has the form of GD-4's c_γR′."),
    references=(PAPER, ACFR, INNA, "GD-4 (this catalogue)"),
    self_checks=(
        SelfCheck("μ is the tight PL constant, GF-3's rate", checks.mu_pl_is_the_pl_constant),
        SelfCheck("f(θ₀) = ½‖y(0) − y‖²", checks.loss_0_is_half_the_squared_residual),
        SelfCheck("R′ = √(2f(θ₀))/√μ = GF-5's 2‖y(0) − y‖/(σ_Aσ₀)", checks.r_prime_is_the_flow_path_length),
        SelfCheck("R is GF-10's certified radius (shrunk by 10⁻¹²) and Lip_J GF-10's bound", checks.radius_is_gf10s),
        SelfCheck("Armijo + PL: f⁺ − F ≤ step_factor·(f − F), the slack being −cs(‖g‖² − 2μ(f − F))",
                  checks.armijo_and_pl_give_the_step_factor),
        SelfCheck("descent lemma: Armijo holds once 1 − sL/2 ≥ c, with equality at s_floor/ϑ (solveset)",
                  checks.s_floor_is_the_descent_lemma),
        SelfCheck("rho is step_factor at the smallest accepted step min(s₀, s_floor)", checks.rho_is_the_worst_step),
        SelfCheck("an Armijo step of length s‖g‖ is ≤ length_factor·(√f − √f⁺) (the path-length test passes)",
                  checks.length_factor_from_armijo),
        SelfCheck("the path-length test telescopes to length_factor·√f(θ₀) = theta_dist_bound (R′_disc = R′/c)",
                  checks.disc_radius_telescopes),
        SelfCheck("σ_min ≥ σ₀ − Lip·R ≥ σ₀ − σ₀/2 (Weyl, GF-2)", checks.sigma_min_is_weyls),
        SelfCheck("f_k − ½y_perp² ≤ ρ^k(f₀ − ½y_perp²): the loss bound decays at rho from f₀",
                  lambda r: decays_to_floor(r, "loss_bound", LOSS_FLOOR, loss_0, r.expr("rho") ** tau, loss_0)),
        SelfCheck("Lip_J is GF-10's bound; R·Lip_J = σ₀/2 at the certified R", conditioning_from_gf10),
        SelfCheck("s_floor/ϑ is the step SymPy solves from 1 − sL/2 = c",
                  lambda r: identical(r.conclusion("s_floor") / shrink, _backtracking_floor())),
    ),
)

# ------------------------------------------------------------------------------------------------------------ IN-9

k_width, n_dim, B_act, V_col_max = S("k"), S("n"), S("B"), S("V_col_max")
C_phi, C_width, y_norm = S("C_phi"), S("C_width"), S("y_norm")
K_RECALLED_IN = C_width * n_dim * (A_norm * sp.sqrt(n_dim) + y_norm) ** 2 / (sigma_A**2 * C_phi**2)
K_CERTIFIED_IN = (2 * B_act * R_prime_DIN * (2 + V_col_max + R_prime_DIN) / sigma_0) ** 2


IN_9 = Result(
    id="IN-9",
    title="Overparametrisation of the two-layer DIP trained with inertia",
    citation="arXiv:2506.02986, two-layer corollary (UNCONFIRMED)",
    provenance=Provenance.RECALLED,
    variant="the notes' sketch (UNCONFIRMED vs paper); a certified width from GF-10 and R′_DIN beside it",
    statement=("For g(u, θ) = Vφ(Wu)/√k with W(0), V(0) iid N(0, 1) and φ as in A-2: σ_min(J_g(θ₀)) ≳ √(C_φ/2) (03's "
               "C_φ = E[φ²]), R grows with k and R′_DIN = O(‖y(0) − y‖/(σ_A√C_φ)), so R′_DIN < R w.h.p. once "
               "k ≳ n(‖A‖√n + ‖y‖)²/(σ_A²C_φ) up to constants and logs. Certified (derived): with GF-10's Lipschitz "
               "bound, k > (2B R′_DIN(2 + max_i‖V_{:,i}(0)‖ + R′_DIN)/σ₀)² gives R′_DIN < R."),
    symbols=syms(*DIN_SYMBOLS, "n", "A_norm", "y_norm", "C_phi", "C_width"),
    hypotheses=(Hypothesis("k>k_required_certified", sp.StrictGreaterThan(k_width, K_CERTIFIED_IN, evaluate=False),
                           "the width certifies R′_DIN < R (GF-10)"),),
    definitions=DIN_DEFINITIONS[:5],
    conclusions=(
        Quantity("k_required", K_RECALLED_IN, "sketched sufficient width (constant C_width UNKNOWN)"),
        Quantity("k_required_certified", K_CERTIFIED_IN, "certified sufficient width for R′_DIN < R"),
        Quantity("sigma_0_typical", C_phi / sp.sqrt(2), "σ₀ ≳ √(C_φ/2) in 03's convention = C_phi/√2 here"),
    ),
    equivalent_mutants=(("k_required", "scale", "a sketch up to the unknown constant C_width: 2·k is 2·C_width"),),
    unconfirmed=("the architecture's scaling and initialisation (Gaussian V(0) recalled; 01/02 use bounded V(0))",
                 "the width exponent and constants", "the probability"),
    choices=("Checks use the certified width (R′_DIN < R checked numerically), never the unconfirmed constant.",
             "03's C_φ = E[φ²] is written C_phi² with the table's C_phi = √E[φ²]."),
    references=(PAPER, "GF-10, GF-13 (this catalogue)"),
    self_checks=(
        *DIN_DEFINITION_CHECKS[:5],
        SelfCheck("at k = k_required_certified, R′_DIN·Lip_J(R′_DIN) = σ₀/2 with GF-10's Lip_J",
                  checks.certified_width),
        SelfCheck("sigma_0_typical² = C_φ(03)/2 with C_φ(03) = C_phi²", checks.typical_sigma_0),
        SelfCheck("the sketched width scales as C·n(‖A‖√n + ‖y‖)²/(σ_A²C_phi²)", checks.sketched_width_scaling),
        SelfCheck("GF-10's certified R at k = k_required_certified is R′_DIN, and R increases with k",
                  checks.certified_radius_grows_with_k),
    ),
)

RESULTS = (IN_6, IN_7, IN_8, IN_9)
