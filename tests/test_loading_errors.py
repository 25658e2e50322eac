"""Bad input is refused with exit 2 and one `file:line:col: code: message` line per problem, never a traceback.

Each case writes its bad file(s) under `tmp_path`, runs `commitments evaluate` (or `check` for rules-folder
cases) in-process, and checks the exit code, the shape of every stderr line, the file and line named, and
a meaningful part of the message. Expected line numbers are computed from the text written, not guessed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine import loader
from engine.cli import main
from engine.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
FACTS = ROOT / "facts"
BASELINE = FACTS / "2021-02-baseline.yaml"
AS_OF = "2021-02-12"

LINE = re.compile(r"^\S+:\d+:\d+: [a-z-]+: .+")
PLACED = re.compile(r"^(?P<file>\S+):(?P<line>\d+):(?P<col>\d+): (?P<code>[a-z-]+): (?P<message>.+)$")


# --- building input text -----------------------------------------------------------------------------------

FACT_FIELDS: dict[str, str] = {
    "kind": "violence_trend",
    "subject": "taliban",
    "observed": "2020-10-30",
    "change_pct": "50",
    "window_days": "92",
    "metric": "attacks",
    "source": '{title: "SIGAR Quarterly Report", ref: "https://www.sigar.mil/", date: 2020-10-30}',
    "reliability": "A",
    "credibility": "2",
}


def fact(fid: str = "f-1", prefix: str = "  - ", **changes: str | None) -> str:
    """One valid violence_trend fact (copied from the baseline) as a list item; `changes` replace, drop
    (None) or add keys, in order."""
    values: dict[str, str | None] = {"id": fid, **FACT_FIELDS, **changes}
    lines = [f"{key}: {value}" for key, value in values.items() if value is not None]
    return prefix + lines[0] + "\n" + "".join(f"    {line}\n" for line in lines[1:])


def facts_file(*facts: str, head: str = "") -> str:
    return head + "facts:\n" + "\n".join(facts)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based number of the line holding the `occurrence`-th match of `needle`."""
    found = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            found += 1
            if found == occurrence:
                return number
    raise AssertionError(f"{needle!r} (occurrence {occurrence}) is not in the text")


