"""The claim kit: everything a claim module needs to pair a catalogue result with an experiment.

A `Claim` names a result and an experiment, `check(ctx) -> Outcome`; the runner completes the outcome into the
record (`verify.runner.record`: seed, device, dtype, wall time, replay command, versions), so a claim states only
what it found. The experiment's measurements go into `Comparison`s (one measured quantity against its bound, per
network and record) gathered in a `Judgement`, which `aggregate` turns into an outcome; `evaluate` runs a result's
checker per network, `concatenate` stacks the runs of one claim, `negative_control` decides a control.

Verdicts are decided per network and then aggregated (see `aggregate`):
- a network that produced NaN/inf is "diverged", certified or not: divergence is never a pass (a negative control
  that must diverge reports "reacted" through its own path, `negative_control`);
- a network whose hypotheses are certified must stay inside every bound ("holds"), else "violated";
- a certified network with a NaN/inf bound on a judged record gives "error": an undefined bound is never satisfied.
  Records are left out of judgement only explicitly: `Comparison(valid=mask, masked_reason="…")`;
- a network whose hypotheses are not certified is recorded as "hypothesis fails".
The claim's verdict is the first that applies: diverged (a certified network), violated, diverged (any network),
error, holds (some network certified), hypothesis fails.

Each comparison reports its worst observed/bound ratio with where it occurs (network, record, time). A rate
comparison (`rate_time` given: the bound is C·e^{−c·t} or C·q^τ) also reports its looseness, the fitted measured
rate over the guaranteed one, and its headline ratio leaves out the initial transient, the records before the bound
has fallen by a factor e (t < 1/c), where every rate bound is nearly an equality.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ipverify.numerics.checkers import per_network as evaluate
from ipverify.numerics.inertial import fitted_rate
from ipverify.numerics.tolerance import below, worst_ratio
from ipverify.verify.result import CheckResult, ClaimKind, Outcome, Verdict


@dataclass(frozen=True)
class Context:
    """How a claim is run: profile (quick | full), base seed, device, dtype, and where figures go (None: nowhere)."""

    profile: str = "quick"
    seed: int = 0
    device: str = "cpu"
    dtype: torch.dtype = torch.float64
    out: Path | None = None

    @property
    def quick(self) -> bool:
        return self.profile == "quick"


@dataclass(frozen=True)
class Claim:
    """A catalogue result paired with an experiment. `kind`: a `ClaimKind` (or its value: "property", "negative
    control", "symbolic", "measurement", "experiment", "search"); `device`: where the experiment runs when that is
    not the context's device (a cross-check against a CPU-only library runs on "cpu"); a symbolic claim runs on
    "cpu" in SymPy."""

    id: str
    result_id: str
    title: str
    kind: ClaimKind
    check: Callable[[Context], Outcome | CheckResult]
    device: str | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", ClaimKind(self.kind))
        except ValueError:
            raise ValueError(f"claim {self.id}: unknown kind {self.kind!r}; one of "
                             f"{', '.join(k.value for k in ClaimKind)}") from None

    def run(self, ctx: Context) -> CheckResult:
        """The claim's record, as the runner writes it (`verify.runner.execute`); an exception propagates."""
        from ipverify.verify.runner import execute

        return execute(self, ctx)


@dataclass
class Comparison:
    """One measured quantity against its bound, over b networks and T records.

    `valid` (b, T) selects the records to judge, and `masked_reason` says why the others are not (for instance
    "residual at the floating-point floor", "before t*"); a NaN/inf bound on a judged record is an error.
    `rate_time` (T,) or (b, T) declares a rate bound, C·e^{−c·t} or C·q^τ in that time (see the module docstring),
    or floor + C·e^{−c·t} with `rate_floor` (b,) or a scalar: rates and ratios are then those of the excess over
    the floor, the part of the bound that decays.
    """

    name: str
    observed: torch.Tensor  # (b, T) or (b,)
    bound: torch.Tensor  # broadcastable to observed
    scale: object = 1.0  # size of the quantity at the start (tolerance floor, see numerics.tolerance)
    lower: bool = False  # True: observed must stay ABOVE the bound
    valid: torch.Tensor | None = None  # (b, T) records to judge (None: all); see numerics.tolerance.resolved
    masked_reason: str | None = None
    rate_time: torch.Tensor | None = None
    rate_floor: object = 0.0

    def _valid(self) -> torch.Tensor:
        obs = _as_2d(self.observed)
        return torch.ones_like(obs, dtype=torch.bool) if self.valid is None else self.valid.expand_as(obs)

    def _sides(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(observed, bound, scale), each (b, T) float64."""
        obs = _as_2d(self.observed)
        scale = torch.as_tensor(self.scale, dtype=torch.float64)
        scale = scale[:, None] if scale.dim() == 1 else scale
        return obs, _as_2d(self.bound).expand_as(obs), scale.expand_as(obs)

    def undefined(self) -> torch.Tensor:
        """(b,) whether some judged record has a NaN/inf bound."""
        _, bnd, _ = self._sides()
        return (~torch.isfinite(bnd) & self._valid()).any(dim=1)

    def outside(self, dtype) -> torch.Tensor:
        """(b,) whether some judged record with a finite bound is outside it (a non-finite observation is)."""
        obs, bnd, scale = self._sides()
        ok = below(bnd, obs, dtype, scale) if self.lower else below(obs, bnd, dtype, scale)
        return (~ok & torch.isfinite(bnd) & self._valid()).any(dim=1)

    def holds(self, dtype) -> torch.Tensor:
        """(b,) whether every judged record of each network is within a defined bound."""
        return ~self.outside(dtype) & ~self.undefined()

    def ratio(self, mask: torch.Tensor, dtype) -> float:
        """The worst observed/bound over every judged record after the first of the networks in `mask`, the
        transient of a rate bound included: how close a run came to leaving the bound (what a search pushes on)."""
        worst = self.worst(mask, dtype, rates=False)
        return worst.get("with_transient", worst)["ratio"]

    def worst(self, mask: torch.Tensor, dtype, rates: bool = True) -> dict:
        """Worst observed/bound (bound/observed for a lower bound) over the networks in `mask`, and where.

        The first record is left out of the ratio (not of the check): at τ = 0 several bounds are equalities, and
        the ratio would then say nothing about the trajectory. Records outside `valid` are left out too. Keys: ratio
        and where it is attained (observed, bound, network, record, time). For a rate comparison the ratio leaves
        out the initial transient (records before the bound has fallen to bound(0)/e; `transient_end` holds that
        time per network, None when it never does), `with_transient` holds the ratio over every record and where it
        is attained, and looseness, measured_rate, guaranteed_rate, looseness_network come from `looseness` (unless
        `rates` is False).
        """
        obs, bnd, scale = self._sides() if self.rate_time is None else self._excess()
        judged = self._valid() & mask[:, None]
        if obs.shape[1] > 1:
            judged[:, 0] = False
        num, den = (bnd, obs) if self.lower else (obs, bnd)
        everything = _located(num, den, judged, dtype, scale, self._time(), self.lower)
        if self.rate_time is None:
            return everything
        after, transient_end = self._after_transient(bnd)
        return {**_located(num, den, judged & after, dtype, scale, self._time(), self.lower),
                "transient_end": transient_end, "with_transient": everything,
                **(self.looseness(mask) if rates else {})}

    def _excess(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(observed − floor, bound − floor, scale) of a rate comparison, each (b, T)."""
        obs, bnd, scale = self._sides()
        floor = _as_2d(self.rate_floor).expand_as(obs)
        return obs - floor, bnd - floor, scale

    def _time(self) -> torch.Tensor | None:
        if self.rate_time is None:
            return None
        return torch.as_tensor(self.rate_time, dtype=torch.float64).expand_as(_as_2d(self.observed))

    def _after_transient(self, bnd: torch.Tensor) -> tuple[torch.Tensor, list]:
        """(b, T) records after the initial transient (the bound has fallen by a factor e from its first record)
        and, per network, the time the transient ends (None when the bound never falls that far)."""
        after = bnd <= bnd[:, :1] / math.e
        t = self._time()
        first = after.to(torch.int64).argmax(dim=1)
        ends = [float(t[i, first[i]]) if bool(after[i].any()) else None for i in range(after.shape[0])]
        return after, ends

    def looseness(self, mask: torch.Tensor) -> dict:
        """Rate comparison: per network the least-squares exponential rate of the observed records (judged,
        finite, > 0) against the guaranteed rate fitted on the bound over the same records; the looseness is
        their quotient (1: the guaranteed rate is attained; 4: the measured decay is 4 times faster), reported
        for the network closest to its guarantee."""
        obs, bnd, _ = self._excess()
        judged = self._valid() & torch.isfinite(obs) & (obs > 0) & torch.isfinite(bnd) & (bnd > 0)
        measured = fitted_rate(self._time(), obs, valid=judged, upper=math.inf, lower=0.0, envelope=True)
        guaranteed = fitted_rate(self._time(), bnd, valid=judged, upper=math.inf, lower=0.0, envelope=False)
        quotient = measured / guaranteed
        usable = mask & torch.isfinite(quotient) & (guaranteed > 0)
        if not bool(usable.any()):
            return {"looseness": None, "measured_rate": None, "guaranteed_rate": None, "looseness_network": None}
        i = int(torch.where(usable, quotient, math.inf).argmin())
        return {"looseness": float(quotient[i]), "measured_rate": float(measured[i]),
                "guaranteed_rate": float(guaranteed[i]), "looseness_network": i}

    def masked(self) -> dict | None:
        """How many records are left out of judgement, and why (None when every record is judged)."""
        left_out = int((~self._valid()).sum())
        if not left_out:
            return None
        return {"records": left_out, "of": int(self._valid().numel()), "reason": self.masked_reason or "not stated"}

    @classmethod
    def concatenate(cls, parts: list[Comparison]) -> Comparison:
        """The networks of several comparisons of one quantity stacked; records are NaN-padded to the longest part,
        and padded records are not judged."""
        first = parts[0]
        sides = [p._sides() for p in parts]
        width = max(o.shape[1] for o, _, _ in sides)
        time = None if first.rate_time is None else torch.cat([_pad(p._time(), width, math.nan) for p in parts])
        floor = torch.cat([_as_2d(p.rate_floor).expand(o.shape[0], 1)
                           for p, (o, _, _) in zip(parts, sides, strict=True)])
        same = all(o.shape[1] == width for o, _, _ in sides)
        valid = None if same and all(p.valid is None for p in parts) else \
            torch.cat([_pad(p._valid(), width, False) for p in parts])
        return cls(first.name, torch.cat([_pad(o, width, math.nan) for o, _, _ in sides]),
                   torch.cat([_pad(b, width, math.nan) for _, b, _ in sides]),
                   scale=torch.cat([sc[:, 0] for _, _, sc in sides]), lower=first.lower, valid=valid,
                   masked_reason=first.masked_reason, rate_time=time, rate_floor=floor)


def _located(num, den, judged, dtype, scale, t, lower: bool) -> dict:
    """max num/den over the `judged` records (numerics.tolerance.worst_ratio) and where it is attained."""
    ratio = worst_ratio(num[judged], den[judged], dtype, scale[judged]) if bool(judged.any()) else math.nan
    out = {"ratio": ratio, "observed": None, "bound": None, "network": None, "record": None, "time": None}
    with torch.no_grad():
        hit = (judged & (num / den == ratio)).nonzero()
    if len(hit):
        i, k = int(hit[0, 0]), int(hit[0, 1])
        out.update(network=i, record=k, time=None if t is None else float(t[i, k]))
        obs, bnd = (den, num) if lower else (num, den)
        out["observed"], out["bound"] = float(obs[i, k]), float(bnd[i, k])
    return out


def _as_2d(x) -> torch.Tensor:
    x = torch.as_tensor(x, dtype=torch.float64)
    return x.reshape(1, 1) if x.dim() == 0 else x[:, None] if x.dim() == 1 else x


def _pad(x: torch.Tensor, width: int, value) -> torch.Tensor:
    """(b, T) → (b, width), the new records filled with `value`."""
    if x.shape[1] == width:
        return x
    return torch.cat([x, torch.full((x.shape[0], width - x.shape[1]), value, dtype=x.dtype, device=x.device)], dim=1)


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


def aggregate(j: Judgement, ctx: Context) -> Outcome:
    """Per-network verdicts → one Outcome, with the worst observed/bound ratio among certified networks
    (see the module docstring for the order of the verdicts)."""
    hyp, diverged = j.hypotheses_hold.bool(), j.diverged.bool()
    none = torch.zeros_like(hyp)
    outside = torch.stack([c.outside(ctx.dtype) for c in j.comparisons]).any(dim=0) if j.comparisons else none
    undefined = {c.name: hyp & ~diverged & c.undefined() for c in j.comparisons}
    violated = hyp & ~diverged & outside
    if bool((hyp & diverged).any()):
        verdict = Verdict.DIVERGED
    elif bool(violated.any()):
        verdict = Verdict.VIOLATED
    elif bool(diverged.any()):
        verdict = Verdict.DIVERGED
    elif any(bool(u.any()) for u in undefined.values()):
        verdict = Verdict.ERROR
    elif bool(hyp.any()):
        verdict = Verdict.HOLDS
    else:
        verdict = Verdict.HYPOTHESIS_FAILS
    worst_of = {c.name: c.worst(hyp, ctx.dtype) for c in j.comparisons}
    per_check = {name: _finite(w["ratio"]) for name, w in worst_of.items()}
    worst = max((k for k in per_check if per_check[k] is not None), key=per_check.get, default=None)
    details = {"per_check_worst_ratio": per_check, "per_check": {k: _readable(w) for k, w in worst_of.items()},
               "networks": int(hyp.numel()),
               "certified_networks": int(hyp.sum()), "violated_networks": int(violated.sum()),
               "diverged_networks": int(diverged.sum()),
               "diverged_uncertified_networks": int((diverged & ~hyp).sum()), **j.details}
    undefined_at = {name: u.nonzero().flatten().tolist() for name, u in undefined.items() if bool(u.any())}
    if undefined_at:
        details["undefined_bound_networks"] = undefined_at
    masked = {c.name: m for c in j.comparisons if (m := c.masked())}
    if masked:
        details["masked_records"] = masked
    loose = {name: w["looseness"] for name, w in worst_of.items() if w.get("looseness") is not None}
    if worst:
        details["worst_check"] = worst
    w = worst_of[worst] if worst else {}
    return Outcome(verdict=verdict, ratio=per_check.get(worst), observed=w.get("observed"), bound=w.get("bound"),
                   binding=j.binding, margin=j.margin, looseness=min(loose.values()) if loose else None,
                   hypotheses=j.hypotheses, instances=int(hyp.numel()), details=details, result_id=j.result_id)


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _readable(worst: dict) -> dict:
    """`Comparison.worst` for the JSON: a ratio that is not a number is None, with a `ratio_note` saying why."""
    out = {k: _readable(v) if isinstance(v, dict) else v for k, v in worst.items()}
    ratio = out["ratio"]
    if math.isnan(ratio):
        note = "no judged record past the transient" if "with_transient" in out else \
            "no judged record with a finite bound above the tolerance floor"
    elif math.isinf(ratio):
        note = "an observation is not finite"
    else:
        return out
    out.update(ratio=None, ratio_note=note)
    return out


def negative_control(j: Judgement) -> Outcome:
    """A negative control: "reacted" when every network reacted (its flag in `hypotheses_hold`), else "did not
    react"."""
    reacted = bool(j.hypotheses_hold.all())
    return Outcome(verdict=Verdict.REACTED if reacted else Verdict.DID_NOT_REACT, binding=j.binding,
                   hypotheses=j.hypotheses, instances=int(j.hypotheses_hold.numel()), details=j.details,
                   result_id=j.result_id)


def concatenate(judgements: list[Judgement]) -> Judgement:
    """One judgement from the runs of one claim: networks stacked (`Comparison.concatenate`: records NaN-padded to
    the longest run), the binding hypothesis, margin and hypotheses of the run of least margin, the runs' details
    under "runs". A single judgement is returned as it is."""
    if len(judgements) == 1:
        return judgements[0]
    first = judgements[0]
    comparisons = [Comparison.concatenate([j.comparisons[i] for j in judgements])
                   for i in range(len(first.comparisons))]
    worst = min(judgements, key=lambda j: j.margin if j.margin is not None else math.inf)
    return Judgement(first.claim, first.result_id, torch.cat([j.hypotheses_hold for j in judgements]), comparisons,
                     torch.cat([j.diverged for j in judgements]), binding=worst.binding, margin=worst.margin,
                     hypotheses=worst.hypotheses, details={"runs": [j.details for j in judgements]})


def hypothesis_records(ev) -> list:
    """JSON-able hypothesis verdicts of an evaluation (at the worst network)."""
    out = []
    for v in ev.hypotheses:
        margin, lhs, rhs = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (v.margin, v.lhs, v.rhs)))
        worst = np.unravel_index(int(np.argmin(margin)), margin.shape) if margin.ndim else ()
        out.append({"name": v.name, "relation": v.relation, "meaning": v.meaning, "lhs": float(lhs[worst]),
                    "rhs": float(rhs[worst]), "holds_everywhere": bool(np.all(v.holds)),
                    "worst_margin": float(margin[worst]),
                    "worst_relative_margin": float(np.min(np.asarray(v.relative_margin, dtype=float)))})
    return out


def binding(ev) -> tuple[str | None, float | None]:
    """(name, least margin) of an evaluation's binding hypothesis; (None, None) when there is none."""
    hyp = ev.binding
    if hyp is None:
        return None, None
    return hyp.name, float(np.min(np.asarray(hyp.margin, dtype=float)))


def single_threaded(check):
    """A check run with one intra-op thread, restored afterwards: at n ≤ 64 extra threads only add overhead, and on
    a shared machine they make time-per-step measurements unstable (10× slower under load)."""

    @functools.wraps(check)
    def run(ctx: Context):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return check(ctx)
        finally:
            torch.set_num_threads(threads)

    return run


CLAIMS: tuple[Claim, ...] = ()
"""The kit states no claim of its own (the registry reads `CLAIMS` from every public module of the package)."""

__all__ = ["Claim", "ClaimKind", "Comparison", "Context", "Judgement", "Outcome", "aggregate", "binding", "concatenate",
           "evaluate", "hypothesis_records", "negative_control", "single_threaded"]
