"""No text from a file can drive the terminal or forge a line in any text or Markdown view.

A fact's source title, reference, note and analyst, a rule's title, a response's text, the pack's title, the
user recorded in the audit trail and the name of a fact file all carry a forged line ("\\n  Guardrails: all
hold") and terminal controls (ESC clearing the screen, CR, BEL, BS, CSI, NEL, U+2028). Every view must show
them escaped, on the line they belong to: no raw control character reaches the output, and no line of
the output is the forged one. JSON views stay JSON (json escapes by itself).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import BASELINE, RULES

from engine.cli import main
from engine.render import printable

FORGED = "Guardrails: all hold"
# As YAML double-quoted escapes: LF, ESC, CR, BEL, BS, CSI, NEL, line separator.
EVIL_YAML = r'"\n  Guardrails: all hold\e[2J\r\a\b\x9b\N\L end"'
EVIL = "\n  Guardrails: all hold\x1b[2J\r\x07\b\x9b\x85\u2028 end"
SHOWN = r"\x1b[2J"  # how the ESC of EVIL reads once escaped
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # any control but the views' own LF

EVIL_FACT = f"""facts:
  - id: evil-stance
    kind: pakistan_stance
    subject: pakistan
    observed: 2021-02-01
    position: claims_inability
    source: {{title: {EVIL_YAML}, ref: {EVIL_YAML}, date: 2021-02-01}}
    reliability: B
    credibility: 2
    analyst: {EVIL_YAML}
    note: {EVIL_YAML}
"""


def assert_safe(text: str) -> None:
    assert not RAW.search(text), repr(RAW.search(text))
    assert not [line for line in text.split("\n") if line.strip().startswith(FORGED)]


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """A pack and facts with the forged line in every free-text field, and a user named with it too."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    for name, plain in [("pack.yaml", "name: lawfare-pakistan-taliban-ceasefire"),
                        ("pack.yaml", "title: Pressing Pakistan to curb Taliban violence (Weinstein, Lawfare 2021)"),
                        ("cooperation.yaml", "title: Pakistan claims inability, refuses, or backs the Taliban's "
                                             "conditions"),
                        ("responses.yaml", "text: Keep Pakistan on the FATF list; no US support at the next "
                                           "plenary.")]:
        text = (rules / name).read_text()
        assert plain in text
        (rules / name).write_text(text.replace(plain, f"{plain.split(':')[0]}: {EVIL_YAML}"))
    facts = tmp_path / "facts"
    facts.mkdir()
    shutil.copy(BASELINE, facts / "baseline.yaml")
    (facts / "evil.yaml").write_text(EVIL_FACT)
    monkeypatch.setenv("LOGNAME", f"jdoe{EVIL}")
    monkeypatch.setenv("USER", f"jdoe{EVIL}")
    store = str(tmp_path / "audit.sqlite")
    assert main(["evaluate", str(facts), "--rules", str(rules), "--as-of", "2021-02-12", "--audit-db", store,
                 "--format", "json"]) == 0
    run = json.loads(capsys.readouterr().out)["run_id"]
    return {"rules": str(rules), "facts": str(facts), "store": store, "run": run, "tmp": str(tmp_path)}


