"""Every rule's quote occurs verbatim in the cited paragraph of the article (read from ../shared/seeds).

The article is not copied into the project; this is the one test that reads it. Outside CI, a checkout
without ../shared skips it; in CI (CI=true) its absence is a failure.
"""

from __future__ import annotations

import os
import re

import pytest
from conftest import SEEDS

from engine.model import Pack


def paragraphs(text: str) -> list[str]:
    """Non-blank lines, counted from 1 (the pack's `para` convention), whitespace folded."""
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]


def test_every_quote_is_verbatim_in_its_paragraph(pack: Pack) -> None:
    source = pack.sources["weinstein-2021"]
    assert source.seed == "001_efc43791f62aabc8.txt"
    path = SEEDS / source.seed
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"{path} not present on this machine")
    paras = paragraphs(path.read_text(encoding="utf-8"))
    checked = 0
    for rule in pack.rules:
        for cite in rule.cites:
            assert cite.source == "weinstein-2021", rule.id
            assert 1 <= cite.para <= len(paras), f"{rule.id}: no paragraph {cite.para}"
            quote = re.sub(r"\s+", " ", cite.quote).strip()
            assert quote in paras[cite.para - 1], f"{rule.id}: quote not in ¶{cite.para}: {quote!r}"
            assert len(quote.split()) <= 30
            checked += 1
    assert checked >= len(pack.rules)


def test_a_misquote_would_be_caught() -> None:
    paras = paragraphs("Title\n\nFirst paragraph says this.\nSecond says that.\n")
    assert "says this" in paras[1]
    assert "says this" not in paras[2]
