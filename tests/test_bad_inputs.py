"""The bad-input corpus (`tests/bad_inputs/`): every hostile or broken input is refused cleanly.

Each case runs `commitments evaluate` and must give: exit 2; on stderr only `file:line:col: code: message`
lines (`file: code: message` for a whole-file problem, and the closing `... and N more problems` past the
cap), none longer than MAX_LINE; a line naming the case's file (and its line, for a problem at a node)
with the expected code and message text; nothing on stdout, no traceback; and nothing in the audit store.

Cases are data: `facts/NN-name.yaml` (evaluated against the repository's rules/), `rules/NN-name/` (a
small pack broken in one way, evaluated with no facts) and `pairs/NN-name/` (fact files wrong only
together). Inputs git cannot hold, or should not, are made at run time in a temporary folder (GENERATED).
EXPECTED says what each case gets; the README lists every case with the message it gets, and this test
checks the README against reality. After a deliberate change of messages, regenerate it with
`.venv/bin/python tests/test_bad_inputs.py > tests/bad_inputs/README.md`.

A case with `bug` set is a known engine bug: it stays `xfail(strict=True)`, asserting the correct
behaviour, so that fixing the bug turns it into a failure that asks for the mark to be removed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "bad_inputs"
README = CORPUS / "README.md"
RULES = ROOT / "rules"
AS_OF = "2021-02-12"

LINE = re.compile(r"^(?P<file>\S+?)(?::(?P<line>\d+):(?P<col>\d+))?: (?P<code>[a-z-]+): (?P<message>.+)$")
MORE = re.compile(r"^\.\.\. and \d+ more problems$")
MAX_LINE = 1000  # a message a person can read; no input is echoed whole
FORBIDDEN = ("Traceback", "PWNED")  # PWNED: what the corpus's !!python tags would print if executed
SUBPROCESS_MEMORY = 1 << 30  # address-space cap for cases run in a child process
MESSAGE_SHOWN = 240  # README shows at most this much of each message


@dataclass(frozen=True)
class Expect:
    """What a case gets: one of `codes`, a message holding `has`, at `line` of `file` (None: whole file).

    `file` is relative to a folder case ('.' is the folder itself); empty for a one-file case.
    """

    codes: str | tuple[str, ...]
    has: str
    line: int | None
    file: str = ""
    bug: str = ""

    @property
    def code_set(self) -> tuple[str, ...]:
        return (self.codes,) if isinstance(self.codes, str) else self.codes


E = Expect
EXPECTED: dict[str, Expect] = {
    # --- facts/: one bad fact file each, against the repository's rules/ ---------------------------------
    "facts/01-unclosed-bracket": E("yaml-syntax", "flow sequence", 10),
    "facts/02-bad-indentation": E("yaml-syntax", "mapping values are not allowed here", 6),
    "facts/03-tab-indentation": E("yaml-syntax", "'\\t'", 7),
    "facts/04-duplicate-key": E("yaml-duplicate-key", "'change_pct' (first defined at line 7)", 13),
    "facts/05-duplicate-top-level-key": E("yaml-duplicate-key", "'facts' (first defined at line 2)", 11),
    "facts/06-billion-laughs": E(("yaml-too-large", "yaml-aliases"), "aliases", 8),
    "facts/07-alias-fanout": E("yaml-aliases", "more than 100 aliases", 809),
    "facts/08-merge-key": E("yaml-merge", "'<<'", 12),
    "facts/09-python-object-apply": E("yaml-tag", "python/object/apply:builtins.print", 11),
    "facts/10-python-name": E("yaml-tag", "python/name:os.system", 5),
    "facts/11-python-object-new": E("yaml-tag", "python/object/new:collections.OrderedDict", 3),
    "facts/12-binary-tag": E("yaml-tag", "binary", 11),
    "facts/13-local-tag": E("yaml-tag", "'!include'", 8),
    "facts/14-set-tag": E("yaml-tag", "set", 2),
    "facts/15-non-string-key": E("yaml-key", "plain strings", 8),
    "facts/16-two-documents": E("yaml-syntax", "single document", 3),
    "facts/17-deep-flow-nesting": E("yaml-too-deep", "deeper than 64", 2),
    "facts/18-deep-block-nesting": E("yaml-too-deep", "deeper than 64", 66),
    "facts/19-empty-file": E("schema", "found nothing (null)", 1),
    "facts/20-top-level-list": E("schema", "one key, 'facts:', holding a list; found a list", 2),
    "facts/21-facts-not-a-list": E("schema", "holding a list", 2),
    "facts/22-fact-is-a-string": E("schema", "each fact is a mapping", 11),
    "facts/23-unknown-kind": E("unknown-kind", "did you mean 'violence_trend'?", 4),
    "facts/24-unknown-field": E("unknown-field", "no field 'chnge_pct'", 7),
    "facts/25-unknown-source-key": E("schema", "unknown key 'url'", 8),
    "facts/26-string-for-integer": E("bad-value", "expected an integer; found the string 'ninety'", 8),
    "facts/27-string-for-boolean": E("bad-value", "expected a boolean; found the string 'true'", 8),
    "facts/28-list-for-enum": E("bad-value", "found a list", 9),
    "facts/29-bad-enum-value": E("bad-value", "did you mean 'claims_inability'?", 7),
    "facts/30-reliability-out-of-scale": E("schema", "found the string 'G'", 9),
    "facts/31-credibility-out-of-scale": E("schema", "less than or equal to 6", 10),
    "facts/32-nan": E("bad-number", "'.nan' is not a finite number", 7),
    "facts/33-infinity": E("bad-number", "'-.inf' is not a finite number", 7),
    "facts/34-float-overflow": E("bad-number", "'-1.0e+400' is not a finite number", 7),
    "facts/35-huge-integer": E("bad-value", "out of range", 8),
    "facts/36-below-minimum": E("bad-value", "expected at least 1; found 0", 8),
    "facts/37-impossible-date": E("bad-date", "'2021-02-30' is not a valid date", 6),
    "facts/38-month-13": E("bad-date", "'2021-13-01' is not a valid date", 8),
    "facts/39-date-with-time": E("bad-date", "has a time of day", 6),
    "facts/40-date-as-string": E("schema", "valid date; found the string '05/01/2021'", 6),
    "facts/41-valid-until-before-observed": E("bad-date", "is before observed", 7),
    "facts/42-missing-field": E("missing-field", "needs the field 'metric'", 3),
    "facts/43-missing-id": E("schema", "needs 'id'", 3),
    "facts/44-bad-subject": E("bad-subject", "found 'pakistan'", 5),
    "facts/45-derived-kind": E("derived-kind", "derived by the rules", 4),
    "facts/46-bad-id": E("bad-id", "'../../etc/passwd'", 3),
    "facts/47-duplicate-id-in-file": E("duplicate-id", "already used at tests/bad_inputs/facts/"
                                       "47-duplicate-id-in-file.yaml:3:5", 11),
    "facts/48-too-many-properties": E("too-many-properties", "at most 247 per fact", 3),
    "facts/49-null-fact": E("schema", "found nothing (null)", 3),
    "facts/50-control-character": E("yaml-syntax", "#x0007", 11),
    "facts/51-invalid-utf8": E("file-encoding", "byte 0xe9", 11),
    "facts/52-binary-nul-bytes": E("file-binary", "binary file", None),
    "facts/53-utf16": E("file-binary", "binary file", None),
    "facts/54-year-zero": E("bad-date", "year 0 is out of range", 6),
    "facts/55-no-is-false": E("bad-value", "found a boolean", 7),
    "facts/56-integer-id": E("schema", "id: Input should be a valid string; found an integer", 3),
    "facts/57-yaml-2-directive": E("yaml-syntax", "incompatible YAML document", 1),
    "facts/58-int-tag-empty": E("bad-value", "'' is not a valid integer (tag !!int)", 7),
    "facts/59-float-tag-empty": E("bad-value", "'' is not a valid number (tag !!float)", 7),
    "facts/60-bool-tag-maybe": E("bad-value", "'maybe' is not a valid boolean (tag !!bool)", 7),
    "facts/61-timestamp-tag-not-a-date": E("bad-date", "'not-a-date' is not a valid date (tag !!timestamp)", 8),
    "facts/62-sexagesimal": E("bad-number", "found 1:30, a sexagesimal number (YAML 1.1 reads it as 90); write 90 "
                              "or quote it", 7),
    "facts/63-octal": E("bad-number", "found -010, an octal number (YAML 1.1 reads it as -8)", 7),
    "facts/64-reserved-derived-id": E("bad-id", "ids starting 'derived:' are the rules' own", 3),
    "facts/65-id-with-trailing-newline": E("bad-id", "fact id 'bad-65\\n': use letters", 3),
    "facts/66-two-byte-order-marks": E("file-encoding", "starts with two byte order marks", 1),
    "facts/67-long-field-name": E("unknown-field", "xxxx…' (1000 characters); its fields are", 8),
    # --- rules/: a small pack broken in one way, with no facts -------------------------------------------
    "rules/01-self-cycle": E("derivation-cycle", "cheerful → cheerful", 3, "rules.yaml"),
    "rules/02-two-rule-cycle": E("derivation-cycle", "enjoy → go-out → enjoy", 7, "rules.yaml"),
    "rules/03-cycle-through-negation": E("derivation-cycle", "contrary → contrary", 3, "rules.yaml"),
    "rules/04-cycle-closed-by-else": E("derivation-cycle", "b → c → b", 7, "rules.yaml"),
    "rules/05-condition-unknown-field": E("unknown-field", "no field 'temperature'", 7, "rules.yaml"),
    "rules/06-condition-unknown-kind": E("unknown-kind", "'forecast'", 7, "rules.yaml"),
    "rules/07-unknown-response": E("unknown-response", "did you mean 'picnic'?", 8, "rules.yaml"),
    "rules/08-unknown-pattern": E("unknown-pattern", "'sunny_day'", 7, "rules.yaml"),
    "rules/09-order-on-enum": E("bad-operator", "sky is enum", 7, "rules.yaml"),
    "rules/10-condition-bad-value": E("bad-value", "expected a number; found the string 'warm'", 7, "rules.yaml"),
    "rules/11-unknown-condition": E("bad-condition", "unknown condition 'xor'", 8, "rules.yaml"),
    "rules/12-bad-ref": E("bad-ref", "'yesterday.temp'", 10, "rules.yaml"),
    "rules/13-derive-stated-kind": E("bad-derive", "found 'weather'", 6, "rules.yaml"),
    "rules/14-uncited": E("uncited", "'sunny' cites no source", 5, "rules.yaml"),
    "rules/15-unknown-source": E("unknown-source", "no source 't'", 6, "rules.yaml"),
    "rules/16-rule-unknown-key": E("unknown-key", "did you mean 'when'?", 7, "rules.yaml"),
    "rules/17-too-complex": E("too-complex", "more than 256 alternatives", 5, "rules.yaml"),
    "rules/18-duplicate-rule-id": E("duplicate-id", "already defined at tests/bad_inputs/rules/18-duplicate-rule-id/"
                                    "a-rules.yaml:5:5", 3, "b-rules.yaml"),
    "rules/19-duplicate-response-id": E("duplicate-id", "'picnic' is defined twice", 3, "b-rules.yaml"),
    "rules/20-missing-pack-yaml": E("pack-missing", "needs a pack.yaml", None, "."),
    "rules/21-kind-over-255-fields": E("too-many-properties", "260 fields", 5, "pack.yaml"),
    "rules/22-pack-unknown-key": E("unknown-key", "did you mean 'sources'?", 3, "pack.yaml"),
    "rules/23-enum-without-values": E("schema", "an enum field needs 'values'", 9, "pack.yaml"),
    "rules/24-bad-kind-name": E("bad-name", "'Weather Report'", 11, "pack.yaml"),
    "rules/25-pack-python-tag": E("yaml-tag", "python/object/apply:os.getcwd", 2, "pack.yaml"),
    "rules/26-pack-is-a-list": E("schema", "pack.yaml is a mapping; found a list", 2, "pack.yaml"),
    "rules/27-reserved-field-name": E("bad-name", "'id' cannot be a field name", 11, "pack.yaml"),
    "rules/40-priority-a-word": E("bad-value", "priority is a whole number; found the string 'high'", 7, "rules.yaml"),
    "rules/41-priority-a-list": E("bad-value", "priority is a whole number; found a list", 7, "rules.yaml"),
    "rules/42-respond-a-list": E("unknown-response", "the name of a response; found a list", 8, "rules.yaml"),
    "rules/43-match-a-list": E("unknown-pattern", "the name of a pattern; found a list", 7, "rules.yaml"),
    "rules/44-match-a-mapping": E("unknown-pattern", "the name of a pattern; found a mapping", 7, "rules.yaml"),
    "rules/45-guardrail-unknown-pattern": E("unknown-pattern", "did you mean 'sunny_day'?", 30, "pack.yaml"),
    "rules/46-guardrail-unknown-kind": E("unknown-kind", "no kind 'moood'", 28, "pack.yaml"),
    "rules/47-guardrail-unknown-response": E("unknown-response", "no response 'stay_home'", 27, "pack.yaml"),
    "rules/48-duplicate-guardrail-id": E("duplicate-id", "'not_both' is already defined at tests/bad_inputs/rules/"
                                         "48-duplicate-guardrail-id/pack.yaml:24:5", 28, "pack.yaml"),
    "rules/49-ref-unknown-field": E("bad-ref", "which has no field 'humidity'", 10, "rules.yaml"),
    "rules/50-ref-date-to-number": E("bad-ref", "weather.temp is number but forecast.issued is date", 10, "rules.yaml"),
    "rules/51-rule-id-trailing-newline": E("bad-name", "found 'sunny\\n'", 5, "rules.yaml"),
    "rules/52-kind-name-trailing-newline": E("bad-name", "found 'plan\\n'", 17, "pack.yaml"),
    # --- pairs/: fact files wrong only together ----------------------------------------------------------
    "pairs/01-duplicate-id-across-files": E("duplicate-id", "already used at tests/bad_inputs/pairs/"
                                            "01-duplicate-id-across-files/a.yaml:3:5", 11, "b.yaml"),
    "pairs/02-each-file-broken": E("unknown-kind", "did you mean 'pakistan_stance'?", 4, "b.yaml"),
    "pairs/03-identical-fact-in-two-files": E("duplicate-id", "'talks-jan' is already used", 3, "b.yaml"),
    # --- generated/: made at run time (see GENERATED) ----------------------------------------------------
    "generated/50mb-file": E("file-too-large", "the limit is 1000000 bytes", None),
    "generated/huge-string-value": E("bad-value", "expected an integer", 7),
    "generated/symlink-to-etc-passwd": E("schema", "a facts file is a mapping", 1),
    "generated/symlink-in-folder-to-outside": E("unknown-kind", "'pakistan_stanse'", 4),
    "generated/dotdot-path-outside": E("yaml-tag", "python/object/apply:builtins.print", 3),
    "generated/symlink-loop": E("file-missing", "no such file", None),
    "generated/dangling-symlink": E("file-missing", "no such file", None),
    "generated/rules-folder-symlink-to-etc": E("pack-missing", "needs a pack.yaml", None),
    "generated/dev-zero": E(("file-binary", "file-unreadable", "file-too-large"), "", None),
    "generated/named-pipe": E("file-unreadable", "", None),
    "generated/string-past-its-cap": E("yaml-too-long", "a value of 150000 characters; the limit is 100000", 7),
    "generated/aliases-repeat-a-big-string": E("yaml-too-large", "past 2000000 characters", 25),
    "generated/run-past-its-input-bound": E("input-too-large", "passes 20000000 bytes", None),
    "generated/pipe-in-facts-folder": E("file-unreadable", "not a regular file", None),
    "generated/symlink-to-pipe": E("file-unreadable", "not a regular file", None),
    "generated/pack-yaml-pipe": E("file-unreadable", "not a regular file", None),
    "generated/pack-yaml-dev-zero": E("file-unreadable", "not a regular file", None),
}


# --- generated inputs ------------------------------------------------------------------------------------

@dataclass
class Built:
    """A generated input: the evaluate arguments, the file the message must name, and how to run it."""

    paths: list[Path]
    named: Path
    rules: Path = RULES
    forbidden: tuple[str, ...] = ()
    child: float | None = None  # run in a child process with this timeout (s): it may hang or eat memory
    peak_bytes: int | None = None  # refused within this much Python memory
    seconds: float | None = None  # refused within this much processor time (other processes' load aside)


FACT = """\
  - id: {id}
    kind: negotiations
    subject: intra_afghan_talks
    observed: 2021-01-05
    state: stalled
    source: {{title: "Reuters", ref: "https://www.reuters.com/", date: 2021-01-05}}
    reliability: B
    credibility: 2
