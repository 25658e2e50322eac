"""The audit trail's store: every evaluation appended to a hash-chained, verifiable log — an embedded SQLite
file by default, or a team's shared PostgreSQL database (`engine.audit_pg`) when the store is named by a
`postgresql://…` URL.

Takes `AuditEntry`s (see `engine.record`); gives back plain pydantic data — the `AuditRecord`s in the
store, `AuditSummary`s for listing, a `Verification` of the whole chain. `open_store` (and so
`AuditStore.open`) is the one place that chooses the backend. `AuditStore` is deliberately narrow (open,
append, find, get, hash_at, records, verify) and holds everything the backends share — sealing, the
queries, the chain checks of `verify` — so that SQLite and PostgreSQL differ only in how they connect,
migrate, lock and translate their errors; this is the only module that touches SQLite.

The chain: a record's body is the canonical JSON (sorted keys, no spaces, UTF-8) of everything in it but
its hash — its `seq` and `prev_hash` included — and hash = SHA-256(prev_hash + body), with 64 zeros
before the first record. Bodies are stored as the exact text that was hashed, so `verify` recomputes
from stored bytes, and a record copied from one store to another keeps its hash. An append reads the
chain's head and inserts after it inside one transaction that holds the chain alone (SQLite: `BEGIN
IMMEDIATE`; PostgreSQL: an advisory lock): concurrent writers queue and never fork the chain (UNIQUE seq
and prev_hash would refuse a fork anyway), and an atomic commit means a writer killed mid-append leaves
no half record.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from pydantic import ConfigDict, ValidationError

from engine.defaults import from_env, user_data_folder
from engine.errors import EngineError, InputError, Location, StoreError, TamperedError, shown
from engine.model import Frozen, PackRef
from engine.record import (
    GENESIS,
    AuditEntry,
    AuditFilter,
    AuditRecord,
    AuditSummary,
    Verification,
    canonical,
    chain_hash,
    columns_of,
    headline_of,
    parse_body,
    result_digest,
    snapshot_digest,
)

ENV_VAR = "COMMITMENTS_AUDIT_DB"
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another's append before giving up
PG_SCHEMES = ("postgresql://", "postgres://")

# One tuple of statements per schema version: MIGRATIONS[n] takes a store from version n to n + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE records (
            seq            INTEGER PRIMARY KEY CHECK (seq >= 1),
            run_id         TEXT NOT NULL UNIQUE,
            recorded_at    TEXT NOT NULL,
            user_name      TEXT NOT NULL,
            engine_version TEXT NOT NULL,
            as_of          TEXT NOT NULL,
            pack_name      TEXT NOT NULL,
            pack_version   TEXT NOT NULL,
            pack_digest    TEXT NOT NULL,
            facts_digest   TEXT NOT NULL,
            result_digest  TEXT NOT NULL,
            responses      TEXT NOT NULL,
            rules          TEXT NOT NULL,
            ok             INTEGER NOT NULL,
            body           TEXT NOT NULL,
            prev_hash      TEXT NOT NULL UNIQUE,
            hash           TEXT NOT NULL UNIQUE)""",
        "CREATE INDEX records_recorded_at ON records (recorded_at)",
        # The head names the last record appended, so that deleting records at the end shows as well.
        "CREATE TABLE head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL)",
        # Not security (whoever can write the file can drop these), but no accidental edit goes through.
        "CREATE TRIGGER records_no_update BEFORE UPDATE ON records "
        "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
        "CREATE TRIGGER records_no_delete BEFORE DELETE ON records "
        "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
# `PRAGMA application_id` of a commitments store ("CMTS"): set on creation, so that a SQLite file of another
# application is never mistaken for one (SQLite's own registry of these numbers: magic.txt in its sources).
APPLICATION_ID = int.from_bytes(b"CMTS", "big")
OUR_TABLES = frozenset({"records", "head"})
COLUMNS = ("seq", "run_id", "recorded_at", "user_name", "engine_version", "as_of", "pack_name", "pack_version",
           "pack_digest", "facts_digest", "result_digest", "responses", "rules", "ok", "prev_hash")

