"""`ipverify certify`: every applicable GF-, GD- and IN- result evaluated on one user problem, as text or JSON.

The constants come from `numerics.certify.problem_constants` (each with its method); every result is evaluated by
the checker generated from its record, and shown as the object `ipverify bound --json` prints for it
(`verify._render.bound_payload`). Inputs computed from the problem have source "computed" and the method as detail;
the user's step and noise level are "given". A result whose hypotheses fail guarantees nothing: the payload's
`guarantees` list says so first ("NO GUARANTEE: …"), and its conclusions are still printed.

With `train`, the instance is trained by gradient descent at the chosen γ (`numerics.trainers.gradient_descent`)
and judged against the GD-4 bounds just computed: observed vs guarantee, with the looseness bound/observed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

from ipverify.numerics.certify import Constant, Problem, build_problem, lip_g_bound, problem_constants
from ipverify.numerics.checkers import checker
from ipverify.numerics.tolerance import below, resolved
from ipverify.numerics.trainers import gradient_descent
from ipverify.theory import get
from ipverify.verify._inputs import Input, activation_inputs
from ipverify.verify._render import BoundReport, bound_payload, fmt, table, to_float

RESULTS = ("GF-5", "GF-6", "GF-7", "GF-13", "GD-1", "GD-3", "GD-4", "GD-6", "IN-5")
"""The results `certify` evaluates: gradient flow, gradient descent and inertial (DIN) guarantees for the MSE."""
R_PRIME_VARIANTS = (("R_prime", "GF-5", "gradient flow"), ("R_prime_gamma", "GD-4", "GD, c_γR′"),
                    ("R_prime_GD", "GD-3", "GD as probably stated"), ("R_prime_DIN", "IN-5", "DIN"))
ACTIVATION_NAMES = ("B", "C", "C_phi", "C_phi_prime")
GIVEN_NAMES = ("gamma", "noise", "alpha", "beta", "t", "tau", "dist")


def _evaluate(result_id: str, values: dict, methods: dict, notes: list[str] | None = None) -> BoundReport:
    """The BoundReport of `result_id` at `values`; the activation constants are filled as `bound activation=NAME`
    fills them (`verify._inputs.activation_inputs`), with the same notes."""
    from ipverify.verify.cli import _activation_notes

    result = get(result_id)
    declared = [s.name for s in result.symbols]
    given = {name: values[name] for name in declared if name in values and name not in ACTIVATION_NAMES}
    inputs = {name: Input(to_float(value), _source(name, methods), methods.get(name, ""))
              for name, value in given.items()}
    filled, activation = activation_inputs(result, values["activation"], given)
    inputs.update(filled)
    activation = activation if filled else None  # a result that declares no activation constant gets no table
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        evaluation = checker(result_id).evaluate({name: item.value for name, item in inputs.items()})
    return BoundReport(result, inputs, evaluation, activation,
                       _activation_notes(result, activation) + list(notes or []))


def _source(name: str, methods: dict) -> str:
    if name in GIVEN_NAMES and methods.get(name, "").startswith("given"):
        return "given"
    return "computed"


def _conclusion(report: BoundReport, name: str) -> float | None:
    value = report.evaluation.conclusions.get(name)
    value = to_float(value) if value is not None else math.nan
    return value if math.isfinite(value) else None


def evaluate_all(problem: Problem) -> tuple[dict, dict[str, BoundReport], dict]:
    """(constants, reports by result id, answers): the chosen γ, early stopping in flow time and iterations, the
    DIN optimum, all read off the checkers' conclusions."""
    constants, values = problem_constants(problem)
    methods = {name: f"{c.method}: {c.note}" if c.note else c.method for name, c in constants.items()}
    values["activation"] = problem.activation
    if problem.gamma is not None:
        methods["gamma"] = "given (--gamma)"
    answers: dict = {}
    per_step = _conclusion(_evaluate("GD-4", {**values, "tau": 1.0}, methods), "flow_time")
    t_star = _conclusion(_evaluate("GF-7", values, methods), "t_star") if "noise" in values else None
    if t_star is not None:
        values["t"], methods["t"] = t_star, "early-stopping time t* of GF-7"
        if per_step:
            values["tau"] = float(math.ceil(t_star / per_step))
            methods["tau"] = "τ* = ⌈t*/(γ(1 − γL/2))⌉ (GD-4 flow_time)"
    din = _evaluate("IN-5", values, methods)
    alpha, beta = _conclusion(din, "alpha_opt"), _conclusion(din, "beta_opt")
    if alpha is not None and beta is not None:
        values.update(alpha=alpha, beta=beta)
        methods.update(alpha="IN-5 optimum alpha_opt", beta="IN-5 optimum beta_opt")
    reports = {}
    for result_id in RESULTS:
        extra, notes = {}, []
        if result_id == "GF-6":
            flow = reports["GF-5"].evaluation
            r_prime = to_float(flow.derived.get("R_prime", math.nan))
            if math.isfinite(r_prime):
                extra["Lip_g"] = lip_g_bound(problem, r_prime)
                methods["Lip_g"] = "certified bound: sup ‖J_g‖ on 𝔹(θ₀, R′)"
            if problem.x_bar is not None:
                extra["dist"], methods["dist"] = 0.0, "planted x̄ = g(u, θ*), ‖θ* − θ₀‖ small (assumed ≤ R′)"
            else:
                extra["dist"], methods["dist"] = 0.0, "given: assumed dist(x̄, Σ′) = 0 (not checked)"
                notes.append("dist(x̄, Σ′) is unknown for a given y: the recovery bound takes dist = 0 (x̄ in the "
                             "range of the network on 𝔹(θ₀, R′)), an assumption")
        reports[result_id] = _evaluate(result_id, {**values, **extra}, methods, notes)
    answers.update(_answers(reports, values, per_step, t_star))
    for name, result_id, what in R_PRIME_VARIANTS:
        value = to_float(reports[result_id].evaluation.derived.get(name, math.nan))
        definition = next(d for d in get(result_id).definitions if d.name == name)
        constants[name] = Constant(value, "closed form", f"{what}: {result_id}'s definition {definition.expr}")
    return constants, reports, answers


