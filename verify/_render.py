"""Human tables and strict-JSON payloads for the `ipverify` subcommands.

JSON payloads contain only finite floats, strings, booleans, lists, objects and null: a non-finite number
becomes null and the object that held it gets a `"note"` saying what it was, so that
`json.dumps(payload, allow_nan=False)` always succeeds.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ipverify.theory import Result
from ipverify.verify._inputs import Input, completion_alternatives

# ---------------------------------------------------------------------------------------------- numbers


def to_float(x) -> float:
    """A Python float from a scalar, a 0-d array or a tensor (NaN when it cannot be read as one real number)."""
    try:
        if hasattr(x, "detach"):
            x = x.detach().cpu().numpy()
        arr = np.asarray(x, dtype=float)
        return float(arr.reshape(-1)[0]) if arr.size == 1 else math.nan
    except (TypeError, ValueError):
        return math.nan


def finite_or_none(x) -> tuple[float | None, str | None]:
    """(value, None) for a finite number, (None, "+inf" | "-inf" | "nan") otherwise."""
    value = to_float(x)
    if math.isfinite(value):
        return value, None
    return None, "nan" if math.isnan(value) else ("+inf" if value > 0 else "-inf")


def with_numbers(obj: dict, **numbers) -> dict:
    """`obj` with the finite-or-null `numbers` set (in place); a `note` names the ones that were not finite.

    Keys already in `obj` keep their position, so callers pre-place them with a None value.
    """
    notes = []
    for key, raw in numbers.items():
        obj[key], kind = finite_or_none(raw)
        if kind:
            notes.append(f"{key} is {kind}")
    if notes:
        obj["note"] = "; ".join(notes) + " (shown as null)"
    return obj


def fmt(x) -> str:
    """Short human form of a number, a bool or None."""
    if x is None:
        return "—"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    return f"{to_float(x):.6g}"


def dumps(payload, sort_keys: bool = False) -> str:
    """Strict JSON (raises ValueError on NaN/inf, which the payload builders never leave)."""
    return json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False, sort_keys=sort_keys)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], indent: str = "  ") -> str:
    """Left-aligned columns; the last column is not padded."""
    rows = [list(map(str, row)) for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        padded = [c.ljust(w) for c, w in zip(cells[:-1], widths[:-1], strict=True)] + [cells[-1]]
        return (indent + "  ".join(padded)).rstrip()

    return "\n".join([line(list(headers))] + [line(r) for r in rows])


# ---------------------------------------------------------------------------------------------- list


def list_payload(results: Iterable[Result]) -> list[dict]:
    """`ipverify list --json`: id, title, provenance, citation, variant, sibling."""
    return [{"id": r.id, "title": r.title, "provenance": r.provenance.value, "citation": r.citation,
             "variant": r.variant, "sibling": r.sibling} for r in results]


def list_text(results: Iterable[Result]) -> str:
    return table(("id", "provenance", "title"), [(r.id, r.provenance.value, r.title) for r in results], indent="")


# ---------------------------------------------------------------------------------------------- show


def _printer(result: Result, latex: bool):
    """sympy.sstr, or sympy.latex with the notation table's LaTeX names."""
    if not latex:
        return sp.sstr
    names = {s.symbol: s.latex for s in result.symbols if s.latex}
    return lambda expr: sp.latex(expr, symbol_names=names)


def show_payload(result: Result, latex: bool = False) -> dict:
    """`ipverify show --json`: the whole record, expressions as SymPy strings or LaTeX."""
    show = _printer(result, latex)
    return {
        "id": result.id, "title": result.title, "citation": result.citation,
        "provenance": result.provenance.value, "variant": result.variant, "sibling": result.sibling,
        "statement": result.statement, "format": "latex" if latex else "sympy",
        "symbols": [{"name": s.name, "meaning": s.meaning, "domain": s.domain.describe(), "default": s.default,
                     "latex": s.latex} for s in result.symbols],
        "hypotheses": [{"name": h.name, "relation": show(h.relation), "meaning": h.meaning}
                       for h in result.hypotheses],
        "definitions": [{"name": q.name, "expression": show(q.expr), "meaning": q.meaning} for q in result.definitions],
        "conclusions": [{"name": q.name, "expression": show(q.expr), "meaning": q.meaning} for q in result.conclusions],
        "undefined": [{"where": show(u.relation), "reason": u.reason,
                       "quantities": sorted(name for name, regions in result.undefined_quantities().items()
                                            if u in regions)} for u in result.undefined],
        "unconfirmed": list(result.unconfirmed), "choices": list(result.choices),
        "references": list(result.references),
        "self_checks": [{"claim": c.claim, "method": c.method} for c in result.self_checks],
    }


