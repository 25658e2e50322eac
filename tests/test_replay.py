"""`audit replay` reproduces every bundled run exactly, and a record's views keep the pack's declared order.

Canonical JSON sorts keys, and so the mappings of the pack snapshot (categories, responses, vocabulary, …)
and of the facts' fields; the categories' order is the responses' order, so a pack restored in sorted order
gave another result digest. The record keeps the declared order beside the snapshots; records written
before it did still verify, and replay with the categories' order their recorded responses show.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import AFTER_SCENARIOS, BASELINE, FACTS, ROOT, RULES, SCENARIOS, STRINGS_FREE, write

from engine.audit import AuditStore
from engine.cli import main
from engine.evaluate import _COMPILED, evaluate
from engine.model import Fact, Pack
from engine.record import entry_for
from engine.replay import restore
from engine.validate import load_facts, load_pack

JCPOA = ROOT / "examples" / "jcpoa_snapback"
PACKS = ROOT / "tests" / "packs"
# tests/packs/every_key has no facts of its own: a sunny city and town (a picnic offered, an umbrella carried).
SUNNY = """
    facts:
      - {id: city-sun, kind: weather, subject: city, observed: 2021-06-01, sky: sunny, temp: 25, dry: false,
         days: 1, since: 2020-06-01, remark: fine, source: {title: t, ref: r, date: 2021-06-01}, reliability: B,
         credibility: 2}
      - {id: town-sun, kind: weather, subject: town, observed: 2021-06-01, sky: sunny, temp: 20, since: 2020-01-01,
         source: {title: t, ref: r, date: 2021-06-01}, reliability: B, credibility: 2}
"""

# (rules folder, fact files or folders, as of): the article's pack on the baseline, each scenario and the 2021
# record; the example pack; every test pack.
RUNS = {
    "baseline": (RULES, [BASELINE], "2021-02-12"),
    **{f"baseline+{s.stem}": (RULES, [BASELINE, s], str(AFTER_SCENARIOS)) for s in sorted(SCENARIOS.glob("*.yaml"))},
    **{f"history@{day}": (RULES, [BASELINE, FACTS / "history" / "2021"], day) for day in ("2021-04-15", "2021-09-30")},
    **{f"jcpoa@{day}": (JCPOA / "rules", [JCPOA / "facts"], day) for day in ("2016-06-01", "2020-03-01")},
    "fresh": (PACKS / "fresh", [PACKS / "fresh" / "facts"], "2021-06-01"),
    "loc_ceasefire": (PACKS / "loc_ceasefire", [PACKS / "loc_ceasefire" / "facts"], "2024-03-31"),
    "time": (PACKS / "time", [PACKS / "time" / "facts"], "2021-06-01"),
    "strings_free": (STRINGS_FREE, [BASELINE, SCENARIOS / "cooperates.yaml"], str(AFTER_SCENARIOS)),
    "every_key": (PACKS / "every_key", [Path("sunny.yaml")], "2021-06-05"),
}


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def files_of(paths: list[Path], tmp_path: Path) -> list[Path]:
    return [write(tmp_path / path, SUNNY) if not path.is_absolute() else path for path in paths]


def fresh_process() -> None:
    """Forget what was compiled from the pack files, as a new process would: a replay must rebuild the pack from
    the record alone (a pack compiled from the files would hide a snapshot restored out of order)."""
    _COMPILED.clear()


def ordered(model: Pack | Fact) -> str:
    """A model's data with its mappings' key order (which equality ignores)."""
    return json.dumps(model.model_dump(mode="json"))


@pytest.mark.parametrize("name", RUNS)
def test_every_bundled_run_replays_identical(name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules, paths, as_of = RUNS[name]
    db = str(tmp_path / "audit.sqlite")
    facts = [str(p) for p in files_of(paths, tmp_path)]
    code, out = cli(capsys, "evaluate", *facts, "--rules", str(rules), "--as-of", as_of, "--format", "json",
                    "--audit-db", db)
    assert code in (0, 1), out  # 1: strings_free breaks guardrails, as it is meant to
    recorded = json.loads(out)
    fresh_process()
    code, out = cli(capsys, "audit", "replay", recorded["run_id"], "--audit-db", db)
    assert code == 0 and "identical: result digest" in out and "note:" not in out, out
    # The restored pack and facts are the loaded ones, the order of every mapping included.
    pack = load_pack(rules)
    with AuditStore.open(Path(db), create=False) as store:
        record = store.get(recorded["run_id"])
    restored, restored_facts = restore(record)
    assert ordered(restored) == ordered(pack)
    assert [ordered(f) for f in restored_facts] == [ordered(f) for f in sorted(load_facts(map(Path, facts), pack),
                                                                              key=lambda f: f.id)]


def sections(markdown: str, pack: Pack) -> list[str]:
    """The categories a memo's sections are titled with, in the order it gives them."""
    titles = {title: category for category, title in pack.categories.items()}
    return [titles[m] for m in re.findall(r"^#+ (.+)$", markdown, re.MULTILINE) if m in titles]


