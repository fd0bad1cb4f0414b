"""The generated checkers: backends agree, grids broadcast, autograd flows, verdicts name the binding condition."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import theory
from numerics.checkers import Checker, checker


def _value_for(sym, rng: np.random.Generator):
    dom = sym.domain
    if dom.integer:
        return float(rng.integers(max(1, int(dom.lower)), 200))
    lo = dom.lower if math.isfinite(dom.lower) else -5.0
    hi = dom.upper if math.isfinite(dom.upper) else lo + 5.0
    return float(lo + (hi - lo) * rng.uniform(0.05, 0.95))


def _random_values(result, seed):
    rng = np.random.default_rng(seed)
    return {s.name: _value_for(s, rng) for s in result.symbols}


@pytest.mark.parametrize("result", theory.results(), ids=lambda r: r.id)
@given(seed=st.integers(0, 2**32 - 1))
def test_numpy_and_torch_backends_agree(result, seed):
    values = _random_values(result, seed)
    np_eval = Checker(result, "numpy").evaluate(values)
    torch_eval = Checker(result, "torch").evaluate(values)
    assert np_eval.conclusions.keys() == torch_eval.conclusions.keys()
    for name, value in np_eval.conclusions.items():
        np.testing.assert_allclose(np.asarray(value, float), torch_eval.conclusions[name].numpy(), rtol=1e-12,
                                   equal_nan=True, err_msg=f"{result.id}/{name}")
    for a, b in zip(np_eval.hypotheses, torch_eval.hypotheses, strict=True):
        assert bool(a.holds) == bool(b.holds)


def test_grid_evaluation_broadcasts():
    gamma = np.linspace(0.01, 1.99, 1_000)
    ev = checker("GD-1").evaluate({"gamma": gamma, "L": 1.0})
    nu_1 = ev.conclusions["nu_1_value"]
    assert nu_1.shape == gamma.shape
    np.testing.assert_allclose(nu_1, (1 + gamma) / (1 - gamma / 2))
    holds = {v.name: v.holds for v in ev.hypotheses}
    np.testing.assert_array_equal(holds["gamma*L<=1"], gamma <= 1)


def test_autograd_flows_through_the_torch_checker():
    sigma_A = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    ev = Checker(theory.get("GF-5"), "torch").evaluate({"sigma_A": sigma_A, "sigma_0": 0.8, "residual_0": 2.0,
                                                        "y_perp": 0.0, "t": 3.0})
    ev.conclusions["residual_bound"].backward()
    # d/dσ_A [2 exp(−σ_A² 0.64 · 3/4)] = 2 exp(·)·(−2σ_A·0.64·3/4)
    expected = 2 * math.exp(-0.25 * 0.64 * 0.75) * (-2 * 0.5 * 0.64 * 0.75)
    assert sigma_A.grad.item() == pytest.approx(expected, rel=1e-12)


def test_definitions_fill_in_and_are_reported_as_derived():
    ev = checker("GF-5").evaluate({"sigma_A": 0.5, "sigma_0": 0.8, "residual_0": 0.1, "B": 1.0, "k": 400.0,
                                   "V_col_max": 3.0, "t": 0.0})
    assert {"R_prime", "R"} <= set(ev.derived)
    assert ev.derived["R_prime"] == pytest.approx(2 * 0.1 / (0.5 * 0.8))
    # R solves (1/20)·R·(5 + R) = 0.4, i.e. R² + 5R − 8 = 0
    assert float(ev.derived["R"]) == pytest.approx((-5 + math.sqrt(25 + 32)) / 2)


def test_verdict_names_the_binding_condition_with_its_margin():
    ev = checker("GD-4").evaluate({"gamma": 1.5, "L": 1.0, "sigma_A": 0.5, "sigma_0": 0.8, "residual_0": 1.0,
                                   "y_perp": 0.0, "R": 1.0, "Lip_J": 0.1})
    assert not ev.holds
    assert ev.binding.name == "R_prime_gamma<R"
    assert float(ev.binding.margin) < 0
    ok = checker("GD-4").evaluate({"gamma": 0.1, "L": 1.0, "sigma_A": 0.5, "sigma_0": 0.8, "residual_0": 0.01,
                                   "y_perp": 0.0, "R": 1.0, "Lip_J": 0.1})
    assert ok.holds and float(ok.binding.margin) > 0


def test_missing_inputs_are_listed_not_guessed():
    ev = checker("GF-7").evaluate({"sigma_A": 0.5})
    assert not ev.holds
    assert "noise" in ev.missing["t_star"]
