"""Tests of numerics.trainers: batched GD against a naive autograd loop, the small-step flow against
solve_ivp, the sufficient-decrease lemma with a certified L, and divergence handled as a verdict."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ipverify.numerics.activations import get_activation
from ipverify.numerics.trainers import (
    DIVERGENCE_LOSS,
    gradient_descent,
    gradient_flow,
    gradient_flow_reference,
)
from ipverify.numerics.two_layer import (
    TwoLayerParams,
    flatten,
    init_two_layer,
    sigma_min_autograd,
    smoothness_bound,
    smoothness_estimate,
)

F64 = torch.float64
ACTIVATIONS = ["tanh", "sigmoid", "softplus", "elu"]
seeds = st.integers(min_value=0, max_value=2**63 - 1)


def make_problem(seed: int, b: int, n: int, d: int, k: int, m: int, act_name: str, shared: bool = True):
    gen = torch.Generator().manual_seed(seed)
    act = get_activation(act_name)
    net = init_two_layer(b, n, d, k, gen, act)
    A = torch.randn((m, n) if shared else (b, m, n), generator=gen, dtype=F64) / math.sqrt(n)
    y = torch.randn(b, m, generator=gen, dtype=F64)
    return net, A, y, gen


def naive_gd(A, y, net, gamma, steps):
    """Reference: one network at a time, torch.autograd gradient and a manual SGD update."""
    out = []
    for i in range(net.b):
        A_i = A if A.dim() == 2 else A[i]
        W = net.W0[i].clone().requires_grad_(True)
        V = net.V0[i].clone().requires_grad_(True)
        losses, lengths, grads = [], [], []
        for tau in range(steps + 1):
            x = V @ net.act.phi(W @ net.u[i]) / math.sqrt(net.k)
            f = 0.5 * (A_i @ x - y[i]).square().sum()
            gW, gV = torch.autograd.grad(f, (W, V))
            losses.append(float(f.detach()))
            grads.append(float(gW.square().sum() + gV.square().sum()))
            if tau == steps:
                break
            with torch.no_grad():
                W -= gamma[i] * gW
                V -= gamma[i] * gV
            lengths.append(float(gamma[i]) * math.sqrt(grads[-1]))
        out.append((W.detach(), V.detach(), losses, lengths, grads))
    return out


@settings(max_examples=12, deadline=None)
@given(
    seeds,
    st.integers(1, 4),
    st.integers(1, 6),
    st.integers(1, 4),
    st.integers(2, 32),
    st.integers(1, 6),
    st.sampled_from(ACTIVATIONS),
    st.booleans(),
    st.integers(1, 7),
)
def test_batched_gd_matches_naive_autograd_loop(seed, b, n, d, k, m, name, shared, record_every) -> None:
    net, A, y, gen = make_problem(seed, b, n, d, k, m, name, shared)
    L = smoothness_estimate(A, y, net.params0, net.u, net.act, iters=30, generator=gen)
    gamma = torch.rand(b, generator=gen, dtype=F64) * 0.9 / L  # a different step per network
    steps = 40
    traj = gradient_descent(A, y, net.params0, net.u, net.act, gamma, steps, record_every=record_every,
                            record_sigma_every=10, record_x=True)
    ref = naive_gd(A, y, net, gamma, steps)
    assert not bool(traj.diverged.any()) and bool(torch.all(traj.diverged_at == -1))
    expected_steps = list(range(0, steps + 1, record_every))
    if expected_steps[-1] != steps:
        expected_steps.append(steps)
    assert traj.steps.tolist() == expected_steps
    torch.testing.assert_close(traj.times, traj.steps.to(F64))
    for i, (W, V, losses, lengths, grads) in enumerate(ref):
        torch.testing.assert_close(traj.params.W[i], W, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(traj.params.V[i], V, rtol=1e-10, atol=1e-10)
        rec = traj.steps.tolist()
        torch.testing.assert_close(traj.loss[i], torch.tensor([losses[t] for t in rec], dtype=F64),
                                   rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(traj.residual[i], torch.tensor([math.sqrt(2 * losses[t]) for t in rec],
                                                                  dtype=F64), rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(traj.grad_norm_sq[i], torch.tensor([grads[t] for t in rec], dtype=F64),
                                   rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(traj.step_lengths[i], torch.tensor(lengths, dtype=F64),
                                   rtol=1e-9, atol=1e-12)
    final = traj.params - net.params0
    torch.testing.assert_close(traj.dist0[:, -1], final.norm())
    assert torch.all(traj.dist0 <= traj.path_length[:, traj.steps] * (1 + 1e-12) + 1e-15)
    torch.testing.assert_close(traj.tail_length[:, 0], traj.step_lengths.sum(dim=1))
    assert traj.x is not None and traj.x.shape == (b, len(expected_steps), n)
    assert traj.sigma_min is not None and traj.sigma_steps.tolist() == [0, 10, 20, 30, 40]
    torch.testing.assert_close(traj.sigma_min[:, -1], sigma_min_autograd(traj.params, net.u, net.act),
                               rtol=1e-9, atol=1e-10)


@settings(max_examples=10, deadline=None)
@given(seeds, st.integers(1, 4), st.integers(1, 6), st.integers(1, 4), st.integers(4, 48),
       st.integers(1, 6), st.sampled_from(ACTIVATIONS), st.floats(0.1, 1.9))
def test_sufficient_decrease_with_certified_L(seed, b, n, d, k, m, name, gamma_L) -> None:
    """02 GD-4 item 2: f(θ_{τ+1}) ≤ f(θ_τ) − γ(1 − γL/2)‖∇f(θ_τ)‖², with L the GD-2 bound on a ball that
    contains the whole trajectory (so every segment [θ_τ, θ_{τ+1}] lies in it)."""
    net, A, y, _ = make_problem(seed, b, n, d, k, m, name)
    r = 3.0
    L = smoothness_bound(A, net.params0, net.u, net.act, y, r)
    gamma = gamma_L / L
    traj = gradient_descent(A, y, net.params0, net.u, net.act, gamma, steps=60)
    inside = traj.dist0.amax(dim=1) <= r
    decrease = traj.loss[:, :-1] - traj.loss[:, 1:]
    required = (gamma * (1 - gamma * L / 2))[:, None] * traj.grad_norm_sq[:, :-1]
    slack = 1e-12 * traj.loss[:, :1]
    assert bool(torch.all((decrease >= required - slack)[inside]))
    # the same inequality from the step lengths alone, ‖∇f(θ_τ)‖² = ‖θ_{τ+1} − θ_τ‖²/γ²
    from_steps = ((1 - gamma * L / 2) / gamma)[:, None] * traj.step_lengths.square()
    assert bool(torch.all((decrease >= from_steps - slack)[inside]))


def test_record_indices_and_times() -> None:
    net, A, y, _ = make_problem(0, 2, 4, 3, 8, 3, "tanh")
    traj = gradient_descent(A, y, net.params0, net.u, net.act, 0.01, steps=10, record_every=4)
    assert traj.steps.tolist() == [0, 4, 8, 10]
    assert traj.step_lengths.shape == (2, 10) and traj.path_length.shape == (2, 11)
    assert traj.sigma_min is None and traj.sigma_steps is None and traj.x is None
    zero = gradient_descent(A, y, net.params0, net.u, net.act, 0.01, steps=0)
    assert zero.steps.tolist() == [0] and zero.step_lengths.shape == (2, 0)
    torch.testing.assert_close(zero.params.W, net.W0)
    with pytest.raises(ValueError):
        gradient_descent(A, y, net.params0, net.u, net.act, torch.ones(3, dtype=F64), steps=3)


# ------------------------------------------------------------------------------------------ gradient flow


@settings(max_examples=4, deadline=None)
@given(seeds, st.integers(2, 5), st.integers(1, 4), st.integers(4, 24), st.sampled_from(ACTIVATIONS))
def test_small_step_flow_converges_to_solve_ivp(seed, n, d, k, name) -> None:
    """‖θ_GD(t) − θ_ref(t)‖ shrinks linearly with h (explicit Euler, O(h))."""
    net, A, y, gen = make_problem(seed, 1, n, d, k, max(1, n - 1), name)
    L = float(smoothness_estimate(A, y, net.params0, net.u, net.act, iters=50, generator=gen)[0])
    t_final = 1.0
    h0 = 0.05 / max(L, 1.0)
    times = torch.linspace(0, t_final, 5, dtype=F64)
    ref = gradient_flow_reference(A, y, net.params0, net.u, net.act, times)
    assert ref.success
    errors = []
    for h in (h0, h0 / 2, h0 / 4):
        traj = gradient_flow(A, y, net.params0, net.u, net.act, t_final, h=h, n_records=4)
        assert float(traj.times[-1]) == pytest.approx(t_final, rel=1e-12)
        errors.append(float((flatten(traj.params)[0] - ref.theta[-1]).norm()))
    assert errors[0] > errors[1] > errors[2] > 0
    for coarse, fine in zip(errors, errors[1:], strict=False):
        assert 1.6 < coarse / fine < 2.5, errors
    # the flow's loss decreases along the reference too (d/dt f = −‖∇f‖²)
    assert bool(torch.all(ref.loss[1:] <= ref.loss[:-1] + 1e-12))


def test_gradient_flow_default_step_and_times() -> None:
    net, A, y, _ = make_problem(5, 3, 5, 3, 16, 4, "tanh")
    traj = gradient_flow(A, y, net.params0, net.u, net.act, t_final=0.5, n_records=10, n_sigma_records=5)
    h = float(traj.gamma[0])
    assert 0 < h and torch.all(traj.gamma == h)
    steps = traj.step_lengths.shape[1]
    assert steps * h == pytest.approx(0.5, rel=1e-12)
    torch.testing.assert_close(traj.times, traj.steps.to(F64) * h)
    assert float(traj.times[-1]) == pytest.approx(0.5, rel=1e-12)
    assert traj.sigma_times is not None and float(traj.sigma_times[-1]) == pytest.approx(0.5, rel=1e-12)
    assert not bool(traj.diverged.any())
    assert bool(torch.all(traj.loss[:, 1:] <= traj.loss[:, :-1]))


# --------------------------------------------------------------------------------------------- divergence


def check_divergence_records(traj, steps: int) -> None:
    """Invariants of a run that may diverge: flags agree with the records, nothing non-finite passes."""
    rec = traj.steps
    for i in range(traj.loss.shape[0]):
        at = int(traj.diverged_at[i])
        assert bool(traj.diverged[i]) == (at >= 0)
        if at < 0:
            assert bool(torch.all(torch.isfinite(traj.loss[i])))
            assert bool(torch.all(torch.isfinite(traj.step_lengths[i])))
            assert bool(torch.all(traj.loss[i] <= DIVERGENCE_LOSS))
            continue
        assert 0 <= at <= steps
        after = rec > at
        assert bool(torch.all(torch.isnan(traj.loss[i, after])))
        assert bool(torch.all(torch.isnan(traj.dist0[i, after])))
        assert bool(torch.all(torch.isnan(traj.step_lengths[i, at:])))
        before = rec < at
        assert bool(torch.all(torch.isfinite(traj.loss[i, before])))
        assert bool(torch.all(traj.loss[i, before] <= DIVERGENCE_LOSS))
        if bool((rec == at).any()):
            value = traj.loss[i, rec == at]
            assert not bool(torch.all(torch.isfinite(value) & (value <= DIVERGENCE_LOSS)))
        # a non-finite record is never counted as satisfying a bound
        assert not bool(torch.all(traj.loss[i] <= traj.loss[i, 0]))


@pytest.mark.parametrize("name", ["tanh", "elu"])
def test_huge_step_diverges_as_a_verdict(name: str) -> None:
    net, A, y, gen = make_problem(11, 4, 6, 3, 32, 5, name)
    L = smoothness_estimate(A, y, net.params0, net.u, net.act, iters=50, generator=gen)
    gamma = torch.stack([0.5 / L[0], 100 / L[1], 1000 / L[2], 0.1 / L[3]])
    steps = 400
    traj = gradient_descent(A, y, net.params0, net.u, net.act, gamma, steps, record_every=3,
                            record_sigma_every=7, record_x=True)
    assert traj.diverged.tolist() == [False, True, True, False]
    assert bool(torch.all(traj.diverged_at[1:3] >= 1))
    check_divergence_records(traj, steps)
    assert traj.params.is_finite()[[0, 3]].all()
    assert bool(torch.all(torch.isfinite(traj.sigma_min[[0, 3]])))


@pytest.mark.parametrize("name", ["sigmoid", "softplus"])
def test_escape_at_bounded_loss_flagged_by_max_dist0(name: str) -> None:
    """With φ → 0 at −∞ (sigmoid, softplus) a huge step drives the pre-activations to −∞: g → 0, the loss
    freezes at ½‖y‖² and θ runs off at finite loss. Not a divergence by the loss criterion; ``max_dist0``
    flags it."""
    net, A, y, gen = make_problem(11, 4, 6, 3, 32, 5, name)
    L = smoothness_estimate(A, y, net.params0, net.u, net.act, iters=50, generator=gen)
    gamma = 100 / L
    loose = gradient_descent(A, y, net.params0, net.u, net.act, gamma, 300, record_every=10)
    assert not bool(loose.diverged.any())
    assert bool(torch.all(loose.dist0[:, -1] > 1e4))
    torch.testing.assert_close(loose.loss[:, -1], 0.5 * y.square().sum(dim=1), rtol=1e-2, atol=1e-8)
    flagged = gradient_descent(A, y, net.params0, net.u, net.act, gamma, 300, record_every=10, max_dist0=1e4)
    assert bool(flagged.diverged.all())
    check_divergence_records(flagged, 300)
    at = flagged.diverged_at
    assert bool(torch.all(flagged.path_length[torch.arange(4), at] > 1e4))


@settings(max_examples=10, deadline=None)
@given(seeds, st.integers(1, 4), st.integers(1, 6), st.integers(4, 32), st.sampled_from(ACTIVATIONS),
       st.floats(1.0, 1e4))
def test_divergence_invariants_whatever_the_step(seed, b, n, k, name, gamma_L) -> None:
    net, A, y, gen = make_problem(seed, b, n, 3, k, 4, name)
    L = smoothness_estimate(A, y, net.params0, net.u, net.act, iters=30, generator=gen)
    steps = 150
    traj = gradient_descent(A, y, net.params0, net.u, net.act, gamma_L / L, steps, record_every=2)
    check_divergence_records(traj, steps)


def test_non_finite_start_is_diverged_at_zero() -> None:
    net, A, y, _ = make_problem(2, 3, 4, 3, 8, 3, "tanh")
    y = y.clone()
    y[1, 0] = math.inf
    W0 = net.W0.clone()
    W0[2, 0, 0] = math.nan
    params0 = TwoLayerParams(W0, net.V0)
    traj = gradient_descent(A, y, params0, net.u, net.act, 0.01, steps=20, record_every=5, record_sigma_every=1)
    assert traj.diverged.tolist() == [False, True, True]
    assert traj.diverged_at.tolist() == [-1, 0, 0]
    assert bool(torch.all(torch.isnan(traj.loss[1:, 1:])))
    assert bool(torch.all(torch.isnan(traj.sigma_min[2]))) and bool(torch.all(torch.isfinite(traj.sigma_min[0])))


def test_overflowing_parameters_do_not_crash_sigma() -> None:
    """θ finite but so large that J_g J_gᵀ overflows: σ_min is NaN, the run is flagged, nothing raises."""
    net, A, y, _ = make_problem(4, 2, 4, 3, 8, 3, "tanh")
    params0 = TwoLayerParams(net.W0, net.V0 * torch.tensor([1.0, 1e200], dtype=F64)[:, None, None])
    traj = gradient_descent(A, y, params0, net.u, net.act, 1e-3, steps=5, record_sigma_every=1)
    assert traj.diverged.tolist() == [False, True] and traj.diverged_at.tolist() == [-1, 0]
    assert bool(torch.isnan(traj.sigma_min[1]).all()) and bool(torch.isfinite(traj.sigma_min[0]).all())
