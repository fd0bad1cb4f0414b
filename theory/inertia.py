"""The Deep Inverse Prior trained with inertia, the dynamics: IN-1 … IN-5 (well-posedness, energy, PL on the ball,
the gradient-flow baseline, DIN's accelerated rate). What the rate guarantees on the DIP (radius, recovery, the
discrete algorithm, the width: IN-6 … IN-9) is `theory.inertia_guarantees`, the background IN-B1 … IN-B8
`theory.inertia_background`.

Paper: Buskulic, Fadili, Quéau, arXiv:2506.02986 (2025). Only the abstract and a machine-written review of the full text
were read: the DIN equation with θ̇(0) = 0, assumptions A-1/A-2 and the existence of a first-order rewriting are
CONFIRMED (secondary); everything else rebuilds what the abstract claims with standard Lyapunov arguments. IN-1 … IN-7
are DERIVED here (proved with SymPy by the self-checks, which read each record by name: `theory._inertia_checks`,
`theory._inertia_background_checks`) and UNCONFIRMED vs the paper; IN-8 and IN-9 are RECALLED (the notes' shape,
not proved) with our provable variants beside them. The IDs are the notes', not the paper's theorem numbers.

Notation (`theory.symbols`; clashing letters α, β, κ, μ, ρ, ψ, θ, s get distinct names):
- f(θ) = ½‖A g(u, θ) − y‖²; `alpha`/`beta` are DIN's viscous and Hessian damping (not the Łojasiewicz `alpha_KL`);
- `mu_PL` = σ_A²σ₀²/4 is the PL constant of this file (‖∇f‖² ≥ 2μ f on 𝔹(θ₀, R)); `mu` stays the restricted-
  injectivity constant μ_{A,Σ′} (IN-7) and `mu_SC` the strong-convexity modulus of the background theorems;
- `kappa_DIN` is the DIN energy rate (not κ(A)); ψ of the first-order form is called ψ (psi_aux in code), never the
  KL function; IGAHD's scalar θ = (1 + √(μs))⁻¹ is the conclusion `theta_weight`; `s_step` is the IGAHD step.

Choices on the notes' open points:
- Initial velocity: θ̇(0) = 0 (DIN as CONFIRMED), i.e. ψ₀ = (1 − αβ)θ₀ − β²∇f(θ₀), never INNA's (1 − αβ)θ₀.
- The optimal (α, β) of IN-5 has a closed form, found by SymPy (Lagrange condition) and proved globally optimal:
  α* = (2 − √2)√μ, β* = 1/√(2μ), κ* = (2 − √2)√μ ≈ 0.586√μ (the notes' numeric 0.585).
- PL constant on the ball: σ_min(J_g) ≥ σ₀/2 on 𝔹(θ₀, R) (GF-2) gives ‖∇f‖² ≥ σ_A²(σ₀/2)²·‖A g − y‖² = 2μ f with
  μ = σ_A²σ₀²/4 = σ_A²(σ₀/2)². The value σ_A²(σ₀/2)²/2 is also valid but twice weaker (it drops the 2 of f = ½‖r‖²);
  the sharper μ is proved and used.
"""

from __future__ import annotations

import functools

import sympy as sp

from ipverify.theory import _inertia_checks as checks
from ipverify.theory._core import Family, Hypothesis, Provenance, Quantity, Result, SelfCheck
from ipverify.theory._pinning import equal
from ipverify.theory._proofs import identical, positive
from ipverify.theory.gradient_flow import (
    ASSUMED_LIP_J,
    CERTIFIED_R_USED,
    LIP_J_DEFINITION,
    MSE_LOSS_FLOOR,
    WEYL_HYPOTHESIS,
    Y_PERP_HYPOTHESIS,
    weyl_radius_check,
)
from ipverify.theory.symbols import S, syms

FAMILY = Family("IN", "Inertia: DIN and its discretisations", "arXiv:2506.02986", order=3)

PAPER = ("Buskulic, Fadili, Quéau. Implicit Regularization of the Deep Inverse Prior Trained with Inertia. "
         "arXiv:2506.02986 (2025).")
ACFR = ("Attouch, Chbani, Fadili, Riahi. First-order optimization algorithms via inertial systems with Hessian driven "
        "damping. Math. Program. 193 (2022) 113–155, arXiv:1907.10536v2.")
AABR = ("Alvarez, Attouch, Bolte, Redont. A second-order gradient-like dissipative dynamical system with "
        "Hessian-driven damping. J. Math. Pures Appl. 81 (2002) 747–779.")
APR = ("Attouch, Peypouquet, Redont. Fast convex optimization via inertial dynamics with Hessian driven damping. "
       "J. Differential Equations 261 (2016).")
INNA = ("Castera, Bolte, Févotte, Pauwels. An inertial Newton algorithm for deep learning. JMLR 22 (2021); code "
        "github.com/camcastera/INNA-for-DeepLearning, INNA_for_pytorch/inna.py.")
AGV = ("Apidopoulos, Ginatta, Villa. Convergence rates for the heavy-ball continuous dynamics for non-convex "
       "optimization, under Polyak–Łojasiewicz condition. J. Global Optim. (2022), arXiv:2107.10123.")
AMT = "Apidopoulos, Mavrogeorgou, Tsironis. Heavy ball with Hessian damping under Łojasiewicz (2025), arXiv:2506.11705."
KW = "Kassing, Weissmann. Polyak's heavy ball method achieves accelerated local rate under PL (2024), arXiv:2410.16849."
POLYAK = ("Polyak. Some methods of speeding up the convergence of iteration methods. USSR Comput. Math. Math. Phys. "
          "1964.")
