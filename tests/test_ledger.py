"""The commitment ledger beyond the features: its declarations refused where wrong, its record in the audit
trail (sealed, shown, replayed), the CLI's exit codes, and the quotes its commitments cite."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import FACTS, RULES, SEEDS

from engine.audit import AuditStore
from engine.check import paragraphs
from engine.cli import main
from engine.errors import InputError, Problems
from engine.evaluate import evaluate
from engine.ledger import ledger
from engine.loader import parse_text
from engine.model import Pack
from engine.record import entry_for
from engine.replay import replay
from engine.trail import render_show
from engine.validate import facts_from_document, load_facts, load_pack

HISTORY = FACTS / "history" / "2021"
AS_OF = dt.date(2021, 9, 30)


def broken(tmp_path: Path, old: str, new: str, file: str = "commitments.yaml") -> str:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    text = (rules / file).read_text(encoding="utf-8")
    assert old in text
    (rules / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_pack(rules)
    return "\n".join(error.value.lines())


def test_within_days_counts_from_detachment_so_it_is_refused_for_an_antecedent(tmp_path: Path) -> None:
    said = broken(tmp_path, "antecedent_deadline: {fact: us_force_posture, field: deadline}",
                  "antecedent_deadline: {within_days: 30}")
    assert re.search(r"commitments\.yaml:\d+:\d+: bad-deadline: within_days counts from detachment", said), said


def test_a_deadline_field_must_be_a_date_field(tmp_path: Path) -> None:
    said = broken(tmp_path, "field: next_plenary", "field: list")
    assert "fatf_status has no date field 'list'; its date fields: next_plenary" in said, said


def test_an_unknown_party_is_named_with_a_suggestion(tmp_path: Path) -> None:
    said = broken(tmp_path, "creditor: taliban", "creditor: talibn")
    assert "unknown-party: no party 'talibn'" in said and "taliban" in said, said


def test_the_ledger_kind_is_reserved(tmp_path: Path) -> None:
    said = broken(tmp_path, "  india_involvement:", "  commitment_condition:", file="pack.yaml")
    assert "reserved-name: 'commitment_condition' is the commitment ledger's own kind" in said, said


def test_the_ledger_is_sealed_in_the_audit_record_shown_and_replayed(tmp_path: Path, pack: Pack) -> None:
    facts = load_facts([HISTORY], pack)
    owed = ledger(pack, facts, AS_OF)
    result = evaluate(pack, facts, AS_OF)
    with AuditStore.open(tmp_path / "a.sqlite") as store:
        record = store.append(entry_for(result, pack, facts, owed))
        other = evaluate(pack, facts, AS_OF)
        plain = store.append(entry_for(other, pack, facts))  # no ledger: sealed as records were before it
        assert store.verify().ok
        again = store.get(record.run_id[:12])
    assert again.intact() and again.ledger == owed
    assert "ledger" not in json.loads(json.dumps(plain.body())) and plain.intact()
    assert "✗ doha.taliban_violence: VIOLATED since 2021-09-01" in render_show(again, pack)
    assert replay(again).identical
    tampered = again.model_copy(update={"ledger": owed.model_copy(update={"commitments": owed.commitments[:1]})})
    differences = replay(tampered).differences
    assert "commitment doha.us_withdrawal: absent → discharged since 2021-08-30" in differences


def test_ledger_command_prints_json_and_refuses_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", str(HISTORY), "--as-of", "2021-05-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    states = {c["id"]: (c["state"], c["due_by"]) for c in data["commitments"]}
    assert states["doha.us_withdrawal"] == ("detached", "2021-09-11")
    assert main(["ledger", str(HISTORY), "--rules", str(FACTS)]) == 2
    assert "pack-missing" in capsys.readouterr().err


def test_every_quote_of_the_articles_commitments_is_verbatim(pack: Pack) -> None:
    path = SEEDS / str(pack.sources["weinstein-2021"].seed)
    if not path.exists():
        pytest.skip(f"{path} not present on this machine")
    paras = paragraphs(path.read_text(encoding="utf-8"), pack.sources["weinstein-2021"].body)  # body paragraphs
    cites = [(c.id, cite) for c in pack.commitments for cite in c.cites if cite.source == "weinstein-2021"]
    assert cites
    for cid, cite in cites:
        assert cite.quote in paras[cite.para - 1], f"{cid}: quote not in ¶{cite.para}: {cite.quote!r}"


# --- the lifecycle on a small pack (tests/packs/every_key: a picnic promised within a week of a sunny day) ----

EVERY_KEY = RULES.parent / "tests" / "packs" / "every_key"


def small(rows: list[tuple[str, str, str, dict[str, object]]], as_of: str) -> dict[str, object]:
    """The small pack's ledger as of a date, over facts given as (id, kind, observed, fields)."""
    pack = load_pack(EVERY_KEY)
    facts = [{"id": fid, "kind": kind, "subject": "city", "observed": dt.date.fromisoformat(day), **fields,
              "source": {"title": "t", "ref": "r", "date": dt.date.fromisoformat(day)}, "reliability": "B",
              "credibility": 2} for fid, kind, day, fields in rows]
    problems = Problems()
    loaded = facts_from_document(parse_text(yaml.safe_dump({"facts": facts}), "<test>"), pack, problems)
    problems.raise_if_any()
    found = ledger(pack, loaded, dt.date.fromisoformat(as_of)).state_of("city.picnic_promise")
    assert found is not None
    return {"state": found.state, "since": str(found.since), "due_by": str(found.due_by),
            "moves": [(str(t.date), t.state, t.facts) for t in found.transitions]}


