"""The audit store under faults: a full disk, a read-only file, a locked database, a killed writer (see
test_audit.py) and a damaged file each give one clear error, and the records already there stay intact
and verifiable."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASELINE, RULES

from engine.audit import APPLICATION_ID, AuditStore
from engine.cli import main
from engine.errors import StoreError
from engine.evaluate import evaluate
from engine.model import Fact, Pack
from engine.record import entry_for

DAY = dt.date(2021, 2, 12)


def filled(tmp_path: Path, pack: Pack, facts: list[Fact], runs: int = 3) -> Path:
    db = tmp_path / "audit.sqlite"
    with AuditStore.open(db) as store:
        for _ in range(runs):
            store.append(entry_for(evaluate(pack, facts, DAY), pack, facts))
    return db


def intact(db: Path, records: int) -> None:
    with AuditStore.open(db, create=False) as store:
        verification = store.verify()
    assert verification.ok and verification.records == records, verification


def test_a_full_disk_is_one_clear_error_and_loses_nothing(tmp_path: Path, pack: Pack, baseline: list[Fact]) -> None:
    db = filled(tmp_path, pack, baseline)
    with AuditStore.open(db) as store:
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full for this connection
        with pytest.raises(StoreError, match="the disk is full"):
            store.append(entry_for(evaluate(pack, baseline, DAY), pack, baseline))
    intact(db, 3)


def test_a_read_only_store_is_one_clear_error_and_loses_nothing(tmp_path: Path, pack: Pack, baseline: list[Fact],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    db = filled(tmp_path, pack, baseline)
    real = sqlite3.connect

    def read_only(database: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        # as root, file modes do not stop writes; SQLite's read-only mode does
        return real(f"file:{database}?mode=ro", *args, uri=True, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", read_only)
    with pytest.raises(StoreError, match="read-only"), AuditStore.open(db) as store:
        store.append(entry_for(evaluate(pack, baseline, DAY), pack, baseline))
    monkeypatch.undo()
    intact(db, 3)


def test_a_locked_store_fails_cleanly_through_the_cli(tmp_path: Path, pack: Pack, baseline: list[Fact],
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    db = filled(tmp_path, pack, baseline)
    monkeypatch.setattr("engine.audit.BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code = main(["evaluate", str(BASELINE), "--rules", str(RULES), "--audit-db", str(db)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, err = capsys.readouterr()
    assert code == 3 and out == "" and len(err.splitlines()) == 1 and "busy" in err
    intact(db, 3)


def test_a_damaged_file_is_one_clear_error(tmp_path: Path, pack: Pack, baseline: list[Fact],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    db = filled(tmp_path, pack, baseline, runs=5)
    data = bytearray(db.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = b"\xff" * 4096  # a page of garbage in the middle of the file
    db.write_bytes(bytes(data))
    code = main(["audit", "verify", "--audit-db", str(db)])
    out, err = capsys.readouterr()
    assert code in (1, 3), (code, out, err)
    assert "Traceback" not in out + err
    assert (code == 1 and "TAMPERED" in out) or (code == 3 and len(err.splitlines()) == 1 and "damaged" in err)


def test_a_store_in_memory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """It would exit 0 having kept nothing: the run would be unrecorded without anyone knowing."""
    monkeypatch.chdir(tmp_path)
    expected = [":memory:: audit-store: an audit store in memory would be gone when the command ends; name a file, "
                "or use --no-audit"]
    for argv in (["evaluate", str(BASELINE), "--rules", str(RULES), "--audit-db", ":memory:"],
                 ["audit", "list", "--audit-db", ":memory:"]):
        assert main(argv) == 3, argv
        out, err = capsys.readouterr()
        assert out == "" and err.splitlines() == expected
    monkeypatch.setenv("COMMITMENTS_AUDIT_DB", ":memory:")
    assert main(["evaluate", str(BASELINE), "--rules", str(RULES)]) == 3
    assert capsys.readouterr().err.splitlines() == expected
    assert list(tmp_path.iterdir()) == []


FOREIGN = {  # SQLite files of other applications, as statements that make them
    "a table of its own": ["CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('mine')"],
    "another application id": ["PRAGMA application_id = 252006673"],  # Fossil's, with no table yet
    "our table names among others": ["CREATE TABLE records (x)", "CREATE TABLE settings (y)"],
    "our table names, never a store": ["CREATE TABLE records (x)", "CREATE TABLE head (y)"],
}


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_another_applications_database_is_refused_and_left_byte_for_byte(kind: str, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "their.sqlite"
    connection = sqlite3.connect(db, isolation_level=None)
    for statement in FOREIGN[kind]:
        connection.execute(statement)
    connection.close()
    before = db.read_bytes()
    for argv in (["evaluate", str(BASELINE), "--rules", str(RULES)], ["audit", "verify"], ["audit", "list"]):
        assert main([*argv, "--audit-db", str(db)]) == 3, argv
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1
        assert err.startswith(f"{db}: audit-store: another application's SQLite file, left untouched: "), err
    assert db.read_bytes() == before and sorted(tmp_path.iterdir()) == [db]  # no table, no WAL, no journal left


def test_a_store_from_before_the_application_id_still_opens(tmp_path: Path, pack: Pack, baseline: list[Fact]) -> None:
    db = filled(tmp_path, pack, baseline, runs=2)
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA application_id = 0")  # as every store was written until the id was set
    connection.close()
    with AuditStore.open(db) as store:
        store.append(entry_for(evaluate(pack, baseline, DAY), pack, baseline))
    intact(db, 3)
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    connection.close()


LOST = re.compile(r"commitments: could not write the output \((?P<why>[^)]+)\); the run was recorded as (?P<run>\w+)")


@pytest.mark.parametrize("stdout", ["closed", "/dev/full"])
def test_output_that_cannot_be_written_says_which_run_was_recorded(stdout: str, tmp_path: Path) -> None:
    """The run is recorded before its output is written; when the output is lost, stderr says so and names
    the run (exit 3), so that the recommendation can still be read with `audit show`."""
    db = tmp_path / "audit.sqlite"
    command = [sys.executable, "-m", "engine", "evaluate", str(BASELINE), "--rules", str(RULES), "--as-of",
               "2021-02-12", "--audit-db", str(db)]
    if stdout == "closed":
        done = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *command], stderr=subprocess.PIPE, text=True,
                              timeout=120)
    else:
        with open("/dev/full", "w") as full:
            done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    (line,) = done.stderr.splitlines()
    lost = LOST.fullmatch(line)
    assert lost, line
    assert lost["why"] == ("standard output is closed" if stdout == "closed" else "No space left on device")
    with AuditStore.open(db, create=False) as store:
        assert [s.run_id for s in store.find()] == [lost["run"]]
    intact(db, 1)


def test_an_audit_view_that_cannot_be_written_is_exit_3(tmp_path: Path, pack: Pack, baseline: list[Fact]) -> None:
    db = filled(tmp_path, pack, baseline, runs=1)
    for action in ("list", "verify"):
        with open("/dev/full", "w") as full:
            done = subprocess.run([sys.executable, "-m", "engine", "audit", action, "--audit-db", str(db)],
                                  stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
        assert done.returncode == 3 and done.stderr == "commitments: could not write the output (No space left on " \
                                                       "device)\n", done.stderr


@pytest.mark.parametrize("argv", [
    ["check", str(BASELINE), "--rules", str(RULES)],
    ["explain", "cooperation_level", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12"],
    ["whatif", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12", "--drop", "base-sigar-2020-q3-attacks"],
    ["timeline", str(BASELINE), "--rules", str(RULES), "--from", "2021-02-01", "--to", "2021-02-12"],
    ["schema", "--rules", str(RULES)],
], ids=lambda argv: argv[0])
def test_every_command_says_when_its_output_is_lost(argv: list[str]) -> None:
    """Not only evaluate: an output that cannot be written is one line and exit 3, never an internal error."""
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "engine", *argv], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert (done.returncode, done.stderr) == (3, "commitments: could not write the output (No space left on "
                                                 "device)\n")


def test_facts_add_says_the_fact_was_added_when_its_echo_is_lost(tmp_path: Path) -> None:
    facts = tmp_path / "new.yaml"
    values = ["id=unama-2021-q2", "observed=2021-04-14", "change_pct=-38", "window_days=90",
              "metric=civilian_casualties", "source.title=UNAMA quarterly update", "source.ref=https://unama.example",
              "source.date=2021-04-14", "reliability=B", "credibility=2"]
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "engine", "facts", "add", "--file", str(facts), "--rules",
                               str(RULES), "--no-input", "--kind", "violence_trend", *(f"--value={v}" for v in values)],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (3, "commitments: could not write the output (No space left on device); "
                                                 f"unama-2021-q2 was added to {facts}\n")
    assert 'id: "unama-2021-q2"' in facts.read_text()
