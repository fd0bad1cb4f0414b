"""The records every trainer of the two-layer DIP keeps: one trajectory type, one record schedule, one recorder.

GD, the gradient flow (`numerics.trainers`), DIN (`numerics.inertial`) and the discrete inertial methods
(`numerics.inertial_discrete`) all return a `Trajectory` (DIN a subclass with its energy records), filled by a
`Recorder` at the steps of `record_indices`. Divergence is a verdict: records after a network's ``diverged_at``
are NaN (`Recorder.trajectory` masks them), the record at ``diverged_at`` holds the offending value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ipverify.numerics.two_layer import Scalar, TwoLayerParams, _per_network

DIVERGENCE_LOSS = 1e30
"""A loss above this value (or a non-finite loss or parameter) marks a network as diverged."""

RECORDED = ("loss", "residual", "dist0", "grad_norm_sq")
"""The (b, T) records of every `Trajectory`."""


@dataclass(frozen=True)
class Trajectory:
    """Records of a batched run. b networks, T recorded iterations, S = number of steps taken.

    Per recorded iteration τ (``steps``, shape (T,)) and its time (``times``: τ for GD and the discrete methods,
    τh for the flows):

    - ``loss`` (b, T): f(θ_τ) = ½‖y_τ − y‖², with y_τ = A g(u, θ_τ);
    - ``residual`` (b, T): ‖y_τ − y‖;
    - ``dist0`` (b, T): ‖θ_τ − θ₀‖;
    - ``grad_norm_sq`` (b, T): ‖∇f(θ_τ)‖²;
    - ``x`` (b, T, n): x_τ = g(u, θ_τ), or None unless ``record_x``.

    At every step (whatever ``record_every``): ``step_lengths`` (b, S), ‖θ_{τ+1} − θ_τ‖ (for GD computed as
    γ‖∇f(θ_τ)‖ from the closed form of ‖∇f‖; for DIN the RK4 integral of ‖θ̇‖ over the step); see
    `path_length` and `tail_length`. σ_min(J_g(θ_τ)) (closed form) at ``sigma_steps`` (T_σ,) / ``sigma_times``,
    in ``sigma_min`` (b, T_σ), or None when not requested.

    ``gamma`` (b,) is the step used by each network (h for the flows); ``params`` the final θ (for a diverged
    network, the iterate at which it was stopped); ``diverged`` (b,) bool and ``diverged_at`` (b,) int64, the
    first iteration whose loss or parameters were non-finite or whose loss exceeded `DIVERGENCE_LOSS`, −1 if
    none. Records at iterations after ``diverged_at`` are NaN; the record at ``diverged_at`` itself holds
    the offending value (inf, NaN or > 1e30), so no check counts it as finite.
    """

    steps: Tensor
    times: Tensor
    loss: Tensor
    residual: Tensor
    dist0: Tensor
    grad_norm_sq: Tensor
    step_lengths: Tensor
    sigma_steps: Tensor | None
    sigma_times: Tensor | None
    sigma_min: Tensor | None
    x: Tensor | None
    params: TwoLayerParams
    gamma: Tensor
    diverged: Tensor
    diverged_at: Tensor

    @property
    def path_length(self) -> Tensor:
        """Cumulative length Σ_{s<τ} ‖θ_{s+1} − θ_s‖ for τ = 0..S, shape (b, S + 1) (≥ ‖θ_τ − θ₀‖)."""
        zero = torch.zeros_like(self.step_lengths[:, :1])
        return torch.cat([zero, self.step_lengths.cumsum(dim=1)], dim=1)

    @property
    def tail_length(self) -> Tensor:
        """Σ_{τ≤s<S} ‖θ_{s+1} − θ_s‖ for τ = 0..S, shape (b, S + 1).

        The remaining path length within the run: a lower bound of the infinite tail of 02 GD-4 item 3, so
        ``tail_length[:, τ] ≤ bound(f(θ_τ))`` is a necessary condition for the finite-length bound.
        """
        total = self.path_length
        return total[:, -1:] - total


def record_indices(steps: int, every: int) -> list[int]:
    """The recorded iterations: 0, every, 2·every, … and always the last one, ``steps``."""
    indices = list(range(0, steps + 1, max(1, every)))
    if indices[-1] != steps:
        indices.append(steps)
    return indices


def record_spacing(steps: int, count: int | None) -> int | None:
    """The spacing that records about ``count`` evenly spaced iterations of ``steps`` (None: no records)."""
    return None if count is None else max(1, steps // max(1, count))


def check_steps(steps: int) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")


def per_network_values(value: Scalar, b: int, ref: Tensor, name: str = "gamma") -> Tensor:
    """A float or a (b,) tensor as a (b,) tensor like `ref` (a fresh copy); finite and non-negative (steps,
    dampings, …)."""
    t = _per_network(value, ref.new_empty(b), name)
    if not bool(torch.all(torch.isfinite(t) & (t >= 0))):
        raise ValueError(f"{name} must be finite and non-negative")
    return t.clone()


class Recorder:
    """Collects the records of a batched run of ``steps`` steps into a `Trajectory` (or a subclass).

    ``record(τ, values, x)`` stores the named (b,) ``values`` (`RECORDED` and any ``extra`` names) at a recorded
    iteration, ``record_sigma(τ, fn)`` σ_min = fn() at a σ-recorded one (fn is called only there),
    ``step_length(τ, ℓ)`` the length of step τ. Entries never written are NaN; `trajectory` masks the records
    after each network's ``diverged_at`` (and the step lengths from it on).
    """

    def __init__(self, params0: TwoLayerParams, steps: int, record_every: int, record_sigma_every: int | None,
                 record_x: bool, extra: Sequence[str] = ()):
        check_steps(steps)
        if record_every < 1 or (record_sigma_every is not None and record_sigma_every < 1):
            raise ValueError("record_every and record_sigma_every must be positive")
        ref, b = params0.W, params0.b
        self.ref, self.steps = ref, steps
        self.rec = record_indices(steps, record_every)
        self.slot = {s: j for j, s in enumerate(self.rec)}
        self.sig = record_indices(steps, record_sigma_every) if record_sigma_every is not None else None
        self.sig_slot = {s: j for j, s in enumerate(self.sig or [])}
        full = {"dtype": ref.dtype, "device": ref.device}
        T = len(self.rec)
        self.values = {name: torch.full((b, T), math.nan, **full) for name in (*RECORDED, *extra)}
        self.x = torch.full((b, T, params0.n), math.nan, **full) if record_x else None
        self.sigma = torch.full((b, len(self.sig)), math.nan, **full) if self.sig is not None else None
        self.lengths = torch.full((b, steps), math.nan, **full)

    def wants(self, step: int) -> bool:
        return step in self.slot

    def record(self, step: int, values: dict[str, Tensor | Callable[[], Tensor]], x: Tensor | None = None) -> None:
        """Store ``values`` at ``step`` if it is recorded (a callable value is evaluated only then)."""
        j = self.slot.get(step)
        if j is None:
            return
        for name, value in values.items():
            self.values[name][:, j] = value() if callable(value) else value
        if self.x is not None:
            self.x[:, j] = x

    def record_sigma(self, step: int, sigma: Callable[[], Tensor]) -> None:
        j = self.sig_slot.get(step)
        if self.sigma is not None and j is not None:
            self.sigma[:, j] = sigma()

    def step_length(self, step: int, length: Tensor) -> None:
        self.lengths[:, step] = length

    def trajectory(self, params: TwoLayerParams, gamma: Tensor, diverged_at: Tensor, time_per_step: float = 1.0,
                   kind: type[Trajectory] = Trajectory, **extra) -> Trajectory:
        """The `Trajectory` (``kind``), records after ``diverged_at`` set to NaN; ``extra`` fields of a subclass."""
        device, dtype = self.ref.device, self.ref.dtype
        last = torch.where(diverged_at >= 0, diverged_at, self.steps)
        steps_t = torch.tensor(self.rec, dtype=torch.int64, device=device)
        keep = steps_t[None, :] <= last[:, None]
        values = {name: torch.where(keep, v, math.nan) for name, v in self.values.items()}
        x = torch.where(keep[:, :, None], self.x, math.nan) if self.x is not None else None
        taken = torch.arange(self.steps, device=device)[None, :] < last[:, None]
        sig_t = sigma = sig_times = None
        if self.sigma is not None:
            sig_t = torch.tensor(self.sig, dtype=torch.int64, device=device)
            sigma = torch.where(sig_t[None, :] <= last[:, None], self.sigma, math.nan)
            sig_times = sig_t.to(dtype) * time_per_step
        return kind(steps=steps_t, times=steps_t.to(dtype) * time_per_step, **values,
                    step_lengths=torch.where(taken, self.lengths, math.nan), sigma_steps=sig_t,
                    sigma_times=sig_times, sigma_min=sigma, x=x, params=params, gamma=gamma,
                    diverged=diverged_at >= 0, diverged_at=diverged_at, **extra)
