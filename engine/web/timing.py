"""Server timing: `ServerTiming` wraps the app and gives each response a `Server-Timing` header saying how
long the server took to answer it (`app;dur=MS`, from the request reaching the app to its response starting),
preceded by the phases a page timed with `phase(name)` (`inputs;dur=…, evaluate;dur=…`) and followed by the
processor time the server's thread spent meanwhile (`cpu;dur=MS`: where it is well below `app`, the request
waited — for the disk, or for a machine busy with other work).

Browsers' developer tools show the header beside each request, and bench/web.py (W6) reads it: the server's
own time, apart from the network and the client. An internal error's page has none: Starlette makes it
outside every middleware. It tells nothing the response's own latency does not: the
sign-in page checks a password for an unknown name as long as for a known one (engine.web.accounts).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "Server-Timing"

# The phases timed so far in this request: set by the middleware, appended to by `phase`.
_PHASES: ContextVar[list[tuple[str, float]] | None] = ContextVar("phases", default=None)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block as a phase of the request's answer (nothing outside a request served by ServerTiming)."""
    phases = _PHASES.get()
    start = time.perf_counter()
    try:
        yield
    finally:
        if phases is not None:
            phases.append((name, time.perf_counter() - start))


def header_value(phases: list[tuple[str, float]], total: float, cpu: float | None = None) -> str:
    """`name;dur=MS, …, app;dur=MS, cpu;dur=MS` (milliseconds with a tenth, as the Server-Timing syntax has it)."""
    metrics = [*phases, ("app", total)] + ([("cpu", cpu)] if cpu is not None else [])
    return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in metrics)


def parse(value: str) -> dict[str, float]:
    """A Server-Timing header's metrics with their durations in milliseconds (a metric without one left out)."""
    metrics: dict[str, float] = {}
    for metric in value.split(","):
        name, *params = (part.strip() for part in metric.split(";"))
        for param in params:
            key, _, number = param.partition("=")
            if key.strip() == "dur" and name:
                with suppress(ValueError):  # not a number: a metric without a duration
                    metrics[name] = float(number.strip())
    return metrics


class ServerTiming:
    """The outermost middleware, so that its time covers everything the app does for a request: host check,
    session, sign-in, the page. The handlers do the engine's work without awaiting (engine.web.pages), so once
    a request's body is in, its time is its own work; a body sent after the headers is waited for, and
    meanwhile the server may work on another request (then `cpu` counts that work too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, cpu = time.perf_counter(), time.thread_time()
        phases: list[tuple[str, float]] = []
        token = _PHASES.set(phases)

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = header_value(phases, time.perf_counter() - start, time.thread_time() - cpu)
                MutableHeaders(scope=message).append(HEADER, took)
            await send(message)

        try:
            await self.app(scope, receive, timed)
        finally:
            _PHASES.reset(token)
