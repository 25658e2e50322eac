"""The web application: `create_app(settings)` gives a Starlette app serving the pages of engine.web.pages,
with sessions in a signed cookie, sign-in when the settings require it, a `Server-Timing` header on every
answer (engine.web.timing), and every error as a page that says what was wrong (bad input with its file:line,
as the command line prints it) — never a traceback."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from engine.errors import EngineError, InputError, StoreError, TamperedError
from engine.web import pages
from engine.web.kept import Inputs
from engine.web.security import LoginRequired
from engine.web.settings import WebSettings
from engine.web.timing import ServerTiming

HERE = Path(__file__).resolve().parent


async def stylesheet(request: Request) -> Response:
    return Response((HERE / "static" / "style.css").read_text(encoding="utf-8"), media_type="text/css")


async def memo_stylesheet(request: Request) -> Response:
    from engine.web.memo_view import memo_css

    return Response(memo_css(), media_type="text/css")


async def _to_home(request: Request) -> Response:
    return RedirectResponse(request.url_for("home"), status_code=303)


async def _engine_error(request: Request, error: Exception) -> Response:
    """Bad input is the user's to fix (400, the problems as `file:line:col: code: message`); a tampered
    record is the trail's (409); an unusable store or an engine failure is ours (503, 500)."""
    assert isinstance(error, EngineError)
    status = 400 if isinstance(error, InputError) else 409 if isinstance(error, TamperedError) else \
        503 if isinstance(error, StoreError) else 500
    return pages.page(request, "error.html", status, problems=error.lines(), code=status)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return pages.page(request, "error.html", error.status_code, problems=[error.detail], code=error.status_code)


async def _internal_error(request: Request, error: Exception) -> Response:
    return pages.page(request, "error.html", 500, code=500,
                      problems=[f"internal error: {type(error).__name__}: {error}"])


def create_app(settings: WebSettings) -> Starlette:
    routes = [
        Route("/", pages.home, name="home"),
        Route("/evaluate", pages.run_evaluation, methods=["POST"], name="evaluate"),
        Route("/evaluate", _to_home, methods=["GET"]),
        Route("/memo", pages.memo_page, name="memo"),
        Route("/chart.svg", pages.chart_image, name="chart"),
        Route("/facts/new", pages.fact_form, name="fact_form"),
        Route("/facts/new", pages.add_fact, methods=["POST"], name="add_fact"),
        Route("/explain", pages.explain_page, name="explain"),
        Route("/whatif", pages.whatif_page, name="whatif"),
        Route("/timeline", pages.timeline_page, name="timeline"),
        Route("/ledger", pages.ledger_page, name="ledger"),
        Route("/audit", pages.audit_page, name="audit"),
        Route("/audit/verify", pages.verify_trail, methods=["POST"], name="verify"),
        Route("/audit/runs/{run}", pages.audit_run, name="audit_run"),
        Route("/audit/runs/{run}/memo", pages.run_memo, name="run_memo"),
        Route("/login", pages.login_form, name="login"),
        Route("/login", pages.login, methods=["POST"]),
        Route("/logout", pages.logout, methods=["POST"], name="logout"),
        Route("/style.css", stylesheet, name="style"),
        Route("/memo.css", memo_stylesheet, name="memo_style"),
    ]
    middleware = [
        Middleware(ServerTiming),  # first: its time covers every other layer
        Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)),
        Middleware(SessionMiddleware, secret_key=settings.secret, session_cookie="commitments_session",
                   same_site="strict", https_only=settings.https_only),
        Middleware(LoginRequired, settings=settings),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={
        EngineError: _engine_error, HTTPException: _http_error, Exception: _internal_error})
    app.state.settings = settings
    app.state.inputs = Inputs()
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    return app
