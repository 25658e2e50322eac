"""The memo a policymaker reads: bottom line first, the evidence with its sources, the ledger, the hypothetical
label; its Markdown and HTML renderings (every value escaped) and the timeline chart (SVG)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from conftest import AFTER_SCENARIOS, BASELINE, ROOT, RULES, SCENARIOS, scenario_facts

from engine.chart import timeline_svg
from engine.cli import main
from engine.evaluate import evaluate
from engine.ledger import ledger
from engine.memo import Memo, build_memo, render_memo_html, render_memo_markdown
from engine.model import Fact, FactSource, Pack
from engine.render import render_json, render_text
from engine.timeline import Step, timeline
from engine.validate import load_facts

AS_OF = dt.date(2021, 2, 12)
DOCS_MEMO = ROOT / "docs" / "baseline-memo.html"


@pytest.fixture(scope="module")
def baseline_memo(pack: Pack, baseline: list[Fact]) -> Memo:
    return build_memo(evaluate(pack, baseline, AS_OF), pack, baseline, ledger(pack, baseline, AS_OF))


def test_the_bottom_line_says_the_level_what_to_do_and_what_comes_next(baseline_memo: Memo) -> None:
    standing, doing, nxt = baseline_memo.bottom_line
    assert standing == "As of 2021-02-12, Pakistan's cooperation level is refusal."
    # no offer is made to a refusing Pakistan: consequences lead, with the pack's title for them
    assert doing.startswith("Recommended now — Consequences (if Pakistan does not act): Make clear that the FATF")
    assert "Messaging (6)" in doing and "Offers" not in doing
    # the conditional FATF offer and the owed withdrawal fall due the same day: the condition comes first
    assert nxt.startswith("Next: The US supports Pakistan's removal from the FATF grey list")
    assert nxt.endswith("owed only if its condition comes about by 2021-05-01.")


def test_sections_follow_the_packs_categories(baseline_memo: Memo, pack: Pack) -> None:
    titles = [s.title for s in baseline_memo.sections]
    assert titles == [t for t in pack.categories.values() if t in titles]
    assert titles[0] == "Consequences (if Pakistan does not act)"
    keep = next(r for s in baseline_memo.sections for r in s.responses if r.id == "fatf.keep_listed")
    assert keep.citation is not None and keep.citation.para == 16
    assert keep.citation.short == "Weinstein (Lawfare, 2021)"
    assert keep.citation.title.startswith("What Will It Take for Pakistan")
    assert keep.facts == ("base-fatf-oct-2020-grey", "base-yusuf-claims-inability")


def test_evidence_names_each_counting_facts_source_date_and_grade(baseline_memo: Memo, baseline: list[Fact]) -> None:
    by_id = {e.id: e for e in baseline_memo.evidence}
    fatf = by_id["base-fatf-oct-2020-grey"]
    assert fatf.source_title.startswith("Pakistan remains on FATF's grey list")
    assert fatf.source_date == dt.date(2020, 10, 24) and fatf.observed == dt.date(2020, 10, 23)
    assert fatf.grade == "B1" and "fatf.keep_listed" in fatf.supports
    assert by_id["base-sigar-2020-q3-attacks"].grade == "A2"
    assert by_id["base-pakistan-facilitated-doha"].value == "action=facilitate_talks, verified=true"
    assert "base-rumour-quetta-arrests" not in by_id  # graded E5: it does not count, and the memo says why
    assert [n.id for n in baseline_memo.not_counted] == ["base-rumour-quetta-arrests"]
    assert [e.observed for e in baseline_memo.evidence] == sorted(e.observed for e in baseline_memo.evidence)


def test_the_ledger_is_in_the_memo(baseline_memo: Memo) -> None:
    assert baseline_memo.ledger is not None
    states = {c.id: c.state for c in baseline_memo.ledger}
    assert states == {"us_pakistan.fatf_support": "conditional", "doha.us_withdrawal": "detached",
                      "doha.taliban_violence": "conditional"}
    withdrawal = next(c for c in baseline_memo.ledger if c.id == "doha.us_withdrawal")
    assert withdrawal.debtor == "United States" and withdrawal.since == dt.date(2021, 1, 28)


def test_the_baseline_is_not_labelled_hypothetical(baseline_memo: Memo, pack: Pack, baseline: list[Fact]) -> None:
    assert baseline_memo.hypothetical == () and baseline_memo.hypothetical_label is None
    assert "HYPOTHETICAL" not in render_memo_markdown(baseline_memo)
    assert "HYPOTHETICAL" not in render_memo_html(baseline_memo)
    result = evaluate(pack, baseline, AS_OF)
    assert "HYPOTHETICAL" not in render_text(result, pack) and json.loads(render_json(result, pack))["hypothetical"] == []


def test_a_scenario_is_labelled_hypothetical_on_top_of_every_view(pack: Pack) -> None:
    facts = scenario_facts(pack, "cooperates")
    assert {f.id.split("-")[0] for f in facts if f.hypothetical} == {"coop"}
    result = evaluate(pack, facts, AFTER_SCENARIOS)
    assert len(result.hypothetical) == 1 and result.hypothetical[0].endswith("facts/scenarios/cooperates.yaml")
    label = f"HYPOTHETICAL — built on {result.hypothetical[0]}"
    memo = build_memo(result, pack, facts)
    assert memo.hypothetical_label == label
    assert render_text(result, pack).splitlines()[0] == label
    markdown = render_memo_markdown(memo)
    assert markdown.splitlines()[2].startswith(f"> **{label}**")
    html = render_memo_html(memo)
    assert html.index(label) < html.index("Bottom line") and "<title>HYPOTHETICAL" in html
    assert json.loads(render_json(result, pack))["hypothetical"] == list(result.hypothetical)
    coop = [e for e in memo.evidence if e.id.startswith("coop-")]
    assert coop and all(e.hypothetical for e in coop)
    assert not any(e.hypothetical for e in memo.evidence if e.id.startswith("base-"))


def test_every_bundled_scenario_declares_itself_hypothetical(pack: Pack) -> None:
    for file in sorted(SCENARIOS.glob("*.yaml")):
        assert all(f.hypothetical for f in load_facts([file], pack)), file.name


def test_hypothetical_must_be_true_or_false(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "scenario.yaml"
    bad.write_text("hypothetical: maybe\nfacts: []\n")
    assert main(["evaluate", str(bad), "--rules", str(RULES), "--no-audit", "--as-of", "2021-02-12"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"{bad}:1:1: bad-value: hypothetical: expected true or false; found the string 'maybe'"


def test_a_hypothetical_run_is_recorded_and_replays_identical(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    store = str(tmp_path / "audit.sqlite")
    argv = ["evaluate", str(BASELINE), str(SCENARIOS / "refuses.yaml"), "--rules", str(RULES), "--as-of",
            "2021-07-01", "--audit-db", store, "--format", "json"]
    assert main(argv) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["hypothetical"] and run["hypothetical"][0].endswith("refuses.yaml")
    assert main(["audit", "verify", "--audit-db", store]) == 0
    assert main(["audit", "replay", "--audit-db", store, run["run_id"]]) == 0
    assert main(["audit", "show", "--audit-db", store, run["run_id"]]) == 0
    assert "content intact" in capsys.readouterr().out


def _hostile(baseline: list[Fact]) -> list[Fact]:
    evil = "<script>alert('memo')</script> & <b>bold</b>"
    return [f.model_copy(update={"source": FactSource(title=evil, ref=f.source.ref, date=f.source.date)})
            if f.id == "base-fatf-oct-2020-grey" else f for f in baseline]


def test_html_escapes_every_value_from_a_file(pack: Pack, baseline: list[Fact]) -> None:
    facts = _hostile(baseline)
    html = render_memo_html(build_memo(evaluate(pack, facts, AS_OF), pack, facts))
    assert "&lt;script&gt;alert(&#39;memo&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script" not in html and "<b>" not in html


def test_markdown_shows_no_html_from_a_file(pack: Pack, baseline: list[Fact]) -> None:
    facts = _hostile(baseline)
    markdown = render_memo_markdown(build_memo(evaluate(pack, facts, AS_OF), pack, facts))
    assert r"\<script\>alert('memo')\</script\> & \<b\>bold\</b\>" in markdown
    assert re.search(r"(?<!\\)<", markdown) is None  # every < is escaped: a viewer shows it, never runs it


def test_markdown_memo_leads_with_the_bottom_line(baseline_memo: Memo) -> None:
    markdown = render_memo_markdown(baseline_memo)
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Bottom line"
    assert headings[1:4] == ["## Consequences (if Pakistan does not act)", "## Messaging",
                             "## Principles (whatever Pakistan does)"]
    assert headings[-3:] == ["## Evidence", "## Commitment ledger", "## Guardrails"]
    assert "1. As of 2021-02-12, Pakistan's cooperation level is refusal." in markdown
    assert ("| `base-fatf-oct-2020-grey` | 2020-10-23 | fatf_status: list=grey, next_plenary=2021-02-22 | "
            "Pakistan remains on FATF's grey list for now") in markdown
    assert "| 2020-10-24 | B1 |" in markdown
    assert "| detached since 2021-01-28 |" in markdown


def test_a_memo_made_without_a_date_says_so_on_top(pack: Pack, baseline: list[Fact]) -> None:
    memo = build_memo(evaluate(pack, baseline, AS_OF), pack, baseline, defaulted=True)
    assert memo.as_of_defaulted and memo.warnings == ()
    assert render_memo_markdown(memo).splitlines()[2] == "**AS OF 2021-02-12 (today: no --as-of was given)**"
    html = render_memo_html(memo)
    assert html.index("AS OF 2021-02-12: today, because no --as-of was given.") < html.index("Bottom line")
    assert "no --as-of" not in render_memo_html(build_memo(evaluate(pack, baseline, AS_OF), pack, baseline))


def test_a_stale_memo_warns_on_top(pack: Pack, baseline: list[Fact]) -> None:
    memo = build_memo(evaluate(pack, baseline, dt.date(2021, 9, 1)), pack, baseline)
    assert any(w.startswith("newest counting fact is 2021-01-28") for w in memo.warnings)
    html = render_memo_html(memo)
    assert html.index("Warning: newest counting fact is 2021-01-28") < html.index("Bottom line")


# --- the chart ------------------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def test_the_chart_is_svg_with_the_level_line_and_a_bar_row_per_response(pack: Pack) -> None:
    facts = scenario_facts(pack, "cooperates")
    result = timeline(pack, facts, dt.date(2021, 1, 1), AFTER_SCENARIOS, Step(count=7))
    svg = timeline_svg(result, pack)
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    texts = {t.text for t in root.iter(f"{SVG}text")}
    # the level axis is the pack's declared order of cooperation levels, as text
    assert {"sustained_reduction", "demonstrable_steps", "refusal", "rhetorical", "unknown"} <= texts
    assert "Pakistan's cooperation level" in texts
    seen = {r for p in result.points for r in p.responses}
    rows = {g.get("id").removeprefix("response-") for g in root.iter(f"{SVG}g")
            if (g.get("id") or "").startswith("response-")}
    assert rows == seen and "fatf.support_removal" in rows
    assert seen <= texts  # each row is labelled with its response
    # each bar row holds as many bars as the response has runs of consecutive steps
    support = [p.date for p in result.points if "fatf.support_removal" in p.responses]
    assert support and support[-1] == result.points[-1].date
    runs = sum(1 for i, p in enumerate(result.points) if "fatf.support_removal" in p.responses
               and (i == 0 or "fatf.support_removal" not in result.points[i - 1].responses))
    bars = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "response-fatf.support_removal")
    assert len(list(bars.iter(f"{SVG}path"))) == runs


def test_the_chart_is_deterministic(pack: Pack, baseline: list[Fact]) -> None:
    result = timeline(pack, baseline, dt.date(2020, 9, 1), AS_OF, Step(count=14))
    assert timeline_svg(result, pack) == timeline_svg(result, pack)
    assert "<dc:date>" not in timeline_svg(result, pack)


# --- the command and the committed memo ----------------------------------------------------------------------

def test_evaluate_writes_an_html_memo_to_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "memo.html"
    assert main(["evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12", "--no-audit",
                 "--format", "html", "-o", str(out)]) == 0
    stdout, err = capsys.readouterr()
    assert stdout == "" and err.startswith(f"wrote {out}")
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 1 and "<script" not in html
    assert re.search(r'<link|<img|src="http', html) is None  # no external asset


def test_the_committed_baseline_memo_is_what_the_command_makes_today(tmp_path: Path) -> None:
    made = tmp_path / "baseline-memo.html"
    command = [sys.executable, "-m", "engine", "evaluate", "facts/2021-02-baseline.yaml", "--rules",
               "rules", "--as-of", "2021-02-12", "--format", "html", "--no-audit", "-o", str(made)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    assert DOCS_MEMO.read_text(encoding="utf-8") == made.read_text(encoding="utf-8"), \
        "docs/baseline-memo.html is stale: run `make docs`"


def test_a_memo_that_cannot_be_written_is_one_line_and_exit_3(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "memo.md"
    assert main(["evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12", "--no-audit",
                 "--format", "markdown", "-o", str(out)]) == 3
    stdout, err = capsys.readouterr()
    assert stdout == "" and not out.parent.exists()
    assert err == (f"{out}: output-unwritable: cannot write the output: No such file or directory; "
                   "the run was not recorded (--no-audit)\n")


def test_the_flag_leaves_records_of_observed_facts_as_they_were_sealed(pack: Pack, baseline: list[Fact]) -> None:
    """Records written before the flag existed hold no `hypothetical` key, in the result or a fact: a record of
    observed facts written now holds none either, so old and new records hash and replay alike."""
    from engine.record import entry_for

    plain = entry_for(evaluate(pack, baseline, AS_OF), pack, baseline).body()
    assert "hypothetical" not in plain["result"]
    assert not any("hypothetical" in fact for fact in plain["facts_snapshot"])
    facts = scenario_facts(pack, "refuses")
    flagged = entry_for(evaluate(pack, facts, AFTER_SCENARIOS), pack, facts).body()
    assert flagged["result"]["hypothetical"][0].endswith("refuses.yaml")
    assert {f["id"].split("-")[0] for f in flagged["facts_snapshot"] if f.get("hypothetical")} == {"refuse"}
    assert not any("hypothetical" in f for f in flagged["facts_snapshot"] if f["id"].startswith("base-"))
