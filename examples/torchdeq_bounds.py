"""Our JFB/DEQ gradient-gap bounds (JFB-1, JFB-2) for a torchdeq DEQ z = T(z; θ) = tanh(Wz + θ + Ux).

torchdeq's ``grad=K`` backpropagates through K applications of T at the (detached) fixed point: the K-step
truncated Neumann series of the implicit gradient, whose gap to the exact DEQ gradient (``ift=True``) JFB-2 bounds by
‖B_T‖ρ₀ᴷ‖v‖/(1 − ρ₀), with ρ₀ a LIPSCHITZ constant of T in z. Here ρ₀ = ‖W‖₂ (exact SVD; |tanh′| ≤ 1), ‖B_T‖ =
‖∂_θT(z*)‖ = max_i (1 − tanh²)_i and ‖v‖ = ‖∇ℓ(z*)‖ for ℓ(z) = ½‖z − target‖².

torchdeq's ``sradius`` (power iteration on ∂_zT at z*) is a spectral radius: it can be far below ‖∂_zT‖₂ for a
non-normal W, and is NOT a valid ρ. The example prints the bound at both and the observed gap. It also flags when
torchdeq's default forward tolerances (f_tol = 1e-3, 40 iterations) leave the forward error above the bound asked
for: the bounds hold at the equilibrium, and ‖z − z*‖ ≤ ‖z − T(z)‖/(1 − ρ₀) for a ρ₀-contraction.

    python examples/torchdeq_bounds.py [--n 6] [--K 3] [--coupling 0.85] [--seed 0] [--target 1e-9]
"""

from __future__ import annotations

import argparse

import torch

DTYPE = torch.float64
TORCHDEQ_DEFAULTS = {"f_tol": 1e-3, "f_max_iter": 40}


def layer(n: int, coupling: float, seed: int):
    """T(z; θ) = tanh(Wz + θ + Ux), W = 0.05·I + coupling·(shift): spectral radius 0.05, norm ≈ 0.05 + coupling."""
    gen = torch.Generator().manual_seed(seed)
    W = 0.05 * torch.eye(n, dtype=DTYPE) + coupling * torch.diag(torch.ones(n - 1, dtype=DTYPE), 1)
    Ux = 0.3 * torch.randn(1, n, generator=gen, dtype=DTYPE)
    theta = 0.1 * torch.randn(1, n, generator=gen, dtype=DTYPE)
    target = torch.randn(1, n, generator=gen, dtype=DTYPE)
    return W, Ux, theta, target


def deq_gradient(W, Ux, theta, target, **options):
    """(dℓ/dθ, z, info) through torchdeq with ``options`` passed to ``get_deq``."""
    from torchdeq import get_deq

    deq = get_deq(f_solver="fixed_point_iter", **options)
    theta_req = theta.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        z, info = deq(lambda z: torch.tanh(z @ W.T + theta_req + Ux), torch.zeros_like(theta))
        loss = 0.5 * (z[-1] - target).square().sum()
        (grad,) = torch.autograd.grad(loss, theta_req)
    return grad, z[-1].detach(), info


def torchdeq_sradius(W, Ux, theta) -> float:
    from torchdeq import get_deq

    deq = get_deq(f_solver="fixed_point_iter", f_max_iter=500, f_tol=1e-14)
    deq.eval()
    with torch.enable_grad():
        _, info = deq(lambda z: torch.tanh(z @ W.T + theta + Ux), torch.zeros_like(theta), sradius_mode=True)
    return float(info["sradius"].reshape(-1)[0])


def evaluate(result_id: str, **values):
    """The BoundReport of `ipverify bound` at these values (floats passed as repr, exactly)."""
    from ipverify.verify.cli import evaluate_bound

    return evaluate_bound(result_id, [f"{k}={float(v)!r}" for k, v in values.items()])


