"""The catalogue walk: every record is well formed, every self-check passes, and the checks can fail."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from ipverify import theory
from ipverify.theory import Provenance
from ipverify.theory._proofs import holds_on_grid, identical, increasing, nonnegative, positive

ROOT = Path(__file__).resolve().parents[1]
SELF_CHECKS = [(r, c) for r in theory.results() for c in r.self_checks]


def test_catalogue_covers_the_gradient_flow_and_descent_notes():
    expected = {f"GF-{i}" for i in range(1, 14)} | {f"GD-{i}" for i in range(1, 7)}
    assert expected <= set(theory.ids())


@pytest.mark.parametrize("result", theory.results(), ids=lambda r: r.id)
def test_record_is_complete(result):
    assert result.title and result.citation and result.statement and result.references
    assert isinstance(result.provenance, Provenance)
    for section in ("Statement", "Assumptions", "Guarantee", "Provenance", "References"):
        assert section in result.__doc__
    assert result.conclusions or result.hypotheses, "nothing to evaluate"
    for sym in result.symbols:
        assert sym.name.isidentifier()
        assert theory.SYMBOLS[sym.name] == sym, f"{sym.name} differs from the shared notation table"


@pytest.mark.parametrize("result", theory.results(), ids=lambda r: r.id)
def test_derived_results_carry_symbolic_checks(result):
    if result.provenance is Provenance.DERIVED:
        assert result.self_checks, f"{result.id} is derived here but proves nothing"


@pytest.mark.parametrize("result", theory.results(), ids=lambda r: r.id)
def test_recalled_results_name_what_is_unconfirmed(result):
    if result.provenance is Provenance.RECALLED:
        assert result.unconfirmed


def test_siblings_point_both_ways():
    for result in theory.results():
        if result.sibling:
            assert theory.get(result.sibling).sibling == result.id


@pytest.mark.parametrize("result,check", SELF_CHECKS, ids=[f"{r.id}:{c.claim[:40]}" for r, c in SELF_CHECKS])
def test_self_check(result, check):
    assert check.method in ("symbolic", "grid")
    assert check.verify(result) is True, f"{result.id}: {check.claim}"


x, y = sp.symbols("x y", positive=True)


@pytest.mark.parametrize("claim", [
    lambda: identical(x + 1, x),
    lambda: identical((1 + x) / (1 - x / 2), (1 + x) / (1 - x / 3)),
    lambda: positive(x - y),
    lambda: nonnegative(sp.sin(x)),
    lambda: increasing(-x**2, x),
    lambda: holds_on_grid(sp.LessThan(x**2, x), {x: (0.0, 2.0)}),
])
def test_proof_helpers_can_fail(claim):
    assert claim() is False


def test_grid_fallback_accepts_a_true_claim():
    assert holds_on_grid(sp.LessThan(sp.log(1 + x), x), {x: (0.0, 50.0)})


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [node.module] + ([f"ipverify.{a.name}" for a in node.names] if node.module == "ipverify" else [])
        else:
            continue
        for module in modules:
            parts = module.split(".")
            names.add(parts[1] if parts[0] == "ipverify" and len(parts) > 1 else parts[0])
    return names


@pytest.mark.parametrize("package,forbidden", [("theory", {"numerics", "verify", "torch", "numpy"}),
                                               ("numerics", {"verify"})])
def test_layering(package, forbidden):
    for path in (ROOT / package).glob("*.py"):
        assert not (_imports(path) & forbidden), f"{path.name} imports {_imports(path) & forbidden}"


def test_identical_refuses_power_rewrites_that_need_positivity():
    a, b = sp.symbols("a b", real=True)
    assert not identical(sp.sqrt(a * b), sp.sqrt(a) * sp.sqrt(b))
    p, q = sp.symbols("p q", positive=True)
    assert identical(sp.sqrt(p * q), sp.sqrt(p) * sp.sqrt(q))


def test_the_packages_import_each_other_through_the_ipverify_namespace():
    """Installed, theory/numerics/verify exist only as ipverify.theory, ipverify.numerics and ipverify.verify: an
    import of a bare `theory`, `numerics` or `verify` would pick up whatever a user's folder or site-packages has."""
    for folder in ("ipverify", "theory", "numerics", "verify"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                modules = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                           [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
                bare = {m.split(".")[0] for m in modules} & {"theory", "numerics", "verify"}
                assert not bare, f"{path.relative_to(ROOT)}:{node.lineno} imports {bare} outside ipverify"


def test_the_source_index_of_result_ids_agrees_with_the_catalogue():
    from ipverify.theory import registry

    results, families = registry._source_index()
    assert set(results) == set(theory.ids())
    for result_id, module in results.items():
        assert any(r.id == result_id for r in importlib.import_module(module).RESULTS), (result_id, module)
    assert set(families) == {f.prefix for f in registry.families()}
    for prefix, module in families.items():
        assert importlib.import_module(module).FAMILY.prefix == prefix


def test_get_imports_only_the_module_of_the_result():
    """`ipverify bound GD-1` needs GD's module (and what it imports), not the equilibrium or inertia families."""
    code = ("import sys; from ipverify import theory; r = theory.get('GD-1'); "
            "print(r.id, sorted(m for m in sys.modules if m.startswith('ipverify.theory.equilibrium') "
            "or m.startswith('ipverify.theory.inertia')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "IPVERIFY_FAMILIES"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["GD-1", "[]"]
