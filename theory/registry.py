"""The catalogue: every `RESULTS` tuple of a public module of the `theory` package, and of the plug-in modules.

A module declares its family as data, `FAMILY = Family(prefix, title, paper, order)`; every result id starts with
the prefix of a declared family. Adding a theorem is adding a module with a `RESULTS` tuple; nothing here needs
editing.

Families from outside the package: modules named in the environment variable `IPVERIFY_FAMILIES` (importable
module names separated by commas or spaces) and in the entry-point group `ipverify.families` (each entry point names
a module) are imported, never executed from a file path, and read exactly like the package's own modules. A name
that is not a module name, or a module that cannot be imported, is a `FamilyError` (one line).
"""

from __future__ import annotations

import functools
import importlib
import os
import pkgutil
import re
from types import ModuleType

from ipverify.theory._core import Family, Result

PLUGIN_VARIABLE = "IPVERIFY_FAMILIES"
ENTRY_POINT_GROUP = "ipverify.families"

_NOT_FAMILIES = {"registry", "symbols", "kl"}
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class FamilyError(ValueError):
    """A plug-in family that cannot be read, or a catalogue whose families do not fit together."""


def _builtin_modules():
    from ipverify import theory
    for info in pkgutil.iter_modules(theory.__path__):
        if not info.name.startswith("_") and info.name not in _NOT_FAMILIES:
            yield importlib.import_module(f"{__package__}.{info.name}")


def plugin_names() -> dict[str, str]:
    """Module name → where it was named: `IPVERIFY_FAMILIES` first, then the `ipverify.families` entry points."""
    from importlib.metadata import entry_points

    names = {name: PLUGIN_VARIABLE for name in re.split(r"[\s,]+", os.environ.get(PLUGIN_VARIABLE, "")) if name}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        names.setdefault(ep.module, f"entry point {ep.name!r} of {ENTRY_POINT_GROUP}")
    return names


def import_named(name: str, where: str) -> ModuleType:
    """The module `name` (a dotted module name, never a path), or a one-line FamilyError saying `where` it came from."""
    if not _MODULE_NAME.fullmatch(name):
        raise FamilyError(f"{where}: {name!r} is not a module name (write importable names such as mypkg.families, "
                          "separated by commas or spaces; a file path is never run)")
    try:
        return importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - any failure of a plug-in's import is reported in one line
        raise FamilyError(f"{where}: cannot import {name!r}: {type(exc).__name__}: {exc}") from None


def _plugin_modules():
    for name, where in plugin_names().items():
        module = import_named(name, where)
        if not hasattr(module, "RESULTS") and not hasattr(module, "FAMILY"):
            raise FamilyError(f"{where}: module {name!r} declares neither FAMILY nor RESULTS")
        yield module


def _family_modules():
    seen = set()
    for module in (*_builtin_modules(), *_plugin_modules()):
        if module.__name__ not in seen:
            seen.add(module.__name__)
            yield module


@functools.lru_cache(maxsize=1)
def _load() -> tuple[dict[str, Family], dict[str, Result]]:
    families: dict[str, Family] = {}
    found: dict[str, tuple[Result, str]] = {}
    for module in _family_modules():
        family = getattr(module, "FAMILY", None)
        if family is not None:
            if not isinstance(family, Family):
                raise FamilyError(f"{module.__name__}.FAMILY is not a theory.Family")
            if families.get(family.prefix, family) != family:
                raise FamilyError(f"family {family.prefix} is declared twice, differently ({module.__name__})")
            families[family.prefix] = family
        for result in getattr(module, "RESULTS", ()):
            if result.id in found:
                raise FamilyError(f"duplicate result id {result.id} in {module.__name__}")
            found[result.id] = (result, module.__name__)
    for result, module in found.values():
        if result.id.partition("-")[0] not in families:
            raise FamilyError(f"{result.id} (in {module}) has no family: declare FAMILY = Family("
                              f"{result.id.partition('-')[0]!r}, title, paper, order) in a module of the catalogue")
    families = dict(sorted(families.items(), key=lambda item: (item[1].order, item[0])))
    ranks = {prefix: i for i, prefix in enumerate(families)}
    catalogue = {rid: result for rid, (result, _) in sorted(found.items(), key=lambda item: _id_key(item[0], ranks))}
    return families, catalogue


