"""W6: the web page under load. `w6(...)` gives results.json's `w6` section, `section(w6)` its README part.

The real app (engine.web.app under uvicorn, as `commitments serve` builds its settings) runs in a process of
its own on a free port of 127.0.0.1, over the bundled pack and facts with a temporary audit store. A bounded
load generator (stdlib only: `make bench` installs no test extras) runs CLIENTS threads, each a browser of
its own on one keep-alive connection: it loads the Evaluate page, reads the form's CSRF token, the session
cookie and the ticked fact files as a browser does, then POSTs the form a fixed number of times, and loads
the memo's chart image as a browser would (once per URL: the URL names its content, and says so). Each
client stops after its requests or at the deadline, whichever comes first; every socket has a timeout.

Two rounds: the same evaluation repeated (the baseline as of 2021-02-12, as W1), and each request a new
as-of date, so that nothing the server keeps by date is reused. Per request it records the server's time
(the `Server-Timing` header's `app`, engine.web.timing) and the client's (request sent to body read); the
first requests of each client are warm-up, left out. Every answer is checked: 200, and the memo's
responses those `evaluate` gives in-process. Beside them, raw durable_rules (bench/raw.py) and the
engine's `evaluate` in-process, timed on the same evaluation in this process.

    .venv/bin/python bench/web.py [--quick]        # one W6 run, its section printed as JSON
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import http.client
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RULES = ROOT / "rules"
FACTS = ROOT / "facts"
AS_OF = dt.date(2021, 2, 12)
TARGET_MS = 50.0
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TICKED = re.compile(r'<input type="checkbox" name="f" value="([^"]+)" checked>')
CHART = re.compile(r'<figure class="chart"><img src="([^"]+)"')
RESPONSE = re.compile(r'[?&](?:amp;)?target=([A-Za-z0-9._:-]+)"')
Problems = list[str]


# --- the server ---------------------------------------------------------------------------------------------

def _serve(audit_db: str) -> int:
    """The server process: the app on a free port of 127.0.0.1, its URL on the first line of standard output,
    until standard input closes (the parent gone, or done)."""
    sys.path.insert(0, str(ROOT))
    from engine.web.serve import background, settings_for

    settings = settings_for(RULES, FACTS, audit_db, "127.0.0.1", Path(audit_db).with_name("users.json"))
    with background(settings) as url:
        print(url, flush=True)
        sys.stdin.read()
    return 0


@contextmanager
def server(work: Path, start_timeout: float = 60) -> Iterator[str]:
    """A server process for as long as the block runs; gives its base URL."""
    log = (work / "web-server.log").open("w", encoding="utf-8")
    process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", str(work / "web.sqlite")],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert process.stdout is not None
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(start_timeout)
        url = line[0].strip() if line else ""
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the web server did not start: {(work / 'web-server.log').read_text()[-500:]}")
        yield url
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


# --- the clients --------------------------------------------------------------------------------------------

@dataclass
class Answer:
    what: str  # "evaluate" or "chart"
    status: int
    client_ms: float
    server_ms: float | None
    phases: dict[str, float]
    warmup: bool
    problem: str | None = None
    cpu_ms: float | None = None  # the server thread's processor time within server_ms


class _Connection(http.client.HTTPConnection):
    """Headers and a form's few bytes in one send, as browsers send them: in two, the body can come after the
    server has begun the request, which then waits for it while the server works on another (and Nagle's
    algorithm with delayed acknowledgements can hold it back some 40 ms)."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if not isinstance(message_body, bytes):
            super()._send_output(message_body, encode_chunked)
            return
        self._buffer.extend((b"", b""))  # type: ignore[attr-defined]
        head = b"\r\n".join(self._buffer)  # type: ignore[attr-defined]
        del self._buffer[:]  # type: ignore[attr-defined]
        self.send(head + message_body)


