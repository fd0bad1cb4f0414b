"""Helpers for self-checks that pin a record: exact comparison that is fast on wrong expressions, closed forms of
bounds, and lookups of other records.

`equal(lhs, rhs)` decides lhs ≡ rhs under the symbols' assumptions: a difference that is structurally zero is accepted
at once, a value at one generic point allowed by every symbol's assumptions rejects a wrong expression at once (the
mutation test, `theory._mutation`, makes many), exact cancellation decides rational expressions, SymPy simplification
(`theory._proofs.identical`) the rest. Results are cached, so that a record's passing checks cost nothing the second
time they run.
"""

from __future__ import annotations

import cmath
import functools

import sympy as sp

from ipverify.theory import _proofs
from ipverify.theory._proofs import identical
from ipverify.theory.symbols import S

t, tau = S("t"), S("tau")


def get_record(result_id: str):
    """Another record, looked up when a check runs (at import time it would be circular)."""
    from ipverify.theory.registry import get

    return get(result_id)

_VALUES = tuple(sp.Rational(p, q) for p, q in ((3, 7), (5, 3), (7, 11), (11, 5), (13, 17), (17, 7), (19, 23),
                                               (23, 13), (29, 31), (31, 19), (37, 41), (41, 29)))


def _generic_point(symbols) -> dict:
    """Distinct positive values (integers for integer symbols): admissible for every symbol of the catalogue."""
    ordered = sorted(symbols, key=sp.default_sort_key)
    return {s: sp.Integer(3 + i) if s.is_integer else _VALUES[i % len(_VALUES)] * (1 + i // len(_VALUES))
            for i, s in enumerate(ordered)}


def _value(expr, point):
    try:
        value = complex(sp.N(expr.subs(point), 30))
    except (TypeError, ValueError, ArithmeticError):
        return None
    return value if cmath.isfinite(value) else None


def _differ_at_a_point(lhs, rhs) -> bool:
    """lhs and rhs take different values at an admissible point, so they are not identical."""
    point = _generic_point(lhs.free_symbols | rhs.free_symbols)
    a, b = _value(lhs, point), _value(rhs, point)
    if a is None or b is None:
        return False
    return abs(a - b) > 1e-12 * max(1.0, abs(a), abs(b))


@functools.cache
def _equal(lhs, rhs) -> bool:
    diff = lhs - rhs
    if diff == 0:
        return True
    if _differ_at_a_point(lhs, rhs):
        return False
    if diff.is_rational_function() and sp.cancel(diff) == 0:
        return True
    return identical(lhs, rhs)


def equal(lhs, rhs) -> bool:
    """lhs ≡ rhs under the symbols' assumptions."""
    return _equal(sp.sympify(lhs), sp.sympify(rhs))


def equal_min(lhs, rhs) -> bool:
    """Two minima term by term (SymPy cannot simplify a difference of minima); anything else by `equal`."""
    if not (isinstance(lhs, sp.Min) and isinstance(rhs, sp.Min) and len(lhs.args) == len(rhs.args)):
        return equal(lhs, rhs)
    remaining = list(rhs.args)
    for term in lhs.args:
        match = next((other for other in remaining if equal(term, other)), None)
        if match is None:
            return False
        remaining.remove(match)
    return True


def exponential(bound, initial, rate, var=t) -> bool:
    """bound = initial·e^{−rate·var}: its value at 0, and d bound/d var = −rate·bound (Grönwall at equality)."""
    return equal(bound.subs(var, 0), initial) and equal(sp.diff(bound, var), -rate * bound)


def geometric(bound, initial, ratio, var=tau, start=0) -> bool:
    """bound = initial·ratio^(var − start): its value at start, and one more iteration multiplies it by ratio."""
    return equal(bound.subs(var, start), initial) and equal(bound.subs(var, var + 1), ratio * bound)


positive = functools.lru_cache(maxsize=None)(_proofs.positive)
nonnegative = functools.lru_cache(maxsize=None)(_proofs.nonnegative)
