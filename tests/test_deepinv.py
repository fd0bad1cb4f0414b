"""The deepinv adapter: a linear physics on (B, C, H, W) images as A: ℝⁿ → ℝᵐ, DIP generators with BatchNorm, and
the example.

Tests on small classes shaped like a deepinv ``LinearPhysics`` run everywhere; those marked ``real`` need the deepinv
package (`make test-deepinv` builds an environment with it) and skip without it.
"""

from __future__ import annotations

import copy
import importlib.util
import math
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import ipverify
from ipverify.numerics.deepinv_adapter import (
    generator_function,
    generator_jacobian_sigma_min,
    operator_from_physics,
)
from ipverify.numerics.jacobian import sigma_min
from ipverify.numerics.operators import LinearOperator
from ipverify.verify.monitor import Monitor

pytestmark = pytest.mark.usefixtures("one_thread")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "deepinv_dip.py"


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class MatrixPhysics(torch.nn.Module):
    """Shaped like deepinv's CompressedSensing: (B, C, H, W) → (B, m) through a float32 buffer M."""

    def __init__(self, matrix: torch.Tensor, image_shape, adjoint_scale: float = 1.0, square: float = 0.0):
        super().__init__()
        self.register_buffer("M", matrix)
        self.image_shape, self.adjoint_scale, self.square = image_shape, adjoint_scale, square

    def A(self, x):
        flat = x.reshape(x.shape[0], -1)
        return flat @ self.M.T + self.square * (flat @ self.M.T) ** 2

    def A_adjoint(self, y):
        return self.adjoint_scale * (y @ self.M).reshape(y.shape[0], *self.image_shape)


class CircularBlur:
    """Per channel, x ↦ Σ_s w_s roll(x, s) on (B, C, H, W) → (B, C, H, W), float64, not a torch module."""

    SHIFTS = {(0, 0): 0.5, (1, 0): 0.25, (0, 1): 0.25}

    def A(self, x):
        return sum(w * torch.roll(x, s, dims=(-2, -1)) for s, w in self.SHIFTS.items())

    def A_adjoint(self, y):
        return sum(w * torch.roll(y, (-s[0], -s[1]), dims=(-2, -1)) for s, w in self.SHIFTS.items())


def matrix_physics(m=12, shape=(2, 2, 3), seed=0, **kw) -> MatrixPhysics:
    n = math.prod(shape)
    return MatrixPhysics(torch.randn(m, n, generator=gen(seed)) / math.sqrt(m), shape, **kw)


