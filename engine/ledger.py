"""The commitment ledger: what became of each commitment the pack declares, as of a date.

Takes a pack, facts and an as-of date; gives a `Ledger`. A commitment's conditions (antecedent,
consequent, cancelled_when, released_when) become ordinary rules deriving the reserved kind
`commitment_condition`, evaluated by the normal engine (one incremental `Session`) on every date where
something can change — a fact observed or expiring, a deadline passed — up to the as-of date. The
lifecycle is Singh's: conditional → detached (antecedent holds) → discharged (consequent holds by its
deadline) / violated (its deadline passed while detached) / expired (the antecedent's deadline passed
while conditional) / cancelled (by the debtor) / released (by the creditor). Terminal states stay.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable

from engine.compiler import every_pattern
from engine.evaluate import Derived, PackKey, pack_key
from engine.evidence import last_day, rank
from engine.model import (
    LEDGER_KIND,
    TERMINAL,
    AllOf,
    Clock,
    Commitment,
    CommitmentState,
    CommitmentStatus,
    Condition,
    Deadline,
    DeadlineMove,
    Derive,
    Fact,
    FieldSpec,
    KindSpec,
    Ledger,
    NoneOf,
    Not,
    Pack,
    Pattern,
    Rule,
    Transition,
)
from engine.session import Session
from engine.validate import digest

LEDGER_RULE = "$ledger."  # the ledger's rules: no pack rule id can start so ('$' is not in the id grammar)
LEDGER_SUBJECT = "ledger"
PARTS = ("antecedent", "consequent", "cancelled", "released")
ONE_DAY = dt.timedelta(days=1)


def rule_id(cid: str, part: str) -> str:
    return f"{LEDGER_RULE}{cid}.{part}"


_LEDGER_PACKS: dict[PackKey, Pack] = {}  # a pack (engine.evaluate.pack_key) → its ledger pack


def ledger_pack(pack: Pack) -> Pack:
    """The pack with one deriving rule per commitment condition, and the reserved kind they derive (made once
    per pack content: its rules are models, validated as they are made)."""
    made = _LEDGER_PACKS.get(pack_key(pack))
    if made is None:
        made = _LEDGER_PACKS[pack_key(pack)] = _ledger_pack(pack)
    return made


def prime_ledger_pack(pack: Pack, made: Pack) -> None:
    """Take this pack's ledger pack made earlier (engine.packcache keeps them between processes)."""
    _LEDGER_PACKS.setdefault(pack_key(pack), made)


def _ledger_pack(pack: Pack) -> Pack:
    kind = KindSpec(subjects=(LEDGER_SUBJECT,), state=False, derived=True, fields={
        "commitment": FieldSpec(type="enum", values=tuple(c.id for c in pack.commitments)),
        "part": FieldSpec(type="enum", values=PARTS)})
    rules = [Rule(id=rule_id(c.id, part), title=f"{c.title}: {part}", cites=c.cites, when=cond, origin=c.origin,
                  then=(Derive(kind=LEDGER_KIND, subject=LEDGER_SUBJECT, fields={"commitment": c.id, "part": part}),))
             for c in pack.commitments for part, cond in _parts(c) if cond is not None]
    return pack.model_copy(update={"vocabulary": {**pack.vocabulary, LEDGER_KIND: kind},
                                   "rules": (*pack.rules, *rules), "digest": digest([pack.digest, "ledger"])})


def said(cond: Condition) -> str:
    """A condition in one line, as `ledger` says what is owed: `us_force_posture decision=withdrawal_complete`."""
    if isinstance(cond, Pattern):
        tests = ", ".join(f"{t.field}{_OPS[t.op]}{_value(t.value)}" for t in cond.tests)
        return cond.name or f"{cond.kind}{' ' + tests if tests else ''}"
    if isinstance(cond, NoneOf):
        return f"no {said(cond.none)}"
    if isinstance(cond, Not):
        return f"not ({said(cond.not_)})"
    parts = cond.all if isinstance(cond, AllOf) else cond.any
    joined = (" and " if isinstance(cond, AllOf) else " or ").join(said(p) for p in parts)
    return f"({joined})" if len(parts) > 1 else joined or "nothing"


