"""Contraction constants of the schemes themselves: forward–backward with a (strongly) convex prior (JFB-7) and the
damped (relaxed) scheme x ← (1 − τ)x + τT(x) of torchdeq (JFB-8). Notation as in `theory.equilibrium`.

Both are standard facts, not statements of arXiv:2506.13239: the prox of a λ-strongly convex function is
1/(1 + τλ)-Lipschitz (Combettes–Wajs 2005; Bauschke–Combettes, Prop. 23.13), and a convex combination of the identity
and a ρ₀-Lipschitz map is (1 − τ + τρ₀)-Lipschitz (triangle inequality).
"""

from __future__ import annotations

import functools

import sympy as sp

from ipverify.theory._core import Hypothesis, Provenance, Quantity, Result, SelfCheck
from ipverify.theory._proofs import identical, nonnegative, positive
from ipverify.theory.equilibrium import (
    LAYER_CONTRACTION,
    NORM_NOT_RADIUS,
    PAPER,
    RHO_LOG,
    TORCHDEQ,
    generic,
    layer_undefined,
    same,
)
from ipverify.theory.symbols import S, syms

COMBETTES = "Combettes, Wajs. Signal recovery by proximal forward-backward splitting. Multiscale Model. Simul. 2005."
BAUSCHKE = "Bauschke, Combettes. Convex Analysis and Monotone Operator Theory in Hilbert Spaces (prox of strongly " \
           "convex functions; averaged operators)."

# ------------------------------------------------------------------------------------------------------------ JFB-7

tau, mu, L_fb, lam = S("tau_FB"), S("mu_FB"), S("L_FB"), S("lambda_sc")
GRADIENT_STEP_NORM = sp.Max(sp.Abs(1 - tau * mu), sp.Abs(1 - tau * L_fb))
PROX_LIPSCHITZ = 1 / (1 + tau * lam)
RHO_FB = GRADIENT_STEP_NORM / (1 + tau * lam)
TAU_MAX = sp.Piecewise((2 / (L_fb - lam), lam < L_fb), (sp.oo, True))

# Exact points (τ, μ, L, λ) with μ ≤ L: denoising, steps past 2/L, non-injective A with and without strong convexity.
_R = sp.Rational
FB_POINTS = ((_R(1, 2), _R(1, 10), 1, 0), (_R(39, 20), 1, 1, 0), (1, 0, 1, _R(1, 2)), (_R(3, 2), _R(1, 5), 2, _R(1, 3)),
             (_R(5, 2), _R(1, 10), 1, 0), (3, 0, 1, 2), (_R(1, 3), _R(1, 2), 3, 1), (2, _R(1, 4), 1, _R(1, 2)),
             (1, 0, 1, 0), (_R(5, 2), 0, 1, _R(1, 2)), (_R(7, 10), _R(3, 10), _R(3, 10), _R(1, 10)))


def _at(point) -> dict:
    return dict(zip((tau, mu, L_fb, lam), map(sp.sympify, point), strict=True))


def _jfb7_tikhonov_diagonal(r: Result) -> bool:
    """On AᵀA = diag(μ, L) with g = (λ/2)‖x‖² the FB step is the diagonal map diag(1 − τμ, 1 − τL)/(1 + τλ): its
    norm (largest |entry|) is the record's ρ_FB at every exact point, so the bound is attained; the gradient step
    alone has norm gradient_step_norm."""
    for point in FB_POINTS:
        at = _at(point)
        gradient = [(1 - tau * s).subs(at) for s in (mu, L_fb)]
        prox = [p.subs(at) for p in _tikhonov_prox_slope()]
        layer = max(abs(gs * prox[0]) for gs in gradient)
        if not (r.expr("rho_FB").subs(at) == layer and r.expr("rho_FB_value").subs(at) == layer
                and r.expr("gradient_step_norm").subs(at) == max(map(abs, gradient))):
            return False
    return True


@functools.cache
def _tikhonov_prox_slope() -> tuple[sp.Expr]:
    """d/dz prox_{τg}(z) for g = (λ/2)x², from the optimality condition of min_p τ(λ/2)p² + ½(p − z)²."""
    p, z = sp.symbols("p z", real=True)
    (solution,) = sp.solve(sp.diff(tau * lam / 2 * p**2 + (p - z) ** 2 / 2, p), p)
    return (sp.diff(solution, z),)


