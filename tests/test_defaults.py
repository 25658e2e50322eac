"""Run from anywhere: where the pack, the facts and the audit store are when the analyst names none of them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import BASELINE, ROOT, RULES

from engine import audit, defaults
from engine.cli import main

ARTICLE = "As of 2021-02-12: Pakistan's cooperation level is refusal."


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def starter(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding another pack (the `init` starter) in ./rules and ./facts, as the current folder."""
    assert run(capsys, "init", str(tmp_path / "project"))[0] == 0
    monkeypatch.chdir(tmp_path / "project")
    return tmp_path / "project"


def test_a_fresh_process_in_an_empty_folder_evaluates_the_article_pack_shipped_with_the_engine(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "engine", "evaluate", "--as-of", "2021-02-12", "--no-audit"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert ARTICLE in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran


def test_the_pack_in_this_folder_beats_the_shipped_one(capsys: pytest.CaptureFixture[str], starter: Path) -> None:
    assert defaults.rules_folder() == Path("rules") and defaults.facts_folder(Path("rules")) == Path("facts")
    code, out, err = run(capsys, "evaluate", "--as-of", "2024-03-15", "--no-audit")
    assert code in (0, 1), err
    assert "Pakistan" not in out and out.strip()


def test_the_environment_beats_the_pack_in_this_folder(capsys: pytest.CaptureFixture[str], starter: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(defaults.RULES_ENV_VAR, str(RULES))
    monkeypatch.setenv(defaults.FACTS_ENV_VAR, str(BASELINE.parent))
    code, out, err = run(capsys, "evaluate", "--as-of", "2021-02-12", "--no-audit")
    assert code == 0, err
    assert ARTICLE in out


def test_a_rules_folder_without_a_pack_is_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rules").mkdir()
    monkeypatch.chdir(tmp_path)
    assert defaults.rules_folder().resolve() == RULES.resolve()
    (tmp_path / "rules" / "pack.yaml").write_text("name: mine\n")
    assert defaults.rules_folder() == Path("rules")


def test_another_packs_rules_never_meet_the_article_facts(capsys: pytest.CaptureFixture[str], starter: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(defaults.RULES_ENV_VAR, str(starter / "rules"))
    monkeypatch.chdir(starter.parent)  # no ./facts here
    assert defaults.facts_folder(defaults.rules_folder()) == Path("facts")
    code, _, err = run(capsys, "evaluate", "--as-of", "2024-03-15", "--no-audit")
    assert code == 2 and "Traceback" not in err
    assert err.startswith("facts: no-facts: expected fact files or folders, found none") and "$COMMITMENTS_FACTS" in err


def test_an_installed_wheel_finds_the_pack_inside_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "engine" / "_article" / "rules").mkdir(parents=True)
    monkeypatch.setattr(defaults, "_ENGINE", tmp_path / "engine")
    assert defaults.shipped_rules() == tmp_path / "engine" / "_article" / "rules"
    monkeypatch.setattr(defaults, "_ENGINE", ROOT / "engine")  # editable install: the repository's own folders
    assert defaults.shipped_rules() == ROOT / "rules" and defaults.shipped_facts() == ROOT / "facts"


def test_the_wheel_maps_the_article_pack_where_the_engine_looks_for_it() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapped = setuptools["package-dir"]
    assert mapped["engine._article.rules"] == "rules" and mapped["engine._article.facts"] == "facts"
    for package, folder in mapped.items():
        assert package in setuptools["packages"] and setuptools["package-data"][package] == ["*.yaml"]
        assert list((ROOT / folder).glob("*.yaml")), folder


def test_the_audit_store_is_per_user_not_per_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(audit.ENV_VAR)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert audit.audit_path(None) == tmp_path / "xdg" / "commitments" / "audit.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert audit.audit_path(None) == tmp_path / "home" / ".local" / "share" / "commitments" / "audit.sqlite"
    monkeypatch.setenv(audit.ENV_VAR, "~/team.sqlite")
    assert audit.audit_path(None) == tmp_path / "home" / "team.sqlite"
    assert audit.audit_path(tmp_path / "flag.sqlite") == tmp_path / "flag.sqlite"
