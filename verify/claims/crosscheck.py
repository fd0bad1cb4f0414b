"""Independent cross-checks: PEPit's exact worst cases, torchdeq's hypergradients, and the true ODEs.

Every claim here puts a list of rows in ``details["crosscheck"]``, each
``{"source", "result_id", "quantity", "ours", "theirs", "valid", "tightness"}``:

- PEPit (`numerics.pep`): ours = the encoded bound (from the record's checker), theirs = the worst case of the PEP
  over the function class. For a factor (a contraction, a per-step ratio) valid ⇔ theirs ≤ ours·(1 + ε) + 1e-9 and
  tightness = theirs/ours; for a guaranteed rate (an exponent of decay) valid ⇔ theirs ≥ ours·(1 − ε) and
  tightness = ours/theirs; ε = `numerics.pep.ACCURACY`. Tightness 1 means the encoded constant is exact. These rows
  also keep the checker's inputs under "inputs" (values, conclusion, kind), so that a changed record can be held to
  the same worst cases.
- torchdeq: ours, theirs = ‖g‖ of our hypergradient and torchdeq's on the same map; valid ⇔
  ‖g_ours − g_torchdeq‖ ≤ `DEQ_AGREEMENT`·‖g_torchdeq‖, tightness = that relative difference / `DEQ_AGREEMENT`.
- ODE (`numerics.ode`): for a bound, ours = the bound and theirs = the solve_ivp value at the record where
  theirs/ours is worst (t > 0; the tolerance policy of `numerics.tolerance` decides validity), tightness = that
  ratio; for an agreement between one of our integrators and solve_ivp, ours and theirs are the two values where
  they differ most relative to the stated tolerance, tightness = |ours − theirs|/(tolerance·scale) (valid ⇔ ≤ 1).

A claim holds when the record's hypotheses are certified at the parameters used (those that only make PL hold
along a DIP trajectory are replaced by the PEP's function class, and listed) and every row is valid; one invalid
row makes it "violated". PEPit, Clarabel and torchdeq are test-only dependencies (the `dev` extra): without them
the claims that need them raise ImportError, recorded as an "error" verdict.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ipverify.numerics import pep
from ipverify.numerics.checkers import checker
from ipverify.numerics.instances import DIPInstance, build_instance
from ipverify.numerics.ode import din_records, flow_records
from ipverify.numerics.setup_dip import ode_spec
from ipverify.numerics.setup_inertia import INTEGRATOR_TOLERANCE, din_parameters, instance_values
from ipverify.numerics.tolerance import below, resolved
from ipverify.verify.claims.kit import Claim, Context, Outcome, evaluate

DEQ_AGREEMENT = 1e-10
"""Relative agreement required between torchdeq's hypergradients and ours (both float64, tight tolerances)."""

GD_FLOW_AGREEMENT = 0.02
"""|f_GD(t) − f(t)| ≤ this·f(θ₀) for GD with h = 0.05/L̂ against solve_ivp: explicit Euler's global error is O(hL̂)
(`numerics.trainers.gradient_flow`), measured at 6e-3·f(θ₀) on the instance here (halving h halves it)."""


# ------------------------------------------------------------------------------------------------ rows


def factor_row(source: str, result_id: str, quantity: str, ours: float, theirs: float,
               accuracy: float = pep.ACCURACY) -> dict:
    """A worst case `theirs` that must stay below the encoded factor `ours`."""
    valid = bool(math.isfinite(theirs) and theirs <= ours * (1 + accuracy) + pep.ABSOLUTE)
    return _row(source, result_id, quantity, ours, theirs, valid, theirs / ours if ours else math.inf)


def rate_row(source: str, result_id: str, quantity: str, ours: float, theirs: float,
             accuracy: float = pep.ACCURACY) -> dict:
    """A worst-case decay rate `theirs` that must stay above the encoded rate `ours`."""
    valid = bool(math.isfinite(theirs) and theirs >= ours * (1 - accuracy))
    return _row(source, result_id, quantity, ours, theirs, valid, ours / theirs if theirs > 0 else math.inf)


