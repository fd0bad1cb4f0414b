"""Mutation analysis of the catalogue: do a record's self-checks pin the record they belong to?

Every definition and conclusion of a result is mutated by each operator below, one at a time; the mutated record
(same id, same self-checks) is then run through its self-checks. A mutant is *killed* when at least one check
stops verifying. A mutant that leaves the expression unchanged (e.g. dropping a factor 1) is skipped; one that
changes the expression but not what the record means is listed on the record (`Result.equivalent_mutants`,
with a one-line reason). Everything else that survives is a hole in the self-checks.

Operators (each applied to the whole expression of one quantity):
- ``scale``: 2·e;
- ``add``: e + 1;
- ``drop``: remove one factor of the first product in e (one mutant per factor, at most four);
- ``flip``: −e.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field

import sympy as sp

from ipverify.theory._core import Quantity, Result

OPERATORS = ("scale", "add", "drop", "flip")
MAX_DROPS = 4


@dataclass(frozen=True)
class Mutant:
    """One mutation of one quantity of one result."""

    result_id: str
    quantity: str
    operator: str
    expr: str  # the mutated expression, for the report

    @property
    def label(self) -> str:
        return f"{self.result_id}/{self.quantity}:{self.operator}"


@dataclass
class MutationReport:
    """What the self-checks of one result did to its mutants."""

    result_id: str
    killed: list[Mutant] = field(default_factory=list)
    survived: list[Mutant] = field(default_factory=list)
    equivalent: list[tuple[Mutant, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.killed) + len(self.survived) + len(self.equivalent)

    @property
    def score(self) -> float:
        """Killed over the mutants that are not equivalent (1.0 when there are none)."""
        judged = len(self.killed) + len(self.survived)
        return len(self.killed) / judged if judged else 1.0

    def to_dict(self) -> dict:
        return {"result_id": self.result_id, "killed": len(self.killed), "score": self.score,
                "survived": [m.label for m in self.survived],
                "equivalent": [{"mutant": m.label, "reason": why} for m, why in self.equivalent]}


def _first_product(expr: sp.Expr) -> sp.Mul | None:
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Mul) and len(node.args) >= 2:
            return node
    return None


def mutated_exprs(expr: sp.Expr) -> Iterator[tuple[str, sp.Expr]]:
    """(operator, mutated expression) for every operator; expressions equal to `expr` are left out."""
    candidates = [("scale", 2 * expr), ("add", expr + 1)]
    product = _first_product(expr)
    if product is not None:
        for factor in list(product.args)[:MAX_DROPS]:
            rest = sp.Mul(*[a for a in product.args if a is not factor])
            candidates.append(("drop", expr.xreplace({product: rest})))
    candidates.append(("flip", -expr))
    for operator, mutated in candidates:
        if mutated != expr and not (expr.is_number and expr == 0):  # SymPy's canonical form: same tree, same value
            yield operator, mutated


def _replace(result: Result, name: str, expr: sp.Expr) -> Result:
    def swap(items):
        return tuple(Quantity(q.name, expr, q.meaning) if q.name == name else q for q in items)

    return dataclasses.replace(result, definitions=swap(result.definitions), conclusions=swap(result.conclusions))


def mutants(result: Result) -> Iterator[tuple[Mutant, Result]]:
    """Every mutant of `result`, with the mutated record (same self-checks)."""
    for quantity in (*result.definitions, *result.conclusions):
        for operator, expr in mutated_exprs(quantity.expr):
            yield Mutant(result.id, quantity.name, operator, sp.sstr(expr)), _replace(result, quantity.name, expr)


def killed(mutated: Result) -> bool:
    """A self-check of the mutated record no longer verifies."""
    return any(not check.verify(mutated) for check in mutated.self_checks)


def analyse(result: Result) -> MutationReport:
    """Run every mutant of `result` through its self-checks."""
    equivalents = {(q, op): why for q, op, why in result.equivalent_mutants}
    report = MutationReport(result.id)
    for mutant, mutated in mutants(result):
        reason = equivalents.get((mutant.quantity, mutant.operator))
        if reason is not None:
            report.equivalent.append((mutant, reason))
        elif killed(mutated):
            report.killed.append(mutant)
        else:
            report.survived.append(mutant)
    return report
