"""Reliability and security of the runner and the command line: what is loaded, validated, written and said.

Native code only from a trusted cache; seeds inside torch's range; interrupts that never print a traceback, even
during start-up; resume that re-runs what it cannot trust; OUT checked before any claim runs; unique temporary
names and mode 0644 for every output; strict JSON; one torch thread unless asked; rows printed as claims finish,
and a partial report after an interrupt; the cross-check and mutation-score tables of the report.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest
import torch
from test_cli import assert_one_line_error, run, strict_loads

from ipverify.numerics import _kernel
from ipverify.verify import figures, runner
from ipverify.verify.claims import Claim, Context
from ipverify.verify.report import render_markdown, write_report
from ipverify.verify.result import CheckResult

REPO = Path(__file__).resolve().parents[1]
CHEAP = ["GF-1/symbolic", "GD-1/symbolic"]  # two claims of well under a second each


def _child_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("IPVERIFY_KERNEL_CACHE", "IPVERIFY_KERNEL")}
    return {**env, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8", **extra}


def _python(code: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_child_env(**env), capture_output=True,
                          text=True, timeout=timeout)


# ---------------------------------------------------------------------------------------------- native code

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None or sys.platform != "linux", reason="needs gcc on Linux")

PLANTED_C = r"""
#include <stdio.h>
#include <stdlib.h>
__attribute__((constructor)) static void planted(void) {
    const char *path = getenv("IPV_MARKER");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) { fputs("planted library ran", f); fclose(f); }
}
"""

NO_BUILD = textwrap.dedent("""
    import subprocess
    def _no_build(*args, **kwargs):  # nothing can be compiled here: what loads comes from the cache
        raise subprocess.SubprocessError("building is disabled")
    subprocess.run = _no_build
""")

LOAD_EACH = NO_BUILD + textwrap.dedent("""
    import json, os, sys, tempfile
    from ipverify.numerics import _kernel
    outcome = {}
    for case in json.loads(sys.argv[1]):
        os.environ.update(TMPDIR=case["tmp"], IPV_MARKER=case["marker"])
        tempfile.tempdir = None  # gettempdir() caches its answer
        _kernel.kernel_library.cache_clear()
        try:
            loaded = _kernel.kernel_library() is not None
        except Exception as exc:
            loaded = f"{type(exc).__name__}: {exc}"
        outcome[case["name"]] = {"loaded": loaded, "ran": os.path.exists(case["marker"])}
    print(json.dumps(outcome))
