"""deepinv problems as ipverify operators and generators: a ``LinearPhysics`` becomes A: ℝⁿ → ℝᵐ, a DIP generator
becomes g(θ) = model(z), with σ_min(J_g(θ)) matrix-free.

deepinv acts on images of shape (B, C, H, W) and on measurements of its own shape; the results of 01–03 see
A: ℝⁿ → ℝᵐ on flat vectors. `PhysicsOperator` is that flat view: x ∈ ℝⁿ (n = C·H·W, row-major) is reshaped to an
image, passed to ``physics.A`` in the physics' own dtype and device, and the measurement is flattened back to ℝᵐ in
float64 (``A_adjoint`` likewise). Any batch shape (..., n) is accepted. Nothing here imports deepinv: the adapter
only calls ``physics.A`` and ``physics.A_adjoint``, so a user's own class of that shape works too.

On construction the physics is tested, on random x, x′ and y from a local generator:

- linearity, ‖A(ax + bx′) − aAx − bAx′‖ / (|a|‖Ax‖ + |b|‖Ax′‖);
- the adjoint, |⟨Ax, y⟩ − ⟨x, A*y⟩| / (‖Ax‖‖y‖ + ‖x‖‖A*y‖);

each must be at most ``ADJOINT_RTOL``·eps·√max(m, n) (eps of the physics dtype), else ValueError: the theorems
need a linear A, and ``A_adjoint`` is what the matrix-free ‖A‖ (power iteration on A*A) uses.

‖A‖, σ_A, rank and κ(A) are those of ipverify's `LinearOperator` of this flat view (`_ipverify_operator`, the single
call that builds it): exact SVD of the matrix formed from the products A e_j while m·n is small enough, else the
matrix-free wrap with ‖A‖ by power iteration. `norm_estimate` is ‖A‖ by the shared matrix-free power iteration
(`numerics.spectral.power_iteration_norm`, an estimate from below), a cross-check of the SVD.

DIP generators: ``g(θ) = model(z)`` in the model's current mode. A model in training mode with BatchNorm normalises
by batch statistics and updates its running statistics in place, which ``torch.func`` transforms refuse; the
generator is therefore a copy of the model whose BatchNorm layers use batch statistics without tracking them
(``torch.func.replace_all_batch_norm_modules_``): the same outputs, no side effect.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from functools import cached_property

import torch

from ipverify.numerics._device import DEFAULT_DTYPE, resolve_dtype
from ipverify.numerics.jacobian import SigmaMin, module_generator, sigma_min
from ipverify.numerics.operators import LinearOperator
from ipverify.numerics.spectral import power_iteration_norm

ADJOINT_RTOL = 100.0
"""Linearity and adjoint tests pass below ADJOINT_RTOL·eps·√max(m, n) (relative, eps of the physics dtype)."""


class PhysicsOperator:
    """A deepinv-style linear physics seen as A: ℝⁿ → ℝᵐ on flat float vectors (see the module docstring)."""

    def __init__(self, physics, image_shape: Sequence[int], dtype: str | torch.dtype = DEFAULT_DTYPE,
                 seed: int = 0):
        if not (callable(getattr(physics, "A", None)) and callable(getattr(physics, "A_adjoint", None))):
            raise ValueError("physics must have methods A(x) and A_adjoint(y) (a deepinv LinearPhysics)")
        shape = tuple(image_shape) if isinstance(image_shape, (tuple, list, torch.Size)) else None
        if not shape or any(isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in shape):
            raise ValueError(f"image_shape must be a tuple of positive integers (C, H, W), got {image_shape!r}")
        self.physics = physics
        self.image_shape = shape
        self.n = math.prod(shape)
        self.dtype = resolve_dtype(dtype)
        self.physics_dtype, self.device = _tensor_kind(physics)
        probe = physics.A(torch.zeros((1, *shape), dtype=self.physics_dtype, device=self.device))
        if not isinstance(probe, torch.Tensor) or probe.ndim == 0 or probe.shape[0] != 1:
            raise ValueError(f"physics.A of a (1, {', '.join(map(str, shape))}) image must return a tensor with "
                             f"batch size 1, got {getattr(probe, 'shape', type(probe).__name__)}")
        if probe.is_complex():
            raise ValueError("physics.A returns complex measurements: the results are stated for a real A")
        self.measurement_shape = tuple(probe.shape[1:])
        self.m = math.prod(self.measurement_shape)
        kind = type(physics)
        self.name = ("deepinv " if kind.__module__.startswith("deepinv") else "") + kind.__name__
        self.params = {"image_shape": list(shape), "measurement_shape": list(self.measurement_shape)}
        self.tests = self._linearity_and_adjoint(torch.Generator().manual_seed(int(seed)))
        for label, error in self.tests.items():
            if not error <= self.tolerance:
                raise ValueError(f"{label} test fails for {self.name}: relative error {error:.3g} > "
                                 f"{self.tolerance:.3g}" + (" (A_adjoint is not the adjoint of A)"
                                                            if label == "adjoint" else " (A is not linear)"))

    # ------------------------------------------------------------------------------------------ flat ↔ image

    def image(self, x: torch.Tensor) -> torch.Tensor:
        """x of shape (..., n) as images (B, C, H, W), B = the product of the batch dims, in the physics dtype."""
        _check_last_dim(x, self.n, "image")
        return x.reshape(-1, *self.image_shape).to(dtype=self.physics_dtype, device=self.device)

    def vector(self, x: torch.Tensor) -> torch.Tensor:
        """An image (B, C, H, W) (or (C, H, W)) as flat vectors (B, n) in ``dtype``."""
        return _flatten(x, self.image_shape, self.dtype, "image")

    def measurement_vector(self, y: torch.Tensor) -> torch.Tensor:
        """A deepinv measurement (B, *measurement_shape) as flat vectors (B, m) in ``dtype``."""
        return _flatten(y, self.measurement_shape, self.dtype, "measurement")

    # ------------------------------------------------------------------------------------------ the operator

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """A x for x of shape (..., n); returns (..., m) in ``dtype`` on x's device."""
        out = self.physics.A(self.image(x))
        return self._reshaped(out, self.measurement_shape, x, self.m, "A")

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """A* y for y of shape (..., m); returns (..., n) in ``dtype`` on y's device."""
        _check_last_dim(y, self.m, "A_adjoint")
        batch = y.reshape(-1, *self.measurement_shape).to(dtype=self.physics_dtype, device=self.device)
        image = self.physics.A_adjoint(batch)
        return self._reshaped(image, self.image_shape, y, self.n, "A_adjoint")

    __call__ = A

    def _reshaped(self, out, shape, given: torch.Tensor, size: int, where: str) -> torch.Tensor:
        batch = math.prod(given.shape[:-1])
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != (batch, *shape):
            raise ValueError(f"physics.{where} returned shape {tuple(getattr(out, 'shape', ()))}, expected "
                             f"{(batch, *shape)}")
        return out.reshape(*given.shape[:-1], size).to(dtype=self.dtype, device=given.device)

    @property
    def tolerance(self) -> float:
        return ADJOINT_RTOL * torch.finfo(self.physics_dtype).eps * math.sqrt(max(self.m, self.n))

    def _linearity_and_adjoint(self, generator: torch.Generator) -> dict[str, float]:
        x, x2 = torch.randn(2, self.n, generator=generator, dtype=torch.float64)
        y = torch.randn(self.m, generator=generator, dtype=torch.float64)
        a, b = 0.7, -1.3
        ax, ax2, aty = self.A(x), self.A(x2), self.A_adjoint(y)
        combined = self.A(a * x + b * x2)
        scale = abs(a) * float(ax.norm()) + abs(b) * float(ax2.norm())
        linearity = float((combined - a * ax - b * ax2).norm()) / scale if scale > 0 else 0.0
        denominator = float(ax.norm() * y.norm() + x.norm() * aty.norm())
        adjoint = abs(float(ax @ y - x @ aty)) / denominator if denominator > 0 else 0.0
        return {"linearity": linearity, "adjoint": adjoint}

    # ------------------------------------------------------------------------------------------ spectrum

    @cached_property
    def linear_operator(self) -> LinearOperator:
        """ipverify's matrix-free `LinearOperator` of this flat view (spectral data: ‖A‖, σ_A, rank, Im(A))."""
        return _ipverify_operator(self)

    @cached_property
    def norm_estimate(self) -> float:
        """‖A‖ by power iteration on A*A through A and A_adjoint only (an estimate from below)."""
        return power_iteration_norm(self.A, self.A_adjoint, self.n, self.dtype, torch.device("cpu"))

    @property
    def norm(self) -> float:
        """‖A‖ = σ_max(A)."""
        return self.linear_operator.norm

    @property
    def sigma_A(self) -> float:
        """σ_A, the smallest non-zero singular value."""
        return self.linear_operator.sigma_A

    @property
    def rank(self) -> int:
        return self.linear_operator.rank

    @property
    def condition_number(self) -> float:
        return self.linear_operator.condition_number

    def describe(self) -> dict:
        """JSON-able summary: the spectral data, shapes, test errors and how ‖A‖ and σ_A were computed."""
        return {**self.linear_operator.describe(), "name": self.name, "params": dict(self.params),
                "norm_exact": self.linear_operator.norm_is_exact, "norm_power_iteration": self.norm_estimate,
                "tests": dict(self.tests), "tolerance": self.tolerance,
                "physics_dtype": str(self.physics_dtype).removeprefix("torch.")}

    def __repr__(self) -> str:
        return f"PhysicsOperator({self.name}, image_shape={self.image_shape}, m={self.m})"


