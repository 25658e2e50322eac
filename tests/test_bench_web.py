"""bench/web.py, W6's load generator, small: two clients, a few requests each, against the real server process.

It must stop by itself, count what it did, give percentiles, and find every answer right (200, the memo's
responses those of `evaluate`); a server that answers wrongly must be reported, not averaged in.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import web  # noqa: E402


def test_the_load_generator_counts_times_and_checks_every_answer(tmp_path: Path) -> None:
    problems: list[str] = []
    started = time.monotonic()
    found = web.w6(clients=2, requests=3, new_dates=1, warmup=1, seconds=60, problems=problems, work=tmp_path)
    assert time.monotonic() - started < 60
    assert problems == []
    for name, evaluations in (("same", 2 * 3), ("new_dates", 2 * 1)):
        round_ = found[name]
        assert round_["complete"] and round_["evaluations"] == evaluations
        assert set(round_["statuses"]) == {"200"}
        server, client = round_["server"], round_["client"]
        assert server["n"] == client["n"] == evaluations
        assert 0 < server["p50_ms"] <= server["p95_ms"] <= server["max_ms"]
        assert server["p50_ms"] <= client["max_ms"]  # what the client waited for includes the server's time
        assert set(round_["phases_median_ms"]) == {"select", "inputs", "evaluate", "ledger", "record", "memo"}
    assert found["new_dates"]["chart"]["server"]["n"] == 2  # a new memo, a new chart image
    assert found["p95_ms"] == max(found["same"]["server"]["p95_ms"], found["new_dates"]["server"]["p95_ms"])
    assert found["raw"]["runs"] == found["engine"]["runs"] == 25 and found["ratio_p95_raw"] > 1
    target = web.target(found)
    assert target["name"] == "W6 web p95" and target["met"] == (found["p95_ms"] <= 50)
    section = "\n".join(web.section(found))
    assert "## W6 the web page under load" in section and f"| {2 * 3} | {found['same']['server']['p50_ms']:,.1f} |" \
        in section


def test_percentiles_are_nearest_rank() -> None:
    assert web.percentiles([]) == {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    values = [float(v) for v in range(1, 101)]
    assert web.percentiles(values) == {"n": 100, "p50_ms": 50.5, "p95_ms": 95.0, "max_ms": 100.0}
    assert web.percentiles([7.0]) == {"n": 1, "p50_ms": 7.0, "p95_ms": 7.0, "max_ms": 7.0}


def test_a_wrong_answer_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = web.expected_responses

    def wrong(dates: list[object]) -> tuple[dict[object, set[str]], dict[str, object]]:
        expected, inproc = real(dates)  # type: ignore[arg-type]
        return {day: {*ids, "no.such_response"} for day, ids in expected.items()}, inproc

    monkeypatch.setattr(web, "expected_responses", wrong)
    problems: list[str] = []
    web.w6(clients=1, requests=1, new_dates=1, warmup=0, seconds=60, problems=problems, work=tmp_path)
    assert problems and all("differently from `evaluate`" in p for p in problems)