""")


def _plant(tmp_path: Path, name: str, evil: Path, dir_mode: int, file_mode: int = 0o755, digest: str | None = "evil",
           owner: int | None = None, link: bool = False) -> dict:
    """A temp root whose ipverify-<uid> folder holds `evil` under every name the loader looks for."""
    root = tmp_path / name
    folder = root / f"ipverify-{os.getuid()}"
    folder.mkdir(parents=True)
    for lib in _kernel.library_names():
        target = folder / lib
        if link:
            target.symlink_to(evil)
        else:
            shutil.copyfile(evil, target)
            os.chmod(target, file_mode)
        if digest is not None:
            content = evil.read_bytes() if digest == "evil" else digest.encode()
            (folder / (lib + ".sha256")).write_text(hashlib.sha256(content).hexdigest() + "\n")
    os.chmod(folder, dir_mode)
    if owner is not None:
        os.chown(folder, owner, -1)
    return {"name": name, "tmp": str(root), "marker": str(root / "marker")}


@needs_gcc
def test_a_planted_kernel_library_is_never_loaded(tmp_path):
    """The home cache cannot be created, so the loader falls back to $TMPDIR/ipverify-<uid>, where a library
    whose constructor leaves a marker was planted: under no layout may it run (nothing can be built in the child:
    the PyTorch loop takes over). The control, planted as this user's own trusted build, shows the planting
    reaches the loader."""
    evil = tmp_path / "planted.so"
    (tmp_path / "planted.c").write_text(PLANTED_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(evil), str(tmp_path / "planted.c")], check=True)
    cases = [
        _plant(tmp_path, "world-writable-folder", evil, 0o777),
        _plant(tmp_path, "group-writable-file", evil, 0o700, file_mode=0o775),
        _plant(tmp_path, "no-digest", evil, 0o700, digest=None),
        _plant(tmp_path, "digest-of-other-content", evil, 0o700, digest="the real kernel"),
        _plant(tmp_path, "symlink", evil, 0o700, link=True),
    ]
    if os.getuid() == 0:  # a folder of another user, with a digest that matches what was planted
        cases.append(_plant(tmp_path, "folder-of-another-user", evil, 0o700, owner=65534))
    control = _plant(tmp_path, "control-own-trusted-build", evil, 0o700, file_mode=0o644)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    env = _child_env(XDG_CACHE_HOME=str(blocked / "cache"))
    proc = subprocess.run([sys.executable, "-c", LOAD_EACH, json.dumps([*cases, control])], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    outcome = json.loads(proc.stdout.splitlines()[-1])
    assert outcome.pop(control["name"]) == {"loaded": False, "ran": True}, "the planted names miss the loader"
    assert outcome == {c["name"]: {"loaded": False, "ran": False} for c in cases}


@needs_gcc
def test_the_kernel_cache_is_private_and_reused_only_with_its_digest(tmp_path):
    cache = tmp_path / "cache"
    built = _python("from numerics import _kernel; print(_kernel.kernel_library() is not None)", 300,
                    IPVERIFY_KERNEL_CACHE=str(cache))
    assert built.stdout.split() == ["True"], built.stderr
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    libs = sorted(cache.glob("gd_kernel_*.so"))
    assert libs, "the build was not cached"
    for lib in libs:
        recorded = (cache / (lib.name + ".sha256")).read_text().strip()
        assert recorded == hashlib.sha256(lib.read_bytes()).hexdigest()
    reload = NO_BUILD + "from numerics import _kernel; print(_kernel.kernel_library() is not None)"
    kept = _python(reload, 120, IPVERIFY_KERNEL_CACHE=str(cache))
    assert kept.stdout.split() == ["True"], "a trusted cached build must be reused"
    for lib in libs:
        lib.write_bytes(lib.read_bytes() + b"\0")  # content no longer matches its digest
    tampered = _python(reload, 120, IPVERIFY_KERNEL_CACHE=str(cache))
    assert tampered.stdout.split() == ["False"], "a library whose content changed was loaded"


# ---------------------------------------------------------------------------------------------- fake runner


def _fake_runner(monkeypatch, verdicts=("holds",), threads: list | None = None):
    calls = []

    def run_claims(profile, only, device, out, seed, resume, progress, **where):  # where: jobs, executor...
        calls.append(dict(profile=profile, only=only, out=out, seed=seed))
        if threads is not None:
            threads.append(torch.get_num_threads())
        results = [CheckResult(claim=f"C-{i}", result_id="GF-5", verdict=v) for i, v in enumerate(verdicts)]
        for i, r in enumerate(results):
            progress(i + 1, len(results), r)
        return results

    monkeypatch.setitem(sys.modules, "ipverify.verify.runner", types.SimpleNamespace(run_claims=run_claims))
    return calls


# ---------------------------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("seed", [str(2**64 + 5), "1208925819614629174706176", str(2**63), "-1", "1e3"])
def test_a_seed_outside_torch_range_is_one_line_exit_2(tmp_path, monkeypatch, seed):
    calls = _fake_runner(monkeypatch)
    code, out, err = run(["verify", "--only", "GD-4/step-too-large", "--out", str(tmp_path / "o"), "--seed", seed])
    assert_one_line_error(code, err)
    assert "seed" in err and calls == [] and not (tmp_path / "o").exists()


def test_the_largest_seed_goes_through_every_seed_derivation_of_a_training_claim(tmp_path):
    results = runner.run_claims("quick", ["GD-4/step-too-large"], "cpu", tmp_path, seed=2**63 - 1)
    assert [r.verdict for r in results] == ["reacted"], results[0].details.get("error")
    with pytest.raises(ValueError, match="seed"):
        runner.run_claims("quick", ["GD-4/step-too-large"], "cpu", tmp_path / "x", seed=2**63)


# ---------------------------------------------------------------------------------------------- start-up


def test_the_entry_points_import_nothing_heavy():
    code = ("import sys, ipverify.verify.cli; heavy = ('torch', 'numpy', 'sympy', 'ipverify.theory', 'matplotlib',"
            " 'ipverify.verify._inputs');"
            " print(sorted(m for m in heavy if m in sys.modules))")
    proc = _python(code, 120)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


INTERRUPT_DURING_IMPORT = textwrap.dedent("""
    import builtins, runpy, sys
    real_import = builtins.__import__
    def interrupting_import(name, *args, **kwargs):
        if name.split(".")[0] in ("numpy", "sympy", "torch") or name.startswith("ipverify.theory"):
            builtins.__import__ = real_import
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)
    builtins.__import__ = interrupting_import
    sys.argv = ["ipverify", "list"]
    runpy.run_module("ipverify", run_name="__main__", alter_sys=True)
