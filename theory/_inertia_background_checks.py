"""Self-checks of the background records IN-B1 … IN-B5 and IN-B8 (`theory.inertia_background`); each reads its record.

They re-derive the heavy-ball Lyapunov identity, ACFR's key quadratic form, the IGAHD updates as discretisations of
DIN, condition (26), the vanishing-damping weights and rates, and compare them with the record's own quantities.
"""

from __future__ import annotations

import sympy as sp

from ipverify.theory._pinning import equal, exponential, geometric, positive
from ipverify.theory._pinning import get_record as _get
from ipverify.theory._proofs import solution_set
from ipverify.theory.symbols import S

beta, mu_PL, t, tau = S("beta"), S("mu_PL"), S("t"), S("tau")
mu_SC, s_step = S("mu_SC"), S("s_step")


# ------------------------------------------------------------------------------------------------- IN-B1, IN-B2


def heavy_ball_lyapunov(damping, rate) -> bool:
    """On f = μx²/2 and ẍ + damping·ẋ + μx = 0, E = f + ½(ẋ + √μx)² obeys Ė + rate·E = −(√μ/2)ẋ² ≤ 0 (μ = m²)."""
    x, v = sp.symbols("x v", real=True)
    m = sp.Symbol("m", positive=True)
    sub = {mu_SC: m**2}
    energy = m**2 * x**2 / 2 + (v + m * x) ** 2 / 2
    e_dot = sp.diff(energy, x) * v + sp.diff(energy, v) * (-damping.subs(sub) * v - m**2 * x)
    return equal(e_dot + rate.subs(sub) * energy, -m * v**2 / 2)


def heavy_ball_rates(r) -> bool:
    """IN-B1: the Lyapunov identity with its damping and rate; the value factor is e^{−rate·t}."""
    return (heavy_ball_lyapunov(r.conclusion("alpha"), r.conclusion("value_rate"))
            and exponential(r.conclusion("value_factor"), 1, r.conclusion("value_rate")))


def gradient_flow_value_rate(r) -> bool:
    """x(t) = x₀e^{−μt} solves ẋ = −∇f on f = μx²/2, and −d/dt log f(x(t)) = gf_value_rate."""
    x0 = sp.Symbol("x0", positive=True)
    x = x0 * sp.exp(-mu_SC * t)
    f = mu_SC * x**2 / 2
    return equal(sp.diff(x, t), -mu_SC * x) and equal(r.conclusion("gf_value_rate"), sp.cancel(-sp.diff(f, t) / f))


def acfr_heavy_ball_limit(r) -> bool:
    """At β = 0 ACFR's system is IN-B1's heavy ball: same damping, and the Lyapunov identity holds with heavy_ball_rate;
    the Hessian-damped rate is half of it and the value factor is e^{−value_rate·t}."""
    b1 = _get("IN-B1")
    return (equal(r.conclusion("alpha"), b1.conclusion("alpha"))
            and equal(r.conclusion("heavy_ball_rate"), b1.conclusion("value_rate"))
            and heavy_ball_lyapunov(r.conclusion("alpha"), r.conclusion("heavy_ball_rate"))
            and equal(2 * r.conclusion("value_rate"), r.conclusion("heavy_ball_rate"))
            and exponential(r.conclusion("value_factor"), 1, r.conclusion("value_rate")))


def _acfr_determinant(b):
    """Determinant of (μ/4)X² + (β/(2√μ))Y² − β√μXY."""
    return (mu_SC / 4) * (b / (2 * sp.sqrt(mu_SC))) - (b * sp.sqrt(mu_SC) / 2) ** 2


def acfr_beta_max(r) -> bool:
    """The key quadratic form is singular at β = beta_max > 0, which is the hypothesis' bound."""
    b_max = r.conclusion("beta_max")
    return (positive(b_max) and equal(_acfr_determinant(b_max), 0)
            and equal(r.hypothesis("beta<=1/(2*sqrt(mu))").rhs, b_max))


def acfr_quadratic_form(r) -> bool:
    """The key form is PSD exactly for β ∈ ]0, beta_max] (positive diagonal; in x = β√μ the determinant is
    x/8 − x²/4, ≥ 0 exactly on ]0, beta_max·√μ], solveset)."""
    x = sp.Symbol("x", positive=True)
    det = _acfr_determinant(x / sp.sqrt(mu_SC))
    region = solution_set(sp.simplify(det) >= 0, x, sp.Interval.open(0, sp.oo))
    return equal(det, x / 8 - x**2 / 4) and region == sp.Interval.Lopen(
        0, sp.simplify(r.conclusion("beta_max") * sp.sqrt(mu_SC)))


