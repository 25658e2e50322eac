"""Signed checkpoints: `audit keygen`, `audit checkpoint`, `audit verify --checkpoint`. The attacks the hash
chain alone cannot see — the last records deleted with the head rewound, everything deleted, the chain
re-sealed after an edit — each pass a plain `verify` and fail against a checkpoint; a store that only grew
still extends it."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import stat
from pathlib import Path

import pytest

from engine.audit import AuditStore
from engine.cli import main
from engine.evaluate import evaluate
from engine.model import Fact, Pack
from engine.record import GENESIS, canonical, chain_hash, entry_for

DAY = dt.date(2021, 2, 12)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def append(db: Path, pack: Pack, facts: list[Fact], runs: int) -> None:
    with AuditStore.open(db) as store:
        for _ in range(runs):
            store.append(entry_for(evaluate(pack, facts, DAY), pack, facts))


@pytest.fixture
def kept(tmp_path: Path, pack: Pack, baseline: list[Fact], capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, str]:
    """A store of five records, a key made once, and a checkpoint of the five kept elsewhere: (db, checkpoint, public key)."""
    db = tmp_path / "store" / "audit.sqlite"
    append(db, pack, baseline, 5)
    key, point = tmp_path / "keys" / "analyst.key", tmp_path / "memo" / "checkpoint.json"
    key.parent.mkdir()
    point.parent.mkdir()
    code, out, _ = run(capsys, "audit", "keygen", "--out", str(key))
    assert code == 0 and out.startswith(f"wrote {key} ")
    public = out.splitlines()[-1].removeprefix("public key: ")
    code, out, _ = run(capsys, "audit", "checkpoint", "--key", str(key), "--out", str(point), "--signer", "jdoe",
                       "--audit-db", str(db))
    assert (code, out) == (0, f"ok: 5 records, chain intact (head {json.loads(point.read_text())['head']})\n"
                              f"wrote {point}: checkpoint of 5 records signed by jdoe\n")
    return db, point, public


def verify(capsys: pytest.CaptureFixture[str], db: Path, point: Path, *more: str) -> tuple[int, list[str]]:
    code, out, err = run(capsys, "audit", "verify", "--checkpoint", str(point), "--audit-db", str(db), *more)
    assert err == ""
    return code, out.splitlines()


def test_a_key_is_private_made_once_and_gives_its_public_half(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "analyst.key"
    code, out, _ = run(capsys, "audit", "keygen", "--out", str(key))
    assert code == 0 and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    (public,) = [line.removeprefix("public key: ") for line in out.splitlines() if line.startswith("public key: ")]
    assert len(public) == 44
    before = key.read_bytes()
    code, out, err = run(capsys, "audit", "keygen", "--out", str(key))
    assert (code, out) == (2, "") and err.startswith(f"{key}: key-exists: ") and key.read_bytes() == before


def test_the_checkpoint_is_the_signed_head(kept: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    db, point, public = kept
    document = json.loads(point.read_text())
    with AuditStore.open(db, create=False) as store:
        head = store.verify()
    assert document["records"] == 5 and document["head"] == head.head and document["signer"] == "jdoe"
    assert document["public_key"] == public and len(document["signature"]) == 88
    assert dt.datetime.fromisoformat(document["signed_at"]).utcoffset() == dt.timedelta(0)
    code, lines = verify(capsys, db, point, "--public-key", public)
    assert code == 0 and lines[0].startswith("ok: 5 records, chain intact")
    assert lines[1] == (f"ok: the store extends the checkpoint signed by jdoe at {document['signed_at']} "
                        f"(#5, head {head.head[:12]}…); signature valid (your key)")


def test_printed_to_stdout_it_is_the_checkpoint_alone(kept: tuple[Path, Path, str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    db, _, _ = kept
    code, out, _ = run(capsys, "audit", "checkpoint", "--key", str(tmp_path / "keys" / "analyst.key"),
                       "--audit-db", str(db))
    assert code == 0 and json.loads(out)["records"] == 5


def test_a_store_that_grew_since_still_extends_it(kept: tuple[Path, Path, str], pack: Pack, baseline: list[Fact],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db, point, public = kept
    append(db, pack, baseline, 2)
    code, lines = verify(capsys, db, point, "--public-key", public)
    assert code == 0 and lines[0].startswith("ok: 7 records") and lines[1].startswith("ok: the store extends")


def _tamperer(db: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("DROP TRIGGER records_no_update")
    connection.execute("DROP TRIGGER records_no_delete")
    return connection


def _rewind(db: sqlite3.Connection) -> None:
    """The last two records deleted, and the head moved back to #3 — as the store itself would have left it."""
    db.execute("DELETE FROM records WHERE seq > 3")
    db.execute("UPDATE head SET seq = 3, hash = (SELECT hash FROM records WHERE seq = 3)")


