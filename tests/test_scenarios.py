"""The article pack on the bundled facts returns what the article prescribes (rules/), through the CLI's JSON too."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import AFTER_SCENARIOS, BASELINE, SCENARIOS, ids, scenario_facts

from engine.cli import main
from engine.evaluate import evaluate
from engine.model import Fact, Pack
from engine.validate import load_facts

# Always recommended, whatever Pakistan does (the rules without conditions), given the baseline's grey listing,
# stalled talks and the Pakistan–Afghanistan understanding still being negotiated.
ALWAYS = {
    "fatf.state_conditional_offer",
    "india.decouple_from_indo_pacific",
    "india.inclusive_settlement_message",
    "diplomacy.back_non_interference_deal",
    "posture.withdraw_on_agreed_timeline",
    "messaging.offer_positive_and_negative_choice",
    "messaging.acknowledge_sacrifices",
    "messaging.firm_results_oriented",
    "principle.keep_other_interests",
    "posture.act_without_waiting",
}
INDIA_ASSURANCES = {"india.keep_at_arms_length", "india.refrain_encouraging_involvement",
                    "india.private_no_provocation_assurance"}
# Refusing while grey-listed: kept listed, the black list on the table, the state-sponsor reminder.
REFUSAL = {"fatf.keep_listed", "fatf.blacklist_possible", "warning.remind_sst_possibility"}

EXPECTED = {
    # Yusuf's "Pakistan in itself can't get a ceasefire" counts: refusal; the inability claim is rejected.
    # The US review is undecided: both outcomes of refusal are live (¶25) and the delay is a risk (¶27).
    "baseline": ("refusal", ALWAYS | REFUSAL | {"messaging.inability_claim_rejected", "warning.declining_importance",
                                                "warning.treated_as_agitator", "risk.review_delay_loses_leverage"}),
    # Verified arrests and closed sanctuaries, violence −38% over 90 days, talks progressing.
    "cooperates": ("sustained_reduction",
                   ALWAYS | INDIA_ASSURANCES | {"fatf.support_removal", "csf.release_conditional",
                                                "risk.short_term_drop_no_guarantee",
                                                "risk.review_delay_loses_leverage"}),
    # A verified restriction of movement but only −10%: steps, not yet a sustained reduction.
    "demonstrable_steps": ("demonstrable_steps", ALWAYS | INDIA_ASSURANCES | {"risk.review_delay_loses_leverage"}),
    # Refuses to pressure; the US decides to remain indefinitely (Laurel Miller's risk, and ¶25's second outcome).
    "refuses": ("refusal", ALWAYS | REFUSAL | {"risk.remaining_may_increase_support", "warning.treated_as_agitator"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_responses(pack: Pack, name: str) -> None:
    level, expected = EXPECTED[name]
    if name == "baseline":
        evaluation = evaluate(pack, _baseline(pack), dt.date(2021, 2, 12))
    else:
        evaluation = evaluate(pack, scenario_facts(pack, name), AFTER_SCENARIOS)
    assert evaluation.value_of("cooperation_level") == level
    assert ids(evaluation) == expected, (
        f"missing {sorted(expected - ids(evaluation))}, unexpected {sorted(ids(evaluation) - expected)}")
    assert all(g.ok for g in evaluation.guardrails)


def _baseline(pack: Pack) -> list[Fact]:
    return load_facts([BASELINE], pack)


@pytest.mark.parametrize("name", ["cooperates", "demonstrable_steps", "refuses"])
def test_cli_json_contract(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`commitments evaluate baseline scenario --format json` returns the keys of docs/output.md. (As of the scenarios'
    date: as of today every 2021 trend and action would be stale, their kinds' valid_for long past.)"""
    code = main(["evaluate", str(BASELINE), str(SCENARIOS / f"{name}.yaml"), "--format", "json",
                 "--rules", str(BASELINE.parents[1] / "rules"), "--as-of", AFTER_SCENARIOS.isoformat()])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("run_id", "as_of", "pack", "facts_digest", "responses", "derived", "undetermined",
                "not_counted", "guardrails"):
        assert key in data
    assert set(data["pack"]) >= {"name", "version", "digest"}
    for response in data["responses"]:
        assert set(response) >= {"id", "category", "text", "rules", "facts", "citations"}
        assert response["citations"] and set(response["citations"][0]) == {"source", "para", "quote"}
    # the cooperation level, and with a sustained reduction the drop after a step it rests on
    assert {d["kind"] for d in data["derived"]} == (
        {"cooperation_level", "drop_after_step"} if name == "cooperates" else {"cooperation_level"})
    assert all(set(d) >= {"kind", "value", "rule", "facts"} for d in data["derived"])
    level, expected = EXPECTED[name]
    assert next(d["value"] for d in data["derived"] if d["kind"] == "cooperation_level") == level
    assert {r["id"] for r in data["responses"]} == expected
    reasons = {n["fact"]: n["reason"] for n in data["not_counted"]}
    assert reasons["base-rumour-quetta-arrests"] == \
        "below evidence threshold: graded E5, needs reliability A/B/C, credibility 1/2/3"


def test_offers_rest_on_demonstrable_actions(pack: Pack) -> None:
    evaluation = evaluate(pack, scenario_facts(pack, "cooperates"), AFTER_SCENARIOS)
    support = {r.id: set(r.facts) for r in evaluation.responses}
    assert "coop-arrest-taliban-leaders" in support["fatf.support_removal"]
    assert "coop-violence-down-38" in support["fatf.support_removal"]
    assert support["posture.withdraw_on_agreed_timeline"] == set()


def test_below_threshold_fact_is_listed_not_counted(pack: Pack) -> None:
    evaluation = evaluate(pack, _baseline(pack), dt.date(2021, 2, 12))
    reasons = {n.fact: n.reason for n in evaluation.not_counted}
    assert "below evidence threshold" in reasons["base-rumour-quetta-arrests"]
    assert "base-rumour-quetta-arrests" not in evaluation.counted


def test_the_violence_threshold_is_a_named_assumption_the_sweep_varies(capsys: pytest.CaptureFixture[str]) -> None:
    """−25 % is the pack's assumption, not the article's: at −10 % the scenario's 10 % fall would earn support."""
    code = main(["whatif", str(BASELINE), str(SCENARIOS / "demonstrable_steps.yaml"), "--as-of", "2021-07-01",
                 "--rules", str(BASELINE.parents[1] / "rules"), "--assume", "violence_drop_pct=-10,-25"])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Sensitivity to violence_drop_pct (the pack says -25):"
    assert lines[1].startswith("  violence_drop_pct = -10: + fatf.support_removal;")
    assert "demonstrable_steps → sustained_reduction" in lines[1]
    assert lines[2] == "  violence_drop_pct = -25: no response changes"
