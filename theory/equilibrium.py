"""Learning at equilibrium: DEQ, JFB, truncated/unrolled AD and restarted JFB (JFB-1 … JFB-7, ../shared/theory/04).

Paper: Davy, Briceño-Arias, Pustelnik, arXiv:2506.13239 (2025); code github.com/DavyL/ReTune. Only the abstract and
the code were read: JFB-1 … JFB-6 are the statements the abstract describes, rebuilt by standard arguments (Neumann
series, a perturbation recursion). They are DERIVED here and UNCONFIRMED vs the paper; JFB-6 and JFB-7 are generic
facts (not from the paper). The IDs are the notes', not the paper's theorem numbers.

Notation of this file (the notes' A, B, ρ, K, T, μ, L, τ clash with the rest of the catalogue):
- A = ∂_xΦ(x*), B = ∂_θΦ(x*) are partial Jacobians (not the forward operator, which appears only in JFB-7);
  J* = (I − A)⁻¹B is the implicit Jacobian, g_DEQ = J*ᵀv and g_JFB = Bᵀv with v = ∇_xℓ(x*);
- `rho` is a contraction constant of the scheme Φ (JFB-1, JFB-3), `rho_0` that of ONE layer T (JFB-2, JFB-4, JFB-5);
- `K_layers` is the AD depth, `T_blocks` the number of restart blocks, `tau_FB`/`mu_FB`/`L_FB` the FB step, λ_min(AᵀA)
  and ‖A‖² of the forward operator (JFB-7).

Choice on the notes' symbol warning (04 §1, README discrepancy 12): A1/A2 define ρ, A(·), B(·) for Φ, while JFB-4 and
JFB-5 use them for a single layer. Here the single-layer reading is encoded, with distinct names: JFB-4/JFB-5 take
`rho_0`, `L_theta`, `L_A`, `L_B` of the layer T (x_{k+1} = T(x_k)); `rho` is kept for Φ. The K-layer reading (constants
of Φ_K, ρ_Φ = Lip(Φ_K) ≤ ρ₀ᴷ) is JFB-1 applied to Φ_K, which JFB-2 relates to the per-layer constants.
"""

from __future__ import annotations

import sympy as sp

from theory._core import Hypothesis, Provenance, Quantity, Result, SelfCheck
from theory._proofs import identical, nonnegative, positive
from theory.symbols import S, syms

PAPER = ("Davy, Briceño-Arias, Pustelnik. Restarted contractive operators to learn at equilibrium. "
         "arXiv:2506.13239 (2025).")
CODE = "github.com/DavyL/ReTune (authors' code: PGD.forward, restart then one K-layer block with autograd)."
NOTES = "../shared/theory/04-restarted-jfb.md"
FUNG = "Fung, Heaton, Li, McKenzie, Osher, Yin. JFB: Jacobian-Free Backpropagation for Implicit Networks. AAAI 2022."
BOLTE = "Bolte, Pauwels, Vaiter. One-step differentiation of iterative algorithms. NeurIPS 2023."
GENG = "Geng, Zhang, Bai, Wang, Lin. On training implicit models (phantom gradients). NeurIPS 2021."
ABLIN = ("Ablin, Peyré, Moreau. Super-efficiency of automatic differentiation for functions defined as a minimum. "
         "ICML 2020.")
TORCHDEQ = "torchdeq (locuslab): grad.py, `ift=True` (implicit) and `grad=K` (phantom gradient, K damped steps)."
COMBETTES = "Combettes, Wajs. Signal recovery by proximal forward-backward splitting. Multiscale Model. Simul. 2005."
VARIANT = "reconstructed by a standard argument; UNCONFIRMED vs paper"
NOT_READ = "the paper's full text was not consulted: its theorem numbering and exact constants are unknown"

rho, rho_0, K, T = S("rho"), S("rho_0"), S("K_layers"), S("T_blocks")
B_norm, B_T_norm, v_norm, g_norm = S("B_norm"), S("B_T_norm"), S("v_norm"), S("g_DEQ_norm")
L_theta, L_A, L_B, L_ell = S("L_theta"), S("L_A"), S("L_B"), S("L_ell")
e_0, e_init = S("e_0"), S("e_init")

# Reparametrisations that let SymPy decide signs on ]0, 1[: ρ = w/(1 + w) (sums) and ρ = 1/(1 + w) (logarithms).
_w = sp.Symbol("w", positive=True)
_RHO_SUM = _w / (1 + _w)
_RHO_LOG = 1 / (1 + _w)
_j = sp.Symbol("j", integer=True, nonnegative=True)


def _generic(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, sp.symbols(f"{name}0:{rows * cols}"))


_A2, _B23, _I2 = _generic("a", 2, 2), _generic("b", 2, 3), sp.eye(2)

# ------------------------------------------------------------------------------------------------------------ JFB-1

NEUMANN_FACTOR = rho / (1 - rho)
CONTRACTION = Hypothesis("rho<1", sp.StrictLessThan(rho, 1),
                         "Φ is a contraction at the equilibrium (A1): ‖∂_xΦ(x*)‖ ≤ ρ < 1")


def _neumann_identity() -> bool:
    """(I − A)⁻¹ − I = (I − A)⁻¹A and J* − B = (I − A)⁻¹AB, for a generic 2×2 A and 2×3 B (JFB-E1)."""
    inverse = (_I2 - _A2).inv()
    return identical(inverse - _I2, inverse * _A2) and identical(inverse * _B23 - _B23, inverse * _A2 * _B23)


def _gradient_gap_identity() -> bool:
    """g_DEQ − g_JFB = Bᵀ(I − Aᵀ)⁻¹v − Bᵀv = ((I − A)⁻¹AB)ᵀv, with a generic vector v."""
    v = _generic("v", 2, 1)
    lhs = _B23.T * (_I2 - _A2.T).inv() * v - _B23.T * v
    return identical(lhs, ((_I2 - _A2).inv() * _A2 * _B23).T * v)