"""
BIG_FACTS = 220_000  # 52.8 MB of otherwise valid facts


def _fifty_megabytes(tmp: Path) -> Built:
    path = tmp / "big.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write("facts:\n")
        out.writelines(FACT.format(id=f"talks-{i:06d}") for i in range(BIG_FACTS))
    assert path.stat().st_size > 50_000_000
    return Built([path], path, peak_bytes=20_000_000)


def _huge_string(tmp: Path, length: int = 90_000) -> Built:
    text = FACT.format(id="huge").replace("    state: stalled\n", '    state: stalled\n    window_days: "'
                                          + "x" * length + '"\n')
    path = tmp / "huge.yaml"
    path.write_text("facts:\n" + text.replace("kind: negotiations", "kind: violence_trend"), encoding="utf-8")
    return Built([path], path)


def _aliased(path: Path, length: int, aliases: int) -> Path:
    """Facts whose notes are one string of `length` characters, written once and repeated by `aliases`."""
    facts = [FACT.format(id=f"{path.stem}-{i}").replace("    state: stalled\n", "    state: stalled\n    note: "
                                                   + (f'&big "{"x" * length}"' if i == 0 else "*big") + "\n")
             for i in range(aliases + 1)]
    path.write_text("facts:\n" + "".join(facts), encoding="utf-8")
    return path


def _aliases_to_big_string(tmp: Path) -> Built:
    """The issue's attack: 3 files, each 100 aliases to a 960 kB string (took 12 s, 1.75 GB and wrote a
    291 MB audit record); the second alias passes the bound."""
    paths = [_aliased(tmp / f"{name}.yaml", 960_000, 100) for name in "abc"]
    assert all(900_000 < p.stat().st_size < 1_000_000 for p in paths)
    return Built(paths, paths[0], seconds=2.0)


def _run_past_its_bound(tmp: Path) -> Built:
    """Files each well within every bound of its own (100 kB, aliases repeating a 95 kB string 19 times:
    about 2 MB), which together pass the run's: 20 MB is reached by the 10th, passed by the 11th."""
    paths = [_aliased(tmp / f"part-{i:02d}.yaml", 95_000, 19) for i in range(12)]
    return Built(paths, paths[10], seconds=10.0)