NOT_READ = "the paper's theorem numbering and exact constants (the full text was not consulted)"
REBUILT = "derived here by a standard Lyapunov argument; UNCONFIRMED vs paper"

alpha, beta, mu_PL, kappa = S("alpha"), S("beta"), S("mu_PL"), S("kappa_DIN")
sigma_A, sigma_0, residual_0, loss_0, t = S("sigma_A"), S("sigma_0"), S("residual_0"), S("loss_0"), S("t")
energy_0, grad_norm_0, R, R_prime, R_prime_DIN = S("energy_0"), S("grad_norm_0"), S("R"), S("R_prime"), S("R_prime_DIN")
mu_SC, s_step, L, tau = S("mu_SC"), S("s_step"), S("L"), S("tau")

# Positive stand-ins for proofs that need α, β > 0 (the table's α, β are only nonnegative).
_a, _b, _m = sp.symbols("a_ b_ m_", positive=True)

y_perp = S("y_perp")
LOSS_FLOOR = MSE_LOSS_FLOOR
"""min f = ½‖P⊥y‖² for the MSE: f = f̃ + ½y_perp² with f̃ = ½‖A g − Py‖² and ∇f = ∇f̃ (GF's Pythagoras), so the PL
argument runs on f̃ = f − LOSS_FLOOR and every rate of IN-3 … IN-8 carries this floor (0 when y ∈ Im(A)). By
Pythagoras ‖y(0) − Py‖² = residual_0² − y_perp², and any upper bound of ‖y(0) − y‖ may stand for residual_0."""

CONDITIONING = WEYL_HYPOTHESIS
LIP_J = LIP_J_DEFINITION
LIP_J_ASSUMED = (ASSUMED_LIP_J,)


def conditioning_from_gf10(r) -> bool:
    """Lip_J is GF-10's bound, and the record's R (GF-10's certified radius, shrunk against rounding) meets
    R·Lip_J = σ₀/2 once unshrunk (GF-2)."""
    from ipverify.theory.registry import get

    return (identical(r.definition("Lip_J"), get("GF-10").conclusion("Lip_J_bound"))
            and weyl_radius_check().verify(r))


def decays_to_floor(r, name, floor, start, decay, at_zero, power=1) -> bool:
    """bound^power − floor = (start − floor)·decay, and the bound is `at_zero` when y ∈ Im(A) at t = τ = 0."""
    bound = r.expr(name)
    zero = bound.subs({y_perp: 0, S("t"): 0, S("tau"): 0})
    return equal(bound**power - floor, (start - floor) * decay) and equal(zero, at_zero)


# ------------------------------------------------------------------------------------------------------------ IN-1


def _din_residual(theta, f, tt, a, b):
    """θ̈ + αθ̇ + β d/dt∇f(θ) + ∇f(θ) for θ(t) = (θ₀(t), θ₁(t)) and a generic f (chain rule by SymPy)."""
    grad = [sp.diff(f, th) for th in theta]
    return [sp.diff(th, tt, 2) + a * sp.diff(th, tt) + b * sp.diff(g, tt) + g
            for th, g in zip(theta, grad, strict=True)]


def _generic_path():
    tt = sp.Symbol("t_", real=True)
    theta = [sp.Function(f"theta{i}")(tt) for i in range(2)]
    f = sp.Function("f")(*theta)
    return tt, theta, f


_th0, _g0, _psi0, _w0 = sp.symbols("theta_0 g_0 psi_0 w_0", real=True)


def _theta_dot_at_zero(psi0, a=_a, b=_b):
    """θ̇(0) from the θ-equation θ̇ = −β∇f − (α − 1/β)θ − ψ/β at θ₀, ∇f(θ₀) = g₀ (componentwise)."""
    return -b * _g0 - (a - 1 / b) * _th0 - psi0 / b


@functools.cache
def _solve_psi0():
    """ψ₀ such that θ̇(0) = 0, solved by SymPy."""
    (solution,) = sp.solve(sp.Eq(_theta_dot_at_zero(_psi0), 0), _psi0)
    return sp.expand(solution)


PSI0_DIP = (1 - _a * _b) * _th0 - _b**2 * _g0
"""ψ₀ with θ̇(0) = 0; IN-1's self-checks prove the record's coefficients are those of `_solve_psi0`."""
PSI0_THETA_COEFF = 1 - alpha * beta
PSI0_GRAD_COEFF = -(beta**2)


def _psi0_is_solved(r) -> bool:
    """The record's ψ(0) coefficients are those of the ψ₀ that SymPy solves from θ̇(0) = 0."""
    solved = _solve_psi0().subs({_a: alpha, _b: beta})
    return identical(r.conclusion("psi0_theta_coefficient"), solved.coeff(_th0)) and identical(
        r.conclusion("psi0_gradient_coefficient"), solved.coeff(_g0))


def _psi0_matches_notes(r=None) -> bool:
    """ψ₀ (the record's coefficients, else the solved PSI0_DIP) is the notes' (1 − αβ)θ₀ − β²∇f(θ₀), θ̇(0) = 0."""
    psi0 = PSI0_DIP if r is None else (r.conclusion("psi0_theta_coefficient") * _th0
                                       + r.conclusion("psi0_gradient_coefficient") * _g0).subs({alpha: _a, beta: _b})
    return identical(psi0, (1 - _a * _b) * _th0 - _b**2 * _g0) and identical(_theta_dot_at_zero(psi0), 0)


