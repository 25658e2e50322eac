"""Timeline (backtest): the recommendation as of each step over a period, and when each response changed.

Takes a pack, facts and a period; gives a `Timeline` of evaluations through the engine, one per step
(incrementally, in one `Session`), and the events where a response appeared or disappeared, the
value of a headline kind (pack.headline) changed, or another fact came to count for a state; beside
them, the commitment ledger's transitions and deadline moves (engine.ledger) on the day they happened.
"""

from __future__ import annotations

import datetime as dt
import re

from engine.errors import InputError, Location, shown
from engine.evidence import series
from engine.ledger import ledger
from engine.model import Fact, Frozen, Pack
from engine.session import Session


class Point(Frozen):
    date: dt.date
    headline: dict[str, str | None]  # the pack's headline kinds → their values at this step
    responses: tuple[str, ...]


class Event(Frozen):
    date: dt.date
    # "appeared"/"disappeared" (a response), "headline" (a headline kind's value), "evidence" (a state's fact),
    # "commitment" (a ledger transition), "deadline" (a fact moved a commitment's deadline)
    change: str
    subject: str
    detail: str = ""


class Timeline(Frozen):
    start: dt.date
    end: dt.date
    step_days: int
    points: tuple[Point, ...]
    events: tuple[Event, ...]


# The whole calendar, 0001-01-01 to 9999-12-31: no step can be longer and still reach a second date.
MAX_STEP_DAYS = (dt.date.max - dt.date.min).days


def parse_step(text: str) -> int:
    """'7d', '2w' or '1' (days) → days, at most the whole calendar."""
    match = re.fullmatch(r"\s*([0-9]{1,9})\s*([dw]?)\s*", text)
    if not match or int(match.group(1)) == 0:
        raise InputError.one("bad-step", f"expected a step such as 7d or 2w; found {shown(text)}", Location("--step"))
    days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
    if days > MAX_STEP_DAYS:
        raise InputError.one("bad-step", f"a step of {days} days is longer than the calendar "
                             f"({MAX_STEP_DAYS} days)", Location("--step"))
    return days


def _shown(value: str | None) -> str:
    return "not derived" if value is None else value


def timeline(pack: Pack, facts: list[Fact], start: dt.date, end: dt.date, step_days: int = 7) -> Timeline:
    if end < start:
        raise InputError.one("bad-period", f"--to {end} is before --from {start}", Location("--to"))
    if (end - start).days // step_days > 5_000:
        raise InputError.one("bad-period", "more than 5,000 steps; use a larger --step", Location("--step"))
    points: list[Point] = []
    events: list[Event] = []
    by_id = {f.id: f for f in facts}
    states: dict[tuple[object, ...], str] = {}  # the fact counting for each series of a state
    day = start
    session = Session(pack, facts)  # one live Rete state; each step only moves what changed
    while True:
        result = session.evaluate(day)
        for fact in (by_id[i] for i in result.counted):
            key = series(fact, pack)
            if key is not None and states.get(key) != fact.id:
                values = ", ".join(f"{k}={v}" for k, v in sorted(fact.fields.items()))
                events.append(Event(date=day, change="evidence", subject=fact.kind,
                                    detail=f"{fact.id} ({values}, observed {fact.observed})"))
                states[key] = fact.id
        point = Point(date=day, headline=result.headline(pack), responses=tuple(result.response_ids()))
        before = points[-1] if points else None
        old = set(before.responses) if before else set()
        events += [Event(date=day, change="appeared", subject=r) for r in point.responses if r not in old]
        events += [Event(date=day, change="disappeared", subject=r) for r in sorted(old - set(point.responses))]
        for kind, value in point.headline.items():
            if before is None or before.headline.get(kind) != value:
                events.append(Event(date=day, change="headline", subject=kind,
                                    detail=f"{_shown(before.headline.get(kind)) if before else '—'} → {_shown(value)}"))
        points.append(point)
        if (end - day).days < step_days:  # the next step is past the end (and, near 9999-12-31, past the calendar)
            break
        day += dt.timedelta(days=step_days)
    session.close()
    events += _ledger_events(pack, facts, start, end)
    events.sort(key=lambda e: e.date)  # stable: on one date, the steps' events stay in their order
    return Timeline(start=start, end=end, step_days=step_days, points=tuple(points), events=tuple(events))


def _ledger_events(pack: Pack, facts: list[Fact], start: dt.date, end: dt.date) -> list[Event]:
    """The commitment ledger's transitions and deadline moves in the period, on the day they happened."""
    events = []
    for status in ledger(pack, facts, end).commitments:
        for move in status.transitions:
            if move.date >= start:
                cited = f", on {', '.join(move.facts)}" if move.facts else ""
                events.append(Event(date=move.date, change="commitment", subject=status.id,
                                    detail=f"{move.previous} → {move.state}: {move.why}{cited}"))
        for shift in status.deadline_moves:
            if shift.date >= start:
                events.append(Event(date=shift.date, change="deadline", subject=status.id,
                                    detail=f"{shift.part} deadline {shift.before} → {shift.after or 'none'}"
                                    f"{', by ' + ', '.join(shift.facts) if shift.facts else ''}"))
    return events
