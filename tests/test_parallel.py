"""A large run's facts files are read by forked workers (engine.parallel): the facts, their order and origins,
the facts digest and every problem must be what reading the files in the process gives."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine import loader, parallel, validate
from engine.errors import InputError
from engine.evaluate import facts_digest
from engine.model import Fact, Pack
from engine.validate import load_facts


def action(i: int, verified: str = "true") -> str:
    return (f"  - id: act-{i:05d}\n    kind: pakistan_action\n    subject: pakistan\n"
            f"    observed: 2021-01-{1 + i % 28:02d}\n    action: facilitate_talks\n    verified: {verified}\n"
            "    source: {title: \"Report\", ref: \"https://example.org/r\", date: 2021-01-01}\n"
            "    reliability: B\n    credibility: 2\n")


def folder(tmp_path: Path, files: int = 6, per_file: int = 50, bad: dict[int, str] | None = None) -> Path:
    """`files` facts files; `bad` replaces a file's text (by its index) to put a problem in it."""
    where = tmp_path / "facts"
    where.mkdir()
    for n in range(files):
        text = "facts:\n" + "".join(action(n * per_file + i) for i in range(per_file))
        (where / f"f{n:02d}.yaml").write_text((bad or {}).get(n, text), encoding="utf-8")
    return where


@pytest.fixture
def small_runs_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers for any run of two files or more, on any machine with a core or more (the CI's has two)."""
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    monkeypatch.delenv(parallel.WORKERS_ENV_VAR, raising=False)


def serially(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV_VAR, "1")


def outcome(paths: list[Path], pack: Pack) -> list[Fact] | list[str]:
    try:
        return load_facts(paths, pack)
    except InputError as error:
        return error.lines()


def test_workers_read_the_facts_the_process_reads(pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  small_runs_too: None) -> None:
    where = folder(tmp_path)
    assert parallel.workers(validate.fact_files([where])) == 2
    read = load_facts([where], pack)
    # the workers took each fact's canonical text: it is kept for the digest before any is asked for
    assert all(getattr(fact, "canonical_text", None) for fact in read)
    serially(monkeypatch)
    alone = load_facts([where], pack)
    assert not any(getattr(fact, "canonical_text", None) for fact in alone)
    assert read == alone and [f.origin for f in read] == [f.origin for f in alone] and len(read) == 300
    assert facts_digest(read) == facts_digest(alone)


@pytest.mark.parametrize("bad", [
    {2: "facts:\n  - id: x\n    kind: pakistan_action\n   subject: pakistan\n"},  # YAML syntax
    {1: "facts:\n" + action(1, "perhaps"), 4: "facts:\n" + action(2).replace("kind: pakistan_action", "kind: nope")},
    {3: "facts: 3\n"},  # not a list
    {0: "facts:\n" + action(7), 5: "facts:\n" + action(7)},  # one id twice, across files
])
def test_workers_report_every_problem_the_process_reports(
        pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_runs_too: None,
        bad: dict[int, str]) -> None:
    where = folder(tmp_path, bad=bad)
    found = outcome([where], pack)
    serially(monkeypatch)
    expected = outcome([where], pack)
    assert isinstance(expected, list) and expected and isinstance(expected[0], str)
    assert found == expected


def test_the_runs_bound_refuses_the_same_file(pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              small_runs_too: None) -> None:
    """Each worker counts what its file takes apart; the run counts them in the files' order, so the file
    that passes the bound is the one named read in the process."""
    where = folder(tmp_path)
    size = (where / "f00.yaml").stat().st_size
    monkeypatch.setattr(loader, "MAX_RUN_BYTES", int(size * 3.5))
    with loader.one_run():
        found = outcome([where], pack)
    serially(monkeypatch)
    with loader.one_run():
        expected = outcome([where], pack)
    assert found == expected
    assert any("input-too-large" in line and "f03.yaml" in line for line in found)


def test_no_workers_where_a_fork_is_unsafe_or_not_worth_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           small_runs_too: None) -> None:
    files = validate.fact_files([folder(tmp_path)])
    assert parallel.workers(files) == 2
    assert parallel.workers(files[:1]) == 0  # one file: nothing to share out
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", sum(f.stat().st_size for f in files) + 1)
    assert parallel.workers(files) == 0  # too small a run
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 1)
    serially(monkeypatch)
    assert parallel.workers(files) == 0
    monkeypatch.setenv(parallel.WORKERS_ENV_VAR, "3")
    assert parallel.workers(files) == 3
    monkeypatch.setenv(parallel.WORKERS_ENV_VAR, "two")
    with pytest.raises(InputError, match="COMMITMENTS_LOAD_WORKERS must be a whole number of processes; found 'two'"):
        parallel.workers(files)
    monkeypatch.delenv(parallel.WORKERS_ENV_VAR)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert parallel.workers(files) == 0  # a fork would copy the locks another thread holds
    finally:
        release.set()
        other.join()