IN_1 = Result(
    id="IN-1",
    title="DIN is well posed; first-order form and the initial condition θ̇(0) = 0",
    citation="arXiv:2506.02986, well-posedness result (number unknown; first sentence CONFIRMED, secondary)",
    provenance=Provenance.DERIVED,
    variant=("well-posedness and the existence of a first-order rewriting for β > 0 CONFIRMED (secondary source); "
             "the system and ψ₀ derived (Alvarez–Attouch–Bolte–Redont 2002)"),
    statement=("DIN θ̈ + αθ̇ + β d/dt∇f(θ) + ∇f(θ) = 0, θ(0) = θ₀, θ̇(0) = 0, α, β ≥ 0, is well posed. For β > 0 it "
               "is equivalent to θ̇ + β∇f(θ) + (α − 1/β)θ + ψ/β = 0, ψ̇ + (α − 1/β)θ + ψ/β = 0 (no Hessian), and "
               "θ̇(0) = 0 requires ψ(0) = (1 − αβ)θ₀ − β²∇f(θ₀); INNA's ψ(0) = (1 − αβ)θ₀ gives θ̇(0) = −β∇f(θ₀). "
               "Equivalently, with w = θ̇ + β∇f(θ) = (1 − αβ)θ − ψ over β: θ̇ = w − β∇f, ẇ = −αw + (αβ − 1)∇f, "
               "w(0) = β∇f(θ₀), a Hessian-free form that also covers the heavy ball β = 0."),
    symbols=syms("alpha", "beta", "grad_norm_0"),
    hypotheses=(Hypothesis("beta>0", sp.StrictGreaterThan(beta, 0), "the (θ, ψ) form needs Hessian damping"),),
    conclusions=(
        Quantity("psi0_theta_coefficient", PSI0_THETA_COEFF, "ψ(0) = this × θ₀ + …"),
        Quantity("psi0_gradient_coefficient", PSI0_GRAD_COEFF, "ψ(0) = … + this × ∇f(θ₀)"),
        Quantity("theta_coefficient", alpha - 1 / beta, "coefficient of θ in both equations"),
        Quantity("psi_coefficient", 1 / beta, "coefficient of ψ in both equations"),
        Quantity("initial_velocity_norm", sp.S.Zero, "‖θ̇(0)‖ with the DIP initial condition"),
        Quantity("initial_velocity_norm_INNA", beta * grad_norm_0, "‖θ̇(0)‖ with INNA's default ψ(0)"),
    ),
    unconfirmed=(NOT_READ, "whether the paper's first-order variables are these (θ, ψ)"),
    choices=("The initial condition is θ̇(0) = 0 everywhere in the code (numerics.inertial), never INNA's default.",
             "The integrator uses the (θ, w) form, w = θ̇ + β∇f, equivalent for β > 0 and valid at β = 0."),
    references=(PAPER, AABR, INNA),
    self_checks=(
        SelfCheck("with the record's θ- and ψ-coefficients, eliminating ψ gives −β × DIN (θ(t), ∇f(θ(t)) arbitrary)",
                  checks.first_order_form_is_din),
        SelfCheck("the record's ψ(0) gives θ̇(0) = 0 in the θ-equation, of norm initial_velocity_norm",
                  checks.dip_start_is_at_rest),
        SelfCheck("INNA's ψ(0) = (1 − αβ)θ₀ (IN-B7) gives ‖θ̇(0)‖ = initial_velocity_norm_INNA = β‖∇f(θ₀)‖",
                  checks.inna_start_in_in1),
        SelfCheck("the record's ψ(0) is the notes' (1 − αβ)θ₀ − β²∇f(θ₀)", _psi0_matches_notes),
        SelfCheck("the (θ, w) form of the record's system is equivalent, with w(0) = β∇f(θ₀)",
                  checks.w_form_is_equivalent),
        SelfCheck("the record's ψ(0) is the ψ₀ SymPy solves from θ̇(0) = 0", _psi0_is_solved),
    ),
)

# ------------------------------------------------------------------------------------------------------------ IN-2

ENERGY_0 = (1 + alpha * beta) * loss_0 + beta**2 * grad_norm_0**2 / 2
LOSS_0 = residual_0**2 / 2
velocity_norm, grad_norm_t = S("velocity_norm"), S("grad_norm_t")


def _energy_identity_chain_rule(r) -> bool:
    """E = (1 + αβ)f + ½‖θ̇ + β∇f‖² along DIN: Ė = energy_rate at ‖θ̇‖, ‖∇f‖ (θ ∈ ℝ², generic f, θ̈ substituted)."""
    tt, theta, f = _generic_path()
    a, b = sp.Symbol("a", real=True), sp.Symbol("b", real=True)
    grad = [sp.diff(f, th) for th in theta]
    energy = (1 + a * b) * f + sum((sp.diff(th, tt) + b * g) ** 2 for th, g in zip(theta, grad, strict=True)) / 2
    din = _din_residual(theta, f, tt, a, b)
    accel = {sp.diff(th, tt, 2): sp.diff(th, tt, 2) - r for th, r in zip(theta, din, strict=True)}
    e_dot = sp.diff(energy, tt).subs(accel)
    target = r.conclusion("energy_rate").subs({alpha: a, beta: b}).subs(
        {velocity_norm: sp.sqrt(sum(sp.diff(th, tt) ** 2 for th in theta)),
         grad_norm_t: sp.sqrt(sum(g**2 for g in grad))})
    return identical(sp.expand(e_dot - target), 0)


def _energy_at_zero(r=None) -> bool:
    """E(0) with θ̇(0) = 0: (1 + αβ)f(θ₀) + (β²/2)‖∇f(θ₀)‖² (the record's energy_0, else ENERGY_0)."""
    g = sp.Matrix(sp.symbols("g0:3", real=True))
    e0 = (1 + alpha * beta) * loss_0 + (sp.zeros(3, 1) + beta * g).dot(sp.zeros(3, 1) + beta * g) / 2
    energy = ENERGY_0 if r is None else r.definition("energy_0")
    return identical(e0, energy.subs(grad_norm_0, sp.sqrt(g.dot(g))))


