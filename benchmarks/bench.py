"""`make bench`: speed as ratios against a baseline measured in the same run (median over repeats, and spread).

Each benchmark times its baseline and ours in interleaved pairs (baseline, ours, baseline, ours, …) so that a
change of load on a shared machine hits both; the figure of merit is the median of the per-pair ratios, with their
min and max as the spread. Every benchmark also checks that ours computes the same thing as the baseline.

1. sweep: `numerics.trainers.gradient_descent` (the fused kernel on the CPU, the batched PyTorch loop elsewhere)
   against the naive loop of a paper's script: one nn.Module + one torch.optim.SGD per network, trained one after
   another. Same networks, instances, step sizes and steps; final losses must agree (`numerics.tolerance`).
   Throughput in network-steps/s, model FLOP/s against the device's measured GEMM peak (and its nominal peak when
   known), and the float32 fast path (checked against float64 with `tolerance.SWEEP_FLOAT32`).
2. sigma_min: σ_min(J_g) from the closed form J Jᵀ (one bmm + eigvalsh) against jacrev + svdvals.
3. checker: the lambdified checkers of `numerics.checkers` against SymPy subs/evalf of the same definitions,
   hypotheses and conclusions, per point and on a 10⁶-point grid.
4. gradient_modes: hypergradients per outer step for an FB layer (`numerics.gradient_modes`): exact DEQ/IFT
   against JFB, K-step JFB and restarted JFB, as the problem size n grows .
   Also against the two strong batched baselines, `torch.func` (stack_module_state + vmap(grad)) and a hand-batched
   bmm + autograd loop, and on its real roof: the step is matrix–vector work on V, so achieved bytes/s of the V
   passes are reported against measured copy bandwidths (DRAM and cache-sized arrays), not GEMM peak.
5. scaling: time per step of the sweep engine against k, b, n and d, with the fitted log–log slopes.
6. jobs: `ipverify verify --jobs 2` against `--jobs 1` on a fixed set of quick-profile claims (fresh processes).
7. start-up: `ipverify list` and `ipverify bound GD-1 gamma=0.4 L=2` against `python -c pass`.

Run: ``python -m benchmarks.bench [--device auto|cpu|cuda] [--repeats 3] [--threads 1] [--only 1,3] [--out DIR]``;
``--quick`` runs tiny sizes (the test suite uses it). Writes DIR/bench_<name>.json and DIR/bench.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks._timing import pairs, print_table, row, timed
from benchmarks.engine import (
    bench_float32_path,
    bench_scaling,
    bench_sigma_min,
    bench_sweep,
    measured_copy_bandwidth,
    measured_gemm_peak,
    print_scaling,
)
from benchmarks.scaling_out import JOBS_CLAIMS, JOBS_CLAIMS_TINY, bench_jobs, bench_startup, print_jobs, print_startup
from ipverify import theory
from ipverify.numerics import _kernel
from ipverify.numerics._device import resolve_device
from ipverify.numerics.checkers import checker


def _sample_values(result, points: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Values for the symbols a result needs (those no definition fills), drawn inside each symbol's domain."""
    defined = {q.name for q in result.definitions}
    values = {}
    for sym in result.symbols:
        if sym.name in defined:
            continue
        dom = sym.domain
        lo = max(dom.lower, 0.0) if math.isfinite(dom.lower) else 0.0
        hi = min(dom.upper, lo + 4.0) if math.isfinite(dom.upper) else lo + 4.0
        if dom.integer:
            values[sym.name] = rng.integers(max(1, math.ceil(lo)), max(2, math.floor(hi)) + 50, points).astype(float)
        else:
            values[sym.name] = rng.uniform(lo + 0.05 * (hi - lo), hi - 0.01 * (hi - lo), points)
    return values


def _real(expr) -> float:
    """float of a SymPy number; NaN where it is complex or undefined (numpy's NaN on the same input)."""
    value = expr.evalf()
    try:
        return float(value)
    except TypeError:
        return math.nan