def _pipe_in_folder(tmp: Path) -> Built:
    folder = tmp / "facts"
    folder.mkdir()
    (folder / "a.yaml").write_text("facts: []\n", encoding="utf-8")
    os.mkfifo(folder / "b.yaml")
    return Built([folder], folder / "b.yaml", child=3)


def _symlink_to_pipe(tmp: Path) -> Built:
    os.mkfifo(tmp / "pipe")
    link = tmp / "facts.yaml"
    link.symlink_to(tmp / "pipe")
    return Built([link], link, child=3)


def _rules_with_pack(tmp: Path, make: Callable[[Path], None]) -> tuple[Path, Path]:
    """A copy of the repository's rules whose pack.yaml is made by `make`, and an empty facts file."""
    rules = tmp / "rules"
    rules.mkdir()
    for file in RULES.glob("*.yaml"):
        if file.name != "pack.yaml":
            (rules / file.name).write_bytes(file.read_bytes())
    make(rules / "pack.yaml")
    facts = tmp / "no-facts.yaml"
    facts.write_text("facts: []\n", encoding="utf-8")
    return rules, facts


def _pack_pipe(tmp: Path) -> Built:
    rules, facts = _rules_with_pack(tmp, os.mkfifo)
    return Built([facts], rules / "pack.yaml", rules=rules, child=3)


