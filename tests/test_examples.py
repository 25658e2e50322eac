"""The packs under examples/ — other arguments than the article's, added with no engine change — run
their own features (examples/NAME/features/*.feature) with the step library, and every rule of each
fires in some scenario (and takes its else branch in one, when it has one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from policy_steps import *  # noqa: F403 - the step definitions are fixtures pytest-bdd looks up here
from policy_steps import policy  # noqa: F401 - the scenario context
from pytest_bdd import scenarios
from test_spec_coverage import uncovered

from engine.validate import load_pack

EXAMPLES = ROOT / "examples"
PACKS = sorted(p.parent.parent for p in EXAMPLES.glob("*/rules/pack.yaml"))

scenarios(str(EXAMPLES))


def test_there_is_an_example_pack_with_features() -> None:
    assert PACKS and all(list((pack / "features").glob("*.feature")) for pack in PACKS)


@pytest.mark.parametrize("folder", PACKS, ids=lambda p: p.name)
def test_every_rule_of_an_example_is_exercised(folder: Path, tmp_path: Path) -> None:
    record = tmp_path / "exercised.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_examples.py"),
         "-k", "not exercised and not there_is"],
        cwd=ROOT, env={**os.environ, "COMMITMENTS_SPEC_COVERAGE": str(record)}, capture_output=True, text=True,
        timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    exercised = {tuple(json.loads(line)) for line in record.read_text().splitlines()}
    gaps = uncovered(load_pack(folder / "rules"), exercised)  # type: ignore[arg-type]
    assert not gaps, "\n".join(gaps)
