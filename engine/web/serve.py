"""`commitments serve`: the settings from the command's arguments, the refusal to open the page to other
machines without accounts, and uvicorn. Imported only when `serve` runs: no other command pays for it."""

from __future__ import annotations

import gc
import getpass
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.errors import InputError, Location
from engine.web.accounts import add_user, read_users
from engine.web.settings import WebSettings, is_loopback


def settings_for(rules: Path, facts: Path, audit_db: Path | str | None, host: str, users: Path,
                 record: bool = True) -> WebSettings:
    """Sign-in is required exactly when the page can be reached from another machine; then accounts must exist."""
    login_required = not is_loopback(host)
    if login_required and not read_users(users):
        raise InputError.one("no-accounts", f"serving on {host} lets other machines in, so every page asks for a "
                             f"sign-in, but there are no accounts in {users}; add one with `commitments serve "
                             f"--add-user NAME` (or use --users FILE), or serve on 127.0.0.1", Location("--host"))
    # beyond loopback the machine's names are not known here: any is served, and sign-in guards every page
    hosts = ("*",) if login_required else ("127.0.0.1", "localhost", "::1", host)
    return WebSettings(rules=rules, facts=facts, audit_db=audit_db, record=record, login_required=login_required,
                       users=users, allowed_hosts=hosts)


def read_password(name: str) -> str:
    """From the terminal without echo, or one line of standard input when it is not a terminal (a script)."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != first:
            raise InputError.one("password-mismatch", "the two passwords differ; nothing written", Location("<stdin>"))
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise InputError.one("input-ended", "expected the password on standard input; found nothing; nothing "
                             "written", Location("<stdin>"))
    return line.rstrip("\r\n")


def new_user(users: Path, name: str) -> bool:
    return add_user(users, name, read_password(name))


def warm_up() -> None:
    """What a server pays once, before its first request instead of during one: matplotlib's import (half a
    second, otherwise at the first memo's chart) and the modules the pages import when first used. Then
    everything alive is left out of the garbage collector's full passes (`gc.freeze`): some 75,000 objects
    that live as long as the process, which each full pass would walk again (60 ms or more, inside whichever
    request set it off)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: F401

    import engine.chart
    import engine.explain
    import engine.ledger
    import engine.memo
    import engine.render
    import engine.timeline
    import engine.whatif  # noqa: F401

    gc.collect()
    gc.freeze()


def run(settings: WebSettings, host: str, port: int) -> None:
    import uvicorn

    from engine.web.app import create_app

    app = create_app(settings)
    warm_up()
    uvicorn.run(app, host=host, port=port, log_level="info")


@contextmanager
def background(settings: WebSettings, host: str = "127.0.0.1") -> Iterator[str]:
    """The app served by uvicorn in a thread, on a free port of `host`, for as long as the block runs; gives its
    base URL. The browser tests and the screenshot script drive a real server with it."""
    import uvicorn

    from engine.web.app import create_app

    app = create_app(settings)
    warm_up()
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind((host, 0))  # the port is ours from here on: no race with another process choosing it
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listening.close()
