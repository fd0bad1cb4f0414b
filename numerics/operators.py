"""Linear forward operators A ∈ ℝ^{m×n} of y = A x̄ + ε with a controlled spectrum (notation of README).

The theorems of 01–03 see A only through ‖A‖, σ_A (smallest NON-ZERO singular value, so that
‖Aᵀw‖ ≥ σ_A‖w‖ on Im(A)), κ(A) = ‖A‖/σ_A, and Im(A) (y ∈ Im(A) WLOG; noise is projected onto Im(A)).
`LinearOperator` exposes exactly these, computed once from an SVD.

Two kinds of operator, one type. A DENSE operator holds its matrix (``LinearOperator(matrix)`` and the
constructors below). A MATRIX-FREE one (``LinearOperator.wrap(obj, input_shape=...)``) wraps any object with
methods ``A(x)`` and ``A_adjoint(y)`` acting on batches of shape (batch, *input_shape) / (batch, *output_shape)
(a user's class, a deepinv physics object); x ↦ Ax and y ↦ Aᵀy then call the object, on flattened vectors of
size n = ∏ input_shape and m = ∏ output_shape. Its adjoint is checked at wrap time by a seeded dot-product
test. The dense matrix of a matrix-free operator is formed only where an algorithm needs the full spectrum
(the SVD behind σ_A, rank and the Im(A) projector; ‖A‖ of a small operator): lazily, from the n products
A e_j, once, and only up to `DENSE_LIMIT` entries. Beyond it ‖A‖ is a power iteration (an estimate from below).

A singular value counts as zero when it is at most max(m, n)·eps·‖A‖ (eps of the matrix dtype), the
numerical-rank rule of LAPACK/numpy ``matrix_rank``.

Constructors draw every random number from an explicit ``torch.Generator``, never from the global RNG;
the matrix is drawn in float64 on the generator's device, then moved to ``device``/``dtype``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import torch

from ipverify.numerics._device import DEFAULT_DTYPE, resolve_device, resolve_dtype
from ipverify.numerics.spectral import gaussian_draw, haar_orthogonal, power_iteration_norm

_BOUNDARIES = ("circular", "zero")

DENSE_LIMIT = 2**22
"""The most entries m·n of the dense matrix a matrix-free operator may form (32 MiB in float64)."""

ADJOINT_SEED = 0
"""Seed of the dot-product test ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ made when an object is wrapped."""


class LinearOperator:
    """A linear operator x ↦ A x, dense or matrix-free, with its spectral data (‖A‖, σ_A, rank, Im(A) projector)."""

    def __init__(self, matrix: torch.Tensor, name: str = "matrix", params: dict[str, Any] | None = None):
        if not isinstance(matrix, torch.Tensor) or matrix.ndim != 2 or 0 in matrix.shape:
            raise ValueError("matrix must be a non-empty 2-D torch.Tensor of shape (m, n)")
        if not matrix.is_floating_point():
            raise ValueError(f"matrix must have a floating dtype, got {matrix.dtype}")
        if not bool(torch.isfinite(matrix).all()):
            raise ValueError("matrix has non-finite entries")
        self._matrix = matrix
        self._source = None
        self.name = name
        self.params = dict(params or {})
        self.input_shape, self.output_shape = (matrix.shape[1],), (matrix.shape[0],)
        self.dtype, self.device = matrix.dtype, matrix.device

    @classmethod
    def wrap(cls, obj: Any, input_shape: Sequence[int] | int | None = None,
             output_shape: Sequence[int] | int | None = None, *, name: str | None = None,
             dtype: str | torch.dtype = DEFAULT_DTYPE, device: str | torch.device = "cpu",
             working_dtype: torch.dtype | None = None) -> LinearOperator:
        """``obj`` as a `LinearOperator`: itself if it is one, a dense operator for a 2-D tensor, else matrix-free.

        A matrix-free ``obj`` has ``A(x)`` and ``A_adjoint(y)`` on batches (batch, *input_shape) ↦
        (batch, *output_shape); ``output_shape`` defaults to the shape of A(x). Wrapping runs a seeded
        dot-product test (`ADJOINT_SEED`) and raises ValueError when
        |⟨Ax, y⟩ − ⟨x, Aᵀy⟩| > √eps·(‖Ax‖‖y‖ + ‖x‖‖Aᵀy‖) (a wrong adjoint), eps of ``working_dtype``: the
        precision ``obj`` computes in when it casts ``dtype`` inputs to a coarser type (default: ``dtype``).
        """
        if isinstance(obj, LinearOperator):
            return obj
        if isinstance(obj, torch.Tensor):
            return cls(obj, name or "matrix")
        if not (callable(getattr(obj, "A", None)) and callable(getattr(obj, "A_adjoint", None))):
            raise ValueError(f"cannot wrap {type(obj).__name__}: an operator needs methods A(x) and A_adjoint(y)")
        if input_shape is None:
            raise ValueError(f"wrapping {type(obj).__name__} needs its input_shape (the shape of one x, no batch)")
        op = cls.__new__(cls)
        op._matrix, op._source = None, obj
        op.name, op.params = name or type(obj).__name__, {}
        op.dtype, op.device = resolve_dtype(dtype), resolve_device(device)
        op._working_dtype = working_dtype or op.dtype
        op.input_shape = _check_shape(input_shape, "input_shape")
        x, _ = _adjoint_test_vectors(op.input_shape, None, op.dtype, op.device)
        try:
            ax = obj.A(x)
        except (RuntimeError, TypeError) as error:  # typically a dtype or device the object does not take
            raise ValueError(f"{op.name}.A failed on a {op.dtype} batch on {op.device} of shape "
                             f"{(1, *op.input_shape)} ({type(error).__name__}: {str(error).splitlines()[0]}); pass the "
                             "dtype and device the object works in") from None
        if not isinstance(ax, torch.Tensor) or ax.shape[:1] != (1,):
            raise ValueError(f"{op.name}.A must map a batch (1, *input_shape) to a tensor (1, *output_shape)")
        op.output_shape = tuple(ax.shape[1:]) if output_shape is None else _check_shape(output_shape, "output_shape")
        if tuple(ax.shape[1:]) != op.output_shape:
            raise ValueError(f"{op.name}.A gives shape {tuple(ax.shape[1:])}, expected output_shape {op.output_shape}")
        op._check_adjoint(ax, x)
        return op

    def _check_adjoint(self, ax: torch.Tensor, x: torch.Tensor) -> None:
        """The dot-product test ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ for seeded Gaussian x, y (one-line ValueError when it fails)."""
        _, y = _adjoint_test_vectors(self.input_shape, self.output_shape, self.dtype, self.device)
        aty = self._source.A_adjoint(y)
        if not isinstance(aty, torch.Tensor) or tuple(aty.shape) != (1, *self.input_shape):
            shape = tuple(aty.shape) if isinstance(aty, torch.Tensor) else type(aty).__name__
            raise ValueError(f"{self.name}.A_adjoint gives {shape}, expected shape {(1, *self.input_shape)}")
        lhs, rhs = float((ax * y).sum()), float((x * aty).sum())
        scale = float(ax.norm() * y.norm() + x.norm() * aty.norm())
        tol = math.sqrt(torch.finfo(self._working_dtype).eps) * scale
        if not (math.isfinite(lhs) and math.isfinite(rhs)) or abs(lhs - rhs) > tol:
            raise ValueError(f"{self.name}: A_adjoint is not the adjoint of A: <Ax, y> = {lhs:.6g} but "
                             f"<x, A_adjoint(y)> = {rhs:.6g} (seeded dot-product test)")

    @property
    def matrix_free(self) -> bool:
        """Whether x ↦ Ax calls a wrapped object rather than a stored matrix."""
        return self._source is not None

    @property
    def matrix(self) -> torch.Tensor:
        """The dense (m, n) matrix; for a matrix-free operator formed on first use from the n products A e_j."""
        if self._matrix is None:
            if self.m * self.n > DENSE_LIMIT:
                raise ValueError(f"operator '{self.name}' is {self.m}x{self.n}: too large to form densely "
                                 f"(limit {DENSE_LIMIT} entries); its SVD-based data (sigma_A, rank) is unavailable")
            eye = torch.eye(self.n, dtype=self.dtype, device=self.device)
            self._matrix = self.A(eye).T.contiguous()
        return self._matrix

    @property
    def m(self) -> int:
        return math.prod(self.output_shape)

    @property
    def n(self) -> int:
        return math.prod(self.input_shape)

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """A x for x of shape (..., n); returns (..., m)."""
        _check_last_dim(x, self.n, "A")
        if self._source is None:
            return x @ self._matrix.T
        return self._source.A(x.reshape(-1, *self.input_shape)).reshape(*x.shape[:-1], self.m)

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Aᵀ y for y of shape (..., m); returns (..., n)."""
        _check_last_dim(y, self.m, "A_adjoint")
        if self._source is None:
            return y @ self._matrix
        return self._source.A_adjoint(y.reshape(-1, *self.output_shape)).reshape(*y.shape[:-1], self.n)

    __call__ = A

    @cached_property
    def _svd(self) -> tuple[torch.Tensor, torch.Tensor]:
        u, s, _ = torch.linalg.svd(self.matrix, full_matrices=False)
        return u, s

    @property
    def singular_values(self) -> torch.Tensor:
        """All min(m, n) singular values, in decreasing order (zeros included)."""
        return self._svd[1]

    @property
    def norm_is_exact(self) -> bool:
        """Whether `norm` comes from an SVD (False: a matrix-free power iteration, an estimate from below)."""
        return self._matrix is not None or self.m * self.n <= DENSE_LIMIT

    @cached_property
    def norm(self) -> float:
        """Spectral norm ‖A‖ = σ_max(A): from the SVD, or by power iteration beyond `DENSE_LIMIT` (matrix-free)."""
        if self.norm_is_exact:
            return float(self.singular_values[0])
        return power_iteration_norm(self.A, self.A_adjoint, self.n, self.dtype, self.device)

    @property
    def zero_tolerance(self) -> float:
        """Singular values ≤ max(m, n)·eps·‖A‖ are treated as zero."""
        return max(self.m, self.n) * torch.finfo(self.dtype).eps * self.norm

    @property
    def rank(self) -> int:
        """Numerical rank: number of singular values above `zero_tolerance`."""
        return int((self.singular_values > self.zero_tolerance).sum())

    @property
    def sigma_A(self) -> float:
        """σ_A, the smallest non-zero singular value (README notation); ValueError if A = 0."""
        if self.rank == 0:
            raise ValueError(f"operator '{self.name}' is zero: it has no non-zero singular value")
        return float(self.singular_values[self.rank - 1])

    @property
    def condition_number(self) -> float:
        """κ(A) = ‖A‖/σ_A (02)."""
        return self.norm / self.sigma_A

    @property
    def is_injective(self) -> bool:
        """Whether ker A = {0}, i.e. rank = n (then σ_A = σ_min(A) bounds μ in GF-6)."""
        return self.rank == self.n

    def project_onto_range(self, w: torch.Tensor) -> torch.Tensor:
        """Orthogonal projection of w (..., m) onto Im(A): U_r U_rᵀ w with U_r the left singular vectors."""
        _check_last_dim(w, self.m, "project_onto_range")
        basis = self._svd[0][:, : self.rank]
        return (w @ basis) @ basis.T

    def to(self, device: str | torch.device | None = None, dtype: str | torch.dtype | None = None):
        """A copy on ``device`` ("auto", "cpu", "cuda") with ``dtype`` ("float64", "float32").

        A matrix-free copy casts its inputs to the wrapped object's dtype/device and its outputs back.
        """
        target_device = self.device if device is None else resolve_device(device)
        target_dtype = self.dtype if dtype is None else resolve_dtype(dtype)
        if self._source is None:
            matrix = self._matrix.to(device=target_device, dtype=target_dtype)
            return LinearOperator(matrix, self.name, self.params)
        if (target_device, target_dtype) == (self.device, self.dtype):
            return self
        coarsest = max(self._working_dtype, target_dtype, key=lambda d: torch.finfo(d).eps)
        copy = LinearOperator.wrap(_Cast(self, target_dtype, target_device), self.input_shape, self.output_shape,
                                   name=self.name, dtype=target_dtype, device=target_device, working_dtype=coarsest)
        copy.params = dict(self.params)
        return copy

    def describe(self) -> dict[str, Any]:
        """JSON-able summary: name, shape, constructor parameters, ‖A‖, σ_A, κ(A), rank, injectivity."""
        nonzero = self.rank > 0
        return {
            "name": self.name,
            "m": self.m,
            "n": self.n,
            "params": dict(self.params),
            "norm": self.norm,
            "sigma_A": self.sigma_A if nonzero else None,
            "condition_number": self.condition_number if nonzero else None,
            "rank": self.rank,
            "is_injective": self.is_injective,
            "matrix_free": self.matrix_free,
            "dtype": str(self.dtype).removeprefix("torch."),
            "device": str(self.device),
        }

    def __repr__(self) -> str:
        return f"LinearOperator(name={self.name!r}, m={self.m}, n={self.n})"

    @classmethod
    def gaussian(cls, m: int, n: int, generator: torch.Generator, scale: float | None = None, *,
                 dtype: str | torch.dtype = DEFAULT_DTYPE, device: str | torch.device = "cpu"):
        """A with iid N(0, scale²) entries; default scale = 1/√n, i.e. N(0, 1/n) (01 §8.2)."""
        _check_dims(m=m, n=n)
        _check_generator(generator)
        if scale is None:
            scale = 1 / math.sqrt(n)
        _check_positive("scale", scale)
        matrix = scale * gaussian_draw((m, n), generator)
        return cls._build(matrix, "gaussian", {"scale": float(scale)}, dtype, device)

    @classmethod
    def with_singular_values(cls, m: int, n: int, singular_values: Sequence[float] | torch.Tensor,
                             generator: torch.Generator, *, dtype: str | torch.dtype = DEFAULT_DTYPE,
                             device: str | torch.device = "cpu"):
        """A = U diag(s) Vᵀ with Haar-random U ∈ O(m)[:, :r], V ∈ O(n)[:, :r], r = min(m, n), s prescribed."""
        _check_dims(m=m, n=n)
        _check_generator(generator)
        s = _check_singular_values(singular_values, min(m, n))
        left, right = haar_orthogonal(m, generator, s.numel()), haar_orthogonal(n, generator, s.numel())
        matrix = left @ torch.diag(s) @ right.T
        return cls._build(matrix, "with_singular_values", {}, dtype, device)

    @classmethod
    def with_condition_number(cls, m: int, n: int, kappa: float, generator: torch.Generator,
                              norm: float = 1.0, *, dtype: str | torch.dtype = DEFAULT_DTYPE,
                              device: str | torch.device = "cpu"):
        """Singular values geometrically spaced from ‖A‖ = norm down to σ_A = norm/κ (so κ(A) = κ)."""
        _check_dims(m=m, n=n)
        _check_positive("norm", norm)
        if not _is_real(kappa) or not math.isfinite(kappa) or kappa < 1:
            raise ValueError(f"kappa must be a finite number >= 1, got {kappa!r}")
        r = min(m, n)
        if r == 1 and kappa != 1:
            raise ValueError(f"a {m}x{n} operator has one singular value, so kappa must be 1, got {kappa}")
        s = norm * float(kappa) ** -torch.linspace(0.0, 1.0, r, dtype=torch.float64)
        op = cls.with_singular_values(m, n, s, generator, dtype=dtype, device=device)
        op.name, op.params = "with_condition_number", {"kappa": float(kappa), "norm": float(norm)}
        return op

    @classmethod
    def inpainting(cls, n: int, keep: float | None = None, generator: torch.Generator | None = None,
                   mask: Sequence[bool] | torch.Tensor | None = None, *,
                   dtype: str | torch.dtype = DEFAULT_DTYPE, device: str | torch.device = "cpu"):
        """Rows e_iᵀ of the identity for the kept pixels i (m = number kept); A Aᵀ = I_m, σ_A = ‖A‖ = 1.

        Either ``keep`` ∈ (0, 1] with a ``generator`` (round(keep·n) pixels, at least one, drawn uniformly
        without replacement) or an explicit boolean ``mask`` of length n.
        """
        _check_dims(n=n)
        if (keep is None) == (mask is None):
            raise ValueError("inpainting needs exactly one of keep (with a generator) or mask")
        if mask is None:
            mask = _random_mask(n, keep, generator)
        else:
            mask = _check_mask(mask, n)
        params = {"keep": float(mask.sum()) / n, "kept": int(mask.sum())}
        matrix = torch.eye(n, dtype=torch.float64)[mask]
        return cls._build(matrix, "inpainting", params, dtype, device)

    @classmethod
    def blur_1d(cls, n: int, sigma: float, boundary: str = "circular", truncate: float = 4.0, *,
                dtype: str | torch.dtype = DEFAULT_DTYPE, device: str | torch.device = "cpu"):
        """n×n convolution with the Gaussian kernel k_j ∝ exp(−j²/(2σ²)), |j| ≤ ⌈truncate·σ⌉, Σ k_j = 1.

        ``boundary="circular"``: periodic convolution (indices mod n), so every row sums to 1 and A is a
        symmetric circulant whose eigenvalues are the DFT of the kernel; high frequencies give singular
        values that may fall below the zero tolerance (then A is not injective). ``boundary="zero"``: zero
        padding, rows near the edges sum to less than 1.
        """
        matrix = _blur_matrix(n, sigma, boundary, truncate)
        return cls._build(matrix, "blur_1d", {"sigma": float(sigma), "boundary": boundary,
                                              "truncate": float(truncate)}, dtype, device)

    @classmethod
    def blur_2d(cls, h: int, w: int, sigma: float | tuple[float, float], boundary: str = "circular",
                truncate: float = 4.0, *, dtype: str | torch.dtype = DEFAULT_DTYPE,
                device: str | torch.device = "cpu"):
        """Separable Gaussian blur of h×w images flattened row-major: A = B_h ⊗ B_w (n = m = h·w).

        ``sigma`` is one width for both axes or a pair (σ_rows, σ_cols). The singular values are the
        products of those of the two 1-D blurs.
        """
        _check_dims(h=h, w=w)
        sigma_h, sigma_w = (sigma, sigma) if _is_real(sigma) else _pair(sigma)
        matrix = torch.kron(_blur_matrix(h, sigma_h, boundary, truncate),
                            _blur_matrix(w, sigma_w, boundary, truncate))
        params = {"h": h, "w": w, "sigma": [float(sigma_h), float(sigma_w)], "boundary": boundary,
                  "truncate": float(truncate)}
        return cls._build(matrix, "blur_2d", params, dtype, device)

    @classmethod
    def _build(cls, matrix: torch.Tensor, name: str, params: dict[str, Any],
               dtype: str | torch.dtype, device: str | torch.device):
        target = matrix.to(device=resolve_device(device), dtype=resolve_dtype(dtype))
        return cls(target, name, params)