def conv_generator(channels=3, seed=0, activation=torch.nn.Tanh) -> tuple[torch.nn.Module, torch.Tensor]:
    """A tiny ConvDecoder-like generator (upsample, conv, activation, BatchNorm, 1×1 conv) in training mode."""
    net = torch.nn.Sequential(torch.nn.Upsample(size=(4, 4)), torch.nn.Conv2d(channels, channels, 3, padding=1),
                              activation(), torch.nn.BatchNorm2d(channels), torch.nn.Conv2d(channels, 1, 1)).double()
    g = gen(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return net, torch.randn(1, channels, 2, 2, generator=g, dtype=torch.float64)


# ---------------------------------------------------------------------------------------------- the flat operator


def test_flat_view_agrees_with_the_physics_on_images():
    physics, shape = matrix_physics(), (2, 2, 3)
    op = operator_from_physics(physics, shape)
    images = torch.randn(3, *shape, generator=gen(1), dtype=torch.float64)
    expected = physics.A(images.float()).double()
    assert op.m == 12 and op.n == 12 and op.measurement_shape == (12,)
    assert torch.allclose(op.A(op.vector(images)), expected, rtol=1e-6, atol=1e-6)
    assert op.A(op.vector(images)).dtype == torch.float64
    stacked = op.vector(images).reshape(3, 1, 12).expand(3, 2, 12)
    assert op.A(stacked).shape == (3, 2, 12) and op.A(op.vector(images)[0]).shape == (12,)
    y = torch.randn(3, 12, generator=gen(2), dtype=torch.float64)
    back = physics.A_adjoint(y.float()).double().reshape(3, -1)
    assert torch.allclose(op.A_adjoint(y), back, rtol=1e-6, atol=1e-6)
    assert torch.equal(op.image(op.vector(images)), images.float())
    assert op.tests["adjoint"] <= op.tolerance and op.tests["linearity"] <= op.tolerance


def test_spectrum_of_a_circular_blur_is_its_fourier_transform():
    shape = (2, 4, 4)
    op = operator_from_physics(CircularBlur(), shape)
    kernel = torch.zeros(4, 4, dtype=torch.float64)
    for (i, j), w in CircularBlur.SHIFTS.items():
        kernel[i, j] = w
    spectrum = torch.fft.fft2(kernel).abs().flatten()
    nonzero = spectrum[spectrum > 1e-12]
    assert op.measurement_shape == shape and op.physics_dtype == torch.float64
    assert op.norm == pytest.approx(float(spectrum.max()), rel=1e-12)
    assert op.sigma_A == pytest.approx(float(nonzero.min()), rel=1e-10)
    assert op.rank == 2 * nonzero.numel() < op.n  # 0.5 − 0.25 − 0.25 = 0 at frequency (π, π): A is not injective
    described = op.describe()
    assert described["norm_exact"] and described["physics_dtype"] == "float64"
    assert described["norm_power_iteration"] == pytest.approx(op.norm, rel=1e-8)


def test_spectrum_of_a_matrix_physics_is_its_svd():
    physics = matrix_physics(m=8, seed=3)
    op = operator_from_physics(physics, (2, 2, 3))
    s = torch.linalg.svdvals(physics.M.double())
    assert op.norm == pytest.approx(float(s[0]), rel=1e-12)
    assert op.sigma_A == pytest.approx(float(s[-1]), rel=1e-12)
    assert op.rank == 8 and op.condition_number == pytest.approx(float(s[0] / s[-1]), rel=1e-12)


@pytest.mark.parametrize("physics, message", [
    (matrix_physics(adjoint_scale=2.0), "adjoint test fails"),
    (matrix_physics(adjoint_scale=1 + 1e-3), "adjoint test fails"),
    (matrix_physics(square=1e-3), "linearity test fails"),
    (MatrixPhysics(torch.randn(4, 12, dtype=torch.complex64), (2, 2, 3)), "complex"),
    (object(), "A\\(x\\) and A_adjoint\\(y\\)"),
])
def test_a_physics_that_is_not_a_real_linear_operator_with_its_adjoint_is_refused(physics, message):
    with pytest.raises(ValueError, match=message):
        operator_from_physics(physics, (2, 2, 3))


@pytest.mark.parametrize("shape", [(), (2, 0, 3), (2, -1, 3), (True, 2, 6), "2,2,3", (2.0, 2, 3)])
def test_bad_image_shapes_are_refused(shape):
    with pytest.raises(ValueError, match="image_shape"):
        operator_from_physics(matrix_physics(), shape)


def test_wrong_input_sizes_are_one_line_errors():
    op = operator_from_physics(matrix_physics(), (2, 2, 3))
    with pytest.raises(ValueError, match=r"\(\.\.\., 12\)"):
        op.A(torch.zeros(5, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"\(\.\.\., 12\)"):
        op.A_adjoint(torch.zeros(2, 11, dtype=torch.float64))
    with pytest.raises(ValueError, match="shape"):
        operator_from_physics(matrix_physics(), (3, 2, 2)).A(torch.zeros(12))  # same n, the physics reshapes
    with pytest.raises(ValueError, match="measurement"):
        op.measurement_vector(torch.zeros(1, 11))


def test_certify_takes_the_operator_and_finds_the_dense_problem():
    physics, shape = matrix_physics(m=10, seed=4), (2, 2, 3)
    op = operator_from_physics(physics, shape)
    y = op.measurement_vector(physics.A(torch.randn(1, *shape, generator=gen(5))))[0].numpy()
    adapted = ipverify.certify(op, y, width=32, input_dim=3, seed=0)
    dense = ipverify.certify(LinearOperator(physics.M.double()), y, width=32, input_dim=3, seed=0)
    assert adapted["problem"]["operator"] == "MatrixPhysics"
    assert (adapted["problem"]["m"], adapted["problem"]["n"]) == (10, 12)
    for name in ("A_norm", "sigma_A", "residual_0", "sigma_0", "R", "L"):
        assert adapted["constants"][name]["value"] == pytest.approx(dense["constants"][name]["value"], rel=1e-9), name
    assert adapted["guarantees"] == dense["guarantees"]


# ---------------------------------------------------------------------------------------------- generators


def _reference_sigma_min(model: torch.nn.Module, z: torch.Tensor) -> float:
    """σ_min of the Jacobian of θ ↦ model(z) by ordinary autograd on a copy of the model itself (running statistics
    updated as torch does in training mode), and an SVD."""
    clone = copy.deepcopy(model)
    names = [name for name, _ in clone.named_parameters()]
    values = [p.detach() for _, p in clone.named_parameters()]
    sizes = [v.numel() for v in values]

    def flat(theta):
        pieces = dict(zip(names, (t.reshape(v.shape) for t, v in zip(theta.split(sizes), values, strict=True)),
                          strict=True))
        return torch.func.functional_call(clone, pieces, (z,)).reshape(-1)

    jacobian = torch.autograd.functional.jacobian(flat, torch.cat([v.reshape(-1) for v in values]))
    return float(torch.linalg.svdvals(jacobian)[-1])


def test_generator_sigma_min_of_a_batchnorm_network_in_training_mode():
    model, z = conv_generator()
    running = model[3].running_mean.clone()
    reference = _reference_sigma_min(model, z)
    for method in ("lanczos", "dense"):
        assert generator_jacobian_sigma_min(model, z, method=method).value == pytest.approx(reference, rel=1e-6)
    assert torch.equal(model[3].running_mean, running)  # no side effect on the user's model
    g, theta = generator_function(model, z)
    assert torch.allclose(g(theta), model(z), rtol=0, atol=1e-12)
    moved = {k: v + 0.5 * torch.randn(v.shape, generator=gen(7), dtype=v.dtype) for k, v in theta.items()}
    assert generator_jacobian_sigma_min(model, z, params=moved).value == pytest.approx(sigma_min(g, moved).value)


def test_an_eval_mode_generator_uses_the_running_statistics():
    model, z = conv_generator(seed=2)
    model(z)  # one training-mode pass: running statistics differ from the batch statistics
    model.eval()
    g, theta = generator_function(model, z)
    assert torch.allclose(g(theta), model(z), rtol=0, atol=1e-12)
    assert not torch.allclose(g(theta), model.train()(z), atol=1e-6)


def test_monitor_runs_on_the_adapted_operator_and_a_batchnorm_generator():
    shape = (1, 4, 4)
    physics = matrix_physics(m=8, shape=shape, seed=6).double()
    op = operator_from_physics(physics, shape)
    model, z = conv_generator(seed=8, activation=torch.nn.ReLU)
    y = physics.A(torch.ones(1, *shape, dtype=torch.float64))
    g, theta0 = generator_function(model, z)
    monitor = Monitor(g, op, op.measurement_vector(y)[0], theta0, gamma=0.01, module=model, name="bn")
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01)
    for step in range(21):
        loss = 0.5 * (physics.A(model(z)) - y).square().sum()
        if step % 10 == 0:
            monitor.record(step, dict(model.named_parameters()), float(loss.detach()))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    (result,) = monitor.verdicts()
    assert result.result_id == "GF-5" and result.verdict == "recorded"
    assert "ReLU" in result.details["a_priori"]
    assert monitor.records[-1].f < monitor.records[0].f and monitor.sigma_A == pytest.approx(op.sigma_A)


# ---------------------------------------------------------------------------------------------- the real package


@pytest.fixture(scope="module")
def deepinv():
    try:
        import deepinv as module
    except (ImportError, RuntimeError) as exc:  # RuntimeError: a torchvision built for another torch
        pytest.skip(f"deepinv is not importable ({type(exc).__name__}); make test-deepinv builds an environment "
                    "with it")
    return module


def test_real_compressed_sensing(deepinv):
    shape = (1, 4, 4)
    physics = deepinv.physics.CompressedSensing(m=10, img_size=shape, rng=gen(0))  # float32, deepinv's default
    op = operator_from_physics(physics, shape)
    assert op.physics_dtype == torch.float32 and (op.m, op.n) == (10, 16)
    x = torch.randn(2, *shape, generator=gen(1))
    assert torch.allclose(op.A(op.vector(x)), physics.A(x).double(), rtol=1e-6, atol=1e-6)
    power = float(physics.compute_sqnorm(torch.randn(1, *shape, generator=gen(2)), max_iter=500, tol=1e-9,
                                         verbose=False))
    assert op.norm**2 == pytest.approx(power, rel=1e-3)  # deepinv's power iteration on A*A (squared norm)
    s = torch.linalg.svdvals(physics._A.double())
    assert op.sigma_A == pytest.approx(float(s[-1]), rel=1e-6) and op.rank == 10
    assert abs(float(physics.adjointness_test(x[:1]))) < 1e-4 and op.tests["adjoint"] <= op.tolerance


def test_real_conv_decoder(deepinv):
    model = deepinv.models.ConvDecoder(img_size=(1, 4, 4), in_size=(2, 2), layers=2, channels=3).double()
    z = torch.randn(1, 3, 2, 2, generator=gen(3), dtype=torch.float64)
    batch_norm = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    running = batch_norm.running_mean.clone()
    reference = _reference_sigma_min(model, z)
    assert generator_jacobian_sigma_min(model, z).value == pytest.approx(reference, rel=1e-6, abs=1e-9)
    assert torch.equal(batch_norm.running_mean, running)


def test_real_certify_accepts_the_physics(deepinv):
    shape = (1, 3, 3)
    physics = deepinv.physics.CompressedSensing(m=6, img_size=shape, dtype=torch.float64, rng=gen(4))
    payload = ipverify.certify(operator_from_physics(physics, shape), None, width=64, input_dim=3, seed=0)
    assert payload["problem"]["operator"] == "deepinv CompressedSensing" and payload["problem"]["n"] == 9
    assert payload["constants"]["A_norm"]["value"] == pytest.approx(float(torch.linalg.svdvals(physics._A)[0]))


def _example():
    spec = importlib.util.spec_from_file_location("example_deepinv_dip", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_real_example_runs_in_a_minute(deepinv, capsys):
    start = time.perf_counter()
    out = _example().main([])
    elapsed = time.perf_counter() - start
    text = capsys.readouterr().out
    (result,) = out["results"]
    assert elapsed < 60, f"the example took {elapsed:.1f} s"
    assert result.result_id == "GF-5" and result.verdict == "recorded" and len(out["monitor"].records) == 13
    op = out["operator"]
    assert out["deepinv_norm"] == pytest.approx(op.norm, rel=1e-2)
    assert not out["vacuous"] and out["monitor"].floor() > 0 and np.isfinite(out["recovery"])
    assert "not certifiable a priori" in text and "GF-5: recorded" in text and "WARNING" not in text


def test_real_example_says_when_the_floor_is_zero(deepinv, capsys):
    out = _example().main(["--seed", "0", "--steps", "25", "--every", "25"])
    assert out["vacuous"] and "WARNING: σ_floor ≈ 0" in capsys.readouterr().out
