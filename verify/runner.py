"""Run the claims, keep every finished one on disk, and write the report.

Each finished claim is written atomically to OUT/claims/<claim>.json before the next one starts, so an
interrupted run (Ctrl-C, a kill) keeps every completed claim, and `--resume` skips those already there
for the same profile and seed. A claim that raises is recorded with the verdict "error" (never a pass).
"""

from __future__ import annotations

import json
import time
import traceback
from pathlib import Path

import torch

from numerics._device import resolve_device
from verify.claims import Claim, Context, select
from verify.figures import progress as progress_bar
from verify.report import write_report
from verify.result import CheckResult, versions, write_atomic


def claim_path(out: Path, claim: Claim) -> Path:
    return Path(out) / "claims" / (claim.id.replace("/", "__") + ".json")


def _load_finished(path: Path, ctx: Context) -> CheckResult | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    same_run = data.get("details", {}).get("profile") == ctx.profile and data.get("seed") == ctx.seed
    return CheckResult.from_dict(data) if same_run else None


def _run_one(claim: Claim, ctx: Context) -> CheckResult:
    started = time.perf_counter()
    try:
        result = claim.run(ctx)
    except Exception as exc:  # a crashing claim is a verdict, recorded with its cause
        result = CheckResult(claim=claim.id, result_id=claim.result_id, verdict="error", seed=ctx.seed,
                             device=str(ctx.device), wall_time=time.perf_counter() - started,
                             details={"error": f"{type(exc).__name__}: {exc}",
                                      "traceback": traceback.format_exc(limit=5)}, versions=versions())
    result.details["profile"] = ctx.profile
    result.details["kind"] = claim.kind
    result.details["title"] = claim.title
    return result


def run_claims(profile: str, only: list[str] | None, device: str, out: Path, seed: int, resume: bool = False,
               progress=None) -> list[CheckResult]:
    """Run the selected claims in catalogue order; write OUT/claims/*.json, OUT/report.md and OUT/report.json."""
    if profile not in ("quick", "full"):
        raise ValueError(f"unknown profile {profile!r}; allowed: quick, full")
    ctx = Context(profile=profile, seed=seed, device=str(resolve_device(device)), dtype=torch.float64, out=Path(out))
    claims = select(only)
    out = Path(out)
    results: list[CheckResult] = []
    started = time.perf_counter()
    try:
        for i, claim in enumerate(progress_bar(claims, "claims")):
            path = claim_path(out, claim)
            finished = _load_finished(path, ctx) if resume else None
            result = finished or _run_one(claim, ctx)
            if finished is None:
                write_atomic(path, result.to_json())
            results.append(result)
            if progress:
                progress(i + 1, len(claims), result)
    finally:
        write_report(out, results, ctx, total=len(claims), wall_time=time.perf_counter() - started)
    return results
