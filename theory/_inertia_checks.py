"""Self-checks of the inertial records (`theory.inertia`, `theory.inertia_guarantees`); each reads its record.

Each check re-derives a quantity from its proof step (the Lyapunov inequality, the window sum, a discretisation, a
descent lemma, a value at a special point, a relation with another record) and compares it with the record's own
definition or conclusion, read by name, so that a changed record fails (`theory._mutation`).

Comparisons go through `theory._pinning.equal` (fast on wrong expressions, cached). The background records IN-B1 …
IN-B5 and IN-B8 have theirs in `theory._inertia_background_checks`.
"""

from __future__ import annotations

import functools

import sympy as sp

from ipverify.theory._pinning import equal, equal_min, nonnegative, positive
from ipverify.theory._pinning import get_record as _get
from ipverify.theory._proofs import solution_set
from ipverify.theory.gradient_flow import RADIUS_SLACK
from ipverify.theory.symbols import S

alpha, beta, mu_PL, kappa, t, tau = S("alpha"), S("beta"), S("mu_PL"), S("kappa_DIN"), S("t"), S("tau")
sigma_A, sigma_0, residual_0, loss_0, loss_t = S("sigma_A"), S("sigma_0"), S("residual_0"), S("loss_0"), S("loss_t")
energy_0, grad_norm_0, R_prime, R_prime_DIN = S("energy_0"), S("grad_norm_0"), S("R_prime"), S("R_prime_DIN")
mu_SC, s_step, L, y_perp = S("mu_SC"), S("s_step"), S("L"), S("y_perp")
c_armijo, shrink, R_prime_disc = S("c_armijo"), S("shrink"), S("R_prime_disc")


def _optional(r, name):
    try:
        return r.expr(name)
    except KeyError:
        return None


# --------------------------------------------------------------------------- quantities shared by the records

_V3 = sp.Matrix(sp.symbols("v0:3", real=True))
_G3 = sp.Matrix(sp.symbols("g0:3", real=True))


def din_energy(loss, velocity, gradient):
    """DIN's Lyapunov function E = (1 + αβ)f + ½‖θ̇ + β∇f‖² (vectors as SymPy matrices)."""
    w = velocity + beta * gradient
    return (1 + alpha * beta) * loss + w.dot(w) / 2


def _loss_coefficient_of_energy():
    f = sp.Symbol("f", positive=True)
    return sp.diff(din_energy(f, _V3, _G3), f)


def sigma_min_on_ball():
    """GF-2's Weyl bound σ₀ − Lip·R at its radius R = σ₀/(2 Lip) (unshrunk): σ₀/2."""
    gf2 = _get("GF-2")
    return gf2.conclusion("sigma_min_lower").subs(S("R"), gf2.definition("R") / (1 - RADIUS_SLACK))


def mu_pl_is_the_pl_constant(r, name="mu_PL") -> bool:
    """‖∇f‖ ≥ σ_min(J_g)σ_A‖A g − Py‖ with σ_min ≥ σ₀/2 on the ball (GF-2) and ‖A g − Py‖² = 2(f − F): the largest
    μ with ‖∇f‖² ≥ 2μ(f − F); it is GF-3's rate of Ψ."""
    f = sp.Symbol("f", positive=True)
    mu = r.expr(name).subs(mu_PL, r.definition("mu_PL"))
    return (equal((sigma_min_on_ball() * sigma_A) ** 2 * 2 * f, 2 * mu * f)
            and equal(mu, _get("GF-3").conclusion("Psi_rate")))


def loss_0_is_half_the_squared_residual(r) -> bool:
    """f(θ₀) = ½‖y(0) − y‖² for a residual vector v with ‖v‖ = residual_0."""
    return equal(r.definition("loss_0").subs(residual_0, sp.sqrt(_V3.dot(_V3))), _V3.dot(_V3) / 2)


def energy_at_rest(r, name="energy_0") -> bool:
    """E(0) is DIN's energy with θ̇(0) = 0 and ‖∇f(θ₀)‖ = grad_norm_0."""
    value = r.expr(name).subs(energy_0, r.definition("energy_0"))
    at_rest = din_energy(loss_0, sp.zeros(3, 1), _G3)
    return equal(value.subs(grad_norm_0, sp.sqrt(_G3.dot(_G3))), at_rest)


