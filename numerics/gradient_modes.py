"""Hypergradients at equilibrium (DEQ, JFB, truncated and restarted AD) and the bilevel outer loop.

For a layer T (see `numerics.fixed_point`), x*(θ) = T(x*(θ), θ) and an inner loss ℓ, the hypergradient of
θ ↦ ℓ(x*(θ)) is estimated by five modes (torchdeq's names in brackets):

- "ift"       exact DEQ [torchdeq `ift=True`]: g = Bᵀw with w = Aᵀw + v, A = ∂_xT(x*), B = ∂_θT(x*), v = ∇ℓ(x*);
              w from a float64 linear solve (small problems) or the adjoint fixed point w ← Aᵀw + v (VJPs);
- "jfb"       Jacobian-free backprop [torchdeq `grad=1`]: g = Bᵀv (one tracked layer from the detached x*);
- "grad=K"    K-step JFB by AD from the detached x* [torchdeq `grad=K`, phantom gradient with damping 1;
              wrap the layer in `numerics.fixed_point.Damped` for torchdeq's damping τ < 1, JFB-8]:
              g = J_Kᵀ∇ℓ(Φ_K(x*)), J_K = Σ_{j<K} AʲB (JFB-2);
- "unrolled"  truncated unrolled AD from x₀ (no equilibrium): K tracked layers from x₀ (JFB-4);
- "restarted" restarted JFB as in the authors' code (JFB-5): T blocks of K layers under no_grad from x_init, then
              one K-layer block with autograd from the detached output (JFB-5); T = 0 is "unrolled" from x_init.

Each call returns a `Hypergradient` with the gradient, the output point, the loss there and the wall time (forward
and backward). `bilevel_learn` runs the outer loop (Adam, as the code, or plain gradient steps) with any mode.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ipverify.numerics.fixed_point import DTYPE, fixed_point, jacobian_theta, jacobian_x, newton_polish, spectral_norm

MODES = ("ift", "jfb", "grad=K", "unrolled", "restarted")


@dataclass
class Hypergradient:
    """One hypergradient estimate: mode, g (p,), output point (b, n), ℓ there, forward and backward seconds."""

    mode: str
    grad: torch.Tensor
    x_out: torch.Tensor
    loss: float
    forward_seconds: float
    backward_seconds: float
    details: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.forward_seconds + self.backward_seconds


def half_squared_error(target: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """ℓ(x) = ½‖x − x̄‖² over the whole batch (∇ℓ is 1-Lipschitz: L_ℓ = 1)."""
    target = target.detach()
    return lambda x: 0.5 * ((x - target) ** 2).sum()


def mean_squared_error(target: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """ℓ(x) = mean (x − x̄)² (the code's MSE; L_ℓ = 2/(b·n))."""
    target = target.detach()
    return lambda x: ((x - target) ** 2).mean()


def loss_gradient(loss_fn, x: torch.Tensor) -> torch.Tensor:
    """v = ∇_xℓ(x)."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        (v,) = torch.autograd.grad(loss_fn(x), x)
    return v


def equilibrium(op, theta: torch.Tensor, x_init: torch.Tensor, tol: float = 1e-13, max_iter: int = 20000,
                polish: bool = False):
    """The fixed point x*(θ) from x_init (`numerics.fixed_point.fixed_point`), optionally Newton-polished."""
    result = fixed_point(op, theta, x_init, tol=tol, max_iter=max_iter)
    if polish and result.converged:
        result.x = newton_polish(op, theta, result.x)
    return result


def _vjp_theta(op, theta: torch.Tensor, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Bᵀw = (∂_θT(x, θ))ᵀw by one tracked application of T."""
    theta_req = theta.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (g,) = torch.autograd.grad(op(x.detach(), theta_req), theta_req, grad_outputs=w)
    return g


def adjoint_solve(op, theta: torch.Tensor, x_star: torch.Tensor, v: torch.Tensor, solver: str = "solve",
                  tol: float = 1e-13, max_iter: int = 20000) -> tuple[torch.Tensor, dict]:
    """w = (I − Aᵀ)⁻¹v, A = ∂_xT(x*): "solve" (float64 linear solve per row) or "iterative" (w ← Aᵀw + v by VJPs)."""
    if solver == "solve":
        A = jacobian_x(op, theta, x_star)
        eye = torch.eye(A.shape[-1], dtype=A.dtype)
        w = torch.linalg.solve(eye - A.transpose(-1, -2), v.unsqueeze(-1)).squeeze(-1)
        return w, {"solver": "solve"}
    if solver != "iterative":
        raise ValueError(f"unknown solver {solver!r}; allowed: solve, iterative")
    x = x_star.detach().requires_grad_(True)
    with torch.enable_grad():
        fx = op(x, theta.detach())
        w = v.clone()
        for k in range(max_iter):
            (atw,) = torch.autograd.grad(fx, x, grad_outputs=w, retain_graph=True)
            nxt = atw + v
            step = float((nxt - w).norm())
            w = nxt
            if not math.isfinite(step):
                return w, {"solver": "iterative", "iterations": k + 1, "converged": False}
            if step <= tol * max(1.0, float(w.norm())):
                return w, {"solver": "iterative", "iterations": k + 1, "converged": True}
    return w, {"solver": "iterative", "iterations": max_iter, "converged": False}


def deq_gradient(op, theta: torch.Tensor, x_star: torch.Tensor, loss_fn, solver: str = "solve", **kw) -> Hypergradient:
    """Exact DEQ hypergradient g = Bᵀ(I − Aᵀ)⁻¹v at the given equilibrium [torchdeq `ift=True`]."""
    started = time.perf_counter()
    v = loss_gradient(loss_fn, x_star)
    w, info = adjoint_solve(op, theta, x_star, v, solver=solver, **kw)
    g = _vjp_theta(op, theta, x_star, w)
    with torch.no_grad():
        loss = float(loss_fn(x_star))
    return Hypergradient("ift", g, x_star.detach(), loss, 0.0, time.perf_counter() - started, info)


def k_step_gradient(op, theta: torch.Tensor, x_start: torch.Tensor, loss_fn, K: int, mode: str = "grad=K"
                    ) -> Hypergradient:
    """AD through K layers from the detached x_start: g = J_K(x_start)ᵀ∇ℓ(Φ_K(x_start)).

    From x* this is JFB (K = 1, torchdeq `grad=1`) or the truncated Neumann series (`grad=K`); from any other x₀ it
    is truncated unrolled AD.
    """
    if K < 1:
        raise ValueError(f"K must be >= 1, got {K}")
    started = time.perf_counter()
    theta_req = theta.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        x = x_start.detach()
        for _ in range(K):
            x = op(x, theta_req)
        loss = loss_fn(x)
        (g,) = torch.autograd.grad(loss, theta_req)
    return Hypergradient(mode, g, x.detach(), float(loss.detach()), 0.0, time.perf_counter() - started, {"K": K})


def jfb_gradient(op, theta, x_star, loss_fn) -> Hypergradient:
    """JFB [torchdeq `grad=1`]: g = ∂_θT(x*)ᵀ∇ℓ(T(x*))."""
    return k_step_gradient(op, theta, x_star, loss_fn, 1, mode="jfb")


def unrolled_gradient(op, theta, x0, loss_fn, K: int) -> Hypergradient:
    """Truncated unrolled AD: K tracked layers from x₀ (no equilibrium), g = J_Kᵀ∇ℓ(x_K) (JFB-4)."""
    return k_step_gradient(op, theta, x0, loss_fn, K, mode="unrolled")


def restart(op, theta: torch.Tensor, x_init: torch.Tensor, K: int, T_blocks: int) -> torch.Tensor:
    """x̂ = Φ_K^T(x_init): T blocks of K layers under no_grad (the restart phase of the authors' code)."""
    x = x_init.detach()
    with torch.no_grad():
        for _ in range(T_blocks * K):
            x = op(x, theta.detach())
    return x


def restarted_gradient(op, theta, x_init, loss_fn, K: int, T_blocks: int) -> Hypergradient:
    """Restarted JFB (JFB-5): T no-grad blocks of K layers from x_init, then K tracked layers from the detached
    output; g_R = J_K(x̂)ᵀ∇ℓ(Φ_K(x̂)) (JFB-5)."""
    started = time.perf_counter()
    x_hat = restart(op, theta, x_init, K, T_blocks)
    forward = time.perf_counter() - started
    result = k_step_gradient(op, theta, x_hat, loss_fn, K, mode="restarted")
    result.forward_seconds = forward
    result.details.update({"T_blocks": T_blocks, "x_hat": x_hat})
    return result


def hypergradient(mode: str, op, theta: torch.Tensor, loss_fn, x_init: torch.Tensor, *, K: int = 1,
                  T_blocks: int = 0, x_star: torch.Tensor | None = None, solver: str = "solve",
                  tol: float = 1e-13, max_iter: int = 20000) -> Hypergradient:
    """Any mode of `MODES` with its forward pass included in the timing: "ift", "jfb" and "grad=K" solve for x* from
    x_init unless `x_star` is given; "unrolled" starts at x_init; "restarted" restarts from x_init."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; allowed: {', '.join(MODES)}")
    if mode == "unrolled":
        return unrolled_gradient(op, theta, x_init, loss_fn, K)
    if mode == "restarted":
        return restarted_gradient(op, theta, x_init, loss_fn, K, T_blocks)
    started = time.perf_counter()
    info = {}
    if x_star is None:
        fp = equilibrium(op, theta, x_init, tol=tol, max_iter=max_iter)
        x_star = fp.x
        info = {"forward_iterations": fp.iterations, "forward_converged": fp.converged, "diverged": fp.diverged}
    forward = time.perf_counter() - started
    if mode == "ift":
        result = deq_gradient(op, theta, x_star, loss_fn, solver=solver, tol=tol, max_iter=max_iter)
    elif mode == "jfb":
        result = jfb_gradient(op, theta, x_star, loss_fn)
    else:
        result = k_step_gradient(op, theta, x_star, loss_fn, K)
    result.forward_seconds = forward
    result.details.update(info)
    return result


# ------------------------------------------------------------------------------------------------ Jacobians (small)


def implicit_jacobian(op, theta: torch.Tensor, x_star: torch.Tensor) -> torch.Tensor:
    """J* = (I − A)⁻¹B of the stacked system, (b·n, p), by a float64 solve per row."""
    A = jacobian_x(op, theta, x_star)
    B = jacobian_theta(op, theta, x_star).reshape(A.shape[0], A.shape[1], -1)
    eye = torch.eye(A.shape[-1], dtype=A.dtype)
    return torch.linalg.solve(eye - A, B).reshape(-1, B.shape[-1])


def unrolled_jacobian(op, theta: torch.Tensor, x_start: torch.Tensor, K: int) -> torch.Tensor:
    """J_K = d/dθ Φ_K(x_start, θ) with x_start held fixed (detached), (b·n, p)."""
    x_start = x_start.detach()

    def block(t):
        x = x_start
        for _ in range(K):
            x = op(x, t)
        return x

    jac = torch.autograd.functional.jacobian(block, theta.detach(), vectorize=True)
    return jac.reshape(-1, theta.numel())


def partial_theta_norm(op, theta: torch.Tensor, x: torch.Tensor, K: int = 1) -> float:
    """‖∂_θΦ_K(x)‖₂ (the ‖B‖ of JFB-1 for Φ = T^K; K = 1 is one layer), from the dense (b·n × p) Jacobian."""
    return spectral_norm(unrolled_jacobian(op, theta, x, K))


def neumann_jacobian(op, theta: torch.Tensor, x_star: torch.Tensor, K: int) -> torch.Tensor:
    """Σ_{j<K} AʲB at x* (the truncated Neumann series, built from the explicit Jacobians; JFB-E6)."""
    A = jacobian_x(op, theta, x_star)
    B = jacobian_theta(op, theta, x_star).reshape(A.shape[0], A.shape[1], -1)
    total, term = torch.zeros_like(B), B
    for _ in range(K):
        total = total + term
        term = A @ term
    return total.reshape(-1, B.shape[-1])


@dataclass
class EquilibriumCase:
    """What the bounds of JFB-1 … JFB-5 need at the equilibrium of one layer (stacked over the batch).

    x* (b, n) Newton-polished, A = ∂_xT(x*) (b, n, n), B = ∂_θT(x*) (bn, p), v = ∇ℓ(x*), J* = (I − A)⁻¹B (bn, p),
    g_DEQ = J*ᵀv, and the DEQ timing.
    """

    op: object
    theta: torch.Tensor
    x_init: torch.Tensor
    loss_fn: Callable
    x_star: torch.Tensor
    A: torch.Tensor
    B: torch.Tensor
    v: torch.Tensor
    J_star: torch.Tensor
    g_deq: torch.Tensor
    converged: bool
    diverged: bool
    forward_iterations: int

    @property
    def rho_local(self) -> float:
        """‖∂_xT(x*)‖₂ of the stacked system (the smallest ρ JFB-1 accepts at this equilibrium)."""
        from ipverify.numerics.fixed_point import stacked_norm_x

        return stacked_norm_x(self.A)

    @property
    def B_norm(self) -> float:
        return spectral_norm(self.B)

    @property
    def v_norm(self) -> float:
        return float(self.v.norm())

    @property
    def g_norm(self) -> float:
        return float(self.g_deq.norm())

    @property
    def e_init(self) -> float:
        return float((self.x_init - self.x_star).norm())

    def gap(self, g: torch.Tensor) -> float:
        """‖g − g_DEQ‖."""
        return float((g - self.g_deq).norm())


def equilibrium_case(op, theta: torch.Tensor, x_init: torch.Tensor, loss_fn, tol: float = 1e-13,
                     max_iter: int = 20000) -> EquilibriumCase:
    """Solve for x* (Picard, then Newton polish), and measure A, B, v, J* and g_DEQ = J*ᵀv (float64 solve)."""
    fp = equilibrium(op, theta, x_init, tol=tol, max_iter=max_iter, polish=True)
    nan = torch.full((1,), math.nan, dtype=DTYPE)
    if fp.diverged or not fp.converged:
        return EquilibriumCase(op, theta, x_init, loss_fn, fp.x, nan, nan, nan, nan, nan, fp.converged, fp.diverged,
                               fp.iterations)
    x_star = fp.x
    A = jacobian_x(op, theta, x_star)
    B = jacobian_theta(op, theta, x_star)
    v = loss_gradient(loss_fn, x_star)
    eye = torch.eye(A.shape[-1], dtype=A.dtype)
    J_star = torch.linalg.solve(eye - A, B.reshape(A.shape[0], A.shape[1], -1)).reshape(B.shape)
    g_deq = J_star.T @ v.reshape(-1)
    return EquilibriumCase(op, theta.detach(), x_init.detach(), loss_fn, x_star, A, B, v, J_star, g_deq, True, False,
                           fp.iterations)


# ------------------------------------------------------------------------------------------------- bilevel learning


@dataclass
class BilevelProblem:
    """Training and validation sets of an inverse problem and a factory op(y) → layer sharing θ.

    `loss` is the outer loss ℓ(x, x̄) (default MSE, as the code); the validation loss is ℓ at the equilibrium x*(θ).
    """

    name: str
    make_operator: Callable[[torch.Tensor], object]
    y_train: torch.Tensor
    x_train: torch.Tensor
    y_val: torch.Tensor
    x_val: torch.Tensor
    theta0: torch.Tensor
    names: list[str]
    loss: Callable = mean_squared_error

    def train_operator(self):
        return self.make_operator(self.y_train)

    def val_operator(self):
        return self.make_operator(self.y_val)


@dataclass
class BilevelRun:
    """An outer run: θ after each step (steps + 1, p), training losses, validation loss at equilibrium, times."""

    mode: str
    K: int
    T_blocks: int
    thetas: torch.Tensor
    train_loss: torch.Tensor
    val_loss: float
    scheme_val_loss: float
    seconds_per_step: float
    diverged: bool
    grad_errors: torch.Tensor | None = None
    deq_grad_norms: torch.Tensor | None = None

    @property
    def theta(self) -> torch.Tensor:
        return self.thetas[-1]


def validation_loss(problem: BilevelProblem, theta: torch.Tensor, tol: float = 1e-12,
                    max_iter: int = 5000) -> float:
    """ℓ(x*(θ), x̄) on the validation set, x* by the fixed-point solver from x_init (NaN if it diverges or does not
    converge within `max_iter`: then θ has no usable equilibrium, e.g. τ ≥ 2/L)."""
    op = problem.val_operator()
    fp = equilibrium(op, theta, op.x_init(), tol=tol, max_iter=max_iter)
    if fp.diverged or not fp.converged:
        return math.nan
    with torch.no_grad():
        return float(problem.loss(problem.x_val)(fp.x))


def scheme_validation_loss(problem: BilevelProblem, theta: torch.Tensor, K: int, T_blocks: int) -> float:
    """ℓ(Φ_K^{T+1}(x_init), x̄) on the validation set: the restarted scheme's own output (what the code evaluates)."""
    op = problem.val_operator()
    x = restart(op, theta, op.x_init(), K, T_blocks + 1)
    return float(problem.loss(problem.x_val)(x)) if bool(torch.isfinite(x).all()) else math.nan


def bilevel_learn(problem: BilevelProblem, mode: str, *, K: int = 10, T_blocks: int = 0, steps: int = 30,
                  lr: float = 5e-2, optimizer: str = "adam", theta0: torch.Tensor | None = None,
                  track_deq_error: bool = False, solver: str = "solve", tol: float = 1e-12,
                  max_iter: int = 20000) -> BilevelRun:
    """Learn θ by `steps` outer iterations with hypergradients of `mode`, restarting from x_init at every step
    (as the code does). `optimizer`: "adam" (the code's choice) or "gd" (θ ← θ − lr·g, the setting of JFB-6).

    `track_deq_error` also computes the DEQ gradient at every iterate and records ‖g − g_DEQ‖ and ‖g_DEQ‖ = ‖∇𝓛‖
    (diagnostic, not timed). A non-finite loss or gradient stops the run with diverged=True.
    """
    op = problem.train_operator()
    x_init = op.x_init()
    loss_fn = problem.loss(problem.x_train)
    theta = (problem.theta0 if theta0 is None else theta0).detach().clone().to(DTYPE).requires_grad_(True)
    if optimizer == "adam":
        opt = torch.optim.Adam([theta], lr=lr)
    elif optimizer == "gd":
        opt = torch.optim.SGD([theta], lr=lr)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}; allowed: adam, gd")
    thetas, losses, errors, norms, seconds = [theta.detach().clone()], [], [], [], 0.0
    diverged = False
    for _ in range(steps):
        hg = hypergradient(mode, op, theta.detach(), loss_fn, x_init, K=K, T_blocks=T_blocks, solver=solver,
                           tol=tol, max_iter=max_iter)
        seconds += hg.seconds
        if not (math.isfinite(hg.loss) and bool(torch.isfinite(hg.grad).all())) or hg.details.get("diverged"):
            diverged = True
            break
        if track_deq_error:
            exact = hg if mode == "ift" else hypergradient("ift", op, theta.detach(), loss_fn, x_init, solver=solver,
                                                           tol=tol, max_iter=max_iter)
            errors.append(float((hg.grad - exact.grad).norm()))
            norms.append(float(exact.grad.norm()))
        opt.zero_grad()
        theta.grad = hg.grad.clone()
        opt.step()
        thetas.append(theta.detach().clone())
        losses.append(hg.loss)
    final = thetas[-1]
    val = math.nan if diverged else validation_loss(problem, final, tol=tol)
    scheme = math.nan if diverged else scheme_validation_loss(problem, final, K, T_blocks)
    return BilevelRun(mode, K, T_blocks, torch.stack(thetas), torch.tensor(losses, dtype=DTYPE), val, scheme,
                      seconds / max(len(losses), 1), diverged or not math.isfinite(val),
                      torch.tensor(errors, dtype=DTYPE) if track_deq_error else None,
                      torch.tensor(norms, dtype=DTYPE) if track_deq_error else None)