def _row(source, result_id, quantity, ours, theirs, valid, tightness) -> dict:
    return {"source": source, "result_id": result_id, "quantity": quantity, "ours": float(ours),
            "theirs": float(theirs), "valid": bool(valid), "tightness": float(tightness)}


def bound_row(source: str, result_id: str, quantity: str, observed: torch.Tensor, bound: torch.Tensor, scale,
              lower: bool = False, judged: torch.Tensor | None = None) -> dict:
    """observed (b, T) against bound (b, T) under the tolerance policy; the worst ratio is taken over t > 0."""
    observed, bound = torch.broadcast_tensors(torch.as_tensor(observed, dtype=torch.float64),
                                              torch.as_tensor(bound, dtype=torch.float64))
    judged = torch.ones_like(observed, dtype=torch.bool) if judged is None else judged.expand_as(observed)
    scale = torch.as_tensor(scale, dtype=torch.float64)
    scale = scale[:, None] if scale.dim() == 1 else scale
    ok = below(bound, observed, scale=scale) if lower else below(observed, bound, scale=scale)
    valid = bool((ok | ~judged).all())
    ratio = bound / observed if lower else observed / bound
    ratio = torch.where(judged & (torch.arange(ratio.shape[-1]) > 0), ratio, torch.tensor(-math.inf))
    worst = int(torch.argmax(torch.nan_to_num(ratio, nan=math.inf)))
    i, j = divmod(worst, ratio.shape[-1])
    return _row(source, result_id, quantity, bound[i, j], observed[i, j], valid, ratio[i, j])


def agreement_row(source: str, result_id: str, quantity: str, ours: torch.Tensor, theirs: torch.Tensor,
                  tol: float, scale) -> dict:
    """|ours − theirs| ≤ tol·scale everywhere (scale (b,) or scalar)."""
    ours, theirs = torch.broadcast_tensors(torch.as_tensor(ours, dtype=torch.float64),
                                           torch.as_tensor(theirs, dtype=torch.float64))
    scale = torch.as_tensor(scale, dtype=torch.float64)
    scale = scale[:, None] if scale.dim() == 1 and ours.dim() == 2 else scale
    excess = torch.nan_to_num((ours - theirs).abs() / (tol * scale), nan=math.inf)
    worst = int(torch.argmax(excess))
    flat_ours, flat_theirs = ours.reshape(-1), theirs.reshape(-1)
    tightness = float(excess.reshape(-1)[worst])
    return _row(source, result_id, quantity, flat_ours[worst], flat_theirs[worst], tightness <= 1, tightness)


def certified(ev, replaced: tuple[str, ...] = ()) -> bool:
    """Every evaluated hypothesis holds and the only ones left unevaluated are those in `replaced`."""
    missing = {name for name in ev.missing if name in ev.hypothesis_names}
    return missing <= set(replaced) and all(bool(np.all(v.holds)) for v in ev.hypotheses)


def _hypotheses(ev) -> list[dict]:
    return [{"name": v.name, "relation": v.relation, "holds_everywhere": bool(np.all(v.holds)),
             "worst_margin": float(np.min(np.asarray(v.margin, dtype=float)))} for v in ev.hypotheses]


def rows_result(rows: list[dict], hypotheses_hold: bool, hypotheses: list | None = None,
                details: dict | None = None, instances: int | None = None) -> Outcome:
    """holds / violated / hypothesis fails from the rows; ratio = the largest tightness; `instances` defaults to
    the number of rows (one PEP each)."""
    if not hypotheses_hold:
        verdict = "hypothesis fails"
    elif all(r["valid"] for r in rows):
        verdict = "holds"
    else:
        verdict = "violated"
    worst = max(rows, key=lambda r: r["tightness"] if math.isfinite(r["tightness"]) else math.inf)
    return Outcome(verdict, observed=worst["theirs"], bound=worst["ours"], ratio=worst["tightness"],
                   hypotheses=hypotheses or [], instances=len(rows) if instances is None else instances,
                   details={"crosscheck": rows, "worst_check": worst["quantity"], **(details or {})})