def _pack_dev_zero(tmp: Path) -> Built:
    rules, facts = _rules_with_pack(tmp, lambda path: path.symlink_to(Path("/dev/zero")))
    return Built([facts], rules / "pack.yaml", rules=rules, child=20)


def _passwd(tmp: Path) -> Built:
    target = Path("/etc/passwd")
    if not target.is_file():
        pytest.skip("no /etc/passwd here")
    link = tmp / "facts.yaml"
    link.symlink_to(target)
    first = target.read_text(encoding="utf-8", errors="replace").splitlines()[:2]
    return Built([link], link, forbidden=tuple(line for line in first if len(line) > 8))


def _outside(tmp: Path, name: str, text: str) -> Path:
    path = tmp / "outside" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _symlink_in_folder(tmp: Path) -> Built:
    target = _outside(tmp, "stance.yaml", (CORPUS / "pairs/02-each-file-broken/b.yaml").read_text(encoding="utf-8"))
    folder = tmp / "facts"
    folder.mkdir()
    link = folder / "stance.yaml"
    link.symlink_to(target)
    return Built([folder], link)


def _dotdot(tmp: Path) -> Built:
    _outside(tmp, "evil.yaml", "# outside the project\nfacts:\n  - !!python/object/apply:builtins.print [PWNED]\n")
    (tmp / "project").mkdir()
    path = tmp / "project" / ".." / "outside" / "evil.yaml"
    return Built([path], path)