def _sympy_evaluate(result, point: dict[str, float]) -> list[float]:
    """The baseline: what `Checker.evaluate` computes (definitions, each hypothesis's lhs, rhs and margin, each
    conclusion), by SymPy subs + evalf at one point."""
    subs = {theory.SYMBOLS[name].symbol: value for name, value in point.items()}
    out = []
    progress = True
    while progress:  # the checker's fixed point over the definitions, in its order
        progress = False
        for q in result.definitions:
            sym = theory.SYMBOLS[q.name].symbol
            if sym not in subs and q.expr.free_symbols <= set(subs):
                subs[sym] = _real(q.expr.subs(subs))
                out.append(subs[sym])
                progress = True
    for h in result.hypotheses:
        out += [_real(h.lhs.subs(subs)), _real(h.rhs.subs(subs)), _real(h.margin.subs(subs))]
    out += [_real(q.expr.subs(subs)) for q in result.conclusions]
    return out


def _checker_values(evaluation) -> list:
    out = list(evaluation.derived.values())
    for v in evaluation.hypotheses:
        out += [v.lhs, v.rhs, v.margin]
    return out + list(evaluation.conclusions.values())


def bench_checker(result_id: str, repeats: int, points: int, sympy_points: int = 100) -> list[dict]:
    """Per point (scalar inputs) and on a grid of `points` (arrays). The SymPy baseline is timed on `sympy_points`
    points; its per-point cost is what a grid would cost point by point (SymPy has no vectorised evaluation)."""
    result = theory.get(result_id)
    rng = np.random.default_rng(2)
    grid = _sample_values(result, points, rng)
    sample = [{name: float(v[i]) for name, v in grid.items()} for i in range(sympy_points)]
    ev = checker(result_id)
    conditions = len(result.hypotheses) + len(result.conclusions)
    ref: dict = {}

    def baseline():
        ref["v"] = [_sympy_evaluate(result, point) for point in sample]

    def scalar():
        ref["ours"] = [_checker_values(ev.evaluate(point)) for point in sample]

    def on_grid():
        ref["grid"] = ev.evaluate(grid)

    def fast():
        ref["fast"] = [ev.scalar(point) for point in sample]

    scalar()
    t_base, t_scalar = pairs(baseline, scalar, repeats, torch.device("cpu"))
    ours = np.array(ref["ours"], dtype=float)
    sym = np.array(ref["v"], dtype=float)
    agree = bool(np.allclose(ours, sym, rtol=1e-10, atol=1e-12, equal_nan=True))
    on_grid()
    t_grid = [timed(on_grid, torch.device("cpu")) for _ in range(repeats)]
    grid_vals = np.column_stack([np.broadcast_to(np.asarray(v, dtype=float), (points,))
                                 for v in _checker_values(ref["grid"])])
    grid_agree = bool(np.allclose(grid_vals[:sympy_points], sym, rtol=1e-10, atol=1e-12, equal_nan=True))
    base_per_point = [t / sympy_points for t in t_base]
    common = {"result": result_id, "conditions_per_point": conditions, "sympy_points": sympy_points}
    scalar_row = row("checker", f"{result_id} scalar", base_per_point, [t / sympy_points for t in t_scalar],
                      agree=agree, evaluations_per_s=conditions * sympy_points / statistics.median(t_scalar),
                      **common)
    grid_row = row("checker", f"{result_id} grid 1e{round(math.log10(points))}", base_per_point,
                    [t / points for t in t_grid], points=points, agree=grid_agree,
                    evaluations_per_s=conditions * points / statistics.median(t_grid),
                    note="baseline per point measured on the SymPy sample (a 10⁶-point SymPy run would take "
                         f"~{statistics.median(base_per_point) * points / 3600:.2g} h)", **common)
    fast()
    t_base_again, t_fast = pairs(baseline, fast, repeats, torch.device("cpu"))
    names = [q.name for q in (*result.definitions, *result.conclusions)]
    fast_agree = all(np.allclose([point.get(n, np.nan) for n in names], _named_values(evaluation_of, names),
                                 rtol=1e-12, atol=0, equal_nan=True)
                     for point, evaluation_of in zip(ref["fast"], (ev.evaluate(p) for p in sample), strict=True))
    fast_row = row("checker", f"{result_id} scalar (Checker.scalar)", [t / sympy_points for t in t_base_again],
                   [t / sympy_points for t in t_fast], agree=fast_agree,
                   evaluations_per_s=conditions * sympy_points / statistics.median(t_fast), **common)
    rows = [scalar_row, grid_row, fast_row]
    plain = PLAIN_PYTHON.get(result_id)
    if plain is not None:  # the same formulas written by hand in Python: the floor of a per-point call
        def by_hand():
            ref["plain"] = [plain(**point) for point in sample]

        by_hand()
        t_plain, t_fast_again = pairs(by_hand, fast, repeats, torch.device("cpu"))
        plain_agree = all(np.allclose([mine[n] for n in hand], list(hand.values()), rtol=1e-12, atol=0)
                          for mine, hand in zip(ref["fast"], ref["plain"], strict=True))
        rows.append(row("checker", f"{result_id} scalar vs plain Python", [t / sympy_points for t in t_plain],
                        [t / sympy_points for t in t_fast_again], agree=plain_agree,
                        note="baseline: the result's formulas typed in Python (a ratio < 1: Checker.scalar is "
                             "that many times slower than the hand-written function)", **common))
    return rows


