"""Restarted JFB and the outer loop (JFB-5, JFB-6): the notation is `theory.equilibrium`'s.

JFB-5 is the abstract's second claim of Davy, Briceño-Arias, Pustelnik (arXiv:2506.13239), rebuilt from JFB-4 at the
restart point; JFB-6 is the generic descent lemma with inexact gradients (not from the paper).
"""

from __future__ import annotations

import functools

import sympy as sp

from ipverify.theory._core import Hypothesis, Provenance, Quantity, Result, SelfCheck
from ipverify.theory._proofs import identical, nonnegative, positive
from ipverify.theory.equilibrium import (
    CODE,
    J_STAR_BOUND,
    LAYER_CONTRACTION,
    NOT_READ,
    PAPER,
    PERTURBATION,
    RHO_K,
    RHO_LOG,
    TORCHDEQ,
    VARIANT,
    W,
    at_sum,
    e_0,
    generic,
    layer_undefined,
    same,
    unrolled_jacobian_gap,
    vectors,
)
from ipverify.theory.symbols import S, syms

rho_0, K, T = S("rho_0"), S("K_layers"), S("T_blocks")
L_theta, L_A, L_B, L_ell, v_norm, e_init = S("L_theta"), S("L_A"), S("L_B"), S("L_ell"), S("v_norm"), S("e_init")

# ------------------------------------------------------------------------------------------------------------ JFB-5

E_0_RESTART = rho_0 ** (T * K) * e_init
OUTPUT_GAP = rho_0 ** ((T + 1) * K) * e_init
RESTART_GAP = (J_STAR_BOUND * L_ell * OUTPUT_GAP
               + (RHO_K * L_theta / (1 - rho_0) + K * rho_0 ** (K - 1) * PERTURBATION * E_0_RESTART) * v_norm)
RESTART_FLOOR = RHO_K * L_theta * v_norm / (1 - rho_0)
RESTART_EXCESS = J_STAR_BOUND * L_ell * OUTPUT_GAP + K * rho_0 ** (K - 1) * PERTURBATION * E_0_RESTART * v_norm


def _jfb4():
    from ipverify.theory.registry import get

    return get("JFB-4")


def _jfb5_restart_phase(r: Result) -> bool:
    """By induction on the blocks: e₀ = e_init at T = 0 and one block maps e₀(T) to JFB-4's ρ₀ᴷe₀(T) = e₀(T + 1);
    the last block gives the output gap ρ₀ᴷe₀(T)."""
    e0 = r.definition("e_0")
    one_block = _jfb4().expr("iterate_gap_bound")
    return (same(e0.subs(T, 0), e_init) and same(e0.subs(T, T + 1), one_block.subs(e_0, e0))
            and same(r.expr("output_gap_bound"), one_block.subs(e_0, e0)))


def _jfb5_is_jfb4_at_the_restart_point(r: Result) -> bool:
    """The gradient bound is JFB-4's at e₀ = ρ₀^{TK}e_init with ‖J_K‖ ≤ ‖J*‖'s bound L_θ/(1 − ρ₀) (looser than
    L_θ(1 − ρ₀ᴷ)/(1 − ρ₀): the difference is ≥ 0)."""
    jfb4, e0 = _jfb4(), r.definition("e_0")
    at = {e_0: e0}
    looser = (jfb4.expr("implicit_jacobian_bound") * L_ell * jfb4.expr("iterate_gap_bound").subs(at)
              + jfb4.expr("jacobian_gap_bound").subs(at) * v_norm)
    return (same(r.expr("gradient_gap_bound"), looser)
            and nonnegative((looser - jfb4.expr("gradient_gap_bound").subs(at)).subs(rho_0, RHO_LOG)))


def _jfb5_floor(r: Result) -> bool:
    """The floor is JFB-2's gap with ‖B_T‖ ≤ L_θ, and what the bound leaves when the restart starts at x*."""
    from ipverify.theory.registry import get

    return (same(r.expr("floor"), get("JFB-2").expr("gradient_gap_bound").subs(S("B_T_norm"), L_theta))
            and same(r.expr("gradient_gap_bound").subs(e_init, 0), r.expr("floor")))


