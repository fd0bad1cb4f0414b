"""Claims for the DIN integrator (IN-1), the certified width (IN-9) and the negative controls of the DIN claims
(IN-2: no damping, IN-6: a large Hessian damping), on planted two-layer instances as in `verify.claims.inertia`."""

from __future__ import annotations

import torch

from ipverify.numerics.inertial import default_din_step, din, din_reference
from ipverify.numerics.inertial_discrete import inna
from ipverify.numerics.instances import DIPInstance, InstanceSpec, build_instance
from ipverify.numerics.setup_inertia import (
    INTEGRATOR_TOLERANCE,
    DINRun,
    bundle_specs,
    din_parameters,
    din_run,
    din_values,
    instance_values,
    mu_pl,
)
from ipverify.numerics.two_layer import flatten, sample_in_ball, sigma_min_closed_form
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

# ------------------------------------------------------------------------------------------------ negative controls


def judge_conservative(run: DINRun, claim_id: str) -> Judgement:
    """α = β = 0: the checker refuses IN-5 (κ = 0, α > 0 and β > 0 fail) and the energy does not decay
    (|E(T)/E(0) − 1| ≤ 1e-5, an RK4 tolerance), while the damped networks of the same run lose most of theirs."""
    traj = run.trajectory
    cons, damped = run.rows("conservative"), run.rows("optimal")
    values = {**run.values, "alpha": run.alpha, "beta": run.beta}
    hold, ev, in5 = evaluate("IN-5", values)
    ratio = traj.energy[:, -1] / traj.energy[:, 0]
    conserved = (ratio[cons] - 1).abs() <= 1e-5
    damped_decays = ratio[damped] <= 0.5
    reacted = ~hold[cons] & conserved & damped_decays & (in5["kappa"].reshape(-1)[cons] == 0)
    return Judgement(claim_id, "IN-5", reacted, [], traj.diverged[cons], binding=binding(ev)[0],
                     hypotheses=hypothesis_records(ev),
                     details={"checker_flagged": int((~hold[cons]).sum()),
                              "energy_ratio_conservative": ratio[cons].tolist(),
                              "energy_ratio_damped": ratio[damped].tolist(),
                              "loss_ratio_conservative": (traj.loss[cons, -1] / traj.loss[cons, 0]).tolist()})


def check_conservative(ctx: Context) -> Outcome:
    spec = bundle_specs(ctx.seed)[0]
    inst = build_instance(spec, ctx.device, ctx.dtype)
    values = instance_values(inst)
    optimal = din_parameters(values)["optimal"]
    settings = {"conservative": (torch.zeros_like(optimal[0]), torch.zeros_like(optimal[1])), "optimal": optimal}
    h = _default_step(inst, optimal)
    run = din_run(inst, values, settings, 20.0 if ctx.profile == "quick" else 60.0, h=h, n_sigma_records=None)
    return negative_control(judge_conservative(run, "IN-2/conservative"))


def _default_step(inst: DIPInstance, params) -> float:
    net = inst.net
    return default_din_step(inst.matrix, inst.y, net.params0, net.u, net.act, params[0], params[1])


def judge_large_beta(run: DINRun, claim_id: str) -> Judgement:
    """IN-6's negative control (IN-E6): a larger Hessian damping inflates the encoded radius R′_DIN, and the
    measured displacement max‖θ(t) − θ₀‖ grows with it (on the papers' protocol, where θ travels far)."""
    traj = run.trajectory
    small, large = run.rows("beta_small"), run.rows("beta_large")
    _, _, in6 = evaluate("IN-6", din_values(run))
    radius = in6["theta_dist_bound"].reshape(-1)
    travelled = traj.dist0.nan_to_num(0).amax(dim=1)
    reacted = (radius[large] > radius[small]) & (travelled[large] > travelled[small])
    return Judgement(claim_id, "IN-6", reacted, [], traj.diverged[large],
                     details={"R_prime_DIN_small_beta": radius[small].tolist(),
                              "R_prime_DIN_large_beta": radius[large].tolist(),
                              "max_dist0_small_beta": travelled[small].tolist(),
                              "max_dist0_large_beta": travelled[large].tolist(),
                              "beta_small": run.beta[small].tolist(), "beta_large": run.beta[large].tolist()})


def check_large_beta(ctx: Context) -> Outcome:
    quick = ctx.quick
    spec = InstanceSpec(n=8 if quick else 20, m=4 if quick else 10, d=5 if quick else 10, k=64 if quick else 400,
                        b=2, target="gaussian", operator="gaussian", v_init="gaussian", seed=ctx.seed + 310)
    inst = build_instance(spec, ctx.device, ctx.dtype)
    values = instance_values(inst)
    root = mu_pl(values).sqrt()
    settings = {"beta_small": (2 * root, 0.5 / root), "beta_large": (2 * root, 1 / root)}
    run = din_run(inst, values, settings, 5.0 if quick else 40.0, n_sigma_records=None)
    return negative_control(judge_large_beta(run, "IN-6/large-beta"))


# ------------------------------------------------------------------------------------------------ integrator, width


