"""The catalogue walk over claims (PEPit style): every claim of the quick profile passes under one tolerance policy,
and the runner keeps finished claims, resumes, and writes the report."""

from __future__ import annotations

import json

import pytest

from ipverify import theory
from ipverify.verify.claims import Context, all_claims, select
from ipverify.verify.runner import claim_path, run_claims

CLAIMS = all_claims()


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_passes_in_the_quick_profile(claim):
    result = claim.run(Context(profile="quick", seed=0))
    assert not result.failed, f"{claim.id}: {result.verdict} {result.details}"
    if claim.kind == "property":
        assert result.verdict == "holds", f"{claim.id}: no certified instance"
        assert result.ratio is not None and result.ratio <= 1 + 1e-9
    if claim.kind == "negative control":
        assert result.passed and not result.holds, f"{claim.id}: a negative control reacts, it never 'holds'"
    json.loads(result.to_json(), parse_constant=_refuse)  # strict JSON: no NaN/Infinity anywhere


def _refuse(constant):
    raise ValueError(f"non-strict JSON constant {constant}")


def test_every_gf_and_gd_result_has_a_claim():
    covered = {c.result_id for c in CLAIMS}
    assert {r.id for r in theory.results() if r.self_checks} <= covered


def test_selection_by_claim_or_result_id():
    assert {c.id for c in select(["gd-4"])} >= {"GD-4/descent", "GD-4/step-too-large"}
    assert [c.id for c in select(["GF-7/early-stopping"])] == ["GF-7/early-stopping"]
    with pytest.raises(KeyError):
        select(["XX-1"])


def test_runner_writes_report_and_resumes(tmp_path, monkeypatch):
    chosen = ["GD-1", "GF-13/symbolic", "GF-13/width-too-small"]
    results = run_claims("quick", chosen, "cpu", tmp_path, seed=3)
    assert {r.claim for r in results} == {"GD-1/symbolic", "GF-13/symbolic", "GF-13/width-too-small"}
    report = (tmp_path / "report.md").read_text()
    assert "GF-13/width-too-small" in report and "git revision" in report
    assert json.loads((tmp_path / "report.json").read_text())["complete"] is True
    for claim in select(chosen):
        assert claim_path(tmp_path, claim).exists()

    def fail(*args, **kwargs):
        raise AssertionError("a finished claim was run again")

    monkeypatch.setattr("ipverify.verify.runner._run_one", fail)
    again = run_claims("quick", chosen, "cpu", tmp_path, seed=3, resume=True)
    assert [r.verdict for r in again] == [r.verdict for r in results]


def test_an_interrupted_run_keeps_finished_claims(tmp_path, monkeypatch):
    import ipverify.verify.runner as runner
    real = runner._run_one
    calls = []

    def interrupt_second(claim, ctx):
        calls.append(claim.id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(claim, ctx)

    monkeypatch.setattr(runner, "_run_one", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        run_claims("quick", ["GD-1", "GF-13/symbolic"], "cpu", tmp_path, seed=0)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["complete"] is False and len(data["claims"]) == 1
    assert claim_path(tmp_path, select([calls[0]])[0]).exists()


def test_a_crashing_claim_is_an_error_verdict_not_a_pass(tmp_path, monkeypatch):
    import ipverify.verify.runner as runner
    from ipverify.verify.claims.kit import Claim

    def boom(ctx):
        raise RuntimeError("boom")

    broken = Claim("GD-1/symbolic", "GD-1", "broken", "symbolic", boom)
    monkeypatch.setattr(runner, "select", lambda only: (broken,))
    monkeypatch.setattr("ipverify.verify.claims.all_claims", lambda: (broken,))  # executors look claims up by id
    (result,) = run_claims("quick", None, "cpu", tmp_path, seed=0)
    assert result.verdict == "error" and result.failed and "boom" in result.details["error"]


def test_search_shrinks_a_violation_to_the_smallest_instance(monkeypatch):
    """A judge that reports a violation exactly when n ≥ 4: the search must find it and shrink it to n = 4."""
    import torch

    from ipverify.verify.claims import search
    from ipverify.verify.claims._dip import judge_descent

    def judge_failing_from_n4(run, claim_id):
        j = judge_descent(run, claim_id)
        j.hypotheses_hold = torch.ones_like(j.hypotheses_hold)
        j.diverged = torch.full_like(j.diverged, run.instance.spec.n >= 4)
        return j

    result_id, _, specs, gammas, _ = search.SEARCHES["GD-4/search"]
    monkeypatch.setitem(search.SEARCHES, "GD-4/search", (result_id, judge_failing_from_n4, specs, gammas, 5))
    result = search.search("GD-4/search", Context(profile="full", seed=1))
    assert result.verdict == "violated" and result.failed
    assert result.details["counterexample"]["spec"]["n"] == 4
    assert "python -m ipverify.claims.search GD-4/search" in result.replay
    spec_json = json.dumps(result.details["counterexample"]["spec"])
    assert search.replay("GD-4/search", spec_json, result.details["counterexample"]["gamma_factor"])
