"""The team store: the same audit trail as `engine.audit`'s SQLite file, in a PostgreSQL database that
several analysts (and machines) append to — named by a `postgresql://user@host/db` URL.

Takes a URL; gives an `AuditStore` whose records, canonical bodies, hashes, head and checks are exactly
the SQLite store's (all of that lives in `engine.audit`): a record copied from one to the other keeps its
hash. What differs is here: connecting, its own schema migrations (versioned in `store_meta`, as SQLite's
`user_version`), append-only triggers, and how appends queue. An append takes a transaction-scoped
advisory lock before it reads the head, so writers on any number of machines serialise on the chain's
head; UNIQUE seq and prev_hash would refuse a fork anyway. psycopg is imported only when a command names
such a store. A password in the URL is never shown: messages name the store by `redacted(url)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from engine.audit import APPLICATION_ID, BUSY_TIMEOUT, ENV_VAR, AuditStore, redacted
from engine.errors import InputError, Location, StoreError

# One tuple of statements per schema version, as engine.audit.MIGRATIONS: the same tables and columns.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # COLLATE "C": dates and times compare as the text they are, whatever the database's locale
        """CREATE TABLE records (
            seq            BIGINT PRIMARY KEY CHECK (seq >= 1),
            run_id         TEXT COLLATE "C" NOT NULL UNIQUE,
            recorded_at    TEXT COLLATE "C" NOT NULL,
            user_name      TEXT NOT NULL,
            engine_version TEXT NOT NULL,
            as_of          TEXT COLLATE "C" NOT NULL,
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
        "CREATE TABLE head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL)",
        # Not security (the table's owner can drop these), but no accidental edit goes through.
        "CREATE FUNCTION records_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit records are append-only'; END $$",
        "CREATE TRIGGER records_no_update BEFORE UPDATE OR DELETE ON records "
        "FOR EACH ROW EXECUTE FUNCTION records_append_only()",
        "CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON records "
        "FOR EACH STATEMENT EXECUTE FUNCTION records_append_only()",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
META = "store_meta"  # PostgreSQL has no user_version or application_id: this one-row table holds both
CHAIN_LOCK = APPLICATION_ID  # the advisory lock key appends (and migrations) of every commitments store take
CONNECT_TIMEOUT = 10  # seconds


class PostgresStore(AuditStore):
    """The trail in a PostgreSQL database (its current schema): a team's shared store."""

    def __init__(self, url: str, connection: psycopg.Connection[Any], timeout: float) -> None:
        self.url = url
        self.where = redacted(url)
        self._db = connection
        self._timeout = timeout

    @classmethod
    def open(cls, target: Path | str, *, create: bool = True, timeout: float = BUSY_TIMEOUT) -> PostgresStore:
        url = str(target)
        where = Location(redacted(url))
        try:
            connection = psycopg.connect(url, autocommit=True, application_name="commitments",
                                         connect_timeout=CONNECT_TIMEOUT)
        except psycopg.ProgrammingError as error:
            raise InputError.one("bad-audit-url", f"not a PostgreSQL URL libpq understands ({_first_line(error, url)})"
                                 "; expected postgresql://USER@HOST[:PORT]/DATABASE", where) from None
        except psycopg.Error as error:
            raise InputError.one("audit-store-unreachable", f"cannot connect to the team store: "
                                 f"{_first_line(error, url)}; check --audit-db or ${ENV_VAR}, or use --no-audit",
                                 where) from None
        store = cls(url, connection, timeout)
        try:
            with store._errors():
                store._migrate(create)
        except BaseException:
            connection.close()
            raise
        return store

    def close(self) -> None:
        self._db.close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self._db.execute(sql.replace("?", "%s"), params)  # placeholders: ours are ?, psycopg's %s

    def _errors(self) -> AbstractContextManager[None]:
        return _translated(self.url, self._timeout)

    def _appending(self) -> AbstractContextManager[None]:
        return self._locked()

    def _snapshot(self) -> AbstractContextManager[None]:
        return self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def _locked(self) -> AbstractContextManager[None]:
        """A transaction that first queues behind any other writer of this database, for at most the timeout."""
        return self._transaction("BEGIN", (f"SET LOCAL lock_timeout = {int(self._timeout * 1000)}", ()),
                                 ("SELECT pg_advisory_xact_lock(?)", (CHAIN_LOCK,)))

    def _rollback(self) -> None:
        if self._db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with suppress(psycopg.Error):  # the connection is gone, and with it the transaction
                self._db.execute("ROLLBACK")

    def _tables(self) -> set[str]:
        """The tables in the store's schema (a plain query: a catalog cache could miss another's new table)."""
        return {name for (name,) in self._execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}

    def _version(self) -> int | None:
        """The schema version, or None where there is no store (yet)."""
        if META not in self._tables():
            return None
        row = self._execute(f"SELECT application_id, schema_version FROM {META} WHERE id = 1").fetchone()
        if row is None or row[0] != APPLICATION_ID:
            raise StoreError.one("audit-store", f"another application's table {META!r} is here, left untouched; name "
                                 "a database of its own", Location(self.where))
        return int(row[1])

    def _migrate(self, create: bool) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        with self._locked():  # one migrator at a time; the others then find it done
            version = self._version()
            if version is None and not create:
                raise InputError.one("no-audit-store", "no audit store in this database yet; `commitments evaluate "
                                     "--audit-db URL` creates one", Location(self.where))
            if version is None:
                self._refuse_foreign()
                self._execute(f"CREATE TABLE {META} (id INTEGER PRIMARY KEY CHECK (id = 1), application_id BIGINT "
                              "NOT NULL, schema_version INTEGER NOT NULL)")
                self._execute(f"INSERT INTO {META} VALUES (1, ?, 0)", (APPLICATION_ID,))
                version = 0
            if version > SCHEMA_VERSION:
                raise StoreError.one("audit-store", f"written by a newer commitments (schema {version}; this one "
                                     f"knows up to {SCHEMA_VERSION})", Location(self.where))
            for step in MIGRATIONS[version:]:
                for statement in step:
                    self._execute(statement)
            self._execute(f"UPDATE {META} SET schema_version = ?", (SCHEMA_VERSION,))

    def _refuse_foreign(self) -> None:
        """Only an empty schema is ours to create a store in: another application's tables are left as they are."""
        tables = self._tables()
        if tables:
            raise StoreError.one("audit-store", "another application's tables are in this database, left untouched "
                                 f"({', '.join(sorted(tables)[:5])}); name a database of its own",
                                 Location(self.where))


def _first_line(error: Exception, url: str) -> str:
    """The first line of a server's or libpq's message, never with the URL's password in it."""
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    for password in re.findall(r"^[a-z]+://[^/@:?#]*:([^/@?#]+)@|[?&]password=([^&#]+)", url):
        for secret in password:
            text = text.replace(secret, "***") if secret else text
    return text


def _store_message(error: psycopg.Error, timeout: float, url: str) -> str:
    if isinstance(error, pg_errors.LockNotAvailable | pg_errors.QueryCanceled):
        return f"the audit store is busy: another writer held it for more than {timeout:g} s; try again"
    if isinstance(error, pg_errors.InsufficientPrivilege | pg_errors.ReadOnlySqlTransaction):
        return f"this user may not write the team store; use --audit-db to record elsewhere, or --no-audit " \
               f"(PostgreSQL: {_first_line(error, url)})"
    if isinstance(error, pg_errors.DiskFull):
        return "the server's disk is full: the audit store could not grow, and nothing was recorded"
    if isinstance(error, psycopg.OperationalError):
        return f"the connection to the team store was lost (PostgreSQL: {_first_line(error, url)})"
    return f"the audit store failed (PostgreSQL: {_first_line(error, url)})"


@contextmanager
def _translated(url: str, timeout: float) -> Iterator[None]:
    """psycopg's errors as one clear StoreError naming the store (its password hidden)."""
    try:
        yield
    except psycopg.Error as error:
        raise StoreError.one("audit-store", _store_message(error, timeout, url), Location(redacted(url))) from None
