"""report.md and report.json. report.md reads top-down: a one-page summary (failures first, verdict counts, how
loose the theory is, what it means in practice, the key comparison tables), a table of contents, one section per
result family (formulas in LaTeX, one per cell), and an appendix (all claims, self-checks, instances, recorded
tables, mutation rows, run metadata). report.json is strict JSON (non-finite numbers are null). A report of an
interrupted run says so, and counts only the claims that finished."""

from __future__ import annotations

import datetime
import re
import subprocess
from collections import Counter
from pathlib import Path

from ipverify import theory
from ipverify.verify._render import _printer, dumps
from ipverify.verify._report_sections import (
    MUTATION_HEADERS,
    NOT_RUN,
    cell,
    crosscheck_appendix,
    crosscheck_rows,
    fmt,
    md_table,
    mutation_found,
    mutation_rows,
    plural,
    summary_page,
)
from ipverify.verify.result import FAILING, INCONCLUSIVE, PASSING, CheckResult, strict, versions, write_atomic

CATALOGUE = "catalogue"
"""The result id of claims about the whole catalogue (the mutation score): a section of their own, last."""

RECALLED_NOTE = ("Theorem numbers marked *recalled* are not verified against the paper; the encoded statement is "
                 "what is checked.")
RATIO_NOTE = ("In the claim tables, *worst observed/bound* is the largest measured value over its bound among "
              "certified instances (1: the bound is attained; 0: the measurement is far inside it; above 1: "
              "violated); *looseness* is the measured rate over the guaranteed rate (1: the guarantee is attained; "
              "4: the loss falls 4 times faster than guaranteed).")

__all__ = ["count_line", "git_revision", "plural", "render_markdown", "write_report"]


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def count_line(results: list[CheckResult], total: int | None = None) -> str:
    """How many claims gave each kind of verdict: "3 claims: 1 holds, 1 reacted, 1 recorded, 0 inconclusive
    (hypothesis fails), 0 failed"; the failures by verdict; "k of n claims finished" for an interrupted run."""
    counts = Counter(str(r.verdict) for r in results)
    n = len(results)
    head = plural(n, "claim") if total is None or total == n else f"{n} of {plural(total, 'claim')} finished"
    parts = [f"{counts[str(v)]} {v}" for v in PASSING]
    parts.append(f"{sum(counts[str(v)] for v in INCONCLUSIVE)} inconclusive ({', '.join(map(str, INCONCLUSIVE))})")
    failed = sum(counts[str(v)] for v in FAILING)
    kinds = ", ".join(f"{counts[str(v)]} {v}" for v in FAILING if counts[str(v)])
    parts.append(f"{failed} failed" + (f" ({kinds})" if kinds else ""))
    return f"{head}: " + ", ".join(parts)


def _recalled(text: str) -> str:
    """A record's text with its "(#?)" markers (theorem number recalled, not verified) said in words."""
    return re.sub(r"\s*\(#\?\)", " (recalled)", text)


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _heading(level: int, text: str, anchor: str) -> list[str]:
    return ["#" * level + f' {text} <a id="{anchor}"></a>', ""]


# ---------------------------------------------------------------------------------------------- families


def _prefix(result_id: str) -> str:
    return result_id.partition("-")[0]


def _families(results: list[CheckResult]) -> dict[str, list[str]]:
    """Prefix → result ids, in catalogue order, then the result ids of claims the catalogue does not hold."""
    families: dict[str, list[str]] = {}
    for rid in [r.id for r in theory.results()] + [r.result_id for r in results]:
        ids = families.setdefault(_prefix(rid), [])
        if rid not in ids:
            ids.append(rid)
    return families


def _record(result_id: str):
    try:
        return theory.get(result_id)
    except KeyError:
        return None


def _formula_rows(record) -> list[list[str]]:
    """One row per hypothesis and conclusion: role, name, meaning, formula (LaTeX with the notation's names)."""
    latex = _printer(record, latex=True)
    rows = [["hypothesis", f"`{h.name}`", cell(h.meaning), "$" + cell(latex(h.relation)) + "$"]
            for h in record.hypotheses]
    rows += [["conclusion", f"`{q.name}`", cell(q.meaning), "$" + cell(latex(q.expr)) + "$"]
             for q in record.conclusions]
    return rows


def _claim_rows(mine: list[CheckResult]) -> list[list[str]]:
    rows = []
    for r in mine:
        resumed = " (resumed)" if r.details.get("resumed") else ""
        checks = r.details.get("per_check_worst_ratio") or {}
        first = [r.claim, f"**{r.verdict}**{resumed}", cell(r.details.get("kind", "")), cell(r.ratio),
                 cell(r.looseness)]
        if not checks:
            rows.append(first + ["–", "–"])
        for i, (name, ratio) in enumerate(checks.items()):
            rows.append((first if i == 0 else ["", "", "", "", ""]) + [cell(name), cell(ratio, 3)])
    return rows


