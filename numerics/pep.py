"""Exact worst cases by performance estimation (PEPit, solved with Clarabel) for the results that have a
performance-estimation counterpart: a cross-check of the encoded constants that owes nothing to our trainers.

Each function sets up one small PEP (one to three steps), solves it and returns the worst case over the whole
function class; the encoded bound it is compared with is always read from the catalogue by its checker
(`numerics.checkers.checker`), never restated here:

- `fb_lipschitz` (JFB-7): sup ‖T x − T x′‖/‖x − x′‖ of one forward–backward step T = prox_{τg}(· − τ∇h), h L-smooth
  and μ-strongly convex, g convex or λ_sc-strongly convex (the weight λ of the prior is absorbed in g);
- `gd_pl_step` (GD-4 item 5): sup (f(x₁) − f*)/(f(x₀) − f*) of one gradient step x₁ = x₀ − γ∇f(x₀) on L-smooth
  functions satisfying PL with constant μ (PEPit's "quadratic Łojasiewicz" class, a relaxation: its value is an
  upper bound of the class's worst case) or μ-strongly convex ones (exact interpolation);
- `gradient_flow_rate` (IN-4, IN-B1): inf of −(d/dt)(f − f*)/(f − f*) along θ̇ = −∇f, under PL at the current point
  (exactly what the Lyapunov argument uses) or over μ-strongly convex functions (PEPit's own example);
- `din_rate` (IN-5): inf of −Ė/E along DIN, E = (1 + αβ)(f − f*) + ½‖θ̇ + β∇f‖², with Ė = −α‖θ̇‖² − β‖∇f‖²
  read from IN-2 (the Hessian term cancels, so no Hessian enters the PEP), under PL at the current point;
- `heavy_ball_rate` (IN-B1): inf of −Ė/E along ẍ + αẋ + ∇f(x) = 0, E = f − f* + ½‖ẋ + √μ(x − x*)‖², over
  μ-strongly convex f;
- `igahd_energy_ratio` (IN-B3): sup E_{N+1}/E₁ of N steps of IGAHD-SC (coefficients read from IN-B3) on L-smooth
  μ-strongly convex f, started with x₋₁ = x₀, E_k = f(x_k) − f* + ½‖v_k‖² as in ACFR Thm 11.

PEPit and Clarabel are test-only dependencies (the `dev` extra); importing this module does not need them.
"""

from __future__ import annotations

import math

from ipverify.numerics.checkers import checker

SOLVER = "CLARABEL"
"""Interior-point solver behind cvxpy (SCS, PEPit's default fallback, returned values off by ~1e-4)."""

ACCURACY = 1e-6
"""Relative accuracy of a PEP value as solved here (Clarabel's default tolerances are 1e-8; 1e-6 leaves room for
the conditioning of the small SDPs)."""

ABSOLUTE = 1e-9
"""Absolute slack of a PEP value near 0 (Clarabel's feasibility tolerance is 1e-8 on the Gram matrix entries)."""


def available() -> bool:
    """Whether PEPit, cvxpy and Clarabel can be imported."""
    try:
        import clarabel  # noqa: F401
        import cvxpy  # noqa: F401
        import PEPit  # noqa: F401
    except ImportError:
        return False
    return True


def _solve(problem) -> float:
    import cvxpy

    value = float(problem.solve(wrapper="cvxpy", solver=getattr(cvxpy, SOLVER), verbose=0))
    if not math.isfinite(value):
        raise RuntimeError(f"PEP solve returned {value}")
    return value