def _loop(tmp: Path) -> Built:
    first, second = tmp / "a.yaml", tmp / "b.yaml"
    first.symlink_to(second)
    second.symlink_to(first)
    return Built([first], first)


def _dangling(tmp: Path) -> Built:
    link = tmp / "facts.yaml"
    link.symlink_to(tmp / "gone" / "facts.yaml")
    return Built([link], link)


def _rules_to_etc(tmp: Path) -> Built:
    link = tmp / "rules"
    link.symlink_to(Path("/etc"))
    facts = tmp / "no-facts.yaml"
    facts.write_text("facts: []\n", encoding="utf-8")
    return Built([facts], link, rules=link)


def _dev_zero(tmp: Path) -> Built:
    link = tmp / "facts.yaml"
    link.symlink_to(Path("/dev/zero"))
    return Built([link], link, child=20)


def _fifo(tmp: Path) -> Built:
    path = tmp / "facts.yaml"
    os.mkfifo(path)
    return Built([path], path, child=3)


GENERATED: dict[str, tuple[str, Callable[[Path], Built]]] = {
    "generated/50mb-file": (f"{BIG_FACTS:,} valid facts, 52.8 MB, written by a generator; refused by its "
                            "size before it is read (the test checks Python's peak memory stays under 20 MB)",
                            _fifty_megabytes),
    "generated/huge-string-value": ("a 90,000-character string where an integer is wanted", _huge_string),
    "generated/symlink-to-etc-passwd": ("a facts file that is a symlink to /etc/passwd", _passwd),
    "generated/symlink-in-folder-to-outside": ("a facts folder holding a symlink to a broken file outside it "
                                               "(the unknown kind of pairs/02's b.yaml)", _symlink_in_folder),
    "generated/dotdot-path-outside": ("a path through '..' out of the project folder, to a file with a "
                                      "!!python tag", _dotdot),
    "generated/symlink-loop": ("two symlinks pointing at each other", _loop),
    "generated/dangling-symlink": ("a symlink to a file that does not exist", _dangling),
    "generated/rules-folder-symlink-to-etc": ("--rules is a symlink to /etc", _rules_to_etc),
    "generated/dev-zero": ("a facts file that is a symlink to /dev/zero (endless NUL bytes, size 0); "
                           "run in a child process capped at 1 GiB of address space", _dev_zero),
    "generated/named-pipe": ("a facts file that is a named pipe (FIFO) nobody writes to; run in a child "
                             "process with a 3 s timeout", _fifo),
    "generated/string-past-its-cap": ("a 150,000-character string, past the cap on one value",
                                      lambda tmp: _huge_string(tmp, 150_000)),
    "generated/aliases-repeat-a-big-string": ("3 files of 985 kB, each with 100 aliases to a 960 kB string; "
                                              "refused within 2 s of processor time", _aliases_to_big_string),
    "generated/run-past-its-input-bound": ("12 files of 100 kB, each with aliases repeating a 95 kB string "
                                           "19 times: within every bound of one file, past the bound of a run",
                                           _run_past_its_bound),
    "generated/pipe-in-facts-folder": ("a facts folder holding a named pipe called b.yaml (it was skipped "
                                       "unseen); run in a child process with a 3 s timeout", _pipe_in_folder),
    "generated/symlink-to-pipe": ("a facts file that is a symlink to a named pipe nobody writes to, like a "
                                  "link to /proc/kmsg; run in a child process with a 3 s timeout",
                                  _symlink_to_pipe),
    "generated/pack-yaml-pipe": ("a rules folder whose pack.yaml is a named pipe; run in a child process with "
                                 "a 3 s timeout", _pack_pipe),
    "generated/pack-yaml-dev-zero": ("a rules folder whose pack.yaml is a symlink to /dev/zero; run in a child "
                                     "process capped at 1 GiB of address space", _pack_dev_zero),
}


