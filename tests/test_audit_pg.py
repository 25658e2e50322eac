"""The team store (PostgreSQL) against a real server, and the store's semantics on both backends: the same
records and hashes, verify finding the same tamperings, replay/export/checkpoints on top, `--audit-db
postgresql://…` through the command line, concurrent writers from several processes, clear connection
errors, and `audit copy` between stores. The server is tests/pg.py's throwaway cluster."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import AFTER_SCENARIOS, BASELINE, RULES, scenario_facts
from pg import Server

from engine.audit import ENV_VAR, AuditStore, SqliteStore, audit_path, open_store
from engine.cli import main
from engine.errors import InputError, StoreError
from engine.evaluate import evaluate
from engine.model import Pack
from engine.record import GENESIS, AuditEntry, AuditFilter, canonical, chain_hash, entry_for
from engine.replay import replay
from engine.validate import load_facts

BASELINE_DAY = dt.date(2021, 2, 12)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def entries(pack: Pack) -> list[AuditEntry]:
    """Five runs (the baseline, the three scenarios, the baseline again), evaluated once for every store."""
    baseline = load_facts([BASELINE], pack)
    runs = [(baseline, BASELINE_DAY), *((scenario_facts(pack, name), AFTER_SCENARIOS)
                                        for name in ("cooperates", "demonstrable_steps", "refuses")),
            (baseline, BASELINE_DAY)]
    return [entry_for(evaluate(pack, facts, day), pack, facts) for facts, day in runs]


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store on each backend: a file, or a new database of the test server."""
    if request.param == "sqlite":
        return str(tmp_path / "audit.sqlite")
    return str(request.getfixturevalue("pg_url"))


def fill(target: str, entries: list[AuditEntry]) -> str:
    with AuditStore.open(target) as store:
        for entry in entries:
            store.append(entry)
    return target


@pytest.fixture
def filled(target: str, entries: list[AuditEntry]) -> str:
    return fill(target, entries)


