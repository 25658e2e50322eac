"""Rules of evidence: which facts count as of a date, before any fact reaches the engine.

Takes facts, the pack's threshold and an as-of date; gives the counting facts and, for every other
fact, why it does not count. A fact counts when observed on or before as-of, still valid, and graded at
or above the threshold. A fact is valid until its own `valid_until`, else for its kind's `valid_for`
days after it was observed (the fact's own date wins: the analyst set it from what the source says of
that one fact, the kind's default is a guess about all of them). Of counting state-like facts, the latest
per (kind, subject, key fields) supersedes the rest — a kind's `key` names fields that are separate
series — (ties broken by recorded date, then id, so the order facts arrive in never matters).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from operator import attrgetter
from typing import Any

from engine.model import Fact, NotCounted, Pack

_BY_ID = attrgetter("id")
_LAST = 1 << 62  # sorts after every fact index: (day, _LAST) bounds the facts of that day
Group = tuple[Any, ...]  # (kind, subject, *key values): one series of a state


def last_day(fact: Fact, pack: Pack) -> dt.date | None:
    """The last day a fact counts: its own valid_until, else observed + its kind's valid_for, else none."""
    if fact.valid_until is not None:
        return fact.valid_until
    kind = pack.vocabulary.get(fact.kind)
    if kind is None or kind.valid_for is None:
        return None
    return fact.observed + dt.timedelta(days=kind.valid_for)


def series(fact: Fact, pack: Pack) -> Group | None:
    """The series a state fact belongs to (the latest of each counts), or None for an event kind."""
    kind = pack.vocabulary.get(fact.kind)
    if kind is None or not kind.state:
        return None
    return (fact.kind, fact.subject, *(fact.fields.get(k) for k in kind.key))


def staleness(pack: Pack, counted: list[Fact], as_of: dt.date) -> tuple[str, ...]:
    """A warning when the as-of date is long after the newest counting fact: the result may describe a
    world that has moved on since."""
    if not counted:
        return (f"no fact counts as of {as_of}",)
    newest = max(f.observed for f in counted)
    gap = (as_of - newest).days
    if gap > pack.evidence.stale_after_days:
        return (f"newest counting fact is {newest}, {gap} days before the as-of date "
                f"(warned past {pack.evidence.stale_after_days} days)",)
    return ()


def threshold_text(pack: Pack) -> str:
    grades = pack.evidence
    return f"reliability {'/'.join(grades.reliability)}, credibility {'/'.join(map(str, grades.credibility))}"


def sort_evidence(facts: list[Fact], pack: Pack, as_of: dt.date) -> tuple[list[Fact], list[NotCounted]]:
    """The counting facts and a note for each other fact, both in fact-id order."""
    return Evidence(facts, pack).at(as_of)


