"""Plain YAML data → validated models: a `Pack` from a rules folder, `Fact`s from fact files.

Takes `Document`s from the loader, gives frozen pydantic models. Every problem is reported with the
file:line:column of the YAML node at fault, all problems of a file at once, with "did you mean" hints
for misspelt kinds, fields and values.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from operator import attrgetter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.errors import InputError, Location, Problems, shown
from engine.loader import Document, Path_, count, load_yaml, yaml_files
from engine.model import (
    DERIVED_ID_PREFIX,
    Fact,
    FactHeader,
    FieldSpec,
    KindSpec,
    Pack,
    Scalar,
)

FACT_META = ("id", "kind", "subject", "observed", "valid_until", "recorded", "source", "reliability",
             "credibility", "analyst", "note")
# durable_rules stores at most 255 properties per fact; the engine adds sid, id, kind, subject and dates.
MAX_FACT_PROPERTIES = 255
ENGINE_PROPERTIES = 8
# Identifiers are checked with `identifier` (fullmatch): `$` also matches before a trailing newline.
NAME = re.compile(r"[a-z][a-z0-9_]*")  # kinds, fields, subjects, aliases, pattern names
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")  # rule, response, guardrail and source ids


def suggest(word: object, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a choice is close to `word`, else ''."""
    import difflib  # only a mistake needs it: kept off the start-up of every command

    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def identifier(value: object, grammar: re.Pattern[str] = NAME) -> bool:
    """Whether `value` is a string that is wholly an identifier of `grammar`, with nothing after it."""
    return isinstance(value, str) and grammar.fullmatch(value) is not None


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number" if math.isfinite(value) else f"{_yaml_float(value)} (not a finite number)"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, str):
        return f"the string {shown(value, 40)}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _yaml_float(value: float) -> str:
    """A float that is not a number as YAML writes it (.nan, .inf, -.inf)."""
    return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")


def shape(value: object) -> str:
    """What a value is, without quoting it: for whole documents, which may be anything at all."""
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return type_name(value)


def check_value(spec: FieldSpec, value: object) -> str | None:
    """Why `value` does not fit `spec`, or None when it does."""
    kind = spec.type
    if kind == "enum":
        if not isinstance(value, str) or value not in spec.values:
            return (f"expected one of {', '.join(spec.values)}; found {type_name(value)}"
                    + suggest(value, spec.values))
        return None
    if kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    elif kind == "date":
        ok = isinstance(value, dt.date)
    else:
        ok = isinstance(value, str)
    if not ok:
        return f"expected {'an' if kind[0] in 'aeiou' else 'a'} {kind}; found {type_name(value)}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if abs(value) > 1e15:
            return f"{value} is out of range (at most 1e15 in size)"
        if spec.min is not None and value < spec.min:
            return f"expected at least {spec.min:g}; found {value}"
        if spec.max is not None and value > spec.max:
            return f"expected at most {spec.max:g}; found {value}"
    return None


def pydantic_problems(problems: Problems, doc: Document, base: Path_, error: ValidationError,
                      what: str) -> None:
    """Report a pydantic ValidationError at the YAML nodes it names."""
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if isinstance(part, str | int))
        field = ".".join(str(part) for part in loc) or what
        if item["type"] == "extra_forbidden":
            message = f"unknown key {shown(str(loc[-1]))} in {what}"
        elif item["type"] == "missing":
            message = f"{what} needs {field!r}"
        else:
            message = f"{field}: {item['msg']}; found {type_name(item.get('input'))}"
        problems.add("schema", message, doc.where((*base, *loc)))


def as_model(problems: Problems, doc: Document, base: Path_, model: type[BaseModel], data: Any,
             what: str, strict: bool = False) -> Any:
    """The model, or None after reporting why not. Strict: no "3" for 3, no 1 for true (YAML's lists are
    made tuples first, since strict pydantic takes only a tuple for a tuple field)."""
    try:
        return model.model_validate(_tuples(data) if strict else data, strict=strict)
    except ValidationError as error:
        pydantic_problems(problems, doc, base, error, what)
        return None


def _tuples(data: Any) -> Any:
    if isinstance(data, list):
        return tuple(_tuples(item) for item in data)
    if isinstance(data, dict):
        return {key: _tuples(value) for key, value in data.items()}
    return data


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def canonical_json(data: Any) -> str:
    """The canonical JSON serialisation every digest is taken over (sorted keys, ISO dates). One encoder
    serves every call: `json.dumps` with options builds a new one each time."""
    return _CANONICAL.encode(data)


