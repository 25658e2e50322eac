"""A pack broken at any one place is refused as bad input by `check` and by `evaluate`: exit 2, never 3.

The cases are generated from `tests/packs/every_key/`, a valid pack that uses every key of the language
(`test_base_pack_uses_every_key` holds it to the pack models and the loader's key sets, so a new field is
covered as soon as the base pack uses it). Each node in turn is replaced by a list, a mapping, a string,
a number and null — those of another type than its own; the whole document too — and each identifier by
itself with a trailing newline. A broken pack must give exit 2; on stderr only `file:line:col: code:
message` lines, one of them at the broken node (or a key enclosing it, or inside it); nothing on stdout;
no traceback; nothing in the audit store. TARGETED adds, with code and message, the mistakes of the
right type that the loader also refuses (unknown names in guardrails, refs, lax coercions). The rules/ cases of the hostile corpus (tests/bad_inputs/),
which test_bad_inputs.py runs through `evaluate`, run through `check` here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from test_bad_inputs import AS_OF, EXPECTED, LINE, MORE, prepare

from engine.cli import main
from engine.commitfile import COMMITMENT_KEYS
from engine.guardrails import READS
from engine.loader import Path_, load_yaml
from engine.model import (
    Assumption,
    Citation,
    Evidence,
    FieldSpec,
    Guardrail,
    KindSpec,
    ResponseSpec,
    Source,
    SourceBody,
)
from engine.packfile import (
    CONDITION_KEYS,
    DATE_KEYS,
    HEAD_KEYS,
    MATCH_KEYS,
    OPS,
    PACK_KEYS,
    PATTERN_KEYS,
    RULE_FILE_KEYS,
    RULE_KEYS,
)

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "packs" / "every_key"
# "1" and 1: what a lax reading would take for a number or a boolean.
WRONG: dict[str, Any] = {"list": ["x"], "mapping": {"a": 1}, "string": "1", "number": 1, "null": None}
KEY = "<key>"  # in an identifier's place: the mapping key itself is the identifier
ANY = "*"
IDENTIFIERS = {
    "pack.yaml": [("parties", KEY), ("categories", KEY), ("sources", KEY), ("assumptions", KEY), ("vocabulary", KEY), ("vocabulary", ANY, "subjects", ANY),
                  ("vocabulary", ANY, "fields", KEY), ("patterns", KEY), ("guardrails", ANY, "id")],
    "rules.yaml": [("responses", KEY), ("rules", ANY, "id"), ("rules", ANY, "when", "all", ANY, "as")],
    "commitments.yaml": [("commitments", ANY, "id")],
}


@functools.cache
def documents() -> dict[str, Any]:
    """The base pack's files as data (never changed: `replaced` copies what it changes)."""
    return {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(BASE.glob("*.yaml"))}


def type_of(value: object) -> str:
    for name, kind in (("null", type(None)), ("boolean", bool), ("number", int | float), ("string", str),
                       ("list", list), ("mapping", dict), ("date", dt.date)):
        if isinstance(value, kind):
            return name
    raise AssertionError(f"no YAML type for {value!r}")


