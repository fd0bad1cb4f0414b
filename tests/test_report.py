"""report.md: the summary comes first (failures first), numbers come from the claims' details, formulas use the
notation's LaTeX names, every result-id prefix gets a section, self-checks go to the appendix, missing claims
say "not run"."""

from __future__ import annotations

import re

import pytest

from ipverify import theory
from ipverify.verify.claims import Context
from ipverify.verify.report import render_markdown
from ipverify.verify.result import CheckResult

APPENDIX = "# Appendix <a id=\"appendix\"></a>"


def _symbolic(result_id: str, text: str = "a self-check", verified: bool = True) -> CheckResult:
    return CheckResult(claim=f"{result_id}/symbolic", result_id=result_id, verdict="holds" if verified else "violated",
                       instances=1, replay=f"ipverify verify --only {result_id}/symbolic",
                       details={"kind": "symbolic", "failed": [] if verified else [text],
                                "checks": [{"claim": text, "method": "sympy", "verified": verified}]})


def _experiments() -> list[CheckResult]:
    step_map = CheckResult(claim="GD-4/step-size-map", result_id="GD-4", verdict="recorded", looseness=5.0,
                           details={"kind": "experiment", "critical_gamma_L_hat": [2.0, 3.0, None],
                                    "gamma_times_L_hat": [0.5, 1.0, 2.0, 3.0, 4.0],
                                    "encoded_gamma_L_hat": {"1/L": 0.25, "2/L": 0.5}})
    widths = CheckResult(claim="GF-13/width-in-practice", result_id="GF-13", verdict="recorded",
                         details={"kind": "experiment", "n": [4, 8], "theory_width": [100.0, 1000.0],
                                  "practice_width": [2.0, 4.0], "looseness": [50.0, 250.0]})
    speedup = CheckResult(claim="IN-5/speedup", result_id="IN-5", verdict="holds", ratio=0.5,
                          details={"kind": "property", "measured_speedup_median": 3.5, "kappa_opt": [0.3, 0.6],
                                   "gf_rate_guaranteed": [0.1, 0.2]})
    comparison = CheckResult(claim="IN-5/comparison", result_id="IN-5", verdict="holds", ratio=0.4, details={
        "kind": "measurement", "comparison_note": "medians over the networks", "comparison": [
            {"method": "GF", "parameters": "small step", "rate_unit": "f per unit time", "measured_rate": 0.6,
             "predicted_rate": 0.2, "guarantee": "certified on 4/4 networks", "iterations_to_1e-6": 100.0,
             "gradient_evaluations_to_1e-6": 100.0},
            {"method": "INNA-type", "parameters": "p", "rate_unit": "f per iteration", "measured_rate": 0.03,
             "predicted_rate": None, "guarantee": "none encoded", "iterations_to_1e-6": None,
             "gradient_evaluations_to_1e-6": None}]})
    return [step_map, widths, speedup, comparison]


def _render(results: list[CheckResult], total: int | None = None) -> str:
    return render_markdown(results, Context(), total=len(results) if total is None else total, wall_time=1.0)


def test_summary_comes_first_and_failures_lead_it():
    bad = CheckResult(claim="GF-5/flow", result_id="GF-5", verdict="violated", ratio=1.3,
                      replay="ipverify verify --only GF-5/flow --seed 7",
                      details={"kind": "property", "per_check_worst_ratio": {"residual": 1.3, "radius": 0.2}})
    text = _render([_symbolic("GF-1"), *_experiments(), bad])
    glance, contents = text.index("## At a glance"), text.index("## Contents")
    families, appendix = text.index("# Results by family"), text.index(APPENDIX)
    assert glance < contents < families < appendix
    assert not re.search(r"^#{1,3} ", text[text.index("\n"):glance], flags=re.M)  # nothing but the title before
    summary = text[glance:contents]
    headings = re.findall(r"^### (.+)$", summary, flags=re.M)
    assert headings[0] == "Failing claims"
    failing = summary[summary.index("### Failing claims"):summary.index(f"### {headings[1]}")]
    assert "GF-5/flow: violated" in failing and "ipverify verify --only GF-5/flow --seed 7" in failing
    assert "residual: worst observed/bound 1.3" in failing and "radius" not in failing  # only the broken check
    assert summary.index("--seed 7") < summary.index("### Verdicts")


def test_no_failure_says_none_and_an_interrupted_run_says_partial():
    text = _render([_symbolic("GF-1")])
    failing = text[text.index("### Failing claims"):text.index("### Verdicts")]
    assert "None." in failing
    partial = _render([_symbolic("GF-1")], total=3)
    assert "INTERRUPTED" in partial and "2 of 3 were not run" in partial


