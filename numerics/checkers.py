"""Numeric checkers generated from the SymPy records with `lambdify`.

`Checker(result, backend)` compiles the hypothesis sides, definitions and conclusions of a `theory.Result` on
first use. Backends:
- "numpy": scalars or arrays (grids broadcast); one fused function per set of given names, so a point costs one
  call;
- "torch" (imported only when this backend is asked for): tensors, with autograd flowing through every
  expression. Through a Piecewise, torch's `where` differentiates every branch, so the gradient is NaN when an
  unselected branch is not finite.

Each hypothesis is evaluated separately, so a verdict names the binding condition and its margin.
Definitions fill in symbols that were not given (fixed point over the definitions), and what was
filled in is reported as derived.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.printing.lambdarepr import LambdaPrinter

from ipverify.theory import Result

BACKENDS = ("numpy", "torch")


def _torch():
    """torch, imported on first use: only the "torch" backend needs it."""
    import torch

    return torch


def _is_tensor(x) -> bool:
    torch = sys.modules.get("torch")  # no tensor can exist before torch is imported
    return torch is not None and torch.is_tensor(x)


class _TorchPrinter(LambdaPrinter):
    """Prints Piecewise as nested `where` and boolean connectives as tensor ops."""

    def _print_Piecewise(self, expr):
        out = "nan"
        for value, cond in reversed(expr.args):
            out = f"where({self._print(cond)}, {self._print(value)}, {out})"
        return out

    def _print_And(self, expr):
        return functools.reduce(lambda a, b: f"logical_and({a}, {b})", map(self._print, expr.args))

    def _print_Or(self, expr):
        return functools.reduce(lambda a, b: f"logical_or({a}, {b})", map(self._print, expr.args))

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_Infinity(self, expr):
        return "inf"

    def _print_Equality(self, expr):
        return f"({self._print(expr.lhs)} == {self._print(expr.rhs)})"

    def _print_Max(self, expr):
        return f"Max({', '.join(map(self._print, expr.args))})"

    def _print_Min(self, expr):
        return f"Min({', '.join(map(self._print, expr.args))})"


def _as_tensor(x, like=None):
    torch = _torch()
    if torch.is_tensor(x):
        return x
    return torch.as_tensor(x, dtype=torch.float64 if like is None else like.dtype)


def _tensor_fold(op):
    def fold(*args):
        tensors = [_as_tensor(a) for a in args]
        return functools.reduce(op, tensors)

    return fold


def _unary(fn):
    return lambda x: fn(_as_tensor(x))


@functools.cache
def _torch_namespace() -> dict:
    torch = _torch()
    return {
        "sqrt": _unary(torch.sqrt),
        "exp": _unary(torch.exp),
        "log": _unary(torch.log),
        "Abs": _unary(torch.abs),
        "Max": _tensor_fold(torch.maximum),
        "Min": _tensor_fold(torch.minimum),
        "where": lambda c, a, b: torch.where(_as_tensor(c).bool(), _as_tensor(a), _as_tensor(b)),
        "logical_and": lambda a, b: torch.logical_and(_as_tensor(a), _as_tensor(b)),
        "logical_or": lambda a, b: torch.logical_or(_as_tensor(a), _as_tensor(b)),
        "nan": math.nan,
        "inf": math.inf,
        "E": math.e,
        "pi": math.pi,
    }


def _torch_printer() -> _TorchPrinter:
    functions = {name: name for name, value in _torch_namespace().items() if callable(value)}
    return _TorchPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                          "user_functions": functions})


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}")


@functools.cache
def compile_expr(expr: sp.Expr, backend: str = "numpy"):
    """(argument names, callable) for `expr`; arguments are its free symbols sorted by name."""
    _check_backend(backend)
    args = tuple(sorted(expr.free_symbols, key=lambda s: s.name))
    if backend == "numpy":
        fn = sp.lambdify(args, expr, modules="numpy", dummify=True)
    else:
        fn = sp.lambdify(args, expr, modules=[_torch_namespace()], printer=_torch_printer(), dummify=True)
    return tuple(a.name for a in args), fn


@dataclass
class HypothesisVerdict:
    """One condition evaluated: both sides, whether it holds, and the margin.

    For ≤ and ≥ it holds exactly when margin ≥ 0, for < and > exactly when margin > 0. Where the margin is NaN
    (a side undefined) the condition is `unknown`: neither true nor false, and `holds` is False there.
    """

    name: str
    meaning: str
    relation: str
    lhs: object
    rhs: object
    margin: object
    relative_margin: object
    holds: object
    unknown: object = False

    @property
    def fails(self):
        """Elementwise: the condition is known and false."""
        return _logical_not(_logical_or(self.holds, self.unknown))

    @property
    def truth(self) -> bool | None:
        """Over every element: False if it fails somewhere, True if it holds everywhere, else None (unknown)."""
        if bool(np.any(_to_numpy(self.fails))):
            return False
        return True if bool(np.all(_to_numpy(self.holds))) else None


@dataclass
class Evaluation:
    """What a checker says about one set of values (arrays broadcast elementwise).

    The hypotheses form a conjunction in Kleene's three-valued logic: it is false as soon as one evaluated
    hypothesis is false (whatever else is unknown), true when every hypothesis is evaluated and true, and unknown
    otherwise (a hypothesis missing an input, or with an undefined margin).
    """

    result_id: str
    values: dict
    derived: dict
    hypotheses: list[HypothesisVerdict]
    conclusions: dict
    missing: dict = field(default_factory=dict)
    hypothesis_names: tuple = ()
    ranges: dict = field(default_factory=dict)  # conclusion name → (lower, upper, reason), see conclusion_range

    @property
    def evaluated_all_hypotheses(self) -> bool:
        """Every hypothesis had its inputs and a defined margin (on every element)."""
        missing = any(name in self.missing for name in self.hypothesis_names)
        return not missing and not any(bool(np.any(_to_numpy(v.unknown))) for v in self.hypotheses)

    @property
    def holds(self):
        """Elementwise: every hypothesis evaluated and holding (unknown counts as not certified)."""
        if any(name in self.missing for name in self.hypothesis_names):
            return False
        verdicts = [v.holds for v in self.hypotheses]
        return functools.reduce(np.logical_and, verdicts, True) if verdicts else True

    @property
    def fails(self):
        """Elementwise: some evaluated hypothesis is known to be false."""
        return functools.reduce(_logical_or, [v.fails for v in self.hypotheses], False)

    @property
    def all_hold(self) -> bool | None:
        """The Kleene conjunction over every hypothesis and every element: False, True, or None (unknown)."""
        truths = [v.truth for v in self.hypotheses]
        if False in truths:
            return False
        missing = any(name in self.missing for name in self.hypothesis_names)
        return None if missing or None in truths else True

    @property
    def binding(self) -> HypothesisVerdict | None:
        """The hypothesis with the smallest relative margin (the most violated, or the closest to failing).

        For array inputs it is chosen on the worst element.
        """
        if not self.hypotheses:
            return None
        return min(self.hypotheses, key=lambda v: _worst(v.relative_margin))

    def no_guarantee(self, name: str) -> str | None:
        """Why the conclusion `name` guarantees nothing at these values (None when its value is meaningful):
        it is NaN/inf, or outside the range its meaning allows (see `conclusion_range`)."""
        values = _to_numpy(self.conclusions[name])
        if np.isnan(values).any():
            return "no guarantee: value is nan"
        if np.isinf(values).any():
            return "no guarantee: value is infinite"
        lower, upper, what = self.ranges.get(name, (-math.inf, math.inf, ""))
        if (values < lower).any() or (values > upper).any():
            return f"no guarantee: outside [{lower:g}, {upper:g}] ({what})"
        return None


_NONNEGATIVE_LEFT = re.compile(r"^\s*(‖|\||f\(|L\(|L_y\(|E\(|Lip|Σ|∫|σ_min)[^≥]*≤")


def conclusion_range(result: Result, name: str) -> tuple[float, float, str]:
    """(lower, upper, reason) of the values the conclusion `name` can meaningfully take.

    A conclusion that bounds a nonnegative quantity from above (its meaning reads "‖…‖ ≤ …", "f(…) ≤ …", "Lip… ≤
    …", a path length or an energy) is ≥ 0: a negative value contradicts the hypotheses it was derived under.
    Any other conclusion may take any real value.
    """
    meaning = next(q.meaning for q in result.conclusions if q.name == name)
    if _NONNEGATIVE_LEFT.match(meaning):
        return 0.0, math.inf, "it bounds a nonnegative quantity"
    return -math.inf, math.inf, "any real value"


def _logical_or(a, b):
    if _is_tensor(a) or _is_tensor(b):
        return _torch().logical_or(_as_tensor(a), _as_tensor(b))
    return np.logical_or(a, b)


def _logical_not(a):
    return _torch().logical_not(a) if _is_tensor(a) else np.logical_not(a)


def _worst(relative_margin) -> float:
    """The smallest relative margin; NaN (undecidable) counts as the worst."""
    values = _to_numpy(relative_margin)
    return -np.inf if np.isnan(values).any() else float(np.min(values))


def _to_numpy(x):
    if _is_tensor(x):
        return x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


class Checker:
    """Compiled numeric form of one `theory.Result`.

    With the numpy backend and `fused=True` (the default) one point costs one call: for each set of given names,
    the definitions that the fixed point fills in, every hypothesis side and margin and every conclusion are
    compiled into one function (`_fuse`); the per-expression functions serve the torch backend and `fused=False`.
    Nothing is compiled before the first evaluation.
    """

    def __init__(self, result: Result, backend: str = "numpy", fused: bool = True):
        _check_backend(backend)
        self.result = result
        self.backend = backend
        self.fused = fused and backend == "numpy"
        self._ranges = {q.name: conclusion_range(result, q.name) for q in result.conclusions}
        self._relations = {h.name: sp.sstr(h.relation) for h in result.hypotheses}
        self._plans: dict[frozenset, _FusedPlan] = {}
        self._scalar_plans: dict[frozenset, _FusedPlan] = {}
        names = {d.name for d in result.definitions}
        for expr in self._expressions():
            names |= {s.name for s in expr.free_symbols}
        self._names = frozenset(names)

    def _expressions(self):
        for d in self.result.definitions:
            yield d.expr
        for h in self.result.hypotheses:
            yield from (h.lhs, h.rhs, h.margin)
        for q in self.result.conclusions:
            yield q.expr

    @functools.cached_property
    def _compiled(self):
        """Per-expression functions: (definitions, hypotheses, conclusions)."""
        compile_ = functools.partial(compile_expr, backend=self.backend)
        return ([(d.name, compile_(d.expr)) for d in self.result.definitions],
                [(h, self._relations[h.name], compile_(h.lhs), compile_(h.rhs), compile_(h.margin))
                 for h in self.result.hypotheses],
                [(q.name, compile_(q.expr)) for q in self.result.conclusions])

    def _call(self, compiled, values):
        names, fn = compiled
        absent = [n for n in names if n not in values]
        if absent:
            return None, absent
        args = [values[n] for n in names]
        if self.backend == "torch":  # a constant expression comes back as a Python number
            return _as_tensor(fn(*[_as_tensor(a) for a in args])), []
        with np.errstate(all="ignore"):  # numpy.select evaluates every branch of a Piecewise
            return np.asarray(fn(*[np.asarray(a, dtype=float) for a in args]), dtype=float), []

    def _plan(self, values: dict) -> _FusedPlan:
        known = frozenset(values) & self._names
        if known not in self._plans:
            self._plans[known] = _fuse(self.result, known)
        return self._plans[known]

    def fill(self, values: dict) -> tuple[dict, dict]:
        """Complete `values` with every definition whose inputs are known; returns (all values, derived)."""
        if self.fused:
            plan = self._plan(values)
            outputs = plan(values)
            derived = dict(zip(plan.derived, outputs[:len(plan.derived)], strict=True))
            return {**values, **derived}, derived
        full, derived = dict(values), {}
        progress = True
        while progress:
            progress = False
            for name, compiled in self._compiled[0]:
                if name in full:
                    continue
                value, absent = self._call(compiled, full)
                if not absent:
                    full[name] = derived[name] = value
                    progress = True
        return full, derived

    def _verdict(self, hyp, lhs, rhs, margin) -> HypothesisVerdict:
        lib = _torch() if self.backend == "torch" else np
        scale = lib.maximum(lib.maximum(abs(_to_lib(lhs, lib)), abs(_to_lib(rhs, lib))), _to_lib(1e-300, lib))
        margin = _to_lib(margin, lib)
        holds = margin > 0 if hyp.strict else margin >= 0  # False where the margin is NaN
        with np.errstate(all="ignore"):
            relative = margin / scale
        return HypothesisVerdict(hyp.name, hyp.meaning, self._relations[hyp.name], lhs, rhs, margin, relative,
                                 holds, lib.isnan(margin))

    def _hypothesis(self, compiled, values) -> tuple[HypothesisVerdict | None, list]:
        hyp, _, lhs_fn, rhs_fn, margin_fn = compiled
        lhs, missing_l = self._call(lhs_fn, values)
        rhs, missing_r = self._call(rhs_fn, values)
        if missing_l or missing_r:
            return None, sorted(set(missing_l + missing_r))
        margin, _ = self._call(margin_fn, values)
        return self._verdict(hyp, lhs, rhs, margin), []

    def evaluate(self, values: dict) -> Evaluation:
        """Fill definitions, then evaluate every hypothesis and conclusion that has all its inputs."""
        if self.fused:
            return self._evaluate_fused(values)
        full, derived = self.fill(values)
        missing, verdicts, conclusions = {}, [], {}
        for compiled in self._compiled[1]:
            verdict, absent = self._hypothesis(compiled, full)
            if absent:
                missing[compiled[0].name] = absent
            else:
                verdicts.append(verdict)
        for name, compiled in self._compiled[2]:
            value, absent = self._call(compiled, full)
            if absent:
                missing[name] = absent
            else:
                conclusions[name] = value
        return self._evaluation(values, derived, verdicts, conclusions, missing)

    def _evaluate_fused(self, values: dict) -> Evaluation:
        plan = self._plan(values)
        outputs = iter(plan(values))
        derived = {name: next(outputs) for name in plan.derived}
        verdicts = [self._verdict(hyp, next(outputs), next(outputs), next(outputs)) for hyp in plan.hypotheses]
        conclusions = {name: next(outputs) for name in plan.conclusions}
        return self._evaluation(values, derived, verdicts, conclusions, dict(plan.missing))

    def scalar(self, values: dict[str, float]) -> dict[str, float | bool]:
        """One point given as plain numbers, fast: {definition or conclusion name: float, hypothesis name: bool}
        (strict or not as the relation says; False where the margin is NaN). Quantities whose inputs are missing
        are absent. The fused function is compiled for Python's `math` (no NumPy per call); where it raises (a
        division by zero, a square root of a negative number) or gives a complex number, the point is evaluated by
        `evaluate`, whose NumPy gives inf or NaN instead. For grids of points, verdict objects and missing inputs,
        use `evaluate`."""
        plan = self._scalar_plans.get(tuple(values))
        if plan is None:
            plan = self._scalar_plans[tuple(values)] = _ScalarPlan(_fuse(self.result, frozenset(values) & self._names,
                                                                         "math"))
        try:
            out = plan.fn(*[float(values[n]) for n in plan.args])
            if any(type(v) is complex for v in out):  # x**(3/2) of a negative x, in plain Python
                raise ValueError("complex value")
        except (ArithmeticError, ValueError, TypeError):
            return self._scalar_from(self.evaluate({n: values[n] for n in plan.args}))
        point = {name: out[i] for name, i in plan.quantities}
        for name, i, strict in plan.margins:
            point[name] = out[i] > 0 if strict else out[i] >= 0
        return point

    @staticmethod
    def _scalar_from(ev: Evaluation) -> dict[str, float | bool]:
        point = {name: float(v) for name, v in ev.derived.items()}
        point.update({v.name: bool(np.all(v.holds)) for v in ev.hypotheses})
        point.update({name: float(v) for name, v in ev.conclusions.items()})
        return point

    def _evaluation(self, values, derived, verdicts, conclusions, missing) -> Evaluation:
        return Evaluation(self.result.id, dict(values), derived, verdicts, conclusions, missing,
                          tuple(h.name for h in self.result.hypotheses), self._ranges)


@dataclass(frozen=True)
class _FusedPlan:
    """One compiled function for one set of given names: its arguments, and the names of what it returns, in order:
    the derived definitions, (lhs, rhs, margin) of each evaluable hypothesis, the evaluable conclusions."""

    args: tuple[str, ...]
    fn: object
    derived: tuple[str, ...]
    hypotheses: tuple
    conclusions: tuple[str, ...]
    missing: tuple[tuple[str, list], ...]

    def __call__(self, values: dict) -> list:
        with np.errstate(all="ignore"):  # numpy.select evaluates every branch of a Piecewise
            out = self.fn(*[np.asarray(values[n], dtype=float) for n in self.args])
        return [np.asarray(v, dtype=float) for v in out]


class _ScalarPlan:
    """A `_FusedPlan` compiled for `math`, with where each name's value sits among its outputs."""

    def __init__(self, plan: _FusedPlan) -> None:
        self.fn, self.args = plan.fn, plan.args
        at = len(plan.derived)
        self.margins = tuple((h.name, at + 3 * j + 2, h.strict) for j, h in enumerate(plan.hypotheses))
        at += 3 * len(plan.hypotheses)
        self.quantities = (tuple((name, i) for i, name in enumerate(plan.derived))
                           + tuple((name, at + i) for i, name in enumerate(plan.conclusions)))


