"""The first page of report.md: failures, verdict counts, how loose the theory is, what it means in practice,
and the key comparison tables. Every number is read from the claims' details; a claim that did not run says so."""

from __future__ import annotations

import json
import math
from statistics import median

from ipverify.verify.result import FAILING, INCONCLUSIVE, PASSING, CheckResult

NOT_RUN = "not run"


def fmt(x, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.{digits}g}" if isinstance(x, float) else str(x)


def cell(x, digits: int = 4) -> str:
    """A table cell: `fmt`, with the pipes of a text escaped."""
    return fmt(x, digits).replace("|", "\\|")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def md_table(headers, rows) -> list[str]:
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)] + \
           ["| " + " | ".join(row) + " |" for row in rows]


def numbers(values) -> list[float]:
    """The finite numbers of a list (JSON nulls and NaN left out)."""
    return [float(v) for v in values or [] if isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v)]


def span(values, digits: int = 3) -> str:
    """"a" or "a–b" over the finite values; "–" when there are none."""
    finite = numbers(values)
    if not finite:
        return "–"
    lo, hi = min(finite), max(finite)
    return fmt(lo, digits) if fmt(lo, digits) == fmt(hi, digits) else f"{fmt(lo, digits)}–{fmt(hi, digits)}"


def _by_claim(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.claim: r for r in results}


# ---------------------------------------------------------------------------------------------- failures, counts


def failing_lines(results: list[CheckResult], total: int, count: str) -> list[str]:
    """Failing claims with their replay command (what to look at first)."""
    failing = [r for r in results if r.failed]
    lines = ["### Failing claims", ""]
    if not failing and len(results) < total:
        return lines + [f"None among the {plural(len(results), 'claim')} that finished; the run was interrupted: "
                        f"{total - len(results)} of {total} were not run, and this report is partial.", ""]
    if not failing:
        return lines + ["None.", ""]
    for r in failing:
        lines.append(f"- **{r.claim}: {r.verdict}** — replay: `{r.replay}`")
        if r.details.get("error"):
            lines.append(f"  - error: `{r.details['error']}`")
        if r.details.get("counterexample"):
            lines.append(f"  - smallest counterexample (shrunk by hypothesis): "
                         f"`{json.dumps(r.details['counterexample'])}`")
        if r.details.get("failed"):
            lines.append("  - failed self-checks: " + "; ".join(map(str, r.details["failed"])))
        for name, ratio in r.details.get("per_check_worst_ratio", {}).items():
            if isinstance(ratio, (int, float)) and ratio > 1:
                lines.append(f"  - {name}: worst observed/bound {fmt(ratio)}")
    return lines + [""]


def verdict_lines(results: list[CheckResult], count: str) -> list[str]:
    by_verdict = {str(v): [r for r in results if r.verdict is v] for v in (*PASSING, *INCONCLUSIVE, *FAILING)}
    lines = ["### Verdicts", "", f"{count}.", "",
             f"- **holds** ({len(by_verdict['holds'])}): every hypothesis the proof uses was certified and every "
             "measurement stayed inside its bound.",
             f"- **reacted** ({len(by_verdict['reacted'])}): negative controls — a hypothesis was broken on purpose "
             "and the checker or the bound reacted as it must.",
             f"- **recorded** ({len(by_verdict['recorded'])}): experiments that measure (looseness, probabilities, "
             "figures) and assert no bound."]
    if by_verdict["hypothesis fails"]:
        lines.append(f"- **hypothesis fails** ({len(by_verdict['hypothesis fails'])}): not certified, so nothing "
                     "was tested: " + ", ".join(r.claim for r in by_verdict["hypothesis fails"]) + ".")
    return lines + [""]


# ---------------------------------------------------------------------------------------------- looseness


