"""The step library for policy specs: plain-English Gherkin steps over the real engine.

Scenario authors write no Python. Each step is registered through `step()`, which also records its
text and a one-line description in `STEPS`; features/README.md lists them and a test keeps the two in
step. Facts given inline (a data table) go through the same loader and validation as fact files.
Every evaluation a scenario makes is noted in `EXERCISED` for the spec-coverage test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_bdd import given, parsers, then, when

from engine.audit import AuditStore
from engine.errors import Problems
from engine.evaluate import evaluate
from engine.ledger import ledger
from engine.loader import parse_text
from engine.model import Evaluation, Fact, Ledger, Pack
from engine.record import entry_for, result_digest
from engine.validate import facts_from_document, load_facts, load_pack

ROOT = Path(__file__).resolve().parents[1]
STEPS: list[tuple[str, str, str]] = []  # (keyword, text, what it does)
EXERCISED: set[tuple[str, str]] = set()  # (rule, status) seen in any scenario's evaluation
COVERAGE_FILE = os.environ.get("COMMITMENTS_SPEC_COVERAGE")
_KEYWORDS = {"given": given, "when": when, "then": then}


@dataclass
class Policy:
    """What a scenario has set up so far, and what it got."""

    pack: Pack | None = None
    facts: list[Fact] = field(default_factory=list)
    as_of: dt.date | None = None
    evaluation: Evaluation | None = None
    inline: int = 0
    audit_db: Path | None = None
    feature: Path | None = None  # the .feature file running (pytest_bdd_before_scenario)
    base: Path = ROOT  # what fact paths are relative to: the repository, or the pack folder of this feature

    def result(self) -> Evaluation:
        if self.evaluation is None:
            self.evaluate()
        assert self.evaluation is not None
        return self.evaluation

    def evaluate(self) -> None:
        if self.pack is None:
            self.pack = load_pack(ROOT / "rules")
        self.evaluation = evaluate(self.pack, self.facts, self.as_of or dt.date.today())
        if self.audit_db is not None:  # recorded as `commitments evaluate` records every run
            with AuditStore.open(self.audit_db) as store:
                store.append(entry_for(self.evaluation, self.pack, self.facts))
        for outcome in self.evaluation.rules:
            EXERCISED.add((outcome.rule, outcome.status))
        if COVERAGE_FILE:
            with open(COVERAGE_FILE, "a", encoding="utf-8") as out:
                out.writelines(json.dumps([o.rule, o.status]) + "\n" for o in self.evaluation.rules)


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    return Policy(audit_db=tmp_path / "audit.sqlite")


def step(keyword: str, text: str, what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a step under `keyword` and document it."""
    STEPS.append((keyword.capitalize(), text, what))
    parser = parsers.parse(text) if "{" in text else text
    return _KEYWORDS[keyword](parser)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


def explain(policy: Policy) -> str:
    """What the engine actually recommended, and why: shown whenever a Then step fails."""
    result = policy.result()
    lines = [f"as of {result.as_of}, cooperation level {result.value_of('cooperation_level')}; responses:"]
    titles = {r.id: r.title for r in policy.pack.rules} if policy.pack else {}
    for response in result.responses:
        why = "; ".join(titles.get(r, r) for r in response.rules)
        lines.append(f"  - {response.id}: {why} [{', '.join(response.facts) or 'no facts needed'}]")
    for item in result.undetermined:
        lines.append(f"  undetermined {item.rule}: needs {', '.join(item.missing)}")
    for item in result.not_counted:
        lines.append(f"  not counted {item.fact}: {item.reason}")
    return "\n".join(lines)


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """Note which feature file runs, so a feature can name the pack it sits in (`the rule pack of this feature`)."""
    request.getfixturevalue("policy").feature = Path(feature.filename)