def outer_smoothness_estimate(problem: BilevelProblem, thetas: list[torch.Tensor], h: float = 1e-4) -> float:
    """max over `thetas` of ‖∇²𝓛(θ)‖₂, the Hessian by central differences of exact DEQ gradients (adjoint fixed
    point): an ESTIMATE of the outer smoothness L_𝓛 on the region the points cover, not a certificate."""
    op = problem.train_operator()
    loss_fn, x_init = problem.loss(problem.x_train), op.x_init()
    best = 0.0
    for theta in thetas:
        columns = []
        for i in range(theta.numel()):
            e = torch.zeros_like(theta)
            e[i] = h
            up = hypergradient("ift", op, theta + e, loss_fn, x_init, solver="iterative").grad
            down = hypergradient("ift", op, theta - e, loss_fn, x_init, solver="iterative").grad
            columns.append((up - down) / (2 * h))
        hessian = torch.stack(columns, dim=1)
        best = max(best, spectral_norm((hessian + hessian.T) / 2))
    return best


def denoising_problem(n: int = 32, train: int = 16, val: int = 16, noise: float = 0.1, seed: int = 0,
                      prior: str = "l1", tau: float = 1.5, lam: float = 0.05, density: float = 0.15,
                      support_fraction: float = 1.0, weight_groups: int | None = None) -> BilevelProblem:
    """Sparse spike denoising (A = I): FB contraction ρ = |1 − τ| (JFB-7). With `support_fraction` < 1 spikes appear
    only on the first coordinates, so weights (prior="weighted_l1": one per coordinate, or one per block of
    n/`weight_groups` coordinates) have something to learn."""
    return _problem("denoising", torch.eye(n, dtype=DTYPE), n, train, val, noise, seed, prior, tau, lam, density,
                    support_fraction, weight_groups)


