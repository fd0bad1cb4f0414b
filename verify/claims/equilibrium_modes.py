"""Claims for JFB-4 and JFB-5: truncated unrolled AD from x₀, restarted JFB over a (K, T) grid, and the comparison
table of the gradient modes (error vs exact DEQ, the bound of the matching result, time per step)."""

from __future__ import annotations

import math

import numpy as np
import torch

from ipverify.numerics.checkers import checker
from ipverify.numerics.fixed_point import DTYPE, spectral_norm
from ipverify.numerics.gradient_modes import (
    EquilibriumCase,
    hypergradient,
    k_step_gradient,
    restarted_gradient,
    unrolled_gradient,
    unrolled_jacobian,
)
from ipverify.numerics.setup_equilibrium import (
    Layer,
    as_tensor,
    cases_of,
    diverged_cases,
    generator,
    mode_layers,
)
from ipverify.verify.claims.equilibrium import smooth_layers
from ipverify.verify.claims.kit import (
    Claim,
    Comparison,
    Context,
    Judgement,
    Outcome,
    aggregate,
    binding,
    evaluate,
    hypothesis_records,
    single_threaded,
)

# ------------------------------------------------------------------------------------------------------------ JFB-4


def _direction(n_shape, seed: int) -> torch.Tensor:
    d = torch.randn(n_shape, generator=generator(seed), dtype=DTYPE)
    return d / d.norm()


def judge_jfb4(layers, cases, Ks: list[int], distances: list[float], seed: int,
               claim_id: str = "JFB-4/unrolled") -> Judgement:
    """Unrolled AD from x₀ = x* + e₀·u (random unit u): gradient, Jacobian and iterate gaps against JFB-4."""
    rows_g, rows_j, rows_x, consts, e0s, scales = [], [], [], [], [], []
    for i, (layer, case) in enumerate(zip(layers, cases, strict=True)):
        for e0 in distances:
            x0 = case.x_star + e0 * _direction(case.x_star.shape, seed + 7 * i)
            c = layer.constants(case, e0, seed + i)
            row_g, row_j, row_x = [], [], []
            for K in Ks:
                hg = unrolled_gradient(layer.op, layer.theta, x0, layer.loss_fn, K)
                row_g.append(case.gap(hg.grad))
                row_j.append(spectral_norm(unrolled_jacobian(layer.op, layer.theta, x0, K) - case.J_star))
                row_x.append(float((hg.x_out - case.x_star).norm()))
            rows_g.append(row_g)
            rows_j.append(row_j)
            rows_x.append(row_x)
            consts.append(c)
            e0s.append(e0)
            scales.append(case.g_norm + c["L_theta"] * case.v_norm)
    b = len(rows_g)
    values = {k: [c[k] for c in consts] for k in ("rho_0", "L_theta", "L_A", "L_B")}
    hold, ev, bound = evaluate("JFB-4", {**values, "e_0": e0s, "L_ell": [1.0] * b,
                                          "v_norm": [c.v_norm for c in cases for _ in distances],
                                          "K_layers": np.tile(np.asarray(Ks, dtype=float), (b, 1))})
    comparisons = [
        Comparison("‖g_K − g_DEQ‖ ≤ JFB-4 bound", as_tensor(rows_g), bound["gradient_gap_bound"],
                   scale=as_tensor(scales)[:, None]),
        Comparison("‖J_K − J*‖ ≤ JFB-4 bound", as_tensor(rows_j), bound["jacobian_gap_bound"],
                   scale=as_tensor([c["L_theta"] for c in consts])[:, None]),
        Comparison("‖x_K − x*‖ ≤ ρ₀ᴷe₀", as_tensor(rows_x), bound["iterate_gap_bound"], scale=as_tensor(e0s)[:, None]),
    ]
    diverged = torch.tensor([c.diverged or not c.converged for c in cases for _ in distances])
    return Judgement(claim_id, "JFB-4", hold, comparisons, diverged, binding=binding(ev)[0],
                     hypotheses=hypothesis_records(ev), details={"K": Ks, "e_0": distances})


def check_jfb4(ctx: Context) -> Outcome:
    layers = smooth_layers(ctx)
    Ks = [1, 3, 10] if ctx.quick else [1, 2, 3, 5, 10, 20]
    distances = [0.1, 2.0] if ctx.quick else [0.01, 0.1, 1.0, 3.0]
    return aggregate(judge_jfb4(layers, cases_of(layers), Ks, distances, ctx.seed), ctx)


