"""What-if: a set of fact changes applied to the facts, and the recommendation diff they make.

Takes facts and `Change`s (add a fact, set a field of a state fact, retract a fact), gives new facts;
`diff` compares two evaluations. The changed facts are evaluated through the engine like any others.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from engine.errors import InputError, Location, shown
from engine.evidence import sort_evidence
from engine.loader import parse_text
from engine.model import Evaluation, Fact, Frozen, Pack, Scalar
from engine.validate import check_value, suggest


class Change(Frozen):
    """One change to the facts: `add` a fact, `set` fields of an existing fact, or `retract` one."""

    op: Literal["add", "set", "retract"]
    fact: str
    kind: str = ""
    fields: dict[str, Scalar] = {}
    added: Fact | None = None

    def describe(self) -> str:
        values = ", ".join(f"{k}={v}" for k, v in sorted(self.fields.items()))
        if self.op == "add":
            return f"add a {self.kind} fact ({values})"
        if self.op == "set":
            return f"change {self.fact}: {values}"
        return f"retract {self.fact}"


class Diff(Frozen):
    gained: tuple[str, ...]
    lost: tuple[str, ...]
    headline_before: dict[str, str | None]  # the pack's headline kinds → their values
    headline_after: dict[str, str | None]


def apply(facts: list[Fact], changes: list[Change]) -> list[Fact]:
    result = list(facts)
    for change in changes:
        if change.op == "retract":
            result = [f for f in result if f.id != change.fact]
        elif change.op == "set":
            result = [f.model_copy(update={"fields": {**f.fields, **change.fields}}) if f.id == change.fact else f
                      for f in result]
        elif change.added is not None:
            result.append(change.added)
    return result


def set_field(pack: Pack, facts: list[Fact], as_of: dt.date, assignment: str) -> Change:
    """`KIND.FIELD=VALUE` → a change to the counting fact of that kind (state-like kinds only)."""
    target, _, raw = assignment.partition("=")
    kind_name, _, field = target.partition(".")
    where = Location("--set")
    kind = pack.vocabulary.get(kind_name)
    if not raw or not field or kind is None:
        raise InputError.one("bad-set", f"expected KIND.FIELD=VALUE with a known kind; found {shown(assignment)}"
                             + suggest(kind_name, pack.vocabulary), where)
    spec = kind.fields.get(field)
    if spec is None:
        raise InputError.one("bad-set", f"kind {kind_name!r} has no field {field!r}" + suggest(field, kind.fields),
                             where)
    value = parse_text(raw, "--set").data  # strict, and a refusal is one located line
    if (why := check_value(spec, value)) is not None:
        raise InputError.one("bad-set", f"{kind_name}.{field}: {why}", where)
    counted, _ = sort_evidence(facts, pack, as_of)
    current = [f for f in counted if f.kind == kind_name]
    if len(current) != 1 or not kind.state:
        raise InputError.one("bad-set", f"--set needs exactly one counting {kind_name} fact to change; found "
                             f"{len(current)} (use --add FILE or --drop ID)", where)
    return Change(op="set", fact=current[0].id, kind=kind_name, fields={field: value})


def diff(pack: Pack, before: Evaluation, after: Evaluation) -> Diff:
    old, new = set(before.response_ids()), set(after.response_ids())
    return Diff(gained=tuple(sorted(new - old)), lost=tuple(sorted(old - new)),
                headline_before=before.headline(pack), headline_after=after.headline(pack))