def deblurring_problem(n: int = 32, train: int = 16, val: int = 16, noise: float = 0.05, seed: int = 0,
                       blur_sigma: float = 0.6, prior: str = "l1", tau: float = 1.5, lam: float = 0.02,
                       density: float = 0.15, support_fraction: float = 1.0,
                       weight_groups: int | None = None) -> BilevelProblem:
    """Sparse spike 1-D deblurring with a circular Gaussian blur (σ = `blur_sigma`, injective for σ ≲ 1 at n = 32)."""
    from ipverify.numerics.operators import blur_1d

    matrix = blur_1d(n, blur_sigma).matrix.to(DTYPE)
    return _problem("deblurring", matrix, n, train, val, noise, seed, prior, tau, lam, density, support_fraction,
                    weight_groups)


def _problem(name, matrix, n, train, val, noise, seed, prior, tau, lam, density, support_fraction,
             weight_groups) -> BilevelProblem:
    from ipverify.numerics.fixed_point import ForwardBackward, make_prior, observe, sparse_signals

    gen = torch.Generator().manual_seed(seed)
    support = torch.arange(n) < max(1, round(support_fraction * n))
    x_train = sparse_signals(train, n, gen, density=density, support=support)
    x_val = sparse_signals(val, n, gen, density=density, support=support)
    y_train, y_val = observe(matrix, x_train, noise, gen), observe(matrix, x_val, noise, gen)
    groups = None if weight_groups is None else torch.arange(n) * weight_groups // n
    prior_obj = make_prior(prior, n, groups=groups) if prior == "weighted_l1" else make_prior(prior, n)

    def make(y):
        return ForwardBackward(matrix, y, prior_obj, tau=tau, lam=lam)

    theta0 = make(y_train).theta0
    return BilevelProblem(name, make, y_train, x_train, y_val, x_val, theta0, ForwardBackward.names_of(prior_obj))