@functools.cache
def kappa_from_lyapunov():
    """The largest κ the Lyapunov argument gives: Ė = −α‖θ̇‖² − β‖∇f‖² (IN-2), E − cF ≤ c(f − F) + ‖θ̇‖² +
    β²‖∇f‖² (Young: ½‖v + βg‖² ≤ ‖v‖² + β²‖g‖², its gap is ½‖v − βg‖²) and f − F ≤ ‖∇f‖²/(2μ) (PL), so
    d/dt(E − cF) + κ(E − cF) ≤ c_V‖θ̇‖² + c_G‖∇f‖², both coefficients linear in κ: κ = min of their roots."""
    young_gap = _V3.dot(_V3) + beta**2 * _G3.dot(_G3) - (_V3 + beta * _G3).dot(_V3 + beta * _G3) / 2
    if not equal(young_gap, (_V3 - beta * _G3).dot(_V3 - beta * _G3) / 2):
        return None
    V, G, k = sp.symbols("V G k", nonnegative=True)
    rate = _get("IN-2").conclusion("energy_rate").subs({S("velocity_norm"): sp.sqrt(V), S("grad_norm_t"): sp.sqrt(G)})
    energy_upper = _loss_coefficient_of_energy() * G / (2 * mu_PL) + V + beta**2 * G
    form = sp.expand(rate + k * energy_upper)
    roots = [sp.solve(form.coeff(X), k) for X in (V, G)]
    return sp.Min(*(root for (root,) in roots))


def kappa_is_the_lyapunov_rate(r, name="kappa_DIN") -> bool:
    value = r.expr(name).subs(kappa, r.definition("kappa_DIN"))
    return equal_min(value, kappa_from_lyapunov())


@functools.cache
def window_path_bound():
    """∫‖θ̇‖ over [jh, (j+1)h] ≤ √h(∫‖θ̇‖²)^{1/2} ≤ √(hE(jh)/α) ≤ √(hE(0)e^{−κjh}/α) (Cauchy–Schwarz, IN-2, IN-5):
    a geometric series, summed to first term/(1 − ratio). Returns (h, the sum)."""
    h = sp.Symbol("h", positive=True)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    window = sp.sqrt(h * energy_0 * sp.exp(-kappa * j * h) / alpha)
    ratio = sp.simplify(window.subs(j, j + 1) / window)
    return h, window.subs(j, 0) / (1 - ratio)


def radius_is_the_window_sum(r, name="R_prime_DIN") -> bool:
    """The DIN radius is the window sum at h = 2/κ."""
    h, bound = window_path_bound()
    return equal(r.expr(name).subs(R_prime_DIN, r.definition("R_prime_DIN")), bound.subs(h, 2 / kappa))


def r_prime_is_the_flow_path_length(r) -> bool:
    """R′ = √(2f(θ₀))/√μ (∫‖θ̇‖ of gradient flow, IN-4), and in σ-notation it is GF-5's 2‖y(0) − y‖/(σ_Aσ₀)."""
    radius = r.definition("R_prime")
    return (equal(radius, sp.sqrt(2 * r.definition("loss_0")) / sp.sqrt(mu_PL))
            and equal(radius.subs(mu_PL, r.definition("mu_PL")), _get("GF-5").definition("R_prime")))


def radius_is_gf10s(r) -> bool:
    """The record's R is GF-10's certified two-layer radius shrunk by 10⁻¹², and Lip_J is GF-10's bound."""
    gf10 = _get("GF-10")
    return (equal(r.definition("R") / (1 - RADIUS_SLACK), gf10.definition("R"))
            and equal(r.definition("Lip_J"), gf10.conclusion("Lip_J_bound")))


def sigma_min_is_weyls(r) -> bool:
    """σ_min(J_g(θ)) ≥ σ₀ − Lip·‖θ − θ₀‖ ≥ σ₀ − (the record's bound on R·Lip_J) (Weyl, GF-2)."""
    weyl = r.hypothesis("R*Lip_J<=sigma_0/2")
    return equal(r.conclusion("sigma_min_lower"), sigma_0 - weyl.rhs) and equal(sigma_min_on_ball(), sigma_0 - weyl.rhs)


