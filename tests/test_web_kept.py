"""What the web page keeps between requests, and how long it says it took.

Whatever the server reuses (the pack, each fact file's facts, a scenario's label, the memo's chart) must be
what it would compute afresh from the files as they are now: equal results, the same audit record, the same
errors, and a changed file seen at once. Every response says its server time in a `Server-Timing` header.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from pathlib import Path

import pytest
from conftest import FACTS, RULES
from starlette.testclient import TestClient

from engine import chart, loader
from engine.audit import AuditStore
from engine.chart import draw_memo_chart, memo_chart
from engine.errors import InputError
from engine.evaluate import evaluate
from engine.ledger import ledger
from engine.record import entry_for
from engine.validate import load_facts, load_pack
from engine.web.app import create_app
from engine.web.kept import Inputs
from engine.web.settings import WebSettings
from engine.web.timing import header_value, parse

BASELINE = "2021-02-baseline.yaml"
AS_OF = "2021-02-12"
SITE = "http://127.0.0.1"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CHART = re.compile(r'<figure class="chart"><img src="([^"]+)"')


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Copies of the pack and the facts: the tests edit them between requests."""
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(FACTS, tmp_path / "facts")
    return tmp_path


@pytest.fixture
def settings(folder: Path) -> WebSettings:
    return WebSettings(rules=folder / "rules", facts=folder / "facts", audit_db=folder / "audit.sqlite",
                       users=folder / "users.json")


@pytest.fixture
def client(settings: WebSettings) -> TestClient:
    return TestClient(create_app(settings), base_url=SITE)


def evaluate_page(client: TestClient, as_of: str = AS_OF) -> str:
    found = CSRF.search(client.get("/").text)
    assert found
    response = client.post("/evaluate", data={"csrf": found[1], "f": [BASELINE], "as_of": as_of})
    assert response.status_code == 200, response.text
    return response.text


def chart_url(page: str) -> str:
    found = CHART.search(page)
    assert found, "no chart image in the memo"
    return html.unescape(found[1])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- Server-Timing ----------------------------------------------------------------------------------------

def test_every_page_says_its_server_time_and_an_evaluation_its_phases(client: TestClient) -> None:
    for path in ("/", "/style.css", f"/ledger?f={BASELINE}&as_of={AS_OF}", "/nowhere"):
        metrics = parse(client.get(path).headers["server-timing"])
        assert metrics["app"] > 0, path
    found = CSRF.search(client.get("/").text)
    assert found
    response = client.post("/evaluate", data={"csrf": found[1], "f": [BASELINE], "as_of": AS_OF})
    metrics = parse(response.headers["server-timing"])
    assert list(metrics) == ["select", "inputs", "evaluate", "ledger", "record", "memo", "app", "cpu"]
    assert sum(v for k, v in metrics.items() if k not in ("app", "cpu")) <= metrics["app"] + 0.5  # a tenth each
    assert 0 < metrics["cpu"] <= metrics["app"] + 0.5


def test_the_header_is_read_back_as_written() -> None:
    value = header_value([("evaluate", 0.0021), ("record", 0.01234)], 0.02, 0.015)
    assert value == "evaluate;dur=2.1, record;dur=12.3, app;dur=20.0, cpu;dur=15.0"
    assert parse(value) == {"evaluate": 2.1, "record": 12.3, "app": 20.0, "cpu": 15.0}
    assert header_value([], 0.001) == "app;dur=1.0"
    assert parse('db;desc="SQLite";dur=5, cache;desc=hit, ;dur=3, x;dur=abc, total;dur= 7.5') == {"db": 5.0,
                                                                                                  "total": 7.5}


# --- the chart --------------------------------------------------------------------------------------------

