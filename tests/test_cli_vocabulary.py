"""One vocabulary for `ipverify bound`, a failed hypothesis as an answer, light imports.

Every result's `bound` takes the dimensions n, m, d, k and the noise (as ‖ε‖ or as a per-entry σ); a name a result
does not use is ignored with a note. `list`, `show` and `bound` load neither
torch, nor scipy, nor matplotlib.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_cli import assert_one_line_error, bound_json, run

from ipverify import theory
from ipverify.verify.claims import select

REPO = Path(__file__).resolve().parents[1]
COMMON = ("n", "m", "d", "k", "noise")
GF7_HOLDING = ("sigma_A=0.5", "sigma_0=0.8", "residual_0=0.01", "R=1", "Lip_J=0.1")


# ---------------------------------------------------------------------------------------------- vocabulary


@pytest.mark.parametrize("result_id", theory.ids())
def test_every_result_takes_the_dimensions_and_the_noise(result_id):
    declared = {s.name for s in theory.get(result_id).symbols}
    values = {"n": "5", "m": "7", "d": "3", "k": "4", "noise": "0.125"}
    data = bound_json(result_id, *(f"{name}={value}" for name, value in values.items()))
    for name in COMMON:
        ignored = f"{name} = {float(values[name]):g} ignored: {result_id} does not depend on it"
        if name in declared:
            assert data["inputs"][name] == {"value": float(values[name]), "source": "given"}
            assert not any(note.startswith(ignored) for note in data["notes"])
        else:
            assert name not in data["inputs"]
            assert any(note.startswith(ignored) for note in data["notes"]), data["notes"]


def test_a_mistyped_name_still_fails_and_lists_the_common_names():
    code, _, err = run(["bound", "GD-1", "nosie=0.1"])
    assert_one_line_error(code, err)
    assert "did you mean 'noise'" in err and "for every result: n, m, d, k, noise, noise_sigma" in err


def test_a_common_name_is_still_checked_against_its_domain():
    for argv in (["bound", "GD-1", "m=2.5"], ["bound", "GD-1", "noise=-1"], ["bound", "GF-7", "noise_sigma=-1",
                                                                              "m=3"]):
        assert_one_line_error(*run(argv)[::2])


def test_noise_sigma_gives_a_noise_level_that_holds_with_probability_099():
    sigma, m = 0.01, 100
    data = bound_json("GF-7", *GF7_HOLDING, f"noise_sigma={sigma}", f"m={m}")
    noise = data["inputs"]["noise"]
    assert noise["source"] == "noise model"
    # the claim itself, sampled: ε with m independent N(0, σ²) entries stays below the level in ≥ 99% of draws
    draws = np.random.default_rng(7).normal(0.0, sigma, size=(40_000, m))
    inside = float(np.mean(np.linalg.norm(draws, axis=1) <= noise["value"]))
    assert inside >= 0.99
    # and the level is not loose by orders of magnitude: E‖ε‖ is close to σ√m
    assert noise["value"] < 2 * float(np.mean(np.linalg.norm(draws, axis=1)))
    assert data["all_hypotheses_hold"] is True
    assert data["verdict"].startswith("holds provided that") and "probability ≥ 0.99" in data["verdict"]
    assert any("with probability ≥ 0.99" in note for note in data["notes"])


def test_a_noise_norm_given_directly_carries_no_probability():
    data = bound_json("GF-7", *GF7_HOLDING, "noise=0.13")
    assert data["inputs"]["noise"]["source"] == "given"
    assert "probability" not in data["verdict"]


@pytest.mark.parametrize("argv, message", [
    (["GF-7", "noise_sigma=0.01"], "noise_sigma needs m"),
    (["GF-7", "noise=0.1", "noise_sigma=0.01", "m=4"], "not both"),
])
def test_noise_sigma_errors(argv, message):
    code, out, err = run(["bound", *argv])
    assert_one_line_error(code, err)
    assert message in err and out == ""


def test_noise_sigma_is_ignored_where_there_is_no_noise():
    data = bound_json("GD-1", "gamma=0.4", "L=2", "noise_sigma=0.01")
    assert "noise" not in data["inputs"]
    assert any(note.startswith("noise_sigma = 0.01 ignored") for note in data["notes"])


# ---------------------------------------------------------------------------------------------- failed hypotheses


def test_a_too_large_step_is_a_failed_hypothesis_not_an_error():
    data = bound_json("GD-4", "gamma=0.3", "L=10")
    verdicts = {h["name"]: h for h in data["hypotheses"]}
    assert verdicts["gamma*L<2"]["holds"] is False and verdicts["gamma*L<2"]["margin"] < 0
    assert data["all_hypotheses_hold"] is False and data["verdict"] == "does not hold"
    # what can still be computed: the largest admissible step, where γL reaches 2
    gamma_max = data["conclusions"]["gamma_max"]["value"]
    assert gamma_max * 10 == pytest.approx(2)
    assert any(note.startswith("hypothesis gamma*L<2 fails") for note in data["notes"])
    # c_γ = 1/(1 − γL/2) has no value beyond its pole: undefined with the reason, never a negative number
    assert data["inputs"]["c_gamma"]["source"] == "undefined" and data["inputs"]["c_gamma"]["value"] is None
    assert "pole at 2" in data["inputs"]["c_gamma"]["reason"]
    ok = bound_json("GD-4", f"gamma={gamma_max * 0.99}", "L=10")
    assert {h["name"]: h for h in ok["hypotheses"]}["gamma*L<2"]["holds"] is True
    assert ok["inputs"]["c_gamma"]["source"] == "derived" and ok["inputs"]["c_gamma"]["value"] > 0


def test_an_overflowing_step_is_a_failed_hypothesis_in_strict_json():
    data = bound_json("GD-1", "gamma=1e200", "L=1e200")  # strict JSON: a NaN or inf value would be rejected
    assert data["all_hypotheses_hold"] is False


# ---------------------------------------------------------------------------------------------- verify --only


def test_a_mistyped_claim_id_gets_a_suggestion():
    with pytest.raises(KeyError, match=r"did you mean 'GD4' → 'GD-4'"):
        select(["GD4"])
    with pytest.raises(KeyError) as info:
        select(["ZZZZZZ"])
    assert "did you mean" not in str(info.value)


# ---------------------------------------------------------------------------------------------- imports

HEAVY = ("torch", "scipy", "matplotlib")


_PROBE = """
import contextlib, io, json, sys
from ipverify.verify.cli import main
HEAVY = {heavy!r}
rows = []
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = main(argv)
    rows.append([argv, code, sorted(m for m in HEAVY if m in sys.modules), out.getvalue()[:200]])
