"""`commitments:` in a rules file → validated `Commitment`s (the ledger's declarations).

A commitment is C(debtor, creditor, antecedent, consequent) with optional deadlines and the conditions
under which the debtor cancels it or the creditor releases it. Its conditions are written in the rules'
own condition language and parsed by the pack builder, so every mistake is reported at its YAML node.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from engine.model import AllOf, Commitment, Condition, Deadline, FactDate
from engine.validate import suggest, type_name

if TYPE_CHECKING:
    from engine.loader import Path_
    from engine.packfile import _Builder

COMMITMENT_KEYS = {"id", "title", "cites", "debtor", "creditor", "antecedent", "consequent", "antecedent_deadline",
                   "consequent_deadline", "cancelled_when", "released_when"}
DEADLINE_FORMS = "a date (YYYY-MM-DD), {within_days: N} or {fact: KIND, field: DATE_FIELD}"


def parties(builder: _Builder) -> set[str]:
    """Who can owe or be owed: the pack's declared parties, else every subject of its entered kinds."""
    if builder.parties:
        return set(builder.parties)
    return {s for kind in builder.vocabulary.values() if not kind.derived for s in kind.subjects}


def commitment(builder: _Builder, raw: Any, path: Path_, seen: dict[str, str]) -> Commitment | None:
    before = len(builder.problems.items)
    data = builder.mapping(raw, path, "a commitment")
    builder.keys(data, path, COMMITMENT_KEYS, "a commitment")
    if (heading := builder.heading(data, path, "commitment")) is None:
        return None
    cid, cites = heading
    if cid in seen:
        builder.bad((*path, "id"), "duplicate-id", f"commitment {cid!r} is already defined at {seen[cid]}")
    seen.setdefault(cid, str(builder.doc.where(path)))
    who = parties(builder)
    for role in ("debtor", "creditor"):
        if role not in data:
            builder.bad(path, "missing-field", f"commitment {cid!r} needs a {role}")
        else:
            builder.known(data[role], dict.fromkeys(who), (*path, role), "unknown-party", "party")
    antecedent = _condition(builder, data, "antecedent", path, required=False)
    consequent = _condition(builder, data, "consequent", path, required=True)
    cancelled = _condition(builder, data, "cancelled_when", path, required=False)
    released = _condition(builder, data, "released_when", path, required=False)
    deadlines = {key: _deadline(builder, data[key], (*path, key), relative=key == "consequent_deadline")
                 for key in ("antecedent_deadline", "consequent_deadline") if key in data}
    title = builder.text(data, "title", path, str(cid))
    if antecedent is None or consequent is None or len(builder.problems.items) > before:
        return None
    return Commitment(id=cid, title=title, cites=cites, debtor=str(data.get("debtor")),
                      creditor=str(data.get("creditor")), antecedent=antecedent, consequent=consequent,
                      antecedent_deadline=deadlines.get("antecedent_deadline"),
                      consequent_deadline=deadlines.get("consequent_deadline"),
                      cancelled_when=cancelled if "cancelled_when" in data else None,
                      released_when=released if "released_when" in data else None,
                      origin=str(builder.doc.where(path)))


def _condition(builder: _Builder, data: dict[str, Any], key: str, path: Path_, required: bool) -> Condition | None:
    """A commitment's condition; an absent antecedent holds from the start (an unconditional commitment)."""
    if key not in data:
        if required:
            builder.bad(path, "missing-field", f"a commitment needs a {key}")
            return None
        return AllOf(all=())
    return builder.condition(data[key], (*path, key), {})


def _deadline(builder: _Builder, raw: Any, path: Path_, relative: bool) -> Deadline | None:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return Deadline(date=raw)
    if not isinstance(raw, dict):
        builder.bad(path, "bad-deadline", f"a deadline is {DEADLINE_FORMS}; found {type_name(raw)}")
        return None
    if set(raw) == {"within_days"}:
        days = raw["within_days"]
        if not relative:
            builder.bad(path, "bad-deadline", "within_days counts from detachment: it is for the consequent_deadline; "
                        "give the antecedent_deadline as a date or a fact's date field")
            return None
        if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 36_500:
            builder.bad((*path, "within_days"), "bad-value", f"within_days is a whole number of days from 1 to "
                        f"36500; found {type_name(days)}")
            return None
        return Deadline(within_days=days)
    if set(raw) - {"fact", "field", "subject"} or not {"fact", "field"} <= set(raw):
        builder.bad(path, "bad-deadline", f"a deadline is {DEADLINE_FORMS}; found keys {', '.join(map(str, raw))}")
        return None
    if not builder.known(raw["fact"], builder.vocabulary, (*path, "fact"), "unknown-kind", "kind"):
        return None
    kind = builder.vocabulary[raw["fact"]]
    subject = raw.get("subject", kind.subjects[0])
    if subject not in kind.subjects:
        builder.bad((*path, "subject"), "bad-subject", f"{raw['fact']} is about one of {', '.join(kind.subjects)}; "
                    f"found {type_name(subject)}")
        return None
    dates = [name for name, spec in kind.fields.items() if spec.type == "date"]
    field = raw["field"]
    if field not in dates:
        builder.bad((*path, "field"), "bad-deadline", f"{raw['fact']} has no date field {field!r}; its date fields: "
                    f"{', '.join(dates) or 'none'}" + suggest(field, dates))
        return None
    return Deadline(fact=FactDate(kind=raw["fact"], subject=subject, field=field))