def pytest_bdd_step_func_lookup_error(request: Any, feature: Any, scenario: Any, step: Any, exception: Any) -> None:
    """Unknown step text: fail with the closest steps the library knows."""
    import difflib

    known = [f"{keyword} {text}" for keyword, text, _ in STEPS]
    asked = f"{step.keyword.strip()} {step.name}"
    close = difflib.get_close_matches(asked, known, n=3, cutoff=0.3) or known[:3]
    pytest.fail(f'{feature.rel_filename}:{step.line_number}: unknown step "{asked}".\n'
                f"Closest known steps:\n  " + "\n  ".join(close) + "\n(features/README.md lists every step)",
                pytrace=False)


# --- Given ------------------------------------------------------------------------------------------------

@step("given", "the article's rule pack", "use the Lawfare article's pack in rules/")
def _article_pack(policy: Policy) -> None:
    policy.pack = load_pack(ROOT / "rules")


@step("given", 'the rule pack in "{folder}"', "use another pack folder (relative to the repository)")
def _pack_in(policy: Policy, folder: str) -> None:
    policy.pack = load_pack(ROOT / folder)


@step("given", "the rule pack of this feature",
      "use the pack this feature belongs to (FOLDER/rules for FOLDER/features/x.feature); fact paths are then "
      "relative to FOLDER")
def _pack_of_feature(policy: Policy) -> None:
    assert policy.feature is not None, "no feature file is running"
    policy.base = policy.feature.resolve().parent.parent
    policy.pack = load_pack(policy.base / "rules")


@step("given", 'the facts in "{path}"', "add the facts of a file, or of every *.yaml in a folder")
def _facts_in(policy: Policy, path: str) -> None:
    policy.pack = policy.pack or load_pack(ROOT / "rules")
    policy.facts += load_facts([policy.base / path], policy.pack)


@step("given", "the baseline of February 2021", "add facts/2021-02-baseline.yaml")
def _baseline(policy: Policy) -> None:
    _facts_in(policy, "facts/2021-02-baseline.yaml")


@step("given", 'the "{name}" scenario', "add facts/scenarios/NAME.yaml (on top of what is given)")
def _scenario(policy: Policy, name: str) -> None:
    _facts_in(policy, f"facts/scenarios/{name}.yaml")


@step("given", "no facts", "start from no facts at all")
def _no_facts(policy: Policy) -> None:
    policy.facts = []


@step("given", "these facts:", "add facts from a table: kind, observed, fields; optional id, subject, "
      "valid_until, reliability (default B), credibility (default 2)")
def _these_facts(policy: Policy, datatable: list[list[str]], request: pytest.FixtureRequest) -> None:
    policy.pack = policy.pack or load_pack(ROOT / "rules")
    header, *rows = datatable
    facts = []
    for row in rows:
        cells = {name.strip(): value.strip() for name, value in zip(header, row, strict=True) if value.strip()}
        policy.inline += 1
        fact: dict[str, Any] = {"id": cells.pop("id", f"inline-{policy.inline}"), "kind": cells.pop("kind", "")}
        kind = policy.pack.vocabulary.get(str(fact["kind"]))
        fact["subject"] = cells.pop("subject", kind.subjects[0] if kind else "")
        for name in ("observed", "valid_until", "recorded"):
            if name in cells:
                fact[name] = _date(cells.pop(name))
        for pair in filter(None, (p.strip() for p in cells.pop("fields", "").split(","))):
            name, _, value = pair.partition("=")
            fact[name.strip()] = yaml.safe_load(value.strip())
        fact["reliability"] = cells.pop("reliability", "B")
        fact["credibility"] = int(cells.pop("credibility", "2"))
        fact["source"] = {"title": "feature scenario", "ref": request.node.nodeid,
                          "date": fact.get("observed", dt.date(2000, 1, 1))}
        fact.update(cells)
        facts.append(fact)
    where = f"{request.node.nodeid} (inline facts)"
    problems = Problems()
    loaded = facts_from_document(parse_text(yaml.safe_dump({"facts": facts}, sort_keys=False), where),
                                 policy.pack, problems)
    problems.raise_if_any()
    policy.facts += loaded


@step("given", "the date is {date}", "evaluate as of this date (YYYY-MM-DD; default today)")
def _the_date(policy: Policy, date: str) -> None:
    policy.as_of = _date(date)


# --- When -------------------------------------------------------------------------------------------------

