"""The audit trail (docs/audit.md): every evaluation recorded, tamper-evident, safe under concurrency and crashes,
replayable — through the store's API and through `commitments evaluate` / `commitments audit …`."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import AFTER_SCENARIOS, BASELINE, RULES, SCENARIOS, STRINGS_FREE, scenario_facts

from engine.audit import APPLICATION_ID, ENV_VAR, SCHEMA_VERSION, AuditStore
from engine.cli import main
from engine.errors import InputError, StoreError
from engine.evaluate import evaluate
from engine.model import Fact, Pack
from engine.record import GENESIS, canonical, chain_hash, entry_for, result_digest
from engine.replay import replay, restore_facts, restore_pack
from engine.validate import load_facts, load_pack

BASELINE_DAY = dt.date(2021, 2, 12)
SCENARIO_NAMES = ("cooperates", "demonstrable_steps", "refuses")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def record(db: Path, pack: Pack, facts: list[Fact], as_of: dt.date = BASELINE_DAY) -> str:
    evaluation = evaluate(pack, facts, as_of)
    with AuditStore.open(db) as store:
        return store.append(entry_for(evaluation, pack, facts)).run_id


def count(db: Path) -> int:
    with AuditStore.open(db, create=False) as store:
        return len(store.find())


@pytest.fixture
def raw() -> Iterator[Callable[[Path], sqlite3.Connection]]:
    """A plain SQLite connection, as a tamperer would have, with the append-only triggers dropped."""
    opened: list[sqlite3.Connection] = []

    def connect(db: Path) -> sqlite3.Connection:
        connection = sqlite3.connect(db, isolation_level=None)
        connection.execute("DROP TRIGGER IF EXISTS records_no_update")
        connection.execute("DROP TRIGGER IF EXISTS records_no_delete")
        opened.append(connection)
        return connection

    yield connect
    for connection in opened:
        connection.close()


@pytest.fixture(scope="module")
def five_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of five runs (baseline and the three scenarios, then the baseline again) to copy and tamper with."""
    pack = load_pack(RULES)
    db = tmp_path_factory.mktemp("template") / "audit.sqlite"
    record(db, pack, load_facts([BASELINE], pack))
    for name in SCENARIO_NAMES:
        record(db, pack, scenario_facts(pack, name), AFTER_SCENARIOS)
    record(db, pack, load_facts([BASELINE], pack))
    return db


@pytest.fixture
def store_copy(five_records: Path, tmp_path: Path) -> Path:
    db = tmp_path / "audit.sqlite"
    shutil.copy(five_records, db)
    return db


def verdict(db: Path) -> tuple[bool, int | None, str]:
    with AuditStore.open(db, create=False) as store:
        result = store.verify()
    return result.ok, result.bad_seq, result.problem


# --- what is recorded ---------------------------------------------------------------------------------

def test_evaluate_records_the_run_with_snapshots_firings_and_result(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path, pack: Pack) -> None:
    db = tmp_path / "deep" / "folder" / "audit.sqlite"  # parent folders are created
    code, out, _ = run(capsys, "evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12",
                       "--format", "json", "--audit-db", str(db))
    assert code == 0
    shown = json.loads(out)
    with AuditStore.open(db, create=False) as store:
        (stored,) = list(store.records())
    assert stored.seq == 1 and stored.prev_hash == GENESIS and stored.intact()
    assert stored.run_id == shown["run_id"] and stored.as_of == BASELINE_DAY
    assert stored.pack.digest == shown["pack"]["digest"] == pack.digest
    assert stored.facts_digest == shown["facts_digest"]
    assert stored.user and stored.engine_version == "0.1.0"
    assert dt.datetime.fromisoformat(stored.recorded_at).utcoffset() == dt.timedelta(0)
    assert {f["id"] for f in stored.facts_snapshot} == {f.id for f in load_facts([BASELINE], pack)}
    assert restore_pack(stored.pack_snapshot) == pack
    assert any(f.rule == "coop.refusal" and f.branch == "then" and f.derived for f in stored.firings)
    assert stored.result.model_dump(mode="json") == {k: v for k, v in shown.items() if k != "headline"}
    assert stored.result_digest == result_digest(stored.result)


