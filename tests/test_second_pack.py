"""The second test pack (tests/packs/loc_ceasefire) through the real engine, fact set after fact set.

The article's pack has no `any:` with `else:`, no `not:` over a state, no state kind about two subjects
and one derived kind only; mutants of the compiler, the rules of evidence and the guardrails that the
article's pack cannot tell apart are told apart here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import ROOT, evaluate_named

from engine.compiler import compile_pack
from engine.evaluate import evaluate
from engine.model import Evaluation, Pack
from engine.validate import load_facts, load_pack

LOC = ROOT / "tests" / "packs" / "loc_ceasefire"
FACTS = LOC / "facts"


@pytest.fixture(scope="module")
def loc() -> Pack:
    return load_pack(LOC)


def run(pack: Pack, as_of: str, *files: str) -> Evaluation:
    return evaluate_named(pack, FACTS, as_of, *files)


def derived(evaluation: Evaluation) -> dict[str, str]:
    return {f"{d.kind}:{d.subject}": str(d.value) for d in evaluation.derived}


def statuses(evaluation: Evaluation) -> dict[str, str]:
    return {o.rule: o.status for o in evaluation.rules}


CASES = [  # (as of, fact files) → responses, derived values, rule outcomes
    pytest.param("2024-01-31", ("calm",), ["talks.propose_meeting"],
                 {"outlook:loc": "high", "tension:india": "low", "tension:pakistan": "low"},
                 {"tension.india": "else", "tension.pakistan": "else", "outlook": "fired", "talks": "fired",
                  "incident.warn": "else", "incident.observers": "else"}, id="calm"),
    pytest.param("2024-02-15", ("calm", "escalation"), ["talks.propose_meeting", "monitor.send_observers"],
                 {"outlook:loc": "high", "tension:india": "low", "tension:pakistan": "low"},
                 {"tension.india": "else", "tension.pakistan": "else", "outlook": "fired", "talks": "fired",
                  "incident.warn": "else", "incident.observers": "fired"}, id="unverified-fire"),
    pytest.param("2024-03-02", ("calm", "escalation"), ["monitor.send_observers", "talks.hold"],
                 {"outlook:loc": "low", "tension:india": "low", "tension:pakistan": "high"},
                 {"tension.india": "else", "tension.pakistan": "fired", "outlook": "else", "talks": "else",
                  "incident.warn": "else", "incident.observers": "fired"}, id="pakistan-masses-troops"),
    pytest.param("2024-03-02", ("calm", "escalation", "correction"),
                 ["talks.propose_meeting", "monitor.send_observers"],
                 {"outlook:loc": "high", "tension:india": "low", "tension:pakistan": "low"},
                 {"tension.india": "else", "tension.pakistan": "else", "outlook": "fired", "talks": "fired",
                  "incident.warn": "else", "incident.observers": "fired"}, id="troop-figure-corrected"),
    pytest.param("2024-03-06", ("calm", "escalation", "correction"), ["monitor.send_observers", "talks.hold"],
                 {"outlook:loc": "low", "tension:india": "low", "tension:pakistan": "low"},
                 {"tension.india": "else", "tension.pakistan": "else", "outlook": "else", "talks": "else",
                  "incident.warn": "else", "incident.observers": "fired"}, id="hotline-suspended"),
    pytest.param("2024-03-31", ("calm", "escalation"), ["warning.public_statement", "talks.hold"],
                 {"outlook:loc": "low", "tension:india": "high", "tension:pakistan": "high"},
                 {"tension.india": "fired", "tension.pakistan": "fired", "outlook": "else", "talks": "else",
                  "incident.warn": "fired", "incident.observers": "else"}, id="deaths-at-the-line"),
]


@pytest.mark.parametrize("as_of, files, responses, values, outcomes", CASES)
def test_the_second_pack_on_each_fact_set(loc: Pack, as_of: str, files: tuple[str, ...], responses: list[str],
                                          values: dict[str, str], outcomes: dict[str, str]) -> None:
    evaluation = run(loc, as_of, *files)
    assert evaluation.response_ids() == responses
    assert derived(evaluation) == values
    assert statuses(evaluation) == outcomes
    assert [g.id for g in evaluation.guardrails if not g.ok] == []


def test_derived_facts_read_positively_chain_within_one_stratum(loc: Pack) -> None:
    """No rule negates a derived kind, so tension → outlook → talks all run in one ruleset."""
    assert [len(s.rules) for s in compile_pack(loc).strata] == [17]


def test_without_facts_only_closed_world_rules_decide(loc: Pack) -> None:
    """States unknown: no tension, no outlook, no talks; incidents are events, so their rules are else."""
    evaluation = evaluate(loc, [], dt.date(2024, 1, 1))
    assert evaluation.response_ids() == []
    assert derived(evaluation) == {}
    assert {u.rule: u.missing for u in evaluation.undetermined} == {
        "tension.india": ("army_posture:india",), "tension.pakistan": ("army_posture:pakistan",),
        "outlook": ("hotline:dgmo", "tension:india", "tension:pakistan"), "talks": ("outlook:loc",)}
    assert statuses(evaluation)["incident.warn"] == "else"


def test_the_hotline_unknown_leaves_a_hopeful_outlook_open_but_a_tense_one_decided(loc: Pack) -> None:
    """`not:` over an unknown state is unknown; one false part of `all` still decides it is false."""
    calm = [f for f in load_facts([FACTS / "calm.yaml"], loc) if f.kind != "hotline"]
    open_ = evaluate(loc, calm, dt.date(2024, 1, 31))
    assert statuses(open_)["outlook"] == "undetermined"
    assert open_.response_ids() == []
    tense = [f.model_copy(update={"fields": {**f.fields, "alert": "raised"}}) if f.subject == "india" else f
             for f in calm]
    decided = evaluate(loc, tense, dt.date(2024, 1, 31))
    assert derived(decided)["outlook:loc"] == "low"
    assert decided.response_ids() == ["talks.hold"]


def test_each_subject_of_a_state_keeps_its_own_latest_fact(loc: Pack) -> None:
    """India's later posture does not supersede Pakistan's, though both are army_posture facts."""
    evaluation = run(loc, "2024-03-31", "calm", "escalation")
    superseded = {n.fact: n.reason for n in evaluation.not_counted}
    assert superseded == {
        "calm-india-posture": "superseded by esc-india-raised (observed 2024-03-10)",
        "calm-pakistan-posture": "superseded by esc-pakistan-masses (observed 2024-03-01)",
        "calm-hotline": "superseded by esc-hotline-suspended (observed 2024-03-05)"}


def test_a_same_day_correction_counts_by_its_recorded_date(loc: Pack) -> None:
    evaluation = run(loc, "2024-03-02", "calm", "escalation", "correction")
    assert "a-correction-pakistan-troops" in evaluation.counted
    assert {n.fact: n.reason for n in evaluation.not_counted}["esc-pakistan-masses"] == \
        "superseded by a-correction-pakistan-troops (observed 2024-03-01)"

