"""The web page's fact entry: the questions `facts add` asks, as form fields, and the answers checked by the
same parsing and the same models as a fact file's, each problem put back at the field it is about.

Takes a pack, the facts folder and the submitted form; gives the fact that was appended (exactly as
`facts add` appends it, by `engine.entry.append_fact`) or the problems by field.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.entry import Question, append_fact, build, id_in_use, parse_answer, questions
from engine.errors import InputError, Problems
from engine.loader import parse_text
from engine.model import Fact, Pack
from engine.validate import facts_from_document

FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.ya?ml")
FORM = "_form"  # the key of problems that belong to no one field


@dataclass
class Entry:
    """A fact entry as submitted: the answers as typed, and what is wrong with them, by field."""

    kind: str
    file: str
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    added: Fact | None = None


def entered_kinds(pack: Pack) -> list[str]:
    """The kinds an analyst enters (the rules derive the others)."""
    return [k for k, spec in pack.vocabulary.items() if not spec.derived]


def fields_of(pack: Pack, kind: str) -> list[Question]:
    return questions(pack, kind)


def submit(pack: Pack, folder: Path, kind: str, file: str, form: dict[str, str]) -> Entry:
    """Check the answers as `facts add` does, then append the fact to `folder/file`, or say what is wrong."""
    entry = Entry(kind, file, {q.name: form.get(q.name, "").strip() for q in questions(pack, kind)})
    if not FILE_NAME.fullmatch(file):
        entry.errors["file"] = "a file name in the facts folder, ending .yaml (letters, digits, . _ -)"
    answers: dict[str, Any] = {}
    for question in questions(pack, kind):
        text = entry.values[question.name]
        if text == "":
            if not question.optional:
                entry.errors[question.name] = "required"
            continue
        try:
            answers[question.name] = parse_answer(question, text)
        except ValueError as why:
            entry.errors[question.name] = str(why)
    if "id" in answers and "file" not in entry.errors:
        used = id_in_use(pack, folder / file, str(answers["id"]))
        if used is not None:
            entry.errors["id"] = f"already used at {_relative(used, folder)}"
    if entry.errors:
        return entry
    fact = build(pack, kind, answers)
    entry.errors.update(_model_problems(pack, fact))
    if entry.errors:
        return entry
    # `facts add` points a new file's schema header at schema/ from where it runs; the server runs from one place
    schema = os.path.relpath(Path("schema/facts.schema.json").resolve(), os.path.realpath(folder))
    try:
        entry.added = append_fact(pack, folder / file, fact, schema=schema)
    except InputError as error:
        entry.errors[FORM] = "; ".join(f"{p.code}: {p.message}" for p in error.problems)
    return entry


def _model_problems(pack: Pack, fact: dict[str, Any]) -> dict[str, str]:
    """The problems the fact-file models find in `fact`, keyed by the field each is located at."""
    text = yaml.safe_dump({"facts": [fact]}, sort_keys=False, allow_unicode=True, width=1_000_000)
    problems = Problems()
    doc = parse_text(text, "<form>")
    facts_from_document(doc, pack, problems)
    at: dict[Any, str] = {}
    for path, location in doc.locations.items():
        if len(path) >= 3 and path[:2] == ("facts", 0):
            at.setdefault(location, ".".join(str(p) for p in path[2:]))
    found: dict[str, str] = {}
    for problem in problems.items:
        key = at.get(problem.location, FORM)
        found[key] = f"{found[key]}; {problem.message}" if key in found else problem.message
    return found


def _relative(origin: str, folder: Path) -> str:
    """A fact's file:line:col, from the facts folder: the page does not show the server's paths."""
    try:
        return os.path.relpath(origin, folder)
    except ValueError:
        return origin
