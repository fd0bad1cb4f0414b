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
   against JFB, K-step JFB and restarted JFB, as the problem size n grows (a self-contained FB layer is used if
   that module is unavailable).
5. scaling: time per step of the sweep engine against k, b, n and d, with the fitted log–log slopes.

Run: ``python -m verify.bench [--device auto|cpu|cuda] [--repeats 3] [--threads 1] [--only 1,3] [--out DIR]``;
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
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sympy as sp
import torch

import theory
from numerics import _kernel, trainers
from numerics._device import resolve_device
from numerics.activations import get_activation
from numerics.checkers import checker
from numerics.tolerance import SWEEP_FLOAT32, above, below
from numerics.two_layer import (
    TwoLayerParams,
    init_two_layer,
    jacobian_norm,
    operator_norm,
    sigma_min_autograd,
    sigma_min_closed_form,
)

# ---------------------------------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------------------------------


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], object], device: torch.device) -> float:
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def _pairs(baseline: Callable[[], object], ours: Callable[[], object], repeats: int,
           device: torch.device) -> tuple[list[float], list[float]]:
    """Interleaved timings (baseline, ours) × repeats."""
    t_base, t_ours = [], []
    for _ in range(repeats):
        t_base.append(_timed(baseline, device))
        t_ours.append(_timed(ours, device))
    return t_base, t_ours


def _row(benchmark: str, case: str, t_base: list[float], t_ours: list[float], *, base_scale: float = 1.0,
         per: float = 1.0, **extra) -> dict:
    """Median times (× base_scale for an extrapolated baseline, / per for per-item times) and the ratio spread."""
    base = [t * base_scale / per for t in t_base]
    ours = [t / per for t in t_ours]
    ratios = [b / o for b, o in zip(base, ours, strict=True)]
    return {"benchmark": benchmark, "case": case, "baseline_s": statistics.median(base),
            "ours_s": statistics.median(ours), "speedup_median": statistics.median(ratios),
            "speedup_min": min(ratios), "speedup_max": max(ratios), "repeats": len(ratios), **extra}


def _fmt_s(t: float) -> str:
    if t >= 1:
        return f"{t:.3g} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    if t >= 1e-6:
        return f"{t * 1e6:.3g} µs"
    return f"{t * 1e9:.3g} ns"


def _print_table(title: str, rows: list[dict], columns: list[tuple[str, str]]) -> None:
    print(f"\n== {title} ==", flush=True)
    header = ["case", "baseline", "ours", "speedup (median [min, max])"] + [name for name, _ in columns]
    lines = []
    for r in rows:
        cells = [r["case"], _fmt_s(r["baseline_s"]), _fmt_s(r["ours_s"]),
                 f"{r['speedup_median']:.3g}x [{r['speedup_min']:.3g}, {r['speedup_max']:.3g}]"]
        for _, key in columns:
            v = r.get(key)
            cells.append(f"{v:.3g}" if isinstance(v, float) else str(v))
        lines.append(cells)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *lines, strict=True)]
    for cells in [header, *lines]:
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)))
    for r in rows:
        if r.get("note"):
            print(f"  note ({r['case']}): {r['note']}")
    sys.stdout.flush()


# ---------------------------------------------------------------------------------------------------------
# 1. sweep engine against the naive loop
# ---------------------------------------------------------------------------------------------------------


class _Net(torch.nn.Module):
    def __init__(self, W, V, act):
        super().__init__()
        self.W, self.V, self.act = torch.nn.Parameter(W.clone()), torch.nn.Parameter(V.clone()), act

    def forward(self, u):
        return self.V @ self.act.phi(self.W @ u) / self.W.shape[0] ** 0.5


