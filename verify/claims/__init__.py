"""The claims registry: every `CLAIMS` tuple of a public module of this package, and of the modules a family names
in `Family.claims` (a family from outside the package, see `theory.registry`).

Adding a claim is adding a module with a `CLAIMS` tuple (or a claim to an existing one); nothing else changes.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from ipverify.verify.claims.kit import Claim, Comparison, Context, Judgement, Outcome  # noqa: F401  (the kit)


def _claim_modules():
    from ipverify import theory
    from ipverify.theory.registry import FamilyError, import_named

    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{__name__}.{info.name}")
    for family in theory.families():
        for name in family.claims:
            module = import_named(name, f"claims of family {family.prefix}")
            if not hasattr(module, "CLAIMS"):
                raise FamilyError(f"claims of family {family.prefix}: module {name!r} has no CLAIMS")
            yield module


@functools.lru_cache(maxsize=1)
def all_claims() -> tuple[Claim, ...]:
    from ipverify import theory
    order = {rid: i for i, rid in enumerate(theory.ids())}
    claims = []
    for module in _claim_modules():
        claims.extend(module.CLAIMS)
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