def test_numbers_in_the_summary_come_from_the_details():
    summary = _render(_experiments()).split("## Contents")[0]
    assert "up to 2.5/L̂" in summary and "at least" not in summary  # median of the finite critical steps 2, 3
    assert "5 times too conservative" in summary and "2/L is 0.5/L̂" in summary
    assert "50–250" in summary and "n = 4: 100 vs 2" in summary and "n = 8: 1e+03 vs 4" in summary
    assert "3.5 times faster" in summary and "guaranteed speed-up of 3" in summary  # κ*/2μ = 0.3/0.1 = 0.6/0.2
    table = summary[summary.index("IN-5 comparison"):]
    assert "| GF | small step | f per unit time | 0.6 | 0.2 | 3 |" in table  # looseness = measured / guaranteed
    assert "| INNA-type | p | f per iteration | 0.03 | – | – | none encoded |" in table


def test_missing_claims_say_not_run():
    summary = _render([_symbolic("GF-1")]).split("## Contents")[0]
    for what in ("GD-4/step-size-map): not run", "GF-13/width-in-practice): not run", "IN-5/speedup): not run",
                 "IN-5/comparison: not run", "JFB-1/jfb-gap): not run", "JFB-5/restarted): not run",
                 "Cross-checks with other tools: not run", "Mutation score of the self-checks: not run"):
        assert what in summary, what
    assert "## Cross-checks" not in summary and "## Mutation score" not in summary


def test_recalled_theorem_numbers_are_said_in_words():
    assert any("(#?)" in r.citation for r in theory.results())  # the catalogue does use the marker
    text = _render([_symbolic("GF-1")])
    assert "(#?)" not in text and "#?" not in text
    assert "Theorem numbers marked *recalled* are not verified against the paper" in text
    assert text.count("are not verified against the paper") == 1
    gf1 = theory.get("GF-1").citation.replace(" (#?)", "")
    assert f"{gf1} (recalled)" in text


def test_formulas_use_the_notation_and_one_formula_per_cell():
    text = _render([_symbolic("GD-4")])
    assert "R_{prime" not in text and "V_{col" not in text and "prime \\gamma" not in text
    gd4 = text[text.index('<a id="gd-4"></a>'):text.index('<a id="gd-5"></a>')]
    assert "| hypothesis | `R_prime_gamma<R` |" in gd4 and "$R'_\\gamma < R$" in gd4
    for row in gd4.splitlines():
        if row.startswith(("| hypothesis", "| conclusion")):
            assert row.count("$") == 2, row


def test_family_sections_are_titled_and_ordered_by_the_declared_families():
    text = _render([_symbolic("JFB-1"), _symbolic("GF-1")])
    headings = [f'## {f.prefix} — {f.heading} <a id="family-{f.prefix.lower()}"></a>' for f in theory.families()]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions) and len(positions) == 4
    assert "## JFB — Equilibrium models: restarted JFB vs DEQ (arXiv:2506.13239) <a" in text
    assert "## GF — Gradient flow (SSVM 2023, JMIV 2024) <a" in text


@pytest.mark.parametrize("result_id", ["ZZ-1", "QQ-B2"])
def test_a_new_family_prefix_gets_a_section_and_a_contents_entry(result_id):
    probe = CheckResult(claim=f"{result_id}/probe", result_id=result_id, verdict="holds", ratio=0.25,
                        details={"kind": "property", "per_check_worst_ratio": {"probe bound": 0.25}})
    text = _render([_symbolic("GF-1"), probe])
    prefix = result_id.split("-")[0]
    section = text.index(f'## {prefix} — {prefix} results <a id="family-{prefix.lower()}"></a>')
    assert section > text.index("# Results by family") and section < text.index(APPENDIX)
    assert text.index(f"{result_id}/probe", section) < text.index(APPENDIX)
    contents = text[text.index("## Contents"):text.index("# Results by family")]
    assert f"(#family-{prefix.lower()})" in contents and f"[{result_id}](#{result_id.lower()})" in contents


def test_self_check_tables_live_in_the_appendix():
    text = _render([_symbolic("GF-2", "Weyl radius pins sigma_min_lower"), *_experiments()])
    appendix = text.index(APPENDIX)
    assert text.index("Weyl radius pins sigma_min_lower") > appendix
    checks = text[text.index('<a id="appendix-self-checks"></a>'):]
    assert "| GF-2 | sympy | yes | Weyl radius pins sigma_min_lower |" in checks
    assert "| result | method | verified | self-check |" not in text[:appendix]


def test_a_failed_self_check_is_named_in_the_summary():
    text = _render([_symbolic("GF-2", "the Weyl step", verified=False)])
    failing = text[text.index("### Failing claims"):text.index("### Verdicts")]
    assert "failed self-checks: the Weyl step" in failing
    assert "| GF-2 | sympy | **no** | the Weyl step |" in text[text.index(APPENDIX):]
