"""`make bench`: speed as ratios against a baseline measured in the same run (median over repeats, and spread).

Benchmarks:
1. sweep: the batched closed-form GD engine against a naive loop of one nn.Module + torch.optim.SGD per network;
   both train the same networks, and the final losses must agree.
2. sigma_min: σ_min(J_g) by the closed form J Jᵀ (one bmm + eigvalsh) against jacrev + svdvals.
3. checker: the lambdified GD-1 checker against SymPy subs/evalf on the same inputs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import theory
from numerics._device import resolve_device
from numerics.activations import get_activation
from numerics.checkers import checker
from numerics.trainers import gradient_descent
from numerics.two_layer import TwoLayerParams, init_two_layer, sigma_min_autograd, sigma_min_closed_form


def _time(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _summary(name: str, baseline: list[float], ours: list[float], **extra) -> dict:
    ratios = [b / o for b, o in zip(baseline, ours, strict=True)]
    return {"benchmark": name, "baseline_s": statistics.median(baseline), "ours_s": statistics.median(ours),
            "speedup_median": statistics.median(ratios), "speedup_min": min(ratios), "speedup_max": max(ratios),
            **extra}


class _Net(torch.nn.Module):
    def __init__(self, W, V, act):
        super().__init__()
        self.W, self.V, self.act = torch.nn.Parameter(W.clone()), torch.nn.Parameter(V.clone()), act

    def forward(self, u):
        return self.V @ self.act.phi(self.W @ u) / self.W.shape[0] ** 0.5


def _naive_loop(A, y, params0: TwoLayerParams, u, act, gamma, steps) -> torch.Tensor:
    losses = []
    for i in range(params0.b):
        net = _Net(params0.W[i], params0.V[i], act)
        opt = torch.optim.SGD(net.parameters(), lr=gamma)
        for _ in range(steps):
            opt.zero_grad()
            loss = 0.5 * (A @ net(u[i]) - y[i]).square().sum()
            loss.backward()
            opt.step()
        losses.append(0.5 * (A @ net(u[i]) - y[i]).square().sum().detach())
    return torch.stack(losses)


def bench_sweep(device, b: int, repeats: int, n=64, m=32, d=16, k=512, steps=500) -> dict:
    generator = torch.Generator().manual_seed(0)
    act = get_activation("tanh")
    net = init_two_layer(b, n, d, k, generator, act, device=device)
    A = (torch.randn(m, n, generator=generator, dtype=torch.float64) / n**0.5).to(device)
    y = torch.randn(b, m, generator=generator, dtype=torch.float64).to(device)
    gamma = 0.05
    batched = {}

    def ours():
        batched["loss"] = gradient_descent(A, y, net.params0, net.u, act, gamma, steps, record_every=steps).loss[:, -1]

    naive = {}

    def baseline():
        naive["loss"] = _naive_loop(A, y, net.params0, net.u, act, gamma, steps)

    t_base, t_ours = _time(baseline, repeats), _time(ours, repeats)
    agree = bool(torch.allclose(batched["loss"], naive["loss"], rtol=1e-8, atol=1e-12))
    return _summary("sweep", t_base, t_ours, networks=b, steps=steps, final_losses_agree=agree,
                    network_steps_per_s=b * steps / statistics.median(t_ours))


def bench_sigma_min(device, k: int, repeats: int, n=64, d=16) -> dict:
    generator = torch.Generator().manual_seed(1)
    net = init_two_layer(1, n, d, k, generator, get_activation("tanh"), device=device)
    closed, auto = {}, {}
    t_base = _time(lambda: auto.setdefault("v", sigma_min_autograd(net.params0, net.u, net.act)), repeats)
    t_ours = _time(lambda: closed.setdefault("v", sigma_min_closed_form(net.params0, net.u, net.act)), repeats)
    agree = bool(torch.allclose(closed["v"], auto["v"], rtol=1e-9))
    return _summary("sigma_min", t_base, t_ours, k=k, agree=agree)


def bench_checker(repeats: int, points: int) -> dict:
    result = theory.get("GD-1")
    gamma, L = theory.SYMBOLS["gamma"].symbol, theory.SYMBOLS["L"].symbol
    expr = result.conclusions[0].expr
    rng = np.random.default_rng(2)
    g, l_ = rng.uniform(0.01, 1.0, points), rng.uniform(0.5, 2.0, points)
    sample = min(points, 200)
    t_sym = _time(lambda: [float(expr.subs({gamma: gi, L: li}).evalf()) for gi, li in zip(g[:sample], l_[:sample],
                                                                                          strict=True)], repeats)
    per_point_sym = [t / sample for t in t_sym]
    ev = checker("GD-1")
    t_ours = _time(lambda: ev.evaluate({"gamma": g, "L": l_}), repeats)
    per_point_ours = [t / points for t in t_ours]
    return _summary("checker", per_point_sym, per_point_ours, points=points,
                    evaluations_per_s=points * (len(result.hypotheses) + len(result.conclusions))
                    / statistics.median(t_ours))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="ipverify-bench")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="bench-out")
    args = parser.parse_args(argv)
    try:
        device = resolve_device(args.device)
    except ValueError as exc:
        print(f"ipverify-bench: error: {exc}", file=sys.stderr)
        return 2
    rows = [bench_sweep(device, 16, args.repeats, steps=200), bench_checker(args.repeats, 1_000_000)]
    rows += [bench_sigma_min(device, k, args.repeats) for k in (256, 1024)]
    for row in rows:
        extra = {k: v for k, v in row.items() if k not in ("benchmark", "baseline_s", "ours_s", "speedup_median",
                                                           "speedup_min", "speedup_max")}
        print(f"{row['benchmark']:10s} speedup {row['speedup_median']:10.1f}x "
              f"[{row['speedup_min']:.1f}, {row['speedup_max']:.1f}]  baseline {row['baseline_s']:.3g}s  "
              f"ours {row['ours_s']:.3g}s  {extra}")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "bench.json").write_text(json.dumps({"device": str(device), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
