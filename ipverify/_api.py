"""The functions behind `ipverify`'s public names; each imports what it needs when called, so `import ipverify`
stays light."""

from __future__ import annotations

import json
import math
from pathlib import Path


def results():
    """Every encoded result, in the papers' order."""
    from ipverify.theory import results as _results

    return _results()


def get(result_id: str):
    """The result with this id (case-insensitive); KeyError names the known ids."""
    from ipverify.theory import get as _get

    return _get(result_id)


def checker(result_id: str, backend: str = "numpy"):
    """The compiled checker of a result: `checker("GD-1").evaluate({"gamma": 0.4, "L": 2.0})`."""
    from ipverify.numerics.checkers import checker as _checker

    return _checker(get(result_id).id, backend)


def _pair(name: str, value) -> str:
    if isinstance(value, str):
        return f"{name}={value}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"value of {name} must be a number (or a string for activation), got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name}={value}"  # rejected by the same validation as on the command line
    return f"{name}={float(value)!r}"


def bound(result_id: str, **values) -> dict:
    """Evaluate a result at the given values, exactly as `ipverify bound ID name=value ... --json` does.

    Inputs are validated, activation constants (`activation="tanh"`) and defaults filled in, and the answer is the
    same strict-JSON object the command prints. Bad input raises `ValueError` with the command's one-line message.
    """
    from ipverify.verify._inputs import CliError
    from ipverify.verify._render import bound_payload, dumps
    from ipverify.verify.cli import evaluate_bound

    try:
        report = evaluate_bound(result_id, [_pair(name, value) for name, value in values.items()])
    except CliError as exc:
        raise ValueError(str(exc)) from None
    return json.loads(dumps(bound_payload(report)))


def run_claims(only: list[str] | None = None, profile: str = "quick", out: str | Path = "verify-out", seed: int = 0,
               device: str = "cpu", resume: bool = False):
    """Run the numeric claims (all, or those whose claim or result id is in `only`) and write the report under
    `out`; returns the list of `CheckResult`."""
    from ipverify.verify.runner import run_claims as _run

    return _run(profile=profile, only=only, device=device, out=Path(out), seed=seed, resume=resume)
