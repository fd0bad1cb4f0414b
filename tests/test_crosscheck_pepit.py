"""PEPit (Clarabel) against the encoded constants: every bound stays above the exact worst case of its PEP.

Covered: JFB-7 (forward–backward contraction), GD-4 item 5 (one GD step under PL and under strong convexity),
IN-4 (gradient flow's rate 2μ), IN-5 (DIN's energy rate κ under PL, with Ė read from IN-2), IN-B1 (heavy-ball
Lyapunov rate √μ and gradient flow's 2μ on strongly convex f) and IN-B3 (IGAHD-SC's E_{N+1} ≤ E₁q^N). Every result
asked for has a counterpart, so none is skipped; a PEP cannot see the O(·) statements without constants (IN-B1's
value_factor, IN-B3's ‖x_k − x*‖ = O(q^{k/2})), and those are not compared. The negative controls break a
hypothesis or take a too-optimistic constant, and the comparison rejects it.
"""

from __future__ import annotations

import math

import pytest

from ipverify.numerics import pep
from ipverify.numerics.checkers import checker
from ipverify.verify.claims import Context
from ipverify.verify.claims.crosscheck import CLAIMS, PEP_ROWS, class_replaced, factor_row, rate_row

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("result_id", sorted(PEP_ROWS))
def test_encoded_bound_is_above_the_pep_worst_case(result_id):
    rows, hypotheses_hold, _ = PEP_ROWS[result_id]()
    assert hypotheses_hold, f"{result_id}: the record's hypotheses are not certified at the PEP's parameters"
    assert rows and all(r["source"] == "PEPit" and r["result_id"] == result_id for r in rows)
    for r in rows:
        assert r["valid"], f"{r['quantity']}: encoded {r['ours']} vs worst case {r['theirs']}"
        assert 0 < r["tightness"] <= 1 + 10 * pep.ACCURACY, r


@pytest.mark.parametrize("result_id", ["JFB-7", "IN-4", "IN-B1"])
def test_constants_known_to_be_exact_are_attained(result_id):
    """ρ_FB is attained by a quadratic and g = (λ_sc/2)‖x‖²; 2μ and √μ are the tight rates (PEPit's own examples)."""
    rows, _, _ = PEP_ROWS[result_id]()
    assert all(r["tightness"] >= 1 - 10 * pep.ACCURACY for r in rows), rows


def test_din_optimum_is_exact_and_other_dampings_are_conservative():
    rows, _, _ = PEP_ROWS["IN-5"]()
    optimal = [r for r in rows if "optimal" in r["quantity"]]
    others = [r for r in rows if "optimal" not in r["quantity"]]
    assert optimal and all(r["tightness"] >= 1 - 10 * pep.ACCURACY for r in optimal)
    assert others and all(r["tightness"] < 0.95 for r in others)


def test_radius_conditions_are_the_only_hypotheses_left_to_the_function_class():
    for result_id in ("GD-4", "IN-4", "IN-5"):
        replaced = class_replaced(result_id)
        assert replaced, result_id
        assert all(h.name not in replaced for h in _step_hypotheses(result_id))


def _step_hypotheses(result_id):
    """Hypotheses on the step or the dampings: the PEP must certify them, never replace them."""
    from ipverify.theory import get

    parameters = {"gamma", "alpha", "beta", "tau_FB", "s_step"}
    return [h for h in get(result_id).hypotheses if {s.name for s in h.relation.free_symbols} <= parameters | {"L"}]


def test_too_optimistic_contraction_is_rejected():
    """ρ at the best step, (L − μ)/(L + μ), claimed at another step: the PEP's worst case exceeds it."""
    mu, L, tau = 0.1, 1.0, 0.5
    ev = checker("JFB-7").evaluate({"mu_FB": mu, "L_FB": L, "tau_FB": tau, "lambda_sc": 0.0})
    row = factor_row("PEPit", "JFB-7", "rho_opt at tau=0.5", float(ev.conclusions["rho_opt"]),
                     pep.fb_lipschitz(tau, mu, L))
    assert not row["valid"] and row["tightness"] > 1.1


def test_din_rate_without_the_pl_branch_is_rejected():
    """κ = min{α, 2μβ/(1 + αβ + 2μβ²)}: keeping only α overstates DIN's rate, and the PEP says so."""
    mu, alpha, beta = 0.05, 0.5, 2.0
    row = rate_row("PEPit", "IN-5", "alpha alone", alpha, pep.din_rate(mu, alpha, beta))
    assert not row["valid"]


def test_gradient_flow_rate_follows_mu():
    """The rate 2μ is not met by a class with PL constant μ/2: the PEP tracks μ."""
    assert not rate_row("PEPit", "IN-4", "2 mu at mu/2", 0.2, pep.gradient_flow_rate(0.05, "PL"))["valid"]


def test_igahd_step_beyond_condition_26_breaks_the_energy_bound():
    mu, L = 0.1, 1.0
    beta = 0.9 * math.sqrt(mu) / (8 * L)
    base = {"mu_SC": mu, "sc_modulus": mu, "L": L, "beta": beta, "tau": 3.0, "energy_1": 1.0}
    s = 40 * float(checker("IN-B3").evaluate({**base, "s_step": 1.0}).conclusions["s_max"])
    ev = checker("IN-B3").evaluate({**base, "s_step": s})
    assert not ev.holds
    assert pep.igahd_energy_ratio(mu, L, s, beta, 2) > 1.0 > float(ev.conclusions["energy_bound"])


def test_gd_step_beyond_two_over_L_is_refused_and_does_not_decrease():
    ev = checker("GD-4").evaluate({"gamma": 2.2, "L": 1.0, "sigma_A": 1.0, "sigma_0": 0.6})
    assert not all(v.holds for v in ev.hypotheses if v.name.startswith("gamma"))
    worst = pep.gd_pl_step(1.0, 0.09, 2.2, "PL")
    assert worst > float(ev.conclusions["step_factor"]) > 1


def test_pep_claims_hold():
    for claim in CLAIMS:
        if claim.id.endswith("/pepit"):
            result = claim.run(Context())
            assert result.verdict == "holds", (claim.id, result.details)
            assert {r["source"] for r in result.details["crosscheck"]} == {"PEPit"}


def test_optimistic_mutants_of_a_tight_record_are_killed():
    """Every mutant of IN-B1 (theory._mutation) that raises one of its rates at a row's inputs is rejected by the
    same PEP worst cases, and at least the five such mutants are found (pessimistic ones survive a one-sided check)."""
    import numpy as np

    from ipverify.numerics.checkers import Checker
    from ipverify.theory import get
    from ipverify.theory._mutation import mutants

    rows, _, _ = PEP_ROWS["IN-B1"]()
    optimistic = killed = 0
    for _, mutated in mutants(get("IN-B1")):
        c = Checker(mutated)
        values = [float(np.asarray(c.evaluate(r["inputs"]["values"]).conclusions[r["inputs"]["conclusion"]]))
                  for r in rows]
        if any(v > r["ours"] * (1 + 1e-12) for v, r in zip(values, rows, strict=True)):
            optimistic += 1
            killed += any(not rate_row("PEPit", "IN-B1", "mutant", v, r["theirs"])["valid"]
                          for v, r in zip(values, rows, strict=True))
    assert optimistic >= 5 and killed == optimistic