# --- running a case --------------------------------------------------------------------------------------

@dataclass
class Outcome:
    exit: int | None  # None: killed after its timeout
    out: str
    err: str
    tmp: Path
    peak: int | None = None
    note: str = ""
    took: float = 0.0

    def normalise(self, text: str) -> str:
        """Paths as the README shows them: repository-relative, the temporary folder as <tmp>; and the size of
        /etc/passwd as a name, since each package that adds a system user (postgresql, chromium) changes it."""
        passwd = Path("/etc/passwd")
        if passwd.is_file():
            size = len(passwd.read_text(encoding="utf-8", errors="replace").strip())  # as YAML reads it
            text = text.replace(f"a string of {size} characters", "a string of <size of /etc/passwd> characters")
        return text.replace(str(self.tmp), "<tmp>").replace(f"{ROOT}/", "")


@dataclass
class Prepared:
    argv: list[str]
    named: Path
    built: Built | None = None
    audit_db: Path = field(default_factory=Path)


def case_path(name: str) -> Path:
    folder, _, stem = name.partition("/")
    path = CORPUS / folder / stem
    return path.with_suffix(".yaml") if folder == "facts" else path


def prepare(name: str, tmp: Path) -> Prepared:
    expect = EXPECTED[name]
    rules = RULES
    built = None
    if name.startswith("generated/"):
        built = GENERATED[name][1](tmp)
        paths, named, rules = built.paths, built.named, built.rules
    elif name.startswith("facts/"):
        paths = [case_path(name)]
        named = paths[0]
    elif name.startswith("pairs/"):
        paths = [case_path(name)]
        named = case_path(name) / expect.file
    else:
        empty = tmp / "no-facts.yaml"
        empty.write_text("facts: []\n", encoding="utf-8")
        paths, rules = [empty], case_path(name)
        named = rules if expect.file == "." else rules / expect.file
    audit_db = tmp / "audit" / "audit.sqlite"
    argv = ["evaluate", *map(str, paths), "--rules", str(rules), "--as-of", AS_OF, "--audit-db", str(audit_db)]
    return Prepared(argv, named, built, audit_db)


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (SUBPROCESS_MEMORY, SUBPROCESS_MEMORY))