# ------------------------------------------------------------------------------------------------------------ JFB-5


def judge_jfb5(layers, cases, Ks: list[int], Ts: list[int], seed: int,
               claim_id: str = "JFB-5/restarted") -> Judgement:
    """Restarted JFB from x_init over a (K, T) grid: ‖g_R − g_DEQ‖ ≤ JFB-5, ‖g_R − g_K(x*)‖ ≤ the restart excess
    (→ 0: the error converges to the JFB-K floor), ‖Φ_K(x̂) − x*‖ ≤ ρ₀^{(T+1)K}e_init."""
    grid = [(K, T) for K in Ks for T in Ts]
    gaps, excess, outs, consts, scales, trace = [], [], [], [], [], []
    for i, (layer, case) in enumerate(zip(layers, cases, strict=True)):
        c = layer.constants(case, case.e_init, seed + i)
        g_K = {K: k_step_gradient(layer.op, layer.theta, case.x_star, layer.loss_fn, K).grad for K in Ks}
        row_g, row_e, row_o = [], [], []
        for K, T in grid:
            hg = restarted_gradient(layer.op, layer.theta, layer.x_init, layer.loss_fn, K, T)
            row_g.append(case.gap(hg.grad))
            row_e.append(float((hg.grad - g_K[K]).norm()))
            row_o.append(float((hg.x_out - case.x_star).norm()))
        gaps.append(row_g)
        excess.append(row_e)
        outs.append(row_o)
        consts.append(c)
        scales.append(case.g_norm + c["L_theta"] * case.v_norm)
        trace.append({"layer": layer.name, "K_T": grid, "gap": row_g, "excess": row_e,
                      "jfb_K_gap": {K: case.gap(g_K[K]) for K in Ks}})
    b = len(layers)
    values = {k: [c[k] for c in consts] for k in ("rho_0", "L_theta", "L_A", "L_B")}
    hold, ev, bound = evaluate("JFB-5", {
        **values, "e_init": [c.e_init for c in cases], "L_ell": [1.0] * b, "v_norm": [c.v_norm for c in cases],
        "K_layers": np.tile(np.asarray([k for k, _ in grid], dtype=float), (b, 1)),
        "T_blocks": np.tile(np.asarray([t for _, t in grid], dtype=float), (b, 1))})
    for i, row in enumerate(trace):
        row["bound"] = bound["gradient_gap_bound"][i].tolist()
        row["excess_bound"] = bound["restart_excess_bound"][i].tolist()
        row["floor"] = bound["floor"][i].tolist()
    sc = as_tensor(scales)[:, None]
    comparisons = [
        Comparison("‖g_R − g_DEQ‖ ≤ JFB-5 bound", as_tensor(gaps), bound["gradient_gap_bound"], scale=sc),
        Comparison("‖g_R − g_K(x*)‖ ≤ JFB-5 bound − floor (→ 0 in T)", as_tensor(excess), bound["restart_excess_bound"],
                   scale=sc),
        Comparison("‖Φ_K(x̂) − x*‖ ≤ ρ₀^{(T+1)K}e_init", as_tensor(outs), bound["output_gap_bound"],
                   scale=as_tensor([c.e_init for c in cases])[:, None]),
    ]
    return Judgement(claim_id, "JFB-5", hold, comparisons, diverged_cases(cases),
                     binding=binding(ev)[0], hypotheses=hypothesis_records(ev),
                     details={"layers": trace})


def restart_grid(ctx: Context) -> tuple[list[int], list[int]]:
    return ([2, 5], [1, 2, 3, 5, 8]) if ctx.quick else ([1, 2, 5, 10], [1, 2, 3, 5, 8, 13, 21])


def check_jfb5(ctx: Context) -> Outcome:
    layers = smooth_layers(ctx)
    Ks, Ts = restart_grid(ctx)
    return aggregate(judge_jfb5(layers, cases_of(layers), Ks, Ts, ctx.seed), ctx)


# ------------------------------------------------------------------------------------------- comparison of the modes


def _timed(mode, layer: Layer, K: int = 1, T: int = 0, solver: str = "solve", repeats: int = 3):
    """The mode's hypergradient from x_init (forward included) and the best wall time over `repeats`."""
    best, hg = math.inf, None
    for _ in range(repeats):
        hg = hypergradient(mode, layer.op, layer.theta, layer.loss_fn, layer.x_init, K=K, T_blocks=T, solver=solver)
        best = min(best, hg.seconds)
    return hg, best