def _named_values(evaluation, names: list[str]) -> list[float]:
    values = {**evaluation.derived, **evaluation.conclusions}
    return [float(values[n]) if n in values else math.nan for n in names]


def _gd1_by_hand(gamma: float, L: float) -> dict[str, float]:
    """GD-1's definitions and conclusions typed in Python (the reference a user would write)."""
    c = 1 / (1 - gamma * L / 2)
    nu = (1 + gamma * L) * c
    return {"nu_1": nu, "c_gamma": c, "nu_1_value": nu, "c_gamma_value": c, "gamma_max_nu1": 1 / L,
            "gamma_max_c": 2 / L}


PLAIN_PYTHON = {"GD-1": _gd1_by_hand}


# ---------------------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------------------
# 4. gradient modes at equilibrium
# ---------------------------------------------------------------------------------------------------------


def _modes_problem(n: int, batch: int, seed: int = 0):
    """Sparse-spike deblurring with a forward–backward ℓ1 layer (`numerics.gradient_modes`)."""
    from ipverify.numerics.gradient_modes import deblurring_problem, hypergradient

    problem = deblurring_problem(n=n, train=batch, val=2, seed=seed)
    op = problem.train_operator()
    loss_fn = problem.loss(problem.x_train)

    def run(mode, K=10, T_blocks=5, solver="iterative", tol=1e-10):
        return hypergradient(mode, op, problem.theta0, loss_fn, op.x_init(), K=K, T_blocks=T_blocks,
                             solver=solver, tol=tol).grad

    return run, "ipverify.numerics.gradient_modes (deblurring_problem, ForwardBackward ℓ1)"


def bench_gradient_modes(n: int, repeats: int, batch: int = 8, K: int = 10, T_blocks: int = 5,
                         dense_ift_up_to: int = 512) -> list[dict]:
    """Seconds per outer step (forward + hypergradient) of each mode against exact DEQ/IFT (adjoint solved by its
    fixed-point iteration with VJPs, as torchdeq), with each mode's relative distance to the IFT gradient."""
    run, source = _modes_problem(n, batch)
    grads: dict = {}
    modes = [("JFB", "jfb", {}), (f"K-step (K={K})", "grad=K", {"K": K}),
             (f"restarted (K={K}, T={T_blocks})", "restarted", {"K": K, "T_blocks": T_blocks})]
    if n <= dense_ift_up_to:
        modes.append(("IFT dense solve", "ift", {"solver": "solve"}))

    def baseline():
        grads["ift"] = run("ift", solver="iterative")

    rows = []
    for label, mode, kw in modes:
        def ours(mode=mode, kw=kw, label=label):
            grads[label] = run(mode, **kw)

        ours()
        t_base, t_ours = pairs(baseline, ours, repeats, torch.device("cpu"))
        ref = grads["ift"]
        rel = float((grads[label] - ref).norm() / ref.norm())
        rows.append(row("gradient_modes", f"n={n} {label}", t_base, t_ours, n=n, batch=batch, mode=mode,
                         grad_rel_error_vs_ift=rel, source=source))
    return rows


