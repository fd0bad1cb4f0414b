"""Search claims: hypothesis looks for a violation of the GF-*/GD-* bounds over drawn planted instances.

Each search draws instances with `planted_specs` (the strategy the property tests use too), trains real networks,
judges them with the checkers, and pushes toward violations with `target(observed/bound)`. A violation is shrunk by
hypothesis to the smallest failing instance, which the claim records with the command that replays it:

    python -m ipverify.claims.search CLAIM 'SPEC_JSON' GAMMA_FACTOR

(the spec is parsed as JSON, never evaluated). The search is seeded from the run's seed, so it is reproducible.
"""

from __future__ import annotations

import json
import math
import sys

import torch
from hypothesis import HealthCheck, given, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from ipverify.numerics.experiments import descent_run
from ipverify.numerics.instances import InstanceSpec
from ipverify.verify.claims._dip import judge_descent, judge_early_stopping, judge_flow, judge_recovery
from ipverify.verify.claims.kit import Claim, Context, Judgement, Outcome

ACTIVATIONS = ("tanh", "sigmoid", "softplus", "elu")


@st.composite
def planted_specs(draw, injective: bool | None = None, noisy: bool = False, b: int = 3,
                  outside: bool = False) -> InstanceSpec:
    """A planted instance: dimensions, activation, conditioning of A, distance of θ* from θ₀, noise, seed.

    With `outside`, m > n and part of the noise is orthogonal to Im(A) (y ∉ Im(A), the MSE has a floor)."""
    n = draw(st.integers(2, 8))
    if outside:
        m = draw(st.integers(n + 1, n + 4))
    elif injective is None:
        m = draw(st.integers(1, 10))
    elif injective:
        m = draw(st.integers(n, n + 4))
    else:
        m = draw(st.integers(1, n - 1))
    kappa = 1.0 if min(n, m) == 1 else draw(st.floats(1.0, 4.0))  # one singular value: κ = 1
    return InstanceSpec(
        n=n, m=m, d=draw(st.integers(2, 6)), k=draw(st.sampled_from([32, 64, 128, 256])), b=b,
        activation=draw(st.sampled_from(ACTIVATIONS)), kappa=kappa, planted_radius=draw(st.floats(0.01, 0.3)),
        noise=draw(st.floats(0.005, 0.05)) if noisy else 0.0, seed=draw(st.integers(0, 2**31 - 1)),
        noise_outside=draw(st.floats(0.005, 0.05)) if outside else 0.0)


def violations(j: Judgement, dtype=torch.float64) -> tuple[torch.Tensor, float]:
    """(b,) certified networks that left a bound or diverged, and the worst observed/bound ratio (for `target`)."""
    certified = j.hypotheses_hold.bool()
    bad = certified & j.diverged.bool()
    worst = 0.0
    for comparison in j.comparisons:
        bad = bad | (certified & ~comparison.holds(dtype))
        ratio = comparison.ratio(certified, dtype)
        if math.isfinite(ratio):
            worst = max(worst, ratio)
    return bad, worst


SEARCHES = {
    "GD-4/search": ("GD-4", judge_descent, planted_specs(), st.floats(0.05, 1.95), 150),
    "GD-4/outside-range-search": ("GD-4", judge_descent, planted_specs(outside=True), st.floats(0.05, 1.95), 150),
    "GF-5/search": ("GF-5", judge_flow, planted_specs(), st.just(0.05), 300),
    "GF-6/search": ("GF-6", judge_recovery, planted_specs(injective=True, noisy=True), st.just(0.05), 300),
    "GF-7/search": ("GF-7", judge_early_stopping, planted_specs(noisy=True), st.just(1.0), 300),
}


def _examples(ctx: Context) -> int:
    return 8 if ctx.profile == "quick" else 200


def search(claim_id: str, ctx: Context) -> Outcome:
    result_id, judge, specs, gammas, steps = SEARCHES[claim_id]
    state = {"count": 0, "worst": 0.0, "failing": None}

    @hypothesis_seed(ctx.seed)
    @settings(max_examples=_examples(ctx), database=None, deadline=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(spec=specs, gamma_factor=gammas)
    def probe(spec, gamma_factor):
        bad, worst = violations(judge(descent_run(spec, gamma_factor, steps, device=ctx.device, dtype=ctx.dtype),
                                      claim_id))
        state["count"] += 1
        state["worst"] = max(state["worst"], worst)
        target(worst)
        if bool(bad.any()):
            state["failing"] = (spec, gamma_factor)  # the last failing call is hypothesis's shrunk example
            raise AssertionError(f"{claim_id}: a certified network left its bound")

    try:
        probe()
        verdict, details = "holds", {}
    except AssertionError:
        spec, gamma_factor = state["failing"]
        verdict = "violated"
        details = {"counterexample": {"spec": spec.to_dict(), "gamma_factor": gamma_factor},
                   "replay_counterexample": f"python -m ipverify.claims.search {claim_id} "
                                           f"'{json.dumps(spec.to_dict())}' {gamma_factor!r}"}
    return Outcome(verdict, ratio=state["worst"] or None, instances=state["count"],
                   details={"examples_tried": state["count"], "steps": steps, **details},
                   result_id=result_id, replay=details.get("replay_counterexample"))


def replay(claim_id: str, spec_json: str, gamma_factor: float) -> bool:
    """Re-run one instance of a search; True when it violates a bound (prints what happened)."""
    _, judge, _, _, steps = SEARCHES[claim_id]
    spec = InstanceSpec(**json.loads(spec_json))
    bad, worst = violations(judge(descent_run(spec, float(gamma_factor), steps), claim_id))
    print(f"{claim_id}: violated for networks {bad.nonzero().flatten().tolist()}, worst observed/bound {worst:.6g}")
    return bool(bad.any())


def _claim(claim_id: str) -> Claim:
    return Claim(claim_id, SEARCHES[claim_id][0], f"hypothesis search for a violation of {SEARCHES[claim_id][0]}",
                 "search", lambda ctx: search(claim_id, ctx))


CLAIMS = tuple(_claim(claim_id) for claim_id in SEARCHES)

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in SEARCHES:
        print(f"usage: python -m ipverify.claims.search {{{','.join(SEARCHES)}}} SPEC_JSON GAMMA_FACTOR",
              file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(1 if replay(*sys.argv[1:]) else 0)
