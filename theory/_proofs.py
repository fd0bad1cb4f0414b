"""Small proof helpers for the self-checks: each returns True only when the claim is verified.

`identical`, `positive`, `nonnegative` and `increasing` are symbolic (SymPy simplification and
assumptions). `holds_on_grid` is the fallback where SymPy cannot decide: it evaluates on a dense
grid in exact-ish float arithmetic and the self-check that uses it says `method="grid"`.
"""

from __future__ import annotations

import itertools

import sympy as sp


def numerically_different(lhs, rhs) -> bool:
    """lhs and rhs differ at one point allowed by every symbol's assumptions (integers at 2, 3, 4, other symbols
    at distinct rationals in ]0, 1[), evaluated to 30 digits. A screen that can only reject: where a value is not
    a finite real number it decides nothing."""
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        return False
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    free = sorted(lhs.free_symbols | rhs.free_symbols, key=str)
    point = {x: sp.Integer(2 + i % 3) if x.is_integer else sp.Rational(1, 2 + i) + sp.Rational(1, 97)
             for i, x in enumerate(free)}
    a, b = (sp.N(e.xreplace(point), 30) for e in (lhs, rhs))
    if not (a.is_Number and b.is_Number and a.is_finite and b.is_finite and a.is_real and b.is_real):
        return False
    return abs(a - b) > sp.Float("1e-20", 30) * max(1, abs(a), abs(b))


def identical(lhs, rhs) -> bool:
    """lhs ≡ rhs as expressions (or matrices), decided by simplification to zero.

    A numeric screen first rejects the pairs that differ at a sample point (`numerically_different`), so that a
    failing check does not pay for every simplifier."""
    if numerically_different(lhs, rhs):
        return False
    diff = sp.Matrix(lhs) - sp.Matrix(rhs) if isinstance(lhs, sp.MatrixBase) else lhs - rhs
    if isinstance(diff, sp.MatrixBase):
        return all(_is_zero(e) for e in diff)
    return _is_zero(diff)


def _factor_radicands(expr):
    """√(p²) → p needs the radicand factored first (symbols carry their positivity)."""
    return expr.replace(lambda x: x.is_Pow and x.exp.is_Rational and not x.exp.is_Integer,
                        lambda x: sp.factor(x.base) ** x.exp)


_SIMPLIFIERS = (
    sp.simplify,
    lambda e: sp.simplify(sp.expand(sp.powsimp(e))),
    lambda e: sp.simplify(_factor_radicands(e)),
)
"""Every rewrite is valid under the symbols' assumptions only: no `force=True`, which would accept
√(xy) = √x·√y for real x, y."""


def _is_zero(expr) -> bool:
    return any(simplifier(expr) == 0 for simplifier in _SIMPLIFIERS)


def positive(expr) -> bool:
    """expr > 0 for every value allowed by its symbols' assumptions."""
    return sp.simplify(expr).is_positive is True or sp.factor(expr).is_positive is True


def nonnegative(expr) -> bool:
    return sp.simplify(expr).is_nonnegative is True or sp.factor(expr).is_nonnegative is True


def increasing(expr, var) -> bool:
    """d expr / d var > 0 everywhere (under the symbols' assumptions)."""
    return positive(sp.diff(expr, var))


def solution_set(relation, var, domain: sp.Set) -> sp.Set:
    return sp.solveset(relation, var, domain)


def holds_on_grid(relation, ranges: dict, points: int = 60) -> bool:
    """`relation` (a SymPy Rel) holds at every point of a product grid over `ranges` {sym: (lo, hi)}.

    Used only where SymPy cannot prove the claim; the grid includes both ends of every range.
    """
    if relation in (sp.true, sp.false):  # SymPy already decided it from the symbols' assumptions
        return bool(relation)
    symbols = list(ranges)
    lhs = sp.lambdify(symbols, relation.lhs, "mpmath")
    rhs = sp.lambdify(symbols, relation.rhs, "mpmath")
    axes = [[lo + (hi - lo) * i / (points - 1) for i in range(points)] for lo, hi in ranges.values()]
    op = type(relation)
    tol = 1e-12
    for point in itertools.product(*axes):
        a, b = float(lhs(*point)), float(rhs(*point))
        scale = tol * max(1.0, abs(a), abs(b))
        ok = {
            sp.StrictLessThan: a < b + scale,
            sp.LessThan: a <= b + scale,
            sp.StrictGreaterThan: a > b - scale,
            sp.GreaterThan: a >= b - scale,
        }[op]
        if not ok:
            return False
    return True
