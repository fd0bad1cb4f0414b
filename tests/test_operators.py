"""Forward operators: spectra against numpy.linalg.svd / torch.linalg.svdvals / the DFT, algebraic identities.

Every random draw goes through a local torch.Generator or numpy Generator seeded from the example.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ipverify.numerics._device import DEFAULT_DTYPE, resolve_device, resolve_dtype
from ipverify.numerics.operators import (
    LinearOperator,
    blur_1d,
    blur_2d,
    gaussian,
    inpainting,
    with_condition_number,
    with_singular_values,
)

SEEDS = st.integers(0, 2**32 - 1)
DIMS = st.integers(1, 12)
FAST = settings(max_examples=25, deadline=None)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _numpy_spectrum(matrix: torch.Tensor) -> tuple[float, float, int]:
    """(‖A‖, smallest singular value above max(m,n)·eps·‖A‖, numerical rank), all from numpy."""
    a = matrix.detach().cpu().numpy()
    s = np.linalg.svd(a, compute_uv=False)
    tol = max(a.shape) * np.finfo(a.dtype).eps * s[0]
    nonzero = s[s > tol]
    return float(s[0]), float(nonzero[-1]), int(nonzero.size)


@FAST
@given(m=DIMS, n=DIMS, seed=SEEDS)
def test_prescribed_singular_values_are_realised(m, n, seed):
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.1, 10.0, size=min(m, n))
    op = with_singular_values(m, n, s.tolist(), _gen(seed))
    measured = torch.linalg.svdvals(op.matrix).numpy()
    np.testing.assert_allclose(measured, np.sort(s)[::-1], rtol=1e-12, atol=1e-13)
    assert op.matrix.shape == (m, n) and op.matrix.dtype == torch.float64


@FAST
@given(m=DIMS, n=DIMS, seed=SEEDS)
def test_norm_sigma_rank_match_numpy(m, n, seed):
    op = gaussian(m, n, _gen(seed))
    norm, sigma, rank = _numpy_spectrum(op.matrix)
    assert op.norm == pytest.approx(norm, rel=1e-12)
    assert op.sigma_A == pytest.approx(sigma, rel=1e-9, abs=0)
    assert op.rank == rank == min(m, n)
    assert op.is_injective == (n <= m)
    assert op.condition_number == pytest.approx(norm / sigma, rel=1e-10)


@FAST
@given(m=DIMS, n=DIMS, seed=SEEDS, batch=st.integers(1, 3))
def test_adjoint_identity(m, n, seed, batch):
    op = gaussian(m, n, _gen(seed))
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.normal(size=(batch, n)))
    y = torch.as_tensor(rng.normal(size=(batch, m)))
    lhs = (op.A(x) * y).sum(-1)
    rhs = (x * op.A_adjoint(y)).sum(-1)
    torch.testing.assert_close(lhs, rhs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.A(x).numpy(), x.numpy() @ op.matrix.numpy().T, rtol=1e-12, atol=1e-14)
    assert op.A(x[0]).shape == (m,) and op(x).shape == (batch, m)


@FAST
@given(m=DIMS, n=DIMS, seed=SEEDS, log_kappa=st.floats(0.0, 8.0), norm=st.floats(0.1, 10.0))
def test_condition_number_is_prescribed(m, n, seed, log_kappa, norm):
    kappa = 1.0 if min(m, n) == 1 else math.exp(log_kappa)
    op = with_condition_number(m, n, kappa, _gen(seed), norm=norm)
    np_norm, np_sigma, _ = _numpy_spectrum(op.matrix)
    assert np_norm == pytest.approx(norm, rel=1e-10)
    assert np_norm / np_sigma == pytest.approx(kappa, rel=1e-7)
    assert op.condition_number == pytest.approx(kappa, rel=1e-7)
    s = torch.linalg.svdvals(op.matrix).numpy()
    if s.size > 2:
        ratios = s[1:] / s[:-1]
        np.testing.assert_allclose(ratios, ratios[0], rtol=1e-6)


@FAST
@given(m=DIMS, n=DIMS, r=st.integers(1, 12), seed=SEEDS)
def test_rank_deficient_operator_uses_smallest_nonzero_singular_value(m, n, r, seed):
    r = min(r, m, n)
    g = _gen(seed)
    matrix = torch.randn(m, r, generator=g, dtype=torch.float64) @ torch.randn(r, n, generator=g,
                                                                               dtype=torch.float64)
    op = LinearOperator(matrix)
    norm, sigma, rank = _numpy_spectrum(matrix)
    assert op.rank == rank == r
    assert op.sigma_A == pytest.approx(sigma, rel=1e-8, abs=0)
    assert op.is_injective == (r == n)


@FAST
@given(m=DIMS, n=DIMS, r=st.integers(1, 12), seed=SEEDS)
def test_projection_onto_range(m, n, r, seed):
    r = min(r, m, n)
    g = _gen(seed)
    op = LinearOperator(torch.randn(m, r, generator=g, dtype=torch.float64)
                        @ torch.randn(r, n, generator=g, dtype=torch.float64))
    rng = np.random.default_rng(seed)
    w = torch.as_tensor(rng.normal(size=(2, m)))
    x = torch.as_tensor(rng.normal(size=(2, n)))
    pw = op.project_onto_range(w)
    scale = op.norm * float(x.norm()) + float(w.norm())
    torch.testing.assert_close(op.project_onto_range(pw), pw, rtol=0, atol=1e-12 * scale)
    torch.testing.assert_close(op.project_onto_range(op.A(x)), op.A(x), rtol=0, atol=1e-12 * scale)
    torch.testing.assert_close(op.A_adjoint(w - pw), torch.zeros(2, n, dtype=torch.float64),
                               rtol=0, atol=1e-11 * scale)
    a = op.matrix.numpy()
    least_squares = a @ np.linalg.lstsq(a, w.numpy().T, rcond=None)[0]
    np.testing.assert_allclose(pw.numpy(), least_squares.T, atol=1e-9 * scale)


def test_projection_is_identity_for_surjective_operator():
    op = gaussian(4, 9, _gen(3))
    w = torch.as_tensor(np.random.default_rng(3).normal(size=4))
    torch.testing.assert_close(op.project_onto_range(w), w, rtol=1e-12, atol=1e-12)


def test_gaussian_entries_have_variance_one_over_n():
    n = 150
    op = gaussian(200, n, _gen(11))
    entries = op.matrix.flatten()
    assert float(entries.mean()) == pytest.approx(0.0, abs=0.01 / math.sqrt(n))
    assert float((entries**2).mean()) * n == pytest.approx(1.0, rel=0.05)


def test_gaussian_scale_and_reproducibility():
    base = gaussian(6, 5, _gen(7))
    again = gaussian(6, 5, _gen(7))
    scaled = gaussian(6, 5, _gen(7), scale=2.0)
    other = gaussian(6, 5, _gen(8))
    torch.testing.assert_close(base.matrix, again.matrix, rtol=0, atol=0)
    torch.testing.assert_close(scaled.matrix, 2.0 * math.sqrt(5) * base.matrix, rtol=1e-14, atol=0)
    assert not torch.equal(base.matrix, other.matrix)


def test_constructors_leave_global_rng_untouched():
    state = torch.random.get_rng_state()
    gaussian(5, 4, _gen(1))
    with_condition_number(5, 4, 3.0, _gen(2))
    inpainting(10, 0.5, _gen(3))
    assert torch.equal(torch.random.get_rng_state(), state)


@FAST
@given(n=st.integers(1, 40), keep=st.floats(0.01, 1.0), seed=SEEDS)
def test_inpainting_is_a_row_selection(n, keep, seed):
    op = inpainting(n, keep, _gen(seed))
    a = op.matrix.numpy()
    assert op.m == max(1, round(keep * n)) and op.n == n
    assert set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(a.sum(axis=1), 1.0)
    assert a.sum(axis=0).max() == 1.0
    np.testing.assert_allclose(a @ a.T, np.eye(op.m))
    assert op.norm == pytest.approx(1.0) and op.sigma_A == pytest.approx(1.0)


def test_inpainting_with_explicit_mask():
    mask = torch.tensor([True, False, True, True, False])
    op = inpainting(5, mask=mask)
    x = torch.arange(5, dtype=torch.float64)
    torch.testing.assert_close(op.A(x), torch.tensor([0.0, 2.0, 3.0], dtype=torch.float64))
    torch.testing.assert_close(op.A_adjoint(op.A(x)), x * mask)
    assert op.describe()["params"]["kept"] == 3


@FAST
@given(n=st.integers(1, 40), sigma=st.floats(0.2, 6.0))
def test_circular_blur_is_a_normalised_symmetric_circulant(n, sigma):
    op = blur_1d(n, sigma)
    a = op.matrix.numpy()
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    np.testing.assert_allclose(a, a.T, rtol=0, atol=1e-15)
    assert (a >= 0).all()
    np.testing.assert_allclose(a, np.roll(np.roll(a, 1, axis=0), 1, axis=1), rtol=0, atol=1e-15)
    dft_moduli = np.sort(np.abs(np.fft.fft(a[:, 0])))[::-1]
    np.testing.assert_allclose(op.singular_values.numpy(), dft_moduli, rtol=0, atol=1e-13)


def test_blur_kernel_is_gaussian():
    sigma = 1.3
    row = blur_1d(31, sigma).matrix[15].numpy()
    offsets = np.arange(31) - 15
    expected = np.where(np.abs(offsets) <= math.ceil(4 * sigma), np.exp(-offsets**2 / (2 * sigma**2)), 0.0)
    np.testing.assert_allclose(row, expected / expected.sum(), rtol=1e-13, atol=1e-16)


def test_zero_boundary_blur_loses_mass_only_at_the_edges():
    a = blur_1d(30, 1.5, boundary="zero").matrix.numpy()
    radius = math.ceil(4 * 1.5)
    row_sums = a.sum(axis=1)
    np.testing.assert_allclose(row_sums[radius:-radius], 1.0, atol=1e-14)
    assert row_sums[0] < 1 - 0.1 and row_sums[-1] < 1 - 0.1


def test_blur_sigma_a_skips_numerically_zero_singular_values():
    """With a long kernel the high-frequency DFT coefficients (≈ 2e^{−π²σ²/2}) fall below the tolerance."""
    op = blur_1d(48, 3.5, truncate=10.0)
    norm, sigma, rank = _numpy_spectrum(op.matrix)
    assert rank < 48 and op.rank == rank and not op.is_injective
    s = op.singular_values.numpy()
    assert s[-1] < op.zero_tolerance < op.sigma_A
    assert op.sigma_A == pytest.approx(sigma, rel=1e-2, abs=0)
    dft = np.abs(np.fft.fft(op.matrix[:, 0].numpy()))
    assert op.sigma_A == pytest.approx(dft[dft > op.zero_tolerance].min(), rel=1e-2, abs=0)
    assert op.condition_number == pytest.approx(norm / sigma, rel=1e-2)


def test_blur_2d_blurs_rows_and_columns():
    h, w = 7, 5
    op = blur_2d(h, w, (1.2, 0.8))
    b_h, b_w = blur_1d(h, 1.2).matrix, blur_1d(w, 0.8).matrix
    image = torch.as_tensor(np.random.default_rng(5).normal(size=(h, w)))
    blurred = op.A(image.flatten()).reshape(h, w)
    torch.testing.assert_close(blurred, b_h @ image @ b_w.T, rtol=1e-13, atol=1e-14)
    s_h, s_w = (np.linalg.svd(b.numpy(), compute_uv=False) for b in (b_h, b_w))
    expected = np.sort(np.outer(s_h, s_w).ravel())[::-1]
    np.testing.assert_allclose(op.singular_values.numpy(), expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(op.matrix.sum(dim=1).numpy(), 1.0, atol=1e-14)


def test_to_and_describe():
    op = with_condition_number(6, 4, 5.0, _gen(0))
    single = op.to(dtype="float32")
    assert single.matrix.dtype == torch.float32 and single.name == op.name
    assert single.condition_number == pytest.approx(5.0, rel=1e-4)
    info = json.loads(json.dumps(op.describe()))
    assert info["name"] == "with_condition_number" and (info["m"], info["n"]) == (6, 4)
    assert info["params"] == {"kappa": 5.0, "norm": 1.0}
    assert info["condition_number"] == pytest.approx(5.0) and info["is_injective"] is True
    assert info["dtype"] == "float64" and info["device"] == "cpu"


def test_zero_operator_has_no_sigma_a():
    op = LinearOperator(torch.zeros(3, 2, dtype=torch.float64))
    assert op.rank == 0
    with pytest.raises(ValueError, match="no non-zero singular value"):
        _ = op.sigma_A
    assert op.describe()["sigma_A"] is None


BAD_CALLS = {
    "m zero": lambda: gaussian(0, 3, _gen(0)),
    "n float": lambda: gaussian(3, 2.0, _gen(0)),
    "n bool": lambda: gaussian(3, True, _gen(0)),
    "no generator": lambda: gaussian(3, 3, None),
    "numpy generator": lambda: gaussian(3, 3, np.random.default_rng(0)),
    "negative scale": lambda: gaussian(3, 3, _gen(0), scale=-1.0),
    "wrong sv count": lambda: with_singular_values(3, 4, [1.0, 2.0], _gen(0)),
    "zero sv": lambda: with_singular_values(2, 2, [1.0, 0.0], _gen(0)),
    "nan sv": lambda: with_singular_values(2, 2, [1.0, float("nan")], _gen(0)),
    "kappa below one": lambda: with_condition_number(3, 3, 0.5, _gen(0)),
    "kappa infinite": lambda: with_condition_number(3, 3, math.inf, _gen(0)),
    "kappa on rank one": lambda: with_condition_number(1, 5, 2.0, _gen(0)),
    "norm zero": lambda: with_condition_number(3, 3, 2.0, _gen(0), norm=0.0),
    "keep zero": lambda: inpainting(10, 0.0, _gen(0)),
    "keep above one": lambda: inpainting(10, 1.5, _gen(0)),
    "keep without generator": lambda: inpainting(10, 0.5),
    "keep and mask": lambda: inpainting(3, 0.5, _gen(0), mask=[True, False, True]),
    "neither keep nor mask": lambda: inpainting(3),
    "mask wrong length": lambda: inpainting(3, mask=[True, False]),
    "mask not boolean": lambda: inpainting(3, mask=[1, 0, 1]),
    "mask empty": lambda: inpainting(3, mask=[False, False, False]),
    "blur sigma zero": lambda: blur_1d(8, 0.0),
    "blur boundary": lambda: blur_1d(8, 1.0, boundary="reflect"),
    "blur_2d sigma triple": lambda: blur_2d(4, 4, (1.0, 1.0, 1.0)),
    "blur_2d h zero": lambda: blur_2d(0, 4, 1.0),
    "matrix 1-D": lambda: LinearOperator(torch.ones(3, dtype=torch.float64)),
    "matrix integer": lambda: LinearOperator(torch.ones(2, 2, dtype=torch.int64)),
    "matrix inf": lambda: LinearOperator(torch.tensor([[1.0, math.inf]])),
    "A wrong shape": lambda: gaussian(3, 2, _gen(0)).A(torch.ones(3, dtype=torch.float64)),
    "adjoint wrong shape": lambda: gaussian(3, 2, _gen(0)).A_adjoint(torch.ones(2, dtype=torch.float64)),
    "project wrong shape": lambda: gaussian(3, 2, _gen(0)).project_onto_range(torch.ones(2)),
    "bad dtype": lambda: gaussian(3, 2, _gen(0), dtype="float16"),
    "bad device": lambda: gaussian(3, 2, _gen(0), device="tpu"),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_inputs_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_resolve_device_and_dtype():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_dtype("float32") is torch.float32 and resolve_dtype() is torch.float64
    assert resolve_dtype(torch.float64) is DEFAULT_DTYPE is torch.float64
    for bad in ("gpu", "cuda:0", "", None):
        with pytest.raises(ValueError, match="unknown device"):
            resolve_device(bad)
    for bad in ("float16", "double", torch.int32):
        with pytest.raises(ValueError, match="dtype"):
            resolve_dtype(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_request_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        gaussian(3, 3, _gen(0)).to("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_operator_on_cuda_matches_cpu():
    op = with_condition_number(8, 5, 4.0, _gen(1))
    gpu = op.to("cuda")
    assert gpu.matrix.device.type == "cuda"
    assert gpu.sigma_A == pytest.approx(op.sigma_A, rel=1e-10)
    x = torch.ones(5, dtype=torch.float64, device="cuda")
    torch.testing.assert_close(gpu.A(x).cpu(), op.A(x.cpu()), rtol=1e-12, atol=1e-12)


class _Scaled:
    """x ↦ c·x on vectors (batch, 5): a matrix-free operator with ‖A‖ = σ_A = c."""

    def __init__(self, c: float):
        self.c = c

    def A(self, x):
        return self.c * x

    def A_adjoint(self, y):
        return self.c * y


def test_large_matrix_free_operator_uses_power_iteration_and_never_forms_its_matrix(monkeypatch):
    import ipverify.numerics.operators as operators

    monkeypatch.setattr(operators, "DENSE_LIMIT", 10)  # 5 × 5 = 25 entries: "too large" to form
    op = LinearOperator.wrap(_Scaled(3.0), input_shape=(5,))
    assert op.matrix_free and not op.norm_is_exact
    assert op.norm == pytest.approx(3.0, rel=1e-10) and op.norm <= 3.0 * (1 + 1e-15)  # an estimate from below
    with pytest.raises(ValueError, match="too large to form densely"):
        _ = op.sigma_A
    monkeypatch.setattr(operators, "DENSE_LIMIT", 2**22)
    small = LinearOperator.wrap(_Scaled(3.0), input_shape=5)
    assert small.norm_is_exact and small.sigma_A == pytest.approx(3.0, rel=1e-14) and small.rank == 5


def test_wrap_checks_shapes_and_passes_operators_and_tensors_through():
    op = gaussian(4, 3, _gen(0))
    assert LinearOperator.wrap(op) is op
    assert torch.equal(LinearOperator.wrap(op.matrix).matrix, op.matrix)
    with pytest.raises(ValueError, match="output_shape"):
        LinearOperator.wrap(_Scaled(1.0), input_shape=(5,), output_shape=(4,))
    with pytest.raises(ValueError, match="input_shape"):
        LinearOperator.wrap(_Scaled(1.0), input_shape=(0,))
