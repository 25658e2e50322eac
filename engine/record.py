"""An audit record: what one evaluation leaves behind — its inputs in full, every firing, the result —
the canonical serialisation and SHA-256 chaining that seal it, and the other plain data of the trail.

Takes an `Evaluation` with the pack and facts it was computed from (`entry_for`); gives plain pydantic
data (`AuditEntry`, and `AuditRecord` once the store has placed it in the chain). Canonical JSON is sorted
keys, no spaces, UTF-8; a record's hash is SHA-256(prev_hash + canonical JSON of the record minus its
hash). Sorting drops the order the pack declared its mappings in (its categories order its responses), so
the record keeps that order beside the snapshots (`key_order`) for a replay to put back (`in_key_order`).
Nothing here touches storage: `engine.audit` does.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict

from engine import __version__
from engine.model import Evaluation, Fact, Firing, Frozen, Ledger, Pack, PackRef
from engine.validate import digest

GENESIS = "0" * 64  # the prev_hash of the first record


class KeyOrder(Frozen):
    """A mapping of a snapshot whose keys were declared in another order than sorted: where it is (keys and list
    indices from the snapshot's top), and its keys in that order."""

    at: tuple[str | int, ...]
    keys: tuple[str, ...]


class SnapshotOrder(Frozen):
    """What canonical JSON drops from the snapshots: the declared order of their mappings. The pack's categories
    order its responses (and so the result); the others order its views (sections, entry forms, a fact's fields)."""

    pack: tuple[KeyOrder, ...] = ()
    facts: tuple[KeyOrder, ...] = ()


class AuditEntry(Frozen):
    """What one evaluation adds to the trail: everything but its place in the chain."""

    run_id: str
    recorded_at: str
    user: str
    engine_version: str
    as_of: dt.date
    pack: PackRef
    facts_digest: str
    result_digest: str
    pack_snapshot: dict[str, Any]
    facts_snapshot: tuple[dict[str, Any], ...]
    firings: tuple[Firing, ...]
    result: Evaluation
    # The commitment ledger as of the same date, when the pack declares commitments. Left out of the sealed
    # body when absent, so that records written before the ledger existed keep their hashes.
    ledger: Ledger | None = None
    # The snapshots' mappings in their declared order (sealed with the rest). None in records written before it
    # was kept, and then left out of the sealed body, so that those keep their hashes.
    snapshot_order: SnapshotOrder | None = None

    def body(self, exclude: set[str] | None = None) -> dict[str, Any]:
        """The content that is sealed: everything but what `exclude` names, and the ledger or the snapshot order
        when there is none."""
        absent = {name for name in ("ledger", "snapshot_order") if getattr(self, name) is None}
        left_out: dict[str, Any] = dict.fromkeys((exclude or set()) | absent, True)
        if not self.result.hypothetical:  # as results were sealed before the flag existed
            left_out["result"] = {"hypothetical": True}
        return self.model_dump(mode="json", exclude=left_out)


class AuditRecord(AuditEntry):
    """An entry as stored: its place in the chain and the hash that seals it."""

    seq: int
    prev_hash: str
    hash: str

    def intact(self) -> bool:
        """Whether this record's content still matches its own hash (the chain is `verify`'s business)."""
        return chain_hash(self.prev_hash, canonical(self.body({"hash"}))) == self.hash


# The models below serve `audit list` and `audit verify` only: built on first use, not at every start-up.
_DEFERRED = ConfigDict(defer_build=True)


class AuditSummary(Frozen):
    """One line of `audit list`: a record's indexed columns, without its snapshots."""

    model_config = _DEFERRED

    seq: int
    run_id: str
    recorded_at: str
    user: str
    as_of: dt.date
    pack: PackRef
    facts_digest: str
    result_digest: str
    responses: tuple[str, ...]
    rules: tuple[str, ...]
    ok: bool
    hash: str
    # the pack's headline kinds → their values in the recorded result (what tells runs apart at a glance);
    # None when the sealed body can no longer be read (tampering: `verify` names it)
    headline: dict[str, str | None] | None = {}


class AuditFilter(Frozen):
    """Which records to list: as of dates between two dates, recorded between two UTC dates (all
    inclusive), recommending or firing an id."""

    model_config = _DEFERRED

    as_of_from: dt.date | None = None
    as_of_to: dt.date | None = None
    recorded_from: dt.date | None = None
    recorded_to: dt.date | None = None
    response: str | None = None
    rule: str | None = None


class Verification(Frozen):
    model_config = _DEFERRED

    ok: bool
    records: int
    head: str
    bad_seq: int | None = None
    problem: str = ""


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_body(body: object) -> dict[str, Any] | None:
    """A stored body as data, or None when it is not the JSON object text that is sealed (a blob, bad JSON,
    nesting past the parser's depth): then it was tampered with, and that is all a reader needs to know."""
    if not isinstance(body, str):
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def headline_of(body: dict[str, Any]) -> dict[str, str | None]:
    """The headline of a recorded run, read from its sealed body as `Evaluation.headline` reads a result:
    each headline kind of the pack snapshot → the one value derived for it (None for none, or for two)."""
    derived = body["result"]["derived"]
    found: dict[str, str | None] = {}
    for headline in body["pack_snapshot"].get("headline") or ():
        values = [str(d["value"]) for d in derived if d["kind"] == headline["kind"]]
        found[str(headline["kind"])] = values[0] if len(values) == 1 else None
    return found


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def result_digest(result: Evaluation | dict[str, Any]) -> str:
    """Digest of a result without its run id: what a replay must reproduce."""
    data = result.model_dump(mode="json") if isinstance(result, Evaluation) else dict(result)
    data.pop("run_id", None)
    if not data.get("warnings"):
        data.pop("warnings", None)  # results recorded before warnings existed had none: they replay identical
    if not data.get("hypothetical"):
        data.pop("hypothetical", None)  # nor did results before the hypothetical flag
    return digest(data)


def snapshot_digest(facts_snapshot: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> str:
    """The facts digest of a facts snapshot, as `engine.evaluate.facts_digest` computes it from the facts."""
    return digest(sorted(({k: v for k, v in fact.items() if k != "origin" and (k != "hypothetical" or v)}
                          for fact in facts_snapshot),
                         key=lambda fact: str(fact["id"])))


def key_order(value: object, at: tuple[str | int, ...] = ()) -> Iterator[KeyOrder]:
    """Every mapping in a model's data whose keys are not in sorted order (as canonical JSON would put them back):
    the mappings the model holds as data (a pack's categories, a kind's fields), not the models' own fields, which
    validation orders anyway."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from key_order(getattr(value, name), (*at, name))
    elif isinstance(value, dict):
        if list(value) != sorted(value):
            yield KeyOrder(at=at, keys=tuple(value))
        for key, item in value.items():
            yield from key_order(item, (*at, key))
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from key_order(item, (*at, index))


def in_key_order(data: Any, orders: Iterable[KeyOrder]) -> Any:
    """Snapshot data read back from canonical JSON with the mappings `orders` names in their declared order again
    (copied along the way: `data` is left as it is). ValueError when an order does not fit the data: the record
    was edited since it was sealed."""
    wanted = {order.at: order.keys for order in orders}
    on_the_way = {at[:n] for at in wanted for n in range(len(at))}  # where a mapping to reorder lies below
    placed = 0

    def walk(node: Any, at: tuple[str | int, ...]) -> Any:
        nonlocal placed
        if at in wanted:
            keys = wanted[at]
            if not isinstance(node, dict) or sorted(keys) != sorted(node):
                raise ValueError(f"the recorded order of {'.'.join(map(str, at))} does not fit its keys")
            node = {key: node[key] for key in keys}
            placed += 1
        if at not in on_the_way:
            return node
        if isinstance(node, dict):
            return {key: walk(item, (*at, key)) for key, item in node.items()}
        if isinstance(node, list | tuple):
            return [walk(item, (*at, index)) for index, item in enumerate(node)]
        return node

    ordered = walk(data, ())
    if placed != len(wanted):
        raise ValueError("a recorded order names a mapping the snapshot does not have")
    return ordered


def current_user() -> str:
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError, ImportError):
        return "unknown"


def entry_for(evaluation: Evaluation, pack: Pack, facts: list[Fact], ledger: Ledger | None = None,
              user: str | None = None) -> AuditEntry:
    """The audit entry of an evaluation, with full snapshots of the pack and facts it was computed from (and
    the commitment ledger as of its date, if given). `user` is who asked: the web page's signed-in analyst;
    the command line leaves it to the operating system's user."""
    by_id = sorted(facts, key=lambda f: f.id)
    return AuditEntry(
        run_id=evaluation.run_id,
        recorded_at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        user=user or current_user(),
        engine_version=__version__,
        as_of=evaluation.as_of,
        pack=evaluation.pack,
        facts_digest=evaluation.facts_digest,
        result_digest=result_digest(evaluation),
        pack_snapshot=pack.model_dump(mode="json"),
        facts_snapshot=tuple(f.content() for f in by_id),
        firings=evaluation.firings,
        result=evaluation,
        ledger=ledger,
        snapshot_order=SnapshotOrder(pack=tuple(key_order(pack)), facts=tuple(key_order(by_id))),
    )


def columns_of(body: dict[str, Any]) -> dict[str, Any]:
    """The indexed columns of a record, all derived from its body (verify checks they still agree)."""
    result = body["result"]
    return {
        "seq": body["seq"], "run_id": body["run_id"], "recorded_at": body["recorded_at"],
        "user_name": body["user"], "engine_version": body["engine_version"], "as_of": body["as_of"],
        "pack_name": body["pack"]["name"], "pack_version": body["pack"]["version"],
        "pack_digest": body["pack"]["digest"], "facts_digest": body["facts_digest"],
        "result_digest": body["result_digest"],
        "responses": canonical([r["id"] for r in result["responses"]]),
        "rules": canonical(sorted({f["rule"] for f in body["firings"]})),
        "ok": int(all(g["ok"] for g in result["guardrails"])), "prev_hash": body["prev_hash"],
    }

