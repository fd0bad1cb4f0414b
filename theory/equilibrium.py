"""Learning at equilibrium: DEQ, JFB and truncated/unrolled AD (JFB-1 … JFB-4; JFB-5 … JFB-8 in
`theory.equilibrium_restarted` and `theory.equilibrium_relaxed`).

Paper: Davy, Briceño-Arias, Pustelnik, arXiv:2506.13239 (2025); code github.com/DavyL/ReTune. Only the abstract and
the code were read: JFB-1 … JFB-5 are the statements the abstract describes, rebuilt by standard arguments (Neumann
series, a perturbation recursion). They are DERIVED here and UNCONFIRMED vs the paper; JFB-6 … JFB-8 are generic
facts (not from the paper).

Notation (the paper's A, B, ρ, K, T, μ, L, τ clash with the rest of the catalogue):
- A = ∂_xΦ(x*), B = ∂_θΦ(x*) are partial Jacobians (not the forward operator, which appears only in JFB-7);
  J* = (I − A)⁻¹B is the implicit Jacobian, g_DEQ = J*ᵀv and g_JFB = Bᵀv with v = ∇_xℓ(x*);
- `rho` is a Lipschitz constant of the scheme Φ (JFB-1, JFB-3), `rho_0` that of ONE layer T (JFB-2, JFB-4, JFB-5,
  JFB-8). Both bound an operator norm ‖∂_x·‖₂: a spectral radius (torchdeq's `sradius`) is not enough, the Neumann
  bounds use ‖Aʲ‖ ≤ ‖A‖ʲ, which fails for the spectral radius of a non-normal A;
- `K_layers` is the AD depth, `T_blocks` the number of restart blocks.

The paper's constants ρ, A(·), B(·) are defined for Φ but used for a single layer in the restarted results: here the
single-layer reading is encoded with distinct names (JFB-4/JFB-5 take `rho_0`, `L_theta`, `L_A`, `L_B` of the layer T,
x_{k+1} = T(x_k)); `rho` is kept for Φ. The K-layer reading (ρ_Φ = Lip(Φ_K) ≤ ρ₀ᴷ) is JFB-1 applied to Φ_K, which
JFB-2 relates to the per-layer constants.

Self-checks read the record's quantities by name and derive them from the proof step (Neumann sums, recursions solved
by `rsolve`, the scalar layer that attains a bound), so that a changed record fails them.
"""

from __future__ import annotations

import functools

import sympy as sp

from ipverify.theory._core import Family, Hypothesis, Provenance, Quantity, Result, SelfCheck, Undefined
from ipverify.theory._proofs import identical, positive
from ipverify.theory.symbols import S, syms

FAMILY = Family("JFB", "Equilibrium models: restarted JFB vs DEQ", "arXiv:2506.13239", order=4)

PAPER = ("Davy, Briceño-Arias, Pustelnik. Restarted contractive operators to learn at equilibrium. "
         "arXiv:2506.13239 (2025).")
CODE = "github.com/DavyL/ReTune (authors' code: PGD.forward, restart then one K-layer block with autograd)."
FUNG = "Fung, Heaton, Li, McKenzie, Osher, Yin. JFB: Jacobian-Free Backpropagation for Implicit Networks. AAAI 2022."
BOLTE = "Bolte, Pauwels, Vaiter. One-step differentiation of iterative algorithms. NeurIPS 2023."
GENG = "Geng, Zhang, Bai, Wang, Lin. On training implicit models (phantom gradients). NeurIPS 2021."
ABLIN = ("Ablin, Peyré, Moreau. Super-efficiency of automatic differentiation for functions defined as a minimum. "
         "ICML 2020.")
TORCHDEQ = "torchdeq (locuslab): grad.py, `ift=True` (implicit) and `grad=K` (phantom gradient, K damped steps)."
VARIANT = "reconstructed by a standard argument; UNCONFIRMED vs paper"
NOT_READ = "the paper's full text was not consulted: its theorem numbering and exact constants are unknown"
NORM_NOT_RADIUS = ("ρ bounds the operator norm ‖∂_xΦ‖₂ (a Lipschitz constant), never a spectral radius: torchdeq's "
                   "`sradius` can be far below the norm (non-normal Jacobians) and the bound then fails.")

rho, rho_0, K = S("rho"), S("rho_0"), S("K_layers")
B_norm, B_T_norm, v_norm, g_norm = S("B_norm"), S("B_T_norm"), S("v_norm"), S("g_DEQ_norm")
L_theta, L_A, L_B, L_ell = S("L_theta"), S("L_A"), S("L_B"), S("L_ell")
e_0 = S("e_0")

# Reparametrisations that let SymPy decide signs on ]0, 1[: ρ = w/(1 + w) (sums) and ρ = 1/(1 + w) (logarithms).
W = sp.Symbol("w", positive=True)
RHO_SUM = W / (1 + W)
RHO_LOG = 1 / (1 + W)
_j = sp.Symbol("j", integer=True, nonnegative=True)
_n = sp.Symbol("n", integer=True, nonnegative=True)

# ------------------------------------------------------------------------------------------------------ check helpers

_SAMPLE = tuple(sp.Rational(p, q) for p, q in ((2, 7), (3, 11), (5, 13), (4, 9), (6, 17), (7, 19), (3, 23), (8, 29)))


