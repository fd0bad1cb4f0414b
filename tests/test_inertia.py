"""Unit tests of the inertial family (03): the DIN integrator against solve_ivp, the discrete algorithms against hand
iterations, the measurements on synthetic records, and the IN-* encodings against independent arithmetic.

Expected values are computed here with plain floats, numpy or an independent formulation (the second-order DIN
with Hessian–vector products), never with the SymPy expressions of `theory.inertia`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ipverify import theory
from ipverify.numerics.checkers import checker
from ipverify.numerics.inertial import curvature_estimate, din, din_reference, fitted_rate, time_to_reach
from ipverify.numerics.inertial_discrete import adaptive_inertial, igahd_sc, initial_psi, inna
from ipverify.numerics.instances import InstanceSpec, build_instance
from ipverify.numerics.two_layer import TwoLayerParams, flatten, objective_and_gradient, unflatten

IN_IDS = [f"IN-{i}" for i in range(1, 10)] + [f"IN-B{i}" for i in range(1, 9)]


def small(b: int = 1, seed: int = 0, **kw):
    spec = InstanceSpec(**{"n": 4, "m": 4, "d": 3, "k": 32, "b": b, "kappa": 3.0, "planted_radius": 0.1,
                           "seed": seed, **kw})
    inst = build_instance(spec)
    net = inst.net
    return inst, (inst.matrix, inst.y, net.params0, net.u, net.act)


def f64(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def mu_of(inst) -> torch.Tensor:
    """σ_A²σ₀²/4 by hand (IN-3)."""
    return inst.sigma_A**2 * inst.sigma_0**2 / 4


# ---------------------------------------------------------------------------------------------- catalogue


def test_every_in_id_is_in_the_catalogue_with_its_notes_tag():
    tags = {f"IN-{i}": "DERIVED" for i in range(1, 8)} | {"IN-8": "RECALLED", "IN-9": "RECALLED"}
    tags |= {f"IN-B{i}": "BACKGROUND" for i in range(1, 9)}
    for rid, tag in tags.items():
        result = theory.get(rid)
        assert result.provenance.value == tag, rid
        assert result.references and result.statement
    assert set(IN_IDS) <= set(theory.ids())
    assert theory.get("IN-8").unconfirmed and theory.get("IN-9").unconfirmed and theory.get("IN-B8").unconfirmed


def test_symbols_of_the_inertia_block_are_distinct_from_the_clashing_ones():
    from ipverify.theory.symbols import SYMBOLS

    assert SYMBOLS["mu"].meaning.startswith("restricted-injectivity")
    assert "PL" in SYMBOLS["mu_PL"].meaning and "DIN" in SYMBOLS["alpha"].meaning
    assert SYMBOLS["alpha"] != SYMBOLS["alpha_KL"] and SYMBOLS["kappa_DIN"].name != "kappa"


# ---------------------------------------------------------------------------------------------- encodings by hand


def test_in5_rate_and_optimum_by_hand():
    a, b, m = 0.1, 4.0, 0.02
    ev = checker("IN-5").evaluate({"alpha": a, "beta": b, "mu_PL": m})
    assert float(ev.derived["kappa_DIN"]) == pytest.approx(min(a, 2 * m * b / (1 + a * b + 2 * m * b * b)))
    assert float(ev.conclusions["alpha_opt"]) == pytest.approx((2 - math.sqrt(2)) * math.sqrt(m))
    assert float(ev.conclusions["beta_opt"]) == pytest.approx(1 / math.sqrt(2 * m))
    assert float(ev.conclusions["gf_rate"]) == pytest.approx(2 * m)
    assert float(ev.conclusions["mu_speedup_threshold"]) == pytest.approx((1 - 1 / math.sqrt(2)) ** 2)
    unit = checker("IN-5").evaluate({"alpha": math.sqrt(m), "beta": 1 / math.sqrt(m), "mu_PL": m})
    assert float(unit.conclusions["kappa"]) == pytest.approx(math.sqrt(m) / 2)


def test_optimum_agrees_with_a_numeric_grid_maximisation():
    """The closed form (2 − √2, 1/√2) against a brute-force maximisation of min{a, 2b/(1 + ab + 2b²)}."""
    a = np.linspace(0.01, 2.0, 800)[:, None]
    b = np.linspace(0.01, 3.0, 800)[None, :]
    kappa = np.minimum(a, 2 * b / (1 + a * b + 2 * b**2))
    i, j = np.unravel_index(np.argmax(kappa), kappa.shape)
    assert kappa.max() == pytest.approx(2 - math.sqrt(2), abs=2e-3)
    assert a[i, 0] == pytest.approx(2 - math.sqrt(2), abs=5e-3) and b[0, j] == pytest.approx(1 / math.sqrt(2), abs=5e-2)
    ev = checker("IN-5").evaluate({"alpha": 1.0, "beta": 1.0, "mu_PL": 1.0})
    assert float(ev.conclusions["kappa_opt"]) >= kappa.max() - 1e-12


def test_in6_radius_and_in2_energy_by_hand():
    a, b, m, r0, g0 = 0.1, 4.0, 0.02, 0.01, 0.005
    e0 = (1 + a * b) * r0**2 / 2 + b**2 * g0**2 / 2
    kappa = min(a, 2 * m * b / (1 + a * b + 2 * m * b * b))
    ev = checker("IN-6").evaluate({"alpha": a, "beta": b, "mu_PL": m, "residual_0": r0, "grad_norm_0": g0, "R": 1.0})
    assert float(ev.derived["energy_0"]) == pytest.approx(e0)
    assert float(ev.conclusions["theta_dist_bound"]) == pytest.approx(math.sqrt(2) / (1 - math.exp(-1))
                                                                     * math.sqrt(e0 / (a * kappa)))
    assert float(ev.conclusions["radius_constant"]) == pytest.approx(2.2373, abs=1e-4)
    in2 = checker("IN-2").evaluate({"alpha": a, "beta": b, "residual_0": r0, "grad_norm_0": g0, "velocity_norm": 0.3,
                                    "grad_norm_t": 0.2})
    assert float(in2.conclusions["energy_rate"]) == pytest.approx(-a * 0.09 - b * 0.04)


def test_in3_pl_constant_and_in8_rates_by_hand():
    sa, s0 = 0.5, 0.8
    ev = checker("IN-3").evaluate({"sigma_A": sa, "sigma_0": s0, "loss_t": 0.3, "theta_dist": 0.1, "R": 1.0,
                                   "y_perp": 0.1})
    assert float(ev.conclusions["mu_PL_value"]) == pytest.approx(sa**2 * s0**2 / 4)
    assert float(ev.conclusions["grad_norm_sq_lower"]) == pytest.approx(2 * sa**2 * s0**2 / 4 * (0.3 - 0.005))
    m, s, L, c, th = 0.02, 0.9, 2.5, 0.5, 0.5
    in8 = checker("IN-8").evaluate({"mu_PL": m, "s_step": s, "L": L, "c_armijo": c, "shrink": th, "tau": 3.0,
                                    "residual_0": 0.1, "R": 10.0, "y_perp": 0.0})
    floor = th * 2 * (1 - c) / L
    assert float(in8.conclusions["s_floor"]) == pytest.approx(floor)
    assert float(in8.conclusions["rho"]) == pytest.approx(1 - 2 * c * m * min(s, floor))
    assert float(in8.conclusions["theta_dist_bound"]) == pytest.approx(0.1 / math.sqrt(m) / c)
    assert float(in8.conclusions["loss_bound"]) == pytest.approx(0.005 * (1 - 2 * c * m * min(s, floor)) ** 3)


def test_igahd_condition_26_by_hand():
    """s_max of (26) against numpy's roots of the quadratic in √s; (26) holds just below it and fails just above."""
    m, L, b = 0.03, 2.0, 0.005
    coeffs = [(2 * b * m + math.sqrt(m) / 2) * L, L - m, -math.sqrt(m) / 2]
    sigma = max(np.roots(coeffs).real)
    c = checker("IN-B3")
    ev = c.evaluate({"mu_SC": m, "L": L, "beta": b, "s_step": 1.0, "sc_modulus": m})
    assert float(ev.conclusions["s_max"]) == pytest.approx(sigma**2, rel=1e-10)

    def rhs(s):
        return (math.sqrt(m) / (2 * s) + m / math.sqrt(s)) / (2 * b * m + 1 / math.sqrt(s) + math.sqrt(m) / 2)

    assert rhs(0.999 * sigma**2) > L > rhs(1.001 * sigma**2)
    below = c.evaluate({"mu_SC": m, "L": L, "beta": b, "s_step": 0.999 * sigma**2, "sc_modulus": m})
    above = c.evaluate({"mu_SC": m, "L": L, "beta": b, "s_step": 1.001 * sigma**2, "sc_modulus": m})
    assert bool(below.holds) and not bool(above.holds)
    assert float(below.conclusions["q"]) == pytest.approx(1 / (1 + 0.5 * math.sqrt(m * 0.999 * sigma**2)))