def _neumann_sums() -> bool:
    """Σ_{j≥1} ρʲ = ρ/(1 − ρ) and Σ_{j≥0} ρʲ = 1/(1 − ρ) on ]0, 1[, so ‖(I − A)⁻¹A‖ ≤ Σ_{j≥1}‖A‖ʲ = ρ/(1 − ρ)."""
    tail = sp.summation(_RHO_SUM**_j, (_j, 1, sp.oo))
    full = sp.summation(_RHO_SUM**_j, (_j, 0, sp.oo))
    return (identical(tail, NEUMANN_FACTOR.subs(rho, _RHO_SUM))
            and identical(full, (1 / (1 - rho)).subs(rho, _RHO_SUM)))


def _factor_shape() -> bool:
    """ρ/(1 − ρ) is increasing on ]0, 1[, → 0 as ρ → 0⁺ ("arbitrarily good") and → ∞ as ρ → 1⁻."""
    derivative = sp.diff(NEUMANN_FACTOR, rho).subs(rho, _RHO_SUM)
    return (positive(derivative) and sp.limit(NEUMANN_FACTOR, rho, 0, "+") == 0
            and sp.limit(NEUMANN_FACTOR, rho, 1, "-") == sp.oo)


JFB_1 = Result(
    id="JFB-1",
    title="JFB vs DEQ at the equilibrium: the Neumann bound ρ/(1 − ρ)",
    citation="arXiv:2506.13239, result behind the abstract's 'arbitrarily good' claim (#?); derived here",
    provenance=Provenance.DERIVED,
    variant=VARIANT,
    statement=("Let x* = Φ(x*, θ), A = ∂_xΦ(x*), B = ∂_θΦ(x*) with ‖A‖ ≤ ρ < 1 (A1–A2), v = ∇_xℓ(x*). The implicit "
               "Jacobian is J* = (I − A)⁻¹B = Σ_j AʲB and J* − B = (I − A)⁻¹AB, so ‖J* − B‖ ≤ (ρ/(1 − ρ))‖B‖ and "
               "the JFB hypergradient g_JFB = Bᵀv satisfies ‖g_DEQ − g_JFB‖ ≤ (ρ/(1 − ρ))‖B‖‖v‖, which tends to 0 "
               "with ρ."),
    symbols=syms("rho", "B_norm", "v_norm"),
    hypotheses=(CONTRACTION,),
    conclusions=(
        Quantity("neumann_factor", NEUMANN_FACTOR, "‖(I − A)⁻¹A‖ ≤ ρ/(1 − ρ)"),
        Quantity("jacobian_gap_bound", NEUMANN_FACTOR * B_norm, "‖J* − B‖ ≤ this bound"),
        Quantity("gradient_gap_bound", NEUMANN_FACTOR * B_norm * v_norm, "‖g_DEQ − g_JFB‖ ≤ this bound"),
        Quantity("implicit_jacobian_bound", B_norm / (1 - rho), "‖J*‖ ≤ this bound"),
    ),
    unconfirmed=(NOT_READ, "whether the paper writes the constant with Lip(Φ), with ‖∂_xΦ(x*)‖ or with separate "
                 "constants (ρ/(1 − ρ) is the standard one; Bolte et al. 2023 give the same order)"),
    choices=("The proof needs only ‖∂_xΦ(x*)‖ ≤ ρ, so ρ may be a certified global Lipschitz constant or the exact "
             "local ‖A(x*)‖₂; the claims use the certified one and report the local one beside it.",
             "ρ ≥ 1 is not a contraction: the hypothesis fails, the bound is not claimed, and `ipverify bound` refuses "
             "the input with a one-line error (verify/_inputs.py DOMAIN_CHECKS).",
             "Φ may be one layer (JFB with grad=1) or the K-layer block Φ_K (JFB on Φ_K, see JFB-2)."),
    references=(PAPER, NOTES + " JFB-1", FUNG, BOLTE, TORCHDEQ),
    self_checks=(
        SelfCheck("(I − A)⁻¹ − I = (I − A)⁻¹A and J* − B = (I − A)⁻¹AB (generic 2×2 A, 2×3 B)", _neumann_identity),
        SelfCheck("g_DEQ − g_JFB = ((I − A)⁻¹AB)ᵀv (generic A, B, v)", _gradient_gap_identity),
        SelfCheck("Σ_{j≥1} ρʲ = ρ/(1 − ρ), Σ_{j≥0} ρʲ = 1/(1 − ρ) for ρ ∈ ]0, 1[", _neumann_sums),
        SelfCheck("ρ/(1 − ρ) increasing, → 0 at 0⁺ and → ∞ at 1⁻", _factor_shape),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-2

RHO_K = rho_0**K
TAIL_FACTOR = RHO_K / (1 - rho_0)
PARTIAL_THETA_FACTOR = (1 - RHO_K) / (1 - rho_0)
LAYER_CONTRACTION = Hypothesis("rho_0<1", sp.StrictLessThan(rho_0, 1),
                               "every layer T is a contraction: ‖∂_xT(x)‖ ≤ ρ₀ < 1")


def _truncated_neumann_sum() -> bool:
    """(Σ_{j<K} Aʲ)(I − A) = I − Aᴷ for a generic 2×2 A and K = 1, …, 4 (JFB-E2)."""
    return all(identical(sum((_A2**j for j in range(k)), sp.zeros(2, 2)) * (_I2 - _A2), _I2 - _A2**k)
               for k in range(1, 5))


def _truncation_error() -> bool:
    """J* − J_K = Aᴷ(I − A)⁻¹B with J_K = Σ_{j<K} AʲB, generic 2×2 A, 2×3 B, K = 1, 2, 3 (JFB-E3)."""
    j_star = (_I2 - _A2).inv() * _B23
    return all(identical(j_star - sum((_A2**j * _B23 for j in range(k)), sp.zeros(2, 3)),
                         _A2**k * (_I2 - _A2).inv() * _B23) for k in range(1, 4))


def _chain_rule_at_fixed_point() -> bool:
    """For a generic nonlinear layer T with fixed point x* (quadratic terms with free coefficients), Φ_3 = T∘T∘T
    has ∂_xΦ_3(x*) = A_T³ and ∂_θΦ_3(x*) = (I + A_T + A_T²)B_T: AD through K layers from x* is the truncated series."""
    x, th = _generic("x", 2, 1), _generic("t", 2, 1)
    xs, t0 = _generic("xs", 2, 1), _generic("tz", 2, 1)
    a, b, c = _generic("a", 2, 2), _generic("b", 2, 2), sp.symbols("c0:8")
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


def _tail_sum() -> bool:
    """Σ_{j≥K} ρ₀ʲ = ρ₀ᴷ/(1 − ρ₀) and Σ_{j<K} ρ₀ʲ = (1 − ρ₀ᴷ)/(1 − ρ₀), K symbolic."""
    tail = sp.summation(_RHO_SUM**_j, (_j, K, sp.oo))
    head = sp.summation(_RHO_SUM**_j, (_j, 0, K - 1))
    return identical(tail, TAIL_FACTOR.subs(rho_0, _RHO_SUM)) and identical(
        head, PARTIAL_THETA_FACTOR.subs(rho_0, _RHO_SUM))


def _agrees_with_jfb1() -> bool:
    """JFB-1 on Φ_K (ρ = ρ₀ᴷ, ‖∂_θΦ_K‖ ≤ (1 − ρ₀ᴷ)/(1 − ρ₀)‖B_T‖) gives exactly JFB-2's ρ₀ᴷ/(1 − ρ₀)‖B_T‖."""
    via_jfb1 = NEUMANN_FACTOR.subs(rho, RHO_K) * PARTIAL_THETA_FACTOR * B_T_norm
    return identical(via_jfb1, TAIL_FACTOR * B_T_norm)


def _decreasing_in_depth() -> bool:
    """ρ₀ᴷ/(1 − ρ₀) decreases in K (geometrically): −d/dK > 0 on ]0, 1[."""
    return positive(-sp.diff(TAIL_FACTOR, K).subs(rho_0, _RHO_LOG))


JFB_2 = Result(
    id="JFB-2",
    title="K-layer truncated scheme: ρ ≤ ρ₀ᴷ and the truncated-Neumann error ρ₀ᴷ/(1 − ρ₀)‖B_T‖",
    citation="arXiv:2506.13239, 'Lipschitz properties of the truncated unrolled scheme' (#?); derived here",
    provenance=Provenance.DERIVED,
    variant=VARIANT,
    statement=("For Φ_K = T^K with T ρ₀-contractive (A_T = ∂_xT(x*), B_T = ∂_θT(x*)): Lip(Φ_K) ≤ ρ₀ᴷ, "
               "∂_xΦ_K(x*) = A_Tᴷ and ∂_θΦ_K(x*) = Σ_{j<K} A_TʲB_T. JFB on Φ_K (AD through K layers from the detached "
               "x*, torchdeq grad=K) gives J_K = Σ_{j<K} A_TʲB_T, and ‖J* − J_K‖ = ‖Σ_{j≥K} A_TʲB_T‖ ≤ "
               "(ρ₀ᴷ/(1 − ρ₀))‖B_T‖, hence ‖g_DEQ − g_K‖ ≤ (ρ₀ᴷ/(1 − ρ₀))‖B_T‖‖v‖: geometric decay in K."),
    symbols=syms("rho_0", "K_layers", "B_T_norm", "v_norm"),
    hypotheses=(LAYER_CONTRACTION,),
    conclusions=(
        Quantity("rho_bound", RHO_K, "Lip(Φ_K) ≤ ρ₀ᴷ"),
        Quantity("jacobian_gap_bound", TAIL_FACTOR * B_T_norm, "‖J* − J_K‖ ≤ this bound"),
        Quantity("gradient_gap_bound", TAIL_FACTOR * B_T_norm * v_norm, "‖g_DEQ − g_K‖ ≤ this bound"),
        Quantity("partial_theta_bound", PARTIAL_THETA_FACTOR * B_T_norm, "‖∂_θΦ_K(x*)‖ ≤ this bound"),
    ),
    unconfirmed=(NOT_READ, "whether the paper states the bound per layer (ρ₀) or with Lip(Φ_K)"),
    choices=("Layers share one parameter θ (Φ_K = T^K); the code's per-layer parameters (PGD_Drunet's σ_k) are "
             "outside this statement.",
             "JFB-1 on Φ_K with ρ = ρ₀ᴷ reproduces this bound exactly (self-check), so both readings agree."),
    references=(PAPER, NOTES + " JFB-2", GENG, TORCHDEQ),
    self_checks=(
        SelfCheck("(Σ_{j<K} Aʲ)(I − A) = I − Aᴷ, K = 1…4 (generic 2×2 A)", _truncated_neumann_sum),
        SelfCheck("J* − J_K = Aᴷ(I − A)⁻¹B, K = 1…3 (generic A, B)", _truncation_error),
        SelfCheck("AD through 3 layers from x*: ∂_xΦ_3 = A³, ∂_θΦ_3 = (I + A + A²)B (generic nonlinear layer)",
                  _chain_rule_at_fixed_point),
        SelfCheck("Σ_{j≥K} ρ₀ʲ = ρ₀ᴷ/(1 − ρ₀) and Σ_{j<K} ρ₀ʲ = (1 − ρ₀ᴷ)/(1 − ρ₀), K symbolic", _tail_sum),
        SelfCheck("JFB-1 with ρ = ρ₀ᴷ and ‖∂_θΦ_K‖ ≤ (1 − ρ₀ᴷ)/(1 − ρ₀)‖B_T‖ gives the same bound", _agrees_with_jfb1),
        SelfCheck("ρ₀ᴷ/(1 − ρ₀) is decreasing in K", _decreasing_in_depth),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-3

JFB1_GAP = NEUMANN_FACTOR * B_norm * v_norm
INNER_LOWER = g_norm * (g_norm - JFB1_GAP)
COSINE_LOWER = (g_norm - JFB1_GAP) / (g_norm + JFB1_GAP)
K_SUFFICIENT = sp.log(g_norm * (1 - rho_0) / (B_T_norm * v_norm)) / sp.log(rho_0)


def _vectors():
    return _generic("a", 3, 1), _generic("b", 3, 1)


def _inner_product_split() -> bool:
    """⟨a, b⟩ = ‖b‖² + ⟨a − b, b⟩ (3-vectors)."""
    a, b = _vectors()
    return identical((a.T * b)[0], (b.T * b)[0] + ((a - b).T * b)[0])


def _lagrange_identity() -> bool:
    """Cauchy–Schwarz in ℝ³ by Lagrange's identity: ‖u‖²‖b‖² − ⟨u, b⟩² = Σ_{i<j}(u_i b_j − u_j b_i)² ≥ 0."""
    u, b = _vectors()
    lhs = (u.T * u)[0] * (b.T * b)[0] - (u.T * b)[0] ** 2
    rhs = sum((u[i] * b[j] - u[j] * b[i]) ** 2 for i in range(3) for j in range(i + 1, 3))
    return identical(lhs, rhs)


def _positive_under_hypothesis() -> bool:
    """If the gap bound e satisfies e < ‖g_DEQ‖ (e = ‖g‖/(1 + s), s > 0), then ‖g‖(‖g‖ − e) > 0 and the cosine
    bound (‖g‖ − e)/(‖g‖ + e) equals ‖g‖(‖g‖ − e)/(‖g‖(‖g‖ + e)) (‖g_JFB‖ ≤ ‖g‖ + e)."""
    s, g, e = sp.Symbol("s", positive=True), sp.Symbol("g", positive=True), sp.Symbol("e", positive=True)
    return (positive((g * (g - e)).subs(e, g / (1 + s)))
            and identical(g * (g - e) / (g * (g + e)), (g - e) / (g + e)))


def _k_sufficient_solves() -> bool:
    """At K = K_sufficient the JFB-2 gap bound equals ‖g_DEQ‖: ρ₀ᴷ/(1 − ρ₀)‖B_T‖‖v‖ = ‖g_DEQ‖."""
    jfb2_gap = TAIL_FACTOR * B_T_norm * v_norm
    return identical(sp.expand_log(sp.powsimp(jfb2_gap.subs(K, K_SUFFICIENT), force=True), force=True), g_norm) \
        or identical(sp.simplify(jfb2_gap.subs(K, K_SUFFICIENT)), g_norm)


JFB_3 = Result(
    id="JFB-3",
    title="JFB gives a descent direction when its error is below ‖g_DEQ‖",
    citation="arXiv:2506.13239 (#?); Fung et al. AAAI 2022 (descent theorem); derived here",
    provenance=Provenance.DERIVED,
    variant=VARIANT,
    statement=("If ‖g_JFB − g_DEQ‖ < ‖g_DEQ‖ then ⟨g_JFB, g_DEQ⟩ ≥ ‖g_DEQ‖(‖g_DEQ‖ − ‖g_JFB − g_DEQ‖) > 0, so "
               "−g_JFB is a descent direction of 𝓛. Sufficient: (ρ/(1 − ρ))‖B‖‖v‖ < ‖g_DEQ‖ (JFB-1); for JFB on Φ_K, "
               "ρ₀ᴷ/(1 − ρ₀)‖B_T‖‖v‖ < ‖g_DEQ‖, true for every K > log(‖g_DEQ‖(1 − ρ₀)/(‖B_T‖‖v‖))/log ρ₀ when "
               "g_DEQ ≠ 0."),
    symbols=syms("rho", "B_norm", "v_norm", "g_DEQ_norm", "rho_0", "B_T_norm"),
    hypotheses=(CONTRACTION,
                Hypothesis("gap_bound<g_DEQ_norm", sp.StrictLessThan(JFB1_GAP, g_norm),
                           "the JFB-1 error bound is below ‖g_DEQ‖")),
    conclusions=(
        Quantity("inner_product_lower", INNER_LOWER, "⟨g_JFB, g_DEQ⟩ ≥ this bound (> 0 under the hypotheses)"),
        Quantity("cosine_lower", COSINE_LOWER, "cos∠(g_JFB, g_DEQ) ≥ this bound"),
        Quantity("K_sufficient", K_SUFFICIENT, "JFB on Φ_K is a descent direction for every K > K_sufficient"),
    ),
    unconfirmed=(NOT_READ, "Fung et al.'s exact descent condition (γ-contraction plus a coercivity assumption MᵀM "
                 "on ∂_θT) and whether the paper states a descent result at all"),
    choices=("The sufficient condition uses JFB-1's bound; the measured ‖g_JFB − g_DEQ‖ < ‖g_DEQ‖ is the sharper "
             "condition the proof needs, and the claims check ⟨g_JFB, g_DEQ⟩ against the bound evaluated with the "
             "measured gap as well.",),
    references=(PAPER, NOTES + " JFB-3", FUNG),
    self_checks=(
        SelfCheck("⟨a, b⟩ = ‖b‖² + ⟨a − b, b⟩", _inner_product_split),
        SelfCheck("Cauchy–Schwarz by Lagrange's identity in ℝ³", _lagrange_identity),
        SelfCheck("‖g‖(‖g‖ − e) > 0 for e < ‖g‖; cosine bound (‖g‖ − e)/(‖g‖ + e)", _positive_under_hypothesis),
        SelfCheck("K_sufficient solves ρ₀ᴷ/(1 − ρ₀)‖B_T‖‖v‖ = ‖g_DEQ‖", _k_sufficient_solves),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-4

J_STAR_BOUND = L_theta / (1 - rho_0)
J_K_BOUND = L_theta * (1 - RHO_K) / (1 - rho_0)
PERTURBATION = L_A * L_theta / (1 - rho_0) + L_B
UNROLLED_JACOBIAN_GAP = RHO_K * L_theta / (1 - rho_0) + K * rho_0 ** (K - 1) * PERTURBATION * e_0
UNROLLED_GRADIENT_GAP = J_K_BOUND * L_ell * RHO_K * e_0 + UNROLLED_JACOBIAN_GAP * v_norm


def _error_recursion_identity() -> bool:
    """J_{k+1} − J* = A_kΔ_k + (A_k − A)J* + (B_k − B) with Δ_k = J_k − J*, given J* = AJ* + B (generic 2×2)."""
    a_k, b_k, j_k = _generic("p", 2, 2), _generic("q", 2, 3), _generic("r", 2, 3)
    j_star = (_I2 - _A2).inv() * _B23
    lhs = a_k * j_k + b_k - j_star
    return identical(lhs, a_k * (j_k - j_star) + (a_k - _A2) * j_star + (b_k - _B23))


def _unrolled_recursion_solution() -> bool:
    """d_{k+1} = ρd_k + cρᵏe₀, d₀ = a has d_K = ρᴷa + Kρ^{K−1}ce₀ (rsolve, and the sum Σ_{k<K} ρ^{K−1−k}cρᵏ =
    Kρ^{K−1}c) (JFB-E4)."""
    n, a, c = sp.Symbol("n", integer=True), sp.Symbol("a", positive=True), sp.Symbol("c", positive=True)
    d = sp.Function("d")
    r = _RHO_SUM
    solved = sp.rsolve(d(n + 1) - r * d(n) - c * e_0 * r**n, d(n), {d(0): a})
    closed = r**n * a + n * r ** (n - 1) * c * e_0
    k = sp.Symbol("k", integer=True, nonnegative=True)
    summed = sp.summation(r ** (K - 1 - k) * c * r**k, (k, 0, K - 1))
    return identical(solved, closed) and identical(summed, K * r ** (K - 1) * c)


def _jacobian_norm_recursion() -> bool:
    """j_{k+1} = ρj_k + L_θ, j₀ = 0 gives ‖J_K‖ ≤ L_θ(1 − ρᴷ)/(1 − ρ) (rsolve), below L_θ/(1 − ρ), ‖J*‖'s bound."""
    n, jn = sp.Symbol("n", integer=True), sp.Function("j")
    solved = sp.rsolve(jn(n + 1) - _RHO_SUM * jn(n) - L_theta, jn(n), {jn(0): 0})
    return (identical(solved, J_K_BOUND.subs({rho_0: _RHO_SUM, K: n}))
            and positive((J_STAR_BOUND - J_K_BOUND).subs(rho_0, _RHO_SUM)))


def _hypergradient_split() -> bool:
    """J_Kᵀ∇ℓ(x_K) − J*ᵀ∇ℓ(x*) = J_Kᵀ(∇ℓ(x_K) − ∇ℓ(x*)) + (J_K − J*)ᵀ∇ℓ(x*) (generic matrices)."""
    j_k, j_star, u, v = _generic("p", 2, 3), _generic("q", 2, 3), _generic("u", 2, 1), _generic("v", 2, 1)
    return identical(j_k.T * u - j_star.T * v, j_k.T * (u - v) + (j_k - j_star).T * v)


def _jfb4_limits() -> bool:
    """The bound → 0 as K → ∞, and at e₀ = 0 (start at x*) it is JFB-2's with L_θ for ‖B_T‖."""
    at_log = UNROLLED_GRADIENT_GAP.subs(rho_0, _RHO_LOG)
    return (sp.limit(at_log, K, sp.oo) == 0
            and identical(UNROLLED_JACOBIAN_GAP.subs(e_0, 0), TAIL_FACTOR * L_theta))


JFB_4 = Result(
    id="JFB-4",
    title="Truncated unrolled AD started away from the equilibrium (Kρ^{K−1} rate)",
    citation="arXiv:2506.13239 (#?); cf. Ablin–Peyré–Moreau 2020, Grazzi et al. 2020; derived here",
    provenance=Provenance.DERIVED,
    variant=VARIANT,
    statement=("Single-layer constants: ‖∂_xT(x)‖ ≤ ρ₀ < 1, ‖∂_θT(x)‖ ≤ L_θ, x ↦ ∂_xT(x) L_A-Lipschitz, x ↦ ∂_θT(x) "
               "L_B-Lipschitz, ∇ℓ L_ℓ-Lipschitz. Unroll x_{k+1} = T(x_k) from x₀ with e₀ = ‖x₀ − x*‖ and AD Jacobian "
               "J_{k+1} = A(x_k)J_k + B(x_k), J₀ = 0. Then ‖J_K − J*‖ ≤ ρ₀ᴷL_θ/(1 − ρ₀) + Kρ₀^{K−1}(L_AL_θ/(1 − ρ₀) "
               "+ L_B)e₀, and g_K = J_Kᵀ∇ℓ(x_K) satisfies ‖g_K − g_DEQ‖ ≤ ‖J_K‖L_ℓρ₀ᴷe₀ + ‖J_K − J*‖‖∇ℓ(x*)‖ with "
               "‖J_K‖ ≤ L_θ(1 − ρ₀ᴷ)/(1 − ρ₀)."),
    symbols=syms("rho_0", "K_layers", "L_theta", "L_A", "L_B", "e_0", "v_norm", "L_ell"),
    hypotheses=(LAYER_CONTRACTION,),
    conclusions=(
        Quantity("iterate_gap_bound", RHO_K * e_0, "‖x_K − x*‖ ≤ this bound"),
        Quantity("implicit_jacobian_bound", J_STAR_BOUND, "‖J*‖ ≤ this bound"),
        Quantity("unrolled_jacobian_bound", J_K_BOUND, "‖J_K‖ ≤ this bound"),
        Quantity("jacobian_gap_bound", UNROLLED_JACOBIAN_GAP, "‖J_K − J*‖ ≤ this bound"),
        Quantity("gradient_gap_bound", UNROLLED_GRADIENT_GAP, "‖g_K − g_DEQ‖ ≤ this bound"),
    ),
    unconfirmed=(NOT_READ, "whether the paper's constants are per layer or for Φ_K (the notes' symbol warning)"),
    choices=("Symbol warning resolved: A(·), B(·), ρ, L_θ, L_A, L_B are the single layer T's (names rho_0, L_theta, "
             "L_A, L_B); `rho` stays the constant of Φ (JFB-1).",
             "All constants must hold along the whole unrolled trajectory (e.g. global Lipschitz constants, or "
             "constants on the ball 𝔹(x*, e₀), which the contraction never leaves).",
             "The ½‖x − x̄‖² loss has L_ℓ = 1 (the default); an MSE c‖x − x̄‖² has L_ℓ = 2c."),
    references=(PAPER, NOTES + " JFB-4", ABLIN, "Grazzi, Franceschi, Pontil, Salzo. On the iteration complexity of "
                "hypergradient computation. ICML 2020."),
    self_checks=(
        SelfCheck("Δ_{k+1} = A(x_k)Δ_k + (A(x_k) − A)J* + (B(x_k) − B) (generic matrices)", _error_recursion_identity),
        SelfCheck("d_{k+1} = ρd_k + cρᵏe₀ unrolls to ρᴷd₀ + Kρ^{K−1}ce₀ (rsolve and summation)",
                  _unrolled_recursion_solution),
        SelfCheck("‖J_K‖ ≤ L_θ(1 − ρᴷ)/(1 − ρ) < L_θ/(1 − ρ) (rsolve)", _jacobian_norm_recursion),
        SelfCheck("g_K − g_DEQ = J_Kᵀ(∇ℓ(x_K) − ∇ℓ(x*)) + (J_K − J*)ᵀ∇ℓ(x*)", _hypergradient_split),
        SelfCheck("the bound → 0 as K → ∞; at e₀ = 0 it is JFB-2's bound", _jfb4_limits),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-5

E_0_RESTART = rho_0 ** (T * K) * e_init
OUTPUT_GAP = rho_0 ** ((T + 1) * K) * e_init
RESTART_GAP = (J_STAR_BOUND * L_ell * OUTPUT_GAP
               + (RHO_K * L_theta / (1 - rho_0) + K * rho_0 ** (K - 1) * PERTURBATION * E_0_RESTART) * v_norm)
RESTART_FLOOR = RHO_K * L_theta * v_norm / (1 - rho_0)
RESTART_EXCESS = J_STAR_BOUND * L_ell * OUTPUT_GAP + K * rho_0 ** (K - 1) * PERTURBATION * E_0_RESTART * v_norm


def _restart_is_jfb4_at_restart_point() -> bool:
    """JFB-5 = JFB-4 at e₀ = ρ₀^{TK}e_init, with ‖J_K‖ ≤ L_θ/(1 − ρ₀) instead of L_θ(1 − ρ₀ᴷ)/(1 − ρ₀): the
    difference is L_θρ₀ᴷ/(1 − ρ₀)·L_ℓρ₀^{(T+1)K}e_init ≥ 0."""
    jfb4 = UNROLLED_GRADIENT_GAP.subs(e_0, E_0_RESTART)
    diff = L_theta * RHO_K / (1 - rho_0) * L_ell * OUTPUT_GAP
    return (identical(sp.powsimp(sp.expand(RESTART_GAP - jfb4 - diff), force=True), 0)
            and nonnegative(diff.subs(rho_0, _RHO_SUM)))


def _with_positive_constants(expr):
    """expr with every non-negative constant (L_A, L_B, L_ℓ, e_init, ‖v‖) replaced by a positive symbol."""
    return expr.subs({sym: sp.Symbol(f"{sym.name}_pos", positive=True) for sym in expr.free_symbols
                      if sym.is_positive is not True})


def _restart_decreasing_in_t() -> bool:
    """The JFB-5 bound is non-increasing in T (−∂/∂T ≥ 0 on ]0, 1[), strictly when every constant is > 0 (JFB-E5)."""
    derivative = -sp.diff(RESTART_GAP, T).subs(rho_0, _RHO_LOG)
    return nonnegative(derivative) and positive(_with_positive_constants(derivative))


def _restart_decreasing_in_k() -> bool:
    """The bound decreases in K beyond the maximiser 1/log(1/ρ₀) of Kρ₀^{K−1} (K = (1 + s)/log(1/ρ₀), s > 0)."""
    s = sp.Symbol("s", positive=True)
    derivative = (-sp.diff(RESTART_GAP, K).subs(rho_0, _RHO_LOG)).subs(K, (1 + s) / sp.log(1 + _w))
    return nonnegative(derivative) and positive(_with_positive_constants(derivative))


def _restart_limits() -> bool:
    """T → ∞: the bound tends to the JFB-2 floor ρ₀ᴷL_θ‖∇ℓ(x*)‖/(1 − ρ₀); K → ∞: it tends to 0 (JFB-E5)."""
    bound = RESTART_GAP.subs(rho_0, _RHO_LOG)
    return (identical(sp.limit(bound, T, sp.oo), RESTART_FLOOR.subs(rho_0, _RHO_LOG))
            and sp.limit(bound, K, sp.oo) == 0)


def _excess_recursion() -> bool:
    """D_k = J_k(x̂) − J_k(x*): D_{k+1} = A(x̂_k)D_k + (A(x̂_k) − A)J_k(x*) + (B(x̂_k) − B), D₀ = 0, where
    J_{k+1}(x*) = AJ_k(x*) + B (generic matrices); so ‖g_R − g_K(x*)‖ ≤ bound − floor (the restart excess)."""
    a_k, b_k, jhat, jstar = _generic("p", 2, 2), _generic("q", 2, 3), _generic("r", 2, 3), _generic("s", 2, 3)
    lhs = (a_k * jhat + b_k) - (_A2 * jstar + _B23)
    rhs = a_k * (jhat - jstar) + (a_k - _A2) * jstar + (b_k - _B23)
    return identical(lhs, rhs) and identical(RESTART_GAP - RESTART_FLOOR, RESTART_EXCESS)


JFB_5 = Result(
    id="JFB-5",
    title="Restarted JFB approaches the DEQ gradient (the abstract's second claim)",
    citation="arXiv:2506.13239, abstract: restarted JFB by AD is 'arbitrarily close' to DEQ (#?); derived here",
    provenance=Provenance.DERIVED,
    variant=VARIANT,
    statement=("Run T restart blocks of K layers from x_init without gradients (x̂ = Φ_K^T(x_init), "
               "‖x̂ − x*‖ ≤ ρ₀^{TK}e_init), then one K-layer block with AD from the detached x̂: g_R = "
               "J_K(x̂)ᵀ∇ℓ(Φ_K(x̂)). Then ‖g_R − g_DEQ‖ ≤ [L_θ/(1 − ρ₀)]L_ℓρ₀^{(T+1)K}e_init + [ρ₀ᴷL_θ/(1 − ρ₀) + "
               "Kρ₀^{K−1}(L_AL_θ/(1 − ρ₀) + L_B)ρ₀^{TK}e_init]‖∇ℓ(x*)‖, which decreases in T to the JFB-2 floor "
               "ρ₀ᴷL_θ‖∇ℓ(x*)‖/(1 − ρ₀) and tends to 0 as K → ∞: each learned step θ − γg_R is within γε of the DEQ "
               "step for suitable (K, T)."),
    symbols=syms("rho_0", "K_layers", "T_blocks", "L_theta", "L_A", "L_B", "e_init", "v_norm", "L_ell", "e_0"),
    hypotheses=(LAYER_CONTRACTION,),
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
    choices=("Per-layer constants (rho_0, L_theta, L_A, L_B), as for JFB-4: the notes' e₀ ≤ ρ^{TK}e_init with "
             "per-layer ρ; the Lip(Φ) alternative ρ_Φ^T is not encoded.",
             "T ≥ 1 here; T = 0 (no restart) is JFB-4 with e₀ = e_init. The numerics accept T = 0.",
             "‖J_K‖ ≤ L_θ/(1 − ρ₀) as in the notes (looser than JFB-4's L_θ(1 − ρ₀ᴷ)/(1 − ρ₀); self-check).",
             "`restart_excess_bound` (bound minus floor) is added here: it bounds the distance of g_R from K-step "
             "JFB at the exact x*, so the measured restarted error converges to the JFB-K error as T grows."),
    references=(PAPER, CODE, NOTES + " JFB-5 and §4", TORCHDEQ + " DEQSliced is the closest library analogue."),
    self_checks=(
        SelfCheck("JFB-5 = JFB-4 at e₀ = ρ₀^{TK}e_init plus a non-negative term (looser ‖J_K‖)",
                  _restart_is_jfb4_at_restart_point),
        SelfCheck("the bound decreases in T", _restart_decreasing_in_t),
        SelfCheck("the bound decreases in K beyond 1/log(1/ρ₀)", _restart_decreasing_in_k),
        SelfCheck("T → ∞ gives the floor ρ₀ᴷL_θ‖v‖/(1 − ρ₀); K → ∞ gives 0", _restart_limits),
        SelfCheck("restart-excess recursion D_{k+1} = A(x̂_k)D_k + (A(x̂_k) − A)J_k + (B(x̂_k) − B); bound − floor",
                  _excess_recursion),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-6

L_outer, gamma_o, N_o, gap_o, eps = (S("L_outer"), S("gamma_outer"), S("N_outer"), S("outer_gap"),
                                     S("eps_grad"))
GRAD_SQ_MIN = 2 * gap_o / (gamma_o * N_o) + eps**2


def _inexact_step_identity() -> bool:
    """With g = ∇ + e: −γ⟨∇, g⟩ + (γ/2)‖g‖² = (γ/2)(‖e‖² − ‖∇‖²) (3-vectors), and (L_𝓛γ²/2 − γ/2)‖g‖² ≤ 0 for
    γL_𝓛 ≤ 1 (γL_𝓛 = x ∈ ]0, 1]), so 𝓛(θ − γg) ≤ 𝓛(θ) − (γ/2)‖∇𝓛‖² + (γ/2)ε² by the descent lemma."""
    grad, err = _vectors()
    g = grad + err
    identity = identical(-gamma_o * (grad.T * g)[0] + gamma_o / 2 * (g.T * g)[0],
                         gamma_o / 2 * ((err.T * err)[0] - (grad.T * grad)[0]))
    xx, u, g2 = sp.Symbol("x", positive=True), sp.Symbol("u", nonnegative=True), sp.Symbol("g2", positive=True)
    slack = (gamma_o / 2 - L_outer * gamma_o**2 / 2) * g2  # ≥ 0 ⇔ γL ≤ 1; write γL = x = 1/(1 + u)
    return identity and nonnegative(slack.subs(gamma_o, xx / L_outer).subs(xx, 1 / (1 + u)))


def _telescoped_average() -> bool:
    """(γ/2)Σ_{n<N}‖∇𝓛(θ_n)‖² ≤ Δ + Nγε²/2 gives mean ≤ 2Δ/(γN) + ε², and min ≤ mean."""
    mean = sp.Symbol("m", positive=True)
    solved = sp.solve(sp.Eq(gamma_o / 2 * N_o * mean, gap_o + N_o * gamma_o * eps**2 / 2), mean)
    return len(solved) == 1 and identical(solved[0], GRAD_SQ_MIN)


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
    hypotheses=(Hypothesis("gamma_outer*L_outer<=1", sp.LessThan(gamma_o * L_outer, 1), "outer step γ ≤ 1/L_𝓛"),),
    conclusions=(Quantity("grad_sq_min_bound", GRAD_SQ_MIN, "min_{n<N} ‖∇𝓛(θ_n)‖² ≤ this bound"),
                 Quantity("step_gap", gamma_o * eps, "‖(θ − γg) − (θ − γ∇𝓛(θ))‖ ≤ this bound")),
    unconfirmed=("the paper's own outer step-size conditions; the code uses Adam (no step-size condition)",),
    choices=("Plain gradient steps (the setting of the statement); the bilevel runs also use Adam, as the code does, "
             "where this bound is not claimed.",),
    references=(PAPER, CODE, NOTES + " JFB-6", "Nesterov. Lectures on Convex Optimization (descent lemma)."),
    self_checks=(
        SelfCheck("one inexact step: −γ⟨∇, ∇ + e⟩ + (γ/2)‖∇ + e‖² = (γ/2)(‖e‖² − ‖∇‖²), slack ≥ 0 for γL ≤ 1",
                  _inexact_step_identity),
        SelfCheck("telescoping gives mean ≤ 2Δ/(γN) + ε²", _telescoped_average),
    ),
)

# ------------------------------------------------------------------------------------------------------------ JFB-7

tau, mu, L_fb, rho_fb = S("tau_FB"), S("mu_FB"), S("L_FB"), S("rho_FB")
RHO_FB = sp.Max(sp.Abs(1 - tau * mu), sp.Abs(1 - tau * L_fb))


def _endpoints_convexity() -> bool:
    """For λ = (1 − s)μ + sL ∈ [μ, L]: 1 − τλ = (1 − s)(1 − τμ) + s(1 − τL), so |1 − τλ| ≤ max(|1 − τμ|, |1 − τL|):
    ‖I − τAᵀA‖ = max over the spectrum [μ, L] is attained at an end."""
    s = sp.Symbol("s", nonnegative=True)
    lam = (1 - s) * mu + s * L_fb
    return identical(1 - tau * lam, (1 - s) * (1 - tau * mu) + s * (1 - tau * L_fb))


def _contraction_range() -> bool:
    """With x = τL and m = μ/L: {x > 0 : ρ < 1} = ]0, 2[ for m ∈ {1/10, 1/2, 1}, and = ∅ for m = 0 (A not injective)."""
    x = sp.Symbol("x", positive=True)
    ranges = {m: sp.solveset(sp.Max(sp.Abs(1 - x * m), sp.Abs(1 - x)) < 1, x, sp.Interval.open(0, sp.oo))
              for m in (sp.Rational(1, 10), sp.Rational(1, 2), sp.Integer(1), sp.Integer(0))}
    return all(ranges[m] == sp.Interval.open(0, 2) for m in ranges if m != 0) and ranges[0] is sp.S.EmptySet


def _denoising_values() -> bool:
    """Denoising (A = I, μ = L = 1): ρ = |1 − τ|; the code's τ = 1.95 gives ρ = 0.95."""
    rho_den = RHO_FB.subs({mu: 1, L_fb: 1})
    return sp.simplify(rho_den.subs(tau, sp.Rational(39, 20))) == sp.Rational(19, 20) and sp.simplify(
        rho_den.subs(tau, sp.Rational(1, 2))) == sp.Rational(1, 2)


def _optimal_step() -> bool:
    """τ = 2/(μ + L) equalises |1 − τμ| = |1 − τL| = (L − μ)/(L + μ)."""
    t_opt = 2 / (mu + L_fb)
    return identical(1 - t_opt * mu, (L_fb - mu) / (L_fb + mu)) and identical(t_opt * L_fb - 1, (L_fb - mu) /
                                                                              (L_fb + mu))


JFB_7 = Result(
    id="JFB-7",
    title="Forward–backward contraction factor max(|1 − τμ|, |1 − τL|)",
    citation="standard (prox firmly nonexpansive; Combettes–Wajs 2005), not a quote from arXiv:2506.13239",
    provenance=Provenance.DERIVED,
    variant="standard fact, not from the paper",
    statement=("For T(x) = prox_{τλg}(x − τAᵀ(Ax − y)) with g convex (A the forward operator): the prox is firmly "
               "nonexpansive, so Lip(T) ≤ ‖I − τAᵀA‖ = max(|1 − τμ|, |1 − τL|) with μ = λ_min(AᵀA), L = ‖A‖². T is "
               "a strict contraction when μ > 0 (A injective) and 0 < τ < 2/L; denoising (A = I) gives ρ = |1 − τ|; "
               "a non-injective A (blur, inpainting) gives ρ = 1 (only nonexpansive). The best step τ = 2/(μ + L) "
               "gives (L − μ)/(L + μ)."),
    symbols=syms("tau_FB", "mu_FB", "L_FB", "rho_FB"),
    hypotheses=(Hypothesis("mu_FB<=L_FB", sp.LessThan(mu, L_fb), "λ_min(AᵀA) ≤ λ_max(AᵀA)"),
                Hypothesis("mu_FB>0", sp.StrictGreaterThan(mu, 0), "A is injective (needed for ρ < 1)"),
                Hypothesis("tau_FB*L_FB<2", sp.StrictLessThan(tau * L_fb, 2), "step size τ < 2/L (needed for ρ < 1)")),
    definitions=(Quantity("rho_FB", RHO_FB, "Lipschitz bound of one FB step"),),
    conclusions=(Quantity("rho_FB_value", RHO_FB, "Lip(T) ≤ ρ_FB (< 1 exactly when the hypotheses hold)"),
                 Quantity("tau_max", 2 / L_fb, "supremum of the contractive steps"),
                 Quantity("tau_opt", 2 / (mu + L_fb), "step minimising ρ_FB"),
                 Quantity("rho_opt", (L_fb - mu) / (L_fb + mu), "ρ_FB at τ_opt")),
    unconfirmed=("not a statement read in the paper (the notes call it standard)",),
    choices=("ρ_FB is an output here (named rho_FB, not rho), so `ipverify bound JFB-7` reports ρ_FB ≥ 1 instead of "
             "refusing it; the hypotheses say when it is < 1.",
             "μ = 0 is accepted (non-injective A): then ρ_FB = 1 for 0 < τ ≤ 2/L, the JFB-1 constant ρ/(1 − ρ) is "
             "unbounded, and the equilibrium bounds are not claimed."),
    references=(PAPER, NOTES + " JFB-7", COMBETTES),
    self_checks=(
        SelfCheck("1 − τ((1 − s)μ + sL) = (1 − s)(1 − τμ) + s(1 − τL): the max over [μ, L] is at an end",
                  _endpoints_convexity),
        SelfCheck("ρ_FB < 1 ⇔ 0 < τL < 2 when μ > 0 (μ/L ∈ {1/10, 1/2, 1}); never when μ = 0", _contraction_range),
        SelfCheck("denoising: ρ = |1 − τ|, 0.95 at τ = 1.95", _denoising_values),
        SelfCheck("τ = 2/(μ + L) gives |1 − τμ| = |1 − τL| = (L − μ)/(L + μ)", _optimal_step),
    ),
)

RESULTS = (JFB_1, JFB_2, JFB_3, JFB_4, JFB_5, JFB_6, JFB_7)
