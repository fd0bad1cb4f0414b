"""SymPy encodings of the papers' results: records, symbols and self-checks. Imports nothing numeric."""

from ipverify.theory._core import Domain, Family, Hypothesis, Provenance, Quantity, Result, SelfCheck, Sym, Undefined
from ipverify.theory.registry import FamilyError, families, family, get, ids, results
from ipverify.theory.symbols import SYMBOLS

__all__ = ["Domain", "Family", "FamilyError", "Hypothesis", "Provenance", "Quantity", "Result", "SelfCheck", "Sym",
           "SYMBOLS", "Undefined", "families", "family", "get", "ids", "results"]