class Raw:
    """A plain connection to a store, as a tamperer would have, with the append-only triggers off."""

    def __init__(self, target: str) -> None:
        self.pg = target.startswith("postgresql://")
        if self.pg:
            import psycopg

            self.db: Any = psycopg.connect(target, autocommit=True)
            self.db.execute("ALTER TABLE records DISABLE TRIGGER USER")
        else:
            self.db = sqlite3.connect(target, isolation_level=None)
            self.db.execute("DROP TRIGGER IF EXISTS records_no_update")
            self.db.execute("DROP TRIGGER IF EXISTS records_no_delete")

    def __call__(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.db.execute(sql.replace("?", "%s") if self.pg else sql, params)


@pytest.fixture
def raw() -> Iterator[Callable[[str], Raw]]:
    opened: list[Raw] = []

    def connect(target: str) -> Raw:
        opened.append(Raw(target))
        return opened[-1]

    yield connect
    for connection in opened:
        connection.db.close()


def verdict(target: str) -> tuple[bool, int | None, str]:
    with AuditStore.open(target, create=False) as store:
        result = store.verify()
    return result.ok, result.bad_seq, result.problem


# --- the same trail on both backends ------------------------------------------------------------------

def test_the_same_entries_make_the_same_chain_on_both_backends(tmp_path: Path, pg_url: str,
                                                               entries: list[AuditEntry]) -> None:
    """Canonical bodies and hashes do not depend on where they are stored."""
    chains = []
    for where in (str(tmp_path / "audit.sqlite"), pg_url):
        with AuditStore.open(fill(where, entries), create=False) as store:
            chains.append([(r.seq, r.prev_hash, r.hash) for r in store.records()])
            assert store.verify().ok
    assert chains[0] == chains[1] and len(chains[0]) == 5 and chains[0][0][1] == GENESIS


def test_open_store_chooses_the_backend_by_its_name(tmp_path: Path, pg_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(tmp_path / "a.sqlite") as store:
        assert isinstance(store, SqliteStore)
    with open_store(pg_url) as store:
        assert type(store).__name__ == "PostgresStore" and store.where == pg_url
    postgres = pg_url.replace("postgresql://", "postgres://")
    monkeypatch.setenv(ENV_VAR, postgres)
    assert audit_path(None) == postgres  # kept as text: a Path would fold its //
    assert audit_path(tmp_path / "flag.sqlite") == tmp_path / "flag.sqlite"
    assert audit_path(pg_url) == pg_url


def test_append_find_get_and_hash_at(filled: str, entries: list[AuditEntry]) -> None:
    with AuditStore.open(filled, create=False) as store:
        records = list(store.records())
        assert [r.seq for r in records] == [1, 2, 3, 4, 5] and all(r.intact() for r in records)
        assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]
        assert [s.run_id for s in store.find()] == [e.run_id for e in entries]
        assert store.get(entries[2].run_id[:10]).hash == records[2].hash == store.hash_at(3)
        assert store.hash_at(6) is None
        assert [s.seq for s in store.find(AuditFilter(response="fatf.support_removal"))] == [2]
        assert [s.seq for s in store.find(AuditFilter(rule="fatf.offer_support"))] == [2]
        with pytest.raises(InputError, match="unknown-run"):
            store.get("no-such-run")
        assert store.verify().records == 5 and store.verify().ok


# --- tampering: verify finds the same on both ---------------------------------------------------------

def test_an_edited_body_is_detected(filled: str, raw: Callable[[str], Raw]) -> None:
    changed = raw(filled)("UPDATE records SET body = replace(body, '\"change_pct\":-38', '\"change_pct\":-39') "
                          "WHERE seq = 2")
    assert changed.rowcount == 1
    assert verdict(filled) == (False, 2, "its content does not match its hash (edited)")


def test_an_edited_column_is_detected(filled: str, raw: Callable[[str], Raw]) -> None:
    raw(filled)("UPDATE records SET user_name = 'mallory' WHERE seq = 3")
    ok, bad, problem = verdict(filled)
    assert (ok, bad) == (False, 3) and "its user_name column was edited" in problem


def test_an_edit_resealed_with_its_own_hash_is_still_detected(filled: str, raw: Callable[[str], Raw]) -> None:
    db = raw(filled)
    prev, body = db("SELECT prev_hash, body FROM records WHERE seq = 2").fetchone()
    forged = body.replace('"value":"sustained_reduction"', '"value":"refusal"')
    assert forged != body
    db("UPDATE records SET body = ?, hash = ? WHERE seq = 2", (forged, chain_hash(prev, forged)))
    ok, bad, problem = verdict(filled)
    assert (ok, bad) == (False, 2) and "its result disagrees with its own digest" in problem


def test_deleting_the_last_record_is_detected(filled: str, raw: Callable[[str], Raw]) -> None:
    raw(filled)("DELETE FROM records WHERE seq = 5")
    ok, bad, problem = verdict(filled)
    assert (ok, bad) == (False, 5) and "deleted at the end" in problem


def test_a_fork_is_refused_and_a_consistent_rewrite_breaks_the_link(filled: str, raw: Callable[[str], Raw]) -> None:
    db = raw(filled)
    seq, prev, body, sealed = db("SELECT seq, prev_hash, body, hash FROM records WHERE seq = 3").fetchone()
    columns = ("seq", "run_id", "recorded_at", "user_name", "engine_version", "as_of", "pack_name", "pack_version",
               "pack_digest", "facts_digest", "result_digest", "responses", "rules", "ok", "body", "prev_hash", "hash")
    row = db(f"SELECT {', '.join(columns)} FROM records WHERE seq = 3").fetchone()
    fork = (6, "fork", *row[2:-1], "f" * 64)  # a second successor of #2
    with pytest.raises(Exception, match="prev_hash|unique|UNIQUE") as refused:
        db(f"INSERT INTO records ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", fork)
    assert type(refused.value).__name__ in ("IntegrityError", "UniqueViolation")
    forged = body.replace('"user":"', '"user":"mallory-')
    db("UPDATE records SET body = ?, hash = ?, user_name = 'mallory-' || user_name WHERE seq = 3",
       (forged, chain_hash(prev, forged)))
    ok, bad, problem = verdict(filled)
    assert (ok, bad) == (False, 4) and "does not follow #3" in problem


def test_records_are_append_only_on_postgresql(pg_url: str, entries: list[AuditEntry]) -> None:
    import psycopg

    fill(pg_url, entries[:2])
    with psycopg.connect(pg_url, autocommit=True) as db:
        for statement in ("UPDATE records SET user_name = 'mallory' WHERE seq = 1", "DELETE FROM records WHERE seq = 2",
                          "TRUNCATE records"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                db.execute(statement)  # type: ignore[arg-type]
    assert verdict(pg_url) == (True, None, "")


# --- replay, export, checkpoints, through the command line ---------------------------------------------

def test_every_audit_command_works_on_a_team_store(pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, "evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12",
                       "--format", "json", "--audit-db", pg_url)
    assert code == 0
    first = json.loads(out)["run_id"]
    monkeypatch.setenv(ENV_VAR, pg_url)  # the environment names it as well as the flag does
    assert run(capsys, "evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12")[0] == 0
    code, out, _ = run(capsys, "audit", "list")
    assert code == 0 and out.splitlines()[-1] == "2 records" and first[:12] in out
    code, out, _ = run(capsys, "audit", "show", first[:10])
    assert code == 0 and out.startswith(f"Audit record #1 · run {first}") and "(content intact)" in out
    code, out, _ = run(capsys, "audit", "export", first)
    document = json.loads(out)
    sealed = document.pop("hash")
    assert code == 0 and chain_hash(document["prev_hash"], canonical(document)) == sealed
    code, out, _ = run(capsys, "audit", "replay", first)
    assert code == 0 and "identical: result digest" in out
    with AuditStore.open(pg_url, create=False) as store:
        assert all(replay(r).identical for r in store.records())
    key, point = tmp_path / "analyst.key", tmp_path / "checkpoint.json"
    assert run(capsys, "audit", "keygen", "--out", str(key))[0] == 0
    code, out, _ = run(capsys, "audit", "checkpoint", "--key", str(key), "--out", str(point))
    assert code == 0 and "checkpoint of 2 records" in out
    assert run(capsys, "evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12")[0] == 0
    code, out, _ = run(capsys, "audit", "verify", "--checkpoint", str(point))
    assert code == 0 and out.startswith("ok: 3 records, chain intact") and "ok: the store extends" in out


def test_a_rewound_team_store_passes_verify_but_not_its_checkpoint(pg_url: str, tmp_path: Path,
                                                                   entries: list[AuditEntry], raw: Callable[[str], Raw],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    fill(pg_url, entries)
    key, point = tmp_path / "analyst.key", tmp_path / "checkpoint.json"
    run(capsys, "audit", "keygen", "--out", str(key))
    assert run(capsys, "audit", "checkpoint", "--key", str(key), "--out", str(point), "--audit-db", pg_url)[0] == 0
    db = raw(pg_url)
    db("DELETE FROM records WHERE seq >= 4")
    db("UPDATE head SET seq = 3, hash = (SELECT hash FROM records WHERE seq = 3)")
    assert verdict(pg_url) == (True, None, "")
    code, out, _ = run(capsys, "audit", "verify", "--checkpoint", str(point), "--audit-db", pg_url)
    assert code == 1 and "TAMPERED: the checkpoint" in out and "records were deleted at the end" in out


# --- connecting: one clear line, exit 2, the password never shown --------------------------------------

def test_an_unreachable_server_is_one_line_exit_2_without_the_password(pg_server: Server, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    closed = f"postgresql://analyst:s3cret-pw@127.0.0.1:{_closed_port()}/team"
    for argv in (["evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12", "--audit-db", closed],
                 ["audit", "verify", "--audit-db", closed], ["audit", "copy", closed, str(tmp_path / "a.sqlite")]):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert len(err.splitlines()) == 1 and "s3cret" not in err and "Traceback" not in err, err
        assert err.startswith(f"postgresql://analyst:***@127.0.0.1:{closed.split(':')[3]}: "
                              "audit-store-unreachable: cannot connect to the team store: "), err
    missing = pg_server.url("no_such_database", password="s3cret-pw")
    code, out, err = run(capsys, "audit", "list", "--audit-db", missing)
    assert (code, out) == (2, "") and "no_such_database" in err and "s3cret" not in err
    code, _, err = run(capsys, "audit", "list", "--audit-db", "postgresql://127.0.0.1:notaport/x")
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # bound and never listening: a connection is refused at once
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_reading_a_database_without_a_store_creates_nothing(pg_server: Server, pg_url: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "audit", "list", "--audit-db", pg_url)
    assert (code, out) == (2, "") and "no-audit-store" in err
    import psycopg

    with psycopg.connect(pg_url) as db:
        assert db.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                          ).fetchone() == (0,)


def test_another_applications_tables_and_a_newer_schema_are_refused(pg_server: Server, pack: Pack,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    theirs = pg_server.new_database()
    pg_server.sql("CREATE TABLE notes (body TEXT)", theirs.rsplit("/", 1)[1])
    code, out, err = run(capsys, "evaluate", str(BASELINE), "--rules", str(RULES), "--audit-db", theirs)
    assert (code, out) == (3, "") and "another application's tables" in err and "notes" in err
    newer = pg_server.new_database()
    AuditStore.open(newer).close()
    pg_server.sql("UPDATE store_meta SET schema_version = 99", newer.rsplit("/", 1)[1])
    with pytest.raises(StoreError, match="written by a newer commitments"):
        AuditStore.open(newer)


# --- several writers, several processes -----------------------------------------------------------------

WRITER = """
import datetime as dt, sys, time
from pathlib import Path
from engine.audit import AuditStore
from engine.evaluate import evaluate
from engine.record import entry_for
from engine.validate import load_facts, load_pack
url, rules, baseline, runs, go = sys.argv[1:6]
pack = load_pack(Path(rules))
facts = load_facts([Path(baseline)], pack)
entry = entry_for(evaluate(pack, facts, dt.date(2021, 2, 12)), pack, facts)
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.005)
for n in range(int(runs)):
    run_id = f"{entry.run_id}-{n}"   # one evaluation, recorded as distinct runs
    with AuditStore.open(url) as store:   # a connection per run, as the command opens one
        store.append(entry.model_copy(update={"run_id": run_id, "result": entry.result.model_copy(
            update={"run_id": run_id})}))
"""


def test_concurrent_writers_in_several_processes_lose_nothing_and_never_fork(pg_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"  # a new database: creating the schema races too
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, pg_url, str(RULES), str(BASELINE), "25", str(go)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    go.touch()
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    with AuditStore.open(pg_url, create=False) as store:
        summaries = store.find()
        assert [s.seq for s in summaries] == list(range(1, 101))
        assert len({s.run_id for s in summaries}) == 100
        result = store.verify()
    assert result.ok and result.records == 100, result.problem


def test_a_failed_append_leaves_no_half_record_and_frees_the_chain(pg_url: str, entries: list[AuditEntry],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.audit_pg import PostgresStore

    fill(pg_url, entries[:2])
    real = PostgresStore._put

    def dies_after_insert(self: PostgresStore, body: dict[str, Any], text: str, sealed: str) -> str:
        real(self, body, text, sealed)
        raise KeyboardInterrupt  # the writer is stopped between its INSERT and its COMMIT

    monkeypatch.setattr(PostgresStore, "_put", dies_after_insert)
    with AuditStore.open(pg_url) as store, pytest.raises(KeyboardInterrupt):
        store.append(entries[2])
    monkeypatch.undo()
    assert verdict(pg_url) == (True, None, "")
    with AuditStore.open(pg_url, timeout=2) as store:  # the lock went with the transaction
        assert store.append(entries[2]).seq == 3


# --- audit copy -------------------------------------------------------------------------------------------

def test_copy_moves_a_trail_to_postgresql_with_its_hashes(tmp_path: Path, pg_url: str, entries: list[AuditEntry],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    source = fill(str(tmp_path / "audit.sqlite"), entries[:3])
    code, out, err = run(capsys, "audit", "copy", source, pg_url)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"source {source}: ok: 3 records, chain intact") and lines[1] == f"copied 3 records to {pg_url}"
    assert lines[2].startswith(f"target {pg_url}: ok: 3 records, chain intact")

    def chain(where: str) -> list[tuple[int, str, str]]:
        with AuditStore.open(where, create=False) as store:
            return list(store.sealed(after=0, upto=10**9))

    assert chain(source) == chain(pg_url)  # the same bytes hashed, the same hashes
    key, point = tmp_path / "analyst.key", tmp_path / "checkpoint.json"
    run(capsys, "audit", "keygen", "--out", str(key))
    assert run(capsys, "audit", "checkpoint", "--key", str(key), "--out", str(point), "--audit-db", source)[0] == 0
    code, out, _ = run(capsys, "audit", "verify", "--checkpoint", str(point), "--audit-db", pg_url)
    assert code == 0 and "ok: the store extends the checkpoint" in out  # signed on the file, true of the copy
    code, out, _ = run(capsys, "audit", "copy", source, pg_url)  # again: nothing to do
    assert code == 0 and out.splitlines()[1] == f"nothing to copy: {pg_url} already holds all 3 records"
    fill(source, entries[3:])  # the trail grew: a second copy adds what is new
    code, out, _ = run(capsys, "audit", "copy", source, pg_url)
    assert code == 0 and out.splitlines()[1] == f"copied 2 records to {pg_url} after the 3 it already had"
    back = str(tmp_path / "back.sqlite")  # and back to SQLite
    assert run(capsys, "audit", "copy", pg_url, back)[0] == 0
    assert chain(back) == chain(pg_url) == chain(source) and len(chain(back)) == 5
    with AuditStore.open(pg_url) as store:  # the copy is a store like any other: it goes on
        assert store.append(entry_for(evaluate(*_baseline(), BASELINE_DAY), *_baseline())).seq == 6
        assert store.verify().ok


def _baseline() -> tuple[Pack, list[Any]]:
    from engine.validate import load_pack

    pack = load_pack(RULES)
    return pack, load_facts([BASELINE], pack)


def test_copy_refuses_another_trail_and_a_tampered_one(tmp_path: Path, pg_url: str, entries: list[AuditEntry],
                                                       raw: Callable[[str], Raw],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    source = fill(str(tmp_path / "audit.sqlite"), entries[:2])
    fill(pg_url, entries[2:3])  # the team store already holds a trail of its own
    code, out, err = run(capsys, "audit", "copy", source, pg_url)
    assert (code, out) == (2, "") and err.startswith(f"{pg_url}: another-trail: this store already holds another trail")
    assert verdict(pg_url) == (True, None, "")
    with AuditStore.open(pg_url, create=False) as store:
        assert [s.run_id for s in store.find()] == [entries[2].run_id]
    raw(source)("UPDATE records SET user_name = 'mallory' WHERE seq = 1")
    fresh = str(tmp_path / "fresh.sqlite")
    code, out, err = run(capsys, "audit", "copy", source, fresh)
    assert (code, out) == (1, "") and "the trail to copy is broken at record #1" in err and "nothing was copied" in err
    with AuditStore.open(fresh, create=False) as store:
        assert store.find() == []


def test_a_busy_team_store_is_one_clear_error_after_the_timeout(pg_url: str, entries: list[AuditEntry]) -> None:
    import psycopg

    from engine.audit_pg import CHAIN_LOCK

    fill(pg_url, entries[:1])
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (CHAIN_LOCK,))  # another writer, mid-append
        with AuditStore.open(pg_url, timeout=0.2) as store, pytest.raises(StoreError, match="busy"):
            store.append(entries[1])
    assert verdict(pg_url) == (True, None, "")


def test_psycopg_is_loaded_only_for_a_team_store(tmp_path: Path) -> None:
    """A command on a SQLite store (every command of a lone analyst) does not pay for importing psycopg."""
    probe = ("import sys; from engine.cli import main; "
             f"code = main(['evaluate', {str(BASELINE)!r}, '--rules', {str(RULES)!r}, '--as-of', '2021-02-12', "
             f"'--audit-db', {str(tmp_path / 'a.sqlite')!r}]); "
             "print(code, 'psycopg' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stderr.strip().splitlines()[-1] == "0 False", done.stderr


KILLED = """
import sys, time
from engine.audit import AuditStore
from engine.audit_pg import PostgresStore
from engine.record import AuditEntry
url, entry = sys.argv[1], AuditEntry.model_validate_json(sys.stdin.read())
real = PostgresStore._put

def put_then_wait(self, body, text, sealed):
    real(self, body, text, sealed)
    print("writing", flush=True)   # the record is inserted, its transaction open: wait to be killed
    time.sleep(600)

PostgresStore._put = put_then_wait
with AuditStore.open(url) as store:
    store.append(entry)
"""


def test_a_writer_killed_mid_append_leaves_no_half_record(pg_url: str, entries: list[AuditEntry]) -> None:
    fill(pg_url, entries[:2])
    writer = subprocess.Popen([sys.executable, "-c", KILLED, pg_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    assert writer.stdin is not None and writer.stdout is not None
    writer.stdin.write(entries[2].model_dump_json())
    writer.stdin.close()
    assert writer.stdout.readline().strip() == "writing"
    writer.kill()  # SIGKILL: no rollback from the client, the server sees the connection drop
    assert writer.wait(timeout=30) == -9
    writer.stdout.close()
    assert writer.stderr is not None
    writer.stderr.close()
    assert verdict(pg_url) == (True, None, "")
    with AuditStore.open(pg_url, timeout=10) as store:  # the chain's lock went with the dead transaction
        assert store.append(entries[2]).seq == 3 and store.verify().records == 3