def col_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based column where `needle` starts on its line."""
    return text.splitlines()[line_of(text, needle, occurrence) - 1].index(needle) + 1


# --- what a case expects ---------------------------------------------------------------------------------

@dataclass
class Expect:
    """A stderr line about `file`, at `lines` (any of them; None for a whole-file problem), whose
    code is one of `codes` (any code when empty) and whose message holds every one of `has`."""

    file: Path
    lines: tuple[int, ...] | None
    codes: tuple[str, ...] = ()
    has: tuple[str, ...] = ()
    column: int | None = None


@dataclass
class Case:
    argv: list[str]
    expects: list[Expect | tuple[Expect, ...]]  # a tuple: any one of these will do
    files: list[Path] = field(default_factory=list)
    count: int | None = None  # exact number of stderr lines, when the case is about that
    sorted_lines: bool = False
    after: Callable[[], None] | None = None


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def evaluate_argv(*paths: Path, rules: Path = RULES) -> list[str]:
    return ["evaluate", *map(str, paths), "--rules", str(rules), "--as-of", AS_OF]


def one_file_case(tmp: Path, text: str | bytes, expect: Callable[[Path, str], list[Expect]],
                  **kwargs: object) -> Case:
    path = write(tmp / "facts.yaml", text)
    shown = text if isinstance(text, str) else text.decode("utf-8", "replace")
    return Case(argv=evaluate_argv(path), expects=expect(path, shown), files=[path], **kwargs)  # type: ignore[arg-type]


def at(needle: str, codes: tuple[str, ...] | str = (), has: tuple[str, ...] | str = (),
       occurrence: int = 1) -> Callable[[Path, str], list[Expect]]:
    """Expect one problem at the line holding `needle`."""
    codes_ = (codes,) if isinstance(codes, str) else codes
    has_ = (has,) if isinstance(has, str) else has
    return lambda path, text: [Expect(path, (line_of(text, needle, occurrence),), codes_, has_)]


# --- the fact-file cases -----------------------------------------------------------------------------------

def case_malformed_yaml(tmp: Path) -> Case:
    text = facts_file(fact("f-1", metric="[attacks, security_incidents"), fact("f-2"))

    def expect(path: Path, t: str) -> list[Expect]:
        # The unclosed bracket's line, or the next one, where the parser finds the sequence never closed.
        bracket = line_of(t, "metric: [attacks")
        return [Expect(path, (bracket, bracket + 1), ("yaml-syntax",), ("flow sequence",))]
    return one_file_case(tmp, text, expect)


def case_tab_indentation(tmp: Path) -> Case:
    text = facts_file(fact("f-1").replace("    window_days:", "\twindow_days:"))

    def expect(path: Path, t: str) -> list[Expect]:
        return [Expect(path, (line_of(t, "\twindow_days"),), ("yaml-syntax",), ("\\t",), column=1)]
    return one_file_case(tmp, text, expect)


def case_duplicate_key(tmp: Path) -> Case:
    # `metric` appears twice in the fact: once in its usual place, once again after `note`.
    text = facts_file(fact("f-1", note='"first"').replace('    note: "first"\n',
                                                           '    note: "first"\n    metric: attacks\n'))

    def expect(path: Path, t: str) -> list[Expect]:
        first, second = line_of(t, "metric: attacks", 1), line_of(t, "metric: attacks", 2)
        return [Expect(path, (second,), ("yaml-duplicate-key",), ("'metric'", f"first defined at line {first}"))]
    return one_file_case(tmp, text, expect)


def case_unknown_kind(tmp: Path) -> Case:
    text = facts_file(fact("f-1", kind="violence_trnd"))
    return one_file_case(tmp, text, at("kind: violence_trnd", "unknown-kind",
                                       ("'violence_trnd'", "did you mean 'violence_trend'")))


def case_unknown_field(tmp: Path) -> Case:
    text = facts_file(fact("f-1", change_pct=None, chnge_pct="50"))
    return one_file_case(tmp, text, at("chnge_pct:", "unknown-field", ("'chnge_pct'", "did you mean 'change_pct'")))


def case_wrong_type(tmp: Path) -> Case:
    text = facts_file(fact("f-1", window_days='"ninety"'))
    return one_file_case(tmp, text, at("window_days:", "bad-value", ("window_days", "integer", "'ninety'")))


def case_bad_enum(tmp: Path) -> Case:
    text = facts_file(fact("f-1", metric="casualties"))
    return one_file_case(tmp, text, at("metric: casualties", "bad-value", ("metric", "'casualties'", "attacks")))


def case_impossible_date(tmp: Path) -> Case:
    text = facts_file(fact("f-1", observed="2021-02-30"))
    return one_file_case(tmp, text, at("observed: 2021-02-30", "bad-date", "2021-02-30"))


def case_date_with_time(tmp: Path) -> Case:
    text = facts_file(fact("f-1", observed="2021-02-10 14:30:00"))
    return one_file_case(tmp, text, at("observed: 2021-02-10 14:30:00", "bad-date", ("2021-02-10", "time of day")))


def case_duplicate_id_in_file(tmp: Path) -> Case:
    text = facts_file(fact("f-dup"), fact("f-other"), fact("f-dup"))

    def expect(path: Path, t: str) -> list[Expect]:
        first = line_of(t, "- id: f-dup", 1)
        return [Expect(path, (line_of(t, "- id: f-dup", 2),), ("duplicate-id",),
                       ("'f-dup'", f"{path}:{first}:"))]
    return one_file_case(tmp, text, expect)


def case_duplicate_id_across_files(tmp: Path) -> Case:
    first_text = facts_file(fact("f-shared"))
    second_text = facts_file(fact("f-own"), fact("f-shared"))
    first = write(tmp / "a.yaml", first_text)
    second = write(tmp / "b.yaml", second_text)
    return Case(argv=evaluate_argv(first, second), files=[first, second], count=1, expects=[
        Expect(second, (line_of(second_text, "- id: f-shared"),), ("duplicate-id",),
               ("'f-shared'", f"{first}:{line_of(first_text, '- id: f-shared')}:"))])


def case_billion_laughs(tmp: Path) -> Case:
    names = "abcdefghi"
    lines = ["# 9 levels of 9 aliases: 9**9 strings once expanded", f"{names[0]}: &{names[0]} [{', '.join(['lol'] * 9)}]"]
    for previous, name in zip(names, names[1:], strict=False):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    lines.append(f"facts: *{names[-1]}")
    text = "\n".join(lines) + "\n"
    return one_file_case(tmp, text, lambda path, t: [Expect(
        path, tuple(range(1, len(t.splitlines()) + 1)), ("yaml-too-large", "yaml-aliases"), ("alias",))])


def case_python_tag(tmp: Path) -> Case:
    marker = tmp / "pwned"
    text = facts_file(fact("f-1", note=f'!!python/object/apply:os.system ["touch {marker}"]'))

    def nothing_ran() -> None:
        assert not marker.exists(), "the !!python tag was executed"
    return one_file_case(tmp, text, at("note: !!python", "yaml-tag", "python/object/apply:os.system"),
                         after=nothing_ran)


def case_binary_tag(tmp: Path) -> Case:
    text = facts_file(fact("f-1", note="!!binary aGVsbG8gd29ybGQ="))
    return one_file_case(tmp, text, at("note: !!binary", "yaml-tag", "binary"))


def case_local_tag(tmp: Path) -> Case:
    text = facts_file(fact("f-1", note="!include secrets.yaml"))
    return one_file_case(tmp, text, at("note: !include", "yaml-tag", "!include"))


def case_oversized(tmp: Path) -> Case:
    text = facts_file(fact("f-1"), head="# " + "x" * 1_000_100 + "\n")
    assert len(text.encode()) > 1_000_000
    return one_file_case(tmp, text, lambda path, t: [Expect(path, None, ("file-too-large",), ("1000000",))])


def case_binary_file(tmp: Path) -> Case:
    data = b"facts:\n  - id: f-1\x00\x01\x02\xff\xfe\x00\n" + bytes(range(256))
    return one_file_case(tmp, data, lambda path, t: [Expect(path, None, ("file-binary",), ("binary",))])


def case_invalid_utf8(tmp: Path) -> Case:
    good = facts_file(fact("f-1", note='"caf@ au lait"'))
    data = good.encode("utf-8").replace(b"@", b"\xe9")
    bad_line = good.splitlines()
    line = next(i for i, text in enumerate(bad_line, start=1) if "@" in text)
    column = bad_line[line - 1].encode().index(b"@") + 1
    return one_file_case(tmp, data, lambda path, t: [Expect(path, (line,), ("file-encoding",), ("0xe9",),
                                                            column=column)])


def case_missing_field(tmp: Path) -> Case:
    text = facts_file(fact("f-ok"), fact("f-1", change_pct=None))
    return one_file_case(tmp, text, at("- id: f-1", "missing-field", "'change_pct'"), count=1)


def case_top_level_list(tmp: Path) -> Case:
    text = "# a bare list, not 'facts:'\n" + fact("f-1", prefix="- ").replace("\n    ", "\n  ")
    return one_file_case(tmp, text, at("- id: f-1", "schema", "facts:"))


def case_bad_subject(tmp: Path) -> Case:
    text = facts_file(fact("f-1", subject="pakistan"))
    return one_file_case(tmp, text, at("subject: pakistan", "bad-subject", ("'pakistan'", "taliban")))


def case_nan(tmp: Path) -> Case:
    text = facts_file(fact("f-1", change_pct=".nan"))
    return one_file_case(tmp, text, at("change_pct: .nan", ("bad-number", "bad-value"), ".nan"))


def case_inf(tmp: Path) -> Case:
    text = facts_file(fact("f-1", change_pct="-.inf"))
    return one_file_case(tmp, text, at("change_pct: -.inf", ("bad-number", "bad-value"), ".inf"))


def case_derived_kind(tmp: Path) -> Case:
    text = facts_file(fact("f-1", kind="cooperation_level", subject="pakistan", change_pct=None,
                           window_days=None, metric=None, value="refusal"))
    return one_file_case(tmp, text, at("kind: cooperation_level", "derived-kind", ("'cooperation_level'", "derived")))


def case_merge_key(tmp: Path) -> Case:
    text = facts_file(fact("f-1", prefix="  - &base\n    "), "  - <<: *base\n    id: f-2\n")
    return one_file_case(tmp, text, at("<<: *base", "yaml-merge", "'<<'"))


def case_deep_nesting(tmp: Path) -> Case:
    text = "# 200 nested lists\nfacts: " + "[" * 200 + "]" * 200 + "\n"
    return one_file_case(tmp, text, at("facts: [[[", "yaml-too-deep", "deeper than"))


def case_deeper_nesting(tmp: Path) -> Case:
    """Beyond the brief's depth 200: 1000 levels, still one line of text, must still be a clear error."""
    text = "# 1000 nested lists\nfacts: " + "[" * 1000 + "]" * 1000 + "\n"
    return one_file_case(tmp, text, at("facts: [[[", "yaml-too-deep", "deep"))


