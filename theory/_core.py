"""The declarative core: a theorem is one `Result` record built from SymPy objects.

A record holds no numbers and runs nothing numeric; `numerics.checkers` compiles it.
Names (`Sym.name`) are the ASCII spellings accepted on the command line.
"""

from __future__ import annotations

import enum
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp


class Provenance(enum.Enum):
    """How much of a result is known to be the paper's (see the README, "The catalogue and its provenance")."""

    CONFIRMED = "CONFIRMED"
    RECALLED = "RECALLED"
    DERIVED = "DERIVED"
    BACKGROUND = "BACKGROUND"


@dataclass(frozen=True)
class Domain:
    """An interval of the real line, optionally restricted to integers."""

    name: str
    lower: float = -math.inf
    upper: float = math.inf
    lower_open: bool = True
    upper_open: bool = True
    integer: bool = False

    def contains(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.integer and value != int(value):
            return False
        above = value > self.lower if self.lower_open else value >= self.lower
        below = value < self.upper if self.upper_open else value <= self.upper
        return above and below

    def describe(self) -> str:
        if self.name in ("positive", "nonnegative", "real", "positive integer"):
            return self.name
        left = "(" if self.lower_open else "["
        right = ")" if self.upper_open else "]"
        return f"{left}{self.lower:g}, {self.upper:g}{right}"

    def sympy_assumptions(self) -> dict:
        if self.integer and (self.lower > 0 or (self.lower == 0 and self.lower_open)):
            return {"integer": True, "positive": True}
        if self.integer and self.lower >= 0:
            return {"integer": True, "nonnegative": True}
        if self.lower > 0 or (self.lower == 0 and self.lower_open):
            return {"positive": True}
        if self.lower == 0:
            return {"nonnegative": True}
        return {"real": True}


POSITIVE = Domain("positive", lower=0.0)
NONNEGATIVE = Domain("nonnegative", lower=0.0, lower_open=False)
REAL = Domain("real")
POSITIVE_INTEGER = Domain("positive integer", lower=1.0, lower_open=False, integer=True)
UNIT_OPEN = Domain("(0, 1)", lower=0.0, upper=1.0)
UNIT_HALF_OPEN = Domain("(0, 1]", lower=0.0, upper=1.0, upper_open=False)


@dataclass(frozen=True)
class Sym:
    """A named quantity of a theorem: ASCII name, meaning, domain, optional default."""

    name: str
    meaning: str
    domain: Domain = POSITIVE
    default: float | None = None
    latex: str | None = None

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.name, **self.domain.sympy_assumptions())


@dataclass(frozen=True)
class Hypothesis:
    """A condition `lhs REL rhs`; its margin is positive exactly when it holds (strict) ."""

    name: str
    relation: sp.Rel
    meaning: str

    @property
    def lhs(self) -> sp.Expr:
        return self.relation.lhs

    @property
    def rhs(self) -> sp.Expr:
        return self.relation.rhs

    @property
    def strict(self) -> bool:
        return isinstance(self.relation, (sp.StrictLessThan, sp.StrictGreaterThan))

    @property
    def margin(self) -> sp.Expr:
        """rhs − lhs for < and ≤, lhs − rhs for > and ≥."""
        if isinstance(self.relation, (sp.StrictLessThan, sp.LessThan)):
            return self.rhs - self.lhs
        if isinstance(self.relation, (sp.StrictGreaterThan, sp.GreaterThan)):
            return self.lhs - self.rhs
        raise TypeError(f"hypothesis {self.name}: unsupported relation {type(self.relation).__name__}")


@dataclass(frozen=True)
class Quantity:
    """A named expression: a definition (fills in a symbol of the result) or a conclusion."""

    name: str
    expr: sp.Expr
    meaning: str


@dataclass(frozen=True)
class SelfCheck:
    """A claim about the encoding that SymPy proves (`method="symbolic"`) or checks on a grid.

    `check(result)` receives the record it belongs to and returns True when the claim is verified about that
    record's own definitions, conclusions and hypotheses (read by name: `result.expr("nu_1")`), so that a changed
    record fails its self-checks (the mutation test, `theory._mutation`, holds every record to this). It must be
    able to return False; an exception counts as "not verified".
    """

    claim: str
    check: Callable[[Result], bool]
    method: str = "symbolic"

    def verify(self, result: Result) -> bool:
        """True only when the check returns True for `result`."""
        try:
            return self.check(result) is True
        except Exception:  # noqa: BLE001 - a check that cannot run has not verified anything
            return False


