"""`commitments serve` through Starlette's test client: every page, every error path, and the security
promises (CSRF on every POST, sign-in on every page when required, the signed-in user in the audit trail).

Each page must show what the command's own functions compute for the same inputs: the expected values
below are computed by those functions here, never written out by hand.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FACTS, RULES
from starlette.routing import Route
from starlette.testclient import TestClient

from engine.chart import draw_memo_chart
from engine.cli import main
from engine.evaluate import evaluate
from engine.explain import explain
from engine.ledger import ledger
from engine.record import current_user
from engine.render import render_explanation
from engine.timeline import parse_step, timeline
from engine.validate import load_facts, load_pack
from engine.web.accounts import add_user, check_password, read_users
from engine.web.app import create_app
from engine.web.settings import WebSettings
from engine.whatif import Change, apply, diff

BASELINE = "2021-02-baseline.yaml"
COOPERATES = "scenarios/cooperates.yaml"
AS_OF = "2021-02-12"
SITE = "http://127.0.0.1"  # the name the page is addressed by on loopback
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def facts_dir(tmp_path: Path) -> Path:
    """A copy of the repository's facts folder: fact entry writes into it."""
    folder = tmp_path / "facts"
    shutil.copytree(FACTS, folder)
    return folder


@pytest.fixture
def settings(tmp_path: Path, facts_dir: Path) -> WebSettings:
    return WebSettings(rules=RULES, facts=facts_dir, audit_db=tmp_path / "audit.sqlite", users=tmp_path / "users.json")


@pytest.fixture
def client(settings: WebSettings) -> TestClient:
    return TestClient(create_app(settings), base_url=SITE)