gaussian = LinearOperator.gaussian
with_singular_values = LinearOperator.with_singular_values
with_condition_number = LinearOperator.with_condition_number
inpainting = LinearOperator.inpainting
blur_1d = LinearOperator.blur_1d
blur_2d = LinearOperator.blur_2d


def _check_last_dim(x: torch.Tensor, size: int, where: str) -> None:
    if x.ndim == 0 or x.shape[-1] != size:
        raise ValueError(f"{where}: expected a tensor of shape (..., {size}), got {tuple(x.shape)}")


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_dims(**dims: Any) -> None:
    for label, value in dims.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")


def _check_positive(label: str, value: Any) -> None:
    if not _is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{label} must be a finite positive number, got {value!r}")


def _check_generator(generator: Any) -> None:
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator (never the global RNG), got {generator!r}")


def _pair(sigma: Any) -> tuple[float, float]:
    if isinstance(sigma, (tuple, list)) and len(sigma) == 2:
        return sigma[0], sigma[1]
    raise ValueError(f"sigma must be a positive number or a pair of them, got {sigma!r}")


def _check_shape(shape: Sequence[int] | int, label: str) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not dims or any(isinstance(d, bool) or not isinstance(d, int) or d <= 0 for d in dims):
        raise ValueError(f"{label} must be a tuple of positive integers, got {shape!r}")
    return dims


