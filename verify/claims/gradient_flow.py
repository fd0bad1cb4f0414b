"""Claims for GF-* (gradient flow on the DIP, SSVM 2023 / JMIV 2024): the flow (small-step GD), recovery, early
stopping, two-layer facts."""

from __future__ import annotations

import torch

from ipverify.numerics import setup_dip
from ipverify.numerics.experiments import DescentRun, descent_run
from ipverify.numerics.instances import InstanceSpec, build_instance
from ipverify.numerics.steps import FLOW_STEP_FACTOR
from ipverify.numerics.two_layer import (
    lip_jacobian_estimate,
    sigma_min_autograd,
    sigma_min_closed_form,
)
from ipverify.verify.claims._dip import judge_early_stopping, judge_flow, judge_recovery, run_claim
from ipverify.verify.claims.gradient_descent import descent_specs
from ipverify.verify.claims.kit import (
    Claim,
    Comparison,
    Context,
    Judgement,
    Outcome,
    aggregate,
    binding,
    concatenate,
    evaluate,
    hypothesis_records,
    negative_control,
)


def _steps(ctx: Context, quick: int) -> int:
    return quick if ctx.quick else 4 * quick


def check_flow(ctx: Context) -> Outcome:
    return run_claim("GF-5/flow", descent_specs(ctx), FLOW_STEP_FACTOR, _steps(ctx, 1500), judge_flow, ctx)


def recovery_specs(ctx: Context) -> list[InstanceSpec]:
    return setup_dip.recovery_specs(ctx.seed, 0 if ctx.quick else 1)


def check_recovery(ctx: Context) -> Outcome:
    return run_claim("GF-6/recovery", recovery_specs(ctx), FLOW_STEP_FACTOR, _steps(ctx, 1500), judge_recovery, ctx)


def check_early_stopping(ctx: Context) -> Outcome:
    return run_claim("GF-7/early-stopping", setup_dip.early_stopping_specs(ctx.seed), 1.0, _steps(ctx, 600),
                     judge_early_stopping, ctx)


def judge_no_injectivity(run: DescentRun, claim_id: str) -> Judgement:
    """Negative control for GF-6: with m < n there is no μ, the recovery bound is not claimed, and indeed the
    loss vanishes while x(t) stays away from x̄ (the part of x₀ − x̄ in ker A is never corrected)."""
    traj, inst = run.trajectory, run.instance
    error = (traj.x - inst.x_bar[:, None, :]).norm(dim=-1)
    fitted = traj.loss[:, -1] <= 1e-8 * traj.loss[:, 0]
    stays_away = error[:, -1] >= 0.05 * error[:, 0]
    reacted = torch.full_like(fitted, inst.mu is None) & fitted & stays_away
    return Judgement(claim_id, "GF-6", reacted, [], traj.diverged,
                     details={"mu_available": inst.mu is not None, "loss_fitted": int(fitted.sum()),
                              "final_over_initial_error": (error[:, -1] / error[:, 0]).tolist()})


def check_no_injectivity(ctx: Context) -> Outcome:
    spec = setup_dip.no_injectivity_spec(ctx.seed)
    run = descent_run(spec, 1.0, _steps(ctx, 1500), device=ctx.device, dtype=ctx.dtype)
    return negative_control(judge_no_injectivity(run, "GF-6/no-injectivity"))


def judge_width_too_small(run: DescentRun, claim_id: str) -> Judgement:
    """Negative control for GF-13: a width far below the bound makes the checker refuse R′ < R; what training
    did anyway is recorded."""
    inst, traj = run.instance, run.trajectory
    hold, ev, gf13 = evaluate("GF-13", inst.checker_values())
    return Judgement(claim_id, "GF-13", ~hold, [], traj.diverged, binding=binding(ev)[0],
                     hypotheses=hypothesis_records(ev),
                     details={"k": inst.spec.k, "k_required": gf13["k_required"].tolist(),
                              "final_over_initial_loss": (traj.loss[:, -1] / traj.loss[:, 0]).tolist(),
                              "R": inst.R.tolist(), "R_prime": inst.R_prime.tolist()})