def ratio_to_gf_radius(r) -> bool:
    """R′_DIN/R′ times gradient flow's radius (IN-4) is the DIN radius of this record."""
    return equal(r.conclusion("radius_ratio_to_gf") * _get("IN-4").conclusion("theta_dist_bound"),
                 r.conclusion("theta_dist_bound"))


# --------------------------------------------------------------------------------------------------- IN-1, B6, B7

_T = sp.Symbol("t_", real=True)


def _jet(*functions):
    """f(t), f′(t), f″(t) ↦ plain symbols, so that identities between them are rational."""
    mapping = {}
    for fn in functions:
        name = fn.func.__name__
        for n in (2, 1):
            mapping[sp.Derivative(fn, (_T, n))] = sp.Symbol(f"{name}_{n}", real=True)
        mapping[fn] = sp.Symbol(f"{name}_0", real=True)
    return mapping


def _theta_equation(r):
    """(c_g, c_θ, c_ψ) of θ̇ + c_g∇f + c_θθ + c_ψψ = 0 (c_g = β unless the record names it)."""
    c_grad = _optional(r, "gradient_coefficient")
    return (beta if c_grad is None else c_grad), r.conclusion("theta_coefficient"), r.conclusion("psi_coefficient")


def first_order_form_is_din(r) -> bool:
    """θ̇ + c_g∇f + c_θθ + c_ψψ = 0, ψ̇ + c_θθ + c_ψψ = 0 with the record's coefficients: solving the first for ψ and
    substituting in the second gives −β × (θ̈ + αθ̇ + β d/dt∇f + ∇f); θ(t) and g(t) = ∇f(θ(t)) are arbitrary
    functions of t, so this covers every f (componentwise)."""
    th, g = sp.Function("theta")(_T), sp.Function("g")(_T)
    c_grad, c_theta, c_psi = _theta_equation(r)
    psi = -(sp.diff(th, _T) + c_grad * g + c_theta * th) / c_psi
    second = sp.diff(psi, _T) + c_theta * th + c_psi * psi
    din = sp.diff(th, _T, 2) + alpha * sp.diff(th, _T) + beta * sp.diff(g, _T) + g
    return equal((second + beta * din).xreplace(_jet(th, g)), 0)


def start_velocity(theta_equation, psi_theta, psi_grad):
    """θ̇(0) ∈ ℝ² from the θ-equation at ψ(0) = psi_theta·θ₀ + psi_grad·∇f(θ₀), and its norm."""
    c_grad, c_theta, c_psi = theta_equation
    th0, g0 = sp.Matrix(sp.symbols("th0:2", real=True)), sp.Matrix(sp.symbols("gr0:2", real=True))
    velocity = (-c_grad * g0 - c_theta * th0 - c_psi * (psi_theta * th0 + psi_grad * g0)).applyfunc(sp.cancel)
    return velocity, sp.sqrt(velocity.dot(velocity)), sp.sqrt(g0.dot(g0))


def dip_start_is_at_rest(r) -> bool:
    """ψ(0) = c_θ⁰θ₀ + c_g⁰∇f(θ₀) with the record's coefficients gives θ̇(0) = 0, of norm initial_velocity_norm."""
    velocity, norm, _ = start_velocity(_theta_equation(r), r.conclusion("psi0_theta_coefficient"),
                                       r.conclusion("psi0_gradient_coefficient"))
    return all(equal(v, 0) for v in velocity) and equal(r.conclusion("initial_velocity_norm"), norm)


def inna_start_velocity(r, name, theta_equation, psi_theta) -> bool:
    """INNA's ψ(0) = (1 − αβ)θ₀ gives ‖θ̇(0)‖ = β‖∇f(θ₀)‖."""
    velocity, norm, grad_norm = start_velocity(theta_equation, psi_theta, 0)
    return equal(r.conclusion(name).subs(grad_norm_0, grad_norm), norm)


def inna_start_in_in1(r) -> bool:
    return inna_start_velocity(r, "initial_velocity_norm_INNA", _theta_equation(r),
                               _get("IN-B7").conclusion("psi0_theta_coefficient"))


def inna_start_in_b7(r) -> bool:
    return inna_start_velocity(r, "initial_velocity_norm", _theta_equation(_get("IN-1")),
                               r.conclusion("psi0_theta_coefficient"))


