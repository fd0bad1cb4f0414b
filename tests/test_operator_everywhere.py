"""One operator type everywhere: a dense tensor, a dense `LinearOperator` and a matrix-free wrapped object (acting
on images with a batch dimension, as deepinv's physics objects do) give the same planted instance and the same
trajectories (to rounding) for GD, DIN, IGAHD-SC and a forward–backward fixed point; a wrong adjoint is refused."""

from __future__ import annotations

import pytest
import torch

from ipverify.numerics.fixed_point import ForwardBackward, L1Prior, fixed_point
from ipverify.numerics.gradient_modes import half_squared_error, hypergradient
from ipverify.numerics.inertial import din
from ipverify.numerics.inertial_discrete import igahd_sc
from ipverify.numerics.instances import InstanceSpec, build_instance
from ipverify.numerics.operators import LinearOperator
from ipverify.numerics.spectral import spectral_norm
from ipverify.numerics.trainers import gradient_descent, gradient_flow

F64 = torch.float64
H, W = 3, 4  # images (batch, 1, H, W): n = 12, two output channels: m = 24


class ShiftOperator:
    """A(x) = (x + ½·shift_w(x), x − ¼·shift_h(x)) on images (batch, 1, H, W), circular shifts by one pixel."""

    def A(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x + 0.5 * x.roll(1, dims=-1), x - 0.25 * x.roll(1, dims=-2)], dim=1)

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        y0, y1 = y[:, :1], y[:, 1:]
        return y0 + 0.5 * y0.roll(-1, dims=-1) + y1 - 0.25 * y1.roll(-1, dims=-2)


class WrongAdjoint(ShiftOperator):
    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:  # shifts the wrong way: the transpose of nothing
        y0, y1 = y[:, :1], y[:, 1:]
        return y0 + 0.5 * y0.roll(1, dims=-1) + y1 - 0.25 * y1.roll(1, dims=-2)


def shift_matrix() -> torch.Tensor:
    """The matrix of `ShiftOperator`, written entry by entry (independent of torch.roll)."""
    n = H * W
    top, bottom = torch.eye(n, dtype=F64), torch.eye(n, dtype=F64)
    for i in range(H):
        for j in range(W):
            top[i * W + j, i * W + (j - 1) % W] += 0.5
            bottom[i * W + j, ((i - 1) % H) * W + j] -= 0.25
    return torch.cat([top, bottom])


def forms():
    matrix = shift_matrix()
    return {"tensor": matrix, "dense operator": LinearOperator(matrix),
            "wrapped object": LinearOperator.wrap(ShiftOperator(), input_shape=(1, H, W))}


SPEC = InstanceSpec(n=H * W, m=2 * H * W, d=4, k=24, b=2, seed=3)


@pytest.fixture(scope="module")
def instances():
    return {name: build_instance(SPEC, operator=A) for name, A in forms().items()}


def close(a, b, rtol=1e-9):
    torch.testing.assert_close(a, b, rtol=rtol, atol=1e-12, equal_nan=True)


def test_wrapped_object_is_matrix_free_and_its_matrix_is_the_written_one():
    op = forms()["wrapped object"]
    assert op.matrix_free and (op.m, op.n) == (2 * H * W, H * W) and op.output_shape == (2, H, W)
    x = torch.randn(5, H * W, generator=torch.Generator().manual_seed(0), dtype=F64)
    close(op.A(x), x @ shift_matrix().T, rtol=1e-14)
    close(op.matrix, shift_matrix(), rtol=1e-14)
    assert op.norm == pytest.approx(float(torch.linalg.matrix_norm(shift_matrix(), ord=2)), rel=1e-13)
    assert float(spectral_norm(op)) == op.norm


def test_a_wrong_adjoint_is_refused():
    with pytest.raises(ValueError, match="not the adjoint of A"):
        LinearOperator.wrap(WrongAdjoint(), input_shape=(1, H, W))
    with pytest.raises(ValueError, match="input_shape"):
        LinearOperator.wrap(ShiftOperator())
    with pytest.raises(ValueError, match="A_adjoint"):
        LinearOperator.wrap(object(), input_shape=(4,))


def test_the_planted_instance_is_the_same(instances):
    ref = instances["tensor"]
    for inst in instances.values():
        close(inst.y, ref.y)
        assert inst.sigma_A == pytest.approx(ref.sigma_A, rel=1e-12)
        close(inst.R_prime, ref.R_prime)
        close(inst.smoothness(inst.R), ref.smoothness(ref.R))


@pytest.mark.parametrize("run", ["gd", "gf", "igahd", "din"])
def test_same_trajectories(instances, run):
    def go(inst, A):
        net = inst.net
        args = (A, inst.y, net.params0, net.u, net.act)
        if run == "gd":
            return gradient_descent(*args, 0.5 / float(inst.smoothness(inst.R).max()), 30, record_x=True)
        if run == "gf":
            return gradient_flow(*args, 0.5, n_records=10, n_sigma_records=3)
        if run == "igahd":
            return igahd_sc(*args, 0.01, 0.05, 0.1, 20, record_sigma_every=5)
        return din(*args, 1.0, 0.5, 0.5, n_records=10)

    trajectories = {name: go(instances[name], A) for name, A in forms().items()}
    ref = trajectories["tensor"]
    for traj in trajectories.values():
        for field in ("times", "loss", "residual", "dist0", "grad_norm_sq", "step_lengths", "path_length"):
            close(getattr(traj, field), getattr(ref, field))
        close(traj.params.V, ref.params.V)
        if ref.sigma_min is not None:
            close(traj.sigma_min, ref.sigma_min)


