"""One claim per catalogue result that ships self-checks: SymPy proves (or grid-checks) them."""

from __future__ import annotations

from ipverify import theory
from ipverify.verify.claims.kit import Claim, Context, Outcome


def _symbolic_claim(result) -> Claim:
    claim_id = f"{result.id}/symbolic"

    def run(ctx: Context) -> Outcome:
        outcomes = {check.claim: check.verify(result) for check in result.self_checks}
        failed = [claim for claim, ok in outcomes.items() if not ok]
        return Outcome("violated" if failed else "holds", instances=len(outcomes),
                       details={"checks": [{"claim": c.claim, "method": c.method, "verified": outcomes[c.claim]}
                                           for c in result.self_checks], "failed": failed})

    return Claim(claim_id, result.id, f"Symbolic self-checks of {result.id}", "symbolic", run)


CLAIMS = tuple(_symbolic_claim(r) for r in theory.results() if r.self_checks)