@dataclass
class Browser:
    """One client: a keep-alive connection, the cookies it was given, the images it already has."""

    base: str
    timeout: float
    cookies: dict[str, str] = field(default_factory=dict)
    images: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        where = urlsplit(self.base)
        assert where.hostname in ("127.0.0.1", "::1", "localhost"), "loopback only"
        self.connection = _Connection(where.hostname, where.port, timeout=self.timeout)

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None
                ) -> tuple[int, dict[str, str], str, float]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        took = (time.perf_counter() - start) * 1000
        for value in response.headers.get_all("Set-Cookie") or ():
            jar = SimpleCookie(value)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text, took

    def close(self) -> None:
        self.connection.close()


def _answer(what: str, status: int, headers: dict[str, str], took: float, warmup: bool,
            problem: str | None = None) -> Answer:
    from engine.web.timing import parse

    metrics = parse(headers.get("server-timing", ""))
    server_ms, cpu_ms = metrics.pop("app", None), metrics.pop("cpu", None)
    if status != 200 and problem is None:
        problem = f"{what} answered {status}"
    return Answer(what, status, took, server_ms, metrics, warmup, problem, cpu_ms)


def client(base: str, dates: list[dt.date], warmup: int, expected: dict[dt.date, set[str]], deadline: float,
           start: threading.Barrier, timeout: float = 30) -> list[Answer]:
    """One browser: the form once, then an evaluation per date (the first `warmup` of them warm-up), each
    memo's chart image when it has not got it yet; stops at `deadline` (time.monotonic)."""
    browser = Browser(base, timeout)
    answers: list[Answer] = []
    try:
        status, _, page, _ = browser.request("GET", "/")
        token, files = CSRF.search(page), [html.unescape(f) for f in TICKED.findall(page)]
        if status != 200 or token is None or not files:
            raise RuntimeError(f"the Evaluate page: {status}, no form")
        for i, day in enumerate(dates):
            if i == warmup:
                start.wait(timeout)  # the measured requests of every client start together
            if time.monotonic() > deadline:
                break
            form = [("csrf", html.unescape(token[1])), *(("f", f) for f in files), ("as_of", day.isoformat())]
            status, headers, page, took = browser.request("POST", "/evaluate", form)
            got = {html.unescape(r) for r in RESPONSE.findall(page)}
            wrong = None if status != 200 or got == expected[day] else \
                f"the memo as of {day} lists {sorted(got ^ expected[day])} differently from `evaluate`"
            answers.append(_answer("evaluate", status, headers, took, i < warmup, wrong))
            image = CHART.search(page)
            if status == 200 and image is None:
                answers[-1].problem = "the memo has no chart image"
            if image is not None and (src := html.unescape(image[1])) not in browser.images:
                where = urlsplit(src)
                status, headers, svg, took = browser.request("GET", f"{where.path}?{where.query}")
                bad = None if status != 200 or svg.startswith("<svg") else "the chart is not an SVG"
                answers.append(_answer("chart", status, headers, took, i < warmup, bad))
                if "immutable" in headers.get("cache-control", ""):
                    browser.images.add(src)
    except (OSError, http.client.HTTPException, RuntimeError, threading.BrokenBarrierError) as error:
        answers.append(Answer("evaluate", 0, 0.0, None, {}, False, f"{type(error).__name__}: {error}"))
        start.abort()  # the others do not wait for this one
    finally:
        browser.close()
    return answers


def load(base: str, plan: list[list[dt.date]], warmup: int, expected: dict[dt.date, set[str]],
         seconds: float) -> tuple[list[Answer], float, bool]:
    """Every client's dates, one thread each; gives the answers, the measured wall time and whether every
    client finished before the deadline."""
    deadline = time.monotonic() + seconds
    start = threading.Barrier(len(plan))
    found: list[list[Answer]] = [[] for _ in plan]
    threads = [threading.Thread(target=lambda i=i, dates=dates: found[i].extend(  # type: ignore[misc]
        client(base, dates, warmup, expected, deadline, start)), daemon=True) for i, dates in enumerate(plan)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 35)  # a request past the deadline times out
    wall = time.perf_counter() - begun
    answers = [a for each in found for a in each]
    wanted = sum(len(dates) for dates in plan)
    complete = all(not t.is_alive() for t in threads) and sum(a.what == "evaluate" for a in answers) == wanted
    return answers, wall, complete