def execute(prepared: Prepared, tmp: Path) -> Outcome:
    built = prepared.built
    if built is not None and built.child is not None:
        env = {**os.environ, "COMMITMENTS_AUDIT_DB": str(prepared.audit_db)}
        try:
            done = subprocess.run([sys.executable, "-m", "engine", *prepared.argv], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=built.child, preexec_fn=_limit_memory)
        except subprocess.TimeoutExpired:
            return Outcome(None, "", "", tmp, note=f"still running after {built.child:g} s; killed")
        return Outcome(done.returncode, done.stdout, done.stderr, tmp)
    out, err = io.StringIO(), io.StringIO()
    tracing = built is not None and built.peak_bytes is not None
    if tracing:
        tracemalloc.start()
    started = time.process_time()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(prepared.argv)
    finally:
        took = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1] if tracing else None
        if tracing:
            tracemalloc.stop()
    return Outcome(code, out.getvalue(), err.getvalue(), tmp, peak=peak, took=took)


def run(name: str, tmp: Path) -> tuple[Prepared, Outcome]:
    prepared = prepare(name, tmp)
    return prepared, execute(prepared, tmp)


def matching_line(name: str, prepared: Prepared, outcome: Outcome) -> str | None:
    """The stderr line naming the case's file with one of the expected codes: the first whose message
    holds the expected text, else the first."""
    expect = EXPECTED[name]
    lines = [line for line in outcome.err.splitlines() if (found := LINE.match(line))
             and found["file"] == str(prepared.named) and found["code"] in expect.code_set]
    return next((line for line in lines if expect.has in outcome.normalise(line)), lines[0] if lines else None)


def audit_records(db: Path) -> list[object]:
    if not db.exists():
        return []
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["audit", "list", "--format", "json", "--audit-db", str(db)])
    assert code == 0, f"audit list exited {code}"
    records = json.loads(out.getvalue())
    return list(records) if isinstance(records, list) else [records]


def judge(name: str, prepared: Prepared, outcome: Outcome) -> list[str]:
    """Everything wrong with the outcome; empty when the case is refused as it should be."""
    expect = EXPECTED[name]
    wrong = []
    if outcome.exit != 2:
        wrong.append(f"exit {outcome.exit}, not 2 {outcome.note}".strip())
    for text in FORBIDDEN + (prepared.built.forbidden if prepared.built else ()):
        if text in outcome.out or text in outcome.err:
            wrong.append(f"{text!r} in the output")
    if outcome.out:
        wrong.append("something on stdout")
    lines = outcome.err.splitlines()
    if not lines:
        wrong.append("nothing on stderr")
    for line in lines:
        if not (LINE.match(line) or MORE.match(line)):
            wrong.append(f"not file:line:col: code: message: {line[:200]!r}")
        if len(line) > MAX_LINE:
            wrong.append(f"a line of {len(line)} characters: {line[:120]!r}…")
    matched = matching_line(name, prepared, outcome)
    if matched is None:
        wrong.append(f"no line naming {prepared.named} with code {' or '.join(expect.code_set)}")
    else:
        found = LINE.match(matched)
        assert found is not None
        at = int(found["line"]) if found["line"] else None
        if at != expect.line:
            wrong.append(f"problem reported at line {at}, expected {expect.line}")
        if expect.has not in outcome.normalise(found["message"]):
            wrong.append(f"message lacks {expect.has!r}")
    peak = prepared.built.peak_bytes if prepared.built else None
    if peak is not None and (outcome.peak is None or outcome.peak > peak):
        wrong.append(f"peak Python memory {outcome.peak} bytes: the file was read before it was refused")
    seconds = prepared.built.seconds if prepared.built else None
    if seconds is not None and outcome.took > seconds:
        wrong.append(f"refused after {outcome.took:.2f} s of processor time, not within {seconds:g} s")
    if audit_records(prepared.audit_db):
        wrong.append("a record was written to the audit store")
    return wrong


# --- the README ------------------------------------------------------------------------------------------

PACK_COMMENT = "# A minimal pack: one stated kind, one derived kind."  # the rules cases' shared pack.yaml

