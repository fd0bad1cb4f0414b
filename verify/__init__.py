"""Verification: claims (a result + an experiment + a verdict), the uniform result object, runner, report, CLI."""

from verify.result import CheckResult

__all__ = ["CheckResult"]
