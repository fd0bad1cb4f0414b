"""The examples run end to end at small sizes and report what they promise (each well under 30 s)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("one_thread")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sgd_monitor_example(tmp_path, capsys):
    monitor, results = load("sgd_monitor").main(["--n", "16", "--k", "32", "--d", "4", "--steps", "15",
                                                 "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert {r.result_id for r in results} == {"GF-5", "GD-4"}
    assert all(r.verdict == "recorded" and r.ratio <= 1 + 1e-9 for r in results)
    assert len(monitor.records) == 16 and "σ_floor" in out and (tmp_path / "monitor.md").exists()


def test_torchdeq_example_flags_sradius_and_loose_defaults(capsys):
    example = load("torchdeq_bounds")
    out = example.main(["--n", "6", "--K", "3"])
    text = capsys.readouterr().out
    assert out["verdict"] == "holds" and 0 < out["gap"] <= out["bound"]
    assert out["sradius"] < 0.1 < out["rho_0"]
    assert out["sradius_exceeded"] and "NOT a valid ρ" in text and "EXCEEDS" in text
    assert not out["defaults_too_loose"]
    strict = example.main(["--n", "6", "--K", "3", "--target", "1e-10"])
    assert strict["defaults_too_loose"] and "FLAG: the default tolerances are too loose" in capsys.readouterr().out