def _jfb7_prox_of_strongly_convex(r: Result) -> bool:
    """Strong monotonicity of ∂g: ⟨z − z′, p − p′⟩ ≥ (1 + τλ)‖p − p′‖², with Cauchy–Schwarz d(1 + τλ)d ≤ s·d for
    d = ‖p − p′‖, s = ‖z − z′‖: the largest d is s/(1 + τλ), the record's prox constant (attained by Tikhonov);
    Lip(T) ≤ Lip(prox)·‖I − τAᵀA‖ is the record's ρ_FB."""
    d, s = sp.Symbol("d", positive=True), sp.Symbol("s", positive=True)
    (largest,) = sp.solve(sp.Eq((1 + tau * lam) * d**2, s * d), d)
    factor = r.expr("prox_lipschitz_bound")
    return (same(factor, largest / s) and same(factor, _tikhonov_prox_slope()[0])
            and same(r.expr("rho_FB"), factor * r.expr("gradient_step_norm"))
            and same(r.expr("rho_FB_value"), r.definition("rho_FB")))


@functools.cache
def _endpoint_identity() -> bool:
    s = sp.Symbol("s", nonnegative=True)
    return identical(1 - tau * ((1 - s) * mu + s * L_fb), (1 - s) * (1 - tau * mu) + s * (1 - tau * L_fb))


def _jfb7_hypotheses_are_contraction(r: Result) -> bool:
    """1 − τλ′ for λ′ = (1 − s)μ + sL ∈ [μ, L] is a convex combination of the ends, so ‖I − τAᵀA‖ is attained at μ
    or L; and at every exact point, ρ_FB < 1 exactly when the record's hypotheses hold."""
    for point in FB_POINTS:
        at = _at(point)
        hyps = all(bool(h.relation.subs(at)) for h in r.hypotheses)
        if bool(r.expr("rho_FB").subs(at) < 1) != hyps:
            return False
    return _endpoint_identity()


def _jfb7_steps(r: Result) -> bool:
    """τ_opt solves |1 − τμ| = |1 − τL| (1 − τμ = τL − 1), ρ_FB(τ_opt) = rho_opt and τ_opt ± 10 % is no better;
    ρ_FB(τ_max) = 1 where λ_sc < L (τ_max = ∞ where λ_sc ≥ L); denoising with τ = 1.95 gives 0.95 (0.95/2.95 with
    λ_sc = 1)."""
    t = sp.Symbol("t", positive=True)
    if sp.solve(sp.Eq(1 - t * mu, t * L_fb - 1), t) != [r.expr("tau_opt")]:
        return False
    rho_fb = r.expr("rho_FB")

    def rho_at(at, step):
        return rho_fb.subs({**at, tau: step})

    for point in FB_POINTS:
        at = _at(point)
        if at[mu] + at[lam] == 0:  # no contractive step at all (ρ_FB ≥ 1)
            continue
        t_opt = r.expr("tau_opt").subs(at)
        best = rho_at(at, t_opt)
        if not (r.expr("rho_opt").subs(at) == best
                and all(rho_at(at, t_opt * f) >= best for f in (_R(9, 10), _R(11, 10)))):
            return False
        t_max = r.expr("tau_max").subs(at)
        if at[lam] < at[L_fb]:
            if not (rho_at(at, t_max) == 1 and rho_at(at, t_max * _R(99, 100)) < 1):
                return False
        elif t_max != sp.oo:
            return False
    denoising = rho_fb.subs({mu: 1, L_fb: 1, tau: _R(39, 20)})
    return denoising.subs(lam, 0) == _R(19, 20) and denoising.subs(lam, 1) == _R(19, 59)


