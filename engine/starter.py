"""`commitments init DIR`: a minimal, valid, commented pack an analyst starts a new argument from.

Takes a folder that does not exist yet (or is empty); gives rules/pack.yaml (parties, headline, categories,
one source, a vocabulary), rules/argument.yaml (responses, rules and a commitment), facts/observed.yaml (one fact) and
features/argument.feature (scenarios in the step library's words). Every file is written new, never over
one that is there.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import InputError, Location

PACK = """\
# The rule pack of a new argument. `commitments check --rules rules` validates it; the README's
# "How rules work" explains every key. Rename, reword and extend everything below.
pack:
  name: my-argument
  version: 0.1.0
  title: A conditional offer (edit me)

# Who the argument is about (id: name).
parties:
  patron: The patron
  client: The client

# What summaries (evaluate, timeline, whatif, replay) lead with: a derived kind of the vocabulary below,
# and how text names it ("As of 2024-03-01: The client's standing is compliant.").
headline:
  standing: The client's standing

# How the recommended responses are grouped, in the order they are shown (id: title).
categories:
  offer: Offers (conditional on the client)
  consequence: Consequences
  messaging: Messaging

# What the rules cite: a rule's `cites` names one of these, a paragraph and a short exact quote.
sources:
  argument:
    title: The argument this pack encodes (edit me)
    author: An Author
    date: 2024-01-15
    ref: https://example.org/the-argument

# Facts below this grade are loaded, shown and audited, but do not count.
evidence:
  reliability: [A, B, C]
  credibility: [1, 2, 3]

# The kinds of fact: who each can be about, whether the latest one supersedes the others (state: true),
# and its typed fields. A derived kind is set by the rules only.
vocabulary:
  milestone_report:
    subjects: [client]
    state: true
    fields:
      status: {type: enum, values: [met, missed]}
      verified: {type: boolean}
  reward_delivery:
    subjects: [patron]
    state: true
    fields:
      delivered: {type: boolean}
  standing:
    subjects: [client]
    state: true
    derived: true
    fields:
      value: {type: enum, values: [compliant, non_compliant]}

# Constraints from the argument that every result must keep.
guardrails:
  - id: reward_only_when_compliant
    rule: only_with
    text: The reward is offered only while the client is compliant.
    responses: [offer.reward]
    kind: standing
    values: [compliant]
"""

RULES = """\
# Responses the argument recommends (id: category, text), and the rules that recommend them.
responses:
  offer.reward: {category: offer, text: Deliver the promised reward.}
  consequence.withhold: {category: consequence, text: Withhold the reward until a verified milestone is met.}
  messaging.terms: {category: messaging, text: State the terms of the offer plainly.}

rules:
  - id: standing.compliant
    title: A verified milestone met makes the client compliant
    cites: [{source: argument, para: 1, quote: "edit me: the sentence of the argument this rule encodes"}]
    when: {fact: milestone_report, where: {status: met, verified: true}}
    then: [{derive: {kind: standing, value: compliant}}]
    else: [{derive: {kind: standing, value: non_compliant}}]

  - id: offer.reward
    title: Reward a compliant client
    cites: [{source: argument, para: 2, quote: "edit me: where the argument makes the offer"}]
    when: {fact: standing, where: {value: compliant}}
    then: [{respond: offer.reward}]
    else: [{respond: consequence.withhold}]

  - id: messaging.terms
    title: The terms are stated whatever the facts
    cites: [{source: argument, para: 3, quote: "edit me: where the argument says so"}]
    then: [{respond: messaging.terms}]

# What each party owes the other, for `commitments ledger`: once the antecedent holds the debtor owes the
# creditor the consequent, here within 30 days (conditional → detached → discharged, or violated when late).
commitments:
  - id: patron.reward
    title: The patron delivers the reward within 30 days of the client's compliance
    cites: [{source: argument, para: 2, quote: "edit me: where the argument makes the offer"}]
    debtor: patron
    creditor: client
    antecedent: {fact: standing, where: {value: compliant}}
    consequent: {fact: reward_delivery, where: {delivered: true}}
    consequent_deadline: {within_days: 30}
"""

FACTS = """\
# Observed facts, one list per file. Every fact says when it was observed, where it comes from, and how
# reliable (A-F) and credible (1-6) that source is. `commitments facts add` appends one, asking each field.
facts:
  - id: report-2024-03
    kind: milestone_report
    subject: client
    observed: 2024-03-01
    status: met
    verified: true
    source: {title: "edit me: the report this fact comes from", ref: "https://example.org/report", date: 2024-03-01}
    reliability: B
    credibility: 2
"""

FEATURE = """\
# Executable specs of the argument: run them with the step library of tests/policy_steps.py (pytest-bdd).
Feature: The conditional offer of the argument

  Background:
    Given the rule pack of this feature

  Scenario: A verified milestone earns the reward
    Given the facts in "facts/observed.yaml"
    When the argument is evaluated as of 2024-03-15
    Then the headline standing is compliant
    And the recommendation includes "offer.reward"
    And no guardrail is violated
    And the commitment "patron.reward" is detached since 2024-03-01
    And the commitment "patron.reward" is due by 2024-03-31

  Scenario: A missed milestone withholds it
    Given these facts:
      | kind             | observed   | fields                       |
      | milestone_report | 2024-03-01 | status=missed, verified=true |
    When the argument is evaluated as of 2024-03-15
    Then the headline standing is non_compliant
    And the recommendation includes "consequence.withhold"
    And the recommendation does not include "offer.reward"
"""

FILES = {"rules/pack.yaml": PACK, "rules/argument.yaml": RULES, "facts/observed.yaml": FACTS,
         "features/argument.feature": FEATURE}


def write_starter(folder: Path) -> list[Path]:
    """Write the starter pack into `folder`, which must be new or empty: an analyst's files are never
    mixed with, or overwritten by, the template's."""
    where = Location(str(folder))
    if folder.exists() and not folder.is_dir():
        raise InputError.one("not-a-folder", "exists and is not a folder; give init a new folder", where)
    try:
        if folder.is_dir() and any(folder.iterdir()):
            raise InputError.one("folder-not-empty", "is not empty; give init a new or empty folder (nothing was "
                                 "written)", where)
        written = []
        for name, text in FILES.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as out:
                out.write(text)
            written.append(path)
    except OSError as error:
        raise InputError.one("out-unwritable", f"cannot write the pack here: {error.strerror or error}",
                             Location(str(error.filename or folder))) from None
    return written