def describe(name: str) -> str:
    """The case's input in words: the generated recipe, or the opening comments of its files."""
    if name in GENERATED:
        return GENERATED[name][0]
    path = case_path(name)
    files = sorted(path.glob("*.yaml"), key=lambda p: (p.name != "pack.yaml", p.name)) if path.is_dir() else [path]
    openings = [p.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace") for p in files]
    said = " ".join(line[2:] for line in openings if line.startswith("# ") and line != PACK_COMMENT)
    return said or {"facts/52-binary-nul-bytes": "NUL and other control bytes: a binary file",
            "facts/53-utf16": "UTF-16 text with a byte-order mark (every other byte NUL)",
            "facts/57-yaml-2-directive": "a %YAML 2.0 directive (a version that does not exist)",
            "facts/66-two-byte-order-marks": "two byte order marks (U+FEFF) before the first line: the second "
                                             "would be part of the key 'facts'",
            "facts/19-empty-file": "an empty file"}.get(name, "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def readme_row(name: str, prepared: Prepared | None = None, outcome: Outcome | None = None) -> str:
    expect = EXPECTED[name]
    codes = " or ".join(f"`{c}`" for c in expect.code_set)
    if expect.bug:
        message = f"**Known bug:** {expect.bug}"
    else:
        assert prepared is not None and outcome is not None
        line = matching_line(name, prepared, outcome)
        shown = outcome.normalise(line or f"(no matching line; exit {outcome.exit})").replace("`", "'")
        message = f"`{shown[:MESSAGE_SHOWN]}`" + ("…" if len(shown) > MESSAGE_SHOWN else "")
    return f"| `{name}` | {_cell(describe(name))} | {codes} | {_cell(message)} |"


README_HEAD = """\
# Bad inputs

Hostile or broken inputs that `commitments evaluate` must refuse cleanly. `tests/test_bad_inputs.py` runs
every case below in one parametrised test (its ids are the case names) and requires, for each:

- exit code 2;
- on stderr, only `file:line:col: code: message` lines (`file: code: message` for a problem with a whole
  file; past 50 problems, a closing `... and N more problems`), none longer than 1,000 characters;
- a line naming the case's file, with the line number for a problem at a YAML node, the code shown below,
  and the message shown below;
- nothing on stdout, no `Traceback`, and no `PWNED` (what the `!!python` tags would print if run);
- nothing in the audit store: every run is given `--audit-db` in a fresh folder, and afterwards
  `commitments audit list --format json` there must list no record (the store need not exist).

Layout:

- `facts/NN-name.yaml` — one broken fact file, evaluated against the repository's `rules/`.
- `rules/NN-name/` — a small pack (`pack.yaml` and a rules file or two) broken in one way, evaluated with an
  empty facts file (`facts: []`, written by the test).
- `pairs/NN-name/` — a folder of fact files that are wrong together (or each on its own), evaluated as a folder.
- `generated/…` — made by the test at run time in a temporary folder: too big to commit, or not a regular
  file (symlinks, a device, a pipe). Their recipes are in the table.

Cases marked **Known bug** show the behaviour the engine should have and does not yet; the test keeps them
as `xfail(strict=True)` so that fixing the engine makes them fail until the mark is removed.

Messages are shown with repository-relative paths, `<tmp>` for the temporary folder, and cut at 240
characters. The test checks this file against what the engine prints: after a deliberate change to a
message, regenerate it with `.venv/bin/python tests/test_bad_inputs.py > tests/bad_inputs/README.md`.

| case | input | code | message it gets |
|---|---|---|---|
"""


def render_readme() -> str:
    rows = []
    for name in EXPECTED:
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            prepared, outcome = (None, None) if EXPECTED[name].bug else run(name, tmp)
            rows.append(readme_row(name, prepared, outcome))
    return README_HEAD + "\n".join(rows) + "\n"


# --- the tests -------------------------------------------------------------------------------------------

def _params() -> list[object]:
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=EXPECTED[name].bug))
            if EXPECTED[name].bug else name for name in EXPECTED]


@pytest.mark.parametrize("name", _params())
def test_bad_input_is_refused(name: str, tmp_path: Path) -> None:
    prepared, outcome = run(name, tmp_path)
    report = (f"{' '.join(prepared.argv)}\nexit {outcome.exit} {outcome.note}\n--- stdout ---\n"
              f"{outcome.out[:2000]}--- stderr ---\n{outcome.err[:4000]}")
    wrong = judge(name, prepared, outcome)
    assert not wrong, "\n".join(wrong) + "\n" + report
    row = readme_row(name, prepared, outcome)
    assert row in README.read_text(encoding="utf-8").splitlines(), \
        f"tests/bad_inputs/README.md does not show what this case gets; expected the row\n{row}"


def corpus_cases() -> set[str]:
    found = {f"facts/{p.stem}" for p in (CORPUS / "facts").iterdir()}
    found |= {f"{kind}/{p.name}" for kind in ("rules", "pairs") for p in (CORPUS / kind).iterdir()}
    return found


def test_every_corpus_file_has_an_expectation() -> None:
    expected = {name for name in EXPECTED if not name.startswith("generated/")}
    assert corpus_cases() == expected, (f"without an expectation: {sorted(corpus_cases() - expected)}; "
                                        f"missing from the corpus: {sorted(expected - corpus_cases())}")
    assert set(GENERATED) == set(EXPECTED) - expected
    assert len(EXPECTED) >= 40


def test_readme_lists_every_case_once() -> None:
    listed = re.findall(r"^\| `([^`]+)` \|", README.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert sorted(listed) == sorted(EXPECTED), "regenerate tests/bad_inputs/README.md (see its last paragraph)"


if __name__ == "__main__":
    sys.stdout.write(render_readme())