def main(argv=None) -> dict:
    args = _parser().parse_args(argv)
    W, Ux, theta, target = layer(args.n, args.coupling, args.seed)
    rho_0 = float(torch.linalg.matrix_norm(W, ord=2))
    exact, z_star, _ = deq_gradient(W, Ux, theta, target, ift=True, f_max_iter=2000, f_tol=1e-14, b_max_iter=2000,
                                    b_tol=1e-14)
    jfb, _, _ = deq_gradient(W, Ux, theta, target, grad=args.K, f_max_iter=2000, f_tol=1e-14)
    gap = float((jfb - exact).norm())
    B_T = float((1 - torch.tanh(z_star @ W.T + theta + Ux).square()).max())
    v = float((z_star - target).norm())
    sradius = torchdeq_sradius(W, Ux, theta)
    at_norm = evaluate("JFB-2", rho_0=rho_0, K_layers=args.K, B_T_norm=B_T, v_norm=v)
    bound = float(at_norm.evaluation.conclusions["gradient_gap_bound"])
    at_radius = evaluate("JFB-2", rho_0=sradius, K_layers=args.K, B_T_norm=B_T, v_norm=v)
    bound_radius = float(at_radius.evaluation.conclusions["gradient_gap_bound"])
    print(f"DEQ z = tanh(Wz + θ + Ux), n = {args.n}; torchdeq grad={args.K} (K-step JFB) vs ift=True")
    print(f"  ρ₀ = ‖W‖₂ = {rho_0:.6g} (exact SVD, |tanh′| ≤ 1): a valid Lipschitz constant")
    print(f"  JFB-2 at ρ₀: {at_norm.verdict()}; gradient gap bound {bound:.4g}, observed gap {gap:.4g} "
          f"(looseness {bound / gap:.3g})" if gap > 0 else f"  JFB-2 bound {bound:.4g}, observed gap 0")
    print(f"  WARNING: torchdeq's sradius = {sradius:.4g} is a spectral radius, NOT a valid ρ (it is below "
          f"‖∂_zT‖₂ ≤ {rho_0:.4g}).")
    exceeded = gap > bound_radius
    print(f"    the bound at ρ = sradius would be {bound_radius:.4g}: the observed gap {gap:.4g} "
          f"{'EXCEEDS it' if exceeded else 'happens to stay below it'}")
    _, z_default, _ = deq_gradient(W, Ux, theta, target, grad=args.K, **TORCHDEQ_DEFAULTS)
    fixed_point_residual = float((z_default - torch.tanh(z_default @ W.T + theta + Ux)).norm())
    forward_error = fixed_point_residual / (1 - rho_0)
    asked = bound if args.target is None else args.target
    too_loose = forward_error > asked
    print(f"  torchdeq defaults (f_tol = {TORCHDEQ_DEFAULTS['f_tol']:g}, {TORCHDEQ_DEFAULTS['f_max_iter']} "
          f"iterations): ‖z − z*‖ ≤ ‖z − T(z)‖/(1 − ρ₀) = {forward_error:.3g}")
    if too_loose:
        print(f"  FLAG: the default tolerances are too loose for the bound asked for ({asked:.3g}): the forward "
              f"error bound {forward_error:.3g} exceeds it; tighten f_tol / f_max_iter")
    else:
        print(f"  the default tolerances suffice: forward error bound {forward_error:.3g} ≤ {asked:.3g}")
    return {"rho_0": rho_0, "sradius": sradius, "gap": gap, "bound": bound, "bound_at_sradius": bound_radius,
            "sradius_exceeded": exceeded, "forward_error": forward_error, "asked": asked,
            "defaults_too_loose": too_loose, "verdict": at_norm.verdict()}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=6)
    p.add_argument("--K", type=int, default=3)
    p.add_argument("--coupling", type=float, default=0.85)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target", type=float, default=None, help="gradient accuracy asked for (default: the JFB-2 bound)")
    return p


if __name__ == "__main__":
    main()
