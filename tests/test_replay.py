"""`audit replay` reproduces every bundled run exactly, and a record's views keep the pack's declared order.

Canonical JSON sorts keys, and so the mappings of the pack snapshot (categories, responses, vocabulary, …)
and of the facts' fields; the categories' order is the responses' order, so a pack restored in sorted order
gave another result digest.
"""

from __future__ import annotations

from conftest import AFTER_SCENARIOS, BASELINE, SCENARIOS

from engine.evaluate import evaluate
from engine.model import Pack
from engine.validate import load_facts


def test_a_pack_in_another_category_order_is_not_given_anothers_compiled_pack(pack: Pack) -> None:
    """The pack digest is over sorted keys: two packs that differ only in their categories' order share it."""
    facts = load_facts([BASELINE, SCENARIOS / "cooperates.yaml"], pack)
    declared = evaluate(pack, facts, AFTER_SCENARIOS)
    flipped = pack.model_copy(update={"categories": dict(reversed(pack.categories.items()))})
    assert flipped.digest == pack.digest
    order = [r.category for r in evaluate(flipped, facts, AFTER_SCENARIOS).responses]
    assert order == sorted(order, key=list(flipped.categories).index) != [r.category for r in declared.responses]