@functools.cache
def _excess_identity() -> bool:
    a_k, b_k, jhat, jstar = generic("p", 2, 2), generic("q", 2, 3), generic("r", 2, 3), generic("s", 2, 3)
    a, b = generic("a", 2, 2), generic("b", 2, 3)
    return identical((a_k * jhat + b_k) - (a * jstar + b), a_k * (jhat - jstar) + (a_k - a) * jstar + (b_k - b))


def _jfb5_excess_recursion(r: Result) -> bool:
    """D_k = J_k(x̂) − J_k(x*): D_{k+1} = A(x̂_k)D_k + (A(x̂_k) − A)J_k(x*) + (B(x̂_k) − B) with D₀ = 0 (generic
    matrices), so ‖D_K‖ solves JFB-4's recursion from 0 at e₀ = ρ₀^{TK}e_init; with ‖J_K(x̂)‖ ≤ L_θ/(1 − ρ₀) and the
    output gap this bounds ‖g_R − g_K(x*)‖."""
    e0 = at_sum(r.definition("e_0"))
    derived = (at_sum(J_STAR_BOUND * L_ell * r.expr("output_gap_bound"))
               + unrolled_jacobian_gap(0, e0) * v_norm)
    return same(at_sum(r.expr("restart_excess_bound")), derived) and _excess_identity()


def _with_positive_constants(expr):
    """expr with every non-negative constant (L_A, L_B, L_ℓ, e_init, ‖v‖) replaced by a positive symbol."""
    return expr.subs({sym: sp.Symbol(f"{sym.name}_pos", positive=True) for sym in expr.free_symbols
                      if sym.is_positive is not True})


def _jfb5_monotone_and_limits(r: Result) -> bool:
    """The bound is non-increasing in T (strictly with positive constants), decreases in K beyond the maximiser
    1/log(1/ρ₀) of Kρ₀^{K−1} (K = (1 + s)/log(1/ρ₀)), tends to the floor as T → ∞ (bound − floor is ρ₀^{TK} times
    a T-free factor) and to 0 as K → ∞."""
    bound = r.expr("gradient_gap_bound").subs(rho_0, RHO_LOG)
    s = sp.Symbol("s", positive=True)
    d_t = -sp.diff(bound, T)
    d_k = (-sp.diff(bound, K)).subs(K, (1 + s) / sp.log(1 + W))
    return (nonnegative(d_t) and positive(_with_positive_constants(d_t))
            and nonnegative(d_k) and positive(_with_positive_constants(d_k))
            and T not in sp.powsimp(sp.expand((r.expr("gradient_gap_bound") - r.expr("floor"))
                                              / rho_0 ** (T * K))).free_symbols
            and sp.limit(bound, K, sp.oo) == 0)