def _names(expr) -> set[str]:
    return {s.name for s in expr.free_symbols}


def _fuse(result: Result, given: frozenset, modules: str = "numpy") -> _FusedPlan:
    """The fixed point of `Checker.fill` run on names (which definitions fill in, in which order), compiled with
    every evaluable hypothesis and conclusion into one `lambdify` (shared subexpressions computed once)."""
    known, stages = set(given), []
    progress = True
    while progress:
        progress = False
        for d in result.definitions:
            if d.name not in known and _names(d.expr) <= known:
                stages.append(d)
                known.add(d.name)
                progress = True
    missing, hypotheses, conclusions = [], [], []
    for h in result.hypotheses:
        absent = (_names(h.lhs) | _names(h.rhs) | _names(h.margin)) - known
        (missing.append((h.name, sorted(absent))) if absent else hypotheses.append(h))
    for q in result.conclusions:
        absent = _names(q.expr) - known
        (missing.append((q.name, sorted(absent))) if absent else conclusions.append(q))
    # every symbol becomes a plain argument/intermediate named _s{i}, so names need not be Python identifiers
    symbols = sorted({s for d in result.definitions for s in d.expr.free_symbols}
                     | {s for h in hypotheses for e in (h.lhs, h.rhs, h.margin) for s in e.free_symbols}
                     | {s for q in conclusions for s in q.expr.free_symbols}, key=lambda s: s.name)
    names = sorted({s.name for s in symbols} | {d.name for d in stages})
    by_name = {name: sp.Symbol(f"_s{i}") for i, name in enumerate(names)}
    rename = {s: by_name[s.name] for s in symbols}
    stage_values = [(by_name[d.name], d.expr.xreplace(rename)) for d in stages]
    outputs = [by_name[d.name] for d in stages]
    outputs += [e.xreplace(rename) for h in hypotheses for e in (h.lhs, h.rhs, h.margin)]
    outputs += [q.expr.xreplace(rename) for q in conclusions]
    args = tuple(sorted(n for n in given if n in by_name))

    def staged_cse(exprs):
        # definitions first, each exactly as written (as the per-expression fill computes them), then the common
        # subexpressions of what is returned
        replacements, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_c"))
        return stage_values + replacements, reduced

    # the numpy module itself, not "numpy": the same NumPy printer, without a `from numpy import *` (~0.2 s cold)
    fn = sp.lambdify([by_name[n] for n in args], outputs, modules=[np] if modules == "numpy" else [modules],
                     cse=staged_cse, docstring_limit=0)
    return _FusedPlan(args, fn, tuple(d.name for d in stages), tuple(hypotheses), tuple(q.name for q in conclusions),
                      tuple(missing))


