"""The claims registry: every `CLAIMS` tuple of a public module of this package.

Adding a claim is adding a module with a `CLAIMS` tuple (or a claim to an existing one); nothing else changes.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from ipverify.verify.claims._base import Claim, Context


@functools.lru_cache(maxsize=1)
def all_claims() -> tuple[Claim, ...]:
    from ipverify import theory
    order = {rid: i for i, rid in enumerate(theory.ids())}
    claims = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            claims.extend(getattr(importlib.import_module(f"{__name__}.{info.name}"), "CLAIMS", ()))
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate claim ids")
    return tuple(sorted(claims, key=lambda c: (order.get(c.result_id, len(order)), c.kind != "symbolic", c.id)))


def select(only: list[str] | None) -> tuple[Claim, ...]:
    """Claims whose id or result id matches one of `only` (case-insensitive); all when `only` is empty."""
    claims = all_claims()
    if not only:
        return claims
    wanted = {o.strip().upper() for o in only}
    chosen = tuple(c for c in claims if c.id.upper() in wanted or c.result_id.upper() in wanted)
    unknown = wanted - {c.id.upper() for c in chosen} - {c.result_id.upper() for c in chosen}
    if unknown:
        import difflib

        known = sorted({c.result_id.upper() for c in claims} | {c.id.upper() for c in claims})
        spelled = {name.upper(): name for c in claims for name in (c.id, c.result_id)}
        hints = [f"{u!r} → {spelled[close[0]]!r}" for u in sorted(unknown)
                 if (close := difflib.get_close_matches(u, known, n=1, cutoff=0.6))]
        hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
        raise KeyError(f"unknown claim or result id(s) {sorted(unknown)}{hint}; known: "
                       f"{', '.join(sorted({c.result_id for c in claims}))} and claim ids such as {claims[0].id}")
    return chosen


__all__ = ["Claim", "Context", "all_claims", "select"]