def case_too_many_properties(tmp: Path) -> Case:
    rules = tmp / "rules"
    shutil.copytree(RULES, rules)
    pack_file = rules / "pack.yaml"
    wide = "  wide:\n    subjects: [pakistan]\n    state: true\n    fields:\n" + "".join(
        f"      f{i}: {{type: integer}}\n" for i in range(260))
    pack_text = pack_file.read_text(encoding="utf-8").replace("\nvocabulary:\n", "\nvocabulary:\n" + wide, 1)
    write(pack_file, pack_text)
    fact_text = ("facts:\n  - id: wide-1\n    kind: wide\n    subject: pakistan\n    observed: 2021-01-01\n"
                 '    source: {title: "T", ref: "r", date: 2021-01-01}\n    reliability: A\n    credibility: 1\n'
                 + "".join(f"    f{i}: {i}\n" for i in range(260)))
    facts = write(tmp / "wide.yaml", fact_text)
    # Either the pack refuses the kind (at `wide:` in pack.yaml) or the fact file refuses the fact.
    return Case(argv=evaluate_argv(facts, rules=rules), files=[pack_file, facts], expects=[(
        Expect(pack_file, (line_of(pack_text, "  wide:"),), ("too-many-properties",), ("260",)),
        Expect(facts, (line_of(fact_text, "- id: wide-1"),), ("too-many-properties",), ("260",)),
    )])