def test_acfr_theorem_7_threshold_by_hand():
    c = checker("IN-B2")
    assert bool(c.evaluate({"mu_SC": 0.04, "beta": 2.5, "sc_modulus": 0.04}).holds)  # 1/(2·0.2) = 2.5
    assert not bool(c.evaluate({"mu_SC": 0.04, "beta": 2.51, "sc_modulus": 0.04}).holds)


@pytest.mark.parametrize("name,constant", [("A_OPT", 0.6), ("B_OPT", 0.7)])
def test_the_optimality_proof_can_fail(monkeypatch, name, constant):
    import sympy as sp

    import ipverify.theory.inertia as inertia
    monkeypatch.setattr(inertia, name, sp.Rational(constant).limit_denominator(10))
    assert inertia._optimum_is_global() is False


def test_the_psi0_and_energy_proofs_can_fail(monkeypatch):
    import ipverify.theory.inertia as inertia
    monkeypatch.setattr(inertia, "PSI0_DIP", inertia.PSI0_DIP + inertia._g0)
    assert inertia._psi0_matches_notes() is False
    monkeypatch.setattr(inertia, "ENERGY_0", 2 * inertia.ENERGY_0)
    assert inertia._energy_at_zero() is False


# ---------------------------------------------------------------------------------------------- DIN integrator