def _naive_loop(A, y, params0: TwoLayerParams, u, act, gamma, steps) -> torch.Tensor:
    """A paper's script: one nn.Module and one torch.optim.SGD per network, trained one after another."""
    gammas = torch.as_tensor(gamma, dtype=torch.float64).expand(params0.b).tolist()
    losses = []
    for i in range(params0.b):
        net = _Net(params0.W[i], params0.V[i], act)
        opt = torch.optim.SGD(net.parameters(), lr=gammas[i])
        for _ in range(steps):
            opt.zero_grad()
            loss = 0.5 * (A @ net(u[i]) - y[i]).square().sum()
            loss.backward()
            opt.step()
        with torch.no_grad():
            losses.append(0.5 * (A @ net(u[i]) - y[i]).square().sum())
    return torch.stack(losses)


def _sweep_problem(b: int, n: int, m: int, d: int, k: int, device, dtype, seed: int = 0):
    """b networks, a shared Gaussian A (m, n), y ~ N(0, I_m) per network, and a sweep of step sizes
    γ_i = c_i/(‖A‖²‖J_g(θ₀)‖²), c_i from 0.1 to 0.5 (the papers' protocol uses 0.2). Drawn in float64 on the CPU,
    then cast, so that every dtype and device trains the same instances."""
    gen = torch.Generator().manual_seed(seed)
    act = get_activation("tanh")
    net = init_two_layer(b, n, d, k, gen, act)
    A = torch.randn(m, n, generator=gen, dtype=torch.float64) / math.sqrt(n)
    y = torch.randn(b, m, generator=gen, dtype=torch.float64)
    curvature = operator_norm(A) ** 2 * jacobian_norm(net.params0, net.u, act) ** 2
    gamma = torch.linspace(0.1, 0.5, b, dtype=torch.float64) / curvature
    cast = {"dtype": dtype, "device": device}
    params0 = TwoLayerParams(net.params0.W.to(**cast), net.params0.V.to(**cast))
    return A.to(**cast), y.to(**cast), params0, net.u.to(**cast), act, gamma.to(**cast)


def _subset(params: TwoLayerParams, count: int) -> TwoLayerParams:
    return TwoLayerParams(params.W[:count], params.V[:count])


def _engine(device: torch.device, dtype: torch.dtype) -> str:
    if device.type == "cpu" and dtype in (torch.float32, torch.float64) and _kernel.kernel_available():
        return "fused C kernel"
    return "PyTorch loop"


@contextlib.contextmanager
def _kernel_enabled(enabled: bool):
    saved = _kernel.USE_KERNEL
    _kernel.USE_KERNEL = enabled
    try:
        yield
    finally:
        _kernel.USE_KERNEL = saved


def sweep_flops_per_network_step(n: int, m: int, k: int) -> int:
    """Model FLOPs of one GD step of one network: V a, Vᵀs and the rank-one update of V (2nk each), A x and
    Aᵀr (2mn each); the O(k) elementwise work is not counted."""
    return 6 * n * k + 4 * m * n


NOMINAL_PEAK_TFLOPS = {  # vendor datasheet figures (dense, no tensor-core sparsity): (float64, float32)
    "H100 SXM": (67.0, 67.0), "H100 NVL": (60.0, 60.0), "H100 PCIe": (51.0, 51.0), "H100": (51.0, 51.0),
    "H200": (67.0, 67.0), "A100": (19.5, 19.5), "L40S": (1.4, 91.6), "V100": (7.8, 15.7),
}


def _nominal_peak(device: torch.device, dtype: torch.dtype) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, (fp64, fp32) in NOMINAL_PEAK_TFLOPS.items():
        if key in name:
            return 1e12 * (fp64 if dtype == torch.float64 else fp32)
    return None


def measured_gemm_peak(device: torch.device, dtype: torch.dtype, size: int | None = None) -> float:
    """FLOP/s of a large square matmul in `dtype` on `device` (best of 3): the achievable peak of the BLAS."""
    size = size or (8192 if device.type == "cuda" else 1024)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=gen, dtype=dtype).to(device)
    b = torch.randn(size, size, generator=gen, dtype=dtype).to(device)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b), device) for _ in range(3))
    return 2 * size**3 / best


