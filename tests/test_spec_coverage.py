"""Spec coverage: every rule of the article pack fires in some scenario, every else branch is taken.

Runs the features in a child pytest (so this test stands alone and in any order), collecting each
evaluation's rule outcomes through COMMITMENTS_SPEC_COVERAGE.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from engine.model import Pack


def uncovered(pack: Pack, exercised: set[tuple[str, str]]) -> list[str]:
    """What no scenario exercises, each naming its rule."""
    gaps = []
    for rule in pack.rules:
        if (rule.id, "fired") not in exercised:
            gaps.append(f"rule {rule.id} ({rule.origin}) never fires in any scenario")
        if rule.else_ and (rule.id, "else") not in exercised:
            gaps.append(f"the else branch of rule {rule.id} ({rule.origin}) is taken in no scenario")
    return gaps


def test_every_rule_and_else_branch_is_exercised_by_a_feature(pack: Pack, tmp_path: Path) -> None:
    record = tmp_path / "exercised.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_features.py")],
        cwd=ROOT, env={**os.environ, "COMMITMENTS_SPEC_COVERAGE": str(record)}, capture_output=True, text=True,
        timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    exercised = {tuple(json.loads(line)) for line in record.read_text().splitlines()}
    gaps = uncovered(pack, exercised)  # type: ignore[arg-type]
    assert not gaps, "\n".join(gaps)


def test_a_gap_names_the_rule(make_pack) -> None:  # type: ignore[no-untyped-def]
    pack = make_pack(
        "pack: {name: p, version: '1'}\nsources: {s: {title: S}}\nvocabulary:\n"
        "  w: {subjects: [x], state: true, fields: {v: {type: integer}}}\n",
        responses="responses:\n  a: {category: risk, text: A}\n  b: {category: risk, text: B}\n",
        rules="rules:\n  - id: r1\n    cites: [{source: s, para: 1, quote: q}]\n    when: {fact: w, where: {v: 1}}\n"
              "    then: [{respond: a}]\n    else: [{respond: b}]\n")
    assert uncovered(pack, {("r1", "fired"), ("r1", "else")}) == []
    gaps = uncovered(pack, {("r1", "fired")})
    assert len(gaps) == 1 and "else branch of rule r1" in gaps[0]
    assert "rule r1" in uncovered(pack, set())[0]
