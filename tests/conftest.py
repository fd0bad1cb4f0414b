"""Hypothesis profiles, chosen by IPVERIFY_PROFILE (dev | ci | thorough; default dev).

- dev: few examples, for editing loops;
- ci: what `make test` runs (CI has 2 cores and a 10-minute budget);
- thorough: many examples for runs longer than CI's (see README).
The example database lives in .hypothesis/ (ignored by git); failing examples print a reproduction blob.
"""

from __future__ import annotations

import math
import os

import pytest
import torch
from hypothesis import HealthCheck, event, note, settings, target

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


@pytest.fixture(scope="module")
def one_thread():
    """Tiny problems: one intra-op thread (extra threads only add overhead, and much more on a shared machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def assert_within_bounds(j, dtype=torch.float64) -> None:
    """Every network a `verify.claims.kit.Judgement` certifies stays inside every bound and never diverges;
    `target` pushes the search toward the largest observed/bound ratio."""
    certified = j.hypotheses_hold.bool()
    event(f"{int(certified.sum())}/{certified.numel()} networks certified")
    note(f"hypotheses: {j.hypotheses}; details: {j.details}")
    assert not bool((certified & j.diverged.bool()).any()), "a certified network diverged"
    for comparison in j.comparisons:
        ratio = comparison.ratio(certified, dtype)
        if math.isfinite(ratio):
            target(ratio, label=comparison.name)
        violated = certified & ~comparison.holds(dtype)
        assert not bool(violated.any()), f"{comparison.name}: violated for networks {violated.nonzero().flatten()}"