IN_2 = Result(
    id="IN-2",
    title="Energy identity for DIN",
    citation="arXiv:2506.02986 (derived here; standard, ACFR/AABR)",
    provenance=Provenance.DERIVED,
    statement=("For α, β ≥ 0 and E(t) = (1 + αβ)f(θ(t)) + ½‖θ̇(t) + β∇f(θ(t))‖², along DIN "
               "Ė(t) = −α‖θ̇(t)‖² − β‖∇f(θ(t))‖² ≤ 0 (no convexity needed). With θ̇(0) = 0, "
               "E(0) = (1 + αβ)f(θ₀) + (β²/2)‖∇f(θ₀)‖², and f(θ(t)) ≤ E(t)/(1 + αβ) ≤ E(0)/(1 + αβ)."),
    symbols=syms("alpha", "beta", "residual_0", "loss_0", "grad_norm_0", "energy_0", "velocity_norm", "grad_norm_t"),
    definitions=(Quantity("loss_0", LOSS_0, "f(θ₀) = ½‖y(0) − y‖²"),
                 Quantity("energy_0", ENERGY_0, "E(0) with θ̇(0) = 0")),
    conclusions=(
        Quantity("energy_0_value", energy_0, "E(0)"),
        Quantity("energy_rate", -alpha * velocity_norm**2 - beta * grad_norm_t**2, "Ė(t) = this (≤ 0)"),
        Quantity("energy_bound", energy_0, "E(t) ≤ E(0) for all t"),
        Quantity("loss_bound", energy_0 / (1 + alpha * beta), "f(θ(t)) ≤ E(0)/(1 + αβ) for all t"),
    ),
    unconfirmed=("the paper's Lyapunov function (this E is the standard one)",),
    references=(PAPER, ACFR, AABR),
    self_checks=(
        SelfCheck("f(θ₀) = ½‖y(0) − y‖²", checks.loss_0_is_half_the_squared_residual),
        SelfCheck("E(0) = (1 + αβ)f(θ₀) + (β²/2)‖∇f(θ₀)‖² when θ̇(0) = 0", _energy_at_zero),
        SelfCheck("energy_0_value is DIN's energy at rest", lambda r: checks.energy_at_rest(r, "energy_0_value")),
        SelfCheck("Ė along DIN with free vectors θ̇, ∇f, d/dt∇f is energy_rate (cross terms cancel by 1 + αβ)",
                  checks.energy_rate_along_din),
        SelfCheck("energy_rate ≤ 0, so E(t) ≤ energy_bound = E(0)", checks.energy_bound_is_the_start),
        SelfCheck("E ≥ (1 + αβ)f, so f ≤ energy_bound/(1 + αβ) = loss_bound", checks.loss_below_energy),
        SelfCheck("Ė = energy_rate along DIN (generic f on ℝ², chain rule)", _energy_identity_chain_rule),
    ),
)

# ------------------------------------------------------------------------------------------------------------ IN-3


MU_PL = sigma_0**2 * sigma_A**2 / 4
"""The largest μ with ‖∇f‖² ≥ 2μ f from ‖∇f‖ ≥ σ_min(J)σ_A‖r‖, σ_min(J) ≥ σ₀/2 (GF-2) and f = ½‖r‖², as the
records' self-check `checks.mu_pl_is_the_pl_constant` derives."""
theta_dist, loss_t = S("theta_dist"), S("loss_t")


def _issue_constant_is_weaker(r) -> bool:
    """σ_A²(σ₀/2)²/2 is valid too (smaller) but exactly half the record's μ."""
    weaker = sigma_A**2 * (sigma_0 / 2) ** 2 / 2
    mu = r.definition("mu_PL")
    return identical(mu / weaker, 2) and positive(mu - weaker)