def w_form_is_equivalent(r) -> bool:
    """With ψ = (1 − αβ)θ − βw the record's (θ, ψ) system is θ̇ = w − β∇f, ẇ = −αw + (αβ − 1)∇f, and its ψ(0) is
    w(0) = β∇f(θ₀) (the state of the integrator, valid at β = 0 too)."""
    th, w, g, wdot, thdot, th0, g0, w0 = sp.symbols("th w g wdot thdot th0 g0 w0", real=True)
    c_grad, c_theta, c_psi = _theta_equation(r)
    psi = (1 - alpha * beta) * th - beta * w
    (thdot_sol,) = sp.solve(thdot + c_grad * g + c_theta * th + c_psi * psi, thdot)
    psi_eq = ((1 - alpha * beta) * thdot - beta * wdot + c_theta * th + c_psi * psi).subs(thdot, thdot_sol)
    (wdot_sol,) = sp.solve(psi_eq, wdot)
    psi0 = r.conclusion("psi0_theta_coefficient") * th0 + r.conclusion("psi0_gradient_coefficient") * g0
    (w0_sol,) = sp.solve(sp.Eq(psi.subs({th: th0, w: w0}), psi0), w0)
    return (equal(thdot_sol, w - beta * g) and equal(wdot_sol, -alpha * w + (alpha * beta - 1) * g)
            and equal(w0_sol, beta * g0))


def coefficients_are_in1s(r) -> bool:
    """The first-order form of AABR is IN-1's: same θ- and ψ-coefficients."""
    in1 = _get("IN-1")
    return all(equal(r.conclusion(n), in1.conclusion(n)) for n in ("theta_coefficient", "psi_coefficient"))


def inna_is_explicit_euler(r) -> bool:
    """INNA's step with the record's phase coefficient (phase = c·θ + ψ/β; ψ ← ψ − γ·phase; θ ← θ − γ(phase + β∇L))
    is explicit Euler on IN-1's first-order system with step euler_step."""
    th, psi, g = sp.symbols("th psi g", real=True)
    c_grad, c_theta, c_psi = _theta_equation(_get("IN-1"))
    gamma = S("gamma_IN")
    phase = r.conclusion("phase_theta_coefficient") * th + psi / beta
    h = r.conclusion("euler_step")
    return (equal(th - gamma * (phase + beta * g), th + h * (-c_grad * g - c_theta * th - c_psi * psi))
            and equal(psi - gamma * phase, psi + h * (-c_theta * th - c_psi * psi)))


# ------------------------------------------------------------------------------------------------------- IN-2


def energy_rate_along_din(r) -> bool:
    """Ė along DIN with free vectors θ̇ = V, ∇f = G, d/dt∇f = G′, ḟ = ⟨G, V⟩ and θ̈ = −αV − βG′ − G is the record's
    energy_rate at ‖θ̇‖ = ‖V‖, ‖∇f‖ = ‖G‖ (the cross terms cancel through the factor 1 + αβ)."""
    Gp = sp.Matrix(sp.symbols("Gp0:3", real=True))
    accel = -alpha * _V3 - beta * Gp - _G3
    w = _V3 + beta * _G3
    e_dot = _loss_coefficient_of_energy() * _G3.dot(_V3) + w.dot(accel + beta * Gp)
    rate = r.conclusion("energy_rate").subs({S("velocity_norm"): sp.sqrt(_V3.dot(_V3)),
                                             S("grad_norm_t"): sp.sqrt(_G3.dot(_G3))})
    return equal(sp.expand(e_dot), sp.expand(rate))


def energy_bound_is_the_start(r) -> bool:
    """E(t) = E(0) + ∫Ė ≤ E(0) as Ė ≤ 0: the bound is the energy at rest."""
    return energy_at_rest(r, "energy_bound") and nonnegative(-r.conclusion("energy_rate"))


def loss_below_energy(r) -> bool:
    """E = c·f + ½‖θ̇ + β∇f‖² ≥ c·f: f ≤ E/c with c the loss coefficient of E."""
    return equal(r.conclusion("loss_bound") * _loss_coefficient_of_energy(), r.conclusion("energy_bound"))


# ---------------------------------------------------------------------------------------------------- IN-3, IN-4


def _floor():
    from ipverify.theory.gradient_flow import pythagoras_floor

    return pythagoras_floor()


