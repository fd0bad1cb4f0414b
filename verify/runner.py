"""Run the claims, keep every finished one on disk, and write the report.

Each finished claim is written atomically to OUT/claims/<claim>.json before the next one starts, so an
interrupted run (Ctrl-C, SIGTERM, a kill) keeps every completed claim, and `--resume` reuses those already there
(a file that is not a finished record of that claim, e.g. truncated by a kill, is run again, saying so).
A claim that raises is recorded with the verdict "error" (never a pass). A claim's check returns an `Outcome`
(what it found); `record` stamps it with the claim, seed, device, dtype, wall time, replay command and versions, so
every record carries them the same way.

With `jobs > 1` the claims run in worker processes, or on a Dask cluster (`verify.executors`): submitted in
catalogue order, each written and reported as it finishes, the report in catalogue order. Records do not depend on
where claims ran (each seeds its own generators from the context). A claim whose pool worker died runs again in a
fresh pool; an interrupt cancels what is pending and stops the workers before the partial report is written.

One OUT folder holds one run: OUT/run.json records its profile and seed, and a run with other settings is refused
before anything is written. Everything is validated (profile, seed, claim ids, the layout of OUT) before OUT is
created. Hypothesis' example store lives under OUT/.hypothesis, never in the current folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import torch
from hypothesis import configuration as hypothesis_configuration
from tqdm.auto import tqdm

from ipverify.numerics._device import resolve_device
from ipverify.verify._render import dumps
from ipverify.verify.claims import Claim, Context, select
from ipverify.verify.figures import FIGURES
from ipverify.verify.figures import progress as progress_bar
from ipverify.verify.report import write_report
from ipverify.verify.result import CheckResult, Outcome, Verdict, versions, write_atomic

SEED_LIMIT = 2**63
"""Seeds are in [0, 2**63): claims add offsets below 2**62 to the seed, and torch seeds must stay below 2**64."""

RUN_FILE = "run.json"
CLAIMS = "claims"
LAYOUT = {CLAIMS: "folder", FIGURES: "folder", "report.md": "file", "report.json": "file", RUN_FILE: "file"}
"""What a run writes under OUT, and whether each is a folder or a file."""


def claim_path(out: Path, claim: Claim) -> Path:
    return Path(out) / CLAIMS / (claim.id.replace("/", "__") + ".json")


def check_settings(profile: str, seed: int) -> None:
    if profile not in ("quick", "full"):
        raise ValueError(f"unknown profile {profile!r}; allowed: quick, full")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed must be an integer from 0 to 2**63 - 1, got {seed!r}")


def check_out(out: Path, profile: str, seed: int) -> None:
    """Refuse an OUT that cannot hold this run, creating nothing: an empty path, a file, an entry of `LAYOUT` of the
    wrong kind, or a run.json of another profile/seed (or not a run record)."""
    if not str(out).strip():
        raise ValueError("--out must name a folder (got an empty path)")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a folder")
    for name, kind in LAYOUT.items():
        path = out / name
        if (path.exists() or path.is_symlink()) and path.is_dir() != (kind == "folder"):
            raise ValueError(f"--out {str(out)!r}: {name} must be a {kind}, and is not; remove it or use another --out")
    previous = read_run(out)
    if previous is not None and (previous.get("profile"), previous.get("seed")) != (profile, seed):
        raise ValueError(f"--out {str(out)!r} holds a run with profile {previous.get('profile')}, seed "
                         f"{previous.get('seed')} (see {RUN_FILE}); one folder holds one run: use another --out, or "
                         "the same --profile and --seed")


def read_run(out: Path) -> dict | None:
    """The settings stored in OUT/run.json (None when there is none); ValueError when it is not a run record."""
    path = Path(out) / RUN_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or "profile" not in data or "seed" not in data:
        raise ValueError(f"--out {str(out)!r}: {RUN_FILE} is not a run record; remove it or use another --out")
    return data


def _prepare_out(out: Path, ctx: Context) -> None:
    """Create OUT, record the run's settings and prove a file can be written there."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
        write_atomic(out / RUN_FILE, dumps({"profile": ctx.profile, "seed": ctx.seed, "device": str(ctx.device)}))
    except OSError as exc:
        raise ValueError(f"--out {str(out)!r} is not a writable folder: {exc.strerror or exc}") from None


_NUMBER, _OPTIONAL = (int, float), (int, float, type(None))
_RECORD_TYPES = {"claim": str, "result_id": str, "verdict": str, "details": dict, "wall_time": _NUMBER,
                 "instances": int, "ratio": _OPTIONAL, "looseness": _OPTIONAL, "observed": _OPTIONAL,
                 "bound": _OPTIONAL}