def _sample_point(expr, shift: int) -> dict:
    """Exact values allowed by every symbol's assumptions (rationals in ]0, 1[, integers ≥ 2)."""
    names = sorted(expr.free_symbols, key=sp.default_sort_key)
    return {s: sp.Integer(2 + (i + shift) % 3) if s.is_integer else _SAMPLE[(i + shift) % len(_SAMPLE)]
            for i, s in enumerate(names)}


def _refuted(diff) -> bool:
    """diff is non-zero at an exact sample point (so lhs ≢ rhs); cheap, and never wrong."""
    for shift in (0, 3):
        value = sp.N(diff.subs(_sample_point(diff, shift)), 30)
        if value.is_number and value.is_finite:  # a pole or an undefined value refutes nothing
            if abs(complex(value)) > 1e-20:
                return True
    return False


def same(lhs, rhs) -> bool:
    """lhs ≡ rhs: refuted at once at a sample point where they differ, else decided by `identical`."""
    if isinstance(lhs, sp.MatrixBase):
        entries = list(sp.Matrix(lhs) - sp.Matrix(rhs))
    else:
        entries = [sp.sympify(lhs - rhs)]
    if any(_refuted(e) for e in entries):
        return False
    return identical(lhs, rhs)


def generic(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, sp.symbols(f"{name}0:{rows * cols}"))


_A2, _B23, _I2 = generic("a", 2, 2), generic("b", 2, 3), sp.eye(2)


def vectors():
    return generic("a", 3, 1), generic("b", 3, 1)


@functools.cache
def geometric_sums() -> dict[str, sp.Expr]:
    """Σ ρʲ over j ≥ 1, j ≥ 0, j ≥ K and j < K at ρ = w/(1 + w) (computed once; independent of any record)."""
    return {"tail_1": sp.summation(RHO_SUM**_j, (_j, 1, sp.oo)), "full": sp.summation(RHO_SUM**_j, (_j, 0, sp.oo)),
            "tail_K": sp.summation(RHO_SUM**_j, (_j, K, sp.oo)), "head_K": sp.summation(RHO_SUM**_j, (_j, 0, K - 1))}


def at_sum(expr, symbol=rho_0):
    return expr.subs(symbol, RHO_SUM)


# ------------------------------------------------------------------------------------------------------------ JFB-1

NEUMANN_FACTOR = rho / (1 - rho)
CONTRACTION = Hypothesis("rho<1", sp.StrictLessThan(rho, 1),
                         "Φ is a contraction at the equilibrium (A1): ‖∂_xΦ(x*)‖₂ ≤ ρ < 1 (operator norm)")
NOT_A_CONTRACTION = ("ρ ≥ 1: Φ is not a contraction, the Neumann series Σρʲ diverges and ρ/(1 − ρ) is undefined "
                     "(a pole at 1, negative beyond)")


def _jfb1_neumann_series(r: Result) -> bool:
    """‖(I − A)⁻¹A‖ ≤ Σ_{j≥1}‖A‖ʲ ≤ Σ_{j≥1}ρʲ and ‖(I − A)⁻¹‖ ≤ Σ_{j≥0}ρʲ: every bound is a summed series times ‖B‖
    (and ‖v‖)."""
    s = geometric_sums()
    return (same(at_sum(r.expr("neumann_factor"), rho), s["tail_1"])
            and same(at_sum(r.expr("jacobian_gap_bound"), rho), s["tail_1"] * B_norm)
            and same(at_sum(r.expr("gradient_gap_bound"), rho), s["tail_1"] * B_norm * v_norm)
            and same(at_sum(r.expr("implicit_jacobian_bound"), rho), s["full"] * B_norm))


@functools.cache
def _neumann_identities() -> bool:
    inverse = (_I2 - _A2).inv()
    v = generic("v", 2, 1)
    gap = _B23.T * (_I2 - _A2.T).inv() * v - _B23.T * v
    return (identical(inverse - _I2, inverse * _A2) and identical(inverse * _B23 - _B23, inverse * _A2 * _B23)
            and identical(gap, (inverse * _A2 * _B23).T * v))


def _jfb1_identities_and_tightness(r: Result) -> bool:
    """(I − A)⁻¹ − I = (I − A)⁻¹A, J* − B = (I − A)⁻¹AB and g_DEQ − g_JFB = ((I − A)⁻¹AB)ᵀv (generic 2×2 A, 2×3 B,
    v); the scalar layer A = ρ, B = ‖B‖, v = ‖v‖ attains every bound."""
    j_star = B_norm / (1 - rho)
    return (same(r.expr("jacobian_gap_bound"), j_star - B_norm)
            and same(r.expr("gradient_gap_bound"), (j_star - B_norm) * v_norm)
            and same(r.expr("implicit_jacobian_bound"), j_star)
            and same(r.expr("neumann_factor"), (j_star - B_norm) / B_norm)
            and _neumann_identities())


def _jfb1_factor_shape(r: Result) -> bool:
    """ρ/(1 − ρ) is increasing on ]0, 1[, → 0 as ρ → 0⁺ ("arbitrarily good") and → ∞ as ρ → 1⁻."""
    factor = r.expr("neumann_factor")
    return (positive(sp.diff(factor, rho).subs(rho, RHO_SUM)) and sp.limit(factor, rho, 0, "+") == 0
            and sp.limit(factor, rho, 1, "-") == sp.oo)


