"""The self-checks of the gradient-flow and gradient-descent records pin the records they belong to."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from ipverify import theory
from ipverify.theory._core import Quantity
from ipverify.theory._mutation import analyse, killed
from ipverify.theory._proofs import identical
from ipverify.theory._proofs import numerically_different as _numerically_different
from ipverify.theory.symbols import S

B, k, V_col_max, R = S("B"), S("k"), S("V_col_max"), S("R")


def test_numeric_screen_rejects_only_expressions_that_differ():
    x, m = sp.Symbol("x", positive=True), sp.Symbol("m", integer=True, positive=True)
    assert identical(sp.sqrt(x**2), x) and identical(sp.cos(sp.pi * m) ** 2, 1)
    assert _numerically_different(x + 1, x) and not identical(x + 1, x)
    assert not _numerically_different(sp.oo, sp.oo), "a non-finite value decides nothing"


def _with_conclusion(result, name: str, expr: sp.Expr):
    conclusions = tuple(Quantity(q.name, expr, q.meaning) if q.name == name else q for q in result.conclusions)
    return dataclasses.replace(result, conclusions=conclusions)


def test_gf10_lipschitz_constant_with_1_instead_of_2_is_caught():
    gf10 = theory.get("GF-10")
    assert sp.simplify(gf10.conclusion("Lip_J_bound") - B / sp.sqrt(k) * (2 + V_col_max + R)) == 0
    corrupted = _with_conclusion(gf10, "Lip_J_bound", B / sp.sqrt(k) * (1 + V_col_max + R))
    assert not killed(gf10), "the intact record must pass its own self-checks"
    assert killed(corrupted)


@pytest.mark.parametrize("result_id", ["GF-3", "GF-5", "GD-4"])
def test_filled_in_lipschitz_constant_with_1_instead_of_2_is_caught(result_id):
    result = theory.get(result_id)
    definitions = tuple(Quantity(q.name, B / sp.sqrt(k) * (1 + V_col_max + R), q.meaning) if q.name == "Lip_J" else q
                        for q in result.definitions)
    assert definitions != result.definitions
    assert killed(dataclasses.replace(result, definitions=definitions))


@pytest.mark.parametrize("result_id", ["GF-1", "GF-2", "GF-9", "GF-12", "GD-5"])
def test_every_mutant_is_killed_or_declared_equivalent(result_id):
    report = analyse(theory.get(result_id))
    assert report.killed, "the mutation test produced no mutant"
    assert not report.survived, [m.label for m in report.survived]
