"""Hypothesis profiles, chosen by IPVERIFY_PROFILE (dev | ci | thorough; default dev).

- dev: few examples, for editing loops;
- ci: what `make test` runs (CI has 2 cores and a 10-minute budget);
- thorough: many examples for runs longer than CI's (see README).
The example database lives in .hypothesis/ (ignored by git); failing examples print a reproduction blob.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=5, **_COMMON)
settings.register_profile("ci", max_examples=12, **_COMMON)
settings.register_profile("thorough", max_examples=200, **_COMMON)
PROFILE = os.environ.get("IPVERIFY_PROFILE", "dev")
settings.load_profile(PROFILE)


def examples(dev: int, ci: int, thorough: int) -> int:
    """Per-test example counts for expensive property tests (training real networks)."""
    return {"dev": dev, "ci": ci, "thorough": thorough}[PROFILE]