JFB_5 = Result(
    id="JFB-5",
    title="Restarted JFB approaches the DEQ gradient (the abstract's second claim)",
    citation="arXiv:2506.13239, abstract: restarted JFB by AD is 'arbitrarily close' to DEQ (#?); derived here",
    provenance=Provenance.DERIVED,
    variant=VARIANT,
    statement=("Run T restart blocks of K layers from x_init without gradients (x̂ = Φ_K^T(x_init), "
               "‖x̂ − x*‖ ≤ ρ₀^{TK}e_init), then one K-layer block with AD from the detached x̂: g_R = "
               "J_K(x̂)ᵀ∇ℓ(Φ_K(x̂)). With JFB-4's single-layer constants (ρ₀ a Lipschitz constant, not a spectral "
               "radius), ‖g_R − g_DEQ‖ ≤ [L_θ/(1 − ρ₀)]L_ℓρ₀^{(T+1)K}e_init + [ρ₀ᴷL_θ/(1 − ρ₀) + "
               "Kρ₀^{K−1}(L_AL_θ/(1 − ρ₀) + L_B)ρ₀^{TK}e_init]‖∇ℓ(x*)‖, which decreases in T to the JFB-2 floor "
               "ρ₀ᴷL_θ‖∇ℓ(x*)‖/(1 − ρ₀) and tends to 0 as K → ∞: each learned step θ − γg_R is within γε of the DEQ "
               "step for suitable (K, T)."),
    symbols=syms("rho_0", "K_layers", "T_blocks", "L_theta", "L_A", "L_B", "e_init", "v_norm", "L_ell", "e_0"),
    hypotheses=(LAYER_CONTRACTION,),
    undefined=(layer_undefined("gradient_gap_bound", "floor", "restart_excess_bound"),),
    definitions=(Quantity("e_0", E_0_RESTART, "‖x̂ − x*‖ ≤ ρ₀^{TK}e_init after T restart blocks"),),
    conclusions=(
        Quantity("output_gap_bound", OUTPUT_GAP, "‖Φ_K(x̂) − x*‖ ≤ this bound"),
        Quantity("gradient_gap_bound", RESTART_GAP, "‖g_R − g_DEQ‖ ≤ this bound"),
        Quantity("floor", RESTART_FLOOR, "limit of the bound as T → ∞ (JFB-2 with ‖B_T‖ ≤ L_θ)"),
        Quantity("restart_excess_bound", RESTART_EXCESS,
                 "‖g_R − g_K(x*)‖ ≤ this bound (distance to K-step JFB at the exact equilibrium; derived here)"),
    ),
    unconfirmed=(NOT_READ, "the form of the statement (a limit, or one fixed K with T → ∞)",
                 "whether the paper carries the restart across outer iterations (the code does not)"),
    choices=("Per-layer constants (rho_0, L_theta, L_A, L_B), as for JFB-4: e₀ ≤ ρ₀^{TK}e_init with per-layer ρ₀; "
             "the Lip(Φ) alternative ρ_Φ^T is not encoded.",
             "T ≥ 1 here; T = 0 (no restart) is JFB-4 with e₀ = e_init. The numerics accept T = 0.",
             "‖J_K‖ ≤ L_θ/(1 − ρ₀) (looser than JFB-4's L_θ(1 − ρ₀ᴷ)/(1 − ρ₀); self-check).",
             "`restart_excess_bound` bounds the distance of g_R from K-step JFB at the exact x*, so the measured "
             "restarted error converges to the JFB-K error as T grows; it equals the bound minus the floor."),
    references=(PAPER, CODE, TORCHDEQ + " DEQSliced is the closest library analogue."),
    self_checks=(
        SelfCheck("e₀(0) = e_init, one block maps e₀(T) to ρ₀ᴷe₀(T) = e₀(T + 1) (JFB-4); output gap ρ₀ᴷe₀(T)",
                  _jfb5_restart_phase),
        SelfCheck("the floor is JFB-2's with ‖B_T‖ ≤ L_θ, and the bound at e_init = 0", _jfb5_floor),
        SelfCheck("the bound is JFB-4's at e₀ = ρ₀^{TK}e_init with the looser ‖J_K‖ ≤ L_θ/(1 − ρ₀)",
                  _jfb5_is_jfb4_at_the_restart_point),
        SelfCheck("restart excess: D_{k+1} = A(x̂_k)D_k + (A(x̂_k) − A)J_k + (B(x̂_k) − B), D₀ = 0, solved (rsolve)",
                  _jfb5_excess_recursion),
        SelfCheck("decreasing in T, in K beyond 1/log(1/ρ₀); → floor as T → ∞, → 0 as K → ∞",
                  _jfb5_monotone_and_limits),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-6

L_outer, gamma_o, N_o, gap_o, eps = (S("L_outer"), S("gamma_outer"), S("N_outer"), S("outer_gap"),
                                     S("eps_grad"))
GRAD_SQ_MIN = 2 * gap_o / (gamma_o * N_o) + eps**2
STEP_CONDITION = Hypothesis("gamma_outer*L_outer<=1", sp.LessThan(gamma_o * L_outer, 1), "outer step γ ≤ 1/L_𝓛")


def _jfb6_telescoped_average(r: Result) -> bool:
    """Summing (γ/2)‖∇𝓛(θ_n)‖² ≤ 𝓛(θ_n) − 𝓛(θ_{n+1}) + (γ/2)ε² over n < N: the mean (hence the min) of ‖∇𝓛‖² is
    the solution m of (γ/2)Nm = Δ + Nγε²/2; with ε = 0 and N → ∞ the bound → 0."""
    mean = sp.Symbol("m", positive=True)
    (solved,) = sp.solve(sp.Eq(gamma_o / 2 * N_o * mean, gap_o + N_o * gamma_o * eps**2 / 2), mean)
    bound = r.expr("grad_sq_min_bound")
    return same(bound, solved) and sp.limit(bound.subs(eps, 0), N_o, sp.oo) == 0


def _jfb6_step_gap(r: Result) -> bool:
    """(θ − γ(∇ + e)) − (θ − γ∇) = −γe, whose norm is γε for ‖e‖ = ε (e = ε·(3/5, 0, 4/5) in ℝ³)."""
    theta, grad = vectors()
    err = eps * sp.Matrix([sp.Rational(3, 5), 0, sp.Rational(4, 5)])
    diff = (theta - gamma_o * (grad + err)) - (theta - gamma_o * grad)
    return same(r.expr("step_gap"), sp.sqrt(sp.factor((diff.T * diff)[0])))


def _jfb6_inexact_step(r: Result) -> bool:
    """With g = ∇ + e: −γ⟨∇, g⟩ + (γ/2)‖g‖² = (γ/2)(‖e‖² − ‖∇‖²) (ℝ³), and (γ/2 − L_𝓛γ²/2)‖g‖² ≥ 0 exactly under the
    record's step hypothesis γL_𝓛 ≤ 1 (γL_𝓛 = 1/(1 + u)), so the descent lemma gives the one-step inequality."""
    grad, err = vectors()
    g = grad + err
    identity = identical(-gamma_o * (grad.T * g)[0] + gamma_o / 2 * (g.T * g)[0],
                         gamma_o / 2 * ((err.T * err)[0] - (grad.T * grad)[0]))
    hyp = r.hypothesis("gamma_outer*L_outer<=1")
    u, g2 = sp.Symbol("u", nonnegative=True), sp.Symbol("g2", positive=True)
    slack = (gamma_o / 2 - L_outer * gamma_o**2 / 2) * g2
    at_hyp = {gamma_o: 1 / ((1 + u) * L_outer)}
    return (identity and same(hyp.margin.subs(at_hyp), u / (1 + u)) and nonnegative(slack.subs(at_hyp)))


JFB_6 = Result(
    id="JFB-6",
    title="Outer loop with inexact hypergradients",
    citation="generic fact (descent lemma with inexact gradients), not from arXiv:2506.13239; derived here",
    provenance=Provenance.DERIVED,
    variant="generic fact, not from the paper",
    statement=("If 𝓛 is L_𝓛-smooth, 0 < γ ≤ 1/L_𝓛, and every hypergradient g_n (DEQ, JFB, unrolled or restarted) has "
               "error ‖g_n − ∇𝓛(θ_n)‖ ≤ ε, then θ_{n+1} = θ_n − γg_n satisfies min_{n<N} ‖∇𝓛(θ_n)‖² ≤ "
               "2(𝓛(θ₀) − inf 𝓛)/(γN) + ε², and each step differs from the exact-gradient step by at most γε."),
    symbols=syms("L_outer", "gamma_outer", "N_outer", "outer_gap", "eps_grad"),
    hypotheses=(STEP_CONDITION,),
    conclusions=(Quantity("grad_sq_min_bound", GRAD_SQ_MIN, "min_{n<N} ‖∇𝓛(θ_n)‖² ≤ this bound"),
                 Quantity("step_gap", gamma_o * eps, "‖(θ − γg) − (θ − γ∇𝓛(θ))‖ ≤ this bound")),
    unconfirmed=("the paper's own outer step-size conditions; the code uses Adam (no step-size condition)",),
    choices=("Plain gradient steps (the setting of the statement); the bilevel runs also use Adam, as the code does, "
             "where this bound is not claimed.",
             "L_𝓛 must be a certified smoothness constant on the region the iterates visit; the outer-loop claim "
             "estimates it, so its verdict is a measurement (recorded), never holds."),
    references=(PAPER, CODE, "Nesterov. Lectures on Convex Optimization (descent lemma)."),
    self_checks=(
        SelfCheck("telescoping: the bound solves (γ/2)N·m = Δ + Nγε²/2; → 0 as N → ∞ with ε = 0",
                  _jfb6_telescoped_average),
        SelfCheck("the step gap is ‖−γe‖ = γε", _jfb6_step_gap),
        SelfCheck("one inexact step: −γ⟨∇, ∇ + e⟩ + (γ/2)‖∇ + e‖² = (γ/2)(‖e‖² − ‖∇‖²); slack ≥ 0 under γL ≤ 1",
                  _jfb6_inexact_step),
    ),
)

RESULTS = (JFB_5, JFB_6)