def _result_section(result_id: str, results: list[CheckResult]) -> list[str]:
    record = _record(result_id)
    mine = [r for r in results if r.result_id == result_id]
    title = f"{result_id} — {record.title}" if record else result_id
    lines = _heading(3, title, _anchor(result_id))
    if record is not None:
        variant = f" ({record.variant})" if record.variant else ""
        lines += [f"*{record.provenance.value}{variant}*, {_recalled(record.citation)}.", "",
                  _recalled(record.statement), ""]
        formulas = _formula_rows(record)
        if formulas:
            lines += md_table(("role", "name", "meaning", "formula"), formulas) + [""]
        if record.unconfirmed:
            lines += ["Unconfirmed: " + "; ".join(_recalled(u) for u in record.unconfirmed) + ".", ""]
    for r in mine:
        if r.details.get("figure"):
            pdf = f"; PDF: `{r.details['figure_pdf']}`." if r.details.get("figure_pdf") else "."
            lines += [f"![{r.claim}]({r.details['figure']})", "",
                      f"*{r.claim}*: {r.details.get('caption', '')} Data: `{r.details.get('data', '')}`{pdf}", ""]
    if mine:
        lines += md_table(("claim", "verdict", "kind", "worst observed/bound", "looseness", "check",
                           "observed/bound"), _claim_rows(mine))
        if any(_appendix_tables(r) for r in mine):
            lines += ["", "Instances and recorded tables: [appendix](#appendix-details)."]
    else:
        lines.append(f"Claims: {NOT_RUN}.")
    return lines + [""]


def _family_title(prefix: str) -> str:
    """The declared family's title with its paper; a prefix no family declares (a claim of an older run) is titled
    by the prefix."""
    if prefix == CATALOGUE:
        return "Checks over the whole catalogue"
    try:
        return theory.family(prefix).heading
    except KeyError:
        return f"{prefix} results"


def _families_body(families: dict[str, list[str]], results: list[CheckResult]) -> list[str]:
    lines = ['# Results by family <a id="results-by-family"></a>', "", RECALLED_NOTE, "", RATIO_NOTE, ""]
    for prefix, ids in families.items():
        lines += _heading(2, f"{prefix} — {_family_title(prefix)}", f"family-{_anchor(prefix)}")
        for rid in ids:
            lines += _result_section(rid, results)
    return lines


def _contents(families: dict[str, list[str]], results: list[CheckResult]) -> list[str]:
    lines = ["## Contents", "", "- [At a glance](#at-a-glance)", "- [Results by family](#results-by-family)"]
    for prefix, ids in families.items():
        lines.append(f"  - [{prefix} — {_family_title(prefix)}](#family-{_anchor(prefix)}): "
                     + ", ".join(f"[{rid}](#{_anchor(rid)})" for rid in ids))
    lines += ["- [Appendix](#appendix)", "  - [Summary table of all claims](#appendix-claims)",
              "  - [Self-checks](#appendix-self-checks)", "  - [Instances and recorded tables](#appendix-details)"]
    if crosscheck_rows(results):
        lines.append("  - [Cross-checks](#appendix-crosschecks)")
    if mutation_found(results):
        lines.append("  - [Mutation score per result](#appendix-mutation)")
    return lines + ["  - [Run](#appendix-run)", ""]


# ---------------------------------------------------------------------------------------------- appendix


_SPEC_KEYS = ("n", "m", "d", "k", "b", "activation", "kappa", "planted_radius", "noise", "seed")
_OWN_SECTIONS = ("runs", "crosscheck", "checks", "comparison")  # details rendered elsewhere