def _finished_record(path: Path, claim: Claim, ctx: Context) -> tuple[CheckResult | None, str | None]:
    """(the record of `claim` kept at `path`, None), or (None, why it cannot be reused); (None, None) if absent."""
    if not path.exists():
        return None, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, "is not valid JSON (truncated?)"
    if not isinstance(data, dict) or any(not isinstance(data.get(k), t) for k, t in _RECORD_TYPES.items()):
        return None, "is not a claim record"
    if data["claim"] != claim.id or data["verdict"] not in {v.value for v in Verdict}:
        return None, f"is not a record of {claim.id}"
    if data["details"].get("profile") != ctx.profile or data.get("seed") != ctx.seed:
        return None, "comes from another profile or seed"
    try:
        return CheckResult.from_dict(data), None
    except (TypeError, ValueError) as exc:
        return None, f"is not a claim record ({type(exc).__name__})"


def _say(message: str) -> None:
    tqdm.write(f"ipverify: {message}", file=sys.stderr)


def replay_command(claim_id: str, ctx: Context) -> str:
    return f"ipverify verify --only {claim_id} --profile {ctx.profile} --seed {ctx.seed} --device {ctx.device}"


def record(claim: Claim, ctx: Context, outcome: Outcome | CheckResult, wall_time: float) -> CheckResult:
    """The record of a claim: what its check found, stamped with the claim, seed, device, dtype (a symbolic claim:
    "cpu", "symbolic"), wall time, replay command (the outcome's own, e.g. a counterexample's, if it has one) and
    versions, and the profile, kind and title in its details."""
    symbolic = claim.kind == "symbolic"
    return CheckResult(
        claim=claim.id, result_id=getattr(outcome, "result_id", None) or claim.result_id, verdict=outcome.verdict,
        observed=outcome.observed, bound=outcome.bound, ratio=outcome.ratio, binding=outcome.binding,
        margin=outcome.margin, hypotheses=outcome.hypotheses, instances=outcome.instances, seed=ctx.seed,
        device="cpu" if symbolic else claim.device or str(ctx.device),
        dtype="symbolic" if symbolic else str(ctx.dtype).replace("torch.", ""), wall_time=wall_time,
        looseness=outcome.looseness, details={**outcome.details, "profile": ctx.profile, "kind": claim.kind,
                                               "title": claim.title},
        replay=outcome.replay or replay_command(claim.id, ctx), versions=versions())


def execute(claim: Claim, ctx: Context) -> CheckResult:
    """Run one claim's check and stamp its record; an exception propagates."""
    started = time.perf_counter()
    outcome = claim.check(ctx)
    return record(claim, ctx, outcome, time.perf_counter() - started)


def _run_one(claim: Claim, ctx: Context) -> CheckResult:
    started = time.perf_counter()
    try:
        outcome = claim.check(ctx)
    except Exception as exc:  # a crashing claim is a verdict, recorded with its cause
        outcome = Outcome(Verdict.ERROR, details={"error": f"{type(exc).__name__}: {exc}",
                                                  "traceback": traceback.format_exc(limit=5)})
    return record(claim, ctx, outcome, time.perf_counter() - started)


@contextlib.contextmanager
def _interrupts_deferred():
    """Hold SIGINT/SIGTERM while the report is written (a second Ctrl-C must not leave half a report)."""
    caught: list[int] = []
    try:
        previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum))
                    for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: signals go elsewhere
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            handler = previous[caught[0]]
            if callable(handler):
                handler(caught[0], None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), caught[0])


@contextlib.contextmanager
def _hypothesis_home(folder: Path):
    """Hypothesis keeps its files (example database, constants cache) under `folder` for the duration."""
    previous = getattr(hypothesis_configuration, "__hypothesis_home_directory", None)
    hypothesis_configuration.set_hypothesis_home_dir(folder)
    try:
        yield
    finally:
        hypothesis_configuration.set_hypothesis_home_dir(previous)


def _plan(claims, out: Path, ctx: Context, resume: bool, say) -> dict[int, CheckResult]:
    """The records `--resume` reuses, by catalogue position (a file that cannot be reused is said and rerun)."""
    reused = {}
    for i, claim in enumerate(claims):
        path = claim_path(out, claim)
        finished, why = _finished_record(path, claim, ctx) if resume else (None, None)
        if why:
            say(f"{path} {why}: running {claim.id} again")
        if finished is not None:
            finished.details["resumed"] = True
            reused[i] = finished
    return reused


def worth_a_pool(to_run) -> bool:
    """Workers pay for a start (a fork of the server that imported the catalogue, started once per run): worth it
    for two claims or more of which one trains networks; a run of SymPy checks only finishes sooner in-process."""
    return len(to_run) > 1 and any(c.kind != "symbolic" for c in to_run)