# ------------------------------------------------------------------------------------------------------- IN-B3


def igahd_is_central_difference(r) -> bool:
    """x_{k+1} = x_k + m(x_k − x_{k−1}) − c_H(g_k − g_{k−1}) − c_g g_k with the record's coefficients solves the
    discretisation of ẍ + a ẋ + β d/dt∇f + ∇f = 0 (a = IN-B2's damping 2√μ) with time step h = √s:
    (x_{k+1} − 2x_k + x_{k−1})/h² + a(x_{k+1} − x_{k−1})/(2h) + β(g_k − g_{k−1})/h + g_k = 0."""
    x0, x1, g0, g1 = sp.symbols("x0 x1 g0 g1", real=True)
    h, m = sp.symbols("h m", positive=True)
    sub = {s_step: h**2, mu_SC: m**2}
    momentum, hessian, gradient = (r.conclusion(n).subs(sub) for n in
                                   ("momentum", "hessian_coefficient", "gradient_coefficient"))
    damping = _get("IN-B2").conclusion("alpha").subs(sub)
    x2 = x1 + momentum * (x1 - x0) - hessian * (g1 - g0) - gradient * g1
    residual = (x2 - 2 * x1 + x0) / h**2 + damping * (x2 - x0) / (2 * h) + beta * (g1 - g0) / h + g1
    return equal(residual, 0)


def igahd_scalars(r) -> bool:
    """r = √(μs) > 0; θ is the common factor s/(1 + r) of the gradient coefficient over s; q = e^{−log_rate}."""
    ratio = r.conclusion("r")
    return (positive(ratio) and equal(ratio**2, mu_SC * s_step)
            and equal(r.conclusion("theta_weight"), r.conclusion("gradient_coefficient") / s_step)
            and equal(r.conclusion("theta_weight"), 1 / (1 + ratio))
            and equal(sp.exp(-r.conclusion("log_rate")), r.conclusion("q")))


def igahd_factors(r) -> bool:
    """f(x_k) − f* = O(q^k): q^k is 1 at k = 0 and contracts by q; ‖x_k − x*‖² ≤ 2(f − f*)/μ gives q^{k/2}."""
    value = r.conclusion("value_factor")
    distance = r.conclusion("distance_factor")
    return (geometric(value, 1, r.conclusion("q")) and positive(distance) and equal(distance**2, value))


def igahd_continuous_limit(r) -> bool:
    """With time t = k√s the per-iteration rate −log q over √s tends to IN-B2's continuous rate √μ/2 as s → 0, and
    q → 1."""
    limit = sp.limit(r.conclusion("log_rate") / sp.sqrt(s_step), s_step, 0, "+")
    return equal(limit, _get("IN-B2").conclusion("value_rate")) and sp.limit(r.conclusion("q"), s_step, 0, "+") == 1


def q_above_theta(r) -> bool:
    """q > θ: the value rate is slower than the weight θ."""
    return positive(r.conclusion("q") - r.conclusion("theta_weight"))


def s_max_is_the_boundary_of_26(r) -> bool:
    """(26) L ≤ RHS(s) in σ = √s: RHS − L = N(σ)/D(σ) with D > 0, N = −Q for a quadratic Q with Q(0) < 0 and a
    positive leading coefficient, so (26) ⇔ σ ≤ the positive root of Q: s_max is its square."""
    sig = sp.Symbol("sigma", positive=True)
    margin = sp.together(r.hypothesis("condition (26)").margin.subs(s_step, sig**2))
    numer, denom = sp.fraction(margin)
    quadratic = sp.Poly(sp.expand(-numer), sig)
    if quadratic.degree() != 2 or not positive(denom):
        return False
    qa, qb, qc = (quadratic.coeff_monomial(sig**i) for i in (2, 1, 0))
    root = (-qb + sp.sqrt(qb**2 - 4 * qa * qc)) / (2 * qa)
    return bool(positive(qa) and (-qc).is_positive) and equal(r.conclusion("s_max"), root**2)


# ------------------------------------------------------------------------------------------------- IN-B4, B5, B8