def looseness_lines(results: list[CheckResult]) -> list[str]:
    """Rate looseness (measured / guaranteed rate) and observed/bound ratios over the claims that judged a bound."""
    rates = [(r.claim, r.looseness) for r in results
             if r.details.get("kind") != "experiment" and numbers([r.looseness])]
    ratios = [(r.claim, r.ratio) for r in results if r.holds and numbers([r.ratio])]
    lines = ["### How loose the theory is", ""]
    if rates:
        lo, hi = min(rates, key=lambda x: x[1]), max(rates, key=lambda x: x[1])
        lines.append(f"- Rates: where a convergence rate is guaranteed, the measured rate is {fmt(lo[1], 3)}× "
                     f"({lo[0]}) to {fmt(hi[1], 3)}× ({hi[0]}) the guaranteed one, over "
                     f"{plural(len(rates), 'claim')} (looseness = measured rate / guaranteed rate; 1 would mean the "
                     "guarantee is attained, 4 that the loss falls 4 times faster than guaranteed).")
    else:
        lines.append(f"- Rates: {NOT_RUN} (no claim measured a rate against its guarantee).")
    if ratios:
        tight = max(ratios, key=lambda x: x[1])
        lines.append(f"- Bounds: over {plural(len(ratios), 'claim')} that held a measurement against its bound, "
                     f"the median worst observed/bound is {fmt(median(v for _, v in ratios), 3)}; the tightest is "
                     f"{tight[0]} at {fmt(tight[1], 3)} (1 means the bound is attained, 0 that the measurement is far "
                     "inside it).")
    by = _by_claim(results)
    width, step = by.get("GF-13/width-in-practice"), by.get("GD-4/step-size-map")
    lines.append("- Widths: GF-13's required width / the width that trains = "
                 + (span(width.details.get("looseness")) if width else NOT_RUN)
                 + "; steps: the empirical critical step / GD-4's 2/L = "
                 + (fmt(step.looseness, 3) if step else NOT_RUN) + " (details below).")
    return lines + [""]


def _width_sentence(by: dict[str, CheckResult]) -> str:
    r = by.get("GF-13/width-in-practice")
    if r is None:
        return f"GF-13 width required vs width that trains (GF-13/width-in-practice): {NOT_RUN}."
    ns, req, got = r.details.get("n") or [], r.details.get("theory_width") or [], r.details.get("practice_width") or []
    pairs = ", ".join(f"n = {n}: {fmt(a, 3)} vs {fmt(b, 3)}" for n, a, b in zip(ns, req, got, strict=False))
    return (f"GF-13 asks for a hidden width {span(r.details.get('looseness'))} times the smallest width at which "
            f"training converges in practice (required vs trained: {pairs}).")


def _step_sentence(by: dict[str, CheckResult]) -> str:
    r = by.get("GD-4/step-size-map")
    if r is None:
        return f"GD-4 empirical critical step vs 2/L (GD-4/step-size-map): {NOT_RUN}."
    encoded = (r.details.get("encoded_gamma_L_hat") or {}).get("2/L")
    critical = numbers(r.details.get("critical_gamma_L_hat"))
    largest = max(numbers(r.details.get("gamma_times_L_hat")) or [math.nan])
    if not critical or encoded is None:
        return "GD-4: no empirical critical step was found on the grid tried."
    at_least = "at least " if median(critical) >= largest else ""
    return (f"GD-4's admissible step 2/L is {fmt(encoded, 3)}/L̂ (L̂ = ‖∇²f(θ₀)‖), while training converges in half "
            f"the runs up to {at_least}{fmt(median(critical), 3)}/L̂ (median over widths): the step condition is "
            f"{at_least}{fmt(r.looseness, 3)} times too conservative.")


# ---------------------------------------------------------------------------------------------- practice


def practice_lines(results: list[CheckResult]) -> list[str]:
    by = _by_claim(results)
    return ["### What it means in practice", "",
            "- **Step size (GD-4, γ < 2/L).** " + _steps_practice(by),
            "- **Width (GF-13).** " + _width_sentence(by),
            "- **Early stopping (GF-7, t\\*).** " + _early_stopping(by),
            "- **Inertia (IN-5).** " + _inertia(by),
            "- **JFB vs DEQ (JFB-1, JFB-5).** " + _jfb(by), ""]


def _steps_practice(by: dict[str, CheckResult]) -> str:
    text = _step_sentence(by)
    control = by.get("GD-4/step-too-large")
    if control is not None:
        text += (f" Beyond 2/L the checker refused the step on {fmt(control.details.get('checker_flagged'))} "
                 f"networks (negative control: {control.verdict}).")
    return text


def _early_stopping(by: dict[str, CheckResult]) -> str:
    curve, claim = by.get("GF-7/early-stopping-curve"), by.get("GF-7/early-stopping")
    if curve is None and claim is None:
        return f"{NOT_RUN}."
    parts = []
    if curve is not None:
        parts.append(f"The encoded early-stopping time is τ* = {span(curve.details.get('tau_star'))} iterations, "
                     f"while the recovery error was smallest at τ = {span(curve.details.get('best_tau'))}: t* "
                     "guarantees the prediction error ≤ 2‖ε‖ afterwards, not the best stopping point")
    else:
        parts.append(f"The early-stopping curve (GF-7/early-stopping-curve): {NOT_RUN}")
    if claim is not None:
        ratio = next((v for k, v in claim.details.get("per_check_worst_ratio", {}).items() if "t*" in k), None)
        parts.append(f"after t* the prediction error reached {fmt(ratio, 3)} of 2‖ε‖ at worst "
                     f"(GF-7/early-stopping: {claim.verdict})")
    return "; ".join(parts) + "."