IN_3 = Result(
    id="IN-3",
    title="Local PL inequality on the conditioning ball",
    citation="arXiv:2506.02986 (derived here as in P1/P2)",
    provenance=Provenance.DERIVED,
    statement=("If R·Lip(J_g) ≤ σ₀/2 and θ ∈ 𝔹(θ₀, R): σ_min(J_g(θ)) ≥ σ₀/2 (GF-2) and, with P the projection on "
               "Im(A) and f̃ = f − ½‖P⊥y‖² = ½‖A g(u,θ) − Py‖², ‖∇f(θ)‖ ≥ σ_min(J_g(θ))σ_A‖A g(u,θ) − Py‖ ≥ "
               "(σ₀σ_A/2)√(2f̃(θ)), i.e. ‖∇f(θ)‖² ≥ 2μ(f(θ) − ½‖P⊥y‖²) with μ = σ_A²σ₀²/4 = σ_A²(σ₀/2)² (the "
               "floor ½‖P⊥y‖² = min f vanishes when y ∈ Im(A))."),
    symbols=syms("sigma_A", "sigma_0", "mu_PL", "loss_t", "theta_dist", "R", "B", "k", "V_col_max", "Lip_J",
                 "y_perp"),
    hypotheses=(Hypothesis("theta_dist<=R", sp.LessThan(theta_dist, R), "θ is in the conditioning ball 𝔹(θ₀, R)"),
                CONDITIONING),
    definitions=(Quantity("mu_PL", MU_PL, "PL constant σ_A²σ₀²/4"), CERTIFIED_R_USED, LIP_J),
    conclusions=(
        Quantity("mu_PL_value", mu_PL, "PL constant μ on 𝔹(θ₀, R)"),
        Quantity("grad_norm_sq_lower", 2 * mu_PL * (loss_t - LOSS_FLOOR), "‖∇f(θ)‖² ≥ this"),
        Quantity("pl_ratio_lower", mu_PL, "‖∇f(θ)‖²/(2(f(θ) − ½y_perp²)) ≥ this"),
        Quantity("sigma_min_lower", sigma_0 / 2, "σ_min(J_g(θ)) ≥ σ₀/2"),
    ),
    unconfirmed=("the paper's normalisation of μ",),
    assumed_inputs=LIP_J_ASSUMED,
    choices=("μ = σ_A²σ₀²/4 is proved here with σ_min ≥ σ₀/2 on the ball; σ_A²(σ₀/2)²/2 (which drops the 2 of "
             "f = ½‖r‖²) is also valid but twice weaker, and is not used.",),
    references=(PAPER, "GF-2 (this catalogue)"),
    self_checks=(
        SelfCheck("μ is the tight constant of ‖∇f‖² ≥ (σ_min(GF-2)σ_A)²·2(f − F), and GF-3's rate",
                  checks.mu_pl_is_the_pl_constant),
        SelfCheck("mu_PL_value is that μ", lambda r: checks.mu_pl_is_the_pl_constant(r, "mu_PL_value")),
        SelfCheck("R is GF-10's certified radius (shrunk by 10⁻¹²) and Lip_J GF-10's bound", checks.radius_is_gf10s),
        SelfCheck("σ_min ≥ σ₀ − Lip·R ≥ σ₀ − σ₀/2 (Weyl, GF-2)", checks.sigma_min_is_weyls),
        SelfCheck("grad_norm_sq_lower = (sigma_min_lower·σ_A)²·2(f − F), pl_ratio_lower its ratio to 2(f − F)",
                  checks.pl_gradient_lower),
        SelfCheck("σ_A²(σ₀/2)²/2 is exactly half of μ (valid, weaker)", _issue_constant_is_weaker),
        SelfCheck("‖∇f‖² ≥ ((σ₀/2)σ_A)²‖A g − Py‖² = 2μ(f − ½y_perp²) (Pythagoras ‖A g − y‖² = ‖A g − Py‖² + "
                  "y_perp²)", lambda r: identical(r.expr("grad_norm_sq_lower").subs(mu_PL, r.definition("mu_PL")),
                                                  ((sigma_0 / 2) * sigma_A) ** 2 * (2 * loss_t - y_perp**2))),
        SelfCheck("Lip_J is GF-10's bound; R·Lip_J = σ₀/2 at the certified R", conditioning_from_gf10),
    ),
)

# ------------------------------------------------------------------------------------------------------------ IN-4

R_PRIME_PL = residual_0 / sp.sqrt(mu_PL)


IN_4 = Result(
    id="IN-4",
    title="Gradient-flow baseline in μ-notation (= GF-5 for the MSE)",
    citation="arXiv:2506.02986, baseline of the abstract; = 01 GF-5",
    provenance=Provenance.DERIVED,
    variant="constants re-derived; the form matches the RECALLED predecessor theorem",
    statement=("For θ̇ = −∇f(θ), θ(0) = θ₀, R·Lip(J_g) ≤ σ₀/2 and R′ = ‖y(0) − y‖/√μ = 2‖y(0) − y‖/(σ_Aσ₀) < R: "
               "θ(t) ∈ 𝔹(θ₀, R′), σ_min(J_g(θ(t))) ≥ σ₀/2, f(θ(t)) − ½‖P⊥y‖² ≤ (f(θ₀) − ½‖P⊥y‖²)e^{−2μt}, "
               "‖y(t) − y‖² − ‖P⊥y‖² ≤ (‖y(0) − y‖² − ‖P⊥y‖²)e^{−2μt}, and θ(t) → θ_∞ with A g(u, θ_∞) = Py (zero "
               "loss when y ∈ Im(A)). The exponent is ∝ μ (the rate the abstract compares with)."),
    symbols=syms("sigma_A", "sigma_0", "mu_PL", "residual_0", "loss_0", "t", "R_prime", "R", "B", "k", "V_col_max",
                 "Lip_J", "y_perp"),
    hypotheses=(Hypothesis("R_prime<R", sp.StrictLessThan(R_prime, R),
                           "the implicit-regularisation radius is inside the conditioning radius"), CONDITIONING,
                Y_PERP_HYPOTHESIS),
    definitions=(Quantity("mu_PL", MU_PL, "PL constant σ_A²σ₀²/4"), Quantity("loss_0", LOSS_0, "f(θ₀)"),
                 Quantity("R_prime", R_PRIME_PL, "R′ = ‖y(0) − y‖/√μ"), CERTIFIED_R_USED, LIP_J),
    conclusions=(
        Quantity("gf_rate", 2 * mu_PL, "exponential rate of the loss under gradient flow"),
        Quantity("loss_bound", LOSS_FLOOR + (loss_0 - LOSS_FLOOR) * sp.exp(-2 * mu_PL * t), "f(θ(t)) ≤ this"),
        Quantity("residual_bound", sp.sqrt(y_perp**2 + (residual_0**2 - y_perp**2) * sp.exp(-2 * mu_PL * t)),
                 "‖y(t) − y‖ ≤ this"),
        Quantity("theta_dist_bound", R_prime, "‖θ(t) − θ₀‖ ≤ R′"),
        Quantity("sigma_min_lower", sigma_0 / 2, "σ_min(J_g(θ(t))) ≥ σ₀/2"),
    ),
    unconfirmed=("the paper's restatement of the baseline",),
    assumed_inputs=LIP_J_ASSUMED,
    references=(PAPER, "GF-5 (this catalogue)"),
    self_checks=(
        SelfCheck("μ is the tight PL constant, GF-3's rate", checks.mu_pl_is_the_pl_constant),
        SelfCheck("f(θ₀) = ½‖y(0) − y‖²", checks.loss_0_is_half_the_squared_residual),
        SelfCheck("R′ = √(2f(θ₀))/√μ = GF-5's 2‖y(0) − y‖/(σ_Aσ₀)", checks.r_prime_is_the_flow_path_length),
        SelfCheck("R is GF-10's certified radius (shrunk by 10⁻¹²) and Lip_J GF-10's bound", checks.radius_is_gf10s),
        SelfCheck("σ_min ≥ σ₀ − Lip·R ≥ σ₀ − σ₀/2 (Weyl, GF-2)", checks.sigma_min_is_weyls),
        SelfCheck("d/dt(f − F) = −‖∇f‖² ≤ −gf_rate·(f − F) with IN-3's PL bound", checks.gf_rate_from_pl),
        SelfCheck("−d/dt√(2(f − F)) ≥ ‖θ̇‖/K, tight, with K = theta_dist_bound/√(2f(θ₀)): ∫‖θ̇‖ ≤ theta_dist_bound",
                  checks.flow_path_length),
        SelfCheck("in σ-notation the loss and residual bounds are GF-5's", checks.gf_bounds_are_gf5s),
        SelfCheck("f − ½y_perp² and ‖y(t) − y‖² − y_perp² decay at the rate gf_rate from their values at t = 0",
                  lambda r: decays_to_floor(r, "loss_bound", LOSS_FLOOR, loss_0, sp.exp(-r.expr("gf_rate") * t),
                                             loss_0)
                  and decays_to_floor(r, "residual_bound", y_perp**2, residual_0**2,
                                       sp.exp(-r.expr("gf_rate") * t), residual_0, power=2)),
        SelfCheck("Lip_J is GF-10's bound; R·Lip_J = σ₀/2 at the certified R", conditioning_from_gf10),
    ),
)

