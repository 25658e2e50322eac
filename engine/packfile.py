"""A rules folder's documents → one validated `Pack`.

pack.yaml holds the pack's name, sources, evidence threshold, vocabulary, named patterns and guardrails;
the other files hold `responses:`, `rules:` and `commitments:` (engine.commitfile). Conditions are parsed
by hand rather than by a pydantic union so that each mistake is reported at its own YAML node, in the
analyst's terms.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, TypeGuard

from engine.commitfile import commitment
from engine.errors import Problems
from engine.guardrails import READS, SINGLE_STATE
from engine.loader import Document, Path_
from engine.model import (
    AS_OF,
    DEFAULT_CATEGORIES,
    LEDGER_KIND,
    OBSERVED,
    AllOf,
    AnyOf,
    Assumption,
    Citation,
    Clock,
    Commitment,
    Condition,
    Derive,
    Effect,
    Evidence,
    FieldSpec,
    Guardrail,
    Headline,
    KindSpec,
    Moot,
    NoneOf,
    Not,
    Pack,
    Pattern,
    Ref,
    Respond,
    ResponseSpec,
    Rule,
    Scalar,
    Source,
    Test,
    moved,
)
from engine.validate import (
    ENGINE_PROPERTIES,
    ID,
    MAX_FACT_PROPERTIES,
    NAME,
    as_model,
    check_value,
    digest,
    identifier,
    suggest,
    type_name,
)

Aliases = dict[str, str]  # a rule's aliases so far → the kind each names
OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in")
ORDERED = ("number", "integer", "date")
MAX_QUOTE_WORDS = 30
PACK_KEYS = {"pack", "sources", "evidence", "vocabulary", "patterns", "moot", "guardrails", "headline",
             "categories", "parties", "assumptions"}
KEY_TYPES = ("enum", "string", "integer")  # a series is named by an exact value: never a measure or a date
RULE_FILE_KEYS = {"rules", "responses", "commitments"}
RULE_KEYS = {"id", "title", "cites", "when", "then", "else", "priority"}
HEAD_KEYS = {"name", "version", "title"}
PATTERN_KEYS = {"fact", "subject", "where", "as"}
MATCH_KEYS = {"match", "as"}
CONDITION_KEYS = ("all", "any", "not", "none", "match", "fact")
RESERVED_FIELDS = ("id", "kind", "subject", "sid", "observed", "source")
DATE_KEYS = ("after", "before", "within_days")  # the date tests, on `observed` and on date fields
MAX_DAYS = 36_525  # a hundred years: further is a typo
GRAMMARS = {NAME: "lower_snake_case", ID: "letters, digits and . _ : - (at most 128)"}
# Values of a join that can be compared: a ref to a date is never a number.
COMPARABLE = {"number": "number", "integer": "number", "string": "text", "enum": "text", "boolean": "boolean",
              "date": "date"}


class _Builder:
    def __init__(self) -> None:
        self.problems = Problems()
        self.vocabulary: dict[str, KindSpec] = {}
        self.patterns: dict[str, Pattern] = {}
        self.moot: dict[str, Moot] = {}
        self.sources: dict[str, Source] = {}
        self.responses: dict[str, ResponseSpec] = {}
        self.assumptions: dict[str, Assumption] = {}
        self.broken: set[str] = set()  # assumptions declared with a mistake, already reported
        self.categories: dict[str, str] = DEFAULT_CATEGORIES
        self.parties: dict[str, str] = {}
        self.headline: tuple[Headline, ...] = ()
        self.doc: Document = Document("<pack>", None)

    def bad(self, path: Path_, code: str, message: str) -> None:
        self.problems.add(code, message, self.doc.where(path))

    def mapping(self, value: Any, path: Path_, what: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        self.bad(path, "schema", f"{what} is a mapping; found {type_name(value)}")
        return {}

    def listing(self, value: Any, path: Path_, what: str) -> list[Any]:
        if isinstance(value, list):
            return value
        self.bad(path, "schema", f"{what} is a list; found {type_name(value)}")
        return []

    def text(self, data: dict[str, Any], key: str, path: Path_, default: str) -> str:
        value = data.get(key, default)
        if isinstance(value, str):
            return value
        self.bad((*path, key), "schema", f"{key} is a string; found {type_name(value)}")
        return default

    def name(self, value: Any, path: Path_, what: str, grammar: re.Pattern[str] = NAME) -> TypeGuard[str]:
        """Whether `value` is an identifier of `grammar`; says why not at `path` when it is not."""
        if identifier(value, grammar):
            return True
        found = repr(value) if isinstance(value, str) else type_name(value)
        self.bad(path, "bad-name", f"{what} are {GRAMMARS[grammar]}; found {found}")
        return False

    def known(self, value: Any, table: Mapping[str, Any], path: Path_, code: str, what: str) -> bool:
        """Whether `value` names an entry of `table`: a list or a mapping there is a mistake, not a crash."""
        if isinstance(value, str) and value in table:
            return True
        if isinstance(value, str):
            self.bad(path, code, f"no {what} {value!r}" + suggest(value, table))
        else:
            self.bad(path, code, f"expected the name of a {what}; found {type_name(value)}")
        return False

    def keys(self, value: dict[str, Any], path: Path_, allowed: set[str], what: str) -> None:
        for key in value:
            if key not in allowed:
                self.bad((*path, key), "unknown-key", f"unknown key {key!r} in {what}; expected "
                         f"{', '.join(sorted(allowed))}" + suggest(key, allowed))

    # --- pack.yaml --------------------------------------------------------------------------------------

    def header(self, doc: Document) -> dict[str, Any]:
        self.doc = doc
        data = self.mapping(doc.data, (), "pack.yaml")
        self.keys(data, (), PACK_KEYS, "pack.yaml")
        head = self.mapping(data.get("pack"), ("pack",), "'pack'")
        self.keys(head, ("pack",), HEAD_KEYS, "'pack'")
        for key in ("name", "version"):
            if not isinstance(head.get(key), str):
                self.bad(("pack", key), "schema", f"pack.{key} must be a string")
        self.text(head, "title", ("pack",), "")
        for sid, raw in self.mapping(data.get("sources", {}), ("sources",), "'sources'").items():
            source = as_model(self.problems, doc, ("sources", sid), Source, raw, "a source", strict=True)
            if self.name(sid, ("sources", sid), "source ids", ID) and source is not None:
                self.sources[sid] = source
        for name, raw in self.mapping(data.get("assumptions", {}), ("assumptions",), "'assumptions'").items():
            self.assumption(name, raw, ("assumptions", name))
        for name, raw in self.mapping(data.get("vocabulary"), ("vocabulary",), "'vocabulary'").items():
            self.kind(name, raw, ("vocabulary", name))
        for name, raw in self.mapping(data.get("patterns", {}), ("patterns",), "'patterns'").items():
            self.name(name, ("patterns", name), "pattern names")
            if (pattern := self.pattern(raw, ("patterns", name), {})) is not None:
                self.patterns[name] = pattern.model_copy(update={"name": name})
        for name, raw in self.mapping(data.get("moot", {}), ("moot",), "'moot'").items():
            self.moot_state(name, raw, ("moot", name))
        if "categories" in data:
            self.categories = self.titled(data["categories"], ("categories",), "category")
            if not self.categories:
                self.bad(("categories",), "schema", "'categories' names at least one category (id: title)")
        self.parties = self.titled(data.get("parties", {}), ("parties",), "party")
        self.headline = self.headlines(data.get("headline", []))
        return data

    def assumption(self, name: str, raw: Any, path: Path_) -> None:
        """A named value the rules read: its type must fit its value, and its citations name sources."""
        named = self.name(name, path, "assumption names")
        self.broken.add(name)  # until it proves sound: a test reading it then says nothing more
        found = as_model(self.problems, self.doc, path, Assumption, raw, f"assumption {name!r}", strict=True)
        if found is None:
            return
        if (why := check_value(FieldSpec(type=found.type), found.value)) is not None:
            self.bad((*path, "value"), "bad-value", f"assumption {name}: {why}")
            return
        self.broken.discard(name)
        for i, cite in enumerate(found.cites):
            if cite.source not in self.sources:
                self.bad((*path, "cites", i, "source"), "unknown-source", f"no source {cite.source!r}"
                         + suggest(cite.source, self.sources))
        if named:
            self.assumptions[name] = found

    def assumed(self, raw: Any, path: Path_) -> tuple[str, Scalar] | None:
        """`{assumption: NAME}` → the name and the assumption's value; None after saying why not."""
        name = raw.get("assumption") if isinstance(raw, dict) and set(raw) == {"assumption"} else None
        if isinstance(name, str) and name in self.broken:
            return None
        if not self.known(name, self.assumptions, (*path, "assumption"), "unknown-assumption", "assumption"):
            return None
        assert isinstance(name, str)
        return name, self.assumptions[name].value
    def titled(self, raw: Any, path: Path_, what: str) -> dict[str, str]:
        """A mapping of lower_snake_case ids to the words the views print for them, in the file's order."""
        out: dict[str, str] = {}
        for key, title in self.mapping(raw, path, f"'{path[0]}'").items():
            if not self.name(key, (*path, key), f"{what} ids"):
                continue
            if isinstance(title, str) and title.strip():
                out[key] = title
            else:
                self.bad((*path, key), "schema", f"a {what} is 'id: title' with a non-empty title; found "
                         f"{type_name(title)}")
        return out

    def headlines(self, raw: Any) -> tuple[Headline, ...]:
        """`headline:` is a list of derived kinds, or a mapping of them to the label text prints (kind: label).
        Each must be a derived kind with a `value` field: that value is what a summary reports."""
        if isinstance(raw, list):
            items = {i: (kind, kind.replace("_", " ") if isinstance(kind, str) else "") for i, kind in enumerate(raw)}
        elif isinstance(raw, dict):
            items = {kind: (kind, label) for kind, label in raw.items()}
        else:
            self.bad(("headline",), "schema", f"'headline' is a list of derived kinds or a mapping kind: label; "
                     f"found {type_name(raw)}")
            return ()
        out = []
        for key, (kind, label) in items.items():
            path = ("headline", key)
            if not self.known(kind, self.vocabulary, path, "unknown-kind", "kind"):
                continue
            spec = self.vocabulary[kind]
            if not spec.derived or "value" not in spec.fields:
                self.bad(path, "bad-headline", f"a headline is a derived kind with a 'value' field; {kind} "
                         f"{'has no value field' if spec.derived else 'is entered as facts'}")
            elif not isinstance(label, str) or not label.strip():
                self.bad(path, "schema", f"a headline's label is non-empty text; found {type_name(label)}")
            else:
                out.append(Headline(kind=kind, label=label))
        return tuple(out)

    def moot_state(self, name: str, raw: Any, path: Path_) -> None:
        """A named state that ends offers: a pattern (no alias: nothing joins it) and the text explain says."""
        named = self.name(name, path, "moot state names")
        data = dict(self.mapping(raw, path, "a moot state"))
        text = data.pop("text", None)
        if not isinstance(text, str) or not text.strip():
            self.bad(path, "missing-field", f"moot state {name!r} needs 'text': what it ends, in a sentence")
        if "as" in data:
            self.bad((*path, "as"), "unknown-key", "a moot state takes no 'as:': no rule joins it")
            return
        pattern = self.pattern(data, path, {})
        if named and pattern is not None and isinstance(text, str) and text.strip():
            self.moot[name] = Moot(name=name, pattern=pattern, text=text)

    def kind(self, name: str, raw: Any, path: Path_) -> None:
        """Register the kind; a misnamed kind, subject or field is left out, so that no later message
        quotes it unescaped."""
        named = self.name(name, path, "kind names")
        if name == LEDGER_KIND:
            self.bad(path, "reserved-name", f"{LEDGER_KIND!r} is the commitment ledger's own kind; name yours "
                     "otherwise")
            named = False
        spec = as_model(self.problems, self.doc, path, KindSpec, raw, f"kind {name!r}", strict=True)
        if spec is None:
            return
        subjects = tuple(s for i, s in enumerate(spec.subjects) if self.name(s, (*path, "subjects", i), "subjects"))
        fields = {f: fs for f, fs in spec.fields.items() if self.field_name(f, (*path, "fields", f))}
        for field, fspec in spec.fields.items():
            if fspec.type == "enum" and not fspec.values:
                self.bad((*path, "fields", field), "schema", "an enum field needs 'values'")
        if len(spec.fields) + ENGINE_PROPERTIES > MAX_FACT_PROPERTIES:
            self.bad(path, "too-many-properties", f"{len(spec.fields)} fields; durable_rules stores at most "
                     f"{MAX_FACT_PROPERTIES - ENGINE_PROPERTIES} per fact")
        if not spec.subjects:
            self.bad(path, "schema", "a kind needs at least one subject")
        self.series_key(spec, path)
        if named and subjects:
            self.vocabulary[name] = spec.model_copy(update={"subjects": subjects, "fields": fields})

    def series_key(self, spec: KindSpec, path: Path_) -> None:
        """A `key` names separate series of a state: each field must be one every fact has, of exact value."""
        if spec.key and (not spec.state or spec.derived):
            self.bad((*path, "key"), "bad-key", "only a state kind entered as facts takes 'key' (the latest fact "
                     "per subject and key counts)")
            return
        for j, field in enumerate(spec.key):
            fspec = spec.fields.get(field)
            here = (*path, "key", j)
            if fspec is None:
                self.bad(here, "bad-key", f"key field {field!r} is not a field of the kind"
                         + suggest(field, spec.fields))
            elif fspec.type not in KEY_TYPES:
                self.bad(here, "bad-key", f"key field {field!r} must be {', '.join(KEY_TYPES)}; it is {fspec.type}")
            elif fspec.optional:
                self.bad(here, "bad-key", f"key field {field!r} is optional; every fact must name its series")
        if len(set(spec.key)) != len(spec.key):
            self.bad((*path, "key"), "bad-key", "a key names each field once")

    def field_name(self, field: str, path: Path_) -> bool:
        if field in RESERVED_FIELDS:
            self.bad(path, "bad-name", f"{field!r} cannot be a field name")
            return False
        return self.name(field, path, "field names")

    # --- conditions -------------------------------------------------------------------------------------

    def pattern(self, raw: Any, path: Path_, aliases: Aliases) -> Pattern | None:
        data = self.mapping(raw, path, "a pattern")
        if "match" in data:
            self.keys(data, path, MATCH_KEYS, "a named-pattern match")
            if not self.known(data["match"], self.patterns, (*path, "match"), "unknown-pattern", "pattern"):
                return None
            return self.alias(self.patterns[data["match"]], data, path, aliases)
        self.keys(data, path, PATTERN_KEYS, "a pattern")
        kind_name = data.get("fact")
        kind = self.vocabulary.get(kind_name) if isinstance(kind_name, str) else None
        if kind is None:
            self.bad((*path, "fact"), "unknown-kind", f"unknown kind {kind_name!r}"
                     + suggest(kind_name, self.vocabulary))
            return None
        subject = data.get("subject", kind.subjects[0] if len(kind.subjects) == 1 else None)
        if subject not in kind.subjects:
            self.bad((*path, "subject"), "bad-subject", f"{kind_name} is about one of "
                     f"{', '.join(kind.subjects)}; found {subject!r}")
            return None
        tests = [self.test(str(kind_name), kind, field, value, (*path, "where", field), aliases)
                 for field, value in self.mapping(data.get("where", {}), (*path, "where"), "'where'").items()]
        if any(t is None for t in tests):
            return None
        pattern = Pattern(kind=kind_name, subject=subject, tests=tuple(t for each in tests if each for t in each))
        return self.alias(pattern, data, path, aliases)

    def alias(self, pattern: Pattern, data: dict[str, Any], path: Path_, aliases: Aliases) -> Pattern:
        alias = data.get("as")
        if "as" not in data or not self.name(alias, (*path, "as"), "aliases"):
            return pattern
        if alias in aliases:
            self.bad((*path, "as"), "duplicate-alias", f"alias {alias!r} is already used in this rule")
        if alias == AS_OF:
            self.bad((*path, "as"), "bad-name", f"{AS_OF!r} names the as-of date in date tests; choose another alias")
        aliases[alias] = pattern.kind
        return pattern.model_copy(update={"alias": alias})

    def test(self, kind_name: str, kind: KindSpec, field: str, raw: Any, path: Path_,
             aliases: Aliases) -> list[Test] | None:
        """One `where:` entry → its tests (a date test may be two: a bound on each side)."""
        spec = kind.fields.get(field)
        if field == OBSERVED or (spec is not None and spec.type == "date" and isinstance(raw, dict) and raw
                                 and set(raw) <= set(DATE_KEYS)):
            return self.dated(kind_name, kind, field, raw, path, aliases)
        if spec is None:
            self.bad(path, "unknown-field", f"kind {kind_name!r} has no field {field!r}"
                     + suggest(field, [*kind.fields, OBSERVED]))
            return None
        op, value = ("eq", raw)
        if isinstance(raw, dict):
            if len(raw) != 1 or next(iter(raw)) not in OPS:
                ops = (*OPS, *DATE_KEYS) if spec.type == "date" else OPS
                self.bad(path, "bad-operator", f"a test is one of {', '.join(ops)}; found "
                         f"{', '.join(map(str, raw)) or 'nothing'}" + suggest(next(iter(raw), ""), ops))
                return None
            op, value = next(iter(raw.items()))
        if op in ("lt", "lte", "gt", "gte") and spec.type not in ORDERED:
            self.bad(path, "bad-operator", f"{op} compares numbers or dates; {field} is {spec.type}")
            return None
        if isinstance(value, dict) and set(value) == {"ref"}:
            joined = self.join(f"{kind_name}.{field}", spec, op, value["ref"], path, aliases)
            return None if joined is None else [joined]
        if isinstance(value, dict) and set(value) == {"assumption"} and op != "in":
            if (named := self.assumed(value, (*path, op))) is None:
                return None
            if (why := check_value(spec, named[1])) is not None:
                self.bad((*path, op, "assumption"), "bad-value", f"{kind_name}.{field} reads assumption "
                         f"{named[0]}: {why}")
                return None
            return [Test(field=field, op=op, value=named[1], assumption=named[0])]
        values = value if op == "in" else [value]
        if op == "in" and not (isinstance(value, list) and value):
            self.bad(path, "bad-value", f"'in' takes a non-empty list; found {type_name(value)}")
            return None
        for item in values:
            if (why := check_value(spec, item)) is not None:
                self.bad(path, "bad-value", f"{kind_name}.{field}: {why}")
                return None
        return [Test(field=field, op=op, value=tuple(values) if op == "in" else value)]

    def dated(self, kind_name: str, kind: KindSpec, field: str, raw: Any, path: Path_,
              aliases: Aliases) -> list[Test] | None:
        """`{before|after: WHEN, within_days: N}` on `observed` or a date field → tests against dates.

        WHEN is a date, `{assumption: NAME}` (a date), `as_of`, an earlier alias (its fact's observed date)
        or alias.field; within_days
        alone counts back from the as-of date, with before/after it counts from WHEN. Before and after
        are strict: the same day is neither.
        """
        if field == OBSERVED and kind.derived:
            self.bad(path, "bad-operator", f"{kind_name} is derived: its facts have no observed date to test")
            return None
        if not isinstance(raw, dict) or not raw or not set(raw) <= set(DATE_KEYS):
            found = ", ".join(map(str, raw)) if isinstance(raw, dict) else type_name(raw)
            self.bad(path, "bad-operator", f"{field} is tested with {', '.join(DATE_KEYS)}; found {found or 'nothing'}"
                     + (suggest(next(iter(raw), ""), DATE_KEYS) if isinstance(raw, dict) else ""))
            return None
        if {"before", "after", "within_days"} <= set(raw):
            self.bad(path, "bad-operator", "within_days counts from one date: give before or after with it, not both")
            return None
        days: tuple[int, str | None] | None = None
        if "within_days" in raw and (days := self.days(raw["within_days"], (*path, "within_days"))) is None:
            return None
        tests = []
        for key, op, sign in (("before", "lt", -1), ("after", "gt", 1)):
            if key not in raw:
                continue
            if isinstance(raw[key], dict):  # {assumption: NAME}: a date the pack names, that whatif can move
                if (named := self.assumed_date(raw[key], (*path, key), days is not None)) is None:
                    return None
                tests.append(Test(field=field, op=op, value=named[1], assumption=named[0]))
                continue
            when = self.when(raw[key], (*path, key), aliases)
            if when is None:
                return None
            tests.append(Test(field=field, op=op, value=when))
            if days is not None:
                tests.append(Test(field=field, op="gte" if sign < 0 else "lte", value=moved(when, sign * days[0]),
                                  assumption=days[1], shift=sign if days[1] else 0))
        if days is not None and not tests:
            tests = [Test(field=field, op="gte", value=Clock(days=-days[0]), assumption=days[1],
                          shift=-1 if days[1] else 0),
                     Test(field=field, op="lte", value=Clock())]
        return tests

    def days(self, raw: Any, path: Path_) -> tuple[int, str | None] | None:
        """within_days: a whole number of days (or an integer assumption), 0 up to MAX_DAYS."""
        name = None
        if isinstance(raw, dict):
            if (named := self.assumed(raw, path)) is None:
                return None
            name, raw = named
        if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= MAX_DAYS:
            shown_value = raw if isinstance(raw, int) and not isinstance(raw, bool) else type_name(raw)
            self.bad(path, "bad-value", f"within_days is a whole number of days from 0 to {MAX_DAYS}; found "
                     f"{shown_value}" + (f" (assumption {name})" if name else ""))
            return None
        return raw, name

    def assumed_date(self, raw: Any, path: Path_, counted: bool) -> tuple[str, dt.date] | None:
        """before/after `{assumption: NAME}`: a date assumption, which within_days does not count from."""
        if (named := self.assumed(raw, path)) is None:
            return None
        name, value = named
        if not isinstance(value, dt.date):
            self.bad((*path, "assumption"), "bad-value", f"before/after compare dates; assumption {name} is "
                     f"{self.assumptions[name].type}")
            return None
        if counted:
            self.bad(path, "bad-operator", f"within_days counts from a date written here, as_of or an alias; "
                     f"not from assumption {name}")
            return None
        return name, value

    def when(self, raw: Any, path: Path_, aliases: Aliases) -> dt.date | Clock | Ref | None:
        """The date a before/after compares with: a date, as_of, an earlier alias, or alias.field."""
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            return raw
        if raw == AS_OF:
            return Clock()
        alias, _, other = raw.partition(".") if isinstance(raw, str) else ("", "", "")
        if not alias or alias not in aliases:
            self.bad(path, "bad-ref", "before/after take a date (2021-05-01), as_of, an earlier alias of the rule "
                     f"or alias.field; found {raw!r}" if not isinstance(raw, str) or not alias else
                     f"no earlier alias {alias!r} in this rule" + suggest(alias, [*aliases, AS_OF]))
            return None
        kind = self.vocabulary[aliases[alias]]
        other = other or OBSERVED
        if other == OBSERVED and kind.derived:
            self.bad(path, "bad-ref", f"{alias} is a derived {aliases[alias]} fact: it has no observed date")
            return None
        if other != OBSERVED and (kind.fields.get(other) is None or kind.fields[other].type != "date"):
            dates = [f for f, spec in kind.fields.items() if spec.type == "date"]
            self.bad(path, "bad-ref", f"{raw!r}: {aliases[alias]} has no date field {other!r}"
                     + suggest(other, [*dates, OBSERVED]))
            return None
        return Ref(alias=alias, field=other)

    def join(self, field: str, spec: FieldSpec, op: str, ref: Any, path: Path_, aliases: Aliases) -> Test | None:
        """A test against a field of an earlier alias, which must exist and hold the same type of value:
        otherwise the join could never hold, and the rule would stay silent rather than wrong."""
        alias, _, other = ref.partition(".") if isinstance(ref, str) else ("", "", "")
        if alias not in aliases or not other:
            self.bad(path, "bad-ref", f"ref {ref!r} must name an earlier alias and its field, as alias.field")
            return None
        kind = aliases[alias]
        target = self.vocabulary[kind].fields.get(other)
        if target is None:
            self.bad(path, "bad-ref", f"ref {ref!r}: {alias} is a {kind} fact, which has no field {other!r}"
                     + suggest(other, self.vocabulary[kind].fields))
            return None
        if op == "in":
            self.bad(path, "bad-ref", f"ref {ref!r}: 'in' takes a list of values, not a ref")
            return None
        if COMPARABLE[target.type] != COMPARABLE[spec.type]:
            self.bad(path, "bad-ref", f"ref {ref!r}: {field} is {spec.type} but {kind}.{other} is {target.type}; "
                     "they cannot be compared")
            return None
        return Test(field=field.partition(".")[2], op=op, value=Ref(alias=alias, field=other))

    def condition(self, raw: Any, path: Path_, aliases: Aliases) -> Condition | None:
        data = self.mapping(raw, path, "a condition")
        if "fact" in data or "match" in data:
            return self.pattern(data, path, aliases)
        if len(data) != 1:
            self.bad(path, "bad-condition", "a condition is all:, any:, not:, none:, match: or a pattern "
                     f"with fact:; found {', '.join(map(str, data)) or 'nothing'}")
            return None
        key, inner = next(iter(data.items()))
        if key in ("all", "any"):
            if not isinstance(inner, list):
                self.bad((*path, key), "bad-condition", f"{key}: takes a list of conditions")
                return None
            parts = [self.condition(item, (*path, key, i), aliases) for i, item in enumerate(inner)]
            if any(p is None for p in parts):
                return None
            kept = tuple(p for p in parts if p is not None)
            return AllOf(all=kept) if key == "all" else AnyOf(any=kept)
        if key == "not":
            part = self.condition(inner, (*path, key), aliases)
            return None if part is None else Not(not_=part)
        if key == "none":
            pattern = self.pattern(inner, (*path, key), aliases)
            return None if pattern is None else NoneOf(none=pattern)
        self.bad((*path, key), "bad-condition", f"unknown condition {key!r}"
                 + suggest(key, CONDITION_KEYS))
        return None

    # --- rules and responses ----------------------------------------------------------------------------

    def response(self, rid: str, raw: Any, path: Path_) -> None:
        data = self.mapping(raw, path, "a response")
        if "id" in data:
            self.bad((*path, "id"), "unknown-key", "a response's id is its key; it takes no 'id:'")
        spec = as_model(self.problems, self.doc, path, ResponseSpec, {**data, "id": rid}, f"response {rid!r}",
                        strict=True)
        if spec is not None and spec.category not in self.categories:
            self.bad((*path, "category"), "bad-value", f"no category {spec.category!r}; the pack's categories are "
                     f"{', '.join(self.categories)}" + suggest(spec.category, self.categories))
        if spec is not None:
            for j, name in enumerate(spec.moot_when):
                self.known(name, self.moot, (*path, "moot_when", j), "unknown-moot", "moot state")
        if self.name(rid, path, "response ids", ID) and spec is not None:
            if rid in self.responses:
                self.bad(path, "duplicate-id", f"response {rid!r} is defined twice")
            self.responses[rid] = spec

    def effects(self, raw: Any, path: Path_) -> tuple[Effect, ...]:
        if not isinstance(raw, list):
            self.bad(path, "schema", f"then/else is a list of 'respond:' or 'derive:'; found {type_name(raw)}")
            return ()
        out: list[Effect] = []
        for i, item in enumerate(raw):
            here = (*path, i)
            data = self.mapping(item, here, "an effect")
            if "respond" in data and set(data) <= {"respond", "cite"}:
                if not self.known(data["respond"], self.responses, (*here, "respond"), "unknown-response",
                                  "response"):
                    continue
                cite = data.get("cite", 0)
                if not isinstance(cite, int) or isinstance(cite, bool) or cite < 0:
                    self.bad((*here, "cite"), "bad-value", "cite is the number of one of the rule's cites")
                    cite = 0
                out.append(Respond(respond=str(data["respond"]), cite=cite))
            elif set(data) == {"derive"}:
                if (derive := self.derive(data["derive"], (*here, "derive"))) is not None:
                    out.append(derive)
            else:
                self.bad(here, "bad-effect", "an effect is 'respond: RESPONSE_ID' or 'derive: {kind: …}'")
        return tuple(out)

    def derive(self, raw: Any, path: Path_) -> Derive | None:
        data = dict(self.mapping(raw, path, "derive"))
        kind_name = data.pop("kind", None)
        kind = self.vocabulary.get(kind_name) if isinstance(kind_name, str) else None
        if kind is None or not kind.derived:
            self.bad(path, "bad-derive", f"derive needs a kind declared 'derived: true'; found {kind_name!r}")
            return None
        subject = data.pop("subject", kind.subjects[0])
        ok = subject in kind.subjects
        if not ok:
            self.bad((*path, "subject"), "bad-subject", f"{kind_name} is about one of {', '.join(kind.subjects)}; "
                     f"found {type_name(subject)}")
        for field, value in data.items():
            spec: FieldSpec | None = kind.fields.get(field)
            why = f"no field {field!r}" if spec is None else check_value(spec, value)
            if why:
                self.bad((*path, field), "bad-value", f"{kind_name}: {why}" if spec is None
                         else f"{kind_name}.{field}: {why}")
                ok = False
        missing = [f for f, s in kind.fields.items() if not s.optional and f not in data]
        if missing:
            self.bad(path, "missing-field", f"derive {kind_name} needs {', '.join(missing)}")
        return Derive(kind=kind_name, subject=subject, fields=data) if ok and not missing else None

    def heading(self, data: dict[str, Any], path: Path_, what: str) -> tuple[str, tuple[Citation, ...]] | None:
        """The id and the cites that every rule and commitment has: without an id, nothing else is read."""
        eid = data.get("id")
        if eid is None or eid == "":
            self.bad(path, "schema", f"a {what} needs an 'id'")
            return None
        if not self.name(eid, (*path, "id"), f"{what} ids", ID):
            return None
        cites = tuple(c for i, raw in enumerate(self.listing(data.get("cites") or [], (*path, "cites"), "cites"))
                      if (c := self.cite(raw, (*path, "cites", i))))
        if not cites:
            self.bad(path, "uncited", f"{what} {eid!r} cites no source; every {what} says where it comes from")
        return eid, cites

    def rule(self, raw: Any, path: Path_) -> Rule | None:
        data = self.mapping(raw, path, "a rule")
        self.keys(data, path, RULE_KEYS, "a rule")
        if (heading := self.heading(data, path, "rule")) is None:
            return None
        rid, cites = heading
        when = self.condition(data["when"], (*path, "when"), {}) if "when" in data else AllOf(all=())
        then = self.effects(data.get("then", []), (*path, "then"))
        otherwise = self.effects(data["else"], (*path, "else")) if "else" in data else ()
        for i, effect in enumerate((*then, *otherwise)):
            if isinstance(effect, Respond) and effect.cite > len(cites):
                self.bad((*path, "then", i), "bad-cite", f"cite {effect.cite} but the rule has {len(cites)} cites")
        title, priority = self.text(data, "title", path, rid), self.priority(data.get("priority", 0), path)
        if when is None:
            return None
        self.keyed_falsity(when, bool(otherwise), path)
        moot = self.moot_of(then, otherwise, path)
        if moot:  # the rule holds only while none of the states that end its responses is observed
            parts = when.all if isinstance(when, AllOf) else (when,)
            when = AllOf(all=(*parts, *(NoneOf(none=self.moot[name].pattern) for name in moot)))
        return Rule(id=rid, title=title, cites=cites, when=when, then=then, else_=otherwise, priority=priority,
                    origin=str(self.doc.where(path)), moot=moot)

    def keyed_falsity(self, when: Condition, has_else: bool, path: Path_) -> None:
        """A state with a `key` has one counting fact per series, and the compiled falsity of a test on a
        state reads one fact: another series failing the test would take the else (or `not:`) while one
        series passes. Such a rule is refused until the falsity of a keyed state is compiled over all
        its series; `none:` (closed world) reads them all and is the way to write it meanwhile."""
        def walk(cond: Condition, negated: bool) -> list[str]:
            if isinstance(cond, Pattern):
                keyed = self.vocabulary[cond.kind].key if cond.kind in self.vocabulary else ()
                return [cond.kind] if keyed and (negated or has_else) else []
            if isinstance(cond, NoneOf):
                return []
            if isinstance(cond, Not):
                return walk(cond.not_, True)
            return [k for part in (cond.all if isinstance(cond, AllOf) else cond.any) for k in walk(part, negated)]

        kinds = sorted(set(walk(when, False)))
        if kinds:
            self.bad(path, "keyed-falsity", f"{', '.join(kinds)} has a key (one counting fact per series), so a rule "
                     "testing it takes no 'else:' and no 'not:' around it; write 'none:' for 'no series shows it'")

    def moot_of(self, then: tuple[Effect, ...], otherwise: tuple[Effect, ...], path: Path_) -> tuple[str, ...]:
        """The moot states of the responses the rule gives. A rule with an `else:` cannot give one: while
        the offer is moot its condition is false, and the else would be taken in its place."""
        ends = {e.respond: self.responses[e.respond].moot_when for e in (*then, *otherwise)
                if isinstance(e, Respond) and e.respond in self.responses}
        names = tuple(dict.fromkeys(n for e in then if isinstance(e, Respond) for n in ends.get(e.respond, ())
                                    if n in self.moot))
        ended = sorted(rid for rid, when in ends.items() if when)
        if ended and otherwise:
            self.bad(path, "moot-with-else", f"{', '.join(ended)} can be moot ({', '.join(ends[ended[0]])}); a rule "
                     "giving it takes no 'else:', which would be taken whenever it is moot: split the rule in two")
            return ()
        return names

    def priority(self, value: Any, path: Path_) -> int:
        """A whole number. docs/rules.md lists it, so it stays in the language, though it orders nothing today:
        every rule that holds contributes, and the guardrails keep exclusive responses apart."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.bad((*path, "priority"), "bad-value", f"priority is a whole number; found {type_name(value)}")
        return 0

    def cite(self, raw: Any, path: Path_) -> Citation | None:
        cite = as_model(self.problems, self.doc, path, Citation, raw, "a citation", strict=True)
        if cite is None:
            return None
        if cite.source not in self.sources:
            self.bad((*path, "source"), "unknown-source", f"no source {cite.source!r}"
                     + suggest(cite.source, self.sources))
        if len(cite.quote.split()) > MAX_QUOTE_WORDS:
            self.bad((*path, "quote"), "quote-too-long", f"quotes are at most {MAX_QUOTE_WORDS} words; this "
                     f"one has {len(cite.quote.split())}")
        return cite

    # --- guardrails -------------------------------------------------------------------------------------

    def guardrails(self, raw: Any) -> tuple[Guardrail, ...]:
        kept: list[Guardrail] = []
        seen: dict[str, str] = {}
        for i, item in enumerate(self.listing(raw, ("guardrails",), "'guardrails'")):
            path = ("guardrails", i)
            guard = as_model(self.problems, self.doc, path, Guardrail, item, "a guardrail", strict=True)
            if guard is None or not self.name(guard.id, (*path, "id"), "guardrail ids", ID):
                continue
            if guard.id == SINGLE_STATE:
                self.bad((*path, "id"), "duplicate-id", f"{SINGLE_STATE!r} is the engine's own guardrail")
            elif guard.id in seen:
                self.bad((*path, "id"), "duplicate-id", f"guardrail {guard.id!r} is already defined at "
                         f"{seen[guard.id]}")
            seen.setdefault(guard.id, str(self.doc.where(path)))
            if self.guardrail_reads(guard, path):
                kept.append(guard)
        return tuple(kept)

    def guardrail_reads(self, guard: Guardrail, path: Path_) -> bool:
        """Whether the guardrail gives what its rule reads and nothing else, naming only things that exist:
        a misspelt name would make it hold vacuously, and `check` call it proved."""
        before = len(self.problems.items)
        required, optional = READS[guard.rule]
        for key in sorted(guard.model_fields_set - {"id", "rule", "text"} - required - optional):
            self.bad((*path, key), "unknown-key", f"a {guard.rule} guardrail does not read {key!r}; it reads "
                     f"{', '.join(sorted(required | optional))}")
        for key in sorted(k for k in required if not getattr(guard, k)):
            self.bad(path, "missing-field", f"a {guard.rule} guardrail needs {key!r}")
        if guard.rule == "exclusive" and len(guard.responses) == 1:
            self.bad((*path, "responses"), "bad-value", "an exclusive guardrail names at least two responses")
        self.guardrail_names(guard, path)
        if guard.rule == "only_with" and len(self.problems.items) == before:
            self.derived_values(guard, path)
        return len(self.problems.items) == before

    def guardrail_names(self, guard: Guardrail, path: Path_) -> None:
        for key in ("responses", "except_"):
            for j, rid in enumerate(getattr(guard, key)):
                self.known(rid, self.responses, (*path, key, j), "unknown-response", "response")
        if guard.kind is not None:
            self.known(guard.kind, self.vocabulary, (*path, "kind"), "unknown-kind", "kind")
        for j, kind in enumerate(guard.kinds):
            self.known(kind, self.vocabulary, (*path, "kinds", j), "unknown-kind", "kind")
        for j, category in enumerate(guard.categories):
            self.known(category, self.categories, (*path, "categories", j), "bad-value", "category")
        if guard.pattern is not None:
            self.known(guard.pattern, self.patterns, (*path, "pattern"), "unknown-pattern", "pattern")
        if guard.prefix and not any(rid.startswith(guard.prefix) for rid in self.responses):
            self.bad((*path, "prefix"), "unknown-response", f"no response id starts with {guard.prefix!r}")

    def derived_values(self, guard: Guardrail, path: Path_) -> None:
        """only_with reads the value of a derived kind: its values must be ones the kind can take."""
        kind = self.vocabulary[str(guard.kind)]
        if not kind.derived:
            self.bad((*path, "kind"), "bad-value", f"only_with reads a derived kind; {guard.kind} is entered as facts")
            return
        spec = kind.fields.get("value")
        for j, value in enumerate(guard.values):
            if spec is not None and (why := check_value(spec, value)) is not None:
                self.bad((*path, "values", j), "bad-value", f"{guard.kind}.value: {why}")


def pack_from_documents(docs: list[Document]) -> Pack:
    """Build the pack: pack.yaml first, then responses from every file, then rules."""
    builder = _Builder()
    header = builder.header(docs[0])
    bodies = []
    for doc in docs[1:]:
        builder.doc = doc
        data = builder.mapping(doc.data, (), doc.file)
        builder.keys(data, (), RULE_FILE_KEYS, "a rules file")
        bodies.append((doc, data))
        for rid, raw in builder.mapping(data.get("responses", {}), ("responses",), "'responses'").items():
            builder.response(rid, raw, ("responses", rid))
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for doc, data in bodies:
        builder.doc = doc
        items = data.get("rules", [])
        if not isinstance(items, list):
            builder.bad(("rules",), "schema", "'rules' is a list")
            continue
        for i, raw in enumerate(items):
            rule = builder.rule(raw, ("rules", i))
            if rule is None:
                continue
            if rule.id in seen:
                builder.bad(("rules", i, "id"), "duplicate-id", f"rule {rule.id!r} is already defined at "
                            f"{seen[rule.id]}")
            seen[rule.id] = rule.origin
            rules.append(rule)
    commitments: list[Commitment] = []
    declared: dict[str, str] = {}
    for doc, data in bodies:
        builder.doc = doc
        for i, raw in enumerate(builder.listing(data.get("commitments", []), ("commitments",), "'commitments'")):
            if (made := commitment(builder, raw, ("commitments", i), declared)) is not None:
                commitments.append(made)
    builder.doc = docs[0]
    guardrails = builder.guardrails(header.get("guardrails", []))
    evidence = as_model(builder.problems, docs[0], ("evidence",), Evidence, header.get("evidence", {}),
                        "'evidence'", strict=True)
    builder.problems.raise_if_any()
    head = header["pack"]
    snapshot = [{"file": doc.file.rsplit("/", 1)[-1], "data": doc.data} for doc in docs]
    return Pack(name=head["name"], version=head["version"], title=head.get("title", ""),
                headline=builder.headline, categories=builder.categories, parties=builder.parties,
                sources=builder.sources, evidence=evidence, vocabulary=builder.vocabulary,
                patterns=builder.patterns, moot=builder.moot, responses=builder.responses, rules=tuple(rules),
                guardrails=guardrails, assumptions=builder.assumptions, commitments=tuple(commitments),
                digest=digest(snapshot))