def bench_sweep(device: torch.device, b: int, repeats: int, *, n: int = 64, m: int = 32, d: int = 16, k: int = 512,
                steps: int = 500, dtype: torch.dtype = torch.float64, baseline_networks: int | None = None,
                torch_loop: bool = True, peak: float | None = None) -> dict:
    """The sweep engine against the naive loop, on the same b networks (the baseline on the first
    ``baseline_networks`` of them when given, its time scaled by b/baseline_networks: the naive loop trains the
    networks one after another, so its cost is linear in their number by construction)."""
    A, y, params0, u, act, gamma = _sweep_problem(b, n, m, d, k, device, dtype)
    nb = min(b, baseline_networks or b)
    sub, u_sub, y_sub, g_sub = _subset(params0, nb), u[:nb], y[:nb], gamma[:nb]
    out: dict = {}

    def ours():
        out["traj"] = trainers.gradient_descent(A, y, params0, u, act, gamma, steps, record_every=steps)

    def baseline():
        out["naive"] = _naive_loop(A, y_sub, sub, u_sub, act, g_sub, steps)

    trainers.gradient_descent(A, y, params0, u, act, gamma, 2, record_every=2)  # builds/loads the kernel
    _naive_loop(A, y_sub[:1], _subset(sub, 1), u_sub[:1], act, g_sub[:1], 2)  # autograd warm-up
    t_base, t_ours = _pairs(baseline, ours, repeats, device)
    traj = out["traj"]
    final, loss0 = traj.loss[:nb, -1], traj.loss[:nb, 0]
    agree = below(final, out["naive"], dtype, loss0) & above(final, out["naive"], dtype, loss0)
    max_rel = float(((final - out["naive"]).abs() / loss0).max())
    extra = {}
    if torch_loop and _engine(device, dtype) == "fused C kernel":  # informational: one timing
        with _kernel_enabled(False):
            extra["torch_loop_s"] = _timed(ours, device)
    flops = sweep_flops_per_network_step(n, m, k) * b * steps
    t_med = statistics.median(t_ours)
    peak = peak if peak is not None else measured_gemm_peak(device, dtype)
    nominal = _nominal_peak(device, dtype)
    note = None
    if nb < b:
        note = f"baseline timed on {nb} of the {b} networks and scaled by {b / nb:g} (linear by construction)"
    dtype_name = str(dtype).removeprefix("torch.")
    return _row("sweep", f"b={b} {dtype_name}", t_base, t_ours, base_scale=b / nb,
                networks=b, baseline_networks=nb, n=n, m=m, d=d, k=k, steps=steps,
                dtype=dtype_name, engine=_engine(device, dtype), threads=_kernel.kernel_threads(),
                final_losses_agree=bool(agree.all()), max_loss_diff_over_loss0=max_rel,
                network_steps_per_s=b * steps / t_med,
                baseline_network_steps_per_s=nb * steps / statistics.median(t_base),
                flops_per_s=flops / t_med, gemm_peak_flops_per_s=peak, fraction_of_gemm_peak=flops / t_med / peak,
                nominal_peak_flops_per_s=nominal,
                fraction_of_nominal_peak=flops / t_med / nominal if nominal else None, note=note,
                final_loss=final.tolist() if b <= 8 else None, **extra)


def bench_float32_path(device: torch.device, b: int, repeats: int, *, baseline_networks: int | None = None,
                       **sizes) -> dict:
    """The float32 fast path: the sweep engine in float32 against the naive loop in float32, with the final losses
    checked against the float64 engine on the same instances (`tolerance.SWEEP_FLOAT32`)."""
    row = bench_sweep(device, b, repeats, dtype=torch.float32, baseline_networks=baseline_networks,
                      torch_loop=False, **sizes)
    steps = sizes.get("steps", 500)
    A, y, params0, u, act, gamma = _sweep_problem(b, sizes.get("n", 64), sizes.get("m", 32), sizes.get("d", 16),
                                                  sizes.get("k", 512), device, torch.float64)
    ref = trainers.gradient_descent(A, y, params0, u, act, gamma, steps, record_every=steps)
    A32, y32, p32, u32, _, g32 = _sweep_problem(b, sizes.get("n", 64), sizes.get("m", 32), sizes.get("d", 16),
                                                sizes.get("k", 512), device, torch.float32)
    fast = trainers.gradient_descent(A32, y32, p32, u32, act, g32, steps, record_every=steps)
    f64, f32, loss0 = ref.loss[:, -1], fast.loss[:, -1].to(torch.float64), ref.loss[:, 0]
    rtol, atol = SWEEP_FLOAT32
    within = (f32 - f64).abs() <= rtol * f64.abs() + atol * loss0
    row.update(float32_agrees_with_float64=bool(within.all()),
               float32_max_diff_over_loss0=float(((f32 - f64).abs() / loss0).max()), tolerance=list(SWEEP_FLOAT32))
    return row