def _inertia(by: dict[str, CheckResult]) -> str:
    r = by.get("IN-5/speedup")
    if r is None:
        return f"DIN vs gradient flow speed-up (IN-5/speedup): {NOT_RUN}."
    pairs = list(zip(r.details.get("kappa_opt") or [], r.details.get("gf_rate_guaranteed") or [], strict=False))
    guaranteed = [k / g for k, g in pairs if numbers([k]) and numbers([g]) and g > 0]
    return (f"With the optimal (α, β), DIN's loss decays {fmt(r.details.get('measured_speedup_median'), 3)} times "
            f"faster than gradient flow's (measured, median over {plural(len(pairs), 'network')}), against a "
            f"guaranteed speed-up of {span(guaranteed)} (ratio of the guaranteed rates κ* and 2μ): the acceleration "
            "is real and the guarantee predicts its size." if guaranteed else
            f"measured speed-up {fmt(r.details.get('measured_speedup_median'), 3)}; guaranteed: {NOT_RUN}.")


def _jfb(by: dict[str, CheckResult]) -> str:
    gap, restarted = by.get("JFB-1/jfb-gap"), by.get("JFB-5/restarted")
    parts = []
    if gap is None:
        parts.append(f"JFB-1 gap (JFB-1/jfb-gap): {NOT_RUN}")
    else:
        layers = [row for row in gap.details.get("layers") or [] if isinstance(row, dict)]
        relative = [row["gap"] / row["g_DEQ_norm"] for row in layers
                    if numbers([row.get("gap")]) and numbers([row.get("g_DEQ_norm")]) and row["g_DEQ_norm"] > 0]
        parts.append(f"At the equilibrium the JFB gradient differs from the DEQ gradient by {span(relative)} of "
                     f"‖g_DEQ‖ on {plural(len(layers), 'layer')}, at most {fmt(gap.ratio, 3)} of the Neumann bound "
                     "ρ/(1 − ρ)‖B‖‖v‖: plain JFB is a cheap but rough surrogate")
    if restarted is None:
        parts.append(f"JFB-5 restarted JFB (JFB-5/restarted): {NOT_RUN}")
    else:
        parts.append(f"restarted JFB's error stays within {fmt(restarted.ratio, 3)} of the JFB-5 bound at worst "
                     f"({restarted.verdict})")
    bilevel = by.get("JFB-5/bilevel")
    T = numbers(bilevel.details.get("T")) if bilevel is not None else []
    if T:
        parts.append(f"in bilevel learning the learned parameters' distance to DEQ's falls from "
                     f"{span(bilevel.details.get('distance_T0'))} (T = 0) to "
                     f"{span(bilevel.details.get('distance_T_max'))} (T = {fmt(max(T))} restarts)")
    return "; ".join(parts) + "."


# ---------------------------------------------------------------------------------------------- key tables


def comparison_lines(results: list[CheckResult]) -> list[str]:
    """IN-5's comparison of methods: measured vs guaranteed rates."""
    r = _by_claim(results).get("IN-5/comparison")
    lines = ["### Measured vs guaranteed rates (IN-5 comparison)", ""]
    if r is None:
        return lines + [f"IN-5/comparison: {NOT_RUN}.", ""]
    rows = []
    for row in (x for x in r.details.get("comparison") or [] if isinstance(x, dict)):
        measured, predicted = row.get("measured_rate"), row.get("predicted_rate")
        loose = measured / predicted if numbers([measured]) and numbers([predicted]) and predicted > 0 else None
        rows.append([cell(row.get(k), 3) for k in ("method", "parameters", "rate_unit")]
                    + [cell(measured, 3), cell(predicted, 3), cell(loose, 3), cell(row.get("guarantee")),
                       cell(row.get("iterations_to_1e-6"), 4), cell(row.get("gradient_evaluations_to_1e-6"), 4)])
    lines += md_table(("method", "parameters", "unit", "measured rate", "guaranteed rate", "looseness",
                       "guarantee", "iterations to 1e-6", "gradients to 1e-6"), rows)
    note = r.details.get("comparison_note")
    return lines + ["", "Looseness = measured rate / guaranteed rate (1: the guarantee is attained; – : no guarantee "
                    "applies)." + (f" {note}." if note else ""), ""]