def pl_gradient_lower(r) -> bool:
    """‖∇f‖² ≥ (σ_min σ_A)²‖A g − Py‖² = (σ_min σ_A)²·2(f − F) with the record's σ_min lower bound and F = ½‖P⊥y‖²
    (Pythagoras); the ratio ‖∇f‖²/(2(f − F)) is then at least pl_ratio_lower."""
    lower = r.conclusion("grad_norm_sq_lower").subs(mu_PL, r.definition("mu_PL"))
    excess = loss_t - _floor()
    return (equal(lower, (r.conclusion("sigma_min_lower") * sigma_A) ** 2 * 2 * excess)
            and equal(r.conclusion("pl_ratio_lower") * 2 * excess, r.conclusion("grad_norm_sq_lower")))


def gf_rate_from_pl(r) -> bool:
    """d/dt(f − F) = −‖∇f‖² ≤ −(IN-3's lower bound) = −rate·(f − F): the rate is IN-3's bound over f − F."""
    lower = _get("IN-3").conclusion("grad_norm_sq_lower")
    return equal(r.conclusion("gf_rate"), sp.cancel(lower / (loss_t - _floor())))


def flow_path_length(r) -> bool:
    """−d/dt√(2(f − F)) = ‖∇f‖²/√(2(f − F)) ≥ K⁻¹‖∇f‖ = K⁻¹‖θ̇‖ with K = R′/√(2f(θ₀)) read from the record: the
    slack is ≥ 0 for every ‖∇f‖ = √(2μ(f − F)) + e, e ≥ 0, and vanishes at e = 0 (K is the best constant), so
    ∫‖θ̇‖ ≤ K√(2f(θ₀)) = theta_dist_bound."""
    f, e = sp.Symbol("f", positive=True), sp.Symbol("e", nonnegative=True)  # f stands for f − F
    radius = r.conclusion("theta_dist_bound").subs(R_prime, r.definition("R_prime"))
    K = radius / sp.sqrt(2 * r.definition("loss_0"))
    g = sp.sqrt(2 * mu_PL * f) + e
    slack = g**2 / sp.sqrt(2 * f) - g / K
    return equal(slack.subs(e, 0), 0) and nonnegative(sp.factor(sp.expand(slack * sp.sqrt(2 * f))))


def gf_bounds_are_gf5s(r) -> bool:
    """In σ-notation the loss and residual bounds are GF-5's."""
    gf5, sub = _get("GF-5"), {loss_0: r.definition("loss_0"), mu_PL: r.definition("mu_PL")}
    return all(equal(r.conclusion(n).subs(sub), gf5.conclusion(n)) for n in ("loss_bound", "residual_bound"))


# ------------------------------------------------------------------------------------------------------- IN-5


def _hessian_branch(r):
    """κ_H of κ = min{α, κ_H}: the term of the record's κ that involves β."""
    value = r.definition("kappa_DIN")
    terms = value.args if isinstance(value, sp.Min) else (value,)
    return next(term for term in terms if term.has(beta))


def optimum_is_stationary(r) -> bool:
    """In a = α/√μ, b = β√μ both terms of κ agree on F(a, b) = numerator of a − κ_H/√μ = 0; the maximum of a on that
    curve has ∂F/∂b = 0 (Lagrange). Both hold at the record's (α*, β*), and κ* = α* = κ_H(α*, β*)."""
    a, b = sp.symbols("a b", positive=True)
    curve = sp.numer(sp.together(a - _hessian_branch(r).subs({alpha: a * sp.sqrt(mu_PL), beta: b / sp.sqrt(mu_PL)})
                                 / sp.sqrt(mu_PL)))
    at = {a: r.conclusion("alpha_opt") / sp.sqrt(mu_PL), b: r.conclusion("beta_opt") * sp.sqrt(mu_PL)}
    at_opt = {alpha: r.conclusion("alpha_opt"), beta: r.conclusion("beta_opt")}
    return (equal(curve.subs(at), 0) and equal(sp.diff(curve, b).subs(at), 0)
            and equal(r.conclusion("kappa_opt"), r.conclusion("alpha_opt"))
            and equal(_hessian_branch(r).subs(at_opt), r.conclusion("kappa_opt")))


def kappa_at(r, point, value) -> bool:
    return equal(r.definition("kappa_DIN").subs(point), value)


