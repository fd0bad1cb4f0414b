"""Benchmarks of the GD sweep engine (against the naive loop and the strong batched baselines, its memory
roofline, the float32 path, scaling in k, b, n, d) and of the
closed-form σ_min(J_g)."""

from __future__ import annotations

import contextlib
import math
import statistics

import numpy as np
import torch

from benchmarks._timing import fmt_s, pairs, row, timed
from ipverify.numerics import _kernel, trainers
from ipverify.numerics.activations import get_activation
from ipverify.numerics.tolerance import SWEEP_FLOAT32, above, below
from ipverify.numerics.two_layer import (
    TwoLayerParams,
    init_two_layer,
    jacobian_norm,
    operator_norm,
    sigma_min_autograd,
    sigma_min_closed_form,
)

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


def _func_loop(A, y, params0: TwoLayerParams, u, act, gamma, steps) -> torch.Tensor:
    """A strong baseline: the same `_Net` for every network, its parameters stacked (`torch.func.stack_module_state`)
    and one vectorised gradient per step (`vmap(grad(loss))` over the networks)."""
    from torch.func import functional_call, grad, stack_module_state, vmap

    nets = [_Net(params0.W[i], params0.V[i], act) for i in range(params0.b)]
    params, _ = stack_module_state(nets)
    params = {name: p.detach() for name, p in params.items()}
    template = nets[0]

    def loss(p, u_i, y_i):
        return 0.5 * (A @ functional_call(template, p, (u_i,)) - y_i).square().sum()

    gradient = vmap(grad(loss))
    lr = torch.as_tensor(gamma, dtype=params0.W.dtype, device=params0.W.device).expand(params0.b)[:, None, None]
    for _ in range(steps):
        g = gradient(params, u, y)
        params = {name: p - lr * g[name] for name, p in params.items()}
    return vmap(loss)(params, u, y)


def _bmm_loop(A, y, params0: TwoLayerParams, u, act, gamma, steps) -> torch.Tensor:
    """A strong baseline: all networks in one hand-batched forward (bmm), one autograd backward per step."""
    W, V = params0.W.clone(), params0.V.clone()
    lr = torch.as_tensor(gamma, dtype=W.dtype, device=W.device).expand(params0.b)[:, None, None]
    scale = W.shape[1] ** -0.5

    def losses(W, V):
        x = torch.bmm(V, act.phi(torch.bmm(W, u[:, :, None]))).squeeze(-1) * scale
        return 0.5 * (x @ A.T - y).square().sum(dim=1)

    for _ in range(steps):
        W.requires_grad_(True)
        V.requires_grad_(True)
        gW, gV = torch.autograd.grad(losses(W, V).sum(), (W, V))  # networks are independent: one sum, b gradients
        with torch.no_grad():
            W, V = W - lr * gW, V - lr * gV
    with torch.no_grad():
        return losses(W, V)


BASELINES = {"naive": _naive_loop, "torch.func": _func_loop, "bmm+autograd": _bmm_loop}
"""The naive loop of a paper's script and the two strong batched baselines, all on the same networks."""


def sweep_bytes_per_network_step(n: int, m: int, k: int, d: int, itemsize: int) -> int:
    """The memory traffic of one GD step of one network that no engine can avoid, and exactly the fused kernel's:
    one pass over V (n×k), read and written once (V a, Vᵀs and the rank-one update fused in that pass), the k-vectors
    of W = W₀ − q uᵀ (W₀u read, q read and written: d drops out) and A (m×n) read twice (A x, Aᵀr). The batched
    PyTorch loop makes two passes over V, so it moves more than this."""
    return itemsize * (2 * n * k + 3 * k + 2 * m * n)


