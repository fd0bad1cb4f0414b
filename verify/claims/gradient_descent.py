"""Claims for GD-* (gradient descent on the DIP, EUSIPCO 2024): real gradient descent on planted two-layer DIP
instances."""

from __future__ import annotations

import torch

from ipverify.numerics import setup_dip
from ipverify.numerics.experiments import DescentRun, descent_run
from ipverify.numerics.instances import InstanceSpec
from ipverify.numerics.tolerance import below
from ipverify.numerics.two_layer import smoothness_estimate
from ipverify.verify.claims._dip import judge_descent, run_claim
from ipverify.verify.claims.kit import (
    Claim,
    Comparison,
    Context,
    Judgement,
    Outcome,
    binding,
    concatenate,
    evaluate,
    hypothesis_records,
    negative_control,
)


def descent_specs(ctx: Context) -> list[InstanceSpec]:
    """Instances where GD-4's hypotheses can be certified (quick: three small ones; full: four wider ones besides)."""
    return setup_dip.descent_specs(ctx.seed, 0 if ctx.quick else 4)


def _steps(ctx: Context, quick: int) -> int:
    return quick if ctx.profile == "quick" else 5 * quick


def check_descent(ctx: Context) -> Outcome:
    """GD-4 items 1, 2, 3, 5 with γ = 1/L (L certified on 𝔹(θ₀, R) by GD-2)."""
    return run_claim("GD-4/descent", descent_specs(ctx), 1.0, _steps(ctx, 400), judge_descent, ctx)


def check_descent_near_limit(ctx: Context) -> Outcome:
    """GD-4 at γL = 1.9, inside the c_γ range but outside GD-3's ν₁ range."""
    return run_claim("GD-4/large-step", descent_specs(ctx)[:2], 1.9, _steps(ctx, 400), judge_descent, ctx)


def outside_range_specs(ctx: Context) -> list[InstanceSpec]:
    return setup_dip.outside_range_specs(ctx.seed)


def check_outside_range(ctx: Context) -> Outcome:
    """GD-4's floor forms with γ = 1/L on instances where y ∉ Im(A)."""
    return run_claim("GD-4/outside-range", outside_range_specs(ctx), 1.0, _steps(ctx, 400), judge_descent, ctx)


def judge_without_floor(run: DescentRun, claim_id: str) -> Judgement:
    """Negative control for the floor: the same instances judged with y_perp forced to 0, i.e. y ∈ Im(A) assumed.

    The checker then certifies every hypothesis, and the loss must leave the floorless bound ½‖y(0) − y‖²(1 − 2ν)^τ,
    which goes to 0 while the loss stalls at ½y_perp²."""
    forced = judge_descent(run, claim_id, y_perp=0.0)
    loss_bound = forced.comparisons[0]
    left = ~loss_bound.holds(run.trajectory.loss.dtype)
    reacted = forced.hypotheses_hold & left & (run.instance.y_perp > 0)
    traj = run.trajectory
    return Judgement(claim_id, "GD-4", reacted, [], traj.diverged, binding=forced.binding,
                     hypotheses=forced.hypotheses,
                     details={"certified": forced.hypotheses_hold.tolist(),
                              "certified_with_y_perp_0": int(forced.hypotheses_hold.sum()),
                              "left_floorless_bound": int(left.sum()), "y_perp": run.instance.y_perp.tolist(),
                              "final_loss": traj.loss[:, -1].tolist(),
                              "floor": (run.instance.y_perp.square() / 2).tolist(),
                              "final_floorless_bound": loss_bound.bound[:, -1].tolist()})


def check_without_floor(ctx: Context) -> Outcome:
    judgements = [judge_without_floor(descent_run(spec, 1.0, _steps(ctx, 400), device=ctx.device, dtype=ctx.dtype),
                                      "GD-4/outside-range-no-floor") for spec in outside_range_specs(ctx)]
    return negative_control(concatenate(judgements))


def judge_step_too_large(run: DescentRun, claim_id: str) -> Judgement:
    """Negative control: γ = 3/‖∇²f(θ₀)‖ > 2/L. The checker must flag γL < 2, and training must leave the bound
    (sufficient decrease fails, the loss rises) or diverge."""
    hold, ev, conclusions = evaluate("GD-4", {**run.instance.checker_values(), "gamma": run.gamma, "L": run.L})
    traj = run.trajectory
    rises = ~below(traj.loss[:, 1:], traj.loss[:, :-1], scale=traj.loss[:, :1]).all(dim=1)
    reacted = ~hold & (traj.diverged | rises)
    return Judgement(claim_id, "GD-4", reacted, [], traj.diverged, binding=binding(ev)[0],
                     hypotheses=hypothesis_records(ev),
                     details={"checker_flagged": int((~hold).sum()), "loss_rose": int(rises.sum()),
                              "diverged": int(traj.diverged.sum()), "gamma_L_certified": (run.gamma * run.L).tolist(),
                              "gamma_L_estimate": (run.gamma * run.L_estimate).tolist()})


def check_step_too_large(ctx: Context) -> Outcome:
    spec = descent_specs(ctx)[0]
    run = descent_run(spec, 3.0, _steps(ctx, 200), curvature="estimate", device=ctx.device, dtype=ctx.dtype)
    return negative_control(judge_step_too_large(run, "GD-4/step-too-large"))


def judge_smoothness(run: DescentRun, claim_id: str) -> Judgement:
    """GD-2: the Hessian's spectral norm at θ₀ and at the last iterate (both in 𝔹(θ₀, R)) stays below L."""
    inst, traj = run.instance, run.trajectory
    net = inst.net
    final = smoothness_estimate(inst.matrix, inst.y, traj.params, net.u, net.act, iters=60)
    inside = traj.dist0[:, -1] <= inst.R
    observed = torch.stack([run.L_estimate, torch.where(inside, final, torch.zeros_like(final))], dim=1)
    return Judgement(claim_id, "GD-2", torch.ones_like(inside), [Comparison("||Hess f|| <= L (GD-2)", observed,
                                                                             run.L[:, None], scale=run.L)],
                     traj.diverged, details={"L_certified": run.L.tolist(),
                                             "L_estimate_theta0": run.L_estimate.tolist(),
                                             "L_estimate_final": final.tolist()})


def check_smoothness(ctx: Context) -> Outcome:
    return run_claim("GD-2/smoothness", descent_specs(ctx), 1.0, _steps(ctx, 200), judge_smoothness, ctx)


CLAIMS = (
    Claim("GD-2/smoothness", "GD-2", "Hessian norm on the ball stays below the GD-2 bound", "measurement",
          check_smoothness),
    Claim("GD-4/descent", "GD-4", "GD with γ = 1/L: confinement, sufficient decrease, finite length, linear rate",
          "property", check_descent),
    Claim("GD-4/large-step", "GD-4", "GD with γL = 1.9 (c_γ range, beyond ν₁'s)", "property", check_descent_near_limit),
    Claim("GD-4/step-too-large", "GD-4", "γ beyond 2/L: the checker flags it and training leaves the bound",
          "negative control", check_step_too_large),
    Claim("GD-4/outside-range", "GD-4", "y ∉ Im(A): the loss stalls at ½y_perp² and stays within the floor bound",
          "property", check_outside_range),
    Claim("GD-4/outside-range-no-floor", "GD-4", "y ∉ Im(A) judged with y_perp = 0: the loss leaves the floorless "
          "bound", "negative control", check_without_floor),
)