""")


def test_ctrl_c_during_start_up_is_one_line_exit_130():
    """Ctrl-C while the heavy modules load (simulated at the first heavy import): one line, exit 130."""
    proc = _python(INTERRUPT_DURING_IMPORT, 120)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == "ipverify: interrupted\n"


# ---------------------------------------------------------------------------------------------- resume


@pytest.mark.parametrize("content", ['[1, 2]', '"a claim"', '3', '{"claim": "GF-1/symbolic"}',
                                     '{"claim": "GF-1/symbolic", "result_id": "GF-1", "verdict": "holds", '
                                     '"details": 5, "wall_time": 1.0, "instances": 1}',
                                     '{"claim": "GD-4/descent", "result_id": "GD-4", "verdict": "holds", '
                                     '"details": {"profile": "quick"}, "wall_time": 1.0, "instances": 1, "seed": 0}',
                                     '{"claim": "GF-1/symbolic", "result_id": "GF-1", "verdict": "great", '
                                     '"details": {"profile": "quick"}, "wall_time": 1.0, "instances": 1, "seed": 0}'],
                         ids=["list", "string", "number", "partial", "details-not-a-dict", "other-claim",
                              "unknown-verdict"])
def test_resume_reruns_a_claim_file_that_is_json_but_not_its_record(tmp_path, content):
    path = tmp_path / "claims" / "GF-1__symbolic.json"
    path.parent.mkdir()
    path.write_text(content)
    code, out, err = run(["verify", "--only", "GF-1/symbolic", "--device", "cpu", "--out", str(tmp_path), "--resume"])
    assert code == 0, err
    assert "running GF-1/symbolic again" in err and "Traceback" not in err
    assert json.loads(path.read_text())["verdict"] == "holds" and "(resumed)" not in out


def test_resume_marks_reused_rows(tmp_path):
    assert run(["verify", "--only", *CHEAP, "--device", "cpu", "--out", str(tmp_path)])[0] == 0
    code, out, _ = run(["verify", "--only", *CHEAP, "--device", "cpu", "--out", str(tmp_path), "--resume"])
    assert code == 0 and out.count("(resumed)") == 2
    assert "**holds** (resumed)" in (tmp_path / "report.md").read_text()


# ---------------------------------------------------------------------------------------------- --out


def _never_run(monkeypatch) -> list:
    ran = []

    def fail(claim, ctx):
        ran.append(claim.id)
        raise AssertionError(f"{claim.id} ran although --out was bad")

    monkeypatch.setattr(runner, "_run_one", fail)
    return ran


@pytest.mark.parametrize("entry,kind", [("claims", "file"), ("report.json", "folder"), ("report.md", "folder"),
                                        ("figures", "file"), ("run.json", "folder")])
def test_bad_out_contents_are_refused_before_any_claim_runs(tmp_path, monkeypatch, entry, kind):
    ran = _never_run(monkeypatch)
    (tmp_path / entry).mkdir() if kind == "folder" else (tmp_path / entry).write_text("x")
    code, out, err = run(["verify", "--only", *CHEAP, "--device", "cpu", "--out", str(tmp_path)])
    assert_one_line_error(code, err)
    assert ran == [] and entry in err and "unexpected" not in err and out == ""


def test_empty_out_is_refused_and_bad_input_creates_no_out(tmp_path, monkeypatch):
    ran = _never_run(monkeypatch)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["verify", "--only", *CHEAP, "--device", "cpu", "--out", ""])
    assert_one_line_error(code, err)
    assert list(tmp_path.iterdir()) == []
    for bad in (["--only", "NOPE"], ["--seed", "-3"], ["--profile", "huge"], ["--threads", "0"]):
        code, _, err = run(["verify", "--device", "cpu", "--out", str(tmp_path / "new"), *bad])
        assert_one_line_error(code, err)
        assert not (tmp_path / "new").exists(), bad
    assert ran == []


def test_one_out_holds_one_run(tmp_path):
    assert run(["verify", "--only", CHEAP[0], "--device", "cpu", "--out", str(tmp_path)])[0] == 0
    assert json.loads((tmp_path / "run.json").read_text())["seed"] == 0
    for other in (["--seed", "1"], ["--profile", "full"]):
        code, _, err = run(["verify", "--only", CHEAP[0], "--device", "cpu", "--out", str(tmp_path), *other])
        assert_one_line_error(code, err)
        assert "one folder holds one run" in err
    (tmp_path / "run.json").write_text("[]")
    code, _, err = run(["verify", "--only", CHEAP[0], "--device", "cpu", "--out", str(tmp_path)])
    assert_one_line_error(code, err)
    assert "run.json is not a run record" in err


def test_hypothesis_keeps_its_files_under_out_not_in_the_current_folder(tmp_path, monkeypatch):
    from hypothesis import configuration

    seen = []
    probe = Claim("GF-1/symbolic", "GF-1", "where hypothesis writes", "search",
                  lambda ctx: seen.append(configuration.storage_directory("examples").path) or
                  CheckResult(claim="GF-1/symbolic", result_id="GF-1", verdict="recorded"))
    monkeypatch.setattr(runner, "select", lambda only: (probe,))
    monkeypatch.chdir(tmp_path)
    runner.run_claims("quick", None, "cpu", tmp_path / "out", seed=0)
    assert seen and seen[0].is_relative_to(tmp_path / "out")
    assert not configuration.storage_directory("examples").path.is_relative_to(tmp_path / "out"), "not restored"


# ---------------------------------------------------------------------------------------------- files


def test_figures_use_unique_temporary_names_write_a_pdf_and_strict_json(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "curve.png.tmp").mkdir()  # what a fixed temporary name would collide with
    fig, ax = figures.subplots()
    ax.plot([0, 1], [1, 0])
    paths = figures.save(fig, {"x": [1.0, float("nan")], "y": float("inf")}, tmp_path, "curve")
    png, pdf, data = (tmp_path / paths[k] for k in ("figure", "figure_pdf", "data"))
    assert png.read_bytes().startswith(b"\x89PNG") and pdf.read_bytes().startswith(b"%PDF")
    assert strict_loads(data.read_text()) == {"x": [1.0, None], "y": None, "note": "x[1] is nan; y is +inf "
                                              "(shown as null)"}
    for path in (png, pdf, data):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["curve.json", "curve.pdf", "curve.png",
                                                                       "curve.png.tmp"]


def test_report_json_is_strict_and_outputs_are_0644(tmp_path):
    nan = CheckResult(claim="GD-4/descent", result_id="GD-4", verdict="holds", ratio=float("nan"),
                      looseness=float("inf"), details={"per_check_worst_ratio": {"rate": float("nan")},
                                                       "curve": [1.0, float("-inf")]})
    write_report(tmp_path, [nan], Context(), total=1, wall_time=1.0)
    report = strict_loads((tmp_path / "report.json").read_text())
    assert report["claims"][0]["details"]["per_check_worst_ratio"]["rate"] is None
    assert report["claims"][0]["details"]["curve"] == [1.0, None]
    assert run(["verify", "--only", CHEAP[0], "--device", "cpu", "--out", str(tmp_path / "run")])[0] == 0
    for path in [tmp_path / "report.md", tmp_path / "report.json", *(tmp_path / "run").rglob("*.json"),
                 tmp_path / "run" / "report.md"]:
        if ".hypothesis" not in path.parts:
            assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
        if path.suffix == ".json":
            strict_loads(path.read_text())


# ---------------------------------------------------------------------------------------------- threads


def test_verify_runs_on_one_thread_unless_asked(tmp_path, monkeypatch):
    seen: list[int] = []
    before = torch.get_num_threads()
    _fake_runner(monkeypatch, threads=seen)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert run(["verify", "--device", "cpu", "--out", str(tmp_path)])[0] == 0
    assert run(["verify", "--device", "cpu", "--out", str(tmp_path), "--threads", "3"])[0] == 0
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert run(["verify", "--device", "cpu", "--out", str(tmp_path)])[0] == 0
    assert seen == [1, 3, 2] and torch.get_num_threads() == before
    for bad in ("0", "x", "-2"):
        assert_one_line_error(*run(["verify", "--device", "cpu", "--out", str(tmp_path), "--threads", bad])[::2])


# ---------------------------------------------------------------------------------------------- talking


def test_rows_are_printed_as_claims_finish_and_counts_are_separate(tmp_path, monkeypatch):
    printed_before = []
    real = runner._run_one

    def spy(claim, ctx):  # what was on stdout when each claim started
        printed_before.append(sys.stdout.getvalue())
        return real(claim, ctx)

    monkeypatch.setattr(runner, "_run_one", spy)
    code, out, _ = run(["verify", "--only", *CHEAP, "--device", "cpu", "--out", str(tmp_path)])
    assert code == 0
    assert printed_before[0] == "" and "[1/2] GF-1/symbolic" in printed_before[1]
    assert "2 claims: 2 holds, 0 reacted, 0 recorded, 0 inconclusive (hypothesis fails), 0 failed" in out
    from ipverify.verify.report import count_line

    one = [CheckResult(claim="X", result_id="GF-1", verdict="violated")]
    assert count_line(one) == "1 claim: 0 holds, 0 reacted, 0 recorded, 0 inconclusive (hypothesis fails), " \
                              "1 failed (1 violated)"


def test_an_interrupt_prints_finished_rows_a_partial_report_and_how_to_resume(tmp_path, monkeypatch):
    real = runner._run_one

    def interrupt_second(claim, ctx):
        if claim.id == CHEAP[1]:
            raise KeyboardInterrupt
        return real(claim, ctx)

    monkeypatch.setattr(runner, "_run_one", interrupt_second)
    code, out, err = run(["verify", "--only", *CHEAP, "--device", "cpu", "--out", str(tmp_path), "--seed", "4"])
    assert code == 130 and err == "ipverify: interrupted\n"
    assert "[1/2] GF-1/symbolic" in out and "1 of 2 claims finished: 1 holds" in out
    assert f"resume with: ipverify verify --resume --out {tmp_path} --profile quick --seed 4 --device cpu --only " \
           f"{' '.join(CHEAP)}" in out
    md = (tmp_path / "report.md").read_text()
    assert "INTERRUPTED" in md and "every claim holds" not in md
    assert "None among the 1 claim that finished; the run was interrupted: 1 of 2 were not run" in md
    assert strict_loads((tmp_path / "report.json").read_text())["complete"] is False


def test_sigterm_stops_a_run_like_ctrl_c(tmp_path):
    first = tmp_path / "claims" / "GF-1__symbolic.json"
    proc = subprocess.Popen([sys.executable, "-m", "ipverify", "verify", "--only", "GF-1/symbolic", "GF-5/flow",
                             "--device", "cpu", "--threads", "1", "--out", str(tmp_path)], cwd=REPO,
                            env=_child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not first.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.exists() and proc.poll() is None, proc.communicate(timeout=5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 143 and err.endswith("ipverify: terminated\n") and "Traceback" not in err, err
    assert "resume with: ipverify verify --resume" in out
    report = strict_loads((tmp_path / "report.json").read_text())
    assert report["complete"] is False and [c["claim"] for c in report["claims"]] == ["GF-1/symbolic"]


# ---------------------------------------------------------------------------------------------- report tables


def test_report_renders_crosscheck_and_mutation_tables_and_tolerates_their_absence():
    plain = CheckResult(claim="GF-1/symbolic", result_id="GF-1", verdict="holds")
    text = render_markdown([plain], Context(), total=1, wall_time=1.0)
    assert "## Cross-checks" not in text and "## Mutation score" not in text
    crosscheck = CheckResult(claim="GD-4/crosscheck", result_id="GD-4", verdict="holds", details={"crosscheck": [
        {"source": "deepinv", "result_id": "GD-4", "quantity": "rate", "ours": 0.5, "theirs": 0.25, "valid": True,
         "tightness": 2.0}, {"source": "partial row"}, "not a row"]})
    mutation = CheckResult(claim="theory/mutation", result_id="GF-1", verdict="recorded", details={"mutation": {
        "score": 0.875, "results": [
            {"result_id": "GF-1", "killed": "7/8", "score": 0.875, "survived": ["nu_1: scale"],
             "equivalent": [{"mutant": "R: flip", "reason": "only |R| is used"}]}, "junk"]}})
    text = render_markdown([plain, crosscheck, mutation], Context(), total=3, wall_time=1.0)
    cross = text[text.index("## Cross-checks"):]
    assert "| GD-4/crosscheck | deepinv | GD-4 | rate | 0.5 | 0.25 | True | 2 |" in cross
    assert "| GD-4/crosscheck | partial row | – | – | – | – | – | – |" in cross
    mut = text[text.index("## Mutation score"):]
    assert "overall score 0.875" in mut
    assert "| GF-1 | 7/8 | 0.875 | nu_1: scale | R: flip (only \\|R\\| is used) |" in mut
