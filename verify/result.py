"""The one result object every check returns (in the spirit of scipy's `OptimizeResult`).

Verdicts:
- "holds": the hypotheses were certified and every measured quantity stayed within its bound;
- "violated": the hypotheses were certified and a measured quantity left its bound (a failing claim);
- "hypothesis fails": the checker could not certify the hypotheses; what happened is still recorded;
- "reacted": a negative control, where breaking a hypothesis made the checker or the bound react as it must;
- "did not react": a negative control that failed to react (a failing claim);
- "diverged": training produced NaN/inf (never counted as a pass);
- "recorded": an experiment that measures (looseness, probabilities of convergence, a figure) and asserts no bound.
"""

from __future__ import annotations

import json
import math
import os
import platform
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

PASSING = ("holds", "reacted", "hypothesis fails", "recorded")
FAILING = ("violated", "did not react", "diverged", "error")


def versions() -> dict:
    """Versions of the interpreter and the numeric stack, for the record."""
    import numpy
    import scipy
    import sympy
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "sympy": sympy.__version__}


def _finite_or_none(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass
class CheckResult:
    """What one check found; serialised to JSON as is."""

    claim: str
    result_id: str
    verdict: str
    observed: float | None = None
    bound: float | None = None
    ratio: float | None = None
    binding: str | None = None
    margin: float | None = None
    hypotheses: list = field(default_factory=list)
    instances: int = 0
    seed: int | None = None
    device: str = "cpu"
    dtype: str = "float64"
    wall_time: float = 0.0
    looseness: float | None = None
    details: dict = field(default_factory=dict)
    replay: str = ""
    versions: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return self.verdict in PASSING

    @property
    def failed(self) -> bool:
        return self.verdict in FAILING

    def to_dict(self) -> dict:
        out = asdict(self)
        for key in ("observed", "bound", "ratio", "margin", "looseness"):
            out[key] = _finite_or_none(out[key])
        out["holds"] = self.holds
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=_json_default)

    @classmethod
    def from_dict(cls, data: dict) -> CheckResult:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def _json_default(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, then rename: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