def _answers(reports: dict[str, BoundReport], values: dict, per_step: float | None, t_star: float | None) -> dict:
    def c(result_id, name):
        return _conclusion(reports[result_id], name)

    gamma, L = values["gamma"], values["L"]
    return {
        "gamma": gamma, "gamma_L": gamma * L, "gamma_max": c("GD-4", "gamma_max"),
        "k": values["k"], "k_required_GF13": c("GF-13", "k_required"), "k_required_GD6": c("GD-6", "k_required"),
        "residual_rate_GF5": c("GF-5", "residual_rate"), "step_factor_GD4": c("GD-4", "step_factor"),
        "t_star": t_star, "flow_time_per_iteration": per_step,
        "tau_star": values.get("tau") if t_star is not None else None,
        "alpha_opt": c("IN-5", "alpha_opt"), "beta_opt": c("IN-5", "beta_opt"), "speedup_opt": c("IN-5", "speedup_opt"),
        "recovery_bound": c("GF-6", "recovery_bound"), "prediction_bound": c("GF-7", "prediction_bound"),
    }


def guarantee_lines(reports: dict[str, BoundReport]) -> list[str]:
    """One line per result: "NO GUARANTEE (ID): … fails by a factor …" first, then the ones that hold."""
    bad, good = [], []
    for result_id, report in reports.items():
        verdict = report.verdict()
        not_c2 = (report.activation is not None and not report.activation["is_c2"]
                  and any(sym.name == "C" for sym in report.result.symbols))
        if not_c2:
            bad.append(f"NO GUARANTEE ({result_id}): activation {report.activation['name']} is not C², which "
                       f"{result_id} needs (its C is only Lip(φ′))")
        elif verdict == "does not hold":
            failing = [v for v in report.evaluation.hypotheses if not bool(np.all(v.holds))]
            bad.append(f"NO GUARANTEE ({result_id}): " + "; ".join(_failure_text(v) for v in failing))
        elif verdict == "unknown":
            missing = sorted({n for names in report.evaluation.missing.values() for n in names})
            hint = " (give --noise-norm or --noise-sigma)" if "noise" in missing else ""
            bad.append(f"NO GUARANTEE ({result_id}): undecided (missing {', '.join(missing) or 'a defined margin'})"
                       + hint)
        else:
            good.append(f"GUARANTEE ({result_id}): {verdict}")
    return bad + good


