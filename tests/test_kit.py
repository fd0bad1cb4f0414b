"""The claim kit: the runner stamps every record, claims only state what they found, set-up lives in numerics (which
never imports verify), and the kit's helpers (per-network evaluation, concatenation, negative controls) behave."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest
import torch

from ipverify.verify import runner
from ipverify.verify.claims import Context, all_claims
from ipverify.verify.claims.kit import (
    Claim,
    Comparison,
    Judgement,
    Outcome,
    aggregate,
    concatenate,
    evaluate,
    negative_control,
)
from ipverify.verify.result import versions

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_numerics_never_imports_verify():
    offenders = {path.name: sorted(n for n in _imports(path) if n.startswith("ipverify.verify"))
                 for path in sorted((ROOT / "numerics").glob("*.py"))}
    assert not {k: v for k, v in offenders.items() if v}


def test_set_up_takes_sizes_not_a_profile():
    for path in sorted((ROOT / "numerics").glob("setup_*.py")):
        text = path.read_text(encoding="utf-8")
        assert "profile" not in text and "ctx" not in text, path.name


def test_no_claim_module_stamps_its_own_record():
    """CheckResult(...), a clock or a replay command in a claim module would bypass the runner's stamps."""
    found = []
    for path in sorted((ROOT / "verify" / "claims").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name in ("CheckResult", "perf_counter", "replay_command", "versions"):
                    found.append(f"{path.name}:{node.lineno} {name}")
    assert not found


def test_claim_modules_stay_small():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "verify" / "claims").glob("*.py")}
    assert max(sizes.values()) <= 550, sizes


def _claim(check, kind="property", device=None) -> Claim:
    return Claim("T-1/probe", "T-1", "probe", kind, check, device=device)


def test_the_runner_stamps_every_record():
    ctx = Context(profile="quick", seed=7, device="cpu")
    result = _claim(lambda c: Outcome("holds", ratio=0.5, instances=2, details={"x": 1})).run(ctx)
    assert (result.claim, result.result_id, result.verdict, result.ratio) == ("T-1/probe", "T-1", "holds", 0.5)
    assert (result.seed, result.device, result.dtype) == (7, "cpu", "float64")
    assert result.replay == "ipverify verify --only T-1/probe --profile quick --seed 7 --device cpu"
    assert result.versions == versions() and result.wall_time >= 0
    assert result.details == {"x": 1, "profile": "quick", "kind": "property", "title": "probe"}


def test_stamps_follow_the_claim_and_the_outcome():
    ctx = Context(seed=1, device="cuda")
    symbolic = _claim(lambda c: Outcome("holds"), kind="symbolic").run(ctx)
    assert (symbolic.device, symbolic.dtype) == ("cpu", "symbolic")
    on_cpu = _claim(lambda c: Outcome("recorded"), device="cpu").run(ctx)
    assert on_cpu.device == "cpu"
    other = _claim(lambda c: Outcome("violated", result_id="T-2", replay="python -m probe 3")).run(ctx)
    assert (other.result_id, other.replay, other.failed) == ("T-2", "python -m probe 3", True)


def test_a_crash_is_an_error_record_with_every_stamp():
    def boom(ctx):
        raise RuntimeError("boom")

    result = runner._run_one(_claim(boom), Context(seed=3))
    assert result.verdict == "error" and result.failed and "boom" in result.details["error"]
    assert result.seed == 3 and result.replay.endswith("--seed 3 --device cpu") and result.versions


def test_every_claim_of_the_catalogue_has_a_check():
    assert all(callable(c.check) for c in all_claims())


def test_per_network_evaluation_reduces_records_to_networks():
    """JFB-1 needs ρ < 1: network 1 breaks it at its second record only, so it alone is not certified."""
    hold, ev, bound = evaluate("JFB-1", {"rho": torch.tensor([[0.5, 0.6], [0.5, 1.2]]), "B_norm": [1.0, 1.0],
                                         "v_norm": [1.0, 2.0]})
    assert hold.tolist() == [True, False]
    assert bound["gradient_gap_bound"].shape == (2, 2)
    assert float(bound["gradient_gap_bound"][0, 0]) == 1.0  # ρ/(1 − ρ)‖B‖‖v‖ at ρ = 1/2
    assert float(bound["gradient_gap_bound"][1, 0]) == 2.0


def _judgement(observed, bound, certified=True) -> Judgement:
    observed = torch.tensor(observed, dtype=torch.float64)
    b = observed.shape[0]
    return Judgement("T-1/probe", "T-1", torch.full((b,), certified), [Comparison("x <= bound", observed,
                                                                                    torch.tensor(bound))],
                     torch.zeros(b, dtype=torch.bool), details={"b": b})


def test_concatenation_pads_shorter_runs_and_never_judges_the_padding():
    short, long = _judgement([[1.0, 0.5]], 1.0), _judgement([[1.0, 0.5, 0.25, 0.1]], 1.0)
    both = concatenate([short, long])
    (c,) = both.comparisons
    assert c.observed.shape == (2, 4) and math.isnan(float(c.observed[0, 3]))
    assert both.details == {"runs": [{"b": 1}, {"b": 1}]}
    outcome = aggregate(both, Context())
    assert outcome.verdict == "holds"
    assert outcome.details["masked_records"]["x <= bound"]["records"] == 2
    assert concatenate([short]) is short


def test_concatenation_keeps_a_violation_of_any_run():
    ok, bad = _judgement([[1.0, 0.5]], 1.0), _judgement([[1.0, 0.5, 2.0]], 1.0)
    assert aggregate(concatenate([ok, bad]), Context()).verdict == "violated"


def test_a_negative_control_reacts_only_when_every_network_reacts():
    reacted = Judgement("T-1/control", "T-2", torch.tensor([True, True]), [], torch.zeros(2, dtype=torch.bool))
    missed = Judgement("T-1/control", "T-2", torch.tensor([True, False]), [], torch.zeros(2, dtype=torch.bool))
    assert negative_control(reacted).verdict == "reacted" and negative_control(reacted).result_id == "T-2"
    assert negative_control(missed).verdict == "did not react" and negative_control(missed).failed


def test_claim_kinds_are_an_enum_and_an_unknown_kind_is_refused():
    from ipverify.verify.claims import all_claims
    from ipverify.verify.claims.kit import Claim, ClaimKind

    assert all(isinstance(c.kind, ClaimKind) for c in all_claims())
    assert Claim("X/y", "GD-1", "t", "property", lambda ctx: None).kind is ClaimKind.PROPERTY
    with pytest.raises(ValueError, match="unknown kind 'propety'"):
        Claim("X/y", "GD-1", "t", "propety", lambda ctx: None)
