"""Guided fact entry: the questions to ask for a kind, and a safe append of the answer to a fact file.

Takes a pack and answers, gives a validated `Fact` and a file that holds it. A file is never overwritten
or corrupted: the new text is the old text plus one YAML block, validated whole (with the same loader
and checks as `evaluate`) before it atomically replaces the old file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.errors import InputError, Location, Problems
from engine.loader import load_yaml, parse_text, read_text, yaml_files
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
        try:
            value = parse_text(text, question.name).data
        except InputError as error:  # its one-line reason, not PyYAML's multi-line report
            raise ValueError(error.problems[0].message) from None
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


def _block(fact: dict[str, Any], indent: int = 2) -> str:
    lines = []
    for key, value in fact.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}: {_scalar(v)}" for k, v in value.items())
            lines.append(f"{key}: {{{inner}}}")
        else:
            lines.append(f"{key}: {_scalar(value)}")
    return " " * indent + "- " + f"\n{' ' * (indent + 2)}".join(lines) + "\n"


# Characters YAML reads as line breaks (NEL, U+2028/9) or refuses (C1, DEL, surrogates, non-characters) even
# inside double quotes: written as escapes, a value reads back exactly as it was typed.
_NOT_LITERAL_IN_YAML = re.compile(r"[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")


def _scalar(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    quoted = json.dumps(str(value), ensure_ascii=False)
    return _NOT_LITERAL_IN_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def append_fact(pack: Pack, path: Path, fact: dict[str, Any], schema: str = "") -> Fact:
    """Append one fact to `path` (created if absent), refusing anything that would not load.

    Through a symlink, the file it points at is written and the link kept; an existing file keeps its mode
    and every byte of its text (comments included), but for an empty `facts: []` that becomes `facts:`.
    """
    where = Location(str(path))
    target = _target(path)
    if target.exists():
        old, indent = _existing(target, str(path))
    else:
        old, indent = HEADER.format(schema=schema or "facts.schema.json"), 2
    new = old + _block(fact, indent)
    problems = Problems()
    facts = facts_from_document(parse_text(new, str(path)), pack, problems)
    problems.raise_if_any()
    ids = [f.id for f in facts]
    if len(ids) != len(set(ids)):
        raise InputError.one("duplicate-id", f"fact id {fact['id']!r} is already in {path}; nothing written", where)
    used = id_in_use(pack, path, str(fact["id"]))
    if used is not None:
        raise InputError.one("duplicate-id", f"fact id {fact['id']!r} is already used at {used}; nothing written",
                             where)
    _replace(target, new, where)
    return facts[-1]


def id_in_use(pack: Pack, path: Path, fact_id: str) -> str | None:
    """Where (file:line:col) a fact file of `path`'s set — it and the fact files beside it, which `evaluate`
    of the folder reads together — already holds a fact `fact_id`; None when none does.

    A file that does not load is passed over: `check` reports it, and it must not block an entry.
    """
    folder = Path(path).parent
    if not folder.is_dir():
        return None
    for other in yaml_files(folder):
        try:
            found = facts_from_document(load_yaml(other), pack, Problems())
        except InputError:
            continue
        for fact in found:
            if fact.id == fact_id:
                return fact.origin
    return None


def _target(path: Path) -> Path:
    """The file to write: through symlinks, the one they point at. Its folder must exist: a mistyped
    folder is refused rather than created."""
    target = Path(os.path.realpath(path))
    if target.is_symlink():  # realpath stops at a loop
        raise InputError.one("file-unwritable", "a loop of symlinks; nothing written", Location(str(path)))
    if not target.parent.is_dir():
        why = "is not a folder" if target.parent.exists() else "does not exist"
        raise InputError.one("file-unwritable", f"folder {target.parent} {why}; nothing written", Location(str(path)))
    return target


def _existing(target: Path, file: str) -> tuple[str, int]:
    """An existing fact file's text, ready for a block to be appended, and the indent of its list items.

    Read and parsed by the strict loader, so a broken or hostile file is refused, located, and left alone.
    """
    text = read_text(target)
    data = parse_text(text, file).data
    if not isinstance(data, dict) or "facts" not in data:
        raise InputError.one("not-a-fact-file", "the file exists but is not a facts file; nothing written",
                             Location(file))
    if not text.endswith("\n"):
        text += "\n"
    root = yaml.compose(text, Loader=yaml.SafeLoader)  # safe now: the strict loader has accepted the text
    assert isinstance(root, yaml.MappingNode)
    listed = next(value for key, value in root.value if key.value == "facts")
    start, end = listed.start_mark.index, listed.end_mark.index
    if isinstance(listed, yaml.SequenceNode) and listed.value:
        if listed.flow_style:
            raise InputError.one("not-a-fact-file", "facts are written as a flow list ([…]); write them as a "
                                 "block list (one '- ' item a line) to append to it; nothing written",
                                 Location(file, listed.start_mark.line + 1, listed.start_mark.column + 1))
        return text, listed.start_mark.column
    return text[:start] + text[end:], 2  # `facts: []` or `facts: null` → `facts:`, then the first item


def _replace(target: Path, text: str, where: Location) -> None:
    """Write `text` to a temporary file beside `target`, with `target`'s mode, then rename it over
    `target`: a reader sees the old file or the new one, never half of one. A read-only file is left alone."""
    old = target.stat() if target.exists() else None
    if old is not None and not old.st_mode & 0o222:
        raise InputError.one("file-unwritable", "the file is read-only; nothing written", where)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    created = False
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # new: 666 less the umask
        created = True
        with os.fdopen(handle, "wb") as out:
            if old is not None:
                os.fchmod(out.fileno(), stat.S_IMODE(old.st_mode))
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        if created:
            temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputError.one("file-unwritable", f"{error.strerror or error}; nothing written", where) from None
        raise