def nodes(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every mapping value and list item of a document, with its path (the root itself left out)."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield (*path, key), value
        yield from nodes(value, (*path, key))


def replaced(data: Any, path: Path_, value: Any, rename: bool = False) -> Any:
    """A copy of `data` with the node at `path` replaced by `value` (or its key renamed to `value`)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, list):
        return [replaced(item, rest, value, rename) if i == head else item for i, item in enumerate(data)]
    if rename and not rest:
        return {(value if key == head else key): item for key, item in data.items()}
    return {key: replaced(item, rest, value, rename) if key == head else item for key, item in data.items()}


def accepts(file: str, path: Path_, wrong: Any) -> bool:
    """Whether the value is of a type the node takes after all: null where a pack model's field defaults
    to None, and in a rule's `where`, a plain value of the field's type in place of a test or an operand."""
    def optional(model: type[Any]) -> set[str]:
        return {name for name, info in model.model_fields.items() if info.default is None}

    if wrong is None:
        return file == "pack.yaml" and (
            (len(path) == 3 and path[0] == "sources" and path[2] in optional(Source))
            or (len(path) == 4 and path[0] == "sources" and path[2] == "body" and path[3] in optional(SourceBody))
            or (len(path) == 3 and path[0] == "vocabulary" and path[2] in optional(KindSpec))
            or (len(path) == 5 and path[0] == "vocabulary" and path[2] == "fields" and path[4] in optional(FieldSpec)))
    where = [i for i, part in enumerate(path) if part == "where"]
    if not where or len(path) - where[-1] not in (2, 3):
        return False
    field = FIELD_TYPES.get(str(path[where[-1] + 1]), "-")  # observed: date tests only, never a plain value
    return type_of(wrong) == {"integer": "number", "enum": "-"}.get(field, field)


FIELD_TYPES = {field: spec["type"] for kind in documents()["pack.yaml"]["vocabulary"].values()
               for field, spec in kind["fields"].items()}  # field names are unique in the base pack


def wrong_type_cases() -> list[Any]:
    cases = []
    for file, data in documents().items():
        for path, value in [((), data), *nodes(data)]:
            for name, wrong in WRONG.items():
                if name != type_of(value) and not accepts(file, path, wrong):
                    cases.append(pytest.param(file, path, wrong, id=f"{file}:{'.'.join(map(str, path))}={name}"))
    return cases


def fits(path: Path_, template: tuple[str, ...]) -> bool:
    return len(path) == len(template) and all(t in (ANY, KEY) or t == p for p, t in zip(path, template, strict=True))


def identifier_cases() -> list[Any]:
    cases = []
    for file, data in documents().items():
        for path, value in nodes(data):
            for template in IDENTIFIERS.get(file, []):
                if fits(path, template):
                    rename = template[-1] == KEY
                    name = str(path[-1]) if rename else value
                    cases.append(pytest.param(file, path, name + "\n", rename, id=f"{file}:{'.'.join(map(str, path))}"))
    return cases


def targeted(name: str, file: str, path: Path_, value: Any, code: str, has: str) -> Any:
    return pytest.param(file, path, value, code, has, id=name)


JOIN = ("rules", 0, "when", "all", 1, "where", "temp")
TARGETED = [
    targeted("ref-to-unknown-field", "rules.yaml", (*JOIN, "lte", "ref"), "here.warmth", "bad-ref",
             "here is a weather fact, which has no field 'warmth'"),
    targeted("ref-to-unknown-alias", "rules.yaml", (*JOIN, "lte", "ref"), "there.temp", "bad-ref",
             "must name an earlier alias"),
    targeted("ref-of-another-type", "rules.yaml", (*JOIN, "lte", "ref"), "here.sky", "bad-ref",
             "weather.temp is number but weather.sky is enum"),
    targeted("ref-in-in", "rules.yaml", JOIN, {"in": {"ref": "here.temp"}}, "bad-ref", "'in' takes a list"),
    targeted("ref-a-list", "rules.yaml", (*JOIN, "lte", "ref"), ["here", "temp"], "bad-ref", "earlier alias"),
    targeted("guardrail-unknown-pattern", "pack.yaml", ("guardrails", 2, "pattern"), "rainy_day",
             "unknown-pattern", "no pattern 'rainy_day'"),
    targeted("guardrail-unknown-kind", "pack.yaml", ("guardrails", 1, "kind"), "moods", "unknown-kind",
             "did you mean 'mood'?"),
    targeted("guardrail-unknown-kinds", "pack.yaml", ("guardrails", 3, "kinds", 0), "events", "unknown-kind",
             "no kind 'events'"),
    targeted("guardrail-unknown-response", "pack.yaml", ("guardrails", 0, "responses", 1), "stay_out",
             "unknown-response", "no response 'stay_out'"),
    targeted("guardrail-unknown-except", "pack.yaml", ("guardrails", 3, "except_", 0), "umbrella.take",
             "unknown-response", "no response 'umbrella.take'"),
    targeted("guardrail-unknown-category", "pack.yaml", ("guardrails", 2, "categories", 0), "offers",
             "bad-value", "no category 'offers'"),
    targeted("response-unknown-category", "rules.yaml", ("responses", "stay_in", "category"), "risk",
             "bad-value", "no category 'risk'; the pack's categories are offer, consequence, messaging, principle"),
    targeted("headline-unknown-kind", "pack.yaml", ("headline",), {"moods": "The mood"}, "unknown-kind",
             "did you mean 'mood'?"),
    targeted("headline-stated-kind", "pack.yaml", ("headline",), ["weather"], "bad-headline",
             "a headline is a derived kind with a 'value' field; weather is entered as facts"),
    targeted("headline-empty-label", "pack.yaml", ("headline", "mood"), " ", "schema", "non-empty text"),
    targeted("category-empty-title", "pack.yaml", ("categories", "offer"), "", "schema", "non-empty title"),
    targeted("categories-none", "pack.yaml", ("categories",), {}, "schema", "at least one category"),
    targeted("guardrail-prefix-of-nothing", "pack.yaml", ("guardrails", 3, "prefix"), "umbrela.",
             "unknown-response", "no response id starts with 'umbrela.'"),
    targeted("guardrail-exclusive-alone", "pack.yaml", ("guardrails", 0, "responses"), ["picnic"], "bad-value",
             "at least two responses"),
    targeted("guardrail-only-with-stated-kind", "pack.yaml", ("guardrails", 1, "kind"), "weather", "bad-value",
             "only_with reads a derived kind"),
    targeted("guardrail-only-with-impossible-value", "pack.yaml", ("guardrails", 1, "values", 0), "great",
             "bad-value", "mood.value: expected one of good, bad"),
    targeted("guardrail-without-what-it-reads", "pack.yaml", ("guardrails", 2),
             {"id": "offers_need_sun", "rule": "requires_fact", "text": "t", "categories": ["offer"]},
             "missing-field", "a requires_fact guardrail needs 'pattern'"),
    targeted("guardrail-with-what-it-does-not-read", "pack.yaml", ("guardrails", 0),
             {"id": "not_both", "rule": "exclusive", "text": "t", "responses": ["picnic", "stay_in"], "kind": "mood"},
             "unknown-key", "exclusive guardrail does not read 'kind'"),
    targeted("guardrail-duplicate-id", "pack.yaml", ("guardrails", 1, "id"), "not_both", "duplicate-id",
             "guardrail 'not_both' is already defined at"),
    targeted("guardrail-engine-id", "pack.yaml", ("guardrails", 1, "id"), "single_derived_state", "duplicate-id",
             "the engine's own guardrail"),
    targeted("response-with-an-id-key", "rules.yaml", ("responses", "stay_in"),
             {"id": "stay_out", "category": "consequence", "text": "Stay in."}, "unknown-key", "its key"),
    targeted("derive-about-another-subject", "rules.yaml", ("rules", 0, "then", 0, "derive", "subject"), "town",
             "bad-subject", "mood is about one of city; found the string 'town'"),
    targeted("pack-header-unknown-key", "pack.yaml", ("pack",), {"name": "n", "version": "1", "author": "a"},
             "unknown-key", "unknown key 'author' in 'pack'"),
    targeted("numeral-for-a-paragraph", "rules.yaml", ("rules", 0, "cites", 0, "para"), "1", "schema",
             "valid integer"),
    targeted("yes-for-a-boolean", "pack.yaml", ("vocabulary", "weather", "fields", "days", "optional"), "yes",
             "schema", "valid boolean"),
    targeted("one-for-a-boolean", "pack.yaml", ("vocabulary", "weather", "state"), 1, "schema", "valid boolean"),
    targeted("text-for-a-date", "pack.yaml", ("sources", "s", "date"), "2021-02-12", "schema", "valid date"),
]


# --- running a broken pack -------------------------------------------------------------------------------

def write_pack(folder: Path, file: str, path: Path_, value: Any, rename: bool = False) -> Path:
    """The base pack with one node changed, written as block YAML (one key a line, so each node has its line)."""
    folder.mkdir()
    for name, data in documents().items():
        changed = replaced(data, path, value, rename) if name == file else data
        (folder / name).write_text(yaml.safe_dump(changed, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder / file


def around(file: Path, path: Path_) -> set[int]:
    """Lines of the node at `path`, of the keys enclosing it, and of the nodes inside it."""
    located = load_yaml(file).locations
    return {where.line for at, where in located.items()
            if (at or not path) and (at == path[:len(at)] or path == at[:len(path)])}


def run(command: str, rules: Path, tmp: Path) -> tuple[int, str, str]:
    tmp.mkdir(exist_ok=True)
    facts = tmp / "no-facts.yaml"
    facts.write_text("facts: []\n", encoding="utf-8")
    argv = [command, str(facts), "--rules", str(rules)]
    if command == "evaluate":
        argv += ["--as-of", AS_OF, "--audit-db", str(tmp / "audit.sqlite")]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def refusal(command: str, rules: Path, tmp: Path, named: Path, lines: set[int] | None,
            codes: tuple[str, ...] = (), has: str = "") -> list[str]:
    """Everything wrong with how `command` refused the pack; empty when it refused it as it should."""
    code, out, err = run(command, rules, tmp)
    wrong = [] if code == 2 else [f"exit {code}, not 2"]
    wrong += ["something on stdout"] if out else []
    wrong += ["a traceback or internal error"] if "Traceback" in err or "internal error" in err else []
    wrong += [f"not file:line:col: code: message: {line!r}" for line in err.splitlines()
              if not (LINE.match(line) or MORE.match(line))]
    found = [m for line in err.splitlines() if (m := LINE.match(line)) and m["file"] == str(named)
             and (lines is None or (m["line"] and int(m["line"]) in lines))
             and (not codes or m["code"] in codes) and has in m["message"].replace(f"{ROOT}/", "")]
    if not found:
        wrong.append(f"no {' or '.join(codes) or 'problem'} {has!r} at {named}:{sorted(lines or [])}")
    if (tmp / "audit.sqlite").exists():
        wrong.append("an audit store was written")
    return [f"{command}: {w}" for w in wrong] + ([f"stderr:\n{err[:3000]}"] if wrong else [])


# --- the tests ---------------------------------------------------------------------------------------------

def test_base_pack_is_valid(tmp_path: Path) -> None:
    for command in ("check", "evaluate"):
        code, out, err = run(command, BASE, tmp_path)
        assert (code, err) == (0, ""), f"{command}: exit {code}\n{err}"
        assert out


def test_base_pack_uses_every_key() -> None:
    """Every key the loader and the pack models know appears in the base pack, so each gets its cases."""
    used = {key for data in documents().values() for _, node in nodes({"": data}) if isinstance(node, dict)
            for key in node}
    expected = (PACK_KEYS | HEAD_KEYS | RULE_FILE_KEYS | RULE_KEYS | PATTERN_KEYS | MATCH_KEYS | set(CONDITION_KEYS)
                | set(OPS) | set(DATE_KEYS) | {"ref", "assumption", "observed", "respond", "cite", "derive", "kind",
                                                  "subject"} | COMMITMENT_KEYS | {"within_days", "fact", "field"})
    for model in (Source, Evidence, KindSpec, FieldSpec, ResponseSpec, Guardrail, Citation, Assumption,
                  SourceBody):
        expected |= set(model.model_fields) - {"id"} if model is ResponseSpec else set(model.model_fields)
    assert expected - used == set(), "tests/packs/every_key does not use these keys"
    values = [node for data in documents().values() for _, node in nodes(data) if isinstance(node, str)]
    assert set(READS) <= set(values), "every rule of guardrail is used"
    assert set(get_args(FieldSpec.model_fields["type"].annotation)) <= set(values), "every field type is used"


@pytest.mark.parametrize(("file", "path", "value"), wrong_type_cases())
def test_wrong_type_is_refused(file: str, path: Path_, value: Any, tmp_path: Path) -> None:
    named = write_pack(tmp_path / "rules", file, path, value)
    lines = around(named, path)
    wrong = [w for command in ("check", "evaluate")
             for w in refusal(command, named.parent, tmp_path / command, named, lines)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("file", "path", "value", "rename"), identifier_cases())
def test_identifier_with_trailing_newline_is_refused(file: str, path: Path_, value: str, rename: bool,
                                                     tmp_path: Path) -> None:
    named = write_pack(tmp_path / "rules", file, path, value, rename)
    line = load_yaml(named).locations[(*path[:-1], value) if rename else path].line
    wrong = [w for command in ("check", "evaluate")
             for w in refusal(command, named.parent, tmp_path / command, named, {line}, ("bad-name",))]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("file", "path", "value", "code", "has"), TARGETED)
def test_targeted_mistake_is_refused(file: str, path: Path_, value: Any, code: str, has: str, tmp_path: Path) -> None:
    named = write_pack(tmp_path / "rules", file, path, value)
    lines = around(named, path)
    wrong = [w for command in ("check", "evaluate")
             for w in refusal(command, named.parent, tmp_path / command, named, lines, (code,), has)]
    assert not wrong, "\n".join(wrong)


def test_identifier_cases_cover_every_kind_of_identifier() -> None:
    templates = {t for ts in IDENTIFIERS.values() for t in ts}
    covered = {t for case in identifier_cases() for t in templates if fits(case.values[1], t)}
    assert covered == templates


@pytest.mark.parametrize("name", [name for name in EXPECTED if name.startswith("rules/") and not EXPECTED[name].bug])
def test_corpus_pack_is_refused_by_check(name: str, tmp_path: Path) -> None:
    prepared = prepare(name, tmp_path)
    rules = Path(prepared.argv[prepared.argv.index("--rules") + 1])
    expect = EXPECTED[name]
    lines = None if expect.line is None else {expect.line}
    wrong = refusal("check", rules, tmp_path / "check", prepared.named, lines, expect.code_set, expect.has)
    assert not wrong, "\n".join(wrong)