@dataclass(frozen=True)
class Result:
    """One theorem, lemma or definition of a paper, with everything needed to check it."""

    id: str
    title: str
    citation: str
    provenance: Provenance
    statement: str
    symbols: tuple[Sym, ...]
    hypotheses: tuple[Hypothesis, ...] = ()
    definitions: tuple[Quantity, ...] = ()
    conclusions: tuple[Quantity, ...] = ()
    unconfirmed: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    variant: str = ""
    sibling: str | None = None
    self_checks: tuple[SelfCheck, ...] = field(default=(), compare=False)
    assumed_inputs: tuple[tuple[str, str], ...] = ()
    """(symbol name, what a user asserts by giving it): inputs that stand for a property no number can show (L is
    a Lipschitz constant of ∇f on the ball, ...). When such a value is given rather than derived, every verdict
    says that it holds only under that assertion."""
    equivalent_mutants: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)
    """(quantity name, mutation operator, one-line reason) for mutants no check can kill because they do not
    change what the record means (see `theory._mutation`)."""

    def __post_init__(self) -> None:
        self._validate()
        object.__setattr__(self, "__doc__", render_docstring(self))

    def _validate(self) -> None:
        names = [s.name for s in self.symbols]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.id}: duplicate symbol names")
        known = {s.symbol for s in self.symbols}
        for item in (*self.hypotheses, *self.definitions, *self.conclusions):
            expr = item.relation if isinstance(item, Hypothesis) else item.expr
            unknown = expr.free_symbols - known
            if unknown:
                raise ValueError(f"{self.id}/{item.name}: undeclared symbols {sorted(map(str, unknown))}")
        for d in self.definitions:
            if d.name not in names:
                raise ValueError(f"{self.id}: definition {d.name} is not a declared symbol")

    def definition(self, name: str) -> sp.Expr:
        """The expression of the definition `name` (KeyError if there is none)."""
        return _named(self.definitions, name, self.id, "definition").expr

    def conclusion(self, name: str) -> sp.Expr:
        """The expression of the conclusion `name` (KeyError if there is none)."""
        return _named(self.conclusions, name, self.id, "conclusion").expr

    def expr(self, name: str) -> sp.Expr:
        """The expression of the definition or conclusion `name`."""
        for item in (*self.definitions, *self.conclusions):
            if item.name == name:
                return item.expr
        raise KeyError(f"{self.id} has no definition or conclusion {name!r}")

    def hypothesis(self, name: str) -> Hypothesis:
        """The hypothesis `name` (KeyError if there is none)."""
        return _named(self.hypotheses, name, self.id, "hypothesis")

    def symbol(self, name: str) -> Sym:
        for s in self.symbols:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def derived_here(self) -> bool:
        return self.provenance is Provenance.DERIVED


def _named(items, name: str, result_id: str, kind: str):
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"{result_id} has no {kind} {name!r}")


def _bullets(lines) -> str:
    return "\n".join(f"    - {line}" for line in lines) or "    (none)"


def render_docstring(r: Result) -> str:
    """The PEPit-style template: statement, assumptions, guarantee, provenance, references."""
    assumptions = [f"{h.meaning}: {sp.sstr(h.relation)}" for h in r.hypotheses]
    definitions = [f"{q.name} = {sp.sstr(q.expr)}  ({q.meaning})" for q in r.definitions]
    guarantees = [f"{q.meaning}: {q.name} = {sp.sstr(q.expr)}  [{r.citation}]" for q in r.conclusions]
    parts = [
        f"{r.id} — {r.title}",
        "",
        "Statement",
        textwrap.indent(textwrap.fill(r.statement, 100), "    "),
        "",
        "Assumptions",
        _bullets(assumptions),
        "",
        "Definitions",
        _bullets(definitions),
        "",
        "Guarantee",
        _bullets(guarantees),
        "",
        "Provenance",
        f"    {r.provenance.value}{' (' + r.variant + ')' if r.variant else ''}"
        f"{'; sibling ' + r.sibling if r.sibling else ''}",
        _bullets(f"UNCONFIRMED: {u}" for u in r.unconfirmed) if r.unconfirmed else "",
        "",
        "Choices made here",
        _bullets(r.choices),
        "",
        "References",
        _bullets(r.references),
    ]
    return "\n".join(p for p in parts if p is not None)