def case_several_problems(tmp: Path) -> Case:
    text = facts_file(fact("f-1", metric="casualties"), fact("f-2"), fact("f-3", kind="violence_trnd"),
                      fact("f-4", window_days='"ninety"'))

    def expect(path: Path, t: str) -> list[Expect]:
        return [Expect(path, (line_of(t, "metric: casualties"),), ("bad-value",), ("casualties",)),
                Expect(path, (line_of(t, "kind: violence_trnd"),), ("unknown-kind",), ("violence_trnd",)),
                Expect(path, (line_of(t, 'window_days: "ninety"'),), ("bad-value",), ("ninety",))]
    return one_file_case(tmp, text, expect, count=3, sorted_lines=True)


# --- rules-folder cases ------------------------------------------------------------------------------------

def rules_case(tmp: Path, edit_file: str, old: str, new: str, needle: str, codes: str,
               has: tuple[str, ...], extra: dict[str, str] | None = None,
               expect_file: str | None = None) -> Case:
    """Copy rules/, replace `old` by `new` in `edit_file` (and add `extra` files), expect a problem at
    the line holding `needle` in `expect_file` (default `edit_file`)."""
    rules = tmp / "rules"
    shutil.copytree(RULES, rules)
    target = rules / edit_file
    text = target.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {edit_file}"
    write(target, text.replace(old, new))
    for name, content in (extra or {}).items():
        write(rules / name, content)
    where = rules / (expect_file or edit_file)
    shown = where.read_text(encoding="utf-8")
    return Case(argv=["check", "--rules", str(rules), str(BASELINE)], files=[where],
                expects=[Expect(where, (line_of(shown, needle),), (codes,), has)])