JFB_7 = Result(
    id="JFB-7",
    title="Forward–backward contraction factor max(|1 − τμ|, |1 − τL|)/(1 + τλ_sc)",
    citation="standard (prox of a strongly convex function; Combettes–Wajs 2005), not a quote from arXiv:2506.13239",
    provenance=Provenance.DERIVED,
    variant="standard fact, not from the paper",
    statement=("For T(x) = prox_{τg}(x − τAᵀ(Ax − y)) with g convex and λ_sc-strongly convex (λ_sc ≥ 0; A the forward "
               "operator): the prox is 1/(1 + τλ_sc)-Lipschitz and ‖I − τAᵀA‖ = max(|1 − τμ|, |1 − τL|) with "
               "μ = λ_min(AᵀA), L = ‖A‖², so Lip(T) ≤ ρ_FB = max(|1 − τμ|, |1 − τL|)/(1 + τλ_sc), attained by "
               "g = (λ_sc/2)‖x‖². T is a strict contraction exactly when μ + λ_sc > 0 and τ(L − λ_sc) < 2: a "
               "non-injective A (blur, inpainting, μ = 0) contracts with a strongly convex prior, and only then. "
               "Denoising (A = I) gives |1 − τ|/(1 + τλ_sc); the best step τ = 2/(μ + L) gives "
               "(L − μ)/(L + μ + 2λ_sc)."),
    symbols=syms("tau_FB", "mu_FB", "L_FB", "lambda_sc", "rho_FB"),
    hypotheses=(Hypothesis("mu_FB<=L_FB", sp.LessThan(mu, L_fb), "λ_min(AᵀA) ≤ λ_max(AᵀA)"),
                Hypothesis("mu_FB+lambda_sc>0", sp.StrictGreaterThan(mu + lam, 0),
                           "A is injective or the prior strongly convex (needed for ρ_FB < 1)"),
                Hypothesis("tau_FB*(L_FB-lambda_sc)<2", sp.StrictLessThan(tau * (L_fb - lam), 2),
                           "step size τ(L − λ_sc) < 2 (needed for ρ_FB < 1)")),
    definitions=(Quantity("rho_FB", RHO_FB, "Lipschitz bound of one FB step"),),
    conclusions=(Quantity("rho_FB_value", RHO_FB, "Lip(T) ≤ ρ_FB (< 1 exactly when the hypotheses hold)"),
                 Quantity("gradient_step_norm", GRADIENT_STEP_NORM, "‖I − τAᵀA‖₂ (the gradient step alone)"),
                 Quantity("prox_lipschitz_bound", PROX_LIPSCHITZ, "Lip(prox_{τg}) for a λ_sc-strongly convex g"),
                 Quantity("tau_max", TAU_MAX, "supremum of the contractive steps (when μ + λ_sc > 0)"),
                 Quantity("tau_opt", 2 / (mu + L_fb), "step minimising ρ_FB"),
                 Quantity("rho_opt", (L_fb - mu) / (L_fb + mu + 2 * lam), "ρ_FB at τ_opt")),
    unconfirmed=("not a statement read in the paper (a standard fact)",),
    choices=("ρ_FB is an output here (named rho_FB, not rho), so `ipverify bound JFB-7` reports ρ_FB ≥ 1 instead of "
             "refusing it; the hypotheses say when it is < 1.",
             "λ_sc is the modulus of the whole prior term the prox is taken of (λ for λ·½‖x‖², 0 for ℓ1, weighted "
             "ℓ1 and Huber); it defaults to 0 (g only convex), the bound of the previous version.",
             "μ = 0 is accepted (non-injective A): with λ_sc = 0, ρ_FB = 1 for 0 < τ ≤ 2/L, JFB-1's ρ/(1 − ρ) is "
             "unbounded and the equilibrium bounds are not claimed."),
    references=(PAPER, COMBETTES, BAUSCHKE),
    self_checks=(
        SelfCheck("Tikhonov on AᵀA = diag(μ, L): the FB step's norm is ρ_FB at 11 exact points (attained)",
                  _jfb7_tikhonov_diagonal, method="grid"),
        SelfCheck("prox of a λ_sc-strongly convex g is 1/(1 + τλ_sc)-Lipschitz; ρ_FB = prox constant × ‖I − τAᵀA‖",
                  _jfb7_prox_of_strongly_convex),
        SelfCheck("‖I − τAᵀA‖ is attained at μ or L; ρ_FB < 1 ⇔ the hypotheses (11 exact points)",
                  _jfb7_hypotheses_are_contraction, method="grid"),
        SelfCheck("τ_opt = 2/(μ + L) minimises ρ_FB (value rho_opt), ρ_FB(τ_max) = 1, denoising values",
                  _jfb7_steps, method="grid"),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-8

rho_0, K, tau_d = S("rho_0"), S("K_layers"), S("tau_damp")
B_T_norm, v_norm = S("B_T_norm"), S("v_norm")
RHO_TAU = 1 - tau_d * (1 - rho_0)
DAMPED_GAP = RHO_TAU**K / (1 - rho_0) * B_T_norm


def _jfb2():
    from ipverify.theory.registry import get

    return get("JFB-2")


def _jfb8_relaxed_scalar_layer(r: Result) -> bool:
    """For the layer T(x) = ρ₀x + bθ (Lipschitz ρ₀, ∂_θT = b), T_τ = (1 − τ)x + τT has slope rho_damped and
    ∂_θT_τ = jfb_gradient_factor·b; ‖T_τx − T_τx′‖ ≤ ((1 − τ) + τρ₀)‖x − x′‖ for τ ≤ 1 (triangle inequality)."""
    x, th, b = sp.symbols("x theta b", positive=True)
    relaxed = (1 - tau_d) * x + tau_d * (rho_0 * x + b * th)
    return (same(sp.diff(relaxed, x), r.expr("rho_damped")) and same(sp.diff(relaxed, th), r.expr(
        "jfb_gradient_factor") * b) and same(r.expr("rho_damped"), (1 - tau_d) + tau_d * rho_0))


def _jfb8_is_jfb2_on_the_relaxed_layer(r: Result) -> bool:
    """K damped steps from x* are JFB-2 on T_τ (ρ₀ → rho_damped, ‖B_T‖ → τ‖B_T‖): the record's bounds; τ = 1 gives
    JFB-2 back."""
    jfb2 = _jfb2()
    on_relaxed = {rho_0: r.expr("rho_damped"), B_T_norm: r.expr("jfb_gradient_factor") * B_T_norm}
    return all(same(jfb2.expr(name).subs(on_relaxed, simultaneous=True), r.expr(name)) and
               same(r.expr(name).subs(tau_d, 1), jfb2.expr(name))
               for name in ("jacobian_gap_bound", "gradient_gap_bound"))


@functools.cache
def _same_equilibrium_gradient(factor: sp.Expr) -> bool:
    a = generic("a", 2, 2)
    b = generic("b", 2, 3)
    relaxed = (1 - tau_d) * sp.eye(2) + tau_d * a
    return identical((sp.eye(2) - relaxed).inv() * (factor * b), (sp.eye(2) - a).inv() * b)


def _jfb8_implicit_gradient_unchanged(r: Result) -> bool:
    """T_τ has the fixed points of T, and with A_τ = (1 − τ)I + τA, B_τ = factor·B: (I − A_τ)⁻¹B_τ = (I − A)⁻¹B
    (generic 2×2 A, 2×3 B): the DEQ gradient does not depend on τ; only the JFB estimate (τBᵀv) does."""
    return _same_equilibrium_gradient(r.expr("jfb_gradient_factor"))


def _jfb8_what_changes(r: Result) -> bool:
    """rho_damped ∈ [ρ₀, 1[ for τ ∈ ]0, 1], ρ₀ ∈ ]0, 1[ (ρ₀ = 1/(1 + w), τ = 1/(1 + u)); the excess over JFB-2's
    undamped bound is the record's, ≥ 0, and (1 − τ)‖B_T‖‖v‖ for damped JFB (K = 1)."""
    u = sp.Symbol("u", nonnegative=True)
    at = {rho_0: RHO_LOG, tau_d: 1 / (1 + u)}
    rho_tau = r.expr("rho_damped")
    excess = r.expr("excess_over_undamped")
    return (positive((1 - rho_tau).subs(at)) and nonnegative((rho_tau - rho_0).subs(at))
            and same(excess, r.expr("gradient_gap_bound") - _jfb2().expr("gradient_gap_bound"))
            and same(excess.subs(K, 1), (1 - tau_d) * B_T_norm * v_norm)
            and nonnegative(excess.subs(K, 2).subs(at)))


JFB_8 = Result(
    id="JFB-8",
    title="Damped (relaxed) scheme (1 − τ)I + τT: ρ_τ = 1 − τ(1 − ρ₀) and its JFB bounds",
    citation="standard (relaxation of a contraction), not from arXiv:2506.13239; torchdeq's damping; derived here",
    provenance=Provenance.DERIVED,
    variant="standard fact, not from the paper",
    statement=("Let T be ρ₀-Lipschitz (ρ₀ < 1, an operator-norm bound, not a spectral radius) and T_τ = (1 − τ)I + τT "
               "with τ ∈ ]0, 1] (torchdeq's damping `tau`). Then T_τ is ρ_τ-Lipschitz with ρ_τ = 1 − τ(1 − ρ₀) ∈ "
               "[ρ₀, 1[, it has the fixed points of T, and the DEQ gradient is unchanged: (I − A_τ)⁻¹B_τ = "
               "(I − A)⁻¹B with A_τ = (1 − τ)I + τA, B_τ = τB. What changes is the JFB estimate: K damped steps from "
               "x* (torchdeq grad=K with tau; K = 1 is damped JFB, g = τBᵀv) satisfy ‖g_DEQ − g_K^τ‖ ≤ "
               "ρ_τᴷ/(1 − ρ₀)‖B_T‖‖v‖, which exceeds JFB-2's undamped ρ₀ᴷ/(1 − ρ₀)‖B_T‖‖v‖ (by (1 − τ)‖B_T‖‖v‖ "
               "at K = 1): the undamped bound is not valid for a damped run."),
    symbols=syms("rho_0", "tau_damp", "K_layers", "B_T_norm", "v_norm"),
    hypotheses=(LAYER_CONTRACTION,
                Hypothesis("tau_damp<=1", sp.LessThan(tau_d, 1), "damping τ ≤ 1 (a convex combination)")),
    undefined=(layer_undefined("jacobian_gap_bound", "gradient_gap_bound", "excess_over_undamped"),),
    conclusions=(
        Quantity("rho_damped", RHO_TAU, "Lip(T_τ) ≤ ρ_τ = 1 − τ(1 − ρ₀) (< 1 under the hypotheses)"),
        Quantity("jfb_gradient_factor", tau_d, "∂_θT_τ = τ∂_θT: damped JFB returns τ·B_Tᵀv"),
        Quantity("jacobian_gap_bound", DAMPED_GAP, "‖J* − J_K^τ‖ ≤ this bound (K damped steps from x*)"),
        Quantity("gradient_gap_bound", DAMPED_GAP * v_norm, "‖g_DEQ − g_K^τ‖ ≤ this bound"),
        Quantity("excess_over_undamped", (RHO_TAU**K - rho_0**K) / (1 - rho_0) * B_T_norm * v_norm,
                 "this bound minus JFB-2's undamped one (≥ 0)"),
    ),
    unconfirmed=("not a statement of the paper; torchdeq's own analysis of its damping was not consulted",),
    choices=("B_T_norm and rho_0 are the undamped layer's, the inputs a torchdeq user knows; the damped layer's "
             "constants are derived (rho_damped, τ‖B_T‖).",
             "τ > 1 (over-relaxation) is outside this statement: ρ_τ would need |1 − τ| + τρ₀.",
             NORM_NOT_RADIUS),
    references=(TORCHDEQ, BAUSCHKE, "Geng et al. NeurIPS 2021 (phantom gradients with damping)."),
    self_checks=(
        SelfCheck("the scalar layer ρ₀x + bθ: T_τ has slope ρ_τ and ∂_θT_τ = τb; triangle inequality for τ ≤ 1",
                  _jfb8_relaxed_scalar_layer),
        SelfCheck("the bounds are JFB-2 on T_τ (ρ₀ → ρ_τ, ‖B_T‖ → τ‖B_T‖), and JFB-2's at τ = 1",
                  _jfb8_is_jfb2_on_the_relaxed_layer),
        SelfCheck("(I − A_τ)⁻¹τB = (I − A)⁻¹B (generic A, B): the DEQ gradient is unchanged",
                  _jfb8_implicit_gradient_unchanged),
        SelfCheck("ρ_τ ∈ [ρ₀, 1[; the excess over JFB-2 is ≥ 0 and (1 − τ)‖B_T‖‖v‖ at K = 1", _jfb8_what_changes),
    ),
)

RESULTS = (JFB_7, JFB_8)

