"""Judging DIP training runs against the GF-*/GD-* bounds, shared by the claims and the property tests.

Every bound is evaluated by the checker generated from the catalogue (`numerics.checkers`), with the
instance's certified constants; nothing here restates a formula of the theory.

Gradient flow is checked on gradient descent with a small step γ = 0.05/L (L certified): by GD-4 item 4
those iterates obey the flow's bounds at the effective time t = γ(1 − γL/2)τ (the `flow_time` conclusion
of GD-4, proved symbolically there), and their radius is c_γR′ with c_γ = 1/(1 − γL/2) ≤ 1.026.
"""

from __future__ import annotations

import torch

from ipverify.numerics.experiments import DescentRun, descent_run
from ipverify.numerics.instances import InstanceSpec
from ipverify.numerics.tolerance import FLOOR_REASON, resolved
from ipverify.verify.claims.kit import (
    Comparison,
    Context,
    Judgement,
    Outcome,
    aggregate,
    binding,
    concatenate,
    evaluate,
    hypothesis_records,
)


def _run_values(run: DescentRun, **overrides) -> dict:
    """The instance's certified constants, the step and the certified L; `overrides` replace any of them."""
    return {**run.instance.checker_values(), "gamma": run.gamma, "L": run.L, **overrides}


def gd4_comparisons(run: DescentRun, conclusions: dict, **overrides) -> list[Comparison]:
    """GD-4 items 1, 2, 3 and 5 on the recorded iterates (every step is recorded).

    The loss bounds are the record's floor forms: f_τ ≤ ½y_perp² + (f₀ − ½y_perp²)(1 − 2ν)^τ and
    f_{τ+1} − ½y_perp² ≤ (1 − 2ν)(f_τ − ½y_perp²), evaluated by the checker at every recorded τ.
    """
    traj, inst = run.trajectory, run.instance
    loss, loss0 = traj.loss, traj.loss[:, :1]
    factor, floor = (conclusions[name].expand(loss.shape[0])[:, None] for name in ("step_factor", "loss_floor"))
    tau = traj.steps.to(loss.dtype)[None, :].expand_as(loss)
    _, _, along = evaluate("GD-4", _run_values(run, tau=tau, **overrides))
    decrease = conclusions["decrease_factor"][:, None] * traj.grad_norm_sq[:, :-1]
    valid = resolved_records(run)
    return [
        Comparison("loss <= floor + (loss_0 - floor) step_factor^tau (item 5)", loss, along["loss_bound"],
                   scale=loss0[:, 0], valid=valid, masked_reason=FLOOR_REASON, rate_time=tau, rate_floor=floor),
        Comparison("loss_{tau+1} - floor <= step_factor (loss_tau - floor) (item 5)", loss[:, 1:] - floor,
                   factor * (loss[:, :-1] - floor), scale=loss0[:, 0], valid=valid[:, 1:], masked_reason=FLOOR_REASON),
        Comparison("sufficient decrease (item 2)", decrease, loss[:, :-1] - loss[:, 1:], scale=loss0[:, 0],
                   valid=valid[:, 1:], masked_reason=FLOOR_REASON),
        Comparison("||theta_tau - theta_0|| <= R'_gamma (item 1)", traj.dist0,
                   conclusions["theta_dist_bound"][:, None], scale=inst.R_prime),
        Comparison("tail path length <= 2c_gamma/(sigma_A sigma_0) ||y_tau - y|| (item 3)", traj.tail_length,
                   conclusions["path_length_factor"][:, None] * traj.residual, scale=inst.R_prime, valid=valid,
                   masked_reason=FLOOR_REASON),
        Comparison("sigma_min(J(theta_tau)) >= sigma_0/2 (item 1)", traj.sigma_min,
                   conclusions["sigma_min_lower"][:, None], lower=True, scale=inst.sigma_0),
    ]


def resolved_records(run: DescentRun) -> torch.Tensor:
    """(b, T) records whose residual is above the floating-point floor (numerics.tolerance.resolved)."""
    return resolved(run.trajectory.residual, run.instance.y.norm(dim=-1), run.trajectory.residual.dtype)


def judge_descent(run: DescentRun, claim_id: str, result_id: str = "GD-4", **overrides) -> Judgement:
    """GD-4 on a run; `overrides` replace checker values (a negative control forces y_perp = 0, for instance)."""
    hold, ev, conclusions = evaluate(result_id, _run_values(run, **overrides))
    name, margin = binding(ev)
    return Judgement(claim_id, result_id, hold, gd4_comparisons(run, conclusions, **overrides),
                     run.trajectory.diverged, binding=name, margin=margin, hypotheses=hypothesis_records(ev),
                     details=_run_details(run))