def kappa_at_unit_parameters(r) -> bool:
    """κ = √μ/2 at (α, β) = (√μ, 1/√μ) (IN-E5)."""
    return kappa_at(r, {alpha: sp.sqrt(mu_PL), beta: 1 / sp.sqrt(mu_PL)}, sp.sqrt(mu_PL) / 2)


def kappa_at_acfr_parameters(r) -> bool:
    """At ACFR's (2√μ, 1/(2√μ)) the PL argument gives 2√μ/5, below ACFR's strongly convex √μ/2 (IN-B2)."""
    b2 = _get("IN-B2")
    point = {alpha: b2.conclusion("alpha").subs(mu_SC, mu_PL), beta: b2.conclusion("beta_max").subs(mu_SC, mu_PL)}
    return (kappa_at(r, point, 2 * sp.sqrt(mu_PL) / 5)
            and positive(b2.conclusion("value_rate").subs(mu_SC, mu_PL) - 2 * sp.sqrt(mu_PL) / 5))


def speedups(r) -> bool:
    """speedup = κ/(2μ) and speedup_opt = κ*/(2μ): DIN's guaranteed rate over gradient flow's (IN-4)."""
    gf = r.conclusion("gf_rate")
    return (equal(gf, _get("IN-4").conclusion("gf_rate")) and equal(r.conclusion("speedup"), r.conclusion("kappa") / gf)
            and equal(r.conclusion("speedup_opt"), r.conclusion("kappa_opt") / gf))


def speedup_threshold(r) -> bool:
    """κ*(μ) = 2μ at μ = mu_speedup_threshold > 0 (κ* ∝ √μ meets 2μ once on μ > 0)."""
    threshold = r.conclusion("mu_speedup_threshold")
    return positive(threshold) and equal(r.conclusion("kappa_opt").subs(mu_PL, threshold),
                                         r.conclusion("gf_rate").subs(mu_PL, threshold))


def speedup_region(r) -> bool:
    """{μ > 0: κ* > 2μ} = ]0, mu_speedup_threshold[ (solveset)."""
    m = sp.Symbol("m", positive=True)
    region = solution_set(r.conclusion("kappa_opt").subs(mu_PL, m) > r.conclusion("gf_rate").subs(mu_PL, m), m,
                          sp.Interval.open(0, sp.oo))
    return region == sp.Interval.open(0, r.conclusion("mu_speedup_threshold"))


def kappa_closes_the_lyapunov_bound(r) -> bool:
    """At κ = κ_H the ‖∇f‖² coefficient β − κ(1 + αβ + 2μβ²)/(2μ) vanishes, and κ_H·β < 1."""
    kh = _hessian_branch(r)
    return equal(beta - kh * (1 + alpha * beta + 2 * mu_PL * beta**2) / (2 * mu_PL), 0) and positive(
        (1 - kh * beta).subs({alpha: sp.Symbol("a_", positive=True), beta: sp.Symbol("b_", positive=True)}))


def loss_constant(r) -> bool:
    """At t = 0 and y ∈ Im(A) the loss bound is E(0)/(1 + αβ) = f(θ₀) + β²‖∇f(θ₀)‖²/(2(1 + αβ))."""
    start = r.conclusion("loss_bound").subs({t: 0, y_perp: 0, energy_0: r.definition("energy_0")})
    return equal(start, loss_0 + beta**2 * grad_norm_0**2 / (2 * (1 + alpha * beta)))


# ------------------------------------------------------------------------------------------------------- IN-6


def radius_constant(r) -> bool:
    """radius_constant·√(E(0)/(ακ)) is the window sum at h = 2/κ; ≈ 2.24."""
    h, bound = window_path_bound()
    c = r.conclusion("radius_constant")
    return equal(c * sp.sqrt(energy_0 / (alpha * kappa)), bound.subs(h, 2 / kappa)) and abs(float(c) - 2.24) < 5e-3


def windows_sum_to_the_radius(r) -> bool:
    """Summing the windows √(hE(0)e^{−κjh}/α) at h = 2/κ over j ≥ 0 (SymPy's summation) gives path_length_bound."""
    a, k = sp.symbols("a k", positive=True)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    term = sp.sqrt(2 * energy_0 / (a * k)) * sp.exp(-j)  # √(hE(0)e^{−κjh}/α) at h = 2/κ, e^{−κjh/2} = e^{−j}
    total = sp.summation(term, (j, 0, sp.oo)).subs({a: alpha, k: kappa})
    return equal(r.conclusion("path_length_bound").subs(R_prime_DIN, r.definition("R_prime_DIN")), total)


