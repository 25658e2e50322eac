"""The JSON Schemas editors use agree with the engine: every bundled file validates, bad ones do not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import FACTS, ROOT, RULES

from engine.model import Pack
from engine.schema import facts_schema, rules_schema

SCHEMA_DIR = ROOT / "schema"


def as_json(path: Path) -> Any:
    """YAML as an editor's language server sees it: dates are strings."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def fact_files() -> list[Path]:
    return sorted(FACTS.rglob("*.yaml"))


def test_committed_schemas_are_current(pack: Pack) -> None:
    assert json.loads((SCHEMA_DIR / "facts.schema.json").read_text()) == facts_schema(pack), \
        "schema/ is stale: run `commitments schema --out schema`"
    assert json.loads((SCHEMA_DIR / "rules.schema.json").read_text()) == rules_schema(pack)


@pytest.mark.parametrize("path", fact_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bundled_fact_file_validates_and_names_its_schema(pack: Pack, path: Path) -> None:
    jsonschema.Draft202012Validator(facts_schema(pack)).validate(as_json(path))
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# yaml-language-server: $schema=")
    assert (path.parent / header.split("=", 1)[1]).resolve() == (SCHEMA_DIR / "facts.schema.json").resolve()


@pytest.mark.parametrize("path", sorted(p for p in RULES.glob("*.yaml") if p.name != "pack.yaml"),
                         ids=lambda p: p.name)
def test_every_rule_file_validates(pack: Pack, path: Path) -> None:
    jsonschema.Draft202012Validator(rules_schema(pack)).validate(as_json(path))


@pytest.mark.parametrize("mutation", [
    lambda f: f.update(kind="violence_trnd"),
    lambda f: f.update(chnge_pct=-3),
    lambda f: f.update(metric="casualties"),
    lambda f: f.pop("window_days"),
    lambda f: f.update(subject="pakistan"),
    lambda f: f.update(reliability="G"),
], ids=["unknown-kind", "unknown-field", "bad-enum", "missing-field", "wrong-subject", "bad-grade"])
def test_the_fact_schema_rejects_what_the_engine_rejects(pack: Pack, mutation: Any) -> None:
    fact = {"id": "x", "kind": "violence_trend", "subject": "taliban", "observed": "2021-04-14",
            "change_pct": -38, "window_days": 90, "metric": "attacks",
            "source": {"title": "t", "ref": "r", "date": "2021-04-14"}, "reliability": "B", "credibility": 2}
    jsonschema.Draft202012Validator(facts_schema(pack)).validate({"facts": [fact]})
    mutation(fact)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(facts_schema(pack)).validate({"facts": [fact]})
