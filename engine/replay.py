"""Replay: a recorded evaluation re-run from its own snapshot, and whether it reproduces the result.

Takes an `AuditRecord`; rebuilds the pack and facts exactly as they were (JSON has no dates, so
date-typed fields get their type back from the snapshot's own vocabulary; canonical JSON sorts keys, so
mappings get their declared order back from the record's snapshot order), evaluates them as of the
recorded date under the recorded run id, and gives a `Replay`: identical (same result digest, and the same
commitment ledger when one was recorded) or the differences — responses gained and lost, each headline
kind's value before → after, the fields that differ, commitments whose state differs.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.evaluate import evaluate, facts_digest
from engine.ledger import ledger
from engine.model import (
    OBSERVED,
    AllOf,
    AnyOf,
    Condition,
    Derive,
    Evaluation,
    Fact,
    FieldSpec,
    Frozen,
    KindSpec,
    Ledger,
    NoneOf,
    Not,
    Pack,
    Pattern,
    Rule,
    Test,
)
from engine.record import AuditRecord, KeyOrder, SnapshotOrder, in_key_order, result_digest

if TYPE_CHECKING:
    from engine.audit import AuditStore


def _typed(spec: FieldSpec | None, value: Any) -> Any:
    """JSON has no dates: a date-typed field comes back as a string, and its type is the vocabulary's."""
    if spec is None or spec.type != "date" or not isinstance(value, str):
        return value
    return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)


_OBSERVED = FieldSpec(type="date")  # a test on the day a fact was observed compares dates


def _test(test: Test, kind: KindSpec | None) -> Test:
    spec = _OBSERVED if test.field == OBSERVED else kind.fields.get(test.field) if kind else None
    value = tuple(_typed(spec, v) for v in test.value) if isinstance(test.value, tuple) else _typed(spec, test.value)
    return test.model_copy(update={"value": value})


def _condition(cond: Condition, vocabulary: dict[str, KindSpec]) -> Condition:
    if isinstance(cond, Pattern):
        return cond.model_copy(update={"tests": tuple(_test(t, vocabulary.get(cond.kind)) for t in cond.tests)})
    if isinstance(cond, AllOf):
        return AllOf(all=tuple(_condition(c, vocabulary) for c in cond.all))
    if isinstance(cond, AnyOf):
        return AnyOf(any=tuple(_condition(c, vocabulary) for c in cond.any))
    if isinstance(cond, Not):
        return Not(not_=_condition(cond.not_, vocabulary))
    none = _condition(cond.none, vocabulary)
    assert isinstance(none, Pattern)
    return NoneOf(none=none)


def _fields(fields: dict[str, Any], kind: KindSpec | None) -> dict[str, Any]:
    return {name: _typed(kind.fields.get(name) if kind else None, value) for name, value in fields.items()}


