"""What-if: a set of fact changes applied to the facts, and the recommendation diff they make.

Takes facts and `Change`s (add a fact, set a field of a state fact, retract a fact), gives new facts;
`diff` compares two evaluations. The changed facts are evaluated through the engine like any others.
`assume` gives the pack with other values for its named assumptions (compiled in like the pack's own).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from engine.compiler import every_pattern
from engine.errors import InputError, Location, shown
from engine.evidence import sort_evidence
from engine.loader import parse_text
from engine.model import (
    AllOf,
    AnyOf,
    Clock,
    Condition,
    Evaluation,
    Fact,
    FieldSpec,
    Frozen,
    NoneOf,
    Not,
    Pack,
    Pattern,
    Ref,
    Scalar,
    Test,
    moved,
)
from engine.packfile import MAX_DAYS
from engine.validate import check_value, digest, suggest

MAX_SWEEP = 50  # values of one assumption in a sweep


class Change(Frozen):
    """One change to the facts: `add` a fact, `set` fields of an existing fact, or `retract` one."""

    op: Literal["add", "set", "retract"]
    fact: str
    kind: str = ""
    fields: dict[str, Scalar] = {}
    added: Fact | None = None
    observed: dt.date | None = None  # an added fact that a rule needs observed on a particular day

    def describe(self) -> str:
        values = ", ".join(f"{k}={v}" for k, v in sorted(self.fields.items()))
        if self.op == "add":
            return f"add a {self.kind} fact ({values})" + (f" observed {self.observed}" if self.observed else "")
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


class Assume(Frozen):
    """One assumption given another value for a what-if."""

    name: str
    value: int | float | dt.date
    was: int | float | dt.date

    def describe(self) -> str:
        return f"assume {self.name} = {self.value} (the pack says {self.was})"


def parse_assume(pack: Pack, given: list[str]) -> tuple[list[Assume], list[Assume]]:
    """`NAME=VALUE` options → the fixed assumptions, and the values of the one swept (`NAME=V1,V2,…`)."""
    fixed: list[Assume] = []
    swept: list[Assume] = []
    where = Location("--assume")
    for option in given:
        name, _, raw = option.partition("=")
        if name not in pack.assumptions or not raw:
            choices = ", ".join(pack.assumptions) or "none: the pack declares no assumptions"
            raise InputError.one("bad-assume", f"expected NAME=VALUE with NAME an assumption of the pack ({choices}); "
                                 f"found {shown(option)}" + suggest(name, pack.assumptions), where)
        values = [_assumed_value(pack, name, part) for part in raw.split(",")]
        if len(values) > 1:
            if swept:
                raise InputError.one("bad-assume", f"one assumption is swept at a time; found {shown(option)} "
                                     f"after {swept[0].name}", where)
            if len(values) > MAX_SWEEP:
                raise InputError.one("bad-assume", f"a sweep takes at most {MAX_SWEEP} values; found {len(values)}",
                                     where)
            swept = values
        else:
            fixed += values
    return fixed, swept


def _assumed_value(pack: Pack, name: str, raw: str) -> Assume:
    spec = pack.assumptions[name]
    value: Any = parse_text(raw.strip(), "--assume").data if raw.strip() else raw
    why = check_value(FieldSpec(type=spec.type), value)
    if why is None and _counts_days(pack, name) and not 0 <= value <= MAX_DAYS:
        why = f"{name} is a number of days (within_days), from 0 to {MAX_DAYS}; found {value}"
    if why is not None:
        raise InputError.one("bad-assume", f"assumption {name}: {why}", Location("--assume"))
    return Assume(name=name, value=value, was=spec.value)


def _counts_days(pack: Pack, name: str) -> bool:
    return any(t.assumption == name and t.shift for p in every_pattern(pack) for t in p.tests)


def assume(pack: Pack, assumed: list[Assume]) -> Pack:
    """The pack with other values for some assumptions: every test that reads one reads the new value."""
    if not assumed:
        return pack
    values = {a.name: a.value for a in assumed}

    def test(t: Test) -> Test:
        if t.assumption not in values:
            return t
        new = values[t.assumption]
        if not t.shift:
            return t.model_copy(update={"value": new})
        old = pack.assumptions[t.assumption].value
        assert isinstance(t.value, dt.date | Clock | Ref) and isinstance(new, int) and isinstance(old, int)
        return t.model_copy(update={"value": moved(t.value, t.shift * (new - old))})

    def pattern(p: Pattern) -> Pattern:
        return p.model_copy(update={"tests": tuple(test(t) for t in p.tests)})

    def condition(c: Condition) -> Condition:
        if isinstance(c, Pattern):
            return pattern(c)
        if isinstance(c, NoneOf):
            return NoneOf(none=pattern(c.none))
        if isinstance(c, Not):
            return Not(not_=condition(c.not_))
        if isinstance(c, AllOf):
            return AllOf(all=tuple(condition(x) for x in c.all))
        return AnyOf(any=tuple(condition(x) for x in c.any))

    return pack.model_copy(update={
        "rules": tuple(r.model_copy(update={"when": condition(r.when)}) for r in pack.rules),
        "patterns": {name: pattern(p) for name, p in pack.patterns.items()},
        "moot": {name: m.model_copy(update={"pattern": pattern(m.pattern)}) for name, m in pack.moot.items()},
        "assumptions": {name: a.model_copy(update={"value": values.get(name, a.value)})
                        for name, a in pack.assumptions.items()},
        "digest": digest({"pack": pack.digest, "assume": values})})
