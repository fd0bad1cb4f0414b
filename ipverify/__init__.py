"""ipverify: check the theorems of inverse-problem networks against what training actually does.

The public face of the package; the catalogue, the numerics and the claims live in the `theory`, `numerics` and
`verify` packages installed beside it:

- `results()`, `get(id)`: the catalogue of encoded results (`Result` records);
- `checker(id)`: the compiled numeric form of a result (`Checker.evaluate(values)`);
- `bound(id, **values)`: what `ipverify bound ID name=value ... --json` prints, as a dict;
- `certify(A, y, width=..., input_dim=...)`: what `ipverify certify ... --json` prints, as a dict;
- `run_claims(...)`: run the numeric claims and write the report, as `ipverify verify` does;
- `CheckResult`: the one result object every claim returns.

Each name is loaded on first use, so `import ipverify` is light.
"""

from __future__ import annotations

__all__ = ["CheckResult", "bound", "certify", "checker", "get", "results", "run_claims"]
__version__ = "0.2.0"


def __getattr__(name: str):
    if name == "CheckResult":
        from ipverify.verify.result import CheckResult

        return CheckResult
    if name == "certify":
        from ipverify.verify.certify import certify

        return certify
    if name in __all__:
        from ipverify import _api

        return getattr(_api, name)
    raise AttributeError(f"module 'ipverify' has no attribute {name!r}")
