"""The mutation test: every mutant of every record is killed by the record's own self-checks (or listed as
equivalent on the record, with a reason), and the machinery itself tells a pinning check from one that is not."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from ipverify import theory
from ipverify.theory import Provenance, Quantity, Result, SelfCheck, Sym
from ipverify.theory._mutation import OPERATORS, analyse, killed, mutants
from ipverify.theory._proofs import identical

x = sp.Symbol("x", positive=True)


def _toy(check) -> Result:
    return Result(id="TOY-1", title="toy", citation="none", provenance=Provenance.DERIVED, statement="q = 3x²",
                  symbols=(Sym("x", "x"),), conclusions=(Quantity("q", 3 * x**2, "three squares"),),
                  references=("none",), self_checks=(SelfCheck("q is three times the square of x", check),))


def test_a_check_that_reads_its_record_kills_every_operator():
    report = analyse(_toy(lambda r: identical(r.conclusion("q"), 3 * x * x)))
    assert {m.operator for m in report.killed} == set(OPERATORS) and not report.survived
    assert report.score == 1.0


def test_a_check_that_ignores_its_record_kills_nothing():
    report = analyse(_toy(lambda r: identical(3 * x**2, 3 * x * x)))
    assert not report.killed and len(report.survived) == report.total > 0
    assert report.score == 0.0


def test_a_check_that_raises_on_the_mutant_kills_it():
    lookup = {3 * x**2: True}
    mutant = next(m for label, m in mutants(_toy(lambda r: lookup[r.conclusion("q")])) if label.operator == "scale")
    assert killed(mutant)


def test_unchanged_expressions_are_not_counted_as_mutants():
    record = _toy(lambda r: True)
    record = dataclasses.replace(record, conclusions=(Quantity("q", x, "x itself"),))
    assert all(m.operator != "drop" for m, _ in mutants(record))  # x has no product to drop a factor of


@pytest.mark.parametrize("result", theory.results(), ids=lambda r: r.id)
def test_every_mutant_is_killed_or_equivalent(result):
    report = analyse(result)
    assert not report.survived, f"{result.id}: mutants survive its self-checks: " + ", ".join(
        f"{m.quantity}:{m.operator}" for m in report.survived)
    for quantity, operator, reason in result.equivalent_mutants:
        assert operator in OPERATORS and reason.strip(), f"{result.id}/{quantity}: an equivalent mutant needs a reason"
