"""Timeline (backtest): the recommendation as of each step over a period, and when each response changed.

Takes a pack, facts and a period; gives a `Timeline` of evaluations through the engine, one per step
(incrementally, in one `Session`), and the events where a response appeared or disappeared, the
value of a headline kind (pack.headline) changed, or another fact came to count for a state; beside
them, the commitment ledger's transitions and deadline moves (engine.ledger) on the day they happened.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Literal

from engine.errors import InputError, Location, shown
from engine.evidence import series
from engine.ledger import ledger
from engine.model import Evaluation, Fact, Frozen, Pack
from engine.session import Session


class Point(Frozen):
    date: dt.date
    headline: dict[str, str | None]  # the pack's headline kinds → their values at this step
    responses: tuple[str, ...]


class Cause(Frozen):
    """A fact whose counting changed between two steps: it came to count, or stopped (and why: expired,
    superseded, retracted …, in the evaluation's own words)."""

    fact: str
    counts: bool
    reason: str = ""


class Event(Frozen):
    date: dt.date
    # "appeared"/"disappeared" (a response), "headline" (a headline kind's value), "evidence" (a state's fact),
    # "commitment" (a ledger transition), "deadline" (a fact moved a commitment's deadline)
    change: str
    subject: str
    detail: str = ""
    # for appeared/disappeared/headline: the facts that came to count or stopped counting since the previous
    # step and that the changed response or level rests on (before or after the change)
    because: tuple[Cause, ...] = ()


class Step(Frozen):
    """How far apart the evaluations are: days (7d, 2w) or calendar months (1m: same day of the month, clamped
    to the month's end), so a monthly backtest lands on the 31st when it can, not drifting by 30-day steps."""

    count: int
    unit: Literal["d", "m"] = "d"

    @property
    def text(self) -> str:
        if self.unit == "m":
            return f"{self.count} month{'s' if self.count != 1 else ''}"
        return f"{self.count} day{'s' if self.count != 1 else ''}"


class Timeline(Frozen):
    start: dt.date
    end: dt.date
    step_days: int | None  # None when the step is in calendar months (see `step`)
    step: Step
    points: tuple[Point, ...]
    events: tuple[Event, ...]


# The whole calendar, 0001-01-01 to 9999-12-31: no step can be longer and still reach a second date.
MAX_STEP_DAYS = (dt.date.max - dt.date.min).days
MAX_STEP_MONTHS = 9999 * 12


def parse_step(text: str) -> Step:
    """'7d', '2w', '1' (days) or '1m', '3m' (calendar months) → a Step, at most the whole calendar."""
    match = re.fullmatch(r"\s*([0-9]{1,9})\s*([dwm]?)\s*", text)
    if not match or int(match.group(1)) == 0:
        raise InputError.one("bad-step", f"expected a step such as 7d, 2w or 1m; found {shown(text)}",
                             Location("--step"))
    count, unit = int(match.group(1)), match.group(2)
    if unit == "m":
        if count > MAX_STEP_MONTHS:
            raise InputError.one("bad-step", f"a step of {count} months is longer than the calendar "
                                 f"({MAX_STEP_MONTHS} months)", Location("--step"))
        return Step(count=count, unit="m")
    days = count * (7 if unit == "w" else 1)
    if days > MAX_STEP_DAYS:
        raise InputError.one("bad-step", f"a step of {days} days is longer than the calendar "
                             f"({MAX_STEP_DAYS} days)", Location("--step"))
    return Step(count=days)


def add_months(day: dt.date, months: int) -> dt.date | None:
    """`day` moved by whole calendar months, the day of the month clamped to the month's end; None past 9999."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if year > dt.MAXYEAR:
        return None
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _steps(start: dt.date, end: dt.date, step: Step) -> list[dt.date]:
    """The as-of dates: from `start`, every step, up to `end` (months counted from `start`, not chained)."""
    if step.unit == "d":
        if (end - start).days // step.count > 5_000:
            raise InputError.one("bad-period", "more than 5,000 steps; use a larger --step", Location("--step"))
        return [start + dt.timedelta(days=i * step.count) for i in range((end - start).days // step.count + 1)]
    months = (end.year - start.year) * 12 + end.month - start.month
    if months // step.count > 5_000:
        raise InputError.one("bad-period", "more than 5,000 steps; use a larger --step", Location("--step"))
    days = []
    for i in range(months // step.count + 1):
        day = add_months(start, i * step.count)
        if day is None or day > end:
            break
        days.append(day)
    return days


def _resting_on(run: Evaluation, response: str, now: Evaluation | None = None) -> set[str]:
    """The base facts a response rests on in `run`: its firings' facts, its derived facts' support and the
    facts its rules are decided on — there and, for a response that has gone since, in the later run `now`."""
    derived = {d.id: d for d in run.derived}
    found: set[str] = set()
    rules: set[str] = set()
    for each in run.responses:
        if each.id == response:
            found |= set(each.facts)
            for did in each.derived:
                found |= set(derived[did].facts) if did in derived else set()
            rules |= set(each.rules)
    return found | {f for each_run in (run, now) if each_run for outcome in each_run.rules if outcome.rule in rules
                    for f in outcome.facts}


def _because(moved: list[Cause], support: set[str]) -> tuple[Cause, ...]:
    return tuple(m for m in moved if m.fact in support)


def _shown(value: str | None) -> str:
    return "not derived" if value is None else value


def timeline(pack: Pack, facts: list[Fact], start: dt.date, end: dt.date, step: Step | int = 7) -> Timeline:
    """`step` as an int is days."""
    if isinstance(step, int):
        step = Step(count=step)
    if end < start:
        raise InputError.one("bad-period", f"--to {end} is before --from {start}", Location("--to"))
    points: list[Point] = []
    events: list[Event] = []
    by_id = {f.id: f for f in facts}
    states: dict[tuple[object, ...], str] = {}  # the fact counting for each series of a state
    with Session(pack, facts) as session:  # one live Rete state; each step only moves what changed
        previous: Evaluation | None = None
        for day in _steps(start, end, step):
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
            was, now = set(previous.counted) if previous else set(), set(result.counted)
            why = {n.fact: n.reason for n in result.not_counted}
            moved = [Cause(fact=i, counts=True) for i in result.counted if i not in was]
            moved += [Cause(fact=i, counts=False, reason=why.get(i, "")) for i in (previous.counted if previous else ())
                      if i not in now]
            old = set(before.responses) if before else set()
            events += [Event(date=day, change="appeared", subject=r, because=_because(moved, _resting_on(result, r)))
                       for r in point.responses if r not in old]
            for gone in sorted(old - set(point.responses)):
                assert previous is not None
                events.append(Event(date=day, change="disappeared", subject=gone,
                                    because=_because(moved, _resting_on(previous, gone, result))))
            for kind, value in point.headline.items():
                if before is None or before.headline.get(kind) != value:
                    support = {f for run in (previous, result) if run for d in run.derived if d.kind == kind
                               for f in d.facts}
                    was_shown = _shown(before.headline.get(kind)) if before else "—"
                    events.append(Event(date=day, change="headline", subject=kind,
                                        detail=f"{was_shown} → {_shown(value)}",
                                        because=_because(moved, support) if before else ()))
            points.append(point)
            previous = result
    events += _ledger_events(pack, facts, start, end)
    events.sort(key=lambda e: e.date)  # stable: on one date, the steps' events stay in their order
    return Timeline(start=start, end=end, step_days=step.count if step.unit == "d" else None, step=step,
                    points=tuple(points), events=tuple(events))


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