# ---------------------------------------------------------------------------------------------------------
# 2. σ_min(J_g): closed form against jacrev + SVD
# ---------------------------------------------------------------------------------------------------------


def bench_sigma_min(device: torch.device, k: int, repeats: int, n: int = 64, d: int = 16, b: int = 2) -> dict:
    generator = torch.Generator().manual_seed(1)
    net = init_two_layer(b, n, d, k, generator, get_activation("tanh"), device=device)
    closed, auto = {}, {}

    def baseline():
        auto["v"] = sigma_min_autograd(net.params0, net.u, net.act)

    def ours():
        closed["v"] = sigma_min_closed_form(net.params0, net.u, net.act)

    ours()
    t_base, t_ours = _pairs(baseline, ours, repeats, device)
    agree = bool(torch.allclose(closed["v"], auto["v"], rtol=1e-9, atol=1e-12))
    return _row("sigma_min", f"k={k}", t_base, t_ours, n=n, d=d, k=k, networks=b, p=k * (n + d), agree=agree,
                max_rel_diff=float(((closed["v"] - auto["v"]).abs() / auto["v"].abs()).max()))


# ---------------------------------------------------------------------------------------------------------
# 3. generated checkers against SymPy subs/evalf
# ---------------------------------------------------------------------------------------------------------


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

    scalar()
    t_base, t_scalar = _pairs(baseline, scalar, repeats, torch.device("cpu"))
    ours = np.array(ref["ours"], dtype=float)
    sym = np.array(ref["v"], dtype=float)
    agree = bool(np.allclose(ours, sym, rtol=1e-10, atol=1e-12, equal_nan=True))
    on_grid()
    t_grid = [_timed(on_grid, torch.device("cpu")) for _ in range(repeats)]
    grid_vals = np.column_stack([np.broadcast_to(np.asarray(v, dtype=float), (points,))
                                 for v in _checker_values(ref["grid"])])
    grid_agree = bool(np.allclose(grid_vals[:sympy_points], sym, rtol=1e-10, atol=1e-12, equal_nan=True))
    base_per_point = [t / sympy_points for t in t_base]
    common = {"result": result_id, "conditions_per_point": conditions, "sympy_points": sympy_points}
    scalar_row = _row("checker", f"{result_id} scalar", base_per_point, [t / sympy_points for t in t_scalar],
                      agree=agree, evaluations_per_s=conditions * sympy_points / statistics.median(t_scalar),
                      **common)
    grid_row = _row("checker", f"{result_id} grid 1e{round(math.log10(points))}", base_per_point,
                    [t / points for t in t_grid], points=points, agree=grid_agree,
                    evaluations_per_s=conditions * points / statistics.median(t_grid),
                    note="baseline per point measured on the SymPy sample (a 10⁶-point SymPy run would take "
                         f"~{statistics.median(base_per_point) * points / 3600:.2g} h)", **common)
    return [scalar_row, grid_row]


# ---------------------------------------------------------------------------------------------------------
# 4. gradient modes at equilibrium
# ---------------------------------------------------------------------------------------------------------