def check_integrator(ctx: Context) -> Outcome:
    """IN-1: RK4 on the (θ, w) form against solve_ivp (DOP853, rtol 1e-10) on the second-order form with Hessian–
    vector products; θ̇(0) = 0 with the DIP initialisation and ‖θ̇(0)‖ = β‖∇f(θ₀)‖ with INNA's (first Euler step)."""
    spec = InstanceSpec(n=4, m=4, d=3, k=32, b=1, kappa=3.0, planted_radius=0.1, seed=ctx.seed + 320)
    inst = build_instance(spec, ctx.device, ctx.dtype)
    values = instance_values(inst)
    net = inst.net
    alpha, beta = din_parameters(values)["optimal"]
    traj = din(inst.matrix, inst.y, net.params0, net.u, net.act, alpha, beta, 10.0 if ctx.profile == "quick" else 30.0,
               n_records=20)
    ref = din_reference(inst.matrix, inst.y, net.params0, net.u, net.act, float(alpha[0]), float(beta[0]), traj.times)
    theta_err = (flatten(traj.params)[0] - ref.theta[-1]).norm() / ref.theta[-1].norm()
    loss_err = (traj.loss[0] - ref.loss).abs().max() / ref.loss[0]
    energy_err = (traj.energy[0] - ref.energy).abs().max() / ref.energy[0]
    hold, ev, in1 = evaluate("IN-1", {**values, "alpha": alpha, "beta": beta})
    gamma = 1e-2
    runs = {init: inna(inst.matrix, inst.y, net.params0, net.u, net.act, alpha, beta, gamma, 1, init=init)
            for init in ("dip", "inna")}
    first = {init: r.step_lengths[:, 0] / gamma for init, r in runs.items()}
    tol = torch.tensor([INTEGRATOR_TOLERANCE], dtype=torch.float64)
    comparisons = [
        Comparison("relative ||theta_RK4(T) - theta_ref(T)||", theta_err.reshape(1), tol),
        Comparison("max relative |f_RK4 - f_ref|", loss_err.reshape(1), tol),
        Comparison("max relative |E_RK4 - E_ref|", energy_err.reshape(1), tol),
        Comparison("||theta_dot(0)|| (DIP init) = 0", first["dip"], in1["initial_velocity_norm"].reshape(-1),
                   scale=in1["initial_velocity_norm_INNA"].reshape(-1)),
        Comparison("| ||theta_dot(0)|| (INNA init) - beta ||grad f(theta_0)|| |",
                   (first["inna"] - in1["initial_velocity_norm_INNA"].reshape(-1)).abs(), torch.zeros(1),
                   scale=in1["initial_velocity_norm_INNA"].reshape(-1)),
    ]
    name, margin = binding(ev)
    j = Judgement("IN-1/integrator", "IN-1", hold, comparisons, traj.diverged, binding=name, margin=margin,
                  hypotheses=hypothesis_records(ev),
                  details={"h": traj.h, "steps": int(traj.steps[-1]), "theta_relative_error": float(theta_err),
                           "loss_relative_error": float(loss_err), "energy_relative_error": float(energy_err),
                           "reference_success": ref.success})
    return aggregate(j, ctx)


WIDTH_SAMPLES = 16
"""Points drawn per network on the sphere ∂𝔹(θ₀, R′_DIN) by IN-9/width."""


def check_width(ctx: Context) -> Outcome:
    """IN-9 at growing widths (no training): where k > k_required_certified, GF-10 certifies R′_DIN < R, hence
    σ_min(J_g(θ)) ≥ σ₀/2 on 𝔹(θ₀, R′_DIN); checked at WIDTH_SAMPLES points drawn on the sphere of radius R′_DIN (the
    farthest a DIN trajectory may go, IN-6), with a seeded generator."""
    widths = (8, 32, 128, 512) if ctx.profile == "quick" else (8, 32, 128, 512, 2048)
    generator = torch.Generator().manual_seed(ctx.seed + 335)
    judgements, required, ratio = [], [], []
    for i, k in enumerate(widths):
        spec = InstanceSpec(n=6, m=6, d=5, k=k, b=4, kappa=3.0, planted_radius=0.02, seed=ctx.seed + 330 + i)
        inst = build_instance(spec, ctx.device, ctx.dtype)
        values = instance_values(inst)
        settings = din_parameters(values)["optimal"]
        full = {**values, "alpha": settings[0], "beta": settings[1]}
        hold9, ev9, in9 = evaluate("IN-9", full)
        _, _, in6 = evaluate("IN-6", full)
        radius = in6["theta_dist_bound"].reshape(-1)
        net = inst.net
        sigma = torch.stack([sigma_min_closed_form(sample_in_ball(net.params0, radius, generator, radius_power=0.0),
                                                   net.u, net.act) for _ in range(WIDTH_SAMPLES)], dim=1)
        lower = in6["sigma_min_lower"].reshape(-1, 1)
        name, margin = binding(ev9)
        judgements.append(Judgement("IN-9/width", "IN-9", hold9,
                                    [Comparison("sigma_min(J(theta)) >= sigma_0/2 on the sphere of radius R'_DIN",
                                                sigma, lower, lower=True, scale=values["sigma_0"])],
                                    torch.zeros_like(hold9), binding=name, margin=margin,
                                    hypotheses=hypothesis_records(ev9)))
        required.append(in9["k_required_certified"].reshape(-1).tolist())
        ratio.append((radius / values["R"]).tolist())
    j = concatenate(judgements)
    j.details.update({"widths": list(widths), "k_required_certified": required, "R_prime_DIN_over_R": ratio})
    return aggregate(j, ctx)


CLAIMS = (
    Claim("IN-1/integrator", "IN-1", "DIN integrator (RK4, first-order form) vs solve_ivp; θ̇(0) = 0 vs INNA's init",
          "measurement", check_integrator),
    Claim("IN-2/conservative", "IN-2", "α = β = 0: no energy decay; the checker refuses IN-5", "negative control",
          check_conservative),
    Claim("IN-6/large-beta", "IN-6", "Large β inflates R′_DIN and the measured displacement", "negative control",
          check_large_beta),
    Claim("IN-9/width", "IN-9", "Where the width certifies R′_DIN < R: σ_min ≥ σ₀/2 on the sphere of radius R′_DIN",
          "property", check_width),
)
