"""The self-checks of the inertial records (IN-*) pin the records they belong to: known corruptions are caught."""

from __future__ import annotations

import pytest
import sympy as sp

from ipverify import theory
from ipverify.theory._mutation import _replace, analyse, killed
from ipverify.theory.symbols import S

alpha, kappa, energy_0 = S("alpha"), S("kappa_DIN"), S("energy_0")
c, mu, s = S("c_armijo"), S("mu_PL"), S("s_step")


def _corrupt(result_id: str, name: str, expected: sp.Expr, corrupted: sp.Expr):
    """The record with `name` replaced, after checking that the intact record has the expected form and passes."""
    record = theory.get(result_id)
    assert sp.simplify(record.expr(name) - expected) == 0, f"{result_id}/{name} changed form: update the test"
    assert not killed(record), "the intact record must pass its own self-checks"
    return _replace(record, name, corrupted)


@pytest.mark.parametrize("result_id", ["IN-5", "IN-6"])
def test_din_radius_without_alpha_is_caught(result_id):
    constant = sp.sqrt(2) / (1 - sp.exp(-1))
    corrupted = _corrupt(result_id, "R_prime_DIN", constant * sp.sqrt(energy_0 / (alpha * kappa)),
                         constant * sp.sqrt(energy_0 / kappa))
    assert killed(corrupted)


def test_adaptive_step_factor_without_the_2_is_caught():
    corrupted = _corrupt("IN-8", "step_factor", 1 - 2 * c * mu * s, 1 - c * mu * s)
    assert killed(corrupted)


@pytest.mark.parametrize("result_id", ["IN-1", "IN-B2", "IN-B7"])
def test_every_mutant_is_killed_or_declared_equivalent(result_id):
    report = analyse(theory.get(result_id))
    assert report.killed, "the mutation test produced no mutant"
    assert not report.survived, [m.label for m in report.survived]


x, y = sp.symbols("x y", positive=True)


@pytest.mark.parametrize("lhs,rhs,expected", [
    (sp.sqrt(x**2 * y), x * sp.sqrt(y), True),
    ((x**2 - 1) / (x - 1), x + 1, True),
    (sp.exp(-sp.log(1 + x / 2)), 1 / (1 + x / 2), True),
    (sp.sqrt(x * y), sp.sqrt(x) * sp.sqrt(y) + 1, False),
    ((x**2 - 1) / (x - 1), x - 1, False),
    (sp.Min(x, 2 * x * y / (1 + x * y)), sp.Min(2 * y * x / (x * y + 1), x), True),
    (sp.Min(x, y), 2 * sp.Min(x, y), False),
])
def test_pinning_comparison_accepts_identities_and_rejects_the_rest(lhs, rhs, expected):
    from ipverify.theory._pinning import equal, equal_min

    assert equal_min(lhs, rhs) is expected
    assert equal(lhs, rhs) is expected or isinstance(lhs, sp.Min)