def _bullets(items: Iterable[str]) -> list[str]:
    lines = [f"  - {item}" for item in items]
    return lines or ["  (none)"]


def show_text(result: Result, latex: bool = False) -> str:
    """Human form of `show_payload`."""
    p = show_payload(result, latex)
    provenance = p["provenance"] + (f" ({p['variant']})" if p["variant"] else "")
    provenance += f"; sibling {p['sibling']}" if p["sibling"] else ""
    symbols = table(("name", "domain", "default", "meaning"),
                    [(s["name"], s["domain"], fmt(s["default"]), s["meaning"]) for s in p["symbols"]])
    lines = [f"{p['id']} — {p['title']}", f"Provenance: {provenance}", f"Citation: {p['citation']}", "",
             "Statement", textwrap.indent(textwrap.fill(p["statement"], 100), "  "), "", "Symbols", symbols, "",
             "Hypotheses", *_bullets(f"{h['name']}: {h['relation']}  — {h['meaning']}" for h in p["hypotheses"]), "",
             "Definitions", *_bullets(f"{q['name']} = {q['expression']}  — {q['meaning']}" for q in p["definitions"]),
             "", "Conclusions",
             *_bullets(f"{q['name']} = {q['expression']}  — {q['meaning']}" for q in p["conclusions"]), "",
             "Undefined where", *_bullets(f"{u['where']}: {', '.join(u['quantities'])} — {u['reason']}"
                                          for u in p["undefined"]), "",
             "Unconfirmed", *_bullets(p["unconfirmed"]), "", "Choices", *_bullets(p["choices"]), "",
             "References", *_bullets(p["references"]), "",
             "Self-checks", *_bullets(f"[{c['method']}] {c['claim']}" for c in p["self_checks"])]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- bound


@dataclass
class BoundReport:
    """Everything `ipverify bound` prints: the inputs with their sources and the checker's evaluation."""

    result: Result
    inputs: dict[str, Input]
    evaluation: object  # numerics.checkers.Evaluation
    activation: dict | None = None
    notes: list[str] = field(default_factory=list)

    def all_inputs(self) -> dict[str, Input]:
        """Given, default and activation inputs, then those derived by a definition (symbol order)."""
        meanings = {d.name: d.meaning for d in self.result.definitions}
        derived = {name: Input(to_float(v), "derived", meanings.get(name, "definition"))
                   for name, v in self.evaluation.derived.items()}
        undefined = {name: Input(math.nan, "undefined", reason)
                     for name, reason in getattr(self.evaluation, "undefined", {}).items() if name in meanings}
        merged = {**self.inputs, **undefined, **derived}
        return {s.name: merged[s.name] for s in self.result.symbols if s.name in merged}

    def binding(self):
        """The hypothesis verdict with the smallest relative margin; an unreadable margin counts as smallest."""
        verdicts = self.evaluation.hypotheses
        if not verdicts:
            return None

        def key(v):
            r = to_float(v.relative_margin)
            return -math.inf if math.isnan(r) else r

        return min(verdicts, key=key)

    def all_hold(self) -> bool | None:
        """Kleene conjunction of the hypotheses: False when one evaluated hypothesis fails (whatever is unknown),
        True when all were evaluated and hold, None otherwise (missing inputs or an undefined margin)."""
        return self.evaluation.all_hold

    def assumed(self) -> list[dict]:
        """The record's `assumed_inputs` whose value was given or defaulted (not derived), and a noise level from
        the noise model (true with probability ≥ 0.99): the verdict holds only provided that each assertion is
        true."""
        inputs = self.all_inputs()
        assumed = [{"name": name, "value": None, "source": inputs[name].source, "assertion": assertion}
                   for name, assertion in self.result.assumed_inputs
                   if name in inputs and inputs[name].source in ("given", "default")]
        return assumed + [{"name": name, "value": None, "source": item.source, "assertion": item.detail}
                          for name, item in inputs.items() if item.source == "noise model"]

    def verdict(self) -> str:
        """"holds", "holds provided that: …" (assumed inputs), "does not hold" or "unknown"."""
        hold = self.all_hold()
        if hold is None:
            return "unknown"
        if not hold:
            return "does not hold"
        assumed = self.assumed()
        if not assumed:
            return "holds"
        return "holds provided that: " + "; ".join(f"{a['assertion']} ({a['name']} {a['source']})" for a in assumed)

    def no_guarantee(self, name: str) -> str | None:
        """Why the value of the conclusion `name` guarantees nothing (NaN/inf, outside its meaningful range);
        None when it is a number the theorem can assert (under its hypotheses, reported beside)."""
        return self.evaluation.no_guarantee(name)

    def alternatives(self) -> dict[str, list[list[str]]]:
        """For every symbol some missing item needs: give it, or the unknown inputs of its definition."""
        known = set(self.inputs) | set(self.evaluation.derived)
        needed = sorted({name for names in self.evaluation.missing.values() for name in names})
        return {name: completion_alternatives(self.result, name, known) for name in needed}