def test_din_matches_solve_ivp_on_the_second_order_form():
    inst, args = small()
    m = float(mu_of(inst)[0])
    alpha, beta = (2 - math.sqrt(2)) * math.sqrt(m), 1 / math.sqrt(2 * m)
    traj = din(*args, alpha, beta, 8.0, n_records=16)
    ref = din_reference(*args, alpha, beta, traj.times)
    assert ref.success
    assert float((flatten(traj.params)[0] - ref.theta[-1]).norm() / ref.theta[-1].norm()) < 1e-8
    assert float(((traj.loss[0] - ref.loss).abs() / ref.loss[0]).max()) < 1e-5
    assert float(((traj.energy[0] - ref.energy).abs() / ref.energy[0]).max()) < 1e-5
    assert bool((ref.energy[1:] <= ref.energy[:-1] * (1 + 1e-9)).all())  # IN-2 on the reference too


def test_din_heavy_ball_beta_zero_matches_solve_ivp():
    inst, args = small(seed=1)
    traj = din(*args, 0.3, 0.0, 6.0, n_records=12)
    ref = din_reference(*args, 0.3, 0.0, traj.times)
    assert float((flatten(traj.params)[0] - ref.theta[-1]).norm() / ref.theta[-1].norm()) < 1e-6


def test_din_is_fourth_order():
    inst, args = small(seed=2)
    ref = din(*args, 0.2, 2.0, 4.0, h=4.0 / 1600, n_records=1)
    errors = []
    for steps in (50, 100):
        run = din(*args, 0.2, 2.0, 4.0, h=4.0 / steps, n_records=1)
        errors.append(float((flatten(run.params) - flatten(ref.params)).norm()))
    assert 10 < errors[0] / errors[1] < 24, errors


def test_din_starts_at_rest_and_keeps_the_energy_balance():
    inst, args = small(b=2, seed=3)
    traj = din(*args, f64([0.1, 0.5]), f64([3.0, 0.5]), 10.0, n_records=50)
    grad_sq = objective_and_gradient(*args).grad.norm_sq()
    assert bool((traj.velocity_norm_sq[:, 0] <= 1e-28 * traj.beta**2 * grad_sq).all())  # θ̇(0) = 0 up to rounding
    grad0 = objective_and_gradient(*args).grad
    e0 = (1 + traj.alpha * traj.beta) * objective_and_gradient(*args).loss + 0.5 * traj.beta**2 * grad0.norm_sq()
    assert torch.allclose(traj.energy[:, 0], e0, rtol=1e-14)
    # the final energy from the final state, computed here: (1 + αβ)f(θ_T) + ½‖w_T‖²
    A, y, _, u, act = args
    e_final = (1 + traj.alpha * traj.beta) * objective_and_gradient(A, y, traj.params, u, act).loss
    e_final = e_final + 0.5 * traj.w.norm_sq()
    assert torch.allclose(traj.energy[:, -1], e_final, rtol=1e-12)
    assert float((traj.energy_balance.abs().amax(dim=1) / traj.energy[:, 0]).max()) < 1e-6
    assert bool((traj.energy[:, 1:] <= traj.energy[:, :-1]).all())


