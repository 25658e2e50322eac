"""The pages: each reads its request, calls the same functions as its command (`evaluate`, `explain`,
`whatif`, `timeline`, `ledger`, `audit`) and hands the results to a template. Nothing here evaluates,
decides or stores by itself.

durable_rules keeps one host for the whole process: the handlers are coroutines that do the engine's work
without awaiting, so the event loop runs one evaluation at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from engine import audit
from engine.errors import InputError
from engine.evaluate import evaluate, facts_digest
from engine.loader import one_run
from engine.model import Fact, Pack
from engine.record import AuditFilter, entry_for
from engine.web import security
from engine.web.accounts import check_password, read_users
from engine.web.entry_form import FORM, entered_kinds, fields_of, submit
from engine.web.kept import Inputs
from engine.web.selection import Selection, choose, fact_set, inputs, parse_date
from engine.web.settings import WebSettings
from engine.web.timing import phase


def _settings(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


def _kept(request: Request) -> Inputs:
    kept: Inputs = request.app.state.inputs
    return kept


def _inputs(request: Request, selection: Selection) -> tuple[Pack, list[Fact]]:
    return inputs(_settings(request), _kept(request), selection)


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """A template rendered with what every page shows: the nav bar, the signed-in user, the CSRF token."""
    settings = _settings(request)
    context.setdefault("selection", None)
    # an internal error is handled outside the session middleware: that page has no session to show
    session = "session" in request.scope
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, {"user": security.signed_in(request) if session else None,
                            "login_required": settings.login_required,
                            "csrf": security.csrf_token(request) if session else "",
                            "nav_query": _nav_query(context["selection"]), **context}, status_code=status)
    return response


def _nav_query(selection: Selection | None) -> str:
    return f"?{selection.query()}" if selection else ""


def _selected(request: Request, params: Any = None) -> Selection:
    params = request.query_params if params is None else params
    return choose(_settings(request), _kept(request), [str(f) for f in params.getlist("f")], params.get("as_of"))


def _choices(request: Request, selection: Selection | None) -> list[dict[str, Any]]:
    chosen = set(selection.files) if selection else set()
    return [{"name": f.name, "default": f.default, "hypothetical": f.hypothetical,
             "checked": f.name in chosen if selection else f.default}
            for f in fact_set(_settings(request).facts, _kept(request))]


# --- evaluate ---------------------------------------------------------------------------------------------

async def home(request: Request) -> Response:
    selection = _selected(request) if request.query_params else None
    return page(request, "evaluate.html", files=_choices(request, selection),
                as_of=selection.as_of.isoformat() if selection else dt.date.today().isoformat())


async def run_evaluation(request: Request) -> Response:
    """`commitments evaluate`, recorded in the audit trail under the user who asked, shown as its memo. The
    memo's chart is an image of its own (`chart_image`): the answer does not wait for a year of evaluations
    to be drawn."""
    from engine.ledger import ledger
    from engine.memo import build_memo, render_memo_body

    form = await security.checked_form(request)
    settings = _settings(request)
    with phase("select"):
        selection = _selected(request, form)
    with one_run():
        with phase("inputs"):
            pack, facts = _inputs(request, selection)
        with phase("evaluate"):
            evaluation = evaluate(pack, facts, selection.as_of)
        with phase("ledger"):
            owed = ledger(pack, facts, evaluation.as_of) if pack.commitments else None
        run_id = None
        if settings.record:
            with phase("record"), audit.AuditStore.open(audit.audit_path(settings.audit_db)) as store:
                entry = entry_for(evaluation, pack, facts, owed, user=security.audit_user(request, settings))
                run_id = store.append(entry).run_id
    with phase("memo"):
        memo = build_memo(evaluation, pack, facts, owed, selection.defaulted, recorded=run_id is not None)
        sendable = (request.url_for("run_memo", run=run_id) if run_id
                    else f"{request.url_for('memo')}?{selection.query()}")
        # the digests the memo was made from: the chart drawn for this URL is this memo's, or none
        chart = f"{request.url_for('chart')}?{selection.query(pack=pack.digest, facts=evaluation.facts_digest)}"
        explain_href = f"{request.url_for('explain')}?{{}}"
        body = render_memo_body(memo, None, lambda response: explain_href.format(selection.query(target=response)),
                                chart_src=chart)
        return page(request, "memo.html", selection=selection, memo=memo, body=body, sendable=str(sendable),
                    run_id=run_id, files=_choices(request, selection))


async def chart_image(request: Request) -> Response:
    """The memo's chart of the chosen facts as of the date (engine.chart, as `evaluate --format html` embeds it),
    an SVG of its own. Given the digests of the pack and facts a memo was made from, it is that memo's chart or
    a 409 once the files have changed since, and may be kept by the browser: its URL names its content."""
    from engine.chart import memo_chart, nothing_to_chart

    selection = _selected(request)
    with one_run():
        pack, facts = _inputs(request, selection)
        wanted = request.query_params.get("pack"), request.query_params.get("facts")
        if any(wanted) and wanted != (pack.digest, facts_digest(facts)):
            raise HTTPException(409, "the pack or the fact files have changed since this memo was made: evaluate "
                                     "again for the chart of what they say now")
        svg = memo_chart(pack, facts, selection.as_of) or nothing_to_chart()
    kept = "private, max-age=86400, immutable" if all(wanted) else "no-cache"
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": kept})


async def memo_page(request: Request) -> Response:
    """The memo to send, as `evaluate --format html` writes it, of the chosen facts (not recorded: a GET)."""
    from engine.ledger import ledger
    from engine.render import render_html

    selection = _selected(request)
    with one_run():
        pack, facts = _inputs(request, selection)
        evaluation = evaluate(pack, facts, selection.as_of)
        owed = ledger(pack, facts, evaluation.as_of) if pack.commitments else None
        text = render_html(evaluation, pack, selection.defaulted, facts, owed, recorded=False)
    return HTMLResponse(text)


# --- enter a fact -----------------------------------------------------------------------------------------

async def fact_form(request: Request) -> Response:
    settings = _settings(request)
    with one_run():
        pack = _kept(request).pack(settings.rules)
    kinds = entered_kinds(pack)
    kind = request.query_params.get("kind") or kinds[0]
    if kind not in kinds:
        kind = kinds[0]
    return page(request, "fact.html", kinds=kinds, kind=kind, questions=fields_of(pack, kind), values={},
                errors={}, file=request.query_params.get("file", "web-entries.yaml"), files=_writable(request))


async def add_fact(request: Request) -> Response:
    """`commitments facts add`, answered by a form: refused at the field, or appended as `facts add` does."""
    form = await security.checked_form(request)
    settings = _settings(request)
    with one_run():
        pack = _kept(request).pack(settings.rules)
        kinds = entered_kinds(pack)
        kind = str(form.get("kind", ""))
        if kind not in kinds:
            return page(request, "fact.html", 422, kinds=kinds, kind=kinds[0], questions=fields_of(pack, kinds[0]),
                        values={}, errors={"kind": f"choose one of {', '.join(kinds)}"}, file=str(form.get("file")),
                        files=_writable(request))
        entry = submit(pack, settings.facts, kind, str(form.get("file", "")),
                       {key: str(value) for key, value in form.items()})
    status = 200 if entry.added else 422
    return page(request, "fact.html", status, kinds=kinds, kind=kind, questions=fields_of(pack, kind),
                values={} if entry.added else entry.values, errors=entry.errors, form_error=entry.errors.get(FORM),
                file=entry.file, added=entry.added, files=_writable(request))


def _writable(request: Request) -> list[str]:
    """The files directly in the facts folder: where `evaluate` finds a new fact without being told."""
    return [f.name for f in fact_set(_settings(request).facts, _kept(request)) if f.default]


# --- explain, what-if, timeline, ledger -------------------------------------------------------------------

async def explain_page(request: Request) -> Response:
    from engine.explain import explain
    from engine.render import render_explanation

    selection = _selected(request)
    target = request.query_params.get("target", "").strip()
    with one_run():
        pack, facts = _inputs(request, selection)
        explanation = explain(pack, facts, selection.as_of, target) if target else None
    return page(request, "explain.html", selection=selection, pack=pack, target=target, explanation=explanation,
                text=render_explanation(explanation) if explanation else "")


async def whatif_page(request: Request) -> Response:
    """`commitments whatif --drop …` by checkbox: each fact left unticked is retracted, and the difference shown."""
    from engine.render import render_diff
    from engine.whatif import Change, apply, diff

    selection = _selected(request)
    with one_run():
        pack, facts = _inputs(request, selection)
        toggled = "toggled" in request.query_params
        kept = set(request.query_params.getlist("on")) if toggled else {f.id for f in facts}
        changes = [Change(op="retract", fact=f.id) for f in facts if f.id not in kept]
        before = evaluate(pack, facts, selection.as_of)
        after = evaluate(pack, apply(facts, changes), selection.as_of)
        result = diff(pack, before, after)
    return page(request, "whatif.html", selection=selection, pack=pack, facts=facts, kept=kept, changes=changes,
                result=result, after=after, text=render_diff(result, changes, pack) if changes else "",
                counted=set(before.counted))


async def timeline_page(request: Request) -> Response:
    from engine.chart import timeline_svg
    from engine.timeline import parse_step, timeline

    selection = _selected(request)
    with one_run():
        pack, facts = _inputs(request, selection)
        end = parse_date(request.query_params.get("to"), "to") or selection.as_of
        # by default from the first fact, but at most a year back: a weekly step stays some fifty evaluations
        first = min((f.observed for f in facts), default=end)
        start = parse_date(request.query_params.get("from"), "from") or max(first, end - dt.timedelta(days=365))
        step_text = request.query_params.get("step") or "7d"
        result = timeline(pack, facts, start, end, parse_step(step_text))
        chart = timeline_svg(result, pack) if result.points else None
    return page(request, "timeline.html", selection=selection, pack=pack, result=result, start=start, end=end,
                step=step_text, chart=chart, kinds=[h.kind for h in pack.headline])


async def ledger_page(request: Request) -> Response:
    from engine.ledger import ledger
    from engine.ledger_view import STATE_MARK

    selection = _selected(request)
    with one_run():
        pack, facts = _inputs(request, selection)
        owed = ledger(pack, facts, selection.as_of)
    return page(request, "ledger.html", selection=selection, pack=pack, ledger=owed, marks=STATE_MARK)


# --- the audit trail --------------------------------------------------------------------------------------

def _trail(settings: WebSettings) -> audit.AuditStore | None:
    """The audit store, or None when nothing was recorded yet (no store there): the page says so."""
    try:
        return audit.AuditStore.open(audit.audit_path(settings.audit_db), create=False)
    except InputError as error:
        if error.problems[0].code == "no-audit-store":
            return None
        raise


async def audit_page(request: Request, verification: str | None = None, intact: bool | None = None) -> Response:
    settings = _settings(request)
    runs = []
    store = _trail(settings)
    if store is not None:
        with store:
            runs = store.find(AuditFilter())
    return page(request, "audit.html", runs=list(reversed(runs)), verification=verification, intact=intact,
                store=audit.store_name(audit.audit_path(settings.audit_db)))


async def verify_trail(request: Request) -> Response:
    """`commitments audit verify`: walk the hash chain, say intact or name the first record that is not."""
    from engine.trail import render_verification

    await security.checked_form(request)
    store = _trail(_settings(request))
    if store is None:
        return await audit_page(request, "no records yet: nothing to verify", True)
    with store:
        verification = store.verify()
    return await audit_page(request, render_verification(verification), verification.ok)


async def audit_run(request: Request) -> Response:
    """`commitments audit show RUN`: the trail as recorded, never re-read from today's files."""
    from engine import replay, trail

    with audit.AuditStore.open(audit.audit_path(_settings(request).audit_db), create=False) as store:
        record, pack, _ = replay.recorded(store, request.path_params["run"])
    return page(request, "run.html", record=record, text=trail.render_show(record, pack))


async def run_memo(request: Request) -> Response:
    """The memo to send of a recorded run, rebuilt from its record (its result, facts and ledger as sealed)."""
    from engine import replay
    from engine.render import render_html

    with audit.AuditStore.open(audit.audit_path(_settings(request).audit_db), create=False) as store:
        record, pack, facts = replay.recorded(store, request.path_params["run"])
    return HTMLResponse(render_html(record.result, pack, False, facts, record.ledger, recorded=True))


# --- signing in -------------------------------------------------------------------------------------------

async def login_form(request: Request) -> Response:
    return page(request, "login.html", next=security.safe_next(request.query_params.get("next")), error=None)


async def login(request: Request) -> Response:
    form = await security.checked_form(request)
    name, password = str(form.get("user", "")), str(form.get("password", ""))
    target = security.safe_next(str(form.get("next", "")))
    if not check_password(read_users(_settings(request).users), name, password):
        return page(request, "login.html", 401, next=target, error="unknown user or wrong password", name=name)
    request.session.clear()  # a new session for the new user: nothing carried over from before signing in
    request.session["user"] = name
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    await security.checked_form(request)
    request.session.clear()
    return RedirectResponse(request.url_for("login"), status_code=303)