# ------------------------------------------------------------------------------------------------------------ IN-5

DIN_RATE_HESSIAN = 2 * mu_PL * beta / (1 + alpha * beta + 2 * mu_PL * beta**2)
KAPPA = sp.Min(alpha, DIN_RATE_HESSIAN, evaluate=False)  # SymPy cannot order the two: the same Min, built faster


@functools.cache
def _optimal_parameters():
    """Maximise min{a, 2b/(1 + ab + 2b²)} (a = α/√μ, b = β√μ): on the curve F(a, b) = ba² + (1 + 2b²)a − 2b = 0
    where both terms agree, da/db = 0 ⇔ ∂F/∂b = 0; SymPy solves the pair."""
    a, b = sp.symbols("a b", positive=True)
    F = b * a**2 + (1 + 2 * b**2) * a - 2 * b
    (solution,) = sp.solve([F, sp.diff(F, b)], [a, b], dict=True)
    return solution[a], solution[b]


A_OPT, B_OPT = 2 - sp.sqrt(2), sp.sqrt(2) / 2
"""α*/√μ and β*√μ; IN-5's self-checks prove them the unique solution of `_optimal_parameters`' Lagrange system."""
ALPHA_OPT = A_OPT * sp.sqrt(mu_PL)
BETA_OPT = B_OPT / sp.sqrt(mu_PL)
KAPPA_OPT = A_OPT * sp.sqrt(mu_PL)


def _optimum_is_global(c=None, b_opt=None) -> bool:
    """κ/√μ ≤ c = a* everywhere: if a < c the first term is < c; if a ≥ c the second is ≤ 2b/(1 + cb + 2b²) (it
    decreases in a) and 2b ≤ c(1 + cb + 2b²) because c(1 + cb + 2b²) − 2b = 2c(b − b*)² ≥ 0 (a perfect square)."""
    a, b = sp.symbols("a b", positive=True)
    c = A_OPT if c is None else c  # κ*/√μ and β*√μ: the record's, else the solved A_OPT, B_OPT
    b_opt = B_OPT if b_opt is None else b_opt
    second = 2 * b / (1 + a * b + 2 * b**2)
    decreasing = positive(-sp.diff(second, a))
    square = identical(c * (1 + c * b + 2 * b**2) - 2 * b, 2 * c * (b - b_opt) ** 2)
    return decreasing and square


@functools.cache
def _speedup_threshold(kappa_opt, gf_rate):
    """The single μ > 0 where κ*(μ) = gradient flow's rate (solved)."""
    (solution,) = sp.solve(sp.Eq(kappa_opt, gf_rate), mu_PL)
    return solution


MU_SPEEDUP = sp.Rational(3, 2) - sp.sqrt(2)
"""The μ > 0 with κ* = 2μ, which IN-5's self-checks solve (`_speedup_threshold`)."""


def _optimum_is_solved(r) -> bool:
    """(α*/√μ, β*√μ) is the single solution SymPy finds of the Lagrange system, and the threshold the single root of
    κ*(μ) = 2μ, both read from the record."""
    a_opt, b_opt = _optimal_parameters()
    return (identical(r.conclusion("alpha_opt"), a_opt * sp.sqrt(mu_PL))
            and identical(r.conclusion("beta_opt"), b_opt / sp.sqrt(mu_PL))
            and identical(r.conclusion("kappa_opt"), a_opt * sp.sqrt(mu_PL))
            and identical(r.conclusion("mu_speedup_threshold"),
                          _speedup_threshold(r.conclusion("kappa_opt"), r.conclusion("gf_rate"))))


R_CONSTANT = sp.sqrt(2) / (1 - sp.exp(-1))
RESIDUAL_RATE = sp.sqrt(y_perp**2 + (2 * energy_0 / (1 + alpha * beta) - y_perp**2) * sp.exp(-kappa * t))
"""‖y(t) − y‖² = 2f ≤ y_perp² + (2E(0)/(1 + αβ) − y_perp²)e^{−κt} (IN-5 with the floor)."""
R_PRIME_DIN_EXPR = R_CONSTANT * sp.sqrt(energy_0 / (alpha * kappa))