def large_beta_inflates_radius(r) -> bool:
    """E(0) ∋ β²‖∇f(θ₀)‖²/2 and κ → 0 as β → ∞: R′_DIN → ∞ (IN-E6's negative control)."""
    a, m, b = sp.symbols("a_ m_ b_", positive=True)
    expr = r.definition("R_prime_DIN").subs({kappa: _hessian_branch(r), energy_0: r.definition("energy_0")})
    expr = expr.subs({alpha: a, mu_PL: m, loss_0: 1, grad_norm_0: 1, beta: b})
    return sp.limit(expr, b, sp.oo) == sp.oo


# ------------------------------------------------------------------------------------------------------- IN-7

_RESIDUAL, _NOISE, _ANORM, _DIST, _MU = sp.symbols("r e a d m", positive=True)


@functools.cache
def recovery_total():
    """y = Ax̄ + ε ⇒ A(x − x_Σ) = (Ax − y) + ε + A(x̄ − x_Σ) (2×3 A); ‖x − x_Σ‖ ≤ ‖A(x − x_Σ)‖/μ (restricted
    injectivity) and ‖x − x̄‖ ≤ ‖x − x_Σ‖ + dist: the bound (r + e + a·d)/m + d in ‖Ax − y‖, ‖ε‖, ‖A‖, dist, μ."""
    A = sp.Matrix(2, 3, sp.symbols("a0:6", real=True))
    x, xb, xs = (sp.Matrix(sp.symbols(f"{n}0:3", real=True)) for n in ("x", "xb", "xs"))
    eps = sp.Matrix(sp.symbols("e0:2", real=True))
    y = A * xb + eps
    if not all(sp.expand(e) == 0 for e in A * (x - xs) - ((A * x - y) + eps + A * (xb - xs))):
        return None
    return (_RESIDUAL + _NOISE + _ANORM * _DIST) / _MU + _DIST


def _recovery_at(residual, noise, dist):
    names = {_ANORM: S("A_norm"), _MU: S("mu")}
    return recovery_total().subs({_RESIDUAL: residual, _NOISE: noise, _DIST: dist}).subs(names)


def recovery_terms(r) -> bool:
    """noise_term, model_term and the measured bound are the decomposition's terms (‖Ax − y‖ = √(2f))."""
    noise, dist = S("noise"), S("dist")
    return (equal(r.conclusion("noise_term"), _recovery_at(0, noise, 0))
            and equal(r.conclusion("model_term"), _recovery_at(0, 0, dist))
            and equal(r.conclusion("recovery_bound_measured"), _recovery_at(sp.sqrt(2 * loss_t), noise, dist)))


def exact_recovery(r) -> bool:
    """ε = 0, x̄ ∈ Σ′ (so y ∈ Im(A)) and κ > 0: the bound → 0 (exact recovery)."""
    bound = r.conclusion("recovery_bound").subs({S("noise"): 0, S("dist"): 0, y_perp: 0,
                                                 kappa: sp.Symbol("k_", positive=True)})
    return sp.limit(bound, t, sp.oo) == 0


# ------------------------------------------------------------------------------------------------------- IN-8


def armijo_and_pl_give_the_step_factor(r) -> bool:
    """f⁺ − F ≤ (f − F) − cs‖g‖² and ‖g‖² = 2μ(f − F) + e, e ≥ 0: (f⁺ − F) − step_factor·(f − F) = −cse ≤ 0."""
    f, e = sp.Symbol("f", positive=True), sp.Symbol("e", nonnegative=True)  # f stands for f − F
    gap = (f - c_armijo * s_step * (2 * mu_PL * f + e)) - r.conclusion("step_factor") * f
    return equal(gap, -c_armijo * s_step * e)


def s_floor_is_the_descent_lemma(r) -> bool:
    """f(θ − sg) ≤ f − s(1 − sL/2)‖g‖² (descent lemma) passes Armijo once 1 − sL/2 ≥ c: equality at
    s_floor/ϑ, and the region in x = sL is ]0, 2(1 − c)] (solveset at c = 1/3)."""
    s = r.conclusion("s_floor") / shrink
    x = sp.Symbol("x", positive=True)
    region = solution_set(1 - x / 2 >= sp.Rational(1, 3), x, sp.Interval.open(0, sp.oo))
    return equal(1 - s * L / 2, c_armijo) and region == sp.Interval.Lopen(0, (s * L).subs(c_armijo, sp.Rational(1, 3)))