# --- figures ------------------------------------------------------------------------------------------------

def percentiles(values: list[float]) -> dict[str, Any]:
    """p50, p95 (nearest rank) and max, in milliseconds."""
    if not values:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    ordered = sorted(values)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(ordered[rank - 1], 1),
            "max_ms": round(ordered[-1], 1)}


def summary(answers: list[Answer], what: str) -> dict[str, Any]:
    measured = [a for a in answers if a.what == what and not a.warmup and a.status == 200]
    phases: dict[str, list[float]] = {}
    for a in measured:
        for name, ms in a.phases.items():
            phases.setdefault(name, []).append(ms)
    return {"server": percentiles([a.server_ms for a in measured if a.server_ms is not None]),
            "server_cpu": percentiles([a.cpu_ms for a in measured if a.cpu_ms is not None]),
            "client": percentiles([a.client_ms for a in measured]),
            "phases_median_ms": {name: round(statistics.median(v), 1) for name, v in phases.items()}}


_RUNNERS: dict[str, Any] = {}


def expected_responses(dates: list[dt.date]) -> tuple[dict[dt.date, set[str]], dict[str, Any]]:
    """What `evaluate` recommends on the form's default files at each date, and the in-process timings of the
    fixed evaluation: the engine and raw durable_rules on its counting facts, alternating."""
    sys.path[:0] = [str(ROOT), str(BENCH)]
    import raw
    import workloads

    from engine.evaluate import _compiled, evaluate
    from engine.validate import load_facts, load_pack
    from engine.web.kept import Inputs
    from engine.web.selection import fact_set

    pack = load_pack(RULES)
    files = [FACTS / f.name for f in fact_set(FACTS, Inputs()) if f.default]
    facts = load_facts(files, pack)
    expected = {day: {r.id for r in evaluate(pack, facts, day).responses} for day in dict.fromkeys(dates)}
    plan = raw.plan(_compiled(pack))
    # Rulesets of its own, registered once per process: durable_rules keeps a ruleset's actions (the runner
    # that registered it, W1's in a `make bench`) for as long as the process lives.
    name = f"{plan['name']}-w6"
    runner = _RUNNERS.get(name) or _RUNNERS.setdefault(name, raw.RawRunner({**plan, "name": name}))
    dicts = workloads.durable_counted(pack, facts, AS_OF)
    problems = workloads.raw_check(pack, runner, facts, AS_OF, "W6 raw")
    engine_t, raw_t = [], []
    for _ in range(25):
        engine_t.append(workloads.timed(lambda: evaluate(pack, facts, AS_OF))[0])
        raw_t.append(workloads.timed(lambda: runner.run(dicts))[0])
    return expected, {"engine": workloads.stats(engine_t), "raw": workloads.stats(raw_t), "problems": problems,
                      "files": [f.name for f in files], "counting": len(dicts)}


