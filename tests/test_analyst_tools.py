"""explain, what-if and timeline on the bundled facts (the Python API; the CLI is tested in test_cli)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import AFTER_SCENARIOS, scenario_facts

from engine.errors import InputError
from engine.evaluate import evaluate
from engine.explain import explain
from engine.model import Fact, Pack
from engine.timeline import Cause, Step, add_months, parse_step, timeline
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


def test_explain_proposes_a_later_observation_of_a_recorded_state_never_an_edit(pack: Pack,
                                                                               baseline: list[Fact]) -> None:
    result = explain(pack, baseline, FEB, "risk.remaining_may_increase_support")
    assert [p.text for p in result.proposals] == [
        "record a new us_force_posture fact observed 2021-02-12 with decision=remain_indefinitely (a later "
        "observation than base-us-review-doha-deal, observed 2021-01-22, which stays on record)"]
    assert [c.op for c in result.smallest_change] == ["add"]
    changed = apply(baseline, list(result.smallest_change))
    assert changed[:len(baseline)] == baseline  # every recorded fact as it was, the new one after them
    assert "risk.remaining_may_increase_support" in evaluate(pack, changed, FEB).response_ids()


def test_explain_says_why_in_one_plain_sentence_of_the_packs_words(pack: Pack, baseline: list[Fact]) -> None:
    assert explain(pack, baseline, FEB, "fatf.support_removal").plain == (
        "Not recommended, because Pakistan's cooperation level is refusal, not sustained reduction.")
    assert explain(pack, baseline, FEB, "fatf.keep_listed").plain == (
        "Recommended, because fatf status list is grey and Pakistan's cooperation level is refusal.")
    assert explain(pack, baseline, FEB, "risk.extension_relies_on_pakistan").plain == (
        "Not recommended, because us force posture decision is undecided, not extend deadline.")
    standing = explain(pack, baseline, FEB, "posture.act_without_waiting").plain
    assert standing.startswith("Recommended whatever the facts (rule posture.act_without_waiting: ")
    # a rule that holds on the absence of something is not "whatever the facts": it says which rule holds
    assert explain(pack, baseline, FEB, "india.inclusive_settlement_message").plain == (
        "Recommended, because rule india.inclusive_settlement holds: Until a cease-fire is agreed, argue for a "
        "settlement inclusive of some Indian interests.")


def test_explain_a_derived_kind_in_plain_words(pack: Pack, baseline: list[Fact]) -> None:
    assert explain(pack, baseline, FEB, "cooperation_level").plain == (
        "Pakistan's cooperation level is refusal, because pakistan stance is claims inability.")
    assert explain(pack, baseline, FEB, "cooperation_level=sustained_reduction").plain == (
        "Pakistan's cooperation level is refusal, not sustained reduction.")
    cooperates = explain(pack, scenario_facts(pack, "cooperates"), AFTER_SCENARIOS, "cooperation_level").plain
    assert cooperates == (  # events by what happened and when; a state by what it is
        "Pakistan's cooperation level is sustained reduction, because a pakistan action on 2021-03-15 (arrest "
        "taliban leaders, verified yes) and a pakistan action on 2021-04-01 (close sanctuaries or logistics, "
        "verified yes) and violence trend change pct is -38, window days is 90.")


@pytest.mark.parametrize("scenario", [None, "cooperates", "refuses", "demonstrable_steps"])
def test_explain_never_proposes_editing_or_dropping_a_recorded_fact(pack: Pack, baseline: list[Fact],
                                                                   scenario: str | None) -> None:
    facts = scenario_facts(pack, scenario) if scenario else baseline
    day = AFTER_SCENARIOS if scenario else FEB
    absent = [r for r in pack.responses if r not in evaluate(pack, facts, day).response_ids()]
    assert absent
    for response in absent:
        result = explain(pack, facts, day, response)
        assert result.plain.startswith("Not recommended, because ")
        assert all(c.op == "add" and c.added is not None for c in result.smallest_change), response
        assert len(result.proposals) == len(result.smallest_change)
        assert all(p.command.startswith("commitments facts add --file FILE --kind ") for p in result.proposals)
        if result.change_found:
            changed = apply(facts, list(result.smallest_change))
            assert changed[:len(facts)] == facts
            assert response in evaluate(pack, changed, day).response_ids()


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
    assert parse_step("7d") == Step(count=7) and parse_step("2w") == Step(count=14) and parse_step("3") == Step(count=3)
    assert parse_step("1m") == Step(count=1, unit="m") and parse_step(" 3m ") == Step(count=3, unit="m")
    for bad in ("0d", "0m", "1y", "m", "-1m", "1.5m", "99999999m"):
        with pytest.raises(InputError):
            parse_step(bad)


@pytest.mark.parametrize("day, months, expected", [
    (dt.date(2021, 1, 31), 1, dt.date(2021, 2, 28)),
    (dt.date(2020, 1, 31), 1, dt.date(2020, 2, 29)),
    (dt.date(2021, 1, 31), 3, dt.date(2021, 4, 30)),
    (dt.date(2021, 11, 15), 2, dt.date(2022, 1, 15)),
    (dt.date(9999, 12, 1), 1, None),
])
def test_a_calendar_month_step_keeps_the_day_clamped_to_the_month_end(day: dt.date, months: int,
                                                                     expected: dt.date | None) -> None:
    assert add_months(day, months) == expected


def test_a_monthly_timeline_counts_months_from_the_start_not_from_the_clamped_day(pack: Pack) -> None:
    result = timeline(pack, scenario_facts(pack, "cooperates"), dt.date(2021, 1, 31), dt.date(2021, 5, 30),
                      parse_step("1m"))
    assert [p.date for p in result.points] == [dt.date(2021, 1, 31), dt.date(2021, 2, 28), dt.date(2021, 3, 31),
                                               dt.date(2021, 4, 30)]
    assert result.step_days is None and result.step.text == "1 month"


def test_each_change_names_the_fact_that_caused_it(pack: Pack) -> None:
    facts = scenario_facts(pack, "cooperates")
    result = timeline(pack, facts, dt.date(2021, 2, 1), AFTER_SCENARIOS, parse_step("1w"))
    level = [e for e in result.events if e.change == "headline" and e.subject == "cooperation_level"]
    assert [e.detail for e in level] == ["— → refusal", "refusal → demonstrable_steps",
                                         "demonstrable_steps → sustained_reduction"]
    assert level[0].because == ()  # the first step is where the period starts, not a change
    # the arrests moved the level to demonstrable steps; the −38% trend to sustained reduction
    assert Cause(fact="coop-arrest-taliban-leaders", counts=True) in level[1].because
    assert [c.fact for c in level[2].because] == ["coop-violence-down-38"]
    by_subject = {e.subject: e for e in result.events if e.change in ("appeared", "disappeared")}
    assert [c.fact for c in by_subject["fatf.support_removal"].because] == ["coop-violence-down-38"]
    gone = by_subject["fatf.keep_listed"].because
    assert [(c.fact, c.counts) for c in gone] == [("base-yusuf-claims-inability", False)]
    assert gone[0].reason.startswith("superseded by coop-stance-supports-ceasefire")


def test_a_cause_is_only_a_fact_the_change_rests_on(pack: Pack) -> None:
    """On 2021-03-15 the ceasefire stance and the arrests both come to count; keeping India at arm's length rests
    on the arrests only, so the stance is not named as its cause (though it is for the rejected inability claim)."""
    result = timeline(pack, scenario_facts(pack, "cooperates"), dt.date(2021, 2, 1), AFTER_SCENARIOS,
                      parse_step("1w"))
    came = {c.fact for e in result.events if e.date == dt.date(2021, 3, 15) for c in e.because if c.counts}
    assert {"coop-stance-supports-ceasefire", "coop-arrest-taliban-leaders"} <= came
    named = {e.subject: [c.fact for c in e.because] for e in result.events if e.date == dt.date(2021, 3, 15)}
    assert named["india.keep_at_arms_length"] == ["coop-arrest-taliban-leaders"]
    assert "coop-stance-supports-ceasefire" in named["messaging.inability_claim_rejected"]