def operator_from_physics(physics, image_shape: Sequence[int], dtype: str | torch.dtype = DEFAULT_DTYPE,
                          seed: int = 0) -> PhysicsOperator:
    """The flat operator A: ℝⁿ → ℝᵐ of a deepinv ``LinearPhysics`` on images ``image_shape`` = (C, H, W), usable as
    A by `ipverify.certify`, `verify.monitor.Monitor` and every routine taking ``A(x)``/``A_adjoint(y)``; the
    linearity and adjoint tests (seeded by ``seed``) must pass."""
    return PhysicsOperator(physics, image_shape, dtype, seed)


def _ipverify_operator(op: PhysicsOperator) -> LinearOperator:
    """ipverify's matrix-free `LinearOperator` of the flat view; it forms the dense matrix (from the n products
    A e_j) only when σ_A, the rank or Im(A) are asked for, and only up to `operators.DENSE_LIMIT` entries."""
    wrapped = LinearOperator.wrap(op, (op.n,), (op.m,), name=op.name, dtype=op.dtype, working_dtype=op.physics_dtype)
    wrapped.params = dict(op.params)
    return wrapped


# ---------------------------------------------------------------------------------------------- generators


def generator_function(model: torch.nn.Module, z: torch.Tensor) -> tuple[Callable, dict]:
    """(g, θ): g(θ) = model(z) with parameters θ (a dict named as ``model.named_parameters()``, detached copies of the
    current values), free of side effects (BatchNorm, see the module docstring)."""
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(z, torch.Tensor):
        raise ValueError(f"z must be a torch.Tensor (the DIP's fixed input), got {type(z).__name__}")
    clone = copy.deepcopy(model)
    if clone.training:  # in eval mode BatchNorm reads its running statistics, which must then stay
        torch.func.replace_all_batch_norm_modules_(clone)
    return module_generator(clone, z)