class _FBLayer:
    """Self-contained fallback: T(x, θ) = soft(x − τAᵀ(Ax − y), τλ), θ = (log τ, log λ), rows of x independent."""

    def __init__(self, matrix: torch.Tensor, y: torch.Tensor, tau: float = 1.0, lam: float = 0.05):
        self.matrix, self.y = matrix, y
        self.theta0 = torch.tensor([math.log(tau), math.log(lam)], dtype=torch.float64)

    def __call__(self, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        tau, lam = theta[0].exp(), theta[1].exp()
        z = x - tau * ((x @ self.matrix.T - self.y) @ self.matrix)
        return torch.sign(z) * torch.relu(z.abs() - tau * lam)

    def x_init(self) -> torch.Tensor:
        return torch.zeros_like(self.y)


def _fallback_modes(op, theta, loss_fn, x_init, mode: str, K: int, T_blocks: int, tol: float):
    """IFT (adjoint fixed point by VJPs), JFB, K-step JFB and restarted JFB for `_FBLayer` (no other module)."""
    def solve(x):
        with torch.no_grad():
            for _ in range(20000):
                nxt = op(x, theta)
                if float((nxt - x).norm()) <= tol * max(1.0, float(nxt.norm())):
                    return nxt
                x = nxt
        return x

    def k_step(x_start, k):
        th = theta.detach().clone().requires_grad_(True)
        x = x_start.detach()
        for _ in range(k):
            x = op(x, th)
        return torch.autograd.grad(loss_fn(x), th)[0]

    if mode == "restarted":
        x = x_init
        with torch.no_grad():
            for _ in range(T_blocks * K):
                x = op(x, theta)
        return k_step(x, K)
    x_star = solve(x_init)
    if mode == "jfb":
        return k_step(x_star, 1)
    if mode == "grad=K":
        return k_step(x_star, K)
    xs = x_star.detach().requires_grad_(True)
    v = torch.autograd.grad(loss_fn(xs), xs)[0]
    fx = op(xs, theta.detach())
    w = v.clone()
    for _ in range(20000):
        nxt = torch.autograd.grad(fx, xs, grad_outputs=w, retain_graph=True)[0] + v
        done = float((nxt - w).norm()) <= tol * max(1.0, float(nxt.norm()))
        w = nxt
        if done:
            break
    th = theta.detach().clone().requires_grad_(True)
    return torch.autograd.grad(op(x_star.detach(), th), th, grad_outputs=w)[0]


def _modes_problem(n: int, batch: int, seed: int = 0):
    """Sparse-spike deblurring with an FB layer: `numerics.gradient_modes` when it works, else `_FBLayer`."""
    try:
        from numerics.gradient_modes import deblurring_problem, hypergradient

        problem = deblurring_problem(n=n, train=batch, val=2, seed=seed)
        op = problem.train_operator()
        loss_fn = problem.loss(problem.x_train)

        def run(mode, K=10, T_blocks=5, solver="iterative", tol=1e-10):
            return hypergradient(mode, op, problem.theta0, loss_fn, op.x_init(), K=K, T_blocks=T_blocks,
                                 solver=solver, tol=tol).grad

        run("jfb")
        return run, "numerics.gradient_modes (deblurring_problem, ForwardBackward ℓ1)"
    except Exception as exc:  # the module is another agent's work in progress: fall back, and say so
        gen = torch.Generator().manual_seed(seed)
        idx = torch.arange(n, dtype=torch.float64)
        diff = (idx[:, None] - idx[None, :]).abs()
        dist = torch.minimum(diff, n - diff)
        blur = torch.exp(-0.5 * (dist / 0.6) ** 2)
        blur = blur / blur.sum(dim=1, keepdim=True)
        x_true = torch.randn(batch, n, generator=gen, dtype=torch.float64) * (
            torch.rand(batch, n, generator=gen, dtype=torch.float64) < 0.15)
        y = x_true @ blur.T + 0.05 * torch.randn(batch, n, generator=gen, dtype=torch.float64)
        op = _FBLayer(blur, y, tau=1.5, lam=0.02)

        def loss_fn(x):
            return ((x - x_true) ** 2).mean()

        def run(mode, K=10, T_blocks=5, solver="iterative", tol=1e-10):
            return _fallback_modes(op, op.theta0, loss_fn, op.x_init(), mode, K, T_blocks, tol)

        return run, f"self-contained FB layer in verify/bench.py ({type(exc).__name__}: {exc})"


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
        t_base, t_ours = _pairs(baseline, ours, repeats, torch.device("cpu"))
        ref = grads["ift"]
        rel = float((grads[label] - ref).norm() / ref.norm())
        rows.append(_row("gradient_modes", f"n={n} {label}", t_base, t_ours, n=n, batch=batch, mode=mode,
                         grad_rel_error_vs_ift=rel, source=source))
    return rows


# ---------------------------------------------------------------------------------------------------------
# 5. scaling of the sweep engine
# ---------------------------------------------------------------------------------------------------------


def _slope(xs: list[float], ts: list[float]) -> float:
    """Least-squares slope of log t against log x."""
    lx, lt = np.log(np.asarray(xs, dtype=float)), np.log(np.asarray(ts, dtype=float))
    return float(np.polyfit(lx, lt, 1)[0])


def bench_scaling(device: torch.device, repeats: int, steps: int = 100, base: dict | None = None,
                  grid: dict | None = None) -> list[dict]:
    """Seconds per GD step of the sweep engine as one of b, k, n, d varies (the others at `base`), and the
    fitted log–log slope; the model cost is O(b·k·(n + d)) per step."""
    base = base or {"b": 32, "n": 64, "m": 32, "d": 16, "k": 512}
    grid = grid or {"k": [128, 256, 512, 1024, 2048, 4096], "b": [8, 16, 32, 64, 128, 256],
                    "n": [16, 32, 64, 128, 256], "d": [4, 16, 64, 256]}
    rows = []
    for name, values in grid.items():
        times = []
        for value in values:
            sizes = {**base, name: value}
            A, y, params0, u, act, gamma = _sweep_problem(sizes["b"], sizes["n"], sizes["m"], sizes["d"], sizes["k"],
                                                          device, torch.float64)

            def run(A=A, y=y, params0=params0, u=u, act=act, gamma=gamma):
                trainers.gradient_descent(A, y, params0, u, act, gamma, steps, record_every=steps)

            run()
            times.append(statistics.median(_timed(run, device) for _ in range(repeats)) / steps)
        slope = _slope(values, times)
        rows.append({"benchmark": "scaling", "case": f"vs {name}", "variable": name, "values": values,
                     "seconds_per_step": times, "slope": slope, "expected_slope": _expected_slope(name, base),
                     "base": base, "steps": steps, "engine": _engine(device, torch.float64)})
    return rows


def _expected_slope(name: str, base: dict) -> float:
    """The log–log slope of b·k·(n + d) in `name` at the base point (1 for b and k; n/(n + d), d/(n + d))."""
    n, d = base["n"], base["d"]
    return {"b": 1.0, "k": 1.0, "n": n / (n + d), "d": d / (n + d)}[name]


def _print_scaling(rows: list[dict]) -> None:
    print("\n== 5. scaling: sweep engine, seconds per GD step (float64) ==")
    for r in rows:
        cells = ", ".join(f"{v}: {_fmt_s(t)}" for v, t in zip(r["values"], r["seconds_per_step"], strict=True))
        print(f"  {r['case']:7s} slope {r['slope']:.2f} (model {r['expected_slope']:.2f})   {cells}", flush=True)


# ---------------------------------------------------------------------------------------------------------
# driver
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
             "checker_ids": ["GD-1", "GD-4"], "modes_n": [32, 128, 512, 2048], "scaling": None, "scaling_steps": 200},
    "quick": {"sweep": [4], "sweep_baseline": {}, "f32_baseline": 2, "steps": 20, "n": 8, "m": 4, "d": 3, "k": 16,
              "sigma_k": [16], "checker_points": 1000, "sympy_points": 5, "checker_ids": ["GD-1"], "modes_n": [8],
              "scaling": {"k": [8, 16], "b": [2, 4], "n": [4, 8], "d": [2, 4]}, "scaling_steps": 5},
}