def _id_key(result_id: str, ranks: dict[str, int]):
    """Family order first, then numerically within a family (IN-9 before IN-B1, GF-2 before GF-10)."""
    prefix, _, number = result_id.partition("-")
    digits = "".join(ch for ch in number if ch.isdigit())
    return (ranks[prefix], number.rstrip("0123456789"), int(digits) if digits else 0)


def _catalogue() -> dict[str, Result]:
    return _load()[1]


def families() -> tuple[Family, ...]:
    """Every declared family, in order."""
    return tuple(_load()[0].values())


def family(prefix: str) -> Family:
    """The family of this prefix (or of this result id); KeyError if none is declared."""
    return _load()[0][prefix.partition("-")[0]]


def results() -> tuple[Result, ...]:
    """All results, ordered by family and number."""
    return tuple(_catalogue().values())


def ids() -> tuple[str, ...]:
    return tuple(_catalogue())


_RESULT_ID = re.compile(r"""\bid=["']([A-Za-z]+-[A-Za-z0-9]+)["']""")
_FAMILY_PREFIX = re.compile(r"""^FAMILY\s*=\s*Family\(\s*["']([A-Za-z]+)["']""", re.M)


@functools.lru_cache(maxsize=1)
def _source_index() -> tuple[dict[str, str], dict[str, str]]:
    """(result id → the package's module that defines it, family prefix → the module that declares it), read from
    the sources without importing them (every literal ``id="..."`` keyword and ``FAMILY = Family("...``). `get` uses
    it to import those modules instead of the whole catalogue; a test checks it against the catalogue."""
    from ipverify import theory

    results: dict[str, str] = {}
    families: dict[str, str] = {}
    for info in pkgutil.iter_modules(theory.__path__):
        if not info.name.startswith("_") and info.name not in _NOT_FAMILIES:
            with open(os.path.join(theory.__path__[0], f"{info.name}.py"), encoding="utf-8") as source:
                text = source.read()
            module = f"{__package__}.{info.name}"
            for match in _RESULT_ID.finditer(text):
                results.setdefault(match.group(1).upper(), module)
            for match in _FAMILY_PREFIX.finditer(text):
                families.setdefault(match.group(1), module)
    return results, families


@functools.cache
def _from_its_module(key: str, plugin_setting: str) -> Result | None:
    """The result `key` from the module that defines it (and its family from the module that declares it), or None
    when the index does not know it or a plug-in is named: the caller then reads the whole catalogue.
    `plugin_setting` (the value of IPVERIFY_FAMILIES) is part of the cache key only."""
    results, families = _source_index()
    prefix = key.partition("-")[0]
    if key not in results or prefix not in families or plugin_names():
        return None
    found = [r for r in getattr(importlib.import_module(results[key]), "RESULTS", ()) if r.id == key]
    family = getattr(importlib.import_module(families[prefix]), "FAMILY", None)
    return found[0] if len(found) == 1 and isinstance(family, Family) and family.prefix == prefix else None


def get(result_id: str) -> Result:
    """The result with this id (case-insensitive); KeyError names the known ids."""
    key = result_id.strip().upper()
    if not _load.cache_info().currsize:  # before the catalogue is built: only the modules this result needs
        quick = _from_its_module(key, os.environ.get(PLUGIN_VARIABLE, ""))
        if quick is not None:
            return quick
    catalogue = _catalogue()
    if key not in catalogue:
        raise KeyError(f"unknown result id {result_id!r}; known ids: {', '.join(catalogue)}")
    return catalogue[key]