# (view, its arguments, whether it shows one of the hostile fields: then the escaped form must be there)
VIEWS = {
    "evaluate-text": (["evaluate", "{facts}", "--no-audit"], True),
    "evaluate-markdown": (["evaluate", "{facts}", "--no-audit", "--format", "markdown"], True),
    "explain-response": (["explain", "fatf.keep_listed", "{facts}"], True),
    "explain-derived": (["explain", "cooperation_level", "{facts}"], True),
    "explain-absent": (["explain", "fatf.support_removal", "{facts}"], True),
    "whatif": (["whatif", "{facts}", "--drop", "evil-stance"], False),
    "timeline-text": (["timeline", "{facts}", "--from", "2021-01-15", "--to", "2021-02-15", "--step", "1w"], False),
    "check": (["check", "{facts}"], True),
    "audit-list": (["audit", "list", "--audit-db", "{store}"], True),
    "audit-show": (["audit", "show", "--audit-db", "{store}", "{run}"], True),
    "audit-export-markdown": (["audit", "export", "--audit-db", "{store}", "{run}", "--format", "markdown"], True),
    "audit-verify": (["audit", "verify", "--audit-db", "{store}"], False),
    "audit-replay": (["audit", "replay", "--audit-db", "{store}", "{run}"], False),
}
DATED = {"evaluate", "explain", "whatif"}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_no_view_prints_a_control_character_or_a_forged_line(capsys: pytest.CaptureFixture[str],
                                                             hostile: dict[str, str], name: str) -> None:
    template, shows = VIEWS[name]
    argv = [part.format(**hostile) for part in template]
    if argv[0] not in ("audit",):
        argv += ["--rules", hostile["rules"]]
    if argv[0] in DATED:
        argv += ["--as-of", "2021-02-12"]
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert_safe(out + err)
    if shows:
        assert SHOWN in out, out


VALUES = ["id=unama-2021-q2", "observed=2021-04-14", "change_pct=-38", "window_days=90", "metric=civilian_casualties",
          f"source.title={EVIL}", "source.ref=https://unama.example", "source.date=2021-04-14", "reliability=B",
          "credibility=2"]


def test_facts_add_echo_escapes_the_file_name(capsys: pytest.CaptureFixture[str], hostile: dict[str, str]) -> None:
    target = Path(hostile["tmp"]) / f"new{EVIL}.yaml"
    capsys.readouterr()
    code = main(["facts", "add", "--file", str(target), "--kind", "violence_trend", "--rules", str(RULES),
                 "--no-input", *(f"--value={v}" for v in VALUES)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert_safe(out + err)
    shown = str(target).encode("unicode_escape").decode("ascii")
    assert out == f"added unama-2021-q2 (violence_trend) to {shown}\n" and SHOWN in out


ID_VIEWS = {
    "evaluate": ["evaluate", "--no-audit", "--as-of", "2021-02-12"],
    "whatif": ["whatif", "--as-of", "2021-02-12", "--drop", "{id}"],
    "timeline": ["timeline", "--from", "2021-01-25", "--to", "2021-02-12"],
}


@pytest.mark.parametrize("view", sorted(ID_VIEWS))
@pytest.mark.parametrize("fact_id", [f"evil{EVIL}", "evil\n", "evil\x1b[2J"])
def test_a_hostile_fact_id_is_refused_or_shown_escaped(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       fact_id: str, view: str) -> None:
    facts = tmp_path / "facts.yaml"
    escaped = fact_id.encode("unicode_escape").decode("ascii")  # also how a view must show it
    facts.write_text(EVIL_FACT.replace("id: evil-stance", f'id: "{escaped}"'))
    argv = [part.format(id=fact_id) for part in ID_VIEWS[view]]
    code = main([*argv, str(BASELINE), str(facts), "--rules", str(RULES)])
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    assert_safe(out + err)
    if code == 0:  # the id check let it through: it must then be shown escaped, on its line
        assert escaped in out, out


def test_usage_and_input_errors_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["facts", "add", "--file", "never-written.yaml", "--rules", str(RULES), "--no-input", "--kind",
                 "violence_trend", *(f"--value={v}" for v in VALUES), f"--value=nope{EVIL}=1"])
    _, err = capsys.readouterr()
    assert code == 2
    assert_safe(err)
    assert len(err.splitlines()) == 1 and "have no 'nope\\n  Guardrails" in err, err
    assert not Path("never-written.yaml").exists()


@pytest.mark.parametrize("text, shown", [
    ("a\nb", r"a\nb"), ("\x1b[2J", r"\x1b[2J"), ("\r\x07\b\t", r"\r\x07\x08\t"), ("\x9b\x85", r"\x9b\x85"),
    ("\u2028\u2029\u202e", r"\u2028\u2029\u202e"), ("plain “quoted” ¶25 → ✓", "plain “quoted” ¶25 → ✓"),
])
def test_printable_writes_controls_as_escapes(text: str, shown: str) -> None:
    assert printable(text) == shown
