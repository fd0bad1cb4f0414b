"""Claims for GF-* (gradient flow on the DIP, SSVM 2023 / JMIV 2024): the flow (small-step GD), recovery, early
stopping, two-layer facts."""

from __future__ import annotations

import time

import torch

from ipverify.numerics.experiments import DescentRun, descent_run
from ipverify.numerics.instances import InstanceSpec, build_instance
from ipverify.numerics.two_layer import (
    lip_jacobian_estimate,
    sigma_min_autograd,
    sigma_min_closed_form,
)
from ipverify.verify.claims._base import Claim, Comparison, Context, Judgement, aggregate, replay_command
from ipverify.verify.claims._dip import (
    evaluate,
    hypothesis_records,
    judge_early_stopping,
    judge_flow,
    judge_recovery,
    run_claim,
)
from ipverify.verify.claims.gradient_descent import descent_specs, negative_control_result
from ipverify.verify.result import CheckResult

FLOW_STEP = 0.05
"""γ = FLOW_STEP/L: the flow is checked on GD with this small step (see verify.claims._dip)."""


def _steps(ctx: Context, quick: int) -> int:
    return quick if ctx.profile == "quick" else 4 * quick


def check_flow(ctx: Context) -> CheckResult:
    return run_claim("GF-5/flow", descent_specs(ctx), FLOW_STEP, _steps(ctx, 1500), judge_flow, ctx)


def recovery_specs(ctx: Context) -> list[InstanceSpec]:
    """Injective A (m ≥ n), so μ = σ_min(A) is a valid restricted-injectivity constant; small noise."""
    s = ctx.seed
    specs = [InstanceSpec(n=5, m=8, d=4, k=128, activation="tanh", planted_radius=0.2, noise=0.01, seed=s + 10),
             InstanceSpec(n=6, m=6, d=5, k=256, activation="softplus", kappa=1.5, planted_radius=0.1, seed=s + 11)]
    if ctx.profile == "full":
        specs.append(InstanceSpec(n=12, m=16, d=8, k=1024, b=8, planted_radius=0.2, noise=0.02, seed=s + 12))
    return specs


def check_recovery(ctx: Context) -> CheckResult:
    return run_claim("GF-6/recovery", recovery_specs(ctx), FLOW_STEP, _steps(ctx, 1500), judge_recovery, ctx)


def early_stopping_specs(ctx: Context) -> list[InstanceSpec]:
    """Well-conditioned A and noise comparable to the initial residual, so t* is reached within the run."""
    s = ctx.seed
    return [InstanceSpec(n=6, m=6, d=5, k=128, kappa=1.2, planted_radius=0.3, noise=0.02, seed=s + 20),
            InstanceSpec(n=8, m=10, d=5, k=256, kappa=1.5, planted_radius=0.3, noise=0.05, seed=s + 21)]


def check_early_stopping(ctx: Context) -> CheckResult:
    return run_claim("GF-7/early-stopping", early_stopping_specs(ctx), 1.0, _steps(ctx, 600), judge_early_stopping,
                     ctx)


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


def check_no_injectivity(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    spec = InstanceSpec(n=8, m=3, d=5, k=128, planted_radius=0.3, seed=ctx.seed + 30)
    run = descent_run(spec, 1.0, _steps(ctx, 1500), device=ctx.device, dtype=ctx.dtype)
    return negative_control_result(judge_no_injectivity(run, "GF-6/no-injectivity"), ctx, started)


def judge_width_too_small(run: DescentRun, claim_id: str) -> Judgement:
    """Negative control for GF-13: a width far below the bound makes the checker refuse R′ < R; what training
    did anyway is recorded."""
    inst, traj = run.instance, run.trajectory
    hold, ev, gf13 = evaluate("GF-13", inst.checker_values())
    return Judgement(claim_id, "GF-13", ~hold, [], traj.diverged, binding=ev.binding.name if ev.binding else None,
                     hypotheses=hypothesis_records(ev),
                     details={"k": inst.spec.k, "k_required": gf13["k_required"].tolist(),
                              "final_over_initial_loss": (traj.loss[:, -1] / traj.loss[:, 0]).tolist(),
                              "R": inst.R.tolist(), "R_prime": inst.R_prime.tolist()})


def check_width_too_small(ctx: Context) -> CheckResult:
    started = time.perf_counter()
    spec = InstanceSpec(n=8, m=6, d=4, k=2, planted_radius=1.0, seed=ctx.seed + 40)
    run = descent_run(spec, 1.0, _steps(ctx, 500), device=ctx.device, dtype=ctx.dtype)
    return negative_control_result(judge_width_too_small(run, "GF-13/width-too-small"), ctx, started)


def check_jacobian(ctx: Context) -> CheckResult:
    """GF-8 and GF-9: σ_min by the closed form J Jᵀ equals autograd + SVD; σ₀ ≥ C_φ/2 (GF-9, weaker form)."""
    started = time.perf_counter()
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
    return _aggregate(judgements, ctx, started, "GF-8/jacobian")


def _gaussian_constants(activation: str) -> dict:
    from ipverify.numerics.activations import activation_constants

    constants = activation_constants(activation)
    return {"C_phi": constants["C_phi"], "C_phi_prime": constants["C_phi_prime"]}


def check_lipschitz(ctx: Context) -> CheckResult:
    """GF-10: sampled ‖J(θ) − J(θ′)‖/‖θ − θ′‖ on 𝔹(θ₀, R) stays below (B/√k)(2 + max_i‖V_{:,i}(0)‖ + R)."""
    started = time.perf_counter()
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
    return _aggregate(judgements, ctx, started, "GF-10/lipschitz")


def _aggregate(judgements, ctx, started, claim_id) -> CheckResult:
    from ipverify.verify.claims._dip import concatenate

    return aggregate(concatenate(judgements), ctx, started, replay_command(claim_id, ctx), ctx.seed)


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