DIN_DEFINITIONS = (
    Quantity("mu_PL", MU_PL, "PL constant σ_A²σ₀²/4 (IN-3)"),
    Quantity("loss_0", LOSS_0, "f(θ₀) = ½‖y(0) − y‖²"),
    Quantity("energy_0", ENERGY_0, "E(0) with θ̇(0) = 0 (IN-2)"),
    Quantity("kappa_DIN", KAPPA, "κ = min{α, 2μβ/(1 + αβ + 2μβ²)} (IN-5)"),
    Quantity("R_prime_DIN", R_PRIME_DIN_EXPR, "R′_DIN = (√2/(1 − e⁻¹))√(E(0)/(ακ)) (IN-6)"),
    Quantity("R_prime", R_PRIME_PL, "gradient-flow radius R′ = ‖y(0) − y‖/√μ (IN-4)"),
    CERTIFIED_R_USED,
    LIP_J,
)
DIN_SYMBOLS = ("alpha", "beta", "mu_PL", "sigma_A", "sigma_0", "residual_0", "loss_0", "grad_norm_0", "energy_0",
                "kappa_DIN", "R_prime_DIN", "R_prime", "R", "B", "k", "V_col_max", "Lip_J", "y_perp")
DIN_DEFINITION_CHECKS = (
    SelfCheck("μ is the tight constant of ‖∇f‖² ≥ (σ_min(GF-2)σ_A)²·2(f − F), and GF-3's rate",
              checks.mu_pl_is_the_pl_constant),
    SelfCheck("f(θ₀) = ½‖y(0) − y‖²", checks.loss_0_is_half_the_squared_residual),
    SelfCheck("E(0) is DIN's energy (1 + αβ)f + ½‖θ̇ + β∇f‖² at rest", checks.energy_at_rest),
    SelfCheck("κ is the largest rate of the Lyapunov bound: min of the roots of its ‖θ̇‖², ‖∇f‖² coefficients (IN-2's "
              "Ė, Young, PL)", checks.kappa_is_the_lyapunov_rate),
    SelfCheck("R′_DIN is the Cauchy–Schwarz window sum at h = 2/κ", checks.radius_is_the_window_sum),
    SelfCheck("R′ = √(2f(θ₀))/√μ = GF-5's 2‖y(0) − y‖/(σ_Aσ₀)", checks.r_prime_is_the_flow_path_length),
    SelfCheck("R is GF-10's certified radius (shrunk by 10⁻¹²) and Lip_J GF-10's bound", checks.radius_is_gf10s),
)
"""Pins of `DIN_DEFINITIONS`, in the same order (the first five cover IN-9's)."""

DIN_HYPOTHESES = (
    Hypothesis("alpha>0", sp.StrictGreaterThan(alpha, 0), "viscous damping (the radius needs α > 0)"),
    Hypothesis("beta>0", sp.StrictGreaterThan(beta, 0), "Hessian damping (the argument needs β > 0; β = 0 is IN-B8)"),
    Hypothesis("R_prime_DIN<R", sp.StrictLessThan(R_prime_DIN, R),
               "the DIN radius is inside the conditioning radius (PL holds along the trajectory)"),
    CONDITIONING,
)

def _din_bounds_reach_the_floor(r) -> bool:
    k, c = r.expr("kappa"), 1 + alpha * beta
    decay = sp.exp(-k * t)
    return (decays_to_floor(r, "energy_bound", c * LOSS_FLOOR, energy_0, decay, energy_0)
            and decays_to_floor(r, "loss_bound", LOSS_FLOOR, energy_0 / c, decay, energy_0 / c)
            and decays_to_floor(r, "residual_bound", y_perp**2, 2 * energy_0 / c, decay, sp.sqrt(2 * energy_0 / c),
                                 power=2)
            and decays_to_floor(r, "gf_loss_bound", LOSS_FLOOR, loss_0, sp.exp(-r.expr("gf_rate") * t), loss_0))


