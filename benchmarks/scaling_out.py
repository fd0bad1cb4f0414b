"""Benchmarks of the command line: claims in worker processes against one after another, and start-up time.

6. jobs: `ipverify verify --jobs N` against `--jobs 1` on a fixed set of quick-profile claims, each run a fresh
   process (what a user pays, the workers' start included), in interleaved pairs; the claim files of the two runs
   must be equal but for wall_time and versions.
7. start-up: `ipverify list` and `ipverify bound GD-1 gamma=0.4 L=2` against `python -c pass` (the interpreter's own
   start), median of repeats, each a fresh process.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._timing import row

REPO = Path(__file__).resolve().parents[1]
JOBS_CLAIMS = ["GF-5/flow", "GF-8/jacobian", "IN-2/energy", "GD-4/descent"]
"""Quick-profile claims of 1–4 s each on one thread (GD, GF and inertial trainers)."""
JOBS_CLAIMS_TINY = ["GF-10/lipschitz", "GD-2/smoothness"]
STARTUP_COMMANDS = (["list"], ["bound", "GD-1", "gamma=0.4", "L=2"])


def _env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def _wall(argv: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=1200)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return elapsed


def _records(out: Path) -> dict:
    return {p.name: {k: v for k, v in json.loads(p.read_text()).items() if k not in ("wall_time", "versions")}
            for p in sorted((out / "claims").glob("*.json"))}


def bench_jobs(claims: list[str], repeats: int, jobs: int = 2, profile: str = "quick") -> dict:
    """Wall time of `verify --jobs 1` (baseline) and `--jobs N` (ours), fresh processes, interleaved."""
    t_serial, t_pool, same, claim_seconds = [], [], True, []
    with tempfile.TemporaryDirectory(prefix="ipverify-bench-jobs-") as tmp:
        for i in range(repeats):
            outs = {}
            for label, count, times in (("serial", 1, t_serial), ("pool", jobs, t_pool)):
                outs[label] = Path(tmp) / f"{label}-{i}"
                times.append(_wall([sys.executable, "-m", "ipverify", "verify", "--profile", profile, "--device", "cpu",
                                    "--threads", "1", "--jobs", str(count), "--out", str(outs[label]),
                                    "--only", *claims]))
            serial = _records(outs["serial"])
            same &= serial == _records(outs["pool"]) and len(serial) == len(claims)
            claim_seconds.append(sum(json.loads(p.read_text())["wall_time"]
                                     for p in (outs["serial"] / "claims").glob("*.json")))
    return row("jobs", f"--jobs {jobs} vs --jobs 1, {len(claims)} claims", t_serial, t_pool, claims=claims,
               jobs=jobs, profile=profile, records_identical=same, cores=os.cpu_count(),
               ideal_speedup=min(jobs, len(claims), os.cpu_count() or 1),
               serial_claim_seconds=statistics.median(claim_seconds))


def bench_startup(repeats: int) -> list[dict]:
    """Seconds to start and finish each command, against the bare interpreter start (`python -c pass`)."""
    rows = []
    for argv in STARTUP_COMMANDS:
        t_bare, t_cmd = [], []
        for _ in range(repeats):
            t_bare.append(_wall([sys.executable, "-c", "pass"]))
            t_cmd.append(_wall([sys.executable, "-m", "ipverify", *argv]))
        over = [c / b for b, c in zip(t_bare, t_cmd, strict=True)]
        r = row("startup", f"ipverify {' '.join(argv)}", t_bare, t_cmd, command=argv,
                overhead_s=statistics.median(c - b for b, c in zip(t_bare, t_cmd, strict=True)),
                times_bare_interpreter=statistics.median(over))
        rows.append(r)
    return rows


def print_jobs(r: dict) -> None:
    print(f"\n== 6. jobs: verify --jobs {r['jobs']} vs --jobs 1 ({len(r['claims'])} quick claims, fresh processes, "
          f"{r['cores']} cores) ==")
    print(f"  --jobs 1 {r['baseline_s']:.2f} s, --jobs {r['jobs']} {r['ours_s']:.2f} s: speedup "
          f"{r['speedup_median']:.2f}x [{r['speedup_min']:.2f}, {r['speedup_max']:.2f}] (ideal {r['ideal_speedup']}), "
          f"records identical: {r['records_identical']}; the claims themselves took {r['serial_claim_seconds']:.2f} s "
          "of the serial run", flush=True)


def print_startup(rows: list[dict]) -> None:
    print("\n== 7. start-up: command vs `python -c pass` (median, fresh processes) ==")
    for r in rows:
        print(f"  {r['case']:36s} {r['ours_s']:.2f} s  (python -c pass {r['baseline_s']:.3f} s; "
              f"+{r['overhead_s']:.2f} s, {r['times_bare_interpreter']:.1f}x)", flush=True)
