"""A claim pairs a catalogue result with an experiment and returns one `CheckResult`.

Verdicts are decided per network and then aggregated (see `aggregate`):
- a network whose hypotheses are certified must stay inside every bound ("holds"), else "violated";
  if it produced NaN/inf it is "diverged", which never counts as holding;
- a network whose hypotheses are not certified is recorded as "hypothesis fails".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from numerics.tolerance import below, worst_ratio
from verify.result import CheckResult, versions


@dataclass(frozen=True)
class Context:
    """How a claim is run: profile (quick | full), base seed, device, dtype, and where figures go (None: nowhere)."""

    profile: str = "quick"
    seed: int = 0
    device: str = "cpu"
    dtype: torch.dtype = torch.float64
    out: Path | None = None


@dataclass(frozen=True)
class Claim:
    id: str
    result_id: str
    title: str
    kind: str  # "property", "negative control", "symbolic", "measurement"
    run: Callable[[Context], CheckResult]


@dataclass
class Comparison:
    """One measured quantity against its bound, over b networks and T records."""

    name: str
    observed: torch.Tensor  # (b, T) or (b,)
    bound: torch.Tensor  # broadcastable to observed
    scale: object = 1.0  # size of the quantity at the start (tolerance floor, see numerics.tolerance)
    lower: bool = False  # True: observed must stay ABOVE the bound
    valid: torch.Tensor | None = None  # (b, T) records to judge (None: all); see numerics.tolerance.resolved

    def _valid(self) -> torch.Tensor:
        obs = _as_2d(self.observed)
        return torch.ones_like(obs, dtype=torch.bool) if self.valid is None else self.valid.expand_as(obs)

    def holds(self, dtype) -> torch.Tensor:
        """(b,) whether every record of each network is within the bound."""
        obs, bnd = _as_2d(self.observed), _as_2d(self.bound).expand_as(_as_2d(self.observed))
        scale = torch.as_tensor(self.scale, dtype=torch.float64)
        scale = scale[:, None] if scale.dim() == 1 else scale
        if self.lower:
            ok = below(bnd, obs, dtype, scale)
        else:
            ok = below(obs, bnd, dtype, scale)
        return (ok | torch.isnan(bnd) | ~self._valid()).all(dim=1)

    def ratio(self, mask: torch.Tensor, dtype) -> float:
        return self.worst(mask, dtype)[0]

    def worst(self, mask: torch.Tensor, dtype) -> tuple[float, float | None, float | None]:
        """Worst observed/bound (bound/observed for a lower bound) over the networks in `mask`.

        The first record is left out of the ratio (not of the check): at τ = 0 several bounds are equalities,
        and the ratio would then say nothing about the trajectory. Records outside `valid` are left out too.
        """
        if not bool(mask.any()):
            return float("nan"), None, None
        obs = _as_2d(self.observed)[mask]
        bnd = _as_2d(self.bound).expand_as(_as_2d(self.observed))[mask]
        valid = self._valid()[mask]
        scale = torch.as_tensor(self.scale, dtype=torch.float64)
        scale = (scale[mask][:, None] if scale.dim() == 1 else scale).expand_as(obs)
        if obs.shape[1] > 1:
            obs, bnd, valid, scale = obs[:, 1:], bnd[:, 1:], valid[:, 1:], scale[:, 1:]
        obs, bnd, scale = obs[valid], bnd[valid], scale[valid]
        num, den = (bnd, obs) if self.lower else (obs, bnd)
        ratio = worst_ratio(num, den, dtype, scale)
        hit = (num / den == ratio).nonzero()
        if not len(hit):
            return ratio, None, None
        return ratio, float(obs[hit[0, 0]]), float(bnd[hit[0, 0]])


def _as_2d(x) -> torch.Tensor:
    x = torch.as_tensor(x, dtype=torch.float64)
    return x.reshape(1, 1) if x.dim() == 0 else x[:, None] if x.dim() == 1 else x


@dataclass
class Judgement:
    """Everything `aggregate` needs from an experiment."""

    claim: str
    result_id: str
    hypotheses_hold: torch.Tensor  # (b,) bool
    comparisons: list[Comparison]
    diverged: torch.Tensor  # (b,) bool
    binding: str | None = None
    margin: float | None = None
    hypotheses: list = field(default_factory=list)
    details: dict = field(default_factory=dict)


def aggregate(j: Judgement, ctx: Context, started: float, replay: str, seed: int) -> CheckResult:
    """Per-network verdicts → one CheckResult, with the worst observed/bound ratio among certified networks."""
    hyp = j.hypotheses_hold.bool()
    inside = torch.stack([c.holds(ctx.dtype) for c in j.comparisons]).all(dim=0) if j.comparisons else hyp
    diverged = j.diverged.bool()
    violated = hyp & ~diverged & ~inside
    if bool((hyp & diverged).any()):
        verdict = "diverged"
    elif bool(violated.any()):
        verdict = "violated"
    elif bool(hyp.any()):
        verdict = "holds"
    else:
        verdict = "hypothesis fails"
    worst_of = {c.name: c.worst(hyp, ctx.dtype) for c in j.comparisons}
    per_check = {name: w[0] for name, w in worst_of.items()}
    worst = max(per_check, key=lambda k: per_check[k] if per_check[k] == per_check[k] else -1.0, default=None)
    details = {"per_check_worst_ratio": per_check, "networks": int(hyp.numel()),
               "certified_networks": int(hyp.sum()), "violated_networks": int(violated.sum()),
               "diverged_networks": int(diverged.sum()), **j.details}
    _, observed, bound = worst_of[worst] if worst else (None, None, None)
    if worst:
        details["worst_check"] = worst
    return CheckResult(claim=j.claim, result_id=j.result_id, verdict=verdict,
                       ratio=per_check.get(worst) if worst else None, observed=observed, bound=bound,
                       binding=j.binding, margin=j.margin, hypotheses=j.hypotheses, instances=int(hyp.numel()),
                       seed=seed, device=str(ctx.device), dtype=str(ctx.dtype).replace("torch.", ""),
                       wall_time=time.perf_counter() - started, details=details, replay=replay, versions=versions())


def replay_command(claim_id: str, ctx: Context) -> str:
    return f"ipverify verify --only {claim_id} --profile {ctx.profile} --seed {ctx.seed} --device {ctx.device}"