def w6(clients: int, requests: int, new_dates: int, warmup: int, seconds: float, problems: Problems,
       work: Path) -> dict[str, Any]:
    """W6: `clients` browsers, each `warmup` + `requests` evaluations of the baseline as of 2021-02-12, then
    each `warmup` + `new_dates` evaluations on dates no other request asks for; `seconds` bounds each round."""
    same = [[AS_OF] * (warmup + requests) for _ in range(clients)]
    fresh = [[AS_OF - dt.timedelta(days=1 + c * (warmup + new_dates) + i) for i in range(warmup + new_dates)]
             for c in range(clients)]
    expected, inproc = expected_responses([d for plan in (same, fresh) for dates in plan for d in dates])
    problems += inproc.pop("problems")
    rounds: dict[str, Any] = {}
    load_before = [round(x, 2) for x in os.getloadavg()]
    with server(work) as base:
        for name, plan in (("same", same), ("new_dates", fresh)):
            answers, wall, complete = load(base, plan, warmup, expected, seconds)
            measured = [a for a in answers if a.what == "evaluate" and not a.warmup and a.status == 200]
            rounds[name] = {**summary(answers, "evaluate"), "chart": summary(answers, "chart"),
                            "evaluations": len(measured), "complete": complete, "wall_s": round(wall, 2),
                            "throughput_per_s": round(len(measured) / wall, 1) if wall else None,
                            "statuses": {str(s): sum(a.status == s for a in answers)
                                         for s in sorted({a.status for a in answers})}}
            wrong = [a.problem for a in answers if a.problem]
            problems += [f"W6 {name}: {p} ({wrong.count(p)}×)" for p in dict.fromkeys(wrong)]
            if not complete:
                problems.append(f"W6 {name}: not every client finished within {seconds:.0f} s")
    section: dict[str, Any] = {"clients": clients, "requests_per_client": requests, "new_dates_per_client": new_dates,
                               "warmup_per_client": warmup, "seconds_bound": seconds, "as_of": AS_OF.isoformat(),
                               "load_at_start": load_before, "load_at_end": [round(x, 2) for x in os.getloadavg()],
                               **inproc, **rounds}
    worst = [rounds[r]["server"]["p95_ms"] for r in rounds if rounds[r]["server"]["p95_ms"] is not None]
    section["p95_ms"] = max(worst) if worst else None
    raw_ms = inproc["raw"]["median_ms"]
    section["ratio_p95_raw"] = round(section["p95_ms"] / raw_ms, 1) if section["p95_ms"] and raw_ms else None
    return section


def target(w6: dict[str, Any]) -> dict[str, Any]:
    """results.json's W6 target: the worse of the two rounds' server p95."""
    p95 = w6.get("p95_ms")
    complete = all(w6.get(r, {}).get("complete") for r in ("same", "new_dates"))
    return {"name": "W6 web p95", "measured": p95, "target": f"<= {TARGET_MS:.0f} ms p95 server time, "
            f"{w6['clients']} clients", "met": bool(p95 is not None and p95 <= TARGET_MS and complete),
            "detail": "POST /evaluate, Server-Timing app time, worse round of: the same evaluation repeated, "
                      "each request a new as-of date"}


# --- the README ---------------------------------------------------------------------------------------------

def _p(block: dict[str, Any]) -> list[str]:
    return ["—" if block.get(k) is None else f"{block[k]:,.1f}" for k in ("p50_ms", "p95_ms", "max_ms")]


def section(w6: dict[str, Any]) -> list[str]:
    """W6's part of bench/README.md."""
    out = ["", "## W6 the web page under load", "",
           f"`commitments serve`'s app (uvicorn, its own process, 127.0.0.1, a temporary audit store) and "
           f"{w6['clients']} concurrent clients (bench/web.py: threads, one keep-alive connection each, stdlib "
           "HTTP), each a browser: it loads the Evaluate page, takes the form's CSRF token and session cookie, "
           f"and POSTs the form ({', '.join(w6['files'])}); after each memo it loads the memo's chart image "
           "unless it already has it (its URL names its content). Round 1: "
           f"{w6['warmup_per_client']} + {w6['requests_per_client']} evaluations per client as of {w6['as_of']}; "
           f"round 2: {w6['warmup_per_client']} + {w6['new_dates_per_client']} per client, each on a date no "
           f"other request asks for (so nothing kept by date is reused, and every chart is drawn, on the same "
           f"event loop: round 2's throughput is mostly charts). Each client's first {w6['warmup_per_client']} "
           f"evaluation(s) warm up, left out; each round is bounded to "
           f"{w6['seconds_bound']:.0f} s. Server time is the `Server-Timing` header's `app` (request in to "
           "response start); client time is request sent to body read, waiting for the other clients included "
           "(the server evaluates one request at a time).", ""]
    rows = []
    for name, label in (("same", "same evaluation"), ("new_dates", "a new date each")):
        r = w6.get(name)
        if not r:
            continue
        rows.append([f"{label}: evaluation", str(r["server"]["n"]), *_p(r["server"]), *_p(r["client"]),
                     f"{r['throughput_per_s']}/s" if r.get("throughput_per_s") else "—"])
        if r["chart"]["server"]["n"]:
            rows.append([f"{label}: chart image", str(r["chart"]["server"]["n"]), *_p(r["chart"]["server"]),
                         *_p(r["chart"]["client"]), ""])
    out += _table(["requests", "n", "server p50", "server p95", "server max", "client p50", "client p95",
                   "client max", "throughput"], rows)
    cpu = [w6[r]["server_cpu"] for r in ("same", "new_dates") if r in w6 and "server_cpu" in w6[r]]
    if cpu:
        p50, p95 = (" and ".join(str(c[k]) for c in cpu) for k in ("p50_ms", "p95_ms"))
        out += ["", f"The server thread's processor time in those evaluations (`Server-Timing` `cpu`): p50 {p50} ms, "
                f"p95 {p95} ms (round 1 and 2); the rest of server time is waiting: for the disk (the audit record's "
                "commit) or for a core (load average at W6's start and end: "
                f"{w6.get('load_at_start')}, {w6.get('load_at_end')}, on {os.cpu_count()} cores)."]
    out += ["", f"In this process, on the same evaluation ({w6['counting']} counting facts, {w6['engine']['runs']} "
            f"runs): the engine's `evaluate` {_ms(w6['engine'])}, raw durable_rules {_ms(w6['raw'])}. The server's "
            f"p95 (the worse round) is **{w6['ratio_p95_raw']}×** raw durable_rules' median: an answer is also the "
            "commitment ledger, the audit record and the memo page, which raw durable_rules does not make."]
    phases = w6.get("same", {}).get("phases_median_ms")
    if phases:
        out += ["", "Server time by phase (medians of round 1, from `Server-Timing`): " + ", ".join(
            f"{k} {v}" for k, v in phases.items()) + " ms; `app` is the whole request."]
    return out


