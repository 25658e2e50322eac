"""The reference in docs/ keeps up with the code: every key the loader accepts, every field of the JSON
output and of the audit record is named there, and the README points to docs/, not to a file users lack."""

from __future__ import annotations

import json
import re

from conftest import BASELINE, ROOT, RULES

from engine.cli import main
from engine.commitfile import COMMITMENT_KEYS
from engine.guardrails import READS
from engine.model import FieldSpec
from engine.packfile import CONDITION_KEYS, DATE_KEYS, OPS, PACK_KEYS, PATTERN_KEYS, RULE_FILE_KEYS, RULE_KEYS
from engine.record import AuditRecord, AuditSummary
from engine.validate import FACT_META

DOCS = ROOT / "docs"


def _named(page: str) -> set[str]:
    """Every name a page writes (in prose, tables or examples)."""
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", (DOCS / page).read_text(encoding="utf-8")))


def test_rules_md_names_every_key_of_the_language() -> None:
    named = _named("rules.md")
    keys = {*PACK_KEYS, *RULE_FILE_KEYS, *RULE_KEYS, *PATTERN_KEYS, *CONDITION_KEYS, *DATE_KEYS, *OPS,
            *COMMITMENT_KEYS, *FACT_META, *READS, *(k for required, optional in READS.values()
                                                    for k in (*required, *optional)),
            *FieldSpec.model_fields, *FieldSpec.model_fields["type"].annotation.__args__}  # type: ignore[union-attr]
    assert not sorted(keys - named), "docs/rules.md does not name these keys"


def test_output_md_names_every_field_of_the_json_and_the_record(capsys: object) -> None:
    named = _named("output.md")
    assert main(["evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12", "--format", "json",
                 "--no-audit"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    data = json.loads(out)
    fields = {*data, *(k for item in ("responses", "derived", "guardrails", "rules", "firings", "not_counted")
                       for k in data[item][0]), *data["pack"]}
    missing = fields | set(AuditRecord.model_fields) | set(AuditSummary.model_fields)
    assert not sorted(missing - named), "docs/output.md does not name these fields"


def test_the_readme_points_to_docs_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "SPEC" not in readme
    for page in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / page).is_file(), page
    assert {"docs/rules.md", "docs/output.md", "docs/audit.md"} <= set(re.findall(r"\]\((docs/[^)#]+)", readme))
