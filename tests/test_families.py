"""Families are data: a family from outside the package is found, listed, shown, bounded, verified and reported
with nothing edited but its two modules (tests/fixtures/families: gdq_theory, gdq_claims); a lemma is reused under
other names with its self-checks; plug-in names are module names only."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp
from test_cli import assert_one_line_error, run

from ipverify import theory
from ipverify.theory import Family, Hypothesis, Provenance, Quantity, Result, Sym, Undefined
from ipverify.theory._core import REAL
from ipverify.theory.equilibrium_relaxed import JFB_7
from ipverify.theory.registry import ENTRY_POINT_GROUP, PLUGIN_VARIABLE, _load

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "families"


def ipverify(*argv: str, families: str | None = "gdq_theory", path: tuple[Path, ...] = (FIXTURES,),
             cwd: Path = REPO) -> subprocess.CompletedProcess:
    """`python -m ipverify ARGV` with the fixture folder importable and (by default) named in IPVERIFY_FAMILIES."""
    env = {k: v for k, v in os.environ.items() if k != PLUGIN_VARIABLE}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([*map(str, path), env.get("PYTHONPATH", "")]))
    if families is not None:
        env[PLUGIN_VARIABLE] = families
    return subprocess.run([sys.executable, "-m", "ipverify", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


# ---------------------------------------------------------------------------------------------- the plug-in family


def test_a_family_outside_the_package_is_listed_shown_and_bounded():
    listed = ipverify("list")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert rows[-1][:2] == ["GDQ-1", "DERIVED"] and "reused from JFB-7" in listed.stdout  # its order puts it last
    assert [r[0] for r in rows[:-1]] == list(theory.ids())

    shown = ipverify("show", "gdq-1", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert [h["name"] for h in data["hypotheses"]] == ["sc_modulus<=L", "sc_modulus+ridge>0", "gamma*(L-ridge)<2"]
    assert data["choices"][0].startswith("Same statement as JFB-7 under tau_FB → gamma, mu_FB → sc_modulus")
    assert len(data["self_checks"]) == len(JFB_7.self_checks)

    # γ = 0.5, μ = 0.2, L = 3: max(|1 − 0.1|, |1 − 1.5|) = 0.9, and the best step 2/(μ + L) gives (L − μ)/(L + μ)
    bounded = ipverify("bound", "GDQ-1", "gamma=0.5", "sc_modulus=0.2", "L=3", "--json")
    assert bounded.returncode == 0, bounded.stderr
    data = json.loads(bounded.stdout)
    assert data["all_hypotheses_hold"] is True and data["inputs"]["ridge"] == {"value": 0.0, "source": "default"}
    assert data["conclusions"]["q_step_value"]["value"] == pytest.approx(0.9)
    assert data["conclusions"]["gamma_opt"]["value"] == pytest.approx(2 / 3.2)
    assert data["conclusions"]["q_opt"]["value"] == pytest.approx(2.8 / 3.2)


def test_a_family_outside_the_package_is_verified_and_reported(tmp_path):
    out = tmp_path / "out"
    proc = ipverify("verify", "--only", "GDQ-1", "--out", str(out), "--jobs", "1", "--device", "cpu")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = {c["claim"]: c for c in json.loads((out / "report.json").read_text())["claims"]}
    assert set(records) == {"GDQ-1/symbolic", "GDQ-1/contraction", "GDQ-1/step-too-large"}
    assert records["GDQ-1/symbolic"]["verdict"] == "holds"
    assert records["GDQ-1/contraction"]["verdict"] == "holds" and 0.5 < records["GDQ-1/contraction"]["ratio"] <= 1
    assert records["GDQ-1/step-too-large"]["verdict"] == "reacted"
    report = (out / "report.md").read_text()
    heading = ('## GDQ — Gradient descent on a strongly convex quadratic (Polyak 1987, reused from JFB-7) '
               '<a id="family-gdq"></a>')
    assert heading in report and report.index(heading) < report.index("### GDQ-1 — Gradient descent contracts")


def test_a_family_is_found_through_its_entry_point(tmp_path):
    dist = tmp_path / "gdq_fixture-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: gdq-fixture\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\ngdq = gdq_theory\n")
    proc = ipverify("show", "GDQ-1", families=None, path=(tmp_path, FIXTURES))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("GDQ-1 — Gradient descent contracts")
    assert "GDQ-1" not in theory.ids()  # here, with neither the entry point nor the variable


# ---------------------------------------------------------------------------------------------- bad plug-in names


@pytest.fixture
def families_variable(monkeypatch):
    """Set IPVERIFY_FAMILIES for an in-process command; the catalogue is rebuilt before and after."""
    def set_to(value: str):
        monkeypatch.setenv(PLUGIN_VARIABLE, value)
        _load.cache_clear()

    yield set_to
    monkeypatch.delenv(PLUGIN_VARIABLE, raising=False)
    _load.cache_clear()


@pytest.mark.parametrize("value, message", [
    ("tests/fixtures/families/gdq_theory.py", "is not a module name"),
    ("../gdq_theory", "is not a module name"),
    ("no_such_module_for_ipverify", "cannot import 'no_such_module_for_ipverify': ModuleNotFoundError"),
    ("json", "module 'json' declares neither FAMILY nor RESULTS"),
])
@pytest.mark.parametrize("command", [["list"], ["show", "GD-4"], ["bound", "GD-1", "gamma=0.1", "L=1"]])
def test_a_bad_plug_in_name_is_a_one_line_error(families_variable, value, message, command):
    families_variable(value)
    code, out, err = run(command)
    assert_one_line_error(code, err)
    assert out == "" and PLUGIN_VARIABLE in err and message in err


def test_a_result_without_a_declared_family_is_refused(families_variable, monkeypatch, tmp_path):
    (tmp_path / "orphan_results.py").write_text(
        "from ipverify.theory.equilibrium_relaxed import JFB_7\n"
        "RESULTS = (JFB_7.renamed('ORPHAN-1', {}, title='no family'),)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    families_variable("orphan_results")
    with pytest.raises(theory.FamilyError, match=r"ORPHAN-1 \(in orphan_results\) has no family"):
        theory.results()


# ---------------------------------------------------------------------------------------------- families as data


def test_every_result_belongs_to_a_declared_family_in_the_declared_order():
    families = theory.families()
    assert [f.prefix for f in families] == ["GF", "GD", "IN", "JFB"]
    assert [f.order for f in families] == sorted(f.order for f in families)
    assert all(f.paper in f.heading and f.title in f.heading for f in families)
    prefixes = [theory.family(rid).prefix for rid in theory.ids()]
    assert prefixes == sorted(prefixes, key=[f.prefix for f in families].index)
    assert theory.family("IN-B3").prefix == "IN"


def test_a_family_prefix_is_checked():
    for bad in ("gd", "G-D", "", "1GD"):
        with pytest.raises(ValueError, match="family prefix"):
            Family(bad, "title", "paper")


# ---------------------------------------------------------------------------------------------- reuse by renaming


def _gdq():
    sys.path.insert(0, str(FIXTURES))
    try:
        import gdq_theory
    finally:
        sys.path.remove(str(FIXTURES))
    return gdq_theory.GDQ_1


def test_a_renamed_record_keeps_provenance_and_its_self_checks_verify():
    gdq = _gdq()
    assert gdq.reuses == "JFB-7" and gdq.provenance is JFB_7.provenance and gdq.sibling is None
    assert gdq.citation.startswith("same statement as JFB-7")
    gamma, mu, L = (s.symbol for s in (gdq.symbol("gamma"), gdq.symbol("sc_modulus"), gdq.symbol("L")))
    assert gdq.expr("q_step_value").subs(gdq.symbol("ridge").symbol, 0) == sp.Max(sp.Abs(1 - gamma * mu),
                                                                                 sp.Abs(1 - gamma * L))
    assert all(check.verify(gdq) for check in gdq.self_checks)


@pytest.mark.parametrize("name, mutate", [("q_step_value", lambda e: 2 * e), ("gamma_opt", lambda e: e + 1),
                                          ("q_step", lambda e: -e)])
def test_a_changed_renamed_record_fails_the_transported_self_checks(name, mutate):
    gdq = _gdq()

    def changed(items):
        return tuple(dataclasses.replace(q, expr=mutate(q.expr)) if q.name == name else q for q in items)

    mutant = dataclasses.replace(gdq, definitions=changed(gdq.definitions), conclusions=changed(gdq.conclusions))
    assert not all(check.verify(mutant) for check in mutant.self_checks)


def test_a_renaming_that_widens_a_domain_or_names_an_unknown_symbol_is_refused():
    with pytest.raises(ValueError, match="not inside the domain of tau_FB"):
        JFB_7.renamed("X-1", {"tau_FB": Sym("step", "a step", REAL)})
    with pytest.raises(ValueError, match="no symbols"):
        JFB_7.renamed("X-1", {"tau": "gamma"})


# ---------------------------------------------------------------------------------------------- undefined regions


def _toy(undefined: tuple[Undefined, ...]) -> Result:
    x, y = sp.Symbol("x", positive=True), sp.Symbol("y", positive=True)
    return Result(id="TOY-1", title="toy", citation="-", provenance=Provenance.DERIVED, statement="-",
                  symbols=(Sym("x", "x"), Sym("y", "y = 1/(1 − x)")),
                  hypotheses=(Hypothesis("x<1", sp.StrictLessThan(x, 1), "x < 1"),
                              Hypothesis("y<10", sp.StrictLessThan(y, 10), "reads y")),
                  definitions=(Quantity("y", 1 / (1 - x), "pole at 1"),),
                  conclusions=(Quantity("twice_y", 2 * y, "reads y"), Quantity("x_squared", x**2, "defined")),
                  undefined=undefined)


def test_an_undefined_region_must_be_excluded_by_a_hypothesis():
    x = sp.Symbol("x", positive=True)
    toy = _toy((Undefined(sp.GreaterThan(x, 1), "pole", ("y",)),))
    assert set(toy.undefined_quantities()) == {"y", "twice_y", "y<10"}  # those read the undefined definition
    with pytest.raises(ValueError, match="not excluded by a hypothesis"):
        _toy((Undefined(sp.GreaterThan(x, 2), "pole", ("y",)),))
    with pytest.raises(ValueError, match="unknown quantities"):
        _toy((Undefined(sp.GreaterThan(x, 1), "pole", ("z",)),))
    with pytest.raises(ValueError, match="must stay defined"):
        _toy((Undefined(sp.GreaterThan(x, 1), "pole", ("y", "x<1")),))
