"""Who is asking, and whether a request may go on: the sign-in a page reachable from other machines
requires, and the CSRF token every POST form carries (on loopback too: another site open in the same
browser must not be able to record evaluations or write facts in the analyst's name)."""

from __future__ import annotations

import secrets

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.record import current_user
from engine.web.settings import WebSettings

# Pages anybody may load: the sign-in page itself and the stylesheet it uses.
OPEN_PATHS = frozenset({"/login", "/style.css"})


def csrf_token(request: Request) -> str:
    """The session's token, made on first use: every form the page renders carries it."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The submitted form, once its CSRF token is the session's; 403 otherwise."""
    form = await request.form()
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "the form's security token is missing or out of date: reload the page and "
                                 "submit it again")
    return form


def signed_in(request: Request) -> str | None:
    user = request.session.get("user")
    return user if isinstance(user, str) else None


def audit_user(request: Request, settings: WebSettings) -> str:
    """Who the audit trail names: the signed-in analyst, or on loopback the user the server runs as (as the
    command line records)."""
    return (signed_in(request) if settings.login_required else None) or current_user()


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never `//elsewhere` or a full URL)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


class LoginRequired:
    """Refuses every request but the sign-in page's until a user has signed in: a GET is sent to the sign-in
    page, anything else is 401. Runs inside the session middleware, so it can read who is signed in."""

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.settings.login_required or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if signed_in(request):
            await self.app(scope, receive, send)
            return
        if request.method in ("GET", "HEAD"):
            wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response: PlainTextResponse | RedirectResponse = RedirectResponse(
                request.url_for("login").include_query_params(next=wanted), status_code=303)
        else:
            response = PlainTextResponse("sign in first", status_code=401)
        await response(scope, receive, send)