def _failure_text(v) -> str:
    lhs, rhs = to_float(v.lhs), to_float(v.rhs)
    if v.name.startswith("y_perp") and rhs == 0:
        return f"{v.name} fails: y has a component {lhs:.3g} outside Im(A), so no zero-loss rate is certified"
    smaller = "<" in v.relation or "≤" in v.relation
    num, den = (lhs, rhs) if smaller else (rhs, lhs)
    if den > 0 and num > 0:
        return f"{v.name} fails by a factor {num / den:.2g} ({fmt(lhs)} vs {fmt(rhs)})"
    return f"{v.name} fails ({fmt(lhs)} vs {fmt(rhs)})"


# ---------------------------------------------------------------------------------------------- training


def train_and_judge(problem: Problem, constants: dict, reports: dict[str, BoundReport], steps: int) -> dict:
    """GD at the chosen γ for `steps` iterations, judged against GD-4 (observed vs guarantee, looseness)."""
    net, A = problem.net, problem.op.matrix
    gamma = constants["gamma"].value
    every = max(1, steps // 200)
    traj = gradient_descent(A, problem.y[None], net.params0, net.u, net.act, gamma, steps, record_every=every,
                            record_sigma_every=every)
    values = {name: item.value for name, item in reports["GD-4"].inputs.items()}
    values["tau"] = traj.steps.to(torch.float64).numpy()
    along = checker("GD-4").evaluate(values).conclusions
    certified = reports["GD-4"].all_hold() is True
    loss, dist, sig = traj.loss[0], traj.dist0[0], traj.sigma_min[0]
    valid = resolved(traj.residual[0], problem.y.norm())
    rows = [_row("loss f(θ_τ) ≤ floor + (f₀ − floor)(1 − 2ν)^τ", loss[valid], along.get("loss_bound"), valid,
                 scale=float(loss[0])),
            _row("‖θ_τ − θ₀‖ ≤ R′_γ", dist, along.get("theta_dist_bound"), None, scale=constants["R"].value),
            _row("σ_min(J_g(θ_τ)) ≥ σ₀/2", sig, along.get("sigma_min_lower"), None, lower=True,
                 scale=constants["sigma_0"].value)]
    any_violation = any(r["within_bound"] is False for r in rows)
    verdict = ("violated" if any_violation else "holds") if certified else "no guarantee (GD-4 hypotheses fail)"
    left_ball = float(dist.max()) > constants["R"].value
    return {"steps": steps, "gamma": gamma, "diverged": bool(traj.diverged[0]), "verdict": verdict,
            "final_loss": to_float(loss[-1]), "comparisons": rows,
            "note": "bounds evaluated by the GD-4 checker at every recorded τ; looseness = bound/observed at the "
                    "last record" + ("" if certified else "; the hypotheses fail, so the bounds are shown for "
                                     "comparison only")
                    + (f"; the run left 𝔹(θ₀, R) (max ‖θ_τ − θ₀‖ = {float(dist.max()):.3g} > R = "
                       f"{constants['R'].value:.3g}), where L is certified" if left_ball else "")}


def _row(name: str, observed: torch.Tensor, bound, valid, lower: bool = False, scale: float = 1.0) -> dict:
    out = {"name": name, "observed": None, "bound": None, "within_bound": None, "looseness": None}
    if bound is None or observed.numel() == 0:
        return out
    b = torch.as_tensor(np.broadcast_to(np.asarray(bound, dtype=float), (valid.numel(),) if valid is not None
                                        else tuple(observed.shape)).copy())
    if valid is not None:
        b = b[valid]
    ok = (below(b, observed, scale=scale) if lower else below(observed, b, scale=scale)) & torch.isfinite(b)
    obs_last, bound_last = to_float(observed[-1]), to_float(b[-1])
    ratio = (obs_last / bound_last if lower else bound_last / obs_last) if obs_last and bound_last else math.nan
    out.update(observed=_finite(obs_last), bound=_finite(bound_last), within_bound=bool(ok.all()),
               looseness=_finite(ratio))
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


# ---------------------------------------------------------------------------------------------- payload and text


def certify_payload(problem: Problem, train: int | None = None) -> dict:
    """The strict-JSON object of `ipverify certify --json` (see the module docstring)."""
    constants, reports, answers = evaluate_all(problem)
    op, net = problem.op, problem.net
    payload = {
        "problem": {"operator": op.name, "operator_params": dict(op.params), "m": op.m, "n": op.n, "k": net.k,
                    "d": net.d, "activation": problem.activation, "observation": problem.observation},
        "guarantees": guarantee_lines(reports),
        "constants": {name: c.to_dict() for name, c in constants.items()},
        "answers": {k: _finite(float(v)) if v is not None else None for k, v in answers.items()},
        "results": {result_id: bound_payload(report) for result_id, report in reports.items()},
        "notes": list(problem.notes),
    }
    if train:
        payload["training"] = train_and_judge(problem, constants, reports, train)
    return payload


def certify_text(payload: dict) -> str:
    """Human form: guarantees first (NO GUARANTEE lines on top), the answers, the constants, the results."""
    p, a = payload["problem"], payload["answers"]
    lines = [f"certify: A = {p['operator']} ({p['m']}×{p['n']}), two-layer {p['activation']} DIP k = {p['k']}, "
             f"d = {p['d']}; y {p['observation']}", ""]
    lines += payload["guarantees"] + [""]
    rows = [("step size γ", f"{fmt(a['gamma'])} (γL = {fmt(a['gamma_L'])}; GD-4 admits γ < {fmt(a['gamma_max'])})"),
            ("width k", f"{int(a['k'])} given; GF-13 needs k > {fmt(a['k_required_GF13'])}, GD-6 needs k > "
                        f"{fmt(a['k_required_GD6'])}"),
            ("rate", f"GF-5 residual exp(−{fmt(a['residual_rate_GF5'])}·t); GD-4 loss factor "
                     f"{fmt(a['step_factor_GD4'])} per step"),
            ("early stopping", f"t* = {fmt(a['t_star'])} (flow time) ↔ τ* = {fmt(a['tau_star'])} GD iterations "
                               f"(flow time {fmt(a['flow_time_per_iteration'])} per iteration)"),
            ("DIN (IN-5)", f"α* = {fmt(a['alpha_opt'])}, β* = {fmt(a['beta_opt'])}, speed-up "
                           f"{fmt(a['speedup_opt'])}"),
            ("recovery (GF-6)", f"‖x(t*) − x̄‖ ≤ {fmt(a['recovery_bound'])}; prediction (GF-7) "
                                f"{fmt(a['prediction_bound'])}")]
    lines += ["Answers", table(("question", "answer (valid only where a GUARANTEE line says so)"), rows), ""]
    lines += ["Constants", table(("name", "value", "method"),
                                 [(name, fmt(c["value"]), c["method"] + (f" — {c['note']}" if c.get("note") else ""))
                                  for name, c in payload["constants"].items()]), ""]
    result_rows = [(rid, r["verdict"] if len(r["verdict"]) < 40 else r["verdict"][:37] + "...", r["binding"] or "—",
                    ", ".join(f"{k}={fmt(v['value'])}" for k, v in list(r["conclusions"].items())[:3]))
                   for rid, r in payload["results"].items()]
    lines += ["Results", table(("id", "verdict", "binding", "conclusions (first three)"), result_rows)]
    if "training" in payload:
        t = payload["training"]
        lines += ["", f"Training: GD, γ = {fmt(t['gamma'])}, {t['steps']} steps — {t['verdict']}",
                  table(("quantity", "observed", "guarantee", "within", "looseness"),
                        [(r["name"], fmt(r["observed"]), fmt(r["bound"]), fmt(r["within_bound"]),
                          fmt(r["looseness"])) for r in t["comparisons"]]), f"  {t['note']}"]
    if payload["notes"]:
        lines += ["", "Notes", *(f"  - {n}" for n in payload["notes"])]
    return "\n".join(lines)


def certify(A, y=None, *, width: int, input_dim: int, activation: str = "tanh", seed: int = 0,
            init: dict | None = None, noise_norm: float | None = None, noise_sigma: float | None = None,
            gamma: float | None = None, train: int | None = None, n: int | None = None) -> dict:
    """Certify a problem and return the object ``ipverify certify --json`` prints (strict JSON).

    ``A``: a `LinearOperator`, a 2-D array, or any object with ``A(x)``/``A_adjoint(y)`` (matrix-free, with
    ``A.n`` or ``n=``). ``y``: the observation (m,), or None for a planted one.
    """
    problem = build_problem(A, y, width=width, input_dim=input_dim, activation=activation, seed=seed, init=init,
                            noise_norm=noise_norm, noise_sigma=noise_sigma, gamma=gamma, n=n)
    return certify_payload(problem, train=train)