def _verdict_payload(v) -> dict:
    obj = {"name": v.name, "meaning": v.meaning, "relation": v.relation, "lhs": None, "rhs": None,
           "holds": v.truth, "margin": None, "relative_margin": None}
    return with_numbers(obj, lhs=v.lhs, rhs=v.rhs, margin=v.margin, relative_margin=v.relative_margin)


def bound_payload(report: BoundReport) -> dict:
    """`ipverify bound --json`: one strict-JSON object (documented in the README).

    Keys: id, title, provenance; inputs {name: {value, source}} (source: given | noise model | activation | default
    | derived | undefined, the last with its "reason" where Result.undefined says a definition has no value);
    activation (null or {name, is_c2, filled, C_phi, C_phi_prime, B, C, sup_dphi, lip_dphi}); hypotheses
    [{name, meaning, relation, lhs, rhs, holds (null: unknown), margin, relative_margin}]; all_hypotheses_hold
    (Kleene: false when one evaluated hypothesis fails, null when none fails but some could not be decided);
    verdict ("holds" | "holds provided that: …" | "does not hold" | "unknown"); assumed [{name, value, source,
    assertion}] (inputs the verdict rests on, given rather than derived); binding (name or null); conclusions
    {name: {value, meaning, no_guarantee (null, or why the value guarantees nothing)}}; missing {item: [absent
    symbols]}; alternatives {symbol: [[inputs], ...]}; notes [str]. A non-finite number is null and its object
    gets a "note".
    """
    meanings = {q.name: q.meaning for q in report.result.conclusions}
    binding = report.binding()
    inputs = report.all_inputs()
    return {
        "id": report.result.id,
        "title": report.result.title,
        "provenance": report.result.provenance.value,
        "inputs": {name: ({"value": None, "source": item.source, "reason": item.detail} if item.source == "undefined"
                          else with_numbers({"value": None, "source": item.source}, value=item.value))
                   for name, item in report.all_inputs().items()},
        "activation": _activation_payload(report.activation),
        "hypotheses": [_verdict_payload(v) for v in report.evaluation.hypotheses],
        "all_hypotheses_hold": report.all_hold(),
        "verdict": report.verdict(),
        "assumed": [with_numbers(a, value=inputs[a["name"]].value) for a in report.assumed()],
        "binding": binding.name if binding else None,
        # An undefined quantity (Result.undefined) has no value at all: null, with the reason under no_guarantee.
        "conclusions": {name: with_numbers({"value": None, "meaning": meanings.get(name, ""),
                                            "no_guarantee": report.no_guarantee(name)},
                                           **({} if value is None else {"value": value}))
                        for name, value in report.evaluation.conclusions.items()},
        "missing": {item: list(names) for item, names in report.evaluation.missing.items()},
        "alternatives": report.alternatives(),
        "notes": list(report.notes),
    }