def _instance_rows(r: CheckResult) -> list[str]:
    """A table of the instances a claim trained (from the specs it recorded), if any."""
    runs = [run for run in r.details.get("runs", []) if isinstance(run, dict) and "spec" in run]
    if not runs:
        return []
    rows = []
    for run in runs:
        spec = run["spec"]
        gamma_l = run.get("gamma_L") or [None]
        losses = sorted(x for x in run.get("final_loss") or [] if isinstance(x, (int, float)))
        rows.append([fmt(spec.get(key), 3) for key in _SPEC_KEYS]
                    + [f"{fmt(min(gamma_l, key=_num), 3)}–{fmt(max(gamma_l, key=_num), 3)}",
                       fmt(losses[len(losses) // 2] if losses else None, 3)])
    return ["", f"Instances of {r.claim}:", "", *md_table((*_SPEC_KEYS, "γL", "final loss (median)"), rows)]


def _num(x) -> float:
    return x if isinstance(x, (int, float)) and x == x else float("inf")


def _detail_tables(r: CheckResult) -> list[str]:
    """Tables a claim recorded in its details as lists of rows (e.g. gradient modes, layers)."""
    lines = []
    for key, rows in r.details.items():
        if not (isinstance(rows, list) and rows and all(isinstance(row, dict) for row in rows)) or key in _OWN_SECTIONS:
            continue
        columns = list(dict.fromkeys(c for row in rows for c in row if not isinstance(row[c], (dict, list))))
        lines += ["", f"{r.claim}: {key.replace('_', ' ')}", "",
                  *md_table(columns, [[cell(row.get(c), 4) for c in columns] for row in rows[:60]])]
    return lines


def _appendix_tables(r: CheckResult) -> list[str]:
    return _instance_rows(r) + _detail_tables(r)


def _all_claims_rows(results: list[CheckResult]) -> list[list[str]]:
    rows = []
    for r in results:
        resumed = " (resumed)" if r.details.get("resumed") else ""
        rows.append([r.claim, r.result_id, cell(r.details.get("kind", "")), f"**{r.verdict}**{resumed}",
                     cell(r.ratio), cell(r.looseness), str(r.instances), str(r.seed), f"{r.wall_time:.2f}"])
    return rows


def _self_check_rows(results: list[CheckResult]) -> list[list[str]]:
    return [[r.result_id, cell(c.get("method", "")), "yes" if c.get("verified") else "**no**", cell(c.get("claim"))]
            for r in results if isinstance(r.details.get("checks"), list)
            for c in r.details["checks"] if isinstance(c, dict)]


def _appendix(results: list[CheckResult], ctx, wall_time: float) -> list[str]:
    lines = ['# Appendix <a id="appendix"></a>', ""]
    lines += _heading(2, "Summary table of all claims", "appendix-claims")
    lines += md_table(("claim", "result", "kind", "verdict", "worst observed/bound", "looseness", "instances", "seed",
                       "wall time (s)"), _all_claims_rows(results)) + [""]
    lines += _heading(2, "Self-checks", "appendix-self-checks")
    checks = _self_check_rows(results)
    lines += (md_table(("result", "method", "verified", "self-check"), checks) if checks
              else [f"Symbolic self-checks: {NOT_RUN}."]) + [""]
    lines += _heading(2, "Instances and recorded tables", "appendix-details")
    details = [line for r in results for line in _appendix_tables(r)]
    lines += (details or ["None recorded."]) + [""]
    crosschecks = crosscheck_appendix(results)
    if crosschecks:
        lines += _heading(2, "Cross-checks (every comparison)", "appendix-crosschecks") + crosschecks
    for r, mutation in mutation_found(results):
        lines += _heading(2, f"Mutation score per result ({r.claim})", "appendix-mutation")
        lines += [f"{r.claim}: overall score {fmt(mutation.get('score'), 4)}", "",
                  *md_table(MUTATION_HEADERS, mutation_rows(mutation)), ""]
    lines += _heading(2, "Run", "appendix-run")
    lines += [f"- git revision: {git_revision()}",
              f"- profile: {ctx.profile}; seed: {ctx.seed}; device: {ctx.device}; "
              f"dtype: {str(ctx.dtype).replace('torch.', '')}",
              "- versions: " + ", ".join(f"{k} {val}" for k, val in versions().items()),
              f"- wall time: {wall_time:.1f} s", ""]
    return lines


def render_markdown(results: list[CheckResult], ctx, total: int, wall_time: float) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    partial = "" if len(results) == total else " — INTERRUPTED: a partial report"
    count = count_line(results, total)
    header = ["# ipverify report", "",
              f"{now} · profile {ctx.profile} · seed {ctx.seed} · {ctx.device} · git revision {git_revision()} · "
              f"claims run: {len(results)} of {total}{partial} · {wall_time:.0f} s", ""]
    families = _families(results)
    body = (summary_page(results, total, count) + _contents(families, results)
            + _families_body(families, results) + _appendix(results, ctx, wall_time))
    return "\n".join(header + body)


def write_report(out: Path, results: list[CheckResult], ctx, total: int, wall_time: float) -> None:
    out = Path(out)
    write_atomic(out / "report.md", render_markdown(results, ctx, total, wall_time))
    payload = {"profile": ctx.profile, "seed": ctx.seed, "device": str(ctx.device), "git": git_revision(),
               "versions": versions(), "complete": len(results) == total, "claims_total": total,
               "claims_finished": len(results), "counts": dict(Counter(str(r.verdict) for r in results)),
               "summary": count_line(results, total), "wall_time": wall_time,
               "claims": [r.to_dict() for r in results]}
    write_atomic(out / "report.json", dumps(strict(payload)))