# --- the store ----------------------------------------------------------------------------------------

def default_path() -> Path:
    """One store per user, wherever a command runs, so a trail does not split per folder."""
    return user_data_folder() / "audit.sqlite"


def audit_path(flag: Path | str | None) -> Path | str:
    """Where the store is: `--audit-db` beats $COMMITMENTS_AUDIT_DB beats the per-user default_path(); a
    `postgresql://…` URL is kept as it is (a path would fold its //)."""
    given = str(flag) if flag is not None else os.environ.get(ENV_VAR, "").strip()
    if is_team_store(given):
        return given
    if flag is not None:
        return Path(flag)
    return from_env(ENV_VAR) or default_path()


def _store_message(error: sqlite3.Error, timeout: float) -> str:
    text = str(error)
    if "locked" in text or "busy" in text:
        return f"the audit store is busy: another process held it for more than {timeout:g} s; try again"
    if "readonly" in text or "read-only" in text:
        return "the audit store is read-only; use --audit-db to record elsewhere, or --no-audit"
    if "full" in text:
        return "the disk is full: the audit store could not grow, and nothing was recorded"
    if "not a database" in text or "malformed" in text:
        return f"not an audit store, or the file is damaged (SQLite: {text})"
    if "unable to open" in text:
        return "cannot open the audit store here (is its folder writable, and is it a file?)"
    return f"the audit store failed (SQLite: {text})"


@contextmanager
def _translated(path: Path, timeout: float) -> Iterator[None]:
    """SQLite's errors as one clear StoreError naming the store."""
    try:
        yield
    except sqlite3.Error as error:
        raise StoreError.one("audit-store", _store_message(error, timeout), Location(str(path))) from None


