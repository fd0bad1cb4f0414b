"""SymPy encodings of the papers' results: records, symbols and self-checks. Imports nothing numeric."""

from ipverify.theory._core import Domain, Hypothesis, Provenance, Quantity, Result, SelfCheck, Sym
from ipverify.theory.registry import get, ids, results
from ipverify.theory.symbols import SYMBOLS

__all__ = ["Domain", "Hypothesis", "Provenance", "Quantity", "Result", "SelfCheck", "Sym", "SYMBOLS", "get",
           "ids", "results"]
