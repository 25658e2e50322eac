"""Backtest on the sourced record of 2021 (facts/history/2021/): the timeline's turning points.

Pakistan never took a demonstrable step in 2021 on this record, so the article's recommendation holds
steady at refusal while the evidence beneath it turns over: talks resume, stall, resume and collapse;
the US moves from undecided to withdrawal; the FATF keeps Pakistan grey-listed twice.
"""

from __future__ import annotations

import datetime as dt

from conftest import BASELINE, FACTS

from engine.model import Pack
from engine.timeline import Timeline, timeline
from engine.validate import load_facts


def weekly(pack: Pack) -> Timeline:
    facts = load_facts([BASELINE, FACTS / "history" / "2021"], pack)
    return timeline(pack, facts, dt.date(2021, 2, 1), dt.date(2021, 9, 30), 7)


def turns(result: Timeline, kind: str, field: str) -> list[tuple[dt.date, str]]:
    found = [(e.date, e.detail) for e in result.events
             if e.change == "evidence" and e.subject == kind and e.date > result.start]
    return [(day, detail.split(f"{field}=")[1].split(",")[0].split(")")[0]) for day, detail in found]


def test_the_record_never_shows_pakistan_curbing_violence(pack: Pack) -> None:
    result = weekly(pack)
    assert {p.headline["cooperation_level"] for p in result.points} == {"refusal"}
    steady = set.intersection(*(set(p.responses) for p in result.points))
    assert {"warning.declining_importance", "messaging.inability_claim_rejected",
            "posture.act_without_waiting"} <= steady
    assert not any("fatf.support_removal" in p.responses for p in result.points)
    # Until Kabul falls Pakistan is kept listed, with the black list and the state-sponsor reminder on the
    # table; the collapse of the talks (observed 15 August) makes that bargain moot.
    bargain = {"fatf.keep_listed", "fatf.blacklist_possible", "warning.remind_sst_possibility",
               "fatf.state_conditional_offer", "india.inclusive_settlement_message"}
    assert all(bargain <= set(p.responses) for p in result.points if p.date <= dt.date(2021, 8, 9))
    assert not any(bargain & set(p.responses) for p in result.points if p.date >= dt.date(2021, 8, 16))
    # While the US review is undecided both outcomes of refusal are live and the delay is a risk (¶25, ¶27);
    # Biden's decision of 14 April ends both.
    undecided = {"warning.treated_as_agitator", "risk.review_delay_loses_leverage"}
    assert [p.date for p in result.points if undecided <= set(p.responses)][-1] == dt.date(2021, 4, 12)
    assert not any(undecided & set(p.responses) for p in result.points if p.date >= dt.date(2021, 4, 19))


def test_the_evidence_turns_over_beneath_it(pack: Pack) -> None:
    result = weekly(pack)
    assert turns(result, "negotiations", "state") == [
        (dt.date(2021, 2, 22), "ongoing"), (dt.date(2021, 4, 26), "stalled"), (dt.date(2021, 7, 19), "ongoing"),
        (dt.date(2021, 8, 16), "collapsed"), (dt.date(2021, 9, 13), "collapsed")]
    posture = turns(result, "us_force_posture", "decision")
    assert posture[0] == (dt.date(2021, 3, 22), "undecided")
    assert (dt.date(2021, 4, 19), "extend_deadline") in posture  # 1 May → 11 Sep, read by the commitment ledger
    assert posture[-1][1] == "withdrawal_complete"
    assert {value for _, value in turns(result, "fatf_status", "list")} == {"grey"}
    assert [day for day, _ in turns(result, "fatf_status", "list")] == [dt.date(2021, 3, 1), dt.date(2021, 6, 28)]
    assert {value for _, value in turns(result, "pakistan_stance", "position")} == {"claims_inability"}
    assert [value for _, value in turns(result, "violence_trend", "change_pct")] == ["45", "29", "47"]