def token(client: TestClient, path: str = "/") -> str:
    found = CSRF.search(client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found[1]


def text_of(page: str) -> str:
    """The page's text, tags dropped and entities read: what a reader sees, for comparing with engine output."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def evaluate_page(client: TestClient, *files: str, as_of: str | None = AS_OF) -> str:
    data: dict[str, object] = {"csrf": token(client), "f": list(files)}
    if as_of:
        data["as_of"] = as_of
    response = client.post("/evaluate", data=data)
    assert response.status_code == 200, response.text
    return response.text


# --- evaluate ---------------------------------------------------------------------------------------------

def test_the_evaluate_page_offers_the_fact_set_with_the_folders_own_files_ticked(client: TestClient) -> None:
    page = client.get("/").text
    assert re.search(rf'value="{re.escape(BASELINE)}" checked', page)
    assert re.search(rf'value="{re.escape(COOPERATES)}" >', page)  # offered, not ticked


def test_the_memo_is_the_evaluation_of_the_chosen_files_and_is_recorded(client: TestClient,
                                                                        settings: WebSettings) -> None:
    from engine.ledger import ledger as ledger_of
    from engine.memo import build_memo

    pack = load_pack(RULES)
    for files, as_of in (([BASELINE], AS_OF), ([BASELINE, COOPERATES], "2021-07-01")):
        facts = load_facts([settings.facts / f for f in files], pack)
        day = dt.date.fromisoformat(as_of)
        expected = evaluate(pack, facts, day)
        memo = build_memo(expected, pack, facts, ledger_of(pack, facts, day), recorded=True)
        raw = evaluate_page(client, *files, as_of=as_of)
        page = text_of(raw)
        for line in memo.bottom_line:
            assert line in page
        assert f"Pakistan's cooperation level: {expected.value_of('cooperation_level')}" in page
        for response in expected.responses:
            assert response.text in page
        assert memo.evidence
        for evidence in memo.evidence:  # each counting fact with its source, date and grade
            assert re.search(rf"{re.escape(evidence.id)}.*?{re.escape(evidence.source_title)}\s*"
                             rf"{evidence.source_date}\s*{evidence.grade}", page, re.S)
        assert ("HYPOTHETICAL — built on" in page) == (COOPERATES in files)
        # the timeline chart, drawn by engine.chart: an image of its own, the memo's as `--format html` embeds it
        found = re.search(r'<figure class="chart"><img src="([^"]+)"', raw)
        assert found
        chart = client.get(html.unescape(found[1]))
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
        assert chart.text == draw_memo_chart(pack, facts, day)
    from engine.audit import AuditStore

    with AuditStore.open(settings.audit_db, create=False) as store:
        runs = store.find()
    assert [str(r.as_of) for r in runs] == [AS_OF, "2021-07-01"]
    assert {r.user for r in runs} == {current_user()}  # on loopback, the user the server runs as, like the CLI


def test_the_memo_to_send_is_the_recorded_runs_standalone_page(client: TestClient) -> None:
    page = evaluate_page(client, BASELINE)
    link = re.search(r'href="([^"]+)" id="sendable"', page)
    assert link
    sent = client.get(link[1])
    run = re.search(r"/audit/runs/([0-9a-f]+)/memo", link[1])
    assert sent.status_code == 200 and run
    assert sent.text.startswith("<!DOCTYPE html>") and "<svg" in sent.text
    assert f"recorded in the audit trail as run {run[1]}" in sent.text
    unrecorded = client.get(f"/memo?f={BASELINE}&as_of={AS_OF}").text
    assert "Bottom line" in unrecorded and "recorded in the audit trail" not in unrecorded


def test_scenario_files_are_labelled_hypothetical(client: TestClient) -> None:
    page = client.get("/").text
    assert re.search(rf"<code>{re.escape(COOPERATES)}</code> <span class=\"tag\">hypothetical</span>", page)
    assert not re.search(rf"<code>{re.escape(BASELINE)}</code> <span class=\"tag\">", page)


def test_each_response_links_to_its_explanation(client: TestClient) -> None:
    page = evaluate_page(client, BASELINE)
    assert html.escape(f"/explain?f={BASELINE}&as_of={AS_OF}&target=fatf.keep_listed") in page


def test_a_memo_without_a_date_is_as_of_today_and_says_so(client: TestClient) -> None:
    page = text_of(evaluate_page(client, BASELINE, as_of=None))
    assert f"as of {dt.date.today()} (today: no date was given)" in page  # the page's own line
    assert f"AS OF {dt.date.today()}: today" in page  # and the memo's banner


def test_without_audit_nothing_is_recorded(tmp_path: Path, facts_dir: Path) -> None:
    quiet = WebSettings(rules=RULES, facts=facts_dir, audit_db=tmp_path / "none.sqlite", record=False)
    assert "not recorded" in evaluate_page(TestClient(create_app(quiet), base_url=SITE), BASELINE)
    assert not (tmp_path / "none.sqlite").exists()


@pytest.mark.parametrize(("query", "said"), [
    ("f=../../etc/passwd", "no fact file '../../etc/passwd' in the facts folder"),
    ("f=2021-02-basline.yaml", "did you mean"),
    ("as_of=2021-02-30", "as_of: expected a date as YYYY-MM-DD; found '2021-02-30'"),
    ("target=fatf.keep_lsted", "did you mean"),
])
def test_bad_input_is_a_page_that_says_what_and_where(client: TestClient, query: str, said: str) -> None:
    response = client.get(f"/explain?{query}")
    assert response.status_code == 400
    assert said in html.unescape(response.text)
    assert "Traceback" not in response.text


def test_a_broken_fact_file_is_reported_with_its_file_and_line(client: TestClient, facts_dir: Path) -> None:
    (facts_dir / "broken.yaml").write_text("facts:\n  - id: x\n    kind: nonsense\n", encoding="utf-8")
    response = client.get("/ledger?f=broken.yaml")
    assert response.status_code == 400
    assert re.search(r"broken\.yaml:3:\d+: unknown-kind: unknown kind 'nonsense'", html.unescape(response.text))


def test_an_internal_failure_is_a_page_without_a_traceback(settings: WebSettings,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.web import pages

    def fail(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pages, "evaluate", fail)
    client = TestClient(create_app(settings), base_url=SITE, raise_server_exceptions=False)
    response = client.post("/evaluate", data={"csrf": token(client), "f": [BASELINE], "as_of": AS_OF})
    assert response.status_code == 500
    assert "internal error: RuntimeError: boom" in response.text
    assert "Traceback" not in response.text


# --- enter a fact -----------------------------------------------------------------------------------------

GOOD = {"kind": "violence_trend", "file": "2021-04-update.yaml", "id": "unama-2021-q2", "observed": "2021-04-14",
        "change_pct": "-38", "window_days": "90", "metric": "civilian_casualties", "source.title": "UNAMA quarterly",
        "source.ref": "https://example.org/unama", "source.date": "2021-04-14", "reliability": "B",
        "credibility": "2"}


def field_error(page: str, name: str) -> str | None:
    """The message shown in the field `name`'s own row, next to its input."""
    row = re.search(rf'<div class="field invalid">\s*<label for="field-{re.escape(name)}">.*?</div>', page, re.S)
    if row is None:
        return None
    message = re.search(rf'<span class="error" id="error-{re.escape(name)}">([^<]*)</span>', row[0])
    return html.unescape(message[1]) if message else None


def test_the_form_asks_what_facts_add_asks(client: TestClient) -> None:
    from engine.entry import questions

    page = client.get("/facts/new?kind=fatf_status").text
    for question in questions(load_pack(RULES), "fatf_status"):
        assert f'name="{question.name}"' in page


@pytest.mark.parametrize(("name", "value", "said"), [
    ("observed", "2021-13-01", "month must be in 1..12"),
    ("change_pct", "a lot", "expected number"),
    ("window_days", "0", "violence_trend.window_days:"),  # the fact model's own check, put back at its field
    ("valid_until", "2021-01-01", "valid_until 2021-01-01 is before observed 2021-04-14"),
    ("id", "base-sigar-2020-q3-attacks", "already used at 2021-02-baseline.yaml:"),
    ("id", "bad id!", "use letters, digits"),
    ("source.title", "", "required"),
    ("file", "../outside.yaml", "a file name in the facts folder"),
])
def test_a_bad_answer_is_shown_at_its_field_and_nothing_is_written(client: TestClient, facts_dir: Path, name: str,
                                                                   value: str, said: str) -> None:
    before = {p: p.read_bytes() for p in facts_dir.rglob("*.yaml")}
    response = client.post("/facts/new", data={**GOOD, name: value, "csrf": token(client, "/facts/new")})
    assert response.status_code == 422
    shown = field_error(response.text, name)
    assert shown is not None and said in shown, response.text
    assert {p: p.read_bytes() for p in facts_dir.rglob("*.yaml")} == before


def test_a_good_fact_is_appended_exactly_as_facts_add_appends_it(client: TestClient, facts_dir: Path,
                                                                 tmp_path: Path) -> None:
    response = client.post("/facts/new", data={**GOOD, "csrf": token(client, "/facts/new")})
    assert response.status_code == 200
    assert "Added unama-2021-q2 (violence_trend) to 2021-04-update.yaml" in text_of(response.text)
    by_cli = tmp_path / "cli"
    shutil.copytree(FACTS, by_cli)
    values = [f"{k}={v}" for k, v in GOOD.items() if k not in ("kind", "file")]
    assert main(["facts", "add", "--file", str(by_cli / GOOD["file"]), "--kind", GOOD["kind"], "--no-input",
                 "--rules", str(RULES), *(a for v in values for a in ("--value", v))]) == 0
    written = (facts_dir / GOOD["file"]).read_text(encoding="utf-8")
    assert written == (by_cli / GOOD["file"]).read_text(encoding="utf-8")
    facts = load_facts([facts_dir], load_pack(RULES))
    assert [f.fields for f in facts if f.id == "unama-2021-q2"] == [
        {"change_pct": -38, "window_days": 90, "metric": "civilian_casualties"}]


# --- explain, what-if, timeline, ledger -------------------------------------------------------------------

def test_explain_shows_the_explanation_of_the_engine(client: TestClient, settings: WebSettings) -> None:
    pack = load_pack(RULES)
    facts = load_facts([settings.facts / BASELINE], pack)
    for target in ("fatf.keep_listed", "fatf.support_removal", "cooperation_level"):
        expected = render_explanation(explain(pack, facts, dt.date.fromisoformat(AS_OF), target))
        page = client.get(f"/explain?f={BASELINE}&as_of={AS_OF}&target={target}")
        assert page.status_code == 200
        assert expected in html.unescape(page.text)


def test_what_if_retracts_the_unticked_facts(client: TestClient, settings: WebSettings) -> None:
    pack = load_pack(RULES)
    facts = load_facts([settings.facts / BASELINE], pack)
    day = dt.date.fromisoformat(AS_OF)
    dropped = "base-yusuf-claims-inability"
    expected = diff(pack, evaluate(pack, facts, day), evaluate(pack, apply(facts, [Change(op="retract", fact=dropped)]),
                                                               day))
    assert expected.lost  # the test means something only if dropping it changes the recommendation
    kept = "&".join(f"on={f.id}" for f in facts if f.id != dropped)
    page = text_of(client.get(f"/whatif?f={BASELINE}&as_of={AS_OF}&toggled=1&{kept}").text)
    assert f"retract {dropped}" in page
    assert (f"Pakistan's cooperation level: {expected.headline_before['cooperation_level']} → "
            f"{expected.headline_after['cooperation_level']}") in page
    for response in expected.lost:
        assert f"− {response}" in page
    untouched = text_of(client.get(f"/whatif?f={BASELINE}&as_of={AS_OF}").text)
    assert "All facts are on" in untouched and f"retract {dropped}" not in untouched


def test_the_timeline_lists_every_change_the_engine_finds(client: TestClient, settings: WebSettings) -> None:
    pack = load_pack(RULES)
    facts = load_facts([settings.facts / BASELINE, settings.facts / COOPERATES], pack)
    expected = timeline(pack, facts, dt.date(2021, 2, 1), dt.date(2021, 7, 1), parse_step("2w"))
    page = client.get(f"/timeline?f={BASELINE}&f={COOPERATES}&as_of=2021-07-01&from=2021-02-01&to=2021-07-01"
                      "&step=2w").text
    rows = re.findall(r'<tr class="(\w+)"><td>(\d{4}-\d\d-\d\d)</td>', page)
    start = expected.points[0].date  # as `timeline` prints: the start, then what changed after it
    assert rows == [("start", str(start))] + [(e.change, str(e.date)) for e in expected.events
                                              if e.date > start or e.change in ("commitment", "deadline")]
    assert any(e.change == "headline" for e in expected.events)
    assert f"{len(expected.points)} evaluations from 2021-02-01 to 2021-07-01, every {expected.step.text}." in page


def test_the_ledger_shows_each_commitments_state(client: TestClient, settings: WebSettings) -> None:
    pack = load_pack(RULES)
    facts = load_facts([settings.facts / BASELINE, settings.facts / COOPERATES], pack)
    owed = ledger(pack, facts, dt.date(2021, 7, 1))
    assert owed.commitments
    page = client.get(f"/ledger?f={BASELINE}&f={COOPERATES}&as_of=2021-07-01").text
    for commitment in owed.commitments:
        section = re.search(rf'<section class="commitment state-(\w+)" id="commitment-{re.escape(commitment.id)}"',
                            page)
        assert section and section[1] == commitment.state


# --- the audit trail --------------------------------------------------------------------------------------

def test_the_audit_page_lists_runs_shows_one_and_verifies_the_chain(client: TestClient,
                                                                    settings: WebSettings) -> None:
    assert "No records yet" in client.get("/audit").text
    evaluate_page(client, BASELINE)
    evaluate_page(client, BASELINE, COOPERATES, as_of="2021-07-01")
    listing = client.get("/audit").text
    runs = re.findall(r'/audit/runs/([0-9a-f]+)', listing)
    assert len(runs) == 2
    pack = load_pack(RULES)
    levels = [evaluate(pack, load_facts([settings.facts / f for f in files], pack), dt.date.fromisoformat(day))
              .value_of("cooperation_level") for files, day in (([BASELINE, COOPERATES], "2021-07-01"),
                                                                ([BASELINE], AS_OF))]
    assert re.findall(r'<td class="headline">([^<]*)</td>', listing) == levels  # newest first, told apart
    record = client.get(f"/audit/runs/{runs[0]}").text
    assert "Audit record #2" in record and "as of 2021-07-01" in record
    verified = client.post("/audit/verify", data={"csrf": token(client, "/audit")}).text
    assert "ok: 2 records, chain intact" in verified
    with sqlite3.connect(settings.audit_db) as db:  # an edit behind the store's back, its triggers dropped first
        db.execute("DROP TRIGGER records_no_update")
        db.execute("UPDATE records SET as_of = '2021-01-01' WHERE seq = 1")
    tampered = client.post("/audit/verify", data={"csrf": token(client, "/audit")}).text
    assert "TAMPERED: record #1" in tampered
    assert client.get("/audit/runs/ffffffff").status_code == 400


# --- security ---------------------------------------------------------------------------------------------

def routes(app: object, method: str) -> list[str]:
    return sorted({r.path.replace("{run}", "abc") for r in app.routes  # type: ignore[attr-defined]
                   if isinstance(r, Route) and r.methods and method in r.methods})


def test_a_store_url_is_shown_without_its_password() -> None:
    from engine.audit import store_name

    assert store_name("postgresql://team:s3cret@db.example:5433/trail") == "postgresql://team:***@db.example:5433/trail"
    assert store_name("postgresql://team@db.example/trail?password=s3cret") == "postgresql://team@db.example/trail?password=***"
    assert store_name("/home/me/audit.sqlite") == "/home/me/audit.sqlite"


def test_on_loopback_a_request_for_another_host_name_is_refused(client: TestClient) -> None:
    assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200
    rebound = client.get("/", headers={"host": "attacker.example"})  # a name made to resolve to 127.0.0.1
    assert rebound.status_code == 400 and "Invalid host header" in rebound.text


def test_every_post_without_or_with_a_wrong_csrf_token_is_refused(client: TestClient, facts_dir: Path) -> None:
    posts = routes(client.app, "POST")
    assert set(posts) >= {"/evaluate", "/facts/new", "/audit/verify", "/login", "/logout"}
    token(client)  # a session exists, with its own token
    before = {p: p.read_bytes() for p in facts_dir.rglob("*.yaml")}
    for path in posts:
        for sent in ({}, {"csrf": "forged"}):
            response = client.post(path, data={**GOOD, "f": BASELINE, **sent})
            assert response.status_code == 403, path
    assert {p: p.read_bytes() for p in facts_dir.rglob("*.yaml")} == before


@pytest.fixture
def guarded(settings: WebSettings) -> TestClient:
    add_user(settings.users, "alice", "correct horse battery")
    secured = WebSettings(rules=settings.rules, facts=settings.facts, audit_db=settings.audit_db,
                          users=settings.users, login_required=True)
    return TestClient(create_app(secured), base_url=SITE)


def sign_in(client: TestClient, user: str, password: str, next_: str = "/") -> object:
    return client.post("/login", data={"csrf": token(client, "/login"), "user": user, "password": password,
                                       "next": next_}, follow_redirects=False)


def test_when_sign_in_is_required_every_page_refuses_an_anonymous_request(guarded: TestClient) -> None:
    for path in routes(guarded.app, "GET"):
        response = guarded.get(path, follow_redirects=False)
        if path in ("/login", "/style.css"):
            assert response.status_code == 200, path
        else:
            assert response.status_code == 303, path
            assert response.headers["location"].startswith(f"{SITE}/login?next="), path
    token(guarded, "/login")
    for path in routes(guarded.app, "POST"):
        if path != "/login":
            assert guarded.post(path, data={"csrf": token(guarded, "/login")}).status_code == 401, path


def test_a_wrong_password_or_unknown_user_is_refused(guarded: TestClient) -> None:
    for user, password in (("alice", "wrong password"), ("mallory", "correct horse battery"), ("alice", "")):
        response = sign_in(guarded, user, password)
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert "unknown user or wrong password" in response.text  # type: ignore[attr-defined]
        assert guarded.get("/audit", follow_redirects=False).status_code == 303


def test_the_signed_in_user_is_the_one_the_audit_trail_names(guarded: TestClient, settings: WebSettings) -> None:
    response = sign_in(guarded, "alice", "correct horse battery", "/audit")
    assert response.status_code == 303 and response.headers["location"] == "/audit"  # type: ignore[attr-defined]
    assert "signed in as <b>alice</b>" in guarded.get("/").text
    evaluate_page(guarded, BASELINE)
    run = re.findall(r'/audit/runs/([0-9a-f]+)', guarded.get("/audit").text)[0]
    assert re.search(r'id="recorded-by">alice<', guarded.get(f"/audit/runs/{run}").text)
    guarded.post("/logout", data={"csrf": token(guarded)})
    assert guarded.get("/", follow_redirects=False).status_code == 303


def test_after_sign_in_only_a_path_on_this_site_is_followed(guarded: TestClient) -> None:
    for elsewhere in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = sign_in(guarded, "alice", "correct horse battery", elsewhere)
        assert response.headers["location"] == "/"  # type: ignore[attr-defined]


def test_accounts_are_stored_as_argon2_hashes(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_user(users, "bob", "a long passphrase")
    stored = read_users(users)
    assert stored["bob"].startswith("$argon2id$") and "a long passphrase" not in users.read_text()
    assert check_password(stored, "bob", "a long passphrase") and not check_password(stored, "bob", "another one")
    assert users.stat().st_mode & 0o077 == 0


# --- the command ------------------------------------------------------------------------------------------

def test_serving_beyond_loopback_without_accounts_is_refused(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["serve", "--host", "0.0.0.0", "--users", str(tmp_path / "none.json")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--host: no-accounts:" in err and "commitments serve --add-user NAME" in err


def test_add_user_reads_the_password_from_standard_input(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    command = [sys.executable, "-m", "engine", "serve", "--add-user", "carol", "--users", str(users)]
    done = subprocess.run(command, input="a good passphrase\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and f"added carol to {users}" in done.stdout
    assert check_password(read_users(users), "carol", "a good passphrase")
    short = subprocess.run(command, input="short\n", capture_output=True, text=True, timeout=60)
    assert short.returncode == 2 and "weak-password" in short.stderr
    assert check_password(read_users(users), "carol", "a good passphrase")


def test_the_other_commands_do_not_load_the_web_stack() -> None:
    probe = ("import sys; from engine.cli import main; main(['evaluate', '--no-audit', '--as-of', '2021-02-12']); "
             "print([m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'jinja2', 'argon2')])")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=FACTS.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_serve_starts_on_loopback_and_serves_the_page(tmp_path: Path) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:  # a port free a moment ago; the server takes it next
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "engine", "serve", "--port", str(port), "--rules", str(RULES), "--facts",
               str(FACTS), "--audit-db", str(tmp_path / "audit.sqlite")]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.startswith(f"commitments serve: http://127.0.0.1:{port}/ (this machine only)")
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                    assert response.status == 200 and BASELINE in response.read().decode()
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_page_records_to_and_verifies_a_team_store_on_postgresql(pg_url: str, facts_dir: Path) -> None:
    client = TestClient(create_app(WebSettings(rules=RULES, facts=facts_dir, audit_db=pg_url)), base_url=SITE)
    assert "No records yet" in client.get("/audit").text
    evaluate_page(client, BASELINE)
    listing = client.get("/audit").text
    runs = re.findall(r'/audit/runs/([0-9a-f]+)"', listing)
    assert len(runs) == 1 and "postgresql://" in listing
    assert "Audit record #1" in client.get(f"/audit/runs/{runs[0]}").text
    assert "ok: 1 records, chain intact" in client.post("/audit/verify", data={"csrf": token(client, "/audit")}).text