# ------------------------------------------------------------------------------------------------ PEPit


def _conclusion(result_id: str, values: dict, name: str) -> tuple[float, object]:
    ev = checker(result_id).evaluate(values)
    return float(ev.conclusions[name]), ev


def mu_pl(sigma_A: float, sigma_0: float) -> float:
    """The PL constant of the DIP at (σ_A, σ₀), as IN-3 encodes it."""
    return _conclusion("IN-3", {"sigma_A": sigma_A, "sigma_0": sigma_0}, "mu_PL_value")[0]


CLASS_REPLACES = ("R", "y_perp")
"""A hypothesis on the conditioning radius R (it makes PL hold along a DIP trajectory) or on the data floor y_perp
(f* = ½y_perp² is min f) is replaced by the PEP's function class: PL (or strong convexity) everywhere, f* = min f."""


def class_replaced(result_id: str) -> tuple[str, ...]:
    """The hypotheses of `result_id` that the PEP's function class stands for (see `CLASS_REPLACES`)."""
    from ipverify.theory import get

    return tuple(h.name for h in get(result_id).hypotheses
                 if any(s.name in CLASS_REPLACES for s in h.relation.free_symbols))


class PEPRows:
    """The rows of one result: each reads the encoded constant `conclusion` at `values` from the record's checker,
    certifies the record's hypotheses there, and keeps (values, conclusion) under "inputs" so that a changed record
    (`theory._mutation`) can be held to the same worst cases."""

    def __init__(self, result_id: str, replaced: tuple[str, ...] = ()):
        self.result_id, self.replaced = result_id, replaced
        self.rows, self.hold, self.hypotheses = [], True, []

    def add(self, kind: str, quantity: str, values: dict, conclusion: str, theirs: float) -> None:
        ours, ev = _conclusion(self.result_id, values, conclusion)
        self.hold &= certified(ev, self.replaced)
        self.hypotheses += _hypotheses(ev)
        row = (factor_row if kind == "factor" else rate_row)("PEPit", self.result_id, quantity, ours, theirs)
        self.rows.append({**row, "inputs": {"kind": kind, "values": dict(values), "conclusion": conclusion}})

    def result(self) -> tuple[list[dict], bool, list]:
        return self.rows, self.hold, self.hypotheses


def pep_jfb7_rows() -> tuple[list[dict], bool, list]:
    out = PEPRows("JFB-7")
    for mu, L, tau, lambda_sc in ((0.3, 1.5, 0.5, 0.0), (0.2, 1.0, None, 0.0), (0.1, 1.0, 1.8, 0.0),
                                  (0.0, 1.0, 1.0, 0.5), (0.2, 1.0, 1.5, 0.3)):
        base = {"mu_FB": mu, "L_FB": L, "lambda_sc": lambda_sc}
        if tau is None:  # the best step, from the record
            tau = _conclusion("JFB-7", {**base, "tau_FB": 1.0}, "tau_opt")[0]
        out.add("factor", f"Lip(FB step), tau={tau:.4g}, mu={mu:g}, L={L:g}, lambda_sc={lambda_sc:g}",
                {**base, "tau_FB": tau}, "rho_FB_value", pep.fb_lipschitz(tau, mu, L, lambda_sc))
    return out.result()


def pep_gd4_rows() -> tuple[list[dict], bool, list]:
    out = PEPRows("GD-4", class_replaced("GD-4"))
    sigma_A, sigma_0, L = 1.0, 0.6, 1.0
    mu = mu_pl(sigma_A, sigma_0)
    for gamma in (0.5, 1.0, 1.5):
        for cls in ("PL", "SC"):
            out.add("factor", f"(f1-f*)/(f0-f*), {cls}, gamma*L={gamma * L:g}, mu={mu:g}",
                    {"gamma": gamma, "L": L, "sigma_A": sigma_A, "sigma_0": sigma_0}, "step_factor",
                    pep.gd_pl_step(L, mu, gamma, cls))
    return out.result()