def generator_jacobian_sigma_min(model: torch.nn.Module, z: torch.Tensor, params: dict | None = None,
                                 method: str = "lanczos") -> SigmaMin:
    """σ_min(J_g(θ)) of g(θ) = model(z) at θ = ``params`` (default: the model's current parameters), matrix-free
    (`numerics.jacobian.sigma_min`; Lanczos and LOBPCG are estimates from above, ``method="dense"`` is exact)."""
    g, theta = generator_function(model, z)
    if params is not None:
        theta = {name: torch.as_tensor(value).detach() for name, value in params.items()}
    return sigma_min(g, theta, method=method)


# ---------------------------------------------------------------------------------------------- helpers


def _tensor_kind(physics) -> tuple[torch.dtype, torch.device]:
    """(dtype, device) of the physics' first floating tensor (a torch module's parameters/buffers), else
    (float64, cpu)."""
    tensors = []
    if isinstance(physics, torch.nn.Module):
        tensors = [t for t in (*physics.buffers(), *physics.parameters()) if t.is_floating_point() or t.is_complex()]
    if not tensors:
        return torch.float64, torch.device("cpu")
    first = tensors[0]
    if first.is_complex():
        raise ValueError(f"physics holds complex tensors ({first.dtype}): the results are stated for a real A")
    return first.dtype, first.device


def _check_last_dim(x: torch.Tensor, size: int, where: str) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim == 0 or x.shape[-1] != size:
        raise ValueError(f"{where}: expected a tensor of shape (..., {size}), got {tuple(getattr(x, 'shape', ()))}")


def _flatten(t: torch.Tensor, shape: tuple, dtype: torch.dtype, what: str) -> torch.Tensor:
    if not isinstance(t, torch.Tensor) or tuple(t.shape[-len(shape):]) != shape or t.ndim not in (len(shape),
                                                                                                 len(shape) + 1):
        raise ValueError(f"expected a {what} of shape (B, {', '.join(map(str, shape))}), got "
                         f"{tuple(getattr(t, 'shape', ()))}")
    return t.detach().reshape(-1, math.prod(shape)).to(dtype)