SUNNY = ("sun", "weather", "2021-06-01", {"sky": "sunny", "temp": 25})


def test_within_days_counts_from_detachment_and_its_deadline_is_kept() -> None:
    assert small([SUNNY], "2021-06-05")["due_by"] == "2021-06-08"
    late = small([SUNNY, ("hot", "event", "2021-06-09", {"heat": 31})], "2021-06-30")
    assert (late["state"], late["since"]) == ("violated", "2021-06-09")
    on_time = small([SUNNY, ("hot", "event", "2021-06-08", {"heat": 31})], "2021-06-30")
    assert (on_time["state"], on_time["since"]) == ("discharged", "2021-06-08")
    assert on_time["moves"] == [("2021-06-01", "detached", ("sun",)), ("2021-06-08", "discharged", ("hot",))]


def test_a_consequent_brought_about_before_its_antecedent_discharges_the_commitment() -> None:
    early = small([("hot", "event", "2021-05-01", {"heat": 35}), SUNNY], "2021-06-30")
    assert (early["state"], early["since"]) == ("discharged", "2021-05-01")


def test_terminal_states_stay_and_a_fixed_antecedent_deadline_expires_the_day_after() -> None:
    expired = small([("rain", "weather", "2021-06-01", {"sky": "rainy", "temp": 10})], "2022-01-15")
    assert expired["state"] == "cancelled"  # rain is the debtor's way out, on the day it is observed
    never = small([("mild", "event", "2021-06-01", {"heat": 20})], "2022-01-15")
    assert (never["state"], never["since"]) == ("expired", "2022-01-01")
    late_sun = small([("mild", "event", "2021-06-01", {"heat": 20}),
                      ("sun", "weather", "2022-01-05", {"sky": "sunny", "temp": 5})], "2022-01-15")
    assert late_sun["moves"] == [("2022-01-01", "expired", ())]


def test_the_creditor_releases_a_detached_commitment() -> None:
    rows = [SUNNY, ("town-rain", "weather", "2021-06-03", {"sky": "rainy", "temp": 12})]
    pack = load_pack(EVERY_KEY)
    assert pack.vocabulary["weather"].subjects == ("city", "town")
    facts = [{"id": fid, "kind": kind, "subject": "town" if fid == "town-rain" else "city",
              "observed": dt.date.fromisoformat(day), **fields,
              "source": {"title": "t", "ref": "r", "date": dt.date.fromisoformat(day)}, "reliability": "B",
              "credibility": 2} for fid, kind, day, fields in rows]
    problems = Problems()
    loaded = facts_from_document(parse_text(yaml.safe_dump({"facts": facts}), "<test>"), pack, problems)
    problems.raise_if_any()
    found = ledger(pack, loaded, dt.date(2021, 6, 30)).state_of("city.picnic_promise")
    assert found is not None
    assert [(t.date, t.previous, t.state, t.facts) for t in found.transitions] == [
        (dt.date(2021, 6, 1), "conditional", "detached", ("sun",)),
        (dt.date(2021, 6, 3), "detached", "released", ("town-rain",))]


def test_a_date_test_turning_with_the_calendar_moves_a_commitment_on_its_own_day(tmp_path: Path) -> None:
    """No fact arrives on 9 June: the ledger still looks that day, when the event stops being within 7 days."""
    rules = tmp_path / "rules"
    shutil.copytree(EVERY_KEY, rules)
    text = (rules / "commitments.yaml").read_text(encoding="utf-8")
    (rules / "commitments.yaml").write_text(text.replace(
        "cancelled_when: {fact: weather, subject: city, where: {sky: rainy}}",
        "cancelled_when: {none: {fact: event, where: {observed: {within_days: 7}}}}"), encoding="utf-8")
    pack = load_pack(rules)
    problems = Problems()
    facts = [{"id": "fair", "kind": "event", "subject": "city", "observed": dt.date(2021, 6, 1), "heat": 20,
              "source": {"title": "t", "ref": "r", "date": dt.date(2021, 6, 1)}, "reliability": "B", "credibility": 2}]
    loaded = facts_from_document(parse_text(yaml.safe_dump({"facts": facts}), "<test>"), pack, problems)
    problems.raise_if_any()
    found = ledger(pack, loaded, dt.date(2021, 6, 20)).state_of("city.picnic_promise")
    assert found is not None and (found.state, found.since) == ("cancelled", dt.date(2021, 6, 9))