def pep_in4_rows() -> tuple[list[dict], bool, list]:
    out = PEPRows("IN-4", class_replaced("IN-4"))
    for sigma_A, sigma_0 in ((1.0, 0.6), (0.5, 0.8)):
        mu = mu_pl(sigma_A, sigma_0)
        for cls in ("PL", "SC"):
            out.add("rate", f"gradient-flow loss rate, {cls}, mu={mu:g}", {"sigma_A": sigma_A, "sigma_0": sigma_0},
                    "gf_rate", pep.gradient_flow_rate(mu, cls))
    return out.result()


def pep_in5_rows() -> tuple[list[dict], bool, list]:
    out = PEPRows("IN-5", class_replaced("IN-5"))
    for sigma_A, sigma_0 in ((1.0, 0.45), (1.0, 1.2)):
        base = {"sigma_A": sigma_A, "sigma_0": sigma_0}
        mu = mu_pl(sigma_A, sigma_0)
        optimum = tuple(_conclusion("IN-5", {**base, "alpha": 1.0, "beta": 1.0}, name)[0]
                        for name in ("alpha_opt", "beta_opt"))
        for label, (alpha, beta) in (("optimal", optimum), ("sqrt_mu", (math.sqrt(mu), 1 / math.sqrt(mu))),
                                     ("0.5, 2", (0.5, 2.0))):
            out.add("rate", f"DIN energy rate, PL, mu={mu:.4g}, (alpha, beta) {label}",
                    {**base, "alpha": alpha, "beta": beta}, "kappa", pep.din_rate(mu, alpha, beta))
    return out.result()


def pep_inb1_rows() -> tuple[list[dict], bool, list]:
    out = PEPRows("IN-B1")
    for mu in (0.1, 0.5):
        values = {"mu_SC": mu, "sc_modulus": mu, "t": 1.0}  # every f of the class has modulus μ
        alpha = _conclusion("IN-B1", values, "alpha")[0]
        out.add("rate", f"heavy-ball Lyapunov rate, SC, mu={mu:g}", values, "value_rate",
                pep.heavy_ball_rate(mu, alpha))
        out.add("rate", f"gradient-flow value rate, SC, mu={mu:g}", values, "gf_value_rate",
                pep.gradient_flow_rate(mu, "SC"))
    return out.result()


IGAHD_STEPS = 2


def pep_inb3_rows() -> tuple[list[dict], bool, list]:
    """E_{N+1} ≤ E₁q^N on F_{μ,L}: every f of the class has strong-convexity modulus μ (sc_modulus = μ, exactly)."""
    out = PEPRows("IN-B3")
    mu, L = 0.1, 1.0
    beta = 0.9 * math.sqrt(mu) / (8 * L)  # inside 8βL ≤ √μ; checked by the record's hypotheses
    base = {"mu_SC": mu, "sc_modulus": mu, "L": L, "beta": beta}
    s_max = _conclusion("IN-B3", {**base, "s_step": 1.0, "tau": 1.0}, "s_max")[0]
    for fraction in (1.0, 0.5):
        s = fraction * s_max
        out.add("factor", f"E_{IGAHD_STEPS + 1}/E_1, mu={mu:g}, L={L:g}, s={fraction:g} s_max",
                {**base, "s_step": s, "tau": IGAHD_STEPS + 1, "energy_1": 1.0}, "energy_bound",
                pep.igahd_energy_ratio(mu, L, s, beta, IGAHD_STEPS))
    return out.result()


PEP_ROWS = {"JFB-7": pep_jfb7_rows, "GD-4": pep_gd4_rows, "IN-4": pep_in4_rows, "IN-5": pep_in5_rows,
            "IN-B1": pep_inb1_rows, "IN-B3": pep_inb3_rows}