def run_suite(device: torch.device, repeats: int, only: set[int], out: Path, sizes: dict) -> dict:
    report = {"machine": machine_info(device), "benchmarks": {}}
    geometry = {key: sizes[key] for key in ("n", "m", "d", "k", "steps")}

    def save(name: str, rows: list[dict]) -> None:
        report["benchmarks"][name] = rows
        (out / f"bench_{name}.json").write_text(json.dumps(rows, indent=2, default=str))

    if 1 in only:
        print("[1/5 sweep ...]", file=sys.stderr, flush=True)
        rows = []
        peak64 = measured_gemm_peak(device, torch.float64)
        for b in sizes["sweep"]:
            rows.append(bench_sweep(device, b, repeats, baseline_networks=sizes["sweep_baseline"].get(b), peak=peak64,
                                    **geometry))
        for b in sizes["sweep"]:
            rows.append(bench_float32_path(device, b, repeats, baseline_networks=sizes["f32_baseline"], **geometry))
        _print_table(f"1. sweep: GD engine vs naive nn.Module + SGD loop (n={sizes['n']} m={sizes['m']} "
                     f"d={sizes['d']} k={sizes['k']}, {sizes['steps']} steps)", rows,
                     [("agree", "final_losses_agree"), ("net-steps/s", "network_steps_per_s"),
                      ("FLOP/s", "flops_per_s"), ("of GEMM peak", "fraction_of_gemm_peak"), ("engine", "engine"),
                      ("PyTorch loop", "torch_loop_s")])
        save("sweep", rows)
    if 2 in only:
        print("[2/5 sigma_min ...]", file=sys.stderr, flush=True)
        rows = [bench_sigma_min(device, k, repeats) for k in sizes["sigma_k"]]
        _print_table("2. sigma_min(J_g), n=64: closed form J Jᵀ vs jacrev + svdvals", rows,
                     [("agree", "agree"), ("p", "p")])
        save("sigma_min", rows)
    if 3 in only:
        print("[3/5 checker ...]", file=sys.stderr, flush=True)
        rows = [r for rid in sizes["checker_ids"]
                for r in bench_checker(rid, repeats, sizes["checker_points"], sizes["sympy_points"])]
        _print_table("3. checkers: lambdified vs SymPy subs/evalf (time per point)", rows,
                     [("agree", "agree"), ("conditions/s", "evaluations_per_s")])
        save("checker", rows)
    if 4 in only:
        print("[4/5 gradient_modes ...]", file=sys.stderr, flush=True)
        rows = [r for n in sizes["modes_n"] for r in bench_gradient_modes(n, repeats)]
        _print_table("4. gradient modes per outer step, vs exact DEQ/IFT (adjoint fixed point)", rows,
                     [("rel. grad error vs IFT", "grad_rel_error_vs_ift")])
        print(f"  source: {rows[0]['source']}")
        save("gradient_modes", rows)
    if 5 in only:
        print("[5/5 scaling ...]", file=sys.stderr, flush=True)
        rows = bench_scaling(device, repeats, steps=sizes["scaling_steps"], grid=sizes["scaling"],
                             base=None if sizes["scaling"] is None else {"b": 2, "n": 4, "m": 3, "d": 2, "k": 8})
        _print_scaling(rows)
        save("scaling", rows)
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
    parser.add_argument("--only", default="1,2,3,4,5", help="comma-separated benchmark numbers")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--out", default="bench-out")
    args = parser.parse_args(argv)
    try:
        device = resolve_device(args.device)
        only = {int(x) for x in args.only.split(",") if x.strip()}
    except ValueError as exc:
        print(f"ipverify-bench: error: {exc}", file=sys.stderr)
        return 2
    if args.repeats < 1 or args.threads < 1 or not only <= {1, 2, 3, 4, 5}:
        print("ipverify-bench: error: --repeats and --threads must be >= 1, --only within 1..5", file=sys.stderr)
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
