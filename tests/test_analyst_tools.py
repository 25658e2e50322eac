"""explain, what-if and timeline on the bundled facts (the Python API; the CLI is tested in test_cli)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import AFTER_SCENARIOS, scenario_facts

from engine.errors import InputError
from engine.evaluate import evaluate
from engine.explain import explain
from engine.model import Fact, Pack
from engine.timeline import parse_step, timeline
from engine.whatif import Change, apply, diff, set_field

FEB = dt.date(2021, 2, 12)


def test_explain_a_present_response_gives_the_chain_to_the_facts(pack: Pack, baseline: list[Fact]) -> None:
    result = explain(pack, baseline, FEB, "fatf.keep_listed")
    assert result.present and result.what == "response"
    assert [link.rule for link in result.chain] == ["fatf.keep_listed", "coop.refusal"]
    refusal = result.chain[1]
    assert [f.id for f in refusal.branch_facts] == ["base-yusuf-claims-inability"]
    assert refusal.branch_facts[0].grade == "B2" and refusal.citations[0].para == 2


def test_explain_an_absent_response_finds_the_smallest_verified_change(pack: Pack, baseline: list[Fact]) -> None:
    result = explain(pack, baseline, FEB, "fatf.support_removal")
    assert not result.present
    assert "fatf.offer_support is else" in result.summary
    kinds = sorted(c.kind for c in result.smallest_change)
    assert kinds == ["pakistan_action", "violence_trend"]
    # the proposal really works: applied to the facts, the engine recommends the response
    assert "fatf.support_removal" in evaluate(pack, apply(baseline, list(result.smallest_change)), FEB).response_ids()
    # proposals are tried fewest first, so no single-change proposal produced it
    assert result.change_found is True


def test_explain_prefers_changing_a_recorded_fact(pack: Pack, baseline: list[Fact]) -> None:
    result = explain(pack, baseline, FEB, "risk.remaining_may_increase_support")
    assert [c.describe() for c in result.smallest_change] == [
        "change base-us-review-doha-deal: decision=remain_indefinitely"]


def test_explain_a_rule_and_a_derived_fact(pack: Pack, baseline: list[Fact]) -> None:
    assert explain(pack, baseline, FEB, "coop.refusal").summary == "rule coop.refusal is fired"
    derived = explain(pack, baseline, FEB, "cooperation_level")
    assert derived.present and derived.summary == "cooperation_level is refusal"
    assert not explain(pack, baseline, FEB, "cooperation_level=sustained_reduction").present


def test_explain_an_unknown_id_suggests(pack: Pack, baseline: list[Fact]) -> None:
    with pytest.raises(InputError, match="did you mean 'fatf.keep_listed'"):
        explain(pack, baseline, FEB, "fatf.keep_lsted")


def test_whatif_set_a_field_and_drop_a_fact(pack: Pack, baseline: list[Fact]) -> None:
    before = evaluate(pack, baseline, FEB)
    change = set_field(pack, baseline, FEB, "pakistan_stance.position=supports_ceasefire")
    after = evaluate(pack, apply(baseline, [change]), FEB)
    result = diff(pack, before, after)
    assert (result.headline_before, result.headline_after) == ({"cooperation_level": "refusal"},
                                                               {"cooperation_level": "rhetorical"})
    assert "messaging.inability_claim_rejected" in result.lost and "warning.remind_sst_possibility" in result.lost
    dropped = evaluate(pack, apply(baseline, [Change(op="retract", fact="base-yusuf-claims-inability")]), FEB)
    assert dropped.value_of("cooperation_level") == "rhetorical"  # facilitating Doha is all that is left


@pytest.mark.parametrize("assignment, message", [
    ("pakistan_stance.position=maybe", "expected one of"),
    ("pakistan_stanse.position=refusal", "did you mean 'pakistan_stance'"),
    ("pakistan_action.action=facilitate_talks", "exactly one counting pakistan_action"),
    ("violence_trend", "KIND.FIELD=VALUE"),
])
def test_whatif_set_rejects_what_it_cannot_do(pack: Pack, baseline: list[Fact], assignment: str,
                                              message: str) -> None:
    with pytest.raises(InputError, match=message):
        set_field(pack, baseline, FEB, assignment)


def test_timeline_reports_when_responses_appear(pack: Pack) -> None:
    facts = scenario_facts(pack, "cooperates")
    result = timeline(pack, facts, dt.date(2021, 2, 1), AFTER_SCENARIOS, parse_step("2w"))
    levels = [p.headline["cooperation_level"] for p in result.points]
    assert levels[0] == "refusal" and levels[-1] == "sustained_reduction"
    appeared = {e.subject: e.date for e in result.events if e.change == "appeared"}
    # the arrests are observed on 2021-03-15 (demonstrable steps), the −38% trend on 2021-06-15
    assert appeared["india.keep_at_arms_length"] < appeared["fatf.support_removal"]
    assert appeared["fatf.support_removal"] >= dt.date(2021, 6, 15)
    gone = {e.subject for e in result.events if e.change == "disappeared"}
    assert "fatf.keep_listed" in gone


def test_timeline_step_parsing() -> None:
    assert parse_step("7d") == 7 and parse_step("2w") == 14 and parse_step("3") == 3
    with pytest.raises(InputError):
        parse_step("0d")