def check_width_too_small(ctx: Context) -> Outcome:
    spec = setup_dip.narrow_spec(ctx.seed)
    run = descent_run(spec, 1.0, _steps(ctx, 500), device=ctx.device, dtype=ctx.dtype)
    return negative_control(judge_width_too_small(run, "GF-13/width-too-small"))


def check_jacobian(ctx: Context) -> Outcome:
    """GF-8 and GF-9: σ_min by the closed form J Jᵀ equals autograd + SVD; σ₀ ≥ C_φ/2 (GF-9, weaker form)."""
    judgements = []
    for activation in ("tanh", "sigmoid", "softplus", "elu"):
        inst = build_instance(InstanceSpec(n=6, m=6, d=5, k=64, activation=activation, seed=ctx.seed + 50),
                              ctx.device, ctx.dtype)
        net = inst.net
        closed = sigma_min_closed_form(net.params0, net.u, net.act)
        reference = sigma_min_autograd(net.params0, net.u, net.act)
        hold, ev, gf9 = evaluate("GF-9", {"sigma_0": closed, **_gaussian_constants(activation)})
        judgements.append(Judgement("GF-8/jacobian", "GF-8", torch.ones_like(hold), [
            Comparison("|sigma_min closed form - autograd|", (closed - reference).abs(), torch.zeros_like(closed),
                       scale=reference),
            Comparison("sigma_0 >= C_phi/2 (GF-9)", closed, gf9["sigma_0_lower"], lower=True, scale=closed),
        ], torch.zeros_like(hold), hypotheses=hypothesis_records(ev)))
    return aggregate(concatenate(judgements), ctx)


def _gaussian_constants(activation: str) -> dict:
    from ipverify.numerics.activations import activation_constants

    constants = activation_constants(activation)
    return {"C_phi": constants["C_phi"], "C_phi_prime": constants["C_phi_prime"]}


def check_lipschitz(ctx: Context) -> Outcome:
    """GF-10: sampled ‖J(θ) − J(θ′)‖/‖θ − θ′‖ on 𝔹(θ₀, R) stays below (B/√k)(2 + max_i‖V_{:,i}(0)‖ + R)."""
    judgements = []
    for activation in ("tanh", "sigmoid"):
        inst = build_instance(InstanceSpec(n=6, m=6, d=5, k=128, activation=activation, seed=ctx.seed + 60),
                              ctx.device, ctx.dtype)
        net = inst.net
        generator = torch.Generator().manual_seed(ctx.seed + 61)
        estimate = lip_jacobian_estimate(net.params0, net.u, net.act, inst.R, generator, pairs=8)
        hold, _, gf10 = evaluate("GF-10", inst.checker_values())
        judgements.append(Judgement("GF-10/lipschitz", "GF-10", hold, [
            Comparison("sampled Lip(J) <= GF-10 bound", estimate, gf10["Lip_J_bound"], scale=gf10["Lip_J_bound"])],
            torch.zeros_like(hold)))
    return aggregate(concatenate(judgements), ctx)


CLAIMS = (
    Claim("GF-5/flow", "GF-5", "Gradient flow: exponential residual decay, radius R′, σ_min ≥ σ₀/2", "property",
          check_flow),
    Claim("GF-6/recovery", "GF-6", "Recovery of a planted signal under injectivity", "property", check_recovery),
    Claim("GF-6/no-injectivity", "GF-6", "m < n: loss vanishes, x(t) does not approach x̄, no bound is claimed",
          "negative control", check_no_injectivity),
    Claim("GF-7/early-stopping", "GF-7", "Prediction bound and the early-stopping time t*", "property",
          check_early_stopping),
    Claim("GF-8/jacobian", "GF-8", "σ_min(J_g) closed form = autograd; σ₀ ≥ C_φ/2 (GF-9)", "measurement",
          check_jacobian),
    Claim("GF-10/lipschitz", "GF-10", "Sampled Lipschitz ratios of J_g stay below the GF-10 bound", "measurement",
          check_lipschitz),
    Claim("GF-13/width-too-small", "GF-13", "k far below the bound: the checker refuses R′ < R", "negative control",
          check_width_too_small),
)