# ---------------------------------------------------------------------------------------------------------
# 5. scaling of the sweep engine
# ---------------------------------------------------------------------------------------------------------



def machine_info(device: torch.device) -> dict:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    info = {"cpu": cpu, "cpu_count": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
            "device": str(device), "torch_threads": torch.get_num_threads(),
            "kernel_threads": _kernel.kernel_threads(), "kernel": _kernel.kernel_available(),
            "load_average_start": os.getloadavg()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


SIZES = {
    "full": {"sweep": [64, 256], "sweep_baseline": {256: 32}, "f32_baseline": 16, "steps": 500, "n": 64, "m": 32,
             "d": 16, "k": 512, "sigma_k": [256, 1024, 4096], "checker_points": 1_000_000, "sympy_points": 100,
             "checker_ids": ["GD-1", "GD-4"], "modes_n": [32, 128, 512, 2048], "scaling": None, "scaling_steps": 200,
             "jobs_claims": JOBS_CLAIMS, "bandwidth_mb": (1024, 0.25)},
    "quick": {"sweep": [4], "sweep_baseline": {}, "f32_baseline": 2, "steps": 20, "n": 8, "m": 4, "d": 3, "k": 16,
              "sigma_k": [16], "checker_points": 1000, "sympy_points": 5, "checker_ids": ["GD-1"], "modes_n": [8],
              "scaling": {"k": [8, 16], "b": [2, 4], "n": [4, 8], "d": [2, 4]}, "scaling_steps": 5,
              "jobs_claims": JOBS_CLAIMS_TINY, "bandwidth_mb": (16, 0.25)},
}


def run_suite(device: torch.device, repeats: int, only: set[int], out: Path, sizes: dict) -> dict:
    report = {"machine": machine_info(device), "benchmarks": {}}
    geometry = {key: sizes[key] for key in ("n", "m", "d", "k", "steps")}

    def save(name: str, rows: list[dict]) -> None:
        report["benchmarks"][name] = rows
        (out / f"bench_{name}.json").write_text(json.dumps(rows, indent=2, default=str))

    if 1 in only:
        print("[1/7 sweep ...]", file=sys.stderr, flush=True)
        rows = []
        peak64 = measured_gemm_peak(device, torch.float64)
        dram_mb, cache_mb = sizes["bandwidth_mb"]
        bandwidth = {"dram": measured_copy_bandwidth(device, dram_mb), "L2": measured_copy_bandwidth(device, cache_mb)}
        report["machine"].update({f"copy_bandwidth_{k}_bytes_per_s": v for k, v in bandwidth.items()},
                                 copy_bandwidth_sizes_mb=[dram_mb, cache_mb])
        for b in sizes["sweep"]:
            rows.append(bench_sweep(device, b, repeats, baseline_networks=sizes["sweep_baseline"].get(b), peak=peak64,
                                    bandwidth=bandwidth, **geometry))
        for b in sizes["sweep"]:
            rows.append(bench_float32_path(device, b, repeats, baseline_networks=sizes["f32_baseline"],
                                           bandwidth=bandwidth, **geometry))
        print_table(f"1. sweep: GD engine vs naive nn.Module + SGD loop (n={sizes['n']} m={sizes['m']} "
                     f"d={sizes['d']} k={sizes['k']}, {sizes['steps']} steps)", rows,
                     [("agree", "final_losses_agree"), ("net-steps/s", "network_steps_per_s"),
                      ("FLOP/s", "flops_per_s"), ("of GEMM peak", "fraction_of_gemm_peak"), ("engine", "engine"),
                      ("PyTorch loop", "torch_loop_s")])
        print_table("1b. sweep: GD engine vs the strong batched baselines (all networks)", rows[:len(sizes["sweep"])],
                     [("vs torch.func", "speedup_vs_torch.func"), ("agree", "torch.func_final_losses_agree"),
                      ("vs bmm+autograd", "speedup_vs_bmm+autograd"), ("agree", "bmm+autograd_final_losses_agree"),
                      ("bytes/s (V passes)", "bytes_per_s"), ("of DRAM copy", "fraction_of_dram_bandwidth"),
                      ("of L2 copy", "fraction_of_L2_bandwidth"), ("working set B", "working_set_bytes")])
        print(f"  copy bandwidth: {bandwidth['dram'] / 1e9:.3g} GB/s ({dram_mb} MB arrays), "
              f"{bandwidth['L2'] / 1e9:.3g} GB/s ({cache_mb} MB arrays, the size of one network's V)")
        save("sweep", rows)
    if 2 in only:
        print("[2/7 sigma_min ...]", file=sys.stderr, flush=True)
        rows = [bench_sigma_min(device, k, repeats) for k in sizes["sigma_k"]]
        print_table("2. sigma_min(J_g), n=64: closed form J Jᵀ vs jacrev + svdvals", rows,
                     [("agree", "agree"), ("p", "p")])
        save("sigma_min", rows)
    if 3 in only:
        print("[3/7 checker ...]", file=sys.stderr, flush=True)
        rows = [r for rid in sizes["checker_ids"]
                for r in bench_checker(rid, repeats, sizes["checker_points"], sizes["sympy_points"])]
        print_table("3. checkers: lambdified vs SymPy subs/evalf (time per point)", rows,
                     [("agree", "agree"), ("conditions/s", "evaluations_per_s")])
        save("checker", rows)
    if 4 in only:
        print("[4/7 gradient_modes ...]", file=sys.stderr, flush=True)
        rows = [r for n in sizes["modes_n"] for r in bench_gradient_modes(n, repeats)]
        print_table("4. gradient modes per outer step, vs exact DEQ/IFT (adjoint fixed point)", rows,
                     [("rel. grad error vs IFT", "grad_rel_error_vs_ift")])
        print(f"  source: {rows[0]['source']}")
        save("gradient_modes", rows)
    if 5 in only:
        print("[5/7 scaling ...]", file=sys.stderr, flush=True)
        rows = bench_scaling(device, repeats, steps=sizes["scaling_steps"], grid=sizes["scaling"],
                             base=None if sizes["scaling"] is None else {"b": 2, "n": 4, "m": 3, "d": 2, "k": 8})
        print_scaling(rows)
        save("scaling", rows)
    if 6 in only:
        print("[6/7 jobs ...]", file=sys.stderr, flush=True)
        r = bench_jobs(sizes["jobs_claims"], repeats)
        print_jobs(r)
        save("jobs", [r])
    if 7 in only:
        print("[7/7 start-up ...]", file=sys.stderr, flush=True)
        rows = bench_startup(repeats)
        print_startup(rows)
        save("startup", rows)
    report["machine"]["load_average_end"] = os.getloadavg()
    (out / "bench.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="ipverify-bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads and fused-kernel threads (default 1; see BENCHMARKS.md)")
    parser.add_argument("--kernel-threads", type=int, default=None, help="fused-kernel threads (default: --threads)")
    parser.add_argument("--only", default="1,2,3,4,5,6,7", help="comma-separated benchmark numbers")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--out", default="bench-out")
    args = parser.parse_args(argv)
    try:
        device = resolve_device(args.device)
        only = {int(x) for x in args.only.split(",") if x.strip()}
    except ValueError as exc:
        print(f"ipverify-bench: error: {exc}", file=sys.stderr)
        return 2
    if args.repeats < 1 or args.threads < 1 or not only <= set(range(1, 8)):
        print("ipverify-bench: error: --repeats and --threads must be >= 1, --only within 1..7", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    _kernel.KERNEL_THREADS = args.kernel_threads or args.threads
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report = run_suite(device, args.repeats, only, out, SIZES["quick" if args.quick else "full"])
    info = report["machine"]
    print(f"\nmachine: {info['cpu']} ({info['cpu_count']} cores), torch {info['torch']}, device {info['device']}, "
          f"threads {info['torch_threads']} (kernel {info['kernel_threads']}), load average "
          f"{info['load_average_start'][0]:.2f} -> {info['load_average_end'][0]:.2f}")
    print(f"wrote {out / 'bench.json'} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