def explain(results: dict[str, Any]) -> str:
    """Why W6's target is missed, for the README's missed-targets part."""
    w6 = results["w6"]
    phases = w6["same"]["phases_median_ms"]
    named = sum(v for k, v in phases.items() if k != "app")
    return (f"The server's p95 is {w6['p95_ms']:.0f} ms against a median of {w6['same']['server']['p50_ms']:.0f} "
            f"ms; of the median request, the named phases take {named:.0f} ms: "
            + ", ".join(f"{k} {v} ms" for k, v in phases.items())
            + f". The engine's own evaluation is {w6['engine']['median_ms']:.1f} ms in-process; the commitment "
            "ledger evaluates the pack again at each date a commitment can move (a full `Evaluation` each time, "
            "where it reads only the derived ledger facts), and the audit record seals full snapshots of the pack "
            "and facts in a SQLite transaction with `synchronous = FULL`. The server thread's processor time is "
            f"{w6['same']['server_cpu']['p50_ms']} ms at p50 and {w6['same']['server_cpu']['p95_ms']} ms at p95: "
            "between that and the server time is waiting, for the disk or for a core of a machine busy with other "
            "work (the load average is in the W6 section).")


def _ms(block: dict[str, Any]) -> str:
    return f"{block['median_ms']:,.2f} ms ({block['min_ms']:,.2f}–{block['max_ms']:,.2f})"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]


FULL = {"w6_clients": 8, "w6_requests": 25, "w6_new_dates": 6, "w6_warmup": 2, "w6_seconds": 120}
QUICK = {"w6_clients": 8, "w6_requests": 5, "w6_new_dates": 2, "w6_warmup": 1, "w6_seconds": 60}


def run(config: dict[str, Any], problems: Problems, work: Path) -> dict[str, Any]:
    """bench/run.py's step: W6 with the run's configuration."""
    return w6(config["w6_clients"], config["w6_requests"], config["w6_new_dates"], config["w6_warmup"],
              config["w6_seconds"], problems, work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--serve", metavar="AUDIT_DB", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return _serve(args.serve)
    problems: Problems = []
    with tempfile.TemporaryDirectory(prefix="commitments-w6-") as tmp:
        found = run(QUICK if args.quick else FULL, problems, Path(tmp))
    print(json.dumps({"w6": found, "target": target(found), "problems": problems}, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
