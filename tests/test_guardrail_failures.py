"""Every kind of guardrail fails at run time: `evaluate` exits 1 and names it, with what broke it.

Each case edits one line of the second test pack (tests/packs/loc_ceasefire), whose guardrails all hold,
so that exactly one guardrail breaks on a bundled fact set; the unedited pack on the same facts exits 0.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest
from test_second_pack import FACTS, LOC

from engine.cli import main

TALKS_THEN = "then: [{respond: talks.propose_meeting}]"
WARN_WHEN = "when: {fact: firing_incident, where: {verified: true, deaths: {gte: 1}}}"
PAKISTAN_HIGH = "then: [{derive: {kind: tension, subject: pakistan, value: high}}]"

CASES = [  # guardrail, (file, text, replacement), as of, fact files, what the violation says
    pytest.param("talk_or_hold", ("rules.yaml", TALKS_THEN, TALKS_THEN[:-1] + ", {respond: talks.hold}]"),
                 "2024-01-31", ("calm",), "talks.propose_meeting and talks.hold recommended together", id="exclusive"),
    pytest.param("meet_only_when_hopeful",
                 ("rules.yaml", "when: {fact: outlook, where: {value: high}}",
                  "when: {fact: tension, subject: india, where: {value: low}}"),
                 "2024-03-02", ("calm", "escalation"),
                 "talks.propose_meeting recommended while outlook is low (allowed only with high)", id="only_with"),
    pytest.param("observers_for_doubt", ("rules.yaml", "        - match: unverified_incident\n", ""),
                 "2024-01-31", ("calm",), "monitor.send_observers (assurance) rests on no counting "
                 "unverified_incident fact", id="requires_fact"),
    pytest.param("warnings_about_deeds",
                 ("rules.yaml", WARN_WHEN, "when: {all: [" + WARN_WHEN[6:] + ", "
                  "{fact: tension, subject: india, where: {value: high}}]}"),
                 "2024-03-31", ("calm", "escalation"), "warning.public_statement rests on tension",
                 id="independent_of-a-derived-kind"),
    pytest.param("warnings_about_deeds",
                 ("rules.yaml", WARN_WHEN, "when: {all: [" + WARN_WHEN[6:] + ", "
                  "{fact: hotline, where: {status: suspended}}]}"),
                 "2024-03-31", ("calm", "escalation"), "warning.public_statement rests on hotline",
                 id="independent_of-a-fact-kind"),
    pytest.param("keep_counterterrorism",
                 ("responses.yaml", "withholds: [dialogue]", "withholds: [dialogue, counterterrorism]"),
                 "2024-03-31", ("calm", "escalation"), "talks.hold withholds counterterrorism", id="protects"),
    pytest.param("single_derived_state",
                 ("rules.yaml", PAKISTAN_HIGH, PAKISTAN_HIGH[:-1] + ", {derive: {kind: tension, subject: india, "
                  "value: high}}]"),
                 "2024-03-02", ("calm", "escalation"), "tension for india: high, low", id="single_derived_state"),
]


def evaluate_cli(rules: Path, as_of: str, files: tuple[str, ...]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["evaluate", *(str(FACTS / f"{name}.yaml") for name in files), "--rules", str(rules),
                     "--as-of", as_of, "--no-audit"])
    assert err.getvalue() == ""
    return code, out.getvalue()


def violated(output: str) -> list[str]:
    return [line.strip()[2:] for line in output.splitlines() if line.startswith("  ✗ ")]


@pytest.mark.parametrize("guardrail, edit, as_of, files, detail", CASES)
def test_each_kind_of_guardrail_fails_at_run_time(tmp_path: Path, guardrail: str, edit: tuple[str, str, str],
                                                  as_of: str, files: tuple[str, ...], detail: str) -> None:
    code, output = evaluate_cli(LOC, as_of, files)
    assert (code, violated(output)) == (0, [])
    rules = Path(shutil.copytree(LOC, tmp_path / "rules", ignore=shutil.ignore_patterns("facts")))
    name, text, replacement = edit
    source = (rules / name).read_text(encoding="utf-8")
    assert source.count(text) == 1
    (rules / name).write_text(source.replace(text, replacement), encoding="utf-8")
    code, output = evaluate_cli(rules, as_of, files)
    assert code == 1
    assert "GUARDRAILS VIOLATED" in output
    assert violated(output) == [f"{guardrail}: {detail}"]


def test_the_article_pack_can_trade_away_another_interest_and_is_caught(tmp_path: Path) -> None:
    """`other_interests_not_traded` bites on the article's own pack: keeping Pakistan listed withholds FATF
    support (declared), and a pack edited so that it also withholds trade fails at run time."""
    from conftest import BASELINE, RULES

    def run(rules: Path) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(["evaluate", str(BASELINE), "--rules", str(rules), "--as-of", "2021-02-12", "--no-audit"])
        return code, out.getvalue()

    assert run(RULES)[0] == 0
    rules = Path(shutil.copytree(RULES, tmp_path / "rules"))
    source = (rules / "responses.yaml").read_text(encoding="utf-8")
    assert source.count("withholds: [fatf_support]") == 1
    (rules / "responses.yaml").write_text(source.replace("withholds: [fatf_support]", "withholds: [fatf_support, trade]"),
                                          encoding="utf-8")
    code, output = run(rules)
    assert code == 1
    assert violated(output) == ["other_interests_not_traded: fatf.keep_listed withholds trade"]