def _pep_claim(result_id: str):
    def run(ctx: Context) -> Outcome:
        rows, hold, hyps = PEP_ROWS[result_id]()
        return rows_result(rows, hold, hyps,
                           {"solver": pep.SOLVER, "accuracy": pep.ACCURACY,
                            "replaced_by_function_class": list(class_replaced(result_id))})

    return run


# ------------------------------------------------------------------------------------------------ torchdeq


def torchdeq_gradient(op, theta: torch.Tensor, x_init: torch.Tensor, loss_fn, mode: str, *, K: int = 1,
                      T_blocks: int = 1, tol: float = 1e-14, max_iter: int = 4000) -> torch.Tensor:
    """torchdeq's hypergradient of θ ↦ ℓ(z(θ)) on the CPU: "ift" (ift=True), "jfb" (grad=1), "grad=K" (grad=K) after
    a forward solve to `tol`, or "restarted" (f_max_iter = T·K plain iterations, f_tol = 0, then grad=K)."""
    from torchdeq import get_deq

    if mode == "restarted":
        deq = get_deq(f_solver="simple_fixed_point_iter", grad=K, f_max_iter=T_blocks * K, f_tol=0.0)
    else:
        options = {"ift": {"ift": True, "b_max_iter": max_iter, "b_tol": tol}, "jfb": {"grad": 1},
                   "grad=K": {"grad": K}}[mode]
        deq = get_deq(f_solver="fixed_point_iter", f_max_iter=max_iter, f_tol=tol, **options)
    theta_req = theta.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        z, _ = deq(lambda z: op(z, theta_req), x_init.detach())
        (g,) = torch.autograd.grad(loss_fn(z[-1]), theta_req)
    return g


def deq_maps(seed: int) -> dict:
    """Two contractive maps: the tanh layer (ρ₀ = 0.7) and a forward–backward step with an ℓ1 prior (A injective with
    condition number 1.5, τ = 1/‖A‖², so ρ_FB = 1 − 1/1.5²)."""
    from ipverify.numerics.fixed_point import ForwardBackward, L1Prior, random_tanh_layer
    from ipverify.numerics.operators import LinearOperator

    generator = torch.Generator().manual_seed(seed)
    layer = random_tanh_layer(8, 5, 0.7, generator)
    A = LinearOperator.with_condition_number(12, 8, 1.5, generator, dtype=torch.float64)
    x_bar = torch.randn(3, 8, generator=generator, dtype=torch.float64)
    fb = ForwardBackward(A.matrix, x_bar @ A.matrix.T, L1Prior(), tau=1.0 / A.norm**2, lam=0.05)
    target = torch.randn(3, 8, generator=generator, dtype=torch.float64)
    return {"tanh layer": (layer, torch.zeros(3, 8, dtype=torch.float64), target),
            "FB, l1 prior": (fb, fb.x_init(), x_bar)}


DEQ_CASES = (("ift", {}), ("jfb", {}), ("grad=K", {"K": 3}), ("restarted", {"K": 2, "T_blocks": 3}),
             ("restarted", {"K": 1, "T_blocks": 5}))


def torchdeq_rows(seed: int) -> list[dict]:
    from ipverify.numerics.gradient_modes import half_squared_error, hypergradient

    rows = []
    for name, (op, x_init, target) in deq_maps(seed).items():
        loss_fn = half_squared_error(target)
        for mode, kw in DEQ_CASES:
            ours = hypergradient(mode, op, op.theta0, loss_fn, x_init, tol=1e-13, **kw).grad
            theirs = torchdeq_gradient(op, op.theta0, x_init, loss_fn, mode, **kw)
            relative = float((ours - theirs).norm() / theirs.norm())
            label = mode + "".join(f", {k}={v}" for k, v in kw.items())
            rows.append(_row("torchdeq", "JFB-1", f"||g|| {label}, {name}", ours.norm(), theirs.norm(),
                             relative <= DEQ_AGREEMENT, relative / DEQ_AGREEMENT))
    return rows


