"""Freshness (`valid_for`), one series per key (`key`), staleness warnings and moot states, on the small
pack tests/packs/fresh through the real engine and CLI, and the pack mistakes each is refused for.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, evaluate_named

from engine.cli import main
from engine.errors import InputError
from engine.evaluate import evaluate
from engine.evidence import last_day, sort_evidence
from engine.explain import explain
from engine.model import Evaluation, Pack
from engine.validate import load_facts, load_pack

FRESH = ROOT / "tests" / "packs" / "fresh"
FACTS = FRESH / "facts"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(FRESH)


def run(pack: Pack, as_of: str, *files: str) -> Evaluation:
    return evaluate_named(pack, FACTS, as_of, *files)


def reasons(evaluation: Evaluation) -> dict[str, str]:
    return {n.fact: n.reason for n in evaluation.not_counted}


# --- freshness --------------------------------------------------------------------------------------------

def test_a_trend_counts_for_its_kinds_valid_for_days_and_then_is_stale(pack: Pack) -> None:
    last = run(pack, "2021-05-10", "baseline")  # observed 2021-01-10 + 120 days: the last day it counts
    assert "casualties-q1" in last.counted and "relief.offer" in last.response_ids()
    after = run(pack, "2021-05-11", "baseline")
    assert "casualties-q1" not in after.counted and "relief.offer" not in after.response_ids()
    assert reasons(after)["casualties-q1"] == "stale: observed 2021-01-10, counts 120 days (to 2021-05-10)"


def test_a_facts_own_valid_until_wins_over_its_kinds_valid_for(pack: Pack) -> None:
    facts = load_facts([FACTS / "baseline.yaml"], pack)
    longer = [f.model_copy(update={"valid_until": dt.date(2021, 12, 31)}) if f.id == "casualties-q1" else f
              for f in facts]
    shorter = [f.model_copy(update={"valid_until": dt.date(2021, 2, 1)}) if f.id == "casualties-q1" else f
               for f in facts]
    assert last_day(longer[[f.id for f in longer].index("casualties-q1")], pack) == dt.date(2021, 12, 31)
    counted, _ = sort_evidence(longer, pack, dt.date(2021, 9, 1))
    assert "casualties-q1" in {f.id for f in counted}  # past 120 days, but the fact says it holds
    _, notes = sort_evidence(shorter, pack, dt.date(2021, 3, 1))
    assert {n.fact: n.reason for n in notes}["casualties-q1"] == "expired: valid until 2021-02-01"


def test_a_kind_without_valid_for_never_goes_stale(pack: Pack) -> None:
    far = run(pack, "2030-01-01", "baseline")
    assert "listed" in far.counted  # listing declares no valid_for
    assert "inspectors-in" not in far.counted  # step_taken counts 365 days
    assert reasons(far)["inspectors-in"].startswith("stale: observed 2021-01-05, counts 365 days")


# --- one series per key -----------------------------------------------------------------------------------

def test_an_attacks_trend_does_not_supersede_a_casualty_trend(pack: Pack) -> None:
    result = run(pack, "2021-02-15", "baseline")
    assert {"casualties-q1", "attacks-q1"} <= set(result.counted)
    assert "watch.casualties_down" in result.response_ids()


def test_the_latest_of_one_series_supersedes_the_earlier(pack: Pack) -> None:
    facts = load_facts([FACTS / "baseline.yaml"], pack)
    newer = next(f for f in facts if f.id == "casualties-q1").model_copy(
        update={"id": "casualties-q2", "observed": dt.date(2021, 2, 10), "fields": {
            "change_pct": -5, "metric": "civilian_casualties"}})
    result = evaluate(pack, [*facts, newer], dt.date(2021, 2, 15))
    assert "casualties-q2" in result.counted and "attacks-q1" in result.counted
    assert reasons(result)["casualties-q1"] == "superseded by casualties-q2 (observed 2021-02-10)"
    assert "watch.casualties_down" not in result.response_ids()


# --- staleness warnings -----------------------------------------------------------------------------------

def test_evaluate_warns_when_the_as_of_date_is_long_after_the_newest_counting_fact(pack: Pack) -> None:
    assert run(pack, "2021-04-02", "baseline").warnings == ()  # 60 days after 2021-02-01: not past the 60
    assert run(pack, "2021-04-03", "baseline").warnings == (
        "newest counting fact is 2021-02-01, 61 days before the as-of date (warned past 60 days)",)


def test_text_markdown_and_json_carry_the_warning(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["evaluate", "--rules", str(FRESH), str(FACTS / "baseline.yaml"), "--as-of", "2021-06-01", "--no-audit"]
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["warnings"] == ["newest counting fact is 2021-02-01, 120 days before the as-of date "
                                "(warned past 60 days)"]
    main([*args, "--format", "text"])
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("Relief for verified steps")  # a date was given: no banner
    assert "Warning: newest counting fact is 2021-02-01, 120 days before" in text
    main([*args, "--format", "markdown"])
    assert "> **Warning:** newest counting fact is 2021-02-01" in capsys.readouterr().out


def test_the_as_of_date_comes_first_when_it_defaulted_to_today(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["evaluate", "--rules", str(FRESH), str(FACTS / "baseline.yaml"), "--no-audit"]
    main(args)
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"AS OF {dt.date.today()} (today: no --as-of was given)"
    main([*args, "--format", "markdown"])
    memo = capsys.readouterr().out.splitlines()  # a memo keeps its title first; the date comes next
    assert memo[0].startswith("# ") and memo[2] == f"**AS OF {dt.date.today()} (today: no --as-of was given)**"


# --- moot states ------------------------------------------------------------------------------------------

def test_a_collapse_of_the_talks_ends_both_offers_and_nothing_else(pack: Pack) -> None:
    before = run(pack, "2021-03-01", "baseline")
    assert {"relief.offer", "delisting.support", "watch.casualties_down"} <= set(before.response_ids())
    after = run(pack, "2021-03-01", "baseline", "collapse")
    assert "relief.offer" not in after.response_ids() and "delisting.support" not in after.response_ids()
    assert "watch.casualties_down" in after.response_ids()
    assert {o.rule: o.status for o in after.rules}["relief"] == "else"


def test_delisting_ends_only_the_delisting_offer(pack: Pack) -> None:
    result = run(pack, "2021-03-01", "baseline", "delisted")
    assert "delisting.support" not in result.response_ids() and "relief.offer" in result.response_ids()


def test_a_moot_state_observed_later_does_not_end_the_offer_yet(pack: Pack) -> None:
    assert "relief.offer" in run(pack, "2021-02-19", "baseline", "collapse").response_ids()


def test_explain_names_the_moot_state_and_the_fact(pack: Pack) -> None:
    facts = load_facts([FACTS / "baseline.yaml", FACTS / "collapse.yaml"], pack)
    explanation = explain(pack, facts, dt.date(2021, 3, 1), "relief.offer")
    assert explanation.summary.startswith("relief.offer is not recommended: moot: the talks collapsed "
                                          "(fact talks-collapse)")
    assert explanation.chain[0].moot == ("the talks collapsed (fact talks-collapse)",)
    # the other series of the keyed violence trend (attacks, up 10%) is not what the rule reads: not named
    assert explanation.plain == "Not recommended, because the talks collapsed (fact talks-collapse)."
    # the collapse stays on record: talks observed to resume later supersede it
    assert [p.text for p in explanation.proposals] == [
        "record a new talks fact observed 2021-03-01 with state=ongoing (a later observation than talks-collapse, "
        "observed 2021-02-20, which stays on record)"]


def test_the_pack_adds_the_moot_states_to_the_rules_that_give_the_response(pack: Pack) -> None:
    rules = {r.id: r for r in pack.rules}
    assert rules["relief"].moot == ("talks_collapsed",)
    assert rules["delisting"].moot == ("already_delisted", "talks_collapsed")
    assert rules["attacks_down"].moot == ()


# --- pack mistakes ----------------------------------------------------------------------------------------

BASE = ("pack: {name: p, version: '1'}\nsources: {s: {title: S}}\nvocabulary:\n"
        "  w: {subjects: [x], state: STATE, KEYS fields: {v: {type: integer}, m: MTYPE, t: {type: number}}}\n"
        "  talks: {subjects: [x], state: true, fields: {state: {type: enum, values: [open, closed]}}}\n"
        "moot:\n  ended: {fact: talks, where: {state: closed}, text: talks are over}\n")
RULES = ("rules:\n  - id: r1\n    cites: [{source: s, para: 1, quote: q}]\n    when: {fact: w, where: {v: 1}}\n"
         "    then: [{respond: a}]\n")


def refused(make_pack: Callable[..., Pack], pack_yaml: str, responses: str, rules: str = RULES) -> str:
    with pytest.raises(InputError) as caught:
        make_pack(pack_yaml, responses=responses, rules=rules)
    return str(caught.value)


def base(state: str = "true", keys: str = "", mtype: str = "{type: string}") -> str:
    return BASE.replace("STATE", state).replace("KEYS ", keys).replace("MTYPE", mtype)


@pytest.mark.parametrize(("state", "keys", "mtype", "message"), [
    ("true", "key: [nope], ", "{type: string}", "key field 'nope' is not a field of the kind"),
    ("true", "key: [t], ", "{type: string}", "key field 't' must be enum, string, integer; it is number"),
    ("true", "key: [m], ", "{type: string, optional: true}", "key field 'm' is optional"),
    ("false", "key: [m], ", "{type: string}", "only a state kind entered as facts takes 'key'"),
    ("true", "key: [m, m], ", "{type: string}", "a key names each field once"),
    ("true", "valid_for: 0, ", "{type: string}", "valid_for"),
])
def test_a_bad_key_or_valid_for_is_refused_where_it_is_written(make_pack: Callable[..., Pack], state: str,
                                                               keys: str, mtype: str, message: str) -> None:
    text = refused(make_pack, base(state, keys, mtype), "responses:\n  a: {category: risk, text: A}\n")
    assert message in text and "pack.yaml:4:" in text, text


def test_an_unknown_moot_state_is_refused_with_a_suggestion(make_pack: Callable[..., Pack]) -> None:
    text = refused(make_pack, base(), "responses:\n  a: {category: offer, text: A, moot_when: [ende]}\n")
    assert "responses.yaml:2:" in text and "unknown-moot: no moot state 'ende'" in text and "'ended'" in text, text


def test_a_moot_state_needs_its_text(make_pack: Callable[..., Pack]) -> None:
    pack_yaml = base().replace(", text: talks are over", "")
    text = refused(make_pack, pack_yaml, "responses:\n  a: {category: offer, text: A}\n")
    assert "pack.yaml:7:" in text and "moot state 'ended' needs 'text'" in text, text


def test_a_rule_with_else_cannot_give_a_response_that_can_be_moot(make_pack: Callable[..., Pack]) -> None:
    responses = "responses:\n  a: {category: offer, text: A, moot_when: [ended]}\n  b: {category: risk, text: B}\n"
    text = refused(make_pack, base(), responses, RULES + "    else: [{respond: b}]\n")
    assert "rules.yaml:2:" in text and "moot-with-else" in text and "split the rule in two" in text, text


@pytest.mark.parametrize("when", ["{not: {fact: w, where: {m: a}}}", "{fact: w, where: {m: a}}"])
def test_a_keyed_state_takes_no_else_and_no_not(make_pack: Callable[..., Pack], when: str) -> None:
    rules = RULES.replace("{fact: w, where: {v: 1}}", when)
    rules += "    else: [{respond: b}]\n" if when.startswith("{fact") else ""
    text = refused(make_pack, base(keys="key: [m], "), "responses:\n  a: {category: risk, text: A}\n"
                   "  b: {category: risk, text: B}\n", rules)
    assert "rules.yaml:2:" in text and "keyed-falsity" in text and "write 'none:'" in text, text
    make_pack(base(keys="key: [m], "), responses="responses:\n  a: {category: risk, text: A}\n",
              rules=RULES.replace("{fact: w, where: {v: 1}}", "{none: {fact: w, where: {m: a}}}"))


def test_check_accepts_the_fresh_pack(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check", "--rules", str(FRESH), str(FACTS)]) == 0, capsys.readouterr()