def case_rules_unknown_response(tmp: Path) -> Case:
    return rules_case(tmp, "fatf.yaml", "      - respond: fatf.keep_listed\n", "      - respond: fatf.keep_lsted\n",
                      "respond: fatf.keep_lsted", "unknown-response",
                      ("'fatf.keep_lsted'", "did you mean 'fatf.keep_listed'"))


def case_rules_unknown_where_field(tmp: Path) -> Case:
    return rules_case(tmp, "fatf.yaml", "where: {list: grey}", "where: {lst: grey}", "where: {lst: grey}",
                      "unknown-field", ("'lst'", "did you mean 'list'"))


def case_rules_bad_operator(tmp: Path) -> Case:
    return rules_case(tmp, "fatf.yaml", "where: {list: grey}", "where: {list: {gte: grey}}",
                      "where: {list: {gte: grey}}", "bad-operator", ("gte", "list", "enum"))


def case_rules_no_cites(tmp: Path) -> Case:
    old = ("    cites:\n      - {source: weinstein-2021, para: 15, quote: \"clearly communicate its willingness to "
           "offer conditional support for Pakistan at the FATF\"}\n")
    return rules_case(tmp, "fatf.yaml", old, "", "- id: fatf.conditional_message", "uncited",
                      ("'fatf.conditional_message'",))


def case_rules_duplicate_id(tmp: Path) -> Case:
    dup = ("# a second definition of a rule id from fatf.yaml\nrules:\n  - id: fatf.offer_support\n"
           "    title: The same id again\n    cites:\n"
           "      - {source: weinstein-2021, para: 15, quote: \"clearly communicate its willingness\"}\n"
           "    when: {fact: fatf_status, where: {list: grey}}\n    then:\n      - respond: fatf.state_conditional_offer\n")
    first_line = line_of((RULES / "fatf.yaml").read_text(encoding="utf-8"), "id: fatf.offer_support")
    return rules_case(tmp, "fatf.yaml", "# §1", "# §1", "id: fatf.offer_support", "duplicate-id",
                      ("'fatf.offer_support'", f"fatf.yaml:{first_line}:"), extra={"zz_duplicate.yaml": dup},
                      expect_file="zz_duplicate.yaml")


def case_rules_long_quote(tmp: Path) -> Case:
    old = 'quote: "if Pakistan refuses to take action, then it should remain on the list"'
    words = " ".join(f"word{i}" for i in range(31))
    return rules_case(tmp, "fatf.yaml", old, f'quote: "{words}"', "word30", "quote-too-long", ("30 words", "31"))


CASES: dict[str, Callable[[Path], Case]] = {
    "01-malformed-yaml-unclosed-bracket": case_malformed_yaml,
    "02-tab-indentation": case_tab_indentation,
    "03-duplicate-key-in-fact": case_duplicate_key,
    "04-unknown-kind-near-miss": case_unknown_kind,
    "05-unknown-field-near-miss": case_unknown_field,
    "06-wrong-type-string-for-integer": case_wrong_type,
    "07-bad-enum-value": case_bad_enum,
    "08-impossible-date": case_impossible_date,
    "09-date-with-time-of-day": case_date_with_time,
    "10-duplicate-fact-id-in-file": case_duplicate_id_in_file,
    "11-duplicate-fact-id-across-files": case_duplicate_id_across_files,
    "12-billion-laughs": case_billion_laughs,
    "13-python-object-apply-tag": case_python_tag,
    "14a-binary-tag": case_binary_tag,
    "14b-local-tag": case_local_tag,
    "15-oversized-file": case_oversized,
    "16-binary-file-nul-bytes": case_binary_file,
    "17-invalid-utf8": case_invalid_utf8,
    "18-missing-required-field": case_missing_field,
    "19-top-level-bare-list": case_top_level_list,
    "20-subject-not-allowed": case_bad_subject,
    "21a-nan": case_nan,
    "21b-inf": case_inf,
    "22-derived-kind-as-fact": case_derived_kind,
    "23-merge-key": case_merge_key,
    "24-deep-nesting-200": case_deep_nesting,
    "24b-deep-nesting-1000": case_deeper_nesting,
    "25-too-many-properties": case_too_many_properties,
    "26-several-problems-all-reported": case_several_problems,
    "27a-rules-unknown-response": case_rules_unknown_response,
    "27b-rules-where-unknown-field": case_rules_unknown_where_field,
    "27c-rules-gte-on-enum": case_rules_bad_operator,
    "27d-rules-no-cites": case_rules_no_cites,
    "27e-rules-duplicate-rule-id-across-files": case_rules_duplicate_id,
    "27f-rules-quote-over-30-words": case_rules_long_quote,
}