IN_5 = Result(
    id="IN-5",
    title="Accelerated exponential rate for DIN, optimal (α, β)",
    citation="arXiv:2506.02986, main continuous-time theorem (qualitative claim CONFIRMED from the abstract)",
    provenance=Provenance.DERIVED,
    variant=REBUILT,
    statement=("If ‖∇f‖² ≥ 2μ(f − F) along the trajectory, F = ½‖P⊥y‖² = min f (IN-3, guaranteed by R′_DIN < R, "
               "IN-6, and R·Lip(J_g) ≤ σ₀/2) and α, β > 0: Ẽ = E − (1 + αβ)F obeys dẼ/dt ≤ −κẼ with "
               "κ = min{α, 2μβ/(1 + αβ + 2μβ²)}, so E(t) − (1 + αβ)F ≤ (E(0) − (1 + αβ)F)e^{−κt} and f(θ(t)) − F ≤ "
               "[f(θ₀) + β²‖∇f(θ₀)‖²/(2(1 + αβ)) − F]e^{−κt}. κ is maximal at α* = (2 − √2)√μ, β* = 1/√(2μ), with "
               "κ* = (2 − √2)√μ ≈ 0.586√μ (closed form, proved optimal); κ = √μ/2 at (√μ, 1/√μ). Gradient flow gives "
               "2μ (IN-4): DIN is faster at the optimum exactly when μ < (1 − 1/√2)² ≈ 0.0858."),
    symbols=syms(*DIN_SYMBOLS, "t"),
    hypotheses=(*DIN_HYPOTHESES, Y_PERP_HYPOTHESIS),
    definitions=DIN_DEFINITIONS,
    conclusions=(
        Quantity("kappa", kappa, "DIN energy (and loss) rate κ at these (α, β)"),
        Quantity("alpha_opt", ALPHA_OPT, "optimal viscous damping α* = (2 − √2)√μ"),
        Quantity("beta_opt", BETA_OPT, "optimal Hessian damping β* = 1/√(2μ)"),
        Quantity("kappa_opt", KAPPA_OPT, "optimal rate κ* = (2 − √2)√μ"),
        Quantity("gf_rate", 2 * mu_PL, "gradient-flow loss rate 2μ (IN-4)"),
        Quantity("speedup", kappa / (2 * mu_PL), "κ/(2μ): > 1 when DIN's guaranteed rate beats gradient flow's"),
        Quantity("speedup_opt", KAPPA_OPT / (2 * mu_PL), "κ*/(2μ) at the optimal (α, β)"),
        Quantity("mu_speedup_threshold", MU_SPEEDUP, "κ* > 2μ exactly when μ is below this"),
        Quantity("energy_bound", (1 + alpha * beta) * LOSS_FLOOR
                 + (energy_0 - (1 + alpha * beta) * LOSS_FLOOR) * sp.exp(-kappa * t), "E(t) ≤ this"),
        Quantity("loss_bound", LOSS_FLOOR + (energy_0 / (1 + alpha * beta) - LOSS_FLOOR) * sp.exp(-kappa * t),
                 "f(θ(t)) ≤ this"),
        Quantity("residual_bound", RESIDUAL_RATE, "‖y(t) − y‖ ≤ this"),
        Quantity("gf_loss_bound", LOSS_FLOOR + (loss_0 - LOSS_FLOOR) * sp.exp(-2 * mu_PL * t),
                 "gradient flow's f(θ(t)) ≤ this (IN-4), beside"),
        Quantity("theta_dist_bound", R_prime_DIN, "‖θ(t) − θ₀‖ ≤ R′_DIN (IN-6)"),
        Quantity("radius_ratio_to_gf", R_prime_DIN / R_prime, "R′_DIN/R′ (R′ of gradient flow, IN-4)"),
    ),
    unconfirmed=("the paper's exponent and its choice of α(μ), β(μ) (\"optimal\" may mean the heavy-ball order √μ)",
                 NOT_READ),
    assumed_inputs=LIP_J_ASSUMED,
    choices=("Optimal (α, β): closed form from SymPy's solution of the Lagrange condition, proved globally optimal by "
             "a perfect-square identity (no numeric maximisation needed).",
             "The comparison with gradient flow is between guaranteed rates of the loss, κ against 2μ.",
             "C of the loss bound is E(0)/(1 + αβ), from f ≤ E/(1 + αβ)."),
    references=(PAPER, ACFR),
    self_checks=(
        *DIN_DEFINITION_CHECKS,
        SelfCheck("the rate kappa is the Lyapunov rate min{α, κ_H}",
                  lambda r: checks.kappa_is_the_lyapunov_rate(r, "kappa")),
        SelfCheck("theta_dist_bound is the window sum at h = 2/κ", lambda r: checks.radius_is_the_window_sum(
            r, "theta_dist_bound")),
        SelfCheck("(α*/√μ, β*√μ) solves the Lagrange system of max κ (both terms equal, ∂F/∂b = 0); κ* = α*",
                  checks.optimum_is_stationary),
        SelfCheck("gf_rate is IN-4's; speedup = κ/gf_rate, speedup_opt = κ*/gf_rate", checks.speedups),
        SelfCheck("κ*(μ) = 2μ at μ = mu_speedup_threshold > 0", checks.speedup_threshold),
        SelfCheck("radius_ratio_to_gf × IN-4's R′ is theta_dist_bound", checks.ratio_to_gf_radius),
        SelfCheck("at t = 0, y ∈ Im(A) the loss bound is E(0)/(1 + αβ) = f(θ₀) + β²‖∇f(θ₀)‖²/(2(1 + αβ))",
                  checks.loss_constant),
        SelfCheck("E − (1 + αβ)½y_perp², f − ½y_perp², ‖y(t) − y‖² − y_perp² decay like e^{−κt} (and gradient flow's "
                  "f − ½y_perp² like e^{−2μt}) from their values at t = 0", _din_bounds_reach_the_floor),
        SelfCheck("κ = √μ/2 at (α, β) = (√μ, 1/√μ)", checks.kappa_at_unit_parameters),
        SelfCheck("κ = 2√μ/5 at ACFR's (2√μ, 1/(2√μ)) (IN-B2), below ACFR's strongly convex √μ/2",
                  checks.kappa_at_acfr_parameters),
        SelfCheck("the optimum is global (a perfect square bounds every (α, β))",
                  lambda r: _optimum_is_global(r.conclusion("kappa_opt") / sp.sqrt(mu_PL),
                                               r.conclusion("beta_opt") * sp.sqrt(mu_PL))),
        SelfCheck("at κ = κ_H the ‖∇f‖² coefficient vanishes; κ_Hβ < 1", checks.kappa_closes_the_lyapunov_bound),
        SelfCheck("κ* > 2μ ⇔ μ < mu_speedup_threshold (solveset)", checks.speedup_region),
        SelfCheck("Lip_J is GF-10's bound; R·Lip_J = σ₀/2 at the certified R", conditioning_from_gf10),
        SelfCheck("α*, β*, κ* and the threshold are what SymPy solves (Lagrange system, κ*(μ) = 2μ)",
                  _optimum_is_solved),
    ),
)

RESULTS = (IN_1, IN_2, IN_3, IN_4, IN_5)