def rho_is_the_worst_step(r) -> bool:
    """ρ is the step factor at the smallest step ever accepted, min(s₀, s_floor)."""
    worst = r.conclusion("step_factor").subs(s_step, sp.Min(s_step, r.conclusion("s_floor")))
    return equal(r.conclusion("rho"), worst)


def length_factor_from_armijo(r) -> bool:
    """√f − √f⁺ ≥ (f − f⁺)/(2√f) (the gap is (√f − √f⁺)²/(2√f)) ≥ cs‖g‖²/(2√f) ≥ cs‖g‖√(2μf)/(2√f), so
    s‖g‖ ≤ K(√f − √f⁺) with K = s‖g‖ over that lower bound."""
    a, b = sp.symbols("a b", positive=True)  # a = √f, b = √f⁺
    f, s, g = sp.symbols("f s g", positive=True)
    lower = c_armijo * s * g * sp.sqrt(2 * mu_PL * f) / (2 * sp.sqrt(f))
    return (equal((a - b) - (a**2 - b**2) / (2 * a), (a - b) ** 2 / (2 * a))
            and equal(r.conclusion("length_factor"), s * g / lower))


def disc_radius_telescopes(r) -> bool:
    """The path-length test telescopes: Σ‖θ_{k+1} − θ_k‖ ≤ length_factor·√f(θ₀) = theta_dist_bound."""
    radius = r.conclusion("theta_dist_bound").subs(R_prime_disc, r.definition("R_prime_disc"))
    radius = radius.subs(R_prime, r.definition("R_prime"))
    return equal(radius, r.conclusion("length_factor") * sp.sqrt(r.definition("loss_0")))


# ------------------------------------------------------------------------------------------------------- IN-9


def certified_width(r) -> bool:
    """At k = k_required_certified, GF-10's Lip_J at R = R′_DIN times R′_DIN is σ₀/2, i.e. GF-10's certified R is
    R′_DIN (R·Lip_J(R) increases in R and decreases in k)."""
    k = S("k")
    lip = _get("GF-10").conclusion("Lip_J_bound").subs({S("R"): R_prime_DIN, k: r.conclusion("k_required_certified")})
    return equal(lip * R_prime_DIN, sigma_0 / 2)


def certified_radius_grows_with_k(r) -> bool:
    """GF-10's certified R at k = k_required_certified is R′_DIN, and it increases with k."""
    radius = _get("GF-10").definition("R")
    return (equal(radius.subs(S("k"), r.conclusion("k_required_certified")), R_prime_DIN)
            and positive(sp.diff(radius, S("k"))))


def sketched_width_scaling(r) -> bool:
    """The sketch k ≳ C·n(‖A‖√n + ‖y‖)²/(σ_A²C_φ(03)) with C_φ(03) = C_phi²: linear in C_width, of degree 2 in the
    residual scale (‖A‖, ‖y‖), −2 in σ_A and in C_phi, and in n of degree 2 when y = 0, 1 when ‖A‖ = 0."""
    k = r.conclusion("k_required")
    lam = sp.Symbol("lambda_", positive=True)
    A, y, n = S("A_norm"), S("y_norm"), S("n")
    scalings = (({S("C_width"): lam * S("C_width")}, lam), ({A: lam * A, y: lam * y}, lam**2),
                ({sigma_A: lam * sigma_A}, lam**-2), ({S("C_phi"): lam * S("C_phi")}, lam**-2))
    n_scalings = ((k.subs(y, 0), lam**2), (k.subs(A, 0), lam))
    return (positive(k) and all(equal(k.subs(sub, simultaneous=True), factor * k) for sub, factor in scalings)
            and all(equal(part.subs(n, lam * n), factor * part) for part, factor in n_scalings))


def typical_sigma_0(r) -> bool:
    """σ₀ ≳ √(C_φ(03)/2) with 03's C_φ = E[φ²] = C_phi²."""
    value = r.conclusion("sigma_0_typical")
    return positive(value) and equal(value**2, S("C_phi") ** 2 / 2)
