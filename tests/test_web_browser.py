"""The workbench end to end in headless Chromium (Playwright driving the system's browser): a real uvicorn
server on 127.0.0.1, every page used as an analyst would use it.

Where there is no Chromium these tests are skipped, saying why; under CI=true a missing browser fails them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FACTS, RULES
from playwright.sync_api import Browser, Page, sync_playwright

from engine.evaluate import evaluate
from engine.validate import load_facts, load_pack
from engine.web.accounts import add_user
from engine.web.serve import background
from engine.web.settings import WebSettings

CHROMIUM = Path(os.environ.get("COMMITMENTS_CHROMIUM", "/usr/bin/chromium"))
MISSING = f"no Chromium at {CHROMIUM} — apt-get install chromium"
BASELINE = "2021-02-baseline.yaml"
AS_OF = "2021-02-12"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{MISSING} (CI must run the browser tests)")
        pytest.skip(MISSING)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web")
    shutil.copytree(FACTS, folder / "facts")
    add_user(folder / "users.json", "alice", PASSWORD)
    return folder


def settings_in(folder: Path, login_required: bool) -> WebSettings:
    return WebSettings(rules=RULES, facts=folder / "facts", audit_db=folder / "audit.sqlite", users=folder / "users.json",
                       login_required=login_required)


@pytest.fixture(scope="module")
def site(workspace: Path) -> Iterator[str]:
    with background(settings_in(workspace, False)) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(60_000)  # two shared cores: an evaluation under load can take seconds
    yield tab
    context.close()


def evaluate_baseline(page: Page, site: str) -> None:
    page.goto(f"{site}/")
    page.fill("input[name=as_of]", AS_OF)
    page.click("#evaluate-form button[type=submit]")
    page.wait_for_selector("#memo .bottom-line")


def test_evaluate_shows_the_memo_with_its_recommendation(page: Page, site: str) -> None:
    page.goto(f"{site}/")
    assert page.is_checked(f"input[value='{BASELINE}']")
    assert not page.is_checked("input[value='scenarios/cooperates.yaml']")
    evaluate_baseline(page, site)
    assert "Pakistan's cooperation level: refusal" in page.inner_text(".meta")
    assert "refusal" in page.inner_text("#memo .bottom-line")  # the bottom line, in plain words
    assert page.is_visible("#memo a.explain[href$='target=fatf.keep_listed']")
    chart = page.locator("#memo figure.chart img")  # the chart, loaded after the memo as an image of its own
    assert chart.count() == 1
    page.wait_for_function("document.querySelector('#memo figure.chart img').complete")
    assert chart.evaluate("image => image.naturalWidth") > 0
    pack = load_pack(RULES)
    counting = evaluate(pack, load_facts([FACTS / BASELINE], pack), dt.date.fromisoformat(AS_OF)).counted
    evidence = page.locator("#memo section:has(h2:text-is('Evidence')) tbody tr")
    assert evidence.count() == len(counting)  # each counting fact, with its source


def test_a_scenario_memo_is_labelled_hypothetical_and_the_memo_to_send_opens(page: Page, site: str) -> None:
    page.goto(f"{site}/")
    page.check("input[value='scenarios/cooperates.yaml']")
    page.fill("input[name=as_of]", "2021-07-01")
    page.click("#evaluate-form button[type=submit]")
    page.wait_for_selector("#memo .bottom-line")
    assert page.inner_text("#memo .banner.hypothetical").startswith("HYPOTHETICAL — built on")
    page.click("#sendable")
    page.wait_for_url(re.compile(r"/audit/runs/[0-9a-f]+/memo$"))
    assert "HYPOTHETICAL" in page.title()


def test_a_response_links_to_its_explanation(page: Page, site: str) -> None:
    evaluate_baseline(page, site)
    page.click("#memo a.explain[href$='target=fatf.keep_listed']")
    page.wait_for_selector("#explanation")
    assert page.url.startswith(f"{site}/explain?")
    assert "fatf.keep_listed" in page.inner_text("#explanation")
    assert page.input_value("input[name=target]") == "fatf.keep_listed"


def test_a_bad_value_is_shown_at_its_field_then_a_good_fact_is_written(page: Page, site: str,
                                                                       workspace: Path) -> None:
    page.goto(f"{site}/facts/new")
    page.select_option("select[name=kind]", "violence_trend")
    page.click("form.inline button")
    page.wait_for_url("**kind=violence_trend**")
    answers = {"file": "2021-04-update.yaml", "id": "unama-2021-q2", "observed": "2021-13-01", "change_pct": "-38",
               "window_days": "90", "source.title": "UNAMA quarterly", "source.ref": "https://example.org/unama",
               "source.date": "2021-04-14"}
    for name, value in answers.items():
        page.fill(f"[id='field-{name}']", value)
    for name, value in {"metric": "civilian_casualties", "reliability": "B", "credibility": "2"}.items():
        page.select_option(f"[id='field-{name}']", value)
    page.click("form.fact button[type=submit]")
    at_field = page.locator(".field:has(#field-observed) .error")
    assert at_field.inner_text() == "month must be in 1..12"
    assert page.get_attribute("#field-observed", "aria-describedby") == "error-observed"  # read out with the field
    assert page.locator(".field .error").count() == 1
    assert page.input_value("#field-change_pct") == "-38"  # the answers are kept
    assert not (workspace / "facts" / "2021-04-update.yaml").exists()
    page.fill("#field-observed", "2021-04-14")
    page.click("form.fact button[type=submit]")
    assert "Added unama-2021-q2 (violence_trend)" in page.inner_text("#added")
    written = load_facts([workspace / "facts" / "2021-04-update.yaml"], load_pack(RULES))
    assert [(f.id, f.fields["change_pct"]) for f in written] == [("unama-2021-q2", -38)]


def test_what_if_unticking_a_fact_changes_the_result(page: Page, site: str) -> None:
    page.goto(f"{site}/whatif?f={BASELINE}&as_of={AS_OF}")
    assert "All facts are on" in page.inner_text("#diff")
    page.uncheck("#on-base-yusuf-claims-inability")
    page.click("#whatif-form button[type=submit]")
    page.wait_for_url("**toggled=1**")
    diff = page.inner_text("#diff")
    assert "Pakistan's cooperation level: refusal → rhetorical" in diff
    assert "retract base-yusuf-claims-inability" in diff
    assert "− messaging.inability_claim_rejected" in diff


def test_the_timeline_shows_its_changes(page: Page, site: str) -> None:
    page.goto(f"{site}/timeline?f={BASELINE}&f=scenarios/cooperates.yaml&as_of=2021-07-01")
    assert page.locator("#chart svg").count() == 1
    events = page.locator("#events tbody tr.headline")
    assert events.count() >= 1
    assert re.search(r"→", events.first.inner_text())


def test_the_ledger_shows_each_commitment(page: Page, site: str) -> None:
    page.goto(f"{site}/ledger?f={BASELINE}&f=scenarios/cooperates.yaml&as_of=2021-07-01")
    assert page.locator("section.commitment").count() == len(load_pack(RULES).commitments)


def test_the_audit_trail_lists_the_runs_and_verifies_intact(page: Page, site: str) -> None:
    evaluate_baseline(page, site)
    page.click("nav >> text=Audit trail")
    page.wait_for_selector("#runs")
    assert page.locator("#runs tbody tr").count() >= 1
    page.click("#verify")
    assert re.fullmatch(r"ok: \d+ records, chain intact \(head [0-9a-f]{64}\)",
                        page.inner_text("#verification"))
    page.click("#runs tbody tr >> nth=0 >> a")
    page.wait_for_url("**/audit/runs/**")
    assert "Audit record #" in page.inner_text("h1")


def test_sign_in_is_required_and_the_trail_names_who_signed_in(page: Page, workspace: Path) -> None:
    with background(settings_in(workspace, True)) as site:
        page.goto(f"{site}/ledger")
        assert page.url.startswith(f"{site}/login?next=")
        page.fill("#user", "alice")
        page.fill("#password", "not the password")
        page.click("form.login button")
        assert page.inner_text("#login-error") == "unknown user or wrong password"
        page.fill("#password", PASSWORD)
        page.click("form.login button")
        page.wait_for_selector("section.commitment")
        assert page.url.startswith(f"{site}/ledger")  # where it was going
        assert "signed in as alice" in page.inner_text("nav")
        evaluate_baseline(page, site)
        page.goto(f"{site}/audit")
        page.click("#runs tbody tr >> nth=0 >> a")
        assert page.inner_text("#recorded-by") == "alice"
        page.click("nav button")  # sign out
        page.wait_for_url("**/login")
        page.goto(f"{site}/audit")
        assert page.url.startswith(f"{site}/login")


def test_the_screenshots_of_docs_web_md_can_be_taken_again(browser: Browser, tmp_path: Path) -> None:
    """`make screenshots` keeps working as the pages change: every picture docs/web.md shows is taken, small."""
    import screenshots

    screenshots.take(tmp_path, browser)
    shown = set(re.findall(r"\(screenshots/([\w-]+\.png)\)", (FACTS.parent / "docs" / "web.md").read_text()))
    taken = {p.name: p.stat().st_size for p in tmp_path.glob("*.png")}
    assert shown and shown == set(taken)
    assert sum(taken.values()) < 600_000
