"""Guided fact entry: the questions to ask for a kind, and a safe append of the answer to a fact file.

Takes a pack and answers, gives a validated `Fact` and a file that holds it. A file is never overwritten
or corrupted: the new text is the old text plus one YAML block, validated whole (with the same loader
and checks as `evaluate`) before it atomically replaces the old file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.errors import InputError, Location, Problems
from engine.loader import parse_text, read_text
from engine.model import Fact, Pack
from engine.validate import facts_from_document

HEADER = "# yaml-language-server: $schema={schema}\nfacts:\n"


@dataclass(frozen=True)
class Question:
    name: str
    prompt: str
    choices: tuple[str, ...] = ()
    optional: bool = False
    kind: str = "string"  # the FieldSpec type, or "date", "grade"


def questions(pack: Pack, kind: str) -> list[Question]:
    """What to ask, in order, for a fact of `kind`."""
    spec = pack.vocabulary[kind]
    asked = [Question("id", "fact id (letters, digits, - . _ :)")]
    if len(spec.subjects) > 1:
        asked.append(Question("subject", "subject", spec.subjects))
    asked.append(Question("observed", "observed (YYYY-MM-DD)", kind="date"))
    for name, field in spec.fields.items():
        asked.append(Question(name, name, field.values, field.optional, field.type))
    asked += [Question("source.title", "source title"), Question("source.ref", "source reference (URL)"),
              Question("source.date", "source date (YYYY-MM-DD)", kind="date"),
              Question("reliability", "source reliability", ("A", "B", "C", "D", "E", "F")),
              Question("credibility", "information credibility", ("1", "2", "3", "4", "5", "6"), kind="integer"),
              Question("valid_until", "valid until (YYYY-MM-DD, optional)", optional=True, kind="date"),
              Question("analyst", "analyst (optional)", optional=True),
              Question("note", "note (optional)", optional=True)]
    return asked


def parse_answer(question: Question, text: str) -> Any:
    """An answer typed as the question wants it; raises ValueError with a reason."""
    text = text.strip()
    if question.choices and question.kind != "integer" and text not in question.choices:
        raise ValueError(f"choose one of {', '.join(question.choices)}")
    if question.kind == "date":
        return dt.date.fromisoformat(text)
    if question.kind in ("integer", "number", "boolean"):
        value = yaml.safe_load(text)
        wanted: dict[str, tuple[type, ...]] = {"integer": (int,), "number": (int, float), "boolean": (bool,)}
        if not isinstance(value, wanted[question.kind]) or (question.kind != "boolean" and isinstance(value, bool)):
            raise ValueError(f"expected {question.kind}")
        return value
    return text


def build(pack: Pack, kind: str, answers: dict[str, Any]) -> dict[str, Any]:
    """A fact mapping in file order from answers keyed as in `questions`."""
    spec = pack.vocabulary[kind]
    fact: dict[str, Any] = {"id": answers.get("id"), "kind": kind,
                            "subject": answers.get("subject", spec.subjects[0]), "observed": answers.get("observed")}
    if answers.get("valid_until") not in (None, ""):
        fact["valid_until"] = answers["valid_until"]
    for name in spec.fields:
        if answers.get(name) not in (None, ""):
            fact[name] = answers[name]
    fact["source"] = {"title": answers.get("source.title"), "ref": answers.get("source.ref"),
                      "date": answers.get("source.date")}
    fact["reliability"] = answers.get("reliability")
    fact["credibility"] = answers.get("credibility")
    for name in ("analyst", "note"):
        if answers.get(name):
            fact[name] = answers[name]
    return fact


def _block(fact: dict[str, Any]) -> str:
    lines = []
    for key, value in fact.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}: {_scalar(v)}" for k, v in value.items())
            lines.append(f"{key}: {{{inner}}}")
        else:
            lines.append(f"{key}: {_scalar(value)}")
    return "  - " + "\n    ".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def append_fact(pack: Pack, path: Path, fact: dict[str, Any], schema: str = "") -> Fact:
    """Append one fact to `path` (created if absent), refusing anything that would not load."""
    old = read_text(path) if path.exists() else HEADER.format(schema=schema or "facts.schema.json")
    if old and not old.endswith("\n"):
        old += "\n"
    if path.exists():
        data = yaml.safe_load(old) if old.strip() else None
        if not isinstance(data, dict) or "facts" not in data:
            raise InputError.one("not-a-fact-file", "the file exists but is not a facts file; nothing written",
                                 Location(str(path)))
        if not data["facts"]:
            old = old.replace("facts: []", "facts:")
    new = old + _block(fact)
    problems = Problems()
    facts = facts_from_document(parse_text(new, str(path)), pack, problems)
    problems.raise_if_any()
    ids = [f.id for f in facts]
    if len(ids) != len(set(ids)):
        raise InputError.one("duplicate-id", f"fact id {fact['id']!r} is already in {path}; nothing written",
                             Location(str(path)))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(new)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return facts[-1]
