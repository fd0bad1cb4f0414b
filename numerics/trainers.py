"""Batched trainers of the two-layer DIP that record trajectories (01 §1 gradient flow, 02 §1 eq. (2)).

`gradient_descent` runs θ_{τ+1} = θ_τ − γ∇f(θ_τ), f(θ) = ½‖A g(u, θ) − y‖², for b networks at once with the
closed-form gradient of `numerics.two_layer` (no autograd). Two engines compute it (see `_descend`): on the CPU a
fused C kernel, compiled on first use, trains each network's whole run with its V in cache (one pass over V per
step); elsewhere (CUDA, σ_min records, custom activations, no C compiler, ``IPVERIFY_KERNEL=0``) a batched
PyTorch loop. Both use the rank-one structure of the steps: W_τ = W₀ − Q_τ uᵀ is never formed during the run,
and ‖∇f‖, the step lengths and ‖W_τ − W₀‖ come from (b, k)-sized quantities (BENCHMARKS.md has the speed-ups).
`gradient_flow`
approximates θ̇ = −∇f(θ) by the same iteration with a small step h (t = τh); `gradient_flow_reference`
integrates the flow of ONE network with ``scipy.integrate.solve_ivp``, to measure the discretisation error.

A is a tensor ((m, n) shared, or (b, m, n)) or a `numerics.operators.LinearOperator`: a dense one runs on its
matrix (the same iterates, to the bit, as the matrix itself), a matrix-free one through ``A(x)``/``A_adjoint(y)``
in the PyTorch loop. The records (`Trajectory`, `Recorder`) are in `numerics.records`, the step choice of the flow
(`default_flow_step`, `fixed_step_schedule`) in `numerics.steps`.

Divergence is a verdict, not a crash: a network whose loss or parameters become NaN/inf, or whose loss exceeds
`DIVERGENCE_LOSS` (or, optionally, whose ‖θ_τ − θ₀‖ exceeds ``max_dist0``), is frozen at that iterate, flagged
in `Trajectory.diverged` / `diverged_at`, and its later records are NaN.

A too-large step can also send θ to infinity at bounded loss: with the sigmoid or the softplus (φ → 0 at −∞),
the pre-activations run off towards −∞, g(u, θ) → 0 and the loss freezes at ½‖y‖² while ‖θ_τ − θ₀‖ grows
without bound. By default this is not flagged (``dist0`` shows it); pass ``max_dist0`` to flag it.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from scipy.integrate import solve_ivp
from torch import Tensor

from ipverify.numerics import _kernel
from ipverify.numerics.operators import LinearOperator, as_forward
from ipverify.numerics.records import (  # noqa: F401  (re-exported: the trainers' public names)
    DIVERGENCE_LOSS,
    Recorder,
    Trajectory,
    per_network_values,
    record_spacing,
)
from ipverify.numerics.steps import FLOW_STEP_FACTOR, default_flow_step, fixed_step_schedule  # noqa: F401
from ipverify.numerics.two_layer import (
    TwoLayerParams,
    flatten,
    gram_eigenvalues,
    hidden,
    jjt_from_hidden,
    matvec,
    objective_and_gradient,
    rmatvec,
    unflatten,
)

if TYPE_CHECKING:
    from ipverify.numerics.activations import Activation
    from ipverify.numerics.two_layer import Scalar


def _param_room(dtype: torch.dtype) -> float:
    """While max|θ₀| + (path length) ≤ this (1e-8 of the largest float: 1.8e300 in float64, 3.4e30 in float32),
    every entry of θ is certainly finite, so the parameters need not be scanned; past it (or on NaN) they are
    scanned exactly."""
    return torch.finfo(dtype).max * 1e-8


def _room(params0: TwoLayerParams, max_dist0: float) -> Tensor:
    """The path length below which θ_τ is certainly finite (and within ``max_dist0`` of θ₀), (b,):
    max|θ_τ| ≤ max|θ₀| + ‖θ_τ − θ₀‖ ≤ max|θ₀| + path length."""
    room = _param_room(params0.W.dtype) - torch.maximum(_max_abs(params0.W), _max_abs(params0.V))
    if math.isfinite(max_dist0):
        room = torch.minimum(room, torch.full_like(room, max_dist0))
    return room


def _max_abs(t: Tensor) -> Tensor:
    """max |entry| per network (NaN if any entry is NaN), shape (b,)."""
    return torch.linalg.vector_norm(t, ord=math.inf, dim=tuple(range(1, t.dim())))


def _dphi_from_phi(act: Activation):
    """φ′ as a function of a = φ(z) where that is exactly how the registered φ′ computes it (tanh: 1 − a²,
    sigmoid: a(1 − a)), which saves one transcendental per entry; None otherwise."""
    from ipverify.numerics.activations import ACTIVATIONS

    if ACTIVATIONS.get(act.name) is not act:
        return None
    if act.name == "tanh":
        return lambda a: 1 - a**2
    if act.name == "sigmoid":
        return lambda a: a * (1 - a)
    return None


DEFERRED_RANK = 16
"""Rank-one updates of V held back before they are applied (see `_State`); 1 applies each at once."""

_DEFER_MIN_SIZE = 2**16
"""Below b·n·k = this, V is small enough to stay in cache and each update is applied at once."""


class _State:
    """θ_τ for b networks, with its evaluation (f, ∇f and the intermediate quantities).

    W. Every GD step changes W by −γ q uᵀ/√k, a rank-one matrix along the fixed input u, so W_τ = W₀ − Q_τ uᵀ
    with Q_τ = Σ_{s<τ} γ q_s/√k (b, k), and z_τ = W_τ u = W₀u − ‖u‖² Q_τ: the hidden layer costs O(bk) per
    step instead of O(bkd), and W is formed only when asked for (`params`, exact parameter scans).

    V. A step changes V by the rank-one −(γ/√k) s aᵀ. Up to ``rank`` of them are held in buffers
    (S (b, rank, n), A (b, rank, k)) with V_τ = V_base − Σ_j S_j A_jᵀ, and applied to V_base in one batched GEMM
    when the buffers are full or V is needed: the products V_τ a and V_τᵀ s then read V_base once each plus the
    thin buffers, instead of also reading and writing all of V at every step. A step is memory-bound (V is
    b·n·k floats), so this cuts its traffic from four passes over V to about 2 + 2/rank.
    """

    def __init__(self, A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation,
                 rank: int | None = None) -> None:
        self.A, self.y, self.u, self.act, self.params0 = A, y, u, act, params0
        b, n, k = params0.b, params0.n, params0.k
        self.matrix_free = isinstance(A, LinearOperator)
        self.shared = self.matrix_free or A.dim() == 2
        self.inv_rk = 1.0 / math.sqrt(k)
        self.u_sq = u.square().sum(dim=-1)
        self.u_sq_col = self.u_sq[:, None]
        self.z0 = hidden(params0, u)
        self._V = params0.V.clone(memory_format=torch.contiguous_format)
        self.Q = torch.zeros_like(self.z0)
        self.dphi_from_phi = _dphi_from_phi(act)
        if rank is None:
            rank = DEFERRED_RANK if b * n * k >= _DEFER_MIN_SIZE else 1
        self.rank, self.fill = rank, 0
        if rank > 1:
            self.S = torch.empty(b, rank, n, dtype=self._V.dtype, device=self._V.device)
            self.Abuf = torch.empty(b, rank, k, dtype=self._V.dtype, device=self._V.device)

    def _V_times(self, a: Tensor) -> Tensor:
        """V_τ a, (b, n)."""
        out = matvec(self._V, a)
        if self.fill:
            f = self.fill
            w = torch.bmm(a.unsqueeze(-2), self.Abuf[:, :f].mT)  # (b, 1, f): A_jᵀ a
            out = torch.baddbmm(out.unsqueeze(-2), w, self.S[:, :f], alpha=-1.0).squeeze(-2)
        return out

    def _Vt_times(self, s: Tensor) -> Tensor:
        """V_τᵀ s, (b, k)."""
        out = rmatvec(self._V, s)
        if self.fill:
            f = self.fill
            w = torch.bmm(s.unsqueeze(-2), self.S[:, :f].mT)  # (b, 1, f): S_jᵀ s
            out = torch.baddbmm(out.unsqueeze(-2), w, self.Abuf[:, :f], alpha=-1.0).squeeze(-2)
        return out

    def flush(self) -> None:
        """Apply the held-back updates: V_base ← V_base − Σ_j S_j A_jᵀ."""
        if self.fill:
            f = self.fill
            self._V.baddbmm_(self.S[:, :f].mT, self.Abuf[:, :f], alpha=-1.0)
            self.fill = 0

    @property
    def V(self) -> Tensor:
        self.flush()
        return self._V

    def evaluate(self) -> None:
        """f, ∇f and the intermediate quantities at the current θ (see `objective_and_gradient`)."""
        act, A = self.act, self.A
        self.z = z = torch.addcmul(self.z0, self.Q, self.u_sq_col, value=-1.0)
        self.a = a = act.phi(z)
        self.x = x = self._V_times(a).mul_(self.inv_rk)
        if self.matrix_free:
            self.r = r = A.A(x) - self.y
            s = A.A_adjoint(r)
        elif self.shared:
            self.r = r = torch.addmm(self.y, x, A.mT, beta=-1.0)
            s = r @ A
        else:
            self.r = r = torch.baddbmm(self.y.unsqueeze(-1), A, x.unsqueeze(-1), beta=-1.0).squeeze(-1)
            s = rmatvec(A, r)
        self.s = s
        self.loss = torch.linalg.vecdot(r, r).mul_(0.5)
        da = act.dphi(z) if self.dphi_from_phi is None else self.dphi_from_phi(a)
        # ∂f/∂V = s aᵀ/√k, ∂f/∂W = q uᵀ/√k with q = (Vᵀ s) ⊙ φ′(z)
        self.q = q = self._Vt_times(s).mul_(da)
        self.grad_norm_sq = (torch.linalg.vecdot(s, s) * torch.linalg.vecdot(a, a)
                             + torch.linalg.vecdot(q, q) * self.u_sq).mul_(self.inv_rk**2)

    def step(self, coef: Tensor, alive: Tensor | None) -> None:
        """θ ← θ − γ∇f(θ) with coef = γ/√k (b, 1); networks with alive False are left unchanged."""
        s, a, q = self.s, self.a, self.q
        if alive is not None:  # zero both factors: a dead network's gradient may hold NaN or inf
            col = alive[:, None]
            s, a, q = torch.where(col, s, 0.0), torch.where(col, a, 0.0), torch.where(col, q, 0.0)
        self.Q.addcmul_(q, coef)
        if self.rank == 1:
            self._V.baddbmm_((s * coef).unsqueeze(-1), a.unsqueeze(-2), alpha=-1.0)
            return
        torch.mul(s, coef, out=self.S[:, self.fill])
        self.Abuf[:, self.fill] = a
        self.fill += 1
        if self.fill == self.rank:
            self.flush()

    @property
    def W(self) -> Tensor:
        return torch.baddbmm(self.params0.W, self.Q.unsqueeze(-1), self.u.unsqueeze(-2), alpha=-1.0)

    @property
    def params(self) -> TwoLayerParams:
        return TwoLayerParams(self.W, self.V)

    def dist0(self) -> Tensor:
        """‖θ − θ₀‖ with ‖W − W₀‖_F = ‖Q‖‖u‖ (exact for the rank-one sum)."""
        dV = torch.linalg.vector_norm(self.V - self.params0.V, dim=(1, 2))
        return (torch.linalg.vecdot(self.Q, self.Q) * self.u_sq + dV.square()).sqrt()

    def healthy(self, max_dist0: float) -> Tensor:
        """Not diverged, tested exactly: loss ≤ DIVERGENCE_LOSS (False for NaN/inf), θ finite, ‖θ − θ₀‖ ≤
        max_dist0; shape (b,)."""
        ok = (self.loss <= DIVERGENCE_LOSS) & torch.isfinite(_max_abs(self.W)) & torch.isfinite(_max_abs(self.V))
        if math.isfinite(max_dist0):
            ok = ok & (self.dist0() <= max_dist0)
        return ok

    def sigma_min(self) -> Tensor:
        gram = jjt_from_hidden(self.z, self.V, self.u_sq, self.act)
        return gram_eigenvalues(gram)[..., 0].clamp_min(0).sqrt()


# ---------------------------------------------------------------------------------------------------------
def _kernel_applies(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation,
                    record_sigma_every: int | None) -> bool:
    ref = params0.W
    b, n, k, d = params0.b, params0.n, params0.k, params0.d
    if not isinstance(A, Tensor):
        return False
    tensors = (A, y, u, params0.W, params0.V)
    if not _kernel.USE_KERNEL or record_sigma_every is not None or ref.dtype not in _kernel.KERNEL_VARIANTS:
        return False
    if any(t.device.type != "cpu" or t.dtype != ref.dtype for t in tensors):
        return False
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        return False
    from ipverify.numerics.activations import ACTIVATIONS

    if act.name not in _kernel.KERNEL_ACTIVATIONS or ACTIVATIONS.get(act.name) is not act:
        return False
    m = A.shape[-2] if A.dim() in (2, 3) else -1
    shapes_ok = (A.shape == (m, n) or A.shape == (b, m, n)) and y.shape == (b, m) and u.shape == (b, d)
    return shapes_ok and k > 0 and n > 0 and _kernel.kernel_library() is not None


def _descend_kernel(A: Tensor, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation, gamma: Tensor,
                    rec: Recorder, max_dist0: float) -> tuple[Tensor, TwoLayerParams]:
    """Run `_descend` with the fused kernel, writing into ``rec``'s buffers: returns diverged_at and the final θ.
    The networks are split in chunks run on `kernel_threads` threads (ctypes releases the GIL,
    and the networks are independent)."""
    lib = _kernel.kernel_library()
    ref = params0.W
    dtype = ref.dtype
    b, n, k, d, m = params0.b, params0.n, params0.k, params0.d, A.shape[-2]
    fn = getattr(lib, f"ipv_gd_train_{_kernel.KERNEL_VARIANTS[dtype]['SFX']}")
    A_c, y_c, u_c, W0 = A.contiguous(), y.contiguous(), u.contiguous(), params0.W.contiguous()
    V0t = params0.V.transpose(1, 2).contiguous()
    Vt = V0t.clone()
    Q = torch.zeros(b, k, dtype=dtype)
    z0 = hidden(params0, u).contiguous()
    u_sq = u.square().sum(dim=-1).contiguous()
    gamma_c = gamma.contiguous()
    room = _room(params0, max_dist0).contiguous()
    steps = rec.steps
    slot = torch.full((steps + 1,), -1, dtype=torch.int64)
    slot[torch.tensor(rec.rec, dtype=torch.int64)] = torch.arange(len(rec.rec), dtype=torch.int64)
    T = len(rec.rec)
    loss, residual, dist0, grad_sq = (rec.values[name] for name in ("loss", "residual", "dist0", "grad_norm_sq"))
    x_rec, lengths = rec.x, rec.lengths
    diverged_at = torch.full((b,), -1, dtype=torch.int64)
    args = (n, m, k, d, steps, _kernel.KERNEL_ACTIVATIONS[act.name], A_c.data_ptr(), 0 if A_c.dim() == 2 else m * n,
            y_c.data_ptr(), z0.data_ptr(), u_sq.data_ptr(), gamma_c.data_ptr(), room.data_ptr(), W0.data_ptr(),
            u_c.data_ptr(), V0t.data_ptr(), Vt.data_ptr(), Q.data_ptr(), slot.data_ptr(), T, loss.data_ptr(),
            residual.data_ptr(), dist0.data_ptr(), grad_sq.data_ptr(),
            x_rec.data_ptr() if x_rec is not None else None, lengths.data_ptr(), diverged_at.data_ptr(),
            DIVERGENCE_LOSS, max_dist0 if math.isfinite(max_dist0) else math.inf, int(math.isfinite(max_dist0)))

    def run(lo: int, hi: int) -> int:
        return fn(lo, hi, *args)

    # threads pay off above ~1 ms of work (about 4·10⁶ multiply-adds)
    threads = min(_kernel.kernel_threads(), b) if b * n * k * max(steps, 1) >= 1 << 22 else 1
    if threads == 1:
        codes = [run(0, b)]
    else:
        chunks = min(b, 4 * threads)
        bounds = [round(i * b / chunks) for i in range(chunks + 1)]
        with ThreadPoolExecutor(max_workers=threads) as pool:
            codes = list(pool.map(run, bounds[:-1], bounds[1:]))
    if any(codes):
        raise MemoryError("the fused GD kernel could not allocate its scratch memory")
    W = torch.baddbmm(params0.W, Q.unsqueeze(-1), u.unsqueeze(-2), alpha=-1.0)
    return diverged_at, TwoLayerParams(W, Vt.transpose(1, 2).contiguous())


def _descend(
    A: Tensor,
    y: Tensor,
    params0: TwoLayerParams,
    u: Tensor,
    act: Activation,
    gamma: Tensor,
    steps: int,
    record_every: int,
    record_sigma_every: int | None,
    record_x: bool,
    time_per_step: float,
    max_dist0: float,
) -> Trajectory:
    """The shared GD loop: θ_{τ+1} = θ_τ − γ∇f(θ_τ), batched, with freezing of diverged networks.

    Two engines compute the same iterates and records (up to rounding; tests/test_bench.py compares them):

    - the fused C kernel (`_descend_kernel`), on the CPU when no σ_min is recorded and the activation is a
      registered one: each network's whole run in one pass over V per step, V held in cache;
    - the PyTorch loop (`_descend_torch`) otherwise (CUDA, σ_min records, custom activations, no compiler).

    Divergence is tested exactly at every iteration: the cheap test (loss ≤ DIVERGENCE_LOSS, and
    max|θ₀| + Σ‖θ_{s+1} − θ_s‖ ≤ `_param_room`, which bounds max|θ_τ|; with ``max_dist0``, the path length
    ≤ max_dist0, which bounds ‖θ_τ − θ₀‖) and, where it fails, a scan of θ. Step lengths are γ‖∇f(θ_τ)‖ from
    the closed form ‖∇f‖² = (‖s‖²‖a‖² + ‖q‖²‖u‖²)/k (s = Aᵀr, a = φ(z), q = (Vᵀs) ⊙ φ′(z)).
    """
    rec = Recorder(params0, steps, record_every, record_sigma_every, record_x)
    if _kernel_applies(A, y, params0, u, act, record_sigma_every):
        diverged_at, params = _descend_kernel(A, y, params0, u, act, gamma, rec, max_dist0)
    else:
        diverged_at, params = _descend_torch(A, y, params0, u, act, gamma, rec, max_dist0)
    return rec.trajectory(params, gamma, diverged_at, time_per_step)


def _descend_torch(A: Tensor | LinearOperator, y: Tensor, params0: TwoLayerParams, u: Tensor, act: Activation,
                   gamma: Tensor, rec: Recorder, max_dist0: float) -> tuple[Tensor, TwoLayerParams]:
    """`_descend` in PyTorch ops, batched over the networks (any device; A a tensor or a matrix-free operator).

    Per step: two passes over V (V a and Vᵀ s; the rank-one updates are applied every `DEFERRED_RANK` steps,
    see `_State`) and O(b(k + n + mn)) for the rest. Returns diverged_at and the final θ.
    """
    ref = params0.W
    b = params0.b
    state = _State(A, y, params0, u, act)

    def record(tau: int) -> None:
        if rec.wants(tau):
            rec.record(tau, {"loss": state.loss, "residual": torch.linalg.vector_norm(state.r, dim=-1),
                             "dist0": state.dist0(), "grad_norm_sq": state.grad_norm_sq}, state.x)
        rec.record_sigma(tau, state.sigma_min)

    state.evaluate()
    alive = state.healthy(max_dist0)
    diverged_at = torch.where(alive, -1, 0).to(torch.int64)
    n_alive = int(alive.sum())
    room = _room(params0, max_dist0)
    path = torch.zeros(b, dtype=ref.dtype, device=ref.device)
    coef = (gamma * state.inv_rk)[:, None]
    record(0)
    for tau in range(rec.steps):
        if n_alive == 0:
            break
        state.step(coef, None if n_alive == b else alive)
        step_length = state.grad_norm_sq.sqrt().mul_(gamma)
        rec.step_length(tau, step_length)
        path.add_(step_length)
        state.evaluate()
        suspect = alive & ~((state.loss <= DIVERGENCE_LOSS) & (path <= room))
        if bool(suspect.any()):
            bad = suspect & ~state.healthy(max_dist0)
            if bool(bad.any()):
                diverged_at = torch.where(bad, tau + 1, diverged_at)
                alive = alive & ~bad
                n_alive = int(alive.sum())
        record(tau + 1)
    return diverged_at, state.params


def gradient_descent(
    A: Tensor,
    y: Tensor,
    params0: TwoLayerParams,
    u: Tensor,
    act: Activation,
    gamma: Scalar,
    steps: int,
    record_every: int = 1,
    record_sigma_every: int | None = None,
    record_x: bool = False,
    max_dist0: float = math.inf,
) -> Trajectory:
    """Gradient descent θ_{τ+1} = θ_τ − γ∇f(θ_τ) on f(θ) = ½‖A g(u, θ) − y‖² (02 eq. (2)), b networks at once.

    A is (m, n) shared, (b, m, n) or a `LinearOperator` (dense or matrix-free); y (b, m); u (b, d); ``gamma`` a
    float or a (b,) tensor (one step per network). Records every ``record_every`` iterations (and the last),
    σ_min(J_g) every ``record_sigma_every`` iterations, step lengths at every step; ``Trajectory.times`` = τ.
    A network is flagged as diverged (and frozen) when its loss or θ is non-finite, its loss exceeds
    `DIVERGENCE_LOSS`, or ‖θ_τ − θ₀‖ > ``max_dist0`` (off by default).

    The step lengths give ‖∇f(θ_τ)‖² = ‖θ_{τ+1} − θ_τ‖²/γ² at every step, so the sufficient decrease of 02
    GD-4 item 2 can be checked between recorded iterations in its telescoped form
    f(θ_{τ'}) ≤ f(θ_τ) − (1 − γL/2)/γ · Σ_{τ≤s<τ'} ‖θ_{s+1} − θ_s‖².
    """
    gamma_b = per_network_values(gamma, params0.b, params0.W)
    A = as_forward(A, params0.n, y.shape[-1], params0.W)
    return _descend(A, y, params0, u, act, gamma_b, steps, record_every, record_sigma_every, record_x, 1.0,
                    max_dist0)


def gradient_flow(
    A: Tensor,
    y: Tensor,
    params0: TwoLayerParams,
    u: Tensor,
    act: Activation,
    t_final: float,
    h: float | None = None,
    n_records: int = 200,
    n_sigma_records: int | None = None,
    record_x: bool = False,
    max_steps: int = 10**6,
    max_dist0: float = math.inf,
) -> Trajectory:
    """Gradient flow θ̇ = −∇f(θ), θ(0) = θ₀ (01 §1), approximated by GD with a small common step h.

    S = ⌈t_final/h⌉ steps with h adjusted to t_final/S, so that t = τh and the last record is at t_final
    (``Trajectory.times`` is in flow time). Default h: `default_flow_step`, 0.05/L̂ with L̂ the largest
    curvature estimate at θ₀ over the batch. About ``n_records`` (``n_sigma_records``) evenly spaced
    iterations are recorded (σ_min).

    Discretisation error. This is explicit Euler: if ∇f is L-Lipschitz along the way, the global error is
    ‖θ_τ − θ(τh)‖ ≤ (h/2) sup‖θ̈‖ (e^{LT} − 1)/L = O(h·L·e^{LT}) on [0, T] — linear in h but with a
    constant that can be large for long horizons (`gradient_flow_reference` measures it). What matters for
    the checks is not this error: the iterates with γ = h < 2/L satisfy themselves the GF rate bounds with
    the time change t ↔ γ(1 − γL/2)τ (02 GD-4 item 4), i.e. the flow rate up to the factor
    (1 − hL/2) ≥ 0.975 for h = 0.05/L. A check that uses t = τh should allow for this factor.
    """
    fixed_step_schedule(t_final, 1.0, math.inf)  # t_final is checked before the step is chosen
    A = as_forward(A, params0.n, y.shape[-1], params0.W)
    steps, h = fixed_step_schedule(t_final, default_flow_step(A, y, params0, u, act) if h is None else h, max_steps)
    record_every, sigma_every = record_spacing(steps, n_records), record_spacing(steps, n_sigma_records)
    gamma_b = per_network_values(h, params0.b, params0.W, "h")
    return _descend(A, y, params0, u, act, gamma_b, steps, record_every, sigma_every, record_x, h, max_dist0)


@dataclass(frozen=True)
class FlowReference:
    """ODE solution for one network: ``times`` (T,), ``theta`` (T, p) flattened θ(t), ``loss`` (T,)."""

    times: Tensor
    theta: Tensor
    loss: Tensor
    success: bool
    message: str


def gradient_flow_reference(
    A: Tensor,
    y: Tensor,
    params0: TwoLayerParams,
    u: Tensor,
    act: Activation,
    t_eval: Tensor | np.ndarray | list[float],
    method: str = "DOP853",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> FlowReference:
    """Reference gradient flow of ONE network (b = 1) by ``scipy.integrate.solve_ivp`` on the flattened θ.

    Solves θ̇ = −∇f(θ) with the closed-form gradient (itself tested against autograd) and a high-order
    adaptive method (DOP853 by default, rtol 1e-10), on the CPU in float64. Used to measure the
    discretisation error of `gradient_flow`, which is O(h).
    """
    if params0.b != 1:
        raise ValueError(f"gradient_flow_reference integrates one network, got b = {params0.b}")
    k, d, n = params0.k, params0.d, params0.n
    cpu = {"dtype": torch.float64, "device": "cpu"}
    A_c = as_forward(A, n, y.shape[-1], params0.W).to(**cpu)
    if isinstance(A_c, Tensor) and A_c.dim() == 3:
        A_c = A_c[0]
    y_c, u_c = y.to(**cpu).reshape(1, -1), u.to(**cpu).reshape(1, -1)

    def rhs(_t: float, theta: np.ndarray) -> np.ndarray:
        params = unflatten(torch.from_numpy(theta).reshape(1, -1), k, d, n)
        return -flatten(objective_and_gradient(A_c, y_c, params, u_c, act).grad)[0].numpy()

    t_eval = np.asarray(torch.as_tensor(t_eval, dtype=torch.float64).cpu(), dtype=np.float64)
    theta0 = flatten(TwoLayerParams(params0.W.to(**cpu), params0.V.to(**cpu)))[0].numpy()
    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), theta0, method=method, t_eval=t_eval, rtol=rtol, atol=atol)
    theta = torch.from_numpy(sol.y.T.copy())
    ev = objective_and_gradient(A_c, y_c.expand(theta.shape[0], -1), unflatten(theta, k, d, n),
                                u_c.expand(theta.shape[0], -1), act)
    return FlowReference(torch.from_numpy(sol.t.copy()), theta, ev.loss, bool(sol.success), str(sol.message))
