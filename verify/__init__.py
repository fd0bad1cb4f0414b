"""Verification: claims (a result + an experiment + a verdict), the uniform result object, runner, report, CLI.

`CheckResult` is loaded on first use, so that the command line starts (and handles Ctrl-C) before anything else.
"""

__all__ = ["CheckResult"]


def __getattr__(name: str):
    if name == "CheckResult":
        from ipverify.verify.result import CheckResult

        return CheckResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