JFB_1 = Result(
    id="JFB-1",
    title="JFB vs DEQ at the equilibrium: the Neumann bound ρ/(1 − ρ)",
    citation="arXiv:2506.13239, result behind the abstract's 'arbitrarily good' claim (#?); derived here",
    provenance=Provenance.DERIVED,
    variant=VARIANT,
    statement=("Let x* = Φ(x*, θ), A = ∂_xΦ(x*), B = ∂_θΦ(x*) with ‖A‖₂ ≤ ρ < 1 (operator norm, i.e. a Lipschitz "
               "constant; a spectral radius is not enough), v = ∇_xℓ(x*). The implicit Jacobian is "
               "J* = (I − A)⁻¹B = Σ_j AʲB and J* − B = (I − A)⁻¹AB, so ‖J* − B‖ ≤ (ρ/(1 − ρ))‖B‖ and the JFB "
               "hypergradient g_JFB = Bᵀv satisfies ‖g_DEQ − g_JFB‖ ≤ (ρ/(1 − ρ))‖B‖‖v‖, which tends to 0 with ρ. "
               "The bound is attained by the scalar layer A = ρ."),
    symbols=syms("rho", "B_norm", "v_norm"),
    hypotheses=(CONTRACTION,),
    undefined=(Undefined(sp.GreaterThan(rho, 1), NOT_A_CONTRACTION),),
    conclusions=(
        Quantity("neumann_factor", NEUMANN_FACTOR, "‖(I − A)⁻¹A‖ ≤ ρ/(1 − ρ)"),
        Quantity("jacobian_gap_bound", NEUMANN_FACTOR * B_norm, "‖J* − B‖ ≤ this bound"),
        Quantity("gradient_gap_bound", NEUMANN_FACTOR * B_norm * v_norm, "‖g_DEQ − g_JFB‖ ≤ this bound"),
        Quantity("implicit_jacobian_bound", B_norm / (1 - rho), "‖J*‖ ≤ this bound"),
    ),
    unconfirmed=(NOT_READ, "whether the paper writes the constant with Lip(Φ), with ‖∂_xΦ(x*)‖ or with separate "
                 "constants (ρ/(1 − ρ) is the standard one; Bolte et al. 2023 give the same order)"),
    choices=("The proof needs only ‖∂_xΦ(x*)‖₂ ≤ ρ, so ρ may be a certified global Lipschitz constant or the exact "
             "local ‖A(x*)‖₂; the claims use the certified one and report the local one beside it.",
             NORM_NOT_RADIUS,
             "ρ ≥ 1 is not a contraction: the hypothesis fails, and `ipverify bound` answers so and shows the bounds "
             "as undefined (the record's `undefined` region).",
             "Φ may be one layer (JFB with grad=1), the K-layer block Φ_K (JFB on Φ_K, see JFB-2) or the damped "
             "layer (1 − τ)I + τT (JFB-8, where the JFB gradient is τBᵀv)."),
    references=(PAPER, FUNG, BOLTE, TORCHDEQ),
    self_checks=(
        SelfCheck("every bound is a Neumann series: Σ_{j≥1}ρʲ‖B‖(‖v‖), Σ_{j≥0}ρʲ‖B‖ (summed for ρ ∈ ]0, 1[)",
                  _jfb1_neumann_series),
        SelfCheck("J* − B = (I − A)⁻¹AB, g_DEQ − g_JFB = ((I − A)⁻¹AB)ᵀv (generic A, B, v); A = ρ attains the bounds",
                  _jfb1_identities_and_tightness),
        SelfCheck("ρ/(1 − ρ) increasing, → 0 at 0⁺ and → ∞ at 1⁻", _jfb1_factor_shape),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-2

RHO_K = rho_0**K
TAIL_FACTOR = RHO_K / (1 - rho_0)
PARTIAL_THETA_FACTOR = (1 - RHO_K) / (1 - rho_0)
LAYER_CONTRACTION = Hypothesis("rho_0<1", sp.StrictLessThan(rho_0, 1),
                               "every layer T is a contraction: ‖∂_xT(x)‖₂ ≤ ρ₀ < 1 (operator norm)")
LAYER_NOT_A_CONTRACTION = ("ρ₀ ≥ 1: the layer is not a contraction, Σρ₀ʲ diverges and 1/(1 − ρ₀) is undefined (a pole "
                           "at 1, negative beyond)")


def layer_undefined(*quantities: str) -> Undefined:
    """ρ₀ ≥ 1, where the named bounds (those with 1/(1 − ρ₀), the tail of a divergent series) are undefined."""
    return Undefined(sp.GreaterThan(rho_0, 1), LAYER_NOT_A_CONTRACTION, quantities)


def _jfb2_series(r: Result) -> bool:
    """Lip(T^K) ≤ Π_{k≤K} ρ₀, ‖Σ_{j≥K}AʲB_T‖ ≤ Σ_{j≥K}ρ₀ʲ‖B_T‖ and ‖Σ_{j<K}AʲB_T‖ ≤ Σ_{j<K}ρ₀ʲ‖B_T‖ (K symbolic)."""
    s = geometric_sums()
    return (same(at_sum(r.expr("rho_bound")), sp.product(RHO_SUM, (_j, 1, K)))
            and same(at_sum(r.expr("jacobian_gap_bound")), s["tail_K"] * B_T_norm)
            and same(at_sum(r.expr("gradient_gap_bound")), s["tail_K"] * B_T_norm * v_norm)
            and same(at_sum(r.expr("partial_theta_bound")), s["head_K"] * B_T_norm))


def _jfb2_is_jfb1_on_phi_k(r: Result) -> bool:
    """JFB-1 on Φ_K with ρ = rho_bound and ‖B‖ = partial_theta_bound gives exactly JFB-2's bounds."""
    from ipverify.theory.registry import get

    on_phi_k = {rho: r.expr("rho_bound"), B_norm: r.expr("partial_theta_bound")}
    jfb1 = get("JFB-1")
    return (same(jfb1.expr("jacobian_gap_bound").subs(on_phi_k), r.expr("jacobian_gap_bound"))
            and same(jfb1.expr("gradient_gap_bound").subs(on_phi_k), r.expr("gradient_gap_bound")))


@functools.cache
def _truncation_identities() -> bool:
    """Polynomial forms (times the invertible I − A, which commutes with A): (Σ_{j<k}Aʲ)(I − A) = I − Aᵏ and
    (I − A)(J* − J_k) = B − (I − A)J_k = AᵏB, i.e. J* − J_k = Aᵏ(I − A)⁻¹B, for k = 1, …, 4."""
    zero = sp.zeros(2, 3)
    for k in range(1, 5):
        head = sum((_A2**j for j in range(k)), sp.zeros(2, 2))
        if (head * (_I2 - _A2) - (_I2 - _A2**k)).expand() != sp.zeros(2, 2):
            return False
        if (_B23 - (_I2 - _A2) * head * _B23 - _A2**k * _B23).expand() != zero:
            return False
    return True


def _jfb2_truncation_and_scalar_layer(r: Result) -> bool:
    """(Σ_{j<K}Aʲ)(I − A) = I − Aᴷ and J* − J_K = Aᴷ(I − A)⁻¹B (generic A, B, K ≤ 4); the scalar layer
    T(x) = ρ₀x + bθ attains the bounds: Φ_K has slope ρ₀ᴷ, ∂_θΦ_K and J* − J_K are the record's, K = 1, 2, 3."""
    x, th, b = sp.symbols("x theta b", positive=True)
    phi = x
    for k in range(1, 4):
        phi = rho_0 * phi + b * th
        at_k = {K: k, B_T_norm: b}
        if not (same(sp.diff(phi, x), r.expr("rho_bound").subs(at_k))
                and same(sp.diff(phi, th), r.expr("partial_theta_bound").subs(at_k))
                and same(b / (1 - rho_0) - sp.diff(phi, th), r.expr("jacobian_gap_bound").subs(at_k))):
            return False
    return _truncation_identities()


@functools.cache
def _chain_rule_identity() -> bool:
    x, th = generic("x", 2, 1), generic("t", 2, 1)
    xs, t0 = generic("xs", 2, 1), generic("tz", 2, 1)
    a, b, c = generic("a", 2, 2), generic("b", 2, 2), sp.symbols("c0:8")
    dx, dt = x - xs, th - t0
    quad = sp.Matrix([c[0] * dx[0] ** 2 + c[1] * dx[0] * dt[1] + c[2] * dx[1] * dt[0] + c[3] * dt[0] ** 2,
                      c[4] * dx[1] ** 2 + c[5] * dx[0] * dx[1] + c[6] * dx[0] * dt[0] + c[7] * dt[1] ** 2])
    layer = xs + a * dx + b * dt + quad
    phi = x
    for _ in range(3):
        phi = layer.subs(dict(zip(x, phi, strict=True)), simultaneous=True)
    at = {**dict(zip(x, xs, strict=True)), **dict(zip(th, t0, strict=True))}
    return (identical(phi.jacobian(x).subs(at), a**3)
            and identical(phi.jacobian(th).subs(at), (sp.eye(2) + a + a**2) * b))


def _jfb2_chain_rule(r: Result) -> bool:
    """AD through 3 layers of a generic nonlinear layer from x*: ∂_xΦ_3 = A³, ∂_θΦ_3 = (I + A + A²)B, the truncated
    series whose norms the record bounds by ρ₀³ and (1 + ρ₀ + ρ₀²)‖B_T‖."""
    return (same(r.expr("rho_bound").subs(K, 3), rho_0**3)
            and same(r.expr("partial_theta_bound").subs(K, 3), (1 + rho_0 + rho_0**2) * B_T_norm)
            and _chain_rule_identity())


def _jfb2_decreasing_in_depth(r: Result) -> bool:
    """The gap bound decreases in K (geometrically): −d/dK > 0 on ]0, 1[ when ‖B_T‖ > 0."""
    b = sp.Symbol("b", positive=True)
    return positive(-sp.diff(r.expr("jacobian_gap_bound").subs(B_T_norm, b), K).subs(rho_0, RHO_LOG))


JFB_2 = Result(
    id="JFB-2",
    title="K-layer truncated scheme: ρ ≤ ρ₀ᴷ and the truncated-Neumann error ρ₀ᴷ/(1 − ρ₀)‖B_T‖",
    citation="arXiv:2506.13239, 'Lipschitz properties of the truncated unrolled scheme' (#?); derived here",
    provenance=Provenance.DERIVED,
    variant=VARIANT,
    statement=("For Φ_K = T^K with T ρ₀-Lipschitz (‖∂_xT‖₂ ≤ ρ₀ < 1, operator norm; A_T = ∂_xT(x*), "
               "B_T = ∂_θT(x*)): Lip(Φ_K) ≤ ρ₀ᴷ, ∂_xΦ_K(x*) = A_Tᴷ and ∂_θΦ_K(x*) = Σ_{j<K} A_TʲB_T. JFB on Φ_K (AD "
               "through K layers from the detached x*, torchdeq grad=K with no damping) gives J_K = Σ_{j<K} A_TʲB_T, "
               "and ‖J* − J_K‖ = ‖Σ_{j≥K} A_TʲB_T‖ ≤ (ρ₀ᴷ/(1 − ρ₀))‖B_T‖, hence ‖g_DEQ − g_K‖ ≤ "
               "(ρ₀ᴷ/(1 − ρ₀))‖B_T‖‖v‖: geometric decay in K."),
    symbols=syms("rho_0", "K_layers", "B_T_norm", "v_norm"),
    hypotheses=(LAYER_CONTRACTION,),
    undefined=(layer_undefined("jacobian_gap_bound", "gradient_gap_bound"),),
    conclusions=(
        Quantity("rho_bound", RHO_K, "Lip(Φ_K) ≤ ρ₀ᴷ"),
        Quantity("jacobian_gap_bound", TAIL_FACTOR * B_T_norm, "‖J* − J_K‖ ≤ this bound"),
        Quantity("gradient_gap_bound", TAIL_FACTOR * B_T_norm * v_norm, "‖g_DEQ − g_K‖ ≤ this bound"),
        Quantity("partial_theta_bound", PARTIAL_THETA_FACTOR * B_T_norm, "‖∂_θΦ_K(x*)‖ ≤ this bound"),
    ),
    unconfirmed=(NOT_READ, "whether the paper states the bound per layer (ρ₀) or with Lip(Φ_K)"),
    choices=("Layers share one parameter θ (Φ_K = T^K); the code's per-layer parameters (PGD_Drunet's σ_k) are "
             "outside this statement.",
             "JFB-1 on Φ_K with ρ = ρ₀ᴷ reproduces this bound exactly (self-check), so both readings agree.",
             "torchdeq's grad=K with a damping τ < 1 is JFB-8, not this result.", NORM_NOT_RADIUS),
    references=(PAPER, GENG, TORCHDEQ),
    self_checks=(
        SelfCheck("the bounds are the summed series Π ρ₀, Σ_{j≥K}ρ₀ʲ‖B_T‖(‖v‖), Σ_{j<K}ρ₀ʲ‖B_T‖ (K symbolic)",
                  _jfb2_series),
        SelfCheck("JFB-1 on Φ_K (ρ = rho_bound, ‖B‖ = partial_theta_bound) gives the same bounds",
                  _jfb2_is_jfb1_on_phi_k),
        SelfCheck("J* − J_K = Aᴷ(I − A)⁻¹B (generic); the scalar layer ρ₀x + bθ attains the bounds, K = 1, 2, 3",
                  _jfb2_truncation_and_scalar_layer),
        SelfCheck("AD through 3 layers from x*: ∂_xΦ_3 = A³, ∂_θΦ_3 = (I + A + A²)B (generic nonlinear layer)",
                  _jfb2_chain_rule),
        SelfCheck("the gap bound decreases in K", _jfb2_decreasing_in_depth),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-3

JFB1_GAP = NEUMANN_FACTOR * B_norm * v_norm
INNER_LOWER = g_norm * (g_norm - JFB1_GAP)
COSINE_LOWER = (g_norm - JFB1_GAP) / (g_norm + JFB1_GAP)
K_SUFFICIENT = sp.log(g_norm * (1 - rho_0) / (B_T_norm * v_norm)) / sp.log(rho_0)


def _jfb3_descent_inequality(r: Result) -> bool:
    """With e = JFB-1's gap bound: ⟨g_JFB, g⟩ = ‖g‖² + ⟨g_JFB − g, g⟩ ≥ ‖g‖² − e‖g‖ (Cauchy–Schwarz) and
    ‖g_JFB‖ ≤ ‖g‖ + e give the inner-product and cosine bounds; the error −e·g/‖g‖ attains both."""
    from ipverify.theory.registry import get

    e = get("JFB-1").expr("gradient_gap_bound")
    g = g_norm
    return (same(r.expr("inner_product_lower"), g**2 - e * g)
            and same(r.expr("cosine_lower"), (g**2 - e * g) / (g * (g + e))))


def _jfb3_attained(r: Result) -> bool:
    """In ℝ³ with g_DEQ = (‖g‖, 0, 0) and error −(e, 0, 0), ⟨g_JFB, g_DEQ⟩ equals the inner bound (attained); with no
    gap (‖B‖ = 0, so e = 0) the bounds are ‖g‖² and 1."""
    from ipverify.theory.registry import get

    e = get("JFB-1").expr("gradient_gap_bound")
    g_deq = sp.Matrix([g_norm, 0, 0])
    g_jfb = g_deq - sp.Matrix([e, 0, 0])
    inner = (g_jfb.T * g_deq)[0]
    no_gap = {B_norm: 0}
    return (same(r.expr("inner_product_lower"), inner) and same(r.expr("inner_product_lower").subs(no_gap), g_norm**2)
            and same(r.expr("cosine_lower").subs(no_gap), 1))


@functools.cache
def _schwarz_identities() -> bool:
    a, b = vectors()
    lagrange = (a.T * a)[0] * (b.T * b)[0] - (a.T * b)[0] ** 2
    squares = sum((a[i] * b[j] - a[j] * b[i]) ** 2 for i in range(3) for j in range(i + 1, 3))
    return identical((a.T * b)[0], (b.T * b)[0] + ((a - b).T * b)[0]) and identical(lagrange, squares)


def _jfb3_positive_under_hypothesis(r: Result) -> bool:
    """⟨a, b⟩ = ‖b‖² + ⟨a − b, b⟩ and Cauchy–Schwarz by Lagrange's identity (ℝ³); the hypothesis compares JFB-1's
    bound e with ‖g_DEQ‖, and where it holds (e = ‖g‖/(1 + s), s > 0) both lower bounds are > 0: −g_JFB descends."""
    from ipverify.theory.registry import get

    s = sp.Symbol("s", positive=True)
    e = get("JFB-1").expr("gradient_gap_bound")
    hyp = r.hypothesis("gap_bound<g_DEQ_norm").relation
    (b_at,) = sp.solve(sp.Eq(e, g_norm / (1 + s)), B_norm)
    at_hyp = {B_norm: b_at, rho: RHO_SUM, g_norm: sp.Symbol("g", positive=True)}  # g_DEQ ≠ 0 under the hypothesis
    return (isinstance(hyp, sp.StrictLessThan) and same(hyp.lhs, e) and hyp.rhs == g_norm
            and positive(r.expr("inner_product_lower").subs(at_hyp))
            and positive(r.expr("cosine_lower").subs(at_hyp)) and _schwarz_identities())


def _jfb3_k_sufficient(r: Result) -> bool:
    """At K = K_sufficient, JFB-2's gap bound equals ‖g_DEQ‖ (in logarithms: K log ρ₀ + log(‖B_T‖‖v‖/(1 − ρ₀)) =
    log ‖g_DEQ‖)."""
    from ipverify.theory.registry import get

    log_gap = sp.expand_log(sp.log(get("JFB-2").expr("gradient_gap_bound")), force=True)
    residual = log_gap.subs(K, r.expr("K_sufficient")) - sp.log(g_norm)
    return sp.simplify(sp.expand_log(residual, force=True)) == 0


JFB_3 = Result(
    id="JFB-3",
    title="JFB gives a descent direction when its error is below ‖g_DEQ‖",
    citation="arXiv:2506.13239 (#?); Fung et al. AAAI 2022 (descent theorem); derived here",
    provenance=Provenance.DERIVED,
    variant=VARIANT,
    statement=("If ‖g_JFB − g_DEQ‖ < ‖g_DEQ‖ then ⟨g_JFB, g_DEQ⟩ ≥ ‖g_DEQ‖(‖g_DEQ‖ − ‖g_JFB − g_DEQ‖) > 0, so "
               "−g_JFB is a descent direction of 𝓛. Sufficient: (ρ/(1 − ρ))‖B‖‖v‖ < ‖g_DEQ‖ (JFB-1, ρ a Lipschitz "
               "constant); for JFB on Φ_K, ρ₀ᴷ/(1 − ρ₀)‖B_T‖‖v‖ < ‖g_DEQ‖, true for every K > "
               "log(‖g_DEQ‖(1 − ρ₀)/(‖B_T‖‖v‖))/log ρ₀ when g_DEQ ≠ 0."),
    symbols=syms("rho", "B_norm", "v_norm", "g_DEQ_norm", "rho_0", "B_T_norm"),
    hypotheses=(CONTRACTION,
                Hypothesis("gap_bound<g_DEQ_norm", sp.StrictLessThan(JFB1_GAP, g_norm),
                           "the JFB-1 error bound is below ‖g_DEQ‖"),
                LAYER_CONTRACTION),
    undefined=(Undefined(sp.GreaterThan(rho, 1), NOT_A_CONTRACTION,
                         ("inner_product_lower", "cosine_lower", "gap_bound<g_DEQ_norm")),
               Undefined(sp.GreaterThan(rho_0, 1), "ρ₀ ≥ 1: no depth K makes ρ₀ᴷ/(1 − ρ₀) small (log(1 − ρ₀) is "
                         "undefined and log ρ₀ ≥ 0)", ("K_sufficient",))),
    conclusions=(
        Quantity("inner_product_lower", INNER_LOWER, "⟨g_JFB, g_DEQ⟩ ≥ this bound (> 0 under the hypotheses)"),
        Quantity("cosine_lower", COSINE_LOWER, "cos∠(g_JFB, g_DEQ) ≥ this bound"),
        Quantity("K_sufficient", K_SUFFICIENT, "JFB on Φ_K is a descent direction for every K > K_sufficient"),
    ),
    unconfirmed=(NOT_READ, "Fung et al.'s exact descent condition (γ-contraction plus a coercivity assumption MᵀM "
                 "on ∂_θT) and whether the paper states a descent result at all"),
    choices=("The sufficient condition uses JFB-1's bound; the claims check ⟨g_JFB, g_DEQ⟩ against the bound only "
             "where JFB-1 certifies the hypothesis, and count the instances that are certified.",
             "The depth K_sufficient needs a contractive layer (ρ₀ < 1), a hypothesis of its own.",),
    references=(PAPER, FUNG),
    self_checks=(
        SelfCheck("inner and cosine bounds follow from ⟨a, b⟩ = ‖b‖² + ⟨a − b, b⟩ with e = JFB-1's bound",
                  _jfb3_descent_inequality),
        SelfCheck("an error −e·g/‖g‖ attains the inner bound; e → 0 gives ‖g‖² and cosine 1", _jfb3_attained),
        SelfCheck("both bounds > 0 where e < ‖g_DEQ‖; Cauchy–Schwarz by Lagrange's identity in ℝ³",
                  _jfb3_positive_under_hypothesis),
        SelfCheck("K_sufficient solves JFB-2's ρ₀ᴷ/(1 − ρ₀)‖B_T‖‖v‖ = ‖g_DEQ‖", _jfb3_k_sufficient),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-4

J_STAR_BOUND = L_theta / (1 - rho_0)
J_K_BOUND = L_theta * (1 - RHO_K) / (1 - rho_0)
PERTURBATION = L_A * L_theta / (1 - rho_0) + L_B
UNROLLED_JACOBIAN_GAP = RHO_K * L_theta / (1 - rho_0) + K * rho_0 ** (K - 1) * PERTURBATION * e_0
UNROLLED_GRADIENT_GAP = J_K_BOUND * L_ell * RHO_K * e_0 + UNROLLED_JACOBIAN_GAP * v_norm


@functools.cache
def perturbed_recursion():
    """d_{k+1} = ρd_k + cρᵏe₀, d₀ = a solved by rsolve at ρ = w/(1 + w): (d_n, a, c) (JFB-E4)."""
    a, c = sp.Symbol("a", nonnegative=True), sp.Symbol("c", nonnegative=True)
    d = sp.Function("d")
    return sp.rsolve(d(_n + 1) - RHO_SUM * d(_n) - c * e_0 * RHO_SUM**_n, d(_n), {d(0): a}), a, c


@functools.cache
def _linear_recursions():
    """(e_n from e_{k+1} = ρe_k, e₀; j_n from j_{k+1} = ρj_k + L_θ, j₀ = 0) at ρ = w/(1 + w)."""
    f = sp.Function("f")
    iterate = sp.rsolve(f(_n + 1) - RHO_SUM * f(_n), f(_n), {f(0): e_0})
    jacobian = sp.rsolve(f(_n + 1) - RHO_SUM * f(_n) - L_theta, f(_n), {f(0): 0})
    return iterate, jacobian


def unrolled_jacobian_gap(d0, e_start):
    """The solved recursion with ‖Δ₀‖ ≤ d0 and c = L_A·L_θ/(1 − ρ₀) + L_B (‖J*‖ ≤ L_θ/(1 − ρ₀)), at K, ρ₀ = w/(1+w)."""
    solved, a, c = perturbed_recursion()
    return solved.subs({a: d0, c: L_A * at_sum(J_STAR_BOUND) + L_B, e_0: e_start}).subs(_n, K)


def _jfb4_recursions(r: Result) -> bool:
    """‖x_k − x*‖ ≤ ρ₀ᵏe₀; j_{k+1} = ρ₀j_k + L_θ (J₀ = 0) bounds ‖J_K‖; Δ₀ = −J* with ‖J*‖ ≤ Σ_j ρ₀ʲL_θ; and
    ‖Δ_{k+1}‖ ≤ ρ₀‖Δ_k‖ + (L_A‖J*‖ + L_B)ρ₀ᵏe₀ unrolls to the Jacobian gap (rsolve, K symbolic)."""
    iterate, jacobian = _linear_recursions()
    j_star = geometric_sums()["full"] * L_theta
    return (same(at_sum(r.expr("iterate_gap_bound")), iterate.subs(_n, K))
            and same(at_sum(r.expr("unrolled_jacobian_bound")), jacobian.subs(_n, K))
            and same(at_sum(r.expr("implicit_jacobian_bound")), j_star)
            and same(at_sum(r.expr("jacobian_gap_bound")), unrolled_jacobian_gap(j_star, e_0)))


def _jfb4_hypergradient_split(r: Result) -> bool:
    """g_K − g_DEQ = J_Kᵀ(∇ℓ(x_K) − ∇ℓ(x*)) + (J_K − J*)ᵀ∇ℓ(x*) (generic matrices), so the gradient bound is
    ‖J_K‖·L_ℓ‖x_K − x*‖ + ‖J_K − J*‖‖v‖ with the record's own bounds."""
    j_k, j_star, u, v = generic("p", 2, 3), generic("q", 2, 3), generic("u", 2, 1), generic("v", 2, 1)
    split = r.expr("unrolled_jacobian_bound") * L_ell * r.expr("iterate_gap_bound") + \
        r.expr("jacobian_gap_bound") * v_norm
    return same(r.expr("gradient_gap_bound"), split) and identical(
        j_k.T * u - j_star.T * v, j_k.T * (u - v) + (j_k - j_star).T * v)


def _jfb4_error_recursion(r: Result) -> bool:
    """Δ_{k+1} = A(x_k)Δ_k + (A(x_k) − A)J* + (B(x_k) − B), given J* = AJ* + B (generic 2×2); at e₀ = 0 (start at x*)
    the bounds are JFB-2's with L_θ for ‖B_T‖, and the gradient bound → 0 as K → ∞."""
    from ipverify.theory.registry import get

    a_k, b_k, j_k, j_star = generic("p", 2, 2), generic("q", 2, 3), generic("r", 2, 3), generic("s", 2, 3)
    b = j_star - _A2 * j_star  # J* = AJ* + B
    jfb2 = get("JFB-2")
    at_x_star = {e_0: 0}
    return (same(r.expr("jacobian_gap_bound").subs(at_x_star), jfb2.expr("jacobian_gap_bound").subs(B_T_norm, L_theta))
            and same(r.expr("gradient_gap_bound").subs(at_x_star),
                     jfb2.expr("gradient_gap_bound").subs(B_T_norm, L_theta))
            and (a_k * j_k + b_k - j_star - a_k * (j_k - j_star) - (a_k - _A2) * j_star - (b_k - b)).expand()
            == sp.zeros(2, 3)
            and sp.limit(r.expr("gradient_gap_bound").subs(rho_0, RHO_LOG), K, sp.oo) == 0)


JFB_4 = Result(
    id="JFB-4",
    title="Truncated unrolled AD started away from the equilibrium (Kρ^{K−1} rate)",
    citation="arXiv:2506.13239 (#?); cf. Ablin–Peyré–Moreau 2020, Grazzi et al. 2020; derived here",
    provenance=Provenance.DERIVED,
    variant=VARIANT,
    statement=("Single-layer constants: ‖∂_xT(x)‖₂ ≤ ρ₀ < 1 (operator norm), ‖∂_θT(x)‖ ≤ L_θ, x ↦ ∂_xT(x) "
               "L_A-Lipschitz, x ↦ ∂_θT(x) L_B-Lipschitz, ∇ℓ L_ℓ-Lipschitz. Unroll x_{k+1} = T(x_k) from x₀ with "
               "e₀ = ‖x₀ − x*‖ and AD Jacobian J_{k+1} = A(x_k)J_k + B(x_k), J₀ = 0. Then ‖J_K − J*‖ ≤ "
               "ρ₀ᴷL_θ/(1 − ρ₀) + Kρ₀^{K−1}(L_AL_θ/(1 − ρ₀) + L_B)e₀, and g_K = J_Kᵀ∇ℓ(x_K) satisfies "
               "‖g_K − g_DEQ‖ ≤ ‖J_K‖L_ℓρ₀ᴷe₀ + ‖J_K − J*‖‖∇ℓ(x*)‖ with ‖J_K‖ ≤ L_θ(1 − ρ₀ᴷ)/(1 − ρ₀)."),
    symbols=syms("rho_0", "K_layers", "L_theta", "L_A", "L_B", "e_0", "v_norm", "L_ell"),
    hypotheses=(LAYER_CONTRACTION,),
    undefined=(layer_undefined("implicit_jacobian_bound", "jacobian_gap_bound", "gradient_gap_bound"),),
    conclusions=(
        Quantity("iterate_gap_bound", RHO_K * e_0, "‖x_K − x*‖ ≤ this bound"),
        Quantity("implicit_jacobian_bound", J_STAR_BOUND, "‖J*‖ ≤ this bound"),
        Quantity("unrolled_jacobian_bound", J_K_BOUND, "‖J_K‖ ≤ this bound"),
        Quantity("jacobian_gap_bound", UNROLLED_JACOBIAN_GAP, "‖J_K − J*‖ ≤ this bound"),
        Quantity("gradient_gap_bound", UNROLLED_GRADIENT_GAP, "‖g_K − g_DEQ‖ ≤ this bound"),
    ),
    unconfirmed=(NOT_READ, "whether the paper's constants are per layer or for Φ_K"),
    choices=("A(·), B(·), ρ, L_θ, L_A, L_B are the single layer T's (names rho_0, L_theta, L_A, L_B); `rho` stays "
             "the constant of Φ (JFB-1).",
             "All constants must hold along the whole unrolled trajectory (e.g. global Lipschitz constants, or "
             "constants on the ball 𝔹(x*, e₀), which the contraction never leaves).",
             "The ½‖x − x̄‖² loss has L_ℓ = 1 (the default); an MSE c‖x − x̄‖² has L_ℓ = 2c."),
    references=(PAPER, ABLIN, "Grazzi, Franceschi, Pontil, Salzo. On the iteration complexity of "
                "hypergradient computation. ICML 2020."),
    self_checks=(
        SelfCheck("iterate, ‖J_K‖, ‖J*‖ and ‖J_K − J*‖ bounds solve their recursions (rsolve, summation)",
                  _jfb4_recursions),
        SelfCheck("g_K − g_DEQ = J_Kᵀ(∇ℓ(x_K) − ∇ℓ(x*)) + (J_K − J*)ᵀ∇ℓ(x*): the gradient bound is the split",
                  _jfb4_hypergradient_split),
        SelfCheck("Δ_{k+1} = A(x_k)Δ_k + (A(x_k) − A)J* + (B(x_k) − B); e₀ = 0 gives JFB-2; → 0 as K → ∞",
                  _jfb4_error_recursion),
    ),
)

RESULTS = (JFB_1, JFB_2, JFB_3, JFB_4)