def test_snapshots_come_back_exactly_dates_included(tmp_path: Path) -> None:
    """JSON has no dates: the vocabulary types them again, in facts and in rule tests alike."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    fatf = rules / "fatf.yaml"
    fatf.write_text(fatf.read_text().replace("when: {fact: fatf_status, where: {list: grey}}",
                                             "when: {fact: fatf_status, where: {list: grey, next_plenary: "
                                             "{gte: 2021-02-01}}}"))
    pack = load_pack(rules)
    facts = load_facts([BASELINE], pack)
    entry = entry_for(evaluate(pack, facts, BASELINE_DAY), pack, facts)
    data = json.loads(canonical(entry.model_dump(mode="json")))
    restored = restore_pack(data["pack_snapshot"])
    assert restored == pack
    assert restore_facts(tuple(data["facts_snapshot"]), restored) == sorted(facts, key=lambda f: f.id)


def test_bad_input_records_nothing_and_no_audit_records_nothing(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    code, _, err = run(capsys, "evaluate", str(tmp_path / "missing.yaml"), "--rules", str(RULES), "--audit-db", str(db))
    assert code == 2 and "file-missing" in err
    assert not db.exists()
    code, _, _ = run(capsys, "evaluate", str(BASELINE), "--rules", str(RULES), "--no-audit", "--audit-db", str(db))
    assert code == 0 and not db.exists()
    run(capsys, "evaluate", str(BASELINE), "--rules", str(RULES), "--audit-db", str(db))
    code, _, err = run(capsys, "evaluate", str(BASELINE), "--rules", str(tmp_path / "no-rules"), "--audit-db", str(db))
    assert code == 2 and count(db) == 1


def test_a_guardrail_violation_is_recorded_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = STRINGS_FREE
    db = tmp_path / "audit.sqlite"
    code, _, _ = run(capsys, "evaluate", str(BASELINE), str(SCENARIOS / "cooperates.yaml"), "--rules", str(rules),
                     "--as-of", "2021-07-01", "--audit-db", str(db))
    assert code == 1
    code, out, _ = run(capsys, "audit", "list", "--audit-db", str(db))
    assert code == 0 and "VIOLATED" in out and "1 records" in out


def test_the_flag_beats_the_environment_which_beats_the_default(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = tmp_path / "data" / "commitments" / "audit.sqlite"  # per user, not .commitments/ in this folder
    args = ("evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12")
    assert run(capsys, *args)[0] == 0
    assert count(default) == 1 and not (tmp_path / ".commitments").exists()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env.sqlite"))
    assert run(capsys, *args)[0] == 0
    assert run(capsys, *args, "--audit-db", str(tmp_path / "flag.sqlite"))[0] == 0
    assert (count(default), count(tmp_path / "env.sqlite"), count(tmp_path / "flag.sqlite")) == (1, 1, 1)
    code, out, _ = run(capsys, "audit", "verify")  # the audit commands find the store the same way
    assert code == 0 and out.startswith("ok: 1 records, chain intact")


# --- tampering ----------------------------------------------------------------------------------------

COLUMN_EDITS = {
    "run_id": "'0123456789abcdef'", "recorded_at": "'2020-01-01T00:00:00+00:00'", "user_name": "'mallory'",
    "engine_version": "'9.9.9'", "as_of": "'2021-07-02'", "pack_name": "'another-pack'",
    "pack_version": "'2.0.0'", "pack_digest": "'ab' || substr(pack_digest, 3)",
    "facts_digest": "'ab' || substr(facts_digest, 3)", "result_digest": "'ab' || substr(result_digest, 3)",
    "responses": "'[\"fatf.support_removal\"]'", "rules": "'[]'", "ok": "1 - ok",
    "prev_hash": "'ab' || substr(prev_hash, 3)", "hash": "'ab' || substr(hash, 3)",
    # inside the sealed body: the recorded cooperation level, a fact's value, the user, the as-of date
    "body": "replace(body, '\"value\":\"sustained_reduction\"', '\"value\":\"refusal\"')",
    "body.facts_snapshot": "replace(body, '\"change_pct\":-38', '\"change_pct\":-39')",
    "body.user": "replace(body, '\"user\":\"' || user_name || '\"', '\"user\":\"mallory\"')",
    "body.as_of": "replace(body, '\"as_of\":\"2021-07-01\"', '\"as_of\":\"2021-07-02\"')",
}


@pytest.mark.parametrize("field", sorted(COLUMN_EDITS))
def test_editing_any_field_of_a_record_is_detected(field: str, store_copy: Path, raw: Callable[[Path], sqlite3.Connection],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    column = field.split(".")[0]
    db = raw(store_copy)
    changed = db.execute(f"UPDATE records SET {column} = {COLUMN_EDITS[field]} WHERE seq = 2").rowcount
    assert changed == 1 and db.execute("SELECT body LIKE '%sustained_reduction%' FROM records WHERE seq = 2").fetchone()
    ok, bad, problem = verdict(store_copy)
    assert not ok and bad == 2, problem
    code, out, _ = run(capsys, "audit", "verify", "--audit-db", str(store_copy))
    assert code == 1 and out.startswith("TAMPERED: record #2: ")


@pytest.mark.parametrize(("seq", "old", "new", "why"), [
    (2, '"value":"sustained_reduction"', '"value":"refusal"', "its result disagrees with its own digest"),
    (3, '"change_pct":-10', '"change_pct":-11', "its facts snapshot disagrees with its facts digest"),
])
def test_an_edit_resealed_with_its_own_hash_is_still_detected(seq: int, old: str, new: str, why: str, store_copy: Path,
                                                             raw: Callable[[Path], sqlite3.Connection]) -> None:
    db = raw(store_copy)
    prev, body = db.execute("SELECT prev_hash, body FROM records WHERE seq = ?", (seq,)).fetchone()
    forged = body.replace(old, new)
    assert forged != body
    db.execute("UPDATE records SET body = ?, hash = ? WHERE seq = ?", (forged, chain_hash(prev, forged), seq))
    ok, bad, problem = verdict(store_copy)
    assert not ok and bad == seq and why in problem, problem


# A body no reader can take as a record: bytes instead of text, text that is not JSON, JSON nested past any
# parser's depth (once with its hash left, once re-sealed so that only reading it can tell).
DEEP = "[" * 100_000 + "]" * 100_000
UNREADABLE_BODIES: dict[str, Callable[[str], object]] = {
    "a blob of its own bytes": lambda body: body.encode(),
    "a blob of garbage": lambda body: b"\x00\xff" * 50,
    "invalid JSON": lambda body: body[:-1],
    "JSON nested 100k deep": lambda body: DEEP,
    "JSON nested 100k deep, re-sealed": lambda body: DEEP,
}


def _unreadable(store_copy: Path, raw: Callable[[Path], sqlite3.Connection], damage: str) -> str:
    """Record #2's body replaced; gives record #2's run id."""
    db = raw(store_copy)
    run_id, prev, body = db.execute("SELECT run_id, prev_hash, body FROM records WHERE seq = 2").fetchone()
    forged = UNREADABLE_BODIES[damage](body)
    db.execute("UPDATE records SET body = ? WHERE seq = 2", (forged,))
    if damage.endswith("re-sealed"):
        db.execute("UPDATE records SET hash = ? WHERE seq = 2", (chain_hash(prev, str(forged)),))
    return str(run_id)