def judge_flow(run: DescentRun, claim_id: str) -> Judgement:
    """GF-5 (MSE case of GF-3) at effective flow time, radius c_γR′, σ_min ≥ σ₀/2."""
    traj, inst = run.trajectory, run.instance
    values = {**inst.checker_values(), "t": run.flow_time}
    hold_gd, _, gd = evaluate("GD-4", _run_values(run))
    hold, ev, flow = evaluate("GF-5", values)
    comparisons = [
        Comparison("||y(t) - y||^2 - y_perp^2 <= (||y(0) - y||^2 - y_perp^2) exp(-sigma_A^2 sigma_0^2 t/2)",
                   traj.residual, flow["residual_bound"],
                   scale=inst.residual_0, valid=resolved_records(run), masked_reason=FLOOR_REASON,
                   rate_time=run.flow_time),
        Comparison("L(t) - floor <= (L(0) - floor) exp(-sigma_A^2 sigma_0^2 t/2)", traj.loss, flow["loss_bound"],
                   scale=traj.loss[:, 0], valid=resolved_records(run), masked_reason=FLOOR_REASON,
                   rate_time=run.flow_time, rate_floor=flow.get("loss_floor", 0.0)),
        Comparison("||theta(t) - theta_0|| <= c_gamma R'", traj.dist0, gd["theta_dist_bound"][:, None],
                   scale=inst.R_prime),
        Comparison("sigma_min(J(theta(t))) >= sigma_0/2", traj.sigma_min, flow["sigma_min_lower"], lower=True,
                   scale=inst.sigma_0),
    ]
    name, margin = binding(ev)
    return Judgement(claim_id, "GF-5", hold & hold_gd, comparisons, traj.diverged, binding=name, margin=margin,
                     hypotheses=hypothesis_records(ev), details=_run_details(run))


def judge_recovery(run: DescentRun, claim_id: str) -> Judgement:
    """GF-6 on a planted instance with injective A: μ = σ_min(A), dist(x̄, Σ′) = 0 when θ* ∈ 𝔹(θ₀, R′)."""
    traj, inst = run.trajectory, run.instance
    if inst.mu is None:
        raise ValueError("the recovery claim needs an injective A (m ≥ n)")
    _, _, gd = evaluate("GD-4", _run_values(run))
    c_gamma = gd["path_length_factor"] * inst.sigma_A * inst.sigma_0 / 2
    values = {**inst.checker_values(), "t": run.flow_time, "mu": inst.mu, "dist": 0.0,
              "Lip_g": c_gamma * inst.lip_g(c_gamma * inst.R_prime)}
    hold, ev, rec = evaluate("GF-6", values)
    error = (traj.x - inst.x_bar[:, None, :]).norm(dim=-1)
    comparisons = [Comparison("||x(t) - x_bar|| <= GF-6 recovery bound", error, rec["recovery_bound"],
                              scale=error[:, 0], valid=resolved_records(run), masked_reason=FLOOR_REASON)]
    name, margin = binding(ev)
    return Judgement(claim_id, "GF-6", hold & inst.planted_inside, comparisons, traj.diverged, binding=name,
                     margin=margin, hypotheses=hypothesis_records(ev),
                     details={**_run_details(run), "planted_inside": int(inst.planted_inside.sum())})


def judge_early_stopping(run: DescentRun, claim_id: str) -> Judgement:
    """GF-7: ‖y(t) − ȳ‖ ≤ ‖y(0) − y‖e^{−σ_A²σ₀²t/4} + ‖ε‖, and ≤ 2‖ε‖ once t ≥ t*."""
    traj, inst = run.trajectory, run.instance
    values = {**inst.checker_values(), "t": run.flow_time}
    hold, ev, gf7 = evaluate("GF-7", values)
    y_bar = inst.y - _noise(inst)
    prediction = (traj.x @ inst.matrix.mT - y_bar[:, None, :]).norm(dim=-1)
    t_star, floor = gf7["t_star"].reshape(-1, 1), gf7["floor"].reshape(-1, 1)
    after = run.flow_time >= t_star
    comparisons = [Comparison("||y(t) - y_bar|| <= prediction bound", prediction, gf7["prediction_bound"],
                              scale=inst.residual_0),
                   Comparison("||y(t) - y_bar|| <= 2||eps|| for t >= t*", prediction, floor, scale=inst.residual_0,
                              valid=after, masked_reason="before t* (the floor is claimed only for t >= t*)")]
    name, margin = binding(ev)
    return Judgement(claim_id, "GF-7", hold, comparisons, traj.diverged, binding=name, margin=margin,
                     hypotheses=hypothesis_records(ev),
                     details={**_run_details(run), "t_star": t_star.flatten().tolist(),
                              "reached_t_star": int(after.any(dim=1).sum())})


def _noise(inst) -> torch.Tensor:
    """ε = y − A x̄ (its part outside Im(A) has norm y_perp)."""
    return inst.y - inst.x_bar @ inst.matrix.mT


def _run_details(run: DescentRun) -> dict:
    traj = run.trajectory
    return {"spec": run.instance.spec.to_dict(), "gamma_L": (run.gamma * run.L).tolist(),
            "L_certified": run.L.tolist(), "L_estimate": run.L_estimate.tolist(),
            "final_loss": traj.loss[:, -1].tolist(), "steps": int(traj.steps[-1]),
            "diverged_at": traj.diverged_at.tolist()}


def run_claim(claim_id: str, specs: list[InstanceSpec], gamma_factor: float, steps: int, judge, ctx: Context,
              **run_kwargs) -> Outcome:
    """Train every spec, judge each run, and aggregate into one outcome."""
    judgements = [judge(descent_run(spec, gamma_factor, steps, device=ctx.device, dtype=ctx.dtype, **run_kwargs),
                        claim_id) for spec in specs]
    return aggregate(concatenate(judgements), ctx)