def check_torchdeq(ctx: Context) -> Outcome:
    return rows_result(torchdeq_rows(ctx.seed + 900), True,
                       details={"agreement": DEQ_AGREEMENT}, instances=len(deq_maps(ctx.seed + 900)))


# ------------------------------------------------------------------------------------------------ the true ODEs


def measured_values(inst: DIPInstance) -> dict:
    """The instance's checker values and the measured ‖P_{Im(A)⊥} y‖ (zero up to rounding for planted data)."""
    y_perp = (inst.y - inst.A.project_onto_range(inst.y)).norm(dim=-1)
    return {**inst.checker_values(), "y_perp": y_perp}


def flow_ode_rows(inst: DIPInstance, records, gd_traj) -> tuple[list[dict], torch.Tensor, object]:
    """GF-5 on the solve_ivp flow, and GD (small step) against it."""
    hold, ev, gf5 = evaluate("GF-5", {**measured_values(inst), "t": records.times[None, :]})
    judged = resolved(records.residual, inst.y.norm(dim=-1))
    rows = [
        bound_row("ODE", "GF-5", "||y(t) - y|| <= residual_bound", records.residual, gf5["residual_bound"],
                  inst.residual_0, judged=judged),
        bound_row("ODE", "GF-5", "L(t) <= loss_bound", records.loss, gf5["loss_bound"], records.loss[:, 0],
                  judged=judged),
        bound_row("ODE", "GF-5", "||theta(t) - theta_0|| <= R'", records.dist0, gf5["theta_dist_bound"].reshape(-1, 1),
                  inst.R_prime),
        bound_row("ODE", "GF-5", "sigma_min(J(theta(t))) >= sigma_0/2", records.sigma_min,
                  gf5["sigma_min_lower"].reshape(-1, 1), inst.sigma_0, lower=True),
        agreement_row("ODE", "GF-5", f"f by GD (h = 0.05/L_hat) vs solve_ivp, tol {GD_FLOW_AGREEMENT:g} f(0)",
                      gd_traj.loss, records.loss, GD_FLOW_AGREEMENT, records.loss[:, 0]),
    ]
    return rows, hold & records.success, ev


def check_flow_ode(ctx: Context) -> Outcome:
    """GF-5 on the gradient flow itself (solve_ivp), with the small-step GD integrator compared with it.

    ‖θ(t) − θ_∞‖ ≤ R′e^{−σ_A²σ₀²t/4} is not judged: θ_∞ is known only through θ at the last record, whose distance to
    θ_∞ only that same bound controls."""
    from ipverify.numerics.trainers import gradient_flow

    inst = build_instance(ode_spec(ctx.seed + 700))
    net = inst.net
    rate = float((inst.sigma_A**2 * inst.sigma_0**2 / 4).min())  # only sets the horizon: 3 e-foldings of the residual
    gd = gradient_flow(inst.matrix, inst.y, net.params0, net.u, net.act, 3.0 / rate, n_records=40)
    records = flow_records(inst, gd.times)
    rows, hold, ev = flow_ode_rows(inst, records, gd)
    return rows_result(rows, bool(hold.all()), _hypotheses(ev),
                       {"spec": inst.spec.to_dict(), "t_final": float(records.times[-1]), "h": float(gd.gamma[0])},
                       instances=inst.spec.b)


