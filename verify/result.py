"""The record of a check (`CheckResult`, in the spirit of scipy's `OptimizeResult`) and what a claim's experiment
returns (`Outcome`: the verdict and its measurements, which the runner stamps into a record).

Verdicts (`Verdict`, a str-valued enum: the JSON holds the plain strings):
- "holds": the hypotheses were certified and every measured quantity stayed within its bound;
- "violated": the hypotheses were certified and a measured quantity left its bound (a failing claim);
- "hypothesis fails": the checker could not certify the hypotheses, so the claim tested nothing; what happened is
  still recorded (inconclusive: neither passed nor failed);
- "reacted": a negative control, where breaking a hypothesis made the checker or the bound react as it must;
- "did not react": a negative control that failed to react (a failing claim);
- "diverged": training produced NaN/inf on some network, certified or not (a failing claim);
- "recorded": an experiment that measures (looseness, probabilities of convergence, a figure) and asserts no bound;
- "error": the claim crashed, or a bound it judges was undefined (NaN/inf) on a judged record (a failing claim).

Three properties classify a result, and every verdict is in exactly one of `PASSING`, `INCONCLUSIVE`, `FAILING`:
- `passed`: the claim did what it must (holds | reacted | recorded);
- `failed`: it contradicted its bound, did not react, diverged or errored;
- `holds`: the verdict is exactly "holds" (a negative control that reacted is a pass, but nothing "holds").
A "hypothesis fails" result is neither passed nor failed. `to_dict()` writes `holds` and `passed`.
"""

from __future__ import annotations

import enum
import math
import os
import platform
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path


class _Named(str, enum.Enum):
    """An enum whose members are their string values: `member == "value"`, str(), f-strings and JSON give the value."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class ClaimKind(_Named):
    """What a claim does; a str, so `kind == "property"` and JSON work on the plain value.

    property: measurements of certified instances against the result's bounds (it holds or is violated);
    negative control: a violated hypothesis, and the checker must react; symbolic: the record's self-checks in SymPy;
    measurement: a constant measured against its certified bound; experiment: a figure or table of the papers,
    recorded; search: the smallest instance that breaks a bound, searched for."""

    PROPERTY = "property"
    NEGATIVE_CONTROL = "negative control"
    SYMBOLIC = "symbolic"
    MEASUREMENT = "measurement"
    EXPERIMENT = "experiment"
    SEARCH = "search"


class Verdict(_Named):
    """What a check concluded; a str, so `verdict == "holds"` and JSON work on the plain value."""

    HOLDS = "holds"
    VIOLATED = "violated"
    HYPOTHESIS_FAILS = "hypothesis fails"
    REACTED = "reacted"
    DID_NOT_REACT = "did not react"
    DIVERGED = "diverged"
    RECORDED = "recorded"
    ERROR = "error"


PASSING = (Verdict.HOLDS, Verdict.REACTED, Verdict.RECORDED)
INCONCLUSIVE = (Verdict.HYPOTHESIS_FAILS,)
FAILING = (Verdict.VIOLATED, Verdict.DID_NOT_REACT, Verdict.DIVERGED, Verdict.ERROR)


def versions() -> dict:
    """Versions of the interpreter and the numeric stack, for the record."""
    import numpy
    import scipy
    import sympy
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "sympy": sympy.__version__}


class _Judged:
    """The verdict's three properties and the strict-JSON form, for every dataclass with a `verdict`."""

    verdict: Verdict

    def __post_init__(self) -> None:
        self.verdict = Verdict(self.verdict)  # ValueError on an unknown verdict

    @property
    def holds(self) -> bool:
        """The verdict is exactly "holds"."""
        return self.verdict is Verdict.HOLDS

    @property
    def passed(self) -> bool:
        """The claim did what it must: it holds, a negative control reacted, or an experiment was recorded."""
        return self.verdict in PASSING

    @property
    def failed(self) -> bool:
        return self.verdict in FAILING

    def to_dict(self) -> dict:
        """Strict-JSON-able: every non-finite number, wherever it sits, is None with a note (see `strict`)."""
        out = asdict(self)
        out["verdict"] = self.verdict.value
        out["holds"], out["passed"] = self.holds, self.passed
        return strict(out)

    def to_json(self) -> str:
        from ipverify.verify._render import dumps

        return dumps(self.to_dict(), sort_keys=True)


@dataclass
class Outcome(_Judged):
    """What a claim's experiment concluded: the verdict and its measurements. The runner completes it into a
    `CheckResult` (claim, seed, device, dtype, wall time, replay command, versions: `verify.runner.record`).

    `result_id` names the result whose checker decided, when it is not the claim's own (a control of one result
    judged by another's checker); `replay` a command other than the claim's own (a search's counterexample)."""

    verdict: Verdict | str
    observed: float | None = None
    bound: float | None = None
    ratio: float | None = None
    binding: str | None = None
    margin: float | None = None
    looseness: float | None = None
    hypotheses: list = field(default_factory=list)
    instances: int = 0
    details: dict = field(default_factory=dict)
    result_id: str | None = None
    replay: str | None = None


@dataclass
class CheckResult(_Judged):
    """What one check found; serialised to JSON as is."""

    claim: str
    result_id: str
    verdict: Verdict | str
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

    @classmethod
    def from_dict(cls, data: dict) -> CheckResult:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def strict(obj, notes: list | None = None, where: str = ""):
    """`obj` with every NaN/inf replaced by None, numbers and tensors read as floats, tuples as lists; a
    top-level dict gets a `"note"` listing where each non-finite number was ("details.x[2] is nan")."""
    top = notes is None
    notes = [] if top else notes
    if isinstance(obj, dict):
        out = {str(k): strict(v, notes, f"{where}.{k}" if where else str(k)) for k, v in obj.items()}
    elif isinstance(obj, (list, tuple)):
        out = [strict(v, notes, f"{where}[{i}]") for i, v in enumerate(obj)]
    elif obj is None or isinstance(obj, (bool, int, str)):
        out = obj.value if isinstance(obj, enum.Enum) else obj
    else:
        out = _number(obj, notes, where)
    if top and notes and isinstance(out, dict):
        previous = out.get("note")
        out["note"] = "; ".join(([previous] if previous else []) + notes) + " (shown as null)"
    return out


def _number(x, notes: list, where: str):
    if hasattr(x, "tolist"):  # numpy/torch scalars and arrays
        return strict(x.tolist(), notes, where)
    try:
        value = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isfinite(value):
        return value
    notes.append(f"{where} is {'nan' if math.isnan(value) else ('+inf' if value > 0 else '-inf')}")
    return None


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write to a uniquely named temporary file in the same folder, then rename: a reader never sees half a file.
    The file gets mode 0644 (mkstemp creates 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
