"""The `ipverify` command line: listing, showing, bounds against hand arithmetic, errors, and a fuzz of `bound`.

Expected numbers are computed here with plain float arithmetic and `math`, never with the SymPy formulas of
`theory`, so a mistake in an encoding or in the CLI's plumbing shows up as a mismatch.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipverify import theory
from ipverify.verify import cli
from ipverify.verify.result import CheckResult

REPO = Path(__file__).resolve().parents[1]
IDS = theory.ids()
SYMBOLS_OF = {r.id: [s.name for s in r.symbols] for r in theory.results()}
ALL_NAMES = sorted({name for names in SYMBOLS_OF.values() for name in names})
TANH_C_PHI, TANH_C_PHI_PRIME = 0.627929, 0.681471  # 01 §4 reference values


def run(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def strict_loads(text: str):
    """json.loads that rejects NaN/Infinity."""
    def reject(constant):
        raise ValueError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=reject)


def bound_json(*args: str) -> dict:
    code, out, err = run(["bound", *args, "--json"])
    assert code == 0, err
    assert err == ""
    return strict_loads(out)


def assert_one_line_error(code: int, err: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith("ipverify: error:")
    assert err.endswith("\n") and len(err.splitlines()) == 1, err


# ---------------------------------------------------------------------------------------------- list / show


def test_list_shows_every_id():
    code, out, _ = run(["list"])
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines()[1:]]
    assert listed == list(IDS)


def test_list_json():
    code, out, _ = run(["list", "--json"])
    rows = strict_loads(out)
    assert code == 0 and [r["id"] for r in rows] == list(IDS)
    assert set(rows[0]) == {"id", "title", "provenance", "citation", "variant", "sibling"}
    assert {r["provenance"] for r in rows} <= {p.value for p in theory.Provenance}


def test_show_json_parses_and_is_complete():
    code, out, _ = run(["show", "GD-4", "--json"])
    data = strict_loads(out)
    assert code == 0 and data["id"] == "GD-4" and data["sibling"] == "GD-3"
    assert {s["name"] for s in data["symbols"]} == set(SYMBOLS_OF["GD-4"])
    names = [h["name"] for h in data["hypotheses"]]
    assert names == [h.name for h in theory.get("GD-4").hypotheses] and names[:2] == ["gamma*L<2", "R_prime_gamma<R"]
    assert all(c["method"] for c in data["self_checks"]) and data["self_checks"]
    assert data["format"] == "sympy" and "gamma" in data["hypotheses"][0]["relation"]


def test_show_latex_and_case_insensitive_id():
    code, out, _ = run(["show", "gd-4", "--latex"])
    assert code == 0 and out.startswith("GD-4")
    assert "\\" in out and r"\gamma" in out
    code, out, _ = run(["show", "GF-13"])
    assert code == 0 and "k_required" in out and "[symbolic]" in out and "Unconfirmed" in out


# ---------------------------------------------------------------------------------------------- bound: values


def test_gd1_constants_by_hand():
    data = bound_json("GD-1", "gamma=0.5", "L=1")
    assert data["conclusions"]["nu_1_value"]["value"] == pytest.approx(1.5 / 0.75)
    assert data["conclusions"]["nu_1_value"]["value"] == pytest.approx(2.0)
    assert data["conclusions"]["c_gamma_value"]["value"] == pytest.approx(1 / 0.75)
    assert data["inputs"]["nu_1"] == {"value": pytest.approx(2.0), "source": "derived"}
    assert data["inputs"]["gamma"] == {"value": 0.5, "source": "given"}
    assert data["all_hypotheses_hold"] is True
    data = bound_json("GD-1", "gamma=1", "L=1")
    assert data["conclusions"]["nu_1_value"]["value"] == pytest.approx(2 / 0.5) == 4.0


def test_gf7_early_stopping_time_by_hand():
    sa, s0, r0, eps, t = 0.5, 0.8, 2.0, 0.01, 1.0
    data = bound_json("GF-7", f"sigma_A={sa}", f"sigma_0={s0}", f"residual_0={r0}", f"noise={eps}", f"t={t}", "R=100",
                      "Lip_J=0.001")  # R·Lip_J = 0.1 ≤ σ₀/2 = 0.4
    t_star = 4 / (0.25 * 0.64) * math.log(200)
    assert data["conclusions"]["t_star"]["value"] == pytest.approx(t_star, rel=1e-12)
    assert data["conclusions"]["prediction_bound"]["value"] == pytest.approx(r0 * math.exp(-0.25 * 0.64 / 4) + eps)
    assert data["conclusions"]["floor"]["value"] == pytest.approx(0.02)
    assert data["inputs"]["R_prime"]["value"] == pytest.approx(2 * r0 / (sa * s0))
    assert data["all_hypotheses_hold"] is True


def test_gf13_width_by_hand():
    sa, s0, r0, b, c = 0.5, 0.8, 2.0, 1.3, 3.0
    data = bound_json("GF-13", f"sigma_A={sa}", f"sigma_0={s0}", f"residual_0={r0}", f"B={b}", f"V_col_max={c}",
                      "k=10")
    r_prime = 2 * r0 / (sa * s0)
    k_required = (2 * b * r_prime * (2 + c + r_prime) / s0) ** 2
    assert data["conclusions"]["k_required"]["value"] == pytest.approx(k_required, rel=1e-12)
    assert data["all_hypotheses_hold"] is False and data["binding"] == "k>k_required"


def test_gf13_worst_case_column_norm_from_default_d():
    data = bound_json("GF-13", "sigma_A=1", "sigma_0=1", "residual_0=1", "B=1", "n=9", "k=5")
    assert data["inputs"]["D"] == {"value": 1.0, "source": "default"}
    assert data["inputs"]["V_col_max"] == {"value": pytest.approx(3.0), "source": "derived"}
    assert data["conclusions"]["k_required"]["value"] == pytest.approx((2 * 2 * (2 + 3 + 2)) ** 2)


def certified_radius(b: float, k: float, c: float, s0: float) -> float:
    """Positive root of (b/√k) R (2 + c + R) = s0/2, by the quadratic formula."""
    q = s0 * math.sqrt(k) / (2 * b)
    return (-(2 + c) + math.sqrt((2 + c) ** 2 + 4 * q)) / 2


def test_gf5_activation_tanh_fills_b_and_r_from_k():
    data = bound_json("GF-5", "sigma_A=0.5", "sigma_0=0.8", "residual_0=2", "k=1000000", "V_col_max=3",
                      "activation=tanh")
    assert data["inputs"]["B"] == {"value": 1.0, "source": "activation"}
    assert data["activation"]["name"] == "tanh" and data["activation"]["is_c2"] is True
    assert data["activation"]["C_phi"] == pytest.approx(TANH_C_PHI, abs=1e-6)
    assert data["activation"]["filled"] == ["B"]
    assert data["inputs"]["R"]["source"] == "derived"
    assert data["inputs"]["R"]["value"] == pytest.approx(certified_radius(1.0, 1e6, 3.0, 0.8), rel=1e-10)
    assert data["inputs"]["t"] == {"value": 0.0, "source": "default"}


def test_gf9_activation_fills_gaussian_constants():
    data = bound_json("GF-9", "activation=tanh", "sigma_0=0.5")
    assert data["inputs"]["C_phi"]["value"] == pytest.approx(TANH_C_PHI, abs=1e-6)
    assert data["inputs"]["C_phi_prime"]["value"] == pytest.approx(TANH_C_PHI_PRIME, abs=1e-6)
    assert data["inputs"]["C_phi"]["source"] == "activation"
    assert data["conclusions"]["sigma_0_lower"]["value"] == pytest.approx(TANH_C_PHI / 2, abs=1e-6)


def test_given_value_beats_activation():
    data = bound_json("GF-5", "activation=tanh", "B=2.5")
    assert data["inputs"]["B"] == {"value": 2.5, "source": "given"}
    assert data["activation"]["filled"] == []


def test_tiny_width_names_binding_condition():
    data = bound_json("GF-5", "sigma_A=0.5", "sigma_0=0.8", "residual_0=2", "k=1", "V_col_max=3", "activation=tanh")
    (hyp,) = [h for h in data["hypotheses"] if h["name"] == "R_prime<R"]
    assert data["binding"] == "R_prime<R" and hyp["holds"] is False
    assert hyp["margin"] < 0 and hyp["relative_margin"] < 0
    assert hyp["lhs"] == pytest.approx(10.0) and hyp["rhs"] == pytest.approx(certified_radius(1, 1, 3, 0.8))
    code, out, _ = run(["bound", "GF-5", "sigma_A=0.5", "sigma_0=0.8", "residual_0=2", "k=1", "V_col_max=3", "B=1"])
    assert code == 0 and "binding condition: R_prime<R (violated" in out


def test_missing_items_say_what_to_give():
    data = bound_json("GF-5")
    assert data["all_hypotheses_hold"] is None and data["binding"] is None
    assert set(data["missing"]["R_prime<R"]) == {"R_prime", "R"}
    assert data["alternatives"]["R_prime"] == [["R_prime"], ["sigma_A", "sigma_0", "residual_0"]]
    assert data["alternatives"]["R"] == [["R"], ["sigma_0", "B", "k", "V_col_max"]]
    code, out, _ = run(["bound", "GF-5", "sigma_0=1"])
    assert code == 0 and "give R_prime, or sigma_A, residual_0" in out


def test_infinite_conclusion_is_null_with_note():
    data = bound_json("GF-7", "sigma_A=0.5", "sigma_0=0.8", "residual_0=2")  # noise defaults to 0: t* = inf
    assert data["conclusions"]["t_star"]["value"] is None
    assert "inf" in data["conclusions"]["t_star"]["note"]


def test_gamma_l_hypothesis_fails_below_two():
    data = bound_json("GD-1", "gamma=1.5", "L=1")
    assert data["binding"] == "gamma*L<=1" and data["all_hypotheses_hold"] is False
    assert data["conclusions"]["nu_1_value"]["value"] == pytest.approx(2.5 / 0.25)


def test_given_defined_symbol_is_noted():
    data = bound_json("GD-1", "gamma=0.5", "L=1", "nu_1=3")
    assert data["inputs"]["nu_1"] == {"value": 3.0, "source": "given"}
    assert any(note.startswith("nu_1 was given") for note in data["notes"])


def test_elu_is_flagged_not_c2_for_gd6():
    data = bound_json("GD-6", "activation=elu")
    assert data["activation"]["is_c2"] is False and any("C²" in note for note in data["notes"])


# ---------------------------------------------------------------------------------------------- errors


ERRORS = {
    "no command": [],
    "unknown subcommand": ["frobnicate"],
    "unknown id (show)": ["show", "XX-9"],
    "unknown id (bound)": ["bound", "GD-99", "gamma=1"],
    "unknown symbol": ["bound", "GD-1", "gama=1"],
    "missing =": ["bound", "GD-1", "gamma"],
    "non-numeric": ["bound", "GD-1", "gamma=1/2"],
    "expression is not evaluated": ["bound", "GD-1", "gamma=__import__('os')"],
    "nan": ["bound", "GD-1", "gamma=nan"],
    "inf": ["bound", "GD-1", "gamma=inf"],
    "overflow to inf": ["bound", "GD-1", "gamma=1e999"],
    "out of domain": ["bound", "GD-1", "gamma=-0.5"],
    "zero not positive": ["bound", "GF-5", "sigma_A=0"],
    "alpha out of (0,1]": ["bound", "GF-4", "alpha_KL=1.5"],
    "non-integer width": ["bound", "GF-13", "k=3.5"],
    "zero width": ["bound", "GF-13", "k=0"],
    "unknown activation": ["bound", "GF-5", "activation=relu"],
    "twice": ["bound", "GD-1", "gamma=1", "gamma=2"],
    "unknown option": ["bound", "GD-1", "--frob"],
    "extra argument": ["list", "extra"],
    "bad seed": ["verify", "--seed", "x"],
    "bad profile": ["verify", "--profile", "huge"],
    "bad device": ["verify", "--device", "tpu"],
}


@pytest.mark.parametrize("argv", list(ERRORS.values()), ids=list(ERRORS))
def test_bad_input_is_one_line_exit_2(argv):
    code, out, err = run(argv)
    assert_one_line_error(code, err)
    assert out == ""


def test_error_messages_name_the_allowed_values():
    assert "known ids: GF-1" in run(["show", "XX-9"])[2]
    assert "allowed: gamma, L, nu_1, c_gamma, activation" in run(["bound", "GD-1", "gama=1"])[2]
    assert "did you mean 'gamma'" in run(["bound", "GD-1", "gama=1"])[2]
    assert "allowed: elu, sigmoid, softplus, tanh" in run(["bound", "GF-5", "activation=relu"])[2]
    assert "integer" in run(["bound", "GF-13", "k=3.5"])[2]
    assert "positive" in run(["bound", "GD-1", "gamma=-0.5"])[2]


def test_unwritable_out_is_checked_before_running(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setitem(sys.modules, "ipverify.verify.runner",
                        types.SimpleNamespace(run_claims=lambda **kw: calls.append(kw) or []))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = run(["verify", "--device", "cpu", "--out", str(blocker / "sub")])
    assert_one_line_error(code, err)
    assert "--out" in err and calls == []


def test_keyboard_interrupt_gives_130(monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "list", interrupted)
    code, _, err = run(["list"])
    assert code == 130 and "Traceback" not in err


def test_unexpected_exception_is_one_line(monkeypatch):
    def broken(args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setitem(cli.COMMANDS, "list", broken)
    code, _, err = run(["list"])
    assert_one_line_error(code, err)
    assert "RuntimeError: boom second line" in err


def test_help_exits_zero():
    code, out, _ = run(["bound", "--help"])
    assert code == 0 and "name=value" in out


# ---------------------------------------------------------------------------------------------- verify


def _fake_runner(monkeypatch, verdicts):
    calls = []

    def run_claims(profile, only, device, out, seed, resume, progress, **where):  # where: jobs, executor...
        calls.append(dict(profile=profile, only=only, device=device, out=out, seed=seed, resume=resume))
        out.mkdir(parents=True, exist_ok=True)
        results = [CheckResult(claim=f"C-{i}", result_id="GF-5", verdict=v, ratio=0.5 if i else None, instances=3,
                               wall_time=1.25) for i, v in enumerate(verdicts)]
        for i, result in enumerate(results):
            progress(i + 1, len(results), result)
        return results

    monkeypatch.setitem(sys.modules, "ipverify.verify.runner", types.SimpleNamespace(run_claims=run_claims))
    return calls


def test_verify_passes_arguments_and_exit_0(tmp_path, monkeypatch):
    calls = _fake_runner(monkeypatch, ["holds", "reacted", "hypothesis fails"])
    out_dir = tmp_path / "new" / "report"
    code, out, err = run(["verify", "--profile", "full", "--only", "GF-5", "GD-4", "--device", "cpu",
                          "--out", str(out_dir), "--seed", "7", "--resume"])
    assert code == 0, err
    assert calls == [dict(profile="full", only=["GF-5", "GD-4"], device="cpu", out=out_dir, seed=7, resume=True)]
    assert out_dir.is_dir()
    assert "C-1" in out and "0.5" in out and "1.25s" in out
    assert "3 claims: 1 holds, 1 reacted, 0 recorded, 1 inconclusive (hypothesis fails), 0 failed" in out


def test_verify_exit_1_on_failure(tmp_path, monkeypatch):
    calls = _fake_runner(monkeypatch, ["holds", "violated"])
    code, out, _ = run(["verify", "--device", "cpu", "--out", str(tmp_path)])
    assert code == 1 and "violated" in out and calls[0]["profile"] == "quick" and calls[0]["only"] is None


def test_verify_unknown_only_is_one_line(tmp_path, monkeypatch):
    def run_claims(**kwargs):
        raise KeyError("unknown claim or result id(s) ['NOPE']")

    monkeypatch.setitem(sys.modules, "ipverify.verify.runner", types.SimpleNamespace(run_claims=run_claims))
    code, _, err = run(["verify", "--device", "cpu", "--out", str(tmp_path), "--only", "NOPE"])
    assert_one_line_error(code, err)
    assert "error: unknown claim" in err


def test_verify_without_runner_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipverify.verify.runner", None)  # import raises ImportError
    code, _, err = run(["verify", "--device", "cpu", "--out", str(tmp_path)])
    assert_one_line_error(code, err)


# ---------------------------------------------------------------------------------------------- entry point


def _subprocess(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "ipverify", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_files_of_the_user_named_like_the_packages_do_not_shadow_them(tmp_path):
    """Run from a folder holding verify.py, theory.py and numerics.py that would fail on import."""
    for name in ("verify", "theory", "numerics"):
        (tmp_path / f"{name}.py").write_text(f"raise SystemExit('the user\'s {name}.py was imported')\n")
    proc = _subprocess("list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "GD-1" in proc.stdout and "JFB-5" in proc.stdout


def test_python_dash_m_verify_bound():
    proc = _subprocess("bound", "GD-1", "gamma=0.5", "--json", "L=1")
    assert proc.returncode == 0, proc.stderr
    assert strict_loads(proc.stdout)["conclusions"]["nu_1_value"]["value"] == pytest.approx(2.0)


def test_python_dash_m_verify_error():
    proc = _subprocess("bound", "GD-1", "gamma=nan")
    assert proc.returncode == 2 and proc.stdout == ""
    assert_one_line_error(proc.returncode, proc.stderr)


# ---------------------------------------------------------------------------------------------- fuzz


def _asks_for_help(arg: str) -> bool:
    """-h, -hh…, --help print the usage and exit 0 (not a JSON object), so the fuzz leaves them out."""
    return arg == "--help" or (arg.startswith("-") and set(arg[1:]) == {"h"})


JUNK = st.text(max_size=8).filter(lambda s: not _asks_for_help(s))
NUMBERS = st.one_of(
    st.floats(min_value=1e-3, max_value=1e3).map(repr),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-3, max_value=10**6).map(str),
    st.sampled_from(["nan", "-inf", "inf", "1e400", "-0.0", "5e-324", "1e308", "0", "1/2", "0x10", "", "tanh", "elu",
                     "relu", "1e-300", "3.5"]),
    JUNK,
)


INTEGER_NAMES = {s.name for r in theory.results() for s in r.symbols if s.domain.integer}
POSITIVE = st.one_of(st.floats(min_value=1e-3, max_value=1e3), st.floats(min_value=5e-324, max_value=1e308),
                     st.sampled_from([5e-324, 1e-300, 1e-12, 1.0, 1e12, 1e300, 1.7e308]))
INTEGERS = st.one_of(st.integers(min_value=1, max_value=10**6), st.sampled_from([1, 2, 10**15, 10**300]))


@st.composite
def plausible_pairs(draw, rid: str) -> list[str]:
    """Distinct names of the result with in-domain values (extreme magnitudes included): mostly exit 0."""
    names = draw(st.lists(st.sampled_from(SYMBOLS_OF[rid]), unique=True, max_size=8))
    pairs = [f"{name}={draw(INTEGERS if name in INTEGER_NAMES else POSITIVE)!r}" for name in names]
    if draw(st.booleans()):
        pairs.append(f"activation={draw(st.sampled_from(['tanh', 'sigmoid', 'softplus', 'elu', 'ELU', 'relu']))}")
    return pairs


@st.composite
def junk_pairs(draw, rid: str) -> list[str]:
    """Real and junk names, awkward values, missing '='."""
    names = SYMBOLS_OF.get(rid.strip().upper(), ALL_NAMES) + ["activation"]
    pair = st.tuples(st.one_of(st.sampled_from(names), st.sampled_from(ALL_NAMES), JUNK), NUMBERS).map("=".join)
    return draw(st.lists(st.one_of(pair, pair, pair, JUNK), max_size=6))


@st.composite
def bound_argv(draw):
    """`bound` argument lists: real, lower-case and junk ids; plausible or junk name=value lists; maybe --json."""
    rid = draw(st.one_of(st.sampled_from(IDS), st.sampled_from(IDS).map(str.lower), JUNK))
    plausible = rid.upper() in SYMBOLS_OF and draw(st.booleans())
    pairs = draw(plausible_pairs(rid.upper()) if plausible else junk_pairs(rid))
    return ["bound", rid, *pairs] + (["--json"] if draw(st.booleans()) else [])


def _all_numbers_finite(obj) -> bool:
    if isinstance(obj, dict):
        return all(_all_numbers_finite(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_all_numbers_finite(v) for v in obj)
    if isinstance(obj, float):
        return math.isfinite(obj)
    return True


@settings(max_examples=int(os.environ.get("IPVERIFY_FUZZ_EXAMPLES", examples(50, 300, 3000))), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(bound_argv())
def test_fuzz_bound(argv):
    code, out, err = run(argv)
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        assert_one_line_error(code, err)
        return
    assert err == ""
    if "--json" in argv:
        data = strict_loads(out)
        assert _all_numbers_finite(data)
        json.dumps(data, allow_nan=False)
        assert {"id", "title", "provenance", "inputs", "hypotheses", "all_hypotheses_hold", "binding", "conclusions",
                "missing"} <= set(data)


def _valid_value(sym) -> str:
    """A value inside the symbol's domain that keeps γL < 2 and ρ < 1 (1/4 is inside every interval used)."""
    return "3" if sym.domain.integer else "0.25"


@pytest.mark.parametrize("result", theory.results(), ids=lambda r: r.id)
def test_bound_answers_for_every_id_with_everything_evaluated(result):
    argv = ["bound", result.id, "--json"] + [f"{s.name}={_valid_value(s)}" for s in result.symbols]
    code, out, err = run(argv)
    assert code == 0, err
    payload = json.loads(out)
    assert payload["missing"] == {}
    assert len(payload["hypotheses"]) == len(result.hypotheses)
    assert set(payload["conclusions"]) == {q.name for q in result.conclusions}