def _executor(to_run, jobs: int, threads: int, executor: str | None, scheduler: str | None):
    from ipverify.verify.executors import SerialExecutor, make_executor

    if scheduler or executor == "dask":
        return make_executor(jobs, threads, executor, scheduler)
    if jobs > 1 and executor != "serial" and worth_a_pool(to_run):
        return make_executor(min(jobs, len(to_run)), threads, "process")
    return SerialExecutor()


RETRIES = 2
"""How many times a claim whose pool worker died (killed, out of memory) is run again in a fresh pool."""


def _error_record(claim: Claim, ctx: Context, why: str) -> CheckResult:
    """A claim that could not be run where it was sent (its worker died, the cluster failed it): an error."""
    return record(claim, ctx, Outcome(Verdict.ERROR, details={"error": why}), 0.0)


def run_claims(profile: str, only: list[str] | None, device: str, out: Path, seed: int, resume: bool = False,
               progress=None, say=_say, jobs: int = 1, threads: int | None = None, executor: str | None = None,
               scheduler: str | None = None) -> list[CheckResult]:
    """Run the selected claims; write OUT/claims/*.json, OUT/report.md and OUT/report.json; the records in
    catalogue order.

    `jobs > 1` runs them in that many worker processes (`threads` torch threads each, default 1), `scheduler`
    (tcp://HOST:PORT) or `executor="dask"` on a Dask cluster (see `verify.executors`); claims are submitted in
    catalogue order and each is written and reported as it finishes. `progress(k, total, result)` is called after
    each claim, k counting the finished ones (a reused one has `details["resumed"]`); `say` receives one-line notes
    (a claim file that could not be reused). Bad settings raise ValueError (KeyError for an unknown claim id) before
    anything is written; an interrupt cancels what is pending, stops the workers and writes the partial report.
    """
    check_settings(profile, seed)
    claims = select(only)
    out = Path(out)
    check_out(out, profile, seed)
    ctx = Context(profile=profile, seed=seed, device=str(resolve_device(device)), dtype=torch.float64, out=out)
    _prepare_out(out, ctx)
    done: dict[int, CheckResult] = {}
    started = time.perf_counter()
    pool = None
    try:
        with _hypothesis_home(out / ".hypothesis"):
            reused = _plan(claims, out, ctx, resume, say)
            to_run = [c for i, c in enumerate(claims) if i not in reused]
            pool = _executor(to_run, jobs, threads or 1, executor, scheduler)
            bar = progress_bar(None, "claims", total=len(claims))

            def finish(i: int, result: CheckResult) -> None:
                done[i] = result
                bar.update(1)
                if progress:
                    progress(len(done), len(claims), result)

            in_flight: dict = {}  # future -> (catalogue position, claim, attempts)
            for i, claim in enumerate(claims):
                if i in reused:
                    finish(i, reused[i])
                    continue
                bar.set_postfix_str(claim.id)
                in_flight[pool.submit(claim, ctx)] = (i, claim, 0)
                _collect(in_flight, pool, ctx, out, finish, below=pool.capacity)
            _collect(in_flight, pool, ctx, out, finish, below=1)
            bar.close()
    except BaseException:
        if pool is not None:
            pool.close(cancel=True)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.close()
        results = [done[i] for i in sorted(done)]
        with _interrupts_deferred():
            write_report(out, results, ctx, total=len(claims), wall_time=time.perf_counter() - started)
    return results


def _collect(in_flight: dict, pool, ctx: Context, out: Path, finish, below: int) -> None:
    """Wait for claims to finish until fewer than `below` are in flight; write and report each one. Claims whose
    pool worker died run again in a fresh pool, up to `RETRIES` times."""
    while len(in_flight) >= below:
        finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        lost = []
        for future in sorted(finished, key=lambda f: in_flight[f][0]):
            i, claim, attempts = in_flight.pop(future)
            try:
                record = future.result()
            except BrokenProcessPool as exc:
                lost.append((i, claim, attempts, exc))
                continue
            except Exception as exc:  # the cluster gave up on it (e.g. dask's KilledWorker): an error, never a pass
                record = _error_record(claim, ctx, f"not run: {type(exc).__name__}: {exc}").to_dict()
            write_atomic(claim_path(out, claim), dumps(record, sort_keys=True))
            finish(i, CheckResult.from_dict(record))
        if lost:
            lost += [(i, c, a, None) for i, c, a in in_flight.values()]  # the broken pool refuses the rest too
            in_flight.clear()
            pool.restart()
            for i, claim, attempts, cause in sorted(lost, key=lambda item: item[0]):
                if attempts >= RETRIES and cause is not None:
                    record = _error_record(claim, ctx, f"its worker process died {RETRIES + 1} times "
                                                       f"({type(cause).__name__}: {cause})")
                    write_atomic(claim_path(out, claim), record.to_json())
                    finish(i, record)
                else:
                    in_flight[pool.submit(claim, ctx)] = (i, claim, attempts + (cause is not None))
