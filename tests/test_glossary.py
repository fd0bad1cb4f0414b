"""The notation glossary: every symbol of the catalogue is in it, and docs/notation.md is its current text."""

from __future__ import annotations

from pathlib import Path

from ipverify import theory
from ipverify.verify.glossary import glossary_markdown, glossary_text

ROOT = Path(__file__).resolve().parents[1]


def test_every_symbol_a_result_uses_is_explained():
    text = glossary_text()
    for result in theory.results():
        for sym in result.symbols:
            assert f"\n{sym.name} " in "\n" + text, f"{sym.name} of {result.id} is missing from the glossary"


def test_docs_notation_is_the_generated_glossary():
    written = (ROOT / "docs" / "notation.md").read_text(encoding="utf-8")
    assert written == glossary_markdown(), "regenerate with: python -m ipverify symbols --markdown > docs/notation.md"