@pytest.mark.parametrize("damage", sorted(UNREADABLE_BODIES))
def test_an_unreadable_body_is_tampering_for_every_command(damage: str, store_copy: Path,
                                                          raw: Callable[[Path], sqlite3.Connection],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _unreadable(store_copy, raw, damage)
    code, out, err = run(capsys, "audit", "verify", "--audit-db", str(store_copy))
    assert code == 1 and out.startswith("TAMPERED: record #2: ") and err == "", (out, err)
    for command in (["show", run_id], ["replay", run_id], ["export", run_id], ["export", run_id, "--format", "markdown"]):
        code, out, err = run(capsys, "audit", *command, "--audit-db", str(store_copy))
        assert (code, out) == (1, ""), (command, code, err)
        assert err.splitlines() == [f"{store_copy}: audit-tampered: record #2 cannot be read as it was sealed: "
                                    "run `commitments audit verify`"], command
    code, out, _ = run(capsys, "audit", "list", "--audit-db", str(store_copy))
    assert code == 0 and out.splitlines()[-1] == "5 records"  # the indexed columns still list it
    assert out.splitlines()[2].split()[6] == "UNREADABLE"  # its headline is read from the body: `verify` says why


@pytest.mark.parametrize("column", ["responses = 'not JSON'", "rules = '7'", "as_of = 'yesterday'"])
def test_an_unreadable_column_is_tampering_for_list(column: str, store_copy: Path,
                                                    raw: Callable[[Path], sqlite3.Connection],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    raw(store_copy).execute(f"UPDATE records SET {column} WHERE seq = 3")
    code, out, err = run(capsys, "audit", "list", "--audit-db", str(store_copy))
    assert (code, out) == (1, "") and err.startswith(f"{store_copy}: audit-tampered: record #3 cannot be read")


@pytest.mark.parametrize("snapshot", [{"name": "no such pack"}, json.loads("[" * 900 + "]" * 900)])
def test_a_resealed_snapshot_that_cannot_be_rebuilt_is_tampering(snapshot: object, store_copy: Path,
                                                                 raw: Callable[[Path], sqlite3.Connection],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The last record, re-sealed with its head: the chain holds, but its pack snapshot is not a pack."""
    db = raw(store_copy)
    run_id, prev, body = db.execute("SELECT run_id, prev_hash, body FROM records WHERE seq = 5").fetchone()
    forged = canonical({**json.loads(body), "pack_snapshot": {"rules": snapshot}})
    db.execute("UPDATE records SET body = ?, hash = ? WHERE seq = 5", (forged, chain_hash(prev, forged)))
    db.execute("UPDATE head SET hash = ?", (chain_hash(prev, forged),))
    for command in ("show", "replay", "export"):
        code, out, err = run(capsys, "audit", command, run_id, "--format", "markdown", "--audit-db", str(store_copy)) \
            if command == "export" else run(capsys, "audit", command, run_id, "--audit-db", str(store_copy))
        assert (code, out) == (1, "") and err.splitlines() == [
            f"{store_copy}: audit-tampered: record #5 cannot be read as it was sealed: run `commitments audit verify`"]


def test_a_consistent_forgery_breaks_the_link_to_the_next_record(store_copy: Path,
                                                                 raw: Callable[[Path], sqlite3.Connection]) -> None:
    db = raw(store_copy)
    prev, body = db.execute("SELECT prev_hash, body FROM records WHERE seq = 2").fetchone()
    forged = body.replace('"user":"', '"user":"mallory-')
    db.execute("UPDATE records SET body = ?, hash = ?, user_name = 'mallory-' || user_name WHERE seq = 2",
               (forged, chain_hash(prev, forged)))
    ok, bad, problem = verdict(store_copy)
    assert not ok and bad == 3 and "does not follow #2" in problem


def test_deleting_a_record_is_detected(store_copy: Path, raw: Callable[[Path], sqlite3.Connection]) -> None:
    raw(store_copy).execute("DELETE FROM records WHERE seq = 3")
    ok, bad, problem = verdict(store_copy)
    assert not ok and bad == 3 and "missing" in problem


def test_deleting_the_last_records_is_detected(store_copy: Path, raw: Callable[[Path], sqlite3.Connection]) -> None:
    raw(store_copy).execute("DELETE FROM records WHERE seq >= 4")
    ok, bad, problem = verdict(store_copy)
    assert not ok and bad == 4 and "deleted at the end" in problem
    raw(store_copy).execute("DELETE FROM head")
    assert verdict(store_copy) == (False, 3, "the chain's head is missing: records at the end may have been deleted")


def test_a_record_appended_after_a_deletion_does_not_hide_it(store_copy: Path, pack: Pack, baseline: list[Fact],
                                                             raw: Callable[[Path], sqlite3.Connection]) -> None:
    raw(store_copy).execute("DELETE FROM records WHERE seq = 5")
    record(store_copy, pack, baseline)
    ok, bad, _ = verdict(store_copy)
    assert not ok and bad == 5


def test_swapping_two_records_is_detected(store_copy: Path, raw: Callable[[Path], sqlite3.Connection]) -> None:
    db = raw(store_copy)
    db.execute("UPDATE records SET seq = 1000 WHERE seq = 2")
    db.execute("UPDATE records SET seq = 2 WHERE seq = 4")
    db.execute("UPDATE records SET seq = 4 WHERE seq = 1000")
    ok, bad, problem = verdict(store_copy)
    assert not ok and bad == 2 and "reordered" in problem


def test_swapping_two_records_contents_is_detected(store_copy: Path, raw: Callable[[Path], sqlite3.Connection]) -> None:
    db = raw(store_copy)
    rows = {seq: rest for seq, *rest in db.execute(f"SELECT seq, {', '.join(_CONTENT)} FROM records WHERE seq IN (2, 3)")}
    db.execute("UPDATE records SET run_id = 'x', prev_hash = 'x', hash = 'x' WHERE seq = 2")
    for seq, other in ((3, 2), (2, 3)):
        db.execute(f"UPDATE records SET {', '.join(f'{c} = ?' for c in _CONTENT)} WHERE seq = ?", (*rows[other], seq))
    ok, bad, problem = verdict(store_copy)
    assert not ok and bad == 2 and "recorded as #3" in problem


_CONTENT = ("run_id", "recorded_at", "user_name", "engine_version", "as_of", "pack_name", "pack_version", "pack_digest",
            "facts_digest", "result_digest", "responses", "rules", "ok", "body", "prev_hash", "hash")


def test_inserting_a_forged_record_is_detected(store_copy: Path, raw: Callable[[Path], sqlite3.Connection]) -> None:
    """A well-formed record, correctly sealed after #2, slipped in as #3: the old #3 (now #4) cannot follow it."""
    db = raw(store_copy)
    for seq in (5, 4, 3):
        db.execute("UPDATE records SET seq = seq + 1 WHERE seq = ?", (seq,))
    with pytest.raises(sqlite3.IntegrityError, match="prev_hash"):  # a second successor of #2: a fork
        _forge(db, seq=3, after=2)
    db.execute("UPDATE records SET prev_hash = 'moved' WHERE seq = 4")
    forged = _forge(db, seq=3, after=2)
    db.execute("UPDATE records SET prev_hash = ? WHERE seq = 4", (forged,))
    ok, bad, problem = verdict(store_copy)
    assert not ok and bad == 4, problem


def test_appending_a_forged_record_behind_the_stores_back_is_detected(store_copy: Path,
                                                                      raw: Callable[[Path], sqlite3.Connection]) -> None:
    _forge(raw(store_copy), seq=6, after=5)
    ok, bad, problem = verdict(store_copy)
    assert not ok and bad == 6 and "behind the store's back" in problem


def _forge(db: sqlite3.Connection, seq: int, after: int) -> str:
    """Copy record #1 as a new record #seq chained after #after, sealed the way the store seals."""
    from engine.record import columns_of

    prev = db.execute("SELECT hash FROM records WHERE seq = ?", (after,)).fetchone()[0]
    body = json.loads(db.execute("SELECT body FROM records WHERE seq = 1").fetchone()[0])
    body["run_id"] = body["result"]["run_id"] = "f" * 32
    body.update(seq=seq, prev_hash=prev)
    text = canonical(body)
    columns = columns_of(body)
    sealed = chain_hash(prev, text)
    db.execute(f"INSERT INTO records ({', '.join(columns)}, body, hash) VALUES ({', '.join('?' * (len(columns) + 2))})",
               (*columns.values(), text, sealed))
    return sealed


def test_records_are_append_only_unless_the_triggers_are_dropped(store_copy: Path) -> None:
    db = sqlite3.connect(store_copy)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE records SET user_name = 'mallory' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM records WHERE seq = 1")
    db.close()
    assert verdict(store_copy) == (True, None, "")


# --- concurrency and crashes --------------------------------------------------------------------------

WRITER = """
import datetime as dt, sys, time
from pathlib import Path
from engine.audit import AuditStore
from engine.evaluate import evaluate
from engine.record import entry_for
from engine.validate import load_facts, load_pack
db, rules, baseline, runs, go = sys.argv[1:6]
pack = load_pack(Path(rules))
facts = load_facts([Path(baseline)], pack)
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.005)
for _ in range(int(runs)):
    evaluation = evaluate(pack, facts, dt.date(2021, 2, 12))
    with AuditStore.open(Path(db)) as store:   # open per run, as the command does
        store.append(entry_for(evaluation, pack, facts))
"""


def test_eight_concurrent_writers_lose_nothing_and_never_fork(tmp_path: Path) -> None:
    db, go = tmp_path / "audit.sqlite", tmp_path / "go"  # a fresh store: creating the schema races too
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(RULES), str(BASELINE), "25", str(go)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    go.touch()
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    with AuditStore.open(db, create=False) as store:
        summaries = store.find()
        assert [s.seq for s in summaries] == list(range(1, 201))
        assert len({s.run_id for s in summaries}) == 200
        result = store.verify()
    assert result.ok and result.records == 200, result.problem


KILLED = """
import datetime as dt, sqlite3, sys, time
from pathlib import Path
db, rules, baseline, pause_at = sys.argv[1:5]
real_connect = sqlite3.connect
state = {"appending": False, "done": 0}

def trace(statement):
    if statement.startswith("INSERT INTO records"):
        state["appending"] = True
    elif statement == "COMMIT" and state["appending"]:
        if state["done"] + 1 == int(pause_at):   # the record is written but not committed: wait to be killed
            print("writing", flush=True)
            time.sleep(600)
        state["appending"] = False

def connect(*args, **kwargs):
    connection = real_connect(*args, **kwargs)
    connection.set_trace_callback(trace)
    return connection

sqlite3.connect = connect
from engine.audit import AuditStore
from engine.evaluate import evaluate
from engine.record import entry_for
from engine.validate import load_facts, load_pack
pack = load_pack(Path(rules))
facts = load_facts([Path(baseline)], pack)
while True:
    evaluation = evaluate(pack, facts, dt.date(2021, 2, 12))
    with AuditStore.open(Path(db)) as store:
        store.append(entry_for(evaluation, pack, facts))
    state["done"] += 1
    print("committed", flush=True)
"""


def _writer(db: Path, pause_at: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", KILLED, str(db), str(RULES), str(BASELINE), str(pause_at)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill(writer: subprocess.Popen[str]) -> None:
    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL


def test_a_writer_killed_mid_append_leaves_no_half_record(tmp_path: Path, pack: Pack, baseline: list[Fact]) -> None:
    db = tmp_path / "audit.sqlite"
    writer = _writer(db, pause_at=4)
    assert writer.stdout is not None
    lines = [writer.stdout.readline().strip() for _ in range(4)]
    assert lines == ["committed"] * 3 + ["writing"]  # record #4 is inserted, its transaction still open
    _kill(writer)
    assert verdict(db) == (True, None, "") and count(db) == 3
    record(db, pack, baseline)  # the store is not left locked, and the chain goes on from #3
    assert verdict(db)[0] and count(db) == 4


def test_writers_killed_at_random_moments_leave_a_verifiable_store(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    committed = 0
    for _ in range(3):
        writer = _writer(db, pause_at=0)
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "committed"
        time.sleep(random.uniform(0, 0.05))
        _kill(writer)
        committed = count(db)
        assert verdict(db)[:2] == (True, None)
    assert committed >= 3


def test_a_busy_store_is_one_clear_error_after_the_timeout(tmp_path: Path, pack: Pack, baseline: list[Fact]) -> None:
    db = tmp_path / "audit.sqlite"
    record(db, pack, baseline)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with AuditStore.open(db, timeout=0.2) as store, pytest.raises(StoreError, match="busy"):
            store.append(entry_for(evaluate(pack, baseline, BASELINE_DAY), pack, baseline))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert count(db) == 1


@pytest.mark.parametrize("damage", ["not a database", "a folder", "a newer schema"])
def test_an_unusable_store_is_one_line_exit_3_and_nothing_reported(damage: str, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "audit.sqlite"
    if damage == "not a database":
        db.write_bytes(b"this is not SQLite" * 100)
    elif damage == "a folder":
        db.mkdir()
    else:
        sqlite3.connect(db).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}").connection.close()
    code, out, err = run(capsys, "evaluate", str(BASELINE), "--rules", str(RULES), "--audit-db", str(db))
    assert code == 3 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"{db}: audit-store: ") and "Traceback" not in err


def test_an_empty_file_becomes_a_store(tmp_path: Path, pack: Pack, baseline: list[Fact]) -> None:
    db = tmp_path / "audit.sqlite"
    db.touch()  # an empty file is a SQLite database with nothing in it yet
    record(db, pack, baseline)
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()
    assert verdict(db)[:2] == (True, None)


# --- replay, show, export, list -----------------------------------------------------------------------

def test_replay_reproduces_every_bundled_scenario(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    runs = [(str(BASELINE),), *((str(BASELINE), str(SCENARIOS / f"{name}.yaml")) for name in SCENARIO_NAMES)]
    for paths, as_of in zip(runs, ["2021-02-12"] + [str(AFTER_SCENARIOS)] * 3, strict=True):
        code, out, _ = run(capsys, "evaluate", *paths, "--rules", str(RULES), "--as-of", as_of, "--format", "json",
                           "--audit-db", str(db))
        run_id = json.loads(out)["run_id"]
        code, out, _ = run(capsys, "audit", "replay", run_id[:8], "--audit-db", str(db))
        assert code == 0 and "identical: result digest" in out, out
    with AuditStore.open(db, create=False) as store:
        assert all(replay(r).identical for r in store.records())
    # In a fresh process nothing is cached: the snapshot alone rebuilds the pack.
    done = subprocess.run([sys.executable, "-m", "engine", "audit", "replay", run_id, "--audit-db", str(db)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "identical" in done.stdout, done.stderr


def test_replay_of_an_edited_snapshot_reports_the_difference(store_copy: Path, capsys: pytest.CaptureFixture[str],
                                                            raw: Callable[[Path], sqlite3.Connection]) -> None:
    """Record #1 is the baseline (refusal); make Yusuf support a cease-fire in its facts snapshot."""
    raw(store_copy).execute("UPDATE records SET body = replace(body, '\"position\":\"claims_inability\"', "
                            "'\"position\":\"supports_ceasefire\"') WHERE seq = 1")
    with AuditStore.open(store_copy, create=False) as store:
        run_id = store.find()[0].run_id
    code, out, _ = run(capsys, "audit", "replay", run_id, "--audit-db", str(store_copy))
    assert code == 1 and "DIFFERENT" in out
    assert "cooperation level: refusal → rhetorical" in out
    assert "responses lost: " in out and "messaging.inability_claim_rejected" in out
    assert "the facts snapshot no longer matches the recorded facts digest" in out


def test_show_is_the_trail_from_facts_through_rules_to_responses(five_records: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with AuditStore.open(five_records, create=False) as store:
        run_id = store.find()[1].run_id  # cooperates
    code, out, _ = run(capsys, "audit", "show", run_id[:10], "--audit-db", str(five_records))
    assert code == 0
    assert out.startswith(f"Audit record #2 · run {run_id}") and "(content intact)" in out
    facts, rules, responses = (out.index(h) for h in ("\nFacts (", "\nRules: fired", "\nOffers (conditional on Pakistan)"))
    assert facts < rules < responses
    assert "coop-violence-down-38: violence_trend about taliban" in out
    assert "coop.sustained_reduction: " in out and "→ derived:cooperation_level:pakistan:value=sustained_reduction" in out
    assert "(fatf.support_removal)" in out and "cite: weinstein-2021 ¶16: “then it deserves Washington’s support" in out


def test_export_json_lets_anyone_recheck_the_hash_and_markdown_is_a_memo(five_records: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with AuditStore.open(five_records, create=False) as store:
        run_id = store.find()[2].run_id
    code, out, _ = run(capsys, "audit", "export", run_id, "--audit-db", str(five_records), "--format", "json")
    assert code == 0
    document = json.loads(out)
    sealed = document.pop("hash")
    assert chain_hash(document["prev_hash"], canonical(document)) == sealed
    assert document["seq"] == 3 and document["pack_snapshot"]["name"] and document["facts_snapshot"]
    code, out, _ = run(capsys, "audit", "export", run_id, "--audit-db", str(five_records), "--format", "markdown")
    assert code == 0 and out.startswith(f"# Audit record #3: run `{run_id}`")
    for heading in ("## Facts", "## Rules: fired", "## Recommendation (as recorded)",
                    "### Assurances (in exchange for demonstrable steps)", "### Guardrails"):
        assert f"\n{heading}\n" in out, heading
    assert f"hash `{sealed}`" in out


def test_list_filters_by_response_rule_and_date(five_records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def listed(*args: str) -> list[int]:
        code, out, _ = run(capsys, "audit", "list", "--format", "json", "--audit-db", str(five_records), *args)
        assert code == 0
        return [item["seq"] for item in json.loads(out)]

    today = dt.datetime.now(dt.UTC).date()
    assert listed() == [1, 2, 3, 4, 5]
    assert listed("--response", "fatf.support_removal") == [2]
    assert listed("--response", "warning.remind_sst_possibility") == [1, 4, 5]
    with AuditStore.open(five_records, create=False) as store:  # the rule was decided in every run …
        assert all("risk.remaining" in s.rules for s in store.find())
    held = listed("--response", "risk.remaining_may_increase_support")
    assert listed("--rule", "risk.remaining") == held != [1, 2, 3, 4, 5]  # … but fired only where it held
    assert listed("--rule", "fatf.offer_support") == listed("--response", "fatf.support_removal") == [2]
    assert listed("--rule", "csf.conditional_release", "--response", "csf.release_conditional") == [2]
    assert listed("--recorded-from", str(today), "--recorded-to", str(today)) == [1, 2, 3, 4, 5]
    assert listed("--recorded-from", str(today + dt.timedelta(days=1))) == []
    assert listed("--recorded-to", str(today - dt.timedelta(days=1))) == []
    # --from/--to are on the as-of date each run was evaluated for (runs 1 and 5: the baseline's day)
    assert listed("--from", str(AFTER_SCENARIOS)) == [2, 3, 4]
    assert listed("--to", str(AFTER_SCENARIOS - dt.timedelta(days=1))) == [1, 5]
    assert listed("--from", str(BASELINE_DAY), "--to", str(BASELINE_DAY)) == [1, 5]
    assert listed("--from", str(AFTER_SCENARIOS), "--recorded-to", str(today - dt.timedelta(days=1))) == []
    code, out, _ = run(capsys, "audit", "list", "--response", "fatf.support_removal", "--audit-db", str(five_records))
    assert code == 0 and out.splitlines()[0].split() == ["#", "run", "recorded", "(UTC)", "user", "as", "of",
                                                         "headline", "pack", "responses", "guardrails"]
    assert out.splitlines()[-1] == "1 of 5 records"


def test_list_shows_each_runs_headline_so_runs_can_be_told_apart(five_records: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "audit", "list", "--format", "json", "--audit-db", str(five_records))
    assert code == 0
    # baseline, then the scenarios (cooperates, demonstrable_steps, refuses) as of 1 July, then the baseline
    levels = ["refusal", "sustained_reduction", "demonstrable_steps", "refusal", "refusal"]
    assert [item["headline"] for item in json.loads(out)] == [{"cooperation_level": level} for level in levels]
    code, out, _ = run(capsys, "audit", "list", "--audit-db", str(five_records))
    rows = [line.split() for line in out.splitlines()[1:-1]]
    assert [row[6] for row in rows] == levels  # #, run, date, time, user, as of, headline
    code, _, err = run(capsys, "audit", "list", "--from", "2021-07-01", "--to", "2021-02-12", "--audit-db",
                       str(five_records))
    assert code == 2 and "--to 2021-02-12 is before --from 2021-07-01" in err


def test_run_ids_and_missing_stores_are_clear_input_errors(tmp_path: Path, pack: Pack, baseline: list[Fact],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore.open(db) as store:
        for run_id in ("run-1a", "run-1b", "run-2"):
            store.append(entry_for(evaluate(pack, baseline, BASELINE_DAY, run_id=run_id), pack, baseline))
        assert store.get("run-2").seq == 3 and store.get("run-1b").seq == 2
        with pytest.raises(InputError, match="'run-1' starts several run ids"):
            store.get("run-1")
        with pytest.raises(InputError, match="unknown-run"):
            store.get("")
    code, _, err = run(capsys, "audit", "show", "not-a-run", "--audit-db", str(db))
    assert code == 2 and "unknown-run" in err
    code, _, err = run(capsys, "audit", "list", "--audit-db", str(tmp_path / "none.sqlite"))
    assert code == 2 and "no-audit-store" in err and not (tmp_path / "none.sqlite").exists()


@pytest.mark.parametrize("bound", ["--from", "--to", "--recorded-from", "--recorded-to"])
def test_list_takes_the_last_day_of_the_calendar(bound: str, five_records: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "audit", "list", bound, "9999-12-31", "--format", "json", "--audit-db", str(five_records))
    assert code == 0 and err == ""
    assert [item["seq"] for item in json.loads(out)] == ([] if bound.endswith("from") else [1, 2, 3, 4, 5])