def fb_lipschitz(tau: float, mu: float, L: float, lambda_sc: float = 0.0) -> float:
    """Worst Lipschitz constant of T(x) = prox_{τg}(x − τ∇h(x)) over h ∈ F_{μ,L} and g convex, λ_sc-strongly
    convex when λ_sc > 0."""
    from PEPit import PEP
    from PEPit.functions import ConvexFunction, SmoothStronglyConvexFunction, StronglyConvexFunction
    from PEPit.primitive_steps import proximal_step

    problem = PEP()
    h = problem.declare_function(SmoothStronglyConvexFunction, mu=mu, L=L)
    g = (problem.declare_function(StronglyConvexFunction, mu=lambda_sc) if lambda_sc > 0
         else problem.declare_function(ConvexFunction))
    x, x_prime = problem.set_initial_point(), problem.set_initial_point()

    def step(z):
        return proximal_step(z - tau * h.gradient(z), g, tau)[0]

    problem.set_initial_condition((x - x_prime) ** 2 <= 1)
    problem.set_performance_metric((step(x) - step(x_prime)) ** 2)
    return math.sqrt(max(_solve(problem), 0.0))


def gd_pl_step(L: float, mu: float, gamma: float, function_class: str = "PL") -> float:
    """Worst (f(x₁) − f*)/(f(x₀) − f*) of one gradient step, f L-smooth and PL(μ) ("PL") or μ-strongly convex ("SC")."""
    from PEPit import PEP
    from PEPit.functions import SmoothQuadraticLojasiewiczFunctionCheap, SmoothStronglyConvexFunction

    classes = {"PL": SmoothQuadraticLojasiewiczFunctionCheap, "SC": SmoothStronglyConvexFunction}
    problem = PEP()
    f = problem.declare_function(classes[function_class], L=L, mu=mu)
    fs = f(f.stationary_point())
    x0 = problem.set_initial_point()
    problem.set_initial_condition(f(x0) - fs <= 1)
    x1 = x0 - gamma * f.gradient(x0)
    problem.set_performance_metric(f(x1) - fs)
    return _solve(problem)


def _pl_state(problem, mu: float):
    """A gradient g and a gap f − f* ≥ 0 at one point, tied only by PL: ‖g‖² ≥ 2μ(f − f*)."""
    from PEPit import Expression, Point

    g, gap = Point(), Expression()
    problem.add_constraint(g**2 >= 2 * mu * gap)
    problem.add_constraint(gap >= 0)
    return g, gap


def gradient_flow_rate(mu: float, function_class: str = "PL") -> float:
    """inf −(d/dt)(f − f*)/(f − f*) along θ̇ = −∇f: PL at the point ("PL") or μ-strongly convex f ("SC", PEPit's
    example `wc_gradient_flow_strongly_convex`)."""
    if function_class == "SC":
        import cvxpy
        from PEPit.examples.continuous_time_models.gradient_flow_strongly_convex import (
            wc_gradient_flow_strongly_convex,
        )

        worst, _ = wc_gradient_flow_strongly_convex(mu, wrapper="cvxpy", solver=getattr(cvxpy, SOLVER), verbose=-1)
        return -float(worst)
    from PEPit import PEP

    problem = PEP()
    g, gap = _pl_state(problem, mu)
    velocity = -g
    problem.set_initial_condition(gap == 1)
    problem.set_performance_metric(g * velocity)
    return -_solve(problem)


def din_energy_coefficients(alpha: float, beta: float) -> tuple[float, float, float]:
    """(c_f, c_v, c_g) with E(0) = c_f f(θ₀) + (β²/2)‖∇f(θ₀)‖² and Ė = c_v‖θ̇‖² + c_g‖∇f‖², read from IN-2's
    energy_0 and energy_rate (both are linear in these squares; checked by evaluating at a third point), and checked
    against the energy ½‖θ̇ + β∇f‖² + c_f(f − f*) of the PEP at θ̇ = 0."""
    c = checker("IN-2")

    def rate(v, g):
        return float(c.evaluate({"alpha": alpha, "beta": beta, "velocity_norm": v, "grad_norm_t": g,
                                 "residual_0": 0.0, "grad_norm_0": 0.0}).conclusions["energy_rate"])

    c_v, c_g = rate(1.0, 0.0), rate(0.0, 1.0)
    if not math.isclose(rate(1.0, 1.0), c_v + c_g, rel_tol=1e-12, abs_tol=1e-12) or rate(0.0, 0.0) != 0.0:
        raise ValueError("IN-2's energy_rate is not a form c_v‖θ̇‖² + c_g‖∇f‖²")
    def energy_0(loss, grad):
        return float(c.evaluate({"alpha": alpha, "beta": beta, "residual_0": math.sqrt(2 * loss),
                                 "grad_norm_0": grad}).conclusions["energy_0_value"])

    c_f = energy_0(1.0, 0.0)
    if not math.isclose(energy_0(0.0, 1.0), beta**2 / 2, rel_tol=1e-12, abs_tol=1e-15):
        raise ValueError("IN-2's energy_0 is not ½‖θ̇ + β∇f‖² + c_f f at θ̇ = 0")
    return c_f, c_v, c_g