@step("when", "the argument is evaluated", "run the engine on the facts given")
def _evaluated(policy: Policy) -> None:
    policy.evaluate()


@step("when", "the argument is evaluated as of {date}", "run the engine as of a date")
def _evaluated_as_of(policy: Policy, date: str) -> None:
    policy.as_of = _date(date)
    policy.evaluate()


# --- Then -------------------------------------------------------------------------------------------------

@step("then", 'the US response includes "{response}"', "the response id is recommended")
def _includes(policy: Policy, response: str) -> None:
    assert response in policy.result().response_ids(), f"{response} is not recommended.\n{explain(policy)}"


@step("then", 'the US response does not include "{response}"', "the response id is not recommended")
def _excludes(policy: Policy, response: str) -> None:
    assert response not in policy.result().response_ids(), f"{response} is recommended.\n{explain(policy)}"


@step("then", "Pakistan's cooperation level is {level}", "the derived cooperation level (e.g. refusal)")
def _level(policy: Policy, level: str) -> None:
    found = policy.result().value_of("cooperation_level")
    assert found == level.strip('"'), f"cooperation level is {found}, not {level}.\n{explain(policy)}"


@step("then", 'the recommendation includes "{response}"', "the response id is recommended (any pack's words)")
def _recommends(policy: Policy, response: str) -> None:
    _includes(policy, response)


@step("then", 'the recommendation does not include "{response}"', "the response id is not recommended")
def _does_not_recommend(policy: Policy, response: str) -> None:
    _excludes(policy, response)


@step("then", "the headline {kind} is {value}", "the value derived for a headline kind of the pack (pack.yaml), or `not derived`")
def _headline(policy: Policy, kind: str, value: str) -> None:
    result = policy.result()
    assert policy.pack is not None
    headline = result.headline(policy.pack)
    assert kind in headline, f"{kind} is not a headline kind of the pack; its headline is {', '.join(headline)}"
    expected = None if value == "not derived" else value.strip('"')
    assert headline[kind] == expected, f"{kind} is {headline[kind]}, not {value}.\n{explain(policy)}"


def _outcome(policy: Policy, rule: str) -> Any:
    outcomes = {o.rule: o for o in policy.result().rules}
    assert rule in outcomes, f"no rule {rule!r} in the pack"
    return outcomes[rule]


@step("then", 'rule "{rule}" fired', "the rule's condition held")
def _fired(policy: Policy, rule: str) -> None:
    found = _outcome(policy, rule)
    assert found.status == "fired", f"{rule} is {found.status} {list(found.missing)}.\n{explain(policy)}"


@step("then", 'rule "{rule}" is in its else branch', "the rule's condition is definitely false")
def _else(policy: Policy, rule: str) -> None:
    found = _outcome(policy, rule)
    assert found.status == "else", f"{rule} is {found.status}.\n{explain(policy)}"


@step("then", 'rule "{rule}" is undetermined for lack of "{missing}"',
      "a fact the rule needs (KIND:SUBJECT) is missing or does not count")
def _undetermined(policy: Policy, rule: str, missing: str) -> None:
    found = _outcome(policy, rule)
    assert found.status == "undetermined" and missing in found.missing, (
        f"{rule} is {found.status}, missing {list(found.missing)}.\n{explain(policy)}")


@step("then", 'the response "{response}" cites paragraph {para:d}', "one of its citations is that paragraph")
def _cites(policy: Policy, response: str, para: int) -> None:
    found = {r.id: r for r in policy.result().responses}
    assert response in found, f"{response} is not recommended.\n{explain(policy)}"
    paras = [c.para for c in found[response].citations]
    assert para in paras, f"{response} cites paragraphs {paras}"


@step("then", 'the response "{response}" rests on fact "{fact}"', "the fact supports the response")
def _rests_on(policy: Policy, response: str, fact: str) -> None:
    found = {r.id: r for r in policy.result().responses}
    assert response in found and fact in found[response].facts, explain(policy)


@step("then", "no guardrail is violated", "every guardrail holds")
def _no_violation(policy: Policy) -> None:
    broken = [f"{g.id}: {g.detail}" for g in policy.result().guardrails if not g.ok]
    assert not broken, f"violated: {broken}"