def igahd_extrapolation(r) -> bool:
    """y_k = x_k + m_k(x_k − x_{k−1}) − c_H(g_k − g_{k−1}) with the record's coefficients solves the discretisation
    of ẍ + (α/t)ẋ + β d/dt∇f at t = k√s, step h = √s: (y − 2x_k + x_{k−1})/h² + (α/(kh))(x_k − x_{k−1})/h +
    β(g_k − g_{k−1})/h = 0 (the gradient terms are the split step)."""
    x0, x1, g0, g1 = sp.symbols("x0 x1 g0 g1", real=True)
    h = sp.Symbol("h", positive=True)
    momentum, hessian = (r.conclusion(n).subs(s_step, h**2) for n in ("momentum", "hessian_coefficient"))
    a = S("alpha_AVD")
    y = x1 + momentum * (x1 - x0) - hessian * (g1 - g0)
    residual = (y - 2 * x1 + x0) / h**2 + a / (tau * h) * (x1 - x0) / h + beta * (g1 - g0) / h
    return equal(residual, 0)


def energy_weights(r) -> bool:
    """t_{k+1}·m_k = t_k − 1 (the weights of the convex Lyapunov analysis, m_k the momentum), t_1 = 0, and the energy
    weight is t_k²."""
    t_k, momentum = r.conclusion("t_k"), r.conclusion("momentum")
    return (equal(t_k.subs(tau, tau + 1) * momentum, t_k - 1) and equal(t_k.subs(tau, 1), 0)
            and equal(r.conclusion("energy_weight"), t_k**2))


def avd_rates(r) -> bool:
    """At the smallest admissible α (the hypothesis' 3) the strongly convex rate t^{−2α/3} is the general t^{−2}; it
    is faster for larger α (t > 1) and both vanish as t → ∞."""
    a, sc = S("alpha_AVD"), r.conclusion("value_factor_strongly_convex")
    least = r.hypothesis("alpha_AVD>=3").rhs
    tt = sp.Symbol("t_", positive=True)
    return (equal(sc.subs(a, least), r.conclusion("value_factor"))
            and positive(-sp.diff(sp.log(sc), a).subs(t, 1 + tt))
            and sp.limit(r.conclusion("value_factor"), t, sp.oo) == 0)


def rate_order_is_sqrt_mu(r) -> bool:
    """IN-5's optimal κ* and IN-B1's heavy-ball rate (μ ↦ μ_PL) are positive multiples of rate_order, constant in μ."""
    order = r.conclusion("rate_order")
    rates = (_get("IN-5").conclusion("kappa_opt"), _get("IN-B1").conclusion("value_rate").subs(mu_SC, mu_PL))
    return all(positive(rate / order) and equal(sp.diff(sp.cancel(rate / order), mu_PL), 0) for rate in rates)


def _nonpositive_on_the_box(expr, w, variables) -> bool:
    """expr ≤ 0 for w ∈ [0, 1] and the other variables ≥ 0: sufficient, every coefficient of expr as a polynomial
    in `variables` is ≤ 0 on w ∈ [0, 1] (its denominator positive)."""
    numer, denom = sp.fraction(sp.together(sp.expand(expr)))
    if not positive(denom):
        return False
    coefficients = sp.Poly(sp.expand(numer), *variables).coeffs()
    return all(sp.maximum(c, w, sp.Interval(0, 1)) <= 0 for c in coefficients)


def acfr_rate_on_quadratics(r) -> bool:
    """On every strongly convex quadratic f = λx²/2, λ = μ(1 + u) ≥ μ, and every β = w·beta_max, w ∈ [0, 1]:
    E = f + ½(√μx + ẋ + β∇f)² obeys Ė + value_rate·E ≤ 0 along ẍ + alpha·ẋ + β∇²f ẋ + ∇f = 0 (the quadratic form
    in (x, ẋ) has nonpositive diagonal and nonnegative determinant; μ = m²)."""
    x, v = sp.symbols("x v", real=True)
    m, u, w = sp.symbols("m u w", positive=True)
    sub = {mu_SC: m**2}
    lam, b = m**2 * (1 + u), w * r.conclusion("beta_max").subs(sub)
    energy = lam * x**2 / 2 + (m * x + v + b * lam * x) ** 2 / 2
    accel = -r.conclusion("alpha").subs(sub) * v - b * lam * v - lam * x
    rate = r.conclusion("value_rate").subs(sub)
    form = sp.expand(sp.diff(energy, x) * v + sp.diff(energy, v) * accel + rate * energy)
    xx, vv, xv = form.coeff(x, 2), form.coeff(v, 2), form.coeff(x, 1).coeff(v, 1)
    return all(_nonpositive_on_the_box(e, w, (u, m)) for e in (xx, vv, xv**2 / 4 - xx * vv))