def din_rate(mu: float, alpha: float, beta: float) -> float:
    """inf −Ė/E along DIN over the states (θ̇, ∇f, f − f*) allowed by PL at the current point."""
    from PEPit import PEP, Point

    c_f, c_v, c_g = din_energy_coefficients(alpha, beta)
    problem = PEP()
    g, gap = _pl_state(problem, mu)
    velocity = Point()
    energy = c_f * gap + 0.5 * (velocity + beta * g) ** 2
    problem.set_initial_condition(energy == 1)
    problem.set_performance_metric(c_v * velocity**2 + c_g * g**2)
    return -_solve(problem)


def heavy_ball_rate(mu: float, alpha: float) -> float:
    """inf −Ė/E along ẍ + αẋ + ∇f = 0, E = f − f* + ½‖ẋ + √μ(x − x*)‖², over μ-strongly convex f."""
    from PEPit import PEP
    from PEPit.functions import StronglyConvexFunction

    problem = PEP()
    f = problem.declare_function(StronglyConvexFunction, mu=mu)
    xs = f.stationary_point()
    fs = f(xs)
    x = problem.set_initial_point()
    g, fx = f.oracle(x)
    velocity = problem.set_initial_point()
    acceleration = -alpha * velocity - g
    w = math.sqrt(mu) * (x - xs) + velocity
    energy = fx - fs + 0.5 * w**2
    energy_dot = g * velocity + w * (math.sqrt(mu) * velocity + acceleration)
    problem.set_initial_condition(energy == 1)
    problem.set_performance_metric(energy_dot)
    return -_solve(problem)


def igahd_coefficients(mu: float, L: float, s: float, beta: float) -> tuple[float, float, float]:
    """(momentum, Hessian, gradient) coefficients of IGAHD-SC's update, from IN-B3."""
    ev = checker("IN-B3").evaluate({"mu_SC": mu, "L": L, "s_step": s, "beta": beta, "tau": 1.0})
    return tuple(float(ev.conclusions[name]) for name in ("momentum", "hessian_coefficient", "gradient_coefficient"))


def igahd_energy_ratio(mu: float, L: float, s: float, beta: float, steps: int = 2) -> float:
    """sup E_{N+1}/E₁ over L-smooth μ-strongly convex f for N = `steps` IGAHD-SC steps after x₁ (x₋₁ = x₀)."""
    from PEPit import PEP
    from PEPit.functions import SmoothStronglyConvexFunction

    momentum, hessian, gradient = igahd_coefficients(mu, L, s, beta)
    problem = PEP()
    f = problem.declare_function(SmoothStronglyConvexFunction, mu=mu, L=L)
    xs = f.stationary_point()
    fs = f(xs)

    def step(previous, x):
        g, g_previous = f.gradient(x), f.gradient(previous)
        return x + momentum * (x - previous) - hessian * (g - g_previous) - gradient * g

    def energy(previous, x):
        v = math.sqrt(mu) * (previous - xs) + (x - previous) / math.sqrt(s) + beta * f.gradient(previous)
        return f(x) - fs + 0.5 * v**2

    x0 = problem.set_initial_point()
    previous, x = x0, step(x0, x0)
    first = energy(previous, x)
    for _ in range(steps):
        previous, x = x, step(previous, x)
    problem.set_initial_condition(first <= 1)
    problem.set_performance_metric(energy(previous, x))
    return _solve(problem)
