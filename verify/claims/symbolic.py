"""One claim per catalogue result that ships self-checks: SymPy proves (or grid-checks) them."""

from __future__ import annotations

import time

from ipverify import theory
from ipverify.verify.claims._base import Claim, Context, replay_command
from ipverify.verify.result import CheckResult, versions


def _symbolic_claim(result) -> Claim:
    claim_id = f"{result.id}/symbolic"

    def run(ctx: Context) -> CheckResult:
        started = time.perf_counter()
        outcomes = {check.claim: check.verify(result) for check in result.self_checks}
        failed = [claim for claim, ok in outcomes.items() if not ok]
        return CheckResult(claim=claim_id, result_id=result.id, verdict="violated" if failed else "holds",
                           instances=len(outcomes), seed=ctx.seed, device="cpu", dtype="symbolic",
                           wall_time=time.perf_counter() - started,
                           details={"checks": [{"claim": c.claim, "method": c.method, "verified": outcomes[c.claim]}
                                               for c in result.self_checks], "failed": failed},
                           replay=replay_command(claim_id, ctx), versions=versions())

    return Claim(claim_id, result.id, f"Symbolic self-checks of {result.id}", "symbolic", run)


CLAIMS = tuple(_symbolic_claim(r) for r in theory.results() if r.self_checks)
