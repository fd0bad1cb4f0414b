"""The GPU check script (`make gpu-check`) on the CPU: its tiny run end to end, and its comparisons reacting to a
device that disagrees with the CPU."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks import gpu_check
from ipverify.verify.result import CheckResult

F64, F32 = torch.float64, torch.float32


def record(**changes) -> CheckResult:
    base = dict(claim="GD-4/descent", result_id="GD-4", verdict="holds", ratio=0.93, looseness=8.8, instances=12,
                details={"per_check_worst_ratio": {"sufficient decrease": 0.63, "radius": 0.23}})
    return CheckResult(**{**base, **changes})


def test_tiny_cpu_run_agrees_end_to_end(tmp_path, capsys) -> None:
    assert gpu_check.main(["--device", "cpu", "--tiny", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "gpu_check.json").read_text(encoding="utf-8"))
    assert report["ok"] and report["complete"] and not report["errors"] and report["mode"] == "--device cpu --tiny"
    tests = report["tests"]
    assert tests["returncode"] == 0 and tests["counts"].get("skipped", 0) >= 3  # the CUDA variants, skipped here
    assert {(r["property"], r["dtype"]) for r in report["properties"] if r["ok"]} == {
        (p, d) for p in {r["property"] for r in report["properties"]} for d in ("float64", "float32")}
    claims = report["claims"]
    assert [(r["claim"], r["dtype"]) for r in claims] == [("GF-10/lipschitz", d) for d in ("float64", "float32")]
    assert all(r["quantities"] >= 1 and not r["differences"] for r in claims)
    for row in report["throughput"]["rows"]:
        assert row["ok"] and row["engine"] == "PyTorch loop"  # the path CUDA runs
        assert 0 < row["flops_per_s"] <= row["roof_flops_per_s"] / row["fraction_of_roof"] * (1 + 1e-12)
        assert row["roof_flops_per_s"] <= row["gemm_peak_flops_per_s"]  # the roof never exceeds the compute peak
    assert {r["dtype"] for r in report["throughput"]["rows"]} == {"float64", "float32"}
    text = (tmp_path / "gpu_check.md").read_text(encoding="utf-8")
    assert "## 3. Claims" in text and "GF-10/lipschitz" in text and "of roof" in text
    assert "gpu-check: all parts agree" in capsys.readouterr().out


def test_compare_records_reports_every_kind_of_difference() -> None:
    ref = record()
    assert gpu_check.compare_records(ref, record(), F64)["ok"]
    assert gpu_check.compare_records(ref, record(ratio=0.93 * (1 + 1e-10)), F64)["ok"]  # rounding: within rtol
    cases = {"verdict": record(verdict="violated"), "networks": record(instances=11),
             "ratio": record(ratio=0.93 * (1 + 1e-6)), "looseness": record(looseness=None),
             "check: radius": record(details={"per_check_worst_ratio": {"sufficient decrease": 0.63, "radius": 0.3}}),
             "check: sufficient decrease": record(details={"per_check_worst_ratio": {"radius": 0.23}})}
    for what, cand in cases.items():
        row = gpu_check.compare_records(ref, cand, F64)
        assert not row["ok"] and len(row["differences"]) == 1 and what in row["differences"][0], what
    # float32's tolerance (1e-4) accepts what float64's (1e-9) refuses
    assert gpu_check.compare_records(ref, record(ratio=0.93 * (1 + 1e-6)), F32)["ok"]
    assert not gpu_check.compare_records(ref, record(ratio=0.93 * (1 + 1e-3)), F32)["ok"]


def test_agree_on_non_finite_values() -> None:
    nan, inf = math.nan, math.inf
    got = gpu_check.agree(torch.tensor([nan, inf, -inf, 1.0, nan]), torch.tensor([nan, inf, inf, nan, 1.0]), F64)
    assert got.tolist() == [True, True, False, False, False]


def test_a_property_reacts_to_a_device_that_is_off(monkeypatch) -> None:
    """σ_min off by 1e-6 relative on the device: beyond float64's tolerance, within float32's."""
    closed = gpu_check.sigma_min_closed_form
    monkeypatch.setattr(gpu_check, "sigma_min_closed_form", lambda *a: closed(*a) * (1 + 1e-6))
    rows = [r for r in gpu_check.run_properties(torch.device("cpu"), 2) if r["property"].startswith("σ_min")]
    assert [(r["dtype"], r["ok"]) for r in rows] == [("float64", False), ("float32", True)]
    assert "jacrev" in rows[0]["error"]


def test_a_part_that_crashes_fails_the_run_and_the_others_still_report(tmp_path, monkeypatch) -> None:
    def crash(*args):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(gpu_check, "run_cuda_tests", crash)
    machine = {"gemm_size": 8, "gemm_peak_float64": 1.0, "gemm_peak_float32": 2.0, "copy_bandwidth_mb": 4,
               "copy_bandwidth_bytes_per_s": 1e9}
    stubs = {"run_properties": [], "run_claims": [], "run_throughput": {"machine": machine, "rows": []}}
    for name, value in stubs.items():
        monkeypatch.setattr(gpu_check, name, lambda *args, value=value: value)
    assert gpu_check.main(["--device", "cpu", "--tiny", "--out", str(tmp_path)]) == 1
    report = json.loads((tmp_path / "gpu_check.json").read_text(encoding="utf-8"))
    assert report["complete"] and not report["ok"] and report["errors"] == {"tests": "RuntimeError: CUDA out of memory"}
    assert "**crashed**: RuntimeError: CUDA out of memory" in (tmp_path / "gpu_check.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("argv", [["--device", "gpu"], ["--device", "auto"], ["--claims-budget-s", "-1"]]
                         + ([] if torch.cuda.is_available() else [["--device", "cuda"]]))
def test_bad_arguments_are_one_line_errors(argv, tmp_path, capsys) -> None:
    assert gpu_check.main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gpu-check: error:") and len(err.splitlines()) == 1
