"""Timing helpers of the benchmarks: interleaved pairs (baseline, ours), median rows, and printed tables."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import torch


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device: torch.device) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def pairs(baseline: Callable[[], object], ours: Callable[[], object], repeats: int,
           device: torch.device) -> tuple[list[float], list[float]]:
    """Interleaved timings (baseline, ours) × repeats."""
    t_base, t_ours = [], []
    for _ in range(repeats):
        t_base.append(timed(baseline, device))
        t_ours.append(timed(ours, device))
    return t_base, t_ours


def row(benchmark: str, case: str, t_base: list[float], t_ours: list[float], *, base_scale: float = 1.0,
         per: float = 1.0, **extra) -> dict:
    """Median times (× base_scale for an extrapolated baseline, / per for per-item times) and the ratio spread."""
    base = [t * base_scale / per for t in t_base]
    ours = [t / per for t in t_ours]
    ratios = [b / o for b, o in zip(base, ours, strict=True)]
    return {"benchmark": benchmark, "case": case, "baseline_s": statistics.median(base),
            "ours_s": statistics.median(ours), "speedup_median": statistics.median(ratios),
            "speedup_min": min(ratios), "speedup_max": max(ratios), "repeats": len(ratios), **extra}


def fmt_s(t: float) -> str:
    if t >= 1:
        return f"{t:.3g} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    if t >= 1e-6:
        return f"{t * 1e6:.3g} µs"
    return f"{t * 1e9:.3g} ns"


def print_table(title: str, rows: list[dict], columns: list[tuple[str, str]]) -> None:
    print(f"\n== {title} ==", flush=True)
    header = ["case", "baseline", "ours", "speedup (median [min, max])"] + [name for name, _ in columns]
    lines = []
    for r in rows:
        cells = [r["case"], fmt_s(r["baseline_s"]), fmt_s(r["ours_s"]),
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
