"""The declarative core: a theorem is one `Result` record built from SymPy objects.

A record holds no numbers and runs nothing numeric; `numerics.checkers` compiles it.
Names (`Sym.name`) are the ASCII spellings accepted on the command line.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
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
class Family:
    """The results of one result-id prefix ("GF-1", "GF-2", … form the family "GF"), declared by the module that
    holds them as `FAMILY = Family(...)`; the registry, `ipverify list` and the report read it.

    `order` places the family in the catalogue and the report (smaller first, ties by prefix). `claims` names the
    importable modules holding the family's `CLAIMS` when they live outside `verify/claims` (a family from outside
    the package); they are imported only when claims are run, so that the catalogue never imports torch.
    """

    prefix: str
    title: str
    paper: str
    order: float = math.inf
    claims: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z][A-Z0-9]*", self.prefix):
            raise ValueError(f"family prefix {self.prefix!r}: capital letters and digits, starting with a letter")

    @property
    def heading(self) -> str:
        """"Gradient flow (SSVM 2023, JMIV 2024)": the title with the paper."""
        return f"{self.title} ({self.paper})"

    def owns(self, result_id: str) -> bool:
        return result_id.partition("-")[0] == self.prefix


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
class Undefined:
    """Where `relation` holds, the named definitions and conclusions are undefined (a pole, a divergent series, a
    negative modulus): ρ ≥ 1 for ρ/(1 − ρ). Its negation must be one of the result's hypotheses, so that such a
    point is a failed hypothesis, not a bad input: `ipverify bound` reports the hypothesis failing, these quantities
    as undefined with `reason`, and computes the rest. `quantities` empty: every definition and conclusion whose
    expression reads a symbol of `relation`. A quantity that reads an undefined definition is undefined too, and so
    is a hypothesis that reads one or is named in `quantities` (it is then undecided there, neither true nor false).
    """

    relation: sp.Rel
    reason: str
    quantities: tuple[str, ...] = ()


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
    undefined: tuple[Undefined, ...] = ()
    """Regions where some of the constants are undefined, each excluded by a hypothesis (see `Undefined`)."""
    reuses: str | None = None
    """The id of the result this one restates under other names (see `Result.renamed`)."""

    def __post_init__(self) -> None:
        self._validate()

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
        quantities = {q.name for q in (*self.definitions, *self.conclusions, *self.hypotheses)}
        relations = {h.relation.canonical: h.name for h in self.hypotheses}
        for u in self.undefined:
            unknown = u.relation.free_symbols - known
            if unknown:
                raise ValueError(f"{self.id}: undefined region {u.relation} reads undeclared "
                                 f"{sorted(map(str, unknown))}")
            if set(u.quantities) - quantities:
                raise ValueError(f"{self.id}: undefined region {u.relation} names unknown quantities "
                                 f"{sorted(set(u.quantities) - quantities)}")
            excluding = relations.get(sp.Not(u.relation).canonical)
            if excluding is None:
                raise ValueError(f"{self.id}: undefined region {u.relation} is not excluded by a hypothesis (one must "
                                 f"read {sp.Not(u.relation)})")
            if excluding in u.quantities:
                raise ValueError(f"{self.id}: the hypothesis {excluding} that excludes {u.relation} must stay defined")

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

    def undefined_quantities(self) -> dict[str, tuple[Undefined, ...]]:
        """Quantity name → the regions where it is undefined (directly, or through a definition it reads)."""
        direct: dict[str, list[Undefined]] = {}
        for u in self.undefined:
            names = u.quantities or [q.name for q in (*self.definitions, *self.conclusions)
                                     if q.expr.free_symbols & u.relation.free_symbols]
            for name in names:
                direct.setdefault(name, []).append(u)
        changed = True
        while changed:  # a quantity or hypothesis that reads an undefined definition is undefined there too
            changed = False
            for q in (*self.definitions, *self.conclusions, *self.hypotheses):
                expr = q.relation if isinstance(q, Hypothesis) else q.expr
                inherited = [u for d in expr.free_symbols if d.name in direct for u in direct[d.name]]
                new = [u for u in inherited if u not in direct.get(q.name, [])]
                if new:
                    direct.setdefault(q.name, []).extend(new)
                    changed = True
        return {name: tuple(regions) for name, regions in direct.items()}

    def renamed(self, id: str, symbols: dict[str, Sym | str], *, names: dict[str, str] | None = None,
                meanings: dict[str, str] | None = None, **changes) -> Result:
        """This statement under other symbol names: a new record, by substitution, with provenance kept.

        `symbols` maps an old symbol name to its new `Sym` (or the name of a notation-table entry); each new domain
        must lie inside the old one, so that what was proved still applies. Definitions follow their symbols,
        hypothesis names have the old symbol names replaced, and `names` renames any other hypothesis or quantity;
        `meanings` rewrites the meaning of a hypothesis or quantity (by new name). `changes` sets any other field
        (title, statement, citation, choices, …). The self-checks of this record run on the new record renamed
        back, so a change to it fails them as it would fail this one; the new record says which result it restates.
        """
        renaming = _Renaming.of(self, symbols, names or {})
        meanings = meanings or {}
        new = renaming.forward
        choices = (f"Same statement as {self.id} under {renaming.describe()}; {self.id}'s self-checks run on this "
                   "record renamed back.", *changes.pop("choices", ()))
        fields = dict(
            id=id, symbols=tuple(renaming.sym(s) for s in self.symbols),
            hypotheses=tuple(new(h, meanings) for h in self.hypotheses),
            definitions=tuple(new(q, meanings) for q in self.definitions),
            conclusions=tuple(new(q, meanings) for q in self.conclusions),
            undefined=tuple(Undefined(_subs_relation(u.relation, renaming.symbols), u.reason,
                                      tuple(renaming.names.get(q, q) for q in u.quantities)) for u in self.undefined),
            assumed_inputs=tuple((renaming.names.get(n, n), text) for n, text in self.assumed_inputs),
            equivalent_mutants=tuple((renaming.names.get(q, q), op, why) for q, op, why in self.equivalent_mutants),
            self_checks=tuple(SelfCheck(f"{c.claim} ({self.id}'s check, renamed back)", renaming.transported(c),
                                        c.method) for c in self.self_checks) + tuple(changes.pop("self_checks", ())),
            citation=f"same statement as {self.id} ({self.citation})", reuses=self.id, sibling=None, choices=choices)
        return dataclasses.replace(self, **{**fields, **changes})


def _subs_relation(relation: sp.Rel, mapping: dict) -> sp.Rel:
    """The relation with symbols replaced, kept unevaluated (μ + λ > 0 must stay a condition, not become True)."""
    return type(relation)(relation.lhs.xreplace(mapping), relation.rhs.xreplace(mapping), evaluate=False)


def _within(inner: Domain, outer: Domain) -> bool:
    """Every value of `inner` lies in `outer`."""
    low = inner.lower > outer.lower or (inner.lower == outer.lower and (outer.lower_open <= inner.lower_open))
    high = inner.upper < outer.upper or (inner.upper == outer.upper and (outer.upper_open <= inner.upper_open))
    return low and high and (inner.integer or not outer.integer)


@dataclass(frozen=True)
class _Renaming:
    """A one-to-one renaming of a record's symbols and item names, and its inverse."""

    source: Result
    syms: dict[str, Sym]
    symbols: dict[sp.Symbol, sp.Symbol]
    names: dict[str, str]

    @classmethod
    def of(cls, source: Result, symbols: dict[str, Sym | str], names: dict[str, str]) -> _Renaming:
        from ipverify.theory.symbols import SYMBOLS

        declared = {s.name: s for s in source.symbols}
        unknown = set(symbols) - set(declared)
        if unknown:
            raise ValueError(f"{source.id} has no symbols {sorted(unknown)} to rename")
        syms = {old: SYMBOLS[new] if isinstance(new, str) else new for old, new in symbols.items()}
        for old, new in syms.items():
            if not _within(new.domain, declared[old].domain):
                raise ValueError(f"renaming {source.id}: {new.name} ({new.domain.describe()}) is not inside the domain "
                                 f"of {old} ({declared[old].domain.describe()})")
        pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, sorted(syms, key=len, reverse=True)))
                             + r")(?![A-Za-z0-9_])") if syms else None
        renamed = {old: new.name for old, new in syms.items()}
        item_names = {**{h.name: pattern.sub(lambda m: renamed[m.group(1)], h.name) if pattern else h.name
                         for h in source.hypotheses}, **renamed, **names}
        if len(set(item_names.values())) != len(item_names):
            raise ValueError(f"renaming {source.id}: two names would become one")
        return cls(source, syms, {declared[old].symbol: new.symbol for old, new in syms.items()}, item_names)

    def sym(self, s: Sym) -> Sym:
        return self.syms.get(s.name, s)

    def describe(self) -> str:
        return ", ".join(f"{old} → {new.name}" for old, new in self.syms.items())

    def forward(self, item, meanings: dict[str, str]):
        name = self.names.get(item.name, item.name)
        meaning = meanings.get(name, item.meaning)
        if isinstance(item, Hypothesis):
            return Hypothesis(name, _subs_relation(item.relation, self.symbols), meaning)
        return Quantity(name, item.expr.xreplace(self.symbols), meaning)

    def back(self, record: Result) -> Result:
        """`record` (a renamed record, possibly changed since) in the source's names, with the source's fields."""
        inverse = {new: old for old, new in self.symbols.items()}
        names = {new: old for old, new in self.names.items()}
        meanings = {q.name: q.meaning for q in (*self.source.hypotheses, *self.source.definitions,
                                               *self.source.conclusions)}

        def old(item):
            name = names.get(item.name, item.name)
            if isinstance(item, Hypothesis):
                return Hypothesis(name, _subs_relation(item.relation, inverse), meanings.get(name, item.meaning))
            return Quantity(name, item.expr.xreplace(inverse), meanings.get(name, item.meaning))

        return dataclasses.replace(self.source, hypotheses=tuple(map(old, record.hypotheses)),
                                   definitions=tuple(map(old, record.definitions)),
                                   conclusions=tuple(map(old, record.conclusions)))

    def transported(self, check: SelfCheck) -> Callable[[Result], bool]:
        return lambda record: check.verify(self.back(record))


def _named(items, name: str, result_id: str, kind: str):
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"{result_id} has no {kind} {name!r}")


def _bullets(lines) -> str:
    return "\n".join(f"    - {line}" for line in lines) or "    (none)"


class _RenderedDocstring:
    """`Result.__doc__`: the class's own docstring on the class, the templated one (`render_docstring`) on a record,
    rendered when read (building the catalogue then renders none)."""

    def __init__(self, class_doc: str | None) -> None:
        self.class_doc = class_doc

    def __get__(self, record, owner=None):
        return self.class_doc if record is None else render_docstring(record)


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


Result.__doc__ = _RenderedDocstring(Result.__doc__)
