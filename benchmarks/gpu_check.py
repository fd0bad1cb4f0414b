"""`make gpu-check`: everything that needs a GPU, in one prepared run (about 8 minutes on an H200).

    python -m benchmarks.gpu_check [--device cuda|cpu] [--tiny] [--out DIR] [--claims-budget-s S]

Four parts, each compared with the CPU; any disagreement makes the exit status 1:

1. tests: the pytest tests with a CUDA variant (`pytest -k cuda` on tests/test_bench.py, test_operators.py and
   test_two_layer.py); on CUDA none of them may be skipped for want of it.
2. properties: hypothesis property checks run on the device, each against a different computation on the CPU:
   GD trajectories against the CPU engine (the fused kernel), σ_min(J_g) in closed form against jacrev + SVD, and
   the closed-form gradient against autograd, in float64 and float32.
3. claims: a subset of the quick-profile claims on the device in float64 and float32 (the claims' `Context.dtype`;
   the command line has no dtype switch) against the same claims on the CPU: same verdicts, same numbers of
   networks, and every measured ratio (headline observed/bound, each check's worst ratio, looseness) within the
   tolerance of `numerics.tolerance` for that dtype.
4. throughput: the GD sweep engine on the device (`benchmarks.engine.bench_sweep`) against its roofline, the
   measured copy bandwidth and GEMM peak of the same device; the final losses must agree with the naive loop and
   the strong baselines, and float32 with float64.

On `--device cpu` the device side is the CPU with the fused kernel off (the batched PyTorch loop, the code CUDA
runs), so the same code paths run without a GPU; `--tiny` shrinks every size so that this takes seconds (the test
suite runs `--device cpu --tiny`). Writes DIR/gpu_check.json and DIR/gpu_check.md and prints a summary.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import torch

from benchmarks.engine import (
    _kernel_enabled,
    _sweep_problem,
    bench_float32_path,
    bench_sweep,
    measured_copy_bandwidth,
    measured_gemm_peak,
    sweep_bytes_per_network_step,
    sweep_flops_per_network_step,
)
from ipverify.numerics import trainers
from ipverify.numerics._device import resolve_device
from ipverify.numerics.activations import get_activation
from ipverify.numerics.tolerance import tolerance
from ipverify.numerics.two_layer import (
    TwoLayerParams,
    init_two_layer,
    objective,
    objective_and_gradient,
    sigma_min_autograd,
    sigma_min_closed_form,
)

REPO = Path(__file__).resolve().parents[1]
DTYPES = (torch.float64, torch.float32)
CUDA_TEST_FILES = ("tests/test_bench.py", "tests/test_operators.py", "tests/test_two_layer.py")
SIZES = {
    "full": {"examples": 25, "hypothesis_profile": "ci",
             "claims": ("GF-10/lipschitz", "GD-2/smoothness", "GD-4/descent", "GF-5/flow", "GF-8/jacobian",
                        "IN-2/energy"),
             "sweep_b": (256, 4096), "baseline_networks": 4, "steps": 500, "n": 64, "m": 32, "d": 16, "k": 512,
             "repeats": 3, "bandwidth_mb": 1024, "gemm": 8192},
    "tiny": {"examples": 2, "hypothesis_profile": "dev", "claims": ("GF-10/lipschitz",),
             "sweep_b": (4,), "baseline_networks": 2, "steps": 20, "n": 8, "m": 4, "d": 3, "k": 16,
             "repeats": 1, "bandwidth_mb": 4, "gemm": 256},
}
"""What each part runs. Claims are ordered by cost; `--claims-budget-s` skips the rest once it is spent."""


def _name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


@contextlib.contextmanager
def device_side(device: torch.device):
    """Where the candidate runs: the device itself, or on the CPU the PyTorch loop (the fused kernel off)."""
    if device.type == "cpu":
        with _kernel_enabled(False):
            yield
    else:
        yield


# ---------------------------------------------------------------------------------------------- 1. tests


def run_cuda_tests(device: torch.device, hypothesis_profile: str) -> dict:
    """`pytest -k cuda` on the files with CUDA variants, in a fresh process; -rs lists why tests were skipped."""
    argv = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-k", "cuda", *CUDA_TEST_FILES]
    env = {**os.environ, "IPVERIFY_PROFILE": hypothesis_profile, "OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=420)
    text = proc.stdout + proc.stderr
    counts = {word: int(number) for number, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", text)}
    missing_cuda = len(re.findall(r"needs CUDA", text))
    ok = proc.returncode == 0 and (device.type != "cuda" or (missing_cuda == 0 and counts.get("passed", 0) > 0))
    return {"command": " ".join(["pytest", *argv[3:]]), "returncode": proc.returncode, "counts": counts,
            "skipped_for_want_of_cuda": missing_cuda, "ok": ok, "seconds": time.perf_counter() - started,
            "tail": text.strip().splitlines()[-12:]}


# ---------------------------------------------------------------------------------------------- 2. properties


def agree(a, b, dtype: torch.dtype, scale=1.0) -> torch.Tensor:
    """Elementwise |a − b| ≤ rtol·|b| + atol·scale with (rtol, atol) = `tolerance(dtype)` — the policy of
    `numerics.tolerance.below`/`above` (observed within the bound either way), for quantities of either sign — or
    a and b the same non-finite value."""
    a, b = (torch.as_tensor(v, dtype=torch.float64).cpu() for v in (a, b))
    scale = torch.as_tensor(scale, dtype=torch.float64).cpu()
    rtol, atol = tolerance(dtype)
    same_nonfinite = ~torch.isfinite(a) & ((a == b) | (torch.isnan(a) & torch.isnan(b)))
    return same_nonfinite | (torch.isfinite(a) & ((a - b).abs() <= rtol * b.abs() + atol * scale))


def _prop_gd(device: torch.device, dtype: torch.dtype, b: int, n: int, m: int, d: int, k: int, seed: int) -> None:
    A, y, params0, u, act, gamma = _sweep_problem(b, n, m, d, k, "cpu", dtype, seed=seed)
    steps, every = 30, 5
    ref = trainers.gradient_descent(A, y, params0, u, act, gamma, steps, record_every=every)
    to = {"device": device}
    with device_side(device):
        cand = trainers.gradient_descent(A.to(**to), y.to(**to), TwoLayerParams(params0.W.to(**to), params0.V.to(**to)),
                                         u.to(**to), act, gamma.to(**to), steps, record_every=every)
    assert cand.diverged.cpu().tolist() == ref.diverged.tolist(), "divergence verdicts differ"
    loss0 = ref.loss[:, :1]
    for name in ("loss", "dist0", "grad_norm_sq"):
        ok = agree(getattr(cand, name), getattr(ref, name), dtype, loss0 if name == "loss" else 1.0)
        assert bool(ok.all()), f"{name}: device and CPU differ beyond tolerance({_name(dtype)})"


def _prop_sigma(device: torch.device, dtype: torch.dtype, b: int, n: int, d: int, k: int, seed: int) -> None:
    act = get_activation("tanh")
    cpu = init_two_layer(b, n, d, k, torch.Generator().manual_seed(seed), act, dtype=dtype)
    dev = init_two_layer(b, n, d, k, torch.Generator().manual_seed(seed), act, dtype=dtype, device=device)
    closed = sigma_min_closed_form(dev.params0, dev.u, act)
    auto = sigma_min_autograd(cpu.params0, cpu.u, act)
    assert bool(agree(closed, auto, dtype, auto.abs().max()).all()), "closed-form σ_min differs from jacrev + SVD"


def _prop_gradient(device: torch.device, dtype: torch.dtype, b: int, n: int, m: int, d: int, k: int,
                   seed: int) -> None:
    A, y, params0, u, act, _ = _sweep_problem(b, n, m, d, k, "cpu", dtype, seed=seed)
    W, V = params0.W.clone().requires_grad_(True), params0.V.clone().requires_grad_(True)
    gW, gV = torch.autograd.grad(objective(A, y, TwoLayerParams(W, V), u, act).sum(), (W, V))
    to = {"device": device}
    ev = objective_and_gradient(A.to(**to), y.to(**to), TwoLayerParams(params0.W.to(**to), params0.V.to(**to)),
                                u.to(**to), act)
    for name, mine, theirs in (("dW", ev.grad.W, gW), ("dV", ev.grad.V, gV)):
        assert bool(agree(mine, theirs, dtype, theirs.abs().max()).all()), f"{name}: closed form differs from autograd"


def _bind(prop, device: torch.device, dtype: torch.dtype):
    def test(**drawn) -> None:
        prop(device, dtype, **drawn)

    return test


def run_properties(device: torch.device, examples: int) -> list[dict]:
    """Each property under hypothesis (derandomized, no example database, no shrinking: device time is scarce), per
    dtype; a failure is recorded with its message (hypothesis prints the falsifying example)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    config = settings(max_examples=examples, deadline=None, database=None, derandomize=True, print_blob=True,
                      phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    seeds, small = st.integers(0, 2**31 - 1), st.integers
    props = {
        "GD trajectory (device) = CPU engine": (_prop_gd, dict(b=small(1, 6), n=small(2, 12), m=small(1, 10),
                                                              d=small(1, 6), k=small(2, 64), seed=seeds)),
        "σ_min closed form (device) = jacrev + SVD (CPU)": (_prop_sigma, dict(b=small(1, 3), n=small(2, 8),
                                                                          d=small(1, 4), k=small(8, 32), seed=seeds)),
        "gradient closed form (device) = autograd (CPU)": (_prop_gradient, dict(b=small(1, 4), n=small(2, 10),
                                                                            m=small(1, 8), d=small(1, 5),
                                                                            k=small(2, 48), seed=seeds)),
    }
    rows = []
    for label, (prop, strategies) in props.items():
        for dtype in DTYPES:
            test = config(given(**strategies)(_bind(prop, device, dtype)))
            started, error = time.perf_counter(), None
            try:
                test()
            except Exception as exc:  # the property failed (AssertionError) or crashed: a disagreement either way
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            rows.append({"property": label, "dtype": _name(dtype), "examples": examples, "ok": error is None,
                         "error": error, "seconds": time.perf_counter() - started})
    return rows


# ---------------------------------------------------------------------------------------------- 3. claims

QUANTITIES = ("ratio", "looseness")
"""The headline measured ratios compared besides every check's worst ratio (`details["per_check_worst_ratio"]`)."""


def measured(record) -> dict[str, float | None]:
    """The dimensionless measured quantities of a claim record, by name."""
    values = {name: getattr(record, name) for name in QUANTITIES}
    worst = record.details.get("per_check_worst_ratio") or {}
    values.update({f"check: {name}": value for name, value in worst.items() if isinstance(value, (int, float))})
    return values


def compare_records(ref, cand, dtype: torch.dtype) -> dict:
    """Differences between a claim's CPU record `ref` and its device record `cand`: verdict, number of networks,
    and every measured ratio within `tolerance(dtype)` (NaN/None must match exactly). Empty `differences`: they
    agree."""
    differences = []
    verdict, device_verdict = (getattr(r.verdict, "value", r.verdict) for r in (ref, cand))
    if device_verdict != verdict:
        differences.append(f"verdict {device_verdict} on the device, {verdict} on the CPU")
    if cand.instances != ref.instances:
        differences.append(f"{cand.instances} networks on the device, {ref.instances} on the CPU")
    mine, theirs = measured(cand), measured(ref)
    worst_rel = 0.0
    for name in sorted(set(mine) | set(theirs)):
        a, b = mine.get(name), theirs.get(name)
        if a is None or b is None:
            if (a is None) != (b is None):
                differences.append(f"{name}: {a} on the device, {b} on the CPU")
            continue
        if not bool(agree(a, b, dtype)):
            differences.append(f"{name}: {a!r} on the device, {b!r} on the CPU (tolerance {tolerance(dtype)})")
        elif math.isfinite(a) and b != 0:
            worst_rel = max(worst_rel, abs(a - b) / abs(b))
    return {"claim": ref.claim, "dtype": _name(dtype), "verdict": verdict, "device_verdict": device_verdict,
            "instances": ref.instances, "quantities": len(set(mine) | set(theirs)),
            "max_relative_difference": worst_rel, "differences": differences, "ok": not differences}


def run_claims(device: torch.device, claim_ids, budget_s: float) -> list[dict]:
    """Each claim on the CPU and on the device side, per dtype (quick profile, seed 0), compared; once `budget_s`
    is spent the remaining claims are listed as not run."""
    import ipverify.verify.runner as runner
    from ipverify.verify.claims import Context, select

    rows, started = [], time.perf_counter()
    for claim in select(list(claim_ids)):
        if time.perf_counter() - started > budget_s:
            rows.append({"claim": claim.id, "ok": True, "skipped": f"time budget of {budget_s:g} s spent"})
            continue
        for dtype in DTYPES:
            t0 = time.perf_counter()
            ref = runner._run_one(claim, Context(profile="quick", seed=0, device="cpu", dtype=dtype))
            t1 = time.perf_counter()
            with device_side(device):
                cand = runner._run_one(claim, Context(profile="quick", seed=0, device=str(device), dtype=dtype))
            row = compare_records(ref, cand, dtype)
            row.update(cpu_seconds=t1 - t0, device_seconds=time.perf_counter() - t1,
                       error=cand.details.get("error") or ref.details.get("error"))
            rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------- 4. throughput


def roofline(row: dict, bandwidth: float) -> dict:
    """The attainable FLOP/s of a sweep step, min(GEMM peak, intensity × bandwidth), with intensity = model
    FLOPs / unavoidable bytes (`sweep_flops_per_network_step` / `sweep_bytes_per_network_step`), and the fraction
    of it the engine reached."""
    itemsize = torch.empty((), dtype=getattr(torch, row["dtype"])).element_size()
    intensity = (sweep_flops_per_network_step(row["n"], row["m"], row["k"])
                 / sweep_bytes_per_network_step(row["n"], row["m"], row["k"], row["d"], itemsize))
    roof = min(row["gemm_peak_flops_per_s"], intensity * bandwidth)
    return {"flop_per_byte": intensity, "roof_flops_per_s": roof, "fraction_of_roof": row["flops_per_s"] / roof,
            "bound_by": "bandwidth" if intensity * bandwidth < row["gemm_peak_flops_per_s"] else "compute"}


def run_throughput(device: torch.device, sizes: dict) -> dict:
    """bench_sweep on the device (float64 for each batch, float32 for the largest), each row with its roofline."""
    geometry = {key: sizes[key] for key in ("n", "m", "d", "k", "steps")}
    peaks = {dtype: measured_gemm_peak(device, dtype, sizes["gemm"]) for dtype in DTYPES}
    machine = {"gemm_peak_float64": peaks[torch.float64], "gemm_peak_float32": peaks[torch.float32],
               "gemm_size": sizes["gemm"],
               "copy_bandwidth_bytes_per_s": measured_copy_bandwidth(device, sizes["bandwidth_mb"]),
               "copy_bandwidth_mb": sizes["bandwidth_mb"]}
    bandwidth = {"dram": machine["copy_bandwidth_bytes_per_s"]}
    with device_side(device):
        rows = [bench_sweep(device, b, sizes["repeats"], baseline_networks=sizes["baseline_networks"], torch_loop=False,
                            peak=peaks[torch.float64], bandwidth=bandwidth, **geometry)
                for b in sizes["sweep_b"]]
        rows.append(bench_float32_path(device, max(sizes["sweep_b"]), sizes["repeats"],
                                       baseline_networks=sizes["baseline_networks"], bandwidth=bandwidth,
                                       peak=peaks[torch.float32], **geometry))
    for row in rows:
        row.update(roofline(row, machine["copy_bandwidth_bytes_per_s"]))
        checks = ["final_losses_agree", "torch.func_final_losses_agree", "bmm+autograd_final_losses_agree"]
        checks += ["float32_agrees_with_float64"] if "float32_agrees_with_float64" in row else []
        row["ok"] = all(row.get(name) is True for name in checks)
        row.pop("final_loss", None)
    return {"machine": machine, "rows": rows}


# ---------------------------------------------------------------------------------------------- report


def _fmt(value, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _md_tests(t: dict) -> list[str]:
    return [f"`{t['command']}`: exit {t['returncode']}, {t['counts']}, skipped for want of CUDA: "
            f"{t['skipped_for_want_of_cuda']}, {'ok' if t['ok'] else 'FAILED'}"]


def _md_properties(rows: list[dict]) -> list[str]:
    return ["| property | dtype | examples | ok | s |", "|---|---|---|---|---|"] + [
        f"| {r['property']} | {r['dtype']} | {r['examples']} | {'yes' if r['ok'] else 'NO: ' + r['error']} | "
        f"{r['seconds']:.1f} |" for r in rows]


def _md_claims(rows: list[dict]) -> list[str]:
    lines = ["| claim | dtype | verdict (CPU / device) | networks | ratios compared | max rel. diff | CPU s "
             "| device s | ok |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['claim']} | — | not run: {r['skipped']} | | | | | | — |")
            continue
        why = "; ".join(r["differences"] + ([f"error: {r['error']}"] if r.get("error") else []))
        lines.append(f"| {r['claim']} | {r['dtype']} | {r['verdict']} / {r['device_verdict']} | {r['instances']} | "
                     f"{r['quantities']} | {r['max_relative_difference']:.2g} | {r['cpu_seconds']:.1f} | "
                     f"{r['device_seconds']:.1f} | {'yes' if r['ok'] else 'NO: ' + why} |")
    return lines


def _md_throughput(part: dict) -> list[str]:
    m = part["machine"]
    return [f"GEMM peak (measured, {m['gemm_size']}² matmul): {m['gemm_peak_float64']:.3g} FLOP/s float64, "
            f"{m['gemm_peak_float32']:.3g} float32; copy bandwidth ({m['copy_bandwidth_mb']} MB arrays): "
            f"{m['copy_bandwidth_bytes_per_s'] / 1e9:.3g} GB/s", "",
            "| case | engine | net-steps/s | FLOP/s | of GEMM peak | bytes/s | of copy bandwidth | FLOP/byte | "
            "of roof | vs naive | agree |", "|---|---|---|---|---|---|---|---|---|---|---|"] + [
        f"| {r['case']} | {r['engine']} | {_fmt(r['network_steps_per_s'])} | {_fmt(r['flops_per_s'])} | "
        f"{_fmt(r['fraction_of_gemm_peak'])} | {_fmt(r['bytes_per_s'])} | "
        f"{_fmt(r.get('fraction_of_dram_bandwidth'))} | {_fmt(r['flop_per_byte'])} | "
        f"{_fmt(r['fraction_of_roof'])} ({r['bound_by']}) | {_fmt(r['speedup_median'])}× | "
        f"{'yes' if r['ok'] else 'NO'} |" for r in part["rows"]]


SECTIONS = {"tests": ("1. pytest -k cuda", _md_tests),
            "properties": ("2. Properties (hypothesis, device against the CPU)", _md_properties),
            "claims": ("3. Claims (quick profile, seed 0), device against the CPU", _md_claims),
            "throughput": ("4. GD sweep engine against its roofline", _md_throughput)}


def markdown(report: dict) -> str:
    """The report as Markdown, one section per part (a part that crashed or has not run yet says so)."""
    info = report["machine"]
    state = "all agree" if report["ok"] else "DISAGREEMENTS" if report["complete"] else "INCOMPLETE"
    lines = [f"# GPU check: {info['device_name']} ({report['mode']})", "",
             f"{report['started']} UTC, torch {info['torch']}, {report['seconds']:.0f} s, **{state}**"]
    for key, (title, render) in SECTIONS.items():
        lines += ["", f"## {title}", ""]
        if key in report:
            lines += render(report[key])
        else:
            lines.append(f"**crashed**: {report['errors'][key]}" if key in report["errors"] else "not run")
    return "\n".join(lines) + "\n"


def _parts(report: dict) -> list[tuple[str, dict]]:
    """(name, row) for every row that carries a verdict `ok`."""
    rows = [("pytest -k cuda", report["tests"])] if "tests" in report else []
    rows += [(f"{r['property']} ({r['dtype']})", r) for r in report.get("properties", [])]
    rows += [(f"{r['claim']} ({r.get('dtype', '-')})", r) for r in report.get("claims", [])]
    rows += [(f"sweep {r['case']}", r) for r in report.get("throughput", {}).get("rows", [])]
    return rows


def _write(out: Path, report: dict, complete: bool) -> None:
    report["complete"] = complete
    report["machine"]["load_average_end"] = os.getloadavg()
    report["ok"] = complete and not report["errors"] and all(part["ok"] for _, part in _parts(report))
    (out / "gpu_check.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    (out / "gpu_check.md").write_text(markdown(report), encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gpu-check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu (the same code paths, no GPU)")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (seconds; what the test suite runs)")
    parser.add_argument("--out", default="gpu-check-out", help="folder for gpu_check.json and gpu_check.md")
    parser.add_argument("--claims-budget-s", type=float, default=200.0,
                        help="skip the remaining claims once this many seconds are spent on them (default 200)")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        device = resolve_device(args.device)
        if device.type not in ("cpu", "cuda") or args.device.strip().lower() == "auto":
            raise ValueError(f"--device must be cuda or cpu, got {args.device!r}")
        if not args.claims_budget_s >= 0:
            raise ValueError(f"--claims-budget-s must be a number >= 0, got {args.claims_budget_s!r}")
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
    except (ValueError, OSError) as exc:
        print(f"gpu-check: error: {exc}", file=sys.stderr)
        return 2
    sizes = SIZES["tiny" if args.tiny else "full"]
    torch.set_num_threads(1)
    started = time.perf_counter()
    report = {"mode": f"--device {device.type}{' --tiny' if args.tiny else ''}",
              "started": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
              "machine": {"device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU "
                          "(device side: the PyTorch loop, fused kernel off)", "torch": torch.__version__,
                          "cpu_count": os.cpu_count(), "load_average_start": os.getloadavg()}}
    parts = {"tests": ("pytest -k cuda", lambda: run_cuda_tests(device, sizes["hypothesis_profile"])),
             "properties": ("properties", lambda: run_properties(device, sizes["examples"])),
             "claims": ("claims", lambda: run_claims(device, sizes["claims"], args.claims_budget_s)),
             "throughput": ("throughput", lambda: run_throughput(device, sizes))}
    report["errors"] = {}
    for i, (key, (label, run)) in enumerate(parts.items(), 1):
        print(f"[{i}/{len(parts)} {label} ...]", file=sys.stderr, flush=True)
        try:
            report[key] = run()
        except Exception as exc:  # a part that crashed (e.g. out of device memory) fails; the others still run
            report["errors"][key] = f"{type(exc).__name__}: {exc}"
        report["seconds"] = time.perf_counter() - started
        _write(out, report, complete=i == len(parts))  # what is done survives a kill
    failed = [key for key in report["errors"]] + [name for name, part in _parts(report) if not part["ok"]]
    print(markdown(report))
    print(f"gpu-check: {'all parts agree' if not failed else 'DISAGREE: ' + ', '.join(failed)} "
          f"({report['seconds']:.0f} s); wrote {out / 'gpu_check.json'} and {out / 'gpu_check.md'}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