print(json.dumps(rows))
"""


def _commands_in_one_subprocess(commands: list[list[str]], cache: Path) -> list[tuple[list[str], int, list[str], str]]:
    """Run `commands` one after the other through the CLI's main in one fresh interpreter; after each, the heavy
    modules then loaded (they stay loaded, so a command that needs one must come last)."""
    env = {**os.environ, "IPVERIFY_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    env.pop("IPVERIFY_FAMILIES", None)
    proc = subprocess.run([sys.executable, "-c", _PROBE.format(heavy=HEAVY), json.dumps(commands)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return [tuple(row) for row in json.loads(proc.stdout)]


def test_list_show_and_bound_import_neither_torch_nor_scipy_nor_matplotlib(tmp_path):
    light = [["bound", "GD-1", "gamma=0.4", "L=2"], ["list"], ["show", "GD-4"], ["bound", "GF-5", "--json"]]
    # negative control, last: the probe does see torch when a command needs it
    rows = _commands_in_one_subprocess([*light, ["bound", "GF-5", "activation=tanh"]], tmp_path)
    for argv, code, heavy, out in rows[:-1]:
        assert code == 0 and out, (argv, out)
        assert heavy == [], (argv, heavy)
    argv, code, heavy, _ = rows[-1]
    assert code == 0 and "torch" in heavy, (argv, heavy)
