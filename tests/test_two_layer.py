"""Tests of numerics.two_layer: closed forms against autograd, certified constants against measurements."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch
from hypothesis import given, settings, target
from hypothesis import strategies as st

from ipverify.numerics.activations import get_activation
from ipverify.numerics.two_layer import (
    TwoLayerDIP,
    TwoLayerParams,
    apply_A,
    certified_radius,
    flatten,
    forward,
    hessian_vector_product,
    init_two_layer,
    jacobian_autograd,
    jacobian_closed_form,
    jacobian_norm,
    jjt,
    lip_jacobian_bound,
    lip_jacobian_estimate,
    objective,
    objective_and_gradient,
    sample_in_ball,
    sigma_min_autograd,
    sigma_min_closed_form,
    smoothness_bound,
    smoothness_estimate,
    sup_jacobian_norm_bound,
    unflatten,
)

F64 = torch.float64
ACTIVATIONS = ["tanh", "sigmoid", "softplus", "elu"]
seeds = st.integers(min_value=0, max_value=2**63 - 1)


@dataclass
class Instance:
    net: TwoLayerDIP
    A: torch.Tensor
    y: torch.Tensor
    gen: torch.Generator

    @property
    def params0(self) -> TwoLayerParams:
        return self.net.params0

    @property
    def u(self) -> torch.Tensor:
        return self.net.u

    @property
    def act(self):
        return self.net.act


@st.composite
def instances(draw, max_b: int = 4, max_k: int = 64, acts: list[str] | None = None) -> Instance:
    """A batch of networks, a shared or batched A ~ N(0, 1/n) and y ~ N(0, I), from one drawn seed."""
    seed = draw(seeds)
    b = draw(st.integers(1, max_b))
    n = draw(st.integers(1, 8))
    d = draw(st.integers(1, 5))
    k = draw(st.integers(1, max_k))
    m = draw(st.integers(1, 8))
    act = get_activation(draw(st.sampled_from(acts or ACTIVATIONS)))
    v_init = draw(st.sampled_from(["rademacher", "gaussian"]))
    shared = draw(st.booleans())
    gen = torch.Generator().manual_seed(seed)
    net = init_two_layer(b, n, d, k, gen, act, v_init=v_init)
    shape = (m, n) if shared else (b, m, n)
    A = torch.randn(shape, generator=gen, dtype=F64) / math.sqrt(n)
    y = torch.randn(b, m, generator=gen, dtype=F64)
    return Instance(net, A, y, gen)


def random_point(inst: Instance, scale: float = 1.0) -> TwoLayerParams:
    """θ = θ₀ + scale·N(0, I): a generic point, not only the initialisation."""
    p0 = inst.params0
    dW = torch.randn(p0.W.shape, generator=inst.gen, dtype=F64)
    dV = torch.randn(p0.V.shape, generator=inst.gen, dtype=F64)
    return TwoLayerParams(p0.W + scale * dW, p0.V + scale * dV)


# ------------------------------------------------------------------------------------------- parameters


@settings(max_examples=20, deadline=None)
@given(instances())
def test_flatten_unflatten_roundtrip(inst: Instance) -> None:
    p = random_point(inst)
    theta = flatten(p)
    assert theta.shape == (p.b, p.p)
    back = unflatten(theta, p.k, p.d, p.n)
    assert torch.equal(back.W, p.W) and torch.equal(back.V, p.V)
    assert torch.allclose(p.norm(), theta.norm(dim=1), rtol=1e-14, atol=0)
    # θ ordering: vec W first, row-major
    assert torch.equal(theta[:, : p.k * p.d], p.W.reshape(p.b, -1))


def test_unflatten_rejects_wrong_size() -> None:
    with pytest.raises(ValueError):
        unflatten(torch.zeros(2, 10, dtype=F64), 2, 2, 2)


@settings(max_examples=15, deadline=None)
@given(seeds, st.integers(1, 4), st.integers(1, 8), st.integers(1, 5), st.integers(1, 32))
def test_init_distribution_and_reproducibility(seed: int, b: int, n: int, d: int, k: int) -> None:
    act = get_activation("tanh")
    before = torch.random.get_rng_state()
    net = init_two_layer(b, n, d, k, torch.Generator().manual_seed(seed), act)
    again = init_two_layer(b, n, d, k, torch.Generator().manual_seed(seed), act)
    assert torch.equal(torch.random.get_rng_state(), before), "global RNG must not be touched"
    assert torch.equal(net.W0, again.W0) and torch.equal(net.V0, again.V0) and torch.equal(net.u, again.u)
    assert net.u.shape == (b, d) and net.W0.shape == (b, k, d) and net.V0.shape == (b, n, k)
    assert torch.allclose(net.u.norm(dim=1), torch.ones(b, dtype=F64), atol=1e-14)
    assert net.W0.dtype == F64 and net.V0.dtype == F64
    assert set(net.V0.unique().tolist()) <= {-1.0, 1.0}
    gauss = init_two_layer(b, n, d, k, torch.Generator().manual_seed(seed), act, v_init="gaussian")
    assert not set(gauss.V0.unique().tolist()) <= {-1.0, 1.0}


def test_init_moments() -> None:
    """W0 ~ N(0,1), V0 Rademacher or N(0,1): sample moments of a large draw."""
    act = get_activation("tanh")
    net = init_two_layer(4, 8, 5, 4096, torch.Generator().manual_seed(7), act)
    assert abs(float(net.W0.mean())) < 0.01 and abs(float(net.W0.var()) - 1) < 0.02
    assert abs(float(net.V0.mean())) < 0.01 and float(net.V0.var()) == pytest.approx(1.0, abs=1e-3)
    gauss = init_two_layer(4, 8, 5, 4096, torch.Generator().manual_seed(7), act, v_init="gaussian")
    assert abs(float(gauss.V0.var()) - 1) < 0.02
    with pytest.raises(ValueError):
        init_two_layer(1, 2, 2, 2, torch.Generator(), act, v_init="uniform")


# ------------------------------------------------------------------------------- forward and gradients


@settings(max_examples=25, deadline=None)
@given(instances())
def test_forward_matches_per_network_loop(inst: Instance) -> None:
    p, u, act = random_point(inst), inst.u, inst.act
    x = forward(p, u, act)
    for i in range(p.b):
        expected = p.V[i] @ act.phi(p.W[i] @ u[i]) / math.sqrt(p.k)
        torch.testing.assert_close(x[i], expected, rtol=1e-13, atol=1e-13)


@settings(max_examples=40, deadline=None)
@given(instances())
def test_closed_form_gradient_matches_autograd(inst: Instance) -> None:
    p, u, act = random_point(inst, 0.5), inst.u, inst.act
    W = p.W.clone().requires_grad_(True)
    V = p.V.clone().requires_grad_(True)
    f = objective(inst.A, inst.y, TwoLayerParams(W, V), u, act)
    gW, gV = torch.autograd.grad(f.sum(), (W, V))
    ev = objective_and_gradient(inst.A, inst.y, p, u, act)
    torch.testing.assert_close(ev.loss, f.detach(), rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(ev.grad.W, gW, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ev.grad.V, gV, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ev.residual, apply_A(inst.A, forward(p, u, act)) - inst.y)


@settings(max_examples=30, deadline=None)
@given(instances(max_k=32))
def test_hessian_vector_product_matches_double_backward(inst: Instance) -> None:
    p, u, act = random_point(inst, 0.5), inst.u, inst.act
    v = random_point(inst) - p
    W = p.W.clone().requires_grad_(True)
    V = p.V.clone().requires_grad_(True)
    f = objective(inst.A, inst.y, TwoLayerParams(W, V), u, act).sum()
    gW, gV = torch.autograd.grad(f, (W, V), create_graph=True)
    hW, hV = torch.autograd.grad((gW * v.W).sum() + (gV * v.V).sum(), (W, V))
    hv = hessian_vector_product(inst.A, inst.y, p, u, act, v)
    torch.testing.assert_close(hv.W, hW, rtol=1e-11, atol=1e-11)
    torch.testing.assert_close(hv.V, hV, rtol=1e-11, atol=1e-11)


# ----------------------------------------------------------------------------------------------- Jacobian


@settings(max_examples=25, deadline=None)
@given(instances(max_b=3))
def test_jjt_sigma_min_and_jacobian_match_jacrev(inst: Instance) -> None:
    p, u, act = random_point(inst, 0.3), inst.u, inst.act
    J_closed = jacobian_closed_form(p, u, act)
    gram = jjt(p, u, act)
    for i in range(p.b):
        J = jacobian_autograd(p.W[i], p.V[i], u[i], act)
        assert J.shape == (p.n, p.p)
        torch.testing.assert_close(J_closed[i], J, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(gram[i], J @ J.T, rtol=1e-10, atol=1e-12)
        svals = torch.linalg.svdvals(J)
        assert float(jacobian_norm(p, u, act)[i]) == pytest.approx(float(svals[0]), rel=1e-10, abs=1e-12)
    torch.testing.assert_close(sigma_min_closed_form(p, u, act), sigma_min_autograd(p, u, act),
                               rtol=1e-10, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(instances(), st.floats(0.0, 3.0))
def test_v_block_lower_bound(inst: Instance, scale: float) -> None:
    """σ_min(J_g) ≥ ‖φ(Wu)‖/√k: J_V J_Vᵀ = (‖φ(Wu)‖²/k) I_n (02 GD-6), at θ₀ and away from it."""
    p, u, act = random_point(inst, scale), inst.u, inst.act
    sigma = sigma_min_closed_form(p, u, act)
    v_block = act.phi((p.W @ u.unsqueeze(-1)).squeeze(-1)).norm(dim=-1) / math.sqrt(p.k)
    assert bool(torch.all(sigma >= v_block * (1 - 1e-12) - 1e-14))


# ------------------------------------------------------------------------------------ certified constants


@settings(max_examples=25, deadline=None)
@given(instances(max_b=3), st.floats(0.05, 5.0), st.sampled_from([1.0, 0.5, 2.0]))
def test_lip_jacobian_estimate_below_bound(inst: Instance, r: float, u_scale: float) -> None:
    """Random pairs in 𝔹(θ₀, r) never beat (B/√k)(2‖u‖ + ‖u‖²(c + r)) (01 GF-10)."""
    u = inst.u * u_scale
    est = lip_jacobian_estimate(inst.params0, u, inst.act, r, inst.gen, pairs=8)
    bound = lip_jacobian_bound(inst.params0.V, inst.act, inst.params0.k, r, u_norm=u_scale)
    target(float((est / bound).max()), label="lip estimate / bound")
    assert bool(torch.all(est > 0))
    assert bool(torch.all(est <= bound * (1 + 1e-10)))


@settings(max_examples=25, deadline=None)
@given(instances(max_b=3), st.floats(0.0, 3.0))
def test_sup_jacobian_norm_bound_holds_on_ball(inst: Instance, r: float) -> None:
    bound = sup_jacobian_norm_bound(inst.params0, inst.u, inst.act, r)
    for power in (None, 0.0, 1.0):  # uniform in the ball, on the sphere, radii uniform in [0, r]
        theta = sample_in_ball(inst.params0, r, inst.gen, radius_power=power)
        assert bool(torch.all((theta - inst.params0).norm() <= r * (1 + 1e-12) + 1e-15))
        norm = jacobian_norm(theta, inst.u, inst.act)
        assert bool(torch.all(norm <= bound * (1 + 1e-12)))


@settings(max_examples=25, deadline=None)
@given(instances(max_b=3), st.floats(0.0, 1e-2))
def test_smoothness_estimate_below_bound(inst: Instance, r: float) -> None:
    """‖∇²f(θ)‖ by power iteration ≤ the GD-2 bound, at θ₀ and at sampled points of 𝔹(θ₀, r)."""
    bound = smoothness_bound(inst.A, inst.params0, inst.u, inst.act, inst.y, r)
    ratios = []
    for point in (inst.params0, sample_in_ball(inst.params0, r, inst.gen, radius_power=0.0)):
        est = smoothness_estimate(inst.A, inst.y, point, inst.u, inst.act, iters=60, generator=inst.gen)
        ratios.append(float((est / bound).max()))
        assert bool(torch.all(est <= bound * (1 + 1e-10)))
    target(max(ratios), label="hessian norm / GD-2 bound")


@settings(max_examples=20, deadline=None)
@given(instances(max_b=2, max_k=8))
def test_smoothness_estimate_matches_exact_hessian(inst: Instance) -> None:
    """Power iteration against the full Hessian (jacrev of jacrev) of one network at a time."""
    p, u, act = inst.params0, inst.u, inst.act
    est = smoothness_estimate(inst.A, inst.y, p, u, act, iters=300, generator=inst.gen)
    for i in range(p.b):
        A_i = inst.A if inst.A.dim() == 2 else inst.A[i : i + 1]

        def f(theta: torch.Tensor, i: int = i, A_i: torch.Tensor = A_i) -> torch.Tensor:
            q = unflatten(theta.unsqueeze(0), p.k, p.d, p.n)
            return objective(A_i, inst.y[i : i + 1], q, u[i : i + 1], act)[0]

        H = torch.func.jacrev(torch.func.jacrev(f))(flatten(p)[i])
        exact = float(torch.linalg.eigvalsh(H).abs().max())
        assert float(est[i]) <= exact * (1 + 1e-9) + 1e-12
        assert float(est[i]) >= 0.95 * exact - 1e-12


@settings(max_examples=30, deadline=None)
@given(instances(max_b=3), st.sampled_from([1.0, 0.7, 1.5]))
def test_certified_radius_equation_and_weyl(inst: Instance, u_scale: float) -> None:
    """R solves lip_jacobian_bound(R)·R = σ₀/2 with equality, and σ_min(J_g) ≥ σ₀/2 on 𝔹(θ₀, R) (01 GF-2)."""
    p0, act = inst.params0, inst.act
    u = inst.u * u_scale
    sigma0 = sigma_min_closed_form(p0, u, act)
    R = certified_radius(sigma0, p0.V, act, p0.k, u_norm=u_scale)
    lhs = lip_jacobian_bound(p0.V, act, p0.k, R, u_norm=u_scale) * R
    torch.testing.assert_close(lhs, sigma0 / 2, rtol=1e-12, atol=1e-15)
    # largest such R: a slightly larger radius violates it
    bigger = R * (1 + 1e-6)
    assert bool(torch.all(lip_jacobian_bound(p0.V, act, p0.k, bigger, u_norm=u_scale) * bigger > sigma0 / 2))
    if u_scale == 1.0:  # the closed form of the brief
        c = p0.V.norm(dim=1).amax(dim=1)
        closed = (-(2 + c) + ((2 + c) ** 2 + 2 * sigma0 * math.sqrt(p0.k) / act.B).sqrt()) / 2
        torch.testing.assert_close(R, closed, rtol=1e-8, atol=1e-14)
    ratios = []
    for power in (None, 0.0):
        theta = sample_in_ball(p0, R, inst.gen, radius_power=power)
        sigma = sigma_min_closed_form(theta, u, act)
        ratios.append(float((sigma0 / 2 / sigma).max()))
        assert bool(torch.all(sigma >= sigma0 / 2 * (1 - 1e-10)))
    target(max(ratios), label="sigma0/2 / sigma(theta)")


@settings(max_examples=30, deadline=None)
@given(seeds, st.integers(2, 8), st.integers(1, 5), st.sampled_from(["tanh", "elu"]), st.data())
def test_certified_radius_excludes_singular_point(seed: int, n: int, d: int, name: str, data) -> None:
    """A point where J_g is singular lies outside 𝔹(θ₀, R): with φ(0) = 0 and k < n, θ* = (W0 − W0u uᵀ, V0)
    has φ(W*u) = 0, so J_g J_gᵀ = V0 V0ᵀ φ′(0)²/k has rank ≤ k < n and σ_min = 0 at distance ‖W0u‖."""
    k = data.draw(st.integers(1, n - 1))
    act = get_activation(name)
    net = init_two_layer(1, n, d, k, torch.Generator().manual_seed(seed), act)
    z0 = (net.W0 @ net.u.unsqueeze(-1)).squeeze(-1)
    singular = TwoLayerParams(net.W0 - z0.unsqueeze(-1) * net.u.unsqueeze(-2), net.V0)
    assert float(sigma_min_closed_form(singular, net.u, act)) < 1e-7
    sigma0 = sigma_min_closed_form(net.params0, net.u, act)
    R = certified_radius(sigma0, net.V0, act, k)
    distance = (singular - net.params0).norm()
    torch.testing.assert_close(distance, z0.norm(dim=-1))
    target(float(R / distance), label="R / distance to a singular point")
    assert bool(torch.all(R < distance))


# ----------------------------------------------------------------------------------------------- devices


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu() -> None:
    act = get_activation("tanh")
    net = init_two_layer(3, 6, 4, 32, torch.Generator().manual_seed(1), act)
    gpu = init_two_layer(3, 6, 4, 32, torch.Generator().manual_seed(1), act, device="cuda")
    assert gpu.W0.device.type == "cuda"
    torch.testing.assert_close(gpu.W0.cpu(), net.W0)
    A = torch.randn(5, 6, generator=torch.Generator().manual_seed(2), dtype=F64)
    y = torch.randn(3, 5, generator=torch.Generator().manual_seed(3), dtype=F64)
    ev = objective_and_gradient(A, y, net.params0, net.u, act)
    ev_gpu = objective_and_gradient(A.cuda(), y.cuda(), gpu.params0, gpu.u, act)
    torch.testing.assert_close(ev_gpu.grad.W.cpu(), ev.grad.W, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(sigma_min_closed_form(gpu.params0, gpu.u, act).cpu(),
                               sigma_min_closed_form(net.params0, net.u, act), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(smoothness_bound(A.cuda(), gpu.params0, gpu.u, act, y.cuda(), 0.1).cpu(),
                               smoothness_bound(A, net.params0, net.u, act, y, 0.1), rtol=1e-10, atol=0)