class Evidence:
    """One set of facts, sorted as of any date; asked again, it re-sorts only what the date moved.

    A fact's own standing changes only on the day it is observed and the day after it expires, so a
    move from one as-of date to another re-examines the facts with such a day in between (the day after
    it expires is its own valid_until's or its kind's valid_for's). Counting state facts are kept in rank
    order per series, (kind, subject, key values): the last counts, each other one is
    superseded by the next, so a fact coming or going changes the notes of its neighbours only.
    """

    def __init__(self, facts: list[Fact], pack: Pack) -> None:
        self.pack = pack
        self.facts = sorted(facts, key=_BY_ID)
        grades = pack.evidence
        self.graded = [f.reliability in grades.reliability and f.credibility in grades.credibility for f in self.facts]
        self.group = [series(f, pack) for f in self.facts]
        self.ends = [last_day(f, pack) for f in self.facts]
        self.rank = {i: rank(self.facts[i]) for i, group in enumerate(self.group) if group is not None}
        self.days: tuple[list[tuple[dt.date, int]], ...] = ()  # built when first asked again (see `_moved`)
        self.notes: dict[tuple[Any, ...], NotCounted] = {}
        self.status: list[NotCounted | None] = [None] * len(self.facts)  # None: it counts (set in `at`)
        self.order: dict[Group, list[tuple[Any, int]]] = {}  # counting but for supersession, by rank
        self.as_of: dt.date | None = None

    def at(self, as_of: dt.date) -> tuple[list[Fact], list[NotCounted]]:
        moved = range(len(self.facts)) if self.as_of is None else self._moved(self.as_of, as_of)
        self.as_of = as_of
        refresh: dict[Group, set[int]] = {}  # facts whose successor may have changed
        for i in moved:
            standing = self._standing(i, as_of)
            group = self.group[i]
            if group is None or standing is not None:
                self.status[i] = standing
            if group is None:
                continue
            order = self.order.setdefault(group, [])
            if group not in refresh:  # the last two say who counts: they may change
                refresh[group] = {i for _, i in order[-2:]}
            entry = (self.rank[i], i)
            at = bisect_left(order, entry)
            present = at < len(order) and order[at] == entry
            if standing is None and not present:
                order.insert(at, entry)
                refresh[group].update(j for _, j in order[max(at - 1, 0):at + 1])
            elif standing is not None and present:
                del order[at]
                refresh[group].update(j for _, j in order[max(at - 1, 0):at])
        for group, facts in refresh.items():
            order = self.order[group]
            for i in facts | {j for _, j in order[-2:]}:
                self._supersede(order, i)
        return ([f for f, note in zip(self.facts, self.status, strict=True) if note is None],
                [note for note in self.status if note is not None])

    def _supersede(self, order: list[tuple[Any, int]], i: int) -> None:
        """A counting state fact is superseded by the next later one, unless it is the latest."""
        at = bisect_left(order, (self.rank[i], i))
        if at == len(order) or order[at][1] != i:
            return  # it does not count on its own standing: its note is already set
        if at == len(order) - 1:
            self.status[i] = None
            return
        later = self.facts[order[at + 1][1]]
        self.status[i] = self._note(self.facts[i].id, "superseded", (later.id, later.observed, at + 2 < len(order)))

    def _moved(self, before: dt.date, now: dt.date) -> set[int]:
        """The facts observed, or expiring, after the earlier date and on or before the later one."""
        if not self.days:
            observed = sorted((f.observed, i) for i, f in enumerate(self.facts))
            expiring = sorted((end + dt.timedelta(days=1), i) for i, end in enumerate(self.ends)
                              if end is not None)  # the first day it no longer counts
            self.days = (observed, expiring)
        early, late = sorted((before, now))
        return {i for days in self.days
                for _, i in days[bisect_right(days, (early, _LAST)):bisect_right(days, (late, _LAST))]}

    def _standing(self, i: int, as_of: dt.date) -> NotCounted | None:
        """A fact's standing on its own: not yet observed, expired, below the threshold, or counting."""
        fact = self.facts[i]
        if fact.observed > as_of:
            return self._note(fact.id, "future", fact.observed)
        end = self.ends[i]
        if end is not None and end < as_of:
            if fact.valid_until is not None:
                return self._note(fact.id, "expired", fact.valid_until)
            return self._note(fact.id, "stale", (fact.observed, self.pack.vocabulary[fact.kind].valid_for, end))
        if not self.graded[i]:
            return self._note(fact.id, "below", (fact.reliability, fact.credibility))
        return None

    def _note(self, fact_id: str, why: str, detail: Any) -> NotCounted:
        """Notes do not depend on the date, so each is written once."""
        found = self.notes.get((fact_id, why, detail))
        if found is None:
            found = self.notes[fact_id, why, detail] = NotCounted(fact=fact_id, reason=_reason(self.pack, why, detail))
        return found


def _reason(pack: Pack, why: str, detail: Any) -> str:
    if why == "future":
        return f"not yet observed: observed {detail}, after the as-of date"
    if why == "expired":
        return f"expired: valid until {detail}"
    if why == "stale":
        return f"stale: observed {detail[0]}, counts {detail[1]} days (to {detail[2]})"
    if why == "below":
        return f"below evidence threshold: graded {detail[0]}{detail[1]}, needs {threshold_text(pack)}"
    itself = ", itself superseded" if detail[2] else ""
    return f"superseded by {detail[0]} (observed {detail[1]}){itself}"


def rank(fact: Fact) -> tuple[dt.date, dt.date, str]:
    """Of two counting state facts about one thing, the later-ranked supersedes the other."""
    return fact.observed, fact.recorded or fact.observed, fact.id