def digest(data: Any) -> str:
    """SHA-256 of the canonical JSON serialisation."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


_FACT_LIST: Any = None  # the serializer of a list of facts, built on first use
_TEXT = attrgetter("canonical_text")  # a slot of Fact's (engine.model)


def fact_texts(facts: list[Fact]) -> list[str]:
    """Each fact's canonical text, as the facts digest takes it (its origin left out, the flag only when set).

    Facts are frozen, so a text is computed once per Fact object and kept on it: evaluating the same loaded
    facts again, in a session, an audit record or a sweep, does not serialise them again. The new ones are
    dumped in one call to pydantic's serializer, not one call per fact.
    """
    global _FACT_LIST
    fresh = [fact for fact in facts if getattr(fact, "canonical_text", None) is None]
    if fresh:
        if _FACT_LIST is None:
            from pydantic import TypeAdapter

            _FACT_LIST = TypeAdapter(list[Fact])
        contents = _FACT_LIST.dump_python(fresh, mode="json", exclude={"__all__": {"origin"}})
        for content in contents:
            if not content["hypothetical"]:
                del content["hypothetical"]
        keep_texts(fresh, [canonical_json(content) for content in contents])
    return list(map(_TEXT, facts))


def keep_texts(facts: list[Fact], texts: list[str]) -> None:
    """Take facts' canonical texts computed elsewhere (a process that read their file, engine.parallel)."""
    for fact, text in zip(facts, texts, strict=True):
        object.__setattr__(fact, "canonical_text", text)  # not a field: the model's frozen fields are untouched


# --- facts ----------------------------------------------------------------------------------------------

def _fact(problems: Problems, doc: Document, index: int, raw: Any, pack: Pack) -> Fact | None:
    base: Path_ = ("facts", index)
    here = doc.where(base)
    if not isinstance(raw, dict):
        problems.add("schema", f"each fact is a mapping of keys; found {type_name(raw)}", here)
        return None
    kind_name = raw.get("kind")
    kind = pack.vocabulary.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        known = [k for k, spec in pack.vocabulary.items() if not spec.derived]
        problems.add("unknown-kind", f"unknown kind {shown(str(kind_name))}; expected one of {', '.join(known)}"
                     + suggest(kind_name, known), doc.where((*base, "kind")))
        return None
    if kind.derived:
        problems.add("derived-kind", f"{kind_name!r} is derived by the rules and cannot be entered as a fact",
                     doc.where((*base, "kind")))
        return None
    meta = {key: value for key, value in raw.items() if key in FACT_META}
    fields = {key: value for key, value in raw.items() if key not in FACT_META}
    before = len(problems.items)
    parsed = as_model(problems, doc, base, FactHeader, meta, "a fact", strict=True)
    for name, value in fields.items():
        spec = kind.fields.get(name)
        if spec is None:
            allowed = list(kind.fields) + list(FACT_META)
            problems.add("unknown-field", f"kind {kind_name!r} has no field {shown(name)}; its fields are "
                         f"{', '.join(kind.fields)}" + suggest(name, allowed), doc.where((*base, name)))
        elif (why := check_value(spec, value)) is not None:
            problems.add("bad-value", f"{kind_name}.{name}: {why}", doc.where((*base, name)))
    for name, spec in kind.fields.items():
        if not spec.optional and name not in fields:
            problems.add("missing-field", f"a {kind_name} fact needs the field {name!r}", here)
    if len(fields) + ENGINE_PROPERTIES > MAX_FACT_PROPERTIES:
        problems.add("too-many-properties", f"{len(fields)} fields; durable_rules stores at most "
                     f"{MAX_FACT_PROPERTIES - ENGINE_PROPERTIES} per fact", here)
    if parsed is None or len(problems.items) > before:
        return None
    if (why := _bad_id(parsed.id)) is not None:
        problems.add("bad-id", f"fact id {shown(parsed.id)}: {why}", doc.where((*base, "id")))
    if parsed.subject not in kind.subjects:
        problems.add("bad-subject", f"a {kind_name} fact is about {', '.join(kind.subjects)}; found "
                     f"{parsed.subject!r}" + suggest(parsed.subject, kind.subjects), doc.where((*base, "subject")))
    if parsed.valid_until is not None and parsed.valid_until < parsed.observed:
        problems.add("bad-date", f"valid_until {parsed.valid_until} is before observed {parsed.observed}",
                     doc.where((*base, "valid_until")))
    if len(problems.items) > before:
        return None
    # Every part is validated already (the header just now, the fields by check_value): the Fact is put
    # together, not validated again, with the source and the set of the fields given shared by every fact
    # that has equal ones (frozen, and never changed in place: a copy gets its own). A fact in memory then
    # costs about half what it did (at a million facts, gigabytes: the 3 GiB bound of bench/scale.py).
    given = frozenset(parsed.model_fields_set | _CONSTRUCTED)
    return Fact.model_construct(_shared(given, set), **{**parsed.__dict__, "source": _shared(parsed.source)},
                                fields=fields, origin=str(here))


_CONSTRUCTED = frozenset({"fields", "origin"})
_SHARED: dict[Any, Any] = {}  # a value → the one object that stands for every equal one (see `_fact`)


def _shared(value: Any, make: Callable[[Any], Any] | None = None) -> Any:
    """The object kept for values equal to `value` (`make(value)` the first time, or `value` itself)."""
    found = _SHARED.get(value)
    if found is None:
        if len(_SHARED) > 10_000:
            _SHARED.clear()
        found = _SHARED[value] = make(value) if make else value
    return found