def din_ode_rows(inst: DIPInstance, values: dict, alpha, beta, records, rk4) -> tuple[list[dict], torch.Tensor, object]:
    """IN-5 on the solve_ivp solution of DIN, and the RK4 integrator against it."""
    hold, ev, in5 = evaluate("IN-5", {**values, "alpha": alpha, "beta": beta, "t": records.times[None, :]})
    judged = resolved(records.residual, inst.y.norm(dim=-1))
    e0 = records.energy[:, 0]
    rows = [
        bound_row("ODE", "IN-5", "E(t) <= E(0) exp(-kappa t)", records.energy, in5["energy_bound"], e0, judged=judged),
        bound_row("ODE", "IN-5", "f(theta(t)) <= loss_bound", records.loss, in5["loss_bound"], e0, judged=judged),
        bound_row("ODE", "IN-5", "||y(t) - y|| <= residual_bound", records.residual, in5["residual_bound"],
                  records.residual[:, 0], judged=judged),
        bound_row("ODE", "IN-5", "||theta(t) - theta_0|| <= R'_DIN", records.dist0,
                  in5["theta_dist_bound"].reshape(-1, 1), inst.R_prime),
        agreement_row("ODE", "IN-5", f"f by RK4 vs solve_ivp, tol {INTEGRATOR_TOLERANCE:g} f(0)", rk4.loss,
                      records.loss, INTEGRATOR_TOLERANCE, records.loss[:, 0]),
        agreement_row("ODE", "IN-5", f"E by RK4 vs solve_ivp, tol {INTEGRATOR_TOLERANCE:g} E(0)", rk4.energy,
                      records.energy, INTEGRATOR_TOLERANCE, e0),
    ]
    return rows, hold & records.success, ev


def check_din_ode(ctx: Context) -> Outcome:
    """IN-5's energy, loss and residual bounds on DIN solved by solve_ivp at the optimal (α, β), with RK4 beside."""
    from ipverify.numerics.inertial import din

    inst = build_instance(ode_spec(ctx.seed + 710))
    net = inst.net
    values = {**instance_values(inst), "y_perp": measured_values(inst)["y_perp"]}
    alpha, beta = din_parameters(values)["optimal"]
    rk4 = din(inst.matrix, inst.y, net.params0, net.u, net.act, alpha, beta, 12.0, n_records=30,
              n_sigma_records=None)
    records = din_records(inst, alpha, beta, rk4.times)
    rows, hold, ev = din_ode_rows(inst, values, alpha, beta, records, rk4)
    return rows_result(rows, bool(hold.all()), _hypotheses(ev),
                       {"spec": inst.spec.to_dict(), "alpha": alpha.tolist(), "beta": beta.tolist(), "h": rk4.h},
                       instances=inst.spec.b)


CLAIMS = (
    Claim("GF-5/ode", "GF-5", "GF-5 on the gradient flow solved by solve_ivp; small-step GD agrees with it",
          "property", check_flow_ode, device="cpu"),
    Claim("GD-4/pepit", "GD-4", "PEPit: one GD step under PL / strong convexity stays below GD-4's step factor",
          "measurement", _pep_claim("GD-4"), device="cpu"),
    Claim("IN-4/pepit", "IN-4", "PEPit: gradient flow's worst-case loss rate is at least IN-4's 2μ", "measurement",
          _pep_claim("IN-4"), device="cpu"),
    Claim("IN-5/pepit", "IN-5", "PEPit: DIN's worst-case energy rate under PL is at least IN-5's κ", "measurement",
          _pep_claim("IN-5"), device="cpu"),
    Claim("IN-5/ode", "IN-5", "IN-5 on DIN solved by solve_ivp; RK4 agrees with it", "property", check_din_ode,
          device="cpu"),
    Claim("IN-B1/pepit", "IN-B1", "PEPit: heavy ball and gradient flow on strongly convex f reach IN-B1's rates",
          "measurement", _pep_claim("IN-B1"), device="cpu"),
    Claim("IN-B3/pepit", "IN-B3", "PEPit: IGAHD-SC's worst-case energy ratio stays below q^N (ACFR Thm 11)",
          "measurement", _pep_claim("IN-B3"), device="cpu"),
    Claim("JFB-1/torchdeq", "JFB-1", "torchdeq's ift, grad=1, grad=K and restarted hypergradients equal ours",
          "measurement", check_torchdeq, device="cpu"),
    Claim("JFB-7/pepit", "JFB-7", "PEPit: the worst Lipschitz constant of a forward–backward step is ρ_FB",
          "measurement", _pep_claim("JFB-7"), device="cpu"),
)