def test_the_kept_chart_is_the_one_drawn_afresh_and_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_pack(RULES)
    facts = load_facts([FACTS / BASELINE], pack)
    day = dt.date(2021, 2, 12)
    fresh = draw_memo_chart(pack, facts, day)
    drawn: list[dt.date] = []

    def counted(*args: object) -> str | None:
        drawn.append(args[2])  # type: ignore[arg-type]
        return draw_memo_chart(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(chart, "draw_memo_chart", counted)
    monkeypatch.setattr(chart, "_drawn", type(chart._drawn)(chart.KEPT_CHARTS))
    assert memo_chart(pack, facts, day) == fresh
    assert memo_chart(pack, load_facts([FACTS / BASELINE], pack), day) == fresh  # same content, loaded again
    assert drawn == [day]
    other = day + dt.timedelta(days=7)
    assert memo_chart(pack, facts, other) == draw_memo_chart(pack, facts, other) != fresh
    assert drawn == [day, other]


def test_a_pack_whose_categories_are_in_another_order_has_another_chart() -> None:
    """The chart colours the categories in the pack's order; the digest alone does not see that order."""
    pack = load_pack(RULES)
    facts = load_facts([FACTS / BASELINE], pack)
    reordered = pack.model_copy(update={"categories": dict(reversed(list(pack.categories.items())))})
    day = dt.date(2021, 2, 12)
    assert reordered.digest == pack.digest
    assert chart.chart_key(reordered, facts, day) != chart.chart_key(pack, facts, day)


def test_a_changed_fact_file_changes_the_chart_and_the_old_memos_chart_is_refused(client: TestClient,
                                                                                  settings: WebSettings) -> None:
    before = chart_url(evaluate_page(client))
    first = client.get(before)
    assert first.status_code == 200 and first.headers["cache-control"].endswith("immutable")
    assert client.get(before).text == first.text
    edit(settings.facts / BASELINE, "position: claims_inability", "position: supports_ceasefire")
    gone = client.get(before)
    assert gone.status_code == 409 and "have changed since this memo was made" in gone.text
    after = chart_url(evaluate_page(client))
    assert after != before
    now = client.get(after)
    pack = load_pack(settings.rules)
    assert now.text == draw_memo_chart(pack, load_facts([settings.facts / BASELINE], pack), dt.date(2021, 2, 12))
    assert now.text != first.text


def test_a_chart_asked_for_without_digests_is_of_the_files_as_they_are(client: TestClient,
                                                                       settings: WebSettings) -> None:
    response = client.get(f"/chart.svg?f={BASELINE}&as_of={AS_OF}")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-cache"
    assert response.text.startswith("<svg")


# --- inputs -----------------------------------------------------------------------------------------------

def test_unchanged_files_are_parsed_once_and_equal_a_fresh_load(folder: Path) -> None:
    kept = Inputs()
    rules, baseline = folder / "rules", folder / "facts" / BASELINE
    pack = kept.pack(rules)
    assert pack == load_pack(rules) and kept.pack(rules) is pack
    facts = kept.facts([baseline], pack)
    assert facts == load_facts([baseline], pack)
    assert [id(f) for f in kept.facts([baseline], pack)] == [id(f) for f in facts]


def test_an_edited_file_is_parsed_afresh(folder: Path) -> None:
    kept = Inputs()
    rules, baseline = folder / "rules", folder / "facts" / BASELINE
    pack = kept.pack(rules)
    facts = kept.facts([baseline], pack)
    edit(baseline, "position: claims_inability", "position: supports_ceasefire")
    changed = kept.facts([baseline], pack)
    assert changed == load_facts([baseline], pack) != facts
    edit(rules / "pack.yaml", "version: ", "version: 9")
    again = kept.pack(rules)
    assert again == load_pack(rules) and again.digest != pack.digest and again.version.startswith("9")
    assert kept.facts([baseline], again) == load_facts([baseline], again)  # typed by the new pack


def test_a_file_that_does_not_load_is_refused_every_time_with_the_validators_words(folder: Path) -> None:
    kept = Inputs()
    pack = kept.pack(folder / "rules")
    broken = folder / "facts" / "broken.yaml"
    broken.write_text("facts:\n  - id: x\n    kind: nonsense\n", encoding="utf-8")
    with pytest.raises(InputError) as fresh:
        load_facts([broken], pack)
    for _ in range(2):
        with pytest.raises(InputError) as refused:
            kept.facts([broken], pack)
        assert refused.value.lines() == fresh.value.lines()
    broken.write_text("facts: []\n", encoding="utf-8")
    assert kept.facts([broken], pack) == []
    edit(folder / "rules" / "pack.yaml", "pack:", "pack: [")
    with pytest.raises(InputError) as bad_pack:
        kept.pack(folder / "rules")
    with pytest.raises(InputError) as bad_fresh:
        load_pack(folder / "rules")
    assert bad_pack.value.lines() == bad_fresh.value.lines()


def test_reused_input_counts_against_the_run_as_when_it_was_parsed(folder: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    kept = Inputs()
    rules, baseline = folder / "rules", folder / "facts" / BASELINE
    with loader.one_run():
        pack = load_pack(rules)
        load_facts([baseline], pack)
        fresh = loader._TAKEN.get()
    kept.pack(rules)
    kept.facts([baseline], pack)
    with loader.one_run():
        kept.facts([baseline], kept.pack(rules))
        assert loader._TAKEN.get() == fresh
    assert fresh is not None
    monkeypatch.setattr(loader, "MAX_RUN_BYTES", fresh[0] - 1)  # the bound is (bytes taken, bound)
    with loader.one_run(), pytest.raises(InputError) as refused:
        kept.facts([baseline], kept.pack(rules))
    assert refused.value.problems[0].code == "input-too-large"


def test_a_file_that_stops_declaring_itself_a_scenario_loses_its_label(client: TestClient,
                                                                       settings: WebSettings) -> None:
    label = re.compile(r"<code>scenarios/refuses\.yaml</code> <span class=\"tag\">hypothetical</span>")
    assert label.search(client.get("/").text)
    edit(settings.facts / "scenarios" / "refuses.yaml", "hypothetical: true", "hypothetical: false")
    assert not label.search(client.get("/").text)


def test_the_audit_record_is_the_one_made_without_anything_kept(client: TestClient, settings: WebSettings) -> None:
    for _ in range(2):  # the second evaluation reuses what the first parsed
        evaluate_page(client)
    pack = load_pack(settings.rules)
    facts = load_facts([settings.facts / BASELINE], pack)
    day = dt.date(2021, 2, 12)
    fresh = entry_for(evaluate(pack, facts, day), pack, facts, ledger(pack, facts, day))
    # what differs between any two runs: when, who, which run (the result's digest leaves its run id out)
    moments = ("run_id", "recorded_at", "user", "result", "seq", "prev_hash", "hash")
    want = {k: v for k, v in fresh.body().items() if k not in moments}
    with AuditStore.open(settings.audit_db, create=False) as store:
        records = [store.get(r.run_id) for r in store.find()]
    assert len(records) == 2
    for record in records:
        assert {k: v for k, v in record.body().items() if k not in moments} == want
        assert record.result.model_copy(update={"run_id": fresh.run_id}) == fresh.result