def _rule(rule: Rule, vocabulary: dict[str, KindSpec]) -> Rule:
    def effects(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(e.model_copy(update={"fields": _fields(e.fields, vocabulary.get(e.kind))})
                     if isinstance(e, Derive) else e for e in items)

    return rule.model_copy(update={"when": _condition(rule.when, vocabulary), "then": effects(rule.then),
                                   "else_": effects(rule.else_)})


def restore_pack(snapshot: dict[str, Any]) -> Pack:
    """The pack a record was evaluated with, equal to the original (digest included)."""
    pack = Pack.model_validate(snapshot)
    vocabulary = pack.vocabulary
    patterns = {name: _condition(p, vocabulary) for name, p in pack.patterns.items()}
    commitments = tuple(c.model_copy(update={
        key: _condition(getattr(c, key), vocabulary) for key in ("antecedent", "consequent", "cancelled_when",
                                                                 "released_when") if getattr(c, key) is not None})
        for c in pack.commitments)
    return pack.model_copy(update={"rules": tuple(_rule(r, vocabulary) for r in pack.rules), "patterns": patterns,
                                   "commitments": commitments})


def restore_facts(snapshot: tuple[dict[str, Any], ...], pack: Pack) -> list[Fact]:
    facts = [Fact.model_validate(data) for data in snapshot]
    return [f.model_copy(update={"fields": _fields(f.fields, pack.vocabulary.get(f.kind))}) for f in facts]


# --- the replay -------------------------------------------------------------------------------------------

class Replay(Frozen):
    """A record re-evaluated from its own snapshot: identical, or how the result differs."""

    seq: int
    run_id: str
    identical: bool
    stored_digest: str
    replayed_digest: str
    engine_then: str
    engine_now: str
    differences: tuple[str, ...] = ()
    note: str = ""  # what the replay could not take from the record itself


# What a replay of a record written before the snapshot order was kept says of the order it used.
ORDER_SHOWN = ("recorded before records kept the pack's declared order: its categories are put in the order "
               "the recorded responses show them")


def restore(record: AuditRecord) -> tuple[Pack, list[Fact]]:
    """The pack and facts a record was evaluated with, their mappings in their declared order. They were
    rebuilt from the same data when it was sealed, so a snapshot that no longer can be (ValueError) was edited
    since."""
    order = record.snapshot_order or order_shown(record)
    try:
        pack = restore_pack(in_key_order(record.pack_snapshot, order.pack))
        return pack, restore_facts(tuple(in_key_order(record.facts_snapshot, order.facts)), pack)
    except RecursionError:
        raise ValueError(f"record #{record.seq}: its snapshot is nested too deep to rebuild") from None


def order_shown(record: AuditRecord) -> SnapshotOrder:
    """The order of a record written before the snapshot order was kept, as far as it can be recovered: the
    result lists responses in the order of their categories, so it gives that order for every category it
    has; the others (no view of the result shows them) follow, sorted. The pack's other mappings, which order
    no result, and the facts' fields stay sorted."""
    categories = record.pack_snapshot.get("categories")
    if not isinstance(categories, dict):
        return SnapshotOrder()
    shown = [c for c in dict.fromkeys(r.category for r in record.result.responses) if c in categories]
    return SnapshotOrder(pack=(KeyOrder(at=("categories",), keys=(*shown, *(c for c in categories
                                                                            if c not in shown))),))


def recorded(store: AuditStore, run: str) -> tuple[AuditRecord, Pack, list[Fact]]:
    """A run's record with the pack and facts restored from it; a snapshot that cannot be rebuilt is the
    store's tampering, named by its record."""
    record = store.get(run)
    try:
        pack, facts = restore(record)
    except ValueError:
        raise store.tampered(record.seq) from None
    return record, pack, facts


def replay(record: AuditRecord, restored: tuple[Pack, list[Fact]] | None = None) -> Replay:
    """Re-evaluate a record's pack and facts snapshot as of its date, and compare the result digests."""
    pack, facts = restored or restore(record)
    replayed = evaluate(pack, facts, record.as_of, run_id=record.run_id)
    digest_now = result_digest(replayed)
    differences: list[str] = []
    if facts_digest(facts) != record.facts_digest:
        differences.append("the facts snapshot no longer matches the recorded facts digest")
    if digest_now != record.result_digest:
        differences += _differences(pack, record.result, replayed)
    if record.ledger is not None:
        differences += _ledger_differences(record.ledger, ledger(pack, facts, record.as_of))
    return Replay(seq=record.seq, run_id=record.run_id, identical=not differences,
                  stored_digest=record.result_digest, replayed_digest=digest_now,
                  engine_then=record.engine_version, engine_now=__version__, differences=tuple(differences),
                  note="" if record.snapshot_order is not None else ORDER_SHOWN)


def _ledger_differences(before: Ledger, after: Ledger) -> list[str]:
    """Each commitment whose recorded state (or history) the replay does not reproduce."""
    then = {c.id: c for c in before.commitments}
    now = {c.id: c for c in after.commitments}
    lines = []
    for cid in sorted(then.keys() | now.keys()):
        old, new = then.get(cid), now.get(cid)
        if old == new:
            continue
        said = [f"{c.state} since {c.since}" if c else "absent" for c in (old, new)]
        lines.append(f"commitment {cid}: {said[0]} → {said[1]}" if said[0] != said[1]
                     else f"commitment {cid}: its transitions differ")
    return lines


def _differences(pack: Pack, before: Evaluation, after: Evaluation) -> list[str]:
    lines: list[str] = []
    gained = sorted(set(after.response_ids()) - set(before.response_ids()))
    lost = sorted(set(before.response_ids()) - set(after.response_ids()))
    if gained:
        lines.append(f"responses gained: {', '.join(gained)}")
    if lost:
        lines.append(f"responses lost: {', '.join(lost)}")
    then_values, now_values = before.headline(pack), after.headline(pack)
    lines += [f"{pack.label(kind)}: {then_values[kind]} → {value}" for kind, value in now_values.items()
              if then_values[kind] != value]
    then, now = before.model_dump(mode="json"), after.model_dump(mode="json")
    changed = sorted(key for key in then if key != "run_id" and then[key] != now.get(key))
    if changed:
        lines.append(f"fields that differ: {', '.join(changed)}")
    return lines
