"""SymPy encodings of the papers' results: records, symbols and self-checks. Imports nothing numeric."""

from theory._core import Domain, Hypothesis, Provenance, Quantity, Result, SelfCheck, Sym
from theory.registry import get, ids, results
from theory.symbols import SYMBOLS

__all__ = ["Domain", "Hypothesis", "Provenance", "Quantity", "Result", "SelfCheck", "Sym", "SYMBOLS", "get",
           "ids", "results"]
