"""JSON Schema for fact files and rule files, generated from a pack's vocabulary, for editors.

Takes a `Pack`, gives JSON Schema (draft 2020-12) documents: a fact file's schema knows every kind, its
subjects and typed fields; a rule file's schema knows kinds, response ids and the condition language.
The YAML language server picks them up from the `# yaml-language-server: $schema=…` header of a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.errors import InputError, Location
from engine.model import FieldSpec, Pack

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
META_REQUIRED = ["id", "kind", "subject", "observed", "source", "reliability", "credibility"]


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    if spec.type == "enum":
        return {"enum": list(spec.values)}
    if spec.type == "date":
        return dict(DATE)
    schema: dict[str, Any] = {"type": spec.type}
    if spec.min is not None:
        schema["minimum"] = spec.min
    if spec.max is not None:
        schema["maximum"] = spec.max
    return schema


def facts_schema(pack: Pack) -> dict[str, Any]:
    grades = pack.evidence
    meta: dict[str, Any] = {
        "id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"},
        "observed": DATE, "valid_until": DATE, "recorded": DATE,
        "source": {"$ref": "#/$defs/source"},
        "reliability": {"enum": ["A", "B", "C", "D", "E", "F"],
                        "description": f"counts at {', '.join(grades.reliability)}"},
        "credibility": {"type": "integer", "minimum": 1, "maximum": 6,
                        "description": f"counts at {', '.join(map(str, grades.credibility))}"},
        "analyst": {"type": "string"}, "note": {"type": "string"},
    }
    kinds: dict[str, Any] = {}
    for name, spec in sorted(pack.vocabulary.items()):
        if spec.derived:
            continue
        kinds[f"kind.{name}"] = {
            "type": "object",
            "additionalProperties": False,
            "required": META_REQUIRED + [f for f, s in spec.fields.items() if not s.optional],
            "properties": {**meta, "kind": {"const": name}, "subject": {"enum": list(spec.subjects)},
                           **{f: field_schema(s) for f, s in spec.fields.items()}},
        }
    return {
        "$schema": DRAFT,
        "$id": "facts.schema.json",
        "title": f"commitments fact file ({pack.name} {pack.version})",
        "type": "object",
        "additionalProperties": False,
        "required": ["facts"],
        "properties": {"facts": {"type": "array", "items": {"$ref": "#/$defs/fact"}},
                       "hypothetical": {"type": "boolean",
                                        "description": "a scenario, not observations: every result built on "
                                                       "it is labelled so"}},
        "$defs": {
            "source": {"type": "object", "additionalProperties": False, "required": ["title", "ref", "date"],
                       "properties": {"title": {"type": "string"}, "ref": {"type": "string"}, "date": DATE}},
            "fact": {"oneOf": [{"$ref": f"#/$defs/{key}"} for key in kinds]},
            **kinds,
        },
    }


def rules_schema(pack: Pack) -> dict[str, Any]:
    kinds = sorted(pack.vocabulary)
    scalar = {"type": ["string", "number", "boolean"]}
    assumption = {"type": "object", "required": ["assumption"], "additionalProperties": False,
                  "properties": {"assumption": {"enum": sorted(pack.assumptions)}}}
    test = {"oneOf": [scalar, {"type": "object", "minProperties": 1, "maxProperties": 1,
                               "properties": {op: {"anyOf": [scalar, {"type": "array"},
                                                             {"type": "object", "required": ["ref"]}, assumption]}
                                              for op in ("eq", "ne", "lt", "lte", "gt", "gte", "in")},
                               "additionalProperties": False},
                      # dates: before/after a date, as_of, alias or alias.field; within_days a number of days
                      {"type": "object", "minProperties": 1, "additionalProperties": False,
                       "properties": {"before": {"anyOf": [{"type": "string"}, assumption]},
                                      "after": {"anyOf": [{"type": "string"}, assumption]},
                                      "within_days": {"anyOf": [{"type": "integer", "minimum": 0}, assumption]}}}]}
    pattern = {"type": "object", "required": ["fact"], "additionalProperties": False,
               "properties": {"fact": {"enum": kinds}, "subject": {"type": "string"},
                              "where": {"type": "object", "additionalProperties": test},
                              "as": {"type": "string"}}}
    match = {"type": "object", "required": ["match"], "additionalProperties": False,
             "properties": {"match": {"enum": sorted(pack.patterns)}, "as": {"type": "string"}}}
    condition = {"oneOf": [
        {"$ref": "#/$defs/pattern"}, {"$ref": "#/$defs/match"},
        *({"type": "object", "required": [key], "additionalProperties": False,
           "properties": {key: {"type": "array", "items": {"$ref": "#/$defs/condition"}}}} for key in ("all", "any")),
        {"type": "object", "required": ["not"], "additionalProperties": False,
         "properties": {"not": {"$ref": "#/$defs/condition"}}},
        {"type": "object", "required": ["none"], "additionalProperties": False,
         "properties": {"none": {"oneOf": [{"$ref": "#/$defs/pattern"}, {"$ref": "#/$defs/match"}]}}},
    ]}
    derived = [k for k in kinds if pack.vocabulary[k].derived]
    effect = {"oneOf": [
        {"type": "object", "required": ["respond"], "additionalProperties": False,
         "properties": {"respond": {"enum": sorted(pack.responses)}, "cite": {"type": "integer", "minimum": 0}}},
        {"type": "object", "required": ["derive"], "additionalProperties": False,
         "properties": {"derive": {"type": "object", "required": ["kind"],
                                   "properties": {"kind": {"enum": derived}}}}},
    ]}
    rule = {"type": "object", "required": ["id", "cites"], "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                           "cites": {"type": "array", "minItems": 1, "items": {
                               "type": "object", "required": ["source", "para", "quote"], "additionalProperties": False,
                               "properties": {"source": {"enum": sorted(pack.sources)},
                                              "para": {"type": "integer", "minimum": 1},
                                              "quote": {"type": "string"}}}},
                           "when": {"$ref": "#/$defs/condition"},
                           "then": {"type": "array", "items": {"$ref": "#/$defs/effect"}},
                           "else": {"type": "array", "items": {"$ref": "#/$defs/effect"}},
                           "priority": {"type": "integer"}}}
    response = {"type": "object", "required": ["category", "text"], "additionalProperties": False,
                "properties": {"category": {"enum": list(pack.categories)},
                               "text": {"type": "string"}, "withholds": {"type": "array", "items": {"type": "string"}},
                               "moot_when": {"type": "array", "items": {"enum": sorted(pack.moot)}}}}
    date = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    deadline = {"oneOf": [date, {"type": "object", "required": ["within_days"], "additionalProperties": False,
                                 "properties": {"within_days": {"type": "integer", "minimum": 1}}},
                          {"type": "object", "required": ["fact", "field"], "additionalProperties": False,
                           "properties": {"fact": {"enum": sorted(pack.vocabulary)}, "field": {"type": "string"},
                                          "subject": {"type": "string"}}}]}
    commitment = {"type": "object", "required": ["id", "cites", "debtor", "creditor", "consequent"],
                  "additionalProperties": False,
                  "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                 "cites": rule["properties"]["cites"],  # type: ignore[index]
                                 "debtor": {"type": "string"}, "creditor": {"type": "string"},
                                 **{key: {"$ref": "#/$defs/condition"} for key in
                                    ("antecedent", "consequent", "cancelled_when", "released_when")},
                                 "antecedent_deadline": deadline, "consequent_deadline": deadline}}
    return {
        "$schema": DRAFT,
        "$id": "rules.schema.json",
        "title": f"commitments rule file ({pack.name} {pack.version})",
        "type": "object",
        "additionalProperties": False,
        "properties": {"rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
                       "responses": {"type": "object", "additionalProperties": {"$ref": "#/$defs/response"}},
                       "commitments": {"type": "array", "items": {"$ref": "#/$defs/commitment"}}},
        "$defs": {"pattern": pattern, "match": match, "condition": condition, "effect": effect, "rule": rule,
                  "response": response, "commitment": commitment},
    }


def write_schemas(out: Path, documents: dict[str, dict[str, Any]]) -> list[Path]:
    """Write each document as `out/NAME` (the folder is created); a path that cannot be a folder, or
    cannot be written, is the user's to fix: one line, exit 2."""
    nearest = next((p for p in (out, *out.parents) if p.exists()), out)
    if nearest.exists() and not nearest.is_dir():
        raise InputError.one("not-a-folder", "exists and is not a folder; give --out a folder for the schema files",
                             Location(str(nearest)))
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, document in documents.items():
            (out / name).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(out / name)
    except OSError as error:
        raise InputError.one("out-unwritable", f"cannot write the schema files here: {error.strerror or error}",
                             Location(str(error.filename or out))) from None
    return written
