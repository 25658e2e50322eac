"""`commitments init DIR`: a starter pack that check, evaluate and the step library accept as written,
written only into a new or empty folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from engine.cli import main
from engine.starter import FILES

RUNNER = """
import sys
sys.path.insert(0, {tests!r})
from policy_steps import *  # noqa
from policy_steps import policy  # noqa
from pytest_bdd import scenarios
scenarios({feature!r})
"""
CONFTEST = ("import sys\nsys.path.insert(0, {tests!r})\n"
            "from policy_steps import pytest_bdd_before_scenario, pytest_bdd_step_func_lookup_error  # noqa\n")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_writes_a_pack_that_check_and_evaluate_accept(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "new-argument"
    code, out, err = run(capsys, "init", str(folder))
    assert (code, err) == (0, "")
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == sorted(FILES)
    assert f"wrote {folder / 'rules' / 'pack.yaml'}" in out and "next: commitments check" in out
    assert all(line.lstrip().startswith("#") for line in (folder / "rules" / "pack.yaml").read_text().splitlines()[:2])
    rules, facts = str(folder / "rules"), str(folder / "facts")
    code, out, err = run(capsys, "check", "--rules", rules, facts)
    assert (code, err) == (0, "") and out.startswith("ok: pack my-argument 0.1.0: 3 rules")
    assert "guardrail proved: reward_only_when_compliant" in out
    code, out, err = run(capsys, "evaluate", "--no-audit", "--rules", rules, facts, "--as-of", "2024-03-15")
    assert (code, err) == (0, "")
    assert "As of 2024-03-15: The client's standing is compliant." in out
    assert out.index("Offers (conditional on the client)") < out.index("Messaging")
    code, out, _ = run(capsys, "evaluate", "--no-audit", "--rules", rules, facts, "--as-of", "2024-02-01",
                       "--format", "json")
    data = json.loads(out)
    assert data["headline"] == {"standing": None} and data["responses"][0]["id"] == "messaging.terms"


def test_init_feature_runs_with_the_step_library(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    assert run(capsys, "init", str(folder))[0] == 0
    feature = folder / "features" / "argument.feature"
    (tmp_path / "test_starter.py").write_text(RUNNER.format(tests=str(ROOT / "tests"), feature=str(feature)))
    (tmp_path / "conftest.py").write_text(CONFTEST.format(tests=str(ROOT / "tests")))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                           str(tmp_path / "test_starter.py")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout[-3000:]


@pytest.mark.parametrize("existing", ["a file in it", "the folder is a file"])
def test_init_refuses_what_is_there(capsys: pytest.CaptureFixture[str], tmp_path: Path, existing: str) -> None:
    folder = tmp_path / "taken"
    if existing == "a file in it":
        folder.mkdir()
        (folder / "notes.txt").write_text("mine")
    else:
        folder.write_text("mine")
    code, out, err = run(capsys, "init", str(folder))
    assert code == 2 and out == ""
    expected = "folder-not-empty: is not empty" if existing == "a file in it" else "not-a-folder: exists and is not"
    assert err.startswith(f"{folder}: {expected}") and len(err.splitlines()) == 1
    assert "nothing was written" in err or existing != "a file in it"
    left = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else [folder.read_text()]
    assert left == (["notes.txt"] if existing == "a file in it" else ["mine"])


def test_init_into_an_empty_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "init", str(tmp_path))[0] == 0
    assert (tmp_path / "features" / "argument.feature").read_text().count("Scenario:") == 2
