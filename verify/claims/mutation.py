"""The mutation score of the catalogue: do the self-checks pin the records they belong to?

One claim runs `theory._mutation.analyse` on every result (each definition and conclusion scaled by 2, shifted
by 1, stripped of a factor, negated) and holds when every mutant is killed by its record's self-checks or listed
on the record as equivalent with a reason. A surviving mutant is a change to a theorem that nothing would notice,
so the claim is then "violated" and names it.

The analysis takes minutes of SymPy; its outcome depends only on the theory sources and the SymPy version, so it
is kept in the user's cache folder (JSON, keyed by a hash of both) and reused by later runs on the same sources.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import sympy

from ipverify import theory
from ipverify.verify.claims.kit import Claim, Context, Outcome
from ipverify.verify.result import write_atomic

CLAIM_ID = "catalogue/mutation"


def _analyse(result_id: str) -> dict:
    from ipverify.theory._mutation import analyse

    return analyse(theory.get(result_id)).to_dict()


def sources_key() -> str:
    """Hash of every theory source file and the SymPy version."""
    digest = hashlib.sha256(sympy.__version__.encode())
    for path in sorted(Path(theory.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def _cache_file(key: str) -> Path | None:
    """A file in a cache folder owned by this user with mode 0700, or None where there is no such folder."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ipverify"
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = root.stat()
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return root / f"mutation-{key}.json"


def _read_cache(path: Path | None) -> list[dict] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, list) or not all(isinstance(row, dict) and "result_id" in row for row in data):
        return None
    return data


def mutation_rows(workers: int = 1, use_cache: bool = True) -> tuple[list[dict], bool]:
    """Per-result mutation reports (as dicts) and whether they came from the cache."""
    path = _cache_file(sources_key()) if use_cache else None
    cached = _read_cache(path)
    if cached is not None and [row["result_id"] for row in cached] == list(theory.ids()):
        return cached, True
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(_analyse, theory.ids()))
    else:
        rows = [_analyse(rid) for rid in theory.ids()]
    if path is not None:
        write_atomic(path, json.dumps(rows))
    return rows, False


def summary(rows: list[dict]) -> dict:
    killed = sum(row["killed"] for row in rows)
    survived = sum(len(row["survived"]) for row in rows)
    equivalent = sum(len(row["equivalent"]) for row in rows)
    return {"killed": killed, "survived": survived, "equivalent": equivalent,
            "score": killed / (killed + survived) if killed + survived else 1.0}


def check_mutation(ctx: Context) -> Outcome:
    rows, cached = mutation_rows(workers=max(1, min(2, os.cpu_count() or 1)))
    totals = summary(rows)
    survivors = [label for row in rows for label in row["survived"]]
    return Outcome("violated" if survivors else "holds", observed=float(totals["survived"]), bound=0.0,
                   instances=totals["killed"] + totals["survived"],
                   details={"mutation": {"results": rows, **totals, "cached": cached}, "survivors": survivors[:50]})


CLAIMS = (Claim(CLAIM_ID, "catalogue", "Mutation score: every mutated definition or conclusion is caught by its "
                "record's self-checks", "symbolic", check_mutation),)