def test_din_trajectory_has_the_trajectory_fields_and_a_path_length_above_the_distance():
    from ipverify.numerics.records import Trajectory

    _, args = small(b=2, seed=5)
    traj = din(*args, 0.5, 0.5, 4.0, n_records=20)
    steps = int(traj.steps[-1])
    assert isinstance(traj, Trajectory) and traj.step_lengths.shape == (2, steps)
    assert torch.equal(traj.gamma, torch.full((2,), traj.h, dtype=torch.float64))
    # ∫₀ᵗ‖θ̇‖ ≥ ‖θ(t) − θ₀‖, up to the O(h⁴) quadrature error of the RK4-integrated speed
    at_records = traj.path_length[:, traj.steps]
    assert bool((traj.dist0 <= at_records * (1 + 1e-8) + 1e-14).all())
    assert bool((traj.step_lengths > 0).all()) and float(at_records[:, -1].min()) > 0


def test_batched_din_equals_single_runs():
    inst, args = small(b=2, seed=4)
    A, y, p0, u, act = args
    both = din(A, y, p0, u, act, f64([0.2, 0.4]), f64([1.0, 2.0]), 3.0, h=0.01, n_records=5)
    for i, (a, b) in enumerate(((0.2, 1.0), (0.4, 2.0))):
        one = TwoLayerParams(p0.W[i:i + 1], p0.V[i:i + 1])
        single = din(A, y[i:i + 1], one, u[i:i + 1], act, a, b, 3.0, h=0.01, n_records=5)
        assert torch.allclose(both.loss[i], single.loss[0], rtol=1e-12, atol=0)


# ---------------------------------------------------------------------------------------------- discrete algorithms


def test_inna_initialisations_and_first_step():
    inst, args = small(seed=5)
    alpha, beta, gamma = f64([0.3]), f64([2.0]), 1e-2
    g0 = objective_and_gradient(*args).grad
    dip = inna(*args, alpha, beta, gamma, 1)
    default = inna(*args, alpha, beta, gamma, 1, init="inna")
    assert float(dip.step_lengths[0, 0]) == pytest.approx(0.0, abs=1e-14)
    assert float(default.step_lengths[0, 0]) == pytest.approx(gamma * 2.0 * float(g0.norm()[0]), rel=1e-10)
    psi = initial_psi(args[2], g0, alpha, beta, "dip")
    expected = flatten(args[2]) * (1 - 0.6) - 4.0 * flatten(g0)
    assert torch.allclose(flatten(psi), expected, rtol=1e-14)


def test_inna_converges_to_din_as_the_step_shrinks():
    """INNA is explicit Euler on the same system: its error against DIN at time T halves with γ."""
    inst, args = small(seed=6)
    T, alpha, beta = 2.0, 0.3, 1.0
    exact = din(*args, alpha, beta, T, h=T / 400, n_records=1)
    errors = []
    for steps in (200, 400):
        run = inna(*args, alpha, beta, T / steps, steps, record_every=steps)
        errors.append(float((flatten(run.params) - flatten(exact.params)).norm()))
    assert 1.6 < errors[0] / errors[1] < 2.4, errors


def test_igahd_sc_matches_a_hand_iteration():
    inst, args = small(b=2, seed=7)
    A, y, p0, u, act = args
    mus, ss, betas = (0.05, 0.2), (0.3, 0.6), (0.0, 0.4)
    traj = igahd_sc(A, y, p0, u, act, f64(mus), f64(ss), f64(betas), 4)
    for i in range(2):
        one = TwoLayerParams(p0.W[i:i + 1], p0.V[i:i + 1])
        x_prev = x = flatten(one)
        g_prev = None
        r = math.sqrt(mus[i] * ss[i])
        losses = []
        for _ in range(5):
            ev = objective_and_gradient(A, y[i:i + 1], unflatten(x, 32, 3, 4), u[i:i + 1], act)
            losses.append(float(ev.loss[0]))
            g = flatten(ev.grad)
            g_prev = g if g_prev is None else g_prev
            x_new = (x + (1 - r) / (1 + r) * (x - x_prev) - betas[i] * math.sqrt(ss[i]) / (1 + r) * (g - g_prev)
                     - ss[i] / (1 + r) * g)
            x_prev, x, g_prev = x, x_new, g
        assert np.allclose(traj.loss[i].numpy(), losses, rtol=1e-12)