def measured_copy_bandwidth(device: torch.device, megabytes: float) -> float:
    """Bytes/s of `dst.copy_(src)` on an array of `megabytes` (read + write counted, best of 5): the memory
    roof for arrays of that size (DRAM beyond the last-level cache; L2 for a V-sized array, which the fused kernel
    keeps in L2 for a network's whole run). Small copies include torch's per-call overhead: a lower bound."""
    count = max(1, int(megabytes * 2**20 / 8))
    src = torch.rand(count, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).to(device)
    dst = torch.empty_like(src)
    repeats = max(1, int(2**28 // (count * 8)))  # at least ~256 MB moved per timing
    dst.copy_(src)

    def copy():
        for _ in range(repeats):
            dst.copy_(src)

    return 2 * 8 * count * repeats / min(timed(copy, device) for _ in range(5))


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
    best = min(timed(lambda: torch.mm(a, b), device) for _ in range(3))
    return 2 * size**3 / best


def bench_sweep(device: torch.device, b: int, repeats: int, *, n: int = 64, m: int = 32, d: int = 16, k: int = 512,
                steps: int = 500, dtype: torch.dtype = torch.float64, baseline_networks: int | None = None,
                torch_loop: bool = True, peak: float | None = None, bandwidth: dict | None = None) -> dict:
    """The sweep engine against the naive loop, on the same b networks (the baseline on the first
    ``baseline_networks`` of them when given, its time scaled by b/baseline_networks: the naive loop trains the
    networks one after another, so its cost is linear in their number by construction), and against the two strong
    batched baselines (`torch.func` and bmm + autograd) on all b networks; final losses must agree with each.

    Roofline: the step is matrix–vector work (O(1) FLOP per byte of V), so its roof is memory bandwidth, not GEMM
    peak: `bytes_per_s` is the traffic model `sweep_bytes_per_network_step` over the time, and `bandwidth`
    ({name: bytes/s}, e.g. DRAM and cache copy bandwidths) gives the fractions of each roof reached."""
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
    t_base, t_ours = pairs(baseline, ours, repeats, device)
    traj = out["traj"]
    final = traj.loss[:nb, -1]

    def agreement(other, count):
        mine, start = traj.loss[:count, -1], traj.loss[:count, 0]
        same = below(mine, other, dtype, start) & above(mine, other, dtype, start)
        return bool(same.all()), float(((mine - other).abs() / start).max())

    agree, max_rel = agreement(out["naive"], nb)
    extra = {}
    for name in ("torch.func", "bmm+autograd"):  # the strong baselines, on all b networks, interleaved with ours
        def strong(fn=BASELINES[name], name=name):
            out[name] = fn(A, y, params0, u, act, gamma, steps)

        BASELINES[name](A, y[:1], _subset(params0, 1), u[:1], act, gamma[:1], 2)  # warm-up
        t_strong, t_mine = pairs(strong, ours, repeats, device)
        same, diff = agreement(out[name], b)
        ratios = [a / o for a, o in zip(t_strong, t_mine, strict=True)]
        extra[f"{name}_s"] = statistics.median(t_strong)
        extra[f"speedup_vs_{name}"] = statistics.median(ratios)
        extra[f"speedup_vs_{name}_min"], extra[f"speedup_vs_{name}_max"] = min(ratios), max(ratios)
        extra[f"{name}_final_losses_agree"], extra[f"{name}_max_loss_diff_over_loss0"] = same, diff
    itemsize = torch.empty((), dtype=dtype).element_size()
    traffic = sweep_bytes_per_network_step(n, m, k, d, itemsize) * b * steps
    extra["bytes_per_s"] = traffic / statistics.median(t_ours)
    if bandwidth:
        extra.update({f"fraction_of_{name}_bandwidth": extra["bytes_per_s"] / value
                      for name, value in bandwidth.items()})
        extra["working_set_bytes"] = b * itemsize * (n * k + k * d)
    if torch_loop and _engine(device, dtype) == "fused C kernel":  # informational: one timing
        with _kernel_enabled(False):
            extra["torch_loop_s"] = timed(ours, device)
    flops = sweep_flops_per_network_step(n, m, k) * b * steps
    t_med = statistics.median(t_ours)
    peak = peak if peak is not None else measured_gemm_peak(device, dtype)
    nominal = _nominal_peak(device, dtype)
    note = None
    if nb < b:
        note = f"baseline timed on {nb} of the {b} networks and scaled by {b / nb:g} (linear by construction)"
    dtype_name = str(dtype).removeprefix("torch.")
    return row("sweep", f"b={b} {dtype_name}", t_base, t_ours, base_scale=b / nb,
                networks=b, baseline_networks=nb, n=n, m=m, d=d, k=k, steps=steps,
                dtype=dtype_name, engine=_engine(device, dtype), threads=_kernel.kernel_threads(),
                final_losses_agree=agree, max_loss_diff_over_loss0=max_rel,
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
    t_base, t_ours = pairs(baseline, ours, repeats, device)
    agree = bool(torch.allclose(closed["v"], auto["v"], rtol=1e-9, atol=1e-12))
    return row("sigma_min", f"k={k}", t_base, t_ours, n=n, d=d, k=k, networks=b, p=k * (n + d), agree=agree,
                max_rel_diff=float(((closed["v"] - auto["v"]).abs() / auto["v"].abs()).max()))


# ---------------------------------------------------------------------------------------------------------
# 3. generated checkers against SymPy subs/evalf
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
            times.append(statistics.median(timed(run, device) for _ in range(repeats)) / steps)
        slope = _slope(values, times)
        rows.append({"benchmark": "scaling", "case": f"vs {name}", "variable": name, "values": values,
                     "seconds_per_step": times, "slope": slope, "expected_slope": _expected_slope(name, base),
                     "base": base, "steps": steps, "engine": _engine(device, torch.float64)})
    return rows


def _expected_slope(name: str, base: dict) -> float:
    """The log–log slope of b·k·(n + d) in `name` at the base point (1 for b and k; n/(n + d), d/(n + d))."""
    n, d = base["n"], base["d"]
    return {"b": 1.0, "k": 1.0, "n": n / (n + d), "d": d / (n + d)}[name]


def print_scaling(rows: list[dict]) -> None:
    print("\n== 5. scaling: sweep engine, seconds per GD step (float64) ==")
    for r in rows:
        cells = ", ".join(f"{v}: {fmt_s(t)}" for v, t in zip(r["values"], r["seconds_per_step"], strict=True))
        print(f"  {r['case']:7s} slope {r['slope']:.2f} (model {r['expected_slope']:.2f})   {cells}", flush=True)


# ---------------------------------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------------------------------

