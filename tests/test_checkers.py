"""The generated checkers: backends agree, grids broadcast, autograd flows, verdicts name the binding condition."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ipverify import theory
from ipverify.numerics.checkers import Checker, checker


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


# ---------------------------------------------------------------------------------------------- fused numpy path


# Below the smallest normal float64 the relative precision is gone: two orders of the same product may differ there
# by a whole percent, so values that small count as equal.
_SUBNORMAL = np.finfo(np.float64).tiny


def _assert_same_evaluation(fused, reference, where: str) -> None:
    """The fused evaluation says what the per-expression one says: same derived names, missing inputs, hypotheses
    and conclusions; values equal up to the rounding of reordered sums and products; the same verdicts wherever a
    margin is not within rounding of zero."""
    assert fused.derived.keys() == reference.derived.keys(), where
    assert fused.missing == reference.missing, where
    assert fused.conclusions.keys() == reference.conclusions.keys(), where
    all_clear = True
    for kind in ("derived", "conclusions"):
        for name, value in getattr(reference, kind).items():
            np.testing.assert_allclose(getattr(fused, kind)[name], value, rtol=1e-12, atol=_SUBNORMAL, equal_nan=True,
                                       err_msg=f"{where}: {name}")
    for a, b in zip(fused.hypotheses, reference.hypotheses, strict=True):
        assert a.name == b.name, where
        for side in ("lhs", "rhs", "margin"):
            np.testing.assert_allclose(getattr(a, side), getattr(b, side), rtol=1e-12, atol=_SUBNORMAL, equal_nan=True,
                                       err_msg=f"{where}: {a.name}.{side}")
        clear = np.abs(np.asarray(b.relative_margin, float)) > 1e-9
        np.testing.assert_array_equal(np.broadcast_to(a.holds, clear.shape)[clear],
                                      np.broadcast_to(b.holds, clear.shape)[clear], err_msg=f"{where}: {a.name}")
        all_clear = all_clear and bool(np.all(clear))
    if all_clear:
        assert fused.all_hold == reference.all_hold, where


def _points(result, rng: np.random.Generator, count: int):
    """Random points of the symbols' domains; every other one drops some names (the fixed point then fills in
    fewer definitions, or leaves hypotheses missing), and one is a grid."""
    for k in range(count):
        values = {s.name: _value_for(s, rng) for s in result.symbols}
        if k % 2:
            values = {name: v for name, v in values.items() if rng.uniform() < 0.7}
        if k == count - 1 and values:
            name = next(iter(values))
            values[name] = values[name] * rng.uniform(0.5, 1.5, size=7)
        yield values


@pytest.mark.parametrize("result", theory.results(), ids=lambda r: r.id)
def test_fused_checker_agrees_with_the_per_expression_one(result):
    rng = np.random.default_rng(zlib.crc32(result.id.encode()))
    fused, reference = Checker(result), Checker(result, fused=False)
    assert fused.fused and not reference.fused
    for values in _points(result, rng, 6):
        _assert_same_evaluation(fused.evaluate(values), reference.evaluate(values), f"{result.id} at {values}")
        assert fused.fill(values)[1].keys() == reference.fill(values)[1].keys()


def test_the_comparison_catches_a_changed_conclusion():
    """Negative control: a record whose conclusion is off by one part in 10⁹ no longer agrees."""
    import dataclasses

    result = theory.get("GD-4")
    first = result.conclusions[0]
    changed = dataclasses.replace(result, conclusions=(dataclasses.replace(first, expr=first.expr * (1 + 1e-9)),
                                                       *result.conclusions[1:]))
    values = {s.name: _value_for(s, np.random.default_rng(3)) for s in result.symbols}
    with pytest.raises(AssertionError):
        _assert_same_evaluation(Checker(changed).evaluate(values), Checker(result, fused=False).evaluate(values),
                                "GD-4 changed")


def test_one_call_per_point_and_nothing_compiled_per_expression(monkeypatch):
    import ipverify.numerics.checkers as checkers
    def no_per_expression(*args, **kwargs):
        raise AssertionError("the fused path compiled an expression on its own")

    monkeypatch.setattr(checkers, "compile_expr", no_per_expression)
    ck = Checker(theory.get("GD-1"))
    ev = ck.evaluate({"gamma": 0.3, "L": 10.0})
    (plan,) = ck._plans.values()
    calls = []
    original = plan.fn
    object.__setattr__(plan, "fn", lambda *a: calls.append(a) or original(*a))
    ck.evaluate({"gamma": 0.3, "L": 10.0})
    assert len(calls) == 1
    assert ev.all_hold is False and {v.name for v in ev.hypotheses if v.truth is False} == {"gamma*L<=1",
                                                                                             "gamma*L<2"}


def test_backend_is_checked():
    with pytest.raises(ValueError, match="unknown backend"):
        Checker(theory.get("GD-1"), "jax")


@pytest.mark.parametrize("result", theory.results(), ids=lambda r: r.id)
def test_the_scalar_path_says_what_evaluate_says(result):
    """`Checker.scalar` (math-compiled, one point of floats) against `evaluate` (NumPy) at random points, some with
    names dropped: the same quantities, equal up to rounding (inf and NaN where NumPy gives them), and the same
    hypothesis verdicts wherever the margin is not within rounding of zero."""
    rng = np.random.default_rng(zlib.crc32(f"scalar {result.id}".encode()))
    check = Checker(result)
    for values in _points(result, rng, 6):
        values = {name: float(np.asarray(v).reshape(-1)[0]) for name, v in values.items()}
        fast, ev = check.scalar(values), check.evaluate(values)
        quantities = {**ev.derived, **ev.conclusions}
        assert set(quantities) <= set(fast)
        for name, value in quantities.items():
            np.testing.assert_allclose(fast[name], float(value), rtol=1e-12, atol=_SUBNORMAL, equal_nan=True,
                                       err_msg=f"{result.id} {name} at {values}")
        for v in ev.hypotheses:
            if abs(float(v.relative_margin)) > 1e-9:
                assert fast[v.name] == bool(v.holds), f"{result.id} {v.name} at {values}"
