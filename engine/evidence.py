"""Rules of evidence: which facts count as of a date, before any fact reaches the engine.

Takes facts, the pack's threshold and an as-of date; gives the counting facts and, for every other
fact, why it does not count. A fact counts when observed on or before as-of, still valid, and graded at
or above the threshold. Of counting state-like facts, the latest per (kind, subject) supersedes the rest
(ties broken by recorded date, then id, so the order facts arrive in never matters).
"""

from __future__ import annotations

import datetime as dt

from engine.model import Fact, NotCounted, Pack


def threshold_text(pack: Pack) -> str:
    grades = pack.evidence
    return f"reliability {'/'.join(grades.reliability)}, credibility {'/'.join(map(str, grades.credibility))}"


def sort_evidence(facts: list[Fact], pack: Pack, as_of: dt.date) -> tuple[list[Fact], list[NotCounted]]:
    counting: list[Fact] = []
    not_counted: list[NotCounted] = []
    for fact in facts:
        if fact.observed > as_of:
            not_counted.append(NotCounted(fact=fact.id, reason=f"not yet observed as of {as_of} "
                                          f"(observed {fact.observed})"))
        elif fact.valid_until is not None and fact.valid_until < as_of:
            not_counted.append(NotCounted(fact=fact.id, reason=f"expired: valid until {fact.valid_until}"))
        elif fact.reliability not in pack.evidence.reliability or fact.credibility not in pack.evidence.credibility:
            not_counted.append(NotCounted(fact=fact.id, reason=f"below evidence threshold: graded "
                                          f"{fact.reliability}{fact.credibility}, needs {threshold_text(pack)}"))
        else:
            counting.append(fact)
    latest: dict[tuple[str, str], Fact] = {}
    for fact in counting:
        if not pack.vocabulary[fact.kind].state:
            continue
        key = (fact.kind, fact.subject)
        if key not in latest or _newer(fact, latest[key]):
            latest[key] = fact
    counted = []
    for fact in counting:
        winner = latest.get((fact.kind, fact.subject))
        if winner is not None and winner.id != fact.id:
            not_counted.append(NotCounted(fact=fact.id, reason=f"superseded by {winner.id} "
                                          f"(observed {winner.observed})"))
        else:
            counted.append(fact)
    return sorted(counted, key=lambda f: f.id), sorted(not_counted, key=lambda n: n.fact)


def _newer(a: Fact, b: Fact) -> bool:
    return (a.observed, a.recorded or a.observed, a.id) > (b.observed, b.recorded or b.observed, b.id)
