"""Failure modes made explicit: interruption and resume, determinism, divergence verdicts, ill-conditioning."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from ipverify.numerics.experiments import descent_run
from ipverify.numerics.instances import InstanceSpec
from ipverify.verify.claims import Context, select
from ipverify.verify.claims.kit import Comparison, Judgement, aggregate
from ipverify.verify.report import render_markdown
from ipverify.verify.result import CheckResult

ROOT = Path(__file__).resolve().parents[1]


def _verify(out: Path, *extra: str) -> subprocess.Popen:
    """`ipverify verify` on a symbolic claim (well under a second) then a short training claim, on one thread."""
    cmd = [sys.executable, "-m", "ipverify", "verify", "--only", "GF-1/symbolic", "GF-5/flow", "--device", "cpu",
           "--threads", "1", "--out", str(out), *extra]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"})


def _reap(proc: subprocess.Popen) -> None:
    """Never leave a child behind, whatever the test did."""
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def test_killed_run_keeps_finished_claims_and_resume_completes(tmp_path):
    first = tmp_path / "claims" / "GF-1__symbolic.json"
    proc = _verify(tmp_path)
    try:
        deadline = time.monotonic() + 600
        while not first.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert first.exists(), proc.communicate(timeout=30)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        _reap(proc)
    kept = first.read_text()
    json.loads(kept)  # written atomically: never half a file
    assert not (tmp_path / "claims" / "GF-5__flow.json").exists()

    resumed = _verify(tmp_path, "--resume")
    try:
        out, err = resumed.communicate(timeout=600)
    finally:
        _reap(resumed)
    assert resumed.returncode == 0, err
    assert first.read_text() == kept, "a finished claim was run again"
    assert "(resumed)" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["complete"] and {c["claim"] for c in report["claims"]} == {"GF-1/symbolic", "GF-5/flow"}


def test_same_seed_gives_bit_identical_claim_results():
    (claim,) = select(["GD-4/descent"])
    a, b = claim.run(Context(seed=5)), claim.run(Context(seed=5))
    strip = ("wall_time",)
    assert {k: v for k, v in a.to_dict().items() if k not in strip} == {
        k: v for k, v in b.to_dict().items() if k not in strip}


def test_a_diverged_network_never_counts_as_holding():
    ok = torch.tensor([True, True])
    inside = Comparison("x <= 1", torch.tensor([[0.5, 0.5], [0.5, 0.5]]), torch.tensor(1.0))
    j = Judgement("T/diverge", "GD-4", ok, [inside], diverged=torch.tensor([False, True]))
    result = aggregate(j, Context())
    assert result.verdict == "diverged" and result.failed and not result.holds


def test_nan_observation_is_never_inside_a_bound():
    nan = Comparison("x <= 1", torch.tensor([[0.5, float("nan")]]), torch.tensor(1.0))
    assert not bool(nan.holds(torch.float64).any())


def test_divergent_training_is_a_verdict_with_its_step():
    run = descent_run(InstanceSpec(n=4, m=4, d=3, k=16, activation="tanh", seed=3), 200.0, 50)
    assert bool(run.trajectory.diverged.any())
    from ipverify.verify.claims._dip import judge_descent

    j = judge_descent(run, "T/huge-step")
    assert not bool(j.hypotheses_hold.any()), "γL ≥ 2 must not be certified"
    assert any(step >= 0 for step in j.details["diverged_at"])


def test_report_puts_failing_claims_first_with_their_replay_command():
    bad = CheckResult(claim="GD-4/descent", result_id="GD-4", verdict="violated", replay="ipverify verify --only X",
                      details={"per_check_worst_ratio": {"rate": 1.5}})
    good = CheckResult(claim="GF-1/symbolic", result_id="GF-1", verdict="holds")
    text = render_markdown([good, bad], Context(), total=2, wall_time=1.0)
    failing = text.index("## Failing claims")
    assert failing < text.index("## Summary")
    assert "ipverify verify --only X" in text[failing:text.index("## Summary")]


def test_ill_conditioned_instance_gives_a_failing_hypothesis_not_an_error():
    from ipverify.numerics.checkers import checker

    ev = checker("GF-5").evaluate({"sigma_A": 1e-300, "sigma_0": 1e-300, "residual_0": 1.0, "R": 1.0, "t": 1.0})
    assert not ev.holds and ev.binding.name == "R_prime<R" and float(ev.binding.margin) < 0