@step("then", 'guardrail "{guardrail}" is violated', "the named guardrail is broken")
def _violation(policy: Policy, guardrail: str) -> None:
    found = {g.id: g for g in policy.result().guardrails}
    assert guardrail in found, f"no guardrail {guardrail!r}; there are {sorted(found)}"
    assert not found[guardrail].ok, f"{guardrail} holds.\n{explain(policy)}"


@step("then", 'fact "{fact}" counts', "the fact is counted as evidence")
def _counts(policy: Policy, fact: str) -> None:
    assert fact in policy.result().counted, explain(policy)


@step("then", 'fact "{fact}" is not counted because "{reason}"',
      "the fact is listed as not counted, with a reason starting with REASON")
def _not_counted(policy: Policy, fact: str, reason: str) -> None:
    reasons = {n.fact: n.reason for n in policy.result().not_counted}
    assert fact in reasons, f"{fact} counts.\n{explain(policy)}"
    assert reasons[fact].startswith(reason), f"{fact}: {reasons[fact]}"


@step("then", 'the evaluation warns "{text}"', "one of the result's warnings contains TEXT")
def _warns(policy: Policy, text: str) -> None:
    warnings = policy.result().warnings
    assert any(text in w for w in warnings), f"warnings: {list(warnings)}"


@step("then", "the evaluation gives no warning", "the result has no warnings")
def _no_warning(policy: Policy) -> None:
    assert policy.result().warnings == (), f"warnings: {list(policy.result().warnings)}"


@step("then", "the audit trail holds the run", "the evaluation is recorded, intact, with a verified chain")
def _audited(policy: Policy) -> None:
    result = policy.result()
    assert policy.audit_db is not None
    with AuditStore.open(policy.audit_db, create=False) as store:
        record = store.get(result.run_id)
        verification = store.verify()
    assert record.intact() and record.result_digest == result_digest(result)
    assert verification.ok, verification.problem


# --- the commitment ledger --------------------------------------------------------------------------------

def _ledger(policy: Policy) -> Ledger:
    """The ledger as of the scenario's date (the evaluation's, once there is one)."""
    policy.pack = policy.pack or load_pack(ROOT / "rules")
    return ledger(policy.pack, policy.facts, policy.as_of or dt.date.today())


def _commitment(policy: Policy, commitment: str) -> tuple[Any, str]:
    found = _ledger(policy)
    status = found.state_of(commitment)
    assert status is not None, f"no commitment {commitment!r}; the pack declares {[c.id for c in found.commitments]}"
    moves = "; ".join(f"{t.date} {t.previous}→{t.state} ({t.why}) on {list(t.facts)}" for t in status.transitions)
    return status, f"{commitment} is {status.state} since {status.since}: {moves or 'no transitions'}"


@step("then", 'the commitment "{commitment}" is {state} since {date}',
      "the ledger puts the commitment in this state (detached, discharged, violated, expired, cancelled, "
      "released) since this date")
def _commitment_since(policy: Policy, commitment: str, state: str, date: str) -> None:
    status, said = _commitment(policy, commitment)
    assert (status.state, status.since) == (state.strip(), _date(date)), said


@step("then", 'the commitment "{commitment}" is conditional', "the commitment's antecedent has not come about")
def _commitment_conditional(policy: Policy, commitment: str) -> None:
    status, said = _commitment(policy, commitment)
    assert status.state == "conditional" and not status.transitions, said


@step("then", 'the commitment "{commitment}" is due by {date}', "detached, its consequent is owed by this date")
def _commitment_due(policy: Policy, commitment: str, date: str) -> None:
    status, said = _commitment(policy, commitment)
    assert status.state == "detached" and status.due_by == _date(date), f"{said}; due by {status.due_by}"


@step("then", 'the commitment "{commitment}" moved on fact "{fact}"', "a fact that moved one of its transitions")
def _commitment_moved_on(policy: Policy, commitment: str, fact: str) -> None:
    status, said = _commitment(policy, commitment)
    assert any(fact in t.facts for t in status.transitions), said