def _adjoint_test_vectors(input_shape: tuple[int, ...], output_shape: tuple[int, ...] | None, dtype: torch.dtype,
                          device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """x ~ N(0, I) of shape (1, *input_shape) and y ~ N(0, I) of shape (1, *output_shape), from `ADJOINT_SEED`."""
    generator = torch.Generator().manual_seed(ADJOINT_SEED)
    x = gaussian_draw((1, *input_shape), generator).to(device=device, dtype=dtype)
    y = None if output_shape is None else gaussian_draw((1, *output_shape), generator).to(device=device, dtype=dtype)
    return x, y


class _Cast:
    """A matrix-free operator seen at another dtype/device (inputs cast to its own, outputs cast back)."""

    def __init__(self, op: LinearOperator, dtype: torch.dtype, device: torch.device):
        self.op, self.dtype, self.device = op, dtype, device

    def A(self, x: torch.Tensor) -> torch.Tensor:
        inner = x.to(device=self.op.device, dtype=self.op.dtype).reshape(x.shape[0], -1)
        return self.op.A(inner).reshape(x.shape[0], *self.op.output_shape).to(device=self.device, dtype=self.dtype)

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        inner = y.to(device=self.op.device, dtype=self.op.dtype).reshape(y.shape[0], -1)
        return self.op.A_adjoint(inner).reshape(y.shape[0], *self.op.input_shape).to(device=self.device,
                                                                                     dtype=self.dtype)


def as_forward(A: Any, n: int | None = None, m: int | None = None, like: torch.Tensor | None = None) -> Any:
    """What the trainers and layers compute with: a tensor as it is (2-D, or batched (b, m, n)); the matrix of a
    dense `LinearOperator` (so a dense operator and its matrix give the same iterates to the bit); a matrix-free
    `LinearOperator` as it is; any other object with ``A``/``A_adjoint`` wrapped on flat vectors of size ``n``
    (its outputs of size ``m``), at the dtype and device of ``like``."""
    if isinstance(A, torch.Tensor):
        return A
    if not isinstance(A, LinearOperator):
        if n is None:
            raise ValueError(f"cannot use {type(A).__name__} as a forward operator: wrap it with "
                             "LinearOperator.wrap(obj, input_shape=...)")
        opts = {} if like is None else {"dtype": like.dtype, "device": like.device}
        A = LinearOperator.wrap(A, (n,), None if m is None else (m,), **opts)
    return A if A.matrix_free else A.matrix


def _check_singular_values(values: Sequence[float] | torch.Tensor, r: int) -> torch.Tensor:
    try:
        s = torch.as_tensor(values, dtype=torch.float64).detach().cpu().flatten()
    except (TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"singular_values must be a sequence of numbers: {err}") from None
    if s.numel() != r:
        raise ValueError(f"expected min(m, n) = {r} singular values, got {s.numel()}")
    if not bool(torch.isfinite(s).all()) or bool((s <= 0).any()):
        raise ValueError("singular values must be finite and positive")
    return s


def _random_mask(n: int, keep: Any, generator: torch.Generator | None) -> torch.Tensor:
    if not _is_real(keep) or not 0 < keep <= 1:
        raise ValueError(f"keep must be a fraction in (0, 1], got {keep!r}")
    if generator is None:
        raise ValueError("inpainting with keep needs a torch.Generator for the random mask")
    _check_generator(generator)
    count = max(1, round(keep * n))
    chosen = torch.randperm(n, generator=generator, device=generator.device)[:count].cpu()
    mask = torch.zeros(n, dtype=torch.bool)
    mask[chosen] = True
    return mask


def _check_mask(mask: Sequence[bool] | torch.Tensor, n: int) -> torch.Tensor:
    tensor = torch.as_tensor(mask).detach().cpu()
    if tensor.dtype != torch.bool:
        raise ValueError(f"mask must be boolean, got dtype {tensor.dtype}")
    if tensor.shape != (n,):
        raise ValueError(f"mask must have shape ({n},), got {tuple(tensor.shape)}")
    if not bool(tensor.any()):
        raise ValueError("mask keeps no entry: the operator would have m = 0 rows")
    return tensor


def _gaussian_kernel(sigma: float, truncate: float) -> torch.Tensor:
    """k_j = exp(−j²/(2σ²)) / Σ_i exp(−i²/(2σ²)) for j = −r..r, r = ⌈truncate·σ⌉."""
    radius = math.ceil(truncate * sigma)
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    return kernel / kernel.sum()


def _blur_matrix(n: int, sigma: float, boundary: str, truncate: float) -> torch.Tensor:
    _check_dims(n=n)
    _check_positive("sigma", sigma)
    _check_positive("truncate", truncate)
    if boundary not in _BOUNDARIES:
        raise ValueError(f"unknown boundary {boundary!r}; allowed: {', '.join(_BOUNDARIES)}")
    kernel = _gaussian_kernel(sigma, truncate)
    radius = (kernel.numel() - 1) // 2
    rows = torch.arange(n).repeat_interleave(kernel.numel())
    cols = rows + torch.arange(-radius, radius + 1).repeat(n)
    weights = kernel.repeat(n)
    if boundary == "circular":
        cols = cols % n
    else:
        inside = (cols >= 0) & (cols < n)
        rows, cols, weights = rows[inside], cols[inside], weights[inside]
    matrix = torch.zeros(n, n, dtype=torch.float64)
    matrix.index_put_((rows, cols), weights, accumulate=True)
    return matrix