def test_adaptive_inertial_steps_pass_their_own_tests():
    inst, args = small(b=2, seed=8)
    mu = mu_of(inst)
    s0 = 1 / curvature_estimate(*args)
    run = adaptive_inertial(*args, mu, s0, 25, beta=0.5 * s0.sqrt())
    traj = run.trajectory
    ok = torch.isfinite(run.step)
    # sufficient decrease f_{k+1} ≤ f_k − c s_k ‖∇f(θ_k)‖², recomputed from the records
    lhs = traj.loss[:, 1:]
    rhs = traj.loss[:, :-1] - 0.5 * run.step * traj.grad_norm_sq[:, :-1]
    assert bool((lhs <= rhs + 1e-15)[ok].all())
    # path-length test ‖θ_{k+1} − θ_k‖ ≤ (√2/(c√μ))(√f_k − √f_{k+1})
    factor = math.sqrt(2) / 0.5 / mu.sqrt()
    bound = factor[:, None] * (traj.loss[:, :-1].sqrt() - traj.loss[:, 1:].sqrt())
    resolved = traj.loss[:, :-1] > 1e-20
    assert bool((traj.step_lengths <= bound * (1 + 1e-9) + 1e-15)[ok & resolved].all())
    assert bool(run.inertial.any())
    assert float(traj.loss[:, -1].max() / traj.loss[:, 0].min()) < 1e-6


def test_adaptive_inertial_recovers_from_a_far_too_large_step():
    inst, args = small(b=2, seed=9)
    s0 = 20 / curvature_estimate(*args)
    run = adaptive_inertial(*args, mu_of(inst), s0, 20)
    assert not bool(run.trajectory.diverged.any())
    assert bool((run.trajectory.loss[:, 1:] <= run.trajectory.loss[:, :-1]).all())
    assert bool((run.trials[:, 0] > 2).all())  # it had to backtrack


def test_igahd_sc_with_a_huge_step_diverges_and_is_flagged():
    inst, args = small(b=2, seed=10)
    s = 12 / curvature_estimate(*args)
    traj = igahd_sc(*args, mu_of(inst), s, 0.0, 150)
    assert bool(traj.diverged.all()) or bool((traj.loss[:, -1] > traj.loss[:, 0]).all())
    ev = checker("IN-B3").evaluate({"mu_SC": mu_of(inst).numpy(), "L": s.numpy() ** -1 * 12, "beta": 0.0,
                                    "s_step": s.numpy(), "sc_modulus": mu_of(inst).numpy()})  # only (26) at stake
    assert not np.any(ev.holds)


# ---------------------------------------------------------------------------------------------- measurements


def test_fitted_rate_and_time_to_reach_on_synthetic_records():
    t = torch.linspace(0, 40, 401, dtype=torch.float64)
    values = torch.stack([3 * torch.exp(-0.7 * t), 2 * torch.exp(-0.2 * t)])
    rates = fitted_rate(t, values)
    assert rates.tolist() == pytest.approx([0.7, 0.2], rel=1e-10)
    reach = time_to_reach(t, values / values[:, :1], 1e-3)
    assert reach[0] == pytest.approx(math.ceil(math.log(1e3) / 0.7 * 10) / 10, abs=1e-9)
    assert math.isinf(float(time_to_reach(t, values, 0.0)[1]))
    floor = values.clone()
    floor[0, 200:] = floor[0, 200]  # a floating-point floor: excluded by `valid`
    assert fitted_rate(t, floor, valid=floor > floor[0, 200] * 1.0001)[0] == pytest.approx(0.7, rel=1e-10)
    wave = values[:1] * (1.5 + torch.cos(3 * t))  # oscillating: the envelope decays at 0.7
    assert fitted_rate(t, wave)[0] == pytest.approx(0.7, rel=0.05)
    assert math.isnan(float(fitted_rate(t[:2], values[:, :2])[0]))


def test_din_rejects_bad_inputs():
    inst, args = small()
    with pytest.raises(ValueError):
        din(*args, -0.1, 1.0, 1.0)
    with pytest.raises(ValueError):
        din(*args, 0.1, 1.0, 0.0)
    with pytest.raises(ValueError):
        inna(*args, 0.1, 0.0, 0.1, 3)
    with pytest.raises(ValueError):
        initial_psi(args[2], args[2], f64([1.0]), f64([1.0]), "other")