@pytest.mark.parametrize("name", ["baseline+cooperates", "jcpoa@2016-06-01", "every_key"])
def test_the_markdown_export_lists_categories_in_the_packs_order(name: str, capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    rules, paths, as_of = RUNS[name]
    db = str(tmp_path / "audit.sqlite")
    code, out = cli(capsys, "evaluate", *map(str, files_of(paths, tmp_path)), "--rules", str(rules), "--as-of", as_of,
                    "--format", "json", "--audit-db", db)
    run_id = json.loads(out)["run_id"]
    fresh_process()
    code, out = cli(capsys, "audit", "export", run_id, "--format", "markdown", "--audit-db", db)
    assert code == 0
    pack = load_pack(rules)
    shown = sections(out, pack)
    assert len(shown) >= 2 and list(pack.categories) != sorted(pack.categories)  # else order would not show
    assert shown == [c for c in pack.categories if c in shown]


def test_a_record_written_before_the_order_was_kept_verifies_and_replays(capsys: pytest.CaptureFixture[str],
                                                                         tmp_path: Path) -> None:
    """Such a record's sealed body has no `snapshot_order`: its hash is what the older engine sealed, and its
    replay takes the categories' order from its recorded responses, and says so."""
    db = tmp_path / "audit.sqlite"
    pack = load_pack(RULES)
    facts = load_facts([BASELINE, SCENARIOS / "cooperates.yaml"], pack)
    entry = entry_for(evaluate(pack, facts, AFTER_SCENARIOS), pack, facts)
    assert entry.snapshot_order is not None and "snapshot_order" in entry.body()
    older = entry.model_copy(update={"snapshot_order": None})
    assert set(older.body()) == set(entry.body()) - {"snapshot_order"}
    with AuditStore.open(db) as store:
        run_id = store.append(older).run_id
    code, out = cli(capsys, "audit", "verify", "--audit-db", str(db))
    assert code == 0 and out.startswith("ok: 1 records"), out
    fresh_process()
    code, out = cli(capsys, "audit", "replay", run_id, "--audit-db", str(db))
    assert code == 0 and "identical: result digest" in out, out
    assert "note: recorded before records kept the pack's declared order: its categories are put in the order the " \
           "recorded responses show them" in out
    code, out = cli(capsys, "audit", "export", run_id, "--format", "markdown", "--audit-db", str(db))
    assert sections(out, pack) == ["offer", "assurance", "messaging", "principle", "risk"]


def test_an_edited_snapshot_order_is_tampering(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    code, out = cli(capsys, "evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12",
                    "--format", "json", "--audit-db", str(db))
    run_id = json.loads(out)["run_id"]
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("DROP TRIGGER records_no_update")
    # the categories' order with the first of them left out: no longer an order of the snapshot's categories
    connection.execute("""UPDATE records SET body = replace(body, '"at":["categories"],"keys":["offer",',
                          '"at":["categories"],"keys":[')""")
    assert connection.total_changes == 1
    connection.close()
    code = main(["audit", "replay", run_id, "--audit-db", str(db)])
    assert code == 1 and "audit-tampered" in capsys.readouterr().err
    code, out = cli(capsys, "audit", "verify", "--audit-db", str(db))
    assert code == 1 and out.startswith("TAMPERED: record #1"), out


def test_a_pack_in_another_category_order_is_not_given_anothers_compiled_pack(pack: Pack) -> None:
    """The pack digest is over sorted keys: two packs that differ only in their categories' order share it."""
    facts = load_facts([BASELINE, SCENARIOS / "cooperates.yaml"], pack)
    declared = evaluate(pack, facts, AFTER_SCENARIOS)
    flipped = pack.model_copy(update={"categories": dict(reversed(pack.categories.items()))})
    assert flipped.digest == pack.digest
    order = [r.category for r in evaluate(flipped, facts, AFTER_SCENARIOS).responses]
    assert order == sorted(order, key=list(flipped.categories).index) != [r.category for r in declared.responses]
