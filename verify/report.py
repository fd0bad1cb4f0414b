"""report.md and report.json: failing claims first, a summary table, then one section per result family."""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

import sympy as sp

import theory
from verify.result import CheckResult, versions, write_atomic

FAMILIES = {"GF": "Gradient flow (01)", "GD": "Gradient descent (02)", "IN": "Inertia (03)",
            "JFB": "Restarted JFB (04)"}


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _fmt(x, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "–"
    return f"{x:.{digits}g}" if isinstance(x, float) else str(x)


def _summary_rows(results: list[CheckResult]) -> list[str]:
    rows = ["| claim | result | kind | verdict | worst observed/bound | looseness | instances | seed | wall time (s) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r.claim} | {r.result_id} | {r.details.get('kind', '')} | **{r.verdict}** | {_fmt(r.ratio)} | "
                    f"{_fmt(r.looseness)} | {r.instances} | {r.seed} | {r.wall_time:.2f} |")
    return rows


def _failing_section(results: list[CheckResult]) -> list[str]:
    failing = [r for r in results if r.failed]
    if not failing:
        return ["## Failing claims", "", "None: every claim holds, reacted as a negative control should, or was "
                "recorded with its hypotheses not certified.", ""]
    lines = ["## Failing claims", ""]
    for r in failing:
        lines += [f"### {r.claim}: {r.verdict}", "", f"- replay: `{r.replay}`"]
        if r.details.get("error"):
            lines.append(f"- error: `{r.details['error']}`")
        if r.details.get("counterexample"):
            shrunk = json.dumps(r.details["counterexample"])
            lines.append(f"- smallest counterexample (shrunk by hypothesis): `{shrunk}`")
        for name, ratio in r.details.get("per_check_worst_ratio", {}).items():
            lines.append(f"- {name}: worst observed/bound {_fmt(ratio)}")
        lines.append("")
    return lines


_SPEC_KEYS = ("n", "m", "d", "k", "b", "activation", "kappa", "planted_radius", "noise", "seed")


def _instance_rows(r: CheckResult) -> list[str]:
    """A table of the instances a claim trained (from the specs it recorded), if any."""
    runs = [run for run in r.details.get("runs", []) if isinstance(run, dict) and "spec" in run]
    if not runs:
        return []
    rows = ["", f"Instances of {r.claim}:", "", "| " + " | ".join(_SPEC_KEYS) + " | γL | final loss (median) |",
            "|" + "---|" * (len(_SPEC_KEYS) + 2)]
    for run in runs:
        spec = run["spec"]
        gamma_l = run.get("gamma_L") or [float("nan")]
        losses = sorted(run.get("final_loss") or [float("nan")])
        rows.append("| " + " | ".join(_fmt(spec.get(key), 3) for key in _SPEC_KEYS)
                    + f" | {_fmt(min(gamma_l), 3)}–{_fmt(max(gamma_l), 3)} | {_fmt(losses[len(losses) // 2], 3)} |")
    return rows


def _detail_tables(r: CheckResult) -> list[str]:
    """Tables a claim recorded in its details as lists of rows (e.g. gradient modes, GF vs GD vs DIN)."""
    lines = []
    for key, rows in r.details.items():
        if not (isinstance(rows, list) and rows and all(isinstance(row, dict) for row in rows)) or key == "runs":
            continue
        columns = list(dict.fromkeys(c for row in rows for c in row if not isinstance(row[c], (dict, list))))
        lines += ["", f"{r.claim}: {key.replace('_', ' ')}", "", "| " + " | ".join(columns) + " |",
                  "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(_fmt(row.get(c), 4) for c in columns) + " |" for row in rows[:60]]
    return lines


def _result_section(result, results: list[CheckResult]) -> list[str]:
    lines = [f"### {result.id} — {result.title}", "",
             f"*{result.provenance.value}{' (' + result.variant + ')' if result.variant else ''}*, {result.citation}.",
             "", result.statement, ""]
    for h in result.hypotheses:
        lines.append(f"- hypothesis ({h.meaning}): ${sp.latex(h.relation)}$")
    for q in result.conclusions:
        lines.append(f"- {q.meaning}: `{q.name}` $= {sp.latex(q.expr)}$")
    for u in result.unconfirmed:
        lines.append(f"- UNCONFIRMED: {u}")
    mine = [r for r in results if r.result_id == result.id]
    for r in mine:
        if r.details.get("figure"):
            lines += ["", f"![{r.claim}]({r.details['figure']})", "",
                      f"*{r.claim}*: {r.details.get('caption', '')} Data: `{r.details.get('data', '')}`."]
    if mine:
        lines += ["", "| claim | verdict | worst observed/bound | per check |", "|---|---|---|---|"]
        for r in mine:
            per = "; ".join(f"{k}: {_fmt(v, 3)}" for k, v in r.details.get("per_check_worst_ratio", {}).items())
            lines.append(f"| {r.claim} | {r.verdict} | {_fmt(r.ratio)} | {per} |")
        for r in mine:
            lines += _instance_rows(r) + _detail_tables(r)
    return lines + [""]


def render_markdown(results: list[CheckResult], ctx, total: int, wall_time: float) -> str:
    v = versions()
    header = [
        "# ipverify report", "",
        f"- generated: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}",
        f"- git revision: {git_revision()}",
        f"- profile: {ctx.profile}; seed: {ctx.seed}; device: {ctx.device}; "
        f"dtype: {str(ctx.dtype).replace('torch.', '')}",
        "- versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- claims run: {len(results)} of {total}" + ("" if len(results) == total else " (interrupted)"),
        f"- wall time: {wall_time:.1f} s", "",
        "Verdicts: *holds* (hypotheses certified, measurements inside the bounds), *violated*, *hypothesis fails* "
        "(not certified; what happened is recorded), *reacted* / *did not react* (negative controls), *diverged*, "
        "*error*. Ratios are worst observed/bound over certified instances (1 = the bound is attained; the first "
        "record, where several bounds are equalities, is left out).", "",
    ]
    body = _failing_section(results) + ["## Summary", ""] + _summary_rows(results) + [""]
    for prefix, title in FAMILIES.items():
        members = [r for r in theory.results() if r.id.startswith(prefix + "-")]
        if members:
            body += [f"## {title}", ""]
            for result in members:
                body += _result_section(result, results)
    return "\n".join(header + body)


def write_report(out: Path, results: list[CheckResult], ctx, total: int, wall_time: float) -> None:
    out = Path(out)
    write_atomic(out / "report.md", render_markdown(results, ctx, total, wall_time))
    payload = {"profile": ctx.profile, "seed": ctx.seed, "device": str(ctx.device), "git": git_revision(),
               "versions": versions(), "complete": len(results) == total, "wall_time": wall_time,
               "claims": [r.to_dict() for r in results]}
    write_atomic(out / "report.json", json.dumps(payload, indent=2, default=str))
