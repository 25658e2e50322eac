"""Loading at scale: big fact files take the fast way, which builds no location it is not asked for, and a
problem deep in a big file still gets its exact file:line:col, the same as the strict parser's."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from engine import loader
from engine.errors import InputError
from engine.model import Pack
from engine.validate import load_facts

ROOT = Path(__file__).resolve().parents[1]


def action(i: int, verified: str = "true") -> str:
    return (f"  - id: act-{i:04d}\n    kind: pakistan_action\n    subject: pakistan\n    observed: 2021-01-{1 + i % 28:02d}\n"
            f"    action: facilitate_talks\n    verified: {verified}\n"
            "    source: {title: \"Report\", ref: \"https://example.org/r\", date: 2021-01-01}\n"
            "    reliability: B\n    credibility: 2\n")


def big_file(tmp_path: Path, bad: int | None = None, count: int = 1_000) -> Path:
    path = tmp_path / "big.yaml"
    text = "facts:\n" + "".join(action(i, "perhaps" if i == bad else "true") for i in range(count))
    path.write_text(text, encoding="utf-8")
    return path


def count_reparses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = loader._all_locations

    def counted(file: str, text: str) -> dict[loader.Path_, loader.Location]:
        calls.append(file)
        return real(file, text)

    monkeypatch.setattr(loader, "_all_locations", counted)
    return calls


def test_a_valid_big_file_is_loaded_without_building_every_location(
        pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_reparses(monkeypatch)
    path = big_file(tmp_path)
    facts = load_facts([path], pack)
    assert len(facts) == 1_000 and calls == []
    # each fact's origin is its own line, as the strict parser places it
    lines = path.read_text(encoding="utf-8").splitlines()
    assert facts[899].origin == f"{path}:{lines.index('  - id: act-0899') + 1}:5"
    with loader_pure(monkeypatch):
        strict = load_facts([path], pack)
    assert [f.origin for f in strict] == [f.origin for f in facts]
    assert strict == facts


def test_a_problem_in_the_900th_fact_gets_its_exact_line(
        pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_reparses(monkeypatch)
    path = big_file(tmp_path, bad=899)
    with pytest.raises(InputError) as raised:
        load_facts([path], pack)
    lines = path.read_text(encoding="utf-8").splitlines()
    line = lines.index("    verified: perhaps", lines.index("  - id: act-0899")) + 1
    assert raised.value.lines() == [f"{path}:{line}:5: bad-value: pakistan_action.verified: expected a boolean; "
                                    "found the string 'perhaps'"]
    assert calls == [str(path)]  # the file with the problem was parsed again for its locations, once
    with loader_pure(monkeypatch), pytest.raises(InputError) as strict:
        load_facts([path], pack)
    assert strict.value.lines() == raised.value.lines()


def test_a_duplicate_key_deep_in_a_big_file_is_the_strict_parsers_to_word(pack: Pack, tmp_path: Path) -> None:
    path = big_file(tmp_path)
    text = path.read_text(encoding="utf-8").replace("    credibility: 2\n", "    credibility: 2\n    credibility: 3\n", 950)
    path.write_text(text, encoding="utf-8")
    assert loader._fast(text, str(path)) is None
    with pytest.raises(InputError) as raised:
        load_facts([path], pack)
    lines = text.splitlines()
    first = lines.index("    credibility: 3") + 1
    assert raised.value.lines()[0] == (f"{path}:{first}:5: yaml-duplicate-key: duplicate key 'credibility' "
                                       f"(first defined at line {first - 1})")


def test_loading_leaves_the_collector_as_it_found_it(pack: Pack, tmp_path: Path) -> None:
    path = big_file(tmp_path, count=10)
    assert gc.isenabled()
    load_facts([path], pack)
    assert gc.isenabled()
    gc.disable()
    try:
        load_facts([path], pack)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_run_bound_can_be_raised_but_not_lowered_or_garbled(tmp_path: Path) -> None:
    path = big_file(tmp_path, count=2)
    command = [sys.executable, "-m", "engine", "evaluate", str(path), "--rules", str(ROOT / "rules"),
               "--as-of", "2021-02-12", "--no-audit"]
    garbled = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                             env={"PATH": "/usr/bin:/bin", loader.RUN_BYTES_ENV_VAR: "lots"})
    assert garbled.returncode == 2
    assert garbled.stderr.strip() == ("$COMMITMENTS_MAX_RUN_BYTES: bad-setting: $COMMITMENTS_MAX_RUN_BYTES must be "
                                      "a whole number of bytes; found 'lots'")
    import os

    os.environ[loader.RUN_BYTES_ENV_VAR] = "10"
    try:
        assert loader.run_bound() == loader.MAX_RUN_BYTES
        os.environ[loader.RUN_BYTES_ENV_VAR] = str(10 * loader.MAX_RUN_BYTES)
        assert loader.run_bound() == 10 * loader.MAX_RUN_BYTES
    finally:
        del os.environ[loader.RUN_BYTES_ENV_VAR]


class loader_pure:  # noqa: N801 - used as a context manager, named for what it does
    """Within, every file takes the strict pure-Python way."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def __enter__(self) -> None:
        self.monkeypatch.setattr(loader, "_fast", lambda text, file: None)

    def __exit__(self, *exc: object) -> None:
        self.monkeypatch.undo()


def test_loaded_facts_share_equal_parts_and_a_copy_gets_its_own(pack: Pack, tmp_path: Path) -> None:
    """A fact is put together from its validated parts, its source and its set of given fields shared with
    the facts that have equal ones: it must equal the fact validated whole, and a copy made with other
    content (as a hypothetical file's facts are) must change nothing of the others."""
    from engine.model import Fact

    facts = load_facts([big_file(tmp_path, count=50)], pack)
    first, second = facts[0], facts[1]
    assert first.source is second.source and first.model_fields_set is second.model_fields_set
    assert first == Fact.model_validate(first.model_dump())
    given = set(second.model_fields_set)
    copy = first.model_copy(update={"hypothetical": True})
    assert "hypothetical" in copy.model_fields_set and second.model_fields_set == given
    assert not second.hypothetical and copy.hypothetical
    assert getattr(copy, "canonical_text", None) is None  # a copy's content is its own: its text is taken anew
