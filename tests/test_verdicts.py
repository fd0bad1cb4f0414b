"""Verdicts that can fail: undefined bounds, divergence, three-valued hypotheses, assumed inputs, rate tightness,
strict JSON, conclusions that guarantee nothing."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp
import torch

from ipverify import theory
from ipverify.numerics.checkers import Checker, checker
from ipverify.theory import Hypothesis, Provenance, Quantity, Result, Sym
from ipverify.theory._core import REAL
from ipverify.verify._inputs import Input
from ipverify.verify._render import BoundReport, bound_payload, bound_text
from ipverify.verify.claims import Context, select
from ipverify.verify.claims.kit import Comparison, Judgement, aggregate
from ipverify.verify.result import FAILING, INCONCLUSIVE, PASSING, CheckResult, Verdict


def _aggregate(comparisons, certified=(True, True), diverged=(False, False)) -> CheckResult:
    j = Judgement("T/verdict", "GD-4", torch.tensor(certified), comparisons, torch.tensor(diverged))
    return aggregate(j, Context())


def _strict_loads(text: str):
    def refuse(constant):
        raise ValueError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


OBSERVED = torch.tensor([[1.0, 0.5, 0.25], [1.0, 0.6, 0.3]])


# ------------------------------------------------------------------------------------------- undefined bounds


def test_an_all_nan_bound_is_an_error_not_a_pass():
    result = _aggregate([Comparison("x <= nan", OBSERVED, torch.full_like(OBSERVED, math.nan))])
    assert result.verdict == "error" and result.failed and not result.passed
    assert result.details["undefined_bound_networks"] == {"x <= nan": [0, 1]}
    assert result.ratio is None


def test_one_nan_bound_record_on_one_certified_network_is_an_error():
    bound = torch.ones_like(OBSERVED)
    bound[1, 2] = math.nan
    assert _aggregate([Comparison("x <= 1", OBSERVED, bound)]).verdict == "error"
    assert _aggregate([Comparison("x <= 1", OBSERVED, bound)], certified=(True, False)).verdict == "holds"


def test_a_nan_bound_is_never_inside_it():
    bound = torch.tensor([[1.0, math.nan, 1.0]])
    c = Comparison("x <= 1", OBSERVED[:1], bound)
    assert not bool(c.holds(torch.float64).any()) and bool(c.undefined().all())


def test_masked_records_need_no_bound_and_keep_their_reason():
    bound = torch.tensor([[math.nan, 1.0, 1.0], [math.nan, 1.0, 1.0]])
    valid = torch.tensor([[False, True, True]]).expand(2, 3)
    result = _aggregate([Comparison("x <= 1 after t*", OBSERVED, bound, valid=valid, masked_reason="before t*")])
    assert result.verdict == "holds"
    assert result.details["masked_records"]["x <= 1 after t*"] == {"records": 2, "of": 6, "reason": "before t*"}


def test_early_stopping_masks_records_before_t_star_explicitly():
    (claim,) = select(["GF-7/early-stopping"])
    result = claim.run(Context(profile="quick", seed=0))
    assert result.verdict == "holds"
    (reason,) = [m["reason"] for m in result.details["masked_records"].values()]
    assert "before t*" in reason


# ------------------------------------------------------------------------------------------- divergence


def test_divergence_of_an_uncertified_network_is_a_diverged_verdict():
    inside = Comparison("x <= 1", OBSERVED, torch.tensor(1.0))
    result = _aggregate([inside], certified=(True, False), diverged=(False, True))
    assert result.verdict == "diverged" and result.failed and not result.passed and not result.holds
    assert result.details["diverged_uncertified_networks"] == 1


def test_gd4_descent_at_a_huge_step_is_diverged_not_a_pass():
    from ipverify.verify.claims._dip import judge_descent, run_claim
    from ipverify.verify.claims.gradient_descent import descent_specs

    ctx = Context(seed=0)
    result = run_claim("GD-4/descent", descent_specs(ctx)[:1], 50.0, 50, judge_descent, ctx)
    assert result.details["certified_networks"] == 0 and result.details["diverged_networks"] > 0
    assert result.verdict == "diverged" and result.failed and not result.passed
    assert _strict_loads(result.to_json())["passed"] is False


def test_the_step_too_large_control_still_reacts_and_records_its_divergence():
    (claim,) = select(["GD-4/step-too-large"])
    result = claim.run(Context(profile="quick", seed=0))
    assert result.verdict == "reacted" and result.passed and not result.holds
    assert "diverged" in result.details and result.details["checker_flagged"] == result.instances


# ------------------------------------------------------------------------------------------- verdict enum


def test_every_verdict_is_passing_inconclusive_or_failing_exactly_once():
    groups = (PASSING, INCONCLUSIVE, FAILING)
    for verdict in Verdict:
        assert sum(verdict in g for g in groups) == 1, verdict
        r = CheckResult(claim="C", result_id="GD-4", verdict=verdict.value)
        assert r.holds == (verdict is Verdict.HOLDS)
        assert r.passed == (verdict in PASSING) and r.failed == (verdict in FAILING)
        assert json.loads(r.to_json())["verdict"] == verdict.value
    assert not CheckResult(claim="C", result_id="GD-4", verdict="hypothesis fails").passed
    assert not CheckResult(claim="C", result_id="GD-4", verdict="reacted").holds
    with pytest.raises(ValueError):
        CheckResult(claim="C", result_id="GD-4", verdict="fine")


def test_to_dict_keeps_its_keys_and_adds_passed():
    data = CheckResult(claim="C", result_id="GD-4", verdict="recorded").to_dict()
    fields = set(CheckResult.__dataclass_fields__)
    assert set(data) == fields | {"holds", "passed"}
    assert CheckResult.from_dict(data).verdict is Verdict.RECORDED


# ------------------------------------------------------------------------------------------- strict JSON


def test_to_json_never_writes_nan_or_infinity_anywhere():
    r = CheckResult(claim="C", result_id="GD-4", verdict="holds", ratio=math.inf,
                    details={"ratios": [0.5, math.nan], "nested": {"t": torch.tensor([1.0, -math.inf])},
                             "rate": np.float64(math.nan), "count": np.int64(3)})
    data = _strict_loads(r.to_json())
    assert data["ratio"] is None and data["details"]["ratios"] == [0.5, None]
    assert data["details"]["nested"]["t"] == [1.0, None] and data["details"]["rate"] is None
    assert data["details"]["count"] == 3
    for where in ("ratio is +inf", "details.ratios[1] is nan", "details.nested.t[1] is -inf", "details.rate is nan"):
        assert where in data["note"]


# ------------------------------------------------------------------------------------------- three-valued logic

X, Y = Sym("x", "a real input", REAL), Sym("y", "a real input", REAL)


def _toy(hypotheses=(), conclusions=(), definitions=(), symbols=(X, Y), assumed=()) -> Result:
    return Result("T-1", "toy", "none", Provenance.DERIVED, "toy record", symbols, tuple(hypotheses),
                  tuple(definitions), tuple(conclusions), assumed_inputs=tuple(assumed))


def _report(result: Result, given: dict, sources: dict | None = None) -> BoundReport:
    sources = sources or {}
    inputs = {k: Input(v, sources.get(k, "given")) for k, v in given.items()}
    return BoundReport(result, inputs, Checker(result).evaluate(given))


def test_one_false_hypothesis_makes_the_conjunction_false_whatever_is_missing():
    x, y = X.symbol, Y.symbol
    toy = _toy([Hypothesis("x<1", x < 1, "x below 1"), Hypothesis("y<1", y < 1, "y below 1")])
    report = _report(toy, {"x": 2.0})  # y missing: unknown; x < 1 false
    assert report.all_hold() is False and bound_payload(report)["all_hypotheses_hold"] is False
    assert _report(toy, {"x": 0.5}).all_hold() is None
    assert _report(toy, {"x": 0.5, "y": 0.5}).all_hold() is True


def test_a_nan_margin_is_unknown_neither_true_nor_false():
    x, y = X.symbol, Y.symbol
    toy = _toy([Hypothesis("sqrt(x)<1", sp.sqrt(x) < 1, "undefined for x < 0"),
                Hypothesis("y<1", y < 1, "y below 1")])
    report = _report(toy, {"x": -1.0, "y": 0.5})
    payload = bound_payload(report)
    assert payload["hypotheses"][0]["holds"] is None and payload["all_hypotheses_hold"] is None
    assert not report.evaluation.evaluated_all_hypotheses and not bool(report.evaluation.holds)
    assert "sqrt(x)<1  —" not in bound_text(report) and "unknown" in bound_text(report)
    assert _report(toy, {"x": -1.0, "y": 2.0}).all_hold() is False  # false beats unknown


def test_margin_zero_holds_for_non_strict_relations_only():
    x = X.symbol
    toy = _toy([Hypothesis("x<=1", x <= 1, ""), Hypothesis("x>=1", x >= 1, ""), Hypothesis("x<1", x < 1, "")])
    verdicts = {v.name: bool(v.holds) for v in Checker(toy).evaluate({"x": 1.0}).hypotheses}
    assert verdicts == {"x<=1": True, "x>=1": True, "x<1": False}


def test_fuzzed_bound_answers_follow_kleene_logic():
    """Random subsets of inputs for every result: whenever an evaluated hypothesis is false, the conjunction is
    false; it is true only when every hypothesis was evaluated and holds."""
    rng = np.random.default_rng(0)
    results = theory.results()
    seen_false_with_missing = 0
    for _ in range(1500):
        result = results[int(rng.integers(len(results)))]
        given = {s.name: float(rng.uniform(-0.5, 3.0)) if not s.domain.integer else float(rng.integers(1, 50))
                 for s in result.symbols if rng.random() < 0.6 and s.domain.contains(0.5)}
        given = {k: v for k, v in given.items() if result.symbol(k).domain.contains(v)}
        with np.errstate(all="ignore"):
            ev = checker(result.id).evaluate(given)
        answer = ev.all_hold
        some_false = any(bool(np.any(v.fails)) for v in ev.hypotheses)
        if some_false:
            assert answer is False, (result.id, given)
            seen_false_with_missing += bool(ev.missing)
        elif answer is True:
            assert not ev.missing or not any(h.name in ev.missing for h in result.hypotheses)
            assert all(bool(np.all(v.holds)) for v in ev.hypotheses)
    assert seen_false_with_missing > 0, "the fuzz never exercised a false hypothesis next to a missing one"


# ------------------------------------------------------------------------------------------- assumed inputs


def test_a_given_assumed_input_qualifies_the_verdict():
    gamma, L = Sym("gamma", "step"), Sym("L", "smoothness constant")
    M = Sym("M", "curvature bound")
    assertion = "L is a Lipschitz constant of the gradient"
    toy = _toy([Hypothesis("gamma*L<2", gamma.symbol * L.symbol < 2, "step below 2/L")],
               symbols=(gamma, L, M), assumed=[("L", assertion)],
               definitions=[Quantity("L", 2 * M.symbol, "L from a certified curvature bound")])
    given = _report(toy, {"gamma": 0.5, "L": 1.0})
    payload = bound_payload(given)
    assert payload["verdict"] == f"holds provided that: {assertion} (L given)"
    assert payload["assumed"] == [{"name": "L", "value": 1.0, "source": "given", "assertion": assertion}]
    assert f"holds provided that: {assertion}" in bound_text(given)
    derived = _report(toy, {"gamma": 0.5, "M": 0.5})  # L = 2M is derived: nothing is assumed
    assert derived.all_inputs()["L"].source == "derived"
    assert bound_payload(derived)["verdict"] == "holds" and bound_payload(derived)["assumed"] == []
    assert "provided that" not in bound_text(derived)
    assert bound_payload(_report(toy, {"gamma": 3.0, "L": 1.0}))["verdict"] == "does not hold"


# ------------------------------------------------------------------------------------------- no guarantee


def test_a_nan_or_out_of_range_conclusion_is_no_guarantee():
    x = X.symbol
    toy = _toy(conclusions=[Quantity("root", sp.sqrt(x), "a square root"),
                            Quantity("norm_bound", x - 1, "‖e‖ ≤ this bound")])
    report = _report(toy, {"x": -1.0})
    payload = bound_payload(report)["conclusions"]
    assert payload["root"]["value"] is None and payload["root"]["no_guarantee"] == "no guarantee: value is nan"
    assert payload["norm_bound"]["value"] == -2.0 and "outside [0, inf]" in payload["norm_bound"]["no_guarantee"]
    assert "(no guarantee: value is nan)" in bound_text(report)
    fine = bound_payload(_report(toy, {"x": 4.0}))["conclusions"]
    assert fine["root"]["no_guarantee"] is None and fine["norm_bound"]["no_guarantee"] is None


# ------------------------------------------------------------------------------------------- rate tightness


def test_rate_comparison_reports_looseness_and_a_ratio_past_the_transient():
    t = torch.linspace(0.0, 5.0, 501)
    bound = 2.0 * torch.exp(-t)[None].expand(2, -1)
    observed = bound[0] * torch.tensor([[1.0], [0.5]]) * torch.exp(-torch.tensor([[2.0], [3.0]]) * t)
    rate = Comparison("rate", observed, bound, rate_time=t)
    result = _aggregate([rate])
    w = result.details["per_check"]["rate"]
    assert rate.ratio(torch.tensor([True, True]), torch.float64) == w["with_transient"]["ratio"]  # what a search uses
    # measured rates 3 and 4 against the guaranteed 1: the network closest to its guarantee has looseness 3
    assert result.looseness == pytest.approx(3.0, rel=1e-6) and w["looseness_network"] == 0
    assert w["measured_rate"] == pytest.approx(3.0, rel=1e-6) and w["guaranteed_rate"] == pytest.approx(1.0)
    # including the transient the worst ratio sits at the first record after the start, e^{-2·0.01} ≈ 0.98
    assert w["with_transient"]["record"] == 1 and w["with_transient"]["ratio"] == pytest.approx(math.exp(-0.02))
    # past one time constant (t ≥ 1) the worst ratio is e^{-2}: far from attained
    assert w["transient_end"][0] == pytest.approx(1.0, abs=0.011)
    assert result.ratio == pytest.approx(math.exp(-2 * w["time"])) and result.ratio < 0.14
    assert w["time"] == pytest.approx(1.0, abs=0.011) and w["network"] == 0


def test_gf5_flow_rate_is_reported_as_looseness_not_as_a_tight_ratio():
    (claim,) = select(["GF-5/flow"])
    result = claim.run(Context(profile="quick", seed=0))
    assert result.verdict == "holds"
    rates = {name: w for name, w in result.details["per_check"].items() if "looseness" in w}
    assert len(rates) == 2
    for w in rates.values():
        assert w["looseness"] > 2, "the measured flow rate is several times the guaranteed one"
        assert w["with_transient"]["ratio"] > 0.9 and w["with_transient"]["record"] == 1
        assert w["ratio"] < 0.5 * w["with_transient"]["ratio"]
    assert result.looseness == min(w["looseness"] for w in rates.values())