def _matches(line: str, expect: Expect) -> bool:
    placed = PLACED.match(line)
    if expect.lines is None:
        if not line.startswith(f"{expect.file}:"):
            return False
        rest = line[len(str(expect.file)) + 1:]
        code, _, message = rest.strip().partition(": ")
        if placed and placed["file"] == str(expect.file):
            code, message = placed["code"], placed["message"]
    else:
        if not placed or placed["file"] != str(expect.file) or int(placed["line"]) not in expect.lines:
            return False
        if expect.column is not None and int(placed["col"]) != expect.column:
            return False
        code, message = placed["code"], placed["message"]
    return (not expect.codes or code in expect.codes) and all(part in message for part in expect.has)


@pytest.mark.parametrize("build", list(CASES.values()), ids=list(CASES))
def test_bad_input_is_reported(build: Callable[[Path], Case], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    case = build(tmp_path)
    code = main(case.argv)
    out, err = capsys.readouterr()
    report = f"exit {code}\n--- stdout ---\n{out}--- stderr ---\n{err}"
    assert "Traceback" not in out and "Traceback" not in err, report
    assert code == 2, report
    lines = err.splitlines()
    assert lines, report
    whole_files = [str(path) for path in case.files]
    for line in lines:
        assert LINE.match(line) or any(line.startswith(f"{path}:") for path in whole_files), \
            f"badly formed line {line!r}\n{report}"
    for expect in case.expects:
        choices = expect if isinstance(expect, tuple) else (expect,)
        assert any(_matches(line, choice) for line in lines for choice in choices), \
            f"no line like {expect}\n{report}"
    if case.count is not None:
        assert len(lines) == case.count, report
    if case.sorted_lines:
        numbers = [int(m["line"]) for line in lines if (m := PLACED.match(line))]
        assert numbers == sorted(numbers), report
    if case.after is not None:
        case.after()


def test_bundled_facts_pass_check(capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = sorted((FACTS / "scenarios").glob("*.yaml"))
    assert [p.name for p in scenarios] == ["cooperates.yaml", "demonstrable_steps.yaml", "refuses.yaml"]
    code = main(["check", "--rules", str(RULES), str(FACTS), *map(str, scenarios)])
    out, err = capsys.readouterr()
    assert code == 0, f"exit {code}\n{out}{err}"
    assert out.startswith("ok:"), out
    assert not err
    assert "Traceback" not in out + err


# --- command-line arguments: a found value is echoed shortened -------------------------------------------

JUNK = "x" * 100_000
JUNK_ARGS = {
    "as-of": ["evaluate", "--as-of", JUNK],
    "format-choice": ["evaluate", "--format", JUNK],
    "unknown-option": ["evaluate", "--no-audit", f"--{JUNK}"],
    "explain-target": ["explain", JUNK, "--as-of", AS_OF],
    "check-source": ["check", "--source", JUNK],
    "whatif-drop": ["whatif", "--as-of", AS_OF, "--drop", JUNK],
    "whatif-set": ["whatif", "--as-of", AS_OF, "--set", JUNK],
}


@pytest.mark.parametrize("argv", list(JUNK_ARGS.values()), ids=list(JUNK_ARGS))
def test_a_long_argument_is_not_echoed_whole(argv: list[str], capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2, err[:500]
    assert err.count("\n") == 1, err[:500]
    assert len(err) < 400, f"{len(err)} characters: {err[:300]}"
    assert re.search(r"x{70,80}…' \(10000\d characters\)", err), err


@pytest.mark.parametrize("value", [".nan", "-.inf", ".inf"])
def test_a_value_that_is_not_a_finite_number_is_named(value: str, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Not "expected a number; found a number": .nan is a float, but no number a rule can compare."""
    monkeypatch.chdir(ROOT)
    code = main(["whatif", "--as-of", AS_OF, "--set", f"violence_trend.change_pct={value}"])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert err.startswith("--set") and err.count("\n") == 1, err
    assert value in err and "not a finite number" in err and "found a number" not in err, err


# --- fact ids: the rules' own ids are reserved -----------------------------------------------------------

ALARM_PACK = {
    "pack.yaml": """\
pack: {name: alarm, version: "1"}
sources: {s: {title: A source}}
vocabulary:
  weather:
    subjects: [city]
    state: false
    fields:
      sky: {type: enum, values: [sunny, rainy]}
  alarm:
    subjects: [city]
    state: true
    derived: true
    fields: {}
""",
    "rules.yaml": """\
responses:
  stay_home: {category: messaging, text: Stay home.}
  go_out: {category: messaging, text: Go out.}
rules:
  - id: rain_alarm
    cites: [{source: s, para: 1, quote: q}]
    when: {fact: weather, where: {sky: rainy}}
    then: [{derive: {kind: alarm, subject: city}}]
  - id: home
    cites: [{source: s, para: 1, quote: q}]
    when: {fact: alarm}
    then: [{respond: stay_home}]
    else: [{respond: go_out}]
""",
}
WEATHER = """\
  - id: {id}
    kind: weather
    subject: city
    observed: 2021-01-0{day}
    sky: {sky}
    source: {{title: "R", ref: "https://example.org/", date: 2021-01-05}}
    reliability: B
    credibility: 2
"""


def test_a_fact_cannot_take_a_derived_facts_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A fact named like the alarm the rules derive would stand in for it in durable_rules and change the
    recommendation (here from stay_home to undetermined); it is refused instead."""
    from engine.compiler import derived_id

    for name, text in ALARM_PACK.items():
        write(tmp_path / "rules" / name, text)
    rain = write(tmp_path / "rain.yaml", "facts:\n" + WEATHER.format(id="rain", day=5, sky="rainy"))
    options = ["--rules", str(tmp_path / "rules"), "--as-of", AS_OF, "--no-audit", "--format", "json"]
    assert main(["evaluate", str(rain), *options]) == 0
    assert '"stay_home"' in capsys.readouterr().out
    impostor = derived_id("alarm", "city", {})
    text = "facts:\n" + WEATHER.format(id=f'"{impostor}"', day=4, sky="sunny")
    other = write(tmp_path / "impostor.yaml", text)
    code = main(["evaluate", str(rain), str(other), *options])
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), err
    assert err == f"{other}:2:5: bad-id: fact id {impostor!r}: ids starting 'derived:' are the rules' own, " \
                  "for the facts they derive\n"


def test_a_fact_id_with_a_trailing_newline_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "facts.yaml", facts_file(fact('"f-1\\n"')))
    code = main(evaluate_argv(path) + ["--no-audit"])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert err == f"{path}:2:5: bad-id: fact id 'f-1\\n': use letters, digits and . _ : - (at most 128)\n"


# --- folders that cannot be listed, files that would block ---------------------------------------------------

def _folders(tmp: Path) -> dict[str, tuple[Path, list[str]]]:
    """A facts folder and a rules folder, each with the evaluate arguments that read it."""
    facts = tmp / "facts"
    write(facts / "a.yaml", facts_file(fact("f-1")))
    rules = tmp / "rules"
    shutil.copytree(RULES, rules)
    return {"facts": (facts, evaluate_argv(facts)), "rules": (rules, evaluate_argv(BASELINE, rules=rules))}


@pytest.mark.parametrize("which", ["facts", "rules"])
def test_a_folder_that_cannot_be_listed_is_refused(which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The listing is made to fail as a folder of mode 000 makes it fail for anyone but root (the tests run as
    root on CI, where a real mode 000 takes nothing away)."""
    folder, argv = _folders(tmp_path)[which]
    listing = Path.iterdir

    def denied(path: Path) -> object:
        if path == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(Path, "iterdir", denied)
    code = main([*argv, "--no-audit"])
    _, err = capsys.readouterr()
    assert (code, err) == (2, f"{folder}: folder-unreadable: cannot list this folder: Permission denied\n")


def test_a_file_that_would_wait_for_data_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like /proc/kmsg, regular to stat but waiting on read: played by a pipe with an idle writer, taken for a
    regular file. The read must fail at once, not hang (an alarm ends the test if it does)."""
    pipe = tmp_path / "kmsg.yaml"
    os.mkfifo(pipe)
    writer = os.open(pipe, os.O_RDWR)  # a writer that never writes: a blocking read would wait forever
    monkeypatch.setattr(loader, "_refuse_irregular", lambda status, file: None)
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the read waited"))
    signal.alarm(5)
    try:
        with pytest.raises(InputError) as refused:
            loader.read_text(pipe)
    finally:
        signal.alarm(0)
        os.close(writer)
    assert str(refused.value) == f"{pipe}: file-unreadable: reading it would wait for data (a device or kernel file?)"


PIPE_READERS = {
    "evaluate": ["evaluate", "{pipe}", "--as-of", AS_OF, "--no-audit"],
    "check --source": ["check", "--source", "weinstein-2021={pipe}"],
    "whatif --add": ["whatif", "--as-of", AS_OF, "--add", "{pipe}"],
    "facts add --file": ["facts", "add", "--file", "{pipe}", "--kind", "violence_trend", "--no-input",
                         *(f"--value={answer}" for answer in (
                             "id=f-9", "observed=2021-01-05", "change_pct=-10", "window_days=90", "metric=attacks",
                             "source.title=R", "source.ref=https://example.org/", "source.date=2021-01-05",
                             "reliability=B", "credibility=2"))],
}


@pytest.mark.parametrize("argv", list(PIPE_READERS.values()), ids=list(PIPE_READERS))
def test_every_command_refuses_a_pipe(argv: list[str], tmp_path: Path) -> None:
    """Wherever a file is read, a named pipe nobody writes to is refused by name, never waited on (each
    command runs in a child process with a timeout)."""
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    done = subprocess.run([sys.executable, "-m", "engine", *(a.format(pipe=pipe) for a in argv)], cwd=ROOT,
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 2, done.stderr
    assert f"{pipe}: file-unreadable: not a regular file (a device, pipe or socket?)" in done.stderr.splitlines()


@pytest.mark.parametrize(("text", "value"), [("!!int 12", 12), ("!!float 1", 1.0), ("!!float -2.5", -2.5),
                                             ("!!bool yes", True), ("!!null ''", None), ("!!str 1:30", "1:30"),
                                             ("'1:30'", "1:30"), ("0x10", 16), ("007", 7), ("1_000", 1000)])
def test_tagged_and_unusual_numbers_that_mean_what_they_say_still_load(text: str, value: object) -> None:
    """The refusals of `!!int ""`, `1:30` and `010` leave alone what reads as it is written."""
    loaded = loader.parse_text(f"a: {text}\n", "f.yaml").data["a"]
    assert (type(loaded), loaded) == (type(value), value)


def test_a_link_to_nothing_in_a_facts_folder_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An editor's lock file (Emacs's `.#name.yaml` links to `user@host.pid`) must not stop a run."""
    folder = tmp_path / "facts"
    write(folder / "a.yaml", facts_file(fact("f-1")))
    (folder / ".#a.yaml").symlink_to("analyst@host.4242")
    assert main(evaluate_argv(folder) + ["--no-audit"]) in (0, 1)
    assert not capsys.readouterr().err


@pytest.mark.parametrize("action", ["show", "replay", "export"])
def test_a_long_run_id_is_not_echoed_whole(action: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    db = tmp_path / "audit.sqlite"
    assert main(["evaluate", "--as-of", AS_OF, "--audit-db", str(db)]) == 0
    capsys.readouterr()
    code = main(["audit", action, JUNK, "--audit-db", str(db)])
    _, err = capsys.readouterr()
    assert (code, err.count("\n")) == (2, 1), err[:500]
    assert "unknown-run" in err and re.search(r"x{70,80}…' \(100000 characters\)", err) and len(err) < 400, err[:500]