def _to_lib(x, lib):
    if lib is not np:
        return _as_tensor(x)
    return np.asarray(x, dtype=float)


@functools.cache
def checker(result_id: str, backend: str = "numpy") -> Checker:
    """The cached checker of a catalogue result (numpy: fused, one call per point)."""
    from ipverify.theory import get

    return Checker(get(result_id), backend)


def per_network(result_id: str, values: dict):
    """A result's checker on the values of b networks: each value a scalar, (b,) or (b, T) records (a (b,) value
    then stands for every record of its network). Returns ((b,) bool tensor: every hypothesis holds at every record
    of the network, the evaluation, the conclusions as float64 tensors of the shapes the checker gives)."""
    import torch

    numeric = {k: np.asarray(v.detach().cpu().numpy() if torch.is_tensor(v) else v, dtype=float)
               for k, v in values.items()}
    if any(v.ndim == 2 for v in numeric.values()):
        numeric = {k: v[:, None] if v.ndim == 1 else v for k, v in numeric.items()}
    ev = checker(result_id).evaluate(numeric)
    shape = np.broadcast_shapes(*(v.shape for v in numeric.values())) if numeric else ()
    hold = np.broadcast_to(np.asarray(ev.holds, dtype=bool), shape)
    hold = hold.reshape(hold.shape[0], -1).all(axis=1) if hold.ndim == 2 else hold
    conclusions = {k: torch.as_tensor(np.asarray(v, dtype=float)) for k, v in ev.conclusions.items()}
    return torch.as_tensor(hold.copy()), ev, conclusions