_OPS = {"eq": "=", "ne": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥", "in": " in "}


def _value(value: object) -> str:
    if isinstance(value, tuple):
        return "{" + ", ".join(map(str, value)) + "}"
    return str(value)


def _parts(c: Commitment) -> tuple[tuple[str, Condition | None], ...]:
    return (("antecedent", c.antecedent), ("consequent", c.consequent), ("cancelled", c.cancelled_when),
            ("released", c.released_when))


Holds = dict[tuple[str, str], tuple[tuple[str, ...], str]]  # (commitment, part) → (supporting facts, rule)


class _Track:
    """One commitment's state, moved date by date."""

    def __init__(self, commitment: Commitment) -> None:
        self.c = commitment
        self.state: CommitmentState = "conditional"
        self.since: dt.date | None = None
        self.detached_on: dt.date | None = None
        self.transitions: list[Transition] = []
        self.moves: list[DeadlineMove] = []
        self.in_force: dict[str, dt.date | None] = {}  # part → the deadline last seen in force

    def move(self, day: dt.date, state: CommitmentState, why: str, facts: tuple[str, ...], part: str) -> None:
        self.transitions.append(Transition(date=day, previous=self.state, state=state, why=why, facts=facts,
                                           rule=rule_id(self.c.id, part), citations=self.c.cites))
        self.state, self.since = state, day

    def deadline(self, which: Deadline | None, counted: list[Fact]) -> tuple[dt.date | None, tuple[str, ...]]:
        """The deadline in force, and the fact it was read from (a later fact can move it)."""
        if which is None:
            return None, ()
        if which.date is not None:
            return which.date, ()
        if which.within_days is not None:
            return (self.detached_on + dt.timedelta(days=which.within_days) if self.detached_on else None), ()
        spec = which.fact
        assert spec is not None
        found = [f for f in counted if f.kind == spec.kind and f.subject == spec.subject
                 and isinstance(f.fields.get(spec.field), dt.date)]
        if not found:
            return None, ()
        latest = max(found, key=rank)  # as the rules of evidence rank facts of one series
        value = latest.fields[spec.field]
        assert isinstance(value, dt.date)
        return value, (latest.id,)

    def watch(self, day: dt.date, counted: list[Fact]) -> None:
        """Note a live deadline that a fact has moved since the last date looked at."""
        part = {"conditional": "antecedent", "detached": "consequent"}.get(self.state)
        if part is None:
            return
        by, source = self.deadline(self.c.antecedent_deadline if part == "antecedent" else self.c.consequent_deadline,
                                   counted)
        before = self.in_force.get(part)
        if before is not None and by != before:
            self.moves.append(DeadlineMove(date=day, part=part, before=before, after=by, facts=source))
        self.in_force[part] = by

    def step(self, day: dt.date, holds: Holds, counted: list[Fact]) -> None:
        """The state as of `day`, given which of the commitment's conditions hold on it."""
        if self.state in TERMINAL:
            return
        self.watch(day, counted)
        cid = self.c.id
        ends: tuple[tuple[str, CommitmentState, str], ...] = (
            ("cancelled", "cancelled", f"cancelled by the debtor ({self.c.debtor})"),
            ("released", "released", f"released by the creditor ({self.c.creditor})"))
        for part, state, why in ends:
            if (cid, part) in holds:
                self.move(day, state, why, holds[cid, part][0], part)
                return
        if self.state == "conditional":
            by, source = self.deadline(self.c.antecedent_deadline, counted)
            if by is not None and day > by:
                self.move(day, "expired", f"the antecedent did not come about by {by}", source, "antecedent")
                return
            if (cid, "antecedent") in holds:
                self.detached_on = day
                self.move(day, "detached", "the antecedent holds: the consequent is now owed",
                          holds[cid, "antecedent"][0], "antecedent")
                self.watch(day, counted)
            elif (cid, "consequent") in holds:
                self.move(day, "discharged", "the consequent came about (before its antecedent)",
                          holds[cid, "consequent"][0], "consequent")
                return
        if self.state == "detached":
            by, source = self.deadline(self.c.consequent_deadline, counted)
            if by is not None and day > by:
                self.move(day, "violated", f"the consequent did not come about by {by}", source, "consequent")
            elif (cid, "consequent") in holds:
                on_time = f" by {by}" if by else ""
                self.move(day, "discharged", f"the consequent came about{on_time}", holds[cid, "consequent"][0],
                          "consequent")

    def status(self, counted: list[Fact]) -> CommitmentStatus:
        due, by = "nothing", None
        if self.state == "conditional":
            by, _ = self.deadline(self.c.antecedent_deadline, counted)
            due = f"nothing yet; owed once {said(self.c.antecedent)}{f' by {by}' if by else ''}"
        elif self.state == "detached":
            by, _ = self.deadline(self.c.consequent_deadline, counted)
            when = f"by {by}" if by else "(no deadline)"
            due = f"{self.c.debtor} owes {self.c.creditor}: {said(self.c.consequent)} {when}"
        return CommitmentStatus(id=self.c.id, title=self.c.title, debtor=self.c.debtor, creditor=self.c.creditor,
                                state=self.state, since=self.since, due=due, due_by=by,
                                transitions=tuple(self.transitions), deadline_moves=tuple(self.moves),
                                citations=self.c.cites)


def _clock_offsets(pack: Pack) -> set[int]:
    """The shifts of the as-of date that the rules' date tests compare facts' dates with (`within_days`)."""
    return {t.value.days for p in every_pattern(pack) for t in p.tests if isinstance(t.value, Clock)}


def _shifted(day: dt.date, days: int) -> dt.date | None:
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:  # past the calendar: no as-of date reaches it
        return None


def _dates(pack: Pack, facts: list[Fact]) -> set[dt.date]:
    """Every date where a commitment can move: facts observed or expiring, a date test turning as the
    as-of date passes a fact's date (as_of + k crossing it: on its day and the day after), deadlines passed."""
    days = {f.observed for f in facts}
    in_fields = {v for f in facts for v in f.fields.values()
                 if isinstance(v, dt.date) and not isinstance(v, dt.datetime)}
    dated = days | in_fields
    for k in _clock_offsets(pack):
        days |= {d for v in dated for shift in (k, k - 1) if (d := _shifted(v, -shift)) is not None}
    ends = (last_day(f, pack) for f in facts)  # its own valid_until, else its kind's valid_for
    days |= {end + ONE_DAY for end in ends if end is not None and end < dt.date.max}
    days |= {v + ONE_DAY for v in in_fields if v < dt.date.max}
    days |= {d.date + ONE_DAY for c in pack.commitments for d in (c.antecedent_deadline, c.consequent_deadline)
             if d is not None and d.date is not None and d.date < dt.date.max}
    return days


def holding(derived: Iterable[Derived]) -> Holds:
    """Which commitment conditions hold in one run, with the facts behind each (as its result would say)."""
    return {(str(d.fields["commitment"]), str(d.fields["part"])): (d.facts(), d.rule())
            for d in derived if d.kind == LEDGER_KIND}


def ledger(pack: Pack, facts: list[Fact], as_of: dt.date) -> Ledger:
    """Every commitment's state as of a date, with the transitions that led there."""
    if not pack.commitments:
        return Ledger(as_of=as_of, commitments=())
    tracks = [_Track(c) for c in pack.commitments]
    queue = sorted(d for d in _dates(pack, facts) | {as_of} if d <= as_of)  # sorted: already a heap
    seen: set[dt.date] = set()
    counted: list[Fact] = []
    with Session(ledger_pack(pack), facts) as session:
        while queue:
            day = heapq.heappop(queue)
            if day in seen:
                continue
            seen.add(day)
            # the run's conclusions, not a whole Evaluation: the ledger reads only what holds and what counts
            counted, run = session.run(day)
            holds = holding(run.derived.values())
            for track in tracks:
                track.step(day, holds, counted)
                if track.state == "detached" and track.c.consequent_deadline is not None:
                    by, _ = track.deadline(track.c.consequent_deadline, counted)
                    if by is not None and by < as_of and by + ONE_DAY not in seen:
                        heapq.heappush(queue, by + ONE_DAY)
    return Ledger(as_of=as_of, commitments=tuple(t.status(counted) for t in tracks))