def _wipe(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM records")
    db.execute("DELETE FROM head")


def _reseal(db: sqlite3.Connection) -> None:
    """Record #2 says another user, and every record from it on is sealed again, as the store seals."""
    prev = db.execute("SELECT hash FROM records WHERE seq = 1").fetchone()[0]
    for seq, text in db.execute("SELECT seq, body FROM records WHERE seq >= 2 ORDER BY seq").fetchall():
        body = {**json.loads(text), "prev_hash": prev}
        if seq == 2:
            body["user"] = "mallory"
        sealed = canonical(body)
        prev, previous = chain_hash(prev, sealed), prev
        db.execute("UPDATE records SET body = ?, prev_hash = ?, hash = ?, user_name = ? WHERE seq = ?",
                   (sealed, previous, prev, body["user"], seq))
    db.execute("UPDATE head SET hash = ?", (prev,))


ATTACKS = {
    "the last records deleted, the head rewound": (_rewind, 3, "the store holds 3 records, the checkpoint 5: "
                                                               "records were deleted at the end"),
    "everything deleted": (_wipe, 0, "the store holds 0 records, the checkpoint 5"),
    "the chain re-sealed after an edit": (_reseal, 5, "record #5's hash is not the checkpoint's head: the chain "
                                                      "was re-sealed or replaced since"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_what_the_chain_alone_cannot_see_fails_against_the_checkpoint(attack: str, kept: tuple[Path, Path, str],
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    db, point, public = kept
    tamper, left, why = ATTACKS[attack]
    connection = _tamperer(db)
    tamper(connection)
    connection.close()
    code, out, _ = run(capsys, "audit", "verify", "--audit-db", str(db))
    assert code == 0 and out.startswith(f"ok: {left} records, chain intact")  # the chain alone is fooled
    code, lines = verify(capsys, db, point, "--public-key", public)
    assert code == 1 and lines[0].startswith(f"ok: {left} records, chain intact")
    assert lines[1].startswith("TAMPERED: the checkpoint signed by jdoe at ") and why in lines[1], lines


def test_a_broken_chain_fails_against_the_checkpoint_too(kept: tuple[Path, Path, str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    db, point, _ = kept
    _tamperer(db).execute("UPDATE records SET user_name = 'mallory' WHERE seq = 2").connection.close()
    code, lines = verify(capsys, db, point)
    assert code == 1 and lines[0].startswith("TAMPERED: record #2: ") and "chain is broken" in lines[1]


def test_an_edited_checkpoint_or_one_signed_with_another_key_fails(kept: tuple[Path, Path, str], tmp_path: Path,
                                                                   pack: Pack, baseline: list[Fact],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db, point, public = kept
    document = json.loads(point.read_text())
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({**document, "records": 3}))
    code, lines = verify(capsys, db, edited)
    assert code == 1 and "its signature does not match its content" in lines[1]
    # A forger with a key of their own signs a checkpoint of the store they rewound: it is only caught when the
    # analyst's public key is given — which is why the README says to keep it.
    connection = _tamperer(db)
    _rewind(connection)
    connection.close()
    forger = tmp_path / "forger.key"
    assert main(["audit", "keygen", "--out", str(forger)]) == 0
    forged = tmp_path / "forged.json"
    assert main(["audit", "checkpoint", "--key", str(forger), "--out", str(forged), "--signer", "jdoe",
                 "--audit-db", str(db)]) == 0
    capsys.readouterr()
    code, lines = verify(capsys, db, forged)
    assert code == 0 and lines[1].endswith("(its own key only: give --public-key to check that it is yours)")
    key_file = tmp_path / "analyst.pub"
    key_file.write_text(public + "\n")
    for trusted in (public, str(key_file)):
        code, lines = verify(capsys, db, forged, "--public-key", trusted)
        assert code == 1 and lines[1].endswith("not with the key you trust"), lines


def test_a_tampered_store_is_not_checkpointed(kept: tuple[Path, Path, str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db, _, _ = kept
    _tamperer(db).execute("DELETE FROM records WHERE seq = 2").connection.close()
    later = tmp_path / "later.json"
    code, out, _ = run(capsys, "audit", "checkpoint", "--key", str(tmp_path / "keys" / "analyst.key"),
                       "--out", str(later), "--audit-db", str(db))
    assert code == 1 and out.startswith("TAMPERED: record #2: ") and not later.exists()


@pytest.mark.parametrize(("argv", "expected"), [
    (["verify", "--checkpoint", "{point}x"], "{point}x: file-unreadable: "),
    (["verify", "--checkpoint", "{bad}"], "{bad}:1:2: bad-checkpoint: not JSON: "),
    (["verify", "--checkpoint", "{other}"], "{other}: bad-checkpoint: not a checkpoint: records: "),
    (["verify", "--checkpoint", "{point}", "--public-key", "not-a-key"], "--public-key: bad-public-key: "),
    (["verify", "--public-key", "{public}"], "--public-key: usage: --public-key checks a --checkpoint"),
    (["checkpoint", "--key", "{point}"], "{point}: bad-key: not an unencrypted Ed25519 private key"),
    (["checkpoint", "--key", "{key}", "--out", "{point}"], "{point}: file-exists: "),
    (["checkpoint", "--key", "{key}", "--signer", "jdoe\nok: all is well"], "--signer: bad-signer: "),
    (["verify", "--checkpoint", "{forged}"], "{forged}: bad-checkpoint: not a checkpoint: signer: "),
])
def test_bad_checkpoints_keys_and_arguments_are_located_input_errors(argv: list[str], expected: str,
                                                                     kept: tuple[Path, Path, str], tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    db, point, public = kept
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "other.json").write_text(json.dumps({**json.loads(point.read_text()), "records": "five"}))
    (tmp_path / "forged.json").write_text(json.dumps({**json.loads(point.read_text()),
                                                      "signer": "jdoe\u001b[2K\rok: the store extends"}))
    names = {"point": point, "bad": tmp_path / "bad.json", "other": tmp_path / "other.json", "public": public,
             "key": tmp_path / "keys" / "analyst.key", "forged": tmp_path / "forged.json"}
    before = point.read_bytes()
    code, out, err = run(capsys, "audit", *(a.format(**names) for a in argv), "--audit-db", str(db))
    assert (code, out) == (2, "") and len(err.splitlines()) == 1 and err.startswith(expected.format(**names)), err
    assert point.read_bytes() == before


def test_an_empty_store_has_a_checkpoint_every_store_extends(tmp_path: Path, pack: Pack, baseline: list[Fact],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    db, key, point = tmp_path / "audit.sqlite", tmp_path / "k", tmp_path / "c.json"
    AuditStore.open(db).close()
    assert main(["audit", "keygen", "--out", str(key)]) == 0
    assert main(["audit", "checkpoint", "--key", str(key), "--out", str(point), "--audit-db", str(db)]) == 0
    assert json.loads(point.read_text())["head"] == GENESIS
    append(db, pack, baseline, 1)
    capsys.readouterr()
    assert verify(capsys, db, point)[0] == 0