def mode_table(layer: Layer, case: EquilibriumCase, K: int, Ts: list[int], seed: int, repeats: int = 3) -> list[dict]:
    """Rows (mode, K, T, error vs exact DEQ, bound and its id, ratio, seconds per step) for one layer."""
    c = layer.constants(case, case.e_init, seed)
    base = {"B_norm": case.B_norm, "B_T_norm": case.B_norm, "v_norm": case.v_norm, "L_ell": 1.0}
    per_layer = {} if c is None else {k: c[k] for k in ("rho_0", "L_theta", "L_A", "L_B")}
    specs = [("ift", 1, 0, "solve", None, {}), ("ift", 1, 0, "iterative", None, {}),
             ("jfb", 1, 0, "solve", ("JFB-1", {"rho": layer.rho}), {}),
             ("grad=K", K, 0, "solve", ("JFB-2", {"rho_0": layer.rho, "K_layers": K}), {}),
             ("unrolled", K, 0, "solve", ("JFB-4", {**per_layer, "K_layers": K, "e_0": case.e_init}), per_layer)]
    specs += [("restarted", K, T, "solve", ("JFB-5", {**per_layer, "K_layers": K, "T_blocks": T,
                                                      "e_init": case.e_init}), per_layer) for T in Ts]
    rows = []
    for mode, k, t, solver, bound_spec, needs in specs:
        hg, seconds = _timed(mode, layer, K=k, T=t, solver=solver, repeats=repeats)
        error = case.gap(hg.grad)
        bound, bound_id = math.nan, None
        if bound_spec is not None and (needs or bound_spec[0] in ("JFB-1", "JFB-2")):
            bound_id = bound_spec[0]
            ev = checker(bound_id).evaluate({**base, **bound_spec[1]})
            if ev.holds:
                bound = float(ev.conclusions["gradient_gap_bound"])
        label = mode if mode != "ift" else f"ift ({solver})"
        rows.append({"layer": layer.name, "mode": label, "K": k if mode not in ("ift", "jfb") else None,
                     "T": t if mode == "restarted" else None, "error": error,
                     "relative_error": error / case.g_norm if case.g_norm else math.nan,
                     "bound": bound if math.isfinite(bound) else None, "bound_id": bound_id,
                     "ratio": error / bound if math.isfinite(bound) and bound > 0 else None,
                     "seconds_per_step": seconds})
    return rows


def check_modes(ctx: Context) -> Outcome:
    """The comparison table of gradient modes: error vs exact DEQ, the bound of the matching result, time per step."""
    K = 5
    Ts = [1, 2, 5, 10] if ctx.quick else [1, 2, 3, 5, 10, 20]
    layers = mode_layers(ctx.seed, 32 if ctx.quick else 64)
    cases = cases_of(layers)
    rows = [row for i, (layer, case) in enumerate(zip(layers, cases, strict=True))
            for row in mode_table(layer, case, K, Ts, ctx.seed + i, repeats=2 if ctx.quick else 5)]
    bounded = [r for r in rows if r["bound"] is not None]
    observed = as_tensor([r["error"] for r in bounded])[None, :]
    bounds = as_tensor([r["bound"] for r in bounded])[None, :]
    scale = max(c.g_norm for c in cases)
    j = Judgement("JFB-5/modes", "JFB-5", torch.tensor([True]),
                  [Comparison("every mode's ‖g − g_DEQ‖ ≤ its bound (JFB-1/2/4/5)", observed, bounds, scale=scale)],
                  diverged_cases(cases).any().reshape(1),
                  details={"modes": rows, "K": K, "T": Ts,
                           "layers": [{"layer": layer.name, "rho_certified": layer.rho, "rho_local": case.rho_local,
                                       "g_DEQ_norm": case.g_norm} for layer, case in zip(layers, cases, strict=True)],
                           "note": "ift rows are the reference (error = difference between the two exact solvers); "
                                   "the ℓ1 prox is not C¹, so unrolled/restarted have no bound there"})
    return aggregate(j, ctx)


CLAIMS = (
    Claim("JFB-4/unrolled", "JFB-4", "truncated unrolled AD from x₀: Kρ^{K−1} bound", "property",
          single_threaded(check_jfb4)),
    Claim("JFB-5/restarted", "JFB-5", "restarted JFB: error ≤ JFB-5 and converges to the JFB-K floor in T",
          "property", single_threaded(check_jfb5)),
    Claim("JFB-5/modes", "JFB-5", "gradient modes compared: error vs exact DEQ, bound, time per step",
          "measurement", single_threaded(check_modes)),
)