class _Rows(Protocol):
    """What a query gives back, in either backend: a DB-API cursor."""

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class AuditStore:
    """An append-only, hash-chained log of evaluations: what every backend shares. A backend supplies its
    connection (`_execute`, with `?` placeholders), its transactions and its error messages."""

    where: str  # how messages name the store: a file, or a URL with its password hidden

    @classmethod
    def open(cls, target: Path | str, *, create: bool = True, timeout: float = BUSY_TIMEOUT) -> AuditStore:
        """Open (creating and migrating if need be) the store at `target`; `create=False` needs it to exist."""
        return open_store(target, create=create, timeout=timeout)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what a backend supplies ---

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> _Rows:
        raise NotImplementedError

    def _errors(self) -> AbstractContextManager[None]:
        """The backend's errors as one clear StoreError naming the store."""
        raise NotImplementedError

    def _appending(self) -> AbstractContextManager[None]:
        """A transaction that holds the chain's head alone until it commits."""
        raise NotImplementedError

    def _snapshot(self) -> AbstractContextManager[None]:
        """A transaction that reads one consistent state, even while others append."""
        raise NotImplementedError

    def _rollback(self) -> None:
        """End a transaction that failed, if the connection still has one."""
        raise NotImplementedError

    @contextmanager
    def _transaction(self, begin: str, *first: tuple[str, Sequence[Any]]) -> Iterator[None]:
        """`begin`, the `first` statements, the block, COMMIT; on any failure, ROLLBACK and nothing written."""
        self._execute(begin)
        try:
            for statement, params in first:
                self._execute(statement, params)
            yield
            self._execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    # --- the trail, the same on every backend ---

    def append(self, entry: AuditEntry) -> AuditRecord:
        """Seal an entry after the chain's head, in one transaction; gives the record as stored."""
        content = entry.body()
        with self._errors(), self._appending():
            seq, prev_hash = self._head()
            body = {**content, "seq": seq + 1, "prev_hash": prev_hash}
            text = canonical(body)  # once: a record's text is the larger part of its cost
            sealed = self._put(body, text, chain_hash(prev_hash, text))
        return AuditRecord(**dict(entry), seq=seq + 1, prev_hash=prev_hash, hash=sealed)

    def _head(self) -> tuple[int, str]:
        """The last record's number and hash (0 and the genesis hash in a new store), inside `_appending`."""
        head = self._execute("SELECT seq, hash FROM head WHERE id = 1").fetchone()
        if head is None:  # a new store (or a lost head: then chain after the last record there is)
            head = self._execute("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(head[0]), str(head[1])) if head else (0, GENESIS)

    def _put(self, body: dict[str, Any], text: str, sealed: str) -> str:
        """Insert a sealed record (its body's exact text) and move the head to it."""
        columns = columns_of(body)
        self._execute(f"INSERT INTO records ({', '.join(columns)}, body, hash) "
                      f"VALUES ({', '.join('?' * (len(columns) + 2))})", (*columns.values(), text, sealed))
        self._execute("INSERT INTO head (id, seq, hash) VALUES (1, ?, ?) "
                      "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash", (body["seq"], sealed))
        return sealed

    def find(self, where: AuditFilter | None = None) -> list[AuditSummary]:
        """Summaries of the records that pass the filter, oldest first, each with its recorded headline."""
        where = where or AuditFilter()
        clauses, params = ["TRUE"], []
        if where.as_of_from:  # ISO dates: text order is date order
            clauses.append("as_of >= ?")
            params.append(where.as_of_from.isoformat())
        if where.as_of_to:
            clauses.append("as_of <= ?")
            params.append(where.as_of_to.isoformat())
        if where.recorded_from:
            clauses.append("recorded_at >= ?")
            params.append(where.recorded_from.isoformat())
        if where.recorded_to and where.recorded_to < dt.date.max:  # the last day of the calendar has no next
            clauses.append("recorded_at < ?")
            params.append((where.recorded_to + dt.timedelta(days=1)).isoformat())
        with self._errors():
            rows = self._execute(
                "SELECT seq, run_id, recorded_at, user_name, as_of, pack_name, pack_version, pack_digest, "
                "facts_digest, result_digest, responses, rules, ok, hash FROM records "
                f"WHERE {' AND '.join(clauses)} ORDER BY seq", params).fetchall()
        summaries = (self._summary(row) for row in rows)
        found = [s for s in summaries if (not where.response or where.response in s.responses)
                 and (not where.rule or where.rule in s.rules and self._fired(s.seq, where.rule))]
        return [s.model_copy(update={"headline": self._headline(s.seq)}) for s in found]

    def _headline(self, seq: int) -> dict[str, str | None] | None:
        """The headline a record's sealed body recorded; None when the body can no longer be read (`verify`
        says why: `list` still lists the run from its columns)."""
        with self._errors():
            row = self._execute("SELECT body FROM records WHERE seq = ?", (seq,)).fetchone()
        body = parse_body(row[0])
        try:
            return headline_of(body) if body is not None else None
        except (TypeError, KeyError, AttributeError):
            return None

    def _fired(self, seq: int, rule: str) -> bool:
        """Whether the rule's `then` fired in the record: the rules column also lists a rule whose `else` was
        taken (the rule did not hold), which is not what "runs in which this rule fired" asks for."""
        with self._errors():
            row = self._execute("SELECT body FROM records WHERE seq = ?", (seq,)).fetchone()
        try:
            firings = json.loads(row[0])["firings"]
            return any(f["rule"] == rule and f["branch"] == "then" for f in firings)
        except (ValueError, TypeError, KeyError, RecursionError):
            raise self.tampered(seq) from None

    def _summary(self, row: tuple[Any, ...]) -> AuditSummary:
        try:
            return AuditSummary(
                seq=row[0], run_id=row[1], recorded_at=row[2], user=row[3], as_of=row[4],
                pack=PackRef(name=row[5], version=row[6], digest=row[7]), facts_digest=row[8],
                result_digest=row[9], responses=tuple(json.loads(row[10])), rules=tuple(json.loads(row[11])),
                ok=bool(row[12]), hash=row[13])
        except (ValueError, TypeError, RecursionError):  # ValidationError is a ValueError
            raise self.tampered(row[0]) from None

    def get(self, run: str) -> AuditRecord:
        """The record of a run, named by its id or a unique prefix of it."""
        with self._errors():
            rows = self._execute("SELECT seq, body, hash, run_id FROM records WHERE run_id = ?", (run,)).fetchall()
            if not rows and run:
                rows = self._execute("SELECT seq, body, hash, run_id FROM records WHERE substr(run_id, 1, ?) = ? "
                                     "ORDER BY seq LIMIT 3", (len(run), run)).fetchall()
        if not rows:
            raise InputError.one("unknown-run", f"no run {shown(run)} in this audit store "
                                 "(see `commitments audit list`)", Location(self.where))
        if len(rows) > 1:
            raise InputError.one("ambiguous-run", f"{shown(run)} starts several run ids "
                                 f"({', '.join(r[3] for r in rows[:2])}, …); give more of it", Location(self.where))
        return self._record(*rows[0][:3])

    def hash_at(self, seq: int) -> str | None:
        """The hash that seals record #seq, if there is one (what a checkpoint of #seq pinned)."""
        with self._errors():
            row = self._execute("SELECT hash FROM records WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row and isinstance(row[0], str) else None

    def records(self) -> Iterator[AuditRecord]:
        """Every record, oldest first."""
        with self._errors():
            rows = self._execute("SELECT seq, body, hash FROM records ORDER BY seq").fetchall()
        for row in rows:
            yield self._record(*row)

    def sealed(self, after: int, upto: int) -> Iterator[tuple[int, str, str]]:
        """Records #after+1 … #upto as stored: number, the exact text that was hashed, and its hash."""
        with self._errors():
            rows = self._execute("SELECT seq, body, hash FROM records WHERE seq > ? AND seq <= ? ORDER BY seq",
                                 (after, upto)).fetchall()
        for seq, body, sealed in rows:
            if not isinstance(body, str) or not isinstance(sealed, str):
                raise self.tampered(seq)
            yield seq, body, sealed

    def _record(self, seq: int, body: object, sealed: object) -> AuditRecord:
        data = parse_body(body)
        if data is not None and isinstance(sealed, str):
            try:
                return AuditRecord.model_validate({**data, "hash": sealed})
            except (ValidationError, RecursionError):
                pass
        raise self.tampered(seq)

    def tampered(self, seq: int) -> EngineError:
        """A record that cannot be what was sealed: tampering (exit 1), which `verify` will say more of."""
        return TamperedError.one("audit-tampered", f"record #{seq} cannot be read as it was sealed: run "
                                 "`commitments audit verify`", Location(self.where))

    def verify(self) -> Verification:
        """Walk the chain from the first record; name the first that was edited, deleted, inserted or moved."""
        with self._errors(), self._snapshot():
            head = self._execute("SELECT seq, hash FROM head WHERE id = 1").fetchone()
            rows = self._execute(f"SELECT {', '.join(COLUMNS)}, body, hash FROM records ORDER BY seq")
            count, prev_hash = 0, GENESIS
            for row in rows:
                problem = _check(dict(zip((*COLUMNS, "body", "hash"), row, strict=True)), count + 1, prev_hash)
                if problem:
                    total = self._execute("SELECT count(*) FROM records").fetchone()[0]
                    return Verification(ok=False, records=total, head=prev_hash, bad_seq=problem[0],
                                        problem=problem[1])
                count, prev_hash = count + 1, row[-1]
        problem = _check_head(tuple(head) if head else None, count, prev_hash)
        if problem:
            return Verification(ok=False, records=count, head=prev_hash, bad_seq=problem[0], problem=problem[1])
        return Verification(ok=True, records=count, head=prev_hash)


class Copy(Frozen):
    """What `copy_trail` did: the source as verified, how many records it added, the target verified after."""

    model_config = ConfigDict(defer_build=True)

    source: Verification
    already: int
    copied: int
    target: Verification


def copy_trail(source: AuditStore, target: AuditStore) -> Copy:
    """Copy every record of a verified trail, in order and byte for byte (so each keeps its hash), after the
    records the target already has of it; a target that holds another trail, or a broken one, is refused."""
    checked = source.verify()
    if not checked.ok:
        raise TamperedError.one("audit-tampered", f"the trail to copy is broken at record #{checked.bad_seq}: "
                                f"{checked.problem}; nothing was copied", Location(source.where))
    before = target.verify()
    if not before.ok:
        raise TamperedError.one("audit-tampered", f"the store to copy into is broken at record #{before.bad_seq}: "
                                f"{before.problem}; nothing was copied", Location(target.where))
    with target._errors(), target._appending():
        have, head = target._head()
        if have > checked.records or (have and source.hash_at(have) != head):
            raise InputError.one("another-trail", f"this store already holds another trail ({have} records, head "
                                 f"{head[:12]}…, not the first {have} of {source.where}); copy into a new store",
                                 Location(target.where))
        for seq, text, sealed in source.sealed(after=have, upto=checked.records):
            body = parse_body(text)
            if body is None:
                raise source.tampered(seq)
            target._put(body, text, sealed)
    return Copy(source=checked, already=have, copied=checked.records - have, target=target.verify())


def is_team_store(target: Path | str) -> bool:
    """Whether a store is named by a PostgreSQL URL rather than a file."""
    return isinstance(target, str) and target.startswith(PG_SCHEMES)


def redacted(url: str) -> str:
    """The URL with its password (in the user part or as a parameter) replaced by ***."""
    url = re.sub(r"^([a-z]+://[^/@:?#]*):[^/@?#]*@", r"\1:***@", url)
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", url)


def store_name(target: Path | str) -> str:
    """Where a store is, as a message or a page may show it: a file's path, or a team store's URL without
    its password."""
    return redacted(str(target)) if is_team_store(target) else str(target)


def open_store(target: Path | str, *, create: bool = True, timeout: float = BUSY_TIMEOUT) -> AuditStore:
    """The store a path (SQLite) or a `postgresql://…` URL (PostgreSQL, loaded only then) names."""
    if is_team_store(target):
        from engine.audit_pg import PostgresStore

        return PostgresStore.open(str(target), create=create, timeout=timeout)
    return SqliteStore.open(Path(target), create=create, timeout=timeout)


class SqliteStore(AuditStore):
    """The trail in one SQLite file."""

    def __init__(self, path: Path, connection: sqlite3.Connection, timeout: float) -> None:
        self.path = path
        self.where = str(path)
        self._db = connection
        self._timeout = timeout

    @classmethod
    def open(cls, target: Path | str, *, create: bool = True, timeout: float = BUSY_TIMEOUT) -> SqliteStore:
        path = Path(target)
        if str(path) == ":memory:":
            raise StoreError.one("audit-store", "an audit store in memory would be gone when the command ends; "
                                 "name a file, or use --no-audit", Location(str(path)))
        if not create and not path.is_file():
            raise InputError.one("no-audit-store", f"no audit store here; `commitments evaluate` records to "
                                 f"{default_path()} unless --audit-db or ${ENV_VAR} says otherwise",
                                 Location(str(path)))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError.one("audit-store", f"cannot create its folder: {error.strerror}",
                                 Location(str(path))) from None
        with _translated(path, timeout):
            connection = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
            try:
                store = cls(path, connection, timeout)
                store._migrate()
            except BaseException:
                connection.close()
                raise
        return store

    def close(self) -> None:
        self._db.close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, params)

    def _errors(self) -> AbstractContextManager[None]:
        return _translated(self.path, self._timeout)

    def _appending(self) -> AbstractContextManager[None]:
        return self._transaction("BEGIN IMMEDIATE")

    def _snapshot(self) -> AbstractContextManager[None]:
        return self._transaction("BEGIN DEFERRED")

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _migrate(self) -> None:
        self._db.execute("PRAGMA synchronous = FULL")
        if self._application_id() == APPLICATION_ID and self._version() == SCHEMA_VERSION:
            return
        self._refuse_foreign()  # before the first write, the switch to WAL included
        self._wal()
        with self._transaction("BEGIN IMMEDIATE"):
            self._refuse_foreign()  # again, under the write lock: another process may have been first
            version = self._version()
            if version > SCHEMA_VERSION:
                raise StoreError.one("audit-store", f"written by a newer commitments (schema {version}; this "
                                     f"one knows up to {SCHEMA_VERSION})", Location(str(self.path)))
            for step in MIGRATIONS[version:]:
                for statement in step:
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")  # a store from before it was set, too

    def _version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _application_id(self) -> int:
        return int(self._db.execute("PRAGMA application_id").fetchone()[0])

    def _refuse_foreign(self) -> None:
        """Only an empty file or a commitments store is ours to write: another application's SQLite file is
        left exactly as it was. A store from before the application id was set is known by its tables."""
        application_id = self._application_id()
        tables = {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if application_id not in (0, APPLICATION_ID):
            why = f"its application id is {application_id:#010x}"
        elif not tables <= OUR_TABLES or (tables and not self._version()):
            why = f"it holds tables an audit store has not ({', '.join(sorted(tables - OUR_TABLES or tables))})"
        else:
            return
        raise StoreError.one("audit-store", f"another application's SQLite file, left untouched: {why}; "
                             "name a new file with --audit-db", Location(str(self.path)))

    def _wal(self) -> None:
        """WAL lets readers run beside the writer; switching needs a moment alone with the file."""
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)


def _check(row: dict[str, Any], expected: int, prev_hash: str) -> tuple[int, str] | None:
    """Why this row breaks the chain at position `expected`, or None."""
    seq = row["seq"]
    if seq != expected:
        return expected, f"missing: the record after #{expected - 1} is #{seq} (deleted, or renumbered)"
    for name in ("body", "prev_hash", "hash"):
        if not isinstance(row[name], str):
            return seq, f"its {name} column is not text (edited)"
    body = parse_body(row["body"])
    columns = _columns(body)
    if body is None or columns is None:
        return seq, "its body is not a well-formed record (edited)"
    if chain_hash(row["prev_hash"], row["body"]) != row["hash"]:
        return seq, "its content does not match its hash (edited)"
    if body["seq"] != seq:
        return seq, f"it was recorded as #{body['seq']} (records reordered or renumbered)"
    if row["prev_hash"] != prev_hash:
        return seq, f"it does not follow #{seq - 1}: its prev_hash is not #{seq - 1}'s hash (records inserted, " \
                    "deleted or reordered)"
    for name, value in columns.items():
        if row[name] != value:
            return seq, f"its {name} column was edited: it says {row[name]!r}, the sealed record {value!r}"
    try:
        forged = _forged(body, row["hash"])
    except (ValidationError, RecursionError):
        forged = "its body is not a valid audit record (forged)"
    return (seq, forged) if forged else None


def _columns(body: dict[str, Any] | None) -> dict[str, Any] | None:
    """The columns a body says it has, or None when it lacks what every record has."""
    try:
        return columns_of(body) if body is not None else None
    except (KeyError, TypeError, AttributeError):
        return None


def _forged(body: dict[str, Any], sealed: str) -> str | None:
    """Why a sealed body, well-formed and in its place, cannot be a record the engine wrote; or None."""
    record = AuditRecord.model_validate({**body, "hash": sealed})
    if record.firings != record.result.firings or record.run_id != record.result.run_id \
            or result_digest(body["result"]) != record.result_digest:
        return "its result disagrees with its own digest or firings (forged)"
    if snapshot_digest(body["facts_snapshot"]) != record.facts_digest:
        return "its facts snapshot disagrees with its facts digest (forged)"
    return None


def _check_head(head: tuple[int, str] | None, count: int, last: str) -> tuple[int, str] | None:
    if head is None:
        return (count, "the chain's head is missing: records at the end may have been deleted") if count else None
    seq, sealed = head
    if seq > count:
        return count + 1, f"missing: the chain ends at #{count} but its head says #{seq} (deleted at the end)"
    if seq < count:
        return seq + 1, f"appended behind the store's back: the head says the chain ends at #{seq}"
    if sealed != last:
        return seq, "it is not the record the head names (replaced)"
    return None