def _activation_payload(constants: dict | None) -> dict | None:
    if constants is None:
        return None
    numbers = {k: v for k, v in constants.items() if k not in ("name", "is_c2", "filled")}
    return with_numbers({"name": constants["name"], "is_c2": bool(constants["is_c2"]),
                         "filled": list(constants["filled"])}, **numbers)


def _source_text(item: Input) -> str:
    if item.source in ("derived", "undefined"):
        return f"{item.source}: {item.detail}"
    return item.detail or item.source


def _value_text(item: Input) -> str:
    return "undefined" if item.source == "undefined" else fmt(item.value)


def _inputs_text(report: BoundReport) -> str:
    inputs = report.all_inputs()
    rows = [(s.name, _value_text(inputs[s.name]), _source_text(inputs[s.name])) if s.name in inputs
            else (s.name, "—", "not given") for s in report.result.symbols]
    return table(("name", "value", "source"), rows)


def _hypotheses_text(report: BoundReport) -> list[str]:
    if not report.result.hypotheses:
        return ["  (none)"]
    verdicts = {v.name: v for v in report.evaluation.hypotheses}
    rows = [(v.name, fmt(v.lhs), fmt(v.rhs), _truth_text(v.truth), fmt(v.margin),
             fmt(v.relative_margin))
            if (v := verdicts.get(h.name)) else (h.name, "—", "—", "unknown", "—", "— (see Missing)")
            for h in report.result.hypotheses]
    lines = [table(("hypothesis", "lhs", "rhs", "holds", "margin", "relative margin"), rows)]
    hold = report.all_hold()
    lines.append(f"  all hypotheses hold: {'unknown (some could not be decided)' if hold is None else fmt(hold)}")
    if hold and report.assumed():
        lines.append(f"  {report.verdict()}")
    binding = report.binding()
    if binding is not None:
        truth = binding.truth
        kind = "closest to failing" if truth else ("violated" if truth is False else "undecided")
        lines.append(f"  binding condition: {binding.name} ({kind}; {binding.meaning}), margin {fmt(binding.margin)}, "
                     f"relative margin {fmt(binding.relative_margin)}")
    return lines


def _truth_text(truth: bool | None) -> str:
    return "unknown" if truth is None else fmt(truth)


def _conclusions_text(report: BoundReport) -> str:
    meanings = {q.name: q.meaning for q in report.result.conclusions}
    rows = [(name, fmt(value) + (f"  ({reason})" if (reason := report.no_guarantee(name)) else ""),
             meanings.get(name, "")) for name, value in report.evaluation.conclusions.items()]
    return table(("conclusion", "value", "meaning"), rows) if rows else "  (none evaluated)"


def _missing_text(report: BoundReport) -> list[str]:
    alternatives = report.alternatives()
    lines = []
    for item, names in report.evaluation.missing.items():
        hints = "; ".join("give " + ", or ".join(", ".join(alt) for alt in alternatives[name]) for name in names)
        lines.append(f"  {item}: needs {', '.join(names)} — {hints}")
    return lines or ["  (nothing)"]


def bound_text(report: BoundReport) -> str:
    """Human tables: inputs, hypotheses with the binding one, conclusions, and what is missing."""
    r = report.result
    lines = [f"{r.id} — {r.title}  [{r.provenance.value}]", "", "Inputs", _inputs_text(report)]
    if report.activation:
        a = report.activation
        lines.append(f"  activation {a['name']}: C_phi = {fmt(a['C_phi'])}, C_phi_prime = {fmt(a['C_phi_prime'])}, "
                     f"B = {fmt(a['B'])}, C = {fmt(a['C'])}, is_c2 = {fmt(a['is_c2'])}")
    lines += ["", "Hypotheses", *_hypotheses_text(report), "", "Conclusions", _conclusions_text(report), "",
              "Missing", *_missing_text(report)]
    if report.notes:
        lines += ["", "Notes", *(f"  - {n}" for n in report.notes)]
    return "\n".join(lines)