CROSSCHECK_KEYS = ("source", "result_id", "quantity", "ours", "theirs", "valid", "tightness")


def crosscheck_rows(results: list[CheckResult]) -> list[tuple[CheckResult, dict]]:
    """Comparisons of our bound with another source's, from claims whose details hold "crosscheck"."""
    return [(r, row) for r in results if isinstance(r.details.get("crosscheck"), list)
            for row in r.details["crosscheck"] if isinstance(row, dict)]


CROSSCHECK_NOTE = ("Our bound (ours) against another tool's worst case or solution (theirs); valid: our bound is on "
                   "the right side of theirs; tightness: how close the two are (1: our bound is exact, smaller: "
                   "looser).")


def crosscheck_lines(results: list[CheckResult]) -> list[str]:
    """Per claim: how many comparisons, how many valid, the range of tightness (every row in the appendix)."""
    rows = crosscheck_rows(results)
    if not rows:
        return ["Cross-checks with other tools: " + NOT_RUN + ".", ""]
    claims = list(dict.fromkeys(r.claim for r, _ in rows))
    table = []
    for claim in claims:
        mine = [row for r, row in rows if r.claim == claim]
        valid = sum(row.get("valid") is True for row in mine)
        sources = ", ".join(dict.fromkeys(str(row.get("source", "–")) for row in mine))
        table.append([claim, cell(sources), f"{valid}/{len(mine)}", span([row.get("tightness") for row in mine])])
    return (["### Cross-checks", "", CROSSCHECK_NOTE + " Every comparison: [appendix](#appendix-crosschecks).", ""]
            + md_table(("claim", "source", "valid", "tightness"), table) + [""])


def crosscheck_appendix(results: list[CheckResult]) -> list[str]:
    rows = crosscheck_rows(results)
    if not rows:
        return []
    return ([CROSSCHECK_NOTE, ""] + md_table(("claim", *CROSSCHECK_KEYS),
                                             [[r.claim] + [cell(row.get(key)) for key in CROSSCHECK_KEYS]
                                              for r, row in rows]) + [""])


def mutation_found(results: list[CheckResult]) -> list[tuple[CheckResult, dict]]:
    return [(r, r.details["mutation"]) for r in results if isinstance(r.details.get("mutation"), dict)]


def mutation_rows(mutation: dict, only_imperfect: bool = False) -> list[list[str]]:
    rows = []
    for row in mutation.get("results") or []:
        if not isinstance(row, dict) or (only_imperfect and not (row.get("survived") or row.get("equivalent"))):
            continue
        survived = ", ".join(map(str, row.get("survived") or [])) or "–"
        equivalent = "; ".join(f"{e.get('mutant')} ({e.get('reason')})" if isinstance(e, dict) else str(e)
                               for e in row.get("equivalent") or []) or "–"
        rows.append([cell(c) for c in (row.get("result_id", ""), row.get("killed"), row.get("score"), survived,
                                       equivalent)])
    return rows


MUTATION_HEADERS = ("result", "killed", "score", "survived", "equivalent")


def mutation_summary_lines(results: list[CheckResult]) -> list[str]:
    """The overall score, and the results with a surviving or an equivalent mutant (all rows in the appendix)."""
    found = mutation_found(results)
    if not found:
        return ["Mutation score of the self-checks: " + NOT_RUN + ".", ""]
    lines = ["### Mutation score", "", "Each definition and conclusion of a record is mutated (2·e, e + 1, one "
             "factor dropped, −e); a mutant is killed when a self-check of the record stops verifying.", ""]
    for r, mutation in found:
        lines.append(f"- {r.claim}: overall score {fmt(mutation.get('score'), 4)} ({fmt(mutation.get('killed'))} "
                     f"killed, {fmt(mutation.get('survived'))} survived, {fmt(mutation.get('equivalent'))} declared "
                     "equivalent).")
        imperfect = mutation_rows(mutation, only_imperfect=True)
        if imperfect:
            lines += ["", *md_table(MUTATION_HEADERS, imperfect), ""]
    return lines + [""]


def summary_page(results: list[CheckResult], total: int, count: str) -> list[str]:
    return (['## At a glance <a id="at-a-glance"></a>', ""] + failing_lines(results, total, count)
            + verdict_lines(results, count)
            + looseness_lines(results) + practice_lines(results) + comparison_lines(results)
            + crosscheck_lines(results) + mutation_summary_lines(results))