def test_same_forward_backward_fixed_point_and_hypergradient(instances):
    y = instances["tensor"].y[:1]
    tau = 1.0 / LinearOperator(shift_matrix()).norm ** 2
    results = {}
    for name, A in forms().items():
        op = ForwardBackward(A, y, L1Prior(), tau=tau, lam=0.05)
        fp = fixed_point(op, op.theta0, op.x_init(), tol=1e-12)
        hg = hypergradient("jfb", op, op.theta0, half_squared_error(instances["tensor"].x_bar[:1]), op.x_init())
        results[name] = (op.spectrum(), fp, hg)
    (mu, L), fp, hg = results["tensor"]
    assert fp.converged
    for (mu_, L_), fp_, hg_ in results.values():
        assert (mu_, L_) == pytest.approx((mu, L), rel=1e-12, abs=1e-14)
        assert fp_.converged and abs(fp_.iterations - fp.iterations) <= 2
        close(fp_.x, fp.x, rtol=1e-8)
        n = min(20, fp.residuals.numel())
        close(fp_.residuals[:n], fp.residuals[:n], rtol=1e-7)
        close(hg_.grad, hg.grad, rtol=1e-8)


class FlatOperator:
    """A user's class on flat vectors (batch, n), passed to a trainer without wrapping."""

    def __init__(self, matrix: torch.Tensor, adjoint: torch.Tensor | None = None):
        self.matrix, self.adjoint = matrix, matrix if adjoint is None else adjoint

    def A(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.matrix.T

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return y @ self.adjoint


def test_a_trainer_wraps_an_object_itself_and_checks_its_adjoint(instances):
    inst, matrix = instances["tensor"], shift_matrix()
    args = (inst.y, inst.net.params0, inst.net.u, inst.net.act, 0.05, 15)
    ref = gradient_descent(matrix, *args)
    close(gradient_descent(FlatOperator(matrix), *args).loss, ref.loss)
    wrong = matrix.clone()
    wrong[0, 1] += 0.1
    with pytest.raises(ValueError, match="not the adjoint of A"):
        gradient_descent(FlatOperator(matrix, adjoint=wrong), *args)


def test_a_matrix_free_operator_changes_dtype_and_describes_itself():
    op = forms()["wrapped object"]
    single = op.to(dtype="float32")
    assert single.matrix_free and single.dtype == torch.float32
    x = torch.ones(2, H * W, dtype=torch.float32)
    assert single.A(x).dtype == torch.float32
    close(single.A(x).double(), op.A(x.double()), rtol=1e-6)
    info = op.describe()
    assert info["matrix_free"] is True and (info["m"], info["n"]) == (2 * H * W, H * W)
    assert info["norm"] == pytest.approx(op.norm) and info["is_injective"] is True


def test_an_object_that_refuses_the_dtype_gets_a_one_line_error_naming_it():
    """An object working in float32 (deepinv's default) fed the float64 test batch: a ValueError that says to pass
    its dtype, and wrapping with that dtype then passes the adjoint test."""
    matrix = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))

    class Float32Only:
        def A(self, x):
            return x @ matrix.T

        def A_adjoint(self, y):
            return y @ matrix

    with pytest.raises(ValueError, match="pass the dtype") as error:
        LinearOperator.wrap(Float32Only(), 4)
    assert "\n" not in str(error.value)
    op = LinearOperator.wrap(Float32Only(), 4, dtype=torch.float32)
    assert (op.m, op.n) == (3, 4) and op.matrix_free


def test_an_object_computing_in_a_coarser_type_is_judged_at_its_own_precision():
    """A float64 operator over an object that computes in bfloat16 (as a float32 deepinv physics computes in
    float32): its adjoint test is judged at the object's precision (`working_dtype`), so a correct adjoint passes,
    in the wrap and through `.to`; a wrong adjoint is still refused, and at float64's precision the right one is."""
    matrix = torch.randn(6, 9, generator=torch.Generator().manual_seed(1)).bfloat16()

    class Coarse:
        def __init__(self, adjoint):
            self.adjoint = adjoint

        def A(self, x):
            return (x.bfloat16() @ matrix.T).double()

        def A_adjoint(self, y):
            return (y.bfloat16() @ self.adjoint).double()

    with pytest.raises(ValueError, match="not the adjoint"):  # judged at float64's precision
        LinearOperator.wrap(Coarse(matrix), 9)
    op = LinearOperator.wrap(Coarse(matrix), 9, working_dtype=torch.bfloat16)
    assert op.to(dtype=torch.float32).to(dtype=torch.float64).n == 9
    with pytest.raises(ValueError, match="not the adjoint"):
        LinearOperator.wrap(Coarse(-matrix), 9, working_dtype=torch.bfloat16)