def _bad_id(fact_id: str) -> str | None:
    """Why `fact_id` cannot name an analyst's fact, or None when it can."""
    if not ID.fullmatch(fact_id):
        return "use letters, digits and . _ : - (at most 128)"
    if fact_id.startswith(DERIVED_ID_PREFIX):
        return f"ids starting {DERIVED_ID_PREFIX!r} are the rules' own, for the facts they derive"
    return None


def facts_from_document(doc: Document, pack: Pack, problems: Problems) -> list[Fact]:
    data = doc.data
    if (not isinstance(data, dict) or "facts" not in data or not set(data) <= {"facts", "hypothetical"}
            or not isinstance(data["facts"], list)):
        found = shape(data) if not isinstance(data, dict) else f"keys {', '.join(map(str, data)) or 'none'}"
        problems.add("schema", f"a facts file is a mapping with one key, 'facts:', holding a list; found "
                     f"{found}" + ("" if not isinstance(data, dict) else " (a scenario may also say 'hypothetical: "
                                   "true')"), doc.where(()))
        return []
    hypothetical = data.get("hypothetical", False)
    if not isinstance(hypothetical, bool):
        problems.add("bad-value", f"hypothetical: expected true or false; found {type_name(hypothetical)}",
                     doc.where(("hypothetical",)))
        return []
    facts = [_fact(problems, doc, index, raw, pack) for index, raw in enumerate(data["facts"])]
    return [fact.model_copy(update={"hypothetical": True}) if hypothetical else fact
            for fact in facts if fact is not None]


def fact_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, plus the *.yaml/*.yml directly inside folders named (sub-folders only when named)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(yaml_files(path))
        elif path.exists():
            files.append(path)
        else:
            raise InputError.one("file-missing", "no such file or folder", Location(str(path)))
    return files


def facts_of_file(file: Path, pack: Pack, problems: Problems) -> list[Fact]:
    """The facts of one file, its problems added to `problems`."""
    return facts_from_document(load_yaml(file), pack, problems)


def load_facts(paths: Iterable[Path], pack: Pack,
               read: Callable[[Path, Pack, Problems], list[Fact]] = facts_of_file) -> list[Fact]:
    """Every fact in the files and folders given, with ids unique across all of them. `read` gives one file's
    facts as `facts_of_file` does (a server passes one that keeps what it parsed, engine.web.kept). A large run's
    files are read by worker processes (engine.parallel), to the same facts and problems."""
    from engine import parallel

    problems = Problems()
    facts: list[Fact] = []
    files = fact_files(paths)
    # Loading builds no reference cycles, only objects that live on: the collector would walk every fact
    # loaded so far, again and again, for nothing (at 100,000 facts, more than half the time of loading).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if read is facts_of_file and (workers := parallel.workers(files)):
            for file, (read_facts, texts, found, used) in zip(files, parallel.read_files(files, pack, workers),
                                                              strict=True):
                try:
                    count(used, Location(str(file)))  # as read_text counts it, before anything of the file
                except InputError as error:
                    problems.items.extend(error.problems)
                    continue
                problems.items.extend(found)
                keep_texts(read_facts, texts)
                facts.extend(read_facts)
        else:
            for file in files:
                try:
                    facts.extend(read(file, pack, problems))
                except InputError as error:
                    problems.items.extend(error.problems)
    finally:
        if collecting:
            gc.enable()
    seen: dict[str, Fact] = {}
    for fact in facts:
        if fact.id in seen:
            problems.add("duplicate-id", f"fact id {fact.id!r} is already used at {seen[fact.id].origin}",
                         _location(fact.origin))
        else:
            seen[fact.id] = fact
    problems.raise_if_any()
    return facts


def _location(origin: str) -> Location:
    file, _, rest = origin.rpartition(":")
    file, _, line = file.rpartition(":")
    try:
        return Location(file, int(line), int(rest))
    except ValueError:
        return Location(origin)


def scalar_json(value: Scalar) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def pack_files(rules_dir: Path) -> list[Path]:
    """The files of the pack in `rules_dir`, in the order they are read: pack.yaml, then every other *.yaml."""
    pack_file = rules_dir / "pack.yaml"
    files = yaml_files(rules_dir, (".yaml",)) if rules_dir.is_dir() else []
    if pack_file not in files:
        raise InputError.one("pack-missing", "a rules folder needs a pack.yaml", Location(str(rules_dir)))
    return [pack_file, *(p for p in files if p != pack_file)]


def load_pack(rules_dir: Path, read: Callable[[Path], Document] = load_yaml) -> Pack:
    """The pack in `rules_dir`: pack.yaml plus every other *.yaml there. `read` parses one file as `load_yaml`
    does (a server passes one that notes what it read, engine.web.kept)."""
    from engine.packfile import pack_from_documents

    problems = Problems()
    docs: list[Document] = []
    for file in pack_files(rules_dir):
        try:
            docs.append(read(file))
        except InputError as error:
            problems.items.extend(error.problems)
    problems.raise_if_any()
    return pack_from_documents(docs)


__all__ = ["KindSpec", "check_value", "digest", "facts_of_file", "load_facts", "load_pack", "pack_files",
           "suggest"]
