"""Every rule's quote occurs verbatim in the cited paragraph of the article (read from ../shared/seeds).

The article is not copied into the project; this is the one test that reads it. Outside CI, a checkout
without ../shared skips it; in CI (CI=true) its absence is a failure.
"""

from __future__ import annotations

import os
import re

import pytest
from conftest import SEEDS

from engine.check import paragraphs
from engine.model import Pack, SourceBody


def test_every_quote_is_verbatim_in_its_paragraph(pack: Pack) -> None:
    source = pack.sources["weinstein-2021"]
    assert source.seed == "001_efc43791f62aabc8.txt"
    path = SEEDS / source.seed
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"{path} not present on this machine")
    paras = paragraphs(path.read_text(encoding="utf-8"), source.body)
    assert len(paras) == 29  # the article's body paragraphs, as a reader counts them
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


def test_body_paragraphs_leave_out_title_headings_and_bio() -> None:
    text = "Title\nBy A. Writer\n\nFirst says this.\n\n1. A Heading\n\nSecond says that.\n\nA. Writer is a fellow.\n"
    body = SourceBody(first="First", last="Second", not_paragraphs=("1. A Heading",))
    assert paragraphs(text, body) == ["First says this.", "Second says that."]
    with pytest.raises(ValueError, match="'Nowhere'"):
        paragraphs(text, SourceBody(first="Nowhere"))
