"""The catalogue: every `RESULTS` tuple of a public module of the `theory` package.

Adding a theorem is adding a module with a `RESULTS` tuple; nothing here needs editing.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from ipverify.theory._core import Result

_NOT_FAMILIES = {"registry", "symbols", "kl"}


def _family_modules():
    from ipverify import theory
    for info in pkgutil.iter_modules(theory.__path__):
        if not info.name.startswith("_") and info.name not in _NOT_FAMILIES:
            yield importlib.import_module(f"{__package__}.{info.name}")


@functools.lru_cache(maxsize=1)
def _catalogue() -> dict[str, Result]:
    catalogue: dict[str, Result] = {}
    for module in _family_modules():
        for result in getattr(module, "RESULTS", ()):
            if result.id in catalogue:
                raise ValueError(f"duplicate result id {result.id} in {module.__name__}")
            catalogue[result.id] = result
    return dict(sorted(catalogue.items(), key=lambda item: _id_key(item[0])))


_FAMILY_ORDER = ("GF", "GD", "IN", "JFB")


def _id_key(result_id: str):
    """Papers' order first (01 GF, 02 GD, 03 IN, 04 JFB), then numerically within a family."""
    prefix, _, number = result_id.partition("-")
    rank = _FAMILY_ORDER.index(prefix) if prefix in _FAMILY_ORDER else len(_FAMILY_ORDER)
    digits = "".join(ch for ch in number if ch.isdigit())
    return (rank, prefix, number.rstrip("0123456789"), int(digits) if digits else 0)


def results() -> tuple[Result, ...]:
    """All results, ordered by family prefix and number."""
    return tuple(_catalogue().values())


def ids() -> tuple[str, ...]:
    return tuple(_catalogue())


def get(result_id: str) -> Result:
    """The result with this id (case-insensitive); KeyError names the known ids."""
    catalogue = _catalogue()
    key = result_id.strip().upper()
    if key not in catalogue:
        raise KeyError(f"unknown result id {result_id!r}; known ids: {', '.join(catalogue)}")
    return catalogue[key]
